// The ASCII text helpers declared in engine/base/ascii.h.
#include "engine/base/ascii.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/base/error_format.h"

namespace sipring {

std::string ascii_str_tolower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_tolower(c);
  return out;
}

bool equals_ignore_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_tolower(a[i]) != ascii_tolower(b[i])) return false;
  }
  return true;
}

bool ends_with_ignore_case(std::string_view text, std::string_view suffix) noexcept {
  return text.size() >= suffix.size() &&
         equals_ignore_case(text.substr(text.size() - suffix.size()), suffix);
}

std::string_view strip_ascii_whitespace(std::string_view s) noexcept {
  while (!s.empty() && ascii_isspace(s.front())) s.remove_prefix(1);
  while (!s.empty() && ascii_isspace(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view strip_quotes(std::string_view s) noexcept {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

std::string in_quotes(std::string_view s) {
  std::string q;
  q.reserve(s.size() + 2);
  q += '"';
  q += s;
  q += '"';
  return q;
}

Result<std::string> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return format_error(Errc::kIo, "{}", std::strerror(errno));
  std::string text;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      const int err = errno;
      ::close(fd);
      return format_error(Errc::kIo, "{}", std::strerror(err));
    }
  }
  ::close(fd);
  return text;
}

}  // namespace sipring
