// The tls.cfg attribute table and the check of each value (engine/tls/tls_cfg_attrs.h).
//
// Attributes. Aliases are exactly those of Kamailio 5.6's tls.cfg option table
// (modules/tls/tls_config.c); "(sipring)" marks sipring's own additions.
//
// | Attribute            | Aliases      | Value                                              |
// |----------------------|--------------|----------------------------------------------------|
// | tls_method           | method       | as modparam tls_method (registry); TLSv1.0 and     |
// |                      |              | TLSv1.0+ are Kamailio's spellings of TLSv1, TLSv1+ |
// | verify_certificate   | verify_cert  | boolean                                            |
// | verify_depth         |              | integer, as modparam verify_depth (0-100)          |
// | require_certificate  | require_cert | boolean                                            |
// | private_key          | pkey_file    | path                                               |
// | certificate          | cert_file    | path                                               |
// | ca_list              | calist_file  | path                                               |
// | ca_path              |              | path (a directory of hashed CA certificates)       |
// | crl                  |              | path                                               |
// | cipher_list          |              | string, as modparam cipher_list                    |
// | server_name          |              | host name (SNI): answered (server), sent (client); |
// |                      |              | (sipring) servers: or a "*.example.org" pattern    |
// | server_name_mode     |              | 0 name only, 1 name and subdomains, 2 subdomains   |
// | server_id            |              | string; selects a client domain (client_for)       |
// | verify_client        |              | off | on | optional | optional_no_ca               |
// | private_key_password |              | (sipring) passphrase of an encrypted PEM key;      |
// |                      |              | Kamailio asks for it on the console instead        |
// | verify_hostname      |              | (sipring, client domains only) name the server's   |
// |                      |              | certificate must carry                             |
// | certificate2         | cert_file2   | (Kamailio master; servers) path of a second        |
// |                      |              | certificate of the other key type                  |
// | private_key2         | pkey_file2   | (Kamailio master; servers) path of its key         |
// | private_key_password2|              | (Kamailio master; servers) its key's passphrase;   |
// |                      |              | alias pkey_password2                               |
// | groups               |              | (sipring) as modparam groups: "X25519:P-256"       |
// | ocsp_staple_file     |              | (sipring, server domains) DER OCSP response path   |
// | ocsp_staple_file2    |              | (sipring, server domains) the same for certificate2|
// | ocsp_require         |              | (sipring, client domains) boolean: demand a staple |
//
// Not Kamailio names, so refused as unknown: ca_file, cipher, verify_client_depth.
// Booleans: yes/no, on/off, true/false, 1/0, enable/disable, enabled/disabled.
// Paths: "./x" (and "../x") against the working directory, "/x" as is, "x" against the main
// config file's directory (resolve_config_path). An empty quoted value ("") leaves a string
// attribute unset.
//
// Deliberate differences from Kamailio in values, in the direction of saying more, never of
// silently doing something else: server_name_mode other than 0-2 is refused (Kamailio treats it
// as 0). sipring's own addition: a server section's server_name may be a "*.example.org"
// pattern (one label, then example.org; tls_domains.h), with server_name_mode 0 only; any other
// '*' is refused.
#include "engine/tls/tls_cfg_attrs.h"

#include <algorithm>

#include "crypto/tls_groups.h"
#include "engine/base/ascii.h"
#include "engine/config/config_registry.h"

