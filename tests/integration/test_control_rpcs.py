"""sipringctl end to end against a running sipring: the cfg.* RPCs on the shared config store
(values, errors, listings), the tls.* RPCs on real TLS connections (info, list, kill), and
runtime changes that every reactor must apply to connections it already holds
(connection_timeout, send_close_notify, tls_log).

The clients are Python's ssl module (OpenSSL 3); sipringctl is the real binary, run through
harness.ctl (`sipringctl -s unix:SOCKET --json ...`). Exit status 1 means "sipring said no".
"""

import os
import re
import socket
import subprocess
import time
import unittest

import harness as h

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")


def readme_params():
    """{"module.name": runtime(bool)} from README's generated parameter table, without the
    obsolete rows (refused by name, so never stored)."""
    with open(README) as f:
        text = f.read()
    start = text.index("<!-- PARAMS:BEGIN")
    end = text.index("<!-- PARAMS:END", start)
    out = {}
    for line in text[start:end].splitlines():
        m = re.match(r"^\| `([a-z_]+)\.([a-z_0-9]+)`", line)
        if not m or "Obsolete, refused" in line:
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        out[m.group(1) + "." + m.group(2)] = cells[4] == "yes"
    return out


def registry_params():
    """{"module.name": runtime(bool)} from `sipring --list-params` (README's table is generated
    from it), without the obsolete rows."""
    r = subprocess.run([h.sipring_bin(), "--list-params"], capture_output=True, text=True,
                       timeout=15)
    out = {}
    for line in r.stdout.splitlines():
        m = re.match(r"^\| `([a-z_]+)\.([a-z_0-9]+)`", line)
        if not m or "Obsolete, refused" in line:
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        out[m.group(1) + "." + m.group(2)] = cells[4] == "yes"
    return out


def addr(conn):
    return "%s:%d" % conn.local_addr


def plain_text_probe(port, timeout=3.0):
    """Sends an HTTP request in clear text to the TLS port and waits (bounded) for the server to
    close; returns the client's (ip, port)."""
    s = socket.create_connection((h.HOST, port), timeout=timeout)
    try:
        local = s.getsockname()[:2]
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        deadline = time.monotonic() + timeout
        while True:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                if not s.recv(4096):
                    break
            except ConnectionResetError:
                break
            except socket.timeout:
                raise AssertionError("server kept a plain-text connection open for %.1f s"
                                     % timeout)
    finally:
        s.close()
    return local


class _CtlCase(unittest.TestCase):
    PARAMS = None

    def setUp(self):
        self.d = h.start_daemon(self, params=self.PARAMS)

    def call(self, *args):
        """sipringctl --json ARGS; asserts success and returns the result."""
        rc, out, err = h.ctl(self.d, *args)
        self.assertEqual(rc, 0, "sipringctl %s: rc=%r stdout=%r stderr=%r" % (args, rc, out, err))
        return out

    def refused(self, *args):
        """sipringctl --json ARGS; asserts exit 1 ("the call failed"), nothing on stdout, and
        returns the message on stderr."""
        rc, out, err = h.ctl(self.d, *args)
        self.assertEqual(rc, 1, "sipringctl %s: rc=%r stdout=%r stderr=%r" % (args, rc, out, err))
        self.assertEqual(out, "", args)
        self.assertTrue(err.strip(), "no message for %s" % (args,))
        return err

    def get(self, module, name):
        return self.call("cfg.get", module, name)

    def conn_list(self):
        return self.call("tls.list")


# --- cfg.* values ---------------------------------------------------------------------------

