/* sipring-relay: a small stateless SIP relay on sipring's C ABI (sipring/sipring.h).
 *
 * What it does (about what a Kamailio "forward" route does):
 *   - Requests arriving over TLS on the config's listeners are forwarded to one upstream
 *     (--upstream IP:PORT) over sipring's client role: a new top Via
 *     "SIP/2.0/TLS HOST:PORT;branch=z9hG4bKsR<connection><tag>" (branch.h), Max-Forwards
 *     decremented (70 added when absent), Record-Route with --record-route. ACK and CANCEL are
 *     forwarded like any request (a CANCEL gets the branch of its INVITE). The Request-URI and
 *     Route headers are not looked at: everything goes to the upstream.
 *   - Responses from the upstream go back by their top Via: it must be ours and its tag must
 *     match the client's Via below it (SipHash under a per-process random key), else the
 *     response is dropped and counted. Our Via is removed and the response is queued to the
 *     client connection the branch names; when that connection has closed the response is
 *     dropped and counted (the one drop a stateless relay cannot avoid).
 *   - Answered locally: Max-Forwards 0 -> 483; no Via, a malformed Via or Max-Forwards, a
 *     malformed head -> 400; upstream down -> 503 with Retry-After; too large to forward with
 *     our Via (sipring.max_message_size) -> 513; a request from the upstream -> 403 (the relay
 *     forwards downstream only). ACKs are never answered, only dropped and counted.
 *
 * The upstream connection: the main thread opens it with sipring_connect and the core watches
 * its OPENED and CLOSED frames. Requests are forwarded only while it is up (handshake done);
 * otherwise they get 503 at once, never a queue into a dead connection. After a close the
 * main thread reconnects at once, then backs off 100 ms, 200 ms ... up to 2 s between failed
 * attempts (--backoff-min-ms, --backoff-max-ms). Requests forwarded on a connection that then
 * closed before their final response came get 503 too (the in-flight table, inflight.h).
 *
 * Threads: inline mode (sipring_options.core). The core runs on each reactor thread after each
 * batch of I/O: a request and its response are each handled where they were read, with no
 * thread hop, no wake-up and no second ring, which is the cheapest way to spend CPU per relayed
 * message; the relay keeps no per-request state that would need a consumer thread (the
 * in-flight table is per reactor, the only shared words are atomics). The main thread only
 * connects, sleeps and prints counters: sipring_connect waits for a reactor, so it must not run
 * on one.
 *
 * Bounds (nothing grows with traffic):
 *   - one outgoing-message buffer per reactor of sipring.max_message_size + 1 KiB, allocated at
 *     start; nothing is allocated per message;
 *   - the in-flight table: --inflight slots per reactor (default 4096, a power of two; 0 turns it
 *     off) of 1.6 KiB each (6.5 MiB per reactor by default). A request whose head exceeds 1536
 *     bytes, or that finds no free slot among 8 near its hash, is forwarded untracked
 *     (inflight_untracked): if the upstream then closes under it, the client's own timer ends
 *     it (over TLS, Timer B/F: 32 s). A slot unanswered for --inflight-timeout-ms (32 s) is
 *     reused (inflight_expired);
 *   - sipring's own limits apply to every connection (send queues, clear-text queue while the
 *     upstream connects): a refused send is a 503 for requests and a counted drop for responses;
 *   - log lines from the data path: at most 20 a second per reactor, then a count.
 *
 * Counters (one JSON line on stdout on SIGUSR1 and at exit): relay.h lists them; the engine's
 * follow under "engine".
 *
 * Not done (a stateless relay): no DNS (the upstream is an IP), no received/rport on the
 * client's Via (responses go back on the client's own connection), no Route processing, no
 * requests from the upstream towards clients.
 *
 * Usage:
 *   sipring-relay -f relay.cfg --upstream 127.0.0.1:5071 [--upstream-name NAME]
 *                 [--record-route] [--advertise HOST:PORT] [--retry-after S]
 *                 [--inflight N] [--inflight-timeout-ms MS] [--backoff-min-ms MS]
 *                 [--backoff-max-ms MS] [--log-level N]
 * relay.cfg is a sipring configuration (example: examples/relay/relay.cfg): listen=, the
 * server certificate, and a tls.cfg whose [client:default] (or [client:IP:PORT]) domain says
 * how the upstream's certificate is verified. --upstream-name is sent as SNI and is the name
 * the upstream's certificate must carry when the client domain verifies it.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "control.h"
#include "relay.h"

static void usage(FILE* out) {
  fputs(
      "usage: sipring-relay -f CONFIG --upstream IP:PORT [--upstream-name NAME]\n"
      "         [--record-route] [--advertise HOST:PORT] [--retry-after S] [--inflight N]\n"
      "         [--inflight-timeout-ms MS] [--backoff-min-ms MS] [--backoff-max-ms MS]\n"
      "         [--log-level N]\n",
      out);
}

/* A decimal in [lo, hi], or exits naming the option. */
static long number(const char* opt, const char* text, long lo, long hi) {
  char* end = NULL;
  long v = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < lo || v > hi) {
    fprintf(stderr, "sipring-relay: --%s: '%s' is not a number in [%ld, %ld]\n", opt, text, lo, hi);
    exit(2);
  }
  return v;
}

