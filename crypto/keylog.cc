#include "crypto/keylog.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/secret_file.h"
#include "engine/base/error_format.h"

namespace sipring {

Result<std::unique_ptr<KeyLogFile>> KeyLogFile::open(const std::string& path) {
  if (path.empty()) {
    return format_error(Errc::kConfig,
                        "tls.keylog_file is not set, but tls.keylog_mode has bit 8 (write to "
                        "the file): set the file first");
  }
  // O_NOFOLLOW: a link planted where the key log goes (a shared directory) must not redirect
  // secrets elsewhere. O_NONBLOCK: opening a FIFO for writing must not wait for a reader.
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
             S_IRUSR | S_IWUSR);
  if (fd < 0) {
    const int err = errno;
    if (err == ELOOP) {
      return format_error(Errc::kConfig,
                          "tls.keylog_file {} is a symbolic link, which sipring does not follow "
                          "for a file of secrets: name the file itself",
                          path);
    }
    return format_error(Errc::kConfig, "tls.keylog_file {}: cannot open or create it: {}", path,
                        strerror(err));
  }
  static constexpr SecretFileRules kRules = {
      .param = "tls.keylog_file",
      .holds = "session secrets",
      .why_regular =
          "the key log is appended by the reactors, which must never wait on a pipe "
          "or a device",
  };
  if (Status s = check_secret_file(fd, path, kRules); !s) {
    ::close(fd);
    return s;
  }
  // Back to blocking writes: a regular file never makes a writer wait for a reader anyway.
  fcntl(fd, F_SETFL, O_APPEND);
  return std::unique_ptr<KeyLogFile>(new KeyLogFile(fd, path));
}

KeyLogFile::~KeyLogFile() {
  ::close(fd_);
}

int KeyLogFile::append(std::string_view line) const noexcept {
  if (line.size() > kMaxLine) return EMSGSIZE;
  char buf[kMaxLine + 1];
  memcpy(buf, line.data(), line.size());
  buf[line.size()] = '\n';
  const size_t n = line.size() + 1;
  const ssize_t w = ::write(fd_, buf, n);
  if (w < 0) return errno;
  return static_cast<size_t>(w) == n ? 0 : ENOSPC;
}

}  // namespace sipring
