// Throughput of the stateless response builder on a typical OPTIONS keep-alive probe.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sipring/sip_response.h"

namespace sipring {
namespace {

// 450 bytes: what a proxy's OPTIONS ping over TLS typically looks like.
constexpr std::string_view kOptions =
    "OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TLS pc33.atlanta.example.com:5061;branch=z9hG4bKhjhs8ass877\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:carol@chicago.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e6671@pc33.atlanta.example.com\r\n"
    "CSeq: 63104 OPTIONS\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com;transport=tls>\r\n"
    "Accept: application/sdp\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS\r\n"
    "Content-Length: 0\r\n"
    "\r\n";
static_assert(kOptions.size() == 450);

std::span<const uint8_t> request_bytes() {
  return {reinterpret_cast<const uint8_t*>(kOptions.data()), kOptions.size()};
}

void BM_BuildResponseOptions(benchmark::State& state) {
  std::array<uint8_t, 1024> out;
  size_t written = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(request_bytes().data());
    ResponseError e = build_response(request_bytes(), 200, "OK", out, &written);
    if (e != ResponseError::kOk) {
      state.SkipWithError(response_error_name(e));
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * kOptions.size());
  state.counters["response_bytes"] = static_cast<double>(written);
}
BENCHMARK(BM_BuildResponseOptions);

// The demo core classifies every message before answering it.
void BM_ParseStartLine(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(request_bytes().data());
    StartLine line = parse_start_line(request_bytes());
    benchmark::DoNotOptimize(line);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseStartLine);

}  // namespace
}  // namespace sipring

BENCHMARK_MAIN();
