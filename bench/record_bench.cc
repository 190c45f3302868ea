// Cost of protecting and unprotecting one TLS 1.3 record, per record size and suite: sipring's
// in-place record layer (TlsConn in kDirect13 mode, as the reactors use it) against BoringSSL's
// own SSL_write/SSL_read through memory BIOs, which copy the ciphertext in and out.
//
//   Ours/Seal       seal() in place on the record buffer
//   Ours/Open       open() in place on a received record
//   BoringSsl/Seal  SSL_write, then BIO_read of the record into a send buffer
//   BoringSsl/Open  BIO_write of the received record, then SSL_read into a plaintext buffer
//
// Suites: BoringSSL clients cannot choose TLS 1.3 suites. AES-128-GCM is the default with AES
// hardware, AES-256-GCM is forced with the CECPQ2 key exchange, and ChaCha20-Poly1305 is chosen
// only without AES hardware. Run the binary a second time with
//   OPENSSL_ia32cap='~0x200000000000000'
// (hides AES-NI) to measure ChaCha20; in each run the suites that cannot be negotiated are
// reported as skipped.
#include <benchmark/benchmark.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "crypto/ticket_keys.h"
#include "crypto/tls_conn.h"
#include "crypto/tls_context.h"
#include "tests/testing/mem_tls.h"
#include "tests/testing/test_cert.h"

