#include "tools/sipring-load/server_cpu.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sipring::load {
namespace {

bool read_file(const std::string& path, char* buf, size_t cap) {
  FILE* f = fopen(path.c_str(), "r");
  if (f == nullptr) return false;
  size_t n = fread(buf, 1, cap - 1, f);
  fclose(f);
  buf[n] = '\0';
  return n > 0;
}

double thread_cpu_seconds(const std::string& task_dir) {
  char buf[512];
  // schedstat: time on CPU in ns, first field.
  if (read_file(task_dir + "/schedstat", buf, sizeof(buf))) return strtoull(buf, nullptr, 10) / 1e9;
  if (!read_file(task_dir + "/stat", buf, sizeof(buf))) return 0;
  const char* p = strrchr(buf, ')');
  if (p == nullptr) return 0;
  // Fields after ")": state(3) ... utime(14) stime(15).
  unsigned long long utime = 0, stime = 0;
  int field = 2;
  for (const char* s = p + 2; *s && field < 15; s++) {
    if (*s == ' ') {
      field++;
      if (field == 14) utime = strtoull(s + 1, nullptr, 10);
      if (field == 15) stime = strtoull(s + 1, nullptr, 10);
    }
  }
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

}  // namespace

double process_cpu_seconds(int pid) {
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return 0;
  double total = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    total += thread_cpu_seconds(dir + "/" + e->d_name);
  }
  closedir(d);
  return total;
}

uint64_t process_pss_kib(int pid) {
  char buf[4096];
  if (!read_file("/proc/" + std::to_string(pid) + "/smaps_rollup", buf, sizeof(buf))) return 0;
  const char* p = strstr(buf, "\nPss:");
  return p == nullptr ? 0 : strtoull(p + 5, nullptr, 10);
}

ServerCpu::ServerCpu(const std::string& pids) : text_(pids) {
  const char* s = pids.c_str();
  while (*s) {
    char* end;
    long v = strtol(s, &end, 10);
    if (end == s) break;
    pids_.push_back(static_cast<int>(v));
    s = *end == ',' ? end + 1 : end;
  }
}

void ServerCpu::begin() {
  begin_s_ = 0;
  for (int p : pids_) begin_s_ += process_cpu_seconds(p);
}

void ServerCpu::end() {
  end_s_ = 0;
  pss_kib_ = 0;
  for (int p : pids_) {
    end_s_ += process_cpu_seconds(p);
    pss_kib_ += process_pss_kib(p);
  }
}

JsonValue ServerCpu::json(uint64_t ops) const {
  if (pids_.empty()) return JsonValue();
  const double cpu = end_s_ - begin_s_;
  return JsonValue::object({{"pids", text_},
                            {"cpu_s", cpu},
                            {"cpu_us_per_op", ops ? cpu * 1e6 / double(ops) : 0.0},
                            {"pss_kib", pss_kib_}});
}

}  // namespace sipring::load
