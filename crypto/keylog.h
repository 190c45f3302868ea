// The TLS key log file (tls.keylog_file): session secrets in the NSS key log format
// ("CLIENT_RANDOM <client random> <master secret>" for TLS 1.2, "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
// "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0" and
// "EXPORTER_SECRET" lines for TLS 1.3), which Wireshark and tshark read to decrypt a capture.
//
// BoringSSL formats the lines (SSL_CTX_set_keylog_callback); this file only stores them. The
// key log is a secret: whoever reads it can decrypt every connection it covers. So the file is
// created 0600, an existing one is used only when it is a regular file of this user that nobody
// else may read or write, and a symbolic link is never followed.
//
// Lines for TLS 1.3 generations after a KeyUpdate are not needed: Wireshark derives
// *_TRAFFIC_SECRET_N+1 from *_TRAFFIC_SECRET_0 itself (RFC 8446 §7.2), as it does for peers that
// never log more than generation 0, and the NSS format has no label for later generations.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sipring/result.h"

namespace sipring {

class KeyLogFile {
 public:
  // Longest line append() takes: the longest NSS line (31-byte label, 32-byte client random and
  // 48-byte secret in hex) is under 200 bytes.
  static constexpr size_t kMaxLine = 510;

  // Opens `path` for appending, creating it with mode 0600. Refused with an Errc::kConfig error
  // naming the file and what to do: a name that cannot be opened or created (the errno text), a
  // symbolic link, anything but a regular file (a FIFO would block the reactor), a file owned by
  // another user, or one whose mode lets group or others in. Never blocks (O_NONBLOCK).
  static Result<std::unique_ptr<KeyLogFile>> open(const std::string& path);
  ~KeyLogFile();
  KeyLogFile(const KeyLogFile&) = delete;
  KeyLogFile& operator=(const KeyLogFile&) = delete;

  // Appends `line` and a newline with one write(2) on an O_APPEND descriptor, from any thread:
  // the kernel places each write at the end of the file as a whole under the file's lock, so
  // lines from different reactors never interleave and never overwrite each other. No lock, no
  // allocation (the line is assembled on the stack). Returns 0, or why the line is not in the
  // file: the errno of the failed write, ENOSPC for a short write (on a regular file only a full
  // disk or quota cuts one short), EMSGSIZE for a line longer than kMaxLine.
  int append(std::string_view line) const noexcept;

  const std::string& path() const { return path_; }

 private:
  KeyLogFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  int fd_;
  std::string path_;
};

}  // namespace sipring
