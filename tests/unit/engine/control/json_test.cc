// Tests of the control plane's JSON: values, the strict RFC 8259 parser (with the byte offsets
// of its errors and its limits) and the compact and pretty serializers.
#include "engine/control/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

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

// --- values --------------------------------------------------------------------------------

TEST(JsonValue, ConstructorsPickTheType) {
  EXPECT_TRUE(JsonValue().is_null());
  EXPECT_TRUE(JsonValue(nullptr).is_null());
  EXPECT_TRUE(JsonValue(true).is_bool());
  EXPECT_TRUE(JsonValue(7).is_int());
  EXPECT_TRUE(JsonValue(uint16_t{7}).is_int());
  EXPECT_TRUE(JsonValue(int64_t{-7}).is_int());
  EXPECT_TRUE(JsonValue(7.5).is_double());
  EXPECT_TRUE(JsonValue("x").is_string());
  EXPECT_TRUE(JsonValue(std::string_view("x")).is_string());
  EXPECT_TRUE(JsonValue::array().is_array());
  EXPECT_TRUE(JsonValue::object().is_object());
  EXPECT_EQ(JsonValue(3).as_double(), 3.0);
}

TEST(JsonValue, SetReplacesInPlaceAndAppendsNewKeys) {
  JsonValue o = JsonValue::object();
  o.set("b", 1);
  o.set("a", 2);
  o.set("b", "three");
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o.as_object()[0].first, "b");
  EXPECT_EQ(o.as_object()[0].second, JsonValue("three"));
  EXPECT_EQ(o.as_object()[1].first, "a");
  ASSERT_NE(o.find("a"), nullptr);
  EXPECT_EQ(o.find("a")->as_int(), 2);
  EXPECT_EQ(o.find("zzz"), nullptr);
  EXPECT_EQ(JsonValue(1).find("a"), nullptr);
  EXPECT_EQ(JsonValue(1).size(), 0u);
}

TEST(JsonValue, IntAndDoubleAreDifferentValues) {
  EXPECT_NE(JsonValue(1), JsonValue(1.0));
  EXPECT_EQ(JsonValue(JsonArray{1, "a"}), JsonValue(JsonArray{1, "a"}));
  EXPECT_NE(JsonValue(JsonObject{{"a", 1}, {"b", 2}}), JsonValue(JsonObject{{"b", 2}, {"a", 1}}));
}

// --- round trips ---------------------------------------------------------------------------

TEST(JsonRoundTrip, CompactOutputParsesBackToTheSameValue) {
  const char* texts[] = {
      "null",
      "true",
      "false",
      "0",
      "-1",
      "9223372036854775807",
      "-9223372036854775808",
      "1.5",
      "-0.25",
      "1e+21",
      "1.0",
      "\"\"",
      "\"hello\"",
      "[]",
      "{}",
      "[1,\"two\",3.5,null,true,[],{}]",
      "{\"z\":1,\"a\":{\"nested\":[1,{\"deep\":\"x\"}]},\"m\":null}",
      "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"",
  };
  for (const char* text : texts) {
    JsonValue v = must_parse(text);
    EXPECT_EQ(to_json(v), text);
    EXPECT_EQ(must_parse(to_json(v)), v) << text;
    EXPECT_EQ(must_parse(to_json_pretty(v)), v) << text;
  }
}

TEST(JsonRoundTrip, ObjectsKeepInsertionOrder) {
  JsonValue v = must_parse(R"({"zeta":1,"alpha":2,"mid":3})");
  const JsonObject& o = v.as_object();
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(o[0].first, "zeta");
  EXPECT_EQ(o[1].first, "alpha");
  EXPECT_EQ(o[2].first, "mid");
}

TEST(JsonRoundTrip, WhitespaceAroundTokensIsAccepted) {
  JsonValue v = must_parse(" \t\r\n{ \"a\" : [ 1 , 2 ] ,\n\"b\":true } \n");
  EXPECT_EQ(to_json(v), R"({"a":[1,2],"b":true})");
}

TEST(JsonRoundTrip, DoublesKeepTheirTypeAndValue) {
  for (double d : {0.1, 1.0, -2.0, 1e300, 5e-324, 123456789.125, 1e21, 0.0}) {
    JsonValue back = must_parse(to_json(JsonValue(d)));
    ASSERT_TRUE(back.is_double()) << to_json(JsonValue(d));
    EXPECT_EQ(back.as_double(), d);
  }
  EXPECT_EQ(to_json(JsonValue(2.0)), "2.0");
  EXPECT_EQ(to_json(JsonValue(0.5)), "0.5");
  EXPECT_EQ(to_json(JsonValue(std::nan(""))), "null");
  EXPECT_EQ(to_json(JsonValue(std::numeric_limits<double>::infinity())), "null");
}

