// `sipring-certs revoke`: marks a certificate issued by the CA as revoked (status R in
// DIR/index.txt); the next `sipring-certs crl` lists it.
#pragma once

#include <string>

#include "sipring/result.h"

namespace sipring::certs {

// Revokes |cert_path| in the CA in |dir|. Fails, naming the file, if the certificate was not
// signed by this CA, is not in the index, or is already revoked. Only the CA certificate is
// read: revoking does not need the CA key.
Status revoke_cert(const std::string& dir, const std::string& cert_path);

}  // namespace sipring::certs
