#include "tools/sipring/via_received.h"

#include <arpa/inet.h>
#include <strings.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

namespace sipring {
namespace {

bool is_ws(uint8_t c) {
  return c == ' ' || c == '\t';
}

// RFC 3261 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
bool is_token(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != 0 && strchr("-.!%*_+`'~", c) != nullptr);
}

bool same_name(const uint8_t* p, size_t n, const char* lit) {
  return n == strlen(lit) && strncasecmp(reinterpret_cast<const char*>(p), lit, n) == 0;
}

// The top Via of a response, as far as this file needs it: offsets into the message.
struct TopVia {
  size_t host_b = 0, host_e = 0;          // sent-by host, brackets of an IPv6 reference included
  size_t params_end = 0;                  // where the last via-param (or sent-by) ends
  size_t rport_name_end = 0;              // after "rport" when it has no value, else 0
  bool received = false;                  // a received parameter is present
  size_t received_b = 0, received_e = 0;  // its value (empty range right after the name: none)
};

class Scanner {
 public:
  Scanner(const uint8_t* m, size_t end) : m_(m), end_(end) {}
  size_t ws(size_t i) const {
    while (i < end_ && is_ws(m_[i])) i++;
    return i;
  }
  size_t token(size_t i) const {
    while (i < end_ && is_token(m_[i])) i++;
    return i;
  }
  bool at(size_t i, char c) const { return i < end_ && m_[i] == static_cast<uint8_t>(c); }
  // Past the closing character of a quoted string (quoted-pair escapes) or an IPv6 reference
  // that starts at i; 0 when it does not close on this line.
  size_t closed(size_t i, char close, bool escapes) const {
    for (size_t k = i + 1; k < end_; k++) {
      if (escapes && m_[k] == '\\') {
        k++;
      } else if (m_[k] == static_cast<uint8_t>(close)) {
        return k + 1;
      }
    }
    return 0;
  }

 private:
  const uint8_t* m_;
  size_t end_;
};

// Parses the via-parm starting at `v` (up to the line end `le`): sent-protocol LWS sent-by
// *(SEMI via-params) (RFC 3261 20.42, with SWS around "/", ":", ";" and "="). False when it
// does not parse.
bool parse_top_via(const uint8_t* m, size_t v, size_t le, TopVia* out) {
  Scanner s(m, le);
  size_t i = v;
  for (int part = 0; part < 3; part++) {  // protocol-name "/" protocol-version "/" transport
    size_t j = s.token(i);
    if (j == i) return false;
    i = s.ws(j);
    if (part < 2) {
      if (!s.at(i, '/')) return false;
      i = s.ws(i + 1);
    }
  }
  if (i == le || !is_ws(m[i - 1])) return false;  // LWS before sent-by
  out->host_b = i;
  if (s.at(i, '[')) {
    i = s.closed(i, ']', false);
    if (i == 0) return false;
  } else {
    i = s.token(i);
  }
  out->host_e = i;
  if (out->host_e == out->host_b) return false;
  size_t j = s.ws(i);
  if (s.at(j, ':')) {
    j = s.ws(j + 1);
    size_t k = j;
    while (k < le && m[k] >= '0' && m[k] <= '9') k++;
    if (k == j) return false;
    i = k;
  }
  for (;;) {
    j = s.ws(i);
    if (j == le || m[j] == ',') break;
    if (m[j] != ';') return false;
    const size_t name_b = s.ws(j + 1);
    const size_t name_e = s.token(name_b);
    if (name_e == name_b) return false;
    size_t value_b = name_e, value_e = name_e;
    j = s.ws(name_e);
    if (s.at(j, '=')) {
      value_b = s.ws(j + 1);
      if (s.at(value_b, '"')) {
        value_e = s.closed(value_b, '"', true);
      } else if (s.at(value_b, '[')) {
        value_e = s.closed(value_b, ']', false);
      } else {
        value_e = s.token(value_b);
      }
      if (value_e == 0 || value_e == value_b) return false;
    }
    i = value_e;
    if (same_name(m + name_b, name_e - name_b, "rport") && value_b == name_e) {
      out->rport_name_end = name_e;
    } else if (same_name(m + name_b, name_e - name_b, "received")) {
      out->received = true;
      out->received_b = value_b;
      out->received_e = value_e;
    }
  }
  out->params_end = i;
  return true;
}

// The peer's IP as RFC 3261 writes it in `received` (IPv6 without brackets; an IPv4-mapped IPv6
// address as the IPv4 address it is) and its bytes, to compare with the sent-by host.
struct PeerIp {
  int family = 0;
  uint8_t bytes[16] = {};
  char text[INET6_ADDRSTRLEN] = {};
};

bool peer_ip(const SockAddr& peer, PeerIp* out) {
  if (peer.family() == AF_INET) {
    out->family = AF_INET;
    memcpy(out->bytes, &reinterpret_cast<const sockaddr_in*>(peer.sa())->sin_addr, 4);
  } else if (peer.family() == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(peer.sa())->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
      out->family = AF_INET;
      memcpy(out->bytes, a.s6_addr + 12, 4);
    } else {
      out->family = AF_INET6;
      memcpy(out->bytes, a.s6_addr, 16);
    }
  } else {
    return false;
  }
  if (out->family == AF_INET6) {
    return inet_ntop(AF_INET6, out->bytes, out->text, sizeof(out->text)) != nullptr;
  }
  // IPv4 by hand: glibc's inet_ntop formats it with sprintf, which showed in the per-message
  // profile of the demo core (tools/profile.sh requests).
  char* p = out->text;
  for (int i = 0; i < 4; i++) {
    if (i != 0) *p++ = '.';
    p = std::to_chars(p, out->text + sizeof(out->text), out->bytes[i]).ptr;
  }
  *p = '\0';
  return true;
}

