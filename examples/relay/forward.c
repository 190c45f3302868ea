/* The relay's inline core: runs on every reactor thread after each batch of I/O, forwards the
 * requests its clients sent to the upstream connection, relays the upstream's responses back to
 * the client connection their top Via names, and answers locally (503, 483, 400, 513, 403) what
 * it cannot forward. Allocation-free: every message is built in the reactor's own buffer. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "branch.h"
#include "relay.h"
#include "sip_text.h"

/* ---- local replies ------------------------------------------------------------------------ */

/* A 400 for a request without Via, which sipring_build_response cannot answer (a response is
 * routed by its Vias): the status line, the request's From, To (a tag added when it has none),
 * Call-ID and CSeq, and Content-Length: 0. Returns its length, or 0 when one of them is missing
 * or out is too small. */
static size_t build_400_without_via(const char* m, size_t n, const relay_start* st, char* out,
                                    size_t out_size) {
  static const char kStatus[] = "SIP/2.0 400 Missing Via\r\n";
  static const char* const kNames[4] = {"From", "To", "Call-ID", "CSeq"};
  static const char kCompact[4] = {'f', 't', 'i', 0};
  relay_hdr found[4];
  int have[4] = {0, 0, 0, 0};
  relay_hdr h;
  size_t pos = st->headers;
  int rc;
  while ((rc = relay_next_header(m, n, &pos, &h)) == 1) {
    for (int i = 0; i < 4; i++) {
      if (!have[i] && relay_hdr_is(m, &h, kNames[i], kCompact[i])) {
        found[i] = h;
        have[i] = 1;
      }
    }
  }
  if (rc < 0 || !have[0] || !have[1] || !have[2] || !have[3]) return 0;
  size_t len = 0;
  size_t need = sizeof(kStatus) + 64;
  for (int i = 0; i < 4; i++) need += 16 + found[i].value_end - found[i].value;
  if (need > out_size) return 0;
  memcpy(out, kStatus, sizeof(kStatus) - 1);
  len = sizeof(kStatus) - 1;
  for (int i = 0; i < 4; i++) {
    size_t vlen = found[i].value_end - found[i].value;
    len += (size_t)sprintf(out + len, "%s: %.*s", kNames[i], (int)vlen, m + found[i].value);
    if (i == 1 && relay_find_ci(m + found[i].value, vlen, ";tag=") == (size_t)-1) {
      len += (size_t)sprintf(out + len, ";tag=relay400");
    }
    len += (size_t)sprintf(out + len, "\r\n");
  }
  len += (size_t)sprintf(out + len, "Content-Length: 0\r\n\r\n");
  return len;
}

/* Adds "Retry-After: S" before the blank line that ends response out[0..len). */
static size_t add_retry_after(char* out, size_t len, size_t out_size, int seconds) {
  if (len < 4 || out_size - len < 32) return len;
  return len - 2 + (size_t)snprintf(out + len - 2, 34, "Retry-After: %d\r\n\r\n", seconds);
}

/* Answers the request head m[0..n) with `code` on connection `to` and counts it (`which`), or
 * counts why it could not. */
static void reply_to(relay_reactor* rr, sipring_port* port, sipring_conn to, const char* m,
                     size_t n, const relay_start* st, int code, const char* reason, int which,
                     uint64_t now) {
  relay* r = rr->relay;
  size_t len = sipring_build_response(m, n, code, reason, rr->out, rr->out_size - 64);
  if (len == 0 && code == 400) len = build_400_without_via(m, n, st, rr->out, rr->out_size);
  if (len == 0) {
    relay_count(rr->counters, RELAY_C_dropped_unanswerable);
    relay_log_limited(rr, now,
                      "cannot answer a malformed request from connection %016llx "
                      "(%d %s): dropped",
                      (unsigned long long)to, code, reason);
    return;
  }
  if (code == 503) len = add_retry_after(rr->out, len, rr->out_size, r->set.retry_after_s);
  int rc = sipring_port_send(port, to, rr->out, len);
  if (rc != SIPRING_OK) {
    relay_count(rr->counters, RELAY_C_dropped_replies);
    relay_log_limited(rr, now, "%d reply to connection %016llx not queued: %s", code,
                      (unsigned long long)to, sipring_status_name(rc));
    return;
  }
  relay_count(rr->counters, which);
}