class CfgValues(_CtlCase):
    def test_cfg_get_shows_the_config_file_values(self):
        self.assertEqual(self.get("tls", "connection_timeout"), 600)
        self.assertEqual(self.get("tls", "send_close_notify"), 1)
        self.assertEqual(self.get("tls", "tls_method"), "TLSv1.2+")
        self.assertEqual(self.get("sipring", "reactors"), 2)
        self.assertEqual(self.get("tls", "certificate"),
                         os.path.join(self.d.workdir, "certs", "server.pem"))

    def test_set_now_int_connection_timeout_180_then_cfg_get_shows_180(self):
        self.assertIsNone(self.call("cfg.set_now_int", "tls", "connection_timeout", 180))
        self.assertEqual(self.get("tls", "connection_timeout"), 180)
        # tls.options reads the same store.
        self.assertEqual(self.call("tls.options")["connection_timeout"], 180)

    def test_set_now_string_tls_config_path_then_cfg_get_shows_it(self):
        path = os.path.join(self.d.workdir, "other-tls.cfg")
        self.assertIsNone(self.call("cfg.set_now_string", "tls", "config", path))
        self.assertEqual(self.get("tls", "config"), path)
        # Only stored: the running TLS contexts change at tls.reload, so traffic goes on.
        c = h.connect_for(self, self.d.port)
        h.exchange(self, c, h.Request("OPTIONS"))

    def test_tls_log_alias_log_sets_tls_log(self):
        self.assertEqual(self.get("tls", "tls_log"), 3)
        self.call("cfg.set_now_int", "tls", "log", 1)
        self.assertEqual(self.get("tls", "tls_log"), 1)
        self.assertEqual(self.get("tls", "log"), 1)

    def test_tls_debug_alias_debug_sets_tls_debug(self):
        self.assertEqual(self.get("tls", "tls_debug"), 3)
        self.call("cfg.set_now_int", "tls", "debug", 2)
        self.assertEqual(self.get("tls", "tls_debug"), 2)
        self.assertEqual(self.get("tls", "debug"), 2)

    def test_set_now_string_with_decimal_text_on_int_parameter_converts_it_like_kamailio(self):
        # Kamailio's cfg framework converts a string to an int variable when it is a number.
        self.call("cfg.set_now_string", "tls", "connection_timeout", "45")
        self.assertEqual(self.get("tls", "connection_timeout"), 45)

    def test_low_mem_thresholds_change_at_runtime_and_show_in_cfg_get(self):
        # Their effect is in test_low_memory.py; 1 KB is never low, so nothing changes here.
        self.assertIsNone(self.call("cfg.set_now_int", "tls", "low_mem_threshold1", 1))
        self.assertIsNone(self.call("cfg.set_now_string", "tls", "low_mem_threshold2", "1"))
        self.assertEqual(self.get("tls", "low_mem_threshold1"), 1)
        self.assertEqual(self.get("tls", "low_mem_threshold2"), 1)
        self.assertEqual(self.call("tls.options")["low_mem_threshold2"], 1)

    def test_boolean_set_now_int_accepts_0_and_1(self):
        self.call("cfg.set_now_int", "tls", "send_close_notify", 0)
        self.assertEqual(self.get("tls", "send_close_notify"), 0)
        self.call("cfg.set_now_int", "tls", "send_close_notify", 1)
        self.assertEqual(self.get("tls", "send_close_notify"), 1)

    def test_core_version_names_sipring_and_boringssl(self):
        v = self.call("core.version")
        self.assertRegex(v, r"^sipring \d+\.\d+\.\d+")
        self.assertIn("BoringSSL", v)

    def test_core_stats_counts_the_requests_served(self):
        c = h.connect_for(self, self.d.port)
        for i in range(3):
            h.exchange(self, c, h.Request("OPTIONS", cseq=i + 1))
        s = self.call("core.stats")
        self.assertEqual(s["total"]["messages_in"], 3, s["total"])
        self.assertEqual(len(s["reactors"]), 2)
        self.assertEqual(sum(r["messages_in"] for r in s["reactors"]), 3)


# --- cfg.* errors ---------------------------------------------------------------------------

