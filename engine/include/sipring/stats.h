// Counters every reactor keeps, readable from any thread (RPCs, the load tool, tests).
//
// They are how sipring proves its claims: e.g. `pool_allocs` stays flat under steady load (no
// allocation on the per-message path) and `uring_enters / messages_in` shows syscall batching.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sipring {

// X-macro: name, meaning. Order is the JSON order.
#define SIPRING_COUNTERS(X)                                                                       \
  X(connections_open, "connections currently open (gauge)")                                       \
  X(accepted, "connections accepted")                                                             \
  X(connected, "client connections opened by sipring")                                            \
  X(closed, "connections closed")                                                                 \
  X(handshakes_full, "completed full TLS handshakes")                                             \
  X(handshakes_resumed, "completed resumed TLS handshakes")                                       \
  X(handshakes_certificate2, "... of which: served tls.certificate2")                             \
  X(handshake_failures, "TLS handshakes that failed")                                             \
  X(no_shared_group, "... of which: no key-exchange group of tls.groups shared")                  \
  X(no_fitting_certificate, "... of which: no certificate of the domain fits the client")         \
  X(handshake_timeouts, "TLS handshakes that did not finish in time")                             \
  X(ocsp_staples_sent, "TLS handshakes that sent an OCSP staple (tls.ocsp_staple_file)")          \
  X(ocsp_refusals, "servers refused for their OCSP staple (tls.ocsp_require)")                    \
  X(idle_timeouts, "connections closed by tls.connection_timeout")                                \
  X(tls13_direct, "TLS 1.3 connections on sipring's in-place record layer")                       \
  X(tls12_direct, "TLS 1.2 connections on BoringSSL's in-place record API")                       \
  X(records_in, "TLS records opened")                                                             \
  X(records_out, "TLS records sealed")                                                            \
  X(bytes_in, "bytes received from sockets")                                                      \
  X(bytes_out, "bytes sent to sockets")                                                           \
  X(messages_in, "SIP messages handed to the core")                                               \
  X(messages_out, "SIP messages queued by the core")                                              \
  X(pings, "RFC 5626 CRLFCRLF keep-alives answered")                                              \
  X(bad_messages, "connections closed for malformed SIP framing")                                 \
  X(bad_missing_content_length, "... of which: missing Content-Length")                           \
  X(bad_content_length, "... of which: non-numeric Content-Length")                               \
  X(bad_negative_content_length, "... of which: negative Content-Length")                         \
  X(bad_conflicting_content_length, "... of which: conflicting Content-Length")                   \
  X(bad_content_length_too_large, "... of which: message over max_message_size")                  \
  X(bad_head_too_long, "... of which: head over max_message_size")                                \
  X(bad_start_line, "... of which: malformed start line")                                         \
  X(replies_400, "400 Bad Request answers sent before closing")                                   \
  X(rx_copied_bytes, "plaintext bytes copied to reassemble messages split over records")          \
  X(rx_partial_record_bytes, "ciphertext bytes copied because a record spanned two recvs")        \
  X(tx_copied_bytes, "plaintext bytes copied into TLS record buffers")                            \
  X(key_updates, "TLS 1.3 KeyUpdate messages received")                                           \
  X(keylog_lines, "key log lines written (tls.keylog_mode: to the log, to tls.keylog_file)")      \
  X(keylog_failures, "key log lines tls.keylog_file did not take (write failed)")                 \
  X(send_unknown_connection, "replies for connections that had closed")                           \
  X(shutdown_discarded_bytes, "bytes received after shutdown began, not processed")               \
  X(send_queue_full, "replies refused: connection send queue over its limit")                     \
  X(send_paused, "times reading paused because a connection's unsent replies passed conn_wq_max") \
  X(send_timeouts, "connections closed by sipring.send_timeout_ms (queue made no progress)")      \
  X(message_timeouts, "connections closed by sipring.message_timeout_ms (message incomplete)")    \
  X(budget_closed, "connections closed to keep sipring.wq_max or sipring.rx_partial_max")         \
  X(source_refused, "connections refused: source over its connection or handshake limit")         \
  X(reserve_refused, "connections refused: table in its reserve and the source holds many")       \
  X(handshake_waits, "times accepting paused: sipring.max_handshakes in flight")                  \
  X(handshake_refused, "accepted sockets closed: sipring.max_handshakes already in flight")       \
  X(proxy_headers, "PROXY protocol headers accepted (sipring.proxy_protocol_listen)")             \
  X(proxy_local, "... of which: LOCAL (the balancer's own connection, e.g. a health check)")      \
  X(proxy_untrusted, "proxy listener: closed at accept, source not in proxy_protocol_trusted")    \
  X(proxy_no_header, "proxy listener: closed, no PROXY header (other bytes, or none at all)")     \
  X(proxy_bad_header, "proxy listener: closed, malformed, cut or unsupported PROXY header")       \
  X(proxy_bad_crc, "proxy listener: closed, PROXY v2 CRC32C mismatch")                            \
  X(proxy_too_long, "proxy listener: closed, v2 header over sipring.proxy_header_max")            \
  X(proxy_timeouts, "proxy listener: closed, header incomplete after proxy_header_timeout_ms")    \
  X(proxy_header_bytes, "bytes of PROXY headers kept for tls.facts, one per connection (gauge)")  \
  X(tx_queued_bytes, "bytes queued for sending (gauge)")                                          \
  X(rx_partial_bytes, "bytes held by partial TLS records and SIP messages (gauge)")               \
  X(handshakes_in_flight, "server handshakes in progress (gauge)")                                \
  X(recv_enobufs, "recvs stopped because every receive buffer was in use")                        \
  X(handoff_full, "frames parked because the handoff ring was full")                              \
  X(recv_paused, "connections whose reading was paused by backpressure")                          \
  X(low_mem_refused, "new connections refused below tls.low_mem_threshold1")                      \
  X(draining, "1 once core.drain closed this reactor's listening sockets (gauge)")                \
  X(closed_before_handshake, "peers that closed before finishing a TLS handshake (TCP checks)")   \
  X(tls_auto_reloads, "automatic tls.reloads after file changes (engine-wide: in reactor 0)")     \
  X(tls_auto_reload_refused, "automatic tls.reloads refused: a file was broken (in reactor 0)")   \
  X(ticket_key_loads, "tls.ticket_key_file reads that installed its keys (in reactor 0)")         \
  X(ticket_key_refused, "tls.ticket_key_file reads refused: nothing changed (in reactor 0)")      \
  X(tickets_renewed, "tickets opened with a key that no longer seals: re-issued (in reactor 0)")  \
  X(tickets_unknown_key, "tickets under a key not held: full handshake (in reactor 0)")           \
  X(pool_allocs, "heap allocations by the block pool (flat under steady load)")                   \
  X(pool_failures, "buffers the block pool could not give (no memory, or over its largest)")      \
  X(sends, "send operations submitted")                                                           \
  X(uring_enters, "io_uring_enter system calls")                                                  \
  X(loops, "reactor loop iterations")                                                             \
  X(wakeups, "times another thread woke this reactor")                                            \
  X(adaptive_polls, "non-blocking io_uring_enter calls made by sipring.adaptive_poll")            \
  X(adaptive_poll_hits, "... of which: found work (a wake-up avoided)")                           \
  X(adaptive_poll_capped, "idle periods adaptive_poll wanted to poll but its CPU cap said sleep") \
  X(adaptive_poll_ns, "time adaptive_poll spent polling, in ns (what its CPU cap bounds)")        \
  X(wake_cost_ns, "adaptive_poll: measured wake-up cost, average in ns (gauge)")                  \
  X(idle_gap_ns, "adaptive_poll: measured gap from idle to next work, average in ns (gauge)")

struct ReactorStats {
#define SIPRING_DECLARE_COUNTER(name, doc) uint64_t name = 0;
  SIPRING_COUNTERS(SIPRING_DECLARE_COUNTER)
#undef SIPRING_DECLARE_COUNTER

  // Adds every counter of `o` to this one (gauges too: a sum over reactors).
  ReactorStats& operator+=(const ReactorStats& o);
};

struct EngineStats {
  std::vector<ReactorStats> reactors;
  ReactorStats total() const;
};

// Calls f(name, value) for every counter of `stats` in SIPRING_COUNTERS order, `name` being a
// static string ("accepted"): the one way to list them by name (the control socket's JSON, the
// tools' stats lines, an embedder's exporter) without repeating the X-macro.
template <class F>
void for_each_counter(const ReactorStats& stats, F&& f) {
#define SIPRING_VISIT_COUNTER(name, doc) f(#name, stats.name);
  SIPRING_COUNTERS(SIPRING_VISIT_COUNTER)
#undef SIPRING_VISIT_COUNTER
}

}  // namespace sipring
