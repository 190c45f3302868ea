// Start-line classification (RFC 3261 §7.1): parse_start_line and the response builder's first
// step, which also needs to know where the header fields begin.
#pragma once

#include <cstddef>
#include <string_view>

#include "sipring/sip_response.h"

namespace sipring::sip {

// parse_start_line of `msg` that also sets `*next` to where the line after the start line begins.
// `*next` is set only for requests.
StartLine parse_start(std::string_view msg, size_t* next) noexcept;

}  // namespace sipring::sip
