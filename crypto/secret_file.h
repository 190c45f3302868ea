// Files that hold secrets (the key log, session-ticket keys): the one check that such a file is
// what it should be before sipring writes secrets to it or trusts secrets read from it.
#pragma once

#include <string>
#include <string_view>

#include "sipring/result.h"

namespace sipring {

// How a file of secrets is described in the refusals, and who may own it.
struct SecretFileRules {
  std::string_view param;        // "tls.keylog_file": the parameter naming the file
  std::string_view holds;        // "session secrets": what a reader of the file would learn
  std::string_view why_regular;  // why nothing but a regular file will do
  bool root_may_own = false;     // root's files are trusted too (secrets a root tool writes)
};

// Checks the open descriptor `fd` of `path`: a regular file, owned by this process's effective
// user (or root, when rules.root_may_own), whose mode gives group and others no access at all.
// Returns an Errc::kConfig error naming rules.param, the file, what is wrong (its owner, its
// mode in octal) and what to do ("chmod 600 it"); never reads the file. Does not close `fd`.
Status check_secret_file(int fd, const std::string& path, const SecretFileRules& rules);

}  // namespace sipring
