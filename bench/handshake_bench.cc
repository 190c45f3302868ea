// What a TLS 1.3 handshake costs the server in user space, without sockets: the asymmetric
// primitives BoringSSL runs per handshake, and sipring's server side of whole handshakes driven
// in memory (the client's work is excluded from the timing). The gap between these figures and
// the end-to-end server CPU per handshake is the kernel's TCP work.
#include <benchmark/benchmark.h>
#include <openssl/curve25519.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/ecdsa.h>
#include <openssl/nid.h>
#include <openssl/ssl.h>

#include <memory>
#include <vector>

#include "crypto/ticket_keys.h"
#include "crypto/tls_conn.h"
#include "crypto/tls_context.h"
#include "tests/testing/mem_tls.h"
#include "tests/testing/test_cert.h"

namespace sipring {
namespace {

void BM_X25519Keypair(benchmark::State& state) {
  uint8_t pub[32], priv[32];
  for (auto _ : state) {
    X25519_keypair(pub, priv);
    benchmark::DoNotOptimize(pub);
  }
}
BENCHMARK(BM_X25519Keypair);

void BM_X25519SharedSecret(benchmark::State& state) {
  uint8_t pub[32], priv[32], peer_pub[32], peer_priv[32], out[32];
  X25519_keypair(pub, priv);
  X25519_keypair(peer_pub, peer_priv);
  for (auto _ : state) {
    benchmark::DoNotOptimize(X25519(out, priv, peer_pub));
  }
}
BENCHMARK(BM_X25519SharedSecret);

void BM_EcdsaP256Sign(benchmark::State& state) {
  bssl::UniquePtr<EC_KEY> key(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  EC_KEY_generate_key(key.get());
  uint8_t digest[32] = {1, 2, 3};
  uint8_t sig[128];  // a DER P-256 signature is at most 72 bytes
  for (auto _ : state) {
    unsigned len = sizeof(sig);
    benchmark::DoNotOptimize(ECDSA_sign(0, digest, sizeof(digest), sig, &len, key.get()));
  }
}
BENCHMARK(BM_EcdsaP256Sign);

struct Contexts {
  test::TestCert cert;  // ECDSA P-256
  TicketKeys tickets;
  bssl::UniquePtr<SSL_CTX> server;
  bssl::UniquePtr<SSL_CTX> client;
  Contexts() {
    TlsProfile p;
    p.certificate = cert.pem_path();
    p.tls_method = "TLSv1.3";
    server = std::move(make_server_context(p, -1, &tickets).value());
    TlsProfile o;
    o.tls_method = "TLSv1.3";
    client = std::move(make_client_context(o).value());
  }
};

Contexts& contexts() {
  static Contexts c;
  return c;
}

// Pauses and resumes the benchmark's clock, or does nothing outside the timed loop.
struct Clock {
  benchmark::State* state;
  void pause() {
    if (state) state->PauseTiming();
  }
  void resume() {
    if (state) state->ResumeTiming();
  }
};

// One handshake with only the server's calls timed (state may be null: untimed). Returns the
// client's last ticket.
void server_handshake(benchmark::State* timed, SSL_SESSION* offer, bool* resumed,
                      bssl::UniquePtr<SSL_SESSION>* ticket) {
  Contexts& cx = contexts();
  Clock state{timed};
  state.pause();
  auto client = test::MemSsl::client(cx.client.get(), "localhost", offer);
  SSL_do_handshake(client->ssl());
  std::vector<uint8_t> in = client->take();
  state.resume();
  auto server = TlsConn::server(cx.server.get());
  test::VectorSink sink;
  for (int round = 0; round < 4; round++) {
    size_t consumed = 0;
    TlsConn::Step step = server->handshake(in, &consumed, sink);
    state.pause();
    client->give(sink.take());
    SSL_do_handshake(client->ssl());
    std::vector<uint8_t> plain;
    client->read_all(&plain);  // takes the ticket
    in = client->take();
    if (step != TlsConn::Step::kNeedMore) {
      *resumed = server->resumed();
      if (!client->sessions().empty()) {
        ticket->reset(SSL_SESSION_up_ref(client->sessions().back().get())
                          ? client->sessions().back().get()
                          : nullptr);
      }
      state.resume();
      break;
    }
    state.resume();
  }
  state.pause();
  server.reset();
  client.reset();
  state.resume();
}

void BM_ServerFullHandshakeTls13(benchmark::State& state) {
  for (auto _ : state) {
    bool resumed = true;
    bssl::UniquePtr<SSL_SESSION> ticket;
    server_handshake(&state, nullptr, &resumed, &ticket);
    if (resumed) state.SkipWithError("unexpected resumption");
  }
}
BENCHMARK(BM_ServerFullHandshakeTls13)->Unit(benchmark::kMicrosecond);

void BM_ServerResumedHandshakeTls13(benchmark::State& state) {
  bool resumed = false;
  bssl::UniquePtr<SSL_SESSION> ticket;
  server_handshake(nullptr, nullptr, &resumed, &ticket);  // the first ticket, untimed
  for (auto _ : state) {
    bssl::UniquePtr<SSL_SESSION> next;
    server_handshake(&state, ticket.get(), &resumed, &next);
    if (!resumed) state.SkipWithError("resumption failed");
    if (next) ticket = std::move(next);
  }
}
BENCHMARK(BM_ServerResumedHandshakeTls13)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace sipring

BENCHMARK_MAIN();
