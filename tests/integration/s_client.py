"""`openssl s_client` (OpenSSL 3) as a SIP-over-TLS peer of the daemon under test, with its
session files (-sess_out/-sess_in) for resumption tests (test_ticket_key_file.py,
test_scale_out.py)."""

import os
import select
import subprocess
import time

import harness as h


def read_until(p, done, timeout):
    """Reads the child p's stdout until done(bytes read so far) is true, EOF, or `timeout`
    seconds; returns what it read (a bytearray)."""
    out = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done(out):
        r, _, _ = select.select([p.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        out += chunk
    return out


def _answered(out):
    i = out.find(b"SIP/2.0 200")
    return i >= 0 and out.find(b"\r\n\r\n", i) >= 0


def s_client_request(port, version_flag, request, sess_out=None, sess_in=None, timeout=10.0):
    """One request (bytes) through `openssl s_client` to HOST:port, verified against the demo CA
    (not -quiet: its summary says "New" or "Reused"; -sess_out/-sess_in when given); returns its
    stdout text once the 200 OK is in (or at the deadline)."""
    args = ["openssl", "s_client", "-connect", "%s:%d" % (h.HOST, port), version_flag,
            "-CAfile", h.ca_file(), "-servername", h.SERVER_NAME, "-verify_return_error"]
    if sess_out:
        args += ["-sess_out", sess_out]
    if sess_in:
        args += ["-sess_in", sess_in]
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = bytearray()
    try:
        p.stdin.write(request)
        p.stdin.flush()
        out = read_until(p, _answered, timeout)
        if _answered(out):
            time.sleep(0.2)  # let s_client store a TLS 1.3 ticket sent with the answer
    finally:
        if p.poll() is None:
            p.kill()
        p.wait(10)
        p.stdin.close()
        p.stdout.close()
    return out.decode("utf-8", "replace")


def ticket_key_name(sess_file):
    """The key name (first 16 bytes) of the session ticket in an s_client -sess_out file."""
    r = subprocess.run(["openssl", "sess_id", "-in", sess_file, "-noout", "-text"],
                       capture_output=True, text=True, timeout=15)
    data = bytearray()
    in_ticket = False
    for line in r.stdout.splitlines():
        if "TLS session ticket:" in line:
            in_ticket = True
            continue
        if in_ticket:
            left, sep, _ = line.partition(" - ")
            if not sep or not left.strip().isalnum():
                break
            hexpart = line.split(" - ", 1)[1][:48].replace("-", " ")
            data += bytes.fromhex("".join(hexpart.split()))
            if len(data) >= 16:
                break
    if len(data) < 16:
        raise AssertionError("no session ticket in %s:\n%s" % (sess_file, r.stdout))
    return bytes(data[:16])
