#include "file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "errors.h"

namespace sipring::certs {
namespace {

// Removes the temporary file on every early return.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() {
    if (fd_ >= 0) close(fd_);
    if (!path_.empty()) unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  std::string& path() { return path_; }
  int& fd() { return fd_; }
  // The file was renamed or linked into place; the destructor must not remove it any more.
  void keep() { path_.clear(); }

 private:
  std::string path_;
  int fd_ = -1;
};

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(path, "write", errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

}  // namespace

Status write_file(const std::string& path, std::string_view data, mode_t mode,
                  Overwrite overwrite) {
  TempFile tmp(path + ".tmp.XXXXXX");
  // mkstemp creates the file 0600, so key material is never readable by others, even briefly.
  tmp.fd() = mkstemp(tmp.path().data());
  if (tmp.fd() < 0) {
    int err = errno;
    tmp.path().clear();
    return io_error(path, "creating a temporary file next to it", err);
  }
  if (fchmod(tmp.fd(), mode) != 0) return io_error(path, "fchmod", errno);
  if (Status s = write_all(tmp.fd(), data, path); !s) return s;
  if (fsync(tmp.fd()) != 0) return io_error(path, "fsync", errno);
  int fd = tmp.fd();
  tmp.fd() = -1;
  if (close(fd) != 0) return io_error(path, "close", errno);

  if (overwrite == Overwrite::kAllow) {
    if (rename(tmp.path().c_str(), path.c_str()) != 0) return io_error(path, "rename", errno);
    tmp.keep();
    return Status::ok();
  }
  if (link(tmp.path().c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) {
      return config_error(path + ": already exists; refusing to overwrite it (use --force)");
    }
    return io_error(path, "link", errno);
  }
  return Status::ok();  // ~TempFile unlinks the temporary name; |path| keeps the data.
}

Result<std::string> read_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(path, "open", errno);
  std::string data;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return io_error(path, "read", err);
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return data;
}

Status check_writable(const std::string& path, Overwrite overwrite) {
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (overwrite == Overwrite::kRefuse) {
      return config_error(path + ": already exists; refusing to overwrite it (use --force)");
    }
    if (S_ISDIR(st.st_mode)) return config_error(path + ": is a directory");
    return Status::ok();
  }
  if (errno != ENOENT) return io_error(path, "stat", errno);
  return Status::ok();
}

Status check_parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  struct stat st;
  if (stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return config_error(path + ": directory " + parent + " does not exist");
  }
  return Status::ok();
}

Status ensure_dir(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) == 0) return Status::ok();
  if (errno != EEXIST) return io_error(path, "mkdir", errno);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return io_error(path, "stat", errno);
  if (!S_ISDIR(st.st_mode)) return config_error(path + ": exists but is not a directory");
  return Status::ok();
}

}  // namespace sipring::certs

namespace sipring::certs {

Status write_reported(const std::string& path, std::string_view data, mode_t mode,
                      Overwrite overwrite) {
  Status s = write_file(path, data, mode, overwrite);
  if (s) std::printf("wrote %s\n", path.c_str());
  return s;
}

}  // namespace sipring::certs
