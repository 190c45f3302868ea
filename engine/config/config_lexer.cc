// The config file's lexer (config_lexer.h).
#include "engine/config/config_lexer.h"

#include "engine/base/ascii.h"
#include "engine/base/error_format.h"

namespace sipring {

namespace {

bool is_punct(char c) {
  return c == '(' || c == ')' || c == ',' || c == '=' || c == ';' || c == '{' || c == '}';
}

class Lexer {
 public:
  Lexer(std::string_view text, const std::string& name) : s_(text), name_(name) {}

  Status run(std::vector<ConfigToken>* out_tokens) {
    while (true) {
      skip_space();
      if (i_ >= s_.size()) break;
      const char c = s_[i_];
      if (c == '#' && peek(1) == '!') {
        if (Status s = directive(out_tokens->empty()); !s) return s;
      } else if (c == '#' || (c == '/' && peek(1) == '/')) {
        skip_line();
      } else if (c == '/' && peek(1) == '*') {
        if (Status s = block_comment(); !s) return s;
      } else if (c == '"' || c == '\'') {
        Result<ConfigToken> t = string();
        if (!t) return t.status();
        out_tokens->push_back(std::move(t.value()));
      } else if (is_punct(c)) {
        out_tokens->push_back({ConfigToken::Kind::kPunct, std::string(1, c), line_});
        ++i_;
      } else {
        out_tokens->push_back({ConfigToken::Kind::kWord, word(), line_});
      }
    }
    out_tokens->push_back({ConfigToken::Kind::kEnd, "end of file", line_});
    return Status::ok();
  }

 private:
  Error fail(int line, std::string_view reason) const {
    return format_error(Errc::kConfig, "{}:{}: {}", name_, line, reason);
  }

  char peek(size_t ahead) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }

  void skip_space() {
    while (i_ < s_.size() && ascii_isspace(s_[i_])) {
      if (s_[i_] == '\n') ++line_;
      ++i_;
    }
  }

  void skip_line() {
    while (i_ < s_.size() && s_[i_] != '\n') ++i_;
  }

  // "#!KAMAILIO", "#!SER" and "#!SIP-router" only say which dialect the file is in; Kamailio
  // reads them before any statement. Everything else after "#!" is preprocessing we do not do.
  Status directive(bool before_statements) {
    const size_t start = i_;
    while (i_ < s_.size() && !ascii_isspace(s_[i_])) ++i_;
    const std::string_view name = s_.substr(start, i_ - start);
    if (name == "#!KAMAILIO" || name == "#!SER" || name == "#!SIP-router") {
      if (!before_statements) {
        return fail(line_,
                    fmt::format("{} must come first in the file, before any statement", name));
      }
      skip_line();
      return Status::ok();
    }
    return fail(line_, fmt::format("preprocessor directive {} is not supported by sipring; write "
                                   "the values literally (only #!KAMAILIO, #!SER or #!SIP-router "
                                   "may open the file)",
                                   name));
  }

  Status block_comment() {
    const int opened = line_;
    int depth = 0;
    while (i_ < s_.size()) {
      if (s_[i_] == '/' && peek(1) == '*') {
        ++depth;
        i_ += 2;
      } else if (s_[i_] == '*' && peek(1) == '/') {
        i_ += 2;
        if (--depth == 0) return Status::ok();
      } else {
        if (s_[i_] == '\n') ++line_;
        ++i_;
      }
    }
    return fail(opened, "this /* comment is never closed: add */ where it should end");
  }

  Result<ConfigToken> string() {
    const char quote = s_[i_++];
    ConfigToken t;
    t.kind = ConfigToken::Kind::kString;
    t.line = line_;
    while (i_ < s_.size() && s_[i_] != quote && s_[i_] != '\n') {
      char c = s_[i_++];
      if (c == '\\' && i_ < s_.size() && s_[i_] != '\n') {
        const char e = s_[i_++];
        switch (e) {
          case 'n':
            c = '\n';
            break;
          case 't':
            c = '\t';
            break;
          case 'r':
            c = '\r';
            break;
          case '\\':
          case '"':
          case '\'':
            c = e;
            break;
          default:  // unknown escape: keep it as written
            t.text += '\\';
            c = e;
        }
      }
      t.text += c;
    }
    if (i_ >= s_.size() || s_[i_] != quote) {
      return fail(t.line, fmt::format("string is not closed: add the missing {} before the end "
                                      "of the line",
                                      quote));
    }
    ++i_;
    return t;
  }

  std::string word() {
    const size_t start = i_;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (ascii_isspace(c) || is_punct(c) || c == '"' || c == '\'' || c == '#') break;
      if (c == '/' && (peek(1) == '/' || peek(1) == '*')) break;
      ++i_;
    }
    return std::string(s_.substr(start, i_ - start));
  }

  std::string_view s_;
  const std::string& name_;
  size_t i_ = 0;
  int line_ = 1;
};

}  // namespace

Result<std::vector<ConfigToken>> tokenize_config(std::string_view text, const std::string& name) {
  std::vector<ConfigToken> tokens;
  if (Status s = Lexer(text, name).run(&tokens); !s) return s;
  return tokens;
}

}  // namespace sipring
