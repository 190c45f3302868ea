// The tls.ticket_key_file loader (crypto/ticket_key_file.h): HAProxy's tls-ticket-keys format
// byte for byte (48- and 80-byte keys, name then AES key then HMAC key), the last `count` lines
// used with the second-to-last sealing, every malformed file refused with its line and reason
// and without quoting key material, and the file checks of a file of secrets.
#include "crypto/ticket_key_file.h"

#include <gtest/gtest.h>
#include <openssl/base64.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/testing/tls_cfg_text.h"

namespace sipring {
namespace {

// `n` bytes counting up from `first`: every byte of a key says where it came from.
std::vector<uint8_t> counting(size_t n, uint8_t first) {
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i < n; i++) b[i] = static_cast<uint8_t>(first + i);
  return b;
}

std::string base64(const std::vector<uint8_t>& b) {
  size_t len = 0;
  EVP_EncodedLength(&len, b.size());
  std::string out(len, '\0');
  const size_t n = EVP_EncodeBlock(reinterpret_cast<uint8_t*>(out.data()), b.data(), b.size());
  out.resize(n);
  return out;
}

// A key line of `size` bytes whose bytes start at `first` (first = 16 * k keeps names unique).
std::string line(size_t size, uint8_t first) {
  return base64(counting(size, first));
}

std::string bytes(const uint8_t* p, size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}

Result<TicketKeyFile> parse(const std::string& text, size_t count = 3) {
  return parse_ticket_keys(text, "/keys", count);
}

// The error message of parsing `text`, which must be refused; it never quotes a key line.
std::string refusal(const std::string& text, size_t count = 3) {
  auto r = parse(text, count);
  EXPECT_FALSE(r);
  if (r) return "";
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string l = text.substr(start, end - start);
    if (l.size() >= 16) {
      EXPECT_EQ(r.error().message.find(l.substr(0, 16)), std::string::npos)
          << "key material in: " << r.error().message;
    }
    start = end + 1;
  }
  EXPECT_EQ(r.error().code, Errc::kConfig);
  return r.error().message;
}

// `k` holds the line `want` as the header lays it out: name, then AES key, then HMAC key, the
// two keys of equal size (16 bytes in a 48-byte line, 32 in an 80-byte one).
void expect_layout(const TicketKeys::Key& k, const std::vector<uint8_t>& want) {
  const size_t half = (want.size() - 16) / 2;
  EXPECT_EQ(bytes(k.name, 16), bytes(want.data(), 16));
  EXPECT_EQ(bytes(k.aes, half), bytes(want.data() + 16, half));
  EXPECT_EQ(bytes(k.hmac, half), bytes(want.data() + 16 + half, half));
  EXPECT_EQ(k.aes_len, half);
  EXPECT_EQ(k.hmac_len, half);
}

TEST(TicketKeyFileParse, FortyEightByteKeysAreNameThenAes128ThenHmac) {
  auto r = parse(line(48, 0) + "\n" + line(48, 64) + "\n" + line(48, 128) + "\n");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->keys.size(), 3u);
  EXPECT_EQ(r->bits, 128);
  EXPECT_EQ(r->lines, 3u);
  EXPECT_EQ(r->sealing, 1u);  // the second-to-last line
  expect_layout(r->keys[1], counting(48, 64));
}

TEST(TicketKeyFileParse, EightyByteKeysAreNameThenAes256ThenHmac32) {
  auto r = parse(line(80, 0) + "\n" + line(80, 80) + "\n" + line(80, 160));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->keys.size(), 3u);
  EXPECT_EQ(r->bits, 256);
  expect_layout(r->keys[2], counting(80, 160));
}

TEST(TicketKeyFileParse, OnlyTheLastCountLinesAreUsedAsInHaproxy) {
  std::string text;
  for (int i = 0; i < 5; i++) text += line(48, static_cast<uint8_t>(48 * i)) + "\r\n";
  auto r = parse(text);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->lines, 5u);
  ASSERT_EQ(r->keys.size(), 3u);
  // Lines 3, 4, 5 in file order; line 4 seals.
  for (int i = 0; i < 3; i++) EXPECT_EQ(r->keys[i].name[0], 48 * (i + 2)) << i;
  EXPECT_EQ(r->sealing, 1u);

  auto one = parse(text, 1);
  ASSERT_TRUE(one) << one.error().message;
  ASSERT_EQ(one->keys.size(), 1u);
  EXPECT_EQ(one->keys[0].name[0], 48 * 4);  // count 1: the last line, which seals
  EXPECT_EQ(one->sealing, 0u);

  auto five = parse(text, 5);
  ASSERT_TRUE(five) << five.error().message;
  EXPECT_EQ(five->sealing, 3u);
}

