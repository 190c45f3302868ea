"""sipringctl against a fake JSON-RPC server written here in Python.

The real sipringctl binary (from the build directory) talks to a Unix socket server in a private
temp directory that records every request and answers with scripted replies. The tests check what
sipringctl sends (the JSON-RPC envelope and the typing of its arguments) and what it prints and
returns: tables, "key: value" lines, --json, RPC errors, and the exit codes that tell "sipring
said no" (1) from "nobody to talk to" and usage errors (2). Nothing here needs the daemon.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import harness as h


def ctl_bin():
    path = os.path.join(h.build_dir(), "tools", "sipringctl")
    if not os.access(path, os.X_OK):
        raise AssertionError("%s is missing: build sipringctl first" % path)
    return path


class FakeRpcServer:
    """A line-oriented JSON-RPC server on a Unix socket. `reply(request)` returns the response:
    a dict (sent as one JSON line), bytes (sent raw), "close" (close without answering) or
    "silent" (keep the connection open and never answer). Requests are recorded in order."""

    def __init__(self, path, reply):
        self.path = path
        self.reply = reply
        self.requests = []
        self.raw_lines = []
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(path)
        self._sock.listen(8)
        self._sock.settimeout(0.1)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                self._one(conn)

    def _one(self, conn):
        conn.settimeout(5)
        buf = b""
        try:
            while b"\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
        except OSError:
            return
        line = buf.split(b"\n", 1)[0]
        self.raw_lines.append(line)
        request = json.loads(line)
        self.requests.append(request)
        answer = self.reply(request)
        if answer == "close":
            return
        if answer == "silent":
            self._stop.wait(10)
            return
        if isinstance(answer, dict):
            answer = json.dumps(answer).encode() + b"\n"
        try:
            conn.sendall(answer)
        except OSError:
            pass

    def close(self):
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=15)


def result_of(result):
    """A reply function answering every request with `result`."""
    return lambda req: {"jsonrpc": "2.0", "result": result, "id": req.get("id")}


class SipringctlClient(unittest.TestCase):
    def setUp(self):
        self.bin = ctl_bin()
        self.dir = tempfile.mkdtemp(prefix="sipringctl-it.")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, "ctl.sock")
        self.spec = "unix:" + self.path
        self.server = None

    def serve(self, reply):
        self.server = FakeRpcServer(self.path, reply)
        self.addCleanup(self.server.close)
        return self.server

    def ctl(self, *args, env=None, timeout=20):
        full_env = dict(os.environ)
        full_env.pop("SIPRING_CTL", None)
        full_env.update(env or {})
        return subprocess.run([self.bin] + list(args), capture_output=True, text=True,
                              env=full_env, stdin=subprocess.DEVNULL, timeout=timeout)

    def call(self, *args, **kw):
        """sipringctl -s SOCKET ARGS...; asserts exit 0 and returns stdout."""
        r = self.ctl("-s", self.spec, *args, **kw)
        self.assertEqual(r.returncode, 0, "stdout=%r stderr=%r" % (r.stdout, r.stderr))
        self.assertEqual(r.stderr, "")
        return r.stdout

    # --- what is sent -------------------------------------------------------------------

    def test_request_is_a_jsonrpc_2_envelope_on_one_line(self):
        srv = self.serve(result_of("pong"))
        self.call("core.ping")
        self.assertEqual(len(srv.requests), 1)
        req = srv.requests[0]
        self.assertEqual(req["jsonrpc"], "2.0")
        self.assertEqual(req["method"], "core.ping")
        self.assertEqual(req["params"], [])
        self.assertIn("id", req)
        self.assertNotIn(b"\n", srv.raw_lines[0])

    def test_integer_words_become_numbers_and_other_words_strings(self):
        srv = self.serve(result_of(None))
        self.call("cfg.set", "tls", "connection_timeout", "600", "-7", "0", '"123"', "007",
                  "1.5", "9223372036854775807", "18446744073709551615", "+3", "abc", "")
        self.assertEqual(srv.requests[0]["params"],
                         ["tls", "connection_timeout", 600, -7, 0, "123", "007", "1.5",
                          9223372036854775807, "18446744073709551615", "+3", "abc", ""])

    def test_methods_ending_in_string_send_the_last_word_as_a_string(self):
        srv = self.serve(result_of(None))
        self.call("cfg.set_now_string", "tls", "5", "42")
        self.call("cfg.set_now_string", "tls", "x", '"42"')
        self.assertEqual(srv.requests[0]["params"], ["tls", 5, "42"])
        self.assertEqual(srv.requests[1]["params"], ["tls", "x", "42"])

    def test_words_after_the_command_are_arguments_even_if_they_look_like_options(self):
        srv = self.serve(result_of(None))
        self.call("echo", "-s", "--json", "-1")
        self.assertEqual(srv.requests[0]["params"], ["-s", "--json", -1])

    # --- what is printed ----------------------------------------------------------------

    def test_array_of_objects_prints_as_an_aligned_table(self):
        self.serve(result_of([
            {"id": "18446744073709551615", "peer": "192.0.2.1:5061", "state": "established",
             "rx_bytes": 1234},
            {"id": "2", "peer": "[2001:db8::1]:5061", "state": "tls-handshake", "rx_bytes": 5,
             "sni": "sip.example.com"},
            {"id": "3", "peer": "192.0.2.3:40000", "state": None, "rx_bytes": 67890},
        ]))
        out = self.call("conn.list")
        self.assertEqual(out,
                         "id                    peer                state          rx_bytes"
                         "  sni\n"
                         "18446744073709551615  192.0.2.1:5061      established        1234"
                         "  -\n"
                         "2                     [2001:db8::1]:5061  tls-handshake         5"
                         "  sip.example.com\n"
                         "3                     192.0.2.3:40000     -                 67890"
                         "  -\n")

    def test_object_prints_key_value_lines_with_nested_objects_indented(self):
        self.serve(result_of({
            "version": "0.1.0",
            "uptime_s": 12,
            "tls": {"method": "TLSv1.2+", "domains": {"default": 1}},
            "protocols": ["TLSv1.2", "TLSv1.3"],
            "empty": [],
            "reactors": [{"id": 0, "conns": 3}, {"id": 1, "conns": 10}],
            "ratio": 0.5,
            "on": True,
            "none": None,
        }))
        out = self.call("core.info")
        self.assertEqual(out,
                         "version: 0.1.0\n"
                         "uptime_s: 12\n"
                         "tls:\n"
                         "  method: TLSv1.2+\n"
                         "  domains:\n"
                         "    default: 1\n"
                         "protocols: TLSv1.2, TLSv1.3\n"
                         "empty: []\n"
                         "reactors:\n"
                         "  id  conns\n"
                         "   0      3\n"
                         "   1     10\n"
                         "ratio: 0.5\n"
                         "on: true\n"
                         "none: null\n")

    def test_scalars_print_alone(self):
        answers = iter(["pong", 42, True, None, ["a", "b", 3], "two\nlines"])
        self.serve(lambda req: {"jsonrpc": "2.0", "result": next(answers), "id": req["id"]})
        self.assertEqual(self.call("x"), "pong\n")
        self.assertEqual(self.call("x"), "42\n")
        self.assertEqual(self.call("x"), "true\n")
        self.assertEqual(self.call("x"), "")
        self.assertEqual(self.call("x"), "a\nb\n3\n")
        self.assertEqual(self.call("x"), "two\nlines\n")

    def test_json_flag_prints_the_raw_result_pretty(self):
        result = [{"id": "1", "peer": "192.0.2.1:5061", "n": 1.5, "tags": ["a"]}]
        self.serve(result_of(result))
        for flag in ("--json", "-j"):
            out = self.call(flag, "conn.list")
            self.assertEqual(json.loads(out), result)
            self.assertEqual(out, json.dumps(result, indent=2) + "\n")

    # --- errors and exit codes ----------------------------------------------------------

    def test_rpc_error_prints_code_and_message_and_exits_1(self):
        self.serve(lambda req: {"jsonrpc": "2.0", "id": req["id"],
                                "error": {"code": 404, "message": "no connection 42"}})
        r = self.ctl("-s", self.spec, "conn.close", "42")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr, "error: 404: no connection 42\n")

    def test_method_not_found_error_is_shown_as_the_server_words_it(self):
        self.serve(lambda req: {"jsonrpc": "2.0", "id": req["id"], "error": {
            "code": -32601,
            "message": "method 'nope' not found; system.listMethods lists the methods"}})
        r = self.ctl("-s", self.spec, "nope")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "error: -32601: method 'nope' not found; "
                                   "system.listMethods lists the methods\n")

    def test_no_server_names_the_socket_and_exits_2(self):
        r = self.ctl("-s", self.spec, "core.ping")
        self.assertEqual(r.returncode, 2)
        self.assertIn(self.spec, r.stderr)
        self.assertIn("is sipring running? start it or pass -s", r.stderr)

    def test_stale_socket_file_is_a_connection_failure(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.path)  # never listens
        self.addCleanup(s.close)
        r = self.ctl("-s", self.spec, "core.ping")
        self.assertEqual(r.returncode, 2)
        self.assertIn("Connection refused", r.stderr)
        self.assertIn(self.spec, r.stderr)

    def test_default_socket_is_named_when_nothing_is_there(self):
        if os.path.exists("/run/sipring/sipring_ctl"):
            self.skipTest("a sipring control socket exists on this machine")
        r = self.ctl("core.ping")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unix:/run/sipring/sipring_ctl", r.stderr)

    def test_timeout_waiting_for_the_reply_exits_1(self):
        self.serve(lambda req: "silent")
        t0 = time.monotonic()
        r = self.ctl("-s", self.spec, "-t", "0.5", "core.slow")
        elapsed = time.monotonic() - t0
        self.assertEqual(r.returncode, 1)
        self.assertIn("no reply from %s within 0.5 s" % self.spec, r.stderr)
        self.assertLess(elapsed, 5)
        self.assertGreaterEqual(elapsed, 0.45)

    def test_server_closing_without_a_reply_exits_1(self):
        self.serve(lambda req: "close")
        r = self.ctl("-s", self.spec, "core.ping")
        self.assertEqual(r.returncode, 1)
        self.assertIn("closed the connection without a reply", r.stderr)

    def test_reply_that_is_not_json_exits_1(self):
        self.serve(lambda req: b"<html>\n")
        r = self.ctl("-s", self.spec, "core.ping")
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad reply from %s: invalid JSON at byte 0" % self.spec, r.stderr)

    def test_usage_errors_exit_2(self):
        cases = [
            ([], "missing COMMAND"),
            (["--bogus", "x"], "unknown option '--bogus'"),
            (["-t", "soon", "x"], "--timeout: 'soon' is not a number"),
            (["-t", "0", "x"], "--timeout: '0' is not a number"),
            (["-s"], "--socket"),
            (["-s", "tcp:127.0.0.1:1", "x"], "expected unix:PATH"),
            (["--json=maybe", "x"], "--json"),
            (["help", "a", "b"], "usage: sipringctl help [METHOD]"),
        ]
        for args, says in cases:
            with self.subTest(args=args):
                r = self.ctl(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(says, r.stderr)
                self.assertEqual(r.stdout, "")

    def test_help_flag_prints_usage_and_exits_0(self):
        r = self.ctl("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: sipringctl", r.stdout)

    # --- socket selection ---------------------------------------------------------------

    def test_sipring_ctl_environment_variable_selects_the_socket(self):
        srv = self.serve(result_of("pong"))
        r = self.ctl("core.ping", env={"SIPRING_CTL": self.spec})
        self.assertEqual((r.returncode, r.stdout), (0, "pong\n"), r.stderr)
        # A bare path works too, and -s wins over the environment.
        r = self.ctl("-s", self.path, "core.ping",
                     env={"SIPRING_CTL": "unix:" + os.path.join(self.dir, "elsewhere")})
        self.assertEqual((r.returncode, r.stdout), (0, "pong\n"), r.stderr)
        r = self.ctl("--socket=" + self.spec, "core.ping")
        self.assertEqual((r.returncode, r.stdout), (0, "pong\n"), r.stderr)
        self.assertEqual(len(srv.requests), 3)

    # --- help ---------------------------------------------------------------------------

    def test_help_lists_methods_and_help_method_describes_one(self):
        def reply(req):
            if req["method"] == "system.listMethods":
                result = ["cfg.get", "cfg.set", "system.help", "system.listMethods"]
            else:
                result = "cfg.set MODULE NAME VALUE\n    sets a parameter"
            return {"jsonrpc": "2.0", "result": result, "id": req["id"]}
        srv = self.serve(reply)
        self.assertEqual(self.call("help"), "cfg.get\ncfg.set\nsystem.help\nsystem.listMethods\n")
        self.assertEqual(self.call("help", "cfg.set"),
                         "cfg.set MODULE NAME VALUE\n    sets a parameter\n")
        self.assertEqual([(q["method"], q["params"]) for q in srv.requests],
                         [("system.listMethods", []), ("system.help", ["cfg.set"])])


if __name__ == "__main__":
    unittest.main()
