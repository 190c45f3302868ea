// TLS domains: which certificate, key, CA list and verification rules apply to a connection,
// chosen by role (server or client), address and SNI name.
//
// The module parameters describe one server and one client domain. A tls.cfg file (the
// `config` parameter, manual §1.9.27, Kamailio's format) describes many; then the module
// parameters are ignored, exactly as the manual says.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sipring/config.h"
#include "sipring/result.h"
#include "sipring/sock_addr.h"

namespace sipring {

struct TlsDomain {
  enum class Role : uint8_t { kServer, kClient };
  enum class Kind : uint8_t {
    kDefault,  // [server:default] / [client:default]
    kAny,      // [server:any] / [client:any]: any address, chosen by server_name / server_id
    kAddress,  // [server:IP:PORT] / [client:IP:PORT]
  };
  Role role = Role::kServer;
  Kind kind = Kind::kDefault;
  SockAddr addr;       // kAddress only; port 0 = any port on that IP (as in Kamailio)
  TlsProfile profile;  // the fields a [server:...]/[client:...] section may carry
  std::string where;   // "tls.cfg:12" (section line), "modparam" or "built-in", for messages

  // "server:default", "client:127.0.0.1:5061", "server:any" — the section name, for tls.list.
  // Sections that differ only by server_name (or, for clients, server_id) stay distinct:
  // "/NAME" follows when server_name is set and ";server_id=ID" when a client domain has one,
  // e.g. "server:any/kamailio.net", "client:127.0.0.1:5061/kamailio.org;server_id=k1".
  // IPv6 addresses are bracketed: "server:[2001:db8::1]:5061".
  std::string name() const;
};

class TlsDomainSet {
 public:
  std::string source;  // the tls.cfg path, or "modparams"
  std::vector<TlsDomain> domains;

  // The server domain for a connection accepted on `local` whose client sent `sni` (may be
  // empty). First match wins, in this order:
  //   1. an address domain of `local` whose server_name matches `sni`;
  //   2. an `any` domain whose server_name matches `sni`;
  //   3. an address domain of `local` without server_name;
  //   4. only if no SNI was sent: an address domain of `local` with a server_name (Kamailio
  //      picks the socket's domain before SNI is known, so such a client gets it too);
  //   5. server:default.
  // A server_name matches `sni` when they are equal (server_name_mode 0 or 1), when `sni` is
  // a subdomain of it at any depth (mode 1 or 2), or, for a "*.example.com" pattern, when `sni`
  // is one label followed by ".example.com" (a.example.com, not example.com nor
  // a.b.example.com: what a wildcard certificate covers). Names compare ASCII
  // case-insensitively. Within 1 and 2 the most specific match wins: an exact name, then the
  // longest suffix, and for the same suffix a pattern before a subdomain match; ties go to the
  // earlier section. An address domain matches `local`'s IP and port (its port 0: any port);
  // IPv4-mapped IPv6 addresses compare as IPv4. nullptr only if no domain qualifies.
  // Allocation-free.
  const TlsDomain* server_for(const SockAddr& local, std::string_view sni) const noexcept;
  // The client domain for a connection to `remote`, first match in this order:
  //   1. a domain whose server_id equals `server_id` (case-insensitive; Kamailio's xavp_cfg /
  //      tls_set_connect_server_id selection);
  //   2. an address domain of `remote` whose server_name matches `server_name`;
  //   3. an `any` domain whose server_name matches `server_name`;
  //   4. an address domain of `remote` without server_name;
  //   5. only if `server_name` is empty: an address domain of `remote` with a server_name (its
  //      server_name is then the SNI to send);
  //   6. client:default.
  // Tie rules as for server_for. Allocation-free.
  const TlsDomain* client_for(const SockAddr& remote, std::string_view server_name,
                              std::string_view server_id) const noexcept;
};

// Whether `server_name` is a "*.SUFFIX" pattern (server domains only; the parser refuses any
// other use of '*').
bool is_server_name_pattern(std::string_view server_name) noexcept;

// Whether two domains would be chosen in exactly the same situations (same role and kind, same
// address and port, same server_name and, for clients, server_id; names case-insensitively):
// the tls.cfg parser's duplicate-section check.
bool same_selector(const TlsDomain& a, const TlsDomain& b);

// Parses a tls.cfg. Relative paths follow the manual: "./x" against the working directory,
// "/x" absolute, anything else against `config_dir` (the main config file's directory).
// Errors name "NAME:LINE: reason". Unknown attributes and duplicate sections are errors.
// Syntax, attribute names and aliases are Kamailio 5.6's (the table atop tls_cfg_parser.cc).
// Each section starts from TlsProfile's defaults: like Kamailio, a section inherits nothing
// from [server:default]/[client:default] nor from the module parameters. If the text has no
// [client:default], one with TlsProfile's defaults is added (where = "built-in"), as Kamailio
// does; a missing [server:default] is not invented (it would have no certificate).
Result<TlsDomainSet> parse_tls_domains(const std::string& text, const std::string& name,
                                       const std::string& config_dir);
// Reads and parses `path` (resolved against `config_dir` like any config path). As in Kamailio,
// `path` may be a directory: its regular files not starting with '.' are read in name order
// as one configuration (each section within one file; duplicates checked across all).
Result<TlsDomainSet> load_tls_domains(const std::string& path, const std::string& config_dir);

// The two domains the module parameters describe (server:default, client:default), both with
// params.profile (the server's without verify_hostname, which names what a server must be),
// where = "modparam" and source "modparams".
TlsDomainSet domains_from_params(const TlsParams& params);

}  // namespace sipring
