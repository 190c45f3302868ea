#include "crypto/ticket_key_file.h"

#include <fcntl.h>
#include <openssl/base64.h>
#include <openssl/mem.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/secret_file.h"
#include "engine/base/ascii.h"
#include "engine/base/error_format.h"

namespace sipring {
namespace {

constexpr size_t kNameLen = TicketKeys::kNameLen;
constexpr size_t k128Bytes = kNameLen + 16 + 16;  // HAProxy's struct tls_sess_key_128
constexpr size_t k256Bytes = kNameLen + 32 + 32;  // HAProxy's struct tls_sess_key_256

bool base64_char(char c) {
  return ascii_isalnum(c) || c == '+' || c == '/' || c == '=';
}

// The key of one decoded line (48 or 80 bytes: see the header for the layout).
TicketKeys::Key key_of(const uint8_t* b, size_t n) {
  TicketKeys::Key k = {};
  const size_t half = (n - kNameLen) / 2;  // 16 or 32
  memcpy(k.name, b, kNameLen);
  memcpy(k.aes, b + kNameLen, half);
  memcpy(k.hmac, b + kNameLen + half, half);
  k.aes_len = static_cast<uint8_t>(half);
  k.hmac_len = static_cast<uint8_t>(half);
  return k;
}

// Cleanses a buffer of secrets when it goes out of scope, whichever way the function returns.
struct Cleanse {
  void* p;
  size_t n;
  ~Cleanse() { OPENSSL_cleanse(p, n); }
};

}  // namespace

TicketKeyFile::~TicketKeyFile() {
  if (!keys.empty()) OPENSSL_cleanse(keys.data(), keys.size() * sizeof(TicketKeys::Key));
}

Result<TicketKeyFile> parse_ticket_keys(std::string_view text, const std::string& path,
                                        size_t count) {
  auto refuse = [&path](size_t line, std::string_view what) {
    return format_error(Errc::kConfig, "tls.ticket_key_file {} line {}: {}", path, line, what);
  };
  if (count < 1 || count > TicketKeys::kMaxKeys) {
    return format_error(Errc::kConfig, "tls.ticket_key_count {} is outside [1, {}]", count,
                        TicketKeys::kMaxKeys);
  }
  if (text.empty()) {
    return format_error(Errc::kConfig,
                        "tls.ticket_key_file {} is empty: it needs at least {} keys, one base64 "
                        "line each (make one with: openssl rand 80 | base64 -w0)",
                        path, count);
  }
  // Every line is decoded (a broken line anywhere is refused, as HAProxy refuses it); the last
  // `count` are kept in a ring, as HAProxy keeps them.
  std::vector<TicketKeys::Key> ring(count);
  Cleanse ring_cleanse{ring.data(), ring.size() * sizeof(TicketKeys::Key)};
  uint8_t decoded[k256Bytes + 3];
  Cleanse decoded_cleanse{decoded, sizeof(decoded)};
  size_t size = 0;  // of line 1's key
  size_t lines = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    lines++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      return refuse(lines,
                    "blank line: every line must be one base64 key (HAProxy refuses "
                    "blank lines too); remove it");
    }
    for (size_t i = 0; i < line.size(); i++) {
      if (!base64_char(line[i])) {
        return refuse(lines, fmt::format("not base64: column {} holds a character outside "
                                         "A-Z a-z 0-9 + / = (no spaces, no comments)",
                                         i + 1));
      }
    }
    size_t n = 0;
    if (line.size() % 4 != 0) {
      return refuse(lines, fmt::format("not base64: {} characters, not a multiple of 4 (a "
                                       "48-byte key is 64 characters, an 80-byte key 108 "
                                       "with its '=')",
                                       line.size()));
    }
    if (line.size() > (k256Bytes + 2) / 3 * 4) {
      return refuse(lines, fmt::format("{} base64 characters, more than an 80-byte key's 108: "
                                       "a key is 48 bytes (AES-128) or 80 bytes (AES-256)",
                                       line.size()));
    }
    if (!EVP_DecodeBase64(decoded, &n, sizeof(decoded),
                          reinterpret_cast<const uint8_t*>(line.data()), line.size())) {
      return refuse(lines, "not base64: '=' padding inside the line");
    }
    if (n != k128Bytes && n != k256Bytes) {
      return refuse(lines, fmt::format("decodes to {} bytes: a key is 48 bytes (AES-128: name, "
                                       "AES key, HMAC key, 16 bytes each) or 80 bytes (AES-256: "
                                       "16-byte name, 32-byte AES key, 32-byte HMAC key)",
                                       n));
    }
    if (size == 0) size = n;
    if (n != size) {
      return refuse(lines, fmt::format("a {}-byte key, but line 1 holds a {}-byte one: every "
                                       "key of the file must have the same size (HAProxy "
                                       "refuses a mix too)",
                                       n, size));
    }
    ring[(lines - 1) % count] = key_of(decoded, n);
  }
  if (lines < count) {
    return format_error(Errc::kConfig,
                        "tls.ticket_key_file {} holds {} key(s): at least tls.ticket_key_count={} "
                        "are needed (HAProxy's TLS_TICKETS_NO: the second-to-last line seals, "
                        "the last one is the next key, the others still open older tickets); "
                        "add keys with: openssl rand {} | base64 -w0",
                        path, lines, count, size);
  }
  TicketKeyFile out;
  out.lines = lines;
  out.bits = size == k256Bytes ? 256 : 128;
  out.keys.reserve(count);
  for (size_t i = 0; i < count; i++) out.keys.push_back(ring[(lines + i) % count]);
  out.sealing = count >= 2 ? count - 2 : 0;
  for (size_t i = 0; i < count; i++) {
    for (size_t j = 0; j < i; j++) {
      if (memcmp(out.keys[i].name, out.keys[j].name, kNameLen) == 0) {
        return refuse(lines - count + 1 + i,
                      fmt::format("the same key name (first 16 bytes) as line {}: every key "
                                  "needs a name of its own; generate this key again",
                                  lines - count + 1 + j));
      }
    }
  }
  return out;
}

