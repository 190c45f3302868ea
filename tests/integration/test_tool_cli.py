"""The command lines of the four tools (sipring, sipringctl, sipring-load, sipring-certs).

They share one set of conventions (tools/common/cli.h, on CLI11): --help generated from the
declared options and exiting 0, --version printing the project version, and every usage error
(an unknown option, a number that is not one or is out of range, a missing value) printed on
stderr as "TOOL: message" with a hint to run --help, exit status 2, before any work is done.
sipringctl takes every word after COMMAND verbatim, checked here against a fake control socket
that records what it receives. Each run is bounded by a timeout; nothing listens but the fake
socket in a private temp directory.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness as h
from test_sipringctl_client import FakeRpcServer, result_of

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Every option each tool (and each sipring-certs command) has; --help must name all of them.
OPTIONS = {
    "sipring": ["-f", "--config", "--core", "--grace-ms", "--stats-interval", "--debug",
                "--check", "--list-params", "--help", "--version"],
    "sipringctl": ["-s", "--socket", "-j", "--json", "-t", "--timeout", "--help", "--version",
                   "COMMAND"],
    "sipring-load": ["MODE", "--target", "--connections", "--pipeline", "--requests", "--count",
                     "--resume", "--rate", "--duration", "--hold", "--warmup", "--reactors",
                     "--cpus", "--tls", "--ciphers", "--sni", "--ca", "--verify-name", "--crl",
                     "--cert", "--key", "--key-password", "--server-pid", "--max-seconds",
                     "--busy-poll-us", "--ramp", "--handshake-timeout-ms", "--help",
                     "--version"],
    "sipring-certs": ["ca", "server", "client", "revoke", "crl", "print", "demo", "--help",
                      "--version"],
}
CERTS_COMMANDS = {
    "ca": ["--dir", "--cn", "--org", "--days", "--rsa", "--force"],
    "server": ["--dir", "--cn", "--san", "--days", "--not-before", "--not-after", "--rsa",
               "--out", "--key-password", "--force"],
    "client": ["--dir", "--cn", "--san", "--days", "--not-before", "--not-after", "--rsa",
               "--out", "--key-password", "--force"],
    "revoke": ["--dir", "CERT"],
    "crl": ["--dir", "--out", "--days", "--force"],
    "print": ["CERT"],
    "demo": ["--dir", "--force"],
}

LOAD = ["rps", "--target", "127.0.0.1:9", "--max-seconds", "5"]
# Values each option must refuse: sipring-load's after LOAD, sipring's after -f.
LOAD_BAD = [
    ("--connections", "5a"), ("--connections", "-5"), ("--connections", "0"),
    ("--connections", "99999999999"), ("--pipeline", "0x10"), ("--requests", "-1"),
    ("--rate", "nan"), ("--rate", "-100"), ("--duration", "5s"), ("--hold", "-1"),
    ("--warmup", "x"), ("--reactors", "257"), ("--cpus", "1-x"), ("--server-pid", "12a"),
    ("--busy-poll-us", "2000000"), ("--ramp", "0"), ("--handshake-timeout-ms", "10"),
]
SIPRING_BAD = [("--grace-ms", "2x"), ("--stats-interval", "-1"), ("--debug", "9"),
               ("--core", "both")]
CERT = ["server", "--dir", "x", "--cn", "a"]
# (tool, arguments, the option the error must name). Each would otherwise run (and for
# sipring-load connect, for sipring read a missing file), so exit status 2 proves the check.
BAD_VALUES = (
    [("sipring-load", LOAD + [o, v], o) for o, v in LOAD_BAD]
    + [("sipring", ["-f", "/nonexistent.cfg", o, v], o) for o, v in SIPRING_BAD]
    + [("sipringctl", ["-t", v, "core.ping"], "--timeout") for v in ("0", "soon", "1e9")]
    + [("sipring-certs", ["ca", "--dir", "x"] + a, a[0])
       for a in (["--days", "0"], ["--days", "5a"], ["--rsa", "1024"])]
    + [
        ("sipring-load", ["handshake", "--target", "127.0.0.1:9", "--count", "0"], "--count"),
        ("sipring-load", ["rps", "--target", "127.0.0.1:9", "--max-seconds", "0"],
         "--max-seconds"),
        ("sipring-load", ["rps", "--target", "127.0.0.1"], "--target"),
        ("sipring-load", ["rps", "--target"], "--target"),
        ("sipring-load", ["flood", "--target", "127.0.0.1:9"], "MODE"),
        ("sipring", ["--check"], "-f"),
        ("sipringctl", ["-s", "tcp:127.0.0.1:1", "core.ping"], "--socket"),
        ("sipring-certs", CERT + ["--days", "99999"], "--days"),
        ("sipring-certs", CERT + ["--not-before", "2025"], "--not-before"),
        ("sipring-certs", CERT + ["--days", "3", "--not-after", "20300101000000Z"],
         "--not-after"),
        ("sipring-certs", ["crl", "--dir", "x", "--out", "y", "--days", "-3"], "--days"),
    ])


def tool_bin(name):
    return os.path.join(h.build_dir(), "tools", name)


def project_version():
    with open(os.path.join(ROOT, "meson.build")) as f:
        return re.search(r"version\s*:\s*'([^']+)'", f.read()).group(1)


class ToolCommandLines(unittest.TestCase):
    def setUp(self):
        for name in OPTIONS:
            if not os.access(tool_bin(name), os.X_OK):
                self.skipTest("%s is missing: build first" % tool_bin(name))
        self.dir = tempfile.mkdtemp(prefix="tool-cli-it.")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def run_tool(self, name, *args, env=None):
        full_env = dict(os.environ)
        full_env.pop("SIPRING_CTL", None)
        full_env.update(env or {})
        return subprocess.run([tool_bin(name)] + list(args), capture_output=True, text=True,
                              cwd=self.dir, env=full_env, stdin=subprocess.DEVNULL, timeout=20)

    def assert_usage_error(self, r, tool, names):
        """Exit 2, nothing on stdout, "TOOL: ...NAMES..." on stderr and the --help hint."""
        self.assertEqual(r.returncode, 2, "stdout=%r stderr=%r" % (r.stdout, r.stderr))
        self.assertEqual(r.stdout, "")
        self.assertTrue(r.stderr.startswith(tool + ": "), r.stderr)
        self.assertIn(names, r.stderr)
        self.assertIn("Run '%s --help' for usage." % tool, r.stderr)

    def test_help_exits_0_and_names_every_option(self):
        for tool, options in OPTIONS.items():
            with self.subTest(tool=tool):
                r = self.run_tool(tool, "--help")
                self.assertEqual((r.returncode, r.stderr), (0, ""))
                self.assertRegex(r.stdout, r"(?m)^usage: %s " % tool)
                for option in options:
                    self.assertRegex(r.stdout, r"(^|[\s,])%s\b" % re.escape(option), option)
        for command, options in CERTS_COMMANDS.items():
            with self.subTest(tool="sipring-certs " + command):
                r = self.run_tool("sipring-certs", command, "--help")
                self.assertEqual((r.returncode, r.stderr), (0, ""))
                self.assertIn("usage: sipring-certs %s " % command, r.stdout)
                for option in options + ["--help"]:
                    self.assertRegex(r.stdout, r"(^|[\s,])%s\b" % re.escape(option), option)

    def test_version_prints_the_project_version(self):
        version = project_version()
        for tool in OPTIONS:
            with self.subTest(tool=tool):
                r = self.run_tool(tool, "--version")
                self.assertEqual((r.returncode, r.stdout, r.stderr),
                                 (0, "%s %s\n" % (tool, version), ""))

    def test_bad_numbers_and_values_exit_2_naming_the_option(self):
        for tool, args, option in BAD_VALUES:
            with self.subTest(tool=tool, args=args):
                r = self.run_tool(tool, *args)
                prefix = tool if tool != "sipring-certs" else "sipring-certs " + args[0]
                self.assert_usage_error(r, prefix, option)
        self.assertEqual(os.listdir(self.dir), [], "a usage error must not create anything")

    def test_unknown_options_exit_2_naming_the_option(self):
        cases = [
            ("sipring", ["-f", "/nonexistent.cfg", "--bogus"], "sipring"),
            ("sipringctl", ["--bogus", "core.ping"], "sipringctl"),
            ("sipring-load", LOAD + ["--bogus"], "sipring-load"),
            ("sipring-certs", ["ca", "--dir", "x", "--bogus"], "sipring-certs ca"),
            ("sipring-certs", ["--bogus"], "sipring-certs"),
        ]
        for tool, args, prefix in cases:
            with self.subTest(tool=tool, args=args):
                self.assert_usage_error(self.run_tool(tool, *args), prefix, "--bogus")

    def test_missing_command_or_mode_exits_2(self):
        for tool, says in (("sipringctl", "missing COMMAND"), ("sipring-load", "MODE"),
                           ("sipring-certs", "missing COMMAND"), ("sipring", "-f")):
            with self.subTest(tool=tool):
                self.assert_usage_error(self.run_tool(tool), tool, says)

    def test_sipring_debug_sets_the_log_level(self):
        shutil.copytree(h.demo_certs(), os.path.join(self.dir, "certs"))
        with open(os.path.join(self.dir, "sipring.cfg"), "w") as f:
            f.write(h.config_text(h.free_port(), {
                ("ctl", "socket"): "unix:" + os.path.join(self.dir, "ctl.sock")}))
        default = self.run_tool("sipring", "-f", "sipring.cfg", "--check")
        quiet = self.run_tool("sipring", "-f", "sipring.cfg", "--check", "--debug", "-1")
        for r in (default, quiet):
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("configuration OK", r.stderr)
        self.assertIn(" INFO ", default.stderr)  # level 2, the default, logs info
        self.assertNotIn(" INFO ", quiet.stderr)  # -1: errors only
        self.assertNotIn(" WARN", quiet.stderr)

    def test_sipringctl_passes_words_after_the_command_verbatim(self):
        path = os.path.join(self.dir, "ctl.sock")
        srv = FakeRpcServer(path, result_of("done"))
        self.addCleanup(srv.close)
        r = self.run_tool("sipringctl", "-j", "-t", "5", "-s", "unix:" + path,
                          "cfg.set", "x", "-5", "--json", "-t", "--", "-s", "--help")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(r.stdout, '"done"\n')  # -j before COMMAND is still an option
        self.assertEqual(srv.requests[0]["method"], "cfg.set")
        self.assertEqual(srv.requests[0]["params"],
                         ["x", -5, "--json", "-t", "--", "-s", "--help"])
        # The socket from $SIPRING_CTL; the options before COMMAND in the --name=VALUE form.
        r = self.run_tool("sipringctl", "--timeout=2", "core.ping", "-1",
                          env={"SIPRING_CTL": path})
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "done\n", ""))
        self.assertEqual(srv.requests[1]["params"], [-1])


if __name__ == "__main__":
    unittest.main()