class CfgErrors(_CtlCase):
    def assert_unchanged(self):
        self.assertEqual(self.get("tls", "connection_timeout"), 600)
        self.assertEqual(self.get("tls", "send_close_notify"), 1)

    def test_unknown_parameter_is_refused_naming_module_and_parameter(self):
        err = self.refused("cfg.set_now_int", "tls", "no_such_param", 1)
        self.assertIn('"no_such_param"', err)
        self.assertIn('"tls"', err)
        err = self.refused("cfg.get", "tls", "no_such_param")
        self.assertIn('"no_such_param"', err)
        self.assert_unchanged()

    def test_unknown_module_is_refused_naming_the_module(self):
        err = self.refused("cfg.set_now_int", "nomod", "connection_timeout", 1)
        self.assertIn('"nomod"', err)
        err = self.refused("cfg.get", "nomod", "connection_timeout")
        self.assertIn('"nomod"', err)
        self.assert_unchanged()

    def test_cfg_list_of_unknown_module_is_refused_naming_it(self):
        # A typo ("tsl") must not look like a module without parameters.
        err = self.refused("cfg.list", "tsl")
        self.assertIn('"tsl"', err)

    def test_text_to_set_now_int_is_refused_naming_the_parameter(self):
        err = self.refused("cfg.set_now_int", "tls", "connection_timeout", "abc")
        self.assertIn("tls.connection_timeout", err)
        self.assertIn("integer", err)
        self.assert_unchanged()

    def test_non_numeric_text_to_int_parameter_by_set_now_string_is_refused(self):
        err = self.refused("cfg.set_now_string", "tls", "connection_timeout", "abc")
        self.assertIn("tls.connection_timeout", err)
        self.assertIn('"abc" is not an integer', err)
        self.assert_unchanged()

    def test_json_number_to_set_now_string_is_refused(self):
        # sipringctl always sends set_now_string's value as a string, so this goes raw.
        resp = h.ctl_raw(self.d, {"jsonrpc": "2.0", "id": 7, "method": "cfg.set_now_string",
                                  "params": ["tls", "config", 5]})
        self.assertEqual(resp.get("id"), 7, resp)
        self.assertNotIn("result", resp)
        self.assertEqual(resp["error"]["code"], 400, resp)
        self.assertIn("tls.config", resp["error"]["message"])
        self.assertIn("string", resp["error"]["message"])
        self.assertEqual(self.get("tls", "config"), "")

    def test_number_to_string_parameter_by_set_now_int_is_refused(self):
        err = self.refused("cfg.set_now_int", "tls", "config", 5)
        self.assertIn("tls.config", err)
        self.assertIn("string", err)
        self.assertEqual(self.get("tls", "config"), "")

    def test_out_of_range_values_are_refused_with_the_allowed_range(self):
        err = self.refused("cfg.set_now_int", "tls", "connection_timeout", 2592001)
        self.assertIn("tls.connection_timeout", err)
        self.assertIn("[-1, 2592000]", err)
        err = self.refused("cfg.set_now_int", "tls", "connection_timeout", -2)
        self.assertIn("[-1, 2592000]", err)
        err = self.refused("cfg.set_now_int", "tls", "tls_log", 101)
        self.assertIn("tls.tls_log", err)
        self.assertIn("[-5, 100]", err)
        # A boolean takes any number, non-zero meaning true, as Kamailio's do (so 2 is no
        # longer refused); a word that is no boolean still is.
        err = self.refused("cfg.set_now_string", "tls", "send_close_notify", "maybe")
        self.assertIn("tls.send_close_notify", err)
        self.assertIn("boolean", err)
        self.assert_unchanged()
        self.assertEqual(self.get("tls", "tls_log"), 3)

    def test_read_only_tls_parameters_are_refused_pointing_to_tls_reload_or_restart(self):
        cases = [("cfg.set_now_string", "tls", "certificate", "/tmp/other.pem"),
                 ("cfg.set_now_string", "tls", "tls_method", "TLSv1.3")]
        for method, module, name, value in cases:
            with self.subTest(param=name):
                err = self.refused(method, module, name, value)
                self.assertIn("%s.%s" % (module, name), err)
                self.assertIn("cannot change at runtime", err)
                self.assertIn("tls.reload", err)
                self.assertIn("restart", err)
        self.assertEqual(self.get("tls", "certificate"),
                         os.path.join(self.d.workdir, "certs", "server.pem"))
        self.assertEqual(self.get("tls", "tls_method"), "TLSv1.2+")

    def test_sipring_reactors_is_refused_saying_restart_without_promising_tls_reload(self):
        # The number of reactor threads is fixed at start: tls.reload rebuilds TLS contexts
        # only, so a message that sends the operator to tls.reload is wrong for this one.
        err = self.refused("cfg.set_now_int", "sipring", "reactors", 4)
        self.assertIn("sipring.reactors", err)
        self.assertIn("cannot change at runtime", err)
        self.assertIn("restart", err)
        self.assertNotIn("tls.reload", err)
        self.assertEqual(self.get("sipring", "reactors"), 2)

    def test_tls_disable_compression_0_is_refused_with_a_clear_message(self):
        # BoringSSL has no TLS compression; the parameter is also start-time only, so the RPC
        # refuses it for that reason first. The message must name it and say why.
        err = self.refused("cfg.set_now_int", "tls", "tls_disable_compression", 0)
        self.assertIn("tls.tls_disable_compression", err)
        self.assertIn("cannot change at runtime", err)
        self.assertEqual(self.get("tls", "tls_disable_compression"), 1)

    def test_obsolete_parameter_is_refused_saying_it_is_obsolete(self):
        err = self.refused("cfg.set_now_int", "tls", "send_timeout", 5)
        self.assertIn("tls.send_timeout", err)
        self.assertIn("obsolete", err)

    def test_missing_arguments_are_refused_with_the_signature(self):
        err = self.refused("cfg.set_now_int", "tls", "connection_timeout")
        self.assertIn("MODULE NAME INTEGER", err)
        self.assert_unchanged()


