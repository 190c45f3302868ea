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
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "crypto/tls_conn.h"
#include "tests/testing/mem_tls.h"
#include "tests/testing/tls_pair.h"

namespace sipring {
namespace {

using test::MemSsl;

// Records generated per batch for the open benchmarks (regenerated with the timer paused).
constexpr size_t kBatch = 512;

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

uint16_t cipher_of(const TlsConn& server) {
  return server.cipher();
}
uint16_t cipher_of(const MemSsl& server) {
  return SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(server.ssl()));
}

// A BoringSSL client connected to a server that is either sipring's TlsConn (the engine's data
// path) or another BoringSSL SSL (the baseline), negotiating one TLS 1.3 suite.
template <typename Server>
struct Pair {
  bssl::UniquePtr<SSL_CTX> server_ctx;
  bssl::UniquePtr<SSL_CTX> client_ctx;
  std::unique_ptr<MemSsl> client;
  std::unique_ptr<Server> server;

  // Connects for `suite`; false with `*why` when it cannot be negotiated on this machine.
  bool connect(uint16_t suite, std::string* why) {
    const bool aes_hw = EVP_has_aes_hardware() != 0;
    if (suite == 0x1303 && aes_hw) {
      *why = "ChaCha20 needs a run with OPENSSL_ia32cap='~0x200000000000000'";
      return false;
    }
    if (suite != 0x1303 && !aes_hw) {
      *why = "AES suites are measured in a run with AES hardware";
      return false;
    }
    server_ctx = test::TlsEnv::get().server_ctx();
    client_ctx = test::TlsEnv::client_ctx("TLSv1.3");
    if (!server_ctx || !client_ctx) {
      *why = "cannot build TLS contexts";
      return false;
    }
    if (suite == 0x1302) {
      SSL_CTX_set1_curves_list(server_ctx.get(), "CECPQ2:X25519");
      SSL_CTX_set1_curves_list(client_ctx.get(), "CECPQ2");
    }
    client = MemSsl::client(client_ctx.get());
    server = Server::server(server_ctx.get());
    if (!test::handshake(*client, *server, why)) return false;
    if constexpr (std::is_same_v<Server, MemSsl>) {
      // Let the server write its held-back tickets now, outside the measurement.
      SSL_write(server->ssl(), "", 0);
      client->give(server->take());
    }
    std::vector<uint8_t> none;
    client->read_all(&none);  // the tickets
    if (cipher_of(*server) != suite) {
      *why = std::string("negotiated another suite than ") + suite_name(suite);
      return false;
    }
    return true;
  }
};

// What every benchmark shares: a pair for `suite` (or a skip saying why), `timed(state, pair,
// len)` running the timed loop, then bytes processed and the suite as the label.
template <typename Server, typename Timed>
void measure(benchmark::State& state, uint16_t suite, Timed timed) {
  const size_t len = static_cast<size_t>(state.range(0));
  Pair<Server> p;
  std::string why;
  if (!p.connect(suite, &why)) {
    state.SkipWithError(why.c_str());
    return;
  }
  timed(state, p, len);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
  state.SetLabel(suite_name(suite));
}

// The client's records of `len` bytes, handed out one at a time; every kBatch records a new
// batch is written with the timer paused.
class RecordFeed {
 public:
  RecordFeed(benchmark::State& state, MemSsl& client, size_t len)
      : state_(state), client_(client), pt_(len, 0x5a) {}

  std::span<uint8_t> next() {
    if (next_ == kBatch) refill();
    std::span<uint8_t> rec(wire_.data() + offsets_[next_], offsets_[next_ + 1] - offsets_[next_]);
    next_++;
    return rec;
  }

 private:
  void refill() {
    state_.PauseTiming();
    wire_.clear();
    offsets_.assign(1, 0);
    for (size_t i = 0; i < kBatch; i++) {
      std::vector<uint8_t> rec = client_.write(pt_);
      wire_.insert(wire_.end(), rec.begin(), rec.end());
      offsets_.push_back(wire_.size());
    }
    next_ = 0;
    state_.ResumeTiming();
  }

