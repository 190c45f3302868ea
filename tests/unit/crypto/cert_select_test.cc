// Tests of the per-handshake choice of a server certificate (crypto/cert_select.h) and of the
// key-exchange groups (crypto/tls_groups.h), against BoringSSL clients that accept only some
// signature algorithms, cipher suites or groups (issue 11 parts 4 and 5).
#include "crypto/cert_select.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <string>

#include "crypto/tls_conn.h"
#include "crypto/tls_context.h"
#include "crypto/tls_groups.h"
#include "tests/testing/cert_builder.h"
#include "tests/testing/mem_tls.h"
#include "tests/testing/pki_files.h"

namespace sipring {
namespace {

using test::CertSpec;
using test::MemSsl;
using ::testing::HasSubstr;

// One ECDSA P-256, one ECDSA P-384 and one RSA 2048 certificate for localhost, made once.
struct Certs {
  test::PkiFiles files;
  std::string p256, p384, rsa;

  static Certs& get() {
    static Certs* certs = new Certs();
    return *certs;
  }

 private:
  Certs() {
    p256 = make("p256.pem", CertSpec::Key::kP256);
    p384 = make("p384.pem", CertSpec::Key::kP384);
    rsa = make("rsa.pem", CertSpec::Key::kRsa2048);
  }
  std::string make(const std::string& name, CertSpec::Key key) {
    CertSpec spec = test::leaf_spec("localhost", {"localhost"});
    spec.key = key;
    return files.cert_and_key(name, test::issue_cert(spec));
  }
};

bssl::UniquePtr<SSL_CTX> server(const std::string& cert, const std::string& cert2 = "",
                                const std::string& groups = "") {
  TlsProfile p;
  p.certificate = cert;
  p.certificate2 = cert2;
  if (!groups.empty()) p.groups = groups;
  auto ctx = make_server_context(p, -1, nullptr);
  EXPECT_TRUE(ctx) << ctx.error().message;
  return ctx ? std::move(ctx.value()) : nullptr;
}

// What a client accepts; empty fields keep BoringSSL's defaults.
struct ClientSpec {
  uint16_t max_version = TLS1_3_VERSION;
  std::string ciphers;            // TLS 1.2 suites
  std::string groups;             // e.g. "P-256"
  std::vector<uint16_t> sigalgs;  // the signature algorithms it verifies
};

struct Outcome {
  bool ok = false;
  std::string error;  // the client's or server's failure
  CertOutcome cert = CertOutcome::kNone;
  const char* server_reason = "";
  int peer_key_type = EVP_PKEY_NONE;  // of the certificate the client received
  uint16_t group = 0;
};

Outcome run(SSL_CTX* sctx, const ClientSpec& spec) {
  bssl::UniquePtr<SSL_CTX> cctx(SSL_CTX_new(TLS_method()));
  SSL_CTX_set_max_proto_version(cctx.get(), spec.max_version);
  if (!spec.ciphers.empty()) SSL_CTX_set_strict_cipher_list(cctx.get(), spec.ciphers.c_str());
  if (!spec.groups.empty()) SSL_CTX_set1_curves_list(cctx.get(), spec.groups.c_str());
  if (!spec.sigalgs.empty()) {
    SSL_CTX_set_verify_algorithm_prefs(cctx.get(), spec.sigalgs.data(), spec.sigalgs.size());
  }
  auto client = MemSsl::client(cctx.get());
  auto srv = TlsConn::server(sctx);
  Outcome out;
  out.ok = test::handshake(*client, *srv, &out.error);
  out.cert = srv->certificate_outcome();
  out.server_reason = srv->failure_reason();
  if (const STACK_OF(CRYPTO_BUFFER)* chain = SSL_get0_peer_certificates(client->ssl())) {
    bssl::UniquePtr<X509> x(X509_parse_from_buffer(sk_CRYPTO_BUFFER_value(chain, 0)));
    bssl::UniquePtr<EVP_PKEY> key(x ? X509_get_pubkey(x.get()) : nullptr);
    if (key) out.peer_key_type = EVP_PKEY_id(key.get());
  }
  out.group = SSL_get_curve_id(client->ssl());
  return out;
}

// --- Two certificates -------------------------------------------------------------------------

TEST(DualCertificates, ModernClientsGetEcdsaWhicheverSlotItIsIn) {
  Certs& c = Certs::get();
  for (bool ecdsa_first : {true, false}) {
    SCOPED_TRACE(ecdsa_first ? "certificate = ECDSA" : "certificate = RSA");
    auto sctx = ecdsa_first ? server(c.p256, c.rsa) : server(c.rsa, c.p256);
    for (uint16_t v : {TLS1_3_VERSION, TLS1_2_VERSION}) {
      Outcome o = run(sctx.get(), {.max_version = v});
      ASSERT_TRUE(o.ok) << o.error;
      EXPECT_EQ(o.peer_key_type, EVP_PKEY_EC);
      EXPECT_EQ(o.cert, ecdsa_first ? CertOutcome::kFirst : CertOutcome::kSecond);
    }
  }
}

TEST(DualCertificates, ClientsThatVerifyOnlyRsaGetRsa) {
  Certs& c = Certs::get();
  auto sctx = server(c.p256, c.rsa);
  // TLS 1.3 (RSA-PSS only) and TLS 1.2 by signature algorithms.
  for (uint16_t v : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    Outcome o = run(
        sctx.get(),
        {.max_version = v, .sigalgs = {SSL_SIGN_RSA_PSS_RSAE_SHA256, SSL_SIGN_RSA_PKCS1_SHA256}});
    ASSERT_TRUE(o.ok) << o.error;
    EXPECT_EQ(o.peer_key_type, EVP_PKEY_RSA);
    EXPECT_EQ(o.cert, CertOutcome::kSecond);
  }
  // TLS 1.2 by cipher suites: an RSA-only suite list, every signature algorithm accepted.
  Outcome o =
      run(sctx.get(), {.max_version = TLS1_2_VERSION, .ciphers = "ECDHE-RSA-AES128-GCM-SHA256"});
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.peer_key_type, EVP_PKEY_RSA);
  // And the other way round: an ECDSA-only suite list gets ECDSA even if RSA is first.
  auto rsa_first = server(c.rsa, c.p256);
  o = run(rsa_first.get(),
          {.max_version = TLS1_2_VERSION, .ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256"});
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.peer_key_type, EVP_PKEY_EC);
}

TEST(DualCertificates, Tls12ClientWithoutTheEcdsaCurveGetsRsa) {
  Certs& c = Certs::get();
  auto sctx = server(c.p384, c.rsa);
  Outcome o = run(sctx.get(), {.max_version = TLS1_2_VERSION, .groups = "P-256:X25519"});
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.peer_key_type, EVP_PKEY_RSA);
  EXPECT_EQ(o.cert, CertOutcome::kSecond);
  // TLS 1.3 binds the curve in the signature algorithm, not in the groups: P-384 is fine.
  o = run(sctx.get(), {.max_version = TLS1_3_VERSION, .groups = "P-256:X25519"});
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.peer_key_type, EVP_PKEY_EC);
}

