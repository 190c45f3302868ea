// Watching files for replacement, the way certificates are renewed: certbot writes a temporary
// file and renames it over the old one, or points a symlink at a new file in its archive;
// Kubernetes flips a "..data" symlink to a new directory. Watching the files themselves sees
// none of that (a rename replaces the inode being watched), so FileWatch watches the
// DIRECTORIES that hold them, and every directory holding a symlink on the way to them, and
// keeps of each directory's events only those naming an entry that leads to a watched file.
//
// FileWatch only says "something relevant may have changed"; whether it did is decided by
// comparing content fingerprints (content_fingerprint), so an event that changed nothing (a
// touch, an editor's backup file, a renewal that wrote the same bytes) costs nothing more.
// Debounce turns a burst of events (a renewal writes several files) into one action.
//
// Not thread-safe: one thread owns a FileWatch. It blocks nowhere: poll fd() yourself.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sipring/result.h"

namespace sipring {

// A file to watch, or a directory whose entries all count (a CA directory, a tls.cfg folder).
struct WatchedPath {
  std::string path;
  bool directory = false;
};

class FileWatch {
 public:
  FileWatch();
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

  // The inotify descriptor (non-blocking): readable when events wait. -1 if inotify failed, in
  // which case error() says why and watch() does nothing.
  int fd() const { return fd_; }
  const std::string& error() const { return error_; }

  // Replaces what is watched by `paths`. For each path: its directory, with the path's name;
  // every directory on the way that holds a symlink (to the file or to a directory above it),
  // with the symlink's name, following up to 8 links; for a directory path also the directory
  // itself, with every name. Directories that do not exist (yet) are skipped: a path that
  // appears later under one is seen at the next watch() (after the next reload). Returns the
  // number of directories watched.
  size_t watch(const std::vector<WatchedPath>& paths);

  // Reads every pending event without blocking. True when one names a watched entry, a watched
  // directory itself went away or moved, or the kernel's queue overflowed (events were lost).
  bool drain();

 private:
  struct Dir {
    std::set<std::string> names;  // entries that lead to a watched path
    bool any = false;             // every entry counts
  };
  int fd_ = -1;
  std::string error_;
  std::map<int, Dir> dirs_;  // by watch descriptor
};

// A fingerprint of what `p` holds now: a 64-bit hash of the file's bytes (following symlinks),
// or of a directory's entry names and their bytes (not recursive), or of the error that stops
// reading it (a missing or unreadable file has a fingerprint too, so becoming readable is a
// change). Reads at most 64 MiB of a file. Not cryptographic: it detects edits, not attacks
// (whoever can write the files can replace the certificate anyway).
uint64_t content_fingerprint(const WatchedPath& p);

// When a burst of changes is over: `quiet_ns` after the last change, or `10 * quiet_ns` after
// the first one if the changes never pause (so a file rewritten every few milliseconds is still
// picked up). Times are CLOCK_MONOTONIC nanoseconds.
class Debounce {
 public:
  explicit Debounce(uint64_t quiet_ns) : quiet_ns_(quiet_ns) {}
  void set_quiet(uint64_t quiet_ns) { quiet_ns_ = quiet_ns; }
  // A change was seen at `now_ns`.
  void note(uint64_t now_ns);
  bool pending() const { return pending_; }
  // When the burst counts as over; UINT64_MAX when nothing is pending.
  uint64_t due_at() const;
  bool due(uint64_t now_ns) const { return pending_ && now_ns >= due_at(); }
  void reset() { pending_ = false; }

 private:
  uint64_t quiet_ns_;
  uint64_t first_ns_ = 0;
  uint64_t last_ns_ = 0;
  bool pending_ = false;
};

}  // namespace sipring
