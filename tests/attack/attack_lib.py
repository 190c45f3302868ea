"""Shared machinery of sipring's attack tests (tests/attack/test_*.py).

Each attack test starts sipring through the integration harness (tests/integration/harness.py),
then, while the attack runs:
  * samples the server's Pss (/proc/PID/smaps_rollup) and open-fd count (/proc/PID/fd);
  * runs a probe client in a separate process (so the attackers' Python code cannot delay it
    through the GIL): one TLS connection from 127.0.0.1 sending an OPTIONS every ~20 ms and
    recording each answer's latency, and optionally a fresh TLS connection every so often
    (new clients still get in);
and prints one summary line on stderr:

    attack NAME: Pss before X MB peak Y MB after Z MB, fds before F after G, probe p50 A ms
    p99 B ms (N sent, E errors, C fresh connections), outcome TEXT

tools/run-soak.sh parses these lines. Attackers connect from other loopback addresses
(127.0.0.2, 127.0.0.3 ...: Linux routes all of 127/8 on lo), so per-source limits never touch
the probe. Every wait is bounded.
"""

import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import harness as h  # noqa: E402  (the path above makes it importable)

PROBE_SOURCE = "127.0.0.1"


def attacker_ip(i):
    """The i-th attacker source address (i >= 0): 127.0.0.2, 127.0.0.3, ..., then 127.0.1.x."""
    n = i + 2
    return "127.0.%d.%d" % (n >> 8, n & 255)


# --- the server's process ------------------------------------------------------------------

def pss_kb(pid):
    """Proportional set size of process pid in KiB (smaps_rollup), or None if it is gone."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


class Sampler:
    """Samples a process's Pss every `interval` seconds in a thread; keeps the peak."""

    def __init__(self, pid, interval=0.05):
        self.pid = pid
        self.interval = interval
        self.peak = pss_kb(pid) or 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(self.interval):
            v = pss_kb(self.pid)
            if v is not None and v > self.peak:
                self.peak = v

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        v = pss_kb(self.pid)
        if v is not None and v > self.peak:
            self.peak = v
        return self.peak


# --- counters -------------------------------------------------------------------------------

_REQUIRED = object()


def counter(stats, name, default=_REQUIRED):
    """A counter or gauge from Daemon.stats() (the engine's totals, else the core's). A counter
    sipring does not report fails the test, unless a default is given (for summary lines)."""
    for part in ("engine", "core"):
        sect = stats.get(part) or {}
        if name in sect:
            return sect[name]
    if default is not _REQUIRED:
        return default
    raise AssertionError("sipring reports no counter %r (engine: %s)"
                         % (name, sorted((stats.get("engine") or {}).keys())))


def wait_counter(d, predicate, timeout):
    """Polls the counters until predicate(get) is true, get(name) returning a counter; returns
    the last stats either way (the caller asserts on them; a counter sipring lacks reads 0
    here and fails the caller's assertion)."""
    return d.wait_stats(lambda s: predicate(lambda n: counter(s, n, 0)), timeout=timeout,
                        interval=0.1)


# --- the daemon -----------------------------------------------------------------------------

# The defences' parameters. SIPRING_ATTACK_BEFORE=1 drops them from the config, to measure a
# sipring that predates them (the "before" figures: the tests then fail, but print their lines).
DEFENCE_PARAMS = {"conn_wq_max", "conn_wq_hard_max", "wq_max", "send_timeout_ms",
                  "message_timeout_ms", "rx_partial_max", "max_connections_per_source",
                  "max_handshakes_per_source", "max_handshakes", "source_reserve_percent"}


def start(test, params, **kw):
    """Starts sipring with the attack defaults plus `params` ((module, name) -> value)."""
    merged = {("sipring", "reactors"): 2, ("tls", "connection_timeout"): 600}
    merged.update(params)
    if os.environ.get("SIPRING_ATTACK_BEFORE") == "1":
        merged = {k: v for k, v in merged.items() if k[1] not in DEFENCE_PARAMS}
    return h.start_daemon(test, params=merged, **kw)


# --- sockets from a chosen source address ----------------------------------------------------

