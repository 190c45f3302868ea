#include "validity.h"

#include <ctime>
#include <string>

#include <openssl/asn1.h>

#include "errors.h"

namespace sipring::certs {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

bool parse_digits(std::string_view text, int* out) {
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

}  // namespace

Result<int64_t> parse_utc_time(std::string_view text) {
  std::string bad = "'" + std::string(text) + "' is not a UTC time of the form YYYYMMDDHHMMSSZ";
  if (text.size() != 15 || text[14] != 'Z') return usage_error(bad);
  int year, month, day, hour, minute, second;
  if (!parse_digits(text.substr(0, 4), &year) || !parse_digits(text.substr(4, 2), &month) ||
      !parse_digits(text.substr(6, 2), &day) || !parse_digits(text.substr(8, 2), &hour) ||
      !parse_digits(text.substr(10, 2), &minute) || !parse_digits(text.substr(12, 2), &second)) {
    return usage_error(bad);
  }
  if (year < 1950) return usage_error(bad + " (years before 1950 cannot be encoded)");
  struct tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  time_t t = timegm(&tm);
  // timegm normalises out-of-range fields (Feb 30 -> Mar 2); a changed field means a bad date.
  if (tm.tm_year != year - 1900 || tm.tm_mon != month - 1 || tm.tm_mday != day ||
      tm.tm_hour != hour || tm.tm_min != minute || tm.tm_sec != second) {
    return usage_error(bad + " (no such date or time)");
  }
  return static_cast<int64_t>(t);
}

Result<Validity> make_validity(int64_t now, std::optional<int64_t> not_before,
                               std::optional<int64_t> not_after, long days) {
  Validity v;
  v.not_before = not_before.value_or(now);
  v.not_after = not_after.value_or(v.not_before + days * kSecondsPerDay);
  if (v.not_after <= v.not_before) {
    return usage_error(
        "the certificate would expire before it becomes valid "
        "(--not-after must be later than --not-before)");
  }
  return v;
}

Status set_validity(X509* cert, const Validity& validity) {
  // ASN1_TIME_set picks UTCTime or GeneralizedTime by year as RFC 5280 requires.
  bssl::UniquePtr<ASN1_TIME> nb(ASN1_TIME_set(nullptr, static_cast<time_t>(validity.not_before)));
  bssl::UniquePtr<ASN1_TIME> na(ASN1_TIME_set(nullptr, static_cast<time_t>(validity.not_after)));
  if (!nb || !na || !X509_set1_notBefore(cert, nb.get()) || !X509_set1_notAfter(cert, na.get())) {
    return tls_error("setting certificate validity");
  }
  return Status::ok();
}

}  // namespace sipring::certs
