#include "engine/api/tls_auto_reload.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "crypto/ocsp_staple.h"
#include "engine/base/log.h"
#include "engine/config/config_store.h"
#include "engine/io/file_watch.h"
#include "engine/tls/tls_contexts.h"
#include "engine/tls/tls_inventory.h"

namespace sipring {
namespace {

constexpr uint64_t kMsNs = 1'000'000;
constexpr uint64_t kDayNs = 86400ull * 1'000'000'000ull;
constexpr uint64_t kHourNs = 3600ull * 1'000'000'000ull;

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

// The files of the contexts in use, and those the configuration would load now (a tls.cfg
// that was refused may name files that do not exist yet: their creation must be seen).
std::vector<TlsFileUse> files_to_watch(const TlsContextSet& set, const Config& cfg) {
  std::vector<TlsFileUse> files = tls_files(set.domains());
  for (TlsFileUse& f : tls_param_files(cfg.tls)) files.push_back(std::move(f));
  Result<TlsDomainSet> pending = cfg.tls.config.empty()
                                     ? Result<TlsDomainSet>(domains_from_params(cfg.tls))
                                     : load_tls_domains(cfg.tls.config, cfg.config_dir);
  if (!pending) return files;
  for (TlsFileUse& f : tls_files(pending.value())) {
    auto same = [&f](const TlsFileUse& g) { return g.path == f.path; };
    if (std::none_of(files.begin(), files.end(), same)) files.push_back(std::move(f));
  }
  return files;
}

// One warning per certificate in use that expires within `warn_days` days (or has expired),
// naming every domain that presents it (the module parameters' server and client domains
// share one).
void warn_expiring(const TlsContextSet& set, int warn_days) {
  if (warn_days <= 0) return;
  const int64_t now = static_cast<int64_t>(time(nullptr));
  std::vector<TlsCertificate> due;
  for (TlsCertificate& c : certificates_in_use(set, now)) {
    if (c.facts.not_after - now >= int64_t{warn_days} * 86400) continue;
    auto same = [&c](const TlsCertificate& d) {
      return d.file == c.file && d.facts.serial == c.facts.serial;
    };
    auto it = std::find_if(due.begin(), due.end(), same);
    if (it != due.end()) {
      it->domain += ", " + c.domain;
    } else {
      due.push_back(std::move(c));
    }
  }
  for (const TlsCertificate& c : due) {
    if (c.facts.not_after < now) {
      log_line(kLogWarn, "tls",
               "certificate of TLS domain %s (%s, subject %s) has EXPIRED (notAfter %s): peers "
               "that verify it refuse it; renew it",
               c.domain.c_str(), c.file.c_str(), c.facts.subject.text.c_str(),
               c.facts.not_after_text.c_str());
    } else {
      log_line(kLogWarn, "tls",
               "certificate of TLS domain %s (%s, subject %s) expires in %lld days (notAfter "
               "%s): renew it",
               c.domain.c_str(), c.file.c_str(), c.facts.subject.text.c_str(),
               static_cast<long long>(c.days_left), c.facts.not_after_text.c_str());
    }
  }
}

// Warns once when a loaded OCSP staple comes within a day of its nextUpdate, and logs an error
// once when it has passed it: clients that check staples (ocsp_require, must-staple) refuse an
// outdated one, so the file must be renewed (the automatic reload then loads the new one). A
// staple that is renewed in time is never mentioned.
class StapleWarnings {
 public:
  static constexpr int64_t kWarnSeconds = 86400;

  void check(const TlsContextSet& set, int64_t now) {
    std::map<std::string, int> next;
    for (const TlsStaple& s : staples_in_use(set)) {
      const int state = s.next_update <= now ? 2 : s.next_update - now < kWarnSeconds ? 1 : 0;
      const std::string key = s.domain + "\n" + s.file + "\n" + std::to_string(s.next_update);
      next[key] = state;
      auto it = said_.find(key);
      if (state == 0 || (it != said_.end() && it->second >= state)) continue;
      if (state == 2) {
        log_line(kLogErr, "tls",
                 "OCSP staple %s of TLS domain %s is out of date (nextUpdate %s): clients that "
                 "check staples refuse it; write a new response to the file",
                 s.file.c_str(), s.domain.c_str(), utc_text(s.next_update).c_str());
      } else {
        log_line(kLogWarn, "tls",
                 "OCSP staple %s of TLS domain %s must be renewed before its nextUpdate %s "
                 "(in %lld minutes)",
                 s.file.c_str(), s.domain.c_str(), utc_text(s.next_update).c_str(),
                 static_cast<long long>((s.next_update - now) / 60));
      }
    }
    said_ = std::move(next);  // forgets staples no longer loaded
  }

