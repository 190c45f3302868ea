// File system helpers for sipring-certs: whole-file reads, and writes that set an exact mode,
// never leave a half-written file behind, and refuse to replace an existing file unless asked.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "sipring/result.h"

namespace sipring::certs {

// File modes: private keys are readable by their owner only; the rest is public material.
inline constexpr mode_t kKeyMode = 0600;
inline constexpr mode_t kPublicMode = 0644;
inline constexpr mode_t kPrivateDirMode = 0700;

enum class Overwrite { kRefuse, kAllow };

// Writes |data| to |path| with permissions exactly |mode| (the umask is not applied). The data
// goes to a temporary file in the same directory first, so a crash or full disk never leaves a
// truncated key or certificate at |path|. With Overwrite::kRefuse an existing |path| is an error
// naming it, and the check is atomic (link(2) fails with EEXIST).
Status write_file(const std::string& path, std::string_view data, mode_t mode, Overwrite overwrite);

// Returns the whole contents of |path|.
Result<std::string> read_file(const std::string& path);

// Returns an error naming |path| if it exists and |overwrite| is kRefuse; used to check every
// output before any work is done, so a refused run changes nothing.
Status check_writable(const std::string& path, Overwrite overwrite);

// Returns an error naming |path| unless the directory that would hold it exists.
Status check_parent_dir(const std::string& path);

// Creates directory |path| with |mode| (less the umask) if it does not exist. An existing
// directory is left as it is: it may be the user's, and its mode is theirs to choose.
Status ensure_dir(const std::string& path, mode_t mode);

}  // namespace sipring::certs

namespace sipring::certs {

// write_file, then prints "wrote |path|" on stdout so the user sees every file a run made.
Status write_reported(const std::string& path, std::string_view data, mode_t mode,
                      Overwrite overwrite);

}  // namespace sipring::certs