# --- cfg.list / tls.options -----------------------------------------------------------------

class CfgListing(_CtlCase):
    def listing(self):
        out = self.call("cfg.list")
        self.assertIsInstance(out, list)
        got = {}
        for row in out:
            self.assertEqual(sorted(row), ["module", "name", "runtime", "value"], row)
            key = "%s.%s" % (row["module"], row["name"])
            self.assertNotIn(key, got, "listed twice")
            got[key] = row
        return got

    def test_cfg_list_has_every_parameter_of_readme_table_with_value_and_runtime_flag(self):
        got = self.listing()
        want = readme_params()
        self.assertGreater(len(want), 30)
        missing = sorted(set(want) - set(got))
        self.assertEqual(missing, [], "README parameters missing from cfg.list")
        for key, runtime in sorted(want.items()):
            with self.subTest(param=key):
                self.assertEqual(got[key]["runtime"], runtime, "runtime flag of %s" % key)
                module, name = key.split(".")
                self.assertEqual(got[key]["value"], self.get(module, name))

    def test_cfg_list_matches_the_parameter_registry(self):
        got = self.listing()
        want = registry_params()
        self.assertEqual(sorted(set(want) - set(got)), [])
        self.assertEqual(sorted(set(got) - set(want)), [])
        for key, runtime in want.items():
            self.assertEqual(got[key]["runtime"], runtime, key)

    def test_cfg_list_values_are_the_config_files(self):
        got = self.listing()
        self.assertEqual(got["tls.connection_timeout"]["value"], 600)
        self.assertEqual(got["tls.connection_timeout"]["runtime"], True)
        self.assertEqual(got["tls.send_close_notify"]["value"], 1)
        self.assertEqual(got["tls.tls_method"]["value"], "TLSv1.2+")
        self.assertEqual(got["tls.tls_method"]["runtime"], False)
        self.assertEqual(got["sipring.reactors"]["value"], 2)
        self.assertEqual(got["sipring.max_message_size"]["value"], 65535)
        self.assertEqual(got["ctl.socket"]["value"], "unix:" + self.d.ctl_socket)

    def test_cfg_list_module_argument_lists_only_that_module(self):
        out = self.call("cfg.list", "sipring")
        self.assertTrue(out)
        self.assertEqual({r["module"] for r in out}, {"sipring"})

    def test_cfg_list_shows_a_runtime_change(self):
        self.call("cfg.set_now_int", "tls", "connection_timeout", 77)
        self.assertEqual(self.listing()["tls.connection_timeout"]["value"], 77)

    def test_tls_options_has_every_tls_parameter(self):
        opts = self.call("tls.options")
        self.assertIsInstance(opts, dict)
        tls_names = sorted(k.split(".")[1] for k in registry_params() if k.startswith("tls."))
        self.assertEqual(sorted(opts), tls_names)
        listed = self.listing()
        for name in tls_names:
            self.assertEqual(opts[name], listed["tls." + name]["value"], name)

    def test_human_readable_cfg_list_is_a_table(self):
        rc, out, err = h.ctl(self.d, "cfg.list", json_out=False)
        self.assertEqual(rc, 0, err)
        lines = out.rstrip("\n").split("\n")
        self.assertEqual(lines[0].split(), ["module", "name", "value", "runtime"])
        self.assertEqual(len(lines) - 1, len(registry_params()))
        rows = [l for l in lines[1:] if l.split()[:2] == ["tls", "connection_timeout"]]
        self.assertEqual(len(rows), 1, out)
        self.assertEqual(rows[0].split(), ["tls", "connection_timeout", "600", "true"])
        # Columns line up: every row's value starts where the header's "value" starts.
        col = lines[0].index("value")
        self.assertEqual(rows[0][col:].split()[0], "600")

    def test_human_readable_tls_options_are_key_value_lines(self):
        rc, out, err = h.ctl(self.d, "tls.options", json_out=False)
        self.assertEqual(rc, 0, err)
        lines = out.rstrip("\n").split("\n")
        self.assertEqual(len(lines), len([k for k in registry_params() if k.startswith("tls.")]))
        for l in lines:
            self.assertRegex(l, r"^[a-z_0-9]+: ")
        self.assertIn("connection_timeout: 600", lines)
        self.assertIn("tls_method: TLSv1.2+", lines)

    def test_human_readable_cfg_get_is_the_bare_value(self):
        rc, out, err = h.ctl(self.d, "cfg.get", "tls", "connection_timeout", json_out=False)
        self.assertEqual((rc, out), (0, "600\n"), err)


