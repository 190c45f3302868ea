// The client role: opening TLS connections to destinations, with the [client:...] domain that
// matches, SNI and the RFC 5922 name the server must prove; queueing messages in clear text
// until the handshake is done (within tls.con_ct_wq_max / tls.ct_wq_max); reusing the
// connection to a destination for later messages.
#include <netinet/tcp.h>
#include <strings.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/op.h"
#include "engine/reactor.h"

namespace sipring {
namespace {

std::string destination_key(const Destination& to) {
  return to.addr.to_string() + '|' + to.server_name + '|' + to.server_id;
}

// verify_hostname: "" = the destination's name (its SIP domain, else its address), "no" =
// none, anything else = that name.
std::string expected_name(const std::string& verify_hostname, const std::string& sni,
                          const SockAddr& addr) {
  for (const char* off : {"no", "off", "false", "0"}) {
    if (strcasecmp(verify_hostname.c_str(), off) == 0) return {};
  }
  if (!verify_hostname.empty()) return verify_hostname;
  return sni.empty() ? addr.host() : sni;
}

// The send-to record a thread queues for the owning reactor (tag 0 in the reply inbox):
// [uint16 name length][uint16 id length][address][name][id][message].
struct SendToHeader {
  uint16_t name_len;
  uint16_t id_len;
  SockAddr addr;
};

}  // namespace

Result<ConnId> Reactor::connect(const SockAddr& to, const std::string& sni) noexcept {
  return open_client(Destination{to, sni, {}});
}

Result<ConnId> Reactor::open_client(const Destination& to) noexcept {
  if (shutting_down_) return make_error(Errc::kShuttingDown, "the engine is stopping");
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

Result<ConnId> Reactor::send_to(const Destination& to, std::span<const uint8_t> message) noexcept {
  uint32_t owner = destination_owner(to.addr, static_cast<uint32_t>(shared_->reactors.size()));
  if (owner != index_) {
    SendStatus s = shared_->reactors[owner]->send_to_remote(to, message);
    if (s != SendStatus::kOk) {
      return make_error(s == SendStatus::kQueueFull ? Errc::kQueueFull : Errc::kTooLarge,
                        "send to %s: %s", to.addr.to_string().c_str(), send_status_name(s));
    }
    return ConnId();  // the owning reactor picks (or opens) the connection
  }
  return deliver_to(to, message);
}

Result<ConnId> Reactor::deliver_to(const Destination& to,
                                   std::span<const uint8_t> message) noexcept {
  if (message.size() > cfg_->engine.max_message_size) {
    return make_error(Errc::kTooLarge, "message of %zu bytes exceeds sipring.max_message_size",
                      message.size());
  }
  // Our own connection to this destination, open or still connecting, carries it: messages
  // to one destination stay in order on one connection.
  std::string key = destination_key(to);
  auto it = client_by_dest_.find(key);
  Connection* c = it != client_by_dest_.end() ? conns_->find(ConnId(it->second)) : nullptr;
  if (c == nullptr || c->state == ConnState::kClosing) {
    auto id = open_client(to);
    if (!id) return id;
    client_by_dest_[key] = id->raw();
    c = conns_->find(id.value());
    c->flags |= kConnDestination;
  }
  if (!queue_plain(c, message)) {
    return make_error(Errc::kQueueFull,
                      "send to %s refused: the clear-text queue is over tls.con_ct_wq_max or "
                      "tls.ct_wq_max (the connection is still being set up)",
                      to.addr.to_string().c_str());
  }
  counters_.messages_out.add();
  return conns_->id_of(c);
}

SendStatus Reactor::send_to_remote(const Destination& to,
                                   std::span<const uint8_t> message) noexcept {
  if (message.size() > max_message_size_) return SendStatus::kTooLarge;
  size_t len = sizeof(SendToHeader) + to.server_name.size() + to.server_id.size() + message.size();
  if (len > inbox_->max_payload() || to.server_name.size() > 255 || to.server_id.size() > 255) {
    return SendStatus::kTooLarge;
  }
  std::span<uint8_t> slot = inbox_->reserve(static_cast<uint32_t>(len), 0);
  if (slot.data() == nullptr) return SendStatus::kQueueFull;
  SendToHeader h{static_cast<uint16_t>(to.server_name.size()),
                 static_cast<uint16_t>(to.server_id.size()), to.addr};
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

void Reactor::deliver_queued_send_to(std::span<const uint8_t> record) noexcept {
  SendToHeader h;
  if (record.size() < sizeof(h)) return;
  memcpy(&h, record.data(), sizeof(h));
  if (record.size() < sizeof(h) + h.name_len + h.id_len) return;
  const char* p = reinterpret_cast<const char*>(record.data()) + sizeof(h);
  Destination to{h.addr, std::string(p, h.name_len), std::string(p + h.name_len, h.id_len)};
  auto id = deliver_to(to, record.subspan(sizeof(h) + h.name_len + h.id_len));
  if (!id) {
    counters_.send_queue_full.add();
    uint64_t suppressed;
    if (peer_log_.allow(now_ns_, &suppressed)) {
      SIPRING_LOG(kLogErr, "tls", "reactor %u: %s", index_, id.error().message.c_str());
    }
  }
}

}  // namespace sipring
