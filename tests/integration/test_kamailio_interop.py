"""Interop with Kamailio 5.6 and its tls module (OpenSSL 3), both ways round.

1. Kamailio as TLS client: a plain-TCP SIP client sends OPTIONS/INVITE to Kamailio, whose route
   relays them with tm over TLS to sipring (demo core), and gets sipring's 200 OK back through
   Kamailio. sipring's control socket (tls.list, tls.facts) shows the connection is Kamailio's,
   its TLS version and the verified client certificate Kamailio presented.
2. sipring as TLS client: sipring-load sends requests to Kamailio's TLS listener (every request
   answered with a stateless 200), with and without a client certificate that Kamailio requires.
3. Revocation both ways: sipring's crl refuses Kamailio's revoked client certificate, and
   Kamailio's crl refuses sipring-load's revoked one.

Each test starts its own Kamailio on free loopback ports from the templates in kamailio/ (in
the foreground, -DD -E, its own session so every worker can be found and killed) and stops it
afterwards; every wait is bounded. All tests are skipped when kamailio or its tls module is
not installed (Debian: kamailio, kamailio-tls-modules).
"""

import ctypes
import glob
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import harness as h

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "kamailio")
KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"
MODULE_DIRS = ["/usr/lib/x86_64-linux-gnu/kamailio/modules", "/usr/lib/kamailio/modules",
               "/usr/local/lib64/kamailio/modules", "/usr/local/lib/kamailio/modules"]
MODULE_DIRS += sorted(glob.glob("/usr/lib/*/kamailio/modules"))


def _module_dir():
    for d in MODULE_DIRS:
        if os.path.exists(os.path.join(d, "tls.so")):
            return d
    return None


def _missing():
    if not os.access(KAMAILIO, os.X_OK):
        return "kamailio is not installed (apt-get install kamailio kamailio-tls-modules)"
    d = _module_dir()
    if d is None:
        return "Kamailio's tls module is not installed (apt-get install kamailio-tls-modules)"
    for m in ("sl", "tm", "pv", "textops", "xlog"):
        if not os.path.exists(os.path.join(d, m + ".so")):
            return "Kamailio module %s.so is missing in %s" % (m, d)
    return None


MISSING = _missing()
needs_kamailio = unittest.skipIf(MISSING is not None, MISSING or "")


# --- Kamailio process control ---------------------------------------------------------------

def _preexec(nofile):
    def run():
        # The test's fd limit may be below the hard limit; Kamailio refuses to start when
        # open_files_limit cannot be set, so make the soft limit the one it will ask for.
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        # If the runner dies, the main process gets SIGTERM and stops all its workers.
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
        except OSError:
            pass
    return run


def _proc_pgid_and_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return int(rest[2]), rest[0]
    except (OSError, IndexError, ValueError):
        return None, None


def _exe(pid):
    try:
        return os.readlink("/proc/%d/exe" % pid)
    except OSError:
        return None


class Kamailio:
    """One Kamailio instance (main process + workers, all in the session the test created for
    it). Create with start_kamailio(test, ...) so that it is always stopped."""

    START_TIMEOUT = 15.0

    def __init__(self, workdir, sip_port, tls_port):
        self.workdir = workdir
        self.sip_port = sip_port  # plain TCP
        self.tls_port = tls_port
        self.log_path = os.path.join(workdir, "kamailio.log")
        self.proc = None
        self.pgid = None
        self.exe = os.path.realpath(KAMAILIO)
        self.final_log = None  # the log's lines once stopped (the run dir is removed then)

    def pids(self):
        """Live (non-zombie) processes of this instance: every kamailio process in its
        session's process group (Kamailio forks all workers from the main process; with -DD it
        never calls setsid, so they stay in the group)."""
        out = []
        if self.pgid is None:
            return out
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            pgid, state = _proc_pgid_and_state(pid)
            if pgid == self.pgid and state != "Z" and _exe(pid) == self.exe:
                out.append(pid)
        return sorted(out)

    def log_text(self, last=60):
        """The last `last` lines of Kamailio's stderr (kept after stop())."""
        if self.final_log is not None:
            lines = self.final_log
        else:
            try:
                with open(self.log_path, errors="replace") as f:
                    lines = f.read().splitlines()
            except OSError:
                lines = []
        return "\n".join(lines[-last:])

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM to the main process (it stops its workers), 5 s, then SIGKILL for whatever
        is left of the process group; bounded, never fails."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        left = self.pids()
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        h.wait_until(lambda: not self.pids(), 5)
        if self.final_log is None:
            self.final_log = self.log_text(10 ** 6).splitlines()


