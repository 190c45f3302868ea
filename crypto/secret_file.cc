#include "crypto/secret_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/base/error_format.h"

namespace sipring {

Status check_secret_file(int fd, const std::string& path, const SecretFileRules& rules) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return format_error(Errc::kConfig, "{} {}: {}", rules.param, path, strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return format_error(Errc::kConfig, "{} {} is not a regular file: {}", rules.param, path,
                        rules.why_regular);
  }
  if (st.st_uid != geteuid() && !(rules.root_may_own && st.st_uid == 0)) {
    return format_error(Errc::kConfig,
                        "{} {} belongs to user {}, not to sipring's user {}{}: its owner could "
                        "read the {}; chown it, or name a file of sipring's user",
                        rules.param, path, st.st_uid, geteuid(),
                        rules.root_may_own ? " nor to root" : "", rules.holds);
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return format_error(Errc::kConfig,
                        "{} {} has mode {:04o}: it holds {} and must be readable by its owner "
                        "only; chmod 600 it",
                        rules.param, path, st.st_mode & 07777, rules.holds);
  }
  return Status::ok();
}

}  // namespace sipring
