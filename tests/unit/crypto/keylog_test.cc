// KeyLogFile (crypto/keylog.h): the file is created 0600 and appended to, never truncated;
// links, non-regular files, another user's file and files open to group or others are refused
// with a reason; lines written from many threads at once arrive whole and uninterleaved; a line
// the file does not take is reported with its errno.
#include "crypto/keylog.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sipring {
namespace {

class KeyLogFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sipring-keylog-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    EXPECT_EQ(system(cmd.c_str()), 0);
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  static std::string read(const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  static void write(const std::string& p, const std::string& text, mode_t mode) {
    std::ofstream(p) << text;
    ASSERT_EQ(chmod(p.c_str(), mode), 0);
  }

  std::string dir_;
};

// A line as BoringSSL writes them: label, client random, secret (48 bytes), all in hex.
std::string line_of(int thread, int n) {
  char random[65], secret[97];
  snprintf(random, sizeof(random), "%064x", thread);
  snprintf(secret, sizeof(secret), "%096x", n);
  return std::string("CLIENT_TRAFFIC_SECRET_0 ") + random + " " + secret;
}

TEST_F(KeyLogFileTest, CreatesTheFileWithMode0600WhateverTheUmask) {
  const mode_t old = umask(0);
  auto f = KeyLogFile::open(path("keys.log"));
  umask(old);
  ASSERT_TRUE(f) << f.error().message;
  struct stat st;
  ASSERT_EQ(stat(path("keys.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(f.value()->path(), path("keys.log"));
  EXPECT_EQ(f.value()->append(line_of(1, 1)), 0);
  EXPECT_EQ(read(path("keys.log")), line_of(1, 1) + "\n");
}

TEST_F(KeyLogFileTest, AppendsToAnExistingPrivateFileWithoutTruncatingIt) {
  write(path("keys.log"), "# earlier session\n", 0600);
  auto f = KeyLogFile::open(path("keys.log"));
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f.value()->append(line_of(2, 2)), 0);
  EXPECT_EQ(read(path("keys.log")), "# earlier session\n" + line_of(2, 2) + "\n");
}

TEST_F(KeyLogFileTest, RefusesAFileGroupOrOthersMayRead) {
  for (mode_t mode : {0640, 0604, 0620, 0666}) {
    write(path("open.log"), "", mode);
    auto f = KeyLogFile::open(path("open.log"));
    ASSERT_FALSE(f) << std::oct << mode;
    EXPECT_EQ(f.error().code, Errc::kConfig);
    char want[16];
    snprintf(want, sizeof(want), "mode %04o", mode);
    EXPECT_NE(f.error().message.find(want), std::string::npos) << f.error().message;
    EXPECT_NE(f.error().message.find("chmod 600"), std::string::npos) << f.error().message;
  }
}

TEST_F(KeyLogFileTest, RefusesASymbolicLinkEvenToAPrivateFile) {
  write(path("real.log"), "", 0600);
  ASSERT_EQ(symlink(path("real.log").c_str(), path("link.log").c_str()), 0);
  auto f = KeyLogFile::open(path("link.log"));
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("symbolic link"), std::string::npos) << f.error().message;
}

TEST_F(KeyLogFileTest, RefusesAFifoWithoutWaitingForAReader) {
  ASSERT_EQ(mkfifo(path("fifo").c_str(), 0600), 0);
  // No reader: a blocking open would hang here; O_NONBLOCK makes it fail (ENXIO) at once.
  auto f = KeyLogFile::open(path("fifo"));
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find(path("fifo")), std::string::npos) << f.error().message;
}

TEST_F(KeyLogFileTest, RefusesADirectoryAMissingDirectoryAndAnEmptyName) {
  auto d = KeyLogFile::open(dir_);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("cannot open or create"), std::string::npos)
      << d.error().message;
  auto m = KeyLogFile::open(path("no/such/dir/keys.log"));
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("No such file or directory"), std::string::npos)
      << m.error().message;
  auto e = KeyLogFile::open("");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("tls.keylog_file is not set"), std::string::npos)
      << e.error().message;
}

TEST_F(KeyLogFileTest, RefusesAFileOfAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give a file to another user";
  write(path("theirs.log"), "", 0600);
  ASSERT_EQ(chown(path("theirs.log").c_str(), 65534, 65534), 0);
  auto f = KeyLogFile::open(path("theirs.log"));
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("belongs to user 65534"), std::string::npos)
      << f.error().message;
}

TEST_F(KeyLogFileTest, LinesFromManyThreadsArriveWholeAndUninterleaved) {
  auto f = KeyLogFile::open(path("keys.log"));
  ASSERT_TRUE(f) << f.error().message;
  const KeyLogFile& file = *f.value();
  constexpr int kThreads = 8, kLines = 3000;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&file, &failures, t] {
      for (int n = 0; n < kLines; n++) {
        if (file.append(line_of(t, n)) != 0) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  // Every line is one that was written, each exactly once, and each thread's lines in order.
  std::istringstream in(read(path("keys.log")));
  std::map<int, int> next;  // thread -> next line number expected from it
  std::string line;
  int total = 0;
  while (std::getline(in, line)) {
    ASSERT_EQ(line.size(), line_of(0, 0).size()) << "line " << total << ": " << line;
    const int t = static_cast<int>(strtol(line.substr(24, 64).c_str(), nullptr, 16));
    ASSERT_TRUE(t >= 0 && t < kThreads) << line;
    ASSERT_EQ(line, line_of(t, next[t])) << "line " << total;
    next[t]++;
    total++;
  }
  EXPECT_EQ(total, kThreads * kLines);
}

TEST_F(KeyLogFileTest, ReportsWhyALineWasNotWritten) {
  auto f = KeyLogFile::open(path("keys.log"));
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f.value()->append(std::string(KeyLogFile::kMaxLine + 1, 'a')), EMSGSIZE);
  EXPECT_EQ(f.value()->append(std::string(KeyLogFile::kMaxLine, 'a')), 0);
  // A file size limit stands for a full disk: the write fails with EFBIG and nothing is cut.
  rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  sighandler_t handler = signal(SIGXFSZ, SIG_IGN);
  rlimit small = {KeyLogFile::kMaxLine + 1, old.rlim_max};
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const int err = f.value()->append(line_of(3, 3));
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, handler);
  EXPECT_EQ(err, EFBIG);
  EXPECT_EQ(read(path("keys.log")), std::string(KeyLogFile::kMaxLine, 'a') + "\n");
}

}  // namespace
}  // namespace sipring
