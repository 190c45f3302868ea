// The engine's configuration as plain values: what the config file and the parameter registry
// produce, and what Engine::start consumes.
//
// Every field here is a parameter of the registry, which holds its name, default, allowed range
// and description (sipring::parameters() below lists them), except TlsProfile's tls.cfg-only
// fields; these structs only carry the resolved values. Plain values: not synchronised.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sipring/result.h"
#include "sipring/sock_addr.h"

namespace sipring {

// One `listen=` line.
struct ListenSpec {
  enum class Proto : uint8_t { kTls, kTcp };
  Proto proto = Proto::kTls;
  SockAddr addr;
};

// The settings of one TLS profile: what a server or client context is built from
// (crypto/tls_context.h). The one vocabulary for them: the module parameters keep the default
// profile in TlsParams::profile, each tls.cfg section (engine/tls/tls_domains.h) is one, and a
// pure client (Engine::Options::client) passes one. Field names are the TLS module manual's and
// tls.cfg's; how BoringSSL honours each is in the registry's description
// (engine/config/config_registry_table.cc) and the README.
struct TlsProfile {
  std::string tls_method = "TLSv1.2+";  // TLSv1.2, TLSv1.3, TLSv1.2+, ... (see the registry)
  std::string certificate;              // PEM chain; absolute after resolution
  std::string private_key;              // PEM file; empty = the certificate file
  std::string private_key_password;     // passphrase of an encrypted private key
  std::string ca_list;                  // trusted CAs (PEM)
  std::string ca_path;                  // a directory of hashed CA certificates
  std::string crl;                      // revocation list (PEM)
  bool verify_certificate = false;      // verify the peer's chain (clients: and its name)
  int verify_depth = 9;
  bool require_certificate = false;  // servers: a client certificate is required
  std::string verify_client;         // servers, Kamailio: off|on|optional|optional_no_ca;
                                     // "" = from verify_/require_certificate
  std::string verify_hostname;       // clients: "" check the destination, "no" never, or a name
  std::string cipher_list;           // TLS 1.2 cipher list; empty = RFC 9325 default
  bool tickets = true;               // clients: offer and store session tickets (servers
                                     // always issue them, sealed with the shared TicketKeys)
  std::string ocsp_staple_file;      // servers: DER OCSP response stapled for `certificate`
  std::string ocsp_staple_file2;     // servers: DER OCSP response stapled for `certificate2`
  bool ocsp_require = false;         // clients: refuse servers without a valid OCSP staple
  // tls.cfg only (domain selection, engine/tls/tls_domains.h): server: the SNI this domain
  // answers, client: the SNI to send.
  std::string server_name;
  // How server_name matches a requested name (Kamailio's values): 0 = that name only,
  // 1 = that name and its subdomains, 2 = its subdomains only. Case-insensitive. A server
  // domain's server_name may also be a "*.example.com" pattern (mode 0): one label, then
  // example.com (engine/tls/tls_domains.h).
  int server_name_mode = 0;
  std::string server_id;  // client: chosen by id instead of address (Kamailio)
  // Servers: a second certificate and key of the other key type (Kamailio master's dual
  // certificates: ECDSA for the peers that can verify it, RSA for the others), chosen per
  // handshake (crypto/cert_select.h). Unset = `certificate` only; private_key2 unset = the
  // certificate2 file.
  std::string certificate2;
  std::string private_key2;
  std::string private_key_password2;
  // Key-exchange groups, best first (crypto/tls_groups.h); empty = this default.
  std::string groups = "X25519:P-256:P-384";
};

// Parameters of the "tls" module (the TLS module manual's names): the default profile, used
// unless `config` names a tls.cfg, and the settings that apply to every profile.
struct TlsParams {
  TlsProfile profile;                   // certificate, key, CAs, verification, method, ciphers
  int connection_timeout = 600;         // seconds; -1 = never
  bool tls_disable_compression = true;  // BoringSSL has no compression: only 1 is accepted
  int ssl_release_buffers = 1;          // BoringSSL always releases: 1 or -1
  int ssl_free_list_max_len = 0;        // BoringSSL keeps no free lists: 0 or -1
  int ssl_max_send_fragment = -1;       // plaintext bytes per record; -1 = 16384
  int ssl_read_ahead = 0;               // no effect: records are opened from whole receives
  bool send_close_notify = false;
  int con_ct_wq_max = 65536;    // clear-text queue per connection, bytes
  int ct_wq_max = 10485760;     // clear-text queues in all, bytes
  int ct_wq_blk_size = 4096;    // clear-text queue block size
  int tls_log = 3;              // level of TLS messages (Kamailio levels)
  int tls_debug = 3;            // level of TLS debug messages
  int low_mem_threshold1 = -1;  // KB free below which new connections are refused
  int low_mem_threshold2 = -1;  // KB free below which TLS operations fail
  bool tls_force_run = false;   // start even if the library sanity check fails
  std::string config;           // tls.cfg with per-domain settings (replaces `profile`)

