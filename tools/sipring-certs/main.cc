// sipring-certs: creates and manages the small CA, certificates, keys and CRLs a sipring TLS
// deployment needs, replacing the openssl command sequences of the TLS manual's "Quick
// Certificate Howto". Built on BoringSSL's C API only.
//
// This file is the command line: one CLI11 subcommand per task, each filling the options of the
// function that does the work (create_ca, issue_cert, revoke_cert, write_crl, print_cert_file,
// ocsp_response, make_demo).

#include <cstdio>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ca.h"
#include "crl.h"
#include "demo.h"
#include "errors.h"
#include "issue.h"
#include "keygen.h"
#include "ocsp.h"
#include "print.h"
#include "revoke.h"
#include "tools/common/cli.h"
#include "validity.h"
#include "x509_util.h"

namespace sipring::certs {
namespace {

// Exit statuses: scripts can tell "you called me wrong" (2) from "the work failed" (1).
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;

// What the subcommands' options fill in; only the one subcommand given is parsed.
struct Inputs {
  CaOptions ca;
  IssueOptions issue;
  long issue_days = kDefaultIssueDays;
  std::string not_before, not_after;  // checked by utc_time()
  CrlOptions crl;
  OcspOptions ocsp;
  std::string this_update, next_update, revoked_at;  // checked by utc_time()
  std::string dir;                                   // revoke, demo
  std::string cert_file;                             // revoke, print
  bool force = false;
};

// A subcommand and the work it does once its options are parsed. Errors with code
// kInvalidArgument are usage errors (exit status 2); anything else is a failure (1).
struct Command {
  CLI::App* app;
  std::function<Status()> run;
};

Overwrite overwrite(bool force) {
  return force ? Overwrite::kAllow : Overwrite::kRefuse;
}

// --cn and --org: see check_name_value. An empty --org is allowed where |may_be_empty|.
CLI::Validator name_value(bool may_be_empty) {
  return CLI::Validator(
      [may_be_empty](std::string& value) -> std::string {
        if (may_be_empty && value.empty()) return "";
        Status s = check_name_value(value);
        return s ? "" : s.message();
      },
      "");
}

CLI::Validator utc_time() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        Result<int64_t> t = parse_utc_time(value);
        return t ? "" : t.error().message;
      },
      "");
}

CLI::Validator non_empty() {
  return CLI::Validator(
      [](std::string& value) -> std::string { return value.empty() ? "must not be empty" : ""; },
      "");
}

// Adds the subcommand |name|: |summary| is its line in the top-level --help, |details| ends its
// own --help.
CLI::App* add_command(CLI::App& app, const char* name, const char* summary,
                      const std::string& details) {
  CLI::App* sub = app.add_subcommand(name, summary);
  sub->group("Commands");
  sub->footer(details);
  return sub;
}

void add_dir(CLI::App* sub, std::string* dir) {
  sub->add_option("--dir", *dir, "the CA directory")->type_name("DIR")->required();
}

void add_force(CLI::App* sub, bool* force, const char* what) {
  sub->add_flag("--force", *force, what);
}

// --rsa BITS selects an RSA key of that size instead of ECDSA P-256.
void add_key_type(CLI::App* sub, KeySpec* key) {
  sub->add_option_function<int>(
         "--rsa",
         [key](const int& bits) {
           key->type = KeySpec::Type::kRsa;
           key->rsa_bits = bits;
         },
         "RSA key of BITS instead of ECDSA P-256")
      ->type_name("BITS")
      ->transform(cli::whole_in(kMinRsaBits, kMaxRsaBits));
}

Command add_ca(CLI::App& app, Inputs& in) {
  CLI::App* sub = add_command(
      app, "ca",
      "create a certificate authority (cacert.pem, private/cakey.pem, serial, index.txt)",
      "Creates a CA in DIR: DIR/cacert.pem, DIR/private/cakey.pem (mode 0600), DIR/serial,\n"
      "DIR/index.txt, DIR/index.txt.attr and DIR/crlnumber, in the layout of `openssl ca`.");
  add_dir(sub, &in.ca.dir);
  sub->add_option("--cn", in.ca.cn, "CA common name")->type_name("NAME")->check(name_value(false));
  sub->add_option("--org", in.ca.org,
                  "organization, copied into the certificates the CA issues (\"\": none)")
      ->type_name("ORG")
      ->check(name_value(true));
  cli::add_number(*sub, "--days", "N", in.ca.days, 1, kMaxDays, "validity in days");
  add_key_type(sub, &in.ca.key);
  add_force(sub, &in.force, "replace an existing CA");
  return {sub, [&in] {
            in.ca.overwrite = overwrite(in.force);
            return create_ca(in.ca);
          }};
}