def tcp_from(source, port, rcvbuf=None, sndbuf=None, timeout=5.0):
    """A TCP socket bound to (source, 0) and connected to sipring on HOST:port. Buffer sizes are
    set before connect so that the window scale matches them."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if rcvbuf is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if sndbuf is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.bind((source, 0))
        s.settimeout(timeout)
        s.connect((h.HOST, port))
    except BaseException:
        s.close()
        raise
    return s


def rst_close(s):
    """Closes s with a TCP RST (SO_LINGER 0) instead of a FIN."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    s.close()


def tls_from(source, port, timeout=5.0, version=None):
    """A verified TLS connection (harness SipConn) from `source`."""
    raw = tcp_from(source, port, timeout=timeout)
    try:
        s = h.client_context(version).wrap_socket(raw, server_hostname=h.SERVER_NAME,
                                                  suppress_ragged_eofs=False)
    except BaseException:
        raw.close()
        raise
    return h.SipConn(s)


def read_to_close(sock, timeout=3.0):
    """Everything sock receives until the server closes; "<open>" appended if it does not
    within `timeout`."""
    sock.setblocking(True)
    deadline = time.monotonic() + timeout
    out = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return out + b"<open>"
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return out + b"<open>"
        except OSError:
            return out
        if not data:
            return out
        out += data


client_hello = h.client_hello  # the bytes of a real ClientHello (Python's OpenSSL)


class BioConn:
    """A TLS client over a raw socket through ssl.MemoryBIO: the test sees every ciphertext byte
    and never blocks on a stalled peer (the socket is non-blocking after the handshake)."""

    def __init__(self, source, port, rcvbuf=None, sndbuf=None, timeout=5.0):
        self.sock = tcp_from(source, port, rcvbuf=rcvbuf, sndbuf=sndbuf, timeout=timeout)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = h.client_context().wrap_bio(self.inc, self.out, server_hostname=h.SERVER_NAME)
        self.pending = bytearray()  # ciphertext not yet accepted by the kernel
        self.plain = bytearray()  # decrypted bytes not yet parsed
        self.closed = None  # None, or why the server's side ended
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                pass
            self.sock.sendall(self.out.read())
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("server closed during the handshake")
            self.inc.write(data)
        self.sock.sendall(self.out.read())
        self.sock.setblocking(False)

    def seal(self, plaintext):
        """Encrypts plaintext and appends the records to the pending output."""
        self.obj.write(plaintext)
        self.pending += self.out.read()

    def push(self):
        """Writes pending ciphertext without blocking; returns the bytes written."""
        if not self.pending or self.closed:
            return 0
        try:
            n = self.sock.send(self.pending)
        except (BlockingIOError, InterruptedError):
            return 0
        except OSError as e:
            self.closed = "send: %s" % e
            return 0
        del self.pending[:n]
        return n

    def pull(self):
        """Reads what the kernel holds without blocking and decrypts it into self.plain."""
        if self.closed:
            return 0
        total = 0
        while True:
            try:
                data = self.sock.recv(262144)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:
                self.closed = "recv: %s" % e
                break
            if not data:
                self.closed = "eof"
                break
            total += len(data)
            self.inc.write(data)
        while True:
            try:
                chunk = self.obj.read(262144)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLError as e:
                self.closed = "tls: %s" % e
                break
            if not chunk:
                self.closed = self.closed or "close_notify"
                break
            self.plain += chunk
        return total

    def messages(self):
        """Parses complete SIP messages out of self.plain (SipMessage list)."""
        out = []
        while True:
            msg, used = h.parse_one(self.plain)
            if msg is None:
                return out
            del self.plain[:used]
            out.append(msg)

    def close(self, rst=False):
        if rst:
            rst_close(self.sock)
        else:
            self.sock.close()


def options_batch(call_id, first_cseq, count, via_host):
    """`count` pipelined OPTIONS on one Call-ID with CSeq first_cseq ... (bytes)."""
    parts = []
    for cseq in range(first_cseq, first_cseq + count):
        parts.append(
            ("OPTIONS sip:service@127.0.0.1 SIP/2.0\r\n"
             "Via: SIP/2.0/TLS %s:5071;branch=z9hG4bK-%s-%d;rport\r\n"
             "Max-Forwards: 70\r\n"
             "From: <sip:attacker@%s>;tag=a%d\r\n"
             "To: <sip:service@127.0.0.1>\r\n"
             "Call-ID: %s\r\n"
             "CSeq: %d OPTIONS\r\n"
             "Content-Length: 0\r\n\r\n") % (via_host, call_id, cseq, via_host, cseq, call_id,
                                             cseq))
    return "".join(parts).encode()


