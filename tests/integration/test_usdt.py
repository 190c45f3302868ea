"""sipring's USDT probes (issue 13) and the bpftrace scripts built on them (tools/trace/*.bt).

First the probes themselves: `readelf -n` must list every probe of the interface, provider
"sipring", with its number of arguments, in libsipring.so, and the sipring binary must carry
them too (in itself when linked statically, else by needing that library). A -Dinstruments=false
build must have none: the build under test when it is one (CI's build-system/, see
tools/build.sh), else any such build*/ beside the tree.

Then, where the kernel lets bpftrace attach (probed with `bpftrace -e 'BEGIN { exit() }'`; the
tests skip with the reason otherwise), each script runs against a sipring under a Python ssl
(OpenSSL 3) load whose handshakes and requests are known, and must count exactly those events.
"""

import glob
import os
import re
import shutil
import signal
import subprocess
import time
import unittest

import harness as h

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRACE = os.path.join(ROOT, "tools", "trace")

# The interface (docs: the issue 13 spec, section 4): probe -> number of arguments.
PROBES = {
    "accept": 2, "connect_done": 2, "handshake_done": 4, "frame_pushed": 2, "frame_popped": 2,
    "reply_queued": 2, "send_completed": 4, "close": 3, "loop_wait": 3,
}

FULL = 5       # full handshakes of the load
RESUMED = 3    # resumed ones
REQUESTS = 4   # OPTIONS per connection


def stapsdt_probes(path):
    """{(provider, name): [argument specs]} from `readelf -n path`."""
    r = subprocess.run(["readelf", "-n", path], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("readelf -n %s failed: %s" % (path, r.stderr))
    probes = {}
    provider = name = None
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith("Provider: "):
            provider = line.split(": ", 1)[1]
        elif line.startswith("Name: "):
            name = line.split(": ", 1)[1]
            probes[(provider, name)] = []
        elif line.startswith("Arguments:") and name is not None:
            probes[(provider, name)] = line.split(":", 1)[1].split()
    return probes


def libsipring():
    return os.path.realpath(os.path.join(h.build_dir(), "libsipring.so"))


def needed_libraries(path):
    r = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, timeout=60)
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", r.stdout)


def instruments_disabled_builds():
    """Meson build directories configured with -Dinstruments=false: the build under test and
    those beside the tree (build*/), each once."""
    candidates = [h.build_dir()] + sorted(glob.glob(os.path.join(ROOT, "build*")))
    out = []
    for b in candidates:
        b = os.path.realpath(b)
        if b not in out and "instruments" in h.build_options(b) and not h.instruments_built(b):
            out.append(b)
    return out


def need_instruments(test):
    if not h.instruments_built():
        test.skipTest("the build under test is -Dinstruments=false: no probes to find "
                      "(test_a_build_without_instruments_has_no_probes checks there are none)")


def need_readelf(test):
    if shutil.which("readelf") is None:
        test.skipTest("readelf is missing (Debian binutils)")


class ProbesInTheBinaries(unittest.TestCase):
    def test_libsipring_so_has_every_probe_with_its_arguments(self):
        need_readelf(self)
        need_instruments(self)
        probes = stapsdt_probes(libsipring())
        for name, argc in PROBES.items():
            self.assertIn(("sipring", name), probes, "probe sipring:%s missing" % name)
            self.assertEqual(len(probes[("sipring", name)]), argc,
                             "sipring:%s arguments %r" % (name, probes[("sipring", name)]))
        extra = sorted(n for (p, n) in probes if p == "sipring" and n not in PROBES)
        self.assertEqual(extra, [], "probes the interface does not list")

    def test_the_sipring_binary_carries_the_probes(self):
        need_readelf(self)
        need_instruments(self)
        binary = h.sipring_bin()
        own = {n for (p, n) in stapsdt_probes(binary) if p == "sipring"}
        if own:  # linked statically: the notes are in the program itself
            self.assertEqual(own, set(PROBES))
        else:  # linked with the shared library: its notes are the program's
            self.assertIn("libsipring.so.0", needed_libraries(binary))
            self.assertTrue({("sipring", n) for n in PROBES} <= set(stapsdt_probes(libsipring())))

    def test_a_build_without_instruments_has_no_probes(self):
        need_readelf(self)
        builds = instruments_disabled_builds()
        if not builds:
            self.skipTest("no -Dinstruments=false build beside the tree (build*/)")
        checked = 0
        for b in builds:
            for path in (os.path.join(b, "libsipring.so"), os.path.join(b, "tools", "sipring")):
                if os.path.exists(path):
                    self.assertEqual(stapsdt_probes(os.path.realpath(path)), {}, path)
                    checked += 1
        if not h.instruments_built():  # the build under test: both must be there
            self.assertGreaterEqual(checked, 2, builds)


