// The client role: opening TLS connections to destinations, with the [client:...] domain that
// matches, SNI and the RFC 5922 name the server must prove; queueing messages in clear text
// until the handshake is done (within tls.con_ct_wq_max / tls.ct_wq_max); reusing the
// connection to a destination for later messages, including a connection the peer opened once
// it authenticated as that destination (RFC 5923 aliases).
//
// The destination map lives on the reactor that owns the destination (destination_owner); an
// alias may point at a connection of another reactor, and messages then go through that
// reactor's inbox like any cross-reactor send.
#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "crypto/name_check.h"
#include "engine/base/error_format.h"
#include "engine/base/log.h"
#include "engine/base/probes.h"
#include "engine/config/config_registry.h"
#include "engine/io/listener.h"
#include "engine/reactor/op.h"
#include "engine/reactor/reactor.h"
#include "engine/sync/batch_clock.h"

namespace sipring {
namespace {

std::string destination_key(const Destination& to) {
  return to.addr.to_string() + '|' + to.server_name + '|' + to.server_id;
}

// verify_hostname: "" or a true boolean ("yes") = the destination's name (its SIP domain, else
// its address), a false one ("no", "off", "0", ...) = none, anything else = that name.
std::string expected_name(const std::string& verify_hostname, const std::string& sni,
                          const SockAddr& addr) {
  bool on = true;
  if (!verify_hostname.empty() && !parse_config_bool(verify_hostname, &on)) return verify_hostname;
  if (!on) return {};
  return sni.empty() ? addr.host() : sni;
}

// The send-to record a thread queues for the owning reactor (tag 0 in the reply inbox):
// [header][name][id][message]. With `alias` set it carries no message: it registers connection
// `alias` for the destination (add_alias on another reactor).
struct SendToHeader {
  uint16_t name_len;
  uint16_t id_len;
  SockAddr addr;
  uint64_t alias;
};

}  // namespace

Result<ConnId> Reactor::connect(const Destination& to) noexcept {
  if (shutting_down_) return make_error(Errc::kShuttingDown, "the engine is stopping");
  if (low_mem() & MemWatch::kRefuseNew) {
    counters_.low_mem_refused.add();
    return make_error(Errc::kQueueFull,
                      "not opening a connection to %s: %llu KB free is below "
                      "tls.low_mem_threshold1 (%d KB); retry later",
                      to.addr.to_string().c_str(),
                      static_cast<unsigned long long>(shared_->mem->free_kb()),
                      shared_->mem->threshold_kb(1));
  }
  SSL_CTX* ctx = shared_->client_ctx;
  const TlsDomain* domain = nullptr;
  std::string sni = to.server_name;
  std::string verify_hostname = shared_->client_verify_hostname;
  if (snap_->tls) {
    domain = snap_->tls->client_domain(to.addr, to.server_name, to.server_id);
    if (domain != nullptr) {
      ctx = snap_->tls->context_of(domain);
      if (sni.empty()) sni = domain->profile.server_name;
      verify_hostname = domain->profile.verify_hostname;
    }
  }
  if (ctx == nullptr) {
    return make_error(Errc::kInvalidArgument,
                      "no TLS client domain for %s: add [client:default] to the tls.cfg",
                      to.addr.to_string().c_str());
  }
  Connection* c = conns_->alloc();
  if (c == nullptr) {
    return make_error(Errc::kQueueFull, "connection table full (%u)", conns_->capacity());
  }
  int fd = socket(to.addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int e = errno;
    conns_->release(c);
    return make_error(Errc::kIo, "socket: %s", strerror(e));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  set_send_timeout(fd, cfg_->engine.send_timeout_ms);
  c->fd = fd;
  c->peer = to.addr;
  c->state = ConnState::kConnecting;
  c->flags |= kConnClient;
  c->last_io_ns = c->created_ns = now_ns_;
  c->domain = domain;
  c->tls_set = snap_->tls;
  if (!sni.empty()) {
    c->sni.reset(new (std::nothrow) char[sni.size() + 1]);
    if (c->sni) memcpy(c->sni.get(), sni.c_str(), sni.size() + 1);
  }
  std::string expected = expected_name(verify_hostname, sni, to.addr);
  SSL_SESSION* session = session_for(
      session_key(to.addr, ctx, c->tls_set ? c->tls_set->generation() : 0, sni, expected));
  c->tls = TlsConn::client(ctx, sni.c_str(), session, expected);
  if (!c->tls) {
    ::close(fd);
    conns_->release(c);
    return make_error(Errc::kTls, "cannot create a TLS client session");
  }
  c->tls->set_user(c);
  counters_.connections_open.add();
  uint32_t slot = conns_->slot_of(c);
  io_uring_sqe* sqe = uring_.sqe();
  io_uring_prep_connect(sqe, fd, c->peer.sa(), c->peer.len());
  io_uring_sqe_set_data64(sqe, op_data(Op::kConnect, slot, c->generation));
  c->ops++;
  timers_->arm(slot, now_ns_ + uint64_t(cfg_->engine.handshake_timeout_ms) * 1'000'000ull);
  return conns_->id_of(c);
}

SendResult Reactor::send_to(const Destination& to, std::span<const uint8_t> message) noexcept {
  uint32_t owner = destination_owner(to.addr, static_cast<uint32_t>(shared_->reactors.size()));
  if (owner != index_) {
    // The owning reactor picks (or opens) the connection; the ring's refusals need no log line
    // (the caller has the status, and nothing else is known yet).
    return {shared_->reactors[owner]->send_to_remote(to, message), ConnId()};
  }
  return deliver_to(to, message, now_ns_);
}

SendResult Reactor::deliver_to(const Destination& to, std::span<const uint8_t> message,
                               uint64_t queued_ns) noexcept {
  if (message.size() > cfg_->engine.max_message_size) {
    SIPRING_LOG_LIMITED(peer_log_, now_ns_, kLogErr, "tls",
                        "reactor %u: send to %s refused: %zu bytes exceed "
                        "sipring.max_message_size (%u)",
                        index_, to.addr.to_string().c_str(), message.size(),
                        cfg_->engine.max_message_size);
    return {SendStatus::kTooLarge, ConnId()};
  }
  // Our own connection to this destination, open or still connecting, carries it: messages
  // to one destination stay in order on one connection.
  std::string key = destination_key(to);
  auto it = client_by_dest_.find(key);
  Connection* c = nullptr;
  if (it != client_by_dest_.end()) {
    ConnId mapped(it->second);
    if (mapped.reactor() != index_) {
      // An alias to another reactor's connection: that reactor seals and sends it.
      SendStatus s = shared_->reactors[mapped.reactor()]->send_remote(mapped, message);
      if (s == SendStatus::kOk) return {s, mapped};
      if (s != SendStatus::kUnknownConnection) {
        SIPRING_LOG_LIMITED(peer_log_, now_ns_, kLogErr, "tls",
                            "reactor %u: send to %s over its alias connection refused: %s", index_,
                            to.addr.to_string().c_str(), send_status_name(s));
        return {s, ConnId()};
      }
      client_by_dest_.erase(it);  // it closed: open our own below
    } else {
      c = conns_->find(mapped);
    }
  }
  if (c == nullptr || c->state == ConnState::kClosing) {
    Result<ConnId> id = connect(to);
    if (!id) {
      SIPRING_LOG_LIMITED(peer_log_, now_ns_, kLogErr, "tls", "reactor %u: send to %s: %s", index_,
                          to.addr.to_string().c_str(), id.error().message.c_str());
      return {id.error().code == Errc::kShuttingDown ? SendStatus::kNotRunning
                                                     : SendStatus::kConnectFailed,
              ConnId()};
    }
    remember_destination(key, id.value());
    c = conns_->find(id.value());
  }
  const bool open = c->state == ConnState::kOpen;
  if (!queue_plain(c, message)) {
    // Open: over sipring.conn_wq_hard_max, which queue_plain() logged and closed it for.
    if (open) return {SendStatus::kOverloaded, ConnId()};
    SIPRING_LOG_LIMITED(peer_log_, now_ns_, kLogErr, "tls",
                        "reactor %u: send to %s refused: the clear-text queue is over "
                        "tls.con_ct_wq_max or tls.ct_wq_max (the connection is still being set "
                        "up)",
                        index_, to.addr.to_string().c_str());
    return {SendStatus::kClearTextQueueFull, ConnId()};
  }
  counters_.messages_out.add();
  c->replies.queued(queued_ns);
  SIPRING_PROBE(reply_queued, conns_->id_of(c).raw(), static_cast<uint32_t>(message.size()));
  return {SendStatus::kOk, conns_->id_of(c)};
}

SendStatus Reactor::send_to_remote(const Destination& to,
                                   std::span<const uint8_t> message) noexcept {
  if (message.size() > max_message_size_) return SendStatus::kTooLarge;
  size_t len = sizeof(SendToHeader) + to.server_name.size() + to.server_id.size() + message.size();
  if (len > inbox_->max_payload() || to.server_name.size() > 255 || to.server_id.size() > 255) {
    return SendStatus::kTooLarge;
  }
  const uint32_t stamp = kInstrumentsEnabled ? clock_stamp(batch_clock_ns()) : 0;
  std::span<uint8_t> slot = inbox_->reserve(static_cast<uint32_t>(len), 0, stamp);
  if (slot.data() == nullptr) return SendStatus::kQueueFull;
  SendToHeader h{static_cast<uint16_t>(to.server_name.size()),
                 static_cast<uint16_t>(to.server_id.size()), to.addr, 0};
  uint8_t* p = slot.data();
  memcpy(p, &h, sizeof(h));
  p += sizeof(h);
  memcpy(p, to.server_name.data(), h.name_len);
  p += h.name_len;
  memcpy(p, to.server_id.data(), h.id_len);
  p += h.id_len;
  memcpy(p, message.data(), message.size());
  inbox_->commit();
  doorbell_.ring();
  return SendStatus::kOk;
}

void Reactor::deliver_queued_send_to(std::span<const uint8_t> record, uint64_t queued_ns) noexcept {
  SendToHeader h;
  if (record.size() < sizeof(h)) return;
  memcpy(&h, record.data(), sizeof(h));
  if (record.size() < sizeof(h) + h.name_len + h.id_len) return;
  const char* p = reinterpret_cast<const char*>(record.data()) + sizeof(h);
  Destination to{h.addr, std::string(p, h.name_len), std::string(p + h.name_len, h.id_len)};
  if (h.alias != 0) {
    register_alias(to, ConnId(h.alias));
    return;
  }
  // deliver_to() logs a refusal; nobody is left to tell, so it is counted too.
  SendResult r = deliver_to(to, record.subspan(sizeof(h) + h.name_len + h.id_len), queued_ns);
  if (!r.ok()) counters_.send_queue_full.add();
}

Status Reactor::add_alias(ConnId id, const Destination& to) noexcept {
  std::string conn = std::to_string(id.raw());
  if (id.reactor() != index_) {
    return make_error(Errc::kInvalidArgument,
                      "connection %s belongs to reactor %u, not %u: call add_alias on its "
                      "reactor (or Engine::add_alias)",
                      conn.c_str(), id.reactor(), index_);
  }
  Connection* c = conns_->find(id);
  if (c == nullptr || c->state != ConnState::kOpen) {
    return make_error(Errc::kUnknownConnection, "no open connection %s", conn.c_str());
  }
  std::string peer = c->peer.to_string();
  std::string dest = to.addr.to_string();
  if (c->flags & kConnClient) {
    return make_error(Errc::kInvalidArgument,
                      "connection %s to %s was opened by sipring: send_to reuses it for its own "
                      "destination, it cannot be an alias",
                      conn.c_str(), peer.c_str());
  }
  // RFC 5923 section 5: reuse only once the peer proved, with a certificate, that it is the
  // destination; otherwise anyone could capture another party's requests.
  if (!c->tls || !c->tls->peer_verified()) {
    return make_error(Errc::kInvalidArgument,
                      "connection %s from %s cannot carry messages to %s: its peer did not "
                      "present a certificate that verified (RFC 5923 needs verify_certificate "
                      "and a client certificate)",
                      conn.c_str(), peer.c_str(), dest.c_str());
  }
  const CRYPTO_BUFFER* cert = c->tls->peer_certificate();
  std::string host = to.server_name.empty() ? to.addr.host() : to.server_name;
  NameCheck names =
      cert == nullptr ? NameCheck{false, "no certificate"}
                      : check_peer_name({CRYPTO_BUFFER_data(cert), CRYPTO_BUFFER_len(cert)}, host);
  if (!names.ok) {
    return make_error(Errc::kInvalidArgument,
                      "connection %s from %s cannot carry messages to %s: the peer's "
                      "certificate does not name %s (%s)",
                      conn.c_str(), peer.c_str(), dest.c_str(), host.c_str(), names.detail.c_str());
  }
  uint32_t owner = destination_owner(to.addr, static_cast<uint32_t>(shared_->reactors.size()));
  if (owner == index_) {
    register_alias(to, id);
  } else {
    Reactor& r = *shared_->reactors[owner];
    size_t len = sizeof(SendToHeader) + to.server_name.size() + to.server_id.size();
    if (to.server_name.size() > 255 || to.server_id.size() > 255) {
      return make_error(Errc::kTooLarge, "server_name and server_id are limited to 255 bytes");
    }
    std::span<uint8_t> slot = r.inbox_->reserve(static_cast<uint32_t>(len), 0);
    if (slot.data() == nullptr) {
      return make_error(Errc::kQueueFull, "reactor %u's inbox is full: retry the alias", owner);
    }
    SendToHeader h{static_cast<uint16_t>(to.server_name.size()),
                   static_cast<uint16_t>(to.server_id.size()), to.addr, id.raw()};
    memcpy(slot.data(), &h, sizeof(h));
    memcpy(slot.data() + sizeof(h), to.server_name.data(), h.name_len);
    memcpy(slot.data() + sizeof(h) + h.name_len, to.server_id.data(), h.id_len);
    r.inbox_->commit();
    r.doorbell_.ring();
  }
  SIPRING_LOG(kLogInfo, "tls",
              "reactor %u: connection %s from %s also carries messages to %s%s%s (RFC 5923 alias)",
              index_, conn.c_str(), peer.c_str(), dest.c_str(),
              to.server_name.empty() ? "" : " as ", to.server_name.c_str());
  return Status::ok();
}

void Reactor::register_alias(const Destination& to, ConnId id) noexcept {
  std::string key = destination_key(to);
  auto it = client_by_dest_.find(key);
  // A live connection already carries this destination: switching would reorder its messages.
  if (it != client_by_dest_.end() && destination_alive(ConnId(it->second))) {
    if (it->second != id.raw()) {
      SIPRING_LOG(kLogInfo, "tls",
                  "reactor %u: %s keeps its connection %llu; alias connection %llu is not used "
                  "for it while that one is open",
                  index_, to.addr.to_string().c_str(), static_cast<unsigned long long>(it->second),
                  static_cast<unsigned long long>(id.raw()));
    }
    return;
  }
  remember_destination(key, id);
}

void Reactor::remember_destination(const std::string& key, ConnId id) noexcept {
  // Entries of closed connections are not erased when they close (an alias may name another
  // reactor's connection): lookups skip them, and this sweep bounds the map.
  if (client_by_dest_.size() >= prune_destinations_at_) prune_destinations();
  client_by_dest_[key] = id.raw();
}

bool Reactor::destination_alive(ConnId id) noexcept {
  if (id.reactor() != index_) return shared_->reactors[id.reactor()]->alive(id);
  Connection* c = conns_->find(id);
  return c != nullptr && c->state != ConnState::kClosing;
}

bool Reactor::alive(ConnId id) const noexcept {
  return conns_->alive(id);
}

void Reactor::prune_destinations() noexcept {
  std::erase_if(client_by_dest_,
                [this](const auto& e) { return !destination_alive(ConnId(e.second)); });
  prune_destinations_at_ = std::max<size_t>(1024, 2 * client_by_dest_.size());
}

}  // namespace sipring
