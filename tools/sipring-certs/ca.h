// `sipring-certs ca`: creates a certificate authority in a directory laid out like the manual's
// demoCA (cacert.pem, private/cakey.pem, serial, index.txt, crlnumber).
#pragma once

#include <string>
#include <vector>

#include "sipring/result.h"

#include "file_io.h"
#include "keygen.h"

namespace sipring::certs {

struct CaOptions {
  std::string dir;
  std::string cn = "sipring CA";
  std::string org = "sipring";
  long days = 3650;
  KeySpec key;
  Overwrite overwrite = Overwrite::kRefuse;
};

// Creates the CA described by |options|: a fresh key, a self-signed certificate with
// basicConstraints critical CA:TRUE, pathlen:0 (it signs only end-entity certificates),
// keyUsage critical keyCertSign+cRLSign and a subject key identifier, and empty serial, index
// and crlnumber files. Checks every output first, so a refused run writes nothing.
Status create_ca(const CaOptions& options);

// Returns the list of files create_ca writes into |dir|, for preflight checks by callers.
std::vector<std::string> ca_outputs(const std::string& dir);

}  // namespace sipring::certs
