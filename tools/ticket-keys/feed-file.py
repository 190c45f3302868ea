#!/usr/bin/env python3
"""feed-file.py: keeps one node's TLS session-ticket key file equal to the key set in etcd.

    feed-file.py --out PATH [--endpoints URLS] [--key KEY] [--once] [--etcdctl-arg ARG]...

Run one next to each sipring (or HAProxy) node, with PATH the node's
modparam("tls", "ticket_key_file", PATH). It is the standard pattern: the server reads a file;
the distributed store feeds it. The key set is stored and rotated by rotate-etcd.sh (same
--endpoints and --key; defaults http://127.0.0.1:2379 and /sipring/tls-ticket-keys), in
HAProxy's tls-ticket-keys format (one base64 line per 48- or 80-byte key, all the same size,
at least 3; the second-to-last encrypts).

It reads the current value (`etcdctl get`), writes it, then follows `etcdctl watch` from the
next revision, so no update between the two is missed, and writes every new value. Each write
is atomic: a temporary file in PATH's directory, mode 0600 from its creation (sipring refuses a
key file others can read), written and fsynced, then renamed over PATH (the directory is
fsynced too), so the node never sees a partial file and notices the change (sipring watches
the file). A value that is not a valid key set is refused with a log line and the file is left
as it was; a deleted key leaves the file as it was too (a node keeps its keys rather than
failing every resumption). When etcd is unreachable or the watch ends, it retries after 1 s,
for ever; SIGTERM/SIGINT stop it (exit 0). Key material is never logged.

--once: write the current value and exit (0 written, 1 no valid value / etcd unreachable).
Every etcdctl call but the watch is bounded (dial 2 s, command 5 s, 10 s overall).
Log lines go to stderr, one per event: "feed-file: wrote PATH (3 keys, revision N)".
"""

import argparse
import base64
import binascii
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

MIN_KEYS = 3
KEY_SIZES = (48, 80)


def log(msg):
    sys.stderr.write("feed-file: %s\n" % msg)
    sys.stderr.flush()


def check_key_set(value):
    """Number of keys in `value` (bytes) if it is a valid key set, else raises ValueError saying
    why (never quoting key material)."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("not ASCII")
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    if len(lines) < MIN_KEYS:
        raise ValueError("%d keys, fewer than %d" % (len(lines), MIN_KEYS))
    sizes = set()
    for i, line in enumerate(lines, 1):
        try:
            raw = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("line %d is not base64" % i)
        if len(raw) not in KEY_SIZES:
            raise ValueError("line %d is a %d-byte key, not 48 or 80" % (i, len(raw)))
        sizes.add(len(raw))
    if len(sizes) != 1:
        raise ValueError("keys of different sizes (48 and 80) are mixed")
    return len(lines)


def write_atomically(path, data):
    """Replaces `path` with `data` so that readers see the old or the new file, never a part:
    temp file (0600) in the same directory, fsync, rename, fsync of the directory."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=directory)
    try:
        os.fchmod(fd, 0o600)  # mkstemp creates 0600 already; explicit, as the contract says
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


class Feeder:
    def __init__(self, args):
        self.out = args.out
        self.key = args.key
        self.etcdctl = (["etcdctl", "--endpoints=" + args.endpoints, "--dial-timeout=2s",
                         "--command-timeout=5s"] + list(args.etcdctl_arg))
        self.watch = None
        self.stopping = False

    def apply(self, value, revision):
        """Writes `value` (bytes) to the file if it is a valid key set. True if written."""
        try:
            n = check_key_set(value)
        except ValueError as e:
            log("refused the value of %s at revision %d: %s; %s left unchanged"
                % (self.key, revision, e, self.out))
            return False
        data = value if value.endswith(b"\n") else value + b"\n"
        write_atomically(self.out, data)
        log("wrote %s (%d keys, revision %d)" % (self.out, n, revision))
        return True

    def get(self):
        """(value bytes or None, revision) now; raises RuntimeError if etcd does not answer."""
        r = subprocess.run(self.etcdctl + ["get", self.key, "-w", "json"], capture_output=True,
                           timeout=10, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            why = (r.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
            raise RuntimeError("etcdctl get failed: %s" % why)
        resp = json.loads(r.stdout)
        revision = int(resp["header"]["revision"])
        kvs = resp.get("kvs") or []
        if not kvs:
            return None, revision
        return base64.b64decode(kvs[0].get("value", "")), revision

    def follow(self, revision):
        """Writes every value put after `revision` until the watch ends (etcd gone, compaction)."""
        cmd = self.etcdctl + ["watch", self.key, "-w", "json", "--rev", str(revision + 1)]
        self.watch = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        try:
            for line in self.watch.stdout:
                line = line.strip()
                if not line.startswith(b"{"):
                    continue
                resp = json.loads(line)
                if resp.get("Canceled"):
                    log("the watch on %s was canceled (compacted at %s)"
                        % (self.key, resp.get("CompactRevision")))
                    return
                for ev in resp.get("Events") or []:
                    kv = ev.get("kv", {})
                    rev = int(kv.get("mod_revision", 0))
                    if ev.get("type") == 1:  # DELETE
                        log("%s was deleted at revision %d; %s left unchanged"
                            % (self.key, rev, self.out))
                        continue
                    self.apply(base64.b64decode(kv.get("value", "")), rev)
        finally:
            if self.watch.poll() is None:
                self.watch.terminate()
            self.watch.wait(10)
            self.watch = None

    def once(self):
        value, revision = self.get()
        if value is None:
            log("%s holds no value at revision %d" % (self.key, revision))
            return False
        return self.apply(value, revision)

    def run(self):
        while not self.stopping:
            try:
                value, revision = self.get()
                if value is not None:
                    self.apply(value, revision)
                else:
                    log("%s holds no value yet (revision %d); waiting for one"
                        % (self.key, revision))
                self.follow(revision)
            except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
                log("%s; retrying in 1 s" % e)
            if not self.stopping:
                time.sleep(1.0)

    def stop(self, *_):
        self.stopping = True
        if self.watch is not None and self.watch.poll() is None:
            self.watch.terminate()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="the node's ticket key file")
    ap.add_argument("--endpoints", default="http://127.0.0.1:2379")
    ap.add_argument("--key", default="/sipring/tls-ticket-keys")
    ap.add_argument("--once", action="store_true", help="write the current value and exit")
    ap.add_argument("--etcdctl-arg", action="append", default=[],
                    help="passed to every etcdctl call (e.g. --cacert=FILE)")
    args = ap.parse_args()
    feeder = Feeder(args)
    if args.once:
        try:
            return 0 if feeder.once() else 1
        except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
            log(str(e))
            return 1
    signal.signal(signal.SIGTERM, feeder.stop)
    signal.signal(signal.SIGINT, feeder.stop)
    feeder.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
