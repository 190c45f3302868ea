"""sipring-relay (examples/relay, the C ABI's stateless relay) in front of Kamailio 5.6.

Python `ssl` clients (OpenSSL 3) -> sipring-relay -> Kamailio over TLS (started here, answering
every request but ACK with sl_send_reply("200", "OK")) -> back. 100 connections x 100 OPTIONS,
every response matched by Call-ID and CSeq, nothing lost or mismatched; then the upstream
Kamailio is killed under continuous traffic and restarted: every request is answered, 200
before the kill, 503 (with Retry-After) while it is down, 200 again once the relay reconnected.
Skipped when Kamailio or its tls module is not installed (tools/install-deps.sh installs them).

This file also holds the relay's process helper (start_relay), used by test_relay_input.py.
"""

import json
import os
import queue
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import harness as h
import test_kamailio_interop as ki  # Kamailio process control, shared with the interop tests

TLS_CFG = """[server:default]
method = TLSv1.2+
certificate = certs/server.pem
private_key = certs/server.pem

[client:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
ca_list = certs/cacert.pem
"""


def relay_bin():
    return os.path.join(h.build_dir(), "examples", "sipring-relay")


class Relay:
    """One sipring-relay process: its log (stderr) and counters (JSON lines on stdout)."""

    def __init__(self, workdir, port, args):
        self.workdir, self.port, self.args = workdir, port, args
        self.proc = None
        self._log, self._lock = [], threading.Lock()
        self._json = queue.Queue()
        self._pumps = []

    def spawn(self):
        self.proc = subprocess.Popen(self.args, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     preexec_fn=h._die_with_parent)
        for stream, sink in ((self.proc.stdout, self._on_out), (self.proc.stderr, self._on_err)):
            t = threading.Thread(target=h.Daemon._pump, args=(stream, sink), daemon=True)
            t.start()
            self._pumps.append(t)

    def _on_out(self, line):
        if line.startswith("{"):
            self._json.put(json.loads(line))

    def _on_err(self, line):
        with self._lock:
            self._log.append(line)

    def log_lines(self):
        with self._lock:
            return list(self._log)

    def log_text(self, last=60):
        return "\n".join(self.log_lines()[-last:])

    def count_lines(self, pattern):
        rx = re.compile(pattern)
        return sum(1 for l in self.log_lines() if rx.search(l))

    def wait_line(self, pattern, count=1, timeout=10.0):
        """Waits until `pattern` has matched `count` log lines; AssertionError after timeout."""
        if not h.wait_until(lambda: self.count_lines(pattern) >= count, timeout, 0.01):
            raise AssertionError("relay: no %d line(s) matching %r within %.0f s; log:\n%s"
                                 % (count, pattern, timeout, self.log_text()))

    def counters(self, timeout=5.0):
        """SIGUSR1, then the JSON line it prints: {"relay": {...}, "engine": {...}}."""
        while not self._json.empty():
            self._json.get_nowait()
        self.proc.send_signal(signal.SIGUSR1)
        return self._json.get(timeout=timeout)

    def stop(self, timeout=10.0):
        """SIGTERM; asserts a clean exit and returns the counters printed at exit."""
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout)
        for t in self._pumps:
            t.join(5)
        if rc != 0:
            raise AssertionError("relay exited with %r; log:\n%s" % (rc, self.log_text()))
        last = None
        while not self._json.empty():
            last = self._json.get_nowait()
        if last is None:
            raise AssertionError("relay printed no counters at exit")
        return last

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def start_relay(test, upstream_port, upstream_name="localhost", args=(), reactors=2,
                tls_cfg=TLS_CFG, config_lines=()):
    """Starts sipring-relay for `test` on a free loopback port with the demo certificates,
    `tls_cfg` as its tls.cfg, relaying to 127.0.0.1:upstream_port (verified as `upstream_name`);
    returns it once it listens. `config_lines` are added to its config file. Registers its kill
    and the removal of its directory."""
    if not os.access(relay_bin(), os.X_OK):
        raise unittest.SkipTest("sipring-relay is not built (%s)" % relay_bin())
    workdir = tempfile.mkdtemp(prefix="sipring-it-relay.")
    test.addCleanup(shutil.rmtree, workdir, True)
    shutil.copytree(h.demo_certs(), os.path.join(workdir, "certs"))
    with open(os.path.join(workdir, "tls.cfg"), "w") as f:
        f.write(tls_cfg)
    for attempt in range(5):
        port = h.free_port()
        cfg = os.path.join(workdir, "relay.cfg")
        with open(cfg, "w") as f:
            f.write('loadmodule "tls.so"\nenable_tls=yes\nlisten=tls:%s:%d\n'
                    'modparam("tls", "config", "tls.cfg")\n'
                    'modparam("sipring", "reactors", %d)\n'
                    'modparam("sipring", "max_message_size", 65535)\n'
                    'modparam("ctl", "socket", "unix:%s/ctl.sock")\n'
                    % (h.HOST, port, reactors, workdir))
            f.write("".join(line + "\n" for line in config_lines))
        argv = [relay_bin(), "-f", cfg, "--upstream", "%s:%d" % (h.HOST, upstream_port)]
        if upstream_name:
            argv += ["--upstream-name", upstream_name]
        r = Relay(workdir, port, argv + list(args))
        r.spawn()
        test.addCleanup(r.kill)
        ready = h.wait_until(lambda: r.proc.poll() is not None or
                             h.listening_sockets(port) == reactors and
                             r.count_lines(r"ready$") > 0, 15, 0.02)
        if ready and r.proc.poll() is None:
            return r
        r.kill()
        if "in use" not in r.log_text():
            raise AssertionError("relay did not start; log:\n%s" % r.log_text())
    raise AssertionError("relay: no free port after 5 attempts")


