/* The relay's Via branch (see branch.h). SipHash-2-4 as specified by Aumasson and Bernstein
 * (https://www.aumasson.jp/siphash/siphash.pdf), 64-bit output. */
#include "branch.h"

#include <string.h>

static uint64_t rotl(uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

#define SIPROUND       \
  do {                 \
    v0 += v1;          \
    v1 = rotl(v1, 13); \
    v1 ^= v0;          \
    v0 = rotl(v0, 32); \
    v2 += v3;          \
    v3 = rotl(v3, 16); \
    v3 ^= v2;          \
    v0 += v3;          \
    v3 = rotl(v3, 21); \
    v3 ^= v0;          \
    v2 += v1;          \
    v1 = rotl(v1, 17); \
    v1 ^= v2;          \
    v2 = rotl(v2, 32); \
  } while (0)

static uint64_t load_le64(const uint8_t* p) {
  uint64_t x = 0;
  for (int i = 7; i >= 0; i--) x = (x << 8) | p[i];
  return x;
}

/* The SipHash state over a stream of bytes, so that the tag's two inputs need no copy. */
typedef struct sip_state {
  uint64_t v0, v1, v2, v3;
  uint8_t tail[8];
  size_t tail_len, total;
} sip_state;

static void sip_init(sip_state* s, const uint64_t k[2]) {
  s->v0 = 0x736f6d6570736575ull ^ k[0];
  s->v1 = 0x646f72616e646f6dull ^ k[1];
  s->v2 = 0x6c7967656e657261ull ^ k[0];
  s->v3 = 0x7465646279746573ull ^ k[1];
  s->tail_len = s->total = 0;
}

static void sip_block(sip_state* s, uint64_t m) {
  uint64_t v0 = s->v0, v1 = s->v1, v2 = s->v2, v3 = s->v3;
  v3 ^= m;
  SIPROUND;
  SIPROUND;
  v0 ^= m;
  s->v0 = v0, s->v1 = v1, s->v2 = v2, s->v3 = v3;
}

static void sip_update(sip_state* s, const void* data, size_t n) {
  const uint8_t* p = data;
  s->total += n;
  while (n > 0 && s->tail_len > 0) {
    s->tail[s->tail_len++] = *p++;
    n--;
    if (s->tail_len == 8) {
      sip_block(s, load_le64(s->tail));
      s->tail_len = 0;
    }
  }
  for (; n >= 8; n -= 8, p += 8) sip_block(s, load_le64(p));
  memcpy(s->tail, p, n);
  s->tail_len += n;
}

static uint64_t sip_final(sip_state* s) {
  uint64_t b = (uint64_t)(s->total & 0xff) << 56;
  for (size_t i = 0; i < s->tail_len; i++) b |= (uint64_t)s->tail[i] << (8 * i);
  sip_block(s, b);
  uint64_t v0 = s->v0, v1 = s->v1, v2 = s->v2 ^ 0xff, v3 = s->v3;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t relay_siphash(const uint64_t k[2], const void* data, size_t n) {
  sip_state s;
  sip_init(&s, k);
  sip_update(&s, data, n);
  return sip_final(&s);
}

uint64_t relay_branch_tag(const uint64_t k[2], uint64_t conn, const char* client_id, size_t n) {
  uint8_t c[8];
  for (int i = 0; i < 8; i++) c[i] = (uint8_t)(conn >> (8 * i));
  sip_state s;
  sip_init(&s, k);
  sip_update(&s, c, sizeof(c));
  sip_update(&s, client_id, n);
  return sip_final(&s);
}

static const char kPrefix[] = "z9hG4bKsR";
static const char kHex[] = "0123456789abcdef";

static void hex16(char* out, uint64_t x) {
  for (int i = 15; i >= 0; i--, x >>= 4) out[i] = kHex[x & 15];
}

void relay_branch_write(char* out, uint64_t conn, uint64_t tag) {
  memcpy(out, kPrefix, 9);
  hex16(out + 9, conn);
  hex16(out + 25, tag);
}

static int unhex16(const char* p, uint64_t* out) {
  uint64_t x = 0;
  for (int i = 0; i < 16; i++) {
    char c = p[i];
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return 0;
    x = (x << 4) | (uint64_t)d;
  }
  *out = x;
  return 1;
}

int relay_branch_read(const char* b, size_t n, uint64_t* conn, uint64_t* tag) {
  if (n != RELAY_BRANCH_LEN || memcmp(b, kPrefix, 9) != 0) return 0;
  return unhex16(b + 9, conn) && unhex16(b + 25, tag);
}
