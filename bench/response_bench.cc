// Throughput of the stateless response builder on a typical OPTIONS keep-alive probe, plus the
// variants that take other paths: an in-dialog request (To already tagged, no tag hash) and a
// head with folded lines (the careful unfolding path).
//
// The per-call numbers are noisy on a shared machine; for a repeatable figure, count
// instructions instead: `valgrind --tool=callgrind --toggle-collect='sipring::build_response*'`
// around a loop of calls, divided by the number of calls.
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

// A BYE inside a dialog: the To tag is there, so no tag is computed.
constexpr std::string_view kInDialogBye =
    "BYE sip:carol@chicago.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TLS pc33.atlanta.example.com:5061;branch=z9hG4bKnashds10\r\n"
    "Max-Forwards: 70\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "To: Carol <sip:carol@chicago.example.com>;tag=a6c85cf\r\n"
    "Call-ID: a84b4c76e6671@pc33.atlanta.example.com\r\n"
    "CSeq: 231 BYE\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

// The OPTIONS ping with its Via, To and CSeq folded over two lines each.
constexpr std::string_view kFolded =
    "OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TLS pc33.atlanta.example.com:5061\r\n"
    "\t;branch=z9hG4bKhjhs8ass877\r\n"
    "Max-Forwards: 70\r\n"
    "To:\r\n <sip:carol@chicago.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e6671@pc33.atlanta.example.com\r\n"
    "CSeq: 63104\r\n OPTIONS\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com;transport=tls>\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void run_build(benchmark::State& state, std::string_view request) {
  std::array<uint8_t, 1024> out;
  size_t written = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(request.data());
    ResponseError e = build_response(as_bytes(request), 200, "OK", out, &written);
    if (e != ResponseError::kOk) {
      state.SkipWithError(response_error_name(e));
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * request.size());
  state.counters["response_bytes"] = static_cast<double>(written);
}

void BM_BuildResponseOptions(benchmark::State& state) {
  run_build(state, kOptions);
}
BENCHMARK(BM_BuildResponseOptions);

void BM_BuildResponseInDialog(benchmark::State& state) {
  run_build(state, kInDialogBye);
}
BENCHMARK(BM_BuildResponseInDialog);

void BM_BuildResponseFolded(benchmark::State& state) {
  run_build(state, kFolded);
}
BENCHMARK(BM_BuildResponseFolded);

// The demo core classifies every message before answering it.
void BM_ParseStartLine(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(kOptions.data());
    StartLine line = parse_start_line(as_bytes(kOptions));
    benchmark::DoNotOptimize(line);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseStartLine);

}  // namespace
}  // namespace sipring

BENCHMARK_MAIN();
