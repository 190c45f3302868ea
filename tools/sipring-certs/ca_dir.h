// The CA directory: where each file lives and how the serial and crlnumber counters are kept.
// The layout and file formats are those of `openssl ca` (the manual's demoCA), so a directory
// made by sipring-certs can still be managed with `openssl ca -config ...` and vice versa.
#pragma once

#include <string>
#include <vector>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sipring/result.h"

#include "ca_index.h"

namespace sipring::certs {

struct CaPaths {
  std::string dir;
  std::string cert;         // DIR/cacert.pem
  std::string private_dir;  // DIR/private
  std::string key;          // DIR/private/cakey.pem
  std::string serial;       // DIR/serial: next certificate serial, hex
  std::string index;        // DIR/index.txt: one line per issued certificate
  std::string index_attr;   // DIR/index.txt.attr: `openssl ca` options for the index
  std::string crlnumber;    // DIR/crlnumber: next CRL number, hex

  // Returns the paths of the CA kept in |dir|.
  static CaPaths in(const std::string& dir);
};

struct LoadedCa {
  bssl::UniquePtr<X509> cert;
  bssl::UniquePtr<EVP_PKEY> key;
};

// Reads the CA certificate and key from |paths| and checks that they belong together. A
// missing certificate is reported with a hint to run `sipring-certs ca` first.
Result<LoadedCa> load_ca(const CaPaths& paths);

// What issuing a certificate or a CRL starts from: the CA, its index and the next number.
struct CaRecords {
  LoadedCa ca;
  std::vector<IndexEntry> index;
  bssl::UniquePtr<BIGNUM> counter;  // the next serial or CRL number
};

// Loads the CA in |paths| (see load_ca), its index and the counter in |counter_path|
// (paths.serial or paths.crlnumber).
Result<CaRecords> load_ca_records(const CaPaths& paths, const std::string& counter_path);

// Reads the hex counter in file |path| (e.g. "01\n").
Result<bssl::UniquePtr<BIGNUM>> read_counter(const std::string& path);

// Returns the counter file contents for |value|: upper-case hex, even length, newline.
Result<std::string> format_counter(const BIGNUM* value);

// Writes |value| plus one to counter file |path|, replacing it.
Status bump_counter(const std::string& path, const BIGNUM* value);

}  // namespace sipring::certs
