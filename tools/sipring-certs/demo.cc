#include "demo.h"

#include <ctime>

#include "ca.h"
#include "issue.h"

namespace sipring::certs {

Status make_demo(const std::string& dir, Overwrite overwrite) {
  CaOptions ca;
  ca.dir = dir;
  ca.cn = "sipring demo CA";
  ca.overwrite = overwrite;

  IssueOptions server;
  server.dir = dir;
  server.cn = kDemoCn;
  server.san = kDemoSan;
  Result<Validity> validity =
      make_validity(time(nullptr), std::nullopt, std::nullopt, kDefaultIssueDays);
  if (!validity) return validity.status();
  server.validity = *validity;
  server.out_prefix = default_out_prefix(dir, server.cn);
  server.overwrite = overwrite;
  std::string combined = dir + "/server.pem";

  std::vector<std::string> outputs = ca_outputs(dir);
  outputs.push_back(server.out_prefix + "-cert.pem");
  outputs.push_back(server.out_prefix + "-key.pem");
  outputs.push_back(combined);
  for (const std::string& path : outputs) {
    if (Status s = check_writable(path, overwrite); !s) return s;
  }
  if (Status s = create_ca(ca); !s) return s;
  Result<Issued> issued = issue_cert(server);
  if (!issued) return issued.status();
  return write_reported(combined, issued->cert_pem + issued->key_pem, kKeyMode, overwrite);
}

}  // namespace sipring::certs