static void parse_args(int argc, char** argv, relay_settings* s, int* log_level) {
  static const struct option kOptions[] = {{"config", required_argument, NULL, 'f'},
                                           {"upstream", required_argument, NULL, 'u'},
                                           {"upstream-name", required_argument, NULL, 'n'},
                                           {"record-route", no_argument, NULL, 'r'},
                                           {"advertise", required_argument, NULL, 'a'},
                                           {"retry-after", required_argument, NULL, 'R'},
                                           {"inflight", required_argument, NULL, 'i'},
                                           {"inflight-timeout-ms", required_argument, NULL, 'T'},
                                           {"backoff-min-ms", required_argument, NULL, 'b'},
                                           {"backoff-max-ms", required_argument, NULL, 'B'},
                                           {"log-level", required_argument, NULL, 'l'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "f:h", kOptions, NULL)) != -1) {
    switch (c) {
      case 'f':
        s->config_path = optarg;
        break;
      case 'u':
        s->upstream = optarg;
        break;
      case 'n':
        s->upstream_name = optarg;
        break;
      case 'r':
        s->record_route = 1;
        break;
      case 'a':
        s->advertise = optarg;
        break;
      case 'R':
        s->retry_after_s = (int)number("retry-after", optarg, 0, 86400);
        break;
      case 'i':
        s->inflight_slots = (uint32_t)number("inflight", optarg, 0, 1 << 20);
        break;
      case 'T':
        s->inflight_timeout_ms = (uint32_t)number("inflight-timeout-ms", optarg, 1, 3600000);
        break;
      case 'b':
        s->backoff_min_ms = (uint32_t)number("backoff-min-ms", optarg, 1, 60000);
        break;
      case 'B':
        s->backoff_max_ms = (uint32_t)number("backoff-max-ms", optarg, 1, 600000);
        break;
      case 'l':
        *log_level = (int)number("log-level", optarg, -5, 3);
        break;
      case 'h':
        usage(stdout);
        exit(0);
      default:
        usage(stderr);
        exit(2);
    }
  }
  const char* why = NULL;
  if (optind != argc)
    why = "unexpected argument";
  else if (s->config_path == NULL)
    why = "-f CONFIG is required";
  else if (s->upstream == NULL)
    why = "--upstream IP:PORT is required";
  else if (s->inflight_slots & (s->inflight_slots - 1))
    why = "--inflight must be a power of two";
  else if (s->backoff_min_ms > s->backoff_max_ms)
    why = "--backoff-min-ms exceeds --backoff-max-ms";
  else if (s->advertise != NULL && (strlen(s->advertise) == 0 || strlen(s->advertise) > 64 ||
                                    strpbrk(s->advertise, " \t\r\n;,<>\"") != NULL)) {
    why = "--advertise must be HOST:PORT (at most 64 characters, no spaces or ;,<>)";
  }
  if (why != NULL) {
    fprintf(stderr, "sipring-relay: %s\n", why);
    usage(stderr);
    exit(2);
  }
}

