/* The in-flight table (see inflight.h). */
#include "inflight.h"

#include <stdlib.h>
#include <string.h>

int relay_inflight_init(relay_inflight* t, uint32_t slots, uint32_t timeout_ms) {
  memset(t, 0, sizeof(*t));
  t->timeout_ns = (uint64_t)timeout_ms * 1000000u;
  if (slots == 0) return 0;
  if ((slots & (slots - 1)) != 0) return -1;
  t->slots = calloc(slots, sizeof(relay_slot));
  if (t->slots == NULL) return -1;
  for (uint32_t i = 0; i < slots; i++) atomic_init(&t->slots[i].word, 0);
  t->mask = slots - 1;
  return 0;
}

void relay_inflight_free(relay_inflight* t) {
  free(t->slots);
  t->slots = NULL;
}

uint64_t relay_inflight_key(uint64_t tag, const char* method, size_t method_len) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a of the method, mixed into the tag */
  for (size_t i = 0; i < method_len; i++) h = (h ^ (uint8_t)method[i]) * 1099511628211ull;
  uint64_t k = (tag ^ (h * 0x9E3779B97F4A7C15ull)) & ~1ull;
  return k != 0 ? k : 2;
}

static uint32_t home(const relay_inflight* t, uint64_t key) {
  return (uint32_t)((key >> 1) ^ (key >> 33)) & t->mask;
}

int relay_inflight_add(relay_inflight* t, uint64_t key, sipring_conn origin, sipring_conn upstream,
                       uint64_t now_ns, const char* head, size_t head_len, int* expired) {
  *expired = 0;
  if (t->slots == NULL || head_len > RELAY_INFLIGHT_HEAD) return 0;
  uint32_t h = home(t, key);
  relay_slot* take = NULL;
  for (uint32_t i = 0; i < RELAY_INFLIGHT_PROBE && take == NULL; i++) {
    relay_slot* s = &t->slots[(h + i) & t->mask];
    uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);
    if (w == 0 || w == (key | 1)) {
      take = s; /* free, or the same transaction again (a retransmission) */
    } else if (now_ns - s->sent_ns > t->timeout_ns) {
      /* Unanswered for too long: reuse it, unless its answer lands right now. */
      if (atomic_compare_exchange_strong_explicit(&s->word, &w, 0, memory_order_acq_rel,
                                                  memory_order_acquire)) {
        *expired = 1;
      }
      take = s;
    }
  }
  if (take == NULL) return 0;
  /* The slot is ours: only this thread writes non-zero words, and others only clear them. */
  atomic_store_explicit(&take->word, 0, memory_order_relaxed);
  take->origin = origin;
  take->upstream = upstream;
  take->sent_ns = now_ns;
  take->head_len = (uint32_t)head_len;
  memcpy(take->head, head, head_len);
  atomic_store_explicit(&take->word, key | 1, memory_order_release);
  return 1;
}

int relay_inflight_answered(relay_inflight* t, uint64_t key) {
  if (t->slots == NULL) return 0;
  uint32_t h = home(t, key);
  for (uint32_t i = 0; i < RELAY_INFLIGHT_PROBE; i++) {
    relay_slot* s = &t->slots[(h + i) & t->mask];
    uint64_t want = key | 1;
    if (atomic_compare_exchange_strong_explicit(&s->word, &want, 0, memory_order_acq_rel,
                                                memory_order_relaxed)) {
      return 1;
    }
  }
  return 0;
}

size_t relay_inflight_sweep(relay_inflight* t, sipring_conn live,
                            void (*fn)(void* ctx, const relay_slot* slot), void* ctx) {
  size_t n = 0;
  if (t->slots == NULL) return 0;
  for (uint32_t i = 0; i <= t->mask; i++) {
    relay_slot* s = &t->slots[i];
    uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);
    if (w == 0 || s->upstream == live) continue;
    if (atomic_compare_exchange_strong_explicit(&s->word, &w, 0, memory_order_acq_rel,
                                                memory_order_relaxed)) {
      fn(ctx, s); /* the fields stay intact: only this thread refills a slot */
      n++;
    }
  }
  return n;
}
