// The engine's RPCs, as Kamailio operators know them from sercmd/kamcmd: cfg.* for parameters,
// tls.* for connections and reloads, core.* for the process. Each handler only parses its
// params and calls the public Engine API; the work (and its locking-free reactor calls) is there.
#include "engine/control/engine_rpcs.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/error_format.h"
#include "engine/config/config_registry.h"
#include "engine/control/metrics_http.h"

namespace sipring {
namespace {

Error bad_params(const char* usage) {
  return make_error(Errc::kInvalidArgument, "expected parameters: %s", usage);
}

// Positional string parameter i, or null.
const std::string* str_at(const JsonValue& params, size_t i) {
  if (!params.is_array() || params.size() <= i) return nullptr;
  const JsonValue& v = params[i];
  return v.is_string() ? &v.get_ref<const std::string&>() : nullptr;
}

// An integer parameter that fits int64. parse_json() makes a non-negative integer a uint64, so
// 2^63 and above are refused here rather than wrapping; fractions and exponents are doubles and
// never integers.
std::optional<int64_t> int64_of(const JsonValue& v) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}

// A parameter's current value as JSON, typed as the registry types it.
JsonValue typed(const ParamDef& def, const std::string& text) {
  if (def.type == ParamType::kInt || def.type == ParamType::kBool) {
    int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && p == text.data() + text.size()) return JsonValue(n);
  }
  return JsonValue(text);
}

Result<JsonValue> set_now(Engine& engine, const JsonValue& params, bool want_int) {
  const char* usage = want_int ? "MODULE NAME INTEGER" : "MODULE NAME STRING";
  const std::string* module = str_at(params, 0);
  const std::string* name = str_at(params, 1);
  if (module == nullptr || name == nullptr || params.size() != 3) return bad_params(usage);
  const JsonValue& v = params[2];
  if (want_int) {
    const std::optional<int64_t> n = int64_of(v);
    if (!n) {
      return make_error(Errc::kInvalidArgument,
                        "%s.%s: cfg.set_now_int needs an integer value (use cfg.set_now_string "
                        "for text)",
                        module->c_str(), name->c_str());
    }
    if (Status s = engine.set_param(*module, *name, std::to_string(*n), true); !s) return s;
    return JsonValue();
  }
  if (!v.is_string()) {
    return make_error(Errc::kInvalidArgument, "%s.%s: cfg.set_now_string needs a string value",
                      module->c_str(), name->c_str());
  }
  if (Status s = engine.set_param(*module, *name, v.get_ref<const std::string&>(), false); !s) {
    return s;
  }
  return JsonValue();
}

Result<JsonValue> cfg_get(Engine& engine, const JsonValue& params) {
  const std::string* module = str_at(params, 0);
  const std::string* name = str_at(params, 1);
  if (module == nullptr || name == nullptr) return bad_params("MODULE NAME");
  auto def = lookup_param(*module, *name);
  if (!def) return Error{Errc::kInvalidArgument, def.error().message};
  auto v = engine.get_param(*module, *name);
  if (!v) return Error{Errc::kInvalidArgument, v.error().message};
  return typed(*def.value(), v.value());
}

// Every parameter this build stores: module, name, value, whether it may change at runtime.
Result<JsonValue> cfg_list(Engine& engine, std::string_view only_module) {
  if (!only_module.empty() && only_module != "tls" && only_module != "sipring" &&
      only_module != "ctl") {
    return make_error(Errc::kInvalidArgument,
                      "module \"%.*s\" is not part of sipring (tls, sipring and ctl are)",
                      static_cast<int>(only_module.size()), only_module.data());
  }
  JsonValue out = JsonValue::array();
  for (const ParamDef& def : param_registry()) {
    if (def.support != ParamSupport::kSupported) continue;
    if (!only_module.empty() && def.module != only_module) continue;
    auto v = engine.get_param(def.module, def.name);
    if (!v) continue;
    out.push_back(JsonValue::object({{"module", def.module},
                                     {"name", def.name},
                                     {"value", typed(def, v.value())},
                                     {"runtime", def.runtime}}));
  }
  return out;
}

// tls.options: the TLS module's parameters as one object, Kamailio style.
Result<JsonValue> tls_options(Engine& engine) {
  JsonValue out = JsonValue::object();
  for (const ParamDef& def : param_registry()) {
    if (def.module != "tls" || def.support != ParamSupport::kSupported) continue;
    auto v = engine.get_param(def.module, def.name);
    if (v) out[std::string(def.name)] = typed(def, v.value());
  }
  return out;
}

