// sipring_engine: creating, starting, stopping and freeing an Engine from C; the inline core
// that calls the embedder's C function; the consumer threads' inboxes.
#include <algorithm>
#include <climits>

#include "engine/api/c_abi.h"

namespace sipring::capi {
namespace {

// Inline mode: the embedder's C function as the Core of one reactor. The port handle it passes
// lives here, so a run costs one store and one indirect call.
class CCore final : public Core {
 public:
  CCore(sipring_core_fn fn, void* ctx) : fn_(fn), ctx_(ctx) {}
  uint64_t run(ReactorPort& port) noexcept override {
    port_.port = &port;
    return fn_(ctx_, &port_);
  }

 private:
  sipring_core_fn fn_;
  void* ctx_;
  sipring_port port_;
};

// The embedder's options over the defaults: a struct from an older header is shorter (its
// struct_size says how much it holds), one from a newer header is refused.
Status read_options(const sipring_options* options, sipring_options* out) {
  sipring_options_init(out);
  if (options == nullptr) return Status::ok();
  if (options->struct_size < sizeof(options->struct_size) ||
      options->struct_size > sizeof(sipring_options)) {
    return make_error(Errc::kInvalidArgument,
                      "sipring_options.struct_size is %u, this library knows %zu bytes: call "
                      "sipring_options_init first (or build against this library's sipring.h)",
                      options->struct_size, sizeof(sipring_options));
  }
  std::memcpy(out, options, options->struct_size);
  return Status::ok();
}

}  // namespace
}  // namespace sipring::capi

using namespace sipring;

extern "C" {

void sipring_options_init(sipring_options* options) {
  if (options == nullptr) return;
  std::memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(*options);
  options->listen = 1;
}

sipring_engine* sipring_engine_new(const sipring_config* cfg, const sipring_options* options,
                                   char* err, size_t err_size) {
  return capi::guarded<sipring_engine*>(
      "sipring_engine_new", err, err_size, nullptr, [&]() -> sipring_engine* {
        if (cfg == nullptr) {
          capi::fail(err, err_size, SIPRING_ERR_INVALID_ARGUMENT,
                     "sipring_engine_new: cfg is NULL");
          return nullptr;
        }
        sipring_options o;
        Status s = capi::read_options(options, &o);
        if (s) s = capi::check_config(cfg->config);
        if (!s) {
          capi::fail(err, err_size, s.error());
          return nullptr;
        }
        Engine::Options eo;
        if (o.core != nullptr) {
          eo.core = [fn = o.core, ctx = o.core_ctx](uint32_t) {
            return std::make_unique<capi::CCore>(fn, ctx);
          };
        }
        // A pure client's connections use the tls module parameters (CAs, verification, a
        // client certificate); a listening engine's use its client domains, built from the same.
        eo.client = cfg->config.tls.profile;
        eo.listen = o.listen != 0;
        Result<std::unique_ptr<Engine>> created = Engine::create(cfg->config, std::move(eo));
        if (!created) {
          capi::fail(err, err_size, created.error());
          return nullptr;
        }
        auto e = std::make_unique<sipring_engine>();
        e->engine = std::move(created.value());
        e->inline_core = o.core != nullptr;
        return e.release();
      });
}

sipring_engine* sipring_engine_new_from_file(const char* path, char* err, size_t err_size) {
  sipring_config* cfg = sipring_config_load(path, err, err_size);
  if (cfg == nullptr) return nullptr;
  sipring_engine* e = sipring_engine_new(cfg, nullptr, err, err_size);
  sipring_config_free(cfg);
  return e;
}

int sipring_engine_start(sipring_engine* e, char* err, size_t err_size) {
  return capi::guarded("sipring_engine_start", err, err_size, int{SIPRING_ERR_INTERNAL}, [&] {
    if (e == nullptr) {
      return capi::fail(err, err_size, SIPRING_ERR_INVALID_ARGUMENT,
                        "sipring_engine_start: e is NULL");
    }
    if (Status s = e->engine->start(); !s) return capi::fail(err, err_size, s.error());
    // Consumer threads start after this returns; an inline core is the only consumer of its
    // reactor's frames, so its engine has no inboxes to hand out.
    if (!e->inline_core && e->inboxes.empty()) {
      for (uint32_t r = 0; r < e->engine->reactors(); r++) {
        e->inboxes.push_back(&e->engine->inbox(r));
      }
    }
    return int{SIPRING_OK};
  });
}

void sipring_engine_stop(sipring_engine* e, uint32_t grace_ms) {
  if (e == nullptr) return;
  capi::guarded("sipring_engine_stop", nullptr, 0, 0, [&] {
    e->engine->stop(std::chrono::milliseconds(grace_ms));
    return 0;
  });
}

void sipring_engine_free(sipring_engine* e) {
  if (e == nullptr) return;
  capi::guarded("sipring_engine_free", nullptr, 0, 0, [&] {
    e->engine->stop();
    delete e;
    return 0;
  });
}

uint32_t sipring_engine_reactors(const sipring_engine* e) {
  return e != nullptr ? e->engine->reactors() : 0;
}

int sipring_engine_drain(sipring_engine* e, uint64_t* connections, uint64_t* accepted,
                         uint64_t* per_reactor, size_t n, char* err, size_t err_size) {
  return capi::guarded("sipring_engine_drain", err, err_size, int{SIPRING_ERR_INTERNAL}, [&] {
    if (e == nullptr) {
      return capi::fail(err, err_size, SIPRING_ERR_INVALID_ARGUMENT,
                        "sipring_engine_drain: e is NULL");
    }
    Result<DrainReport> d = e->engine->drain();
    if (!d) return capi::fail(err, err_size, d.error());
    if (connections != nullptr) *connections = d->connections;
    if (accepted != nullptr) *accepted = d->accepted;
    if (per_reactor != nullptr) {
      std::copy_n(d->per_reactor.begin(), std::min(n, d->per_reactor.size()), per_reactor);
    }
    return int{SIPRING_OK};
  });
}

int sipring_inbox_wait(sipring_engine* e, uint32_t reactor) {
  if (e == nullptr || reactor >= e->inboxes.size()) return 0;
  return e->inboxes[reactor]->wait() ? 1 : 0;
}

int sipring_inbox_front(sipring_engine* e, uint32_t reactor, sipring_frame* out) {
  if (e == nullptr || out == nullptr || reactor >= e->inboxes.size()) return 0;
  const Frame* f = e->inboxes[reactor]->front();
  if (f == nullptr) return 0;
  capi::to_c_frame(*f, out);
  return 1;
}

void sipring_inbox_pop(sipring_engine* e, uint32_t reactor) {
  if (e == nullptr || reactor >= e->inboxes.size()) return;
  Engine::Inbox* inbox = e->inboxes[reactor];
  // A pop without a frame would run the ring's read position past what was produced.
  if (inbox->front() != nullptr) inbox->pop();
}

}  // extern "C"
