// USDT probes (provider `sipring`): static tracepoints for perf, bpftrace and SystemTap.
//
// A probe is one `nop` in the code plus a note in the binary's .note.stapsdt section naming it
// and where its arguments live (registers or stack slots the compiler picked). Nothing runs
// unless a tracer attaches, which turns the nop into a breakpoint: no call, no branch, no
// memory access when nobody listens. The arguments are still computed, so pass values the code
// has at hand (no function calls whose result only the probe needs).
//
// The probes and their arguments (docs/architecture.md, "Instruments"; tools/trace/*.bt):
//   sipring:accept          (uint64 conn_id, uint32 reactor)
//   sipring:connect_done    (uint64 conn_id, uint64 connect_ns)
//   sipring:handshake_done  (uint64 conn_id, uint64 duration_ns, int resumed, int client_role)
//   sipring:frame_pushed    (uint64 conn_id, uint32 length)
//   sipring:frame_popped    (uint64 conn_id, uint64 wait_ns)
//   sipring:reply_queued    (uint64 conn_id, uint32 length)
//   sipring:send_completed  (uint64 conn_id, int64 result_bytes, uint32 replies,
//                            uint64 oldest_wait_ns)
//   sipring:close           (uint64 conn_id, uint32 reason_code, const char* reason_name)
//   sipring:loop_wait       (uint32 reactor, uint64 slept_ns, uint32 completions)
// conn_id is ConnId::raw().
//
// Built with -Dinstruments=false (SIPRING_INSTRUMENTS=0) SIPRING_PROBE expands to nothing and
// its arguments are not evaluated.
#pragma once

#ifndef SIPRING_INSTRUMENTS
#define SIPRING_INSTRUMENTS 1
#endif

#if SIPRING_INSTRUMENTS
#define SDT_USE_VARIADIC 1  // STAP_PROBEV
#include <sys/sdt.h>
// SIPRING_PROBE(name, args...): fires probe sipring:name with 1 to 10 arguments.
#define SIPRING_PROBE(name, ...) STAP_PROBEV(sipring, name, __VA_ARGS__)
#else
#define SIPRING_PROBE(name, ...) \
  do {                           \
  } while (0)
#endif
