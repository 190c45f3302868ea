"""tls.reload: certificates, keys and the tls.cfg file are re-read; new connections use them,
established ones keep theirs and never notice.

A private copy of the demo CA issues a fresh certificate (new serial) for "localhost" whenever a
test needs a new one; Python's ssl (OpenSSL 3) compares the DER it receives with the file's.
The load test uses asyncio with 200 connections, each checking every response it gets.
"""

import asyncio
import json
import os
import ssl
import subprocess
import time
import unittest

import harness as h

CONNS = 200
ROUNDS = 20
RESPONSE_TIMEOUT = 10.0
TEST_BUDGET = 110.0  # seconds; the whole load test must end well within 120 s


class _Reload(unittest.TestCase):
    def setUp(self):
        self.ca = h.private_ca(self)
        self.dir = os.path.dirname(self.ca)
        self.cert = os.path.join(self.dir, "live-cert.pem")
        self.key = os.path.join(self.dir, "live-key.pem")
        self.round = 0

    def new_cert(self):
        """Issues a new localhost certificate (new serial) under a fresh name; returns
        (cert, key, DER)."""
        self.round += 1
        cert, key = h.issue_server_cert(self.ca, "localhost",
                                        os.path.join(self.dir, "round%d" % self.round))
        return cert, key, h.pem_to_der(cert)

    def install(self, cert, key):
        """Puts cert/key in place of the live files atomically (rename), as an operator's
        deployment would."""
        for src, dst in ((cert, self.cert), (key, self.key)):
            tmp = dst + ".new"
            with open(src, "rb") as f, open(tmp, "wb") as g:
                g.write(f.read())
            os.replace(tmp, dst)

    def start(self, params=None):
        p = {("tls", "certificate"): self.cert, ("tls", "private_key"): self.key}
        p.update(params or {})
        return h.start_daemon(self, params=p)

    def reload(self, d):
        return h.ctl(d, "tls.reload")

    def peer_der(self, d):
        return h.peer_der(self, d.port)


# --- under load ----------------------------------------------------------------------------

class _Load:
    """200 asyncio TLS connections (half TLS 1.3, half 1.2), each sending one request at a
    time and checking that the response is the 200 OK for it (Call-ID and CSeq)."""

    def __init__(self, port, ctxs):
        self.port = port
        self.ctxs = ctxs  # connection i uses ctxs[i % len(ctxs)]
        self.stop = asyncio.Event()
        self.ok = 0
        self.lost = 0
        self.mismatched = []
        self.dropped = []
        self.conns = []
        self.versions = {}

    async def open(self, n):
        sem = asyncio.Semaphore(16)

        async def one(i):
            ctx = self.ctxs[i % len(self.ctxs)]
            async with sem:
                r, w = await asyncio.wait_for(
                    asyncio.open_connection(h.HOST, self.port, ssl=ctx,
                                            server_hostname=h.SERVER_NAME), 15)
                tls = w.get_extra_info("ssl_object")
                self.versions[tls.version()] = self.versions.get(tls.version(), 0) + 1
                return (i, r, w, tls.getpeercert(binary_form=True))

        self.conns = await asyncio.gather(*(one(i) for i in range(n)))

    @staticmethod
    async def read_message(reader):
        head = await reader.readuntil(b"\r\n\r\n")
        headers = {}
        lines = head.decode("utf-8", "replace").split("\r\n")
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers.setdefault(k.strip().lower(), v.strip())
        n = int(headers.get("content-length", "0"))
        if n:
            await reader.readexactly(n)
        return lines[0], headers

    async def exchange(self, i, reader, writer, cseq):
        call_id = "reload-%d-%d@load.example" % (os.getpid(), i)
        req = h.Request("OPTIONS", call_id=call_id, cseq=cseq)
        writer.write(req.encode())
        await writer.drain()
        start, headers = await asyncio.wait_for(self.read_message(reader), RESPONSE_TIMEOUT)
        if (start != "SIP/2.0 200 OK" or headers.get("call-id") != call_id
                or headers.get("cseq") != "%d OPTIONS" % cseq):
            self.mismatched.append((i, cseq, start, headers.get("call-id"), headers.get("cseq")))
            return False
        self.ok += 1
        return True

    async def run_one(self, i, reader, writer):
        cseq = 0
        while not self.stop.is_set():
            cseq += 1
            try:
                if not await self.exchange(i, reader, writer, cseq):
                    return cseq
            except asyncio.TimeoutError:
                self.lost += 1
                return cseq
            except (asyncio.IncompleteReadError, ConnectionError, OSError) as e:
                self.dropped.append((i, cseq, repr(e)))
                return cseq
        return cseq

    def close(self):
        for _, _, w, _ in self.conns:
            w.close()