Command add_issue(CLI::App& app, Inputs& in, Purpose purpose) {
  const bool server = purpose == Purpose::kServer;
  CLI::App* sub = add_command(
      app, server ? "server" : "client",
      server ? "issue a TLS server certificate and key signed by the CA"
             : "issue a TLS client certificate and key signed by the CA",
      std::string("Issues a certificate (extendedKeyUsage ") +
          (server ? "serverAuth" : "clientAuth") +
          ") signed by the CA in DIR and writes\n"
          "PREFIX-cert.pem and PREFIX-key.pem (mode 0600). The serial comes from DIR/serial "
          "and the\ncertificate is recorded in DIR/index.txt.");
  IssueOptions& o = in.issue;
  add_dir(sub, &o.dir);
  sub->add_option("--cn", o.cn, "common name")
      ->type_name("NAME")
      ->required()
      ->check(name_value(false));
  sub->add_option("--san", o.san,
                  "subjectAltName, e.g. DNS:sip.example.com,IP:192.0.2.1,URI:sip:example.com "
                  "(default DNS:NAME, or IP:NAME if NAME is an address)")
      ->type_name("LIST")
      ->check(non_empty());
  CLI::Option* days =
      cli::add_number(*sub, "--days", "N", in.issue_days, 1, kMaxDays, "validity in days from now");
  sub->add_option("--not-before", in.not_before,
                  "explicit start of validity (UTC), e.g. to make certificates for tests")
      ->type_name("YYYYMMDDHHMMSSZ")
      ->check(utc_time());
  sub->add_option("--not-after", in.not_after, "explicit end of validity (UTC)")
      ->type_name("YYYYMMDDHHMMSSZ")
      ->check(utc_time())
      ->excludes(days);
  add_key_type(sub, &o.key);
  sub->add_option("--out", o.out_prefix, "output prefix (default DIR/NAME)")->type_name("PREFIX");
  sub->add_option_function<std::string>(
         "--key-password", [&o](const std::string& pw) { o.key_password = pw; },
         "encrypt the key (PKCS#8, PBKDF2 + AES-256-CBC); note that PW is visible to other "
         "local users in the process list")
      ->type_name("PW")
      ->check(non_empty());
  add_force(sub, &in.force, "replace existing output files");
  return {sub, [&in, sub, purpose]() -> Status {
            IssueOptions& o = in.issue;
            o.purpose = purpose;
            if (o.san.empty() && o.cn.find(',') != std::string::npos) {
              return usage_error(
                  "the common name contains ',', so it cannot be the default SAN; give --san");
            }
            std::optional<int64_t> not_before, not_after;  // both already checked
            if (sub->count("--not-before") != 0) {
              not_before = parse_utc_time(in.not_before).value();
            }
            if (sub->count("--not-after") != 0) not_after = parse_utc_time(in.not_after).value();
            Result<Validity> validity =
                make_validity(time(nullptr), not_before, not_after, in.issue_days);
            if (!validity) return validity.status();
            o.validity = *validity;
            if (o.out_prefix.empty()) o.out_prefix = default_out_prefix(o.dir, o.cn);
            o.overwrite = overwrite(in.force);
            return issue_cert(o).status();
          }};
}

Command add_revoke(CLI::App& app, Inputs& in) {
  CLI::App* sub =
      add_command(app, "revoke", "mark a certificate as revoked in the CA's index (then run crl)",
                  "Marks CERT.pem, which the CA in DIR issued, as revoked (R) in DIR/index.txt.\n"
                  "Run `sipring-certs crl` afterwards to publish a CRL that lists it.");
  add_dir(sub, &in.dir);
  sub->add_option("CERT", in.cert_file, "the certificate to revoke")
      ->type_name("CERT.pem")
      ->required();
  return {sub, [&in] { return revoke_cert(in.dir, in.cert_file); }};
}

Command add_crl(CLI::App& app, Inputs& in) {
  CLI::App* sub =
      add_command(app, "crl", "write a CRL listing the revoked certificates",
                  "Writes to FILE a CRL signed by the CA in DIR listing every certificate revoked\n"
                  "with `sipring-certs revoke`, numbered from DIR/crlnumber.");
  add_dir(sub, &in.crl.dir);
  sub->add_option("--out", in.crl.out, "where to write the CRL")->type_name("FILE")->required();
  cli::add_number(*sub, "--days", "N", in.crl.days, 1, kMaxDays, "days until the CRL's nextUpdate");
  add_force(sub, &in.force, "replace an existing FILE");
  return {sub, [&in] {
            in.crl.overwrite = overwrite(in.force);
            return write_crl(in.crl);
          }};
}