# --- tls.info / tls.list / tls.kill ---------------------------------------------------------

class TlsConnections(_CtlCase):
    def open(self, n):
        conns = []
        for i in range(n):
            c = h.connect_for(self, self.d.port)
            h.exchange(self, c, h.Request("OPTIONS"))
            conns.append(c)
        return conns

    def test_tls_info_counts_opened_connections(self):
        info = self.call("tls.info")
        self.assertEqual(info["opened_connections"], 0, info)
        conns = self.open(3)
        info = self.call("tls.info")
        self.assertEqual(info["opened_connections"], 3, info)
        self.assertEqual(info["clear_text_write_queued_bytes"], 0, info)
        self.assertGreater(info["max_connections"], 3, info)
        # The defences' state and the limits in force (README "Limits and defences").
        self.assertEqual(info["send_queued_bytes"], 0, info)
        self.assertEqual(info["partial_bytes"], 0, info)
        self.assertEqual(info["handshakes_in_progress"], 0, info)
        self.assertGreaterEqual(info["send_queue_budget"], 16 << 20, info)
        self.assertGreaterEqual(info["partial_budget"], 16 << 20, info)
        self.assertEqual(info["max_connections_per_source"], info["max_connections"] // 4, info)
        conns[0].close()
        h.wait_until(lambda: self.call("tls.info")["opened_connections"] == 2, 5)
        info = self.call("tls.info")
        self.assertEqual(info["opened_connections"], 2, info)

    def test_tls_list_shows_each_connection_with_domain_sni_cipher_state_and_client_address(self):
        conns = self.open(3)
        rows = self.conn_list()
        self.assertEqual(len(rows), 3, rows)
        by_src = {r["src"]: r for r in rows}
        self.assertEqual(sorted(by_src), sorted(addr(c) for c in conns))
        ids = set()
        for c in conns:
            r = by_src[addr(c)]
            self.assertRegex(r["id"], r"^[1-9][0-9]*$")
            ids.add(r["id"])
            self.assertEqual(r["domain"], "server:default")
            self.assertEqual(r["sni"], "localhost")
            self.assertRegex(r["cipher"], r"^TLS_AES_")
            self.assertEqual(r["cipher"], c.sock.cipher()[0])
            self.assertEqual(r["state"], "established")
            self.assertEqual(r["dst"], "%s:%d" % (h.HOST, self.d.port))
            self.assertEqual(r["queued"], 0)
            self.assertLessEqual(abs(r["timestamp"] - time.time()), 60)
            self.assertTrue(595 <= r["timeout"] <= 600, r)
        self.assertEqual(len(ids), 3)

    def test_tls_kill_closes_exactly_that_connection(self):
        conns = self.open(3)
        by_src = {r["src"]: r["id"] for r in self.conn_list()}
        victim = conns[1]
        victim_id = by_src[addr(victim)]
        self.assertIsNone(self.call("tls.kill", victim_id))
        kind, data = victim.wait_closed(timeout=5)
        self.assertEqual((kind, data), ("clean", b""))  # send_close_notify is 1
        for c in (conns[0], conns[2]):
            h.exchange(self, c, h.Request("OPTIONS", cseq=2))
        states = {r["src"]: r["state"] for r in self.conn_list()}
        self.assertEqual(states[addr(conns[0])], "established")
        self.assertEqual(states[addr(conns[2])], "established")
        # Until the peer's FIN (or the linger timer) the killed one may still show as closing.
        self.assertIn(states.get(addr(victim), "gone"), ("closing", "gone"))
        victim.close()
        h.wait_until(lambda: len(self.conn_list()) == 2, 5)
        self.assertEqual(sorted(r["src"] for r in self.conn_list()),
                         sorted([addr(conns[0]), addr(conns[2])]))
        # Killing it again: it is gone.
        err = self.refused("tls.kill", victim_id)
        self.assertIn(victim_id, err)

    def test_tls_kill_unknown_id_fails_with_a_clear_error(self):
        conns = self.open(1)
        err = self.refused("tls.kill", 12345)
        self.assertIn("no open connection 12345", err)
        err = self.refused("tls.kill", str(255 << 56 | 1))  # reactor 255 does not exist
        self.assertIn("no connection", err)
        err = self.refused("tls.kill", "not-a-number")
        self.assertIn("CONNECTION_ID", err)
        h.exchange(self, conns[0], h.Request("OPTIONS", cseq=2))
        self.assertEqual(self.call("tls.info")["opened_connections"], 1)


# --- runtime changes reach every reactor ----------------------------------------------------

def reactor_of(conn_id):
    return int(conn_id) >> 56


class RuntimeTimeoutOnEveryReactor(_CtlCase):
    PARAMS = {("tls", "connection_timeout"): 3}
    N = 20

    def open_on_both_reactors(self):
        conns = []
        for i in range(self.N):
            c = h.connect_for(self, self.d.port)
            h.exchange(self, c, h.Request("OPTIONS"))
            conns.append(c)
        rows = self.conn_list()
        self.assertEqual(len(rows), self.N)
        per = {}
        for r in rows:
            per[reactor_of(r["id"])] = per.get(reactor_of(r["id"]), 0) + 1
        self.assertEqual(sorted(per), [0, 1], "connections per reactor: %r" % per)
        return conns

    def test_connection_timeout_1_closes_idle_connections_on_both_reactors_within_3s(self):
        conns = self.open_on_both_reactors()
        self.call("cfg.set_now_int", "tls", "connection_timeout", 1)
        t0 = time.monotonic()
        for c in conns:
            left = t0 + 3.0 - time.monotonic()
            kind, data = c.wait_closed(timeout=max(left, 0.01))
            self.assertEqual((kind, data), ("clean", b""))
        self.assertLessEqual(time.monotonic() - t0, 3.0)
        e = h.counters(self.d.stats())
        self.assertEqual(e["idle_timeouts"], self.N, e)

    def test_connection_timeout_minus_1_keeps_idle_connections_on_both_reactors(self):
        conns = self.open_on_both_reactors()
        self.call("cfg.set_now_int", "tls", "connection_timeout", -1)
        time.sleep(4.5)  # past the 3 s they were opened with
        for c in conns:
            h.exchange(self, c, h.Request("OPTIONS", cseq=2))
        e = h.counters(self.d.stats())
        self.assertEqual(e["idle_timeouts"], 0, e)
        self.assertEqual(self.call("tls.info")["opened_connections"], self.N)
        self.assertEqual({r["timeout"] for r in self.conn_list()}, {-1})


class RuntimeCloseNotify(_CtlCase):
    PARAMS = {("tls", "send_close_notify"): 0}

    def test_send_close_notify_toggled_at_runtime_applies_to_later_closes(self):
        conns = []
        for i in range(3):
            c = h.connect_for(self, self.d.port, strict_eof=True)
            h.exchange(self, c, h.Request("OPTIONS"))
            conns.append(c)
        ids = {r["src"]: r["id"] for r in self.conn_list()}

        self.call("cfg.set_now_int", "tls", "send_close_notify", 1)
        self.call("tls.kill", ids[addr(conns[0])])
        self.assertEqual(conns[0].wait_closed(timeout=5), ("clean", b""))

        self.call("cfg.set_now_int", "tls", "send_close_notify", 0)
        self.call("tls.kill", ids[addr(conns[1])])
        self.assertEqual(conns[1].wait_closed(timeout=5), ("unclean", b""))

        self.call("cfg.set_now_int", "tls", "send_close_notify", 1)
        self.call("tls.kill", ids[addr(conns[2])])
        self.assertEqual(conns[2].wait_closed(timeout=5), ("clean", b""))


class RuntimeTlsLog(_CtlCase):
    PROBES = 16  # spread over both reactors (SO_REUSEPORT hashes each 4-tuple)

    def probe_lines(self):
        return [plain_text_probe(self.d.port) for _ in range(self.PROBES)]

    def test_failed_handshake_is_silent_by_default_and_logged_after_tls_log_1(self):
        quiet = self.probe_lines()
        time.sleep(0.5)  # the log pump is a thread; give it the time a logged line would take
        for a in quiet:
            self.assertEqual(self.d.lines_naming(a), [], "tls_log=3 (debug) logged %s:%d" % a)

        self.call("cfg.set_now_int", "tls", "log", 1)
        loud = self.probe_lines()
        missing = lambda: [a for a in loud if not self.d.lines_naming(a)]
        h.wait_until(lambda: not missing(), 3)
        self.assertEqual(missing(), [], "no log line for these; log:\n%s" % self.d.log_text())
        reactors = set()
        for a in loud:
            lines = self.d.lines_naming(a)
            self.assertEqual(len(lines), 1, lines)
            self.assertIn("handshake failed", lines[0])
            m = re.search(r"reactor (\d+)", lines[0])
            if m:
                reactors.add(int(m.group(1)))
        self.assertEqual(reactors, {0, 1}, "both reactors must use the new level")
        # Back to debug: silent again.
        self.call("cfg.set_now_int", "tls", "log", 3)
        again = self.probe_lines()
        time.sleep(0.5)
        for a in again:
            self.assertEqual(self.d.lines_naming(a), [])


if __name__ == "__main__":
    unittest.main()
