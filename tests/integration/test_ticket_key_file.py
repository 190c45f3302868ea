"""tls.ticket_key_file: session tickets shared by two sipring nodes through one key file in
HAProxy's tls-ticket-keys format (base64 lines of 48 or 80 bytes; the last 3 lines used, the
second-to-last sealing).

Two sipring processes (one reactor each) read the same file, as nodes behind a balancer do. The
clients are Python's ssl (OpenSSL 3: `session=` on wrap_socket, `session_reused`) and the
`openssl s_client` command line (`-sess_out` on node A, `-sess_in` on node B, "Reused" in its
summary). The file is rotated the way HAProxy's documentation describes (drop the first line,
append a new key; written to a temporary file and renamed into place) and every node picks it up
by itself (tls.auto_reload). Also: a ticket whose key left the file gets a full handshake and no
error; a file group or others may read is refused at start and at reload; a malformed file at
reload changes nothing; the key material never appears in a daemon's log nor in RPC answers.
"""

import base64
import hashlib
import os
import shutil
import tempfile
import unittest

import harness as h
from s_client import s_client_request

DELAY_MS = 200  # tls.auto_reload_delay_ms
PICKUP_TIMEOUT = 5.0


def new_key(size):
    return os.urandom(size)


def fingerprint(key):
    """tls.ticket_keys' fingerprint: the first 4 bytes of SHA-256 of the 16-byte key name."""
    return hashlib.sha256(key[:16]).hexdigest()[:8]


