// This file is a data table: the definition of every configuration parameter (module, name,
// aliases, type, default, allowed values, runtime flag, description, the Config field holding
// it), in README order, and the small functions that refuse values BoringSSL cannot honour. The
// code that reads it is generic: lookup, setting and formatting in config_registry.cc, the
// public descriptions in param_info.cc (the tools render the README table from them). A
// parameter is added, documented or enabled here and nowhere else.
#include <climits>

#include "engine/base/net_prefix.h"
#include "engine/config/config_registry.h"
#include "sipring/sock_addr.h"

namespace sipring {

namespace {

constexpr int64_t kIntMax = INT32_MAX;

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

const char* refuse_keylog_mode(int64_t v) {
  if ((v & 16) != 0) {
    return "bit 16 (Kamailio's keylog_peer: secrets sent to a peer over UDP) is not supported: "
           "session secrets would cross the network in clear; use 8 (tls.keylog_file)";
  }
  if ((v & 2) != 0 && (v & 1) == 0) {
    return "bit 2 (active) without bit 1 (initialise) logs nothing, since only TLS contexts built "
           "with bit 1 set carry the key log hook; write e.g. 11 (to the file) or 7 (to the log)";
  }
  if ((v & 2) != 0 && (v & 12) == 0) {
    return "bit 2 (active) without 4 (to the log) or 8 (to tls.keylog_file) writes nothing; "
           "write e.g. 11 (to the file) or 7 (to the log)";
  }
  return nullptr;
}

const char* refuse_small_budget(int64_t v) {
  // Reactors claim a shared budget in quanta of at least 4 KiB (engine/sync/budget.h): below 64 KiB
  // a few claims would exhaust it and even handshakes would be shed.
  return v > 0 && v < 65536 ? "a process-wide budget below 64 KiB would not hold a few "
                              "connections' bytes; write at least 65536, or 0 for the automatic "
                              "size"
                            : nullptr;
}

std::string refuse_networks(std::string_view v) {
  auto list = parse_net_prefixes(v);
  return list ? std::string() : list.error().message;
}

// ctl.metrics: "" (off), or an IP address with a port to listen on.
std::string refuse_metrics_address(std::string_view v) {
  if (v.empty()) return std::string();
  SockAddr addr;
  if (!SockAddr::parse(v, &addr) || addr.port() == 0) {
    return "expected IP:PORT or [IPv6]:PORT with a port from 1 to 65535 (e.g. \"127.0.0.1:9090\" "
           "or \"[::1]:9090\"), or \"\" to serve no metrics";
  }
  return std::string();
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
       .field = [](Config& c) -> ParamField { return &c.tls.profile.tls_method; }},
      {.module = "tls",
       .name = "certificate",
       .type = T::kPath,
       .description = "PEM file with the certificate chain (may also hold the private key). "
                      "Required when enable_tls=yes, unless tls.config names a tls.cfg (whose "
                      "domains then give the certificates).",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.certificate; }},
      {.module = "tls",
       .name = "private_key",
       .aliases = {"private"},  // the manual's Example 5 spells it so
       .type = T::kPath,
       .description = "PEM file with the private key; unset = the certificate file.",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.private_key; }},
      {.module = "tls",
       .name = "private_key_password",
       .type = T::kString,
       .description = "Passphrase of an encrypted PEM private key (PKCS#8 or traditional). A "
                      "wrong one refuses the start or the reload, naming the file.",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.private_key_password; }},
      {.module = "tls",
       .name = "certificate2",
       .type = T::kPath,
       .description = "A second certificate (PEM chain, may also hold its key) with the other key "
                      "type, e.g. RSA beside an ECDSA certificate (Kamailio master's dual "
                      "certificates). Each server handshake gets the one the client can use: "
                      "ECDSA when its signature algorithms (and, in TLS 1.2, its cipher suites "
                      "and supported groups, for the certificate's curve) allow, else the RSA "
                      "one. Both pairs are checked at start. Unset = certificate only. Client "
                      "connections present certificate.",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.certificate2; }},
      {.module = "tls",
       .name = "private_key2",
       .type = T::kPath,
       .description = "PEM file with certificate2's private key; unset = the certificate2 file.",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.private_key2; }},
      {.module = "tls",
       .name = "private_key_password2",
       .type = T::kString,
       .description = "Passphrase of an encrypted private_key2.",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.private_key_password2; }},
      {.module = "tls",
       .name = "ca_list",
       .type = T::kPath,
       .description = "PEM file of the CA certificates trusted when verifying peers (used by "
                      "verify_certificate; verification always fails with an empty list).",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.ca_list; }},
      {.module = "tls",
       .name = "ca_path",
       .type = T::kPath,
       .description = "Directory of CA certificates named by their subject hash (c_rehash), "
                      "trusted like ca_list (Kamailio's ca_path).",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.ca_path; }},
      {.module = "tls",
       .name = "crl",
       .type = T::kPath,
       .description = "PEM certificate revocation list checked when verifying peers.",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.crl; }},
      {.module = "tls",
       .name = "ocsp_staple_file",
       .type = T::kPath,
       .description = "Server role: DER OCSP response for the certificate, stapled to every "
                      "handshake whose client asks (status_request), as nginx's "
                      "ssl_stapling_file. Checked at start and on tls.reload: it must be "
                      "successful, for this certificate, signed by its issuer (the next "
                      "certificate in the certificate file, or one in ca_list) or a responder "
                      "it authorised, current, and say good; otherwise refused with the reason. "
                      "Renew it before its nextUpdate and run tls.reload.",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.ocsp_staple_file; }},
      {.module = "tls",
       .name = "ocsp_staple_file2",
       .type = T::kPath,
       .description = "Server role: DER OCSP response for certificate2, checked and sent as "
                      "ocsp_staple_file is for certificate (an OCSP response names one "
                      "certificate, so each has its own). Needs certificate2.",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.ocsp_staple_file2; }},
      {.module = "tls",
       .name = "ocsp_require",
       .type = T::kBool,
       .default_text = "0",
       .description = "Client role: ask servers for an OCSP staple and refuse those that send "
                      "none, or one that is not valid for their certificate (signed by its "
                      "issuer in the verified chain, current, good): the handshake fails with "
                      "alert bad_certificate_status_response, or certificate_revoked. Needs "
                      "verify_certificate. Resumed sessions are not re-checked.",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.ocsp_require; }},
      {.module = "tls",
       .name = "verify_certificate",
       .type = T::kBool,
       .default_text = "0",
       .description = "Verify the peer's certificate chain against ca_list.",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.verify_certificate; }},
      {.module = "tls",
       .name = "verify_depth",
       .type = T::kInt,
       .default_text = "9",
       .min = 0,
       .max = 100,
       .description = "How many certificates up the chain verification may go to find a CA.",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.verify_depth; }},
      {.module = "tls",
       .name = "require_certificate",
       .type = T::kBool,
       .default_text = "0",
       .description = "Require clients to present a certificate.",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.require_certificate; }},
      {.module = "tls",
       .name = "verify_client",
       .type = T::kString,
       .allowed = {"off", "on", "optional", "optional_no_ca"},
       .description = "Kamailio's alternative to verify_certificate/require_certificate for "
                      "servers: off, on (a verified certificate is required), optional (if "
                      "presented it must verify), optional_no_ca (asked for, never required to "
                      "verify: the core sees the outcome). Unset = derived from those two.",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.verify_client; }},
      {.module = "tls",
       .name = "verify_hostname",
       .type = T::kString,
       .description = "Client role: the name a server's certificate must carry (RFC 5922: SIP "
                      "URI, else DNS subjectAltName, else CN; no wildcards). Unset = the "
                      "destination's host, when verify_certificate is on; \"no\" = no name "
                      "check.",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.verify_hostname; }},
      {.module = "tls",
       .name = "cipher_list",
       .type = T::kString,
       .description = "TLS 1.2 cipher suites in OpenSSL syntax, best first: the server's order "
                      "always wins. Unset = RFC 9325's: ECDHE (ECDSA or RSA certificate) with "
                      "AES128-GCM, AES256-GCM, CHACHA20-POLY1305; forward secrecy and AEAD only. "
                      "A list enabling weaker suites (CBC, 3DES, RSA key exchange) is accepted "
                      "with a warning at start naming them. TLS 1.3 suites are fixed by "
                      "BoringSSL (all AEAD).",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.cipher_list; }},
      {.module = "tls",
       .name = "groups",
       .type = T::kString,
       .default_text = "X25519:P-256:P-384",
       .description = "Key-exchange groups (TLS 1.3 groups, TLS 1.2 ECDHE curves), best first, "
                      "separated by ':'. The server's order wins: a TLS 1.3 client whose key "
                      "share is for a later group is asked for the preferred one (one "
                      "HelloRetryRequest round trip). Names as BoringSSL writes them (X25519, "
                      "P-256, P-384, P-521; OpenSSL's prime256v1, secp384r1 also accepted); a "
                      "name this BoringSSL does not offer refuses the start or reload, listing "
                      "those it does. No post-quantum hybrid: that needs a newer BoringSSL.",
       .field = [](Config& c) -> ParamField { return &c.tls.profile.groups; }},
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
      {.module = "tls",
       .name = "auto_reload",
       .type = T::kBool,
       .default_text = "1",
       .runtime = true,
       .description = "Watch every certificate, key, CA list, CA directory, CRL and tls.cfg in use "
                      "(inotify on their directories: renames into place and symlink swaps "
                      "count) and run tls.reload once they stop changing; a broken file changes "
                      "nothing and is logged once (counters tls_auto_reloads, "
                      "tls_auto_reload_refused).",
       .field = [](Config& c) -> ParamField { return &c.tls.auto_reload; }},
      {.module = "tls",
       .name = "auto_reload_delay_ms",
       .type = T::kInt,
       .default_text = "1000",
       .min = 10,
       .max = 600000,
       .runtime = true,
       .description = "Quiet time after the last change to a watched file before the automatic "
                      "reload (a renewal writes several files); changes that never pause reload "
                      "after 10 times this.",
       .field = [](Config& c) -> ParamField { return &c.tls.auto_reload_delay_ms; }},
      {.module = "tls",
       .name = "cert_expiry_warn_days",
       .type = T::kInt,
       .default_text = "14",
       .min = 0,
       .max = 3650,
       .runtime = true,
       .description = "Log a warning for every certificate in use that expires within this many "
                      "days (or has expired): at start, after each reload and daily; 0: never.",
       .field = [](Config& c) -> ParamField { return &c.tls.cert_expiry_warn_days; }},
      {.module = "tls",
       .name = "keylog_mode",
       .type = T::kInt,
       .default_text = "0",
       .min = 0,
       .max = 31,
       .refuse_int = refuse_keylog_mode,
       .runtime = true,
       .description = "Key log for Wireshark (NSS format, both roles, TLS 1.2 and 1.3), as sums "
                      "of Kamailio's bits: 1 initialise (TLS contexts built while it is set, at "
                      "start or tls.reload, carry the key log hook; setting it at runtime "
                      "rebuilds them), 2 active, 4 to the log, 8 to keylog_file; e.g. 11 = to "
                      "the file, 0 = off. The key log is a secret: it decrypts every logged "
                      "session.",
       .field = [](Config& c) -> ParamField { return &c.tls.keylog_mode; }},
      {.module = "tls",
       .name = "keylog_file",
       .type = T::kPath,
       .runtime = true,
       .description = "File keylog_mode bit 8 appends key log lines to (one write per line, "
                      "from every reactor); created with mode 0600, refused if it is a link, "
                      "not a regular file, another user's, or open to group or others. A "
                      "runtime change opens the new file at once.",
       .field = [](Config& c) -> ParamField { return &c.tls.keylog_file; }},
      {.module = "tls",
       .name = "ticket_key_file",
       .type = T::kPath,
       .runtime = true,
       .description = "Session-ticket keys shared by every node behind a balancer, in HAProxy's "
                      "tls-ticket-keys format: one base64 key a line, 48 bytes (16-byte name, "
                      "AES-128 key, HMAC key of 16) or 80 (16-byte name, AES-256 key, HMAC key "
                      "of 32); the last ticket_key_count lines are used, the second-to-last "
                      "seals. Re-read when it changes (tls.auto_reload), at tls.reload and by "
                      "tls.ticket_keys_reload; a bad file changes nothing. Refused unless a "
                      "regular file of sipring's user or root with no group/other access. "
                      "Unset = per-process keys rotated every 12 hours. A runtime change is "
                      "watched at once and read at the next tls.reload or "
                      "tls.ticket_keys_reload.",
       .field = [](Config& c) -> ParamField { return &c.tls.ticket_key_file; }},
      {.module = "tls",
       .name = "ticket_key_count",
       .type = T::kInt,
       .default_text = "3",
       .min = 1,
       .max = 16,  // TicketKeys::kMaxKeys
       .runtime = true,
       .description = "How many keys of ticket_key_file are used, from its last line back "
                      "(HAProxy's TLS_TICKETS_NO, 3 in its builds); the file must hold at least "
                      "as many. Takes effect when the file is next read.",
       .field = [](Config& c) -> ParamField { return &c.tls.ticket_key_count; }},

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
       .description = "CPU of each reactor, e.g. \"0,1\" or \"0-3\"; unset = reactor i on the i-th "
                      "CPU of the process's affinity (taskset, cpuset).",
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
      {.module = "ctl",
       .name = "metrics",
       .type = T::kString,
       .refuse_text = refuse_metrics_address,
       .description = "Serves Prometheus metrics (GET /metrics, HTTP/1.x) on the control thread at "
                      "this address, \"127.0.0.1:9090\" or \"[::1]:9090\"; \"\" (the default) "
                      "serves none. Unauthenticated: keep it on loopback or a private network.",
       .field = [](Config& c) -> ParamField { return &c.ctl.metrics; }},
      {.module = "ctl",
       .name = "metrics_timeout_ms",
       .type = T::kInt,
       .default_text = "5000",
       .min = 100,
       .max = 60000,
       .description = "Milliseconds a metrics client may take to send its request, and again to "
                      "read the answer, before it is disconnected (slow clients).",
       .field = [](Config& c) -> ParamField { return &c.ctl.metrics_timeout_ms; }},
      {.module = "ctl",
       .name = "metrics_max_clients",
       .type = T::kInt,
       .default_text = "8",
       .min = 1,
       .max = 1024,
       .description = "Metrics clients served at once; a further one is answered 503 and closed.",
       .field = [](Config& c) -> ParamField { return &c.ctl.metrics_max_clients; }},
      {.module = "sipring",
       .name = "listen",
       .type = T::kListenList,
       .description = "Addresses to serve SIP over TLS on, as listen=tls:IP:PORT lines do (each "
                      "modparam adds to them).",
       .field = [](Config& c) -> ParamField { return &c.listen; }},
      // PROXY protocol from L4 balancers (README "PROXY protocol").
      {.module = "sipring",
       .name = "proxy_protocol_listen",
       .type = T::kListenList,
       .description = "Addresses (tls:IP:PORT, as listen) also listened on, where every "
                      "connection must start with a PROXY protocol v1 or v2 header from a "
                      "sipring.proxy_protocol_trusted source; the client it names is the peer.",
       .field = [](Config& c) -> ParamField { return &c.proxy_protocol_listen; }},
      {.module = "sipring",
       .name = "proxy_protocol_trusted",
       .type = T::kString,
       .refuse_text = refuse_networks,
       .description = "The balancers' networks, comma-separated CIDRs (e.g. "
                      "\"127.0.0.1/32,::1/128\"): connections to a proxy_protocol_listen address "
                      "from elsewhere are closed at accept. Required with proxy_protocol_listen.",
       .field = [](Config& c) -> ParamField { return &c.engine.proxy_protocol_trusted; }},
      {.module = "sipring",
       .name = "proxy_header_max",
       .type = T::kInt,
       .default_text = "4096",
       .min = 64,
       .max = 65551,
       .description = "Longest PROXY v2 header (16 + its length field, TLVs included) accepted; "
                      "longer ones close the connection (a v1 line is at most 107 bytes).",
       .field = [](Config& c) -> ParamField { return &c.engine.proxy_header_max; }},
      {.module = "sipring",
       .name = "proxy_header_timeout_ms",
       .type = T::kInt,
       .default_text = "3000",
       .min = 100,  // the reactor's timer resolution
       .max = 60000,
       .description = "Milliseconds from the accept within which a proxy listener's connection "
                      "must have sent its whole PROXY header (a balancer sends it at once); "
                      "else it is closed. handshake_timeout_ms starts once the header is in.",
       .field = [](Config& c) -> ParamField { return &c.engine.proxy_header_timeout_ms; }},
      {.module = "sipring",
       .name = "busy_poll_us",
       .type = T::kInt,
       .default_text = "0",
       .min = 0,
       .max = 1000000,
       .description = "Microseconds a reactor keeps polling for work after its last event before "
                      "it sleeps: lower latency (no wake-up) for CPU time; 0 = sleep at once.",
       .field = [](Config& c) -> ParamField { return &c.engine.busy_poll_us; }},
      {.module = "sipring",
       .name = "adaptive_poll",
       .type = T::kBool,
       .default_text = "0",
       .description = "Poll instead of sleeping while work comes back faster than this machine "
                      "wakes a sleeping reactor (both measured per reactor), adding at most "
                      "adaptive_poll_cpu_max percent to the reactor's CPU time: a lower latency "
                      "tail where wake-ups are slow (VMs) for CPU time. Counters adaptive_polls, "
                      "adaptive_poll_hits, adaptive_poll_capped, adaptive_poll_ns, "
                      "wake_cost_ns, idle_gap_ns.",
       .field = [](Config& c) -> ParamField { return &c.engine.adaptive_poll; }},
      {.module = "sipring",
       .name = "adaptive_poll_cpu_max",
       .type = T::kInt,
       .default_text = "10",
       .min = 1,
       .max = 100,
       .description = "Most CPU time sipring.adaptive_poll may add, in percent of each reactor's "
                      "working time (its time polled at most this share of its time worked, "
                      "bursts within 100 ms of work's share); then it sleeps (counted in "
                      "adaptive_poll_capped).",
       .field = [](Config& c) -> ParamField { return &c.engine.adaptive_poll_cpu_max; }},
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

}  // namespace

const std::vector<ParamDef>& param_registry() {
  static const std::vector<ParamDef> registry = build_registry();
  return registry;
}

}  // namespace sipring
