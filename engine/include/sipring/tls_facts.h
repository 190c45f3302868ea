// What the SIP core may learn about a TLS connection and its certificates (the TLS module's
// selects and Kamailio's $tls_* variables are the model). Nothing is extracted until asked:
// connections keep only the peer's certificate bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sipring/proxy_facts.h"

namespace sipring {
// The parts of a distinguished name that scripts ask for. When a name repeats an attribute, the
// first occurrence in certificate order is kept (as Kamailio's selects do). Values are UTF-8.
struct NameFields {
  std::string cn, o, ou, c, st, l;
  // The whole name on one line in RFC 2253 form (most specific attribute first, "," between
  // attributes, RFC 2253 escaping, UTF-8 left unescaped), e.g. "CN=sip.example.com,O=Ex,C=DE";
  // the same as `openssl x509 -nameopt RFC2253,-esc_msb`.
  std::string text;
};

struct CertFacts {
  NameFields subject, issuer;
  // Hex, upper case, without the DER sign byte or other leading zero bytes, two digits per byte
  // and "-" before a negative value: exactly what `openssl x509 -serial` prints ("0123" for 0x123).
  std::string serial;
  int64_t not_before = 0, not_after = 0;  // unix seconds
  // As OpenSSL prints them: "Nov 27 12:00:00 2026 GMT", day padded with a space ("Jan  1").
  std::string not_before_text, not_after_text;
  // subjectAltName entries by kind, in certificate order. IPs are text (IPv6 in RFC 5952 form;
  // an address that is neither 4 nor 16 bytes long is reported as "<invalid>", as OpenSSL does).
  std::vector<std::string> san_dns, san_uri, san_ip, san_email;
  // Issuer name equals the subject name and the signature verifies with the certificate's own key.
  bool self_signed = false;
  int version = 0;  // X.509 version number: 1, 2 or 3
  // The subject public key: "ECDSA P-256", "ECDSA P-384", "RSA 2048", "Ed25519" (or "unknown").
  std::string key_type;
  std::string pem;  // the input DER as one PEM "CERTIFICATE" block, 64 columns, trailing newline
};

struct TlsFacts {
  uint16_t version = 0;      // 0x0303 (TLS 1.2), 0x0304 (TLS 1.3)
  std::string version_text;  // "TLSv1.3"
  std::string cipher;        // IANA name, e.g. "TLS_AES_128_GCM_SHA256"
  int cipher_bits = 0;       // symmetric key bits
  std::string sni;           // server name: what the client asked for (server role) or sent
  std::string domain;        // the TLS domain in use, e.g. "server:default"
  bool client_role = false;  // sipring opened the connection
  // The peer's certificate: presented at all, chain verified (is_peer_verified()), and why not.
  bool peer_presented = false;
  bool peer_verified = false;
  bool peer_revoked = false;
  bool peer_expired = false;
  bool peer_self_signed = false;
  // The X.509 verification result in the numbering OpenSSL and BoringSSL share (0 = ok or not
  // verified, 10 = certificate has expired, 20 = unable to get local issuer certificate, ...).
  int verify_result = 0;
  std::string verify_error;       // its text, "" when 0
  std::optional<CertFacts> peer;  // when presented
  std::optional<CertFacts> own;   // the certificate sipring presented, if any
  // Connections accepted on a sipring.proxy_protocol_listen address: what the PROXY header said.
  std::optional<ProxyFacts> proxy;
};

}  // namespace sipring
