"""libsipring as an installed product (issue 10): `meson install` and an embedder outside the tree.

* `meson install --destdir` (no root needed) installs the public headers under include/sipring/,
  libsipring.so -> libsipring.so.0 -> libsipring.so.X.Y.Z, libsipring.a and sipring.pc, the
  four tools, and no test or benchmark binary; the installed tools find the library by their
  rpath alone and still bring jemalloc themselves.
* BoringSSL either way (meson -Dboringssl): with the source build (the default) libsipring.so
  contains it, hidden, and needs no BoringSSL library at run time (nor OpenSSL's); libsipring.a's
  consumers get its two static archives, installed under LIBDIR/sipring/. With the system build
  libsipring.so needs Debian's android-libboringssl and its RUNPATH names that directory.
* sipring.pc alone (no other .pc file visible) gives what a consumer needs: -I and -lsipring for
  the shared library, and BoringSSL, liburing and the C++ runtime only under --static. Each
  installed header compiles on its own with those flags (C++20; sipring.h also as strict C11).
* The examples build with a plain cc/c++ command line and $(pkg-config --cflags --libs sipring)
  against the installed tree, run against the demo certificates on 127.0.0.1, and answer an
  OPTIONS over TLS (Python ssl = OpenSSL 3) with 200 OK; linked to the shared library, the process
  maps libsipring from the install and no jemalloc; linked to libsipring.a, it needs no
  libsipring.so at all. examples/relay_min.c (the C ABI's example) is built unchanged with
  `cc -std=c11` when it is in the tree.
"""

import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import unittest

import harness as h

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(SOURCE_ROOT, "examples")
TOOLS = ("sipring", "sipring-certs", "sipring-load", "sipringctl")
BORINGSSL_SYSTEM_DIR = "/usr/lib/x86_64-linux-gnu/android"  # Debian's android-libboringssl
BORINGSSL_ARCHIVES = ("libsipring_bssl_ssl.a", "libsipring_bssl_crypto.a")  # the source build's
COMPILE_TIMEOUT = 600  # seconds: the machine may be busy building other trees
READY_TIMEOUT = 20.0


def introspect(build, what):
    r = subprocess.run(["meson", "introspect", build, what], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0:
        raise AssertionError("meson introspect %s failed: %s" % (what, r.stderr))
    return json.loads(r.stdout)


def run(cmd, env=None, timeout=COMPILE_TIMEOUT, shell=False, cwd=None):
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout,
                          shell=shell, cwd=cwd, executable="/bin/bash" if shell else None)


