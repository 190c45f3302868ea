/* sipring's C ABI: embed the SIP-over-TLS transport in a SIP core written in C (C11).
 *
 * The engine runs one reactor thread per configured CPU, each owning an io_uring and a share of
 * the connections. Every complete SIP message a reactor frames becomes a frame in that
 * reactor's handoff ring; connection events (a client connection opened, any connection closed)
 * arrive the same way, in order with the messages of their connection. The core consumes them
 * in one of two ways:
 *   - consumer threads: the embedder runs one thread per reactor that calls
 *     sipring_inbox_wait / sipring_inbox_front / sipring_inbox_pop, and replies with
 *     sipring_send from any thread;
 *   - inline: sipring_options.core is called on each reactor thread after each batch of I/O with
 *     a port handle; it pops frames and replies through the port, with no thread hop.
 *
 * Rules that hold for the whole header:
 *   - Handles are opaque; structs have a fixed layout and are plain data.
 *   - Functions that can fail return an int status (SIPRING_OK or a SIPRING_ERR_* code). Those
 *     that can fail for a reason a person must read take `char* err, size_t err_size` and write a
 *     NUL-terminated message there (truncated to fit; err may be NULL when err_size is 0).
 *   - Frame bytes are borrowed: valid from sipring_inbox_front (or sipring_port_front) until the
 *     matching pop, and never after. Copy what must live longer.
 *   - Nothing here calls back into the embedder on the per-message path unless it asked for
 *     inline mode (sipring_options.core) or installed a log sink.
 *   - The library never takes over the process allocator: it uses malloc/free as the process
 *     provides them (link jemalloc yourself to opt in).
 */
#ifndef SIPRING_SIPRING_H
#define SIPRING_SIPRING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status codes --------------------------------------------------------------------------- */

enum {
  SIPRING_OK = 0,
  SIPRING_ERR_INVALID_ARGUMENT = 1,   /* a value passed is malformed or out of range */
  SIPRING_ERR_CONFIG = 2,             /* a configuration file or parameter is wrong */
  SIPRING_ERR_IO = 3,                 /* a system call failed */
  SIPRING_ERR_TLS = 4,                /* BoringSSL refused something (certificate, key, ...) */
  SIPRING_ERR_UNSUPPORTED = 5,        /* the kernel or library lacks a needed feature */
  SIPRING_ERR_UNKNOWN_CONNECTION = 6, /* the connection id is stale, closed or never existed */
  SIPRING_ERR_QUEUE_FULL = 7,         /* a bounded queue is full: retry later, nothing was taken */
  SIPRING_ERR_TOO_LARGE = 8,          /* the message exceeds a configured limit */
  SIPRING_ERR_SHUTTING_DOWN = 9,      /* the engine is stopping */
  SIPRING_ERR_NOT_RUNNING = 10,       /* the engine is not running */
  /* the connection's send queue passed sipring.conn_wq_hard_max: it is being closed; a retry
   * cannot succeed */
  SIPRING_ERR_OVERLOADED = 11,
  SIPRING_ERR_INTERNAL = 12, /* a bug in sipring: please report it with the message */
  /* send_to: no connection to the destination could be opened (table full, low memory, no
   * [client:...] domain, a socket or TLS setup error); the reason is logged */
  SIPRING_ERR_CONNECT_FAILED = 13
};

/* Stable short name of a status code, e.g. "unknown-connection". A static string. */
const char* sipring_status_name(int status);

/* The library's version, e.g. "0.1.0". A static string. */
const char* sipring_version(void);

/* ---- Addresses and connection ids ---------------------------------------------------------- */

/* A connection: 64 bits naming a reactor, a table slot and a generation. 0 is never a valid
 * connection. An id kept after its connection closed never reaches another connection. */
typedef uint64_t sipring_conn;

/* The reactor that owns connection `conn`. */
uint32_t sipring_conn_reactor(sipring_conn conn);

/* An IPv4 or IPv6 socket address (24 bytes). */
typedef struct sipring_addr {
  uint16_t family;   /* AF_INET, AF_INET6, or 0 for none */
  uint16_t port;     /* host byte order */
  uint32_t scope_id; /* IPv6 scope (interface index), else 0 */
  uint8_t ip[16];    /* network byte order; IPv4 in the first 4 bytes */
} sipring_addr;