/* ---- requests: client -> upstream ------------------------------------------------------- */

/* What forwarding needs of a request head, found in one pass over its header fields. */
typedef struct req_view {
  relay_start start;
  size_t blank;  /* offset of the blank line */
  size_t body;   /* offset of the body */
  int vias;      /* Via header fields */
  relay_hdr via; /* the first one */
  int has_mf;
  relay_hdr mf; /* the first Max-Forwards */
} req_view;

static int scan_request(const char* m, size_t n, req_view* v) {
  memset(v, 0, sizeof(*v));
  if (!relay_parse_start(m, n, &v->start)) return 0;
  size_t pos = v->start.headers;
  relay_hdr h;
  for (;;) {
    size_t at = pos;
    int rc = relay_next_header(m, n, &pos, &h);
    if (rc < 0) return 0;
    if (rc == 0) {
      v->blank = at;
      v->body = pos;
      return 1;
    }
    if (relay_hdr_is(m, &h, "Via", 'v')) {
      if (v->vias++ == 0) v->via = h;
    } else if (!v->has_mf && relay_hdr_is(m, &h, "Max-Forwards", 0)) {
      v->has_mf = 1;
      v->mf = h;
    }
  }
}

/* The host:port our Via and Record-Route carry: --advertise, else the local address the client
 * reached (formatted again only when it changes). */
static void refresh_via_host(relay_reactor* rr, const sipring_frame* f) {
  if (rr->relay->set.advertise != NULL) return;
  if (rr->via_host_len != 0 && memcmp(&rr->via_local, &f->local, sizeof(f->local)) == 0) return;
  rr->via_local = f->local;
  size_t len = sipring_addr_format(&f->local, rr->via_host, sizeof(rr->via_host));
  rr->via_host_len = len < sizeof(rr->via_host) ? len : sizeof(rr->via_host) - 1;
}

static char* put(char* o, const void* p, size_t n) {
  memcpy(o, p, n);
  return o + n;
}

