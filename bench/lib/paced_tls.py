#!/usr/bin/env python3
"""TLS handshakes at a fixed rate from an OpenSSL 3 client (Python's ssl), for bench/e2e.py.

sipring-load saturates the server; real traffic rarely does, and a partly idle server spends
more per handshake (fewer completions per io_uring_enter, more wake-ups). This client opens
connections on a fixed schedule (open loop: a late handshake does not delay the next ones),
does one TLS 1.3 handshake, one OPTIONS and its 200 OK on each, and closes it; with --resume
every connection offers the session ticket of an earlier one. Prints one JSON line:
{"handshakes", "resumed", "failures", "seconds", "per_s"}.

  paced_tls.py --target 127.0.0.1:PORT --rate 800 --duration 10 [--resume] [--threads 4]
"""
import argparse
import json
import socket
import ssl
import threading
import time

OPTIONS = ("OPTIONS sip:bench@127.0.0.1;transport=tls SIP/2.0\r\n"
           "Via: SIP/2.0/TLS 127.0.0.1:40000;branch=z9hG4bK-p{t}-{n};rport\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:paced@sipring.invalid>;tag=p{t}-{n}\r\n"
           "To: <sip:bench@127.0.0.1>\r\n"
           "Call-ID: p{t}-{n}@paced\r\n"
           "CSeq: 1 OPTIONS\r\n"
           "Content-Length: 0\r\n\r\n")


def one(ctx, host, port, session, t, n):
    """One connection; returns (ok, resumed, session for the next one)."""
    with socket.create_connection((host, port), timeout=5) as raw:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as s:
            s.sendall(OPTIONS.format(t=t, n=n).encode())
            reply = b""
            while b"\r\n\r\n" not in reply:
                chunk = s.recv(4096)
                if not chunk:
                    return False, False, None
                reply += chunk
            # TLS 1.3 tickets arrive after the handshake; the reply's read has taken them.
            return reply.startswith(b"SIP/2.0 200"), s.session_reused, s.session


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", required=True)
    ap.add_argument("--rate", type=float, default=800)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    host, port = args.target.rsplit(":", 1)
    port = int(port)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the server's CPU is measured, not the client's checks

    counts = {"handshakes": 0, "resumed": 0, "failures": 0}
    lock = threading.Lock()
    start = time.monotonic() + 0.2
    total = int(args.rate * args.duration)

    def worker(t):
        session = None
        # Thread t takes handshakes t, t+T, t+2T, ... each at start + i/rate (open loop).
        for i in range(t, total, args.threads):
            delay = start + i / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                ok, resumed, s = one(ctx, host, port, session if args.resume else None, t, i)
            except (OSError, ssl.SSLError):
                ok, resumed, s = False, False, None
            if args.resume and s is not None:
                session = s
            with lock:
                counts["handshakes" if ok else "failures"] += 1
                counts["resumed"] += 1 if ok and resumed else 0

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(args.threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    seconds = time.monotonic() - start
    counts["seconds"] = seconds
    counts["per_s"] = counts["handshakes"] / seconds if seconds > 0 else 0.0
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