class InstalledTree(unittest.TestCase):
    """One `meson install --destdir` per run; each test reads or builds against it."""

    @classmethod
    def setUpClass(cls):
        for tool in ("meson", "pkg-config", "cc", "c++", "readelf"):
            if shutil.which(tool) is None:
                raise unittest.SkipTest("%s is not installed" % tool)
        cls.build = h.build_dir()
        if not os.path.exists(os.path.join(cls.build, "libsipring.so")):
            raise unittest.SkipTest("this build has no libsipring.so")
        options = {o["name"]: o["value"] for o in introspect(cls.build, "--buildoptions")}
        cls.version = introspect(cls.build, "--projectinfo")["version"]
        cls.boringssl_source = options.get("boringssl", "system") == "source"
        cls.tmp = tempfile.mkdtemp(prefix="sipring-it-install.")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.dest = os.path.join(cls.tmp, "dest")
        r = run(["meson", "install", "-C", cls.build, "--destdir", cls.dest, "--no-rebuild",
                 "--quiet"], timeout=300)
        if r.returncode != 0:
            raise AssertionError("meson install failed (%d): %s%s"
                                 % (r.returncode, r.stdout, r.stderr))

        def under(option):  # an install directory inside the destdir
            path = options[option]
            if not os.path.isabs(path):
                path = os.path.join(options["prefix"], path)
            return cls.dest + path

        cls.root = under("prefix")
        cls.libdir = under("libdir")
        cls.includedir = under("includedir")
        cls.bindir = under("bindir")
        # Only sipring.pc is visible (PKG_CONFIG_LIBDIR replaces the system's search path), and
        # the sysroot maps its -I/-L paths into the destdir.
        cls.pc_env = dict(os.environ, PKG_CONFIG_LIBDIR=os.path.join(cls.libdir, "pkgconfig"),
                          PKG_CONFIG_SYSROOT_DIR=cls.dest)
        cls.pc_env.pop("PKG_CONFIG_PATH", None)

    def pkg_config(self, *args):
        r = run(["pkg-config"] + list(args) + ["sipring"], env=self.pc_env, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.split()

    # -- the file list

    def test_installed_files(self):
        headers = sorted(os.listdir(os.path.join(self.includedir, "sipring")))
        want = sorted(f for f in os.listdir(os.path.join(SOURCE_ROOT, "engine/include/sipring"))
                      if f.endswith(".h"))
        self.assertEqual(headers, want)

        real = "libsipring.so." + self.version
        lib = lambda name: os.path.join(self.libdir, name)
        self.assertEqual(os.readlink(lib("libsipring.so")), "libsipring.so.0")
        self.assertEqual(os.readlink(lib("libsipring.so.0")), real)
        self.assertTrue(os.path.isfile(lib(real)) and not os.path.islink(lib(real)))
        self.assertTrue(os.path.isfile(lib("libsipring.a")))
        self.assertTrue(os.path.isfile(lib("pkgconfig/sipring.pc")))
        self.assertEqual(sorted(os.listdir(self.libdir)),
                         sorted(["libsipring.a", "libsipring.so", "libsipring.so.0", real,
                                 "pkgconfig"] + (["sipring"] if self.boringssl_source else [])))
        if self.boringssl_source:
            self.assertEqual(sorted(os.listdir(lib("sipring"))), sorted(BORINGSSL_ARCHIVES))
        self.assertEqual(os.listdir(lib("pkgconfig")), ["sipring.pc"])
        self.assertEqual(sorted(os.listdir(self.bindir)), sorted(TOOLS))

        # Nothing else anywhere: no test, benchmark or helper library.
        everything = []
        for d, _, files in os.walk(self.dest):
            everything += [os.path.relpath(os.path.join(d, f), self.root) for f in files]
        strays = [f for f in everything
                  if not f.startswith(("include/sipring/", os.path.relpath(self.libdir, self.root),
                                       os.path.relpath(self.bindir, self.root)))]
        self.assertEqual(strays, [])

        needed = run(["readelf", "-d", lib(real)]).stdout
        self.assertIn("Library soname: [libsipring.so.0]", needed)
        self.assertNotIn("libjemalloc", needed)
        self.assertNotIn("libssl.so.3", needed)
        self.assertNotIn("libcrypto.so.3", needed)
        if self.boringssl_source:
            # BoringSSL is inside: no BoringSSL library needed, no RUNPATH to find one.
            self.assertNotIn("libssl", needed)
            self.assertNotIn("libcrypto", needed)
            self.assertNotIn(BORINGSSL_SYSTEM_DIR, needed)
        else:
            self.assertIn(BORINGSSL_SYSTEM_DIR, needed,
                          "libsipring.so's own RUNPATH must name BoringSSL's directory")

    def test_installed_tools_find_the_library(self):
        env = dict(os.environ)
        env.pop("LD_LIBRARY_PATH", None)
        for tool in ("sipring", "sipring-load", "sipringctl"):
            path = os.path.join(self.bindir, tool)
            r = run(["ldd", path], env=env, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("not found", r.stdout, tool)
            found = [l.split()[2] for l in r.stdout.splitlines()
                     if l.split()[:2] == ["libsipring.so.0", "=>"]]
            # sipringctl speaks JSON-RPC and uses only the header-only sipring/result.h, so the
            # linker (--as-needed) records no libsipring for it; the engine's tools must have it.
            expected = [] if tool == "sipringctl" else [self.libdir]
            self.assertEqual([os.path.dirname(os.path.realpath(f)) for f in found],
                             expected, "%s:\n%s" % (tool, r.stdout))
            if tool != "sipringctl":
                self.assertIn("libjemalloc", r.stdout, tool + " brings jemalloc itself")
            r = run([path, "--help"], env=env, timeout=30)
            self.assertEqual(r.returncode, 0, "%s --help: %s%s" % (tool, r.stdout, r.stderr))

    def test_pkg_config_flags(self):
        self.assertEqual(self.pkg_config("--modversion"), [self.version])
        self.assertEqual(self.pkg_config("--cflags"), ["-I" + self.includedir])
        self.assertEqual(self.pkg_config("--libs"), ["-L" + self.libdir, "-lsipring"])
        # pkg-config moves some plain paths into the sysroot (the destdir) and not others:
        # compare without it.
        static = [f.replace(self.dest, "", 1) if f.startswith(self.dest + "/") else f
                  for f in self.pkg_config("--static", "--libs")]
        if self.boringssl_source:
            # By full path, so that OpenSSL's libssl/libcrypto can never be taken instead.
            libdir = self.libdir[len(self.dest):]
            boringssl = [os.path.join(libdir, "sipring", a) for a in BORINGSSL_ARCHIVES]
            self.assertFalse([f for f in static if BORINGSSL_SYSTEM_DIR in f], static)
        else:
            boringssl = [BORINGSSL_SYSTEM_DIR + "/libssl.so", BORINGSSL_SYSTEM_DIR + "/libcrypto.so"]
        for flag in ["-lsipring", "-luring", "-lstdc++"] + boringssl:
            self.assertIn(flag, static)
        self.assertFalse([f for f in static if f in ("-lssl", "-lcrypto")], static)
        self.assertNotIn("jemalloc", " ".join(static))

    def test_each_installed_header_compiles_alone(self):
        # C++20 for every header; sipring.h (the C ABI) also as strict C11.
        cflags = " ".join(shlex.quote(f) for f in self.pkg_config("--cflags"))
        for name in sorted(os.listdir(os.path.join(self.includedir, "sipring"))):
            compilers = ["c++ -std=c++20 -x c++"]
            if name == "sipring.h":
                compilers.append("cc -std=c11 -pedantic-errors -x c")
            for compiler in compilers:
                cmd = ("echo '#include <sipring/%s>' | %s -Wall -Wextra -Werror -fsyntax-only %s -"
                       % (name, compiler, cflags))
                r = run(cmd, shell=True)
                self.assertEqual(r.returncode, 0, "%s\n%s" % (cmd, r.stderr))

    # -- consumers outside the tree

    def build_example(self, source, compiler, static=False):
        """Copies examples/<source> to a fresh directory and builds it there with a plain
        compiler command line and pkg-config; returns the executable's path."""
        d = tempfile.mkdtemp(prefix="consumer.", dir=self.tmp)
        shutil.copy(os.path.join(EXAMPLES, source), d)
        exe = os.path.join(d, os.path.splitext(source)[0])
        libs = "$(pkg-config --cflags --libs sipring)"
        env = self.pc_env
        if static:
            # Everything the .pc lists for a static link, with libsipring itself taken from
            # libsipring.a (the directory holds the .so too, which -l would prefer). The
            # sysroot would move BoringSSL's absolute paths into the destdir too: the prefix
            # is moved instead.
            libs = ("$(pkg-config --define-variable=prefix=%s --cflags --static --libs sipring"
                    " | sed 's/-lsipring/-Wl,-Bstatic -lsipring -Wl,-Bdynamic/')"
                    % shlex.quote(self.root))
            env = dict(self.pc_env)
            del env["PKG_CONFIG_SYSROOT_DIR"]
        cmd = "%s %s %s -o %s" % (compiler, shlex.quote(source), libs, shlex.quote(exe))
        r = run(cmd, env=env, shell=True, cwd=d)
        self.assertEqual(r.returncode, 0, "%s\n%s%s" % (cmd, r.stdout, r.stderr))
        needed = run(["readelf", "-d", exe]).stdout
        if static:
            self.assertNotIn("libsipring", needed)
        else:
            self.assertIn("[libsipring.so.0]", needed)
        return exe

    def serve_and_ask(self, exe, reactors=2, stops_cleanly=True):
        """Runs `exe CONFIG` on a free loopback port with the demo certificates and `reactors`
        reactors, sends OPTIONS over TLS and asserts the 200 OK; stops it with SIGTERM and
        asserts exit status 0 (or, unless it `stops_cleanly`, death by SIGTERM). Returns the
        library files the process had mapped."""
        work = tempfile.mkdtemp(prefix="run.", dir=self.tmp)
        shutil.copytree(h.demo_certs(), os.path.join(work, "certs"))
        env = dict(os.environ, LD_LIBRARY_PATH=self.libdir)
        for attempt in range(5):
            port = h.free_port()
            config = os.path.join(work, "sipring.cfg")
            with open(config, "w") as f:
                f.write(h.config_text(port, {("ctl", "socket"): "",
                                             ("sipring", "reactors"): reactors}))
            log_path = os.path.join(work, "log.%d" % attempt)
            with open(log_path, "wb") as log:
                p = subprocess.Popen([exe, config], cwd=work, env=env, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT,
                                     preexec_fn=h._die_with_parent)
            self.addCleanup(lambda p=p: p.poll() is None and (p.kill(), p.wait(10)))
            log_text = lambda: open(log_path, errors="replace").read()
            ready = h.wait_until(lambda: p.poll() is not None
                                 or h.listening_sockets(port) == reactors, READY_TIMEOUT)
            if p.poll() is None and ready:
                break
            p.wait(10)
            if "in use" not in log_text():
                self.fail("%s exited with %r at start:\n%s" % (exe, p.returncode, log_text()))
        else:
            self.fail("no free port after 5 attempts")

        with open("/proc/%d/maps" % p.pid) as f:
            mapped = {line.split()[-1] for line in f if "/" in line}
        conn = h.connect(port)
        try:
            for cseq in (1, 2):
                h.exchange(self, conn, h.Request("OPTIONS", cseq=cseq))
        finally:
            conn.close()
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(15)
        except subprocess.TimeoutExpired:
            self.fail("%s did not exit within 15 s of SIGTERM:\n%s" % (exe, log_text()))
        self.assertEqual(rc, 0 if stops_cleanly else -signal.SIGTERM, log_text())
        return mapped

    def assert_shared_mapping(self, mapped):
        self.assertIn(os.path.join(self.libdir, "libsipring.so." + self.version), mapped)
        self.assertFalse([m for m in mapped if "jemalloc" in m],
                         "an embedder keeps its own allocator")
        # Never OpenSSL's libraries; BoringSSL's only with the system build.
        self.assertFalse([m for m in mapped if "libssl.so.3" in m or "libcrypto.so.3" in m])
        boringssl = [m for m in mapped if BORINGSSL_SYSTEM_DIR in m]
        if self.boringssl_source:
            self.assertEqual(boringssl, [], "libsipring.so carries BoringSSL itself")
        else:
            self.assertIn(BORINGSSL_SYSTEM_DIR + "/libssl.so.0", mapped)

    def test_cpp_example_shared(self):
        exe = self.build_example("cpp_minimal.cc", "c++ -std=c++20 -O1")
        self.assert_shared_mapping(self.serve_and_ask(exe))

    def test_cpp_example_static(self):
        exe = self.build_example("cpp_minimal.cc", "c++ -std=c++20 -O1", static=True)
        mapped = self.serve_and_ask(exe)
        self.assertFalse([m for m in mapped if "libsipring" in m])

    # relay_min.c consumes reactor 0 only and leaves SIGTERM's default action in place.
    def relay_min(self):
        if not os.path.exists(os.path.join(EXAMPLES, "relay_min.c")):
            self.skipTest("examples/relay_min.c is not in the tree (the C ABI's example)")
        return "relay_min.c"

    def test_c_example_shared(self):
        exe = self.build_example(self.relay_min(), "cc -std=c11")
        self.assert_shared_mapping(self.serve_and_ask(exe, reactors=1, stops_cleanly=False))

    def test_relay_builds_against_the_installed_tree(self):
        """examples/relay (the C relay on the C ABI) with one plain cc command line; its
        behaviour is test_relay's."""
        d = tempfile.mkdtemp(prefix="relay.", dir=self.tmp)
        sources = sorted(f for f in os.listdir(os.path.join(EXAMPLES, "relay"))
                         if f.endswith((".c", ".h")))
        for f in sources:
            shutil.copy(os.path.join(EXAMPLES, "relay", f), d)
        exe = os.path.join(d, "sipring-relay")
        cmd = ("cc -std=c11 -D_GNU_SOURCE -Wall %s $(pkg-config --cflags --libs sipring) -o %s"
               % (" ".join(f for f in sources if f.endswith(".c")), shlex.quote(exe)))
        r = run(cmd, env=self.pc_env, shell=True, cwd=d)
        self.assertEqual(r.returncode, 0, "%s\n%s%s" % (cmd, r.stdout, r.stderr))
        r = run([exe, "--help"], env=dict(os.environ, LD_LIBRARY_PATH=self.libdir))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("--upstream", r.stdout + r.stderr)

    def test_c_example_static(self):
        exe = self.build_example(self.relay_min(), "cc -std=c11", static=True)
        mapped = self.serve_and_ask(exe, reactors=1, stops_cleanly=False)
        self.assertFalse([m for m in mapped if "libsipring" in m])


if __name__ == "__main__":
    unittest.main()
