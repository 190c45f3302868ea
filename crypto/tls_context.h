// Builds BoringSSL contexts (SSL_CTX) from sipring's TLS parameters, checking every file and
// value up front so a bad certificate, key or cipher list refuses the config with a message
// that names the file and the reason.
#pragma once

#include <openssl/base.h>

#include <string>

#include "sipring/config.h"
#include "sipring/result.h"

namespace sipring {

class TicketKeys;

// Protocol version range of a tls_method value ("TLSv1.2", "TLSv1.3", "TLSv1.2+", "TLSv1.3+").
struct VersionRange {
  uint16_t min;
  uint16_t max;
};
Result<VersionRange> parse_tls_method(const std::string& method);

// A server context: certificate chain and key (the same PEM file may hold both), versions,
// TLS 1.2 cipher list, X25519/P-256 key exchange, stateless session tickets sealed with
// `tickets` (shared by all reactors; must outlive the context), no server-side session cache.
Result<bssl::UniquePtr<SSL_CTX>> make_server_context(const TlsParams& params, TicketKeys* tickets);

struct ClientTlsOptions {
  std::string tls_method = "TLSv1.2+";
  std::string cipher_list;  // TLS 1.2 only; empty = BoringSSL default
  bool verify = false;      // verify the server's chain (and name); fails with no CA at all
  std::string ca_file;      // trusted CAs
  std::string ca_path;
  std::string crl;
  int verify_depth = 9;
  std::string certificate;  // a client certificate to present (optional)
  std::string private_key;  // its key; empty = the certificate file
  std::string private_key_password;
  bool tickets = true;      // offer and store session tickets
};
// A client context (load generator and client role).
Result<bssl::UniquePtr<SSL_CTX>> make_client_context(const ClientTlsOptions& options);

}  // namespace sipring
