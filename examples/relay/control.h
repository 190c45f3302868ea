/* The main thread's side of the relay (control.c). */
#ifndef SIPRING_EXAMPLES_RELAY_CONTROL_H
#define SIPRING_EXAMPLES_RELAY_CONTROL_H

#include <signal.h>
#include <stdio.h>

#include "relay.h"

/* Keeps the upstream connection until SIGINT or SIGTERM: connects (sipring_connect), waits for
 * its OPENED or CLOSED frame (seen by the core, which sets relay.up_conn), and after a close or
 * a failure tries again after relay.backoff_min_ms, doubling up to relay.backoff_max_ms (the
 * first retry after a working connection closed is immediate). Prints the counters on SIGUSR1.
 * `signals` (SIGINT, SIGTERM, SIGUSR1, SIGUSR2) must be blocked in every thread. Returns 0 on a
 * stop signal, 1 when the upstream can never be reached (a malformed address). */
int relay_run(relay* r, const sigset_t* signals);

/* Writes the counters as one JSON line: {"relay":{...},"engine":{...}}. */
void relay_print_counters(relay* r, FILE* out);

#endif /* SIPRING_EXAMPLES_RELAY_CONTROL_H */
