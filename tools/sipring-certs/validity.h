// The validity period of a new certificate, from --days or explicit --not-before/--not-after
// (the latter exist so tests can make expired and not-yet-valid certificates).
#pragma once

#include <cstdint>
#include <string_view>

#include <openssl/x509.h>

#include "sipring/result.h"

#include "args.h"

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

// Returns the validity selected by --days, --not-before and --not-after in |args|. Without
// --not-before the period starts at |now|; without --not-after it lasts --days (or
// |default_days|). Fails if the period would be empty.
Result<Validity> validity_from_args(const Args& args, long default_days, int64_t now);

// Sets |cert|'s notBefore and notAfter. Times before 2050 are encoded as UTCTime and later
// ones as GeneralizedTime, as RFC 5280 section 4.1.2.5 requires.
Status set_validity(X509* cert, const Validity& validity);

}  // namespace sipring::certs