def restart_kamailio(test, k):
    """Starts Kamailio `k` again with its own command line (same ports, same run directory)
    after k.stop(), and waits until it is ready."""
    nofile = int(re.search(r"OPEN_FILES=(\d+)", " ".join(k.proc.args)).group(1))
    with open(k.log_path, "ab") as log:
        k.proc = subprocess.Popen(k.proc.args, cwd=k.workdir, stdin=subprocess.DEVNULL,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                  preexec_fn=ki._preexec(nofile))
    k.pgid = k.proc.pid
    k.final_log = None
    test.addCleanup(k.stop)
    if not ki._wait_ready(k):
        raise AssertionError("kamailio did not restart; log:\n%s" % k.log_text())


class Client(threading.Thread):
    """One TLS connection to the relay sending OPTIONS, `window` outstanding at a time, until
    `count` were sent or `stop` is set. Every response is matched to its request by Call-ID
    and CSeq: results holds (sent_at, answered_at, request, response); anything unmatched or
    missing within `timeout` goes to errors."""

    def __init__(self, port, index, count=None, window=1, stop=None, timeout=8.0):
        super().__init__(daemon=True)
        self.port, self.index, self.count, self.window = port, index, count, window
        self.stop_event, self.timeout = stop, timeout
        self.results, self.errors = [], []

    def run(self):
        try:
            self._run()
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.errors.append("client %d: %r" % (self.index, e))

    def _run(self):
        c = h.connect(self.port, timeout=10)
        local = c.sock.getsockname()
        pending, sent = {}, 0
        try:
            while True:
                more = (sent < self.count if self.count is not None
                        else not self.stop_event.is_set())
                batch = []
                while more and len(pending) + len(batch) < self.window:
                    sent += 1
                    req = h.Request("OPTIONS", cseq=sent,
                                    call_id="relay-%d-%d-%d@it" % (os.getpid(), self.index, sent),
                                    vias=["SIP/2.0/TLS %s:%d;branch=z9hG4bK-it%d-%d;rport"
                                          % (local[0], local[1], self.index, sent)])
                    batch.append(req)
                    more = sent < self.count if self.count is not None else True
                if batch:
                    now = time.monotonic()
                    for req in batch:
                        pending[req.key()] = (req, now)
                    c.send(b"".join(r.encode() for r in batch))
                if not pending:
                    return
                try:
                    resp = c.read_message(self.timeout)
                except Exception as e:  # noqa: BLE001
                    self.errors.append("client %d: %d requests unanswered (%r)"
                                       % (self.index, len(pending), e))
                    return
                item = pending.pop(resp.key(), None)
                if item is None:
                    self.errors.append("client %d: unmatched response %r" % (self.index, resp.raw))
                    continue
                self.results.append((item[1], time.monotonic(), item[0], resp))
        finally:
            c.close()


def status(resp):
    return int(resp.start_line.split()[1])


