// The tokens of the Kamailio-style config file (config_file.cc parses them): words, quoted
// strings and punctuation, with Kamailio's comment forms and dialect lines removed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sipring/result.h"

namespace sipring {

struct ConfigToken {
  enum class Kind : uint8_t { kWord, kString, kPunct, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;  // strings: without quotes, escapes applied
  int line = 0;
};

// Splits `text` into tokens, the last one kEnd ("end of file"), dropping the three comment forms
// ('#', '//', and '/* */' nested as Kamailio nests them). "#!KAMAILIO", "#!SER" and
// "#!SIP-router" are accepted before the first statement; any other preprocessor directive, an
// unclosed string or an unclosed comment is an Errc::kConfig error "NAME:LINE: reason".
Result<std::vector<ConfigToken>> tokenize_config(std::string_view text, const std::string& name);

}  // namespace sipring