namespace sipring::tls_cfg {

namespace {

struct AttrName {
  std::string_view name;
  Attr attr;
};

// Canonical names first (the order of the table above), then Kamailio's aliases.
constexpr AttrName kAttrNames[] = {
    {"tls_method", Attr::kTlsMethod},
    {"verify_certificate", Attr::kVerifyCertificate},
    {"verify_depth", Attr::kVerifyDepth},
    {"require_certificate", Attr::kRequireCertificate},
    {"private_key", Attr::kPrivateKey},
    {"certificate", Attr::kCertificate},
    {"ca_list", Attr::kCaList},
    {"ca_path", Attr::kCaPath},
    {"crl", Attr::kCrl},
    {"cipher_list", Attr::kCipherList},
    {"server_name", Attr::kServerName},
    {"server_name_mode", Attr::kServerNameMode},
    {"server_id", Attr::kServerId},
    {"verify_client", Attr::kVerifyClient},
    {"private_key_password", Attr::kPrivateKeyPassword},
    {"verify_hostname", Attr::kVerifyHostname},
    {"certificate2", Attr::kCertificate2},
    {"private_key2", Attr::kPrivateKey2},
    {"private_key_password2", Attr::kPrivateKeyPassword2},
    {"groups", Attr::kGroups},
    {"ocsp_staple_file", Attr::kOcspStapleFile},
    {"ocsp_staple_file2", Attr::kOcspStapleFile2},
    {"ocsp_require", Attr::kOcspRequire},
    {"method", Attr::kTlsMethod},
    {"verify_cert", Attr::kVerifyCertificate},
    {"require_cert", Attr::kRequireCertificate},
    {"pkey_file", Attr::kPrivateKey},
    {"cert_file", Attr::kCertificate},
    {"calist_file", Attr::kCaList},
    {"cert_file2", Attr::kCertificate2},
    {"pkey_file2", Attr::kPrivateKey2},
    {"pkey_password2", Attr::kPrivateKeyPassword2},
};

// The module parameter whose registry entry validates (and resolves) this attribute, so a
// value means, and is refused with, exactly what the modparam would; "" = checked here.
std::string_view registry_param(Attr a) {
  switch (a) {
    case Attr::kTlsMethod:
      return "tls_method";
    case Attr::kVerifyCertificate:
      return "verify_certificate";
    case Attr::kVerifyDepth:
      return "verify_depth";
    case Attr::kRequireCertificate:
      return "require_certificate";
    case Attr::kPrivateKey:
      return "private_key";
    case Attr::kCertificate:
      return "certificate";
    case Attr::kCaList:
      return "ca_list";
    case Attr::kCrl:
      return "crl";
    case Attr::kCipherList:
      return "cipher_list";
    case Attr::kCertificate2:
      return "certificate2";
    case Attr::kPrivateKey2:
      return "private_key2";
    case Attr::kGroups:
      return "groups";
    case Attr::kOcspStapleFile:
      return "ocsp_staple_file";
    case Attr::kOcspStapleFile2:
      return "ocsp_staple_file2";
    case Attr::kOcspRequire:
      return "ocsp_require";
    default:
      return "";
  }
}

Error config_error(std::string message) {
  return Error{Errc::kConfig, std::move(message)};
}

constexpr std::string_view kVerifyClientValues[] = {"off", "on", "optional", "optional_no_ca"};

std::string attr_list() {
  std::string s;
  for (const AttrName& a : kAttrNames) s += (s.empty() ? "" : ", ") + std::string(a.name);
  return s;
}

// Why `name` cannot be the server_name of a section of `role`, or "" if it can.
std::string server_name_problem(std::string_view name, TlsDomain::Role role) {
  std::string_view host = name;
  if (is_server_name_pattern(name)) {
    if (role == TlsDomain::Role::kClient) {
      return "server_name " + in_quotes(name) +
             ": a client domain's server_name is also the name it sends (SNI), so it cannot be "
             "a pattern; to choose this domain for every subdomain of " +
             std::string(name.substr(2)) + " write server_name = " + std::string(name.substr(2)) +
             " with server_name_mode = 2";
    }
    host = name.substr(2);
  }
  if (host.find('*') != std::string_view::npos) {
    return "server_name " + in_quotes(name) +
           " has a '*' that is not a leading \"*.\": a pattern is \"*.\" and a name "
           "(\"*.example.org\" matches a.example.org, not example.org nor a.b.example.org); "
           "for every subdomain at any depth write server_name = example.org with "
           "server_name_mode = 2 (or 1 to include example.org)";
  }
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.' ||
      !std::all_of(host.begin(), host.end(),
                   [](char c) { return ascii_isalnum(c) || c == '-' || c == '.' || c == '_'; })) {
    return "server_name " + in_quotes(name) +
           " is not a host name as a client sends it in SNI (letters, digits, '-', '_' and "
           "inner dots, e.g. sip.example.org), nor \"*.\" and such a name";
  }
  return "";
}

// Validates through the registry and leaves the result in scratch->tls.profile.
Status via_registry(std::string_view param, std::string_view written, const std::string& value,
                    Config* scratch) {
  const ParamDef* def = find_param("tls", param);
  if (def == nullptr) {
    return config_error("internal error: no registry entry tls." + std::string(param));
  }
  Status s = set_param(*scratch, *def, ParamValue::of_text(value));
  if (s) return s;
  // "tls.NAME: reason" -> "WRITTEN: reason": the file's spelling, the registry's reason.
  std::string reason = s.message();
  const std::string prefix = "tls." + std::string(def->name) + ": ";
  if (reason.compare(0, prefix.size(), prefix) == 0) reason.erase(0, prefix.size());
  return config_error(std::string(written) + ": " + reason);
}

}  // namespace

bool find_attr(std::string_view name, Attr* out_attr) {
  for (const AttrName& a : kAttrNames) {
    if (equals_ignore_case(a.name, name)) {
      *out_attr = a.attr;
      return true;
    }
  }
  return false;
}

std::string unknown_attr_reason(std::string_view name) {
  std::string hint;
  size_t best = SIZE_MAX;
  for (size_t i = 0; i < kAttrCount; ++i) {
    size_t dist = edit_distance(name, kAttrNames[i].name);
    const bool prefix = name.size() >= 3 && kAttrNames[i].name.size() > name.size() &&
                        equals_ignore_case(kAttrNames[i].name.substr(0, name.size()), name);
    if (prefix) dist = 1;  // "cipher" for "cipher_list"
    if (dist < best && dist <= std::max<size_t>(2, name.size() / 3)) {
      best = dist;
      hint = " (did you mean " + in_quotes(kAttrNames[i].name) + "?)";
    }
  }
  return "unknown attribute " + in_quotes(name) + hint + "; accepted: " + attr_list();
}

