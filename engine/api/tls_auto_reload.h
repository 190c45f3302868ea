// Certificate files that renew themselves (tls.auto_reload) and warnings before they expire
// (tls.cert_expiry_warn_days).
//
// A thread of its own, owned by the Engine, started after the reactors and joined in stop()
// before them. Not a reactor (they never block nor read files), and not the control socket's
// thread: that one exists only when a control socket is configured (an embedder may have none),
// and a reload (reading files, building contexts: milliseconds to tens of them) would stall
// every control client. Nor the memory watch: it samples every 100 ms for a different purpose
// and sleeps while it is off. This thread sleeps in poll() on an inotify descriptor (FileWatch)
// and an eventfd, so it costs nothing while no file changes; it wakes once a day to warn.
//
// What it does:
//  * watches every file the TLS configuration in use reads (tls_files: certificates, keys, CA
//    lists and directories, CRLs, the tls.cfg; tls_param_files: tls.ticket_key_file), plus
//    those the configuration on disk would read (so a file a refused tls.cfg names is watched
//    before it exists);
//  * after a burst of changes has been quiet for tls.auto_reload_delay_ms, compares each file's
//    content fingerprint with the one last acted on; if any differs, logs which and calls the
//    same Engine::reload_tls() as the tls.reload RPC (serialised with it by its mutex):
//    established connections keep their contexts, new ones get the new files;
//  * a reload that fails (a half-written file, a key that does not match) changes nothing and
//    is logged once with the reason: the same contents are not tried again, the next change is;
//  * after any reload (its own or tls.reload's) it recomputes the watched set and warns about
//    every certificate within tls.cert_expiry_warn_days of its notAfter (also at start and
//    every 24 hours).
// tls.auto_reload=0 removes the watches (warnings go on); setting it back to 1 watches again
// from the contents then current, without reloading for changes made while it was off.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

#include "sipring/result.h"
#include "sipring/stats.h"

namespace sipring {

class ConfigStore;

class TlsAutoReload {
 public:
  TlsAutoReload() = default;
  ~TlsAutoReload() { stop(); }
  TlsAutoReload(const TlsAutoReload&) = delete;
  TlsAutoReload& operator=(const TlsAutoReload&) = delete;

  // Starts the thread when `store` holds TLS contexts (a listening engine); otherwise does
  // nothing. Returns once the thread watches the files in use, so a file changed after the
  // engine said it serves is never missed. `reload` is Engine::reload_tls, `reload_ticket_keys`
  // Engine::reload_ticket_keys (run instead when tls.ticket_key_file is all that changed).
  // `store` must outlive stop().
  void start(ConfigStore* store, std::function<Status()> reload,
             std::function<Status()> reload_ticket_keys = nullptr);
  // Joins the thread (waits for a reload in progress). Idempotent.
  void stop();
  // Any thread: a TLS parameter changed or new contexts were published; the thread re-reads
  // its parameters and, for new contexts, re-watches and warns.
  void poke() noexcept;
  // Adds tls_auto_reloads and tls_auto_reload_refused to `stats`.
  void add_counters(ReactorStats* stats) const noexcept;

 private:
  void run();

  ConfigStore* store_ = nullptr;
  std::function<Status()> reload_;
  std::function<Status()> reload_ticket_keys_;
  int wake_fd_ = -1;  // eventfd: poke() and stop()
  std::atomic<bool> stopping_{false};
  std::atomic<bool> watching_{false};  // set once the thread's first watch is armed
  std::atomic<uint64_t> reloads_{0};
  std::atomic<uint64_t> refused_{0};
  std::thread thread_;
};

}  // namespace sipring
