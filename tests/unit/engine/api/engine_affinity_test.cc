// Where an engine without sipring.cpus pins its reactors: on the CPUs the process may use (its
// affinity, as `taskset -c N` sets it), never outside them. sipring-load under `taskset -c 1`
// used to pin its reactor to CPU 0, next to the server it was measuring.
#include <sched.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "sipring/engine.h"

namespace sipring {
namespace {

// The thread ids of this process named `name`.
std::vector<pid_t> threads_named(const std::string& name) {
  std::vector<pid_t> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string c;
    if (comm && std::getline(comm, c) && c == name) {
      out.push_back(static_cast<pid_t>(std::stol(task.path().filename().string())));
    }
  }
  return out;
}

TEST(EngineAffinityTest, ReactorsWithoutCpusStayOnTheProcessAffinity) {
  cpu_set_t all;
  ASSERT_EQ(sched_getaffinity(0, sizeof(all), &all), 0);
  int last = -1;
  for (int c = 0; c < CPU_SETSIZE; c++) {
    if (CPU_ISSET(c, &all)) last = c;
  }
  if (last <= 0) GTEST_SKIP() << "SKIP: needs a CPU other than 0 in this process's affinity";
  // As `taskset -c LAST`: the engine's threads inherit this thread's affinity.
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(last, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  Config cfg;
  cfg.engine.reactors = 1;
  Engine::Options options;
  options.listen = false;
  auto engine = Engine::create(cfg, options);
  ASSERT_TRUE(engine) << engine.error().message;
  Status s = (*engine)->start();
  ASSERT_TRUE(s) << s.message();
  std::vector<pid_t> reactors = threads_named("sipring-r0");
  ASSERT_EQ(reactors.size(), 1u);
  cpu_set_t got;
  ASSERT_EQ(sched_getaffinity(reactors[0], sizeof(got), &got), 0);
  EXPECT_EQ(CPU_COUNT(&got), 1);
  EXPECT_TRUE(CPU_ISSET(last, &got)) << "reactor 0 left the process's CPUs (before: CPU 0)";
  (*engine)->stop(std::chrono::milliseconds(200));
  sched_setaffinity(0, sizeof(all), &all);
}

}  // namespace
}  // namespace sipring