# --- the probe client -------------------------------------------------------------------------

class Probe:
    """The probe client, in its own process (this file run as a script). start() returns once
    its first OPTIONS was answered; stop() returns its results:
    {"lat_ms": [...], "sent": N, "errors": ["..."], "fresh": N, "fresh_ms": [...]}."""

    def __init__(self, port, interval=0.02, fresh_every=None, timeout=2.0):
        self.port = port
        self.interval = interval
        self.fresh_every = fresh_every
        self.timeout = timeout
        self.proc = None
        self.result = None

    def start(self):
        args = [sys.executable, os.path.abspath(__file__), "probe", str(self.port), h.ca_file(),
                str(self.interval), str(self.fresh_every or 0), str(self.timeout)]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, preexec_fn=h._die_with_parent)
        line = self.proc.stdout.readline()  # "ready" after the first answer, bounded in the child
        if line.strip() != b"ready":
            self.proc.kill()
            out, err = self.proc.communicate(timeout=10)
            raise AssertionError("the probe did not start: %r %r" % (line + out, err))
        return self

    def stop(self):
        if self.result is not None:
            return self.result
        try:
            out, err = self.proc.communicate(b"stop\n", timeout=self.timeout + 10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate(timeout=10)
        try:
            self.result = json.loads(out.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise AssertionError("no probe result: %r %r" % (out, err))
        return self.result

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def _probe_main(port, cafile, interval, fresh_every, timeout):
    """The probe process: OPTIONS every `interval` s on one connection (reconnecting after a
    failure), a fresh connection every `fresh_every` s (0 = never), until stdin says stop."""
    ctx = ssl.create_default_context(cafile=cafile)

    def open_conn():
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raw.bind((PROBE_SOURCE, 0))
        raw.settimeout(timeout)
        try:
            raw.connect((h.HOST, port))
            return h.SipConn(ctx.wrap_socket(raw, server_hostname=h.SERVER_NAME))
        except BaseException:
            raw.close()
            raise

    def ask(conn, cseq):
        req = h.Request("OPTIONS", cseq=cseq)
        t0 = time.monotonic()
        conn.send(req.encode())
        resp = conn.read_message(timeout=timeout)
        ms = (time.monotonic() - t0) * 1000.0
        if resp.start_line != "SIP/2.0 200 OK" or resp.get("Call-ID") != req.call_id:
            raise AssertionError("unexpected answer %r" % resp.start_line)
        return ms

    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    res = {"lat_ms": [], "sent": 0, "errors": [], "fresh": 0, "fresh_ms": []}
    deadline = time.monotonic() + 10
    conn = None
    while conn is None:
        try:
            conn = open_conn()
            ask(conn, 1)
        except Exception as e:  # noqa: BLE001 - retried, bounded
            conn = None
            if time.monotonic() > deadline:
                print("probe could not connect: %s" % e, flush=True)
                return 1
            time.sleep(0.1)
    print("ready", flush=True)
    cseq = 1
    next_fresh = time.monotonic() + fresh_every if fresh_every > 0 else float("inf")
    next_tick = time.monotonic()
    while not stop.is_set():
        next_tick += interval
        cseq += 1
        res["sent"] += 1
        try:
            if conn is None:
                conn = open_conn()
            res["lat_ms"].append(ask(conn, cseq))
        except Exception as e:  # noqa: BLE001 - recorded, the test asserts on it
            res["errors"].append("%.3f %s: %s" % (time.monotonic(), type(e).__name__, e))
            if conn is not None:
                conn.close()
            conn = None
        now = time.monotonic()
        if now >= next_fresh:
            next_fresh = now + fresh_every
            t0 = now
            try:
                f = open_conn()
                ask(f, 1)
                f.close()
                res["fresh"] += 1
                res["fresh_ms"].append((time.monotonic() - t0) * 1000.0)
            except Exception as e:  # noqa: BLE001
                res["errors"].append("fresh %.3f %s: %s" % (time.monotonic(), type(e).__name__,
                                                            e))
        stop.wait(max(0.0, next_tick - time.monotonic()))
        if next_tick < time.monotonic() - 1:
            next_tick = time.monotonic()  # fell far behind (a long stall): do not burst
    if conn is not None:
        conn.close()
    print(json.dumps(res), flush=True)
    return 0


# --- one attack run -----------------------------------------------------------------------------

class Attack:
    """Measures one attack on daemon `d`: Pss and fds before / peak / after and the probe.

        a = Attack(self, d, "name").start()   # probe running, sampling on
        ... attack ...
        a.end()                               # probe stopped (results in a.probe_result)
        ... wait for the server to settle ...
        a.settled()                           # records "after"
        a.report("outcome text")              # prints the summary line
    """

    def __init__(self, test, d, name, fresh_every=None, interval=0.02):
        self.test = test
        self.d = d
        self.name = name
        self.pid = d.proc.pid
        self.probe = Probe(d.port, interval=interval, fresh_every=fresh_every)
        test.addCleanup(self.probe.kill)
        self.sampler = None
        self.pss_before = self.pss_after = self.fds_before = self.fds_after = None
        self.probe_result = None

    def start(self):
        self.probe.start()
        time.sleep(0.2)  # the probe's first connection settles into the baseline
        self.pss_before = pss_kb(self.pid)
        self.fds_before = fd_count(self.pid)
        self.sampler = Sampler(self.pid).start()
        self._started = time.monotonic()
        return self

    def hold(self, seconds):
        """Waits until the attack has lasted at least `seconds` since start(), so the probe
        had that long to measure (and to open its fresh connections) however fast the attack
        itself went."""
        left = self._started + seconds - time.monotonic()
        if left > 0:
            time.sleep(left)

    def end(self):
        self.probe_result = self.probe.stop()
        return self.probe_result

    def settled(self):
        self.sampler.stop()
        self.pss_after = pss_kb(self.pid)
        self.fds_after = fd_count(self.pid)

    @property
    def pss_peak(self):
        return self.sampler.peak if self.sampler else None

    def p50(self):
        return percentile(self.probe_result["lat_ms"], 50)

    def p99(self):
        return percentile(self.probe_result["lat_ms"], 99)

    def summary(self, outcome):
        r = self.probe_result or {"lat_ms": [], "sent": 0, "errors": [], "fresh": 0}
        mb = lambda kb: "?" if kb is None else "%.1f" % (kb / 1024.0)  # noqa: E731
        return ("attack %s: Pss before %s MB peak %s MB after %s MB, fds before %s after %s, "
                "probe p50 %.1f ms p99 %.1f ms (%d sent, %d errors, %d fresh connections), "
                "outcome %s" % (self.name, mb(self.pss_before), mb(self.pss_peak),
                                mb(self.pss_after), self.fds_before, self.fds_after,
                                percentile(r["lat_ms"], 50), percentile(r["lat_ms"], 99),
                                r["sent"], len(r["errors"]), r["fresh"], outcome))

    def report(self, outcome):
        sys.stderr.write(self.summary(outcome) + "\n")
        sys.stderr.flush()

    # -- assertions shared by every attack

    def assert_probe(self, p99_max_ms, min_sent=10, max_errors=0):
        """The probe kept being answered: no error, at least min_sent requests, p99 bounded."""
        r = self.probe_result
        self.test.assertLessEqual(len(r["errors"]), max_errors,
                                  "probe errors: %r" % r["errors"][:10])
        self.test.assertGreaterEqual(len(r["lat_ms"]), min_sent, "probe answers")
        self.test.assertLessEqual(self.p99(), p99_max_ms, "probe p99 (ms)")

    def assert_pss_growth(self, max_kb, what):
        """The peak Pss stayed within max_kb of the start."""
        self.test.assertLessEqual(self.pss_peak - self.pss_before, max_kb,
                                  "%s: Pss grew from %d KB to %d KB" % (what, self.pss_before,
                                                                       self.pss_peak))


def kb(mb):
    return int(mb * 1024)


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "probe":
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sys.exit(_probe_main(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]),
                             float(sys.argv[5]), float(sys.argv[6])))
    sys.stderr.write("usage: attack_lib.py probe PORT CAFILE INTERVAL FRESH_EVERY TIMEOUT\n")
    sys.exit(2)