def write_keys(path, keys, mode=0o600, text=None):
    """Writes the key file as a rotation tool does: a temporary file, then a rename."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text if text is not None else
                "".join(base64.b64encode(k).decode() + "\n" for k in keys))
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def rpc(daemon, method):
    return h.ctl_raw(daemon, {"jsonrpc": "2.0", "id": 1, "method": method})


class TicketKeyFile(unittest.TestCase):
    SIZE = 80  # AES-256 keys; the 48-byte variant below

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sipring-it-tickets.")
        self.addCleanup(shutil.rmtree, self.dir, True)
        os.chmod(self.dir, 0o700)
        self.path = os.path.join(self.dir, "tls-ticket-keys")
        self.history = [new_key(self.SIZE) for _ in range(3)]
        # OpenSSL resumes a session only through the context that made it: one per version.
        self.ctx = {v: h.client_context(v) for v in ("1.2", "1.3")}
        write_keys(self.path, self.history)

    def node(self, **extra):
        params = {("sipring", "reactors"): 1,
                  ("tls", "ticket_key_file"): self.path,
                  ("tls", "auto_reload_delay_ms"): DELAY_MS}
        params.update(extra)
        return h.start_daemon(self, params=params)

    def rotate(self, *nodes):
        """HAProxy's rotation: drop the first key, append a new one; waits for every node."""
        self.history.append(new_key(self.SIZE))
        write_keys(self.path, self.history[-3:])
        self.wait_keys(nodes, self.history[-3:])

    def wait_keys(self, nodes, keys):
        want = [fingerprint(k) for k in keys]
        for d in nodes:
            got = h.wait_until(lambda: rpc(d, "tls.ticket_keys")["result"]["fingerprints"] == want,
                               PICKUP_TIMEOUT)
            self.assertTrue(got, "node did not load the rotated file; log:\n%s" % d.log_text(20))

    def session_from(self, d, version):
        c = h.connect_for(self, d.port, ctx=self.ctx[version])
        h.exchange(self, c, h.Request("OPTIONS"))  # a TLS 1.3 ticket comes with the answer
        session = c.sock.session
        self.assertFalse(c.sock.session_reused)
        c.close()
        return session

    def resumes(self, d, version, session):
        c = h.connect(d.port, ctx=self.ctx[version], session=session)
        try:
            h.exchange(self, c, h.Request("OPTIONS", cseq=2))
            return c.sock.session_reused, c.sock.session
        finally:
            c.close()

    def assert_no_key_material(self, *nodes):
        secrets = []
        for k in self.history:
            secrets += [base64.b64encode(k).decode(), k.hex(), k.hex().upper(), k[16:].hex(),
                        base64.b64encode(k[16:]).decode()[:20]]
        for d in nodes:
            text = "\n".join(d.log_lines())
            text += str(rpc(d, "tls.ticket_keys")) + str(rpc(d, "tls.options"))
            text += str(rpc(d, "cfg.list"))
            for s in secrets:
                self.assertNotIn(s, text)

    def test_a_session_from_node_a_resumes_on_node_b_and_across_rotations(self):
        a, b = self.node(), self.node()
        self.wait_keys((a, b), self.history)
        info = rpc(a, "tls.ticket_keys")["result"]
        self.assertEqual(info["file"], self.path)
        self.assertEqual((info["keys"], info["sealing"], info["bits"]),
                         (3, 1, 256 if self.SIZE == 80 else 128))
        for version in ("1.3", "1.2"):
            with self.subTest(version=version):
                s = self.session_from(a, version)
                reused, _ = self.resumes(b, version, s)
                self.assertTrue(reused, "a session from node A did not resume on node B")

        # One rotation: the ticket's key (old second-to-last) is still in the file.
        s12 = self.session_from(a, "1.2")
        s13 = self.session_from(b, "1.3")
        self.rotate(a, b)
        renewed_before = h.counters(b.stats())["tickets_renewed"]
        for version, s, d in (("1.2", s12, b), ("1.3", s13, a)):
            with self.subTest(version=version, after="one rotation"):
                reused, _ = self.resumes(d, version, s)
                self.assertTrue(reused, "a ticket whose key is still in the file did not resume")
        self.assertGreaterEqual(h.counters(b.stats())["tickets_renewed"], renewed_before + 1)

        # Two more: the key left the file: a full handshake, no error.
        self.rotate(a, b)
        self.rotate(a, b)
        failures = [h.counters(d.stats())["handshake_failures"] for d in (a, b)]
        unknown = h.counters(a.stats())["tickets_unknown_key"]
        for version, s in (("1.2", s12), ("1.3", s13)):
            with self.subTest(version=version, after="key left the file"):
                reused, _ = self.resumes(a, version, s)
                self.assertFalse(reused)
        e = h.counters(a.stats())
        self.assertGreaterEqual(e["tickets_unknown_key"], unknown + 2, e)
        self.assertEqual([h.counters(d.stats())["handshake_failures"] for d in (a, b)], failures)
        self.assertEqual(e["ticket_key_refused"], 0, e)
        self.assertGreaterEqual(e["ticket_key_loads"], 4, e)
        self.assertTrue(any("session-ticket keys from tls.ticket_key_file" in l
                            for l in a.log_lines()))
        self.assert_no_key_material(a, b)
        for d in (a, b):
            d.stop()

    @unittest.skipUnless(shutil.which("openssl"), "SKIP: no openssl command line")
    def test_openssl_s_client_session_from_node_a_resumes_on_node_b(self):
        a, b = self.node(), self.node()
        for flag in ("-tls1_3", "-tls1_2"):
            with self.subTest(version=flag):
                sess = os.path.join(self.dir, "sess" + flag)
                req = h.Request("OPTIONS").encode()
                first = s_client_request(a.port, flag, req, sess_out=sess)
                self.assertIn("SIP/2.0 200", first)
                self.assertIn("New,", first)
                self.assertTrue(os.path.exists(sess), first)
                second = s_client_request(b.port, flag, req, sess_in=sess)
                self.assertIn("SIP/2.0 200", second)
                self.assertIn("Reused,", second, second)
                # After one rotation the session still resumes on either node.
                self.rotate(a, b)
                third = s_client_request(a.port, flag, req, sess_in=sess)
                self.assertIn("Reused,", third, third)
        self.assert_no_key_material(a, b)

    def test_set_at_runtime_read_by_the_rpc_then_watched(self):
        d = h.start_daemon(self, params={("sipring", "reactors"): 1,
                                         ("tls", "auto_reload_delay_ms"): DELAY_MS})
        info = rpc(d, "tls.ticket_keys")["result"]
        self.assertEqual((info["file"], info["keys"], info["bits"]), ("", 1, 128))
        s = self.session_from(d, "1.3")  # sealed with the per-process key
        r = h.ctl_raw(d, {"jsonrpc": "2.0", "id": 1, "method": "cfg.set_now_string",
                          "params": ["tls", "ticket_key_file", self.path]})
        self.assertNotIn("error", r)
        r = rpc(d, "tls.ticket_keys_reload")
        self.assertEqual(r["result"]["fingerprints"], [fingerprint(k) for k in self.history], r)
        reused, _ = self.resumes(d, "1.3", s)
        self.assertFalse(reused)  # its key is gone: a full handshake
        self.rotate(d)  # the file set at runtime is watched
        self.assertTrue(any("automatic reload: session-ticket keys from" in l
                            for l in d.log_lines()), d.log_text(10))
        self.assert_no_key_material(d)
        d.stop()

    def test_a_file_others_may_read_is_refused_at_start(self):
        os.chmod(self.path, 0o644)
        text = h.config_text(h.free_port(), {("sipring", "reactors"): 1,
                                             ("tls", "ticket_key_file"): self.path})
        code, err, _ = h.run_config(self, text)
        self.assertNotEqual(code, 0, err)
        self.assertIn("has mode 0644", err)
        self.assertIn("chmod 600", err)
        for k in self.history:
            self.assertNotIn(base64.b64encode(k).decode(), err)

    def test_a_bad_file_at_reload_changes_nothing_and_says_why(self):
        d = self.node()
        good = [fingerprint(k) for k in self.history]
        self.wait_keys((d,), self.history)
        s = self.session_from(d, "1.3")
        lines = [base64.b64encode(k).decode() for k in self.history]
        cases = [
            ("mode", 0o644, "".join(l + "\n" for l in lines[1:])
             + base64.b64encode(new_key(self.SIZE)).decode() + "\n", "has mode 0644"),
            ("base64", 0o600, lines[0] + "\n" + lines[1][:10] + "*" + lines[1][11:] + "\n"
             + lines[2] + "\n", "line 2: not base64: column 11"),
            ("length", 0o600, lines[0] + "\n" + base64.b64encode(os.urandom(60)).decode() + "\n"
             + lines[2] + "\n", "line 2: decodes to 60 bytes"),
            ("mixed", 0o600, lines[0] + "\n" + lines[1] + "\n"
             + base64.b64encode(os.urandom(48 if self.SIZE == 80 else 80)).decode() + "\n",
             "line 3: a "),
            ("too few", 0o600, lines[0] + "\n" + lines[1] + "\n", "holds 2 key(s)"),
            ("empty", 0o600, "", "is empty"),
        ]
        refused = 0
        for name, mode, text, why in cases:
            with self.subTest(case=name):
                write_keys(self.path, self.history, mode=mode, text=text)
                refused += 1
                got = h.wait_until(lambda: rpc(d, "tls.ticket_keys")["result"]["refused"]
                                   == refused, PICKUP_TIMEOUT)
                info = rpc(d, "tls.ticket_keys")["result"]
                self.assertTrue(got, "the watcher did not refuse it; log:\n%s" % d.log_text(10))
                self.assertIn(why, info["last_error"])
                self.assertEqual(info["fingerprints"], good)  # nothing changed
                # The explicit RPCs answer why, and change nothing either.
                r = rpc(d, "tls.ticket_keys_reload")
                self.assertIn(why, r["error"]["message"])
                r = rpc(d, "tls.reload")
                self.assertIn(why, r["error"]["message"])
                self.assertIn("nothing changed", r["error"]["message"])
                refused += 2
                self.assertEqual(rpc(d, "tls.ticket_keys")["result"]["fingerprints"], good)
                reused, _ = self.resumes(d, "1.3", s)
                self.assertTrue(reused)
        self.assertTrue(any("the session-ticket keys in use are unchanged" in l
                            for l in d.log_lines()))
        self.assertEqual(h.counters(d.stats())["ticket_key_refused"], refused)
        # A good file again is taken, by tls.ticket_keys_reload as well.
        write_keys(self.path, self.history)
        r = rpc(d, "tls.ticket_keys_reload")
        self.assertEqual(r["result"]["fingerprints"], good, r)
        self.assertEqual(r["result"]["last_error"], "")
        self.assert_no_key_material(d)
        d.stop()


class TicketKeyFile128(TicketKeyFile):
    SIZE = 48


if __name__ == "__main__":
    unittest.main()
