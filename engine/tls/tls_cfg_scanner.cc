// tls.cfg's value syntax (tls_cfg_scanner.h).
#include "engine/tls/tls_cfg_scanner.h"

#include "engine/base/error_format.h"

namespace sipring {

Result<std::string> TlsCfgScanner::value() {
  skip_space();
  std::string out;
  if (eat('"')) {
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c == '\\') {
        if (i_ >= s_.size()) break;
        if (!unescape(s_[i_++], false, &c)) {
          return format_error(Errc::kConfig,
                              "unsupported escape \"\\{}\" in a quoted value (use \\\\, \\\", "
                              "\\n, \\r or \\t)",
                              s_[i_ - 1]);
        }
      }
      out.push_back(c);
    }
    if (!eat('"')) {
      return format_error(Errc::kConfig,
                          "missing closing quote; a quoted value must end on the same line");
    }
    return out;
  }
  if (i_ >= s_.size() || s_[i_] == '#') return format_error(Errc::kConfig, "value missing");
  while (i_ < s_.size() && !is_cfg_space(s_[i_]) && s_[i_] != '#') {
    char c = s_[i_++];
    if (c == '"') {
      return format_error(Errc::kConfig,
                          "a quote inside an unquoted value; quote the whole value instead");
    }
    if (c == '\\') {
      if (i_ >= s_.size()) {
        return format_error(Errc::kConfig,
                            "a '\\' at the end of the line (line continuation is not "
                            "supported); put the value on one line");
      }
      if (!unescape(s_[i_++], true, &c)) {
        return format_error(Errc::kConfig,
                            "unsupported escape \"\\{}\" (use \\#, \\\", \\\\, \"\\ \", \\n, \\r "
                            "or \\t, or quote the value)",
                            s_[i_ - 1]);
      }
    }
    out.push_back(c);
  }
  return out;
}

bool TlsCfgScanner::unescape(char e, bool bare, char* out_char) {
  switch (e) {
    case '"':
    case '\\':
      *out_char = e;
      return true;
    case 'n':
      *out_char = '\n';
      return true;
    case 'r':
      *out_char = '\r';
      return true;
    case 't':
      *out_char = '\t';
      return true;
    case '#':
    case ' ':
      *out_char = e;
      return bare;
    default:
      return false;
  }
}

}  // namespace sipring
