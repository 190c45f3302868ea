#include "tools/sipring-load/sip_load_message.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace sipring::load {
namespace {

// The value of the first header named `name` (or compact `compact`), case-insensitively.
std::string_view header(std::string_view msg, std::string_view name, char compact) {
  size_t pos = msg.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < msg.size()) {
    size_t start = pos + 2;
    size_t end = msg.find("\r\n", start);
    if (end == std::string_view::npos || end == start) break;
    std::string_view line = msg.substr(start, end - start);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view n = line.substr(0, colon);
      while (!n.empty() && (n.back() == ' ' || n.back() == '\t')) n.remove_suffix(1);
      bool match = (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) ||
                   (n.size() == 1 && (n[0] | 0x20) == compact);
      if (match) {
        std::string_view v = line.substr(colon + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        return v;
      }
    }
    pos = end;
  }
  return {};
}

}  // namespace

size_t build_options(char* out, size_t cap, uint32_t reactor, uint32_t conn, uint32_t seq) {
  int n = snprintf(out, cap,
                   "OPTIONS sip:bench@127.0.0.1:5061;transport=tls SIP/2.0\r\n"
                   "Via: SIP/2.0/TLS 127.0.0.1:40000;branch=z9hG4bK-%u-%u-%u;rport\r\n"
                   "Max-Forwards: 70\r\n"
                   "From: \"sipring load\" <sip:load@sipring.invalid>;tag=l%u-%u\r\n"
                   "To: <sip:bench@127.0.0.1>\r\n"
                   "Call-ID: %u-%u-%u@sipring-load\r\n"
                   "CSeq: %u OPTIONS\r\n"
                   "Contact: <sip:load@127.0.0.1:40000;transport=tls>\r\n"
                   "Accept: application/sdp\r\n"
                   "User-Agent: sipring-load/0.1\r\n"
                   "Content-Length: 0\r\n\r\n",
                   reactor, conn, seq, reactor, conn, reactor, conn, seq, seq);
  return n > 0 && static_cast<size_t>(n) < cap ? static_cast<size_t>(n) : 0;
}

ParsedResponse parse_response(std::string_view msg) {
  ParsedResponse r;
  if (msg.size() < 12 || msg.substr(0, 8) != "SIP/2.0 ") return r;
  r.status = atoi(std::string(msg.substr(8, 3)).c_str());
  std::string_view cid = header(msg, "Call-ID", 'i');
  std::string_view cseq = header(msg, "CSeq", '\0');
  std::string_view to = header(msg, "To", 't');
  if (cid.empty() || cseq.empty() || to.empty()) return r;
  unsigned a, b, c;
  if (sscanf(std::string(cid).c_str(), "%u-%u-%u@", &a, &b, &c) != 3) return r;
  r.reactor = a;
  r.conn = b;
  r.seq = c;
  r.cseq = static_cast<uint32_t>(strtoul(std::string(cseq).c_str(), nullptr, 10));
  r.to_tag = to.find(";tag=") != std::string_view::npos;
  r.ok = true;
  return r;
}

}  // namespace sipring::load
