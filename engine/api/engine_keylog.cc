#include "engine/api/engine_keylog.h"

#include <openssl/ssl.h>

#include <string>

#include "crypto/keylog.h"
#include "engine/base/error_format.h"
#include "engine/base/log.h"
#include "engine/reactor/reactor.h"
#include "engine/tls/tls_contexts.h"

namespace sipring {
namespace {

// Where lines go under `mode` with `file` open: "the log", "FILE", "the log and FILE", or "" when
// nothing is written.
std::string destinations(int mode, const KeyLogFile* file) {
  if ((mode & TlsParams::kKeylogActive) == 0) return "";
  std::string out;
  if ((mode & TlsParams::kKeylogToLog) != 0) out = "the log";
  if ((mode & TlsParams::kKeylogToFile) != 0 && file != nullptr) {
    if (!out.empty()) out += " and ";
    out += file->path();
  }
  return out;
}

// The key log is a secret: say loudly when it starts (or moves), and when it stops.
void announce(int mode, const std::string& before, const std::string& now) {
  if (now == before) return;
  if (now.empty()) {
    SIPRING_LOG(kLogNotice, "tls", "key log off (tls.keylog_mode %d)", mode);
    return;
  }
  SIPRING_LOG(kLogWarn, "tls",
              "key log ON (tls.keylog_mode %d): the session secrets of every new TLS handshake "
              "go to %s, and whoever reads them can decrypt those sessions; turn it off with "
              "cfg.set_now_int tls keylog_mode 0",
              mode, now.c_str());
}

}  // namespace

Result<std::shared_ptr<const KeyLogFile>> start_keylog(const TlsParams& tls, SSL_CTX* client_ctx) {
  if ((tls.keylog_mode & TlsParams::kKeylogInit) != 0) {
    SSL_CTX_set_keylog_callback(client_ctx, &Reactor::on_keylog);
  }
  std::shared_ptr<const KeyLogFile> file;
  if ((tls.keylog_mode & TlsParams::kKeylogToFile) != 0) {
    auto opened = KeyLogFile::open(tls.keylog_file);
    if (!opened) return opened.status();
    file = std::move(opened.value());
  }
  announce(tls.keylog_mode, "", destinations(tls.keylog_mode, file.get()));
  return file;
}

Status prepare_keylog(const ConfigSnapshot& cur, ConfigSnapshot& next, bool reopen,
                      bool client_hooked, const BuildTls& build) {
  const TlsParams& tls = next.config.tls;
  const int mode = tls.keylog_mode;
  if ((mode & TlsParams::kKeylogToFile) == 0) {
    // The reactors still reading an older snapshot keep the file open until they move on.
    next.keylog.reset();
  } else if (reopen || !next.keylog || next.keylog->path() != tls.keylog_file) {
    auto opened = KeyLogFile::open(tls.keylog_file);
    if (!opened) return Error{Errc::kInvalidArgument, opened.error().message + "; nothing changed"};
    next.keylog = std::move(opened.value());
  }
  const bool hooked = next.tls ? next.tls->has_keylog_hook() : client_hooked;
  if ((mode & TlsParams::kKeylogInit) != 0 && !hooked) {
    if (!next.tls) {
      return format_error(Errc::kInvalidArgument,
                          "tls.keylog_mode {}: this engine does not listen, and its one client "
                          "context was built at start without the key log hook; start it with "
                          "bit 1 set",
                          mode);
    }
    auto rebuilt = build(next.config, next.tls->generation() + 1);
    if (!rebuilt) {
      return format_error(Errc::kInvalidArgument,
                          "tls.keylog_mode {}: the TLS contexts in use were built without the "
                          "key log hook (bit 1), and rebuilding them as tls.reload does failed: "
                          "{}; nothing changed",
                          mode, rebuilt.error().message);
    }
    next.tls = std::move(rebuilt.value());
    SIPRING_LOG(kLogNotice, "tls",
                "tls.keylog_mode %d: TLS contexts rebuilt with the key log hook (as tls.reload "
                "does, files re-read) for new connections",
                mode);
  }
  announce(mode, destinations(cur.config.tls.keylog_mode, cur.keylog.get()),
           destinations(mode, next.keylog.get()));
  return Status::ok();
}

ConfigStore::Prepare keylog_change(std::string_view name, TicketKeys* tickets, bool listen,
                                   const SSL_CTX* client_ctx) {
  BuildTls build = [tickets, listen](const Config& c, uint64_t generation) {
    auto set = TlsContextSet::build(c.tls, c.config_dir, tickets, generation, Reactor::tls_hooks());
    if (set && listen && !set.value()->has_server()) {
      return Result<std::shared_ptr<const TlsContextSet>>(
          format_error(Errc::kConfig, "no TLS server domain (add [server:default])"));
    }
    return set;
  };
  const bool client_hooked = SSL_CTX_get_keylog_callback(client_ctx) != nullptr;
  return [build, client_hooked, reopen = name == "keylog_file"](const ConfigSnapshot& cur,
                                                                ConfigSnapshot& next) {
    return prepare_keylog(cur, next, reopen, client_hooked, build);
  };
}

}  // namespace sipring
