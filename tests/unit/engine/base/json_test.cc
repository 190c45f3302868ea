// Tests of what sipring owns around nlohmann-json (engine/base/json.h): the strict parser's
// refusals (duplicate keys, nesting, size), its number typing and byte offsets, linear time on
// objects with many keys, key order, printing that never throws, and the counters' one JSON form.
#include "engine/base/json.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "sipring/stats.h"

namespace sipring {
namespace {

JsonValue must_parse(std::string_view text) {
  Result<JsonValue> r = parse_json(text);
  EXPECT_TRUE(r.is_ok()) << text << ": " << (r.is_ok() ? "" : r.error().message);
  return r.is_ok() ? r.value() : JsonValue();
}

std::string parse_error(std::string_view text, size_t max_bytes = kJsonDefaultMaxBytes) {
  Result<JsonValue> r = parse_json(text, max_bytes);
  EXPECT_FALSE(r.is_ok()) << "accepted: " << text;
  if (r.is_ok()) return "";
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  return r.error().message;
}

// --- duplicate keys ------------------------------------------------------------------------

TEST(JsonDuplicateKeys, AreRefusedNamingTheKeyAndItsClosingQuote) {
  const std::string msg = parse_error(R"({"a":1,"a":2})");
  EXPECT_NE(msg.find("invalid JSON at byte 9: duplicate object key \"a\""), std::string::npos)
      << msg;
  // At any depth, and after members of every kind.
  EXPECT_NE(parse_error(R"({"x":{"id":1,"m":[1,{}],"id":2}})").find("duplicate object key \"id\""),
            std::string::npos);
  EXPECT_NE(parse_error(R"([{"k":null,"k":null}])").find("\"k\""), std::string::npos);
  // Keys are compared after unescaping: "\u0061" is "a".
  EXPECT_NE(parse_error(R"({"a":1,"\u0061":2})").find("duplicate"), std::string::npos);
}

TEST(JsonDuplicateKeys, TheSameKeyInDifferentObjectsIsFine) {
  JsonValue v = must_parse(R"({"a":{"a":1},"b":[{"a":2},{"a":3}]})");
  EXPECT_EQ(v["a"]["a"], 1);
  EXPECT_EQ(v["b"][1]["a"], 3);
}

TEST(JsonDuplicateKeys, AreFoundInLargeObjectsToo) {
  std::string text = "{";
  for (int i = 0; i < 100; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  EXPECT_EQ(must_parse(text + "\"k100\":0}").size(), 101u);
  const std::string msg = parse_error(text + "\"k42\":0}");
  EXPECT_NE(msg.find("duplicate object key \"k42\""), std::string::npos) << msg;
}

TEST(JsonDuplicateKeys, ALongKeyIsShortenedInTheMessage) {
  const std::string key(1000, 'k');
  const std::string msg = parse_error("{\"" + key + "\":1,\"" + key + "\":2}");
  const std::string shown = std::string("duplicate object key \"").append(key, 0, 64) + "\"";
  EXPECT_NE(msg.find(shown), std::string::npos) << msg;
  EXPECT_LT(msg.size(), 200u) << msg;
}

TEST(JsonDuplicateKeys, ManyKeysParseInLinearTime) {
  // ordered_json's own parser searches the members on every insert: it takes ~18 s over these
  // 90k keys (measured with nlohmann 3.11.2, -O2). Ours appends and checks a hash set.
  std::string text = "{";
  for (int i = 0; i < 90000; ++i) text += std::to_string(i).insert(0, 1, '"') + "\":0,";
  text.back() = '}';
  ASSERT_LT(text.size(), kJsonDefaultMaxBytes);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(must_parse(text).size(), 90000u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

// --- key order -----------------------------------------------------------------------------

TEST(JsonOrder, ParsedAndBuiltObjectsKeepTheirOrder) {
  const JsonValue v = must_parse(R"({"zeta":1,"alpha":{"y":2,"b":3},"mid":[]})");
  EXPECT_EQ(json_text(v), R"({"zeta":1,"alpha":{"y":2,"b":3},"mid":[]})");
  JsonValue built = JsonValue::object();
  built["jsonrpc"] = "2.0";
  built["result"] = 5;
  built["id"] = nullptr;
  built["result"] = 6;  // replacing keeps the position
  EXPECT_EQ(json_text(built), R"({"jsonrpc":"2.0","result":6,"id":null})");
}

TEST(JsonOrder, MemberLookupIsNullWhenAbsentOrNotAnObject) {
  const JsonValue v = must_parse(R"({"a":1})");
  ASSERT_NE(json_member(v, "a"), nullptr);
  EXPECT_EQ(*json_member(v, "a"), 1);
  EXPECT_EQ(json_member(v, "b"), nullptr);
  EXPECT_EQ(json_member(JsonValue(1), "a"), nullptr);
  EXPECT_EQ(json_member(JsonValue::array({1}), "a"), nullptr);
}

// --- numbers -------------------------------------------------------------------------------

TEST(JsonNumbers, IntegersAreInt64OrUint64AndTheRestDoubles) {
  EXPECT_TRUE(must_parse("-9223372036854775808").is_number_integer());
  EXPECT_EQ(must_parse("-9223372036854775808").get<int64_t>(), INT64_MIN);
  const JsonValue big = must_parse("18446744073709551615");
  ASSERT_TRUE(big.is_number_unsigned());
  EXPECT_EQ(big.get<uint64_t>(), UINT64_MAX);
  EXPECT_TRUE(must_parse("18446744073709551616").is_number_float());
  EXPECT_TRUE(must_parse("-9223372036854775809").is_number_float());
  EXPECT_TRUE(must_parse("1.0").is_number_float());
  EXPECT_EQ(must_parse("25e-1").get<double>(), 2.5);
  EXPECT_EQ(must_parse("-0").get<int64_t>(), 0);
  EXPECT_EQ(must_parse("1e-400").get<double>(), 0.0);  // underflow is zero, not an error
}

TEST(JsonNumbers, ADoubleOverflowIsAnError) {
  const std::string msg = parse_error("[1e400]");
  EXPECT_NE(msg.find("invalid JSON at byte 5: number overflow parsing '1e400'"), std::string::npos)
      << msg;
}

TEST(JsonNumbers, PrintInTheirShortestExactForm) {
  EXPECT_EQ(json_text(must_parse("[9223372036854775807,-1,0.1,1e+21,2.0]")),
            "[9223372036854775807,-1,0.1,1e+21,2.0]");
  EXPECT_EQ(json_text(JsonValue(std::nan(""))), "null");
  EXPECT_EQ(json_text(JsonValue(std::numeric_limits<double>::infinity())), "null");
}

// --- errors --------------------------------------------------------------------------------

struct BadCase {
  const char* text;
  size_t offset;     // the last byte read when the problem was found
  const char* says;  // a fragment of the message
};

TEST(JsonInvalid, ErrorsNameTheByteOffsetAndTheProblem) {
  const BadCase cases[] = {
      {"", 0, "unexpected end of input"},
      {"   ", 3, "unexpected end of input"},
      {"[1,2", 4, "expected ']'"},
      {"[1,]", 3, "unexpected ']'"},
      {"{\"a\":1,}", 7, "expected string literal"},
      {"{\"a\" 1}", 5, "expected ':'"},
      {"{a:1}", 1, "object key"},
      {"tru", 3, "invalid literal"},
      {"01", 1, "expected end of input"},
      {"-", 1, "expected digit after '-'"},
      {"1.", 2, "expected digit after '.'"},
      {"NaN", 0, "invalid literal"},
      {"1 2", 2, "expected end of input"},
      {"\"abc", 4, "missing closing quote"},
      {"\"a\nb\"", 2, "control character U+000A (LF) must be escaped"},
      {"\"\\x41\"", 2, "forbidden character after backslash"},
      {"\"\\uDC00\"", 6, "surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF"},
      {"\"\\uD800\"", 7, "must be followed by U+DC00..U+DFFF"},
      {"\"\xFF\"", 1, "ill-formed UTF-8 byte"},
      {"\"\xC0\x80\"", 1, "ill-formed UTF-8 byte"},          // overlong NUL
      {"\"\xED\xA0\x80\"", 2, "ill-formed UTF-8 byte"},      // an encoded surrogate
      {"\"\xF4\x90\x80\x80\"", 2, "ill-formed UTF-8 byte"},  // above U+10FFFF
      {"// c\n1", 0, "invalid literal"},                     // no comments
  };
  for (const BadCase& c : cases) {
    const std::string msg = parse_error(c.text);
    EXPECT_NE(msg.find("invalid JSON at byte " + std::to_string(c.offset) + ": "),
              std::string::npos)
        << "input " << c.text << " -> " << msg;
    EXPECT_NE(msg.find(c.says), std::string::npos) << "input " << c.text << " -> " << msg;
    EXPECT_EQ(msg.find("json.exception"), std::string::npos) << msg;  // our words, not its ids
  }
}

TEST(JsonInvalid, AMessageQuotesAtMostAFewHundredBytesOfTheInput) {
  // nlohmann quotes the token it was reading: here a megabyte-long unterminated string.
  const std::string msg = parse_error(std::string(900000, 'a').insert(0, 1, '"'));
  EXPECT_NE(msg.find("missing closing quote"), std::string::npos) << msg.substr(0, 300);
  EXPECT_LT(msg.size(), 300u);
}

// --- limits --------------------------------------------------------------------------------

TEST(JsonLimits, NestingUpToTheDepthLimitIsAccepted) {
  const std::string ok = std::string(kJsonMaxDepth, '[') + std::string(kJsonMaxDepth, ']');
  EXPECT_TRUE(parse_json(ok).is_ok());
  std::string objects;
  for (int i = 0; i < kJsonMaxDepth - 1; ++i) objects += "{\"a\":";
  objects += "[]" + std::string(kJsonMaxDepth - 1, '}');
  EXPECT_TRUE(parse_json(objects).is_ok());
}

TEST(JsonLimits, NestingBeyondTheDepthLimitIsRefusedAtTheOffendingBracket) {
  const std::string deep =
      std::string(kJsonMaxDepth + 1, '[') + std::string(kJsonMaxDepth + 1, ']');
  const std::string msg = parse_error(deep);
  EXPECT_NE(msg.find("invalid JSON at byte 64: nesting deeper than 64 arrays/objects"),
            std::string::npos)
      << msg;
  std::string objects;
  for (int i = 0; i <= kJsonMaxDepth; ++i) objects += "{\"a\":";
  EXPECT_NE(parse_error(objects + "1" + std::string(kJsonMaxDepth + 1, '}')).find("nesting"),
            std::string::npos);
  // A hostile megabyte of brackets fails at the 65th.
  EXPECT_NE(parse_error(std::string(1 << 20, '[')).find("at byte 64: nesting"), std::string::npos);
}

TEST(JsonLimits, InputSizeLimitIsTheCallers) {
  EXPECT_TRUE(parse_json("[1,2]", 5).is_ok());
  const std::string msg = parse_error("[1,2] ", 5);
  EXPECT_NE(msg.find("6 bytes exceed the limit of 5"), std::string::npos) << msg;
}

// --- printing ------------------------------------------------------------------------------

TEST(JsonText, InvalidUtf8PrintsAsReplacementCharactersInsteadOfThrowing) {
  const std::string out =
      json_text(JsonValue("a\xFF"
                          "b\xC3"));
  EXPECT_EQ(out,
            "\"a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\"");
  EXPECT_TRUE(parse_json(out).is_ok());
}

TEST(JsonText, StringsRoundTripEveryControlCharacterAndUtf8) {
  std::string all;
  for (int c = 0; c < 0x20; ++c) all.push_back(static_cast<char>(c));
  all += "\"\\/\x7f\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  EXPECT_EQ(must_parse(json_text(JsonValue(all))).get<std::string>(), all);
  EXPECT_EQ(must_parse(R"("\uD83D\uDE00")").get<std::string>(), "\xF0\x9F\x98\x80");
}

// --- counters ------------------------------------------------------------------------------

TEST(CountersJson, EveryCounterInTheOrderOfTheList) {
  ReactorStats r;
  r.connections_open = 3;
  r.wakeups = UINT64_MAX;
  const JsonValue j = counters_json(r);
  std::vector<std::string> names;
#define SIPRING_TEST_NAME(name, doc) names.push_back(#name);
  SIPRING_COUNTERS(SIPRING_TEST_NAME)
#undef SIPRING_TEST_NAME
  ASSERT_EQ(j.size(), names.size());
  size_t i = 0;
  for (const auto& m : j.items()) EXPECT_EQ(m.key(), names[i++]);
  EXPECT_EQ(j["connections_open"], 3);
  EXPECT_EQ(j["wakeups"].get<uint64_t>(), UINT64_MAX);
  EXPECT_EQ(j["accepted"], 0);
}

TEST(CountersJson, EngineStatsGiveTheTotalAndEachReactor) {
  EngineStats s;
  s.reactors.resize(2);
  s.reactors[0].accepted = 2;
  s.reactors[1].accepted = 5;
  const JsonValue j = counters_json(s);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j.begin().key(), "total");
  EXPECT_EQ(j["total"]["accepted"], 7);
  ASSERT_EQ(j["reactors"].size(), 2u);
  EXPECT_EQ(j["reactors"][1], counters_json(s.reactors[1]));
}

}  // namespace
}  // namespace sipring
