// PEM encoding and decoding of the objects sipring-certs handles: certificates, private keys
// (plain or password-encrypted PKCS#8) and CRLs. Encoders return text so callers decide how
// and with which mode the file is written (see file_io.h).
#pragma once

#include <string>
#include <string_view>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sipring/result.h"

namespace sipring::certs {

// PBKDF2 rounds for encrypted keys. BoringSSL's PBES2 writer uses HMAC-SHA1 as the PRF, for
// which OWASP (2023) recommends 1.3M rounds; PEM_write_PKCS8PrivateKey would use only 2048.
// Costs about 0.3 s per encrypt or decrypt, paid once when a server loads its key.
inline constexpr int kPbkdf2Iterations = 1'300'000;

// Returns |cert| as a "CERTIFICATE" PEM block.
Result<std::string> cert_to_pem(X509* cert);

// Returns |key| as an unencrypted PKCS#8 "PRIVATE KEY" PEM block.
Result<std::string> key_to_pem(EVP_PKEY* key);

// Returns |key| as an "ENCRYPTED PRIVATE KEY" PEM block: PKCS#8 with PBES2, PBKDF2
// (kPbkdf2Iterations rounds, 16-byte random salt) and AES-256-CBC. |password| must not be empty.
Result<std::string> key_to_encrypted_pem(const EVP_PKEY* key, std::string_view password);

// Returns |crl| as an "X509 CRL" PEM block.
Result<std::string> crl_to_pem(X509_CRL* crl);

// Reads the first certificate in PEM file |path|. Errors name |path|.
Result<bssl::UniquePtr<X509>> read_cert_file(const std::string& path);

// Reads the first unencrypted private key in PEM file |path|. Encrypted keys are refused
// with an error naming |path|.
Result<bssl::UniquePtr<EVP_PKEY>> read_key_file(const std::string& path);

}  // namespace sipring::certs
