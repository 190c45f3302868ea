// The attributes of a tls.cfg section (`name = value` lines): their names and Kamailio's
// aliases, and how each value is checked and stored into the section's TlsProfile. The grammar
// of the file (sections, lines, quoting) and the checks that need a whole section are in
// tls_cfg_parser.cc; the table of attributes is atop tls_cfg_attrs.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/tls/tls_domains.h"
#include "sipring/config.h"
#include "sipring/result.h"

namespace sipring::tls_cfg {

enum class Attr : uint8_t {
  kTlsMethod,
  kVerifyCertificate,
  kVerifyDepth,
  kRequireCertificate,
  kPrivateKey,
  kCertificate,
  kCaList,
  kCaPath,
  kCrl,
  kCipherList,
  kServerName,
  kServerNameMode,
  kServerId,
  kVerifyClient,
  kPrivateKeyPassword,
  kVerifyHostname,
  kCertificate2,
  kPrivateKey2,
  kPrivateKeyPassword2,
  kGroups,
  kOcspStapleFile,
  kOcspStapleFile2,
  kOcspRequire,
  kCount,
};
inline constexpr size_t kAttrCount = static_cast<size_t>(Attr::kCount);

// The attribute named `name` (canonical name or alias, ASCII case-insensitive, as Kamailio
// compares them), or false if there is none.
bool find_attr(std::string_view name, Attr* out_attr);

// Why `name` is not an attribute: "unknown attribute "x" (did you mean "y"?); accepted: ...".
std::string unknown_attr_reason(std::string_view name);

// Checks `value` of attribute `a`, written as `written` (the file's spelling, for messages), in
// a section of `role`, and stores it into scratch->tls.profile. Values with a module parameter
// of the same meaning are validated (and paths resolved against scratch->config_dir) by that
// parameter's registry entry, so they mean, and are refused with, exactly what the modparam
// would. Errors are Errc::kConfig and start with `written` (no file or line: the parser adds
// them); on error the profile may hold a partial value, which the parser discards.
Status apply_attr(Attr a, std::string_view written, std::string value, TlsDomain::Role role,
                  Config* scratch);

}  // namespace sipring::tls_cfg
