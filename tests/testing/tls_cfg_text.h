// Helpers of the tls layer's tests (tests/unit/engine/tls/): parsing tls.cfg text under a fixed
// name and directory, finding domains by name, and a scratch directory for tls.cfg files.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/tls/tls_domains.h"
#include "sipring/sock_addr.h"

namespace sipring::test {

inline constexpr char kName[] = "tls.cfg";
inline constexpr char kDir[] = "/etc/sipring";
inline constexpr char kDebianTlsCfg[] = "/etc/kamailio/tls.cfg";

inline Result<TlsDomainSet> parse(const std::string& text, const std::string& dir = kDir) {
  return parse_tls_domains(text, kName, dir);
}

inline TlsDomainSet must_parse(const std::string& text, const std::string& dir = kDir) {
  Result<TlsDomainSet> r = parse(text, dir);
  EXPECT_TRUE(r.is_ok()) << (r.is_ok() ? "" : r.error().message) << "\n--- text:\n" << text;
  return r.is_ok() ? std::move(r).value() : TlsDomainSet{};
}

// The message of a text that must fail to parse.
inline std::string parse_error(const std::string& text) {
  Result<TlsDomainSet> r = parse(text);
  EXPECT_FALSE(r.is_ok()) << "parsed but should not have:\n" << text;
  if (r.is_ok()) return "";
  EXPECT_EQ(r.error().code, Errc::kConfig) << r.error().message;
  return r.error().message;
}

// The domain named `name` (TlsDomain::name()), or null.
inline const TlsDomain* find(const TlsDomainSet& set, const std::string& name) {
  for (const TlsDomain& d : set.domains) {
    if (d.name() == name) return &d;
  }
  return nullptr;
}

inline std::vector<std::string> names(const TlsDomainSet& set) {
  std::vector<std::string> out;
  for (const TlsDomain& d : set.domains) out.push_back(d.name());
  return out;
}

inline SockAddr addr(const std::string& text) {
  SockAddr a;
  EXPECT_TRUE(SockAddr::parse(text, &a)) << text;
  return a;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tls_domains_test.XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string write(const std::string& leaf, const std::string& text) const {
    const std::string p = path_ + "/" + leaf;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  std::string path_;
};

}  // namespace sipring::test
