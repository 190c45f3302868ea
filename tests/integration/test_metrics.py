"""Prometheus /metrics end to end (issue 13): sipring started with modparam("ctl", "metrics",
"127.0.0.1:PORT"), real TLS load from Python's ssl (OpenSSL 3), scrapes parsed by the reference
parser (prometheus_client.parser, Debian python3-prometheus-client) and linted by
`promtool check metrics` (Debian prometheus):

  * every family of the spec with its type and labels; counters and histogram counts move
    under load (full and resumed handshakes, messages); buckets cumulative, +Inf == _count;
    a -Dinstruments=false build (CI's build-system/) still serves every family, its counters
    move, its histograms stay empty and sipring_build_info says instruments="off";
  * scrapes while load runs; bad requests get 400/404/405 (raw socket and curl);
  * the parameter off: nothing listens; a bad address is refused at start; [::1] works;
  * a scrape at once after start (the SIP port accepting, then the "serving" line) is answered,
    never refused, over ten starts;
  * docs/grafana-sipring.json is a valid dashboard whose every expression names only metrics a
    scrape has.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import harness as h

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    # Debian's python3-prometheus-client lives in the system interpreter's dist-packages, which
    # another python3 (pyenv, a venv) does not search; the package is pure Python.
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        text_string_to_metric_families = None

HERE = os.path.dirname(os.path.abspath(__file__))
DASHBOARD = os.path.join(HERE, "..", "..", "docs", "grafana-sipring.json")

# Issue 13's names (the spec's section 3) -> type. Counter families are named here as the
# parser names them (without _total).
SPEC_FAMILIES = {
    "sipring_handshake_duration_seconds": "histogram",
    "sipring_connect_duration_seconds": "histogram",
    "sipring_handoff_wait_seconds": "histogram",
    "sipring_reply_send_seconds": "histogram",
    "sipring_completions_per_enter": "histogram",
    "sipring_loop_busy_seconds": "counter",
    "sipring_loop_sleep_seconds": "counter",
    "sipring_loop_polls": "counter",
    "sipring_handoff_ring_high_water": "gauge",
    "sipring_reply_inbox_high_water_bytes": "gauge",
    "sipring_buffers_free_low_water": "gauge",
    "sipring_tls_certificate_not_after_seconds": "gauge",
    "sipring_build_info": "gauge",
    "sipring_start_time_seconds": "gauge",
    "sipring_reactors": "gauge",
    "sipring_messages_in": "counter",
    "sipring_messages_out": "counter",
    "sipring_handshakes_full": "counter",
    "sipring_handshakes_resumed": "counter",
    "sipring_handshake_failures": "counter",
    "sipring_connections_open": "gauge",
    "sipring_tx_queued_bytes": "gauge",
}


def http_get(port, request=None, host="127.0.0.1", timeout=5.0):
    """Sends `request` (bytes; default a GET /metrics) on a fresh TCP connection and reads the
    answer to the close: (status code, headers dict lower-cased, body text)."""
    if request is None:
        request = ("GET /metrics HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host, port)).encode()
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body.decode()


def families(text):
    """{family name: Metric} as the reference parser reads the exposition."""
    return {f.name: f for f in text_string_to_metric_families(text)}


def sample_sum(fams, family, sample_name=None, **labels):
    f = fams.get(family)
    if f is None:
        return 0.0
    want = sample_name or (family + "_total" if f.type == "counter" else family)
    return sum(s.value for s in f.samples
               if s.name == want and all(s.labels.get(k) == v for k, v in labels.items()))


def run_load(port, conns=6, messages=5, resumed=4):
    """Real TLS load: `conns` full handshakes then `resumed` resumptions (a saved session), each
    connection sending `messages` OPTIONS and reading every 200."""
    ctx = h.client_context()
    session = None
    for i in range(conns + resumed):
        c = h.connect(port, ctx=ctx, session=session if i >= conns else None)
        try:
            for _ in range(messages):
                req = h.Request()
                c.send(req.encode())
                resp = c.read_message(5.0)
                assert resp.start_line.startswith("SIP/2.0 200"), resp.start_line
            if i == 0:
                session = c.sock.session  # after a reply: TLS 1.3 tickets arrive with data
        finally:
            c.close()


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if text_string_to_metric_families is None:
            raise unittest.SkipTest("prometheus_client missing (Debian python3-prometheus-client)")
        cls.mport = h.free_port()
        cls.d = h.start_daemon(cls, params={("ctl", "metrics"): "127.0.0.1:%d" % cls.mport})

    def scrape(self):
        status, headers, body = http_get(self.mport)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8")
        self.assertEqual(int(headers.get("content-length", -1)), len(body.encode()))
        return body

    def test_families_types_and_labels(self):
        run_load(self.d.port, conns=1, messages=1, resumed=0)
        fams = families(self.scrape())
        for name, typ in SPEC_FAMILIES.items():
            self.assertIn(name, fams, "family %s missing" % name)
            self.assertEqual(fams[name].type, typ, name)
        # Every counter is per reactor, both reactors present.
        reactors = {s.labels["reactor"] for s in fams["sipring_messages_in"].samples}
        self.assertEqual(reactors, {"0", "1"})
        roles = {(s.labels["role"], s.labels["kind"])
                 for s in fams["sipring_handshake_duration_seconds"].samples}
        self.assertEqual(roles, {("server", "full"), ("server", "resumed"), ("client", "full"),
                                 ("client", "resumed")})
        certs = fams["sipring_tls_certificate_not_after_seconds"].samples
        self.assertTrue(certs)
        for s in certs:
            self.assertEqual(set(s.labels), {"domain", "file", "slot"})
            self.assertIn(s.labels["slot"], ("certificate", "certificate2"))
            self.assertGreater(s.value, time.time())  # the demo certificate is valid
        info = fams["sipring_build_info"].samples[0]
        self.assertEqual(set(info.labels), {"version", "boringssl", "uring_features", "instruments"})
        self.assertEqual(info.labels["instruments"], "on" if h.instruments_built() else "off")
        self.assertEqual(info.value, 1)
        self.assertIn("BoringSSL", info.labels["boringssl"])
        self.assertEqual(sample_sum(fams, "sipring_reactors"), 2)
        start = sample_sum(fams, "sipring_start_time_seconds")
        self.assertLess(abs(start - time.time()), 600)

    def test_counters_and_histograms_move_under_load(self):
        before = families(self.scrape())
        run_load(self.d.port, conns=6, messages=5, resumed=4)
        after = families(self.scrape())

        def delta(family, sample=None, **labels):
            return (sample_sum(after, family, sample, **labels)
                    - sample_sum(before, family, sample, **labels))

        self.assertGreaterEqual(delta("sipring_messages_in"), 50)
        self.assertGreaterEqual(delta("sipring_messages_out"), 50)
        self.assertGreaterEqual(delta("sipring_handshakes_full"), 6)
        self.assertGreaterEqual(delta("sipring_handshakes_resumed"), 4)
        self.assertGreaterEqual(delta("sipring_accepted"), 10)
        recorded = sum(sample_sum(after, f.name, f.name + "_count")
                       for f in after.values() if f.type == "histogram")
        if not h.instruments_built():
            # -Dinstruments=false (issue 13: histograms compiled out) reports them empty.
            self.assertEqual(recorded, 0)
            self.assertEqual(sample_sum(after, "sipring_loop_busy_seconds"), 0)
            return
        hs = "sipring_handshake_duration_seconds"
        self.assertGreaterEqual(delta(hs, hs + "_count", role="server", kind="full"), 6)
        self.assertGreaterEqual(delta(hs, hs + "_count", role="server", kind="resumed"), 4)
        self.assertGreater(delta(hs, hs + "_sum", role="server", kind="full"), 0)
        self.assertGreaterEqual(delta("sipring_handoff_wait_seconds",
                                      "sipring_handoff_wait_seconds_count"), 50)
        self.assertGreaterEqual(delta("sipring_reply_send_seconds",
                                      "sipring_reply_send_seconds_count"), 50)
        self.assertGreater(delta("sipring_completions_per_enter",
                                 "sipring_completions_per_enter_count"), 0)
        self.assertGreater(delta("sipring_loop_busy_seconds"), 0)

    def test_buckets_cumulative_and_inf_is_count(self):
        run_load(self.d.port, conns=2, messages=3, resumed=1)
        fams = families(self.scrape())
        checked = 0
        for f in fams.values():
            if f.type != "histogram":
                continue
            series = {}
            for s in f.samples:
                key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
                series.setdefault(key, {"buckets": [], "count": None})
                if s.name.endswith("_bucket"):
                    series[key]["buckets"].append((float(s.labels["le"]), s.value))
                elif s.name.endswith("_count"):
                    series[key]["count"] = s.value
            for key, sr in series.items():
                les = [le for le, _ in sr["buckets"]]
                self.assertEqual(les, sorted(les), (f.name, key))
                counts = [c for _, c in sr["buckets"]]
                self.assertEqual(counts, sorted(counts), "%s %s not cumulative" % (f.name, key))
                self.assertEqual(les[-1], float("inf"))
                self.assertEqual(counts[-1], sr["count"], (f.name, key))
                if f.name != "sipring_completions_per_enter":
                    self.assertAlmostEqual(les[0], 1.024e-06)
                    self.assertAlmostEqual(les[-2], 2 ** 34 / 1e9)
                checked += 1
        self.assertGreaterEqual(checked, 5 * 2 + 3 * 2)

    def test_promtool_check_metrics(self):
        promtool = shutil.which("promtool")
        if promtool is None:
            self.skipTest("promtool missing (Debian prometheus)")
        run_load(self.d.port, conns=1, messages=1, resumed=0)
        text = self.scrape()
        r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.strip() + r.stderr.strip(), "")

    def test_scrapes_while_load_runs(self):
        errors = []

        def load():
            try:
                run_load(self.d.port, conns=10, messages=20, resumed=10)
            except Exception as e:  # reported below, in the test's thread
                errors.append(e)

        t = threading.Thread(target=load)
        t.start()
        scrapes, last = 0, -1.0
        deadline = time.monotonic() + 60
        try:
            while (t.is_alive() or scrapes < 3) and time.monotonic() < deadline:
                t0 = time.monotonic()
                fams = families(self.scrape())
                self.assertLess(time.monotonic() - t0, 2.0, "a scrape took too long under load")
                now = sample_sum(fams, "sipring_messages_in")
                self.assertGreaterEqual(now, last)  # counters never go back
                last = now
                scrapes += 1
                time.sleep(0.05)
        finally:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertGreaterEqual(scrapes, 3)

    def test_bad_requests(self):
        cases = [
            (b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405),
            (b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n", 404),
            (b"GET / HTTP/1.0\r\n\r\n", 404),
            (b"this is not http\r\n\r\n", 400),
            (b"GET /metrics HTTP/1.1\r\n\r\n", 400),  # HTTP/1.1 without Host
            (b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            (b"GET /metrics HTTP/3.0\r\nHost: x\r\n\r\n", 505),
            (b"GET /metrics HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431),
        ]
        for request, want in cases:
            status, headers, _ = http_get(self.mport, request)
            self.assertEqual(status, want, request[:60])
            self.assertEqual(headers.get("connection"), "close")
        status, headers, _ = http_get(self.mport, b"DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual((status, headers.get("allow")), (405, "GET"))
        curl = shutil.which("curl")
        if curl:
            for args, want in ((["-X", "POST"], "405"), ([], "200")):
                for path, want_path in (("/metrics", want), ("/nope", "404")):
                    r = subprocess.run([curl, "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                        "--max-time", "5"] + args
                                       + ["http://127.0.0.1:%d%s" % (self.mport, path)],
                                       capture_output=True, text=True, timeout=15)
                    self.assertEqual(r.stdout, want_path, (args, path))
        # The RPC socket serves on the same thread: still answering.
        rc, out, err = h.ctl(self.d, "core.stats")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.scrape().count("# TYPE sipring_build_info gauge"), 1)

    def test_core_stats_shows_the_endpoints_own_counters(self):
        def endpoint_counters():
            rc, out, err = h.ctl(self.d, "core.stats")
            self.assertEqual(rc, 0, err)
            return out["metrics"]

        before = endpoint_counters()
        self.assertEqual(set(before), {"scrapes", "bad_requests", "not_found", "bad_methods",
                                       "head_timeouts", "heads_too_large", "bad_versions",
                                       "clients_refused", "answer_timeouts"})
        self.assertEqual(http_get(self.mport, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")[0], 404)
        self.assertEqual(http_get(self.mport, b"PUT /metrics HTTP/1.0\r\n\r\n")[0], 405)
        fams = families(self.scrape())
        after = endpoint_counters()
        delta = {k: after[k] - before[k] for k in after}
        self.assertEqual(delta, dict.fromkeys(before, 0) | {"scrapes": 1, "not_found": 1,
                                                            "bad_methods": 1})
        # The same counters as /metrics' own (one home: the responder counts, both show).
        for code, name in (("200", "scrapes"), ("404", "not_found"), ("405", "bad_methods")):
            self.assertEqual(sample_sum(fams, "sipring_metrics_http_responses", code=code),
                             after[name], code)

    def test_dashboard_uses_only_exported_names(self):
        with open(DASHBOARD) as f:
            dash = json.load(f)
        self.assertGreaterEqual(dash.get("schemaVersion", 0), 36)
        variables = {v["name"]: v for v in dash["templating"]["list"]}
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        self.assertIn("reactor", variables)
        run_load(self.d.port, conns=1, messages=1, resumed=0)
        names = set()
        for f in families(self.scrape()).values():
            names.update(s.name for s in f.samples)
        exprs = []

        def walk(panels):
            for p in panels:
                exprs.extend(t["expr"] for t in p.get("targets", []) if "expr" in t)
                walk(p.get("panels", []))

        walk(dash["panels"])
        exprs.append(variables["reactor"]["definition"])
        self.assertGreaterEqual(len(exprs), 10)
        used = set()
        for e in exprs:
            used.update(re.findall(r"\bsipring_[a-z0-9_]+", e))
        missing = sorted(n for n in used if n not in names)
        self.assertEqual(missing, [], "the dashboard names metrics the exporter does not emit")
        for want in ("sipring_messages_in_total", "sipring_handshakes_resumed_total",
                     "sipring_handshake_duration_seconds_bucket",
                     "sipring_handoff_wait_seconds_bucket", "sipring_reply_send_seconds_bucket",
                     "sipring_loop_busy_seconds_total", "sipring_connections_open",
                     "sipring_handshake_failures_total", "sipring_bad_messages_total",
                     "sipring_tls_certificate_not_after_seconds"):
            self.assertIn(want, used)


class MetricsAtStartTest(unittest.TestCase):
    """A scrape at once after start is answered, never refused: /metrics is bound before the SIP
    listeners, so from the moment the SIP port accepts (what bench/e2e.py and an L4 check take
    for "started") the metrics port accepts too, and a scrape waits in its backlog until the
    control thread serves it. Ten starts; each is bounded in time."""

    STARTS = 10

    def start_unready(self):
        """Spawns sipring with ctl.metrics and returns (daemon, metrics port) as soon as its SIP
        port accepts a TCP connection, before the "serving" line; None when the process exited
        (a port taken in the race after free_port)."""
        workdir = tempfile.mkdtemp(prefix="sipring-it.")
        self.addCleanup(shutil.rmtree, workdir, True)
        shutil.copytree(h.demo_certs(), os.path.join(workdir, "certs"))
        port, mport = h.free_port(), h.free_port()
        d = h.Daemon(workdir, port)
        with open(d.config_path, "w") as f:
            f.write(h.config_text(port, {("ctl", "socket"): "unix:" + d.ctl_socket,
                                         ("ctl", "metrics"): "127.0.0.1:%d" % mport}))
        d.spawn()
        self.addCleanup(d.kill)
        deadline = time.monotonic() + d.READY_TIMEOUT
        while time.monotonic() < deadline:
            if d.proc.poll() is not None:
                d.kill()
                self.assertIn("in use", d.log_text(), "sipring exited at start")
                return None
            with socket.socket() as s:
                if s.connect_ex((h.HOST, port)) == 0:
                    return d, mport
            time.sleep(0.001)
        self.fail("the SIP port did not accept within %.0f s; log:\n%s"
                  % (d.READY_TIMEOUT, d.log_text()))

    def test_scrape_right_after_start(self):
        started = 0
        for _ in range(2 * self.STARTS):  # port races retried, within a bound
            if started == self.STARTS:
                break
            got = self.start_unready()
            if got is None:
                continue
            d, mport = got
            started += 1
            # The SIP port accepts: the metrics port must too (not refused), and answer.
            status, _, body = http_get(mport)
            self.assertEqual(status, 200, "start %d: %s" % (started, body[:200]))
            self.assertIn("sipring_build_info", body)
            # And right after the "serving" line, the harness's ready signal.
            self.assertTrue(d.wait_ready(), d.log_text())
            status, _, _ = http_get(mport)
            self.assertEqual(status, 200, "start %d, after the ready line" % started)
            d.kill()
        self.assertEqual(started, self.STARTS)


class MetricsConfigTest(unittest.TestCase):
    def test_off_by_default_nothing_listens(self):
        d = h.start_daemon(self)
        r = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, timeout=15)
        if r.returncode != 0:
            self.skipTest("ss failed: " + r.stderr)
        mine = [l for l in r.stdout.splitlines() if "pid=%d," % d.proc.pid in l]
        ports = {int(l.split()[3].rsplit(":", 1)[1]) for l in mine}
        self.assertEqual(ports, {d.port}, "\n".join(mine))
        self.assertNotIn("Prometheus metrics", d.log_text())

    def test_bad_address_is_refused(self):
        for bad in ("localhost:9090", "127.0.0.1", "[::1]", "::1", "127.0.0.1:0",
                    "127.0.0.1:99999", "1.2.3.4.5:80"):
            port = h.free_port()
            text = h.config_text(port, {("ctl", "metrics"): bad, ("ctl", "socket"): ""})
            rc, err, _ = h.run_config(self, text)
            self.assertIsNotNone(rc, bad + ": still running")
            self.assertNotEqual(rc, 0, bad)
            self.assertIn("ctl.metrics", err, bad)
            self.assertIn("IP:PORT", err, bad)

    def test_port_in_use_is_an_error(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            port = h.free_port()
            text = h.config_text(port, {("ctl", "metrics"): "127.0.0.1:%d" % busy.getsockname()[1],
                                        ("ctl", "socket"): ""})
            rc, err, _ = h.run_config(self, text)
        self.assertIsNotNone(rc, "still running")
        self.assertNotEqual(rc, 0)
        self.assertIn("cannot listen", err)

    def test_ipv6_loopback_without_control_socket(self):
        if not socket.has_ipv6:
            self.skipTest("no IPv6")
        try:
            with socket.socket(socket.AF_INET6) as s:
                s.bind(("::1", 0))
                mport = s.getsockname()[1]
        except OSError as e:
            self.skipTest("no IPv6 loopback: %s" % e)
        d = h.start_daemon(self, params={("ctl", "metrics"): "[::1]:%d" % mport,
                                         ("ctl", "socket"): ""})
        status, _, body = http_get(mport, host="::1")
        self.assertEqual(status, 200)
        self.assertIn("sipring_build_info", body)
        self.assertFalse(os.path.exists(d.ctl_socket))


if __name__ == "__main__":
    unittest.main()