// What the PROXY header of a proxy listener's connection said; null for other connections.
// unique_id is opaque bytes: as text, and as hex for ids that are not.
JsonValue proxy_json(const std::optional<ProxyFacts>& p) {
  if (!p) return nullptr;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : p->unique_id) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  JsonValue out = JsonValue::object({
      {"version", p->version},
      {"command", p->local ? "LOCAL" : "PROXY"},
      {"balancer", p->balancer.to_string()},
      {"destination", p->destination.empty() ? "" : p->destination.to_string()},
      {"authority", p->authority},
      {"unique_id", p->unique_id},
      {"unique_id_hex", hex},
      {"alpn", p->alpn},
      {"netns", p->netns},
      {"crc32c", p->crc32c},
  });
  if (p->ssl) {
    out["ssl"] = JsonValue::object({
        {"client", p->ssl_client},
        {"verify", p->ssl_verify},
        {"version", p->ssl_version},
        {"cn", p->ssl_cn},
        {"cipher", p->ssl_cipher},
        {"sig_alg", p->ssl_sig_alg},
        {"key_alg", p->ssl_key_alg},
    });
  } else {
    out["ssl"] = nullptr;
  }
  return out;
}

Result<JsonValue> tls_list(Engine& engine) {
  auto conns = engine.connections();
  if (!conns) return conns.status();
  JsonValue out = JsonValue::array();
  for (const ConnectionInfo& c : conns.value()) {
    out.push_back(JsonValue::object({
        {"id", std::to_string(c.id.raw())},
        {"domain", c.domain},
        {"sni", c.sni},
        {"timestamp",
         std::chrono::duration_cast<std::chrono::seconds>(c.started.time_since_epoch()).count()},
        {"timeout", c.timeout.count()},
        {"src", c.peer.to_string()},
        {"dst", c.local.to_string()},
        {"cipher", c.cipher},
        {"state", c.state},
        {"queued", c.queued_bytes},
        {"proxy", proxy_json(c.proxy)},
    }));
  }
  return out;
}

// The one parameter of tls.kill and tls.facts: a connection id as tls.list shows it (a string of
// digits, or a positive JSON integer for clients whose numbers are exact).
Result<ConnId> connection_id(const JsonValue& params) {
  if (!params.is_array() || params.size() != 1) return bad_params("CONNECTION_ID");
  const JsonValue& v = params[0];
  uint64_t id = 0;
  if (v.is_number_unsigned() && v.get<uint64_t>() > 0) {
    id = v.get<uint64_t>();
  } else if (v.is_string()) {
    const std::string& t = v.get_ref<const std::string&>();
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), id);
    if (ec != std::errc() || p != t.data() + t.size()) return bad_params("CONNECTION_ID");
  } else {
    return bad_params("CONNECTION_ID (as tls.list shows it)");
  }
  return ConnId(id);
}

Result<JsonValue> tls_kill(Engine& engine, const JsonValue& params) {
  Result<ConnId> id = connection_id(params);
  if (!id) return id.status();
  Status s = engine.close_connection(*id);
  if (!s) return s;
  return JsonValue();
}

JsonValue names_json(const NameFields& n) {
  return JsonValue::object({{"cn", n.cn},
                            {"o", n.o},
                            {"ou", n.ou},
                            {"c", n.c},
                            {"st", n.st},
                            {"l", n.l},
                            {"text", n.text}});
}

JsonValue cert_json(const std::optional<CertFacts>& c) {
  if (!c) return JsonValue();
  return JsonValue::object({{"subject", names_json(c->subject)},
                            {"issuer", names_json(c->issuer)},
                            {"serial", c->serial},
                            {"not_before", c->not_before_text},
                            {"not_after", c->not_after_text},
                            {"san_dns", c->san_dns},
                            {"san_uri", c->san_uri},
                            {"san_ip", c->san_ip},
                            {"san_email", c->san_email},
                            {"self_signed", c->self_signed},
                            {"version", c->version},
                            {"key_type", c->key_type},
                            {"pem", c->pem}});
}