Result<TicketKeyFile> read_ticket_key_file(const std::string& path, size_t count) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is then refused as not regular).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return format_error(Errc::kConfig, "tls.ticket_key_file {}: cannot open it: {}", path,
                        strerror(errno));
  }
  static constexpr SecretFileRules kRules = {
      .param = "tls.ticket_key_file",
      .holds = "session-ticket keys (whoever reads them can decrypt resumed sessions)",
      .why_regular = "ticket keys are read from a regular file only",
      .root_may_own = true,
  };
  if (Status s = check_secret_file(fd, path, kRules); !s) {
    ::close(fd);
    return s;
  }
  // One byte more than allowed tells a file that is too long from one that just fits.
  std::string text(TicketKeyFile::kMaxFileBytes + 1, '\0');
  Cleanse text_cleanse{text.data(), text.size()};
  size_t got = 0;
  int err = 0;
  while (got < text.size()) {
    const ssize_t r = ::read(fd, text.data() + got, text.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) err = errno;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  if (err != 0) {
    return format_error(Errc::kConfig, "tls.ticket_key_file {}: cannot read it: {}", path,
                        strerror(err));
  }
  if (got > TicketKeyFile::kMaxFileBytes) {
    return format_error(Errc::kConfig,
                        "tls.ticket_key_file {} is larger than {} bytes: a key file holds a few "
                        "keys of 65 or 109 bytes a line; keep the last ones only",
                        path, TicketKeyFile::kMaxFileBytes);
  }
  return parse_ticket_keys(std::string_view(text.data(), got), path, count);
}

std::string ticket_key_fingerprint(const TicketKeys::Key& key) {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(key.name, sizeof(key.name), digest);
  return fmt::format("{:02x}{:02x}{:02x}{:02x}", digest[0], digest[1], digest[2], digest[3]);
}

}  // namespace sipring