Status apply_attr(Attr a, std::string_view written, std::string value, TlsDomain::Role role,
                  Config* scratch) {
  TlsProfile& p = scratch->tls.profile;  // the registry validates into it, see via_registry
  if (a == Attr::kTlsMethod) {
    // Kamailio spells TLS 1.0 both ways; the registry knows the short form.
    if (equals_ignore_case(value, "TLSv1.0")) value = "TLSv1";
    if (equals_ignore_case(value, "TLSv1.0+")) value = "TLSv1+";
  }
  if (a == Attr::kVerifyCertificate || a == Attr::kRequireCertificate) {
    // Kamailio's cfg parser also takes these two; parse_config_bool has the rest.
    if (equals_ignore_case(value, "enabled")) value = "enable";
    if (equals_ignore_case(value, "disabled")) value = "disable";
  }
  if (std::string_view param = registry_param(a); !param.empty()) {
    if (Status s = via_registry(param, written, value, scratch); !s) return s;
  }
  switch (a) {
    case Attr::kTlsMethod:
    case Attr::kVerifyCertificate:
    case Attr::kVerifyDepth:
    case Attr::kRequireCertificate:
    case Attr::kPrivateKey:
    case Attr::kCertificate:
    case Attr::kCaList:
    case Attr::kCrl:
    case Attr::kCipherList:
      break;  // stored by the registry
    case Attr::kCaPath:
      p.ca_path = resolve_config_path(value, scratch->config_dir);
      break;
    case Attr::kServerName:
      if (!value.empty()) {
        if (std::string why = server_name_problem(value, role); !why.empty()) {
          return config_error(why);
        }
      }
      p.server_name = value;
      break;
    case Attr::kServerNameMode:
      if (value != "0" && value != "1" && value != "2") {
        return config_error(std::string(written) + ": " + in_quotes(value) +
                            " is not 0 (server_name only), 1 (server_name and its "
                            "subdomains) or 2 (its subdomains only)");
      }
      p.server_name_mode = value[0] - '0';
      break;
    case Attr::kServerId:
      p.server_id = value;
      break;
    case Attr::kVerifyClient: {
      auto it = std::find_if(std::begin(kVerifyClientValues), std::end(kVerifyClientValues),
                             [&](std::string_view v) { return equals_ignore_case(v, value); });
      if (it == std::end(kVerifyClientValues)) {
        return config_error(std::string(written) + ": " + in_quotes(value) +
                            " is not one of off, on, optional, optional_no_ca");
      }
      p.verify_client = std::string(*it);
      break;
    }
    case Attr::kPrivateKeyPassword:
      p.private_key_password = value;
      break;
    case Attr::kVerifyHostname:
      if (role != TlsDomain::Role::kClient) {
        return config_error(std::string(written) +
                            " applies to client domains only (the name a server's "
                            "certificate must carry); a server checks clients with "
                            "verify_certificate / verify_client");
      }
      p.verify_hostname = value;
      break;
    case Attr::kCertificate2:
    case Attr::kPrivateKey2:
    case Attr::kPrivateKeyPassword2:
      if (role != TlsDomain::Role::kServer) {
        return config_error(std::string(written) +
                            " applies to server domains only (a second certificate served to "
                            "clients that cannot use the first); a client domain presents "
                            "certificate");
      }
      if (a == Attr::kPrivateKeyPassword2) p.private_key_password2 = value;
      break;
    case Attr::kGroups: {
      Result<std::string> groups = canonical_tls_groups(value);
      if (!groups) {
        std::string reason = groups.error().message;
        const std::string prefix = "tls.groups ";
        if (reason.compare(0, prefix.size(), prefix) == 0) reason.erase(0, prefix.size());
        return config_error(std::string(written) + " " + reason);
      }
      p.groups = groups.value();
      break;
    }
    case Attr::kOcspStapleFile:
    case Attr::kOcspStapleFile2:
      if (role != TlsDomain::Role::kServer) {
        return config_error(std::string(written) +
                            " applies to server domains only (the OCSP response stapled for "
                            "this server's certificate); a client domain demands staples with "
                            "ocsp_require");
      }
      break;  // stored by the registry
    case Attr::kOcspRequire:
      if (role != TlsDomain::Role::kClient) {
        return config_error(std::string(written) +
                            " applies to client domains only (sipring then demands a valid OCSP "
                            "staple from the servers it connects to); a server domain staples "
                            "with ocsp_staple_file");
      }
      break;  // stored by the registry
    case Attr::kCount:
      break;
  }
  return Status::ok();
}

}  // namespace sipring::tls_cfg
