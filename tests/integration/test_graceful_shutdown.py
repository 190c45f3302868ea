"""SIGTERM under load: every request the server took in (messages_in in the JSON printed at exit)
must have been answered before the connections closed, and the exit code must be 0."""

import asyncio
import signal
import subprocess
import sys
import time
import unittest

import harness as h

CONNS = 50
BATCH = 10
GRACE_MS = 3000
STUCK_CONNS = 32
STUCK_REQUESTS = 2000


def _request(conn_idx, seq):
    key = ("stop-%d-%d@client.example" % (conn_idx, seq), "%d OPTIONS" % (seq + 1))
    raw = ("OPTIONS sip:stop@127.0.0.1 SIP/2.0\r\n"
           "Via: SIP/2.0/TLS 127.0.0.1:5071;branch=z9hG4bK-s%dx%d\r\n"
           "From: <sip:c%d@client.example>;tag=f%d\r\n"
           "To: <sip:service@server.example>\r\n"
           "Call-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n"
           % (conn_idx, seq, conn_idx, conn_idx, key[0], key[1])).encode()
    return key, raw


class _Conn:
    def __init__(self, idx):
        self.idx = idx
        self.sent = set()
        self.answered = set()
        self.bad = []
        self.end = None  # how the stream ended


async def _writer(c, writer):
    seq = 0
    try:
        while True:
            batch = []
            for _ in range(BATCH):
                key, raw = _request(c.idx, seq)
                c.sent.add(key)
                batch.append(raw)
                seq += 1
            writer.write(b"".join(batch))
            await writer.drain()
            await asyncio.sleep(0.002)
    except (ConnectionError, OSError, asyncio.CancelledError):
        pass


async def _reader(c, reader):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            msg, _ = h.parse_one(head)
            key = msg.key() if msg is not None else None
            if msg is None or msg.start_line != "SIP/2.0 200 OK" or key not in c.sent \
                    or key in c.answered:
                c.bad.append(head)
            else:
                c.answered.add(key)
    except asyncio.IncompleteReadError as e:
        c.end = "eof" if not e.partial else "eof-mid-message %r" % e.partial
    except Exception as e:  # noqa: BLE001 - how the stream ended is recorded and checked
        c.end = repr(e)


class _GracefulShutdown:
    CORE = None

    def test_sigterm_answers_every_received_request_and_exits_0(self):
        d = h.start_daemon(self, grace_ms=GRACE_MS, core=self.CORE)
        result = asyncio.run(asyncio.wait_for(self._run(d), 60))
        conns, stop_seconds, final = result
        e, core = h.counters(final), final["core"]
        answered = sum(len(c.answered) for c in conns)
        sent = sum(len(c.sent) for c in conns)
        bad = [b for c in conns for b in c.bad]
        self.assertEqual(bad[:5], [], "%d unexpected answers" % len(bad))
        self.assertGreater(answered, 1000, "the load never got going")
        self.assertLess(answered, sent, "nothing was in flight at SIGTERM")
        self.assertEqual(answered, e["messages_in"], "core %s; " % core +
                         "requests taken in vs answers received (sent %d): %s" % (sent, e))
        self.assertEqual(e["messages_out"], e["messages_in"], e)
        self.assertEqual(core["replies"], e["messages_in"], core)
        self.assertEqual(e["connections_open"], 0, e)
        self.assertLess(stop_seconds, GRACE_MS / 1000.0 + 3, "shutdown overran the grace time")
        ends = [c.end for c in conns]
        self.assertEqual([x for x in ends if x not in ("eof",) and "Reset" not in str(x)
                          and "SSL" not in str(x)], [], ends)

    async def _run(self, d):
        ctx = h.client_context()
        conns, tasks, writers = [], [], []
        for i in range(CONNS):
            reader, writer = await asyncio.open_connection(h.HOST, d.port, ssl=ctx,
                                                           server_hostname=h.SERVER_NAME)
            c = _Conn(i)
            conns.append(c)
            writers.append(asyncio.ensure_future(_writer(c, writer)))
            tasks.append(asyncio.ensure_future(_reader(c, reader)))
        deadline = time.monotonic() + 30
        while sum(len(c.answered) for c in conns) < 5000:
            self.assertLess(time.monotonic(), deadline, "load too slow")
            await asyncio.sleep(0.05)
        loop = asyncio.get_running_loop()
        t0 = time.monotonic()
        # stop() sends SIGTERM and waits for exit code 0; the readers keep draining meanwhile.
        final = await loop.run_in_executor(None, d.stop)
        stop_seconds = time.monotonic() - t0
        done, pending = await asyncio.wait(tasks, timeout=10)
        self.assertEqual(len(pending), 0, "connections still open after the daemon exited")
        for w in writers:
            w.cancel()
        await asyncio.gather(*writers, return_exceptions=True)
        return conns, stop_seconds, final


