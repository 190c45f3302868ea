/* SIP head reading for the relay (see sip_text.h). */
#include "sip_text.h"

#include <string.h>

static int lower(int c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}
static int is_ws(char c) {
  return c == ' ' || c == '\t';
}
static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* RFC 3261 token characters. */
static int is_token(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return 1;
  return c != 0 && strchr("-.!%*_+`'~", c) != NULL;
}

static int eq_ci(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (lower((unsigned char)a[i]) != lower((unsigned char)b[i])) return 0;
  }
  return 1;
}

size_t relay_find_ci(const char* h, size_t n, const char* needle) {
  size_t k = strlen(needle);
  for (size_t i = 0; i + k <= n; i++) {
    if (eq_ci(h + i, needle, k)) return i;
  }
  return (size_t)-1;
}

/* End of the line starting at pos: *content_end is where its text ends (before CR LF or LF);
 * returns the offset of the next line, or 0 when no LF follows. */
static size_t line_end(const char* m, size_t n, size_t pos, size_t* content_end) {
  const char* lf = memchr(m + pos, '\n', n - pos);
  if (lf == NULL) return 0;
  size_t e = (size_t)(lf - m);
  *content_end = (e > pos && m[e - 1] == '\r') ? e - 1 : e;
  return e + 1;
}

int relay_parse_start(const char* m, size_t n, relay_start* out) {
  size_t end;
  size_t next = line_end(m, n, 0, &end);
  if (next == 0) return 0;
  memset(out, 0, sizeof(*out));
  out->headers = next;
  if (end >= 12 && eq_ci(m, "SIP/2.0 ", 8)) {
    if (!is_digit(m[8]) || !is_digit(m[9]) || !is_digit(m[10])) return 0;
    if (end > 11 && m[11] != ' ') return 0;
    out->status = (m[8] - '0') * 100 + (m[9] - '0') * 10 + (m[10] - '0');
    return out->status >= 100 && out->status <= 699;
  }
  size_t i = 0;
  while (i < end && is_token(m[i])) i++;
  if (i == 0 || i >= end || m[i] != ' ') return 0;
  out->method_len = i;
  const char* sp = memchr(m + i + 1, ' ', end - i - 1);
  if (sp == NULL || sp == m + i + 1) return 0; /* no Request-URI */
  size_t v = (size_t)(sp - m) + 1;
  if (end - v != 7 || !eq_ci(m + v, "SIP/2.0", 7)) return 0;
  out->is_request = 1;
  return 1;
}

int relay_next_header(const char* m, size_t n, size_t* pos, relay_hdr* h) {
  size_t p = *pos, end;
  size_t next = line_end(m, n, p, &end);
  if (next == 0) return -1;
  if (end == p) { /* the blank line */
    *pos = next;
    return 0;
  }
  if (is_ws(m[p])) return -1; /* a continuation line with nothing to continue */
  size_t i = p;
  while (i < end && is_token(m[i])) i++;
  size_t name_len = i - p;
  while (i < end && is_ws(m[i])) i++;
  if (name_len == 0 || i >= end || m[i] != ':') return -1;
  i++;
  /* Join continuation lines: the value runs to the last line starting with SP or HT. */
  size_t value_end = end;
  while (next < n && is_ws(m[next])) {
    size_t e2;
    size_t nn = line_end(m, n, next, &e2);
    if (nn == 0) return -1;
    value_end = e2;
    next = nn;
  }
  while (i < value_end && (is_ws(m[i]) || m[i] == '\r' || m[i] == '\n')) i++;
  while (value_end > i &&
         (is_ws(m[value_end - 1]) || m[value_end - 1] == '\r' || m[value_end - 1] == '\n')) {
    value_end--;
  }
  h->line = p;
  h->line_end = next;
  h->name_len = name_len;
  h->value = i;
  h->value_end = value_end;
  *pos = next;
  return 1;
}

int relay_hdr_is(const char* m, const relay_hdr* h, const char* name, char compact) {
  size_t k = strlen(name);
  if (h->name_len == k && eq_ci(m + h->line, name, k)) return 1;
  return compact != 0 && h->name_len == 1 && lower((unsigned char)m[h->line]) == compact;
}

