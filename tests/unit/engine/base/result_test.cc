// Tests of sipring/result.h and engine/base/error_format.h: error code names, the Error
// builders, and what a Result accepts as an error.
#include "sipring/result.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "engine/base/error_format.h"

namespace sipring {
namespace {

TEST(ResultHelpers, ErrcNamesAreStable) {
  EXPECT_STREQ(errc_name(Errc::kOk), "ok");
  EXPECT_STREQ(errc_name(Errc::kConfig), "config");
  EXPECT_STREQ(errc_name(Errc::kUnknownConnection), "unknown-connection");
  EXPECT_STREQ(errc_name(Errc::kQueueFull), "queue-full");
  EXPECT_STREQ(errc_name(static_cast<Errc>(200)), "unknown-error");
}

TEST(ResultHelpers, MakeErrorFormats) {
  Error e = make_error(Errc::kConfig, "%s:%d: %s", "f.cfg", 7, std::string(300, 'x').c_str());
  EXPECT_EQ(e.code, Errc::kConfig);
  EXPECT_EQ(e.message, "f.cfg:7: " + std::string(300, 'x'));
}

TEST(ResultHelpers, FormatErrorFormatsStringsViewsAndNumbers) {
  const std::string file = "f.cfg";
  const std::string_view reason = "x";
  Error e = format_error(Errc::kConfig, "{}:{}: {} \"{}\"", file, 7, std::string(300, 'y'), reason);
  EXPECT_EQ(e.code, Errc::kConfig);
  EXPECT_EQ(e.message, "f.cfg:7: " + std::string(300, 'y') + " \"x\"");
  EXPECT_EQ(format_error(Errc::kTls, "no arguments").message, "no arguments");
  EXPECT_EQ(format_error(Errc::kIo, "{{}} stays {}", 1).message, "{} stays 1");
}

TEST(ResultHelpers, ResultCarriesTheErrorOfAStatus) {
  Result<int> r = Status(format_error(Errc::kIo, "disk {}", "full"));
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.error().code, Errc::kIo);
  EXPECT_EQ(r.status().message(), "disk full");
}

// result.h: a Result holds a value or a real error. Building one from an OK Status (or an Error
// with Errc::kOk) is a caller's bug that would otherwise read as a failure without a reason, so
// it aborts, saying why.
TEST(ResultDeathTest, BuildingAResultFromAnOkStatusAborts) {
  EXPECT_DEATH(
      {
        Result<int> r = Status::ok();
        (void)r;
      },
      "built from an OK Status");
  EXPECT_DEATH(
      {
        Result<int> r = Error{};
        (void)r;
      },
      "built from an OK Status");
}

}  // namespace
}  // namespace sipring