class _GraceIsABound:
    """Under sipring-load (rps, connections that keep sending until the server closes them) and
    with peers that neither read nor close, SIGTERM -> exit must take at most --grace-ms plus
    measurement slack: the grace is a bound on the whole stop (hard closes, joins and teardown
    included), not a wait before a stop of any length. A pure client like sipring-load must not
    touch the control socket either."""

    CORE = None
    GRACE_MS = 2000
    # The stop is planned to end 50 ms before the grace runs out (Reactor::shutdown_margin_ns);
    # the slack covers only the signal delivery and this process's wake-up from waitpid. (An
    # overrun of 25-30 ms, as before the fix, fails; after it, exit came at 1926-1939 ms.)
    SLACK_MS = 20

    def test_sigterm_to_exit_within_the_grace_under_load(self):
        d = h.start_daemon(self, grace_ms=self.GRACE_MS, core=self.CORE)
        # Peers that neither read nor close: their replies fill the socket buffers, and the
        # server can only end them by closing hard when the grace runs out.
        for _ in range(STUCK_CONNS):
            c = h.connect(d.port)
            self.addCleanup(c.close)
            c.send(b"".join(h.Request("OPTIONS").encode() for _ in range(STUCK_REQUESTS)))
        load = subprocess.Popen(
            [h.load_bin(), "rps", "--target", "%s:%d" % (h.HOST, d.port), "--ca", h.ca_file(),
             "--connections", "200", "--pipeline", "8", "--duration", "20", "--max-seconds", "30",
             "--busy-poll-us", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        self.addCleanup(load.kill)
        s = d.wait_stats(lambda s: h.counters(s)["messages_in"] > 5000, timeout=20)
        self.assertGreater(h.counters(s)["messages_in"], 5000, "the load never got going")
        t0 = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        rc = d.proc.wait(self.GRACE_MS / 1000.0 + 10)
        took_ms = (time.monotonic() - t0) * 1000.0
        sys.stderr.write("SIGTERM -> exit: %.0f ms (grace %d ms, %s core)\n"
                         % (took_ms, self.GRACE_MS, self.CORE))
        d.kill()  # joins the log pumps
        _, err = load.communicate(timeout=40)
        self.assertEqual(rc, 0, d.log_text())
        self.assertLessEqual(took_ms, self.GRACE_MS + self.SLACK_MS,
                             "SIGTERM -> exit took %.0f ms; log:\n%s" % (took_ms, d.log_text()))
        self.assertNotIn("control socket", err)
        # The stuck peers were there until the end: the grace really was waited out.
        self.assertGreater(took_ms, self.GRACE_MS / 2)


class InlineCoreGraceIsABound(_GraceIsABound, unittest.TestCase):
    CORE = "inline"


class ThreadsCoreGraceIsABound(_GraceIsABound, unittest.TestCase):
    CORE = "threads"


class InlineCoreShutdown(_GracefulShutdown, unittest.TestCase):
    CORE = "inline"


class ThreadsCoreShutdown(_GracefulShutdown, unittest.TestCase):
    CORE = "threads"


if __name__ == "__main__":
    unittest.main()
