"""Shared harness for sipring's integration tests against independent TLS peers.

The peers are Python's `ssl` module (OpenSSL 3) and the `openssl` command line, so nothing here
shares code with the BoringSSL-based daemon under test. This module starts `sipring` on a free
loopback port in a private temp directory with freshly generated demo certificates, collects its
stderr (log) and stdout (JSON counters), stops it with SIGTERM and checks the exit code, and kills
it whenever a test fails or the runner dies. Every wait is bounded.

The build directory comes from the SIPRING_BUILD environment variable (run_integration.py sets it
from --build).
"""

import ctypes
import json
import os
import queue
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

HOST = "127.0.0.1"
SERVER_NAME = "localhost"


# --- build products -------------------------------------------------------------------------

def build_dir():
    """The meson build directory (absolute), from $SIPRING_BUILD."""
    b = os.environ.get("SIPRING_BUILD")
    if not b:
        raise unittest.SkipTest("SIPRING_BUILD is not set (use run_integration.py --build BUILD)")
    return os.path.abspath(b)


def build_options(build=None):
    """{name: value} of the meson options BUILD (default: the build under test) was configured
    with, from its meson-info/intro-buildoptions.json; values as meson stores them (booleans are
    True/False, combos strings). {} when the file is missing or unreadable (not a meson build)."""
    path = os.path.join(build or build_dir(), "meson-info", "intro-buildoptions.json")
    try:
        with open(path) as f:
            return {o["name"]: o["value"] for o in json.load(f)}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def instruments_built(build=None):
    """Whether BUILD (default: the build under test) was configured with the instruments
    (meson -Dinstruments, default true): false means histograms, loop utilisation and USDT
    probes are compiled out."""
    return build_options(build).get("instruments", True) is not False


def sipring_bin():
    return os.path.join(build_dir(), "tools", "sipring")


def sipringctl_bin():
    return os.path.join(build_dir(), "tools", "sipringctl")


def ctl(daemon, *args, json_out=True, timeout=15):
    """Runs sipringctl against `daemon`; returns (returncode, parsed JSON result or text, stderr)."""
    import json as _json
    cmd = [sipringctl_bin(), "-s", "unix:" + daemon.ctl_socket]
    if json_out:
        cmd.append("--json")
    r = subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, timeout=timeout)
    out = r.stdout
    if json_out and r.returncode == 0 and out.strip():
        out = _json.loads(out)
    return r.returncode, out, r.stderr


def certs_bin():
    return os.path.join(build_dir(), "tools", "sipring-certs")


_certs_lock = threading.Lock()
_certs_dir = None


def demo_certs():
    """Directory with cacert.pem and server.pem, generated once per process by sipring-certs."""
    global _certs_dir
    with _certs_lock:
        if _certs_dir is None:
            d = tempfile.mkdtemp(prefix="sipring-it-certs.")
            r = subprocess.run([certs_bin(), "demo", "--dir", d], capture_output=True, text=True,
                               timeout=60)
            if r.returncode != 0:
                raise RuntimeError("sipring-certs demo failed: %s%s" % (r.stdout, r.stderr))
            _certs_dir = d
            import atexit
            atexit.register(shutil.rmtree, d, True)
        return _certs_dir


def ca_file():
    return os.path.join(demo_certs(), "cacert.pem")


def listening_sockets(port, host=HOST):
    """How many IPv4 sockets listen on host:port (from /proc/net/tcp)."""
    ip = int.from_bytes(socket.inet_aton(host), "little")
    want = "%08X:%04X" % (ip, port)
    n = 0
    try:
        with open("/proc/net/tcp") as f:
            for line in f.read().splitlines()[1:]:
                fields = line.split()
                if fields[1] == want and fields[3] == "0A":
                    n += 1
    except OSError:
        return None
    return n


