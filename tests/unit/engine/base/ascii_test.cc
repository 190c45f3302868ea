// Tests of the locale-free ASCII helpers (engine/base/ascii.h).
#include "engine/base/ascii.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace sipring {
namespace {

TEST(Ascii, ClassesAreTheCLocalesAndIgnoreHighBytes) {
  for (char c : std::string(" \t\n\v\f\r")) EXPECT_TRUE(ascii_isspace(c)) << int(c);
  EXPECT_FALSE(ascii_isspace('x'));
  EXPECT_FALSE(ascii_isspace('\0'));
  EXPECT_TRUE(ascii_isblank(' '));
  EXPECT_TRUE(ascii_isblank('\t'));
  EXPECT_FALSE(ascii_isblank('\r'));
  EXPECT_TRUE(ascii_isdigit('0'));
  EXPECT_TRUE(ascii_isdigit('9'));
  EXPECT_FALSE(ascii_isdigit('a'));
  EXPECT_TRUE(ascii_isalnum('z'));
  EXPECT_TRUE(ascii_isalnum('Z'));
  EXPECT_FALSE(ascii_isalnum('_'));
  // 0xC9 is 'É' in Latin-1: never a letter, never folded.
  EXPECT_FALSE(ascii_isalpha('\xC9'));
  EXPECT_EQ(ascii_tolower('\xC9'), '\xC9');
}

TEST(Ascii, CaseFoldingIsAsciiOnly) {
  EXPECT_EQ(ascii_str_tolower("TLSv1.2+ Server:Default"), "tlsv1.2+ server:default");
  EXPECT_EQ(ascii_str_tolower("\xC9T\xC9"), "\xC9t\xC9");
  EXPECT_EQ(ascii_tolower('@'), '@');  // the byte before 'A'
  EXPECT_EQ(ascii_tolower('['), '[');  // the byte after 'Z'
}

TEST(Ascii, EqualsIgnoreCase) {
  EXPECT_TRUE(equals_ignore_case("Optional_No_CA", "optional_no_ca"));
  EXPECT_TRUE(equals_ignore_case("", ""));
  EXPECT_FALSE(equals_ignore_case("on", "off"));
  EXPECT_FALSE(equals_ignore_case("on", "o"));
  // '@' and '`' differ from each other by 0x20 like 'A' and 'a', but are not letters.
  EXPECT_FALSE(equals_ignore_case("@", "`"));
  EXPECT_TRUE(ends_with_ignore_case("sip.EXAMPLE.org", "example.ORG"));
  EXPECT_FALSE(ends_with_ignore_case("org", "example.org"));
  EXPECT_TRUE(ends_with_ignore_case("x", ""));
}

// The Turkish locale folds 'I' to a dotless 'ı' in some C libraries: these helpers never look.
TEST(Ascii, IndependentOfTheLocale) {
  const char* old = std::setlocale(LC_ALL, nullptr);
  const std::string saved = old != nullptr ? old : "C";
  if (std::setlocale(LC_ALL, "tr_TR.UTF-8") == nullptr) std::setlocale(LC_ALL, "C.UTF-8");
  EXPECT_TRUE(equals_ignore_case("VERIFY_CLIENT", "verify_client"));
  EXPECT_EQ(ascii_str_tolower("I"), "i");
  std::setlocale(LC_ALL, saved.c_str());
}

TEST(Ascii, StripWhitespace) {
  EXPECT_EQ(strip_ascii_whitespace("  \t 0-3 \r\n"), "0-3");
  EXPECT_EQ(strip_ascii_whitespace("a b"), "a b");
  EXPECT_EQ(strip_ascii_whitespace(" \t "), "");
  EXPECT_EQ(strip_ascii_whitespace(""), "");
}

TEST(Ascii, Quotes) {
  EXPECT_EQ(strip_quotes("\"tls.cfg\""), "tls.cfg");
  EXPECT_EQ(strip_quotes("\"\""), "");
  EXPECT_EQ(strip_quotes("\""), "\"");          // one quote is not a pair
  EXPECT_EQ(strip_quotes("\"open"), "\"open");  // nor is an unclosed one
  EXPECT_EQ(strip_quotes("plain"), "plain");
  EXPECT_EQ(in_quotes("a b"), "\"a b\"");
  EXPECT_EQ(in_quotes(""), "\"\"");
}

class ReadFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sipring-ascii-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string dir_;
};

TEST_F(ReadFile, ReadsTheWholeFileIncludingNulBytesAndLargeOnes) {
  const std::string path = dir_ + "/f";
  std::string content(100000, 'x');  // larger than one read
  content[5] = '\0';
  content.back() = '\n';
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(content.data(), 1, content.size(), f);
  std::fclose(f);
  Result<std::string> r = read_file(path);
  ASSERT_TRUE(r.is_ok()) << r.error().message;
  EXPECT_EQ(r.value(), content);
}

TEST_F(ReadFile, EmptyFileIsEmptyText) {
  const std::string path = dir_ + "/empty";
  std::fclose(std::fopen(path.c_str(), "wb"));
  Result<std::string> r = read_file(path);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value(), "");
}

TEST_F(ReadFile, ErrorsAreIoWithTheSystemsReason) {
  Result<std::string> missing = read_file(dir_ + "/absent");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.error().code, Errc::kIo);
  EXPECT_EQ(missing.error().message, "No such file or directory");
  Result<std::string> dir = read_file(dir_);
  ASSERT_FALSE(dir.is_ok());
  EXPECT_EQ(dir.error().code, Errc::kIo);
  EXPECT_EQ(dir.error().message, "Is a directory");
}

}  // namespace
}  // namespace sipring
