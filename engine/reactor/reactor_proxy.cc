// Proxy listeners (sipring.proxy_protocol_listen): a connection from a trusted balancer starts
// with a PROXY protocol header (engine/base/proxy_header.h) naming the real client. The header is
// read by the connection's ordinary recv (no peek, no extra syscall): the bytes of the first
// receive are parsed where they lie, and what follows the header in that buffer goes straight to
// the TLS handshake. Only a header split across receives is copied (into rx_partial, at most
// sipring.proxy_header_max bytes), plus one copy of the header kept for the facts. The whole
// header must be in within sipring.proxy_header_timeout_ms of the accept: the connection's one
// timer, armed at accept for the header and re-armed here for the handshake.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>

#include "engine/base/proxy_header.h"
#include "engine/reactor/conn_sink.h"
#include "engine/reactor/reactor.h"

namespace sipring {

void Reactor::read_proxy_header(Connection* c, uint8_t*& p, size_t& n) {
  const uint32_t max = std::max(cfg_->engine.proxy_header_max, kProxyV1MaxLength);
  Block* held = c->rx_partial;  // the start of a header split across receives
  size_t prior = 0;
  size_t appended = 0;
  std::span<const uint8_t> in(p, n);
  if (held != nullptr) {
    prior = held->size;
    appended = std::min<size_t>(n, held->capacity - held->size);
    memcpy(held->end(), p, appended);
    held->size += static_cast<uint32_t>(appended);
    in = {held->data, held->size};
  }
  ProxyHeader h;
  const ProxyParse r = parse_proxy_header(in, max, &h);
  if (r.kind == ProxyParse::kNeedMore) {
    if (held == nullptr) {
      held = pool_.get(max);
      if (held == nullptr) {
        close_conn(c, CloseReason::kIoError);
        n = 0;
        return;
      }
      memcpy(held->data, p, n);
      held->size = static_cast<uint32_t>(n);
      c->rx_partial = held;
    }
    n = 0;  // all of it was header (so far); sipring.proxy_header_timeout_ms bounds the wait
    return;
  }
  if (r.kind == ProxyParse::kError) {
    const bool no_header = r.error == ProxyError::kNotProxy;
    switch (r.error) {
      case ProxyError::kNotProxy:
        counters_.proxy_no_header.add();
        break;
      case ProxyError::kBadCrc:
        counters_.proxy_bad_crc.add();
        break;
      case ProxyError::kTooLong:
        counters_.proxy_too_long.add();
        break;
      default:
        counters_.proxy_bad_header.add();
        break;
    }
    char detail[192];
    snprintf(detail, sizeof(detail), "%s (listener %s)", r.reason,
             AddrText(listeners_[c->listener].addr).c_str());
    log_peer(kLogNotice, c,
             no_header ? "no PROXY protocol header, closing" : "bad PROXY protocol header, closing",
             detail);
    close_conn(c, CloseReason::kHandshakeFailed);
    n = 0;
    return;
  }
  // The header is complete: r.length bytes of `in`, of which the first `prior` came earlier.
  const size_t used = r.length - prior;  // bytes of this receive that belong to the header
  auto origin = std::unique_ptr<ProxyOrigin>(new (std::nothrow) ProxyOrigin);
  uint8_t* copy = new (std::nothrow) uint8_t[r.length];
  if (!origin || copy == nullptr) {
    delete[] copy;
    close_conn(c, CloseReason::kIoError);
    n = 0;
    return;
  }
  memcpy(copy, in.data(), r.length);
  origin->header.reset(copy);
  origin->size = r.length;
  origin->balancer = c->peer;
  if (held != nullptr) {
    unref(held);
    c->rx_partial = nullptr;
  }
  p += used;
  n -= used;
  counters_.proxy_headers.add();
  if (h.command == ProxyCommand::kLocal) counters_.proxy_local.add();
  // LOCAL, v1 UNKNOWN and v2 AF_UNSPEC keep the socket's addresses (spec §2.1, §2.2).
  if (h.command == ProxyCommand::kProxy && h.has_addresses) c->peer = h.src;
  c->proxy = std::move(origin);
  counters_.proxy_header_bytes.add(r.length);  // until free_conn()
  // From here the connection counts for the client the header named, like any other.
  const SourceLimits::Slots slots = shared_->sources.slots_of(c->peer);
  if (!admit(c->peer, slots)) {
    close_conn(c, CloseReason::kHandshakeFailed);
    n = 0;
    return;
  }
  c->source = slots;
  c->flags |= kConnSourceCounted;
  shared_->sources.add(SourceLimits::kConnections, slots);
  if (c->flags & kConnHandshakeCounted) shared_->sources.add(SourceLimits::kHandshakes, slots);
  // The header's timer (armed at accept) becomes the handshake's: the TLS handshake gets its
  // full sipring.handshake_timeout_ms from here, whatever the header took.
  timers_->arm(conns_->slot_of(c),
               now_ns_ + uint64_t(cfg_->engine.handshake_timeout_ms) * 1'000'000ull);
  if (!begin_server_tls(c)) n = 0;
}

void Reactor::proxy_header_missing(Connection* c, bool timeout) {
  const bool started = c->rx_partial != nullptr && c->rx_partial->size > 0;
  if (timeout) {
    counters_.proxy_timeouts.add();
    char detail[96];
    snprintf(detail, sizeof(detail), "%u bytes of it after %d ms (sipring.proxy_header_timeout_ms)",
             started ? c->rx_partial->size : 0, cfg_->engine.proxy_header_timeout_ms);
    log_peer(kLogNotice, c, "PROXY protocol header incomplete, closing", detail);
    close_conn(c, CloseReason::kHandshakeTimeout);
    return;
  }
  if (started) {
    counters_.proxy_bad_header.add();
    char detail[64];
    snprintf(detail, sizeof(detail), "after %u bytes of it", c->rx_partial->size);
    log_peer(kLogNotice, c, "peer closed in the middle of its PROXY protocol header", detail);
  } else {
    // A plain TCP health check (connect, close): nothing to worry an operator about.
    counters_.proxy_no_header.add();
    log_peer(kLogInfo, c, "peer closed before sending a PROXY protocol header", "");
  }
}

bool Reactor::queue_proxy_header(Connection* c) {
  uint8_t header[kProxyV1MaxLength + 1];
  const size_t n = write_proxy_header(shared_->client_proxy_protocol, c->local, c->peer,
                                      {header, sizeof(header)});
  return n > 0 && queue_raw(c, {header, n});
}

ProxyFacts Reactor::proxy_facts(const ProxyOrigin& o) {
  ProxyFacts f;
  f.balancer = o.balancer;
  ProxyHeader h;
  // The bytes parsed once already: parsing them again cannot fail.
  if (parse_proxy_header({o.header.get(), o.size}, kProxyV2MaxLength, &h).kind !=
      ProxyParse::kDone) {
    return f;
  }
  f.version = h.version;
  f.local = h.command == ProxyCommand::kLocal;
  if (h.command == ProxyCommand::kProxy && h.has_addresses) f.destination = h.dst;
  f.authority = h.authority;
  f.unique_id = h.unique_id;
  f.alpn = h.alpn;
  f.netns = h.netns;
  f.crc32c = h.crc32c;
  f.ssl = h.ssl;
  f.ssl_client = h.ssl_client;
  f.ssl_verify = h.ssl_verify;
  f.ssl_version = h.ssl_version;
  f.ssl_cn = h.ssl_cn;
  f.ssl_cipher = h.ssl_cipher;
  f.ssl_sig_alg = h.ssl_sig_alg;
  f.ssl_key_alg = h.ssl_key_alg;
  return f;
}

}  // namespace sipring
