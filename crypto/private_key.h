// Loading a certificate's private key from PEM, encrypted or not (the manual's "Known
// Limitations" said keys could not be encrypted; sipring takes a passphrase).
#pragma once

#include <openssl/base.h>

#include <string>

#include "sipring/result.h"

namespace sipring {

// Loads the first private key in PEM file `path` into `ctx`. An encrypted key (PKCS#8
// "ENCRYPTED PRIVATE KEY" or a traditional "Proc-Type: 4,ENCRYPTED" key) needs `password`;
// errors say whether the passphrase is missing or wrong, naming `what` (e.g. "tls.private_key")
// and the file.
Status load_private_key(SSL_CTX* ctx, const char* what, const std::string& path,
                        const std::string& password);

}  // namespace sipring