/* Writes "127.0.0.1:5061" or "[::1]:5061" into buf (NUL-terminated, truncated to size).
 * Returns the length of the full text (as snprintf does). Allocation-free. */
size_t sipring_addr_format(const sipring_addr* addr, char* buf, size_t size);

/* ---- Frames --------------------------------------------------------------------------------- */

enum {
  SIPRING_FRAME_MESSAGE = 0, /* a complete SIP message: data/size */
  SIPRING_FRAME_OPENED = 1,  /* a client connection finished its handshake (client role only) */
  SIPRING_FRAME_CLOSED = 2   /* a connection closed; `reason` says why. Sent for every
                                connection the core saw a frame of, and for client connections */
};

/* Frame flags (bits of sipring_frame.flags). */
enum {
  SIPRING_FLAG_TLS = 1 << 0,           /* received over TLS */
  SIPRING_FLAG_PEER_VERIFIED = 1 << 1, /* the peer's certificate chain verified */
  SIPRING_FLAG_CLIENT_ROLE = 1 << 2,   /* sipring opened this connection */
  SIPRING_FLAG_RESUMED = 1 << 3        /* the TLS session was resumed */
};

/* Why a connection closed (sipring_frame.reason). */
enum {
  SIPRING_CLOSE_NONE = 0,
  SIPRING_CLOSE_PEER_CLOSED = 1,       /* TCP FIN or TLS close_notify from the peer */
  SIPRING_CLOSE_IO_ERROR = 2,          /* reset, broken pipe or another socket error */
  SIPRING_CLOSE_HANDSHAKE_FAILED = 3,  /* TLS handshake refused (the log says why) */
  SIPRING_CLOSE_HANDSHAKE_TIMEOUT = 4, /* not done within sipring.handshake_timeout_ms */
  SIPRING_CLOSE_TLS_ERROR = 5,         /* a bad record or a fatal alert after the handshake */
  SIPRING_CLOSE_IDLE_TIMEOUT = 6,      /* tls.connection_timeout expired without I/O */
  SIPRING_CLOSE_BAD_MESSAGE = 7,       /* malformed SIP framing (answered 400 when possible) */
  SIPRING_CLOSE_LOCAL = 8,             /* the core asked for it */
  SIPRING_CLOSE_SHUTDOWN = 9,          /* the engine is stopping */
  SIPRING_CLOSE_CONNECT_FAILED = 10,   /* client role: TCP connect failed or timed out */
  SIPRING_CLOSE_QUEUE_FULL = 11,       /* send queue over sipring.conn_wq_hard_max */
  SIPRING_CLOSE_SEND_TIMEOUT = 12,     /* no send progress for sipring.send_timeout_ms */
  SIPRING_CLOSE_MESSAGE_TIMEOUT = 13,  /* a message incomplete after sipring.message_timeout_ms */
  SIPRING_CLOSE_MEMORY_BUDGET = 14     /* closed to keep sipring.wq_max / sipring.rx_partial_max */
};

/* Stable short name of a close reason, e.g. "peer-closed". A static string. */
const char* sipring_close_reason_name(int reason);

/* One frame (80 bytes). */
typedef struct sipring_frame {
  sipring_conn conn;    /* where replies go: sipring_send(e, conn, ...) */
  const char* data;     /* MESSAGE: the whole message, head and body (not NUL-terminated) */
  uint32_t size;        /* bytes at data; 0 for OPENED and CLOSED */
  uint16_t reactor;     /* index of the owning reactor */
  uint8_t kind;         /* SIPRING_FRAME_* */
  uint8_t flags;        /* SIPRING_FLAG_* */
  uint16_t tls_version; /* 0x0303 = TLS 1.2, 0x0304 = TLS 1.3 */
  uint16_t cipher;      /* IANA cipher suite number, e.g. 0x1301 = TLS_AES_128_GCM_SHA256 */
  uint16_t reason;      /* CLOSED: SIPRING_CLOSE_*; else 0 */
  uint16_t reserved;    /* 0 */
  sipring_addr peer;    /* remote address */
  sipring_addr local;   /* local address of the connection */
} sipring_frame;