def free_port(host=HOST):
    """A loopback TCP port of `host` that was free a moment ago (the daemon start retries on a
    race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# --- configuration --------------------------------------------------------------------------

DEFAULT_PARAMS = [
    ("tls", "certificate", "certs/server.pem"),
    ("tls", "tls_method", "TLSv1.2+"),
    ("tls", "connection_timeout", 600),
    ("tls", "send_close_notify", 1),
    ("sipring", "reactors", 2),
    ("sipring", "max_message_size", 65535),
]


def config_text(port, params=None, extra_lines=(), host=HOST):
    """A Kamailio-style config listening on host:port; `params` overrides DEFAULT_PARAMS by
    (module, name) and may add new ones. A value of None drops the parameter."""
    merged = {(m, n): v for m, n, v in DEFAULT_PARAMS}
    order = [(m, n) for m, n, _ in DEFAULT_PARAMS]
    for (m, n), v in (params or {}).items():
        if (m, n) not in merged:
            order.append((m, n))
        merged[(m, n)] = v
    lines = ['loadmodule "tls.so"', "enable_tls=yes", "listen=tls:%s:%d" % (host, port)]
    for m, n in order:
        v = merged[(m, n)]
        if v is None:
            continue
        val = str(v) if isinstance(v, int) else '"%s"' % v
        lines.append('modparam("%s", "%s", %s)' % (m, n, val))
    lines.extend(extra_lines)
    return "\n".join(lines) + "\n"


def _die_with_parent():
    # PR_SET_PDEATHSIG = 1: the daemon gets SIGKILL if the test runner dies, so no test run can
    # leave a daemon behind.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except OSError:
        pass


# --- the daemon -----------------------------------------------------------------------------

class Daemon:
    """One sipring process. Create with start_daemon(test, ...) so that it is always killed."""

    READY_TIMEOUT = 15.0

    def __init__(self, workdir, port, core="inline", grace_ms=None, stats_interval=None):
        self.workdir = workdir
        self.port = port
        self.core = core
        self.grace_ms = grace_ms
        self.stats_interval = stats_interval
        self.config_path = os.path.join(workdir, "sipring.cfg")
        # Each daemon gets its own control socket (the default path is shared by every sipring).
        self.ctl_socket = os.path.join(workdir, "ctl.sock")
        self.proc = None
        self.returncode = None
        self._stderr = []  # log lines, in order
        self._stderr_lock = threading.Lock()
        self._stdout = queue.Queue()  # JSON stats lines
        self._stdout_all = []
        self._threads = []
        self.final_stats = None

    # -- process control

    def spawn(self):
        args = [sipring_bin(), "-f", self.config_path, "--core", self.core]
        if self.grace_ms is not None:
            args += ["--grace-ms", str(self.grace_ms)]
        if self.stats_interval is not None:
            args += ["--stats-interval", str(self.stats_interval)]
        self.proc = subprocess.Popen(args, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     preexec_fn=_die_with_parent)
        pumps = ((self.proc.stdout, self._on_stdout), (self.proc.stderr, self._on_stderr))
        for stream, sink in pumps:
            t = threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
            t.start()
            self._threads.append(t)

    @staticmethod
    def _pump(stream, sink):
        for raw in iter(stream.readline, b""):
            sink(raw.decode("utf-8", "replace").rstrip("\n"))
        stream.close()

    def _on_stdout(self, line):
        self._stdout_all.append(line)
        self._stdout.put(line)

    def _on_stderr(self, line):
        with self._stderr_lock:
            self._stderr.append(line)

    def wait_ready(self, timeout=READY_TIMEOUT):
        """Waits for the "serving SIP over TLS" line (printed after the listeners are bound).
        Returns True when ready, False when the process exited first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any("serving SIP over TLS on" in l for l in self.log_lines()):
                return True
            if self.proc.poll() is not None:
                self._join_pumps()
                return False
            time.sleep(0.02)
        raise AssertionError("sipring did not become ready within %.0f s; log:\n%s"
                             % (timeout, self.log_text()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL if still running (cleanup path; never fails)."""
        if self.alive():
            self.proc.kill()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self._join_pumps()

    def _join_pumps(self):
        for t in self._threads:
            t.join(5)

    def stop(self, timeout=None):
        """SIGTERM, waits (bounded) for exit, asserts exit code 0 and returns the final counters
        (the JSON line printed at exit)."""
        if timeout is None:
            timeout = (self.grace_ms if self.grace_ms is not None else 2000) / 1000.0 + 10.0
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("sipring did not exit within %.1f s of SIGTERM; log:\n%s"
                                 % (timeout, self.log_text()))
        self._join_pumps()
        if self.returncode != 0:
            raise AssertionError("sipring exited with %r after SIGTERM; log:\n%s"
                                 % (self.returncode, self.log_text()))
        lines = [l for l in self._drain_stdout() if l.startswith("{")]
        if not lines:
            raise AssertionError("sipring printed no counters at exit; stdout: %r"
                                 % self._stdout_all)
        self.final_stats = json.loads(lines[-1])
        return self.final_stats

    def _drain_stdout(self):
        out = []
        while True:
            try:
                out.append(self._stdout.get_nowait())
            except queue.Empty:
                return out

    # -- counters

    def stats(self, timeout=5.0):
        """Counters now: SIGUSR1, then the next JSON line on stdout. {"engine":{..},"core":{..}}"""
        self._drain_stdout()
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no counters on stdout within %.1f s of SIGUSR1" % timeout)
            try:
                line = self._stdout.get(timeout=left)
            except queue.Empty:
                continue
            if line.startswith("{"):
                return json.loads(line)

    def wait_stats(self, predicate, timeout=5.0, interval=0.05):
        """Polls the counters until predicate(stats) is true; returns the last stats either way
        (the caller asserts on them, so a timeout shows the actual values)."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.stats()
            if predicate(s) or time.monotonic() >= deadline:
                return s
            time.sleep(interval)

    # -- log

    def log_lines(self):
        with self._stderr_lock:
            return list(self._stderr)

    def log_text(self, last=80):
        lines = self.log_lines()
        return "\n".join(lines[-last:])

    def lines_naming(self, addr):
        """Log lines naming the peer address (ip, port) exactly (no longer port number)."""
        pat = re.compile(re.escape("%s:%d" % addr) + r"(?!\d)")
        return [l for l in self.log_lines() if pat.search(l)]


def _register(test, daemon):
    if "_sipring_daemons" not in vars(test):
        test._sipring_daemons = []
    test._sipring_daemons.append(daemon)


def start_daemon(test, params=None, core="inline", grace_ms=None, extra_lines=(),
                 stats_interval=None, host=HOST):
    """Starts sipring for `test` (a TestCase; for setUpClass pass the class) in a fresh temp dir
    with the demo certificates under certs/, listening on host (a loopback address) and a free
    port. Registers cleanups that SIGKILL it and remove the dir, so a failing test never leaves
    it running. Retries on a port race."""
    workdir = tempfile.mkdtemp(prefix="sipring-it.")
    add_cleanup = test.addClassCleanup if isinstance(test, type) else test.addCleanup
    add_cleanup(shutil.rmtree, workdir, True)
    shutil.copytree(demo_certs(), os.path.join(workdir, "certs"))
    for attempt in range(5):
        port = free_port(host)
        d = Daemon(workdir, port, core=core, grace_ms=grace_ms, stats_interval=stats_interval)
        with open(d.config_path, "w") as f:
            ctl = {("ctl", "socket"): "unix:" + d.ctl_socket}
            ctl.update(params or {})
            f.write(config_text(port, ctl, extra_lines, host))
        d.spawn()
        add_cleanup(d.kill)
        _register(test, d)
        if d.wait_ready():
            # sipring binds one SO_REUSEPORT listener per reactor, so a process that grabbed the
            # same port in the race after free_port() would silently share the traffic.
            reactors = dict(((m, n), v) for m, n, v in DEFAULT_PARAMS)
            reactors.update(params or {})
            want = reactors.get(("sipring", "reactors"))
            if reactors.get(("sipring", "reuseport")) == 0:
                want = 1  # one socket, every reactor holds a descriptor of it
            got = listening_sockets(port, host)
            if got is None or not isinstance(want, int) or got == want:
                return d
            d.kill()
            continue
        if "in use" not in d.log_text():
            raise AssertionError("sipring exited with %r at start; log:\n%s"
                                 % (d.proc.returncode, d.log_text()))
    raise AssertionError("no free port after 5 attempts")


def run_config(test, text, timeout=15.0):
    """Runs sipring on a config file with `text` (cwd = its temp dir, certs/ present) and returns
    (returncode, stderr, config_path); the process is killed if it outlives `timeout`."""
    workdir = tempfile.mkdtemp(prefix="sipring-it.")
    test.addCleanup(shutil.rmtree, workdir, True)
    shutil.copytree(demo_certs(), os.path.join(workdir, "certs"))
    path = os.path.join(workdir, "sipring.cfg")
    with open(path, "w") as f:
        f.write(text)
    p = subprocess.Popen([sipring_bin(), "-f", path], cwd=workdir, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=_die_with_parent)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate(timeout=10)
        return None, err.decode("utf-8", "replace"), path
    return p.returncode, err.decode("utf-8", "replace"), path


# --- TLS clients ----------------------------------------------------------------------------

TLS_VERSIONS = {
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}


def client_context(version=None):
    """Client context that verifies the server against the demo CA (hostname "localhost").
    version: "1.2", "1.3" or None (either)."""
    ctx = ssl.create_default_context(cafile=ca_file())
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    if version is not None:
        ctx.minimum_version = TLS_VERSIONS[version]
        ctx.maximum_version = TLS_VERSIONS[version]
    return ctx


def memory_bio_client(version=None):
    """A verifying Python ssl client on memory BIOs that has written its first flight, for tests
    that place the TLS bytes themselves: (SSLObject, incoming BIO, outgoing BIO); the outgoing
    BIO holds the ClientHello record."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client_context(version).wrap_bio(inc, out, server_hostname=SERVER_NAME)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return obj, inc, out


def client_hello(version=None):
    """The bytes of a real ClientHello (Python's OpenSSL) for the demo server name."""
    return memory_bio_client(version)[2].read()


class ConnectionClosed(Exception):
    """The server closed the connection. kind: "clean" (close_notify), "unclean" (TCP FIN
    without close_notify) or "reset" (RST)."""

    def __init__(self, kind, detail=""):
        super().__init__("%s close%s" % (kind, (": " + detail) if detail else ""))
        self.kind = kind


class SipConn:
    """A blocking TLS connection with a receive buffer and SIP message framing."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.closed_kind = None

    @property
    def local_addr(self):
        return self.sock.getsockname()[:2]

    def send(self, data):
        self.sock.sendall(data)

    def _recv_some(self, deadline):
        """Reads more bytes into buf; raises ConnectionClosed or socket.timeout."""
        if self.closed_kind:
            raise ConnectionClosed(self.closed_kind)
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except ssl.SSLEOFError as e:
            self.closed_kind = "unclean"
            raise ConnectionClosed("unclean", str(e))
        except (ConnectionResetError, BrokenPipeError) as e:
            self.closed_kind = "reset"
            raise ConnectionClosed("reset", str(e))
        except ssl.SSLZeroReturnError:
            data = b""
        if not data:
            # With suppress_ragged_eofs=False (see connect) b"" means close_notify was received.
            self.closed_kind = "clean" if not self.sock.suppress_ragged_eofs else "eof"
            raise ConnectionClosed(self.closed_kind)
        self.buf += data

    def read_message(self, timeout=5.0):
        """Next SIP message (head + Content-Length body) as a SipMessage."""
        deadline = time.monotonic() + timeout
        while True:
            msg, used = parse_one(self.buf)
            if msg is not None:
                del self.buf[:used]
                return msg
            self._recv_some(deadline)

    def read_exact(self, n, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            self._recv_some(deadline)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_for(self, seconds):
        """Everything that arrives within `seconds` (stops early at a close)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self._recv_some(deadline)
        except (socket.timeout, ConnectionClosed):
            pass
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def wait_closed(self, timeout=5.0):
        """Waits for the server to close; returns (kind, bytes received before the close).
        Raises AssertionError if it stays open for `timeout`."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._recv_some(deadline)
        except ConnectionClosed as c:
            data = bytes(self.buf)
            self.buf.clear()
            return c.kind, data
        except socket.timeout:
            raise AssertionError("server did not close the connection within %.1f s" % timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def connect(port, version=None, ctx=None, session=None, timeout=5.0, strict_eof=True):
    """TLS connection to HOST:port verified against the demo CA. strict_eof keeps OpenSSL's
    distinction between close_notify (recv -> b"") and a bare EOF (SSLEOFError)."""
    if ctx is None:
        ctx = client_context(version)
    raw = socket.create_connection((HOST, port), timeout=timeout)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        s = ctx.wrap_socket(raw, server_hostname=SERVER_NAME, session=session,
                            suppress_ragged_eofs=not strict_eof)
    except BaseException:
        raw.close()
        raise
    return SipConn(s)


def connect_for(test, port, **kw):
    c = connect(port, **kw)
    test.addCleanup(c.close)
    return c


# --- SIP messages ---------------------------------------------------------------------------

class SipMessage:
    def __init__(self, start_line, headers, body, raw):
        self.start_line = start_line
        self.headers = headers  # [(name, value)] in order, names as sent
        self.body = body
        self.raw = raw

    def all(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def get(self, name):
        v = self.all(name)
        return v[0] if v else None

    def key(self):
        return (self.get("Call-ID"), self.get("CSeq"))

    def __repr__(self):
        return "SipMessage(%r)" % self.raw


def parse_one(buf):
    """(SipMessage, bytes used) for the first complete message in buf, or (None, 0)."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None, 0
    head = bytes(buf[:end]).decode("utf-8", "replace")
    lines = head.split("\r\n")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    cl = [v for k, v in headers if k.lower() in ("content-length", "l")]
    length = int(cl[0]) if cl else 0
    total = end + 4 + length
    if len(buf) < total:
        return None, 0
    raw = bytes(buf[:total])
    return SipMessage(lines[0], headers, raw[end + 4:], raw), total


class Request:
    """A SIP request with the headers a stateless server must copy."""

    _seq = 0

    def __init__(self, method="OPTIONS", call_id=None, cseq=1, vias=None, to_tag=None, body=b"",
                 content_length="auto", extra_headers=(), uri="sip:service@127.0.0.1"):
        Request._seq += 1
        self.method = method
        self.uri = uri
        self.call_id = call_id or "it-%d-%d-%f@client.example" % (os.getpid(), Request._seq,
                                                                  time.time())
        self.cseq = "%d %s" % (cseq, method)
        self.vias = vias or ["SIP/2.0/TLS 127.0.0.1:5071;branch=z9hG4bK-%d-%d;rport"
                             % (os.getpid(), Request._seq)]
        self.from_ = "\"Alice\" <sip:alice@client.example>;tag=fa%d" % Request._seq
        self.to = "<sip:bob@server.example>" + (";tag=%s" % to_tag if to_tag else "")
        self.body = body
        self.content_length = content_length
        self.extra_headers = list(extra_headers)

    def key(self):
        return (self.call_id, self.cseq)

    def head_lines(self):
        lines = ["%s %s SIP/2.0" % (self.method, self.uri)]
        lines += ["Via: %s" % v for v in self.vias]
        lines += ["Max-Forwards: 70", "From: %s" % self.from_, "To: %s" % self.to,
                  "Call-ID: %s" % self.call_id, "CSeq: %s" % self.cseq,
                  "Contact: <sip:alice@127.0.0.1:5071;transport=tls>"]
        lines += self.extra_headers
        if self.content_length == "auto":
            lines.append("Content-Length: %d" % len(self.body))
        elif self.content_length is not None:
            lines.append("Content-Length: %s" % self.content_length)
        return lines

    def encode(self):
        return ("\r\n".join(self.head_lines()) + "\r\n\r\n").encode() + self.body


TOKEN_RE = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")


def stamped_top_via(via, ip, port):
    """The top Via `via` as the demo core returns it to a request from ip:port (RFC 3261 18.2.1,
    RFC 3581 4; tools/sipring/via_received.h): an empty rport gets the port, and received=ip is
    added (or replaces one sent) when the sent-by host is not ip or rport was empty. For the
    simple Vias tests send (no quoted values, no whitespace inside the top via-parm)."""
    import ipaddress
    top, comma, rest = via.partition(",")
    parts = top.rstrip().split(";")
    sent_by = parts[0].split()[-1]
    host = sent_by[1:sent_by.index("]")] if sent_by.startswith("[") else sent_by.split(":")[0]
    try:
        same = ipaddress.ip_address(host) == ipaddress.ip_address(ip)
    except ValueError:
        same = False
    params = parts[1:]
    empty_rport = any(p.lower() == "rport" for p in params)
    out = []
    has_received = False
    for p in params:
        name = p.partition("=")[0].lower()
        if name == "rport" and p.lower() == "rport":
            p = "%s=%s" % (p, port)
        elif name == "received" and (empty_rport or not same):
            p = "%s=%s" % (p.partition("=")[0], ip)
            has_received = True
        elif name == "received":
            has_received = True
        out.append(p)
    if (empty_rport or not same) and not has_received:
        out.append("received=%s" % ip)
    trailing = top[len(top.rstrip()):]
    return ";".join([parts[0]] + out) + trailing + comma + rest


def check_200(test, req, resp, peer=None):
    """Asserts that resp is exactly the stateless 200 OK for req (RFC 3261 8.2.6). The top Via
    is either as sent (sipring_build_response's servers: relay_min, cpp_minimal) or as the demo
    core stamps it for `peer` ((ip, port) the request came from; None: HOST, any port)."""
    check_response(test, req, resp, "SIP/2.0 200 OK", peer=peer, stamped=True)


def check_response(test, req, resp, status_line, status_prefix=False, peer=None, stamped=False):
    if status_prefix:
        test.assertTrue(resp.start_line.startswith(status_line), resp.raw)
    else:
        test.assertEqual(resp.start_line, status_line, resp.raw)
    vias = resp.all("Via")
    if stamped and vias and vias != req.vias:
        ip, port = peer if peer is not None else (HOST, None)
        want = stamped_top_via(req.vias[0], ip, "{PORT}" if port is None else port)
        pattern = re.escape(want).replace(re.escape("{PORT}"), r"\d+")
        test.assertRegex(vias[0], "^%s$" % pattern, resp.raw)
        vias = [req.vias[0]] + vias[1:]
    test.assertEqual(vias, req.vias, resp.raw)
    test.assertEqual(resp.all("From"), [req.from_], resp.raw)
    test.assertEqual(resp.all("Call-ID"), [req.call_id], resp.raw)
    test.assertEqual(resp.all("CSeq"), [req.cseq], resp.raw)
    test.assertEqual(resp.all("Content-Length"), ["0"], resp.raw)
    test.assertEqual(resp.body, b"", resp.raw)
    to = resp.all("To")
    test.assertEqual(len(to), 1, resp.raw)
    if ";tag=" in req.to:
        test.assertEqual(to[0], req.to, "a To tag present in the request must be kept")
    else:
        test.assertTrue(to[0].startswith(req.to + ";tag="), resp.raw)
        test.assertRegex(to[0][len(req.to) + 5:], TOKEN_RE)
    names = sorted(k.lower() for k, _ in resp.headers)
    expected = sorted(["via"] * len(req.vias) + ["from", "to", "call-id", "cseq", "content-length"])
    test.assertEqual(names, expected, resp.raw)


def counters(stats):
    return stats["engine"]


def exchange(test, conn, req, timeout=5.0, peer=None):
    """Sends req and asserts the next message is its 200 OK, its top Via stamped for `peer` (the
    client's (ip, port) as sipring sees it: a PROXY header's source; default the socket's own)."""
    conn.send(req.encode())
    resp = conn.read_message(timeout)
    check_200(test, req, resp, peer=peer or conn.local_addr)
    return resp


def ssl_load(test, port, connections, requests=1, resume=False):
    """Python ssl (OpenSSL 3) load on `port`, one connection after another: each handshakes,
    sends `requests` OPTIONS one at a time, checks each 200 OK and closes. With resume, every
    connection after the first offers the session ticket of the one before (TLS 1.3), so the
    server resumes it. Returns (full, resumed): the handshakes as the client saw them."""
    ctx = client_context("1.3")
    session = None
    full = resumed = 0
    for _ in range(connections):
        conn = connect(port, ctx=ctx, session=session if resume else None)
        try:
            for _ in range(requests):
                exchange(test, conn, Request())
            if conn.sock.session_reused:
                resumed += 1
            else:
                full += 1
            session = conn.sock.session
        finally:
            conn.close()
    return full, resumed


# --- control plane and certificate helpers (config store / tls.cfg / tls.reload tests) --------

def ctl_raw(daemon, request, timeout=10.0):
    """Sends one JSON-RPC request (a dict, or bytes sent as is) on the daemon's control socket,
    bypassing sipringctl's argument typing, and returns the parsed response line."""
    data = request if isinstance(request, bytes) else json.dumps(request).encode()
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(daemon.ctl_socket)
        s.sendall(data + b"\n")
        buf = b""
        while b"\n" not in buf:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    return json.loads(buf.split(b"\n", 1)[0])


def private_ca(test):
    """A copy of the demo CA (cacert.pem, private/, serial, index.txt) in a temp dir owned by
    `test` (a TestCase or, for class fixtures, the class), so it can issue certificates."""
    d = tempfile.mkdtemp(prefix="sipring-it-ca.")
    add_cleanup = test.addClassCleanup if isinstance(test, type) else test.addCleanup
    add_cleanup(shutil.rmtree, d, True)
    ca = os.path.join(d, "ca")
    shutil.copytree(demo_certs(), ca)
    return ca


def issue_server_cert(ca_dir, cn, out, san=None, timeout=30, rsa_bits=None):
    """Issues a server certificate for `cn` with `sipring-certs server` (an ECDSA P-256 key, or
    RSA of rsa_bits); returns (PREFIX-cert.pem, PREFIX-key.pem) for out=PREFIX. Existing files
    are replaced."""
    args = [certs_bin(), "server", "--dir", ca_dir, "--cn", cn, "--out", out, "--force"]
    if san:
        args += ["--san", san]
    if rsa_bits:
        args += ["--rsa", str(rsa_bits)]
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("sipring-certs server failed: %s%s" % (r.stdout, r.stderr))
    return out + "-cert.pem", out + "-key.pem"


def pem_to_der(path):
    """DER of the first certificate in a PEM file (to compare with getpeercert(True))."""
    with open(path) as f:
        text = f.read()
    begin = text.index("-----BEGIN CERTIFICATE-----")
    end = text.index("-----END CERTIFICATE-----", begin) + len("-----END CERTIFICATE-----")
    return ssl.PEM_cert_to_DER_cert(text[begin:end])


def connect_to(host, port, server_hostname=SERVER_NAME, ctx=None, timeout=5.0, strict_eof=True,
               session=None, source=None):
    """Like connect() but to any host and with any SNI / verified name (None: no SNI and no
    name check), from the local address `source` (an IP; None: the kernel's choice)."""
    if ctx is None:
        ctx = client_context()
        if server_hostname is None:
            ctx.check_hostname = False
    raw = socket.create_connection((host, port), timeout=timeout,
                                   source_address=(source, 0) if source else None)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        s = ctx.wrap_socket(raw, server_hostname=server_hostname, session=session,
                            suppress_ragged_eofs=not strict_eof)
    except BaseException:
        raw.close()
        raise
    return SipConn(s)


def cert_names(conn):
    """(subject CN, [subjectAltName values]) of the verified peer certificate of a SipConn."""
    cert = conn.sock.getpeercert()
    cn = None
    for rdn in cert.get("subject", ()):
        for k, v in rdn:
            if k == "commonName":
                cn = v
    return cn, [v for _, v in cert.get("subjectAltName", ())]


def peer_der(test, port, server_hostname=SERVER_NAME, ctx=None):
    """The certificate (DER) a new connection to HOST:port gets; the connection must also
    answer an OPTIONS with its 200 OK."""
    c = connect_to(HOST, port, server_hostname=server_hostname, ctx=ctx)
    try:
        der = c.sock.getpeercert(binary_form=True)
        exchange(test, c, Request("OPTIONS"))
    finally:
        c.close()
    return der


def wait_until(predicate, timeout, interval=0.05):
    """Polls predicate() until it returns a true value or `timeout` passes; returns its last
    value (the caller asserts on it)."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


# --- peers built elsewhere: sipring-load, client certificates, CRLs, socket owners -----------
# (used by the Kamailio interop tests; generic enough for any test with a foreign TLS peer)

def load_bin():
    return os.path.join(build_dir(), "tools", "sipring-load")


def issue_client_cert(ca_dir, cn, out, san=None, timeout=30):
    """Issues a client certificate (extendedKeyUsage clientAuth) for `cn` with `sipring-certs
    client`; returns (PREFIX-cert.pem, PREFIX-key.pem) for out=PREFIX (replaced if present)."""
    args = [certs_bin(), "client", "--dir", ca_dir, "--cn", cn, "--out", out, "--force"]
    if san:
        args += ["--san", san]
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("sipring-certs client failed: %s%s" % (r.stdout, r.stderr))
    return out + "-cert.pem", out + "-key.pem"


def revoke_and_write_crl(ca_dir, certs, crl_out, timeout=30):
    """Revokes each PEM in `certs` (issued by the CA in ca_dir) and writes the CA's CRL to
    crl_out (replaced if present); returns crl_out. With certs=() it writes an empty CRL."""
    for cert in certs:
        r = subprocess.run([certs_bin(), "revoke", "--dir", ca_dir, cert], capture_output=True,
                           text=True, timeout=timeout)
        if r.returncode != 0:
            raise AssertionError("sipring-certs revoke failed: %s%s" % (r.stdout, r.stderr))
    r = subprocess.run([certs_bin(), "crl", "--dir", ca_dir, "--out", crl_out, "--force"],
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("sipring-certs crl failed: %s%s" % (r.stdout, r.stderr))
    return crl_out


def run_load(args, timeout=60):
    """Runs `sipring-load ARGS...` (bounded by `timeout` seconds; also pass --max-seconds) and
    returns (returncode, the JSON result line as a dict or None, stderr text)."""
    r = subprocess.run([load_bin()] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    result = None
    for line in r.stdout.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
    return r.returncode, result, r.stderr


def tcp_socket_owners(local, remote=None):
    """PIDs of the processes holding an IPv4 TCP socket bound to local=(ip, port) (and connected
    to remote=(ip, port) when given), found through /proc/net/tcp inodes and /proc/PID/fd.
    Proves which program is at the other end of a loopback connection."""
    def hexaddr(a):
        ip = socket.inet_aton(a[0])
        return "%08X:%04X" % (int.from_bytes(ip, "little"), a[1])
    inodes = set()
    with open("/proc/net/tcp") as f:
        for line in f.read().splitlines()[1:]:
            fields = line.split()
            if fields[1] == hexaddr(local) and (remote is None or fields[2] == hexaddr(remote)):
                inodes.add("socket:[%s]" % fields[9])
    owners = set()
    if not inodes:
        return owners
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        fd_dir = "/proc/%s/fd" % pid
        try:
            for fd in os.listdir(fd_dir):
                try:
                    if os.readlink(os.path.join(fd_dir, fd)) in inodes:
                        owners.add(int(pid))
                        break
                except OSError:
                    continue
        except OSError:
            continue
    return owners
