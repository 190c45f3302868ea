// Per-reactor settings (reactor_overrides.h) and the engine parameters each reactor runs with
// (params_for, sipring/config.h).
#include "engine/config/reactor_overrides.h"

#include <charconv>
#include <string>

#include "engine/base/error_format.h"
#include "engine/config/config_registry.h"

namespace sipring {

namespace {

// The override's value as the config file gave it (a number, or text).
ParamValue override_value(const ReactorOverride& o) {
  if (!o.is_number) return ParamValue::of_text(o.value);
  int64_t n = 0;
  std::from_chars(o.value.data(), o.value.data() + o.value.size(), n);  // written by to_string
  return ParamValue::of_number(n);
}

// The CPU a "cpu" override names, parsed like one element of sipring.cpus; -1 if it does not.
int override_cpu(const ReactorOverride& o) {
  Config scratch;
  Status s = set_param(scratch, *find_param("sipring", "cpus"), override_value(o));
  return s && scratch.engine.cpus.size() == 1 ? scratch.engine.cpus[0] : -1;
}

}  // namespace

Status apply_override(EngineParams& engine, const ReactorOverride& o) {
  static constexpr std::string_view kOverridable[] = {"cpu",
                                                      "ring_entries",
                                                      "recv_buffers",
                                                      "recv_buffer_size",
                                                      "handoff_entries",
                                                      "reply_ring_bytes",
                                                      "max_connections",
                                                      "busy_poll_us"};
  bool ok = false;
  for (std::string_view n : kOverridable) ok = ok || n == o.name;
  const std::string what = "sipring.r" + std::to_string(o.reactor) + "." + o.name;
  if (!ok) {
    return format_error(Errc::kConfig,
                        "{}: only cpu, ring_entries, recv_buffers, recv_buffer_size, "
                        "handoff_entries, reply_ring_bytes, max_connections and busy_poll_us can "
                        "be set per reactor",
                        what);
  }
  ParamValue v = override_value(o);
  if (o.name == "cpu") {
    // A CPU for this reactor: validated like an element of sipring.cpus.
    if (override_cpu(o) < 0) {
      Config scratch;
      Status s = set_param(scratch, *find_param("sipring", "cpus"), v);
      return format_error(Errc::kConfig, "{}: expects one CPU number, e.g. 3{}{}", what,
                          s ? "" : ": ", s ? "" : s.message());
    }
    return Status::ok();
  }
  Config scratch;
  scratch.engine = engine;
  Status s = set_param(scratch, *find_param("sipring", o.name), v);
  if (!s) return format_error(Errc::kConfig, "{}: {}", what, s.message());
  engine = scratch.engine;
  return Status::ok();
}

EngineParams params_for(const EngineParams& engine, uint32_t r, int* out_cpu) {
  EngineParams p = engine;
  if (out_cpu != nullptr) {
    *out_cpu = engine.cpus.empty() ? -1 : engine.cpus[r % engine.cpus.size()];
  }
  for (const ReactorOverride& o : engine.overrides) {
    if (o.reactor != r) continue;
    if (o.name == "cpu") {
      if (out_cpu != nullptr) *out_cpu = override_cpu(o);  // validated when the config was read
      continue;
    }
    (void)apply_override(p, o);  // validated when the config was read
  }
  p.overrides.clear();
  return p;
}

}  // namespace sipring
