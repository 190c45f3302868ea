// Tests of the README parameter table generated from the registry (config_registry_markdown.cc).
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

// ---------------------------------------------------------------- markdown

TEST(RegistryMarkdown, OneRowPerParameterWithFlags) {
  const std::string md = registry_markdown();
  EXPECT_THAT(md, StartsWith("| Parameter | Type | Default | Allowed values | Runtime |"));
  size_t rows = 0;
  for (char c : md) rows += c == '\n';
  EXPECT_EQ(rows, param_registry().size() + 2);
  EXPECT_THAT(md, HasSubstr("| `tls.connection_timeout` | int | `600` | [-1, 2592000] | yes |"));
  EXPECT_THAT(md, HasSubstr("`tls.ssl_free_list_max_len` (alias `ssl_freelist_max_len`)"));
  EXPECT_THAT(md, HasSubstr("power of two in [1, 32768]"));
  EXPECT_THAT(md, HasSubstr("| `tls.send_timeout` | int | (unset) | none (refused) | no | "
                            "**Obsolete, refused:**"));
  EXPECT_THAT(md, HasSubstr("`sipring.cpus` | int list | (unset)"));
}

}  // namespace
}  // namespace sipring
