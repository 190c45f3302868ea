#include "crypto/cert_select.h"

#include <openssl/bytestring.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/ssl.h>

#include <memory>
#include <span>
#include <string>

#include "crypto/tls_groups.h"
#include "engine/base/error_format.h"

namespace sipring {
namespace {

// At most this many TLS 1.2 suites of a ClientHello are kept; BoringSSL knows fewer, so only a
// client repeating suites reaches it (then its suites are not checked).
constexpr size_t kMaxSuites = 32;

// What the ClientHello said that BoringSSL keeps to itself (its supported groups and cipher
// suites), recorded by the early callback for the certificate callback BoringSSL runs later in
// the same SSL_do_handshake call on the same thread.
struct HelloFacts {
  const SSL* ssl = nullptr;
  bool groups_sent = false;
  uint32_t groups = 0;  // tls_group_bit of each group it offers that BoringSSL implements
  bool suites_overflow = false;
  uint8_t n_suites = 0;
  uint16_t suites[kMaxSuites];  // the TLS 1.2-and-older suites it offers that BoringSSL knows
};

struct LastOutcome {
  const SSL* ssl = nullptr;
  CertOutcome outcome = CertOutcome::kNone;
  const char* reason = nullptr;
};

thread_local HelloFacts t_hello;
thread_local LastOutcome t_outcome;

// Why a certificate does not fit a client; kFits when it does.
enum Misfit : uint8_t { kSigalgs, kSuites, kCurve, kFits };

// One certificate's key, as the choice needs it.
struct Credential {
  int key_type = EVP_PKEY_NONE;  // EVP_PKEY_EC, EVP_PKEY_RSA, EVP_PKEY_ED25519
  int curve_nid = NID_undef;     // EC keys
  uint32_t curve_bit = 0;        // tls_group_bit of the EC key's curve; 0 if not a TLS group
  size_t key_bytes = 0;          // EVP_PKEY_size
  std::string desc;              // "ECDSA P-384", "RSA 2048", "Ed25519"
};

struct CertChoice {
  bssl::UniquePtr<SSL_CTX> second;
  Credential cred[2];
  bool prefer_second = false;  // both fit: serve the second (the first is RSA, it is not)
  uint32_t groups = 0;         // the domain's groups (tls_group_mask)
  bool needs_ecdhe = true;     // every TLS 1.2 suite of cipher_list is ECDHE
  std::string no_group;        // the refusals' reasons
  std::string refusal[3][4];   // [misfit of the first][misfit of the second; kFits: no second]
};

void free_choice(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {  // NOLINT: BoringSSL's
  delete static_cast<CertChoice*>(ptr);
}

int choice_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_choice);
  return index;
}

// The curve an ECDSA signature algorithm binds in TLS 1.3 (RFC 8446 §4.2.3); NID_undef for
// ecdsa_sha1, which binds none and is not allowed in TLS 1.3.
int tls13_curve_of(uint16_t sigalg) {
  switch (sigalg) {
    case SSL_SIGN_ECDSA_SECP256R1_SHA256:
      return NID_X9_62_prime256v1;
    case SSL_SIGN_ECDSA_SECP384R1_SHA384:
      return NID_secp384r1;
    case SSL_SIGN_ECDSA_SECP521R1_SHA512:
      return NID_secp521r1;
    default:
      return NID_undef;
  }
}

// RSASSA-PSS needs a key of at least 2 * hash + 2 bytes (BoringSSL skips smaller ones).
bool pss_fits(const Credential& c, uint16_t sigalg) {
  if (!SSL_is_signature_algorithm_rsa_pss(sigalg)) return true;
  const EVP_MD* md = SSL_get_signature_algorithm_digest(sigalg);
  return md != nullptr && c.key_bytes >= 2 * EVP_MD_size(md) + 2;
}

bool signs_with(const Credential& c, uint16_t sigalg, bool tls13) {
  if (SSL_get_signature_algorithm_key_type(sigalg) != c.key_type || !pss_fits(c, sigalg)) {
    return false;
  }
  if (!tls13) return true;
  if (c.key_type == EVP_PKEY_RSA) return SSL_is_signature_algorithm_rsa_pss(sigalg);
  if (c.key_type == EVP_PKEY_EC) return tls13_curve_of(sigalg) == c.curve_nid;
  return true;
}

bool offered(const HelloFacts& hello, uint16_t suite) {
  for (size_t i = 0; i < hello.n_suites; ++i) {
    if (hello.suites[i] == suite) return true;
  }
  return false;
}

Misfit misfit(const Credential& c, uint16_t version, std::span<const uint16_t> sigalgs,
              const HelloFacts* hello, const STACK_OF(SSL_CIPHER) * ours) {
  const bool tls13 = version >= TLS1_3_VERSION;
  if (tls13 || (version >= TLS1_2_VERSION && !sigalgs.empty())) {
    bool any = false;
    for (uint16_t s : sigalgs) any = any || signs_with(c, s, tls13);
    if (!any) return kSigalgs;
  }
  if (tls13) return kFits;  // TLS 1.3 suites do not depend on the certificate
  if (hello != nullptr && !hello->suites_overflow) {
    // Only a suite for another key type counts against the certificate: a client that offers
    // none of cipher_list at all is BoringSSL's NO_SHARED_CIPHER, whatever the certificate.
    const int auth = c.key_type == EVP_PKEY_RSA ? NID_auth_rsa : NID_auth_ecdsa;
    bool shared = false;
    bool for_key = false;
    for (size_t i = 0; ours != nullptr && i < sk_SSL_CIPHER_num(ours) && !for_key; ++i) {
      const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(ours, i);
      if (SSL_CIPHER_get_min_version(cipher) <= version &&
          version <= SSL_CIPHER_get_max_version(cipher) &&
          offered(*hello, SSL_CIPHER_get_protocol_id(cipher))) {
        shared = true;
        for_key = SSL_CIPHER_get_auth_nid(cipher) == auth;
      }
    }
    if (shared && !for_key) return kSuites;
  }
  if (c.key_type == EVP_PKEY_EC && hello != nullptr && hello->groups_sent &&
      (hello->groups & c.curve_bit) == 0) {
    return kCurve;
  }
  return kFits;
}

int refuse(SSL* ssl, CertOutcome outcome, const std::string& reason) {
  t_outcome = {ssl, outcome, reason.c_str()};
  // handshake_failure (RFC 8446 §6.2: no acceptable set of parameters); BoringSSL's own
  // internal_error for a failed callback is not sent after it.
  SSL_send_fatal_alert(ssl, SSL_AD_HANDSHAKE_FAILURE);
  return 0;
}

ssl_select_cert_result_t on_client_hello(const SSL_CLIENT_HELLO* hello) {
  HelloFacts& f = t_hello;
  f = HelloFacts{};
  f.ssl = hello->ssl;
  const uint8_t* data;
  size_t len;
  if (SSL_early_callback_ctx_extension_get(hello, TLSEXT_TYPE_supported_groups, &data, &len)) {
    CBS ext;
    CBS list;
    CBS_init(&ext, data, len);
    if (CBS_get_u16_length_prefixed(&ext, &list)) {
      f.groups_sent = true;
      uint16_t id;
      while (CBS_get_u16(&list, &id)) f.groups |= tls_group_bit(id);
    }
  }
  CBS suites;
  CBS_init(&suites, hello->cipher_suites, hello->cipher_suites_len);
  uint16_t value;
  while (CBS_get_u16(&suites, &value)) {
    const SSL_CIPHER* cipher = SSL_get_cipher_by_value(value);
    if (cipher == nullptr || SSL_CIPHER_get_min_version(cipher) >= TLS1_3_VERSION) continue;
    if (f.n_suites == kMaxSuites) {
      f.suites_overflow = true;
      break;
    }
    f.suites[f.n_suites++] = value;
  }
  return ssl_select_cert_success;
}

int on_certificate(SSL* ssl, void* arg) {
  const CertChoice& ch = *static_cast<const CertChoice*>(arg);
  const HelloFacts* hello = t_hello.ssl == ssl ? &t_hello : nullptr;
  const uint16_t version = static_cast<uint16_t>(SSL_version(ssl));
  // TLS 1.2 only: BoringSSL would drop the ECDHE suites and say NO_SHARED_CIPHER. In TLS 1.3 it
  // refuses by itself (NO_SHARED_GROUP, handshake_failure; TlsConn maps it to kNoSharedGroup).
  if (version < TLS1_3_VERSION && ch.needs_ecdhe && hello != nullptr && hello->groups_sent &&
      (hello->groups & ch.groups) == 0) {
    return refuse(ssl, CertOutcome::kNoSharedGroup, ch.no_group);
  }
  const uint16_t* list = nullptr;
  const size_t n = SSL_get0_peer_verify_algorithms(ssl, &list);
  const std::span<const uint16_t> sigalgs(list, n);
  const STACK_OF(SSL_CIPHER)* ours = SSL_get_ciphers(ssl);
  const Misfit m1 = misfit(ch.cred[0], version, sigalgs, hello, ours);
  if (!ch.second) {
    if (m1 != kFits) return refuse(ssl, CertOutcome::kNoCertificate, ch.refusal[m1][kFits]);
    t_outcome = {ssl, CertOutcome::kFirst, nullptr};
    return 1;
  }
  const Misfit m2 = misfit(ch.cred[1], version, sigalgs, hello, ours);
  if (m1 != kFits && m2 != kFits) {
    return refuse(ssl, CertOutcome::kNoCertificate, ch.refusal[m1][m2]);
  }
  const bool second = m2 == kFits && (m1 != kFits || ch.prefer_second);
  if (second && SSL_set_SSL_CTX(ssl, ch.second.get()) == nullptr) return 0;
  t_outcome = {ssl, second ? CertOutcome::kSecond : CertOutcome::kFirst, nullptr};
  return 1;
}

Credential credential_of(const SSL_CTX* ctx) {
  Credential c;
  const EVP_PKEY* key = SSL_CTX_get0_privatekey(ctx);
  if (key == nullptr) return c;
  c.key_type = EVP_PKEY_id(key);
  c.key_bytes = static_cast<size_t>(EVP_PKEY_size(key));
  switch (c.key_type) {
    case EVP_PKEY_EC: {
      const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(key);
      c.curve_nid = EC_GROUP_get_curve_name(EC_KEY_get0_group(ec));
      const char* nist = EC_curve_nid2nist(c.curve_nid);
      c.desc = std::string("ECDSA ") + (nist != nullptr ? nist : "(unnamed curve)");
      for (const TlsGroup& g : known_tls_groups()) {
        if (nist != nullptr && std::string_view(nist) == g.name) c.curve_bit = tls_group_bit(g.id);
      }
      break;
    }
    case EVP_PKEY_RSA:
      c.desc = "RSA " + std::to_string(EVP_PKEY_bits(key));
      break;
    case EVP_PKEY_ED25519:
      c.desc = "Ed25519";
      break;
    default:
      c.desc = "key type " + std::to_string(c.key_type);
      break;
  }
  return c;
}

const char* key_family(const Credential& c) {
  return c.key_type == EVP_PKEY_RSA ? "RSA" : "ECDSA";
}

std::string why_text(const Credential& c, Misfit m) {
  switch (m) {
    case kSigalgs:
      return "the client's signature algorithms accept no " + c.desc + " signature" +
             (c.key_type == EVP_PKEY_RSA ? " (TLS 1.3 needs RSA-PSS)" : "");
    case kSuites:
      return std::string("the client offers no TLS 1.2 cipher suite of cipher_list for an ") +
             key_family(c) + " certificate";
    case kCurve:
      return "the client offers no group matching certificate curve " + c.desc.substr(6) +
             " in TLS 1.2";
    case kFits:
      break;
  }
  return "";
}

void build_refusals(CertChoice* ch, const TlsProfile& profile, bool dual) {
  ch->no_group =
      "the client offers none of the key-exchange groups " + profile.groups + " (tls.groups)";
  for (int m1 = kSigalgs; m1 < kFits; ++m1) {
    const Credential& c1 = ch->cred[0];
    std::string hint =
        std::string("; add certificate2 (") + (c1.key_type == EVP_PKEY_RSA ? "ECDSA" : "RSA") + ")";
    if (m1 == kCurve) hint += " or use an ECDSA P-256 certificate";
    ch->refusal[m1][kFits] = why_text(c1, static_cast<Misfit>(m1)) + hint;
    if (!dual) continue;
    for (int m2 = kSigalgs; m2 < kFits; ++m2) {
      ch->refusal[m1][m2] = "neither certificate fits: certificate (" + c1.desc +
                            "): " + why_text(c1, static_cast<Misfit>(m1)) + "; certificate2 (" +
                            ch->cred[1].desc +
                            "): " + why_text(ch->cred[1], static_cast<Misfit>(m2));
    }
  }
}

}  // namespace