/* The per-reactor working sets; 0 on success. */
static int make_reactors(relay* r) {
  r->rx = aligned_alloc(64, sizeof(relay_reactor) * r->reactors);
  if (r->rx == NULL) return -1;
  memset(r->rx, 0, sizeof(relay_reactor) * r->reactors);
  for (uint32_t i = 0; i < r->reactors; i++) {
    relay_reactor* rr = &r->rx[i];
    rr->relay = r;
    rr->index = i;
    rr->out_size = r->max_message + 1024;
    rr->out = malloc(rr->out_size);
    for (int k = 0; k < RELAY_COUNTER_COUNT; k++) atomic_init(&rr->counters[k], 0);
    if (rr->out == NULL ||
        relay_inflight_init(&rr->inflight, r->set.inflight_slots, r->set.inflight_timeout_ms)) {
      return -1;
    }
  }
  return 0;
}

static void free_reactors(relay* r) {
  for (uint32_t i = 0; r->rx != NULL && i < r->reactors; i++) {
    free(r->rx[i].out);
    relay_inflight_free(&r->rx[i].inflight);
  }
  free(r->rx);
}

int main(int argc, char** argv) {
  static relay r; /* zeroed; the reactors see it for the whole run */
  r.set.retry_after_s = 5;
  r.set.inflight_slots = 4096;
  r.set.inflight_timeout_ms = 32000;
  r.set.backoff_min_ms = 100;
  r.set.backoff_max_ms = 2000;
  int log_level = SIPRING_LOG_INFO;
  parse_args(argc, argv, &r.set, &log_level);
  sipring_set_log_level(log_level);
  if (getrandom(r.key, sizeof(r.key), 0) != (ssize_t)sizeof(r.key)) {
    perror("sipring-relay: getrandom");
    return 1;
  }

  /* Signals go to the main thread only: block them before the reactors are started (they
   * inherit the mask), and take them with sigtimedwait in relay_run. */
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &signals, NULL);
  r.main_thread = pthread_self();

  char err[512];
  sipring_config* cfg = sipring_config_load(r.set.config_path, err, sizeof(err));
  if (cfg == NULL) {
    fprintf(stderr, "sipring-relay: %s\n", err);
    return 1;
  }
  sipring_options opt;
  sipring_options_init(&opt);
  opt.core = relay_core;
  opt.core_ctx = &r;
  opt.listen = 1;
  r.engine = sipring_engine_new(cfg, &opt, err, sizeof(err));
  sipring_config_free(cfg);
  if (r.engine == NULL) {
    fprintf(stderr, "sipring-relay: %s\n", err);
    return 1;
  }
  if (sipring_engine_start(r.engine, err, sizeof(err)) != SIPRING_OK) {
    fprintf(stderr, "sipring-relay: %s\n", err);
    return 1;
  }
  /* The engine's parameters and its number of reactors are known once it runs (there is no
   * getter on a sipring_config); the core holds its frames until the working sets exist. */
  char value[32];
  if (sipring_param_get(r.engine, "sipring", "max_message_size", value, sizeof(value), err,
                        sizeof(err)) != SIPRING_OK) {
    fprintf(stderr, "sipring-relay: sipring.max_message_size: %s\n", err);
    return 1;
  }
  r.max_message = (size_t)strtoul(value, NULL, 10);
  r.reactors = sipring_engine_reactors(r.engine);
  if (make_reactors(&r) != 0) {
    fprintf(stderr, "sipring-relay: out of memory for %u reactors\n", r.reactors);
    return 1;
  }
  atomic_store_explicit(&r.ready, 1, memory_order_release);
  relay_log(
      "relaying to %s%s%s with %u reactors (inline), in-flight table %u x %u, "
      "record-route %s; ready",
      r.set.upstream, r.set.upstream_name ? " name " : "",
      r.set.upstream_name ? r.set.upstream_name : "", r.reactors, r.set.inflight_slots, r.reactors,
      r.set.record_route ? "on" : "off");
  int rc = relay_run(&r, &signals);
  relay_log("stopping");
  sipring_engine_stop(r.engine, 2000);
  relay_print_counters(&r, stdout);
  sipring_engine_free(r.engine);
  free_reactors(&r);
  return rc;
}
