// Tests of the TLS library facts (crypto/library_check.h) in both builds (meson -Dboringssl):
// the library loaded is the one compiled against, the build line names it, and the fast P-256
// (nistz256) is compiled in and really used by the source build, absent from Debian's shared
// library (OPENSSL_SMALL). Where BoringSSL's code lives at run time is checked with dladdr: inside
// this executable (static) for the source build, Debian's libcrypto.so.0 for the system build.
#include "crypto/library_check.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include <string>

#include "boringssl_build.h"

namespace sipring {
namespace {

std::string file_of(const void* code) {
  Dl_info info{};
  if (dladdr(code, &info) == 0 || info.dli_fname == nullptr) return "?";
  return info.dli_fname;
}

TEST(LibraryCheck, TheLibraryLoadedIsTheOneCompiledAgainst) {
  TlsLibraryInfo info = tls_library_info();
  EXPECT_TRUE(info.matches) << info.runtime << " vs " << info.compiled;
  EXPECT_TRUE(check_tls_library(false));
}

TEST(LibraryCheck, TheSummaryNamesTheBuildAndItsP256) {
  TlsLibraryInfo info = tls_library_info();
  std::string summary = tls_library_summary();
  EXPECT_EQ(summary.find(info.runtime + ": " + info.build + ", "), 0u) << summary;
  std::string where = file_of(reinterpret_cast<const void*>(&OpenSSL_version));
#if SIPRING_BORINGSSL_SOURCE
  EXPECT_NE(info.build.find("built from Debian's source"), std::string::npos) << info.build;
  EXPECT_NE(info.build.find("without OPENSSL_SMALL"), std::string::npos) << info.build;
  EXPECT_TRUE(info.fast_p256_compiled);
  EXPECT_TRUE(info.fast_p256_in_use);
  EXPECT_NE(summary.find("P-256 nistz256 with precomputed tables (in use)"), std::string::npos)
      << summary;
  // Linked in statically: the code is in this test's own executable, no libcrypto.so.
  EXPECT_EQ(where.find("libcrypto"), std::string::npos) << where;
  EXPECT_NE(where.find("library_check_test"), std::string::npos) << where;
#else
  EXPECT_NE(info.build.find("Debian's shared android-libboringssl"), std::string::npos)
      << info.build;
  EXPECT_FALSE(info.fast_p256_compiled);
  EXPECT_FALSE(info.fast_p256_in_use);
  EXPECT_NE(summary.find("P-256 generic (OPENSSL_SMALL"), std::string::npos) << summary;
  EXPECT_EQ(where, "/usr/lib/x86_64-linux-gnu/android/libcrypto.so.0");
#endif
}

}  // namespace
}  // namespace sipring
