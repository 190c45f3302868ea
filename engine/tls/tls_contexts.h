// The TLS contexts of one configuration generation: a BoringSSL SSL_CTX per TLS domain, built
// from the module parameters or from the tls.cfg file they name, all at once and off the hot
// path (at start and on tls.reload). A set is immutable and shared: new connections take the
// current set, established ones keep the set (and contexts) they started with, so a reload never
// touches a running connection.
#pragma once

#include <openssl/base.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tls/tls_domains.h"
#include "sipring/config.h"
#include "sipring/result.h"
#include "sipring/sock_addr.h"

namespace sipring {

class TicketKeys;

// What the connection layer (the reactor) hooks into every context it is given.
struct TlsHooks {
  // Receives the session tickets servers give client contexts (may be null).
  int (*new_session)(SSL* ssl, SSL_SESSION* session) = nullptr;
  // The servername callback of server contexts, with the TlsContextSet as its argument; it
  // finds the connection and calls on_server_name(). Null: SNI never switches domains.
  int (*server_name)(SSL* ssl, int* alert, void* set) = nullptr;
  // The key log callback (an NSS key log line of `ssl`'s handshake), installed in every context
  // when tls.keylog_mode has bit 1 (initialise) at build time. Null: never installed.
  void (*keylog)(const SSL* ssl, const char* line) = nullptr;
};

class TlsContextSet {
 public:
  // Reads every certificate, key, CA list and CRL the domains name and builds their contexts.
  // `params.config` set: the domains come from that tls.cfg (resolved against `config_dir`) and
  // the certificate/verification module parameters are ignored, as the manual says. Any error
  // (a missing file, a key that does not match, a bad cipher list) fails the whole build with a
  // message naming the domain and the file; nothing half-built is ever used. `tickets` is shared
  // by every server context so sessions resume across reactors and reloads.
  // `hooks` are the connection layer's callbacks (this layer knows no connections).
  static Result<std::shared_ptr<const TlsContextSet>> build(const TlsParams& params,
                                                            const std::string& config_dir,
                                                            TicketKeys* tickets,
                                                            uint64_t generation,
                                                            const TlsHooks& hooks = {});
  ~TlsContextSet();

  // Server role: the domain and context a connection accepted on `local` starts with (before
  // SNI). SNI then switches to another server domain in the servername callback, see
  // on_server_name(). Null when the set has no server domain for it.
  const TlsDomain* server_domain(const SockAddr& local, std::string_view sni) const;
  SSL_CTX* context_of(const TlsDomain* domain) const;

  // Client role: the domain and context for a connection to `remote`.
  const TlsDomain* client_domain(const SockAddr& remote, std::string_view server_name,
                                 std::string_view server_id) const;

  // For the servername callback: switches `ssl` to the server domain for (local, sni), with its
  // certificate and verification settings. Returns the domain now in use.
  const TlsDomain* on_server_name(SSL* ssl, const SockAddr& local, const char* sni) const;

  const TlsDomainSet& domains() const { return domains_; }
  uint64_t generation() const { return generation_; }
  bool has_server() const;
  // Whether every context carries TlsHooks::keylog (tls.keylog_mode had bit 1 when it was built).
  bool has_keylog_hook() const { return keylog_hook_; }

 private:
  TlsContextSet() = default;

  TlsDomainSet domains_;
  std::vector<bssl::UniquePtr<SSL_CTX>> contexts_;  // parallel to domains_.domains
  uint64_t generation_ = 0;
  bool keylog_hook_ = false;
};

}  // namespace sipring