  benchmark::State& state_;
  MemSsl& client_;
  std::vector<uint8_t> pt_;
  std::vector<uint8_t> wire_;
  std::vector<size_t> offsets_;  // offsets_.size() == kBatch + 1
  size_t next_ = kBatch;
};

void BM_OursSeal(benchmark::State& state, uint16_t suite) {
  measure<TlsConn>(state, suite, [](benchmark::State& st, Pair<TlsConn>& p, size_t len) {
    std::vector<uint8_t> rec(p.server->record_prefix() + len + p.server->record_suffix_max());
    memset(rec.data(), 0x5a, rec.size());
    for (auto _ : st) {
      size_t n = p.server->seal(rec.data(), len);
      benchmark::DoNotOptimize(n);
      benchmark::ClobberMemory();
    }
  });
}

void BM_OursOpen(benchmark::State& state, uint16_t suite) {
  measure<TlsConn>(state, suite, [](benchmark::State& st, Pair<TlsConn>& p, size_t len) {
    RecordFeed feed(st, *p.client, len);
    for (auto _ : st) {
      std::span<uint8_t> rec = feed.next();
      std::span<uint8_t> pt;
      uint8_t alert = 0;
      bool ku = false;
      TlsConn::Open r = p.server->open(rec.data(), rec.size(), &pt, &alert, &ku);
      if (r != TlsConn::Open::kData || pt.size() != len) {
        st.SkipWithError("open failed");
        break;
      }
      benchmark::DoNotOptimize(pt.data());
    }
  });
}

void BM_BoringSslSeal(benchmark::State& state, uint16_t suite) {
  measure<MemSsl>(state, suite, [](benchmark::State& st, Pair<MemSsl>& p, size_t len) {
    BIO* wbio = SSL_get_wbio(p.server->ssl());
    std::vector<uint8_t> pt(len, 0x5a);
    std::vector<uint8_t> out(len + 64);
    for (auto _ : st) {
      int w = SSL_write(p.server->ssl(), pt.data(), static_cast<int>(len));
      int r = BIO_read(wbio, out.data(), static_cast<int>(out.size()));
      if (w != static_cast<int>(len) || r <= 0) {
        st.SkipWithError("SSL_write failed");
        break;
      }
      benchmark::DoNotOptimize(r);
    }
  });
}

void BM_BoringSslOpen(benchmark::State& state, uint16_t suite) {
  measure<MemSsl>(state, suite, [](benchmark::State& st, Pair<MemSsl>& p, size_t len) {
    BIO* rbio = SSL_get_rbio(p.server->ssl());
    std::vector<uint8_t> out(16384);
    RecordFeed feed(st, *p.client, len);
    for (auto _ : st) {
      std::span<uint8_t> rec = feed.next();
      BIO_write(rbio, rec.data(), static_cast<int>(rec.size()));
      int r = SSL_read(p.server->ssl(), out.data(), static_cast<int>(out.size()));
      if (r != static_cast<int>(len)) {
        st.SkipWithError("SSL_read failed");
        break;
      }
      benchmark::DoNotOptimize(out.data());
    }
  });
}

}  // namespace
}  // namespace sipring

// Every benchmark for every suite and record size, named as BENCHMARK_CAPTURE would:
// BM_OursSeal/aes128gcm/512.
int main(int argc, char** argv) {
  using Fn = void (*)(benchmark::State&, uint16_t);
  const struct {
    const char* name;
    uint16_t id;
  } suites[] = {{"aes128gcm", 0x1301}, {"aes256gcm", 0x1302}, {"chacha20", 0x1303}};
  const struct {
    const char* name;
    Fn fn;
  } benchmarks[] = {{"BM_OursSeal", sipring::BM_OursSeal},
                    {"BM_BoringSslSeal", sipring::BM_BoringSslSeal},
                    {"BM_OursOpen", sipring::BM_OursOpen},
                    {"BM_BoringSslOpen", sipring::BM_BoringSslOpen}};
  for (const auto& suite : suites) {
    for (const auto& bm : benchmarks) {
      const std::string name = std::string(bm.name) + "/" + suite.name;
      auto* b = benchmark::RegisterBenchmark(name.c_str(), bm.fn, suite.id);
      for (int64_t n : {64, 512, 1500, 4096, 16384}) b->Arg(n);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
