// Tests of sipring::parameters() (engine/config/param_info.cc): the registry as public ParamInfo
// values, from which the tools render the README's parameter table.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/config/config_registry.h"
#include "sipring/config.h"

namespace sipring {
namespace {

const ParamInfo* find(const std::vector<ParamInfo>& all, const std::string& module,
                      const std::string& name) {
  for (const ParamInfo& p : all) {
    if (p.module == module && p.name == name) return &p;
  }
  return nullptr;
}

TEST(Parameters, OnePerRegistryEntryInRegistryOrder) {
  const std::vector<ParamInfo> all = parameters();
  ASSERT_EQ(all.size(), param_registry().size());
  for (size_t i = 0; i < all.size(); i++) {
    EXPECT_EQ(all[i].module, param_registry()[i].module);
    EXPECT_EQ(all[i].name, param_registry()[i].name);
  }
}

TEST(Parameters, CarryTypeDefaultRangeRuntimeAndSupport) {
  const std::vector<ParamInfo> all = parameters();
  const ParamInfo* timeout = find(all, "tls", "connection_timeout");
  ASSERT_NE(timeout, nullptr);
  EXPECT_EQ(timeout->type, "int");
  EXPECT_EQ(timeout->default_value, "600");
  EXPECT_EQ(timeout->allowed, "[-1, 2592000]");
  EXPECT_TRUE(timeout->runtime);
  EXPECT_EQ(timeout->support, ParamInfo::Support::kSupported);
  EXPECT_FALSE(timeout->description.empty());

  const ParamInfo* freelist = find(all, "tls", "ssl_free_list_max_len");
  ASSERT_NE(freelist, nullptr);
  EXPECT_EQ(freelist->aliases, std::vector<std::string>{"ssl_freelist_max_len"});

  const ParamInfo* send_timeout = find(all, "tls", "send_timeout");
  ASSERT_NE(send_timeout, nullptr);
  EXPECT_EQ(send_timeout->default_value, "");
  EXPECT_EQ(send_timeout->allowed, "none (refused)");
  EXPECT_EQ(send_timeout->support, ParamInfo::Support::kObsolete);
  EXPECT_FALSE(send_timeout->note.empty());

  const ParamInfo* cpus = find(all, "sipring", "cpus");
  ASSERT_NE(cpus, nullptr);
  EXPECT_EQ(cpus->type, "int list");
  EXPECT_EQ(cpus->default_value, "");

  bool power_of_two = false;
  for (const ParamInfo& p : all) power_of_two |= p.allowed == "power of two in [1, 32768]";
  EXPECT_TRUE(power_of_two);
}

}  // namespace
}  // namespace sipring
