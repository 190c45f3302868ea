// `sipring-certs crl`: publishes a CRL listing every certificate revoked in DIR/index.txt,
// signed by the CA and numbered from DIR/crlnumber.
#pragma once

#include <string>

#include "sipring/result.h"

#include "file_io.h"

namespace sipring::certs {

struct CrlOptions {
  std::string dir;
  std::string out;
  long days = 30;  // nextUpdate: peers treat the CRL as stale after this
  Overwrite overwrite = Overwrite::kRefuse;
};

// Writes a v2 CRL to |options.out| with the revoked serials of the CA in |options.dir|, a
// cRLNumber extension taken from DIR/crlnumber (then incremented) and an authority key
// identifier, signed with the CA key using SHA-256.
Status write_crl(const CrlOptions& options);

}  // namespace sipring::certs