def bpftrace_refusal():
    """None when bpftrace can run a program here, else why not."""
    if shutil.which("bpftrace") is None:
        return "bpftrace is missing (Debian bpftrace)"
    try:
        r = subprocess.run(["bpftrace", "-e", "BEGIN { exit(); }"], capture_output=True,
                           text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "bpftrace -e 'BEGIN { exit(); }' did not finish in 60 s"
    if r.returncode != 0:
        return "the kernel refuses bpftrace: %s" % r.stderr.strip().splitlines()[-1:]
    return None


def map_values(text, name):
    """{key: int} of bpftrace's printed map @name, from lines "@name[k1, k2]: N" ("" for a map
    without keys); histograms and other multi-line values are left out."""
    out = {}
    for m in re.finditer(r"^@%s(?:\[(.*)\])?: (-?\d+)$" % re.escape(name), text, re.M):
        out[m.group(1) or ""] = int(m.group(2))
    return out


class Script:
    """One tools/trace script under bpftrace, on libsipring.so, printing every second for at
    most `duration` seconds; stop() ends it early (SIGINT: bpftrace prints its maps and exits)."""

    ATTACH_TIMEOUT = 90.0  # bpftrace compiles and attaches slowly on a loaded machine

    def __init__(self, test, name, duration=120):
        self.proc = subprocess.Popen(
            ["bpftrace", os.path.join(TRACE, name), libsipring(), "1", str(duration)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        test.addCleanup(self.kill)
        self.out = ""
        self.err = ""

    def wait_attached(self):
        """The script's BEGIN line ("tracing ...") prints once every probe is attached."""
        deadline = time.monotonic() + self.ATTACH_TIMEOUT
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.out += line
            if line.startswith("tracing "):
                return
        self.kill()
        raise AssertionError("bpftrace did not attach: %s %s" % (self.out, self.proc.stderr.read()))

    def wait_exit(self, timeout):
        out, err = self.proc.communicate(timeout=timeout)
        self.out += out
        self.err += err
        return self.proc.returncode

    def stop(self):
        """SIGINT, then the output of the final print (after "--- final ---")."""
        self.proc.send_signal(signal.SIGINT)
        rc = self.wait_exit(30)
        if rc != 0 or "--- final ---" not in self.out:
            raise AssertionError("bpftrace exited with %r: %s\n%s" % (rc, self.out, self.err))
        return self.out.split("--- final ---", 1)[1]

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for f in (self.proc.stdout, self.proc.stderr):
            f.close()


class ScriptsCountTheLoad(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = bpftrace_refusal()
        if why:
            raise unittest.SkipTest(why)
        if not h.instruments_built():
            raise unittest.SkipTest("the build under test is -Dinstruments=false: no probes")
        if shutil.which("readelf") and ("sipring", "handshake_done") not in stapsdt_probes(
                libsipring()):
            raise unittest.SkipTest("libsipring.so has no USDT probes (-Dinstruments=false, or older)")
        cls.d = h.start_daemon(cls)

    def traced_load(self, script, duration=120):
        """Runs `script` around the load; returns the final figures it printed."""
        s = Script(self, script, duration)
        s.wait_attached()
        full, resumed = h.ssl_load(self, self.d.port, FULL, REQUESTS)
        self.assertEqual((full, resumed), (FULL, 0))
        full, resumed = h.ssl_load(self, self.d.port, RESUMED + 1, REQUESTS, resume=True)
        self.assertEqual((full, resumed), (1, RESUMED))
        # The server's side of the last close and send may land a moment after the client's.
        time.sleep(0.5)
        return s.stop()

    def test_handshake_counts_each_handshake_by_role_and_kind(self):
        final = self.traced_load("handshake.bt")
        self.assertEqual(map_values(final, "handshakes"),
                         {"server, full": FULL + 1, "server, resumed": RESUMED}, final)
        self.assertIn("@handshake_us[server, full]:", final)

    def test_handoff_wait_counts_each_request(self):
        final = self.traced_load("handoff_wait.bt")
        connections = FULL + 1 + RESUMED
        # Each request, and the kClosed frame of each connection.
        self.assertEqual(map_values(final, "frames"), {"": connections * (REQUESTS + 1)}, final)
        self.assertIn("@handoff_wait_ns:", final)

    def test_reply_send_counts_each_reply(self):
        final = self.traced_load("reply_send.bt")
        connections = FULL + 1 + RESUMED
        self.assertEqual(map_values(final, "replies"), {"": connections * REQUESTS}, final)
        # Requests go one at a time, so each reply has its own send.
        self.assertEqual(map_values(final, "reply_sends"), {"": connections * REQUESTS}, final)
        self.assertIn(map_values(final, "send_errors"), ({}, {"": 0}), final)
        self.assertIn("@reply_send_us:", final)

    def test_close_reasons_counts_each_close(self):
        final = self.traced_load("close_reasons.bt")
        closes = map_values(final, "closes")
        self.assertEqual(sum(closes.values()), FULL + 1 + RESUMED, final)
        for key in closes:
            self.assertRegex(key, r"^\d+, \S", "a code and a reason name: %r" % key)

    def test_loop_sleep_sees_each_reactor_and_exits_after_its_duration(self):
        s = Script(self, "loop_sleep.bt", duration=3)
        s.wait_attached()
        h.ssl_load(self, self.d.port, 2, REQUESTS)
        start = time.monotonic()
        self.assertEqual(s.wait_exit(30), 0, s.err)
        self.assertLess(time.monotonic() - start, 15, "bounded by its DURATION_S argument")
        final = s.out.split("--- final ---", 1)[1]
        waits = map_values(final, "waits")
        self.assertTrue(set(waits) <= {"0", "1"} and sum(waits.values()) > 0, final)
        self.assertIn("@slept_us[", final)


if __name__ == "__main__":
    unittest.main()
