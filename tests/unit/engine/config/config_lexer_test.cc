// Tests of the config file's lexer (engine/config/config_lexer.h): comments, strings and
// dialect lines, seen through parse_config_text.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "engine/config/config_registry.h"
#include "sipring/config.h"
#include "tests/testing/config_text.h"

namespace sipring {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace ::sipring::test;  // NOLINT: the config test helpers

TEST(ConfigFile, CommentForms) {
  Config c = must_parse(
      "# a full-line comment\n"
      "loadmodule \"tls.so\" # end-of-line comment\n"
      "// a C++ comment\n"
      "modparam(\"tls\", \"certificate\", \"c#1.pem\") // '#' inside a string is kept\n"
      "/* a block\n"
      "   comment over lines /* nested */ still comment\n"
      "   enable_tls=no */\n"
      "enable_tls=yes /* inline */ listen=tls:127.0.0.1:5061#tail\n"
      "##!define X 1\n"
      "modparam(\"tls\", \"cipher_list\", \"HIGH//x\")\n");
  EXPECT_EQ(c.tls.profile.certificate, "/etc/sipring/c#1.pem");
  EXPECT_EQ(c.tls.profile.cipher_list, "HIGH//x");
  EXPECT_TRUE(c.enable_tls);
  ASSERT_EQ(c.listen.size(), 1u);
}

TEST(ConfigFile, LineNumbersCountCommentLines) {
  EXPECT_THAT(parse_error("/*\n\n*/\n# x\n// y\ndebug=3\n"), StartsWith("sipring.cfg:6: "));
}

TEST(ConfigFile, UnterminatedBlockCommentNamesTheLineItOpens) {
  EXPECT_THAT(parse_error("loadmodule \"tls.so\"\n/* never\nclosed\n"),
              AllOf(StartsWith("sipring.cfg:2: "), HasSubstr("never closed")));
}

TEST(ConfigFile, UnterminatedStringIsRefused) {
  EXPECT_THAT(parse_error("loadmodule \"tls.so\nenable_tls=yes\n"),
              AllOf(StartsWith("sipring.cfg:1: "), HasSubstr("string is not closed")));
}

TEST(ConfigFile, DialectLinesAcceptedFirst) {
  for (const char* first : {"#!KAMAILIO", "#!SER", "#!SIP-router"}) {
    must_parse(std::string(first) + "\n" + kMinimal);
    must_parse(std::string("# header comment\n") + first + "\n" + kMinimal);
  }
  EXPECT_THAT(parse_error(kMinimal + "#!KAMAILIO\n"),
              AllOf(StartsWith("sipring.cfg:5: "), HasSubstr("must come first")));
}

TEST(ConfigFile, OtherPreprocessorDirectivesAreRefused) {
  EXPECT_THAT(parse_error("#!KAMAILIO\n#!define WITH_TLS\n"),
              AllOf(StartsWith("sipring.cfg:2: "), HasSubstr("#!define"),
                    HasSubstr("not supported by sipring")));
  EXPECT_THAT(parse_error("#!ifdef WITH_TLS\n"), HasSubstr("preprocessor directive"));
  EXPECT_THAT(parse_error("#!include_file \"x.cfg\"\n"), HasSubstr("preprocessor directive"));
  EXPECT_THAT(parse_error("!!define X\n"), HasSubstr("preprocessor directive"));
}

}  // namespace
}  // namespace sipring
