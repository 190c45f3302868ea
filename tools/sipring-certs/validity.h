// The validity period of a new certificate, from --days or explicit --not-before/--not-after
// (the latter exist so tests can make expired and not-yet-valid certificates).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <openssl/x509.h>

#include "sipring/result.h"

namespace sipring::certs {

struct Validity {
  int64_t not_before = 0;  // seconds since the Unix epoch, UTC
  int64_t not_after = 0;
};

// Longest --days accepted: 100 years, far past any sane certificate.
inline constexpr long kMaxDays = 36500;

// Parses |text| in the form YYYYMMDDHHMMSSZ (UTC, as in ASN.1 GeneralizedTime) and returns
// seconds since the epoch. Impossible dates such as February 30 are rejected.
Result<int64_t> parse_utc_time(std::string_view text);

// Returns the validity from |not_before| (else |now|) to |not_after| (else |days| later): what
// --not-before, --not-after and --days select. Fails with a usage error if the period would be
// empty.
Result<Validity> make_validity(int64_t now, std::optional<int64_t> not_before,
                               std::optional<int64_t> not_after, long days);

// Sets |cert|'s notBefore and notAfter. Times before 2050 are encoded as UTCTime and later
// ones as GeneralizedTime, as RFC 5280 section 4.1.2.5 requires.
Status set_validity(X509* cert, const Validity& validity);

}  // namespace sipring::certs