Command add_ocsp(CLI::App& app, Inputs& in) {
  CLI::App* sub = add_command(
      app, "ocsp", "sign an OCSP response for a certificate (DER, for tls.ocsp_staple_file)",
      "Writes to FILE a DER OCSP response (RFC 6960), signed by the CA in DIR, saying whether\n"
      "CERT.pem is good or revoked: as DIR/index.txt records it (see `sipring-certs revoke`)\n"
      "unless --status says. A server staples it with tls.ocsp_staple_file; renew it before\n"
      "its nextUpdate. `openssl ocsp -respin FILE -resp_text` shows it.");
  OcspOptions& o = in.ocsp;
  add_dir(sub, &o.dir);
  sub->add_option("CERT", o.cert_file, "the certificate")->type_name("CERT.pem")->required();
  sub->add_option("--out", o.out, "where to write the response")->type_name("FILE")->required();
  sub->add_option_function<std::string>(
         "--status",
         [&o](const std::string& v) {
           o.status =
               v == "good" ? OcspOptions::CertStatus::kGood : OcspOptions::CertStatus::kRevoked;
         },
         "good or revoked (default: from DIR/index.txt)")
      ->type_name("STATUS")
      ->check(CLI::IsMember({"good", "revoked"}));
  sub->add_option("--this-update", in.this_update, "thisUpdate (default now)")
      ->type_name("YYYYMMDDHHMMSSZ")
      ->check(utc_time());
  CLI::Option* next = sub->add_option("--next-update", in.next_update, "explicit nextUpdate")
                          ->type_name("YYYYMMDDHHMMSSZ")
                          ->check(utc_time());
  cli::add_number(*sub, "--days", "N", o.days, 1, kMaxDays, "nextUpdate N days after thisUpdate")
      ->excludes(next);
  sub->add_option("--revoked-at", in.revoked_at,
                  "revocation time (default: the index's, else thisUpdate)")
      ->type_name("YYYYMMDDHHMMSSZ")
      ->check(utc_time());
  sub->add_flag("--sha256", o.sha256_cert_id,
                "identify the certificate by SHA-256 (default SHA-1)");
  add_force(sub, &in.force, "replace an existing FILE");
  return {sub, [&in, sub]() -> Status {
            OcspOptions& o = in.ocsp;
            auto when = [sub](const char* opt, const std::string& v) -> std::optional<int64_t> {
              if (sub->count(opt) == 0) return std::nullopt;
              return parse_utc_time(v).value();  // already checked
            };
            o.this_update = when("--this-update", in.this_update);
            o.next_update = when("--next-update", in.next_update);
            o.revoked_at = when("--revoked-at", in.revoked_at);
            if (o.revoked_at && o.status == OcspOptions::CertStatus::kGood) {
              return usage_error("--revoked-at goes with --status revoked");
            }
            o.overwrite = overwrite(in.force);
            return write_ocsp_response(o);
          }};
}

Command add_print(CLI::App& app, Inputs& in) {
  CLI::App* sub = add_command(
      app, "print", "show a certificate's names, serial, validity, SANs, key and fingerprint",
      "Prints the subject, issuer, serial, validity, subjectAltNames, key type and\n"
      "SHA-256 fingerprint of the first certificate in CERT.pem.");
  sub->add_option("CERT", in.cert_file, "the certificate")->type_name("CERT.pem")->required();
  return {sub, [&in] { return print_cert_file(in.cert_file); }};
}

Command add_demo(CLI::App& app, Inputs& in) {
  CLI::App* sub =
      add_command(app, "demo", "create a CA and a localhost server certificate for a local demo",
                  "Creates a CA in DIR (as `sipring-certs ca`), a server certificate for\n"
                  "CN=localhost with SAN DNS:localhost,IP:127.0.0.1,IP:::1 in\n"
                  "DIR/localhost-cert.pem and DIR/localhost-key.pem, and DIR/server.pem holding\n"
                  "that certificate followed by its key. Clients trust DIR/cacert.pem.");
  sub->add_option("--dir", in.dir, "where to create everything")->type_name("DIR")->required();
  add_force(sub, &in.force, "replace existing files");
  return {sub, [&in] { return make_demo(in.dir, overwrite(in.force)); }};
}

int run(int argc, const char* const* argv) {
  CLI::App app("Creates and manages the CA, certificates, keys and CRLs of a sipring TLS setup.",
               "sipring-certs");
  cli::init(app);
  app.require_subcommand(0, 1);
  app.footer("Run 'sipring-certs COMMAND --help' for a command's options.");
  Inputs in;
  const Command commands[] = {
      add_ca(app, in),
      add_issue(app, in, Purpose::kServer),
      add_issue(app, in, Purpose::kClient),
      add_revoke(app, in),
      add_crl(app, in),
      add_ocsp(app, in),
      add_print(app, in),
      add_demo(app, in),
  };
  CLI::App* help = app.add_subcommand("help", "")->group("");  // "sipring-certs help": --help
  if (std::optional<int> done = cli::parse(app, argc, argv)) return *done;
  if (help->parsed()) {
    std::fputs(
        app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal).c_str(),
        stdout);
    return kExitOk;
  }
  for (const Command& c : commands) {
    if (!c.app->parsed()) continue;
    Status status = c.run();
    if (status) return kExitOk;
    if (status.code() == Errc::kInvalidArgument) return cli::usage_error(*c.app, status.message());
    std::fprintf(stderr, "sipring-certs %s: %s\n", c.app->get_name().c_str(),
                 status.message().c_str());
    return kExitFailure;
  }
  return cli::usage_error(app, "missing COMMAND");
}

}  // namespace
}  // namespace sipring::certs

int main(int argc, char** argv) {
  return sipring::certs::run(argc, argv);
}