TEST(DualCertificates, NeitherFitsIsRefusedWithBothReasons) {
  Certs& c = Certs::get();
  auto sctx = server(c.p384, c.rsa);
  Outcome o = run(sctx.get(),
                  {.max_version = TLS1_3_VERSION, .sigalgs = {SSL_SIGN_ECDSA_SECP256R1_SHA256}});
  ASSERT_FALSE(o.ok);
  EXPECT_EQ(o.cert, CertOutcome::kNoCertificate);
  EXPECT_STREQ(o.server_reason,
               "neither certificate fits: certificate (ECDSA P-384): the client's signature "
               "algorithms accept no ECDSA P-384 signature; certificate2 (RSA 2048): the "
               "client's signature algorithms accept no RSA 2048 signature (TLS 1.3 needs "
               "RSA-PSS)");
}

// The bug of issue 11: TLS 1.2, an ECDSA P-384 certificate, a client offering P-256/X25519
// only. OpenSSL clients abort with "wrong curve" after the server's Certificate; now the server
// refuses at once with handshake_failure and says why.
TEST(SingleCertificate, P384InTls12WithoutTheCurveIsRefusedWithTheReason) {
  auto sctx = server(Certs::get().p384);
  Outcome o = run(sctx.get(), {.max_version = TLS1_2_VERSION, .groups = "P-256:X25519"});
  ASSERT_FALSE(o.ok);
  EXPECT_EQ(o.cert, CertOutcome::kNoCertificate);
  EXPECT_STREQ(o.server_reason,
               "the client offers no group matching certificate curve P-384 in TLS 1.2; add "
               "certificate2 (RSA) or use an ECDSA P-256 certificate");
  // With the curve offered it works, and a single certificate is always "the first".
  o = run(sctx.get(), {.max_version = TLS1_2_VERSION, .groups = "P-256:P-384"});
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.cert, CertOutcome::kFirst);
}

TEST(SingleCertificate, RsaOnlySuitesAgainstAnEcdsaCertificateAreRefusedWithTheReason) {
  auto sctx = server(Certs::get().p256);
  Outcome o =
      run(sctx.get(), {.max_version = TLS1_2_VERSION, .ciphers = "ECDHE-RSA-AES128-GCM-SHA256"});
  ASSERT_FALSE(o.ok);
  EXPECT_EQ(o.cert, CertOutcome::kNoCertificate);
  EXPECT_STREQ(o.server_reason,
               "the client offers no TLS 1.2 cipher suite of cipher_list for an ECDSA "
               "certificate; add certificate2 (RSA)");
}

