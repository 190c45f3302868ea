// Helpers of the config layer's tests (tests/unit/engine/config/): parsing config text under
// a fixed name and directory, and setting registry parameters by name.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "engine/config/config_registry.h"
#include "sipring/config.h"

namespace sipring::test {

inline constexpr char kName[] = "sipring.cfg";
inline constexpr char kDir[] = "/etc/sipring";

// The smallest file that serves TLS; tests append to it or replace parts of it.
inline const std::string kMinimal =
    "loadmodule \"tls.so\"\n"
    "modparam(\"tls\", \"certificate\", \"/etc/sipring/cert.pem\")\n"
    "enable_tls=yes\n"
    "listen=tls:127.0.0.1:5061\n";

inline Result<Config> parse(const std::string& text, const std::string& dir = kDir) {
  return parse_config_text(text, kName, dir);
}

inline Config must_parse(const std::string& text, const std::string& dir = kDir) {
  Result<Config> r = parse(text, dir);
  EXPECT_TRUE(r.is_ok()) << (r.is_ok() ? "" : r.error().message) << "\n--- text:\n" << text;
  return r.is_ok() ? std::move(r).value() : Config{};
}

// The error message of a text that must fail to parse.
inline std::string parse_error(const std::string& text, const std::string& dir = kDir) {
  Result<Config> r = parse(text, dir);
  EXPECT_FALSE(r.is_ok()) << "parsed but should not have:\n" << text;
  if (r.is_ok()) return "";
  EXPECT_EQ(r.error().code, Errc::kConfig) << r.error().message;
  return r.error().message;
}

inline const ParamDef& def_of(std::string_view module, std::string_view name) {
  const ParamDef* def = find_param(module, name);
  EXPECT_NE(def, nullptr) << module << "." << name;
  static const ParamDef kNone;
  return def ? *def : kNone;
}

inline Status set(Config& cfg, std::string_view module, std::string_view name,
                  const ParamValue& v) {
  return set_param(cfg, def_of(module, name), v);
}

inline ParamValue num(int64_t n) {
  return ParamValue::of_number(n);
}
inline ParamValue text(std::string_view s) {
  return ParamValue::of_text(s);
}

inline std::string cwd() {
  return std::filesystem::current_path().string();
}

}  // namespace sipring::test
