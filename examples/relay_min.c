#include <sipring/sipring.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char** argv) {
  char err[256];
  sipring_engine* e = sipring_engine_new_from_file(argv[1], err, sizeof err);
  if (!e || sipring_engine_start(e, err, sizeof err) != SIPRING_OK) { fprintf(stderr, "%s\n", err); return 1; }
  sipring_frame f;  /* one consumer thread per reactor in real use; reactor 0 only here */
  while (sipring_inbox_wait(e, 0)) {
    while (sipring_inbox_front(e, 0, &f)) {
      if (f.kind == SIPRING_FRAME_MESSAGE && f.size > 7 && memcmp(f.data, "OPTIONS", 7) == 0) {
        char reply[2048]; size_t n = sipring_build_response(f.data, f.size, 200, "OK", reply, sizeof reply);
        if (n > 0) sipring_send(e, f.conn, reply, n);
      }
      sipring_inbox_pop(e, 0);
    }
  }
  sipring_engine_free(e);
  return 0;
}
