// TicketKeySource (engine/api/ticket_key_source.h): a refused read changes nothing and is counted
// and logged; an installed file is described by fingerprints only; the 12-hour rotation leaves
// file keys alone and says so; unsetting the file returns to per-process keys.
#include "engine/api/ticket_key_source.h"

#include <gtest/gtest.h>
#include <openssl/base64.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "sipring/log.h"
#include "tests/testing/tls_cfg_text.h"

namespace sipring {
namespace {

class TicketKeySourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    params_.ticket_key_file = tmp_.path() + "/keys";
    set_log_sink(
        [](void* ctx, LogLevel, std::string_view line) {
          auto* self = static_cast<TicketKeySourceTest*>(ctx);
          std::lock_guard<std::mutex> l(self->mu_);
          self->log_.emplace_back(line);
        },
        this);
  }
  void TearDown() override { set_log_sink(nullptr, nullptr); }
  // Writes `n` random 80-byte keys (mode `mode`); returns their base64 lines.
  std::vector<std::string> write_keys(int n, mode_t mode = 0600) {
    std::vector<std::string> lines;
    std::ofstream f(params_.ticket_key_file, std::ios::trunc);
    for (int i = 0; i < n; i++) {
      uint8_t key[80];
      RAND_bytes(key, sizeof(key));
      char b64[120];
      EVP_EncodeBlock(reinterpret_cast<uint8_t*>(b64), key, sizeof(key));
      lines.emplace_back(b64);
      f << b64 << "\n";
    }
    f.close();
    EXPECT_EQ(chmod(params_.ticket_key_file.c_str(), mode), 0);
    return lines;
  }
  std::string log_text() {
    std::lock_guard<std::mutex> l(mu_);
    std::string out;
    for (const std::string& s : log_) out += s + "\n";
    return out;
  }

  test::TempDir tmp_;
  TlsParams params_;
  TicketKeys keys_;
  TicketKeySource source_{&keys_};
  std::mutex mu_;
  std::vector<std::string> log_;
};

TEST_F(TicketKeySourceTest, InstallsAFileAndDescribesItWithoutKeyMaterial) {
  std::vector<std::string> lines = write_keys(4);
  ASSERT_TRUE(source_.reload(params_, "test"));
  TicketKeyInfo k = source_.info();
  EXPECT_EQ(k.file, params_.ticket_key_file);
  EXPECT_EQ(k.keys, 3u);
  EXPECT_EQ(k.file_lines, 4u);
  EXPECT_EQ(k.sealing, 1u);
  EXPECT_EQ(k.bits, 256);
  ASSERT_EQ(k.fingerprints.size(), 3u);
  EXPECT_GT(k.loaded_at, 0);
  EXPECT_EQ(k.loads, 1u);
  EXPECT_TRUE(keys_.from_file());
  const std::string log = log_text();
  EXPECT_NE(
      log.find("test: session-ticket keys from tls.ticket_key_file " + params_.ticket_key_file +
               ": 3 of 4 keys used, AES-256, key 2 (" + k.fingerprints[1] + ") seals"),
      std::string::npos)
      << log;
  for (const std::string& l : lines) EXPECT_EQ(log.find(l.substr(0, 12)), std::string::npos);
}

TEST_F(TicketKeySourceTest, ARefusedReadChangesNothingAndSaysWhy) {
  write_keys(3);
  ASSERT_TRUE(source_.reload(params_, "start"));
  const std::vector<std::string> before = source_.info().fingerprints;
  write_keys(3, 0644);
  Status s = source_.reload(params_, "tls.ticket_keys_reload");
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("chmod 600"), std::string::npos) << s.message();
  TicketKeyInfo k = source_.info();
  EXPECT_EQ(k.fingerprints, before);
  EXPECT_EQ(k.refused, 1u);
  EXPECT_EQ(k.last_error, s.message());
  EXPECT_GT(k.last_error_at, 0);
  EXPECT_NE(log_text().find("the session-ticket keys in use are unchanged"), std::string::npos);
  ReactorStats stats;
  source_.add_counters(&stats);
  EXPECT_EQ(stats.ticket_key_loads, 1u);
  EXPECT_EQ(stats.ticket_key_refused, 1u);
}

TEST_F(TicketKeySourceTest, RotationLeavesFileKeysAloneAndUnsettingGoesBackToPerProcessKeys) {
  source_.rotate();
  EXPECT_EQ(source_.info().rotations, 1u);  // per-process keys rotate
  write_keys(3);
  ASSERT_TRUE(source_.reload(params_, "start"));
  const std::vector<std::string> before = source_.info().fingerprints;
  source_.rotate();
  EXPECT_EQ(source_.info().fingerprints, before);
  EXPECT_EQ(source_.info().rotations, 1u);
  EXPECT_NE(log_text().find("session-ticket key rotation skipped: the keys come from "
                            "tls.ticket_key_file"),
            std::string::npos);
  params_.ticket_key_file.clear();
  ASSERT_TRUE(source_.reload(params_, "tls.reload"));
  TicketKeyInfo k = source_.info();
  EXPECT_EQ(k.file, "");
  EXPECT_EQ(k.keys, 1u);
  EXPECT_FALSE(keys_.from_file());
  EXPECT_NE(log_text().find("back to per-process session-ticket keys"), std::string::npos);
}

}  // namespace
}  // namespace sipring