 private:
  std::map<std::string, int> said_;  // domain, file and nextUpdate -> state last logged
};

// The watcher's state, on the thread's stack.
struct Watcher {
  FileWatch watch;
  Debounce debounce{1000 * kMsNs};
  std::vector<TlsFileUse> files;         // watched (empty while tls.auto_reload is 0)
  std::map<std::string, uint64_t> seen;  // path -> fingerprint last loaded or refused
  uint64_t generation = 0;               // of the contexts `files` were computed from
  std::string ticket_key_file;           // tls.ticket_key_file when `files` were computed
  bool armed = false;

  // Watches the files of `set` and `cfg`. `keep_seen`: the fingerprints of files already known
  // stay (they are what the contexts were built from); the others are taken as they are now.
  void arm(const TlsContextSet& set, const Config& cfg, bool enabled, bool keep_seen) {
    if (!keep_seen) seen.clear();
    files = enabled ? files_to_watch(set, cfg) : std::vector<TlsFileUse>();
    std::vector<WatchedPath> paths;
    std::map<std::string, uint64_t> next;
    for (const TlsFileUse& f : files) {
      paths.push_back({f.path, f.directory});
      auto it = seen.find(f.path);
      next[f.path] = it != seen.end() ? it->second : content_fingerprint(paths.back());
    }
    seen = std::move(next);
    const size_t dirs = watch.watch(paths);
    if (enabled && !armed) {
      SIPRING_LOG(kLogInfo, "tls",
                  "automatic reload: watching %zu TLS files in %zu directories (tls.auto_reload)",
                  files.size(), dirs);
    }
    armed = enabled;
    generation = set.generation();
    ticket_key_file = cfg.tls.ticket_key_file;
  }