/* Linear white space inside a header value, continuation line breaks included. */
static size_t skip_lws(const char* v, size_t n, size_t i) {
  while (i < n && (is_ws(v[i]) || v[i] == '\r' || v[i] == '\n')) i++;
  return i;
}

/* SWS "/" SWS */
static size_t slash(const char* v, size_t n, size_t i) {
  i = skip_lws(v, n, i);
  if (i >= n || v[i] != '/') return 0;
  return skip_lws(v, n, i + 1);
}

/* A parameter value: token, host (IPv6 reference included) or quoted-string. Returns the end,
 * or 0 when malformed. */
static size_t param_value(const char* v, size_t n, size_t i) {
  if (i < n && v[i] == '"') {
    for (i++; i < n; i++) {
      if (v[i] == '\\') {
        i++;
      } else if (v[i] == '"') {
        return i + 1;
      }
    }
    return 0;
  }
  size_t s = i;
  while (i < n && (is_token(v[i]) || v[i] == ':' || v[i] == '[' || v[i] == ']')) i++;
  return i > s ? i : 0;
}

int relay_parse_via(const char* v, size_t n, relay_via* out) {
  memset(out, 0, sizeof(*out));
  size_t i = skip_lws(v, n, 0);
  if (n - i < 3 || !eq_ci(v + i, "SIP", 3)) return 0;
  if ((i = slash(v, n, i + 3)) == 0) return 0;
  if (n - i < 3 || memcmp(v + i, "2.0", 3) != 0) return 0;
  if ((i = slash(v, n, i + 3)) == 0) return 0;
  size_t t = i;
  while (i < n && is_token(v[i])) i++;
  if (i == t || i >= n || !is_ws(v[i])) return 0; /* transport, then LWS */
  i = skip_lws(v, n, i);
  out->sent_by = i;
  if (i < n && v[i] == '[') { /* IPv6reference */
    const char* close = memchr(v + i, ']', n - i);
    if (close == NULL) return 0;
    for (size_t k = i + 1; k < (size_t)(close - v); k++) {
      int c = lower((unsigned char)v[k]);
      if (!is_digit(v[k]) && !(c >= 'a' && c <= 'f') && c != ':' && c != '.') return 0;
    }
    i = (size_t)(close - v) + 1;
  } else {
    while (i < n && (is_digit(v[i]) || v[i] == '.' || v[i] == '-' || v[i] == '_' ||
                     (lower((unsigned char)v[i]) >= 'a' && lower((unsigned char)v[i]) <= 'z'))) {
      i++;
    }
  }
  if (i == out->sent_by) return 0;
  if (i < n && v[i] == ':') {
    size_t d = ++i;
    while (i < n && is_digit(v[i])) i++;
    if (i == d || i - d > 5) return 0;
  }
  out->sent_by_len = i - out->sent_by;
  for (;;) {
    size_t e = i;
    i = skip_lws(v, n, i);
    if (i >= n || v[i] == ',') {
      out->end = e;
      out->next = i >= n ? n : skip_lws(v, n, i + 1);
      return !(i < n && out->next >= n); /* a comma must be followed by a via-parm */
    }
    if (v[i] != ';') return 0;
    i = skip_lws(v, n, i + 1);
    size_t name = i;
    while (i < n && is_token(v[i])) i++;
    if (i == name) return 0;
    size_t name_len = i - name;
    size_t j = skip_lws(v, n, i);
    if (j < n && v[j] == '=') {
      j = skip_lws(v, n, j + 1);
      size_t ve = param_value(v, n, j);
      if (ve == 0) return 0;
      if (name_len == 6 && eq_ci(v + name, "branch", 6)) {
        out->branch = j;
        out->branch_len = ve - j;
      }
      i = ve;
    }
  }
}

long relay_parse_max_forwards(const char* v, size_t n) {
  if (n == 0 || n > 9) return -1;
  long x = 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_digit(v[i])) return -1;
    x = x * 10 + (v[i] - '0');
  }
  return x;
}
