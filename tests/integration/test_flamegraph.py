"""tools/profile/flamegraph.py, the stack collapser and SVG writer of tools/profile.sh, on
perf script text written here (the layout `perf script` prints for cpu-clock samples with -g):
the folded stacks it makes, the SVG it draws (valid XML, one box per function and call path,
widths proportional to samples, names escaped) and its refusals. Needs no build."""

import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "profile"))
import flamegraph  # noqa: E402

SCRIPT = os.path.join(ROOT, "tools", "profile", "flamegraph.py")
SVG_NS = "{http://www.w3.org/2000/svg}"

PERF_SCRIPT = """\
sipring 4242 [000] 100.000001:    1001001 cpu-clock:
\t    55d0c0de1234 sipring::Reactor::run()+0x34 (/build/libsipring.so.0.1.0)
\t    55d0c0de0100 main+0x10 (/build/tools/sipring)

sipring 4242 [000] 100.001002:    1001001 cpu-clock:
\t    55d0c0de5678 aes_gcm_enc_update_vaes_avx2+0x99 (/build/libsipring.so.0.1.0)
\t    55d0c0de1234 sipring::Reactor::run()+0x40 (/build/libsipring.so.0.1.0)
\t    55d0c0de0100 main+0x10 (/build/tools/sipring)

sipring 4242 [000] 100.002003:    1001001 cpu-clock:
\t    55d0c0de5678 aes_gcm_enc_update_vaes_avx2+0x1a (/build/libsipring.so.0.1.0)
\t    55d0c0de1234 sipring::Reactor::run()+0x40 (/build/libsipring.so.0.1.0)
\t    55d0c0de0100 main+0x10 (/build/tools/sipring)

sipring-r0 4242/4243 [001] 100.003004:    1001001 cpu-clock:
\tffffffff81234567 io_uring_enter+0x5 ([kernel.kallsyms])
\t    7f0000001000 [unknown] (/usr/lib/x86_64-linux-gnu/liburing.so.2.3)
\t    7f0000002000 std::vector<int, std::allocator<int> >::push_back(int&&)+0x2 (/build/libsipring.so.0.1.0)
\t           6d68 [unknown] ([unknown])

"""

FOLDED = {
    "sipring;main;sipring::Reactor::run()": 1,
    "sipring;main;sipring::Reactor::run();aes_gcm_enc_update_vaes_avx2": 2,
    "sipring-r0;[unknown];std::vector<int, std::allocator<int> >::push_back(int&&);"
    "[liburing.so.2.3];io_uring_enter_[k]": 1,
}


def run(*args, stdin=None):
    return subprocess.run([sys.executable, SCRIPT] + list(args), input=stdin,
                          capture_output=True, text=True, timeout=60)


class Collapse(unittest.TestCase):
    def test_folds_each_sample_outermost_first_without_offsets(self):
        self.assertEqual(flamegraph.collapse(PERF_SCRIPT.splitlines(True)), FOLDED)

    def test_command_line_writes_one_sorted_line_per_stack(self):
        r = run("collapse", stdin=PERF_SCRIPT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(),
                         ["%s %d" % kv for kv in sorted(FOLDED.items())])

    def test_no_samples_is_an_error(self):
        r = run("collapse", stdin="")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no samples", r.stderr)


class Svg(unittest.TestCase):
    def draw(self, folded, *args):
        text = "".join("%s %d\n" % kv for kv in folded.items())
        r = run("svg", "--title", "t <&> \"q\"", *args, stdin=text)
        self.assertEqual(r.returncode, 0, r.stderr)
        return ET.fromstring(r.stdout)  # raises on invalid XML

    def boxes(self, root):
        """{title text: rect width} of every box."""
        out = {}
        for g in root.iter(SVG_NS + "g"):
            out[g.find(SVG_NS + "title").text] = float(g.find(SVG_NS + "rect").get("width"))
        return out

    def test_one_box_per_call_path_with_width_proportional_to_samples(self):
        root = self.draw(FOLDED)
        boxes = self.boxes(root)
        names = sorted(t.split(" (")[0] for t in boxes)
        self.assertEqual(names, sorted([
            "all", "sipring", "main", "sipring::Reactor::run()", "aes_gcm_enc_update_vaes_avx2",
            "sipring-r0", "[unknown]", "std::vector<int, std::allocator<int> >::push_back(int&&)",
            "[liburing.so.2.3]", "io_uring_enter_[k]"]))
        self.assertIn("all (4 samples, 100.00%)", boxes)
        self.assertIn("aes_gcm_enc_update_vaes_avx2 (2 samples, 50.00%)", boxes)
        self.assertAlmostEqual(boxes["aes_gcm_enc_update_vaes_avx2 (2 samples, 50.00%)"] * 2,
                               boxes["all (4 samples, 100.00%)"], places=0)
        self.assertEqual(root.find(SVG_NS + "text").text, "t <&> \"q\"")  # escaped, read back

    def test_too_narrow_boxes_are_left_out(self):
        boxes = self.boxes(self.draw({"a;b": 100000, "a;c": 1}, "--width", "200"))
        self.assertEqual(sorted(t.split(" (")[0] for t in boxes), ["a", "all", "b"])

    def test_a_malformed_line_is_refused_naming_it(self):
        r = run("svg", stdin="a;b 3\nno count here\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("line 2", r.stderr)

    def test_bad_width_is_a_usage_error(self):
        r = run("svg", "--width", "5", stdin="a 1\n")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--width", r.stderr)

    def test_files_in_and_out(self):
        with tempfile.TemporaryDirectory() as d:
            src, folded, svg = (os.path.join(d, n) for n in ("perf.txt", "s.folded", "g.svg"))
            with open(src, "w") as f:
                f.write(PERF_SCRIPT)
            self.assertEqual(run("collapse", src, "-o", folded).returncode, 0)
            self.assertEqual(run("svg", folded, "-o", svg).returncode, 0)
            ET.parse(svg)
            r = run("svg", os.path.join(d, "missing"))
            self.assertEqual(r.returncode, 1)
            self.assertIn("missing", r.stderr)


if __name__ == "__main__":
    unittest.main()
