#include "tools/sipring-load/load_plan.h"

namespace sipring::load {

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::kHandshake:
      return "handshake";
    case Mode::kRps:
      return "rps";
    case Mode::kRate:
      return "rate";
    case Mode::kIdle:
      return "idle";
  }
  return "?";
}

}  // namespace sipring::load
