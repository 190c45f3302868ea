#include "engine/api/ticket_key_source.h"

#include <openssl/mem.h>
#include <time.h>

#include <utility>

#include "engine/base/log.h"

namespace sipring {
namespace {

// "3 of 5 keys used, AES-256, key 2 (a1b2c3d4) seals; keys 9f8e7d6c a1b2c3d4 00112233".
std::string describe(const TicketKeyInfo& k) {
  std::string out = std::to_string(k.keys) + " of " + std::to_string(k.file_lines) +
                    " keys used, AES-" + std::to_string(k.bits) + ", key " +
                    std::to_string(k.sealing + 1) + " (" + k.fingerprints[k.sealing] +
                    ") seals; keys";
  for (const std::string& f : k.fingerprints) out += " " + f;
  return out;
}

}  // namespace

Result<TicketKeySource::Pending> TicketKeySource::read(const TlsParams& tls, const char* why) {
  Pending p;
  p.path = tls.ticket_key_file;
  if (p.path.empty()) return p;
  Result<TicketKeyFile> file =
      read_ticket_key_file(p.path, static_cast<size_t>(tls.ticket_key_count));
  if (!file) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_error_ = file.error().message;
      last_error_at_ = static_cast<int64_t>(time(nullptr));
    }
    log_line(kLogErr, "tls", "%s: %s; the session-ticket keys in use are unchanged", why,
             file.error().message.c_str());
    return file.error();
  }
  p.file = std::move(file.value());
  return p;
}

void TicketKeySource::install(Pending pending, const char* why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!pending.file) {
    if (keys_->from_file()) {
      keys_->use_random();
      log_line(kLogNotice, "tls",
               "%s: tls.ticket_key_file is unset: back to per-process session-ticket keys "
               "(tickets sealed with %s's keys get full handshakes)",
               why, file_.c_str());
    }
    file_.clear();
    file_lines_ = 0;
    bits_ = 128;
    return;
  }
  TicketKeyFile& f = *pending.file;
  keys_->install(f.keys, f.sealing);
  file_ = pending.path;
  file_lines_ = f.lines;
  bits_ = f.bits;
  loaded_at_ = static_cast<int64_t>(time(nullptr));
  last_error_.clear();
  last_error_at_ = 0;
  loads_.fetch_add(1, std::memory_order_relaxed);
  TicketKeyInfo k;
  k.keys = f.keys.size();
  k.sealing = f.sealing;
  k.file_lines = f.lines;
  k.bits = f.bits;
  for (const TicketKeys::Key& key : f.keys) k.fingerprints.push_back(ticket_key_fingerprint(key));
  log_line(kLogNotice, "tls", "%s: session-ticket keys from tls.ticket_key_file %s: %s", why,
           file_.c_str(), describe(k).c_str());
}

Status TicketKeySource::reload(const TlsParams& tls, const char* why) {
  Result<Pending> p = read(tls, why);
  if (!p) return p.error();
  install(std::move(p.value()), why);
  return Status::ok();
}

void TicketKeySource::rotate() {
  if (keys_->rotate()) return;
  std::lock_guard<std::mutex> lock(mu_);
  log_line(kLogNotice, "tls",
           "session-ticket key rotation skipped: the keys come from tls.ticket_key_file %s, "
           "which is rotated by rewriting the file (sipring re-reads it when it changes)",
           file_.c_str());
}

TicketKeyInfo TicketKeySource::info() const {
  TicketKeyInfo k;
  {
    std::lock_guard<std::mutex> lock(mu_);
    k.file = file_;
    k.file_lines = file_lines_;
    k.bits = bits_;
    k.loaded_at = loaded_at_;
    k.last_error = last_error_;
    k.last_error_at = last_error_at_;
  }
  TicketKeys::Key held[TicketKeys::kMaxKeys];
  k.keys = keys_->snapshot(held, &k.sealing);
  for (size_t i = 0; i < k.keys; i++) k.fingerprints.push_back(ticket_key_fingerprint(held[i]));
  OPENSSL_cleanse(held, sizeof(held));
  if (k.file.empty()) k.bits = 128;  // per-process keys are AES-128
  k.loads = loads_.load(std::memory_order_relaxed);
  k.refused = refused_.load(std::memory_order_relaxed);
  k.rotations = keys_->rotations();
  return k;
}

void TicketKeySource::add_counters(ReactorStats* stats) const noexcept {
  stats->ticket_key_loads += loads_.load(std::memory_order_relaxed);
  stats->ticket_key_refused += refused_.load(std::memory_order_relaxed);
  stats->tickets_renewed += keys_->renewed();
  stats->tickets_unknown_key += keys_->unknown_key();
}

}  // namespace sipring
