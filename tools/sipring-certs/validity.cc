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

Result<int64_t> time_option(const Args& args, std::string_view name) {
  Result<int64_t> t = parse_utc_time(*args.get(name));
  if (!t) return usage_error("option --" + std::string(name) + ": " + t.error().message);
  return t;
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

Result<Validity> validity_from_args(const Args& args, long default_days, int64_t now) {
  Result<long> days = args.get_int("days", default_days, 1, kMaxDays);
  if (!days) return days.error();
  Validity v;
  v.not_before = now;
  if (args.has("not-before")) {
    Result<int64_t> t = time_option(args, "not-before");
    if (!t) return t.error();
    v.not_before = *t;
  }
  v.not_after = v.not_before + *days * kSecondsPerDay;
  if (args.has("not-after")) {
    if (args.has("days")) return usage_error("give either --days or --not-after, not both");
    Result<int64_t> t = time_option(args, "not-after");
    if (!t) return t.error();
    v.not_after = *t;
  }
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
