// The shared config store: every parameter's current value and the TLS contexts built from them,
// as immutable versioned snapshots that reactors read without locks.
//
// A change (an RPC, tls.reload) builds a new snapshot off the hot path and publishes it with one
// atomic store; each reactor picks it up at its next loop iteration (current()). An old snapshot
// is freed once every reactor has moved past it (epoch-style reclamation: each reactor publishes
// the version it reads, and a snapshot older than all of them can no longer be in use). Writers
// are the control plane and serialize on a mutex; reactors never take it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/config_registry.h"
#include "sipring/config.h"
#include "sipring/result.h"

namespace sipring {

class KeyLogFile;
class TlsContextSet;

struct ConfigSnapshot {
  Config config;
  std::shared_ptr<const TlsContextSet> tls;  // null for an engine without TLS contexts yet
  // tls.keylog_file, open while tls.keylog_mode has bit 8 (crypto/keylog.h); a reactor appends
  // to the file of the snapshot it reads, so a file replaced at runtime is closed only once no
  // reactor can still be writing to it.
  std::shared_ptr<const KeyLogFile> keylog;
  uint64_t version = 0;
};

class ConfigStore {
 public:
  // `readers`: how many reactors will call current(), each with its own index.
  explicit ConfigStore(uint32_t readers);
  ~ConfigStore();
  ConfigStore(const ConfigStore&) = delete;
  ConfigStore& operator=(const ConfigStore&) = delete;

  // Installs the first snapshot. Before any reader starts.
  void init(Config config, std::shared_ptr<const TlsContextSet> tls,
            std::shared_ptr<const KeyLogFile> keylog = nullptr);

  // Reader `r` (a reactor thread): the current snapshot. Valid until r calls current() again;
  // lock-free, allocation-free.
  const ConfigSnapshot* current(uint32_t r) noexcept;
  // Whether a snapshot newer than `s` was published (the reactor's "is there work" check before
  // it sleeps, so a change made while it was busy is never slept through).
  bool newer_than(const ConfigSnapshot* s) const noexcept {
    // Relaxed: only compared; the reader loads the snapshot properly with current().
    return current_.load(std::memory_order_relaxed) != s;
  }

  // --- Control plane (any thread; serialized) ---

  // Changes a parameter that may change at runtime, validated exactly like a config file value.
  // Parameters that may not change at runtime are refused with a message saying how they do.
  // `prepare`, if given, runs on the new snapshot (its config already changed) before it is
  // published, with the current one to compare, under the writers' lock: what must change with
  // the value (the key log file a new tls.keylog_file names) is published in the same snapshot,
  // and an error it returns refuses the change, leaving everything as it was.
  using Prepare = std::function<Status(const ConfigSnapshot& cur, ConfigSnapshot& next)>;
  Status set_runtime(std::string_view module, std::string_view name, const ParamValue& value,
                     const Prepare& prepare = nullptr);
  // The current value, formatted as the registry does ("600", "1", "TLSv1.2+").
  Result<std::string> get(std::string_view module, std::string_view name);
  // A copy of the current configuration and TLS context set.
  Config config();
  std::shared_ptr<const TlsContextSet> tls();
  // Publishes new TLS contexts (tls.reload), keeping every parameter.
  void replace_tls(std::shared_ptr<const TlsContextSet> tls);
  uint64_t version();
  // Snapshots published but not yet freed (for tests of reclamation).
  size_t retired();

 private:
  void publish(ConfigSnapshot* next);  // holds mu_
  void reclaim();                      // holds mu_

  struct alignas(64) ReaderSlot {
    std::atomic<uint64_t> seen{0};  // version this reader is using; 0 = not started
  };

  std::unique_ptr<ReaderSlot[]> readers_;
  uint32_t reader_count_;
  alignas(64) std::atomic<ConfigSnapshot*> current_{nullptr};
  std::mutex mu_;                         // writers only
  std::vector<ConfigSnapshot*> retired_;  // published before current_, maybe still in use
};

}  // namespace sipring
