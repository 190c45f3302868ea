// sipring_config: a Config read from a Kamailio-style file, or built by parameter calls that the
// registry validates exactly as it validates a config file's modparam lines.
#include <filesystem>
#include <string>
#include <system_error>

#include "engine/api/c_abi.h"
#include "engine/config/config_registry.h"

namespace sipring::capi {
namespace {

// The statements a config file has outside modparam: listen= and enable_tls=.
Status set_core(Config& cfg, std::string_view name, const ParamValue& value) {
  if (name == "listen") {
    // listen= lines and modparam("sipring", "listen", ...) fill the same list.
    Result<const ParamDef*> def = lookup_param("sipring", "listen");
    if (!def) return def.status();
    return set_param(cfg, *def.value(), value);
  }
  if (name == "enable_tls" || name == "tls_enable") {
    bool on = value.number != 0;  // as Kamailio's grammar: any non-zero number is true
    if (!value.is_number && !parse_config_bool(value.text, &on)) {
      return format_error(Errc::kConfig, "core.enable_tls: \"{}\" is not a yes/no value",
                          value.text);
    }
    cfg.enable_tls = on;
    return Status::ok();
  }
  return format_error(Errc::kConfig,
                      "core.{} is not a sipring setting: module \"core\" takes listen and "
                      "enable_tls (the rest of Kamailio's core belongs to the SIP server)",
                      name);
}

int set(sipring_config* cfg, const char* module, const char* name, const ParamValue& value,
        char* err, size_t err_size) {
  if (cfg == nullptr || module == nullptr || name == nullptr) {
    return fail(err, err_size, SIPRING_ERR_INVALID_ARGUMENT,
                "sipring_config_set: cfg, module and name must not be NULL");
  }
  if (std::string_view(module) == "core") {
    Status s = set_core(cfg->config, name, value);
    return s ? SIPRING_OK : fail(err, err_size, s.error());
  }
  Result<const ParamDef*> def = lookup_param(module, name);
  if (!def) return fail(err, err_size, def.error());
  Status s = set_param(cfg->config, *def.value(), value);
  return s ? SIPRING_OK : fail(err, err_size, s.error());
}

}  // namespace

Status check_config(const Config& cfg) {
  // The rule config files follow (config_file.cc), for configurations built by parameter calls.
  if (!cfg.enable_tls && !cfg.listen.empty()) {
    return format_error(Errc::kConfig,
                        "{}: listen=tls:{} needs TLS enabled: set core.enable_tls to yes",
                        cfg.source, cfg.listen[0].addr.to_string());
  }
  return Status::ok();
}

}  // namespace sipring::capi

using namespace sipring;

extern "C" {

sipring_config* sipring_config_new(void) {
  return capi::guarded<sipring_config*>("sipring_config_new", nullptr, 0, nullptr, [] {
    auto cfg = std::make_unique<sipring_config>();
    cfg->config.source = "sipring_config";
    // Relative paths set later resolve as a config file in the working directory's would.
    std::error_code ec;
    cfg->config.config_dir = std::filesystem::current_path(ec).string();
    return cfg.release();
  });
}

sipring_config* sipring_config_load(const char* path, char* err, size_t err_size) {
  return capi::guarded<sipring_config*>("sipring_config_load", err, err_size, nullptr,
                                        [&]() -> sipring_config* {
                                          if (path == nullptr) {
                                            capi::fail(err, err_size, SIPRING_ERR_INVALID_ARGUMENT,
                                                       "sipring_config_load: path is NULL");
                                            return nullptr;
                                          }
                                          Result<Config> loaded = load_config_file(path);
                                          if (!loaded) {
                                            capi::fail(err, err_size, loaded.error());
                                            return nullptr;
                                          }
                                          auto cfg = std::make_unique<sipring_config>();
                                          cfg->config = std::move(loaded.value());
                                          return cfg.release();
                                        });
}

int sipring_config_set(sipring_config* cfg, const char* module, const char* name, const char* value,
                       char* err, size_t err_size) {
  return capi::guarded("sipring_config_set", err, err_size, int{SIPRING_ERR_INTERNAL}, [&] {
    if (value == nullptr) {
      return capi::fail(err, err_size, SIPRING_ERR_INVALID_ARGUMENT,
                        "sipring_config_set: value is NULL");
    }
    return capi::set(cfg, module, name, ParamValue::of_text(value), err, err_size);
  });
}

int sipring_config_set_int(sipring_config* cfg, const char* module, const char* name, int64_t value,
                           char* err, size_t err_size) {
  return capi::guarded("sipring_config_set_int", err, err_size, int{SIPRING_ERR_INTERNAL}, [&] {
    return capi::set(cfg, module, name, ParamValue::of_number(value), err, err_size);
  });
}

void sipring_config_free(sipring_config* cfg) {
  delete cfg;
}

}  // extern "C"