/* ---- Configuration --------------------------------------------------------------------------- */

/* A configuration being built: the parameters of the Kamailio-style config file (README
 * "Configuration" and the parameter table), set one by one or read from a file. */
typedef struct sipring_config sipring_config;

/* A configuration holding every parameter's default. NULL only when out of memory. */
sipring_config* sipring_config_new(void);
/* Reads a config file (modparam lines, listen=, enable_tls=; relative paths resolved as the TLS
 * module manual says). NULL on error, with the reason (file:line) in err. */
sipring_config* sipring_config_load(const char* path, char* err, size_t err_size);
/* Sets module.name (e.g. "tls", "certificate") from text, validated exactly as a config file
 * value is; integer and boolean parameters accept text too ("60", "yes"). "listen" in module
 * "core" appends a listener ("tls:127.0.0.1:5061"); "enable_tls" in module "core" too. */
int sipring_config_set(sipring_config* cfg, const char* module, const char* name, const char* value,
                       char* err, size_t err_size);
/* Same for an integer or boolean parameter given as a number (modparam(..., 60)). */
int sipring_config_set_int(sipring_config* cfg, const char* module, const char* name, int64_t value,
                           char* err, size_t err_size);
void sipring_config_free(sipring_config* cfg);

/* ---- The engine ----------------------------------------------------------------------------- */

typedef struct sipring_engine sipring_engine;
/* Inline mode: a reactor's view while sipring_options.core runs on that reactor's thread. Valid
 * only during the call. */
typedef struct sipring_port sipring_port;

/* Inline core: called on reactor `sipring_port_reactor(port)`'s thread after each batch of I/O
 * and whenever it asked to run again. Pops the frames it wants through the port. Returns the
 * monotonic time (CLOCK_MONOTONIC, ns) at which it wants to run again even if no frame arrives,
 * or 0 for "only on frames". Must not block. */
typedef uint64_t (*sipring_core_fn)(void* ctx, sipring_port* port);

typedef struct sipring_options {
  uint32_t struct_size; /* sizeof(sipring_options): later versions append fields */
  sipring_core_fn core; /* NULL: consumer threads (sipring_inbox_*) */
  void* core_ctx;       /* passed to core */
  int listen;           /* 1: open the config's listeners; 0: a pure client, whose
                           connections use the tls module parameters (ca_list,
                           verify_certificate, a client certificate, ...) */
} sipring_options;

/* The options of sipring_engine_new_from_file: consumer threads, listening. */
void sipring_options_init(sipring_options* options);

/* Creates an engine from a configuration (copied; `cfg` may be freed afterwards) and `options`
 * (NULL: sipring_options_init's). Validates the configuration; certificates, keys and sockets
 * are checked by sipring_engine_start. NULL on error, with the reason in err. */
sipring_engine* sipring_engine_new(const sipring_config* cfg, const sipring_options* options,
                                   char* err, size_t err_size);
/* sipring_config_load + sipring_engine_new with default options. */
sipring_engine* sipring_engine_new_from_file(const char* path, char* err, size_t err_size);
/* Builds TLS contexts, opens listeners and starts the reactors. */
int sipring_engine_start(sipring_engine* e, char* err, size_t err_size);
/* Stops accepting, flushes queued replies and closes every connection within grace_ms. Wakes
 * every sipring_inbox_wait (which then returns 0). Idempotent. */
void sipring_engine_stop(sipring_engine* e, uint32_t grace_ms);
/* Stops (grace 2000 ms) if running and frees. No consumer thread may still use `e`. */
void sipring_engine_free(sipring_engine* e);
/* The number of reactors: fixed by sipring_engine_start (sipring.reactors, or one per CPU);
 * 0 before it. */
uint32_t sipring_engine_reactors(const sipring_engine* e);
/* core.drain (Engine::drain): every reactor stops accepting and closes its listening sockets, so
 * new connections are refused (an L4 balancer's TCP check sees the node down) while established
 * connections keep being served until they close. Idempotent: a later call reports what is
 * still open. Sets *connections (if not NULL) to the connections still open, both roles;
 * *accepted (if not NULL) to those of them peers opened; per_reactor[i] for the first
 * min(n, sipring_engine_reactors(e)) reactors. Any thread but a reactor's (an inline core). */
