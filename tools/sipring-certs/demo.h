// `sipring-certs demo`: everything a local TLS demo needs in one step, a CA plus a server
// certificate for localhost, and the combined cert+key file the manual says the
// "certificate" parameter may name.
#pragma once

#include <string>

#include "sipring/result.h"

#include "file_io.h"

namespace sipring::certs {

// The demo server certificate's names: everything a client on this host may dial.
inline constexpr char kDemoCn[] = "localhost";
inline constexpr char kDemoSan[] = "DNS:localhost,IP:127.0.0.1,IP:::1";

// Creates in |dir| a CA (see create_ca), a server certificate for localhost written to
// DIR/localhost-cert.pem and DIR/localhost-key.pem, and DIR/server.pem (mode 0600) holding
// the certificate followed by its key. Checks every output first, so a refused run writes
// nothing.
Status make_demo(const std::string& dir, Overwrite overwrite);

}  // namespace sipring::certs
