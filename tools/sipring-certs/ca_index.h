// DIR/index.txt, the CA's record of every certificate it issued, in the format of
// `openssl ca`: six tab-separated fields per line,
//   status  expiry  revocation-time[,reason]  serial  file  subject
// with status V (valid), R (revoked) or E (expired), times as YYMMDDHHMMSSZ, serial in hex.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sipring/result.h"

namespace sipring::certs {

struct IndexEntry {
  char status = 'V';
  std::string expiry;      // notAfter as ASN.1 time text
  std::string revoked_at;  // empty unless status is 'R'; may carry ",reason" from openssl ca
  std::string serial;      // upper-case hex, even length
  std::string file = "unknown";
  std::string subject;  // X509_NAME_oneline form, e.g. "/O=sipring/CN=localhost"
};

// Parses index file text; |path| is only used in error messages, which give the line number.
Result<std::vector<IndexEntry>> parse_index(std::string_view text, const std::string& path);

// Returns the index file text for |entries|.
std::string format_index(const std::vector<IndexEntry>& entries);

// Reads and parses index file |path|.
Result<std::vector<IndexEntry>> load_index(const std::string& path);

// Replaces index file |path| with |entries|.
Status save_index(const std::string& path, const std::vector<IndexEntry>& entries);

// Returns the entry for |serial_hex|, or nullptr. Serials compare as numbers, so "0A" matches
// "000A" from a hand-edited file.
IndexEntry* find_entry(std::vector<IndexEntry>& entries, std::string_view serial_hex);

}  // namespace sipring::certs