int sipring_engine_drain(sipring_engine* e, uint64_t* connections, uint64_t* accepted,
                         uint64_t* per_reactor, size_t n, char* err, size_t err_size);

/* ---- Consumer threads: one per reactor ------------------------------------------------------ */

/* Call these only after sipring_engine_start returned SIPRING_OK, and for each reactor from one
 * thread at a time. Every reactor needs its consumer: frames of a reactor nobody consumes wait
 * in its ring forever, and once the ring is full that reactor stops reading (a program that
 * consumes reactor 0 only must run with modparam("sipring", "reactors", 1)). In inline mode
 * (sipring_options.core set) the core is the consumer and these return 0. */

/* Blocks until reactor `reactor` has a frame or the engine stops; returns 1 when a frame is
 * there, 0 when the engine stopped and its frames are consumed (the CLOSED frames of the stop
 * come first), or when `reactor` is out of range. */
int sipring_inbox_wait(sipring_engine* e, uint32_t reactor);
/* Copies the next frame of `reactor` into *out without removing it; returns 1, or 0 when there
 * is none. Its bytes stay valid until sipring_inbox_pop. */
int sipring_inbox_front(sipring_engine* e, uint32_t reactor, sipring_frame* out);
/* Releases the front frame of `reactor`: its bytes must not be used afterwards. Does nothing
 * when there is no frame. */
void sipring_inbox_pop(sipring_engine* e, uint32_t reactor);

/* ---- Sending: any thread ------------------------------------------------------------------- */

/* Queues `size` bytes (one or more whole SIP messages) for connection `conn`. Lock-free; wakes
 * the owning reactor only if it sleeps. Returns SIPRING_OK (queued, in order after what was
 * queued before), SIPRING_ERR_UNKNOWN_CONNECTION, SIPRING_ERR_QUEUE_FULL (retry later),
 * SIPRING_ERR_TOO_LARGE, SIPRING_ERR_NOT_RUNNING or SIPRING_ERR_OVERLOADED. */
int sipring_send(sipring_engine* e, sipring_conn conn, const void* data, size_t size);

/* Where sipring_send_to and sipring_connect deliver (client role). */
typedef struct sipring_destination {
  const char* address;     /* "IP:PORT" or "[IPv6]:PORT" */
  const char* server_name; /* SNI and the name the certificate must carry; NULL or "" = none */
  const char* server_id;   /* the [client:...] domain to use (Kamailio's server_id); NULL = by
                              address */
} sipring_destination;

/* Sends to a destination over the connection sipring already has to it, or a new one (TLS
 * client role; messages wait in the clear-text queue until the handshake is done). Any thread.
 * Returns SIPRING_OK or an error as sipring_send does, SIPRING_ERR_INVALID_ARGUMENT for a bad
 * address, SIPRING_ERR_CONNECT_FAILED when no connection could be opened, and
 * SIPRING_ERR_QUEUE_FULL when the connection's clear-text queue is over tls.con_ct_wq_max (or
 * all of them over tls.ct_wq_max). The destination's reactor picks the connection, so *out_conn
 * (may be NULL) is always 0 here (sipring_port_send_to on that reactor names it); failures
 * after queueing are logged, counted and arrive as a CLOSED frame. */
int sipring_send_to(sipring_engine* e, const sipring_destination* to, const void* data, size_t size,
                    sipring_conn* out_conn);
/* Opens a new client connection to `to` now and gives its id (usable at once: messages sent
 * before the handshake is done wait in the clear-text queue); an OPENED frame follows when the
 * handshake completes, a CLOSED frame if it fails. Any thread; waits for the reactor that owns
 * `to` (a control call, not for the per-message path). */
int sipring_connect(sipring_engine* e, const sipring_destination* to, sipring_conn* out_conn,
                    char* err, size_t err_size);
/* Closes `conn` after what is queued for it has been sent. Any thread; waits for the owning
 * reactor (a control call: an inline core uses sipring_port_close instead). */
