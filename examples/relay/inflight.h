/* The in-flight table: which forwarded requests still wait for a final response, so that the
 * relay can answer them 503 when the upstream connection closes under them (a stateless relay
 * would otherwise leave them to the client's timers).
 *
 * One table per reactor, a fixed array of slots allocated at start (relay.inflight slots, a
 * power of two), each holding a copy of the request head. The reactor that forwarded a request
 * owns its slot: only it writes the slot's fields and inserts. The reactor that receives the
 * final response (the upstream connection's) only clears the slot's `word` with a
 * compare-and-swap, so no lock is ever taken and the slot's bytes are never shared.
 *
 * Bounds: a request is tracked only when its head fits RELAY_INFLIGHT_HEAD bytes and a free
 * slot is found within RELAY_INFLIGHT_PROBE slots of its hash; otherwise it is forwarded
 * untracked (counted). A slot left unanswered for relay.inflight_timeout_ms is reused
 * (counted). ACKs are never tracked (no response comes). */
#ifndef SIPRING_EXAMPLES_RELAY_INFLIGHT_H
#define SIPRING_EXAMPLES_RELAY_INFLIGHT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sipring/sipring.h"

enum { RELAY_INFLIGHT_HEAD = 1536, RELAY_INFLIGHT_PROBE = 8 };

typedef struct relay_slot {
  /* 0: free; key | 1: waiting for a final response (keys are even). */
  _Atomic uint64_t word;
  /* Owner-only fields, valid while word is non-zero. */
  sipring_conn origin;   /* the client connection */
  sipring_conn upstream; /* the upstream connection it was queued on */
  uint64_t sent_ns;
  uint32_t head_len;
  char head[RELAY_INFLIGHT_HEAD];
} relay_slot;

typedef struct relay_inflight {
  relay_slot* slots; /* NULL when tracking is off */
  uint32_t mask;
  uint64_t timeout_ns;
} relay_inflight;

/* Allocates `slots` (a power of two, or 0 for none). Returns 0 on success. */
int relay_inflight_init(relay_inflight* t, uint32_t slots, uint32_t timeout_ms);
void relay_inflight_free(relay_inflight* t);

/* The transaction key of a request or response: its branch tag and CSeq method (an INVITE and
 * its CANCEL share the branch). Never 0, always even. */
uint64_t relay_inflight_key(uint64_t tag, const char* method, size_t method_len);

/* Owner thread: records request head[0..head_len) sent from `origin` on `upstream`. Returns 1
 * when tracked, 0 when not (head too large or no free slot near its hash); *expired is set
 * when an unanswered slot older than the timeout was reused for it. */
int relay_inflight_add(relay_inflight* t, uint64_t key, sipring_conn origin, sipring_conn upstream,
                       uint64_t now_ns, const char* head, size_t head_len, int* expired);

/* Any thread: the final response for `key` arrived; frees its slot. Returns 1 if one was
 * waiting. */
int relay_inflight_answered(relay_inflight* t, uint64_t key);

/* Owner thread: for each slot waiting on an upstream connection other than `live` (0 when
 * none is up), claims it and calls fn(ctx, slot). Returns how many were claimed. */
size_t relay_inflight_sweep(relay_inflight* t, sipring_conn live,
                            void (*fn)(void* ctx, const relay_slot* slot), void* ctx);

#endif /* SIPRING_EXAMPLES_RELAY_INFLIGHT_H */