// --- numbers -------------------------------------------------------------------------------

TEST(JsonNumbers, IntegersThatFitInt64StayInt64) {
  EXPECT_EQ(must_parse("9223372036854775807").as_int(), INT64_MAX);
  EXPECT_EQ(must_parse("-9223372036854775808").as_int(), INT64_MIN);
  EXPECT_EQ(must_parse("-0").as_int(), 0);
  JsonValue big = must_parse("9223372036854775808");
  ASSERT_TRUE(big.is_double());
  EXPECT_EQ(big.as_double(), 9223372036854775808.0);
}

TEST(JsonNumbers, FractionsAndExponentsAreDoubles) {
  EXPECT_TRUE(must_parse("1.0").is_double());
  EXPECT_EQ(must_parse("1e3").as_double(), 1000.0);
  EXPECT_EQ(must_parse("1E+3").as_double(), 1000.0);
  EXPECT_EQ(must_parse("25e-1").as_double(), 2.5);
  EXPECT_EQ(must_parse("1e-400").as_double(), 0.0);  // underflow is zero, not an error
  EXPECT_NE(parse_error("1e400").find("out of range"), std::string::npos);
}

// --- strings and escapes -------------------------------------------------------------------

TEST(JsonStrings, EveryEscapeDecodes) {
  EXPECT_EQ(must_parse(R"("\"")").as_string(), "\"");
  EXPECT_EQ(must_parse(R"("\\")").as_string(), "\\");
  EXPECT_EQ(must_parse(R"("\/")").as_string(), "/");
  EXPECT_EQ(must_parse(R"("\b")").as_string(), "\b");
  EXPECT_EQ(must_parse(R"("\f")").as_string(), "\f");
  EXPECT_EQ(must_parse(R"("\n")").as_string(), "\n");
  EXPECT_EQ(must_parse(R"("\r")").as_string(), "\r");
  EXPECT_EQ(must_parse(R"("\t")").as_string(), "\t");
  EXPECT_EQ(must_parse(R"("\u0041")").as_string(), "A");
  EXPECT_EQ(must_parse(R"("\u00e9\u00E9")").as_string(), "\xC3\xA9\xC3\xA9");
  EXPECT_EQ(must_parse(R"("\u20AC")").as_string(), "\xE2\x82\xAC");
  EXPECT_EQ(must_parse(R"("\uD83D\uDE00")").as_string(), "\xF0\x9F\x98\x80");  // U+1F600
  EXPECT_EQ(must_parse(R"("\uDBFF\uDFFF")").as_string(), "\xF4\x8F\xBF\xBF");  // U+10FFFF
  EXPECT_EQ(must_parse(R"("a\u0000b")").as_string(), std::string("a\0b", 3));
}