int sipring_close(sipring_engine* e, sipring_conn conn);
/* RFC 5923: lets connection `conn` (opened by the peer, its certificate verified and naming
 * to->server_name or to->address's IP) carry later sends to `to`. Any thread (waits for the
 * owning reactor). err says which condition failed. */
int sipring_add_alias(sipring_engine* e, sipring_conn conn, const sipring_destination* to,
                      char* err, size_t err_size);

/* ---- Inline mode: the port, only during sipring_options.core on that reactor's thread -------- */

uint32_t sipring_port_reactor(const sipring_port* port);
/* The monotonic clock (ns) as the reactor read it for this iteration. */
uint64_t sipring_port_now_ns(const sipring_port* port);
/* Like sipring_inbox_front / sipring_inbox_pop for this reactor. */
int sipring_port_front(sipring_port* port, sipring_frame* out);
void sipring_port_pop(sipring_port* port); /* does nothing when there is no frame */
/* Like sipring_send; a connection of this reactor gets the bytes appended to its TLS record
 * buffer at once. */
int sipring_port_send(sipring_port* port, sipring_conn conn, const void* data, size_t size);
/* Like sipring_send_to; *out_conn gets the connection when the destination is this reactor's. */
int sipring_port_send_to(sipring_port* port, const sipring_destination* to, const void* data,
                         size_t size, sipring_conn* out_conn);
void sipring_port_close(sipring_port* port, sipring_conn conn);

/* ---- What is known of a connection ----------------------------------------------------------- */

/* Text fields are NUL-terminated and cut to fit (`truncated` says some was). */
typedef struct sipring_tls_info {
  uint16_t version;         /* 0x0303 = TLS 1.2, 0x0304 = TLS 1.3 */
  uint16_t cipher_bits;     /* symmetric key bits */
  int32_t verify_result;    /* X.509 verification code, 0 = ok or not verified */
  uint8_t client_role;      /* sipring opened the connection */
  uint8_t peer_presented;   /* the peer sent a certificate */
  uint8_t peer_verified;    /* ... and its chain verified */
  uint8_t peer_revoked;     /* ... and a CRL revoked it */
  uint8_t peer_expired;     /* ... and it has expired */
  uint8_t peer_self_signed; /* ... and it is self-signed */
  uint8_t truncated;        /* a text field below was cut */
  uint8_t reserved;
  int64_t peer_not_before; /* unix seconds; 0 when no certificate */
  int64_t peer_not_after;
  char version_text[16];  /* "TLSv1.3" */
  char cipher[64];        /* IANA name, e.g. "TLS_AES_128_GCM_SHA256" */
  char sni[256];          /* asked for (server role) or sent (client role) */
  char domain[128];       /* the TLS domain in use, e.g. "server:default" */
  char verify_error[128]; /* the text of verify_result, "" when 0 */
  char peer_subject[512]; /* RFC 2253, e.g. "CN=sip.example.com,O=Example" */
  char peer_issuer[512];
  char peer_cn[256];
  char peer_serial[96];   /* hex, as `openssl x509 -serial` prints it */
  char peer_san_dns[512]; /* subjectAltName DNS entries, comma-separated */
  char peer_san_uri[512]; /* ... URI entries */
  char peer_san_ip[256];  /* ... IP entries */
} sipring_tls_info;

/* Fills *out for connection `conn` (any thread; asks the owning reactor). */
int sipring_tls_info_get(sipring_engine* e, sipring_conn conn, sipring_tls_info* out, char* err,
                         size_t err_size);

/* What the PROXY protocol header of a connection accepted on a sipring.proxy_protocol_listen
 * address said (README "PROXY protocol"); the frame's peer is already the client it named.
 * Text fields are NUL-terminated and cut to fit (`truncated`); unique_id is opaque bytes. */
