// `sipring-certs server` and `sipring-certs client`: issue an end-entity certificate and its
// key, signed by the CA in --dir, and record it in the CA's serial and index files.
#pragma once

#include <optional>
#include <string>

#include "sipring/result.h"

#include "file_io.h"
#include "keygen.h"
#include "validity.h"

namespace sipring::certs {

enum class Purpose { kServer, kClient };

// How long a server or client certificate is valid unless told otherwise.
inline constexpr long kDefaultIssueDays = 365;

struct IssueOptions {
  std::string dir;  // the CA directory
  std::string cn;
  std::string san;  // OpenSSL syntax, e.g. "DNS:x,IP:1.2.3.4,URI:sip:x"; empty: from cn
  Validity validity;
  KeySpec key;
  std::string out_prefix;  // writes PREFIX-cert.pem and PREFIX-key.pem
  std::optional<std::string> key_password;
  Purpose purpose = Purpose::kServer;
  Overwrite overwrite = Overwrite::kRefuse;
};

struct Issued {
  std::string cert_path;
  std::string key_path;
  std::string cert_pem;
  std::string key_pem;
};

// Returns "DIR/NAME", the default output prefix for common name |cn|, with characters that
// do not belong in file names (such as '/' or the '*' of a wildcard) replaced by '_'.
std::string default_out_prefix(const std::string& dir, const std::string& cn);

// Returns the SAN used when none is given: "IP:|cn|" if |cn| is an IP address, else "DNS:|cn|".
std::string default_san(const std::string& cn);

// Issues the certificate described by |options|: basicConstraints critical CA:FALSE, keyUsage
// critical digitalSignature (+keyEncipherment for RSA keys), extendedKeyUsage serverAuth or
// clientAuth, the SAN, subject and authority key identifiers. The subject's O is copied from
// the CA, as the manual asks. Takes the serial from DIR/serial and records the certificate in
// DIR/index.txt. Checks both outputs first, so a refused run changes nothing.
Result<Issued> issue_cert(const IssueOptions& options);

}  // namespace sipring::certs
