#!/usr/bin/env python3
"""Runs sipring's Python integration tests (tests/integration/test_*.py).

    run_integration.py --build BUILD [--dir DIR] [-k PATTERN]... [-v]

--dir runs the test_*.py files of another directory instead (tests/attack).

Prints exactly one line per test case on stdout: "PASS <name>", "FAIL <name>" or
"SKIP <name> (<reason>)"; details of failures (traceback and the daemon's log) go to stderr.
Exits 1 if any test failed, 0 otherwise. -k works like unittest's: a substring of the test id,
or a fnmatch pattern with wildcards; repeat it to select more.
"""

import argparse
import os
import sys
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def test_name(test):
    tid = test.id()
    # setUpClass/setUpModule failures arrive as _ErrorHolder with a description, not an id.
    return tid


class LineResult(unittest.TestResult):
    """One stdout line per test; details on stderr."""

    def __init__(self, verbose):
        super().__init__()
        self.verbose = verbose
        self.passed = 0
        self.failed_names = []
        self._start = {}

    def startTest(self, test):
        super().startTest(test)
        self._start[test.id()] = time.monotonic()

    def _elapsed(self, test):
        t = self._start.get(test.id())
        return "" if t is None else " [%.1f s]" % (time.monotonic() - t)

    def _emit(self, line):
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def _details(self, test, err):
        sys.stderr.write("---- %s\n" % test_name(test))
        sys.stderr.write("".join(traceback.format_exception(*err)))
        daemons = (vars(type(test)).get("_sipring_daemons", [])
                   + vars(test).get("_sipring_daemons", []))
        for d in daemons:
            sys.stderr.write("---- sipring log (port %d, core %s):\n%s\n"
                             % (d.port, d.core, d.log_text(last=60)))
        sys.stderr.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1
        self._emit("PASS %s" % test_name(test))
        if self.verbose:
            sys.stderr.write("     %s%s\n" % (test_name(test), self._elapsed(test)))

    def _fail(self, test, err):
        self.failed_names.append(test_name(test))
        self._emit("FAIL %s" % test_name(test))
        self._details(test, err)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err)

    def addError(self, test, err):
        if issubclass(err[0], unittest.SkipTest):  # raised from setUpClass
            self.addSkip(test, str(err[1]))
            return
        super().addError(test, err)
        self._fail(test, err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._emit("SKIP %s (%s)" % (test_name(test), reason))

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._emit("PASS %s" % test_name(test))

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.failed_names.append(test_name(test))
        self._emit("FAIL %s" % test_name(test))

    def addSubTest(self, test, subtest, err):
        # Sub-tests are reported through their parent: any failing one fails the test case.
        super().addSubTest(test, subtest, err)
        if err is not None:
            sys.stderr.write("---- subtest %s\n" % subtest.id())
            sys.stderr.write("".join(traceback.format_exception(*err)))


class OneLinePerTest(LineResult):
    """Folds sub-test failures into a single FAIL line for the parent test case."""

    def __init__(self, verbose):
        super().__init__(verbose)
        self._subfail = set()

    def addSubTest(self, test, subtest, err):
        LineResult.addSubTest(self, test, subtest, err)
        if err is not None:
            self._subfail.add(test.id())

    def addSuccess(self, test):
        if test.id() in self._subfail:
            unittest.TestResult.addSuccess(self, test)
            return  # stopTest reports it
        super().addSuccess(test)

    def stopTest(self, test):
        # Python 3.11+ calls no add*() at all for a test whose only failures were sub-tests
        # (older ones call addSuccess): report it here either way, once.
        if test.id() in self._subfail and test_name(test) not in self.failed_names:
            self.failed_names.append(test_name(test))
            self._emit("FAIL %s" % test_name(test))
        super().stopTest(test)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", required=True, help="meson build directory (has tools/sipring)")
    ap.add_argument("--dir", default=HERE,
                    help="directory of the test_*.py files (default: tests/integration)")
    ap.add_argument("-k", action="append", default=[], metavar="PATTERN",
                    help="only tests whose id matches (substring or fnmatch pattern)")
    ap.add_argument("-v", action="store_true", help="print each passing test's duration on stderr")
    args = ap.parse_args()

    build = os.path.abspath(args.build)
    for tool in ("sipring", "sipring-certs"):
        if not os.access(os.path.join(build, "tools", tool), os.X_OK):
            sys.stdout.write("FAIL setup (%s/tools/%s is missing: build first)\n" % (build, tool))
            return 1
    os.environ["SIPRING_BUILD"] = build
    sys.path.insert(0, HERE)
    tests_dir = os.path.abspath(args.dir)
    if tests_dir != HERE:
        sys.path.insert(0, tests_dir)

    loader = unittest.TestLoader()
    if args.k:
        loader.testNamePatterns = [p if "*" in p else "*%s*" % p for p in args.k]
    suite = loader.discover(tests_dir, pattern="test_*.py", top_level_dir=tests_dir)
    result = OneLinePerTest(args.v)
    suite.run(result)
    if result.testsRun == 0 and not result.failed_names:
        sys.stderr.write("no test matched\n")
    sys.stderr.write("%d passed, %d failed, %d skipped\n"
                     % (result.passed, len(result.failed_names), len(result.skipped)))
    return 1 if result.failed_names else 0


if __name__ == "__main__":
    sys.exit(main())
