#include "engine/tls/tls_cfg_ocsp.h"

namespace sipring {

std::string ocsp_attr_problem(std::string_view written, bool client_attr, bool in_client_domain) {
  if (client_attr == in_client_domain) return "";
  if (client_attr) {
    return std::string(written) +
           " applies to client domains only (sipring then demands a valid OCSP staple from the "
           "servers it connects to); a server domain staples with ocsp_staple_file";
  }
  return std::string(written) +
         " applies to server domains only (the OCSP response stapled for this server's "
         "certificate); a client domain demands staples with ocsp_require";
}

}  // namespace sipring
