"""Many concurrent TLS connections with pipelined requests (asyncio + ssl as the client).

Every request has a unique Call-ID/CSeq; every answer is matched back by that pair, so a lost,
duplicated, misrouted (answered on another connection) or mangled answer is caught. The server's
counters must agree exactly with what the clients sent.
"""

import asyncio
import time
import unittest

import harness as h

TIME_LIMIT = 120.0


class LoadReport:
    def __init__(self):
        self.sent = 0
        self.ok = 0
        self.mismatched = []  # (conn index, description)
        self.lost = 0
        self.errors = []
        self.peak_open = None
        self.elapsed = 0.0


def _request(conn_idx, seq, port):
    call_id = "load-%d-%d@client.example" % (conn_idx, seq)
    cseq = "%d OPTIONS" % (seq + 1)
    via = "SIP/2.0/TLS 127.0.0.1:%d;branch=z9hG4bK-l%dx%d" % (port, conn_idx, seq)
    raw = ("OPTIONS sip:load@127.0.0.1 SIP/2.0\r\n"
           "Via: %s\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:load%d@client.example>;tag=f%d\r\n"
           "To: <sip:service@server.example>\r\n"
           "Call-ID: %s\r\n"
           "CSeq: %s\r\n"
           "Content-Length: 0\r\n\r\n" % (via, conn_idx, conn_idx, call_id, cseq)).encode()
    return (call_id, cseq), via, raw


def _check_answer(head, outstanding):
    """Returns None if `head` is a correct 200 OK for an outstanding request (and removes it),
    else a description of what is wrong."""
    lines = head.decode("utf-8", "replace").split("\r\n")
    if lines[0] != "SIP/2.0 200 OK":
        return "status line %r" % lines[0]
    fields = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        fields.setdefault(name.strip().lower(), []).append(value.strip())
    key = (fields.get("call-id", [None])[0], fields.get("cseq", [None])[0])
    via = outstanding.pop(key, None)
    if via is None:
        return "answer for unknown or already answered request %r" % (key,)
    if fields.get("via") != [via]:
        return "Via %r, expected %r" % (fields.get("via"), via)
    if fields.get("content-length") != ["0"]:
        return "Content-Length %r" % fields.get("content-length")
    if not fields.get("to", [""])[0].startswith("<sip:service@server.example>;tag="):
        return "To %r" % fields.get("to")
    return None


async def _client(idx, port, ctx, n_requests, window, opened, go, report):
    reader = writer = None
    outstanding = {}
    released = False
    try:
        reader, writer = await asyncio.open_connection(h.HOST, port, ssl=ctx,
                                                       server_hostname=h.SERVER_NAME)
        opened.release()
        released = True
        await go.wait()
        seq = 0
        while seq < n_requests:
            batch = []
            for _ in range(min(window, n_requests - seq)):
                key, via, raw = _request(idx, seq, port)
                outstanding[key] = via
                batch.append(raw)
                seq += 1
            writer.write(b"".join(batch))
            report.sent += len(batch)
            await writer.drain()
            for _ in range(len(batch)):
                head = await reader.readuntil(b"\r\n\r\n")
                problem = _check_answer(head, outstanding)
                if problem:
                    report.mismatched.append((idx, problem))
                else:
                    report.ok += 1
    except Exception as e:  # noqa: BLE001 - every failure is counted and reported
        report.errors.append((idx, repr(e)))
        if not released:
            opened.release()
    finally:
        report.lost += len(outstanding)
        if writer is not None:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 10)
            except Exception:  # noqa: BLE001 - closing errors do not matter here
                pass


async def _run(daemon, n_conns, n_requests, window):
    report = LoadReport()
    ctx = h.client_context()
    opened = asyncio.Semaphore(0)
    go = asyncio.Event()
    start = time.monotonic()
    tasks = [asyncio.ensure_future(_client(i, daemon.port, ctx, n_requests, window, opened, go,
                                           report)) for i in range(n_conns)]
    for _ in range(n_conns):
        await opened.acquire()
    # Every connection is open before the first request: they are truly concurrent.
    loop = asyncio.get_running_loop()
    stats = await loop.run_in_executor(None, daemon.stats)
    report.peak_open = h.counters(stats)["connections_open"]
    go.set()
    await asyncio.gather(*tasks)
    report.elapsed = time.monotonic() - start
    return report


class _LoadTest:
    CORE = None
    CONNS = REQUESTS = WINDOW = 0

    def test_concurrent_pipelined_requests_all_answered_and_counted(self):
        d = h.start_daemon(self, core=self.CORE)
        total = self.CONNS * self.REQUESTS
        try:
            report = asyncio.run(asyncio.wait_for(
                _run(d, self.CONNS, self.REQUESTS, self.WINDOW), TIME_LIMIT))
        except asyncio.TimeoutError:
            self.fail("load did not finish within %.0f s; server: %s"
                      % (TIME_LIMIT, h.counters(d.stats())))
        self.assertEqual(report.errors, [], "connection errors (%d)" % len(report.errors))
        self.assertEqual(report.mismatched[:10], [], "%d mismatched" % len(report.mismatched))
        self.assertEqual(report.lost, 0)
        self.assertEqual(report.sent, total)
        self.assertEqual(report.ok, total)
        self.assertEqual(report.peak_open, self.CONNS)
        s = d.wait_stats(lambda s: h.counters(s)["connections_open"] == 0, timeout=15)
        e, core = h.counters(s), s["core"]
        self.assertEqual(e["connections_open"], 0, e)
        self.assertEqual(e["accepted"], self.CONNS, e)
        self.assertEqual(e["closed"], self.CONNS, e)
        self.assertEqual(e["handshakes_full"] + e["handshakes_resumed"], self.CONNS, e)
        self.assertEqual(e["handshake_failures"], 0, e)
        self.assertEqual(e["messages_in"], total, e)
        self.assertEqual(e["messages_out"], total, e)
        self.assertEqual(e["bad_messages"], 0, e)
        self.assertEqual(e["send_queue_full"], 0, e)
        self.assertEqual(e["send_unknown_connection"], 0, e)
        self.assertEqual(core["requests"], total, core)
        self.assertEqual(core["replies"], total, core)
        self.assertEqual(core["unanswerable"], 0, core)
        final = d.stop()
        self.assertEqual(h.counters(final)["messages_in"], total)
        if self.verbose_timing:
            print("load %s: %d x %d in %.1f s" % (self.CORE, self.CONNS, self.REQUESTS,
                                                  report.elapsed))

    verbose_timing = False


class InlineCoreLoad(_LoadTest, unittest.TestCase):
    CORE = "inline"
    CONNS, REQUESTS, WINDOW = 1000, 100, 5


class ThreadsCoreLoad(_LoadTest, unittest.TestCase):
    CORE = "threads"
    CONNS, REQUESTS, WINDOW = 200, 50, 5


if __name__ == "__main__":
    unittest.main()
