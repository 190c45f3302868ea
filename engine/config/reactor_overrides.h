// Per-reactor settings: modparam("sipring", "r2.ring_entries", 8192) applies to reactor 2 only
// (ReactorOverride, sipring/config.h). params_for() applies them when the reactors start.
#pragma once

#include "sipring/config.h"
#include "sipring/result.h"

namespace sipring {

// Validates override `o` exactly as its global parameter would be (cpu like one element of
// sipring.cpus; only the per-reactor sizes can be overridden) and applies it to `engine`. On
// error `engine` is unchanged and the Errc::kConfig message starts with "sipring.rN.NAME: ".
Status apply_override(EngineParams& engine, const ReactorOverride& o);

}  // namespace sipring
