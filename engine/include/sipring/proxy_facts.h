// What a PROXY protocol header (HAProxy's doc/proxy-protocol.txt, v1 or v2) said about a
// connection accepted on a sipring.proxy_protocol_listen address: the balancer in front and
// what it passed on. The connection's peer address (frames, tls.list, logs) is already the
// client the header named; this is the rest, for the core.
#pragma once

#include <cstdint>
#include <string>

#include "sipring/sock_addr.h"

namespace sipring {

struct ProxyFacts {
  int version = 0;  // 1 (text line) or 2 (binary)
  // LOCAL command (v2): the balancer's own connection, e.g. a health check; the peer is the
  // socket's. A PROXY header without addresses (v1 UNKNOWN, v2 AF_UNSPEC) keeps it too.
  bool local = false;
  SockAddr balancer;     // the socket's peer: the balancer that sent the header
  SockAddr destination;  // the address the client connected to (on the balancer); may be empty
  // v2 TLVs, "" when absent. authority: the SNI the balancer saw (PP2_TYPE_AUTHORITY);
  // unique_id: the balancer's connection id (PP2_TYPE_UNIQUE_ID, opaque bytes, at most 128).
  std::string authority, unique_id, alpn, netns;
  bool crc32c = false;  // the header carried a CRC32C, and it matched
  // PP2_TYPE_SSL: the client's TLS connection to the balancer, when it terminated TLS.
  bool ssl = false;
  uint8_t ssl_client = 0;   // PP2_CLIENT_SSL 0x01, PP2_CLIENT_CERT_CONN 0x02, _CERT_SESS 0x04
  uint32_t ssl_verify = 0;  // 0: the client's certificate verified (or none was presented)
  std::string ssl_version, ssl_cn, ssl_cipher, ssl_sig_alg, ssl_key_alg;
};

}  // namespace sipring