def _render(template, out, values):
    with open(os.path.join(TEMPLATES, template)) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace("@%s@" % k, v)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise AssertionError("unreplaced placeholders in %s: %s" % (template, left))
    with open(out, "w") as f:
        f.write(text)


def start_kamailio(test, ca, server_cert, server_key, server_verify=False,
                   server_require=False, server_extra=(), client_extra=(), relay_du=None,
                   fr_timer_ms=3000):
    """Starts Kamailio for `test` on free loopback ports (plain TCP + TLS) from the templates
    in kamailio/ and registers its stop. relay_du: relay every request there with tm (Kamailio
    as TLS client); None: answer every request with a stateless 200 (TLS server).
    server_extra / client_extra: "key = value" lines for the tls.cfg profiles."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nofile = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    for attempt in range(5):
        workdir = tempfile.mkdtemp(prefix="sipring-it-kam.")
        test.addCleanup(shutil.rmtree, workdir, True)
        sip_port, tls_port = h.free_port(), h.free_port()
        if sip_port == tls_port:
            continue
        tls_cfg = os.path.join(workdir, "tls.cfg")
        _render("tls.cfg", tls_cfg, {
            "CA": ca, "SERVER_CERT": server_cert, "SERVER_KEY": server_key,
            "SERVER_VERIFY": "yes" if server_verify else "no",
            "SERVER_REQUIRE": "yes" if server_require else "no",
            "SERVER_EXTRA": "\n".join(server_extra), "CLIENT_EXTRA": "\n".join(client_extra),
        })
        k = Kamailio(workdir, sip_port, tls_port)
        args = [KAMAILIO, "-f", os.path.join(TEMPLATES, "kamailio.cfg"),
                "-DD", "-E",          # foreground, log to stderr
                "--atexit=no",        # libssl's atexit handlers touch freed shm on exit
                "-L", _module_dir(),
                "-Y", workdir, "-w", workdir, "-P", os.path.join(workdir, "kamailio.pid"),
                "-m", "64", "-M", "8", "-x", "tlsf",
                "-A", "SIP_PORT=%d" % sip_port, "-A", "TLS_PORT=%d" % tls_port,
                "-A", 'TLS_CONFIG="%s"' % tls_cfg, "-A", "OPEN_FILES=%d" % nofile,
                "-A", "FR_TIMER_MS=%d" % fr_timer_ms]
        if relay_du:
            args += ["-A", 'RELAY_DU="%s"' % relay_du]
        with open(k.log_path, "wb") as log:
            k.proc = subprocess.Popen(args, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True,
                                      preexec_fn=_preexec(nofile))
        k.pgid = k.proc.pid
        test.addCleanup(k.stop)
        _register(test, k)
        if _wait_ready(k):
            return k
        k.stop()
        if "Address already in use" not in k.log_text(200):
            raise AssertionError("kamailio did not start; log:\n%s" % k.log_text())
    raise AssertionError("kamailio: no free port pair after 5 attempts")


def _register(test, k):
    if "_kamailios" not in vars(test):
        test._kamailios = []
    test._kamailios.append(k)


def _wait_ready(k):
    """Ready = both ports listening and the process set unchanged for 3 polls (the sockets are
    bound before the workers are forked). False if the main process exited first."""
    deadline = time.monotonic() + Kamailio.START_TIMEOUT
    prev, stable = None, 0
    while time.monotonic() < deadline:
        if not k.alive():
            return False
        if h.listening_sockets(k.sip_port) and h.listening_sockets(k.tls_port):
            cur = k.pids()
            stable = stable + 1 if cur == prev else 0
            prev = cur
            if stable >= 3:
                return True
        time.sleep(0.1)
    raise AssertionError("kamailio not ready within %.0f s; log:\n%s"
                         % (Kamailio.START_TIMEOUT, k.log_text()))


# --- a plain-TCP SIP client (the UA in front of Kamailio) -----------------------------------

class TcpUa:
    """A SIP UA over plain TCP with Content-Length framing (harness.parse_one)."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection((h.HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.local = self.sock.getsockname()[:2]
        self.buf = bytearray()

    def request(self, method, cseq=1, body=b"", extra_headers=()):
        r = h.Request(method, cseq=cseq, body=body, extra_headers=extra_headers,
                      uri="sip:service@localhost",
                      vias=["SIP/2.0/TCP %s:%d;branch=z9hG4bK-ki-%d-%d;rport"
                            % (self.local[0], self.local[1], os.getpid(), int(time.time() * 1e6))])
        self.sock.sendall(r.encode())
        return r

    def read_message(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            msg, used = h.parse_one(self.buf)
            if msg is not None:
                del self.buf[:used]
                return msg
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                return None
            self.buf += data

    def final_response(self, req, timeout):
        """The first final (>= 200) response to req within `timeout`, or None; provisional
        ones (tm's 100 Trying) are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.read_message(max(0.0, deadline - time.monotonic()))
            if msg is None:
                return None
            if msg.key() != req.key():
                continue
            code = int(msg.start_line.split()[1])
            if code >= 200:
                return msg

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def status_code(resp):
    return int(resp.start_line.split()[1])


SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"


class _KamailioCase(unittest.TestCase):
    """Shared set-up: a CA that can issue certificates (a copy of the demo CA every sipring in
    the harness trusts), with Kamailio's server and client certificates issued from it."""

    def setUp(self):
        self.ca_dir = h.private_ca(self)
        self.ca = os.path.join(self.ca_dir, "cacert.pem")
        self.srv_cert = os.path.join(self.ca_dir, "localhost-cert.pem")
        self.srv_key = os.path.join(self.ca_dir, "localhost-key.pem")
        self.kam_cert, self.kam_key = h.issue_client_cert(
            self.ca_dir, "kamailio-client", os.path.join(self.ca_dir, "kamailio-client"))

        # Registered first, so it runs last: after every Kamailio has stopped.
        self.addCleanup(self._print_kamailio_logs_on_failure)

    def _print_kamailio_logs_on_failure(self):
        # run_integration.py prints sipring's log next to a failure; this adds Kamailio's.
        # unittest tells cleanups nothing about the test's outcome, so look in its result for a
        # failure or error of this test or one of its subtests (_outcome exists since 3.4).
        result = getattr(getattr(self, "_outcome", None), "result", None)
        bad = getattr(result, "failures", []) + getattr(result, "errors", [])
        if not any(getattr(t, "test_case", t) is self for t, _ in bad):
            return
        for k in vars(self).get("_kamailios", []):
            sys.stderr.write("---- kamailio log (tcp %d, tls %d):\n%s\n"
                             % (k.sip_port, k.tls_port, k.log_text()))
        sys.stderr.flush()

    def sipring_server(self, extra=None, tls_log=1):
        """sipring verifying and requiring client certificates against the CA."""
        params = {("tls", "verify_certificate"): 1, ("tls", "require_certificate"): 1,
                  ("tls", "ca_list"): "certs/cacert.pem", ("tls", "tls_log"): tls_log}
        params.update(extra or {})
        return h.start_daemon(self, params=params)

    def relay_through(self, kam, method, body=b"", timeout=8.0):
        ua = TcpUa(kam.sip_port)
        self.addCleanup(ua.close)
        extra = ["Content-Type: application/sdp"] if body else []
        req = ua.request(method, body=body, extra_headers=extra)
        return req, ua.final_response(req, timeout)

    def assert_relayed_200(self, req, resp):
        if resp is None:
            self.fail("no final response to %s through Kamailio" % req.method)
        self.assertEqual(resp.start_line, "SIP/2.0 200 OK", resp.raw)
        # Only the UA's Via is left (Kamailio removes its own), with received/rport filled in.
        vias = resp.all("Via")
        self.assertEqual(len(vias), 1, resp.raw)
        branch = re.search(r";branch=([^;]+)", req.vias[0]).group(1)
        self.assertIn(";branch=%s" % branch, vias[0], resp.raw)
        self.assertEqual(resp.get("Call-ID"), req.call_id)
        self.assertEqual(resp.get("CSeq"), req.cseq)
        self.assertRegex(resp.get("To"), r";tag=")

    def kamailio_rows(self, daemon, kam):
        """tls.list rows of `daemon` whose client address is a socket held by Kamailio."""
        rc, rows, err = h.ctl(daemon, "tls.list")
        self.assertEqual(rc, 0, err)
        out = []
        for r in rows:
            ip, port = r["src"].rsplit(":", 1)
            owners = h.tcp_socket_owners((ip, int(port)), (h.HOST, daemon.port))
            if owners and owners <= set(kam.pids()):
                out.append(r)
        return out, rows

    def assert_refused_before_core(self, daemon):
        """sipring failed Kamailio's handshake(s) and nothing reached the core (with TLS 1.3
        Kamailio may send its request before the refusal arrives: it must be dropped)."""
        s = daemon.stats()
        e = s["engine"]
        self.assertGreaterEqual(e["handshake_failures"], 1, e)
        self.assertEqual((e["handshakes_full"], e["messages_in"], e["messages_out"]), (0, 0, 0), e)
        self.assertEqual(s["core"]["requests"], 0, s["core"])

    def assert_relay_refused(self, d, kam, reason, alert, why=None):
        """An OPTIONS through Kamailio gets tm's own failure answer because sipring refused
        Kamailio's handshake: sipring logged the refusal (tls_log=1) naming `reason` and a
        client address that Kamailio's log shows as its end of the failed connection, and
        Kamailio got the TLS `alert` (OpenSSL's text) from sipring; `why`, if given, is the
        certificate's own verification error the line must add after the reason."""
        req, resp = self.relay_through(kam, "OPTIONS")
        if resp is None:
            self.fail("Kamailio gave the UA no final response")
        # tm answers 408 when fr_timer expires (the TLS error does not end the transaction).
        self.assertIn(status_code(resp), (408, 477, 500, 503), resp.raw)
        self.assertEqual(self.kamailio_rows(d, kam)[0], [])
        pat = re.compile(r"TLS handshake failed from (127\.0\.0\.1:\d+): (\S+)(.*)")
        found = h.wait_until(lambda: [m for m in map(pat.search, d.log_lines()) if m], 3)
        self.assertTrue(found, "sipring did not log the refusal:\n" + d.log_text())
        self.assertEqual(len(found), 1, d.log_text())
        self.assertEqual(found[0].group(2), reason, d.log_text())
        if why is not None:
            self.assertIn("(%s)" % why, found[0].group(3), d.log_text())
        log = kam.log_text(400)
        self.assertIn("dst addr: %s\n" % found[0].group(1), log + "\n",
                      "the refused connection is not Kamailio's")
        self.assertIn(alert, log)
        self.assert_refused_before_core(d)

    def facts(self, daemon, conn_id):
        rc, f, err = h.ctl(daemon, "tls.facts", conn_id)
        self.assertEqual(rc, 0, err)
        return f


# --- 1. Kamailio as TLS client -> sipring ---------------------------------------------------

@needs_kamailio
class KamailioRelaysToSipringOverTls(_KamailioCase):

    def start_pair(self, sipring_extra=None, client_cert=True):
        d = self.sipring_server(sipring_extra)
        client = (["certificate = %s" % self.kam_cert, "private_key = %s" % self.kam_key]
                  if client_cert else [])
        kam = start_kamailio(self, self.ca, self.srv_cert, self.srv_key, client_extra=client,
                             relay_du="sip:%s:%d;transport=tls" % (h.HOST, d.port))
        return d, kam

    def check_kamailio_connection(self, d, kam, version):
        ours, rows = self.kamailio_rows(d, kam)
        self.assertEqual(len(ours), 1, "tls.list: %r; kamailio pids %r" % (rows, kam.pids()))
        self.assertEqual(len(rows), 1, rows)
        row = ours[0]
        self.assertEqual(row["state"], "established", row)
        self.assertEqual(row["sni"], "localhost", row)
        f = self.facts(d, row["id"])
        self.assertEqual(f["version"], version, f)
        self.assertFalse(f["client_role"], f)
        self.assertEqual(f["sni"], "localhost", f)
        return f

    def test_options_and_invite_relayed_over_tls13_get_200_and_client_cert_is_verified(self):
        d, kam = self.start_pair()
        req, resp = self.relay_through(kam, "OPTIONS")
        self.assert_relayed_200(req, resp)
        req, resp = self.relay_through(kam, "INVITE", body=SDP)
        self.assert_relayed_200(req, resp)
        f = self.check_kamailio_connection(d, kam, "TLSv1.3")
        self.assertRegex(f["cipher"], r"^TLS_AES_|^TLS_CHACHA20_", f)
        self.assertTrue(f["peer_presented"], f)
        self.assertTrue(f["peer_verified"], f)
        self.assertFalse(f["peer_revoked"], f)
        self.assertEqual(f["verify_result"], 0, f)
        self.assertEqual(f["peer"]["subject"]["cn"], "kamailio-client", f)
        self.assertEqual(f["peer"]["serial"], cert_serial(self.kam_cert), f)
        # Both requests reached sipring's core on the one connection Kamailio opened.
        s = d.stats()
        e = s["engine"]
        self.assertEqual((e["accepted"], e["handshakes_full"], e["handshake_failures"],
                          e["messages_in"], e["messages_out"]), (1, 1, 0, 2, 2), e)
        self.assertEqual((s["core"]["requests"], s["core"]["replies"]), (2, 2), s["core"])
        # SIGTERM with Kamailio's connection still open: clean exit, same counters.
        final = d.stop()
        self.assertEqual(final["core"]["replies"], 2, final)

    def test_relay_over_tls12_when_sipring_allows_only_tls12(self):
        d, kam = self.start_pair({("tls", "tls_method"): "TLSv1.2"})
        req, resp = self.relay_through(kam, "OPTIONS")
        self.assert_relayed_200(req, resp)
        f = self.check_kamailio_connection(d, kam, "TLSv1.2")
        self.assertRegex(f["cipher"], r"^TLS_ECDHE_ECDSA_WITH_", f)
        self.assertTrue(f["peer_presented"], f)
        self.assertTrue(f["peer_verified"], f)
        self.assertEqual(f["peer"]["subject"]["cn"], "kamailio-client", f)

    def test_without_client_certificate_sipring_sees_none_when_not_required(self):
        d, kam = self.start_pair({("tls", "verify_certificate"): 0,
                                  ("tls", "require_certificate"): 0}, client_cert=False)
        req, resp = self.relay_through(kam, "OPTIONS")
        self.assert_relayed_200(req, resp)
        f = self.check_kamailio_connection(d, kam, "TLSv1.3")
        self.assertFalse(f["peer_presented"], f)
        self.assertFalse(f["peer_verified"], f)
        self.assertIsNone(f["peer"], f)

    def test_sipring_requiring_a_certificate_refuses_kamailio_without_one(self):
        alerts = {"TLSv1.2+": "tlsv13 alert certificate required",
                  "TLSv1.2": "sslv3 alert handshake failure"}
        for method, alert in alerts.items():
            with self.subTest(sipring_tls_method=method):
                d, kam = self.start_pair({("tls", "tls_method"): method}, client_cert=False)
                self.assert_relay_refused(d, kam, "PEER_DID_NOT_RETURN_A_CERTIFICATE", alert)


def cert_serial(pem):
    r = subprocess.run(["openssl", "x509", "-in", pem, "-noout", "-serial"], capture_output=True,
                       text=True, timeout=10)
    return r.stdout.strip().split("=", 1)[1]


# --- 2. sipring as TLS client -> Kamailio ---------------------------------------------------

def load_args(kam, ca, tls, *extra):
    # --duration bounds the run when every connection is refused: rps mode stops sending at
    # --requests or at --duration (default 10 s), whichever comes first, and does not notice
    # that no connection is left.
    return ["rps", "--target", "%s:%d" % (h.HOST, kam.tls_port), "--tls", tls,
            "--connections", 2, "--requests", 20, "--duration", 3, "--ca", ca,
            "--sni", "localhost", "--max-seconds", 15, "--handshake-timeout-ms", 5000] + list(extra)


class _LoadCase(_KamailioCase):

    def load(self, kam, tls, *extra):
        rc, res, err = h.run_load(load_args(kam, self.ca, tls, *extra), timeout=40)
        if res is None:
            self.fail("sipring-load printed no result (exit %r): %s" % (rc, err))
        return rc, res

    def assert_all_answered(self, kam, tls, *extra):
        rc, res = self.load(kam, tls, *extra)
        got = (res["opened"], res["sent"], res["received"], res["lost"], res["mismatched"],
               res["unexpected_closes"], res["connect_failures"])
        if got != (2, 20, 20, 0, 0, 0, 0):
            self.fail("%s: %r" % (tls, res))
        self.assertEqual(res["tls"], tls)
        self.assertEqual(rc, 0, res)

    def assert_refused(self, kam, tls, *extra):
        """Kamailio refuses the client certificate (or its absence). In TLS 1.2 that fails the
        handshake: two connect failures. In TLS 1.3 the client's side of the handshake is over
        before the server checks its certificate, so sipring-load sends its requests and then
        gets Kamailio's alert: two unexpected closes with a TLS error, and every request lost."""
        rc, res = self.load(kam, tls, *extra)
        self.assertEqual(res["received"], 0, res)
        if tls == "TLSv1.2":
            self.assertEqual((res["opened"], res["sent"], res["connect_failures"]), (0, 0, 2), res)
            self.assertEqual(res["failed_or_unexpected_closes"], {"handshake-failed": 2}, res)
        else:
            self.assertEqual((res["opened"], res["unexpected_closes"], res["connect_failures"]),
                             (2, 2, 0), res)
            self.assertGreater(res["sent"], 0, res)
            self.assertEqual(res["lost"], res["sent"], res)
            self.assertEqual(res["failed_or_unexpected_closes"], {"tls-error": 2}, res)
        self.assertNotEqual(rc, 0, res)
        return res


@needs_kamailio
class SipringLoadAgainstKamailioTlsServer(_LoadCase):

    def test_sipring_load_gets_all_20_answers_over_tls13_and_tls12(self):
        kam = start_kamailio(self, self.ca, self.srv_cert, self.srv_key)
        for tls in ("TLSv1.3", "TLSv1.2"):
            with self.subTest(tls=tls):
                self.assert_all_answered(kam, tls)

    def test_kamailio_requiring_client_certs_refuses_sipring_load_without_one(self):
        kam = start_kamailio(self, self.ca, self.srv_cert, self.srv_key, server_verify=True,
                             server_require=True)
        for tls in ("TLSv1.3", "TLSv1.2"):
            with self.subTest(tls=tls):
                self.assert_refused(kam, tls)
        self.assertIn("peer did not return a certificate", kam.log_text(400))

    def test_kamailio_requiring_client_certs_accepts_sipring_load_with_a_valid_one(self):
        kam = start_kamailio(self, self.ca, self.srv_cert, self.srv_key, server_verify=True,
                             server_require=True)
        cert, key = h.issue_client_cert(self.ca_dir, "sipring-load",
                                        os.path.join(self.ca_dir, "sipring-load"))
        for tls in ("TLSv1.3", "TLSv1.2"):
            with self.subTest(tls=tls):
                self.assert_all_answered(kam, tls, "--cert", cert, "--key", key)
        # Kamailio verified it and logged whose it was.
        self.assertIn("client certificate subject:/O=sipring/CN=sipring-load", kam.log_text(400))


# --- 3. Revocation both ways -----------------------------------------------------------------

@needs_kamailio
class RevocationBothWays(_LoadCase):

    def test_sipring_crl_refuses_kamailios_revoked_client_cert_and_logs_it(self):
        crl = h.revoke_and_write_crl(self.ca_dir, [self.kam_cert],
                                     os.path.join(self.ca_dir, "crl.pem"))
        for method in ("TLSv1.2+", "TLSv1.2"):
            with self.subTest(sipring_tls_method=method):
                d = self.sipring_server({("tls", "crl"): crl, ("tls", "tls_method"): method},
                                        tls_log=1)
                kam = start_kamailio(self, self.ca, self.srv_cert, self.srv_key,
                                     client_extra=["certificate = %s" % self.kam_cert,
                                                   "private_key = %s" % self.kam_key],
                                     relay_du="sip:%s:%d;transport=tls" % (h.HOST, d.port))
                self.assert_relay_refused(d, kam, "CERTIFICATE_VERIFY_FAILED",
                                          "sslv3 alert certificate revoked",
                                          why="certificate revoked")

    def test_kamailio_crl_refuses_sipring_load_with_revoked_cert_and_accepts_unrevoked(self):
        good, good_key = h.issue_client_cert(self.ca_dir, "load-good",
                                             os.path.join(self.ca_dir, "load-good"))
        bad, bad_key = h.issue_client_cert(self.ca_dir, "load-revoked",
                                           os.path.join(self.ca_dir, "load-revoked"))
        crl = h.revoke_and_write_crl(self.ca_dir, [bad], os.path.join(self.ca_dir, "crl.pem"))
        kam = start_kamailio(self, self.ca, self.srv_cert, self.srv_key, server_verify=True,
                             server_require=True, server_extra=["crl = %s" % crl])
        for tls in ("TLSv1.3", "TLSv1.2"):
            with self.subTest(tls=tls, cert="revoked"):
                self.assert_refused(kam, tls, "--cert", bad, "--key", bad_key)
            # The same Kamailio still accepts an unrevoked certificate from the same CA.
            with self.subTest(tls=tls, cert="unrevoked"):
                self.assert_all_answered(kam, tls, "--cert", good, "--key", good_key)
        self.assertIn("certificate verify failed", kam.log_text(400))
        self.assertNotIn("CN=load-revoked", kam.log_text(400))


if __name__ == "__main__":
    unittest.main()
