// tls.cfg checks of the OCSP stapling attributes (engine/tls/tls_cfg_parser.cc): the staple
// file belongs to server domains, the demand for a staple to client domains.
#pragma once

#include <string>
#include <string_view>

namespace sipring {

// Why the attribute `written` (ocsp_require when `client_attr`, else ocsp_staple_file) may not
// appear in a client (`in_client_domain`) or server domain, or "" when it may.
std::string ocsp_attr_problem(std::string_view written, bool client_attr, bool in_client_domain);

}  // namespace sipring