TEST(TicketKeyFileParse, RefusesEveryMalformedFileNamingTheLine) {
  const std::string a = line(48, 0), b = line(48, 64), c = line(48, 128);
  EXPECT_NE(refusal("").find("is empty"), std::string::npos);
  EXPECT_NE(refusal(a + "\n\n" + b + "\n" + c).find("line 2: blank line"), std::string::npos);
  EXPECT_NE(refusal(a + "\n" + b + "\n" + c + "\n\n").find("line 4: blank line"),
            std::string::npos);
  EXPECT_NE(refusal(a + "\n" + b + " \n" + c).find("line 2: not base64: column 65"),
            std::string::npos);
  EXPECT_NE(refusal("# keys\n" + a + "\n" + b + "\n" + c).find("line 1: not base64: column 1"),
            std::string::npos);
  EXPECT_NE(refusal(a + "\n" + b + "\n" + c.substr(0, 63)).find("line 3: not base64: 63 "),
            std::string::npos);
  EXPECT_NE(refusal(a + "\n" + "AA==" + b.substr(4) + "\n" + c).find("line 2: not base64: '='"),
            std::string::npos);
  EXPECT_NE(refusal(a + "\n" + line(32, 64) + "\n" + c).find("line 2: decodes to 32 bytes"),
            std::string::npos);
  EXPECT_NE(refusal(a + "\n" + line(49, 64) + "\n" + c).find("line 2: decodes to 49 bytes"),
            std::string::npos);
  EXPECT_NE(refusal(a + "\n" + b + "\n" + line(80, 128))
                .find("line 3: a 80-byte key, but line 1 holds a 48-byte one"),
            std::string::npos);
  EXPECT_NE(refusal(a + "\n" + b + "\n" + line(300, 1)).find("line 3: 400 base64 characters"),
            std::string::npos);
  EXPECT_NE(refusal(a + "\n" + b + "\n").find("holds 2 key(s): at least tls.ticket_key_count=3"),
            std::string::npos);
  EXPECT_NE(refusal(a + "\n" + b + "\n" + a)
                .find("line 3: the same key name (first 16 bytes) as "
                      "line 1"),
            std::string::npos);
  // The first error wins, and names tls.ticket_key_file and the file.
  EXPECT_EQ(refusal("x\n").rfind("tls.ticket_key_file /keys line 1: ", 0), 0u);
}

TEST(TicketKeyFileParse, FingerprintIsTheFirstFourBytesOfSha256OfTheName) {
  auto r = parse(line(48, 0) + "\n" + line(48, 64) + "\n" + line(48, 128));
  ASSERT_TRUE(r);
  uint8_t d[SHA256_DIGEST_LENGTH];
  SHA256(r->keys[0].name, 16, d);
  char want[9];
  snprintf(want, sizeof(want), "%02x%02x%02x%02x", d[0], d[1], d[2], d[3]);
  EXPECT_EQ(ticket_key_fingerprint(r->keys[0]), want);
  EXPECT_NE(ticket_key_fingerprint(r->keys[0]), ticket_key_fingerprint(r->keys[1]));
}

class TicketKeyFileRead : public ::testing::Test {
 protected:
  void SetUp() override { text_ = line(80, 0) + "\n" + line(80, 80) + "\n" + line(80, 160) + "\n"; }
  std::string write(const std::string& name, const std::string& text, mode_t mode) {
    const std::string p = tmp_.write(name, text);
    EXPECT_EQ(chmod(p.c_str(), mode), 0);
    return p;
  }
  test::TempDir tmp_;
  const std::string& dir_ = tmp_.path();
  std::string text_;
};

TEST_F(TicketKeyFileRead, ReadsAPrivateFileAndFollowsSymbolicLinks) {
  const std::string p = write("keys", text_, 0600);
  auto r = read_ticket_key_file(p, 3);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->bits, 256);
  EXPECT_EQ(r->keys.size(), 3u);
  const std::string link = dir_ + "/current";
  ASSERT_EQ(symlink(p.c_str(), link.c_str()), 0);
  auto l = read_ticket_key_file(link, 3);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(bytes(l->keys[1].aes, 32), bytes(r->keys[1].aes, 32));
  // Owner-only read (0400) is fine too.
  EXPECT_TRUE(read_ticket_key_file(write("ro", text_, 0400), 3));
}

TEST_F(TicketKeyFileRead, RefusesAFileGroupOrOthersMayAccessNamingTheModeAndTheFix) {
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
    const std::string p = write("keys", text_, mode);
    auto r = read_ticket_key_file(p, 3);
    ASSERT_FALSE(r) << std::oct << mode;
    char m[8];
    snprintf(m, sizeof(m), "%04o", mode);
    EXPECT_NE(r.error().message.find(std::string("has mode ") + m), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("chmod 600"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("tls.ticket_key_file " + p), std::string::npos);
  }
}

TEST_F(TicketKeyFileRead, RefusesWhatIsNotARegularPrivateFile) {
  auto missing = read_ticket_key_file(dir_ + "/none", 3);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("cannot open it: No such file"), std::string::npos);
  ASSERT_EQ(chmod(dir_.c_str(), 0700), 0);
  auto dir = read_ticket_key_file(dir_, 3);
  ASSERT_FALSE(dir);
  EXPECT_NE(dir.error().message.find("is not a regular file"), std::string::npos)
      << dir.error().message;
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto f = read_ticket_key_file(fifo, 3);  // must not wait for a writer
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("is not a regular file"), std::string::npos);
}

TEST_F(TicketKeyFileRead, RefusesAFileOverTheSizeBound) {
  std::string big;
  while (big.size() <= TicketKeyFile::kMaxFileBytes) big += line(80, 0) + "\n";
  auto r = read_ticket_key_file(write("big", big, 0600), 3);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("is larger than 65536 bytes"), std::string::npos)
      << r.error().message;
}

TEST_F(TicketKeyFileRead, RefusesAnotherUsersFileButNotRoots) {
  if (geteuid() != 0) GTEST_SKIP() << "SKIP: needs root to chown the file";
  const std::string p = write("keys", text_, 0600);
  ASSERT_EQ(chown(p.c_str(), 65534, 65534), 0);
  auto r = read_ticket_key_file(p, 3);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("belongs to user 65534"), std::string::npos)
      << r.error().message;
  ASSERT_EQ(chown(p.c_str(), 0, 0), 0);
  EXPECT_TRUE(read_ticket_key_file(p, 3));  // root's own file (euid 0 here)
}

}  // namespace
}  // namespace sipring
