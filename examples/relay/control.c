/* The main thread's side of the relay: keeping a connection to the upstream (connect, watch,
 * reconnect with a bounded backoff), the log, and the counters. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "control.h"

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void vlog_line(const char* fmt, va_list ap) {
  char line[1024];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  int k = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld relay: ", tm.tm_hour, tm.tm_min,
                   tm.tm_sec, ts.tv_nsec / 1000000);
  vsnprintf(line + k, sizeof(line) - (size_t)k - 1, fmt, ap);
  size_t len = strlen(line);
  line[len++] = '\n';
  fwrite(line, 1, len, stderr); /* one write per line: lines of several threads do not mix */
}

void relay_log(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog_line(fmt, ap);
  va_end(ap);
}

void relay_log_limited(relay_reactor* rr, uint64_t now_ns, const char* fmt, ...) {
  if (now_ns - rr->log_window_ns >= 1000000000ull) {
    if (rr->log_suppressed != 0) {
      relay_log("reactor %u: %u log lines suppressed in the last second", rr->index,
                rr->log_suppressed);
    }
    rr->log_window_ns = now_ns;
    rr->log_lines = rr->log_suppressed = 0;
  }
  if (rr->log_lines >= 20) {
    rr->log_suppressed++;
    return;
  }
  rr->log_lines++;
  va_list ap;
  va_start(ap, fmt);
  vlog_line(fmt, ap);
  va_end(ap);
}

void relay_print_counters(relay* r, FILE* out) {
  static const char* const kNames[] = {
#define RELAY_COUNTER_NAME(name, text) #name,
      RELAY_COUNTERS(RELAY_COUNTER_NAME)
#undef RELAY_COUNTER_NAME
  };
  uint64_t sum[RELAY_COUNTER_COUNT];
  for (int i = 0; i < RELAY_COUNTER_COUNT; i++) {
    sum[i] = atomic_load_explicit(&r->main_counters[i], memory_order_relaxed);
    for (uint32_t k = 0; k < r->reactors; k++) {
      sum[i] += atomic_load_explicit(&r->rx[k].counters[i], memory_order_relaxed);
    }
  }
  char buf[8192];
  size_t len = (size_t)snprintf(buf, sizeof(buf), "{\"relay\":{");
  for (int i = 0; i < RELAY_COUNTER_COUNT && len < sizeof(buf); i++) {
    len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\"%s\":%llu", i ? "," : "", kNames[i],
                            (unsigned long long)sum[i]);
  }
  if (len < sizeof(buf)) len += (size_t)snprintf(buf + len, sizeof(buf) - len, "},\"engine\":{");
  uint64_t engine[256];
  size_t n = sipring_counters(r->engine, -1, engine, 256);
  for (size_t i = 0; i < n && len < sizeof(buf); i++) {
    len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\"%s\":%llu", i ? "," : "",
                            sipring_counter_name(i), (unsigned long long)engine[i]);
  }
  if (len < sizeof(buf)) len += (size_t)snprintf(buf + len, sizeof(buf) - len, "}}\n");
  if (len >= sizeof(buf)) len = sizeof(buf) - 1;
  fwrite(buf, 1, len, out);
  fflush(out);
}

/* The upstream connection's life, as the main thread sees it. */
enum { DOWN, CONNECTING, UP };

int relay_run(relay* r, const sigset_t* signals) {
  sipring_destination dest = {r->set.upstream, r->set.upstream_name, NULL};
  int state = DOWN;
  uint64_t attempt = 0, deadline = 0, next_try = 0;
  uint64_t backoff = (uint64_t)r->set.backoff_min_ms * 1000000ull;
  const uint64_t backoff_max = (uint64_t)r->set.backoff_max_ms * 1000000ull;
  const uint64_t connect_limit = 10ull * 1000000000ull; /* beyond sipring's own timeouts */
  for (;;) {
    uint64_t now = mono_ns();
    uint64_t up = atomic_load(&r->up_conn);
    if (up != 0) {
      if (state != UP) backoff = (uint64_t)r->set.backoff_min_ms * 1000000ull;
      state = UP;
    } else if (state == UP) {
      state = DOWN; /* it just closed: try again at once */
      next_try = now;
    } else if (state == CONNECTING && atomic_load(&r->closed_conn) == attempt &&
               atomic_load(&r->opened_conn) == attempt) {
      state = DOWN; /* it opened and closed again between two looks: try again at once */
      next_try = now;
      backoff = (uint64_t)r->set.backoff_min_ms * 1000000ull;
    } else if (state == CONNECTING &&
               (atomic_load(&r->closed_conn) == attempt || now >= deadline)) {
      if (now >= deadline) {
        relay_log("upstream %s: no handshake within %llu s; closing attempt %016llx",
                  r->set.upstream, (unsigned long long)(connect_limit / 1000000000ull),
                  (unsigned long long)attempt);
        sipring_close(r->engine, attempt);
      }
      state = DOWN;
      next_try = now + backoff;
      backoff = backoff * 2 > backoff_max ? backoff_max : backoff * 2;
    }
    if (state == DOWN && now >= next_try) {
      char err[256];
      sipring_conn conn = 0;
      relay_count(r->main_counters, RELAY_C_upstream_connects);
      int rc = sipring_connect(r->engine, &dest, &conn, err, sizeof(err));
      if (rc == SIPRING_OK) {
        state = CONNECTING;
        attempt = conn;
        deadline = now + connect_limit;
      } else {
        relay_log("upstream %s: cannot connect: %s (%s); next attempt in %llu ms", r->set.upstream,
                  err, sipring_status_name(rc), (unsigned long long)(backoff / 1000000ull));
        next_try = now + backoff;
        backoff = backoff * 2 > backoff_max ? backoff_max : backoff * 2;
        if (rc == SIPRING_ERR_INVALID_ARGUMENT || rc == SIPRING_ERR_NOT_RUNNING) return 1;
      }
    }
    /* Sleep until a signal, the next attempt, or 100 ms (the state is polled that often). */
    uint64_t wait = 100 * 1000000ull;
    if (state == DOWN && next_try > now && next_try - now < wait) wait = next_try - now;
    struct timespec ts = {(time_t)(wait / 1000000000ull), (long)(wait % 1000000000ull)};
    int sig = sigtimedwait(signals, NULL, &ts);
    if (sig == SIGINT || sig == SIGTERM) return 0;
    if (sig == SIGUSR1) relay_print_counters(r, stdout);
  }
}
