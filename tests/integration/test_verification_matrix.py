"""Certificate verification matrix, end to end with peers sipring did not write.

Server role: sipring (the daemon) judges the client certificates of Python ssl clients
(OpenSSL 3) under each way of asking for them (TLS manual 1.9.4-1.9.8 and Kamailio's
verify_client):
    on             verify_certificate=1, require_certificate=1
    optional       verify_client=optional (asked; if presented it must verify)
    off            verify_certificate=0 (not asked)
    optional_no_ca verify_client=optional_no_ca (asked; accepted whatever verification says)
and each client certificate: absent, valid, expired, revoked (in the CRL), signed by a CA that
is not in ca_list, and valid but for an unrelated name. Each cell asserts the handshake outcome
as the client sees it (the TLS alert sipring sent), sipring's log line for a refusal
(tls_log=1 makes it visible, naming the peer and the reason) and, for an accepted connection,
what tls.facts says (is_peer_verified() and the reasons why not).

Client role: sipring-load (sipring's engine as a TLS client) judges the certificate of a Python
ssl server that answers OPTIONS with 200 OK. sipring-load verifies with --ca (+ --crl) and does
not without; verify_client's optional modes belong to server domains, so those cells skip.
The server certificate kinds are the same, "wrong name" being a certificate whose names do not
include the one sipring checks (--sni localhost), and "absent" a server that offers only
anonymous cipher suites. Each cell asserts sipring-load's JSON counts and exit status, and the
alert the Python server received.

Then: verification with an empty ca_list fails every certificate (manual 1.9.6); verify_depth 0
refuses a chain that needs one intermediate CA and verify_depth 1 accepts it (the intermediate
is made with the openssl command: sipring-certs makes only root CAs); an encrypted server key
starts with the right private_key_password and refuses the start, naming the key file, with a
wrong or missing one; sipring-load's own client certificate (plain and encrypted key) as a
Python server that requires one sees it.

Each matrix cell is its own generated test method, so the runner prints one line per cell.
"""

import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

import harness as h

SERVER_NAME = "localhost"  # sipring's certificate, and the name sipring-load checks (--sni)

# X509_V_ERR_* codes (the same in BoringSSL and OpenSSL).
X509_OK = 0
X509_CERT_HAS_EXPIRED = 10
# The issuer of a lone certificate is not trusted. Verification that stops at the first error
# reports 20 ("unable to get local issuer certificate"); optional_no_ca goes on to the end and
# keeps the last one, 21 ("unable to verify the first certificate"), as OpenSSL would.
X509_UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21
X509_CERT_REVOKED = 23

TRUSTED_CA_CN = "Matrix Trusted CA"
WRONG_CA_CN = "Matrix Wrong CA"

KINDS = ("absent", "valid", "expired", "revoked", "wrong_ca", "wrong_name")

# Distinct subject names, so tls.facts shows which certificate arrived.
CLIENT_CN = {
    "valid": "alice.example.test",
    "expired": "expired-client.example.test",
    "revoked": "revoked-client.example.test",
    "wrong_ca": "stranger.example.test",
    "wrong_name": "unrelated-name.example.test",
}

EXPIRED_VALIDITY = ("--not-before", "20200101000000Z", "--not-after", "20210101000000Z")


# --- certificates ----------------------------------------------------------------------------

