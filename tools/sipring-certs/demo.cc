#include "demo.h"

#include <ctime>

#include "ca.h"
#include "command.h"
#include "errors.h"
#include "issue.h"

namespace sipring::certs {
namespace {

constexpr long kDemoServerDays = 365;

Status run_demo(const Args& args) {
  const std::string* dir = args.get("dir");
  if (dir == nullptr) return usage_error("option --dir is required");
  return make_demo(*dir, args.has("force") ? Overwrite::kAllow : Overwrite::kRefuse);
}

constexpr OptionSpec kDemoOptions[] = {{"dir", true}, {"force", false}};

}  // namespace

Status make_demo(const std::string& dir, Overwrite overwrite) {
  CaOptions ca;
  ca.dir = dir;
  ca.cn = "sipring demo CA";
  ca.overwrite = overwrite;

  IssueOptions server;
  server.dir = dir;
  server.cn = kDemoCn;
  server.san = kDemoSan;
  server.validity.not_before = time(nullptr);
  server.validity.not_after = server.validity.not_before + kDemoServerDays * 86400;
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

const Command kDemoCommand = {
    .name = "demo",
    .summary = "create a CA and a localhost server certificate for a local demo",
    .usage =
        "usage: sipring-certs demo --dir DIR [--force]\n"
        "\n"
        "Creates a CA in DIR (as `sipring-certs ca`), a server certificate for\n"
        "CN=localhost with SAN DNS:localhost,IP:127.0.0.1,IP:::1 in\n"
        "DIR/localhost-cert.pem and DIR/localhost-key.pem, and DIR/server.pem holding\n"
        "that certificate followed by its key. Clients trust DIR/cacert.pem.\n"
        "  --force   replace existing files\n",
    .options = kDemoOptions,
    .min_positional = 0,
    .max_positional = 0,
    .run = run_demo,
};

}  // namespace sipring::certs
