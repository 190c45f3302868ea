// tls.ticket_key_file: session-ticket keys every node of a cluster shares, in the format of
// HAProxy's `tls-ticket-keys` file, so one rotation tool feeds HAProxy and sipring alike.
//
// The format (HAProxy 2.6 to 3.x: doc/configuration.txt "tls-ticket-keys", src/cfgparse-ssl.c
// bind_parse_tls_ticket_keys, struct tls_sess_key_128/256 in include/haproxy/ssl_sock-t.h):
//  * one key per line, standard base64 (RFC 4648 §4 alphabet, '=' padding, nothing else on the
//    line; a trailing "\r" is ignored; a blank line is an error, as in HAProxy);
//  * each line decodes to 48 bytes (AES-128) or 80 bytes (AES-256), laid out as:
//        48 bytes: name [0, 16)  AES-128-CBC key [16, 32)  HMAC-SHA256 key [32, 48)
//        80 bytes: name [0, 16)  AES-256-CBC key [16, 48)  HMAC-SHA256 key [48, 80)
//    The name is what a ticket carries in clear to say which key sealed it. All lines have the
//    size of the first (HAProxy refuses a mix: "wrong sized key on line N");
//  * only the last `count` lines are used (HAProxy's TLS_TICKETS_NO, 3 by default; sipring's
//    tls.ticket_key_count), and the file must hold at least that many. Of those, the
//    second-to-last line of the file seals new tickets (with count 1: the last line) and every
//    line used opens tickets. Earlier lines are checked, then ignored, exactly as HAProxy
//    ignores them: rotating is appending a line, or dropping the first and appending one.
// Generate a key with `openssl rand 80 | base64 -w0` (AES-256) or `openssl rand 48 | base64 -w0`.
//
// Two rules beyond HAProxy's: two used lines may not carry the same name (a copy-paste slip
// that would make one of them unreachable), and the file is a secret: a regular file of
// sipring's user or root, without any access for group or others (crypto/secret_file.h), at
// most kMaxFileBytes long. No message ever quotes key material: errors name the line and what
// is wrong with it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto/ticket_keys.h"
#include "sipring/result.h"

namespace sipring {

struct TicketKeyFile {
  static constexpr size_t kMaxFileBytes = 64 * 1024;  // ~590 AES-256 lines
  static constexpr size_t kDefaultCount = 3;          // HAProxy's TLS_TICKETS_NO

  std::vector<TicketKeys::Key> keys;  // the lines used, in file order
  size_t sealing = 0;                 // index in `keys` of the key that seals new tickets
  size_t lines = 0;                   // keys in the file (used or not)
  int bits = 128;                     // 128 (48-byte keys) or 256 (80-byte keys)

  TicketKeyFile() = default;
  TicketKeyFile(TicketKeyFile&&) = default;
  TicketKeyFile& operator=(TicketKeyFile&&) = default;
  ~TicketKeyFile();  // cleanses `keys`
};

// Parses the contents of a key file (`path` only names it in messages) keeping the last `count`
// keys (1 <= count <= TicketKeys::kMaxKeys). Errors (Errc::kConfig) name tls.ticket_key_file,
// the file, the line and what is wrong: empty file, blank line, a character outside base64,
// a length that is not a multiple of 4, misplaced padding, a decoded size other than 48 or 80
// bytes, a size different from line 1's, fewer than `count` keys, a repeated key name.
Result<TicketKeyFile> parse_ticket_keys(std::string_view text, const std::string& path,
                                        size_t count);

// Opens `path` (following symbolic links: secrets mounted by an orchestrator are links), checks
// it as a file of secrets (root may own it), reads at most kMaxFileBytes and parses it. Every
// buffer that held the file's bytes is cleansed before returning.
Result<TicketKeyFile> read_ticket_key_file(const std::string& path, size_t count);

// A short, non-secret fingerprint of a key for logs and RPCs: the first 4 bytes of SHA-256 of
// its name, as 8 hex digits. The name travels in clear in every ticket; the hash only keeps the
// output short and identical on every node holding the same file.
std::string ticket_key_fingerprint(const TicketKeys::Key& key);

}  // namespace sipring
