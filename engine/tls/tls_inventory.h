// What a TLS configuration consists of, for the automatic reload and tls.certs: the files it
// reads (tls_files) and the certificates its domains present (certificates_in_use). One home
// for both, so a new file-valued setting is added in one table (kProfileFiles in
// tls_inventory.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tls/tls_domains.h"
#include "sipring/engine.h"

namespace sipring {

class TlsContextSet;

// One file or directory a TLS configuration reads.
struct TlsFileUse {
  std::string path;        // absolute (resolved as the configuration resolves it)
  bool directory = false;  // ca_path, a tls.cfg directory: every entry in it counts
  std::string what;        // "certificate", "ca_list", ..., "config" (the tls.cfg itself)
  std::string domain;      // "server:default"; "" for the tls.cfg
};

// TlsFileUse::what of tls.ticket_key_file.
inline constexpr std::string_view kTicketKeyFileUse = "ticket_key_file";

// The files the TLS module parameters read beside the domains' (what = kTicketKeyFileUse,
// domain ""): tls.ticket_key_file when set. Pure.
std::vector<TlsFileUse> tls_param_files(const TlsParams& params);

// Every file `domains` reads: each domain's certificate, private_key, ca_list, ca_path and crl
// (kProfileFiles), and the tls.cfg file or directory they came from (domains.source, unless they
// came from the module parameters). Unset fields are skipped; a path several domains share is
// listed once (for the first domain naming it). Pure: does not touch the file system except to
// ask whether the tls.cfg is a directory.
std::vector<TlsFileUse> tls_files(const TlsDomainSet& domains);

// The certificate each domain of `set` presents (client domains without one are skipped), as
// its context holds it (not as the file reads now), with its facts and the whole days left at
// `now_unix`. Any thread; the set is immutable.
std::vector<TlsCertificate> certificates_in_use(const TlsContextSet& set, int64_t now_unix);

// One OCSP staple a domain of a TLS configuration sends (ocsp_staple_file, ocsp_staple_file2).
struct TlsStaple {
  std::string domain;       // "server:default"
  std::string file;         // the staple file, as loaded
  int64_t next_update = 0;  // the response's nextUpdate, unix seconds
};

// The staples the contexts of `set` send, as loaded (a file several domains share is listed for
// each). Any thread; the set is immutable.
std::vector<TlsStaple> staples_in_use(const TlsContextSet& set);

// Whole days from `now_unix` to `not_after`, rounded down (negative once expired).
int64_t days_left(int64_t not_after, int64_t now_unix) noexcept;

}  // namespace sipring
