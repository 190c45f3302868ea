// sipring's log: Kamailio's numeric levels, and a sink an embedder can replace.
//
// sipring writes one line per event (a connection refused, a config error, a limit hit), never
// one per message. By default the lines go to stderr as "TIME LEVEL [component] message"; an
// embedder with its own logger (Kamailio's LM_*, syslog, a test) installs a sink instead and
// receives the level and "[component] message", to stamp and route as it likes.
#pragma once

#include <string_view>

namespace sipring {

// Kamailio's levels, with Kamailio's numbers: lower is more important. A distinct type whose
// underlying type is int, unscoped so that a level compares with and converts to the int a
// Kamailio `debug` setting holds (static_cast<LogLevel>(n) the other way). Values between and
// beyond the named ones are allowed (Kamailio's L_DBG+n): the threshold compares them as
// numbers, a sink receives them as they were logged, and the default sink names everything
// above kLogInfo "DEBUG".
enum LogLevel : int {
  kLogAlert = -5,
  kLogBug = -4,
  kLogCrit = -3,
  kLogErr = -1,
  kLogWarn = 0,
  kLogNotice = 1,
  kLogInfo = 2,
  kLogDebug = 3,
};

// "ALERT", "BUG", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO" or "DEBUG" (anything above
// kLogInfo). A static string.
const char* log_level_name(LogLevel level) noexcept;

// Sets the threshold (Kamailio's `debug` global): lines above `level` are dropped before they
// are formatted. Default kLogInfo. Any thread, any time; other threads see it soon (relaxed).
void set_log_level(LogLevel level) noexcept;
// The threshold in force. Any thread.
LogLevel log_level() noexcept;

// Receives every line that passes the threshold: its level and its text, "[component] message"
// (no time stamp, no level name, no newline). `line` is valid only during the call.
//
// A sink is called on whatever thread logs, reactor threads included, possibly from several
// threads at once: it must be thread-safe and should return quickly. sipring formats the line in
// a stack buffer (at most 1023 bytes, longer messages are cut) and allocates nothing for it; a
// sink that must not slow the reactors should not allocate or block either. A sink must not log
// through sipring.
using LogSink = void (*)(void* ctx, LogLevel level, std::string_view line);

// Installs `sink` (called with `ctx`), or restores the default stderr sink when `sink` is null.
// The default writes "TIME LEVEL [component] message\n" with one writev(2), so lines of
// different threads never interleave.
//
// Not synchronised with logging: call it before starting engines (or while no other thread
// logs), and keep `ctx` alive until another sink replaces this one.
void set_log_sink(LogSink sink, void* ctx) noexcept;

}  // namespace sipring