  // What changed since last acted on ("certificate /a.pem, private_key /b.pem"), recording the
  // new fingerprints as acted on; "" when nothing did (an event that changed no content).
  // *only_ticket_keys: tls.ticket_key_file is all that changed.
  std::string take_changes(bool* only_ticket_keys) {
    std::string changed;
    *only_ticket_keys = true;
    for (const TlsFileUse& f : files) {
      const uint64_t fp = content_fingerprint({f.path, f.directory});
      uint64_t& last = seen[f.path];
      if (fp == last) continue;
      last = fp;
      *only_ticket_keys &= f.what == kTicketKeyFileUse;
      if (!changed.empty()) changed += ", ";
      changed += f.what + " " + f.path;
    }
    return changed;
  }
};

}  // namespace

void TlsAutoReload::start(ConfigStore* store, std::function<Status()> reload,
                          std::function<Status()> reload_ticket_keys) {
  if (thread_.joinable() || store == nullptr || store->tls() == nullptr) return;
  store_ = store;
  reload_ = std::move(reload);
  reload_ticket_keys_ = std::move(reload_ticket_keys);
  if (wake_fd_ < 0) wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  stopping_.store(false, std::memory_order_relaxed);
  watching_.store(false, std::memory_order_relaxed);
  thread_ = std::thread([this] { run(); });
  watching_.wait(false, std::memory_order_acquire);  // run() arms before its first poll()
}

void TlsAutoReload::stop() {
  if (thread_.joinable()) {
    stopping_.store(true, std::memory_order_release);
    poke();
    thread_.join();
  }
  // The eventfd stays open until destruction, so a late poke() never writes to a reused fd.
}

void TlsAutoReload::poke() noexcept {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;  // EAGAIN: the counter is already non-zero, the thread wakes anyway
}

void TlsAutoReload::add_counters(ReactorStats* stats) const noexcept {
  stats->tls_auto_reloads += reloads_.load(std::memory_order_relaxed);
  stats->tls_auto_reload_refused += refused_.load(std::memory_order_relaxed);
}

void TlsAutoReload::run() {
  Watcher w;
  if (w.watch.fd() < 0) {
    log_line(kLogErr, "tls", "automatic reload unavailable: %s; use tls.reload",
             w.watch.error().c_str());
  }
  uint64_t next_warning = 0;
  StapleWarnings staples;
  uint64_t next_staple_check = 0;
  while (!stopping_.load(std::memory_order_acquire)) {
    const Config cfg = store_->config();
    const std::shared_ptr<const TlsContextSet> set = store_->tls();
    const bool enabled = cfg.tls.auto_reload && w.watch.fd() >= 0;
    w.debounce.set_quiet(uint64_t(cfg.tls.auto_reload_delay_ms) * kMsNs);
    if (set->generation() != w.generation) {
      // Start, or contexts tls.reload built: watch what they read, as they read it.
      w.arm(*set, cfg, enabled, false);
      warn_expiring(*set, cfg.tls.cert_expiry_warn_days);
      next_warning = now_ns() + kDayNs;
      next_staple_check = 0;
    } else if (enabled != w.armed) {
      w.arm(*set, cfg, enabled, false);  // switched on or off: from the contents now
    } else if (cfg.tls.ticket_key_file != w.ticket_key_file) {
      w.arm(*set, cfg, enabled, true);  // set at runtime: watch the new file from now on
    }

    if (!watching_.load(std::memory_order_relaxed)) {
      watching_.store(true, std::memory_order_release);  // the watch above is armed
      watching_.notify_all();
    }
    uint64_t now = now_ns();
    const uint64_t wake_at = std::min({w.debounce.due_at(), next_warning, next_staple_check});
    const uint64_t wait_ms = wake_at > now ? (wake_at - now + kMsNs - 1) / kMsNs : 0;
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {w.watch.fd(), POLLIN, 0}};
    if (poll(fds, 2, static_cast<int>(std::min<uint64_t>(wait_ms, INT_MAX))) < 0 &&
        errno != EINTR) {
      log_line(kLogErr, "tls", "automatic reload: poll: %s", strerror(errno));
      return;
    }
    if (fds[0].revents & POLLIN) {
      uint64_t count;
      ssize_t n = read(wake_fd_, &count, sizeof(count));
      (void)n;
    }
    now = now_ns();
    if ((fds[1].revents & POLLIN) && w.watch.drain() && w.armed) w.debounce.note(now);
    if (stopping_.load(std::memory_order_acquire)) break;

    if (w.debounce.due(now)) {
      w.debounce.reset();
      bool only_ticket_keys = false;
      const std::string changed = w.take_changes(&only_ticket_keys);
      if (!changed.empty()) {
        // Exactly tls.reload, or tls.ticket_keys_reload when only the ticket key file changed
        // (the contexts, and the client sessions keyed on their generation, stay). The
        // fingerprints just taken count as acted on either way: a refused content is not tried
        // (nor logged) again; its next change is.
        Status s = only_ticket_keys && reload_ticket_keys_ ? reload_ticket_keys_() : reload_();
        const std::shared_ptr<const TlsContextSet> now_set = store_->tls();
        if (s) {
          reloads_.fetch_add(1, std::memory_order_relaxed);
          log_line(kLogNotice, "tls", "automatic reload: %s changed: %s", changed.c_str(),
                   only_ticket_keys ? "new session-ticket keys in use" : "new TLS contexts in use");
          warn_expiring(*now_set, cfg.tls.cert_expiry_warn_days);
          next_warning = now_ns() + kDayNs;
        } else {
          refused_.fetch_add(1, std::memory_order_relaxed);
          log_line(kLogErr, "tls",
                   "automatic reload refused (%s changed): %s; the TLS configuration in use is "
                   "unchanged, and these files are tried again when they change",
                   changed.c_str(), s.message().c_str());
        }
        // tls.cfg may name other files now (or, refused, files yet to be written).
        w.arm(*now_set, cfg, enabled, true);
      }
    }
    if (now_ns() >= next_staple_check) {
      // Hourly, and after every reload (which resets it): a staple lives days, not years.
      staples.check(*store_->tls(), static_cast<int64_t>(time(nullptr)));
      next_staple_check = now_ns() + kHourNs;
    }
    if (now_ns() >= next_warning) {
      warn_expiring(*store_->tls(), cfg.tls.cert_expiry_warn_days);
      next_warning = now_ns() + kDayNs;
    }
  }
}

}  // namespace sipring
