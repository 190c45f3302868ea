// Throughput of the SIP stream framer (engine/sip/sip_framer.h) on whole messages already in the
// buffer: the per-message cost a reactor pays on every received record.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>
#include <string>

#include "engine/sip/sip_framer.h"

namespace sipring {
namespace {

constexpr uint32_t kMax = 65535;

// A typical keep-alive style OPTIONS over TLS, about 450 bytes.
std::string Options() {
  return "OPTIONS sip:bob@biloxi.example.com;transport=tls SIP/2.0\r\n"
         "Via: SIP/2.0/TLS pc33.atlanta.example.com:5061;branch=z9hG4bK776asdhds;rport\r\n"
         "Max-Forwards: 70\r\n"
         "To: <sip:bob@biloxi.example.com>\r\n"
         "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
         "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
         "CSeq: 63104 OPTIONS\r\n"
         "Contact: <sip:alice@pc33.atlanta.example.com:5061;transport=tls>\r\n"
         "Accept: application/sdp\r\n"
         "User-Agent: sipring-bench/0.1\r\n"
         "Content-Length: 0\r\n"
         "\r\n";
}

// A MESSAGE whose 1 KiB body the framer must count but not examine.
std::string WithBody() {
  const std::string body(1024, 'x');
  return "MESSAGE sip:bob@biloxi.example.com SIP/2.0\r\n"
         "Via: SIP/2.0/TLS pc33.atlanta.example.com:5061;branch=z9hG4bK776asdhdt;rport\r\n"
         "Max-Forwards: 70\r\n"
         "To: <sip:bob@biloxi.example.com>\r\n"
         "From: Alice <sip:alice@atlanta.example.com>;tag=1928301775\r\n"
         "Call-ID: a84b4c76e66711@pc33.atlanta.example.com\r\n"
         "CSeq: 1 MESSAGE\r\n"
         "Content-Type: text/plain\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A typical 200 OK answering an OPTIONS, as a proxy would receive it.
std::string Response() {
  return "SIP/2.0 200 OK\r\n"
         "Via: SIP/2.0/TLS pc33.atlanta.example.com:5061;branch=z9hG4bK776asdhds;rport=5061;"
         "received=192.0.2.4\r\n"
         "To: <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
         "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
         "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
         "CSeq: 63104 OPTIONS\r\n"
         "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE\r\n"
         "Accept: application/sdp\r\n"
         "Content-Length: 0\r\n"
         "\r\n";
}

// Frames every message in `buffer` as a reactor would: scan, drop `length`, scan again.
void FrameAll(benchmark::State& state, const std::string& buffer, int messages) {
  const std::span<const uint8_t> all(reinterpret_cast<const uint8_t*>(buffer.data()),
                                     buffer.size());
  for (auto _ : state) {
    SipFramer framer;
    std::span<const uint8_t> pending = all;
    int framed = 0;
    for (;;) {
      const ScanResult r = framer.scan(pending, kMax);
      if (r.kind != ScanResult::kMessage) break;
      pending = pending.subspan(r.length);
      ++framed;
    }
    benchmark::DoNotOptimize(framed);
    if (framed != messages) state.SkipWithError("misframed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * buffer.size());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * messages);
  state.counters["msg_bytes"] = static_cast<double>(buffer.size()) / messages;
}

void BM_FrameOptions(benchmark::State& state) {
  FrameAll(state, Options(), 1);
}
BENCHMARK(BM_FrameOptions);

void BM_FramePipelinedOptions16(benchmark::State& state) {
  std::string batch;
  for (int i = 0; i < 16; ++i) batch += Options();
  FrameAll(state, batch, 16);
}
BENCHMARK(BM_FramePipelinedOptions16);

void BM_FrameMessageWith1KiBBody(benchmark::State& state) {
  FrameAll(state, WithBody(), 1);
}
BENCHMARK(BM_FrameMessageWith1KiBBody);

void BM_FrameResponse(benchmark::State& state) {
  FrameAll(state, Response(), 1);
}
BENCHMARK(BM_FrameResponse);

// A message split across two TLS records: the second scan resumes where the first stopped.
void BM_FrameOptionsInTwoRecords(benchmark::State& state) {
  const std::string msg = Options();
  const std::span<const uint8_t> all(reinterpret_cast<const uint8_t*>(msg.data()), msg.size());
  const size_t split = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    SipFramer framer;
    ScanResult r = framer.scan(all.first(split), kMax);
    if (r.kind == ScanResult::kNeedMore) r = framer.scan(all, kMax);
    benchmark::DoNotOptimize(r);
    if (r.kind != ScanResult::kMessage || r.length != msg.size()) state.SkipWithError("misframed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * msg.size());
}
BENCHMARK(BM_FrameOptionsInTwoRecords)->Arg(100)->Arg(300)->Arg(450);

// A peer trickling one byte per scan: the total must stay linear in the message size.
void BM_FrameOptionsByteAtATime(benchmark::State& state) {
  const std::string msg = Options();
  const std::span<const uint8_t> all(reinterpret_cast<const uint8_t*>(msg.data()), msg.size());
  for (auto _ : state) {
    SipFramer framer;
    ScanResult r{};
    for (size_t n = 1; n <= all.size(); ++n) {
      r = framer.scan(all.first(n), kMax);
      if (r.kind != ScanResult::kNeedMore) break;
    }
    benchmark::DoNotOptimize(r);
    if (r.kind != ScanResult::kMessage) state.SkipWithError("misframed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * msg.size());
}
BENCHMARK(BM_FrameOptionsByteAtATime);

}  // namespace
}  // namespace sipring

BENCHMARK_MAIN();