  // Certificate files that renew themselves, and warnings before they expire.
  bool auto_reload = true;          // watch the files in use and tls.reload when they change
  int auto_reload_delay_ms = 1000;  // quiet time after the last change before reloading
  int cert_expiry_warn_days = 14;   // warn about certificates expiring this soon; 0 = never

  // The key log for Wireshark (Kamailio's keylog_mode bits, see the registry): 1 = TLS contexts
  // built while it is set carry the key log hook, 2 = write lines, 4 = to the log, 8 = to
  // keylog_file. 0 = off.
  static constexpr int kKeylogInit = 1;
  static constexpr int kKeylogActive = 2;
  static constexpr int kKeylogToLog = 4;
  static constexpr int kKeylogToFile = 8;
  int keylog_mode = 0;
  std::string keylog_file;  // NSS key log format; created 0600

  // Session-ticket keys every node shares (HAProxy's tls-ticket-keys format,
  // crypto/ticket_key_file.h): "" = per-process keys, rotated by Engine::rotate_ticket_keys().
  std::string ticket_key_file;
  int ticket_key_count = 3;  // the last N keys of the file are used (HAProxy's TLS_TICKETS_NO)
};

// A per-reactor setting: modparam("sipring", "r2.ring_entries", 8192) applies to reactor 2 only.
struct ReactorOverride {
  uint32_t reactor = 0;
  std::string name;   // an engine parameter, or "cpu"
  std::string value;  // as written
  bool is_number = false;
};

// Engine tuning ("sipring" module).
struct EngineParams {
  int reactors = 0;       // 0 = one per online CPU
  std::vector<int> cpus;  // CPU per reactor; empty = reactor i on the i-th CPU the process may use
  uint32_t ring_entries = 4096;          // io_uring SQ entries per reactor
  uint32_t recv_buffers = 512;           // provided buffers per reactor (power of two)
  uint32_t recv_buffer_size = 16384;     // bytes per provided buffer
  uint32_t handoff_entries = 8192;       // frames in each reactor's handoff ring (power of two)
  uint32_t reply_ring_bytes = 1u << 20;  // bytes in each producer->reactor reply ring
  uint32_t max_connections = 16384;      // per reactor (io_uring direct descriptors)
  uint32_t max_message_size = 65535;     // largest SIP message (head and body) accepted
  int handshake_timeout_ms = 10000;      // a TLS handshake must finish within this
  bool reuseport = true;                 // SO_REUSEPORT listener per reactor
  uint32_t busy_poll_us = 0;             // keep polling this long after the last event
  bool adaptive_poll = false;            // poll while work returns faster than a wake-up
  uint32_t adaptive_poll_cpu_max = 10;   // percent of working time adaptive_poll may poll
  // Defences (README "Limits and defences"). 0 in an "auto" field: derived at start-up from the
  // machine (memory, connection tables) and logged.
  uint32_t conn_wq_max = 32768;          // unsent bytes per connection above which reading pauses
  uint32_t conn_wq_hard_max = 1u << 20;  // unsent bytes per connection above which it is closed
  uint32_t wq_max = 0;                   // unsent bytes over all connections; 0 = auto
  int send_timeout_ms = 10000;           // a queue with no send progress this long: closed
  int message_timeout_ms = 20000;        // a message (or record) must complete within this
  uint32_t rx_partial_max = 0;           // bytes of partial messages/records in all; 0 = auto
  uint32_t max_connections_per_source = 0;  // per IPv4 address or IPv6 /64; 0 = auto
  uint32_t max_handshakes_per_source = 0;   // handshakes in flight per source; 0 = auto
  uint32_t max_handshakes = 1024;           // handshakes in flight per reactor; more wait
  uint32_t source_reserve_percent = 10;     // table share kept for sources holding few connections
  // PROXY protocol (README "PROXY protocol"): the balancers' networks, comma-separated CIDRs,
  // from which a connection to a Config::proxy_protocol_listen address is taken; the longest
  // v2 header read (a v1 line is at most 107 bytes); and how long after the accept the whole
  // header may take (handshake_timeout_ms then starts when it is in).
  std::string proxy_protocol_trusted;
  uint32_t proxy_header_max = 4096;
  int proxy_header_timeout_ms = 3000;
  std::vector<ReactorOverride> overrides;  // per-reactor values, applied by params_for()
};

// The control socket ("ctl" module; Kamailio's ctl/jsonrpcs habits).
struct CtlParams {
  std::string socket = "unix:/run/sipring/sipring_ctl";  // "" = no control socket
  std::string socket_mode = "0600";                      // permissions of the socket file
  // Prometheus /metrics over HTTP on the control thread: "IP:PORT" or "[IPv6]:PORT"; "" = off.
  std::string metrics;
  int metrics_timeout_ms = 5000;     // a scrape's request and its response must each finish in this
  uint32_t metrics_max_clients = 8;  // scrapes served at once; further clients are answered 503
};

struct Config {
  std::string source;      // config file path, for messages
  std::string config_dir;  // directory of the main config file
  bool enable_tls = false;
  std::vector<ListenSpec> listen;
  // sipring.proxy_protocol_listen: also listened on; every connection there starts with a
  // PROXY protocol header (v1 or v2) from a sipring.proxy_protocol_trusted source.
  std::vector<ListenSpec> proxy_protocol_listen;
  TlsParams tls;
  EngineParams engine;
  CtlParams ctl;
};

// The engine parameters reactor `r` runs with: `engine` with the overrides for `r` applied, and
// in *out_cpu (if not null) its CPU (-1 = unpinned). Overrides were validated when the config
// was read.
EngineParams params_for(const EngineParams& engine, uint32_t r, int* out_cpu);

// Reads a Kamailio-style config file (see README "Configuration"). Relative paths in it are
// resolved as the TLS module manual says: "./x" against the working directory, "/x" as is,
// anything else against the directory of `path`. Errors name file:line and the reason.
Result<Config> load_config_file(const std::string& path);

// Same as load_config_file but from text; `name` is used in messages and `dir` for paths.
Result<Config> parse_config_text(const std::string& text, const std::string& name,
                                 const std::string& dir);

// One parameter of the registry, described for people: what a tool lists, a manual shows or an
// embedder's own configuration UI offers. Plain values, copied out of the registry.
struct ParamInfo {
  enum class Support : uint8_t {
    kSupported,  // accepted and honoured
    kNotYet,     // known (Kamailio has it), refused with a message: not implemented yet
    kObsolete,   // known, refused with `note` saying what replaces it
  };
  std::string module;                // "tls", "sipring" or "ctl"
  std::string name;                  // canonical name: modparam(module, name, value)
  std::vector<std::string> aliases;  // other accepted spellings (Kamailio's, the manual's)
  std::string type;           // "int", "bool", "string", "string (path)", "int list", "listen list"
  std::string default_value;  // as a config file would write it; "" = unset
  std::string allowed;        // the allowed values in words, e.g. "[-1, 2592000]"
  bool runtime = false;       // may change while the engine runs (Engine::set_param)
  Support support = Support::kSupported;
  std::string description;  // one line
  std::string note;         // kObsolete: what replaces it and what to do; "" otherwise
};

// Every parameter sipring knows, in the registry's order (the README table's). Builds
// a new vector on each call (it allocates: setup and tools, not a hot path). Any thread.
std::vector<ParamInfo> parameters();

}  // namespace sipring