// Whether the sent-by host m[b..e) is the peer's IP address (an IPv4 address, or an IPv6
// reference in brackets); a name never is.
bool host_is(const uint8_t* m, size_t b, size_t e, const PeerIp& ip) {
  int family = AF_INET;
  if (m[b] == '[') {
    family = AF_INET6;
    b++;
    e--;
  }
  char text[INET6_ADDRSTRLEN + 1];
  if (e - b >= sizeof(text)) return false;
  memcpy(text, m + b, e - b);
  text[e - b] = '\0';
  uint8_t bytes[16];
  if (family != ip.family || inet_pton(family, text, bytes) != 1) return false;
  return memcmp(bytes, ip.bytes, family == AF_INET ? 4 : 16) == 0;
}

// One replacement of msg[at, at + remove) by text[0..len), built with append() (to_chars, not
// snprintf: this runs once per message).
struct Edit {
  size_t at = 0;
  size_t remove = 0;
  char text[INET6_ADDRSTRLEN + 16] = {};
  size_t len = 0;

  // text holds ";received=" plus the longest address, or "=" plus a port: never overflows.
  void append(std::string_view s) noexcept {
    memcpy(text + len, s.data(), s.size());
    len += s.size();
  }
  void append(unsigned v) noexcept {
    len = static_cast<size_t>(std::to_chars(text + len, text + sizeof(text), v).ptr - text);
  }
};

}  // namespace

bool add_received_rport(uint8_t* msg, size_t* size, size_t cap, const SockAddr& peer) noexcept {
  const size_t n = *size;
  const char* text = reinterpret_cast<const char*>(msg);
  // build_response's layout: the status line, then the first Via line.
  const char* crlf = static_cast<const char*>(memmem(text, n, "\r\n", 2));
  if (crlf == nullptr) return true;
  const size_t line = static_cast<size_t>(crlf - text) + 2;
  constexpr char kVia[] = "Via: ";
  if (n - line < sizeof(kVia) - 1 || memcmp(text + line, kVia, sizeof(kVia) - 1) != 0) return true;
  const size_t v = line + sizeof(kVia) - 1;
  const char* le = static_cast<const char*>(memmem(text + v, n - v, "\r\n", 2));
  if (le == nullptr) return true;
  TopVia via;
  PeerIp ip;
  if (!parse_top_via(msg, v, static_cast<size_t>(le - text), &via) || !peer_ip(peer, &ip)) {
    return true;
  }

  Edit edits[2];
  size_t count = 0;
  if (via.rport_name_end != 0) {
    Edit& e = edits[count++];
    e.at = via.rport_name_end;
    e.append("=");
    e.append(unsigned{peer.port()});
  }
  if (via.rport_name_end != 0 || !host_is(msg, via.host_b, via.host_e, ip)) {
    Edit& e = edits[count++];
    if (via.received) {
      e.at = via.received_b;
      e.remove = via.received_e - via.received_b;
      // A received without a value gets one: "=" goes before it.
      if (e.remove == 0) e.append("=");
      e.append(ip.text);
    } else {
      e.at = via.params_end;
      e.append(";received=");
      e.append(ip.text);
    }
  }
  size_t grown = n;
  for (size_t k = 0; k < count; k++) grown = grown + edits[k].len - edits[k].remove;
  if (grown > cap) return false;
  // Later positions first, so the earlier ones still point where they did. At the same position
  // (rport the last parameter) ";received=" goes in first so that rport's "=PORT" precedes it.
  if (count == 2 && edits[0].at <= edits[1].at) std::swap(edits[0], edits[1]);
  size_t now = n;
  for (size_t k = 0; k < count; k++) {
    const Edit& e = edits[k];
    memmove(msg + e.at + e.len, msg + e.at + e.remove, now - e.at - e.remove);
    memcpy(msg + e.at, e.text, e.len);
    now = now + e.len - e.remove;
  }
  *size = now;
  return true;
}

}  // namespace sipring
