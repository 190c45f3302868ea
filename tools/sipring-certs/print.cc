#include "print.h"

#include <arpa/inet.h>

#include <cstdio>
#include <ctime>

#include <openssl/bio.h>
#include <openssl/digest.h>
#include <openssl/x509v3.h>

#include "errors.h"
#include "keygen.h"
#include "pem_io.h"
#include "x509_util.h"

namespace sipring::certs {
namespace {

std::string asn1_string(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

std::string describe_ip(const ASN1_OCTET_STRING* ip) {
  char text[INET6_ADDRSTRLEN] = "";
  const uint8_t* bytes = ASN1_STRING_get0_data(ip);
  int len = ASN1_STRING_length(ip);
  if (len == 4)
    inet_ntop(AF_INET, bytes, text, sizeof(text));
  else if (len == 16)
    inet_ntop(AF_INET6, bytes, text, sizeof(text));
  else
    return "<malformed>";
  return text;
}

std::string describe_general_name(const GENERAL_NAME* name) {
  switch (name->type) {
    case GEN_DNS:
      return "DNS:" + asn1_string(name->d.dNSName);
    case GEN_IPADD:
      return "IP:" + describe_ip(name->d.iPAddress);
    case GEN_URI:
      return "URI:" + asn1_string(name->d.uniformResourceIdentifier);
    case GEN_EMAIL:
      return "email:" + asn1_string(name->d.rfc822Name);
    default:
      return "other:<type " + std::to_string(name->type) + ">";
  }
}

Result<std::string> name_text(const X509_NAME* name) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0 ||
      !BIO_mem_contents(bio.get(), &data, &len)) {
    return tls_error("formatting name");
  }
  return std::string(reinterpret_cast<const char*>(data), len);
}

Result<std::string> time_text(const ASN1_TIME* t) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!bio || !ASN1_TIME_print(bio.get(), t) || !BIO_mem_contents(bio.get(), &data, &len)) {
    return tls_error("formatting time");
  }
  return std::string(reinterpret_cast<const char*>(data), len);
}

const char* status_text(X509* cert) {
  if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) return "not yet valid";
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) return "expired";
  return "valid now";
}

}  // namespace

std::string describe_sans(const X509* cert) {
  bssl::UniquePtr<GENERAL_NAMES> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  std::string out;
  if (!names) return out;
  for (size_t i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    if (!out.empty()) out += ", ";
    out += describe_general_name(sk_GENERAL_NAME_value(names.get(), i));
  }
  return out;
}

Result<std::string> sha256_fingerprint(const X509* cert) {
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (!X509_digest(cert, EVP_sha256(), md, &len)) return tls_error("hashing certificate");
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    if (i != 0) out += ':';
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

Status print_cert_file(const std::string& path) {
  Result<bssl::UniquePtr<X509>> cert = read_cert_file(path);
  if (!cert) return cert.status();
  Result<std::string> text = describe_cert(cert->get());
  if (!text) return Error{text.error().code, path + ": " + text.error().message};
  std::fputs(text->c_str(), stdout);
  return Status::ok();
}

Result<std::string> describe_cert(X509* cert) {
  Result<std::string> subject = name_text(X509_get_subject_name(cert));
  Result<std::string> issuer = name_text(X509_get_issuer_name(cert));
  Result<std::string> serial = serial_hex(X509_get0_serialNumber(cert));
  Result<std::string> not_before = time_text(X509_get0_notBefore(cert));
  Result<std::string> not_after = time_text(X509_get0_notAfter(cert));
  Result<std::string> fingerprint = sha256_fingerprint(cert);
  for (const Result<std::string>* r :
       {&subject, &issuer, &serial, &not_before, &not_after, &fingerprint}) {
    if (!*r) return r->error();
  }
  bssl::UniquePtr<EVP_PKEY> key(X509_get_pubkey(cert));
  std::string sans = describe_sans(cert);
  std::string out;
  auto line = [&out](const char* field, const std::string& value) {
    out += field;
    out += ": ";
    out += value;
    out += '\n';
  };
  line("subject", *subject);
  line("issuer", *issuer);
  line("serial", *serial);
  line("not before", *not_before);
  line("not after", *not_after);
  line("status", status_text(cert));
  line("san", sans.empty() ? "(none)" : sans);
  line("key", key ? describe_key(key.get()) : "(unreadable)");
  line("sha256", *fingerprint);
  return out;
}

}  // namespace sipring::certs