TEST(JsonStrings, SerializerEscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(to_json(JsonValue("q\"b\\/")), R"("q\"b\\/")");
  EXPECT_EQ(to_json(JsonValue("\b\f\n\r\t")), R"("\b\f\n\r\t")");
  EXPECT_EQ(to_json(JsonValue(std::string("\x01\x1f\0", 3))), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(to_json(JsonValue("\x7f")), "\"\x7f\"");
  // Every byte below 0x20 round-trips.
  std::string all;
  for (int c = 0; c < 0x20; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(must_parse(to_json(JsonValue(all))).as_string(), all);
}

TEST(JsonStrings, Utf8PassesThroughUnescaped) {
  const std::string s = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  EXPECT_EQ(to_json(JsonValue(s)), "\"" + s + "\"");
  EXPECT_EQ(must_parse("\"" + s + "\"").as_string(), s);
}

TEST(JsonStrings, SerializerReplacesInvalidUtf8SoTheOutputStaysValid) {
  const std::string out =
      to_json(JsonValue("a\xFF"
                        "b\xC3"));
  EXPECT_EQ(out,
            "\"a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\"");
  EXPECT_TRUE(parse_json(out).is_ok());
}

// --- invalid input -------------------------------------------------------------------------

struct BadCase {
  const char* text;
  size_t offset;
  const char* says;  // a fragment of the message
};

TEST(JsonInvalid, ErrorsNameTheByteOffsetAndTheProblem) {
  const BadCase cases[] = {
      {"", 0, "empty input"},
      {"   ", 3, "empty input"},
      {"[1,2", 4, "expected ',' or ']'"},
      {"[1,]", 3, "expected a value"},
      {"[1 2]", 3, "expected ',' or ']'"},
      {"{\"a\":1,}", 7, "expected '\"' to start an object key"},
      {"{\"a\" 1}", 5, "expected ':'"},
      {"{a:1}", 1, "object key"},
      {"{\"a\":1 \"b\":2}", 7, "expected ',' or '}'"},
      {"{\"a\":1,\"a\":2}", 7, "duplicate object key \"a\""},
      {"tru", 0, "expected 'true'"},
      {"nul", 0, "expected 'null'"},
      {"True", 0, "unexpected 'T'"},
      {"01", 0, "leading zero"},
      {"-", 1, "expected a digit"},
      {"1.", 2, "after '.'"},
      {".5", 0, "unexpected '.'"},
      {"+1", 0, "unexpected '+'"},
      {"1e", 2, "exponent"},
      {"1e+", 3, "exponent"},
      {"0x10", 1, "after the value"},
      {"NaN", 0, "unexpected 'N'"},
      {"Infinity", 0, "unexpected 'I'"},
      {"1 2", 2, "after the value"},
      {"{} x", 3, "after the value"},
      {"\"abc", 0, "unterminated string"},
      {"\"abc\\", 0, "unterminated string"},
      {"\"a\nb\"", 2, "unescaped control character 0x0A"},
      {"\"a\tb\"", 2, "unescaped control character 0x09"},
      {"\"\\x41\"", 1, "invalid escape '\\'x''"},
      {"\"\\'\"", 1, "invalid escape"},
      {"\"\\u12\"", 5, "invalid hex digit"},
      {"\"\\u12", 3, "truncated \\u escape"},
      {"\"\\uZZZZ\"", 3, "invalid hex digit 'Z'"},
      {"\"\\uDC00\"", 1, "lone low surrogate \\uDC00"},
      {"\"\\uD800\"", 1, "high surrogate \\uD800 not followed"},
      {"\"\\uD800x\"", 1, "not followed"},
      {"\"\\uD800\\u0041\"", 7, "not a low surrogate"},
      {"\"\xFF\"", 1, "invalid UTF-8 byte 0xFF"},
      {"\"\xC0\x80\"", 1, "invalid UTF-8"},          // overlong NUL
      {"\"\xE0\x80\xAF\"", 1, "invalid UTF-8"},      // overlong '/'
      {"\"\xED\xA0\x80\"", 1, "invalid UTF-8"},      // encoded surrogate
      {"\"\xF4\x90\x80\x80\"", 1, "invalid UTF-8"},  // above U+10FFFF
      {"\"ab\xC3\"", 3, "invalid UTF-8"},            // truncated sequence
      {"\xEF\xBB\xBF{}", 0, "byte 0xEF"},            // a BOM
      {"// c\n1", 0, "unexpected '/'"},
      {"'a'", 0, "unexpected '''"},
  };
  for (const BadCase& c : cases) {
    const std::string msg = parse_error(c.text);
    EXPECT_NE(msg.find("invalid JSON at byte " + std::to_string(c.offset) + ":"), std::string::npos)
        << "input " << c.text << " -> " << msg;
    EXPECT_NE(msg.find(c.says), std::string::npos) << "input " << c.text << " -> " << msg;
  }
}

TEST(JsonInvalid, DuplicateKeysAreFoundInLargeObjectsToo) {
  std::string text = "{";
  for (int i = 0; i < 100; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  EXPECT_TRUE(parse_json(text + "\"k100\":0}").is_ok());
  const std::string msg = parse_error(text + "\"k42\":0}");
  EXPECT_NE(msg.find("duplicate object key \"k42\""), std::string::npos) << msg;
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
  EXPECT_NE(msg.find("at byte 64:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("nesting deeper than 64"), std::string::npos) << msg;
  // A hostile megabyte of brackets fails fast instead of overflowing the stack.
  EXPECT_NE(parse_error(std::string(1 << 20, '[')).find("nesting"), std::string::npos);
}

TEST(JsonLimits, InputSizeLimitIsTheCallers) {
  EXPECT_TRUE(parse_json("[1,2]", 5).is_ok());
  const std::string msg = parse_error("[1,2] ", 5);
  EXPECT_NE(msg.find("6 bytes exceed the limit of 5"), std::string::npos) << msg;
}

// --- pretty output -------------------------------------------------------------------------

TEST(JsonPretty, IndentsLikePythonJsonDumps) {
  JsonValue v = must_parse(R"({"a":1,"b":[true,null,{"c":"d"}],"e":{},"f":[]})");
  EXPECT_EQ(to_json_pretty(v),
            "{\n"
            "  \"a\": 1,\n"
            "  \"b\": [\n"
            "    true,\n"
            "    null,\n"
            "    {\n"
            "      \"c\": \"d\"\n"
            "    }\n"
            "  ],\n"
            "  \"e\": {},\n"
            "  \"f\": []\n"
            "}");
  EXPECT_EQ(to_json_pretty(JsonValue(5)), "5");
  EXPECT_EQ(to_json_pretty(JsonValue(JsonArray{1}), 4), "[\n    1\n]");
}

}  // namespace
}  // namespace sipring
