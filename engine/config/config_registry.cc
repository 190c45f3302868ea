// The parameter table and the generic, table-driven setter, formatter and README generator.
#include "engine/config/config_registry.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace sipring {

namespace {

constexpr int64_t kIntMax = INT32_MAX;
constexpr uint16_t kDefaultTlsPort = 5061;  // Kamailio's default for tls listens

// SSL 2 and 3 exist in no TLS library sipring can use, and RFC 7568 / RFC 6176 forbid them.
constexpr std::string_view kSslRefused =
    "SSL 2.0 and 3.0 are broken and forbidden (RFC 6176, RFC 7568) and BoringSSL does not "
    "implement them; use \"TLSv1.2+\" (TLS 1.2 or newer, the default, as RFC 8996 asks) or "
    "\"TLSv1.3+\"";

const char* refuse_compression(int64_t v) {
  return v == 0 ? "BoringSSL has no TLS compression (removed after the CRIME attack), so "
                  "compression stays disabled; write 1 or remove the line"
                : nullptr;
}
const char* refuse_keep_buffers(int64_t v) {
  return v == 0 ? "BoringSSL always releases its read and write buffers when they are empty, and "
                  "sipring keeps no buffer on an idle connection; write 1 or -1"
                : nullptr;
}
const char* refuse_free_list(int64_t v) {
  return v > 0 ? "BoringSSL keeps no per-connection free lists: freed memory returns to the "
                 "allocator at once (sipring's own buffers are pooled per reactor); write 0 or -1"
               : nullptr;
}
const char* refuse_fragment(int64_t v) {
  return v >= 0 && v < 512 ? "a TLS record must carry at least 512 bytes (manual §1.9.16); "
                             "write 512-16384, or -1 for 16384"
                           : nullptr;
}

const char* refuse_small_budget(int64_t v) {
  // Reactors claim a shared budget in quanta of at least 4 KiB (engine/sync/budget.h): below 64 KiB
  // a few claims would exhaust it and even handshakes would be shed.
  return v > 0 && v < 65536 ? "a process-wide budget below 64 KiB would not hold a few "
                              "connections' bytes; write at least 65536, or 0 for the automatic "
                              "size"
                            : nullptr;
}

std::vector<ParamDef> build_registry() {
  using T = ParamType;
  using S = ParamSupport;
  // Kept in the TLS module manual's §1.9 order, then sipring's own; the README shows this order.
  return {
      {.module = "tls",
       .name = "tls_method",
       .type = T::kString,
       .default_text = "TLSv1.2+",
       .allowed = {"TLSv1.2+", "TLSv1.2", "TLSv1.3", "TLSv1.3+", "TLSv1", "TLSv1.1", "TLSv1+",
                   "TLSv1.1+", "SSLv23"},
       .refused = {"SSLv2", "SSLv3", "SSLv2+", "SSLv3+"},
       .refused_reason = kSslRefused,
       .description = "TLS versions accepted: TLSvX exactly that version, TLSvX+ that version and "
                      "newer; SSLv23 = any version BoringSSL offers (TLSv1+). TLS 1.0/1.1 "
                      "(TLSv1, TLSv1.1, TLSv1+, TLSv1.1+, SSLv23) are accepted for old peers "
                      "with a warning at start: RFC 8996 deprecates them.",
       .field = [](Config& c) -> ParamField { return &c.tls.tls_method; }},
      {.module = "tls",
       .name = "certificate",
       .type = T::kPath,
       .description = "PEM file with the certificate chain (may also hold the private key). "
                      "Required when enable_tls=yes, unless tls.config names a tls.cfg (whose "
                      "domains then give the certificates).",
       .field = [](Config& c) -> ParamField { return &c.tls.certificate; }},
      {.module = "tls",
       .name = "private_key",
       .aliases = {"private"},  // the manual's Example 5 spells it so
       .type = T::kPath,
       .description = "PEM file with the private key; unset = the certificate file.",
       .field = [](Config& c) -> ParamField { return &c.tls.private_key; }},
      {.module = "tls",
       .name = "private_key_password",
       .type = T::kString,
       .description = "Passphrase of an encrypted PEM private key (PKCS#8 or traditional). A "
                      "wrong one refuses the start or the reload, naming the file.",
       .field = [](Config& c) -> ParamField { return &c.tls.private_key_password; }},
      {.module = "tls",
       .name = "ca_list",
       .type = T::kPath,
       .description = "PEM file of the CA certificates trusted when verifying peers (used by "
                      "verify_certificate; verification always fails with an empty list).",
       .field = [](Config& c) -> ParamField { return &c.tls.ca_list; }},
      {.module = "tls",
       .name = "ca_path",
       .type = T::kPath,
       .description = "Directory of CA certificates named by their subject hash (c_rehash), "
                      "trusted like ca_list (Kamailio's ca_path).",
       .field = [](Config& c) -> ParamField { return &c.tls.ca_path; }},
      {.module = "tls",
       .name = "crl",
       .type = T::kPath,
       .description = "PEM certificate revocation list checked when verifying peers.",
       .field = [](Config& c) -> ParamField { return &c.tls.crl; }},
      {.module = "tls",
       .name = "verify_certificate",
       .type = T::kBool,
       .default_text = "0",
       .description = "Verify the peer's certificate chain against ca_list.",
       .field = [](Config& c) -> ParamField { return &c.tls.verify_certificate; }},
      {.module = "tls",
       .name = "verify_depth",
       .type = T::kInt,
       .default_text = "9",
       .min = 0,
       .max = 100,
       .description = "How many certificates up the chain verification may go to find a CA.",
       .field = [](Config& c) -> ParamField { return &c.tls.verify_depth; }},
      {.module = "tls",
       .name = "require_certificate",
       .type = T::kBool,
       .default_text = "0",
       .description = "Require clients to present a certificate.",
       .field = [](Config& c) -> ParamField { return &c.tls.require_certificate; }},
      {.module = "tls",
       .name = "verify_client",
       .type = T::kString,
       .allowed = {"off", "on", "optional", "optional_no_ca"},
       .description = "Kamailio's alternative to verify_certificate/require_certificate for "
                      "servers: off, on (a verified certificate is required), optional (if "
                      "presented it must verify), optional_no_ca (asked for, never required to "
                      "verify: the core sees the outcome). Unset = derived from those two.",
       .field = [](Config& c) -> ParamField { return &c.tls.verify_client; }},
      {.module = "tls",
       .name = "verify_hostname",
       .type = T::kString,
       .description = "Client role: the name a server's certificate must carry (RFC 5922: SIP "
                      "URI, else DNS subjectAltName, else CN; no wildcards). Unset = the "
                      "destination's host, when verify_certificate is on; \"no\" = no name "
                      "check.",
       .field = [](Config& c) -> ParamField { return &c.tls.verify_hostname; }},
      {.module = "tls",
       .name = "cipher_list",
       .type = T::kString,
       .description = "TLS 1.2 cipher suites in OpenSSL syntax, best first: the server's order "
                      "always wins. Unset = RFC 9325's: ECDHE (ECDSA or RSA certificate) with "
                      "AES128-GCM, AES256-GCM, CHACHA20-POLY1305; forward secrecy and AEAD only. "
                      "A list enabling weaker suites (CBC, 3DES, RSA key exchange) is accepted "
                      "with a warning at start naming them. TLS 1.3 suites are fixed by "
                      "BoringSSL (all AEAD).",
       .field = [](Config& c) -> ParamField { return &c.tls.cipher_list; }},
      {.module = "tls",
       .name = "send_timeout",
       .type = T::kInt,
       .support = S::kObsolete,
       .description = "Obsolete since sip-router 3.0.",
       .note = "Kamailio replaced it with the core parameter tcp_send_timeout; in sipring "
               "write modparam(\"sipring\", \"send_timeout_ms\", MILLISECONDS) instead"},
      {.module = "tls",
       .name = "handshake_timeout",
       .type = T::kInt,
       .support = S::kObsolete,
       .description = "Obsolete since sip-router 3.0.",
       .note = "Kamailio replaced it with the core parameter tcp_connect_timeout; in sipring "
               "write modparam(\"sipring\", \"handshake_timeout_ms\", MILLISECONDS) instead"},
      {.module = "tls",
       .name = "connection_timeout",
       .type = T::kInt,
       .default_text = "600",
       .min = -1,
       .max = 2592000,
       .runtime = true,
       .description = "Seconds an idle TLS connection stays open; -1 = never closed for idleness.",
       .field = [](Config& c) -> ParamField { return &c.tls.connection_timeout; }},
      {.module = "tls",
       .name = "tls_disable_compression",
       .type = T::kBool,
       .default_text = "1",
       .refuse_int = refuse_compression,
       .description = "Disable TLS-level compression. BoringSSL has none, so it is always "
                      "disabled; 0 is refused.",
       .field = [](Config& c) -> ParamField { return &c.tls.tls_disable_compression; }},
      {.module = "tls",
       .name = "ssl_release_buffers",
       .type = T::kInt,
       .default_text = "1",
       .min = -1,
       .max = 1,
       .refuse_int = refuse_keep_buffers,
       .description = "Release TLS buffers when idle. BoringSSL always does and sipring keeps "
                      "none on idle connections; 1 and -1 accepted, 0 refused.",
       .field = [](Config& c) -> ParamField { return &c.tls.ssl_release_buffers; }},
      {.module = "tls",
       .name = "ssl_free_list_max_len",
       .aliases = {"ssl_freelist_max_len"},  // Kamailio's own spelling
       .type = T::kInt,
       .default_text = "0",
       .min = -1,
       .max = kIntMax,
       .refuse_int = refuse_free_list,
       .description = "Free memory chunks kept per connection. BoringSSL keeps none; 0 and -1 "
                      "accepted, larger values refused.",
       .field = [](Config& c) -> ParamField { return &c.tls.ssl_free_list_max_len; }},
      {.module = "tls",
       .name = "ssl_max_send_fragment",
       .type = T::kInt,
       .default_text = "-1",
       .min = -1,
       .max = 16384,
       .refuse_int = refuse_fragment,
       .description = "Largest clear-text bytes per TLS record sipring seals (512-16384); -1 = "
                      "16384.",
       .field = [](Config& c) -> ParamField { return &c.tls.ssl_max_send_fragment; }},
      {.module = "tls",
       .name = "ssl_read_ahead",
       .type = T::kInt,
       .default_text = "0",
       .min = -1,
       .max = 1,
       .description = "Read ahead of the current record. sipring always reads whole socket "
                      "buffers and opens records in place (no BIO reads), so every value behaves "
                      "like 1; a non-default value is noted in the log.",
       .field = [](Config& c) -> ParamField { return &c.tls.ssl_read_ahead; }},
      {.module = "tls",
       .name = "send_close_notify",
       .type = T::kBool,
       .default_text = "0",
       .runtime = true,
       .description = "Send a TLS close_notify alert before closing a connection.",
       .field = [](Config& c) -> ParamField { return &c.tls.send_close_notify; }},
      {.module = "tls",
       .name = "con_ct_wq_max",
       .type = T::kInt,
       .default_text = "65536",
       .min = 0,
       .max = kIntMax,
       .runtime = true,
       .description = "Clear-text bytes queued per connection while TLS cannot send yet "
                      "(client connections still connecting).",
       .field = [](Config& c) -> ParamField { return &c.tls.con_ct_wq_max; }},
      {.module = "tls",
       .name = "ct_wq_max",
       .type = T::kInt,
       .default_text = "10485760",
       .min = 0,
       .max = kIntMax,
       .runtime = true,
       .description = "Clear-text bytes queued over all connections while TLS cannot send yet.",
       .field = [](Config& c) -> ParamField { return &c.tls.ct_wq_max; }},
      {.module = "tls",
       .name = "ct_wq_blk_size",
       .type = T::kInt,
       .default_text = "4096",
       .min = 1,
       .max = kIntMax,
       .runtime = true,
       .description = "Block size of the clear-text send queues.",
       .field = [](Config& c) -> ParamField { return &c.tls.ct_wq_blk_size; }},
      {.module = "tls",
       .name = "tls_log",
       .aliases = {"log"},  // the config framework's name: cfg.set_now_int tls log 10
       .type = T::kInt,
       .default_text = "3",
       .min = -5,
       .max = 100,
       .runtime = true,
       .description = "Log level of TLS messages such as failed handshakes (Kamailio levels, "
                      "3 = debug: shown only with a debug log level).",
       .field = [](Config& c) -> ParamField { return &c.tls.tls_log; }},
      {.module = "tls",
       .name = "tls_debug",
       .aliases = {"debug"},  // cfg.set_now_int tls debug 10
       .type = T::kInt,
       .default_text = "3",
       .min = -5,
       .max = 100,
       .runtime = true,
       .description = "Log level of TLS debugging messages (record-level events such as "
                      "KeyUpdate; Kamailio levels, 3 = debug).",
       .field = [](Config& c) -> ParamField { return &c.tls.tls_debug; }},
      {.module = "tls",
       .name = "low_mem_threshold1",
       .type = T::kInt,
       .default_text = "-1",
       .min = -1,
       .max = kIntMax,
       .runtime = true,
       .description = "Free KB (MemAvailable, or the cgroup's limit if lower) below which new TLS "
                      "connections are refused (accepted sockets closed, none opened); -1 and 0: "
                      "off (BoringSSL fails cleanly when malloc does).",
       .field = [](Config& c) -> ParamField { return &c.tls.low_mem_threshold1; }},
      {.module = "tls",
       .name = "low_mem_threshold2",
       .type = T::kInt,
       .default_text = "-1",
       .min = -1,
       .max = kIntMax,
       .runtime = true,
       .description = "Free KB below which sipring stops reading from established TLS connections "
                      "(their data waits in the kernel; reading resumes above it); -1 and 0: off.",
       .field = [](Config& c) -> ParamField { return &c.tls.low_mem_threshold2; }},
      {.module = "tls",
       .name = "tls_force_run",
       .type = T::kBool,
       .default_text = "0",
       .description = "Start even if the BoringSSL loaded at run time is not the one sipring "
                      "was compiled against.",
       .field = [](Config& c) -> ParamField { return &c.tls.tls_force_run; }},
      {.module = "tls",
       .name = "config",
       .type = T::kPath,
       .runtime = true,
       .description = "Per-domain TLS config file (Kamailio's tls.cfg format); when set, the "
                      "certificate and verification parameters above are ignored. A runtime "
                      "change takes effect at the next tls.reload.",
       .field = [](Config& c) -> ParamField { return &c.tls.config; }},

      {.module = "sipring",
       .name = "reactors",
       .type = T::kInt,
       .default_text = "0",
       .min = 0,
       .max = 256,  // ConnId::kMaxReactors
       .description = "Reactor threads; 0 = one per online CPU.",
       .field = [](Config& c) -> ParamField { return &c.engine.reactors; }},
      {.module = "sipring",
       .name = "cpus",
       .type = T::kIntList,
       .min = 0,
       .max = 1023,  // CPU_SETSIZE - 1
       .description = "CPU of each reactor, e.g. \"0,1\" or \"0-3\"; unset = reactor i on CPU i.",
       .field = [](Config& c) -> ParamField { return &c.engine.cpus; }},
      {.module = "sipring",
       .name = "ring_entries",
       .type = T::kInt,
       .default_text = "4096",
       .min = 1,
       .max = 32768,  // IORING_MAX_ENTRIES
       .description = "io_uring submission queue entries per reactor.",
       .field = [](Config& c) -> ParamField { return &c.engine.ring_entries; }},
      {.module = "sipring",
       .name = "recv_buffers",
       .type = T::kInt,
       .default_text = "512",
       .min = 1,
       .max = 32768,  // largest io_uring provided-buffer ring
       .power_of_two = true,
       .description = "Provided receive buffers per reactor.",
       .field = [](Config& c) -> ParamField { return &c.engine.recv_buffers; }},
      {.module = "sipring",
       .name = "recv_buffer_size",
       .type = T::kInt,
       .default_text = "16384",
       .min = 1024,
       .max = 1048576,
       .description = "Bytes per provided receive buffer.",
       .field = [](Config& c) -> ParamField { return &c.engine.recv_buffer_size; }},
      {.module = "sipring",
       .name = "handoff_entries",
       .type = T::kInt,
       .default_text = "8192",
       .min = 2,
       .max = 16777216,
       .power_of_two = true,
       .description = "Frames in each reactor's handoff ring to the SIP core.",
       .field = [](Config& c) -> ParamField { return &c.engine.handoff_entries; }},
      {.module = "sipring",
       .name = "reply_ring_bytes",
       .type = T::kInt,
       .default_text = "1048576",
       .min = 4096,
       .max = 1073741824,
       .power_of_two = true,
       .description = "Bytes in each producer-to-reactor reply ring.",
       .field = [](Config& c) -> ParamField { return &c.engine.reply_ring_bytes; }},
      {.module = "sipring",
       .name = "max_connections",
       .type = T::kInt,
       .default_text = "16384",
       .min = 1,
       .max = 1048576,  // io_uring direct descriptor table limit
       .description = "Connections per reactor (also capped by the open-file limit, which bounds "
                      "io_uring's direct descriptor table).",
       .field = [](Config& c) -> ParamField { return &c.engine.max_connections; }},
      {.module = "sipring",
       .name = "max_message_size",
       .type = T::kInt,
       .default_text = "65535",
       .min = 1024,
       .max = 65536,  // the largest reassembly block (engine/io/block_pool.h) holds one of these
       .description = "Largest SIP message (head and body) accepted, in bytes.",
       .field = [](Config& c) -> ParamField { return &c.engine.max_message_size; }},
      {.module = "sipring",
       .name = "handshake_timeout_ms",
       .type = T::kInt,
       .default_text = "10000",
       .min = 100,
       .max = 600000,
       .description = "Milliseconds a TLS handshake may take before the connection is closed.",
       .field = [](Config& c) -> ParamField { return &c.engine.handshake_timeout_ms; }},
      {.module = "sipring",
       .name = "reuseport",
       .type = T::kBool,
       .default_text = "1",
       .description = "One SO_REUSEPORT listening socket per reactor (else one shared socket).",
       .field = [](Config& c) -> ParamField { return &c.engine.reuseport; }},
      {.module = "ctl",
       .name = "socket",
       .aliases = {"binrpc"},  // Kamailio's ctl module calls it so
       .type = T::kString,
       .default_text = "unix:/run/sipring/sipring_ctl",
       .description = "Control socket for sipringctl (JSON-RPC 2.0): \"unix:PATH\"; \"\" disables "
                      "it. Relative paths follow the manual's rules.",
       .field = [](Config& c) -> ParamField { return &c.ctl.socket; }},
      {.module = "ctl",
       .name = "socket_mode",
       .aliases = {"mode"},
       .type = T::kString,
       .default_text = "0600",
       .allowed = {"0600", "0660", "0666", "0700", "0770", "0777"},
       .description = "Permissions of the control socket file, in octal (0600: owner only).",
       .field = [](Config& c) -> ParamField { return &c.ctl.socket_mode; }},
      {.module = "sipring",
       .name = "listen",
       .type = T::kListenList,
       .description = "Addresses to serve SIP over TLS on, as listen=tls:IP:PORT lines do (each "
                      "modparam adds to them).",
       .field = [](Config& c) -> ParamField { return &c.listen; }},
      {.module = "sipring",
       .name = "busy_poll_us",
       .type = T::kInt,
       .default_text = "0",
       .min = 0,
       .max = 1000000,
       .description = "Microseconds a reactor keeps polling for work after its last event before "
                      "it sleeps: lower latency (no wake-up) for CPU time; 0 = sleep at once.",
       .field = [](Config& c) -> ParamField { return &c.engine.busy_poll_us; }},
      // Defences: what one peer (or many) may cost. README "Limits and defences".
      {.module = "sipring",
       .name = "conn_wq_max",
       .type = T::kInt,
       .default_text = "32768",
       .min = 1024,
       .max = 1073741824,
       .description = "Unsent reply bytes per connection above which sipring stops reading from "
                      "it (its requests wait in the kernel) until the queue drains to half; no "
                      "reply is dropped (Kamailio's tcp_conn_wq_max).",
       .field = [](Config& c) -> ParamField { return &c.engine.conn_wq_max; }},
      {.module = "sipring",
       .name = "conn_wq_hard_max",
       .type = T::kInt,
       .default_text = "1048576",
       .min = 4096,
       .max = 1073741824,
       .description = "Unsent bytes per connection beyond which the connection is closed "
                      "(send() returns overloaded, kClosed says queue-full); at least "
                      "conn_wq_max.",
       .field = [](Config& c) -> ParamField { return &c.engine.conn_wq_hard_max; }},
      {.module = "sipring",
       .name = "wq_max",
       .type = T::kInt,
       .default_text = "0",
       .min = 0,
       .max = 2147483647,
       .refuse_int = refuse_small_budget,
       .description = "Unsent bytes over all connections of the process; over it the connections "
                      "with the largest queues are closed first. 0 = 1/8 of the memory (or "
                      "cgroup limit), at most 2 GiB, stated at start (Kamailio's tcp_wq_max).",
       .field = [](Config& c) -> ParamField { return &c.engine.wq_max; }},
      {.module = "sipring",
       .name = "send_timeout_ms",
       .type = T::kInt,
       .default_text = "10000",
       .min = 100,
       .max = 3600000,
       .description = "Milliseconds a connection's queued bytes may make no progress (the peer "
                      "reads nothing) before it is closed (Kamailio's tcp_send_timeout).",
       .field = [](Config& c) -> ParamField { return &c.engine.send_timeout_ms; }},
      {.module = "sipring",
       .name = "message_timeout_ms",
       .type = T::kInt,
       .default_text = "20000",
       .min = 100,
       .max = 600000,
       .description = "Milliseconds a SIP message (or TLS record) may take from its first byte "
                      "to its last; then the connection is closed, with a 400 if the head was "
                      "complete (Kamailio's tcp_msg_read_timeout/tcp_msg_data_timeout).",
       .field = [](Config& c) -> ParamField { return &c.engine.message_timeout_ms; }},
      {.module = "sipring",
       .name = "rx_partial_max",
       .type = T::kInt,
       .default_text = "0",
       .min = 0,
       .max = 2147483647,
       .refuse_int = refuse_small_budget,
       .description = "Bytes held by partial TLS records and SIP messages over all connections; "
                      "over it the largest holders are closed first. 0 = 1/16 of the memory, at "
                      "most 2 GiB, stated at start.",
       .field = [](Config& c) -> ParamField { return &c.engine.rx_partial_max; }},
      {.module = "sipring",
       .name = "max_connections_per_source",
       .type = T::kInt,
       .default_text = "0",
       .min = 0,
       .max = 16777216,
       .description = "Connections one source (IPv4 address, IPv6 /64) may hold over all "
                      "reactors; more are closed at accept. 0 = a quarter of all reactors' "
                      "tables, stated at start.",
       .field = [](Config& c) -> ParamField { return &c.engine.max_connections_per_source; }},
      {.module = "sipring",
       .name = "max_handshakes_per_source",
       .type = T::kInt,
       .default_text = "0",
       .min = 0,
       .max = 16777216,
       .description = "TLS handshakes one source (IPv4 address, IPv6 /64) may have in progress; "
                      "more connections from it are closed at accept. 0 = half of all reactors' "
                      "max_handshakes (a reconnect storm from one big NAT still fits), stated at "
                      "start.",
       .field = [](Config& c) -> ParamField { return &c.engine.max_handshakes_per_source; }},
      {.module = "sipring",
       .name = "max_handshakes",
       .type = T::kInt,
       .default_text = "1024",
       .min = 1,
       .max = 1048576,
       .description = "TLS handshakes in progress per reactor (CPU protection against "
                      "ClientHello floods); at the limit the reactor stops accepting and new "
                      "connections wait in the kernel's backlog.",
       .field = [](Config& c) -> ParamField { return &c.engine.max_handshakes; }},
      {.module = "sipring",
       .name = "source_reserve_percent",
       .type = T::kInt,
       .default_text = "10",
       .min = 0,
       .max = 50,
       .description = "Share of each reactor's connection table kept for sources holding fewer "
                      "than 8 connections: when the table is that full, bigger holders are "
                      "refused and a new address still gets in.",
       .field = [](Config& c) -> ParamField { return &c.engine.source_reserve_percent; }},
  };
}

std::string qualified(const ParamDef& def) {
  std::string s(def.module);
  s += '.';
  s += def.name;
  return s;
}

Error param_error(const ParamDef& def, std::string_view reason) {
  Error e;
  e.code = Errc::kConfig;
  e.message = qualified(def);
  e.message += ": ";
  e.message += reason;
  return e;
}

std::string in_quotes(std::string_view s) {
  std::string q = "\"";
  q += s;
  q += '"';
  return q;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Decimal integer with optional leading '-'; the whole of `s` must be consumed.
bool parse_int(std::string_view s, int64_t* out) {
  s = trim(s);
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && p == end;
}

std::string range_text(const ParamDef& def) {
  return "[" + std::to_string(def.min) + ", " + std::to_string(def.max) + "]";
}

bool is_power_of_two(int64_t v) {
  return v > 0 && (v & (v - 1)) == 0;
}

Status set_int(Config& cfg, const ParamDef& def, const ParamValue& value) {
  int64_t v = value.number;
  if (!value.is_number && !parse_int(value.text, &v)) {
    return param_error(def, in_quotes(value.text) + " is not an integer");
  }
  if (v < def.min || v > def.max) {
    return param_error(def, std::to_string(v) + " is out of range " + range_text(def));
  }
  if (def.refuse_int != nullptr) {
    if (const char* why = def.refuse_int(v)) {
      return param_error(def, std::to_string(v) + " cannot be honoured: " + why);
    }
  }
  if (def.power_of_two && !is_power_of_two(v)) {
    int64_t below = 1;
    while (below * 2 < v) below *= 2;
    std::string hint = " (nearest: ";
    if (below >= def.min) hint += std::to_string(below) + " or ";
    hint += std::to_string(below * 2) + ")";
    return param_error(def, std::to_string(v) + " is not a power of two" + hint);
  }
  ParamField f = def.field(cfg);
  if (auto* p = std::get_if<int*>(&f)) {
    **p = static_cast<int>(v);
  } else if (auto* u = std::get_if<uint32_t*>(&f)) {
    **u = static_cast<uint32_t>(v);
  } else {
    return param_error(def, "internal error: the registry binds this integer to no int field");
  }
  return Status::ok();
}

Status set_bool(Config& cfg, const ParamDef& def, const ParamValue& value) {
  // Kamailio declares its boolean modparams as integers and tests them with `if (v)`, and
  // cfg.set_now_int does the same: any non-zero number is true (the manual's own example is
  // modparam("tls", "tls_force_run", 11)), negative ones included. Text (a quoted modparam, a
  // tls.cfg value) goes through parse_config_bool, as Kamailio's tls.cfg parser looks words up:
  // there "2" is refused.
  bool b = false;
  if (value.is_number) {
    b = value.number != 0;
  } else if (!parse_config_bool(value.text, &b)) {
    return param_error(
        def, in_quotes(value.text) + " is not a boolean (write 1 or 0, yes or no, on or off)");
  }
  if (def.refuse_int != nullptr) {
    if (const char* why = def.refuse_int(b ? 1 : 0)) {
      return param_error(def, std::string(b ? "1" : "0") + " cannot be honoured: " + why);
    }
  }
  ParamField f = def.field(cfg);
  auto* p = std::get_if<bool*>(&f);
  if (p == nullptr) return param_error(def, "internal error: the registry binds no bool field");
  **p = b;
  return Status::ok();
}

Status set_string(Config& cfg, const ParamDef& def, const ParamValue& value) {
  if (value.is_number) {
    return param_error(def, "expects a string (quoted in a config file), not the number " +
                                std::to_string(value.number));
  }
  std::string v = value.text;
  for (std::string_view r : def.refused) {
    if (iequals(v, r))
      return param_error(def, in_quotes(v) + " is refused: " + std::string(def.refused_reason));
  }
  // An unset value ("") is allowed where unset is the default, e.g. verify_client.
  if (!def.allowed.empty() && !(v.empty() && def.default_text.empty())) {
    auto it = std::find_if(def.allowed.begin(), def.allowed.end(),
                           [&](std::string_view a) { return iequals(v, a); });
    if (it == def.allowed.end()) {
      std::string list;
      for (std::string_view a : def.allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return param_error(def, in_quotes(v) + " is not one of " + list);
    }
    v = std::string(*it);  // store the canonical spelling
  }
  if (def.type == ParamType::kPath) v = resolve_config_path(v, cfg.config_dir);
  ParamField f = def.field(cfg);
  auto* p = std::get_if<std::string*>(&f);
  if (p == nullptr) return param_error(def, "internal error: the registry binds no string field");
  **p = std::move(v);
  return Status::ok();
}

// Appends each "tls:IP:PORT" of a comma-separated list, as listen= lines do.
Status set_listen_list(Config& cfg, const ParamDef& def, const ParamValue& value) {
  if (value.is_number) return param_error(def, "expects a quoted \"tls:IP:PORT\" list");
  ParamField f = def.field(cfg);
  auto* list = std::get_if<std::vector<ListenSpec>*>(&f);
  if (list == nullptr) return param_error(def, "internal error: no listen list field");
  std::vector<ListenSpec> add;
  std::string_view rest = value.text;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item.empty()) continue;
    ListenSpec spec;
    std::string reason;
    if (!parse_listen(item, &spec, &reason)) return param_error(def, reason);
    for (const ListenSpec& l : **list) {
      if (l.addr == spec.addr) {
        return param_error(def, "tls:" + spec.addr.to_string() + " is already listened on");
      }
    }
    add.push_back(spec);
  }
  // An empty list adds nothing (it is the parameter's default text).
  (*list)->insert((*list)->end(), add.begin(), add.end());
  return Status::ok();
}

Status set_int_list(Config& cfg, const ParamDef& def, const ParamValue& value) {
  std::vector<int> list;
  const std::string bad_form = " is not a list like \"0,1\" or \"0-3\"";
  auto in_range = [&](int64_t v) -> Status {
    if (v < def.min || v > def.max) {
      return param_error(def, std::to_string(v) + " is out of range " + range_text(def));
    }
    return Status::ok();
  };
  if (value.is_number) {
    if (Status s = in_range(value.number); !s) return s;
    list.push_back(static_cast<int>(value.number));
  } else if (!trim(value.text).empty()) {
    std::string_view rest = value.text;
    while (true) {
      const size_t comma = rest.find(',');
      std::string_view item = trim(rest.substr(0, comma));
      const size_t dash = item.find('-', 1);  // from 1: a leading '-' is a sign, caught below
      int64_t lo = 0;
      int64_t hi = 0;
      if (dash == std::string_view::npos) {
        if (!parse_int(item, &lo)) return param_error(def, in_quotes(value.text) + bad_form);
        hi = lo;
      } else if (!parse_int(item.substr(0, dash), &lo) || !parse_int(item.substr(dash + 1), &hi)) {
        return param_error(def, in_quotes(value.text) + bad_form);
      }
      if (Status s = in_range(lo); !s) return s;
      if (Status s = in_range(hi); !s) return s;
      if (hi < lo) {
        return param_error(def, "range " + in_quotes(item) + " runs backwards; write " +
                                    std::to_string(hi) + "-" + std::to_string(lo));
      }
      for (int64_t v = lo; v <= hi; ++v) list.push_back(static_cast<int>(v));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  ParamField f = def.field(cfg);
  auto* p = std::get_if<std::vector<int>*>(&f);
  if (p == nullptr) return param_error(def, "internal error: the registry binds no list field");
  **p = std::move(list);
  return Status::ok();
}

std::string cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string type_text(ParamType t) {
  switch (t) {
    case ParamType::kInt:
      return "int";
    case ParamType::kBool:
      return "bool";
    case ParamType::kString:
      return "string";
    case ParamType::kPath:
      return "string (path)";
    case ParamType::kIntList:
      return "int list";
    case ParamType::kListenList:
      return "listen list";
  }
  return "?";
}

std::string allowed_text(const ParamDef& def) {
  if (def.support == ParamSupport::kObsolete) return "none (refused)";
  switch (def.type) {
    case ParamType::kInt:
      return (def.power_of_two ? "power of two in " : "") + range_text(def);
    case ParamType::kBool:
      return "0/1 (any non-zero number is true), yes/no, on/off, true/false";
    case ParamType::kPath:
      return "file; `./x` = working directory, `/x` absolute, else config file's directory";
    case ParamType::kIntList:
      return "items in " + range_text(def) + ", e.g. `0,1` or `0-3`";
    case ParamType::kListenList:
      return "`tls:IP:PORT`, several separated by commas";
    case ParamType::kString: {
      if (def.allowed.empty()) return "any";
      std::string s;
      for (std::string_view a : def.allowed) s += (s.empty() ? "`" : ", `") + std::string(a) + "`";
      if (!def.refused.empty()) {
        s += " (refused: ";
        for (size_t i = 0; i < def.refused.size(); i++)
          s += (i ? ", " : "") + std::string(def.refused[i]);
        s += ")";
      }
      return s;
    }
  }
  return "";
}

}  // namespace

const std::vector<ParamDef>& param_registry() {
  static const std::vector<ParamDef> registry = build_registry();
  return registry;
}

const ParamDef* find_param(std::string_view module, std::string_view name) {
  for (const ParamDef& def : param_registry()) {
    if (def.module != module) continue;
    if (def.name == name) return &def;
    for (std::string_view alias : def.aliases) {
      if (alias == name) return &def;
    }
  }
  return nullptr;
}

Result<const ParamDef*> lookup_param(std::string_view module, std::string_view name) {
  if (module != "tls" && module != "sipring" && module != "ctl") {
    return make_error(Errc::kConfig,
                      "module \"%.*s\" is not part of sipring (only \"tls\", \"ctl\" and "
                      "\"sipring\" are)",
                      static_cast<int>(module.size()), module.data());
  }
  if (const ParamDef* def = find_param(module, name)) return def;
  const std::string_view other = module == "tls" ? "sipring" : "tls";
  if (const ParamDef* def = find_param(other, name)) {
    return make_error(Errc::kConfig,
                      "module \"%.*s\" has no parameter \"%.*s\"; it belongs to module \"%.*s\": "
                      "write modparam(\"%.*s\", \"%.*s\", ...)",
                      static_cast<int>(module.size()), module.data(), static_cast<int>(name.size()),
                      name.data(), static_cast<int>(other.size()), other.data(),
                      static_cast<int>(other.size()), other.data(),
                      static_cast<int>(def->name.size()), def->name.data());
  }
  std::string_view best;
  size_t best_distance = SIZE_MAX;
  for (const ParamDef& def : param_registry()) {
    if (def.module != module) continue;
    const size_t d = edit_distance(name, def.name);
    if (d < best_distance) {
      best_distance = d;
      best = def.name;
    }
  }
  std::string hint;
  if (best_distance <= std::max<size_t>(2, name.size() / 3)) {
    hint = " (did you mean \"" + std::string(best) + "\"?)";
  }
  return make_error(Errc::kConfig, "module \"%.*s\" has no parameter \"%.*s\"%s",
                    static_cast<int>(module.size()), module.data(), static_cast<int>(name.size()),
                    name.data(), hint.c_str());
}

Status set_param(Config& cfg, const ParamDef& def, const ParamValue& value) {
  switch (def.support) {
    case ParamSupport::kSupported:
      break;
    case ParamSupport::kNotYet:
      return param_error(def,
                         "not supported yet by this build; remove this setting (a later "
                         "sipring release implements it)");
    case ParamSupport::kObsolete:
      return param_error(def, "obsolete since sip-router 3.0; " + std::string(def.note));
  }
  if (def.field == nullptr) return param_error(def, "internal error: no field in the registry");
  switch (def.type) {
    case ParamType::kInt:
      return set_int(cfg, def, value);
    case ParamType::kBool:
      return set_bool(cfg, def, value);
    case ParamType::kString:
    case ParamType::kPath:
      return set_string(cfg, def, value);
    case ParamType::kIntList:
      return set_int_list(cfg, def, value);
    case ParamType::kListenList:
      return set_listen_list(cfg, def, value);
  }
  return param_error(def, "internal error: unknown type");
}

Result<std::string> format_param(const Config& cfg, const ParamDef& def) {
  if (def.field == nullptr) return param_error(def, "not stored by this build");
  // The accessor takes a mutable Config only so one table serves reads and writes; we only read.
  ParamField f = def.field(const_cast<Config&>(cfg));
  if (auto* p = std::get_if<int*>(&f)) return std::to_string(**p);
  if (auto* p = std::get_if<uint32_t*>(&f)) return std::to_string(**p);
  if (auto* p = std::get_if<bool*>(&f)) return std::string(**p ? "1" : "0");
  if (auto* p = std::get_if<std::string*>(&f)) return **p;
  if (auto* p = std::get_if<std::vector<int>*>(&f)) {
    std::string s;
    for (int v : **p) s += (s.empty() ? "" : ",") + std::to_string(v);
    return s;
  }
  if (auto* p = std::get_if<std::vector<ListenSpec>*>(&f)) {
    std::string s;
    for (const ListenSpec& l : **p) s += (s.empty() ? "tls:" : ",tls:") + l.addr.to_string();
    return s;
  }
  return param_error(def, "not stored by this build");
}

std::string resolve_config_path(std::string_view path, std::string_view config_dir) {
  if (path.empty()) return {};
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p;
  if (path.front() == '/') {
    p = fs::path(path);
  } else {
    fs::path base =
        path.front() == '.' || config_dir.empty() ? fs::current_path(ec) : fs::path(config_dir);
    if (base.is_relative()) base = fs::current_path(ec) / base;
    p = base / fs::path(path);
  }
  std::string out = p.lexically_normal().string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

bool parse_config_bool(std::string_view text, bool* out) {
  text = trim(text);
  for (std::string_view t : {"1", "yes", "on", "true", "enable"}) {
    if (iequals(text, t)) return *out = true;
  }
  for (std::string_view f : {"0", "no", "off", "false", "disable"}) {
    if (iequals(text, f)) {
      *out = false;
      return true;
    }
  }
  return false;
}

std::string registry_markdown() {
  std::string md =
      "| Parameter | Type | Default | Allowed values | Runtime | Description |\n"
      "|---|---|---|---|---|---|\n";
  for (const ParamDef& def : param_registry()) {
    md += "| `" + qualified(def) + "`";
    for (std::string_view a : def.aliases) md += " (alias `" + std::string(a) + "`)";
    md += " | " + type_text(def.type);
    md += " | " +
          (def.default_text.empty() ? std::string("(unset)") : "`" + cell(def.default_text) + "`");
    md += " | " + cell(allowed_text(def));
    md += def.runtime ? " | yes | " : " | no | ";
    if (def.support == ParamSupport::kNotYet) md += "**Not supported yet.** ";
    if (def.support == ParamSupport::kObsolete) {
      md += "**Obsolete, refused:** " + cell(def.note) + ". ";
    }
    md += cell(def.description) + " |\n";
  }
  return md;
}

std::string parameters_markdown() {
  return registry_markdown();
}

bool parse_listen(std::string_view v, ListenSpec* out, std::string* reason) {
  const size_t colon = v.find(':');
  std::string proto(v.substr(0, colon == std::string_view::npos ? 0 : colon));
  for (char& c : proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string shown = "listen=" + std::string(v);
  if (proto == "tcp") {
    *reason = shown + ": plain TCP is not supported yet by sipring; use listen=tls:IP:PORT";
    return false;
  }
  if (proto == "udp" || proto == "sctp" || proto == "ws" || proto == "wss") {
    *reason = shown + ": sipring serves SIP over TLS only; use listen=tls:IP:PORT";
    return false;
  }
  if (proto != "tls") {
    *reason = shown + ": say the protocol, e.g. listen=tls:" + std::string(v) +
              " (sipring serves only tls)";
    return false;
  }
  const std::string_view addr = v.substr(colon + 1);
  SockAddr sa;
  if (!SockAddr::parse(addr, &sa)) {
    *reason = shown + ": \"" + std::string(addr) +
              "\" is not a numeric IP address with an optional :PORT (e.g. "
              "tls:192.0.2.10:5061 or tls:[2001:db8::10]:5061); hostnames and interface names "
              "are not supported";
    return false;
  }
  const bool port_given = addr.size() > 2 && addr.substr(addr.size() - 2) == ":0";
  if (sa.port() == 0 && !port_given) {
    sockaddr_in6 raw{};  // large enough for both families
    std::memcpy(&raw, sa.sa(), sa.len());
    if (sa.family() == AF_INET) {
      reinterpret_cast<sockaddr_in*>(&raw)->sin_port = htons(kDefaultTlsPort);
    } else {
      raw.sin6_port = htons(kDefaultTlsPort);
    }
    sa = SockAddr::from(reinterpret_cast<const sockaddr*>(&raw), sa.len());
  }
  out->proto = ListenSpec::Proto::kTls;
  out->addr = sa;
  return true;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (lower(a[i - 1]) != lower(b[j - 1]))});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace sipring
