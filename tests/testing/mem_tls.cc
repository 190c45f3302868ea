#include "tests/testing/mem_tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <cstring>

namespace sipring::test {
namespace {

int mem_ssl_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::string ssl_error_text(const char* what, int code) {
  std::string s = std::string(what) + " failed (SSL_get_error " + std::to_string(code) + ")";
  uint32_t e = ERR_get_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    s += ": ";
    s += buf;
  }
  ERR_clear_error();
  return s;
}

}  // namespace

bool VectorSink::write(std::span<const uint8_t> b) noexcept {
  if (refuse) return false;
  bytes.insert(bytes.end(), b.begin(), b.end());
  return true;
}

std::vector<uint8_t> VectorSink::take() {
  std::vector<uint8_t> out;
  out.swap(bytes);
  return out;
}

std::vector<std::vector<uint8_t>> split_records(std::span<const uint8_t> s,
                                                std::vector<uint8_t>* rest) {
  std::vector<std::vector<uint8_t>> out;
  size_t pos = 0;
  while (s.size() - pos >= 5) {
    size_t len = 5 + ((size_t{s[pos + 3]} << 8) | s[pos + 4]);
    if (s.size() - pos < len) break;
    out.emplace_back(s.begin() + pos, s.begin() + pos + len);
    pos += len;
  }
  if (rest != nullptr) rest->assign(s.begin() + pos, s.end());
  return out;
}

std::unique_ptr<MemSsl> MemSsl::client(SSL_CTX* ctx, const char* sni, SSL_SESSION* session) {
  std::unique_ptr<MemSsl> m(new MemSsl());
  m->ssl_.reset(SSL_new(ctx));
  m->rbio_ = BIO_new(BIO_s_mem());
  m->wbio_ = BIO_new(BIO_s_mem());
  SSL_set_bio(m->ssl_.get(), m->rbio_, m->wbio_);
  SSL_set_connect_state(m->ssl_.get());
  if (sni != nullptr) SSL_set_tlsext_host_name(m->ssl_.get(), sni);
  if (session != nullptr) SSL_set_session(m->ssl_.get(), session);
  SSL_set_ex_data(m->ssl_.get(), mem_ssl_index(), m.get());
  SSL_CTX_sess_set_new_cb(ctx, &MemSsl::on_new_session);
  return m;
}

std::unique_ptr<MemSsl> MemSsl::server(SSL_CTX* ctx) {
  std::unique_ptr<MemSsl> m(new MemSsl());
  m->ssl_.reset(SSL_new(ctx));
  m->rbio_ = BIO_new(BIO_s_mem());
  m->wbio_ = BIO_new(BIO_s_mem());
  SSL_set_bio(m->ssl_.get(), m->rbio_, m->wbio_);
  SSL_set_accept_state(m->ssl_.get());
  return m;
}

MemSsl::~MemSsl() = default;

int MemSsl::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<MemSsl*>(SSL_get_ex_data(ssl, mem_ssl_index()));
  if (self == nullptr) return 0;
  self->sessions_.emplace_back(session);  // returning 1 takes BoringSSL's reference
  return 1;
}

void MemSsl::give(std::span<const uint8_t> bytes) {
  if (!bytes.empty()) BIO_write(rbio_, bytes.data(), static_cast<int>(bytes.size()));
}

std::vector<uint8_t> MemSsl::take() {
  const uint8_t* data = nullptr;
  size_t len = 0;
  BIO_mem_contents(wbio_, &data, &len);
  std::vector<uint8_t> out(data, data + len);
  BIO_reset(wbio_);
  return out;
}

std::vector<uint8_t> MemSsl::write(std::span<const uint8_t> plaintext) {
  size_t done = 0;
  while (done < plaintext.size()) {
    size_t n = std::min<size_t>(plaintext.size() - done, 16384);
    int r = SSL_write(ssl_.get(), plaintext.data() + done, static_cast<int>(n));
    if (r <= 0) {
      ERR_clear_error();
      take();
      return {};
    }
    done += static_cast<size_t>(r);
  }
  if (plaintext.empty()) SSL_write(ssl_.get(), "", 0);  // flushes a queued KeyUpdate
  return take();
}

int MemSsl::read_all(std::vector<uint8_t>* out, std::vector<size_t>* chunks) {
  uint8_t buf[16384];
  for (;;) {
    int r = SSL_read(ssl_.get(), buf, sizeof(buf));
    if (r > 0) {
      out->insert(out->end(), buf, buf + r);
      if (chunks != nullptr) chunks->push_back(static_cast<size_t>(r));
      continue;
    }
    int err = SSL_get_error(ssl_.get(), r);
    ERR_clear_error();
    return err;
  }
}