TEST(DualCertificatesConfig, BothPairsAreCheckedAndMustDifferInKeyType) {
  Certs& c = Certs::get();
  TlsProfile p;
  p.certificate = c.p256;
  p.certificate2 = c.p384;
  auto ctx = make_server_context(p, -1, nullptr);
  ASSERT_FALSE(ctx);
  EXPECT_THAT(ctx.error().message, HasSubstr("tls.certificate2 " + c.p384 +
                                             " has a ECDSA P-384 key like "
                                             "tls.certificate " +
                                             c.p256 +
                                             " (ECDSA P-256): a second certificate "
                                             "must have the other key type"));
  // certificate2's key must match it.
  p.certificate2 = c.rsa;
  p.private_key2 = c.p256;
  ctx = make_server_context(p, -1, nullptr);
  ASSERT_FALSE(ctx);
  EXPECT_THAT(ctx.error().message, HasSubstr("tls.private_key2 " + c.p256 + ": key rejected"));
  p.certificate2 = "/nonexistent/rsa.pem";
  p.private_key2.clear();
  ctx = make_server_context(p, -1, nullptr);
  ASSERT_FALSE(ctx);
  EXPECT_THAT(ctx.error().message, HasSubstr("tls.certificate2: cannot read /nonexistent/rsa.pem"));
  p.certificate2.clear();
  p.private_key2 = c.rsa;
  ctx = make_server_context(p, -1, nullptr);
  ASSERT_FALSE(ctx);
  EXPECT_THAT(ctx.error().message, HasSubstr("is set without tls.certificate2"));
}

// --- Groups -----------------------------------------------------------------------------------

TEST(Groups, WhatThisBoringSslImplementsIsAskedNotAssumed) {
  std::string names;
  for (const TlsGroup& g : known_tls_groups()) names += std::string(g.name) + " ";
  EXPECT_THAT(names, HasSubstr("X25519 "));
  EXPECT_THAT(names, HasSubstr("P-256 "));
  EXPECT_THAT(names, HasSubstr("P-384 "));
  EXPECT_EQ(usable_tls_group_names().find("P-224"), std::string::npos);
  EXPECT_EQ(usable_tls_group_names().find("CECPQ2"), std::string::npos);
}

TEST(Groups, ValuesAreCanonicalisedAndBadOnesRefusedNamingTheSupportedOnes) {
  EXPECT_EQ(canonical_tls_groups("").value(), "X25519:P-256:P-384");
  EXPECT_EQ(canonical_tls_groups("x25519:p-384").value(), "X25519:P-384");
  EXPECT_EQ(canonical_tls_groups("prime256v1:secp384r1").value(), "P-256:P-384");
  const std::string supported = usable_tls_group_names();
  auto unknown = canonical_tls_groups("X25519:X448");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message,
            "tls.groups \"X25519:X448\": \"X448\" is not a key-exchange group this BoringSSL "
            "implements; it offers " +
                supported +
                " (post-quantum hybrids such as X25519MLKEM768 need a newer BoringSSL)");
  auto pq = canonical_tls_groups("X25519MLKEM768");
  ASSERT_FALSE(pq);
  EXPECT_THAT(pq.error().message, HasSubstr("need a newer BoringSSL"));
  auto weak = canonical_tls_groups("P-224");
  ASSERT_FALSE(weak);
  EXPECT_THAT(weak.error().message, HasSubstr("P-224 is not offered: under 128-bit security"));
  EXPECT_THAT(canonical_tls_groups("P-256:p-256").error().message,
              HasSubstr("P-256 is listed twice"));
  EXPECT_THAT(canonical_tls_groups("P-256::X25519").error().message, HasSubstr("an empty name"));
}

TEST(Groups, TheServersOrderWinsAndNoSharedGroupIsRefusedWithTheReason) {
  auto sctx = server(Certs::get().p256, "", "P-384:X25519");
  for (uint16_t v : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    SCOPED_TRACE(v);
    // The client prefers X25519 (and sends its key share for it): the server asks for P-384.
    // (P-256 too: in TLS 1.2 it must offer the certificate's curve.)
    Outcome o = run(sctx.get(), {.max_version = v, .groups = "X25519:P-384:P-256"});
    ASSERT_TRUE(o.ok) << o.error;
    EXPECT_EQ(o.group, SSL_CURVE_SECP384R1);
    o = run(sctx.get(), {.max_version = v, .groups = "P-256"});
    ASSERT_FALSE(o.ok);
    EXPECT_EQ(o.cert, CertOutcome::kNoSharedGroup);
    // TLS 1.2: sipring's refusal (BoringSSL would say NO_SHARED_CIPHER); TLS 1.3: BoringSSL's.
    EXPECT_STREQ(o.server_reason,
                 v == TLS1_2_VERSION
                     ? "the client offers none of the key-exchange groups P-384:X25519 (tls.groups)"
                     : "NO_SHARED_GROUP: the client offers none of the domain's key-exchange "
                       "groups (tls.groups)");
  }
  TlsProfile bad;
  bad.certificate = Certs::get().p256;
  bad.groups = "X25519:ffdhe2048";
  auto ctx = make_server_context(bad, -1, nullptr);
  ASSERT_FALSE(ctx);
  EXPECT_THAT(ctx.error().message, HasSubstr("\"ffdhe2048\" is not a key-exchange group"));
}

}  // namespace
}  // namespace sipring