async def _ctl_async(d, *args):
    proc = await asyncio.create_subprocess_exec(
        h.sipringctl_bin(), "-s", "unix:" + d.ctl_socket, *args,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 15)
    return proc.returncode, out.decode(), err.decode()


async def _peer_der_async(port, ctx):
    r, w = await asyncio.wait_for(
        asyncio.open_connection(h.HOST, port, ssl=ctx, server_hostname=h.SERVER_NAME), 10)
    try:
        der = w.get_extra_info("ssl_object").getpeercert(binary_form=True)
        req = h.Request("OPTIONS")
        w.write(req.encode())
        await w.drain()
        start, headers = await asyncio.wait_for(_Load.read_message(r), RESPONSE_TIMEOUT)
        return der, start, headers.get("call-id") == req.call_id
    finally:
        w.close()


class ReloadUnderLoad(_Reload):
    @staticmethod
    async def churn(port, stop, known):
        """New connections (TLS 1.3 and 1.2 in turn) while the reloads run: each handshake must
        succeed with one of the issued certificates and get its 200 OK. Returns (handshakes,
        failures)."""
        ctxs = [h.client_context("1.3"), h.client_context("1.2")]
        n, failures = 0, []
        while not stop.is_set():
            try:
                der, start, matched = await _peer_der_async(port, ctxs[n % 2])
                if der not in known or start != "SIP/2.0 200 OK" or not matched:
                    failures.append((n, der in known, start, matched))
            except (asyncio.TimeoutError, OSError, ssl.SSLError,
                    asyncio.IncompleteReadError) as e:
                failures.append((n, repr(e)))
            n += 1
        return n, failures

    def test_20_reloads_under_load_lose_nothing_and_each_new_connection_gets_that_rounds_cert(self):
        cert0, key0, der0 = self.new_cert()
        self.install(cert0, key0)
        d = self.start({("tls", "connection_timeout"): 600})
        issued = [self.new_cert() for _ in range(ROUNDS)]  # before the load: no CPU contention

        async def scenario():
            ctx = h.client_context()
            # Half TLS 1.3, half TLS 1.2: both record layers carry on across reloads.
            load = _Load(d.port, [h.client_context("1.3"), h.client_context("1.2")])
            await load.open(CONNS)
            tasks = [asyncio.ensure_future(load.run_one(i, r, w)) for i, r, w, _ in load.conns]
            churn = asyncio.ensure_future(self.churn(d.port, load.stop, known))
            rounds = []
            try:
                await asyncio.sleep(0.5)
                prev_der = der0
                for n, (cert, key, der) in enumerate(issued, 1):
                    before = load.ok
                    self.install(cert, key)
                    rc, out, err = await _ctl_async(d, "tls.reload")
                    got, start, matched = await _peer_der_async(d.port, ctx)
                    rounds.append((n, rc, err.strip(), got == der, got == prev_der, start,
                                   matched))
                    prev_der = der
                    await asyncio.sleep(0.1)
                    rounds[-1] += (load.ok - before,)
            finally:
                load.stop.set()
                done = await asyncio.wait_for(asyncio.gather(*tasks), 30)
                churned = await asyncio.wait_for(churn, 30)
            # Every connection still open and answering, after the last reload.
            final = await asyncio.gather(*(load.exchange(i, r, w, cseq + 1)
                                           for (i, r, w, _), cseq in zip(load.conns, done)),
                                         return_exceptions=True)
            # The probe and churn connections are closed by now (bounded wait for their FINs).
            for _ in range(50):
                info = await _ctl_async(d, "--json", "tls.info")
                if info[0] != 0 or json.loads(info[1])["opened_connections"] == CONNS:
                    break
                await asyncio.sleep(0.1)
            load.close()
            return load, rounds, final, info, churned

        t0 = time.monotonic()
        known = {der0} | {der for _, _, der in issued}
        load, rounds, final, info, churned = asyncio.run(
            asyncio.wait_for(scenario(), TEST_BUDGET))
        elapsed = time.monotonic() - t0

        self.assertEqual(len(load.conns), CONNS)
        self.assertEqual(load.versions, {"TLSv1.3": CONNS // 2, "TLSv1.2": CONNS // 2})
        self.assertTrue(all(c[3] == der0 for c in load.conns), "first connections: round 0 cert")
        for n, rc, err, is_new, is_prev, start, matched, served in rounds:
            with self.subTest(round=n):
                self.assertEqual(rc, 0, "tls.reload #%d: %s" % (n, err))
                self.assertTrue(is_new, "round %d: new connection did not get that round's "
                                        "certificate (previous one: %s)" % (n, is_prev))
                self.assertEqual(start, "SIP/2.0 200 OK")
                self.assertTrue(matched)
                self.assertGreater(served, 0, "the load stalled during round %d" % n)
        self.assertEqual(load.lost, 0)
        self.assertEqual(load.mismatched, [])
        self.assertEqual(load.dropped, [])
        self.assertEqual([f for f in final if f is not True], [], "not all 200 still answer")
        self.assertGreater(load.ok, CONNS * ROUNDS)
        handshakes, churn_failures = churned
        self.assertEqual(churn_failures, [], "new connections racing the reloads failed")
        self.assertGreater(handshakes, ROUNDS)
        self.assertLess(elapsed, 120)
        rc, out, err = info
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["opened_connections"], CONNS)
        e = h.counters(d.stats())
        self.assertEqual(e["idle_timeouts"], 0, e)
        d.stop()


# --- failures change nothing -----------------------------------------------------------------

class FailedReload(_Reload):
    def setUp(self):
        super().setUp()
        cert, key, self.der0 = self.new_cert()
        self.install(cert, key)
        self.d = self.start()
        self.old = h.connect_to(h.HOST, self.d.port)
        self.addCleanup(self.old.close)
        h.exchange(self, self.old, h.Request("OPTIONS", cseq=1))

    def assert_nothing_changed(self):
        self.assertEqual(self.peer_der(self.d), self.der0)
        h.exchange(self, self.old, h.Request("OPTIONS", cseq=2))
        rc, out, err = h.ctl(self.d, "tls.info")
        self.assertEqual(out["opened_connections"], 1)

    def test_garbage_certificate_file_fails_reload_naming_it_and_changes_nothing(self):
        with open(self.cert, "w") as f:
            f.write("this is not a PEM certificate\n")
        rc, out, err = self.reload(self.d)
        self.assertEqual(rc, 1, (out, err))
        self.assertEqual(out, "")
        self.assertIn(self.cert, err)
        self.assert_nothing_changed()

    def test_garbage_private_key_file_fails_reload_naming_it_and_changes_nothing(self):
        with open(self.key, "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        rc, out, err = self.reload(self.d)
        self.assertEqual(rc, 1, (out, err))
        self.assertIn(self.key, err)
        self.assert_nothing_changed()

    def test_missing_certificate_file_fails_reload_naming_it_and_changes_nothing(self):
        os.remove(self.cert)
        rc, out, err = self.reload(self.d)
        self.assertEqual(rc, 1, (out, err))
        self.assertIn(self.cert, err)
        self.assertIn("No such file", err)
        self.assert_nothing_changed()

    def test_certificate_not_matching_the_key_fails_reload_and_changes_nothing(self):
        cert, _, _ = self.new_cert()
        self.install(cert, self.key)  # key stays the old one
        rc, out, err = self.reload(self.d)
        self.assertEqual(rc, 1, (out, err))
        self.assertTrue(self.cert in err or self.key in err, err)
        self.assert_nothing_changed()

    def test_reload_rereads_the_named_files_but_not_the_main_config_file(self):
        # As in Kamailio, tls.reload re-reads the certificate/key files and tls.cfg, not the
        # modparam lines of the main config: a new path there needs a restart.
        cert, key, der = self.new_cert()
        with open(self.d.config_path) as f:
            text = f.read()
        self.assertIn(self.cert, text)
        with open(self.d.config_path, "w") as f:
            f.write(text.replace(self.cert, cert).replace(self.key, key))
        rc, out, err = self.reload(self.d)
        self.assertEqual(rc, 0, err)
        self.assertEqual(h.ctl(self.d, "cfg.get", "tls", "certificate")[1], self.cert)
        self.assertEqual(self.peer_der(self.d), self.der0)

    def test_reload_after_a_failed_one_succeeds_once_the_files_are_fixed(self):
        with open(self.cert, "w") as f:
            f.write("garbage\n")
        self.assertEqual(self.reload(self.d)[0], 1)
        cert, key, der = self.new_cert()
        self.install(cert, key)
        rc, out, err = self.reload(self.d)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.peer_der(self.d), der)
        h.exchange(self, self.old, h.Request("OPTIONS", cseq=2))
        self.assertEqual(self.old.sock.getpeercert(binary_form=True), self.der0)


# --- tls.cfg changes ------------------------------------------------------------------------

class ReloadTlsCfg(_Reload):
    def tls_cfg(self, name, cert, key):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write("[server:default]\ncertificate = %s\nprivate_key = %s\n" % (cert, key))
        return path

    def test_reload_picks_up_a_new_tls_cfg_set_at_runtime(self):
        cert_a, key_a, der_a = self.new_cert()
        cert_b, key_b, der_b = self.new_cert()
        cfg_a = self.tls_cfg("a-tls.cfg", cert_a, key_a)
        cfg_b = self.tls_cfg("b-tls.cfg", cert_b, key_b)
        d = h.start_daemon(self, params={("tls", "config"): cfg_a})
        old = h.connect_to(h.HOST, d.port)
        self.addCleanup(old.close)
        self.assertEqual(old.sock.getpeercert(binary_form=True), der_a)

        rc, out, err = h.ctl(d, "cfg.set_now_string", "tls", "config", cfg_b)
        self.assertEqual(rc, 0, err)
        self.assertEqual(h.ctl(d, "cfg.get", "tls", "config")[1], cfg_b)
        # Stored only: the contexts change at tls.reload.
        self.assertEqual(self.peer_der(d), der_a)

        rc, out, err = self.reload(d)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.peer_der(d), der_b)
        h.exchange(self, old, h.Request("OPTIONS"))
        self.assertEqual(old.sock.getpeercert(binary_form=True), der_a)
        old.close()
        d.stop()

    def test_reload_switches_from_module_parameters_to_a_tls_cfg(self):
        cert0, key0, der0 = self.new_cert()
        self.install(cert0, key0)
        d = self.start()
        cert_b, key_b, der_b = self.new_cert()
        cfg_b = self.tls_cfg("b-tls.cfg", cert_b, key_b)
        self.assertEqual(self.peer_der(d), der0)
        self.assertEqual(h.ctl(d, "cfg.set_now_string", "tls", "config", cfg_b)[0], 0)
        rc, out, err = self.reload(d)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.peer_der(d), der_b)
        d.stop()

    def test_reload_rereads_an_edited_tls_cfg(self):
        cert_a, key_a, der_a = self.new_cert()
        cert_b, key_b, der_b = self.new_cert()
        cfg = self.tls_cfg("tls.cfg", cert_a, key_a)
        d = h.start_daemon(self, params={("tls", "config"): cfg})
        self.assertEqual(self.peer_der(d), der_a)
        self.tls_cfg("tls.cfg", cert_b, key_b)
        rc, out, err = self.reload(d)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.peer_der(d), der_b)
        d.stop()

    def test_broken_tls_cfg_fails_reload_with_file_and_line_and_changes_nothing(self):
        cert_a, key_a, der_a = self.new_cert()
        cfg = self.tls_cfg("tls.cfg", cert_a, key_a)
        d = h.start_daemon(self, params={("tls", "config"): cfg})
        bad = os.path.join(self.dir, "bad-tls.cfg")
        with open(bad, "w") as f:
            f.write("[server:default]\ncertificate = %s\nno_such_attribute = 1\n" % cert_a)
        self.assertEqual(h.ctl(d, "cfg.set_now_string", "tls", "config", bad)[0], 0)
        rc, out, err = self.reload(d)
        self.assertEqual(rc, 1, (out, err))
        self.assertIn("%s:3:" % bad, err)
        self.assertEqual(self.peer_der(d), der_a)
        d.stop()

    def test_tls_cfg_without_server_domain_fails_reload_and_changes_nothing(self):
        cert_a, key_a, der_a = self.new_cert()
        cfg = self.tls_cfg("tls.cfg", cert_a, key_a)
        d = h.start_daemon(self, params={("tls", "config"): cfg})
        client_only = os.path.join(self.dir, "client-only.cfg")
        with open(client_only, "w") as f:
            f.write("[client:default]\nverify_certificate = no\n")
        self.assertEqual(h.ctl(d, "cfg.set_now_string", "tls", "config", client_only)[0], 0)
        rc, out, err = self.reload(d)
        self.assertEqual(rc, 1, (out, err))
        self.assertIn("server", err)
        self.assertIn("nothing changed", err)
        self.assertEqual(self.peer_der(d), der_a)
        d.stop()


if __name__ == "__main__":
    unittest.main()
