// Key pair generation and description: ECDSA P-256 by default (small, fast handshakes), RSA on
// request for peers that cannot do ECDSA.
#pragma once

#include <string>

#include <openssl/evp.h>

#include "sipring/result.h"

namespace sipring::certs {

struct KeySpec {
  enum class Type { kEcP256, kRsa };
  Type type = Type::kEcP256;
  int rsa_bits = 0;  // only for kRsa
};

// RSA sizes accepted by --rsa: below 2048 is broken, above 8192 only slows handshakes.
inline constexpr long kMinRsaBits = 2048;
inline constexpr long kMaxRsaBits = 8192;

// Generates a fresh key pair as described by |spec|.
Result<bssl::UniquePtr<EVP_PKEY>> generate_key(const KeySpec& spec);

// Returns a short description such as "EC P-256" or "RSA 2048 bits".
std::string describe_key(const EVP_PKEY* key);

}  // namespace sipring::certs