def certs(*args, timeout=60):
    """Runs sipring-certs ARGS; fails the test with its output if it fails."""
    r = subprocess.run([h.certs_bin()] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("sipring-certs %s failed (%d): %s%s"
                             % (" ".join(map(str, args)), r.returncode, r.stdout, r.stderr))
    return r


class Pki:
    """Two CAs, "trusted" (in ca_list) and "wrong" (never trusted), and every certificate of the
    matrix, made by sipring-certs in a temp dir owned by `owner` (a TestCase class)."""

    def __init__(self, owner):
        self.dir = tempfile.mkdtemp(prefix="sipring-it-verify.")
        owner.addClassCleanup(shutil.rmtree, self.dir, True)
        self.trusted = os.path.join(self.dir, "trusted")
        self.wrong = os.path.join(self.dir, "wrong")
        certs("ca", "--dir", self.trusted, "--cn", TRUSTED_CA_CN)
        certs("ca", "--dir", self.wrong, "--cn", WRONG_CA_CN)
        self.trusted_ca = os.path.join(self.trusted, "cacert.pem")
        self.wrong_ca = os.path.join(self.wrong, "cacert.pem")
        # sipring's own server certificate (server role).
        self.server = self._issue("server", self.trusted, "sipring-server", SERVER_NAME,
                                  "DNS:localhost,IP:127.0.0.1")
        # Client certificates for the server role.
        self.client = {
            "valid": self._issue("client", self.trusted, "c-valid", CLIENT_CN["valid"]),
            "expired": self._issue("client", self.trusted, "c-expired", CLIENT_CN["expired"],
                                   extra=EXPIRED_VALIDITY),
            "revoked": self._issue("client", self.trusted, "c-revoked", CLIENT_CN["revoked"]),
            "wrong_ca": self._issue("client", self.wrong, "c-wrong-ca", CLIENT_CN["wrong_ca"]),
            "wrong_name": self._issue("client", self.trusted, "c-wrong-name",
                                      CLIENT_CN["wrong_name"]),
        }
        # Server certificates for the client role: all for "localhost" except wrong_name.
        local_san = "DNS:localhost,IP:127.0.0.1"
        self.peer_server = {
            "valid": self._issue("server", self.trusted, "s-valid", SERVER_NAME, local_san),
            "expired": self._issue("server", self.trusted, "s-expired", SERVER_NAME, local_san,
                                   extra=EXPIRED_VALIDITY),
            "revoked": self._issue("server", self.trusted, "s-revoked", SERVER_NAME, local_san),
            "wrong_ca": self._issue("server", self.wrong, "s-wrong-ca", SERVER_NAME, local_san),
            "wrong_name": self._issue("server", self.trusted, "s-wrong-name",
                                      "other.example.test", "DNS:other.example.test"),
        }
        certs("revoke", "--dir", self.trusted, self.client["revoked"][0])
        certs("revoke", "--dir", self.trusted, self.peer_server["revoked"][0])
        self.crl = os.path.join(self.dir, "trusted-crl.pem")
        certs("crl", "--dir", self.trusted, "--out", self.crl)

    def _issue(self, purpose, ca, name, cn, san=None, extra=()):
        out = os.path.join(self.dir, name)
        args = [purpose, "--dir", ca, "--cn", cn, "--out", out]
        if san:
            args += ["--san", san]
        certs(*(args + list(extra)))
        return out + "-cert.pem", out + "-key.pem"


def load_bin():
    return os.path.join(h.build_dir(), "tools", "sipring-load")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


# --- expectations ----------------------------------------------------------------------------

class Refused:
    """The handshake fails. alert: the OpenSSL reason the peer reports for the alert it got
    (e.g. "SSLV3_ALERT_CERTIFICATE_EXPIRED"); log: regular expressions sipring's log line
    must match."""

    def __init__(self, alert, log=()):
        self.alert = alert
        self.log = tuple(log)

    def describe(self):
        return "is_refused"


class Accepted:
    """The handshake succeeds and a request is answered. For the server role the tls.facts
    fields: presented, verified, revoked, expired, and verify_result."""

    def __init__(self, presented=True, verified=True, revoked=False, expired=False,
                 verify_result=X509_OK):
        self.presented = presented
        self.verified = verified
        self.revoked = revoked
        self.expired = expired
        self.verify_result = verify_result

    def describe(self):
        if not self.presented:
            return "is_accepted_without_a_certificate"
        return "is_accepted_verified" if self.verified else "is_accepted_unverified"


ALERT_CERT_REQUIRED = "TLSV13_ALERT_CERTIFICATE_REQUIRED"
ALERT_EXPIRED = "SSLV3_ALERT_CERTIFICATE_EXPIRED"
ALERT_REVOKED = "SSLV3_ALERT_CERTIFICATE_REVOKED"
ALERT_UNKNOWN_CA = "TLSV1_ALERT_UNKNOWN_CA"
ALERT_BAD_CERTIFICATE = "SSLV3_ALERT_BAD_CERTIFICATE"

# The log line of a refused handshake names the failure: BoringSSL's reason, then the X.509
# verification error (what an operator needs to fix it; Kamailio logs it from its verify
# callback).
LOG_NO_CERT = ("PEER_DID_NOT_RETURN_A_CERTIFICATE",)
LOG_EXPIRED = ("CERTIFICATE_VERIFY_FAILED", "certificate has expired")
LOG_REVOKED = ("CERTIFICATE_VERIFY_FAILED", "certificate revoked")
LOG_UNKNOWN_CA = ("CERTIFICATE_VERIFY_FAILED", "unable to get local issuer certificate")
# OpenSSL clients send their CA certificate along when they can build the chain from their own
# trust store (here, the trusted CA), so with nothing trusted that CA is what fails.
LOG_UNTRUSTED_ROOT = ("CERTIFICATE_VERIFY_FAILED", "self.signed certificate in certificate chain")

VERIFIED = Accepted()
NO_CERT = Accepted(presented=False, verified=False)

SERVER_MODES = {
    "on": {("tls", "verify_certificate"): 1, ("tls", "require_certificate"): 1},
    "optional": {("tls", "verify_client"): "optional"},
    "off": {("tls", "verify_certificate"): 0, ("tls", "require_certificate"): 0},
    "optional_no_ca": {("tls", "verify_client"): "optional_no_ca"},
}

SERVER_MATRIX = {
    "on": {
        "absent": Refused(ALERT_CERT_REQUIRED, LOG_NO_CERT),
        "valid": VERIFIED,
        "expired": Refused(ALERT_EXPIRED, LOG_EXPIRED),
        "revoked": Refused(ALERT_REVOKED, LOG_REVOKED),
        "wrong_ca": Refused(ALERT_UNKNOWN_CA, LOG_UNKNOWN_CA),
        # A server does not check a client's name: the core reads it from tls.facts.
        "wrong_name": VERIFIED,
    },
    "optional": {
        "absent": NO_CERT,
        "valid": VERIFIED,
        "expired": Refused(ALERT_EXPIRED, LOG_EXPIRED),
        "revoked": Refused(ALERT_REVOKED, LOG_REVOKED),
        "wrong_ca": Refused(ALERT_UNKNOWN_CA, LOG_UNKNOWN_CA),
        "wrong_name": VERIFIED,
    },
    # Not asked for, so no client sends one (whatever it holds).
    "off": {kind: NO_CERT for kind in KINDS},
    "optional_no_ca": {
        "absent": NO_CERT,
        "valid": VERIFIED,
        "expired": Accepted(verified=False, expired=True, verify_result=X509_CERT_HAS_EXPIRED),
        "revoked": Accepted(verified=False, revoked=True, verify_result=X509_CERT_REVOKED),
        "wrong_ca": Accepted(verified=False, verify_result=X509_UNABLE_TO_VERIFY_LEAF_SIGNATURE),
        "wrong_name": VERIFIED,
    },
}

CLIENT_MATRIX = {
    "on": {
        # BoringSSL offers no anonymous cipher suite, so the server finds no shared cipher.
        "absent": Refused("NO_SHARED_CIPHER"),
        "valid": Accepted(),
        "expired": Refused(ALERT_EXPIRED),
        "revoked": Refused(ALERT_REVOKED),
        "wrong_ca": Refused(ALERT_UNKNOWN_CA),
        "wrong_name": Refused(ALERT_BAD_CERTIFICATE),
    },
    "off": {
        "absent": Refused("NO_SHARED_CIPHER"),
        "valid": Accepted(verified=False),
        "expired": Accepted(verified=False),
        "revoked": Accepted(verified=False),
        "wrong_ca": Accepted(verified=False),
        "wrong_name": Accepted(verified=False),
    },
}


# --- the server role: Python clients against the daemon --------------------------------------

class Attempt:
    """One TLS client connection and OPTIONS exchange. addr: the client's (ip, port); conn: the
    SipConn when the exchange worked; error: the text of what failed otherwise."""

    def __init__(self):
        self.addr = None
        self.conn = None
        self.error = None


def client_context(ca_file, cert=None, version="1.3"):
    """A client context that verifies sipring's certificate (name "localhost") against ca_file
    and presents `cert` ((cert_file, key_file) or None)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca_file)
    ctx.check_hostname = True
    ctx.minimum_version = h.TLS_VERSIONS[version]
    ctx.maximum_version = h.TLS_VERSIONS[version]
    if cert is not None:
        ctx.load_cert_chain(cert[0], cert[1])
    return ctx


def attempt_exchange(test, port, ctx, timeout=5.0):
    """Connects, handshakes and sends one OPTIONS; returns an Attempt. A refusal may show at the
    handshake or (TLS 1.3: the client finishes first) at the first read."""
    a = Attempt()
    raw = socket.create_connection((h.HOST, port), timeout=timeout)
    a.addr = raw.getsockname()[:2]
    try:
        s = ctx.wrap_socket(raw, server_hostname=SERVER_NAME, suppress_ragged_eofs=False)
    except (ssl.SSLError, OSError) as e:
        raw.close()
        a.error = "%s: %s" % (type(e).__name__, e)
        return a
    conn = h.SipConn(s)
    test.addCleanup(conn.close)
    req = h.Request("OPTIONS")
    try:
        conn.send(req.encode())
        resp = conn.read_message(timeout)
    except (ssl.SSLError, OSError, h.ConnectionClosed) as e:
        a.error = "%s: %s" % (type(e).__name__, e)
        return a
    h.check_200(test, req, resp)
    a.conn = conn
    return a


class _ServerRole(unittest.TestCase):
    MODE = None

    @classmethod
    def setUpClass(cls):
        cls.pki = Pki(cls)
        params = {
            ("tls", "certificate"): cls.pki.server[0],
            ("tls", "private_key"): cls.pki.server[1],
            ("tls", "ca_list"): cls.pki.trusted_ca,
            ("tls", "crl"): cls.pki.crl,
            ("tls", "tls_log"): 1,
        }
        params.update(SERVER_MODES[cls.MODE])
        cls.daemon = h.start_daemon(cls, params=params)

    def facts_of(self, d, addr):
        src = "%s:%d" % addr
        rc, rows, err = h.ctl(d, "tls.list")
        self.assertEqual(rc, 0, err)
        row = [r for r in rows if r["src"] == src]
        self.assertEqual(len(row), 1, "tls.list has no single row for %s: %r" % (src, rows))
        rc, facts, err = h.ctl(d, "tls.facts", row[0]["id"])
        self.assertEqual(rc, 0, err)
        return facts

    def check_cell(self, kind, want):
        cert = None if kind == "absent" else self.pki.client[kind]
        a = attempt_exchange(self, self.daemon.port, client_context(self.pki.trusted_ca, cert))
        check_server_outcome(self, self.daemon, a, want, CLIENT_CN.get(kind),
                             WRONG_CA_CN if kind == "wrong_ca" else TRUSTED_CA_CN)


def check_server_outcome(test, d, a, want, cn, issuer=TRUSTED_CA_CN):
    """Asserts one server-role Attempt against its expectation (Refused or Accepted); cn and
    issuer: the subject and issuer CN tls.facts must show for a presented certificate."""
    if isinstance(want, Refused):
        test.assertIsNone(a.conn, "the handshake was accepted")
        test.assertIn(want.alert, a.error or "")
        lines = h.wait_until(
            lambda: [l for l in d.lines_naming(a.addr) if "TLS handshake failed" in l], 5.0)
        test.assertTrue(lines, "no 'TLS handshake failed' line naming %s:%d; log:\n%s"
                        % (a.addr + (d.log_text(),)))
        for pattern in want.log:
            test.assertRegex(lines[0], pattern)
        return
    test.assertIsNotNone(a.conn, "refused: %s" % a.error)
    f = test.facts_of(d, a.addr)
    test.assertFalse(f["client_role"])
    test.assertEqual(f["version"], "TLSv1.3")
    test.assertEqual(f["own"]["subject"]["cn"], SERVER_NAME)
    test.assertEqual(f["peer_presented"], want.presented, f)
    test.assertEqual(f["peer_verified"], want.verified, f)
    test.assertEqual(f["peer_revoked"], want.revoked, f)
    test.assertEqual(f["peer_expired"], want.expired, f)
    test.assertEqual(f["verify_result"], want.verify_result, f)
    if f["verify_result"] == X509_OK:
        test.assertEqual(f["verify_error"], "", f)
    else:
        test.assertTrue(f["verify_error"], f)
    if want.presented:
        test.assertEqual(f["peer"]["subject"]["cn"], cn, f)
        test.assertEqual(f["peer"]["issuer"]["cn"], issuer, f)
    else:
        test.assertNotIn("subject", f.get("peer") or {}, f)
    # No refusal logged for an accepted connection.
    test.assertEqual([l for l in d.lines_naming(a.addr) if "handshake failed" in l], [])


def _server_cell(kind, want):
    def test(self):
        self.check_cell(kind, want)
    return test


def _add_server_cells(cls, mode):
    for kind in KINDS:
        want = SERVER_MATRIX[mode][kind]
        name = "test_%s_client_certificate_%s" % (kind, want.describe())
        setattr(cls, name, _server_cell(kind, want))
    return cls


@lambda c: _add_server_cells(c, "on")
class ServerRoleVerifyOn(_ServerRole):
    MODE = "on"


@lambda c: _add_server_cells(c, "optional")
class ServerRoleVerifyOptional(_ServerRole):
    MODE = "optional"


@lambda c: _add_server_cells(c, "off")
class ServerRoleVerifyOff(_ServerRole):
    MODE = "off"


@lambda c: _add_server_cells(c, "optional_no_ca")
class ServerRoleVerifyOptionalNoCa(_ServerRole):
    MODE = "optional_no_ca"


# --- the client role: sipring-load against a Python server ------------------------------------

class SipTlsPeer:
    """A TLS server made with Python's ssl (OpenSSL 3) on a loopback port that answers each SIP
    request with a stateless 200 OK. Records each completed handshake (the client certificate
    it got, if any), each handshake error, and how many requests it answered. One connection at
    a time; every wait is bounded; stopped by the test's cleanup."""

    def __init__(self, test, ctx):
        self.ctx = ctx
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((h.HOST, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.handshakes = []  # peer certificate (DER) or None, per completed handshake
        self.errors = []      # handshake errors, as text
        self.answered = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        test.addCleanup(self.close)

    def close(self):
        self._stop.set()
        self._thread.join(10)
        self.sock.close()

    def _run(self):
        while not self._stop.is_set():
            try:
                raw, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            raw.settimeout(5.0)
            try:
                s = self.ctx.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError) as e:
                with self.lock:
                    self.errors.append("%s: %s" % (type(e).__name__, e))
                raw.close()
                continue
            with self.lock:
                self.handshakes.append(s.getpeercert(True))
            self._serve(s)

    def _serve(self, s):
        buf = bytearray()
        deadline = time.monotonic() + 10.0
        try:
            while not self._stop.is_set() and time.monotonic() < deadline:
                msg, used = h.parse_one(buf)
                if msg is not None:
                    del buf[:used]
                    s.sendall(ok_response(msg))
                    with self.lock:
                        self.answered += 1
                    continue
                data = s.recv(65536)
                if not data:
                    break
                buf += data
        except (ssl.SSLError, OSError):
            pass
        finally:
            s.close()

    def snapshot(self):
        with self.lock:
            return list(self.handshakes), list(self.errors), self.answered


def ok_response(req):
    """The stateless 200 OK for a request (RFC 3261 8.2.6): Via, From, To (+tag), Call-ID, CSeq."""
    lines = ["SIP/2.0 200 OK"]
    lines += ["Via: %s" % v for v in req.all("Via")]
    lines.append("From: %s" % req.get("From"))
    to = req.get("To")
    if ";tag=" not in to:
        to += ";tag=py-peer"
    lines += ["To: %s" % to, "Call-ID: %s" % req.get("Call-ID"), "CSeq: %s" % req.get("CSeq"),
              "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def server_context(cert=None, anonymous=False, client_ca=None):
    """A server context for SipTlsPeer: with (cert_file, key_file), or anonymous (TLS 1.2
    anonymous suites only, no certificate); client_ca makes it require a client certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if anonymous:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("aNULL:@SECLEVEL=0")
    else:
        ctx.load_cert_chain(cert[0], cert[1])
    if client_ca is not None:
        ctx.load_verify_locations(client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def run_load(test, port, extra=(), tls="TLSv1.2+", timeout=60):
    """One `sipring-load handshake --count 1` against HOST:port (one handshake and one OPTIONS);
    returns (exit status, parsed JSON line or None, stderr)."""
    if not os.access(load_bin(), os.X_OK):
        test.skipTest("%s is missing" % load_bin())
    args = [load_bin(), "handshake", "--target", "%s:%d" % (h.HOST, port), "--count", "1",
            "--connections", "1", "--tls", tls, "--sni", SERVER_NAME,
            "--handshake-timeout-ms", "5000", "--max-seconds", "20"] + list(extra)
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    out = None
    for line in r.stdout.splitlines():
        if line.startswith("{"):
            out = json.loads(line)
    return r.returncode, out, r.stderr


def wait_peer(peer, predicate, timeout=5.0):
    """The peer's snapshot once predicate(snapshot) holds, or the last one after `timeout`."""
    return h.wait_until(lambda: (lambda s: s if predicate(s) else None)(peer.snapshot()),
                        timeout) or peer.snapshot()


def check_load_accepted(test, rc, out, err, peer):
    test.assertIsNotNone(out, "no JSON line; stderr: %s" % err)
    test.assertEqual(rc, 0, "%r %s" % (out, err))
    test.assertEqual(out["opened"], 1, out)
    test.assertEqual(out["received"], 1, out)
    test.assertEqual(out["connect_failures"], 0, out)
    test.assertEqual(out["failed_or_unexpected_closes"], {}, out)
    hs, errors, answered = wait_peer(peer, lambda s: s[2] >= 1)
    test.assertEqual(len(hs), 1, errors)
    test.assertEqual(errors, [])
    test.assertEqual(answered, 1)
    return hs


def check_load_refused(test, rc, out, err, peer, alert):
    test.assertIsNotNone(out, "no JSON line; stderr: %s" % err)
    test.assertEqual(rc, 3, "%r %s" % (out, err))
    test.assertEqual(out["opened"], 0, out)
    test.assertEqual(out["received"], 0, out)
    test.assertEqual(out["connect_failures"], 1, out)
    test.assertEqual(out["failed_or_unexpected_closes"], {"handshake-failed": 1}, out)
    hs, errors, answered = wait_peer(peer, lambda s: s[1])
    test.assertEqual(hs, [])
    test.assertEqual(answered, 0)
    test.assertEqual(len(errors), 1, errors)
    test.assertIn(alert, errors[0])


class _ClientRole(unittest.TestCase):
    MODE = None

    @classmethod
    def setUpClass(cls):
        if cls.MODE not in ("on", "off"):
            return  # every cell skips
        if not os.access(load_bin(), os.X_OK):
            raise unittest.SkipTest("%s is missing" % load_bin())
        cls.pki = Pki(cls)

    def verify_args(self):
        if self.MODE == "on":
            return ["--ca", self.pki.trusted_ca, "--crl", self.pki.crl]
        return []

    def check_cell(self, kind, want):
        if kind == "absent":
            ctx = server_context(anonymous=True)
        else:
            ctx = server_context(self.pki.peer_server[kind])
        peer = SipTlsPeer(self, ctx)
        rc, out, err = run_load(self, peer.port, self.verify_args())
        if isinstance(want, Refused):
            check_load_refused(self, rc, out, err, peer, want.alert)
        else:
            check_load_accepted(self, rc, out, err, peer)


def _client_cell(kind, want):
    def test(self):
        self.check_cell(kind, want)
    return test


def _add_client_cells(cls, mode):
    for kind in KINDS:
        want = CLIENT_MATRIX[mode][kind]
        name = "test_%s_server_certificate_%s" % (kind, want.describe())
        setattr(cls, name, _client_cell(kind, want))
    return cls


# verify_client (optional, optional_no_ca) is a server-domain setting: a sipring client verifies
# the server (--ca) or does not, so the client role has only these two modes.
@lambda c: _add_client_cells(c, "on")
class ClientRoleVerifyOn(_ClientRole):
    MODE = "on"


@lambda c: _add_client_cells(c, "off")
class ClientRoleVerifyOff(_ClientRole):
    MODE = "off"


# --- verification with an empty ca_list --------------------------------------------------------

class EmptyCaList(unittest.TestCase):
    """verify on with no trusted CA at all: "the certificate verification will always fail if
    the ca_list is empty" (manual 1.9.6), so every presented client certificate is refused."""

    @classmethod
    def setUpClass(cls):
        cls.pki = Pki(cls)
        cls.daemon = h.start_daemon(cls, params={
            ("tls", "certificate"): cls.pki.server[0],
            ("tls", "private_key"): cls.pki.server[1],
            ("tls", "verify_certificate"): 1,
            ("tls", "require_certificate"): 1,
            ("tls", "tls_log"): 1,
        })

    def check_cell(self, kind):
        a = attempt_exchange(self, self.daemon.port,
                             client_context(self.pki.trusted_ca, self.pki.client[kind]))
        log = LOG_UNKNOWN_CA if kind == "wrong_ca" else LOG_UNTRUSTED_ROOT
        check_server_outcome(self, self.daemon, a, Refused(ALERT_UNKNOWN_CA, log), None)

    def test_start_up_warns_that_verification_without_ca_list_always_fails(self):
        # Allowed by the manual, but almost never meant: the operator is told at start-up.
        # verify_certificate=1 also makes the client role verify servers: both domains warn.
        warned = [l for l in self.daemon.log_lines()
                  if "verification is on but there is no ca_list" in l]
        self.assertEqual(len(warned), 2, self.daemon.log_text())
        self.assertIn("TLS domain server:default (modparam)", warned[0])
        self.assertIn("TLS domain client:default (modparam)", warned[1])
        self.assertIn("every peer certificate will fail verification", warned[0])

    def test_zero_byte_ca_list_file_refuses_the_start_naming_it(self):
        # An existing but empty file is a configuration mistake, refused like Kamailio does
        # (its load of the CA list fails), not silently "verification always fails".
        empty = write(os.path.join(self.pki.dir, "empty-ca.pem"), "")
        text = h.config_text(h.free_port(), {
            ("tls", "certificate"): self.pki.server[0],
            ("tls", "private_key"): self.pki.server[1],
            ("tls", "verify_certificate"): 1, ("tls", "require_certificate"): 1,
            ("tls", "ca_list"): empty, ("ctl", "socket"): ""})
        rc, err, _ = h.run_config(self, text)
        self.assertEqual(rc, 1, err)
        self.assertIn(empty, err)
        self.assertIn("no usable CA certificate", err)
        self.assertNotIn("serving SIP", err)


def _empty_ca_cell(kind):
    def test(self):
        self.check_cell(kind)
    return test


for _kind in KINDS:
    if _kind != "absent":
        setattr(EmptyCaList, "test_%s_client_certificate_is_refused_without_ca_list" % _kind,
                _empty_ca_cell(_kind))


# --- verify_depth -----------------------------------------------------------------------------

def openssl(*args):
    r = subprocess.run(["openssl"] + list(args), capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("openssl %s failed: %s%s" % (" ".join(args), r.stdout, r.stderr))


CHAIN_ROOT_CN = "Matrix Chain Root CA"
INTERMEDIATE_CN = "Matrix Intermediate CA"


def make_chain_cas(pki):
    """A root CA that allows intermediates and an intermediate CA under it, both in the CA
    directory layout of sipring-certs (so it issues the leaves). sipring-certs makes only roots
    with pathlen:0, which forbid any intermediate, so both CA certificates are remade by the
    openssl command (OpenSSL 3) on the keys sipring-certs generated. Returns (root, inter)."""
    if shutil.which("openssl") is None:
        raise unittest.SkipTest("the openssl command is needed to make an intermediate CA")
    root = os.path.join(pki.dir, "chain-root")
    inter = os.path.join(pki.dir, "chain-intermediate")
    certs("ca", "--dir", root, "--cn", CHAIN_ROOT_CN)
    certs("ca", "--dir", inter, "--cn", INTERMEDIATE_CN)
    openssl("req", "-x509", "-new", "-key", os.path.join(root, "private", "cakey.pem"),
            "-subj", "/O=sipring/CN=" + CHAIN_ROOT_CN, "-days", "30",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-out", os.path.join(root, "cacert.pem"))
    ext = write(os.path.join(pki.dir, "intermediate.ext"),
                "basicConstraints=critical,CA:TRUE,pathlen:0\n"
                "keyUsage=critical,keyCertSign,cRLSign\n"
                "subjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid:always\n")
    csr = os.path.join(pki.dir, "intermediate.csr")
    openssl("req", "-new", "-key", os.path.join(inter, "private", "cakey.pem"),
            "-subj", "/O=sipring/CN=" + INTERMEDIATE_CN, "-out", csr)
    openssl("x509", "-req", "-in", csr, "-CA", os.path.join(root, "cacert.pem"),
            "-CAkey", os.path.join(root, "private", "cakey.pem"), "-set_serial", "4096",
            "-days", "30", "-extfile", ext, "-out", os.path.join(inter, "cacert.pem"))
    return root, inter


class VerifyDepth(unittest.TestCase):
    """verify_depth (manual 1.9.7: "how far up the certificate chain ... in the search for a
    trusted CA") as Kamailio with OpenSSL 1.1/3 applies it: the number of CA certificates
    allowed between the peer's certificate and the trusted one (OpenSSL: "Setting the maximum
    depth to 2 allows the levels 0, 1, 2 and 3 (0 being the end-entity and 3 the
    trust-anchor)"). So a client certificate issued by the trusted root passes with depth 0, and
    one issued by an intermediate CA (sent along by the client) needs depth 1. `openssl verify
    -verify_depth N` gives the same answers for these chains."""

    @classmethod
    def setUpClass(cls):
        cls.pki = Pki(cls)
        cls.root, inter = make_chain_cas(cls.pki)
        cls.root_ca = os.path.join(cls.root, "cacert.pem")
        deep = os.path.join(cls.pki.dir, "c-deep")
        certs("client", "--dir", inter, "--cn", "deep.example.test", "--out", deep)
        cls.chain = write(os.path.join(cls.pki.dir, "c-deep-chain.pem"),
                          open(deep + "-cert.pem").read()
                          + open(os.path.join(inter, "cacert.pem")).read())
        cls.deep = (cls.chain, deep + "-key.pem")
        flat = os.path.join(cls.pki.dir, "c-flat")
        certs("client", "--dir", cls.root, "--cn", "flat.example.test", "--out", flat)
        cls.flat = (flat + "-cert.pem", flat + "-key.pem")

    def start(self, depth):
        return h.start_daemon(self, params={
            ("tls", "certificate"): self.pki.server[0],
            ("tls", "private_key"): self.pki.server[1],
            ("tls", "ca_list"): self.root_ca,
            ("tls", "verify_certificate"): 1,
            ("tls", "require_certificate"): 1,
            ("tls", "verify_depth"): depth,
            ("tls", "tls_log"): 1,
        })

    def facts_of(self, d, addr):
        return _ServerRole.facts_of(self, d, addr)

    def attempt(self, depth, cert):
        d = self.start(depth)
        return d, attempt_exchange(self, d.port, client_context(self.pki.trusted_ca, cert))

    def test_depth_0_refuses_a_chain_through_an_intermediate_ca(self):
        d, a = self.attempt(0, self.deep)
        self.assertIsNone(a.conn, "verify_depth 0 accepted a chain with an intermediate CA")
        check_server_outcome(self, d, a, Refused(ALERT_UNKNOWN_CA, ("CERTIFICATE_VERIFY_FAILED",)),
                             None)

    def test_depth_1_accepts_a_chain_through_an_intermediate_ca(self):
        d, a = self.attempt(1, self.deep)
        check_server_outcome(self, d, a, VERIFIED, "deep.example.test", INTERMEDIATE_CN)

    def test_depth_0_accepts_a_certificate_issued_by_the_trusted_root(self):
        d, a = self.attempt(0, self.flat)
        check_server_outcome(self, d, a, VERIFIED, "flat.example.test", CHAIN_ROOT_CN)

    def test_depth_9_default_accepts_a_chain_through_an_intermediate_ca(self):
        d, a = self.attempt(9, self.deep)
        check_server_outcome(self, d, a, VERIFIED, "deep.example.test", INTERMEDIATE_CN)


# --- encrypted private keys -------------------------------------------------------------------

KEY_PASSWORD = "matrix-pass-1"


class EncryptedServerKey(unittest.TestCase):
    """private_key_password: the right one serves; a wrong or missing one refuses the start
    (exit 1) with a message naming the key file."""

    @classmethod
    def setUpClass(cls):
        cls.pki = Pki(cls)
        out = os.path.join(cls.pki.dir, "enc-server")
        certs("server", "--dir", cls.pki.trusted, "--cn", SERVER_NAME, "--san",
              "DNS:localhost,IP:127.0.0.1", "--key-password", KEY_PASSWORD, "--out", out)
        cls.cert, cls.key = out + "-cert.pem", out + "-key.pem"
        with open(cls.key) as f:
            assert "ENCRYPTED" in f.read(), "sipring-certs did not encrypt the key"

    def params(self, password):
        p = {("tls", "certificate"): self.cert, ("tls", "private_key"): self.key}
        if password is not None:
            p[("tls", "private_key_password")] = password
        return p

    def refused_start(self, password):
        p = self.params(password)
        p[("ctl", "socket")] = ""
        rc, err, _ = h.run_config(self, h.config_text(h.free_port(), p))
        self.assertEqual(rc, 1, err)
        self.assertIn(self.key, err)
        self.assertNotIn("serving SIP", err)
        return err

    def test_right_private_key_password_serves_with_that_certificate(self):
        d = h.start_daemon(self, params=self.params(KEY_PASSWORD))
        c = h.connect_to(h.HOST, d.port, ctx=client_context(self.pki.trusted_ca))
        self.addCleanup(c.close)
        self.assertEqual(c.sock.getpeercert(True), h.pem_to_der(self.cert))
        h.exchange(self, c, h.Request("OPTIONS"))
        c.close()
        d.stop()

    def test_wrong_private_key_password_refuses_the_start_naming_the_key_file(self):
        err = self.refused_start("not-" + KEY_PASSWORD)
        self.assertIn("wrong private_key_password", err)

    def test_missing_private_key_password_refuses_the_start_naming_the_key_file(self):
        err = self.refused_start(None)
        self.assertIn("is encrypted", err)
        self.assertIn("private_key_password", err)


# --- sipring-load's own client certificate ----------------------------------------------------

class LoadToolClientCertificate(unittest.TestCase):
    """The client role presenting a certificate (--cert/--key [--key-password]) to a Python
    server that requires one signed by the trusted CA."""

    @classmethod
    def setUpClass(cls):
        if not os.access(load_bin(), os.X_OK):
            raise unittest.SkipTest("%s is missing" % load_bin())
        cls.pki = Pki(cls)
        out = os.path.join(cls.pki.dir, "c-enc")
        certs("client", "--dir", cls.pki.trusted, "--cn", "encrypted-client.example.test",
              "--key-password", KEY_PASSWORD, "--out", out)
        cls.enc = (out + "-cert.pem", out + "-key.pem")

    def peer(self):
        return SipTlsPeer(self, server_context(self.pki.peer_server["valid"],
                                               client_ca=self.pki.trusted_ca))

    def load(self, peer, *extra, tls="TLSv1.2+"):
        return run_load(self, peer.port, ["--ca", self.pki.trusted_ca] + list(extra), tls=tls)

    def test_no_client_certificate_fails_the_tls12_handshake_with_a_server_requiring_one(self):
        peer = self.peer()
        rc, out, err = self.load(peer, tls="TLSv1.2")
        check_load_refused(self, rc, out, err, peer, "PEER_DID_NOT_RETURN_A_CERTIFICATE")

    def test_no_client_certificate_closes_the_tls13_connection_before_any_answer(self):
        # In TLS 1.3 the client finishes its handshake before the server judges its
        # certificate, so sipring-load counts it opened, then sees the server's alert.
        peer = self.peer()
        rc, out, err = self.load(peer, tls="TLSv1.3")
        self.assertIsNotNone(out, err)
        self.assertEqual(rc, 3, "%r %s" % (out, err))
        self.assertEqual((out["opened"], out["received"], out["lost"], out["connect_failures"]),
                         (1, 0, 1, 0), out)
        self.assertEqual(out["failed_or_unexpected_closes"], {"tls-error": 1}, out)
        hs, errors, answered = wait_peer(peer, lambda s: s[1])
        self.assertEqual((hs, answered), ([], 0))
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("PEER_DID_NOT_RETURN_A_CERTIFICATE", errors[0])

    def test_client_certificate_is_presented_and_accepted(self):
        peer = self.peer()
        cert, key = self.pki.client["valid"]
        rc, out, err = self.load(peer, "--cert", cert, "--key", key)
        hs = check_load_accepted(self, rc, out, err, peer)
        self.assertEqual(hs[0], h.pem_to_der(cert))

    def test_encrypted_client_key_with_the_right_password_is_presented(self):
        peer = self.peer()
        rc, out, err = self.load(peer, "--cert", self.enc[0], "--key", self.enc[1],
                                 "--key-password", KEY_PASSWORD)
        hs = check_load_accepted(self, rc, out, err, peer)
        self.assertEqual(hs[0], h.pem_to_der(self.enc[0]))

    def test_encrypted_client_key_with_a_wrong_password_refuses_to_start_naming_the_key(self):
        peer = self.peer()
        rc, out, err = self.load(peer, "--cert", self.enc[0], "--key", self.enc[1],
                                 "--key-password", "not-" + KEY_PASSWORD)
        self.assertEqual(rc, 1, err)
        self.assertIsNone(out)
        self.assertIn(self.enc[1], err)
        self.assertIn("wrong private_key_password", err)
        self.assertEqual(peer.snapshot(), ([], [], 0))


if __name__ == "__main__":
    unittest.main()
