/* The few pieces of a SIP message head the relay reads: the start line, header fields by name
 * (compact forms included, folded continuation lines joined), a Via's first via-parm and its
 * branch, a Max-Forwards number. Nothing is copied or allocated: results are offsets into the
 * message. The grammar is RFC 3261's (section 25), checked strictly where the relay depends on
 * it (Via, Max-Forwards) and only skimmed elsewhere. */
#ifndef SIPRING_EXAMPLES_RELAY_SIP_TEXT_H
#define SIPRING_EXAMPLES_RELAY_SIP_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* A header field: its lines are [line, line_end) (line_end is past the last LF, continuation
 * lines included); its trimmed value is [value, value_end). */
typedef struct relay_hdr {
  size_t line, line_end;
  size_t name_len;
  size_t value, value_end;
} relay_hdr;

/* The start line of m[0..n): a request ("METHOD SP URI SP SIP/2.0") or a status line
 * ("SIP/2.0 SP 3DIGIT ..."). */
typedef struct relay_start {
  int is_request;    /* 1 request, 0 response */
  size_t method_len; /* requests: the method is m[0..method_len) */
  int status;        /* responses: 100..699 */
  size_t headers;    /* offset of the first header line */
} relay_start;

/* Parses the start line; returns 1 when it is a well-formed request or status line. */
int relay_parse_start(const char* m, size_t n, relay_start* out);

/* Header iteration: *pos starts at relay_start.headers. Returns 1 and fills *h for the next
 * header field; 0 at the blank line ending the head (then *pos is the offset of the body);
 * -1 when the head is malformed (a line without a colon or an unterminated head). */
int relay_next_header(const char* m, size_t n, size_t* pos, relay_hdr* h);

/* 1 when h's name is `name` (case-insensitively) or the one-letter `compact` (0 for none). */
int relay_hdr_is(const char* m, const relay_hdr* h, const char* name, char compact);

/* The first via-parm of a Via value v[0..n). Offsets are relative to v. */
typedef struct relay_via {
  size_t sent_by, sent_by_len; /* host[:port] */
  size_t branch, branch_len;   /* the branch parameter's value; branch_len 0 when absent */
  size_t end;                  /* end of this via-parm (trailing whitespace excluded) */
  size_t next;                 /* start of the next via-parm after the comma, or n */
} relay_via;

/* Parses "SIP / 2.0 / transport LWS sent-by *(SEMI via-params)" at v and stops at a top-level
 * comma or at n. Returns 1 when well-formed. */
int relay_parse_via(const char* v, size_t n, relay_via* out);

/* Max-Forwards value: 1 to 9 digits. Returns the number, or -1 when malformed. */
long relay_parse_max_forwards(const char* v, size_t n);

/* Case-insensitive search of `needle` in h[0..n); returns its offset or (size_t)-1. */
size_t relay_find_ci(const char* h, size_t n, const char* needle);

#endif /* SIPRING_EXAMPLES_RELAY_SIP_TEXT_H */
