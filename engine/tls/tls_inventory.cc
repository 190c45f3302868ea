#include "engine/tls/tls_inventory.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <filesystem>

#include "crypto/cert_facts.h"
#include "crypto/cert_select.h"
#include "crypto/ocsp_staple.h"
#include "engine/tls/tls_contexts.h"

namespace sipring {
namespace {

// The TlsProfile members that name files, with the name the manual gives them. A new
// file-valued member (ocsp_staple_file, certificate2, private_key2, ...) is one line here, and
// the automatic reload then watches it.
struct ProfileFile {
  const char* what;
  std::string TlsProfile::*field;
  bool directory;
};
constexpr ProfileFile kProfileFiles[] = {
    {"certificate", &TlsProfile::certificate, false},
    {"private_key", &TlsProfile::private_key, false},
    {"certificate2", &TlsProfile::certificate2, false},
    {"private_key2", &TlsProfile::private_key2, false},
    {"ca_list", &TlsProfile::ca_list, false},
    {"ca_path", &TlsProfile::ca_path, true},
    {"crl", &TlsProfile::crl, false},
    {"ocsp_staple_file", &TlsProfile::ocsp_staple_file, false},
    {"ocsp_staple_file2", &TlsProfile::ocsp_staple_file2, false},
};

}  // namespace

std::vector<TlsFileUse> tls_files(const TlsDomainSet& domains) {
  std::vector<TlsFileUse> out;
  auto add = [&out](std::string path, bool directory, std::string what, std::string domain) {
    if (path.empty()) return;
    for (const TlsFileUse& f : out) {
      if (f.path == path) return;
    }
    out.push_back({std::move(path), directory, std::move(what), std::move(domain)});
  };
  // TlsDomainSet::source is the resolved tls.cfg path, or "modparams" (tls_domains.h).
  if (domains.source != "modparams") {
    std::error_code ec;
    add(domains.source, std::filesystem::is_directory(domains.source, ec), "config", "");
  }
  for (const TlsDomain& d : domains.domains) {
    for (const ProfileFile& f : kProfileFiles) {
      add(d.profile.*f.field, f.directory, f.what, d.name());
    }
  }
  return out;
}

std::vector<TlsFileUse> tls_param_files(const TlsParams& params) {
  std::vector<TlsFileUse> out;
  if (!params.ticket_key_file.empty()) {
    out.push_back({params.ticket_key_file, false, std::string(kTicketKeyFileUse), ""});
  }
  return out;
}

int64_t days_left(int64_t not_after, int64_t now_unix) noexcept {
  const int64_t s = not_after - now_unix;
  return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

std::vector<TlsCertificate> certificates_in_use(const TlsContextSet& set, int64_t now_unix) {
  std::vector<TlsCertificate> out;
  auto add = [&out, now_unix](const TlsDomain& d, const std::string& file, SSL_CTX* ctx,
                              bool second) {
    // BoringSSL takes the context's lock to build the X509 it returns, so this is safe while
    // reactors use the context.
    std::optional<CertFacts> facts =
        ctx != nullptr ? cert_facts_of(SSL_CTX_get0_certificate(ctx)) : std::nullopt;
    if (!facts) return;
    TlsCertificate c;
    c.domain = d.name();
    c.file = file;
    c.certificate2 = second;
    c.days_left = days_left(facts->not_after, now_unix);
    c.facts = std::move(*facts);
    out.push_back(std::move(c));
  };
  for (const TlsDomain& d : set.domains().domains) {
    SSL_CTX* ctx = set.context_of(&d);
    add(d, d.profile.certificate, ctx, false);
    if (ctx != nullptr) add(d, d.profile.certificate2, certificate2_context(ctx), true);
  }
  return out;
}

std::vector<TlsStaple> staples_in_use(const TlsContextSet& set) {
  std::vector<TlsStaple> out;
  for (const TlsDomain& d : set.domains().domains) {
    SSL_CTX* ctx = set.context_of(&d);
    if (ctx == nullptr) continue;
    for (SSL_CTX* c : {ctx, certificate2_context(ctx)}) {
      const StapleInfo* staple = c != nullptr ? context_staple(c) : nullptr;
      if (staple != nullptr) out.push_back({d.name(), staple->file, staple->next_update});
    }
  }
  return out;
}

}  // namespace sipring