Status install_certificate_choice(SSL_CTX* ctx, bssl::UniquePtr<SSL_CTX> second,
                                  const TlsProfile& profile) {
  auto ch = std::make_unique<CertChoice>();
  ch->cred[0] = credential_of(ctx);
  const bool dual = second != nullptr;
  if (dual) {
    ch->cred[1] = credential_of(second.get());
    if (ch->cred[1].key_type == ch->cred[0].key_type) {
      return format_error(
          Errc::kConfig,
          "tls.certificate2 {} has a {} key like tls.certificate {} ({}): a second certificate "
          "must have the other key type (RSA beside ECDSA), since clients choose between key "
          "types by their signature algorithms; remove certificate2 or give it the other type",
          profile.certificate2, ch->cred[1].desc, profile.certificate, ch->cred[0].desc);
    }
    ch->prefer_second = ch->cred[0].key_type == EVP_PKEY_RSA;
  }
  Result<std::string> groups = canonical_tls_groups(profile.groups);
  if (!groups) return groups.status();
  ch->groups = tls_group_mask(groups.value());
  const STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx);
  for (size_t i = 0; ciphers != nullptr && i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(ciphers, i);
    const int kx = SSL_CIPHER_get_kx_nid(cipher);
    if (kx != NID_kx_ecdhe && kx != NID_kx_any) ch->needs_ecdhe = false;
  }
  build_refusals(ch.get(), profile, dual);
  ch->second = std::move(second);
  const int index = choice_index();
  if (index < 0 || !SSL_CTX_set_ex_data(ctx, index, ch.get())) {
    return format_error(Errc::kTls, "cannot attach the certificate choice to the context");
  }
  CertChoice* owned = ch.release();  // freed with the context (free_choice)
  SSL_CTX_set_select_certificate_cb(ctx, on_client_hello);
  SSL_CTX_set_cert_cb(ctx, on_certificate, owned);
  return Status::ok();
}

SSL_CTX* certificate2_context(const SSL_CTX* ctx) noexcept {
  const int index = choice_index();
  if (ctx == nullptr || index < 0) return nullptr;
  const auto* ch = static_cast<const CertChoice*>(SSL_CTX_get_ex_data(ctx, index));
  return ch != nullptr ? ch->second.get() : nullptr;
}

CertOutcome take_certificate_outcome(const SSL* ssl, const char** out_reason) noexcept {
  LastOutcome& last = t_outcome;
  const bool mine = last.ssl == ssl && ssl != nullptr;
  if (out_reason != nullptr) *out_reason = mine ? last.reason : nullptr;
  const CertOutcome outcome = mine ? last.outcome : CertOutcome::kNone;
  if (mine) last = LastOutcome{};
  return outcome;
}

}  // namespace sipring
