#include "engine/config/config_store.h"

#include <algorithm>

#include "engine/base/error_format.h"

namespace sipring {

ConfigStore::ConfigStore(uint32_t readers)
    : readers_(new ReaderSlot[readers == 0 ? 1 : readers]), reader_count_(readers) {}

ConfigStore::~ConfigStore() {
  delete current_.load(std::memory_order_relaxed);
  for (ConfigSnapshot* s : retired_) delete s;
}

void ConfigStore::init(Config config, std::shared_ptr<const TlsContextSet> tls,
                       std::shared_ptr<const KeyLogFile> keylog) {
  auto* s = new ConfigSnapshot{std::move(config), std::move(tls), std::move(keylog), 1};
  // Release: readers that load the pointer see a fully built snapshot.
  delete current_.exchange(s, std::memory_order_release);
}

const ConfigSnapshot* ConfigStore::current(uint32_t r) noexcept {
  // Acquire: pairs with publish()'s release; the snapshot's contents are visible.
  ConfigSnapshot* s = current_.load(std::memory_order_acquire);
  ReaderSlot& slot = readers_[r];
  if (slot.seen.load(std::memory_order_relaxed) != s->version) {
    // Release: our reads of the previous snapshot happen before a writer that sees this value
    // frees it.
    slot.seen.store(s->version, std::memory_order_release);
  }
  return s;
}

void ConfigStore::publish(ConfigSnapshot* next) {
  ConfigSnapshot* prev = current_.load(std::memory_order_relaxed);
  next->version = prev->version + 1;
  // Release: the new snapshot is fully built before any reader can load it.
  current_.store(next, std::memory_order_release);
  retired_.push_back(prev);
  reclaim();
}

void ConfigStore::reclaim() {
  uint64_t oldest = UINT64_MAX;
  for (uint32_t r = 0; r < reader_count_; r++) {
    // Acquire: pairs with current()'s release, so the reader is done with older snapshots.
    oldest = std::min(oldest, readers_[r].seen.load(std::memory_order_acquire));
  }
  // A reader that has seen version v may still use v but nothing older.
  auto in_use = [oldest](ConfigSnapshot* s) { return s->version >= oldest; };
  auto it = std::partition(retired_.begin(), retired_.end(), in_use);
  for (auto d = it; d != retired_.end(); ++d) delete *d;
  retired_.erase(it, retired_.end());
}

Status ConfigStore::set_runtime(std::string_view module, std::string_view name,
                                const ParamValue& value, const Prepare& prepare) {
  auto def = lookup_param(module, name);
  if (!def) return def.status();
  const ParamDef& d = *def.value();
  if (d.support == ParamSupport::kSupported && !d.runtime) {
    // TLS files are re-read by tls.reload; everything else is read once, at start.
    const char* how =
        d.module == "tls"
            ? "from the main config file at restart. (tls.reload re-reads the files such "
              "parameters name - certificates, keys, CA lists, CRLs - and the tls.cfg file; to "
              "switch files at runtime, describe them in a tls.cfg: cfg.set_now_string tls config "
              "FILE, then tls.reload)"
            : "from the config file at restart";
    return format_error(Errc::kInvalidArgument,
                        "{}.{} cannot change at runtime: it takes effect {}", d.module, d.name,
                        how);
  }
  std::lock_guard<std::mutex> lock(mu_);
  const ConfigSnapshot* cur = current_.load(std::memory_order_relaxed);
  auto next = std::make_unique<ConfigSnapshot>(*cur);
  if (Status s = set_param(next->config, d, value); !s) {
    return Error{Errc::kInvalidArgument, s.message()};
  }
  if (prepare) {
    if (Status s = prepare(*cur, *next); !s) return s;
  }
  publish(next.release());
  return Status::ok();
}

Result<std::string> ConfigStore::get(std::string_view module, std::string_view name) {
  auto def = lookup_param(module, name);
  if (!def) return def.status();
  std::lock_guard<std::mutex> lock(mu_);
  return format_param(current_.load(std::memory_order_relaxed)->config, *def.value());
}

Config ConfigStore::config() {
  std::lock_guard<std::mutex> lock(mu_);
  return current_.load(std::memory_order_relaxed)->config;
}

std::shared_ptr<const TlsContextSet> ConfigStore::tls() {
  std::lock_guard<std::mutex> lock(mu_);
  return current_.load(std::memory_order_relaxed)->tls;
}

void ConfigStore::replace_tls(std::shared_ptr<const TlsContextSet> tls) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_unique<ConfigSnapshot>(*current_.load(std::memory_order_relaxed));
  next->tls = std::move(tls);
  publish(next.release());
}

uint64_t ConfigStore::version() {
  std::lock_guard<std::mutex> lock(mu_);
  return current_.load(std::memory_order_relaxed)->version;
}

size_t ConfigStore::retired() {
  std::lock_guard<std::mutex> lock(mu_);
  reclaim();
  return retired_.size();
}

}  // namespace sipring
