// The key log's control plane (tls.keylog_mode, tls.keylog_file): what the engine opens, builds
// and says when they are set at start or change at runtime. The reactors only append to what
// the snapshot they read holds (engine/reactor/reactor_keylog.cc).
#pragma once

#include <openssl/base.h>

#include <functional>
#include <memory>
#include <string_view>

#include "engine/config/config_store.h"
#include "sipring/config.h"
#include "sipring/result.h"

namespace sipring {

class TicketKeys;

// Builds the TLS context set of `config` with generation `generation`, as tls.reload does.
using BuildTls =
    std::function<Result<std::shared_ptr<const TlsContextSet>>(const Config&, uint64_t)>;

// At start: opens tls.keylog_file when `tls.keylog_mode` has bit 8 (null when it has not), or
// says why it cannot (the start is refused), warns that the key log is on, and gives
// `client_ctx` (the engine's own client context, never rebuilt) the hook when bit 1 is set.
Result<std::shared_ptr<const KeyLogFile>> start_keylog(const TlsParams& tls, SSL_CTX* client_ctx);

// The ConfigStore::Prepare of a runtime change of tls.keylog_mode or tls.keylog_file: `next`
// gets the file its bit 8 needs (reopened when `reopen`, i.e. keylog_file was set, even to the
// same name, so a rotated file is picked up; closed when bit 8 is cleared) and, when bit 1 is set
// but `next`'s contexts were built without the key log hook, contexts rebuilt by `build` (as
// tls.reload does) with it. An engine without a context set (a pure client) has only the client
// context it built at start, with the hook when `client_hooked`: nothing to rebuild. A file that
// cannot be opened, bit 1 on a pure client started without it, or a failed rebuild refuses the
// change with the reason. Logs a warning when the key log goes on or changes destination, and a
// notice when it goes off.
Status prepare_keylog(const ConfigSnapshot& cur, ConfigSnapshot& next, bool reopen,
                      bool client_hooked, const BuildTls& build);

// The ConfigStore::Prepare Engine::set_param passes for tls.`name` (keylog_mode or keylog_file):
// prepare_keylog with the contexts tls.reload would build (the reactors' hooks, tickets sealed
// with `tickets`; a server domain required when the engine `listen`s), for an engine whose
// client context is `client_ctx`. The caller holds the engine's reload lock while it runs.
ConfigStore::Prepare keylog_change(std::string_view name, TicketKeys* tickets, bool listen,
                                   const SSL_CTX* client_ctx);

}  // namespace sipring
