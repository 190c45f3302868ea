// jemalloc settings for sipring's binaries (not the library: embedders choose their own).
//
// A burst of handshakes allocates and frees a lot of short-lived BoringSSL state; with
// jemalloc's defaults those freed pages stay resident for 10 s and only shrink while the
// process keeps allocating. A background thread that returns them after 1 s keeps the memory
// of a server holding idle connections close to what those connections really use.
extern "C" {
// NOLINTNEXTLINE: jemalloc reads this global by name at start-up.
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