// tls.facts ID: the TLS module's selects for one connection ($tls_* in Kamailio).
Result<JsonValue> tls_facts(Engine& engine, const JsonValue& params) {
  Result<ConnId> id = connection_id(params);
  if (!id) return id.status();
  auto f = engine.tls_facts(*id);
  if (!f) return f.status();
  return JsonValue::object({
      {"version", f->version_text},
      {"cipher", f->cipher},
      {"cipher_bits", f->cipher_bits},
      {"sni", f->sni},
      {"domain", f->domain},
      {"client_role", f->client_role},
      {"peer_presented", f->peer_presented},
      {"peer_verified", f->peer_verified},
      {"peer_revoked", f->peer_revoked},
      {"peer_expired", f->peer_expired},
      {"peer_self_signed", f->peer_self_signed},
      {"verify_result", f->verify_result},
      {"verify_error", f->verify_error},
      {"peer", cert_json(f->peer)},
      {"own", cert_json(f->own)},
      {"proxy", proxy_json(f->proxy)},
  });
}

// tls.certs: the certificate every TLS domain presents, as loaded, with the days it has left.
// subjectAltNames are one list, typed the way OpenSSL prints them ("DNS:sip.example.com").
Result<JsonValue> tls_certs(Engine& engine) {
  auto certs = engine.tls_certificates();
  if (!certs) return certs.status();
  JsonValue out = JsonValue::array();
  for (const TlsCertificate& c : certs.value()) {
    const std::pair<const char*, const std::vector<std::string>*> kinds[] = {
        {"DNS:", &c.facts.san_dns},
        {"IP:", &c.facts.san_ip},
        {"URI:", &c.facts.san_uri},
        {"email:", &c.facts.san_email}};
    JsonValue san = JsonValue::array();
    for (const auto& [prefix, list] : kinds) {
      for (const std::string& v : *list) san.push_back(prefix + v);
    }
    out.push_back(JsonValue::object({
        {"domain", c.domain},
        {"file", c.file},
        {"subject", c.facts.subject.text},
        {"san", std::move(san)},
        {"issuer", c.facts.issuer.text},
        {"serial", c.facts.serial},
        {"key_type", c.facts.key_type},
        {"not_before", c.facts.not_before_text},
        {"not_after", c.facts.not_after_text},
        {"days_left", c.days_left},
    }));
  }
  return out;
}

Result<JsonValue> tls_info(Engine& engine) {
  auto t = engine.tls_summary();
  if (!t) return t.status();
  return JsonValue::object({
      {"max_connections", t->max_connections},
      {"opened_connections", t->opened_connections},
      {"clear_text_write_queued_bytes", t->clear_text_queued_bytes},
      {"send_queued_bytes", t->send_queued_bytes},
      {"send_queue_budget", t->send_queue_budget},
      {"partial_bytes", t->partial_bytes},
      {"partial_budget", t->partial_budget},
      {"handshakes_in_progress", t->handshakes_in_progress},
      {"max_connections_per_source", t->max_connections_per_source},
  });
}

// tls.ticket_keys: where the session-ticket keys come from and which one seals; never key
// material (keys are named by a fingerprint of their name).
JsonValue ticket_keys_json(const TicketKeyInfo& k) {
  return JsonValue::object({
      {"file", k.file},
      {"keys", k.keys},
      {"sealing", k.sealing},
      {"bits", k.bits},
      {"fingerprints", k.fingerprints},
      {"file_lines", k.file_lines},
      {"loaded_at", k.loaded_at},
      {"last_error", k.last_error},
      {"last_error_at", k.last_error_at},
      {"loads", k.loads},
      {"refused", k.refused},
      {"rotations", k.rotations},
  });
}

// core.drain: the listeners close (the node looks down to a balancer), connections stay.
Result<JsonValue> core_drain(Engine& engine) {
  auto d = engine.drain();
  if (!d) return d.status();
  return JsonValue::object({
      {"draining", true},
      {"first", d->first},
      {"connections", d->connections},
      {"accepted", d->accepted},
      {"per_reactor", d->per_reactor},
  });
}

// core.shutdown [GRACE_MS]: the answer goes out before the program stops (RpcServer::stop sends
// what is answered already), so the caller learns that its request was taken.
Result<JsonValue> core_shutdown(Engine& engine, const JsonValue& params) {
  constexpr int64_t kMaxGraceMs = 600000;  // as the daemon's --grace-ms
  int64_t grace = -1;
  if (params.is_array() && params.size() == 1) {
    std::optional<int64_t> n = int64_of(params[0]);
    if (!n && params[0].is_string()) {
      const std::string& t = params[0].get_ref<const std::string&>();
      int64_t v = 0;
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (ec == std::errc() && p == t.data() + t.size()) n = v;
    }
    if (!n || *n < 0 || *n > kMaxGraceMs) {
      return make_error(Errc::kInvalidArgument,
                        "core.shutdown: GRACE_MS must be milliseconds in [0, %lld]",
                        static_cast<long long>(kMaxGraceMs));
    }
    grace = *n;
  } else if (!params.is_array() || params.size() > 1) {
    return bad_params("[GRACE_MS]");
  }
  if (Status s = engine.request_shutdown(std::chrono::milliseconds(grace)); !s) return s;
  return JsonValue(grace < 0 ? std::string("stopping")
                             : "stopping (grace " + std::to_string(grace) + " ms)");
}

}  // namespace

