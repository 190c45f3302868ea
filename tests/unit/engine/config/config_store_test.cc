// The shared config store: runtime changes validated like file values, refused for parameters
// that cannot change at runtime, visible to every reader, and old snapshots freed only once no
// reader can still use them.
#include "engine/config/config_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace sipring {
namespace {

using ::testing::HasSubstr;

TEST(ConfigStore, RuntimeChangeIsVisibleToEveryReader) {
  ConfigStore store(3);
  store.init(Config{}, nullptr);
  for (uint32_t r = 0; r < 3; r++) EXPECT_EQ(store.current(r)->config.tls.connection_timeout, 600);
  ASSERT_TRUE(store.set_runtime("tls", "connection_timeout", ParamValue::of_number(180)));
  for (uint32_t r = 0; r < 3; r++) EXPECT_EQ(store.current(r)->config.tls.connection_timeout, 180);
  EXPECT_EQ(store.get("tls", "connection_timeout").value(), "180");
}

TEST(ConfigStore, InvalidValuesAreRefusedAndChangeNothing) {
  ConfigStore store(1);
  store.init(Config{}, nullptr);
  const ConfigSnapshot* before = store.current(0);
  Status s = store.set_runtime("tls", "connection_timeout", ParamValue::of_number(-5));
  EXPECT_EQ(s.code(), Errc::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("out of range"));
  EXPECT_THAT(store.set_runtime("tls", "send_close_notify", ParamValue::of_text("maybe")).message(),
              HasSubstr("not a boolean"));
  EXPECT_THAT(store.set_runtime("tls", "no_such_param", ParamValue::of_number(1)).message(),
              HasSubstr("no_such_param"));
  EXPECT_EQ(store.current(0), before);
}

TEST(ConfigStore, StartupOnlyParametersAreRefusedAtRuntimeSayingHowTheyChange) {
  ConfigStore store(1);
  store.init(Config{}, nullptr);
  for (const char* name : {"certificate", "private_key", "tls_method", "cipher_list", "ca_list"}) {
    Status s = store.set_runtime("tls", name, ParamValue::of_text("x"));
    EXPECT_THAT(s.message(), AllOf(HasSubstr("cannot change at runtime"), HasSubstr("tls.reload"),
                                   HasSubstr("restart")))
        << name;
  }
  Status s = store.set_runtime("sipring", "reactors", ParamValue::of_number(4));
  EXPECT_THAT(s.message(), HasSubstr("cannot change at runtime"));
}

// cfg.set_now_int tls send_close_notify 2: Kamailio tests the integer with `if (v)`.
TEST(ConfigStore, SetNowIntTakesAnyNonZeroNumberAsTrue) {
  ConfigStore store(1);
  store.init(Config{}, nullptr);
  ASSERT_TRUE(store.set_runtime("tls", "send_close_notify", ParamValue::of_number(2)));
  EXPECT_TRUE(store.current(0)->config.tls.send_close_notify);
  ASSERT_TRUE(store.set_runtime("tls", "send_close_notify", ParamValue::of_number(0)));
  EXPECT_FALSE(store.current(0)->config.tls.send_close_notify);
  ASSERT_TRUE(store.set_runtime("tls", "send_close_notify", ParamValue::of_number(-1)));
  EXPECT_TRUE(store.current(0)->config.tls.send_close_notify);
}

TEST(ConfigStore, ManualsRuntimeParametersAllChange) {
  ConfigStore store(1);
  store.init(Config{}, nullptr);
  EXPECT_TRUE(store.set_runtime("tls", "send_close_notify", ParamValue::of_number(1)));
  EXPECT_TRUE(store.set_runtime("tls", "con_ct_wq_max", ParamValue::of_number(1048576)));
  EXPECT_TRUE(store.set_runtime("tls", "ct_wq_max", ParamValue::of_number(4194304)));
  EXPECT_TRUE(store.set_runtime("tls", "ct_wq_blk_size", ParamValue::of_number(2048)));
  EXPECT_TRUE(store.set_runtime("tls", "log", ParamValue::of_number(10)));
  EXPECT_TRUE(store.set_runtime("tls", "debug", ParamValue::of_number(10)));
  EXPECT_TRUE(store.set_runtime("tls", "low_mem_threshold1", ParamValue::of_number(2048)));
  EXPECT_TRUE(store.set_runtime("tls", "low_mem_threshold2", ParamValue::of_number(1024)));
  EXPECT_TRUE(store.set_runtime("tls", "config", ParamValue::of_text("/etc/sipring/tls.cfg")));
  const Config& c = store.current(0)->config;
  EXPECT_TRUE(c.tls.send_close_notify);
  EXPECT_EQ(c.tls.con_ct_wq_max, 1048576);
  EXPECT_EQ(c.tls.ct_wq_max, 4194304);
  EXPECT_EQ(c.tls.ct_wq_blk_size, 2048);
  EXPECT_EQ(c.tls.tls_log, 10);
  EXPECT_EQ(c.tls.tls_debug, 10);
  EXPECT_EQ(c.tls.low_mem_threshold1, 2048);
  EXPECT_EQ(c.tls.low_mem_threshold2, 1024);
  EXPECT_EQ(c.tls.config, "/etc/sipring/tls.cfg");
}

// What must change with a value (the key log file a new tls.keylog_file names) is published in
// the same snapshot, or the change is refused as a whole.
TEST(ConfigStore, PrepareChangesTheNewSnapshotOrRefusesTheChange) {
  ConfigStore store(1);
  store.init(Config{}, nullptr);
  const ConfigSnapshot* before = store.current(0);
  Status s =
      store.set_runtime("tls", "keylog_mode", ParamValue::of_number(11),
                        [](const ConfigSnapshot& cur, ConfigSnapshot& next) -> Status {
                          EXPECT_EQ(cur.config.tls.keylog_mode, 0);
                          EXPECT_EQ(next.config.tls.keylog_mode, 11);
                          return Error{Errc::kInvalidArgument, "tls.keylog_file x: cannot open it"};
                        });
  EXPECT_EQ(s.message(), "tls.keylog_file x: cannot open it");
  EXPECT_EQ(store.current(0), before);
  EXPECT_EQ(store.get("tls", "keylog_mode").value(), "0");

  ASSERT_TRUE(store.set_runtime("tls", "keylog_mode", ParamValue::of_number(11),
                                [](const ConfigSnapshot&, ConfigSnapshot& next) {
                                  next.config.tls.tls_log = 1;  // stands for derived state
                                  return Status::ok();
                                }));
  const ConfigSnapshot* after = store.current(0);
  EXPECT_EQ(after->config.tls.keylog_mode, 11);
  EXPECT_EQ(after->config.tls.tls_log, 1);
  EXPECT_EQ(after->version, before->version + 1);
}

TEST(ConfigStore, OldSnapshotsAreFreedOnlyAfterEveryReaderMovedOn) {
  ConfigStore store(2);
  store.init(Config{}, nullptr);
  store.current(0);
  store.current(1);
  ASSERT_TRUE(store.set_runtime("tls", "connection_timeout", ParamValue::of_number(1)));
  ASSERT_TRUE(store.set_runtime("tls", "connection_timeout", ParamValue::of_number(2)));
  // Both readers still hold version 1: versions 1 and 2 stay.
  EXPECT_EQ(store.retired(), 2u);
  store.current(0);
  EXPECT_EQ(store.retired(), 2u);  // reader 1 may still use version 1
  store.current(1);
  EXPECT_EQ(store.retired(), 0u);
}

TEST(ConfigStore, ReadersNeverSeeAFreedSnapshotUnderConcurrentChanges) {
  ConfigStore store(2);
  Config first;
  first.tls.connection_timeout = 0;  // the test's values only grow from here
  store.init(first, nullptr);
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (uint32_t r = 0; r < 2; r++) {
    readers.emplace_back([&, r] {
      int last = -1;
      while (!stop.load()) {
        const ConfigSnapshot* s = store.current(r);
        // Read the whole snapshot (ASan/TSan would flag a freed one).
        int v = s->config.tls.connection_timeout;
        EXPECT_GE(v, last);  // values only grow in this test
        last = v;
        EXPECT_EQ(s->config.tls.profile.tls_method, "TLSv1.2+");
      }
    });
  }
  for (int i = 1; i <= 2000; i++) {
    ASSERT_TRUE(store.set_runtime("tls", "connection_timeout", ParamValue::of_number(i)));
  }
  stop = true;
  for (auto& t : readers) t.join();
  // Once both readers moved to the newest snapshot, nothing older is kept.
  store.current(0);
  store.current(1);
  EXPECT_EQ(store.retired(), 0u);
}

}  // namespace
}  // namespace sipring