typedef struct sipring_proxy_info {
  uint8_t version;    /* 1 or 2; 0: no PROXY header (not a proxy listener's connection) */
  uint8_t local;      /* LOCAL command (a balancer's own connection): the peer is the socket's */
  uint8_t crc32c;     /* the header carried a CRC32C, and it matched */
  uint8_t ssl;        /* a PP2_TYPE_SSL TLV was present: the ssl_* fields below */
  uint8_t ssl_client; /* its <client> bits */
  uint8_t truncated;  /* a text field below was cut */
  uint16_t unique_id_size; /* bytes in unique_id (at most 128) */
  uint32_t ssl_verify;     /* 0: the client's certificate verified (or none was presented) */
  uint32_t reserved;
  sipring_addr balancer;    /* the socket's peer: the balancer */
  sipring_addr destination; /* the address the client connected to; family 0 when not said */
  uint8_t unique_id[128];   /* PP2_TYPE_UNIQUE_ID */
  char authority[256];      /* PP2_TYPE_AUTHORITY: the SNI the balancer saw */
  char alpn[64];
  char ssl_version[32];
  char ssl_cn[256];
  char ssl_cipher[64];
} sipring_proxy_info;

/* Fills *out for connection `conn` (any thread; asks the owning reactor). A connection not
 * accepted on a proxy listener (or whose header is still being read) gets version 0. */
int sipring_proxy_info_get(sipring_engine* e, sipring_conn conn, sipring_proxy_info* out, char* err,
                           size_t err_size);

/* ---- Runtime parameters, TLS reload, counters --------------------------------------------- */

/* Changes a runtime parameter (what `sipringctl cfg.set` does); validated as a config value. */
int sipring_param_set(sipring_engine* e, const char* module, const char* name, const char* value,
                      char* err, size_t err_size);
int sipring_param_set_int(sipring_engine* e, const char* module, const char* name, int64_t value,
                          char* err, size_t err_size);
/* Writes the current value's text into out (NUL-terminated). SIPRING_ERR_TOO_LARGE when it
 * does not fit. */
int sipring_param_get(sipring_engine* e, const char* module, const char* name, char* out,
                      size_t out_size, char* err, size_t err_size);
/* tls.reload: re-reads certificates, keys, CAs, CRLs and tls.cfg; on error nothing changes. */
int sipring_tls_reload(sipring_engine* e, char* err, size_t err_size);

/* The counters (README "Counters"): how many, and the name of counter i ("accepted", ...). */
size_t sipring_counter_count(void);
const char* sipring_counter_name(size_t i);
/* Writes min(n, sipring_counter_count()) counters of reactor `reactor`, or of all reactors
 * summed when reactor is -1, into out[]; returns how many it wrote (0 for a bad reactor).
 * Relaxed reads: consistent enough for monitoring. Any thread. */
size_t sipring_counters(const sipring_engine* e, int32_t reactor, uint64_t* out, size_t n);

/* ---- Log ------------------------------------------------------------------------------------- */

/* Kamailio's levels: lower is more important. */
enum {
  SIPRING_LOG_ALERT = -5,
  SIPRING_LOG_BUG = -4,
  SIPRING_LOG_CRIT = -3,
  SIPRING_LOG_ERR = -1,
  SIPRING_LOG_WARN = 0,
  SIPRING_LOG_NOTICE = 1,
  SIPRING_LOG_INFO = 2,
  SIPRING_LOG_DEBUG = 3
};

/* Lines above `level` are dropped before they are formatted (default SIPRING_LOG_INFO). Any
 * thread, any time. */
void sipring_set_log_level(int level);
/* Receives "[component] message" (not NUL-terminated: use len; no newline) and its level, on
 * whatever thread logs (reactor threads included, possibly several at once); must be
 * thread-safe, return quickly, and not log through sipring. NULL restores the default sink
 * (stderr, "TIME LEVEL [component] message"). Call before starting engines. */
typedef void (*sipring_log_fn)(void* ctx, int level, const char* line, size_t len);
void sipring_set_log_sink(sipring_log_fn sink, void* ctx);

/* ---- Stateless responses ----------------------------------------------------------------------
 */

/* Builds "SIP/2.0 <code> <reason>" to the request at request[0..size) into out: every Via as
 * sent, From, To (a deterministic tag added when it has none), Call-ID, CSeq, Content-Length: 0.
 * Allocation-free. Returns the response length, or 0 when the request cannot be answered (not a
 * request, a header missing, an invalid code or reason, or out too small). */
size_t sipring_build_response(const void* request, size_t size, int code, const char* reason,
                              char* out, size_t out_size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SIPRING_SIPRING_H */
