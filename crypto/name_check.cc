#include "crypto/name_check.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/nid.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "crypto/boringssl.h"
#include "crypto/tls_error.h"

namespace sipring {
namespace {

// The host we were asked about, classified once.
struct Host {
  enum Kind { kInvalid, kDns, kIp } kind = kInvalid;
  std::string_view dns;  // without the trailing dot
  uint8_t ip[16] = {};
  size_t ip_len = 0;  // 4 or 16
};

bool is_ldh(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::string_view drop_trailing_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

// A DNS name in presentation form: ASCII labels of 1..63 letters, digits, '-' or '_', at most 253
// characters. RFC 5922 §7.1 only accepts a CN that is "a valid DNS name"; the same test keeps
// wildcards and stray bytes out of the host we compare.
bool valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (!is_ldh(c) || ++label > 63) {
      return false;
    }
  }
  return label > 0;
}

bool parse_ip(std::string_view text, uint8_t* out, size_t* len) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buf)) return false;
  memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (inet_pton(AF_INET, buf, out) == 1) {
    *len = 4;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out) == 1) {
    *len = 16;
    return true;
  }
  return false;
}

Host classify(std::string_view text) {
  Host h;
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    // Brackets are how SIP writes IPv6 references (RFC 3261 §25.1); nothing else goes in them.
    if (parse_ip(text.substr(1, text.size() - 2), h.ip, &h.ip_len) && h.ip_len == 16) {
      h.kind = Host::kIp;
    }
    return h;
  }
  if (parse_ip(text, h.ip, &h.ip_len)) {
    h.kind = Host::kIp;
    return h;
  }
  std::string_view name = drop_trailing_dot(text);
  if (valid_dns_name(name)) {
    h.kind = Host::kDns;
    h.dns = name;
  }
  return h;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

// RFC 5922 §7.2: whole names, compared as DNS names (case-insensitive, RFC 4343), no suffix and
// no wildcard matching. "*.example.com" would only equal itself, and our hosts never contain "*",
// so a wildcard is refused outright rather than compared.
bool dns_equal(std::string_view host, std::string_view cert_name) {
  cert_name = drop_trailing_dot(cert_name);
  if (cert_name.size() != host.size() || cert_name.find('*') != std::string_view::npos) {
    return false;
  }
  for (size_t i = 0; i < host.size(); ++i) {
    if (lower(host[i]) != lower(cert_name[i])) return false;
  }
  return true;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (lower(s[i]) != prefix[i]) return false;
  }
  return true;
}

// The host of a subjectAltName URI that RFC 5922 §7.1 accepts as a SIP domain identity, or an
// empty view with *why set. Only scheme "sip" qualifies (URI schemes are case-insensitive,
// RFC 3986 §3.1), so "sips:" and others do not; a URI with a user part (any '@', as §7.1 puts
// it) names a user, not a domain. §7.2 compares only the DNS name part and leaves scheme and
// parameters out, so a port, parameters or headers after the host are dropped, not refused.
std::string_view sip_domain(std::string_view uri, const char** why) {
  if (!starts_with_nocase(uri, "sip:")) {
    *why = "scheme is not sip";
    return {};
  }
  std::string_view rest = uri.substr(4);
  if (rest.find('@') != std::string_view::npos) {
    *why = "has a user part";
    return {};
  }
  std::string_view host;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    host = close == std::string_view::npos ? std::string_view() : rest.substr(0, close + 1);
  } else {
    host = rest.substr(0, rest.find_first_of(":;?"));
  }
  if (host.empty()) *why = "has no host";
  return host;
}

// Certificate text made safe for a log line.
void append_printable(std::string* out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      *out += static_cast<char>(c);
    } else {
      *out += "\\x";
      *out += kHex[c >> 4];
      *out += kHex[c & 0xf];
    }
  }
}

std::string printable(std::string_view bytes) {
  std::string out;
  append_printable(&out, bytes);
  return out;
}

std::string_view view(const ASN1_STRING* s) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
          static_cast<size_t>(ASN1_STRING_length(s))};
}

std::string ip_text(std::string_view bytes) {
  char buf[INET6_ADDRSTRLEN];
  const int family = bytes.size() == 4 ? AF_INET : bytes.size() == 16 ? AF_INET6 : AF_UNSPEC;
  if (family == AF_UNSPEC || !inet_ntop(family, bytes.data(), buf, sizeof(buf))) {
    return "<invalid>";
  }
  return buf;
}

// "KIND: a, b" appended to a detail list, "; " between kinds.
void append_list(std::string* out, const char* kind, const std::vector<std::string>& items) {
  if (items.empty()) return;
  if (!out->empty()) *out += "; ";
  *out += kind;
  *out += ": ";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) *out += ", ";
    *out += items[i];
  }
}

