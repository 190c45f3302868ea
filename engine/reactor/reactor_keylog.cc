// The key log callback: BoringSSL hands each secret of a handshake as an NSS key log line to
// Reactor::on_keylog, on the thread running that handshake (SSL_do_handshake), and the reactor
// writes it where its current snapshot's tls.keylog_mode says.
#include <cstring>

#include "crypto/keylog.h"
#include "engine/reactor/reactor.h"

namespace sipring {

void Reactor::on_keylog(const SSL*, const char* line) {
  // Handshakes run on reactor threads only; a context used elsewhere (a test driving TlsConn
  // itself) has nobody to write for.
  if (current_ != nullptr) current_->write_keylog(line);
}

void Reactor::write_keylog(const char* line) noexcept {
  // The snapshot of this iteration: a runtime change reaches the next handshake step without
  // a lock, and the file it names stays open while this reactor may write to it.
  const int mode = cfg_->tls.keylog_mode;
  if ((mode & TlsParams::kKeylogActive) == 0) return;
  if ((mode & TlsParams::kKeylogToLog) != 0) {
    // Kamailio writes these at NOTICE; here whatever the log level, since the operator asked
    // for them by setting the bit.
    log_line(kLogNotice, "tls", "keylog: %s", line);
    counters_.keylog_lines.add();
  }
  if ((mode & TlsParams::kKeylogToFile) == 0) return;
  const KeyLogFile* file = snap_->keylog.get();
  const int err = file != nullptr ? file->append(line) : EBADF;
  if (err == 0) {
    counters_.keylog_lines.add();
    return;
  }
  counters_.keylog_failures.add();
  SIPRING_LOG_LIMITED(keylog_log_, now_ns_, kLogErr, "tls",
                      "tls.keylog_file %s: a key log line was not written: %s (reactor %u has "
                      "lost %llu lines so far; keylog_failures counts them)",
                      file != nullptr ? file->path().c_str() : "(not open)", strerror(err), index_,
                      static_cast<unsigned long long>(counters_.keylog_failures.get()));
}

}  // namespace sipring