void register_engine_rpcs(RpcServer& server, Engine& engine, const MetricsHttp* metrics) {
  Engine* e = &engine;
  server.add("cfg.set_now_int", "MODULE NAME INTEGER",
             "Changes an integer parameter now (only those the manual allows at runtime)",
             [e](const JsonValue& p) { return set_now(*e, p, true); });
  server.add("cfg.set_now_string", "MODULE NAME STRING",
             "Changes a string parameter now (e.g. tls config; takes effect at tls.reload)",
             [e](const JsonValue& p) { return set_now(*e, p, false); });
  server.add("cfg.get", "MODULE NAME", "Shows a parameter's current value",
             [e](const JsonValue& p) { return cfg_get(*e, p); });
  server.add("cfg.list", "[MODULE]", "Lists every parameter with its value and runtime flag",
             [e](const JsonValue& p) {
               const std::string* m = str_at(p, 0);
               return cfg_list(*e, m ? *m : std::string());
             });
  server.add("tls.options", "", "Shows the TLS module's parameters",
             [e](const JsonValue&) { return tls_options(*e); });
  server.add("tls.info", "", "Connection limits and counts, and clear-text bytes queued",
             [e](const JsonValue&) { return tls_info(*e); });
  server.add("tls.list", "", "Lists TLS connections (id, domain, SNI, times, addresses, cipher)",
             [e](const JsonValue&) { return tls_list(*e); });
  server.add("tls.kill", "CONNECTION_ID", "Closes a TLS connection (its id from tls.list)",
             [e](const JsonValue& p) { return tls_kill(*e, p); });
  server.add("tls.facts", "CONNECTION_ID",
             "TLS facts of a connection: version, cipher, SNI, verification, both certificates",
             [e](const JsonValue& p) { return tls_facts(*e, p); });
  server.add("tls.certs", "",
             "Certificates of every TLS domain in use: subject, SANs, notAfter, days left, file",
             [e](const JsonValue&) { return tls_certs(*e); });
  server.add("tls.reload", "",
             "Re-reads certificates, keys, CA lists, CRLs, the tls.cfg file and "
             "tls.ticket_key_file; new connections use them, established ones keep theirs",
             [e](const JsonValue&) -> Result<JsonValue> {
               Status s = e->reload_tls();
               if (!s) return s;
               return JsonValue("TLS configuration reloaded");
             });
  server.add(
      "tls.ticket_keys", "",
      "Session-ticket keys: file, keys held, which seals (fingerprints only), last "
      "read and last refusal",
      [e](const JsonValue&) -> Result<JsonValue> { return ticket_keys_json(e->ticket_keys()); });
  server.add("tls.ticket_keys_reload", "",
             "Re-reads tls.ticket_key_file (only the keys; tls.reload also does); a bad file "
             "changes nothing",
             [e](const JsonValue&) -> Result<JsonValue> {
               Status s = e->reload_ticket_keys();
               if (!s) return s;
               return ticket_keys_json(e->ticket_keys());
             });
  server.add("core.version", "", "sipring's version and what it uses",
             [e](const JsonValue&) -> Result<JsonValue> {
               return JsonValue("sipring " SIPRING_VERSION "; " + e->features());
             });
  server.add("core.stats", "",
             "Every counter, in total and per reactor; with ctl.metrics also the /metrics "
             "endpoint's own (\"metrics\")",
             [e, metrics](const JsonValue&) -> Result<JsonValue> {
               JsonValue out = counters_json(e->stats());
               // Read on the control thread, which counts them (MetricsHttp::counters()).
               if (metrics != nullptr) out["metrics"] = metrics_http_json(metrics->counters());
               return out;
             });
  server.add("core.drain", "",
             "Stops accepting and closes the listening sockets (a balancer sees the node down); "
             "established connections are served until they close. Says how many remain; "
             "call again to see the count now",
             [e](const JsonValue&) { return core_drain(*e); });
  server.add("core.shutdown", "[GRACE_MS]",
             "Stops the program as SIGTERM does (grace: GRACE_MS, else its own); answers first",
             [e](const JsonValue& p) { return core_shutdown(*e, p); });
}

}  // namespace sipring
