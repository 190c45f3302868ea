// What the C ABI reads and tunes beside the frames: a connection's TLS facts, runtime parameters,
// TLS reload, counters, the log, and stateless responses.
#include <algorithm>
#include <atomic>
#include <string>

#include "engine/api/c_abi.h"
#include "sipring/sip_response.h"

namespace sipring::capi {
namespace {

constexpr const char* kCounterNames[] = {
#define SIPRING_COUNTER_NAME(name, doc) #name,
    SIPRING_COUNTERS(SIPRING_COUNTER_NAME)
#undef SIPRING_COUNTER_NAME
};

// Copies `text` into a fixed field; clears *fit when it was cut.
template <size_t N>
void put(char (&field)[N], std::string_view text, bool* fit) {
  if (!copy_text(field, N, text)) *fit = false;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

void fill_tls_info(const TlsFacts& facts, sipring_tls_info* out) {
  std::memset(out, 0, sizeof(*out));
  out->version = facts.version;
  out->cipher_bits = static_cast<uint16_t>(std::clamp(facts.cipher_bits, 0, 65535));
  out->verify_result = facts.verify_result;
  out->client_role = facts.client_role;
  out->peer_presented = facts.peer_presented;
  out->peer_verified = facts.peer_verified;
  out->peer_revoked = facts.peer_revoked;
  out->peer_expired = facts.peer_expired;
  out->peer_self_signed = facts.peer_self_signed;
  bool fit = true;
  put(out->version_text, facts.version_text, &fit);
  put(out->cipher, facts.cipher, &fit);
  put(out->sni, facts.sni, &fit);
  put(out->domain, facts.domain, &fit);
  put(out->verify_error, facts.verify_error, &fit);
  if (facts.peer) {
    const CertFacts& peer = *facts.peer;
    out->peer_not_before = peer.not_before;
    out->peer_not_after = peer.not_after;
    put(out->peer_subject, peer.subject.text, &fit);
    put(out->peer_issuer, peer.issuer.text, &fit);
    put(out->peer_cn, peer.subject.cn, &fit);
    put(out->peer_serial, peer.serial, &fit);
    put(out->peer_san_dns, joined(peer.san_dns), &fit);
    put(out->peer_san_uri, joined(peer.san_uri), &fit);
    put(out->peer_san_ip, joined(peer.san_ip), &fit);
  }
  out->truncated = !fit;
}

void fill_proxy_info(const ProxyFacts& p, sipring_proxy_info* out) {
  std::memset(out, 0, sizeof(*out));
  out->version = static_cast<uint8_t>(p.version);
  out->local = p.local;
  out->crc32c = p.crc32c;
  out->ssl = p.ssl;
  out->ssl_client = p.ssl_client;
  out->ssl_verify = p.ssl_verify;
  to_c_addr(p.balancer, &out->balancer);
  to_c_addr(p.destination, &out->destination);
  bool fit = p.unique_id.size() <= sizeof(out->unique_id);
  out->unique_id_size = static_cast<uint16_t>(std::min(p.unique_id.size(), sizeof(out->unique_id)));
  std::memcpy(out->unique_id, p.unique_id.data(), out->unique_id_size);
  put(out->authority, p.authority, &fit);
  put(out->alpn, p.alpn, &fit);
  put(out->ssl_version, p.ssl_version, &fit);
  put(out->ssl_cn, p.ssl_cn, &fit);
  put(out->ssl_cipher, p.ssl_cipher, &fit);
  out->truncated = !fit;
}

// The embedder's C sink behind sipring's LogSink; one per process, like the sink itself.
struct CLogSink {
  std::atomic<sipring_log_fn> fn{nullptr};
  std::atomic<void*> ctx{nullptr};
};
CLogSink g_log_sink;

void call_c_sink(void* sink, LogLevel level, std::string_view line) {
  auto* s = static_cast<CLogSink*>(sink);
  // Relaxed, as sipring's own sink: installing is not synchronised with logging (sipring.h).
  sipring_log_fn fn = s->fn.load(std::memory_order_relaxed);
  if (fn != nullptr) fn(s->ctx.load(std::memory_order_relaxed), level, line.data(), line.size());
}

int set_param(sipring_engine* e, const char* module, const char* name, std::string_view value,
              bool is_number, char* err, size_t err_size) {
  if (e == nullptr || module == nullptr || name == nullptr) {
    return fail(err, err_size, SIPRING_ERR_INVALID_ARGUMENT,
                "sipring_param_set: e, module and name must not be NULL");
  }
  Status s = e->engine->set_param(module, name, value, is_number);
  return s ? SIPRING_OK : fail(err, err_size, s.error());
}

}  // namespace
}  // namespace sipring::capi

using namespace sipring;

extern "C" {

int sipring_tls_info_get(sipring_engine* e, sipring_conn conn, sipring_tls_info* out, char* err,
                         size_t err_size) {
  return capi::guarded("sipring_tls_info_get", err, err_size, int{SIPRING_ERR_INTERNAL}, [&] {
    if (e == nullptr || out == nullptr) {
      return capi::fail(err, err_size, SIPRING_ERR_INVALID_ARGUMENT,
                        "sipring_tls_info_get: e and out must not be NULL");
    }
    Result<TlsFacts> facts = e->engine->tls_facts(ConnId(conn));
    if (!facts) return capi::fail(err, err_size, facts.error());
    capi::fill_tls_info(facts.value(), out);
    return int{SIPRING_OK};
  });
}

int sipring_proxy_info_get(sipring_engine* e, sipring_conn conn, sipring_proxy_info* out, char* err,
                           size_t err_size) {
  return capi::guarded("sipring_proxy_info_get", err, err_size, int{SIPRING_ERR_INTERNAL}, [&] {
    if (e == nullptr || out == nullptr) {
      return capi::fail(err, err_size, SIPRING_ERR_INVALID_ARGUMENT,
                        "sipring_proxy_info_get: e and out must not be NULL");
    }
    Result<TlsFacts> facts = e->engine->tls_facts(ConnId(conn));
    if (!facts) return capi::fail(err, err_size, facts.error());
    capi::fill_proxy_info(facts->proxy.value_or(ProxyFacts{}), out);
    return int{SIPRING_OK};
  });
}

int sipring_param_set(sipring_engine* e, const char* module, const char* name, const char* value,
                      char* err, size_t err_size) {
  return capi::guarded("sipring_param_set", err, err_size, int{SIPRING_ERR_INTERNAL}, [&] {
    if (value == nullptr) {
      return capi::fail(err, err_size, SIPRING_ERR_INVALID_ARGUMENT,
                        "sipring_param_set: value is NULL");
    }
    return capi::set_param(e, module, name, value, false, err, err_size);
  });
}

int sipring_param_set_int(sipring_engine* e, const char* module, const char* name, int64_t value,
                          char* err, size_t err_size) {
  return capi::guarded("sipring_param_set_int", err, err_size, int{SIPRING_ERR_INTERNAL}, [&] {
    return capi::set_param(e, module, name, std::to_string(value), true, err, err_size);
  });
}

int sipring_param_get(sipring_engine* e, const char* module, const char* name, char* out,
                      size_t out_size, char* err, size_t err_size) {
  return capi::guarded("sipring_param_get", err, err_size, int{SIPRING_ERR_INTERNAL}, [&] {
    if (e == nullptr || module == nullptr || name == nullptr || out == nullptr || out_size == 0) {
      return capi::fail(err, err_size, SIPRING_ERR_INVALID_ARGUMENT,
                        "sipring_param_get: e, module, name and out must be set, out_size > 0");
    }
    Result<std::string> value = e->engine->get_param(module, name);
    if (!value) return capi::fail(err, err_size, value.error());
    if (!capi::copy_text(out, out_size, value.value())) {
      return capi::fail(err, err_size, SIPRING_ERR_TOO_LARGE,
                        std::string(module) + "." + name + ": the value has " +
                            std::to_string(value->size()) + " bytes, out holds " +
                            std::to_string(out_size - 1));
    }
    return int{SIPRING_OK};
  });
}

int sipring_tls_reload(sipring_engine* e, char* err, size_t err_size) {
  return capi::guarded("sipring_tls_reload", err, err_size, int{SIPRING_ERR_INTERNAL}, [&] {
    if (e == nullptr) {
      return capi::fail(err, err_size, SIPRING_ERR_INVALID_ARGUMENT,
                        "sipring_tls_reload: e is NULL");
    }
    Status s = e->engine->reload_tls();
    return s ? int{SIPRING_OK} : capi::fail(err, err_size, s.error());
  });
}

size_t sipring_counter_count(void) {
  return std::size(capi::kCounterNames);
}

const char* sipring_counter_name(size_t i) {
  return i < std::size(capi::kCounterNames) ? capi::kCounterNames[i] : nullptr;
}

size_t sipring_counters(const sipring_engine* e, int32_t reactor, uint64_t* out, size_t n) {
  if (e == nullptr || out == nullptr) return 0;
  return capi::guarded("sipring_counters", nullptr, 0, size_t{0}, [&]() -> size_t {
    const EngineStats stats = e->engine->stats();
    ReactorStats s;
    if (reactor == -1) {
      s = stats.total();
    } else if (reactor >= 0 && static_cast<size_t>(reactor) < stats.reactors.size()) {
      s = stats.reactors[static_cast<size_t>(reactor)];
    } else {
      return 0;
    }
    const uint64_t values[] = {
#define SIPRING_COUNTER_VALUE(name, doc) s.name,
        SIPRING_COUNTERS(SIPRING_COUNTER_VALUE)
#undef SIPRING_COUNTER_VALUE
    };
    const size_t count = std::min(n, std::size(values));
    std::copy_n(values, count, out);
    return count;
  });
}

void sipring_set_log_level(int level) {
  set_log_level(static_cast<LogLevel>(level));  // Kamailio numbers, as sipring.h lists them
}

void sipring_set_log_sink(sipring_log_fn sink, void* ctx) {
  capi::g_log_sink.ctx.store(ctx, std::memory_order_relaxed);
  capi::g_log_sink.fn.store(sink, std::memory_order_relaxed);
  set_log_sink(sink != nullptr ? &capi::call_c_sink : nullptr, &capi::g_log_sink);
}

size_t sipring_build_response(const void* request, size_t size, int code, const char* reason,
                              char* out, size_t out_size) {
  if (request == nullptr || reason == nullptr || out == nullptr) return 0;
  size_t written = 0;
  const ResponseError r = build_response({static_cast<const uint8_t*>(request), size}, code, reason,
                                         {reinterpret_cast<uint8_t*>(out), out_size}, &written);
  return r == ResponseError::kOk ? written : 0;
}

}  // extern "C"
