#include "ca_index.h"

#include "errors.h"
#include "file_io.h"

namespace sipring::certs {
namespace {

constexpr size_t kFields = 6;

std::string_view strip_leading_zeros(std::string_view hex) {
  while (hex.size() > 1 && hex.front() == '0') hex.remove_prefix(1);
  return hex;
}

bool same_serial(std::string_view a, std::string_view b) {
  a = strip_leading_zeros(a);
  b = strip_leading_zeros(b);
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;  // hex digits compare case-blind
  }
  return true;
}

}  // namespace

Result<std::vector<IndexEntry>> parse_index(std::string_view text, const std::string& path) {
  std::vector<IndexEntry> entries;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.empty()) continue;
    std::vector<std::string_view> fields;
    for (;;) {
      size_t tab = line.find('\t');
      fields.push_back(line.substr(0, tab));
      if (tab == std::string_view::npos) break;
      line.remove_prefix(tab + 1);
    }
    std::string where = path + ":" + std::to_string(line_no) + ": ";
    if (fields.size() != kFields) {
      return config_error(where + "expected " + std::to_string(kFields) +
                          " tab-separated fields, found " + std::to_string(fields.size()));
    }
    if (fields[0].size() != 1 ||
        (fields[0][0] != 'V' && fields[0][0] != 'R' && fields[0][0] != 'E')) {
      return config_error(where + "status must be V, R or E");
    }
    if (fields[0][0] == 'R' && fields[2].empty()) {
      return config_error(where + "revoked entry without a revocation time");
    }
    if (fields[3].empty() ||
        fields[3].find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
      return config_error(where + "serial must be hexadecimal");
    }
    IndexEntry e;
    e.status = fields[0][0];
    e.expiry = fields[1];
    e.revoked_at = fields[2];
    e.serial = fields[3];
    e.file = fields[4];
    e.subject = fields[5];
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string format_index(const std::vector<IndexEntry>& entries) {
  std::string out;
  for (const IndexEntry& e : entries) {
    out += e.status;
    for (const std::string* field : {&e.expiry, &e.revoked_at, &e.serial, &e.file, &e.subject}) {
      out += '\t';
      out += *field;
    }
    out += '\n';
  }
  return out;
}

Result<std::vector<IndexEntry>> load_index(const std::string& path) {
  Result<std::string> text = read_file(path);
  if (!text) return text.error();
  return parse_index(*text, path);
}

Status save_index(const std::string& path, const std::vector<IndexEntry>& entries) {
  return write_file(path, format_index(entries), kPublicMode, Overwrite::kAllow);
}

IndexEntry* find_entry(std::vector<IndexEntry>& entries, std::string_view serial_hex) {
  for (IndexEntry& e : entries) {
    if (same_serial(e.serial, serial_hex)) return &e;
  }
  return nullptr;
}

}  // namespace sipring::certs