static void on_request(relay_reactor* rr, sipring_port* port, const sipring_frame* f,
                       uint64_t now) {
  relay* r = rr->relay;
  const char* m = f->data;
  size_t n = f->size;
  req_view v;
  relay_count(rr->counters, RELAY_C_requests_in);
  int ok = scan_request(m, n, &v);
  int is_ack = ok && v.start.method_len == 3 && memcmp(m, "ACK", 3) == 0;
  sipring_conn from = f->conn;
#define REFUSE(code, reason, which)                                                 \
  do {                                                                              \
    if (is_ack) {                                                                   \
      relay_count(rr->counters, RELAY_C_dropped_acks);                              \
    } else {                                                                        \
      reply_to(rr, port, from, m, n, &v.start, code, reason, RELAY_C_##which, now); \
    }                                                                               \
    return;                                                                         \
  } while (0)

  if (f->flags & SIPRING_FLAG_CLIENT_ROLE) REFUSE(403, "Forbidden", replied_403);
  if (!ok) REFUSE(400, "Bad Request", replied_400);
  if (v.vias == 0) REFUSE(400, "Missing Via", replied_400);
  relay_via via;
  if (!relay_parse_via(m + v.via.value, v.via.value_end - v.via.value, &via)) {
    relay_log_limited(rr, now, "malformed top Via from connection %016llx: answered 400",
                      (unsigned long long)from);
    REFUSE(400, "Malformed Via", replied_400);
  }
  long mf = 70;
  if (v.has_mf) {
    mf = relay_parse_max_forwards(m + v.mf.value, v.mf.value_end - v.mf.value);
    if (mf < 0) REFUSE(400, "Malformed Max-Forwards", replied_400);
    if (mf == 0) REFUSE(483, "Too Many Hops", replied_483);
    mf--;
  }
  uint64_t up = atomic_load_explicit(&r->up_conn, memory_order_acquire);
  if (up == 0) REFUSE(503, "Service Unavailable", replied_503);

  /* Our Via's branch: the client connection plus the tag over it and the client's branch. */
  const char* id = m + v.via.value + (via.branch_len ? via.branch : 0);
  size_t id_len = via.branch_len ? via.branch_len : via.end;
  uint64_t tag = relay_branch_tag(r->key, from, id, id_len);
  refresh_via_host(rr, f);
  const char* host = r->set.advertise ? r->set.advertise : rr->via_host;
  size_t host_len = strlen(host);

  /* What we add: our Via (68 + host), Record-Route (39 + host), Max-Forwards (18). */
  if (n + 2 * host_len + 128 + RELAY_BRANCH_LEN > rr->out_size) {
    REFUSE(513, "Message Too Large", replied_513);
  }
  char* o = rr->out;
  o = put(o, m, v.start.headers);
  o = put(o, "Via: SIP/2.0/TLS ", 17);
  o = put(o, host, host_len);
  o = put(o, ";branch=", 8);
  relay_branch_write(o, from, tag);
  o += RELAY_BRANCH_LEN;
  o = put(o, "\r\n", 2);
  if (r->set.record_route) {
    o = put(o, "Record-Route: <sip:", 19);
    o = put(o, host, host_len);
    o = put(o, ";transport=tls;lr>\r\n", 20);
  }
  if (v.has_mf) {
    o = put(o, m + v.start.headers, v.mf.line - v.start.headers);
    o += sprintf(o, "Max-Forwards: %ld\r\n", mf);
    o = put(o, m + v.mf.line_end, n - v.mf.line_end);
  } else {
    o = put(o, m + v.start.headers, v.blank - v.start.headers);
    o = put(o, "Max-Forwards: 70\r\n", 18);
    o = put(o, m + v.blank, n - v.blank);
  }
  size_t len = (size_t)(o - rr->out);
  if (len > r->max_message) REFUSE(513, "Message Too Large", replied_513);

  /* Tracked before it is queued: its response may reach another reactor at once. */
  uint64_t key = 0;
  if (!is_ack && rr->inflight.slots != NULL) {
    int expired = 0;
    key = relay_inflight_key(tag, m, v.start.method_len);
    if (relay_inflight_add(&rr->inflight, key, from, up, now, m, v.body, &expired)) {
      rr->last_tracked_ns = now;
    } else {
      relay_count(rr->counters, RELAY_C_inflight_untracked);
      key = 0;
    }
    if (expired) relay_count(rr->counters, RELAY_C_inflight_expired);
  }
  int rc = sipring_port_send(port, up, rr->out, len);
  if (rc == SIPRING_OK) {
    relay_count(rr->counters, RELAY_C_requests_relayed);
    return;
  }
  if (key != 0) relay_inflight_answered(&rr->inflight, key);
  relay_log_limited(rr, now, "request not queued to the upstream connection %016llx: %s",
                    (unsigned long long)up, sipring_status_name(rc));
  if (rc == SIPRING_ERR_TOO_LARGE) REFUSE(513, "Message Too Large", replied_513);
  REFUSE(503, "Service Unavailable", replied_503);
#undef REFUSE
}

/* ---- responses: upstream -> client ------------------------------------------------------ */

/* The CSeq method of value v[0..n) ("1 INVITE"): sets *method and returns its length, or 0. */
static size_t cseq_method(const char* v, size_t n, const char** method) {
  size_t i = 0;
  while (i < n && v[i] >= '0' && v[i] <= '9') i++;
  if (i == 0) return 0;
  while (i < n && (v[i] == ' ' || v[i] == '\t')) i++;
  *method = v + i;
  return n - i;
}

static void on_response(relay_reactor* rr, sipring_port* port, const sipring_frame* f,
                        uint64_t now) {
  relay* r = rr->relay;
  const char* m = f->data;
  size_t n = f->size;
  relay_count(rr->counters, RELAY_C_responses_in);
  if (!(f->flags & SIPRING_FLAG_CLIENT_ROLE)) {
    relay_count(rr->counters, RELAY_C_dropped_stray_responses);
    relay_log_limited(rr, now,
                      "response from client connection %016llx dropped: only the "
                      "upstream's responses are relayed",
                      (unsigned long long)f->conn);
    return;
  }
  relay_start st;
  relay_hdr h, top = {0}, second = {0}, cseq = {0};
  int vias = 0, have_cseq = 0, rc = -1;
  if (relay_parse_start(m, n, &st)) {
    size_t pos = st.headers;
    while ((rc = relay_next_header(m, n, &pos, &h)) == 1) {
      if (relay_hdr_is(m, &h, "Via", 'v')) {
        if (vias == 0) top = h;
        if (vias == 1) second = h;
        vias++;
      } else if (!have_cseq && relay_hdr_is(m, &h, "CSeq", 0)) {
        cseq = h;
        have_cseq = 1;
      }
    }
  }
  relay_via ours, theirs;
  uint64_t origin = 0, tag = 0;
  const char* tv = m + top.value;
  if (rc != 0 || vias == 0 || !relay_parse_via(tv, top.value_end - top.value, &ours) ||
      !relay_branch_read(tv + ours.branch, ours.branch_len, &origin, &tag)) {
    relay_count(rr->counters, RELAY_C_dropped_responses_forged);
    relay_log_limited(rr, now,
                      "response from the upstream without the relay's top Via: "
                      "dropped");
    return;
  }
  /* The client's Via: the next via-parm of the same header field, or the next Via field. */
  const char* cv;
  size_t cv_len;
  if (ours.next < top.value_end - top.value) {
    cv = tv + ours.next;
    cv_len = top.value_end - top.value - ours.next;
  } else {
    cv = m + second.value;
    cv_len = vias > 1 ? second.value_end - second.value : 0;
  }
  if (cv_len == 0 || !relay_parse_via(cv, cv_len, &theirs)) {
    relay_count(rr->counters, RELAY_C_dropped_responses_malformed);
    relay_log_limited(rr, now,
                      "response from the upstream without a valid second Via: "
                      "dropped");
    return;
  }
  const char* id = cv + (theirs.branch_len ? theirs.branch : 0);
  size_t id_len = theirs.branch_len ? theirs.branch_len : theirs.end;
  if (relay_branch_tag(r->key, origin, id, id_len) != tag) {
    relay_count(rr->counters, RELAY_C_dropped_responses_forged);
    relay_log_limited(rr, now,
                      "response with a forged or stale relay branch (connection "
                      "%016llx): dropped",
                      (unsigned long long)origin);
    return;
  }
  if (st.status >= 200 && have_cseq && sipring_conn_reactor(origin) < r->reactors) {
    const char* method = NULL;
    size_t ml = cseq_method(m + cseq.value, cseq.value_end - cseq.value, &method);
    if (ml != 0) {
      relay_inflight_answered(&r->rx[sipring_conn_reactor(origin)].inflight,
                              relay_inflight_key(tag, method, ml));
    }
  }
  /* Strip our via-parm: the whole field, or only its first value when it holds more. */
  char* o = rr->out;
  if (ours.next < top.value_end - top.value) {
    o = put(o, m, top.value);
    o = put(o, tv + ours.next, n - (top.value + ours.next));
  } else {
    o = put(o, m, top.line);
    o = put(o, m + top.line_end, n - top.line_end);
  }
  int src = sipring_port_send(port, origin, rr->out, (size_t)(o - rr->out));
  if (src == SIPRING_OK) {
    relay_count(rr->counters, RELAY_C_responses_relayed);
  } else if (src == SIPRING_ERR_UNKNOWN_CONNECTION || src == SIPRING_ERR_NOT_RUNNING) {
    relay_count(rr->counters, RELAY_C_dropped_responses_origin_gone);
    relay_log_limited(rr, now, "response for closed connection %016llx dropped",
                      (unsigned long long)origin);
  } else {
    relay_count(rr->counters, RELAY_C_dropped_responses_queue_full);
    relay_log_limited(rr, now, "response to connection %016llx not queued: %s",
                      (unsigned long long)origin, sipring_status_name(src));
  }
}

/* ---- the upstream connection's events ---------------------------------------------------- */

static void on_event(relay_reactor* rr, const sipring_frame* f) {
  relay* r = rr->relay;
  if (!(f->flags & SIPRING_FLAG_CLIENT_ROLE)) return; /* a client connection closed */
  char addr[64];
  sipring_addr_format(&f->peer, addr, sizeof(addr));
  if (f->kind == SIPRING_FRAME_OPENED) {
    atomic_store(&r->opened_conn, f->conn);
    atomic_store_explicit(&r->up_conn, f->conn, memory_order_release);
    relay_count(rr->counters, RELAY_C_upstream_opened);
    relay_log("upstream %s up: connection %016llx, TLS 0x%04x, cipher 0x%04x%s", addr,
              (unsigned long long)f->conn, f->tls_version, f->cipher,
              (f->flags & SIPRING_FLAG_PEER_VERIFIED) ? ", certificate verified" : "");
  } else {
    relay_count(rr->counters, RELAY_C_upstream_closed);
    uint64_t was = f->conn;
    atomic_store(&r->closed_conn, f->conn);
    if (atomic_compare_exchange_strong(&r->up_conn, &was, 0)) {
      atomic_fetch_add(&r->down_epoch, 1);
      relay_log(
          "upstream %s down: connection %016llx closed (%s); answering 503 until it is "
          "back",
          addr, (unsigned long long)f->conn, sipring_close_reason_name(f->reason));
    } else {
      relay_log("upstream %s: connection attempt %016llx failed (%s)", addr,
                (unsigned long long)f->conn, sipring_close_reason_name(f->reason));
    }
    pthread_kill(r->main_thread, SIGUSR2); /* reconnect now, not at the next tick */
  }
}

/* ---- the core -------------------------------------------------------------------------- */

typedef struct sweep_ctx {
  relay_reactor* rr;
  sipring_port* port;
  uint64_t now;
} sweep_ctx;

static void answer_stranded(void* ctx, const relay_slot* s) {
  sweep_ctx* c = ctx;
  relay_start st;
  if (!relay_parse_start(s->head, s->head_len, &st)) return;
  reply_to(c->rr, c->port, s->origin, s->head, s->head_len, &st, 503, "Service Unavailable",
           RELAY_C_replied_503_inflight, c->now);
}

uint64_t relay_core(void* ctx, sipring_port* port) {
  relay* r = ctx;
  uint64_t now = sipring_port_now_ns(port);
  if (!atomic_load_explicit(&r->ready, memory_order_acquire)) return now + 1000000ull;
  relay_reactor* rr = &r->rx[sipring_port_reactor(port)];
  sipring_frame f;
  while (sipring_port_front(port, &f)) {
    if (f.kind != SIPRING_FRAME_MESSAGE) {
      on_event(rr, &f);
    } else if (f.size >= 8 && memcmp(f.data, "SIP/2.0 ", 8) == 0) {
      on_response(rr, port, &f, now);
    } else {
      on_request(rr, port, &f, now);
    }
    sipring_port_pop(port);
  }
  /* An upstream connection closed since the last look: what this reactor forwarded on it and
   * saw no final response to gets 503 now. */
  uint64_t epoch = atomic_load_explicit(&r->down_epoch, memory_order_acquire);
  if (epoch != rr->seen_epoch) {
    rr->seen_epoch = epoch;
    sweep_ctx c = {rr, port, now};
    uint64_t live = atomic_load_explicit(&r->up_conn, memory_order_acquire);
    size_t k = relay_inflight_sweep(&rr->inflight, live, answer_stranded, &c);
    if (k != 0) relay_log("reactor %u: %zu in-flight requests answered 503", rr->index, k);
  }
  /* While requests may be in flight, look at the epoch every 20 ms even without traffic. */
  if (rr->inflight.slots != NULL && now - rr->last_tracked_ns < rr->inflight.timeout_ns) {
    return now + 20 * 1000000ull;
  }
  return 0;
}