@ki.needs_kamailio
class RelayThroughKamailio(unittest.TestCase):

    def setUp(self):
        self.ca_dir = h.private_ca(self)
        self.kam = ki.start_kamailio(self, os.path.join(self.ca_dir, "cacert.pem"),
                                     os.path.join(self.ca_dir, "localhost-cert.pem"),
                                     os.path.join(self.ca_dir, "localhost-key.pem"))
        self.relay = start_relay(self, self.kam.tls_port)
        self.relay.wait_line(r"upstream .* up: connection")

    def check_relayed(self, req, resp, code):
        """resp is Kamailio's (or the relay's) answer to req with the relay's Via removed."""
        self.assertEqual(status(resp), code, resp.raw)
        self.assertEqual(resp.all("Via"), req.vias, resp.raw)
        self.assertEqual(resp.get("Call-ID"), req.call_id)
        self.assertEqual(resp.get("CSeq"), req.cseq)
        if code == 503:
            self.assertRegex(resp.get("Retry-After") or "", r"^\d+$", resp.raw)

    def test_100_connections_x_100_requests_all_answered_by_kamailio(self):
        clients = [Client(self.relay.port, i, count=100, window=10) for i in range(100)]
        t0 = time.monotonic()
        for c in clients:
            c.start()
        for c in clients:
            c.join(60)
        elapsed = time.monotonic() - t0
        self.assertFalse([c for c in clients if c.is_alive()], "clients still running")
        errors = [e for c in clients for e in c.errors]
        self.assertEqual(errors, [])
        results = [r for c in clients for r in c.results]
        self.assertEqual(len(results), 100 * 100)
        for _, _, req, resp in results:
            self.check_relayed(req, resp, 200)
        relay = self.relay.stop()["relay"]
        print("     relay: 10,000 requests in %.1f s" % elapsed)
        self.assertEqual((relay["requests_in"], relay["requests_relayed"],
                          relay["responses_in"], relay["responses_relayed"]),
                         (10000, 10000, 10000, 10000), relay)
        self.assertEqual(sum(v for k, v in relay.items() if k.startswith(("dropped", "replied"))),
                         0, relay)
        self.assertEqual(relay["upstream_opened"], 1, relay)

    def test_upstream_killed_and_restarted_under_traffic(self):
        stop = threading.Event()
        clients = [Client(self.relay.port, i, window=2, stop=stop) for i in range(20)]
        for c in clients:
            c.start()
        time.sleep(1.0)
        killed_at = time.monotonic()
        self.kam.stop()
        self.relay.wait_line(r"upstream .* down: connection", timeout=5)
        down_seen = time.monotonic()
        time.sleep(1.0)  # the gap: every request now must get 503 at once
        restart_at = time.monotonic()
        restart_kamailio(self, self.kam)
        self.relay.wait_line(r"upstream .* up: connection", count=2, timeout=10)
        up_seen = time.monotonic()
        time.sleep(1.0)
        stop.set()
        for c in clients:
            c.join(20)
        self.assertEqual([e for c in clients for e in c.errors], [])
        results = sorted((r for c in clients for r in c.results), key=lambda r: r[0])
        for sent, answered, req, resp in results:
            self.assertIn(status(resp), (200, 503), resp.raw)
            self.check_relayed(req, resp, status(resp))
            if answered < killed_at:
                self.assertEqual(status(resp), 200, "a 503 before the kill")
            if down_seen <= sent and answered < restart_at:
                self.assertEqual(status(resp), 503, "a request in the gap was not refused")
            if sent > up_seen:
                self.assertEqual(status(resp), 200, "a request after the reconnect failed")
        in_gap = [r for r in results if down_seen <= r[0] and r[1] < restart_at]
        after = [r for r in results if r[0] > up_seen]
        before = [r for r in results if r[1] < killed_at]
        self.assertGreater(len(in_gap), 10)
        self.assertGreater(len(after), 10)
        self.assertGreater(len(before), 10)
        relay = self.relay.stop()["relay"]
        n503 = sum(1 for r in results if status(r[3]) == 503)
        print("     relay: %d requests, %d before the kill, %d in the gap, %d after the "
              "reconnect; %d answered 503 (%d of them in flight at the kill)"
              % (len(results), len(before), len(in_gap), len(after), n503,
                 relay["replied_503_inflight"]))
        self.assertEqual(relay["replied_503"] + relay["replied_503_inflight"], n503, relay)
        self.assertEqual(relay["requests_in"], len(results), relay)
        self.assertEqual(sum(v for k, v in relay.items() if k.startswith("dropped")), 0, relay)
        self.assertEqual(relay["upstream_opened"], 2, relay)


if __name__ == "__main__":
    unittest.main()