namespace sipring {
namespace {

using test::MemSsl;

// Records generated per batch for the open benchmarks (regenerated with the timer paused).
constexpr size_t kBatch = 512;

test::TestCert& cert() {
  static test::TestCert c;
  return c;
}

const char* suite_name(uint16_t suite) {
  switch (suite) {
    case 0x1301:
      return "TLS_AES_128_GCM_SHA256";
    case 0x1302:
      return "TLS_AES_256_GCM_SHA384";
    default:
      return "TLS_CHACHA20_POLY1305_SHA256";
  }
}

// Server and client contexts that negotiate `suite`, or an error saying why they cannot here.
struct Contexts {
  TicketKeys keys;
  bssl::UniquePtr<SSL_CTX> server;
  bssl::UniquePtr<SSL_CTX> client;
};

bool make_contexts(uint16_t suite, Contexts* out, std::string* why) {
  const bool aes_hw = EVP_has_aes_hardware() != 0;
  if (suite == 0x1303 && aes_hw) {
    *why = "ChaCha20 needs a run with OPENSSL_ia32cap='~0x200000000000000'";
    return false;
  }
  if (suite != 0x1303 && !aes_hw) {
    *why = "AES suites are measured in a run with AES hardware";
    return false;
  }
  TlsProfile p;
  p.certificate = cert().pem_path();
  auto s = make_server_context(p, -1, &out->keys);
  TlsProfile o;
  o.tls_method = "TLSv1.3";
  auto c = make_client_context(o);
  if (!s || !c) {
    *why = "cannot build TLS contexts";
    return false;
  }
  out->server = std::move(s.value());
  out->client = std::move(c.value());
  if (suite == 0x1302) {
    SSL_CTX_set1_curves_list(out->server.get(), "CECPQ2:X25519");
    SSL_CTX_set1_curves_list(out->client.get(), "CECPQ2");
  }
  return true;
}

// A BoringSSL client connected to a sipring server (the engine's data path).
struct OursPair {
  Contexts ctx;
  std::unique_ptr<MemSsl> client;
  std::unique_ptr<TlsConn> server;
};

bool connect_ours(uint16_t suite, OursPair* p, std::string* why) {
  if (!make_contexts(suite, &p->ctx, why)) return false;
  p->client = MemSsl::client(p->ctx.client.get());
  p->server = TlsConn::server(p->ctx.server.get());
  if (!test::handshake(*p->client, *p->server, why)) return false;
  std::vector<uint8_t> none;
  p->client->read_all(&none);  // tickets
  if (p->server->cipher() != suite) {
    *why = std::string("negotiated another suite than ") + suite_name(suite);
    return false;
  }
  return true;
}

// Two BoringSSL endpoints (the baseline).
struct BoringPair {
  Contexts ctx;
  std::unique_ptr<MemSsl> client;
  std::unique_ptr<MemSsl> server;
};

bool connect_boring(uint16_t suite, BoringPair* p, std::string* why) {
  if (!make_contexts(suite, &p->ctx, why)) return false;
  p->client = MemSsl::client(p->ctx.client.get());
  p->server = MemSsl::server(p->ctx.server.get());
  if (!test::handshake(*p->client, *p->server, why)) return false;
  // Let the server write its held-back tickets now, outside the measurement.
  SSL_write(p->server->ssl(), "", 0);
  p->client->give(p->server->take());
  std::vector<uint8_t> none;
  p->client->read_all(&none);
  if (SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(p->server->ssl())) != suite) {
    *why = std::string("negotiated another suite than ") + suite_name(suite);
    return false;
  }
  return true;
}

// `n` client records of `len` bytes each, back to back, with their offsets.
struct Batch {
  std::vector<uint8_t> wire;
  std::vector<size_t> offsets;  // offsets.size() == records + 1
};

void client_batch(MemSsl& client, size_t len, size_t n, Batch* b) {
  std::vector<uint8_t> pt(len, 0x5a);
  b->wire.clear();
  b->offsets.assign(1, 0);
  for (size_t i = 0; i < n; i++) {
    std::vector<uint8_t> rec = client.write(pt);
    b->wire.insert(b->wire.end(), rec.begin(), rec.end());
    b->offsets.push_back(b->wire.size());
  }
}

void BM_OursSeal(benchmark::State& state, uint16_t suite) {
  const size_t len = static_cast<size_t>(state.range(0));
  OursPair p;
  std::string why;
  if (!connect_ours(suite, &p, &why)) {
    state.SkipWithError(why.c_str());
    return;
  }
  std::vector<uint8_t> rec(p.server->record_prefix() + len + p.server->record_suffix_max());
  memset(rec.data(), 0x5a, rec.size());
  for (auto _ : state) {
    size_t n = p.server->seal(rec.data(), len);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
  state.SetLabel(suite_name(suite));
}

void BM_OursOpen(benchmark::State& state, uint16_t suite) {
  const size_t len = static_cast<size_t>(state.range(0));
  OursPair p;
  std::string why;
  if (!connect_ours(suite, &p, &why)) {
    state.SkipWithError(why.c_str());
    return;
  }
  Batch b;
  size_t next = kBatch;
  for (auto _ : state) {
    if (next == kBatch) {
      state.PauseTiming();
      client_batch(*p.client, len, kBatch, &b);
      next = 0;
      state.ResumeTiming();
    }
    std::span<uint8_t> pt;
    uint8_t alert = 0;
    bool ku = false;
    uint8_t* rec = b.wire.data() + b.offsets[next];
    size_t rec_len = b.offsets[next + 1] - b.offsets[next];
    TlsConn::Open r = p.server->open(rec, rec_len, &pt, &alert, &ku);
    if (r != TlsConn::Open::kData || pt.size() != len) {
      state.SkipWithError("open failed");
      break;
    }
    benchmark::DoNotOptimize(pt.data());
    next++;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
  state.SetLabel(suite_name(suite));
}

void BM_BoringSslSeal(benchmark::State& state, uint16_t suite) {
  const size_t len = static_cast<size_t>(state.range(0));
  BoringPair p;
  std::string why;
  if (!connect_boring(suite, &p, &why)) {
    state.SkipWithError(why.c_str());
    return;
  }
  BIO* wbio = SSL_get_wbio(p.server->ssl());
  std::vector<uint8_t> pt(len, 0x5a);
  std::vector<uint8_t> out(len + 64);
  for (auto _ : state) {
    int w = SSL_write(p.server->ssl(), pt.data(), static_cast<int>(len));
    int r = BIO_read(wbio, out.data(), static_cast<int>(out.size()));
    if (w != static_cast<int>(len) || r <= 0) {
      state.SkipWithError("SSL_write failed");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
  state.SetLabel(suite_name(suite));
}

void BM_BoringSslOpen(benchmark::State& state, uint16_t suite) {
  const size_t len = static_cast<size_t>(state.range(0));
  BoringPair p;
  std::string why;
  if (!connect_boring(suite, &p, &why)) {
    state.SkipWithError(why.c_str());
    return;
  }
  BIO* rbio = SSL_get_rbio(p.server->ssl());
  std::vector<uint8_t> out(16384);
  Batch b;
  size_t next = kBatch;
  for (auto _ : state) {
    if (next == kBatch) {
      state.PauseTiming();
      client_batch(*p.client, len, kBatch, &b);
      next = 0;
      state.ResumeTiming();
    }
    const uint8_t* rec = b.wire.data() + b.offsets[next];
    int rec_len = static_cast<int>(b.offsets[next + 1] - b.offsets[next]);
    BIO_write(rbio, rec, rec_len);
    int r = SSL_read(p.server->ssl(), out.data(), static_cast<int>(out.size()));
    if (r != static_cast<int>(len)) {
      state.SkipWithError("SSL_read failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
    next++;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
  state.SetLabel(suite_name(suite));
}

void sizes(benchmark::internal::Benchmark* b) {
  for (int64_t n : {64, 512, 1500, 4096, 16384}) b->Arg(n);
}

BENCHMARK_CAPTURE(BM_OursSeal, aes128gcm, uint16_t{0x1301})->Apply(sizes);
BENCHMARK_CAPTURE(BM_BoringSslSeal, aes128gcm, uint16_t{0x1301})->Apply(sizes);
BENCHMARK_CAPTURE(BM_OursOpen, aes128gcm, uint16_t{0x1301})->Apply(sizes);
BENCHMARK_CAPTURE(BM_BoringSslOpen, aes128gcm, uint16_t{0x1301})->Apply(sizes);
BENCHMARK_CAPTURE(BM_OursSeal, aes256gcm, uint16_t{0x1302})->Apply(sizes);
BENCHMARK_CAPTURE(BM_BoringSslSeal, aes256gcm, uint16_t{0x1302})->Apply(sizes);
BENCHMARK_CAPTURE(BM_OursOpen, aes256gcm, uint16_t{0x1302})->Apply(sizes);
BENCHMARK_CAPTURE(BM_BoringSslOpen, aes256gcm, uint16_t{0x1302})->Apply(sizes);
BENCHMARK_CAPTURE(BM_OursSeal, chacha20, uint16_t{0x1303})->Apply(sizes);
BENCHMARK_CAPTURE(BM_BoringSslSeal, chacha20, uint16_t{0x1303})->Apply(sizes);
BENCHMARK_CAPTURE(BM_OursOpen, chacha20, uint16_t{0x1303})->Apply(sizes);
BENCHMARK_CAPTURE(BM_BoringSslOpen, chacha20, uint16_t{0x1303})->Apply(sizes);

}  // namespace
}  // namespace sipring

BENCHMARK_MAIN();
