// Where the engine's session-ticket keys come from (tls.ticket_key_file, tls.ticket_key_count):
// reading the shared key file at start, at tls.reload, when the automatic reload sees it change
// and on tls.ticket_keys_reload; the 12-hour rotation of per-process keys; and what
// tls.ticket_keys shows. The keys themselves live in TicketKeys (crypto/ticket_keys.h), which the
// reactors read without locks; this is the control plane around it.
//
// Reading and installing are two steps so that tls.reload can refuse everything when any part
// is bad: read() checks the file and parses it without touching the keys in use; install()
// publishes what read() returned. A refused read changes nothing, is logged with the reason
// (never key material: keys are named by their fingerprint) and counted.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "crypto/ticket_key_file.h"
#include "crypto/ticket_keys.h"
#include "sipring/config.h"
#include "sipring/engine.h"
#include "sipring/result.h"
#include "sipring/stats.h"

namespace sipring {

class TicketKeySource {
 public:
  explicit TicketKeySource(TicketKeys* keys) : keys_(keys) {}

  // The outcome of a read: the file's keys, or none when tls.ticket_key_file is unset.
  struct Pending {
    std::string path;
    std::optional<TicketKeyFile> file;
  };

  // Reads and checks the key file `tls` names (nothing to read when it names none). `why`
  // ("start", "tls.reload", ...) goes into the log line. Does not change the keys in use.
  Result<Pending> read(const TlsParams& tls, const char* why);
  // Makes `pending` the keys in use: the file's keys, or per-process keys when it holds no
  // file (fresh ones only if file keys were in use). Logs what is in use now.
  void install(Pending pending, const char* why);
  // read() then install(): tls.ticket_keys_reload, and the automatic reload when only the key
  // file changed.
  Status reload(const TlsParams& tls, const char* why);

  // The 12-hour rotation: rotates per-process keys; with file keys logs that they stay.
  void rotate();

  TicketKeyInfo info() const;
  // Adds ticket_key_loads, ticket_key_refused, tickets_renewed and tickets_unknown_key.
  void add_counters(ReactorStats* stats) const noexcept;

 private:
  TicketKeys* keys_;
  mutable std::mutex mu_;  // the fields below; readers are control calls only
  std::string file_;       // in use; "" = per-process keys
  size_t file_lines_ = 0;
  int bits_ = 128;
  int64_t loaded_at_ = 0;
  std::string last_error_;
  int64_t last_error_at_ = 0;
  std::atomic<uint64_t> loads_{0};
  std::atomic<uint64_t> refused_{0};
};

}  // namespace sipring
