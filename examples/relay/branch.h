/* The relay's Via branch: "z9hG4bKsR" + 16 hex digits of the client connection + 16 hex digits
 * of a tag, the SipHash-2-4 (a keyed PRF; the key is random per process) of that connection
 * and of the client's own branch. A response is routed back by the connection the branch names
 * only when the tag matches the response's next Via, so a forged or stale branch is refused.
 * The tag is deterministic: a CANCEL gets the branch of the INVITE it cancels (RFC 3261 16.11),
 * and a retransmission the branch of its original. */
#ifndef SIPRING_EXAMPLES_RELAY_BRANCH_H
#define SIPRING_EXAMPLES_RELAY_BRANCH_H

#include <stddef.h>
#include <stdint.h>

enum { RELAY_BRANCH_LEN = 9 + 32 }; /* characters of the branch value */

/* SipHash-2-4 of data[0..n) under key k. */
uint64_t relay_siphash(const uint64_t k[2], const void* data, size_t n);

/* The tag of a branch for client connection `conn` whose own top Via is `client_id`
 * (its branch value, or the whole via-parm when it has no branch). */
uint64_t relay_branch_tag(const uint64_t k[2], uint64_t conn, const char* client_id, size_t n);

/* Writes the RELAY_BRANCH_LEN characters of the branch value into out. */
void relay_branch_write(char* out, uint64_t conn, uint64_t tag);

/* Reads a branch value b[0..n) written by relay_branch_write. Returns 1 and sets *conn and
 * *tag when it has that exact form (the tag is not checked here). */
int relay_branch_read(const char* b, size_t n, uint64_t* conn, uint64_t* tag);

#endif /* SIPRING_EXAMPLES_RELAY_BRANCH_H */
