// FileWatch, content_fingerprint and Debounce (engine/io/file_watch.h): the ways certificates
// are renewed in practice (rename into place, certbot's symlink, Kubernetes' ..data flip) are
// seen, unrelated entries of the same directory are not, and bursts become one action.
#include "engine/io/file_watch.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace sipring {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "sipring-fw.XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& leaf) const { return path_ + "/" + leaf; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Writes a temporary file and renames it over `path`, as certbot and most deploy tools do.
void replace_file(const std::string& path, const std::string& text) {
  write_file(path + ".tmp", text);
  fs::rename(path + ".tmp", path);
}

// Waits (bounded: 2 s) for events and drains them: whether one was relevant.
bool saw_change(FileWatch& w) {
  bool relevant = false;
  for (int i = 0; i < 20; i++) {
    pollfd p = {w.fd(), POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) {
      if (relevant) break;
      continue;
    }
    relevant = w.drain() || relevant;
  }
  return relevant;
}

TEST(FileWatch, RenameIntoPlaceIsSeenAndNeighboursAreNot) {
  TempDir dir;
  write_file(dir / "cert.pem", "one");
  FileWatch w;
  ASSERT_GE(w.fd(), 0) << w.error();
  EXPECT_EQ(w.watch({{dir / "cert.pem", false}}), 1u);
  write_file(dir / "unrelated.log", "noise");
  EXPECT_FALSE(saw_change(w)) << "an entry leading to no watched file";
  replace_file(dir / "cert.pem", "two");
  EXPECT_TRUE(saw_change(w));
  write_file(dir / "cert.pem", "three");  // in place: IN_CLOSE_WRITE
  EXPECT_TRUE(saw_change(w));
}

TEST(FileWatch, FileCreatedLaterIsSeen) {
  TempDir dir;
  FileWatch w;
  w.watch({{dir / "later.pem", false}});
  write_file(dir / "later.pem", "now");
  EXPECT_TRUE(saw_change(w));
}

TEST(FileWatch, CertbotSymlinkSwapIsSeen) {
  TempDir dir;
  fs::create_directories(dir / "archive");
  fs::create_directories(dir / "live");
  write_file(dir / "archive/cert1.pem", "one");
  fs::create_symlink("../archive/cert1.pem", dir / "live/cert.pem");
  FileWatch w;
  // live/ (the symlink) and archive/ (its target).
  EXPECT_EQ(w.watch({{dir / "live/cert.pem", false}}), 2u);
  write_file(dir / "archive/cert2.pem", "two");
  EXPECT_FALSE(saw_change(w)) << "a new archive file nothing points at yet";
  fs::create_symlink("../archive/cert2.pem", dir / "live/cert.pem.tmp");
  fs::rename(dir / "live/cert.pem.tmp", dir / "live/cert.pem");
  EXPECT_TRUE(saw_change(w));
  EXPECT_EQ(content_fingerprint({dir / "live/cert.pem", false}),
            content_fingerprint({dir / "archive/cert2.pem", false}));
}

TEST(FileWatch, KubernetesDataFlipIsSeen) {
  TempDir dir;
  fs::create_directories(dir / "..2026_a");
  write_file(dir / "..2026_a/tls.crt", "one");
  fs::create_directory_symlink("..2026_a", dir / "..data");
  fs::create_symlink("..data/tls.crt", dir / "tls.crt");
  FileWatch w;
  w.watch({{dir / "tls.crt", false}});
  const uint64_t before = content_fingerprint({dir / "tls.crt", false});
  // What kubelet does: a new timestamped directory, a new ..data_tmp link renamed over ..data,
  // the old directory removed.
  fs::create_directories(dir / "..2026_b");
  write_file(dir / "..2026_b/tls.crt", "two");
  fs::create_directory_symlink("..2026_b", dir / "..data_tmp");
  fs::rename(dir / "..data_tmp", dir / "..data");
  fs::remove_all(dir / "..2026_a");
  EXPECT_TRUE(saw_change(w));
  EXPECT_NE(content_fingerprint({dir / "tls.crt", false}), before);
}

TEST(FileWatch, DirectoryCountsEveryEntry) {
  TempDir dir;
  fs::create_directories(dir / "ca");
  FileWatch w;
  w.watch({{dir / "ca", true}});
  const uint64_t before = content_fingerprint({dir / "ca", true});
  write_file(dir / "ca/1a2b3c4d.0", "a CA");
  EXPECT_TRUE(saw_change(w));
  EXPECT_NE(content_fingerprint({dir / "ca", true}), before);
}

TEST(FileWatch, WatchReplacesTheSet) {
  TempDir dir;
  write_file(dir / "a.pem", "a");
  write_file(dir / "b.pem", "b");
  FileWatch w;
  w.watch({{dir / "a.pem", false}});
  w.watch({{dir / "b.pem", false}});
  replace_file(dir / "a.pem", "a2");
  EXPECT_FALSE(saw_change(w));
  replace_file(dir / "b.pem", "b2");
  EXPECT_TRUE(saw_change(w));
}

TEST(ContentFingerprint, FollowsContentNotTimes) {
  TempDir dir;
  write_file(dir / "f", "same bytes");
  const uint64_t a = content_fingerprint({dir / "f", false});
  replace_file(dir / "f", "same bytes");
  EXPECT_EQ(content_fingerprint({dir / "f", false}), a) << "rewritten with the same bytes";
  write_file(dir / "f", "other bytes");
  EXPECT_NE(content_fingerprint({dir / "f", false}), a);
  const uint64_t missing = content_fingerprint({dir / "none", false});
  EXPECT_NE(missing, a);
  EXPECT_EQ(content_fingerprint({dir / "none", false}), missing);
  write_file(dir / "big", std::string(200000, 'x'));
  const uint64_t big = content_fingerprint({dir / "big", false});
  write_file(dir / "big", std::string(199999, 'x') + "y");
  EXPECT_NE(content_fingerprint({dir / "big", false}), big) << "a change past the first block";
}

TEST(Debounce, WaitsForQuietThenFires) {
  Debounce d(100);
  EXPECT_FALSE(d.pending());
  EXPECT_EQ(d.due_at(), UINT64_MAX);
  d.note(1000);
  EXPECT_EQ(d.due_at(), 1100u);
  d.note(1050);
  EXPECT_EQ(d.due_at(), 1150u);
  EXPECT_FALSE(d.due(1149));
  EXPECT_TRUE(d.due(1150));
  d.reset();
  EXPECT_FALSE(d.due(5000));
}

TEST(Debounce, ChangesThatNeverPauseFireAfterTenQuietTimes) {
  Debounce d(100);
  uint64_t t = 1000;
  for (int i = 0; i < 30; i++, t += 50) d.note(t);  // every 50: never 100 quiet
  EXPECT_EQ(d.due_at(), 2000u);
  EXPECT_TRUE(d.due(2000));
}

}  // namespace
}  // namespace sipring