NameCheck fail(std::string detail) {
  return {false, std::move(detail)};
}
NameCheck pass(std::string detail) {
  return {true, std::move(detail)};
}

NameCheck check_ip(const GENERAL_NAMES* names, const Host& host, const std::string& shown) {
  const std::string_view want(reinterpret_cast<const char*>(host.ip), host.ip_len);
  std::vector<std::string> offered;
  for (const GENERAL_NAME* name : names) {  // a null stack has no entries
    if (name->type != GEN_IPADD) continue;
    const std::string_view ip = view(name->d.iPAddress);
    if (ip == want) return pass(shown + " matches subjectAltName IP " + ip_text(ip));
    offered.push_back(ip_text(ip));
  }
  if (offered.empty()) {
    return fail("no subjectAltName IP entry, and an IP literal is matched only against those (" +
                shown + ")");
  }
  std::string list;
  append_list(&list, "IP", offered);
  return fail("no subjectAltName matches " + shown + " (" + list + ")");
}

NameCheck check_cn(X509* x, const Host& host, const std::string& shown) {
  // RFC 5922 §7.1 step 2: the CN is looked at only because there is no subjectAltName, and only
  // when it holds a valid DNS name. Every CN attribute is tried, as OpenSSL's X509_check_host does.
  const X509_NAME* subject = X509_get_subject_name(x);
  std::vector<std::string> offered;
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;) {
    const std::string_view cn = view(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
    if (valid_dns_name(drop_trailing_dot(cn)) && dns_equal(host.dns, cn)) {
      return pass(shown + " matches subject CN " + printable(cn) +
                  " (certificate has no subjectAltName)");
    }
    offered.push_back(printable(cn));
  }
  std::string list;
  append_list(&list, "CN", offered);
  return fail("certificate has no subjectAltName and no subject CN matches " + shown + " (" +
              (list.empty() ? "no CN" : list) + ")");
}

NameCheck check_dns(const GENERAL_NAMES* names, const Host& host, const std::string& shown) {
  std::vector<std::string> sip_uris, ignored_uris, dns;
  bool have_sip = false;
  for (const GENERAL_NAME* name : names) {
    if (name->type != GEN_URI) continue;
    const std::string_view uri = view(name->d.uniformResourceIdentifier);
    const char* why = nullptr;
    const std::string_view domain = sip_domain(uri, &why);
    if (domain.empty()) {
      ignored_uris.push_back(printable(uri) + " (" + why + ")");
      continue;
    }
    have_sip = true;
    if (dns_equal(host.dns, domain))
      return pass(shown + " matches subjectAltName URI " + printable(uri));
    sip_uris.push_back(printable(uri));
  }
  for (const GENERAL_NAME* name : names) {
    if (name->type != GEN_DNS) continue;
    const std::string_view entry = view(name->d.dNSName);
    // RFC 5922 §7.1: a DNS entry is an identity only if no identity of the sip URI type was
    // found, so one sip URI puts every DNS entry out of play.
    if (!have_sip && dns_equal(host.dns, entry)) {
      return pass(shown + " matches subjectAltName DNS " + printable(entry));
    }
    dns.push_back(printable(entry));
  }
  std::string list;
  append_list(&list, "URI", sip_uris);
  append_list(&list, have_sip ? "DNS not consulted because sip URIs are present" : "DNS", dns);
  append_list(&list, "URI ignored", ignored_uris);
  if (list.empty()) list = "no DNS or sip URI entries";
  return fail("no subjectAltName matches " + shown + " (" + list + ")");
}

}  // namespace

NameCheck check_peer_name(std::span<const uint8_t> der, std::string_view host_text) {
  const std::string shown = printable(host_text);
  const Host host = classify(host_text);
  if (host.kind == Host::kInvalid) {
    return fail("\"" + shown +
                "\" is neither a DNS name nor an IP literal (no wildcards; IDNs as A-labels)");
  }

  if (der.empty()) return fail("no peer certificate (empty DER)");
  const uint8_t* p = der.data();
  bssl::UniquePtr<X509> x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x || p != der.data() + der.size()) {
    return fail("peer certificate does not parse as one DER certificate: " + take_tls_errors());
  }

  int crit = 0;
  bssl::UniquePtr<GENERAL_NAMES> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x.get(), NID_subject_alt_name, &crit, nullptr)));
  if (!names && crit != -1) {
    // Falling back to the CN here would let a broken extension widen what the certificate names.
    return fail("certificate's subjectAltName extension is " +
                std::string(crit == -2 ? "repeated" : "malformed") + " (" + take_tls_errors() +
                "); not falling back to the CN");
  }
  if (host.kind == Host::kIp) return check_ip(names.get(), host, shown);
  if (!names) return check_cn(x.get(), host, shown);
  return check_dns(names.get(), host, shown);
}

}  // namespace sipring
