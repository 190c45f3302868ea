"""tools/profile.sh: a short real profile of sipring under the `requests` load (50 connections
x 16 pipelined OPTIONS from sipring-load), recorded with perf on the server alone. Checks that
the flame graph is valid SVG with frames of sipring's own code, that the top list names sipring
functions, and that bad arguments get exit status 2. Skips when perf is missing or the kernel
does not let this user record (kernel.perf_event_paranoid).

It profiles build-profiling/ when that is built (meson -Dprofiling=true), else the build under
test, always with --build, so the suite never waits for a (second BoringSSL) build."""

import os
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

import harness as h

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROFILE = os.path.join(ROOT, "tools", "profile.sh")
SVG_NS = "{http://www.w3.org/2000/svg}"


def perf_refusal():
    """None when perf can record here, else why not."""
    if shutil.which("perf") is None:
        return "perf is missing (Debian linux-perf)"
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run(["perf", "record", "-e", "cpu-clock", "-o", os.path.join(d, "p"),
                            "--", "true"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return "perf may not record here (kernel.perf_event_paranoid?): %s" % (
            r.stderr.strip().splitlines()[-1:])
    return None


def profile(*args, timeout=300):
    return subprocess.run([PROFILE] + list(args), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout)


class ProfileRequests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = perf_refusal()
        if why:
            raise unittest.SkipTest(why)
        cls.out = tempfile.mkdtemp(prefix="sipring-profile-it.")
        cls.addClassCleanup(shutil.rmtree, cls.out, True)
        # --build: never a build inside the test (a stale build-profiling/ would rebuild).
        build = os.path.join(ROOT, "build-profiling")
        if not os.access(os.path.join(build, "tools", "sipring"), os.X_OK):
            build = h.build_dir()
        cls.r = profile("requests", "--seconds", "3", "--out", cls.out, "--build", build)

    def test_it_succeeds_and_prints_the_top_symbols_and_the_graph(self):
        self.assertEqual(self.r.returncode, 0, self.r.stdout + self.r.stderr)
        self.assertIn("top 20 symbols", self.r.stdout)
        self.assertIn(os.path.join(self.out, "flamegraph.svg"), self.r.stdout)
        self.assertRegex(self.r.stdout, r"load: \d+ requests/s")

    def test_the_flame_graph_is_svg_with_sipring_frames(self):
        root = ET.parse(os.path.join(self.out, "flamegraph.svg")).getroot()
        self.assertEqual(root.tag, SVG_NS + "svg")
        titles = [g.find(SVG_NS + "title").text for g in root.iter(SVG_NS + "g")]
        self.assertGreater(len(titles), 20, titles)
        self.assertTrue(any(t.startswith("sipring::") for t in titles), titles[:50])
        self.assertTrue(titles[0].startswith("all ("), titles[0])

    def test_the_top_list_names_sipring_functions(self):
        with open(os.path.join(self.out, "top.txt")) as f:
            top = f.read().splitlines()
        self.assertEqual(len(top), 20, top)
        self.assertTrue(any("sipring::" in line for line in top), "\n".join(top))
        # perf's columns: "share%  [.] symbol  dso"; the shares add up to at most 100%.
        shares = [float(line.split("%")[0]) for line in top]
        self.assertTrue(0 < sum(shares) <= 100.01, shares)
        self.assertEqual(shares, sorted(shares, reverse=True))

    def test_bad_arguments_exit_2(self):
        for args in (["bogus"], [], ["requests", "--seconds", "0"],
                     ["requests", "--seconds", "x"], ["requests", "--frobnicate", "1"],
                     ["requests", "--seconds"]):
            r = profile(*args, timeout=60)
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
            self.assertIn("usage: tools/profile.sh", r.stderr)


if __name__ == "__main__":
    unittest.main()
