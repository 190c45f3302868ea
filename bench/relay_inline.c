/* examples/relay_min.c's answer as an inline core: the C function runs on each reactor thread
 * after each batch of I/O and answers OPTIONS through the port, with no thread hop. For
 * bench/capi_ab.sh, to set the C ABI's inline path beside the C++ demo core's.
 *
 *   relay_inline FILE      runs until killed */
#include <sipring/sipring.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static uint64_t answer_options(void* ctx, sipring_port* port) {
  (void)ctx;
  sipring_frame f;
  while (sipring_port_front(port, &f)) {
    if (f.kind == SIPRING_FRAME_MESSAGE && f.size > 7 && memcmp(f.data, "OPTIONS", 7) == 0) {
      char reply[2048];
      size_t n = sipring_build_response(f.data, f.size, 200, "OK", reply, sizeof reply);
      if (n > 0) sipring_port_send(port, f.conn, reply, n);
    }
    sipring_port_pop(port);
  }
  return 0;
}

int main(int argc, char** argv) {
  char err[256] = "usage: relay_inline FILE";
  sipring_config* cfg = argc == 2 ? sipring_config_load(argv[1], err, sizeof err) : NULL;
  sipring_options options;
  sipring_options_init(&options);
  options.core = answer_options;
  sipring_engine* e = cfg != NULL ? sipring_engine_new(cfg, &options, err, sizeof err) : NULL;
  sipring_config_free(cfg);
  if (e == NULL || sipring_engine_start(e, err, sizeof err) != SIPRING_OK) {
    fprintf(stderr, "%s\n", err);
    sipring_engine_free(e);
    return 1;
  }
  for (;;) pause();
}
