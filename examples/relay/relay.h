/* The relay's shared state: its settings, the upstream connection's state (read by every
 * reactor, written by the reactor that owns the upstream connection and by the main thread),
 * the per-reactor working set and the counters. See main.c for what the relay does. */
#ifndef SIPRING_EXAMPLES_RELAY_RELAY_H
#define SIPRING_EXAMPLES_RELAY_RELAY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sipring/sipring.h"

#include "inflight.h"

/* Every counter: name and what it counts (printed as JSON on SIGUSR1 and at exit). Each drop
 * has its own counter; the sum of the dropped_* counters is every message the relay let go. */
#define RELAY_COUNTERS(X)                                                                         \
  X(requests_in, "requests received from clients")                                                \
  X(requests_relayed, "requests queued to the upstream connection")                               \
  X(responses_in, "responses received from the upstream")                                         \
  X(responses_relayed, "responses queued to the client connection they belong to")                \
  X(replied_503, "requests answered 503: the upstream is down or refused the message")            \
  X(replied_503_inflight, "requests answered 503 after the upstream closed with them unanswered") \
  X(replied_483, "requests answered 483: Max-Forwards was 0")                                     \
  X(replied_400, "requests answered 400: no or malformed Via, malformed Max-Forwards")            \
  X(replied_513, "requests answered 513: too large to forward with the relay's Via")              \
  X(replied_403, "requests from the upstream answered 403: the relay forwards downstream only")   \
  X(dropped_responses_origin_gone, "responses whose client connection has closed")                \
  X(dropped_responses_forged, "responses whose top Via is not the relay's or fails its check")    \
  X(dropped_responses_malformed, "responses without a second Via or with a malformed one")        \
  X(dropped_responses_queue_full, "responses the client connection's queue refused")              \
  X(dropped_stray_responses, "responses received from a client connection")                       \
  X(dropped_acks, "ACKs not forwarded: upstream down, malformed, or Max-Forwards 0")              \
  X(dropped_unanswerable, "malformed requests too broken to answer (no Call-ID, CSeq, ...)")      \
  X(dropped_replies, "local replies (503, 483, 400 ...) the client connection refused")           \
  X(inflight_untracked, "requests forwarded without an in-flight entry (table full)")             \
  X(inflight_expired, "in-flight entries reused after relay.inflight_timeout unanswered")         \
  X(upstream_connects, "connection attempts to the upstream")                                     \
  X(upstream_opened, "upstream connections that completed their handshake")                       \
  X(upstream_closed, "upstream connections (or attempts) that closed")

enum {
#define RELAY_COUNTER_ENUM(name, text) RELAY_C_##name,
  RELAY_COUNTERS(RELAY_COUNTER_ENUM)
#undef RELAY_COUNTER_ENUM
      RELAY_COUNTER_COUNT
};

typedef struct relay_settings {
  const char* config_path;   /* sipring config file (listen, certificates, tls.cfg) */
  const char* upstream;      /* "IP:PORT" */
  const char* upstream_name; /* SNI and the name its certificate must carry; NULL = by address */
  const char* advertise;     /* host:port for our Via and Record-Route; NULL = the local address
                                the client reached */
  int record_route;          /* add Record-Route */
  int retry_after_s;         /* Retry-After of the 503s */
  uint32_t inflight_slots;   /* per reactor, power of two; 0 = no in-flight tracking */
  uint32_t inflight_timeout_ms;
  uint32_t backoff_min_ms, backoff_max_ms;
} relay_settings;

struct relay;

/* One reactor's working set: used only on that reactor's thread, except `counters` (read by
 * the main thread) and `inflight` (see inflight.h). Allocated once at start. */
typedef struct relay_reactor {
  _Alignas(64) struct relay* relay;
  uint32_t index;
  char* out; /* a whole outgoing message is built here */
  size_t out_size;
  uint64_t seen_epoch;      /* the upstream close epoch this reactor last swept for */
  uint64_t last_tracked_ns; /* when a request was last tracked (keeps the sweep timer) */
  sipring_addr via_local;   /* the local address via_host was made from */
  char via_host[80];        /* "host:port" of our Via and Record-Route */
  size_t via_host_len;
  uint64_t log_window_ns; /* rate limit of this reactor's log lines */
  uint32_t log_lines, log_suppressed;
  relay_inflight inflight;
  _Atomic uint64_t counters[RELAY_COUNTER_COUNT];
} relay_reactor;

typedef struct relay {
  relay_settings set;
  sipring_engine* engine;
  /* Set once rx and max_message are ready (after sipring_engine_start); until then the core
   * leaves its frames in the ring. */
  _Atomic int ready;
  uint32_t reactors;
  size_t max_message; /* sipring.max_message_size */
  uint64_t key[2];    /* SipHash key of the branch check, random per process */
  pthread_t main_thread;
  /* The upstream connection once its handshake completed, else 0: every reactor reads it
   * before forwarding; the reactor owning the connection sets and clears it. */
  _Atomic uint64_t up_conn;
  /* Bumped each time an upstream connection closes: reactors then answer 503 for what they
   * forwarded on it and saw no final response to. */
  _Atomic uint64_t down_epoch;
  /* The last upstream connections that completed their handshake and that closed: the main
   * thread compares them with the attempt it made (it may have opened and closed between two
   * of its looks at up_conn). */
  _Atomic uint64_t opened_conn;
  _Atomic uint64_t closed_conn;
  relay_reactor* rx; /* [reactors] */
  _Atomic uint64_t main_counters[RELAY_COUNTER_COUNT];
} relay;

/* Single-writer counter increment: each counter array is written by one thread only, so a
 * relaxed load + store is exact and needs no locked instruction. */
static inline void relay_count(_Atomic uint64_t* counters, int which) {
  atomic_store_explicit(&counters[which],
                        atomic_load_explicit(&counters[which], memory_order_relaxed) + 1,
                        memory_order_relaxed);
}

/* The inline core (forward.c): sipring_options.core with ctx = the relay. */
uint64_t relay_core(void* ctx, sipring_port* port);

/* Logs one line "TIME relay: ..." to stderr. relay_log_limited: at most 20 lines a second per
 * reactor, then one line saying how many were suppressed. */
void relay_log(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void relay_log_limited(relay_reactor* rr, uint64_t now_ns, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* SIPRING_EXAMPLES_RELAY_RELAY_H */
