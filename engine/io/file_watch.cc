#include "engine/io/file_watch.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "engine/base/hash.h"

namespace sipring {
namespace {

namespace fs = std::filesystem;

// What replaces, creates, removes, completes or re-permissions an entry of a directory, and the
// directory itself going away. IN_MODIFY is left out on purpose: a file being written is only
// worth a look once it is closed (IN_CLOSE_WRITE) or renamed into place (IN_MOVED_TO).
constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                           IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
constexpr int kMaxLinks = 8;
constexpr uint64_t kMaxFileBytes = uint64_t{64} << 20;
constexpr size_t kMaxDirEntries = 4096;

struct Plan {
  std::set<std::string> names;
  bool any = false;
};

bool is_symlink(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

// Adds to `plan` the directories and names that lead to `path`: see FileWatch::watch.
void plan_path(const WatchedPath& w, std::map<std::string, Plan>* plan) {
  std::error_code ec;
  fs::path cur = fs::absolute(w.path, ec).lexically_normal();
  if (ec) return;
  for (int hop = 0; hop <= kMaxLinks; hop++) {
    const fs::path dir = cur.parent_path();
    if (cur.has_filename()) (*plan)[dir.string()].names.insert(cur.filename().string());
    // A symlinked directory on the way (Kubernetes' ..data): its own directory sees the flip.
    fs::path prefix = dir.root_path();
    for (const fs::path& part : dir.relative_path()) {
      prefix /= part;
      if (is_symlink(prefix.string())) {
        (*plan)[prefix.parent_path().string()].names.insert(part.string());
      }
    }
    char target[4096];
    const ssize_t n = readlink(cur.c_str(), target, sizeof(target) - 1);
    if (n <= 0) break;  // not a symlink (or gone): this is the file itself
    target[n] = '\0';
    const fs::path t(target);
    cur = (t.is_absolute() ? t : dir / t).lexically_normal();
  }
  if (w.directory) (*plan)[fs::path(w.path).lexically_normal().string()].any = true;
}

uint64_t mix(uint64_t h, uint64_t v) {
  return fmix64(h ^ v) + 0x9e3779b97f4a7c15ull;
}

uint64_t hash_bytes(uint64_t h, const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = mix(h, w);
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p + i, n - i);
  return mix(mix(h, tail), n);
}

uint64_t hash_text(uint64_t h, const std::string& s) {
  return hash_bytes(h, reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

uint64_t error_fingerprint(int err) {
  return mix(0xe770c0de, static_cast<uint64_t>(err));
}

// The bytes of the regular file at `path` (following symlinks), hashed in 64 KiB blocks.
uint64_t file_fingerprint(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return error_fingerprint(errno);
  constexpr size_t kBlock = 64 * 1024;
  std::unique_ptr<uint8_t[]> buf(new uint8_t[kBlock]);
  uint64_t h = 0xf11e;
  uint64_t total = 0;
  size_t used = 0;
  for (;;) {
    const ssize_t n = read(fd, buf.get() + used, kBlock - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      h = error_fingerprint(errno);
      break;
    }
    used += static_cast<size_t>(n);
    total += static_cast<uint64_t>(n);
    // Whole blocks only (short reads must not change the hash), the rest at the end.
    if (used == kBlock || n == 0 || total >= kMaxFileBytes) {
      h = hash_bytes(h, buf.get(), used);
      used = 0;
    }
    if (n == 0 || total >= kMaxFileBytes) break;
  }
  close(fd);
  return h;
}

// The names in `path` (sorted) and the bytes of those that are regular files.
uint64_t dir_fingerprint(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (d == nullptr) return error_fingerprint(errno);
  std::vector<std::string> names;
  while (const dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    if (names.size() == kMaxDirEntries) break;
    names.emplace_back(e->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  uint64_t h = 0xd1d1;
  for (const std::string& name : names) {
    const std::string full = path + "/" + name;
    struct stat st;
    h = hash_text(h, name);
    if (stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode)) h = mix(h, file_fingerprint(full));
  }
  return h;
}

}  // namespace

FileWatch::FileWatch() {
  fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) error_ = std::string("inotify_init1: ") + strerror(errno);
}

FileWatch::~FileWatch() {
  if (fd_ >= 0) close(fd_);
}

size_t FileWatch::watch(const std::vector<WatchedPath>& paths) {
  if (fd_ < 0) return 0;
  std::map<std::string, Plan> plan;
  for (const WatchedPath& w : paths) plan_path(w, &plan);
  std::map<int, Dir> next;
  for (const auto& [dir, p] : plan) {
    // The same directory reached by two paths (a symlink to it) gets the same descriptor.
    const int wd = inotify_add_watch(fd_, dir.c_str(), kMask);
    if (wd < 0) continue;
    Dir& d = next[wd];
    d.names.insert(p.names.begin(), p.names.end());
    d.any = d.any || p.any;
  }
  // Added first, removed after: no moment without a watch on a directory kept in both.
  for (const auto& [wd, d] : dirs_) {
    if (next.count(wd) == 0) inotify_rm_watch(fd_, wd);
  }
  dirs_ = std::move(next);
  return dirs_.size();
}

bool FileWatch::drain() {
  if (fd_ < 0) return false;
  bool relevant = false;
  alignas(inotify_event) char buf[16384];
  for (;;) {
    const ssize_t n = read(fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: drained
    for (const char* p = buf; p < buf + n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(p);
      p += sizeof(inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) {
        relevant = true;
        continue;
      }
      auto it = dirs_.find(ev->wd);
      if (it == dirs_.end()) continue;  // a directory no longer watched
      if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
        relevant = true;
      } else if (it->second.any || (ev->len > 0 && it->second.names.count(ev->name) != 0)) {
        relevant = true;
      }
    }
  }
  return relevant;
}

uint64_t content_fingerprint(const WatchedPath& p) {
  struct stat st;
  if (stat(p.path.c_str(), &st) != 0) return error_fingerprint(errno);
  return S_ISDIR(st.st_mode) ? dir_fingerprint(p.path) : file_fingerprint(p.path);
}

void Debounce::note(uint64_t now_ns) {
  if (!pending_) first_ns_ = now_ns;
  pending_ = true;
  last_ns_ = now_ns;
}

uint64_t Debounce::due_at() const {
  if (!pending_) return UINT64_MAX;
  return std::min(last_ns_ + quiet_ns_, first_ns_ + 10 * quiet_ns_);
}

}  // namespace sipring