bool handshake(MemSsl& client, TlsConn& server, std::string* error,
               std::vector<uint8_t>* leftover) {
  std::vector<uint8_t> to_server;
  bool client_done = false;
  bool server_done = false;
  if (leftover != nullptr) leftover->clear();
  for (int round = 0; round < 16; round++) {
    if (!client_done) {
      int r = SSL_do_handshake(client.ssl());
      if (r == 1) {
        client_done = true;
      } else {
        int err = SSL_get_error(client.ssl(), r);
        if (err != SSL_ERROR_WANT_READ) {
          *error = ssl_error_text("client handshake", err);
          return false;
        }
      }
    }
    std::vector<uint8_t> out = client.take();
    to_server.insert(to_server.end(), out.begin(), out.end());
    if (!server_done && !to_server.empty()) {
      VectorSink sink;
      size_t consumed = 0;
      TlsConn::Step step = server.handshake(to_server, &consumed, sink);
      client.give(sink.bytes);
      if (step == TlsConn::Step::kFailed) {
        *error = std::string("server handshake failed: ") + server.failure_reason();
        return false;
      }
      if (step == TlsConn::Step::kDone) {
        server_done = true;
        if (leftover != nullptr) leftover->assign(to_server.begin() + consumed, to_server.end());
      } else if (consumed != to_server.size()) {
        *error = "server handshake wants more but left " +
                 std::to_string(to_server.size() - consumed) + " bytes unconsumed";
        return false;
      }
      to_server.clear();
    }
    if (client_done && server_done) return true;
  }
  *error = "handshake did not finish in 16 rounds";
  return false;
}

bool handshake(MemSsl& client, MemSsl& server, std::string* error) {
  for (int round = 0; round < 16; round++) {
    int rc = SSL_do_handshake(client.ssl());
    if (rc != 1 && SSL_get_error(client.ssl(), rc) != SSL_ERROR_WANT_READ) {
      *error = ssl_error_text("client handshake", SSL_get_error(client.ssl(), rc));
      return false;
    }
    server.give(client.take());
    int rs = SSL_do_handshake(server.ssl());
    if (rs != 1 && SSL_get_error(server.ssl(), rs) != SSL_ERROR_WANT_READ) {
      *error = ssl_error_text("server handshake", SSL_get_error(server.ssl(), rs));
      return false;
    }
    client.give(server.take());
    if (rc == 1 && rs == 1) return true;
  }
  *error = "handshake did not finish in 16 rounds";
  return false;
}

bool handshake(TlsConn& client, TlsConn& server, std::string* error) {
  std::vector<uint8_t> to_client;
  std::vector<uint8_t> to_server;
  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 16; round++) {
    if (!client_done) {
      VectorSink sink;
      size_t consumed = 0;
      TlsConn::Step step = client.handshake(to_client, &consumed, sink);
      to_server.insert(to_server.end(), sink.bytes.begin(), sink.bytes.end());
      if (step == TlsConn::Step::kFailed) {
        *error = std::string("client handshake failed: ") + client.failure_reason();
        return false;
      }
      if (step == TlsConn::Step::kDone) {
        client_done = true;
        // What follows the handshake (e.g. tickets) is application-phase input for read().
        to_client.erase(to_client.begin(), to_client.begin() + consumed);
      } else {
        to_client.clear();
      }
    }
    if (!server_done && !to_server.empty()) {
      VectorSink sink;
      size_t consumed = 0;
      TlsConn::Step step = server.handshake(to_server, &consumed, sink);
      to_client.insert(to_client.end(), sink.bytes.begin(), sink.bytes.end());
      if (step == TlsConn::Step::kFailed) {
        *error = std::string("server handshake failed: ") + server.failure_reason();
        return false;
      }
      if (step == TlsConn::Step::kDone) server_done = true;
      to_server.clear();
    }
    if (client_done && server_done) {
      if (!to_client.empty()) {
        // Post-handshake bytes for the client (tickets): hand them to its buffered reader.
        client.feed(to_client);
        VectorSink sink;
        uint8_t buf[256];
        size_t n = 0;
        TlsConn::Read r = client.read(buf, sizeof(buf), &n, sink);
        if (r != TlsConn::Read::kNeedMore) {
          *error = "client read after the handshake did not ask for more";
          return false;
        }
      }
      return true;
    }
  }
  *error = "handshake did not finish in 16 rounds";
  return false;
}

std::vector<uint8_t> seal_record(TlsConn& server, std::span<const uint8_t> plaintext) {
  const size_t prefix = server.record_prefix();
  std::vector<uint8_t> buf(prefix + plaintext.size() + server.record_suffix_max());
  if (!plaintext.empty()) memcpy(buf.data() + prefix, plaintext.data(), plaintext.size());
  size_t n = server.seal(buf.data(), plaintext.size());
  if (n == 0) return {};
  buf.resize(n);
  return buf;
}

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string as_string(std::span<const uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace sipring::test
