// Tests of the parameter registry (engine/config/config_registry.h) and the Kamailio-style config file
// parser (load_config_file / parse_config_text).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "engine/config/config_registry.h"
#include "sipring/config.h"

namespace sipring {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kName[] = "sipring.cfg";
constexpr char kDir[] = "/etc/sipring";

// The smallest file that serves TLS; tests append to it or replace parts of it.
const std::string kMinimal =
    "loadmodule \"tls.so\"\n"
    "modparam(\"tls\", \"certificate\", \"/etc/sipring/cert.pem\")\n"
    "enable_tls=yes\n"
    "listen=tls:127.0.0.1:5061\n";

Result<Config> parse(const std::string& text, const std::string& dir = kDir) {
  return parse_config_text(text, kName, dir);
}

Config must_parse(const std::string& text, const std::string& dir = kDir) {
  Result<Config> r = parse(text, dir);
  EXPECT_TRUE(r.is_ok()) << (r.is_ok() ? "" : r.error().message) << "\n--- text:\n" << text;
  return r.is_ok() ? std::move(r).value() : Config{};
}

// The error message of a text that must fail to parse.
std::string parse_error(const std::string& text, const std::string& dir = kDir) {
  Result<Config> r = parse(text, dir);
  EXPECT_FALSE(r.is_ok()) << "parsed but should not have:\n" << text;
  if (r.is_ok()) return "";
  EXPECT_EQ(r.error().code, Errc::kConfig) << r.error().message;
  return r.error().message;
}

const ParamDef& def_of(std::string_view module, std::string_view name) {
  const ParamDef* def = find_param(module, name);
  EXPECT_NE(def, nullptr) << module << "." << name;
  static const ParamDef kNone;
  return def ? *def : kNone;
}

Status set(Config& cfg, std::string_view module, std::string_view name, const ParamValue& v) {
  return set_param(cfg, def_of(module, name), v);
}

ParamValue num(int64_t n) {
  return ParamValue::of_number(n);
}
ParamValue text(std::string_view s) {
  return ParamValue::of_text(s);
}

std::string cwd() {
  return std::filesystem::current_path().string();
}

// ---------------------------------------------------------------- registry shape

TEST(Registry, NamesAndAliasesAreUniquePerModule) {
  std::set<std::string> seen;
  for (const ParamDef& def : param_registry()) {
    EXPECT_TRUE(def.module == "tls" || def.module == "sipring" || def.module == "ctl") << def.name;
    EXPECT_TRUE(seen.insert(std::string(def.module) + "." + std::string(def.name)).second)
        << def.name;
    for (std::string_view a : def.aliases) {
      EXPECT_TRUE(seen.insert(std::string(def.module) + "." + std::string(a)).second) << a;
    }
    EXPECT_FALSE(def.description.empty()) << def.name;
  }
}

TEST(Registry, DeclaresEveryParameterOfTheTlsManual) {
  const char* manual[] = {"tls_method",
                          "certificate",
                          "private_key",
                          "ca_list",
                          "crl",
                          "verify_certificate",
                          "verify_depth",
                          "require_certificate",
                          "cipher_list",
                          "send_timeout",
                          "handshake_timeout",
                          "connection_timeout",
                          "tls_disable_compression",
                          "ssl_release_buffers",
                          "ssl_free_list_max_len",
                          "ssl_max_send_fragment",
                          "ssl_read_ahead",
                          "send_close_notify",
                          "con_ct_wq_max",
                          "ct_wq_max",
                          "ct_wq_blk_size",
                          "tls_log",
                          "tls_debug",
                          "low_mem_threshold1",
                          "low_mem_threshold2",
                          "tls_force_run",
                          "config"};
  for (const char* name : manual) EXPECT_NE(find_param("tls", name), nullptr) << name;
}

TEST(Registry, DeclaresEveryEngineParamsField) {
  const char* fields[] = {"reactors",         "cpus",
                          "ring_entries",     "recv_buffers",
                          "recv_buffer_size", "handoff_entries",
                          "reply_ring_bytes", "max_connections",
                          "max_message_size", "handshake_timeout_ms",
                          "reuseport",        "busy_poll_us"};
  for (const char* name : fields) {
    const ParamDef* def = find_param("sipring", name);
    ASSERT_NE(def, nullptr) << name;
    EXPECT_EQ(def->support, ParamSupport::kSupported) << name;
  }
}

TEST(Registry, SupportedParamsStoreAFieldOthersDoNot) {
  for (const ParamDef& def : param_registry()) {
    EXPECT_EQ(def.field != nullptr, def.support == ParamSupport::kSupported) << def.name;
  }
}

TEST(Registry, DefaultTextOfEverySupportedParamIsWhatConfigHolds) {
  const Config defaults;
  for (const ParamDef& def : param_registry()) {
    if (def.support != ParamSupport::kSupported) continue;
    Result<std::string> v = format_param(defaults, def);
    ASSERT_TRUE(v.is_ok()) << def.name;
    EXPECT_EQ(*v, def.default_text) << def.module << "." << def.name;
  }
}

TEST(Registry, EverySupportedParamAcceptsItsOwnDefaultText) {
  for (const ParamDef& def : param_registry()) {
    if (def.support != ParamSupport::kSupported) continue;
    Config cfg;
    Status s = set_param(cfg, def, text(def.default_text));
    EXPECT_TRUE(s.is_ok()) << s.message();
    EXPECT_EQ(format_param(cfg, def).value(), def.default_text) << def.name;
  }
}

TEST(Registry, IntRangesContainTheDefaultAndFitTheField) {
  for (const ParamDef& def : param_registry()) {
    if (def.type != ParamType::kInt && def.type != ParamType::kIntList) continue;
    EXPECT_LE(def.min, def.max) << def.name;
    EXPECT_GE(def.min, INT_MIN) << def.name;
    EXPECT_LE(def.max, INT_MAX) << def.name;
    if (def.type == ParamType::kInt && !def.default_text.empty()) {
      const int64_t d = std::stoll(std::string(def.default_text));
      EXPECT_GE(d, def.min) << def.name;
      EXPECT_LE(d, def.max) << def.name;
      if (def.power_of_two) {
        EXPECT_EQ(d & (d - 1), 0) << def.name;
      }
    }
    if (def.field == nullptr) continue;
    Config cfg;
    if (std::holds_alternative<uint32_t*>(def.field(cfg))) {
      EXPECT_GE(def.min, 0) << def.name;
    }
  }
}

TEST(Registry, EveryIntParamRefusesValuesJustOutsideItsRange) {
  for (const ParamDef& def : param_registry()) {
    if (def.type != ParamType::kInt || def.support != ParamSupport::kSupported) continue;
    const std::string range = "[" + std::to_string(def.min) + ", " + std::to_string(def.max) + "]";
    Config cfg;
    for (int64_t v : {def.min - 1, def.max + 1}) {
      Status s = set_param(cfg, def, num(v));
      EXPECT_THAT(s.message(),
                  AllOf(StartsWith(std::string(def.module) + "." + std::string(def.name) + ": "),
                        HasSubstr("out of range " + range)));
      EXPECT_EQ(s.code(), Errc::kConfig);
    }
    EXPECT_EQ(format_param(cfg, def).value(), def.default_text)
        << "a refused value changed " << def.name;
  }
}

TEST(Registry, EveryManualParameterIsSupportedOrObsolete) {
  const char* manual[] = {"tls_method", "certificate", "private_key", "ca_list", "crl",
                          "verify_certificate", "verify_depth", "require_certificate",
                          "cipher_list", "connection_timeout", "tls_disable_compression",
                          "ssl_release_buffers", "ssl_free_list_max_len", "ssl_max_send_fragment",
                          "ssl_read_ahead", "send_close_notify", "con_ct_wq_max", "ct_wq_max",
                          "ct_wq_blk_size", "tls_log", "tls_debug", "low_mem_threshold1",
                          "low_mem_threshold2", "tls_force_run", "config"};
  for (const char* name : manual) {
    EXPECT_EQ(def_of("tls", name).support, ParamSupport::kSupported) << name;
  }
  for (const char* name : {"send_timeout", "handshake_timeout"}) {
    EXPECT_EQ(def_of("tls", name).support, ParamSupport::kObsolete) << name;
  }
}

TEST(Registry, ValuesBoringSslCannotHonourAreRefusedWithTheReason) {
  struct Case {
    const char* name;
    int64_t bad;
    int64_t good;
    const char* why;
  } cases[] = {
      {"tls_disable_compression", 0, 1, "no TLS compression"},
      {"ssl_release_buffers", 0, -1, "always releases"},
      {"ssl_free_list_max_len", 32, 0, "no per-connection free lists"},
      {"ssl_max_send_fragment", 256, 4096, "at least 512"},
  };
  for (const Case& c : cases) {
    Config cfg;
    EXPECT_THAT(set(cfg, "tls", c.name, num(c.bad)).message(),
                AllOf(StartsWith("tls." + std::string(c.name) + ": "),
                      HasSubstr("cannot be honoured"), HasSubstr(c.why)))
        << c.name;
    EXPECT_TRUE(set(cfg, "tls", c.name, num(c.good)).is_ok()) << c.name;
  }
}

TEST(Registry, ConfigFrameworkNamesLogAndDebugAreAliases) {
  Config cfg;
  ASSERT_TRUE(set(cfg, "tls", "log", num(10)).is_ok());
  ASSERT_TRUE(set(cfg, "tls", "debug", num(7)).is_ok());
  EXPECT_EQ(cfg.tls.tls_log, 10);
  EXPECT_EQ(cfg.tls.tls_debug, 7);
}

TEST(Registry, ManualParamsCarryTheManualsDefaultsAndRuntimeFlags) {
  EXPECT_EQ(def_of("tls", "verify_depth").default_text, "9");
  EXPECT_EQ(def_of("tls", "con_ct_wq_max").default_text, "65536");
  EXPECT_EQ(def_of("tls", "ct_wq_max").default_text, "10485760");
  EXPECT_EQ(def_of("tls", "ct_wq_blk_size").default_text, "4096");
  EXPECT_EQ(def_of("tls", "ssl_max_send_fragment").default_text, "-1");
  EXPECT_TRUE(def_of("tls", "con_ct_wq_max").runtime);
  EXPECT_TRUE(def_of("tls", "tls_log").runtime);
  EXPECT_FALSE(def_of("tls", "verify_certificate").runtime);
  EXPECT_EQ(def_of("tls", "ca_list").type, ParamType::kPath);
}

TEST(Registry, ObsoleteTimeoutsNameTheirReplacements) {
  Config cfg;
  EXPECT_THAT(set(cfg, "tls", "send_timeout", num(10)).message(),
              AllOf(StartsWith("tls.send_timeout: "), HasSubstr("obsolete"),
                    HasSubstr("tcp_send_timeout"), HasSubstr("sipring"),
                    HasSubstr("send_timeout_ms")));
  EXPECT_THAT(set(cfg, "tls", "handshake_timeout", num(10)).message(),
              AllOf(StartsWith("tls.handshake_timeout: "), HasSubstr("obsolete"),
                    HasSubstr("tcp_connect_timeout"), HasSubstr("handshake_timeout_ms")));
}

TEST(Registry, RuntimeFlags) {
  EXPECT_TRUE(def_of("tls", "connection_timeout").runtime);
  EXPECT_TRUE(def_of("tls", "send_close_notify").runtime);
  EXPECT_FALSE(def_of("tls", "certificate").runtime);
  EXPECT_FALSE(def_of("sipring", "reactors").runtime);
}

// ---------------------------------------------------------------- lookup

TEST(RegistryLookup, MatchesAliasesAndIsCaseSensitive) {
  EXPECT_EQ(find_param("tls", "ssl_freelist_max_len"), find_param("tls", "ssl_free_list_max_len"));
  EXPECT_EQ(find_param("tls", "private"), find_param("tls", "private_key"));
  EXPECT_EQ(find_param("tls", "Certificate"), nullptr);
  EXPECT_EQ(find_param("TLS", "certificate"), nullptr);
  EXPECT_EQ(find_param("tls", "reactors"), nullptr);
  EXPECT_EQ(find_param("sipring", "nope"), nullptr);
}

TEST(RegistryLookup, UnknownNameSuggestsTheClosestOne) {
  Result<const ParamDef*> r = lookup_param("tls", "certficate");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.error().code, Errc::kConfig);
  EXPECT_THAT(r.error().message, AllOf(HasSubstr("no parameter \"certficate\""),
                                       HasSubstr("did you mean \"certificate\"")));
  EXPECT_THAT(lookup_param("tls", "zzzzzzzzzz").error().message,
              ::testing::Not(HasSubstr("did you mean")));
}

TEST(RegistryLookup, ParameterOfTheOtherModuleSaysWhichModule) {
  EXPECT_THAT(lookup_param("tls", "reactors").error().message,
              HasSubstr("modparam(\"sipring\", \"reactors\""));
  EXPECT_THAT(lookup_param("sipring", "certificate").error().message,
              HasSubstr("belongs to module \"tls\""));
}

TEST(RegistryLookup, UnknownModuleIsNotPartOfSipring) {
  EXPECT_THAT(lookup_param("auth", "x").error().message,
              HasSubstr("module \"auth\" is not part of sipring"));
}

// ---------------------------------------------------------------- tls parameters

TEST(TlsMethod, AcceptsModernMethodsAndStoresCanonicalSpelling) {
  for (const char* m : {"TLSv1.2", "TLSv1.3", "TLSv1.2+", "TLSv1.3+"}) {
    Config cfg;
    ASSERT_TRUE(set(cfg, "tls", "tls_method", text(m)).is_ok()) << m;
    EXPECT_EQ(cfg.tls.tls_method, m);
  }
  Config cfg;
  ASSERT_TRUE(set(cfg, "tls", "tls_method", text("tlsv1.3+")).is_ok());
  EXPECT_EQ(cfg.tls.tls_method, "TLSv1.3+");
}

TEST(TlsMethod, RefusesSslVersionsNamingTheReplacement) {
  for (const char* m : {"SSLv2", "SSLv3", "sslv3", "SSLv3+"}) {
    Config cfg;
    Status s = set(cfg, "tls", "tls_method", text(m));
    EXPECT_THAT(s.message(),
                AllOf(StartsWith("tls.tls_method: \"" + std::string(m) + "\""),
                      HasSubstr("refused"), HasSubstr("RFC 7568"), HasSubstr("TLSv1.2+")));
    EXPECT_EQ(cfg.tls.tls_method, "TLSv1.2+");
  }
}

TEST(TlsMethod, AcceptsTheManualsNamesAndRanges) {
  for (const char* m : {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", "TLSv1+", "TLSv1.1+", "TLSv1.2+",
                        "TLSv1.3+", "SSLv23"}) {
    Config cfg;
    EXPECT_TRUE(set(cfg, "tls", "tls_method", text(m)).is_ok()) << m;
    EXPECT_EQ(cfg.tls.tls_method, m);
  }
}

TEST(TlsMethod, RefusesUnknownNamesListingTheAllowedOnes) {
  Config cfg;
  EXPECT_THAT(set(cfg, "tls", "tls_method", text("DTLS")).message(),
              AllOf(HasSubstr("\"DTLS\" is not one of"), HasSubstr("TLSv1.2, TLSv1.3")));
  EXPECT_THAT(set(cfg, "tls", "tls_method", num(12)).message(), HasSubstr("expects a string"));
}

TEST(TlsParams, ConnectionTimeoutAcceptsNumbersQuotedNumbersAndMinusOne) {
  Config cfg;
  ASSERT_TRUE(set(cfg, "tls", "connection_timeout", num(60)).is_ok());
  EXPECT_EQ(cfg.tls.connection_timeout, 60);
  ASSERT_TRUE(set(cfg, "tls", "connection_timeout", text("180")).is_ok());
  EXPECT_EQ(cfg.tls.connection_timeout, 180);
  ASSERT_TRUE(set(cfg, "tls", "connection_timeout", num(-1)).is_ok());
  EXPECT_EQ(cfg.tls.connection_timeout, -1);
  ASSERT_TRUE(set(cfg, "tls", "connection_timeout", num(2592000)).is_ok());
}

TEST(TlsParams, ConnectionTimeoutOutOfRangeMessage) {
  Config cfg;
  EXPECT_EQ(set(cfg, "tls", "connection_timeout", num(5000000)).message(),
            "tls.connection_timeout: 5000000 is out of range [-1, 2592000]");
  EXPECT_THAT(set(cfg, "tls", "connection_timeout", num(-2)).message(),
              HasSubstr("-2 is out of range"));
  EXPECT_THAT(set(cfg, "tls", "connection_timeout", text("ten")).message(),
              HasSubstr("\"ten\" is not an integer"));
  EXPECT_THAT(set(cfg, "tls", "connection_timeout", text("99999999999999999999")).message(),
              HasSubstr("is not an integer"));
  EXPECT_EQ(cfg.tls.connection_timeout, 600);
}

TEST(TlsParams, SendCloseNotifyAcceptsBooleanSpellings) {
  struct Case {
    ParamValue v;
    bool want;
  } cases[] = {{num(1), true},       {num(0), false},        {text("yes"), true},
               {text("no"), false},  {text("on"), true},     {text("off"), false},
               {text("true"), true}, {text("false"), false}, {text("1"), true},
               {text("YES"), true},  {text("0"), false}};
  for (const Case& c : cases) {
    Config cfg;
    cfg.tls.send_close_notify = !c.want;
    ASSERT_TRUE(set(cfg, "tls", "send_close_notify", c.v).is_ok()) << c.v.text << c.v.number;
    EXPECT_EQ(cfg.tls.send_close_notify, c.want) << c.v.text << c.v.number;
  }
}

TEST(TlsParams, SendCloseNotifyRefusesNonBooleans) {
  Config cfg;
  EXPECT_THAT(set(cfg, "tls", "send_close_notify", text("maybe")).message(),
              StartsWith("tls.send_close_notify: \"maybe\" is not a boolean"));
  EXPECT_THAT(set(cfg, "tls", "send_close_notify", text("2x")).message(),
              HasSubstr("\"2x\" is not a boolean"));
}

// Kamailio's boolean modparams are integers tested with `if (v)`, and so is cfg.set_now_int:
// any non-zero number is true, negative ones too (manual Example 35: tls_force_run 11).
TEST(TlsParams, BooleansTakeAnyNumberNonZeroIsTrue) {
  struct Case {
    const char* name;
    int64_t n;
    bool want;
  } cases[] = {{"tls_force_run", 11, true},       {"verify_certificate", 2, true},
               {"require_certificate", 11, true}, {"send_close_notify", 2, true},
               {"send_close_notify", -1, true},   {"send_close_notify", INT64_MAX, true},
               {"verify_certificate", 0, false}};
  for (const Case& c : cases) {
    Config cfg;
    const ParamDef& def = def_of("tls", c.name);
    ASSERT_EQ(def.type, ParamType::kBool) << c.name;
    ParamField f = def.field(cfg);
    bool* field = std::get<bool*>(f);
    *field = !c.want;
    ASSERT_TRUE(set(cfg, "tls", c.name, num(c.n)).is_ok()) << c.name << " " << c.n;
    EXPECT_EQ(*field, c.want) << c.name << " " << c.n;
  }
}

TEST(ConfigFile, ManualExample35ForceRunElevenIsTrue) {
  EXPECT_TRUE(
      must_parse(kMinimal + "modparam(\"tls\", \"tls_force_run\", 11)\n").tls.tls_force_run);
  Config c = must_parse(kMinimal +
                        "modparam(\"tls\", \"verify_certificate\", 2)\n"
                        "modparam(\"tls\", \"require_certificate\", 11)\n");
  EXPECT_TRUE(c.tls.verify_certificate);
  EXPECT_TRUE(c.tls.require_certificate);
}

TEST(TlsParams, CipherListIsStoredVerbatim) {
  Config cfg;
  ASSERT_TRUE(set(cfg, "tls", "cipher_list", text("ECDHE+AESGCM:!aNULL")).is_ok());
  EXPECT_EQ(cfg.tls.cipher_list, "ECDHE+AESGCM:!aNULL");
}

TEST(TlsParams, PathsRefuseNumbers) {
  Config cfg;
  EXPECT_THAT(set(cfg, "tls", "certificate", num(5)).message(),
              AllOf(StartsWith("tls.certificate: "), HasSubstr("expects a string")));
}

// ---------------------------------------------------------------- path resolution

TEST(ConfigPaths, ResolvedAsTheTlsManualSays) {
  const std::string here = cwd();
  EXPECT_EQ(resolve_config_path("/abs/cert.pem", "/etc/sipring"), "/abs/cert.pem");
  EXPECT_EQ(resolve_config_path("cert.pem", "/etc/sipring"), "/etc/sipring/cert.pem");
  EXPECT_EQ(resolve_config_path("certs/cert.pem", "/etc/sipring"), "/etc/sipring/certs/cert.pem");
  EXPECT_EQ(resolve_config_path("./cert.pem", "/etc/sipring"), here + "/cert.pem");
  EXPECT_EQ(resolve_config_path(".", "/etc/sipring"), here);
  EXPECT_EQ(resolve_config_path("/a/./b/../c.pem", "/etc"), "/a/c.pem");
  EXPECT_EQ(resolve_config_path("", "/etc/sipring"), "");
}

TEST(ConfigPaths, DotDotIsRelativeToTheWorkingDirectoryToo) {
  const std::filesystem::path parent = std::filesystem::current_path().parent_path();
  EXPECT_EQ(resolve_config_path("../k.pem", "/etc/sipring"), (parent / "k.pem").string());
}

TEST(ConfigPaths, SetParamResolvesAgainstTheConfigDirectory) {
  Config cfg;
  cfg.config_dir = "/srv/sip";
  ASSERT_TRUE(set(cfg, "tls", "certificate", text("cert.pem")).is_ok());
  ASSERT_TRUE(set(cfg, "tls", "private_key", text("./key.pem")).is_ok());
  EXPECT_EQ(cfg.tls.certificate, "/srv/sip/cert.pem");
  EXPECT_EQ(cfg.tls.private_key, cwd() + "/key.pem");
}

TEST(ConfigPaths, FileRelativeNamesUseTheDirectoryGiven) {
  Config c = must_parse(
      "loadmodule \"tls.so\"\n"
      "modparam(\"tls\", \"certificate\", \"c.pem\")\n"
      "modparam(\"tls\", \"private_key\", \"/k/key.pem\")\n");
  EXPECT_EQ(c.tls.certificate, "/etc/sipring/c.pem");
  EXPECT_EQ(c.tls.private_key, "/k/key.pem");
  EXPECT_EQ(c.config_dir, "/etc/sipring");
  // A relative directory is taken from the working directory.
  Config rel =
      must_parse("loadmodule \"tls.so\"\nmodparam(\"tls\", \"certificate\", \"c.pem\")\n", "conf");
  EXPECT_EQ(rel.tls.certificate, cwd() + "/conf/c.pem");
}

// ---------------------------------------------------------------- sipring parameters

TEST(EngineParams, CpusAcceptListsRangesAndMixes) {
  Config cfg;
  ASSERT_TRUE(set(cfg, "sipring", "cpus", text("0,1")).is_ok());
  EXPECT_EQ(cfg.engine.cpus, (std::vector<int>{0, 1}));
  ASSERT_TRUE(set(cfg, "sipring", "cpus", text("0-3")).is_ok());
  EXPECT_EQ(cfg.engine.cpus, (std::vector<int>{0, 1, 2, 3}));
  ASSERT_TRUE(set(cfg, "sipring", "cpus", text(" 2 - 3 , 8 ,10")).is_ok());
  EXPECT_EQ(cfg.engine.cpus, (std::vector<int>{2, 3, 8, 10}));
  ASSERT_TRUE(set(cfg, "sipring", "cpus", num(5)).is_ok());
  EXPECT_EQ(cfg.engine.cpus, (std::vector<int>{5}));
  EXPECT_EQ(format_param(cfg, def_of("sipring", "cpus")).value(), "5");
  ASSERT_TRUE(set(cfg, "sipring", "cpus", text("")).is_ok());
  EXPECT_TRUE(cfg.engine.cpus.empty());
}

TEST(EngineParams, CpusRefuseMalformedLists) {
  Config cfg;
  for (const char* bad : {"x", "0,,1", "0,", "1-", "-", "0-1-2", "1.5"}) {
    EXPECT_THAT(set(cfg, "sipring", "cpus", text(bad)).message(),
                AllOf(StartsWith("sipring.cpus: "), HasSubstr("is not a list like")))
        << bad;
  }
  EXPECT_THAT(set(cfg, "sipring", "cpus", text("3-1")).message(), HasSubstr("runs backwards"));
  EXPECT_THAT(set(cfg, "sipring", "cpus", text("0,2000")).message(),
              HasSubstr("2000 is out of range [0, 1023]"));
  EXPECT_THAT(set(cfg, "sipring", "cpus", text("-1")).message(), HasSubstr("out of range"));
  EXPECT_TRUE(cfg.engine.cpus.empty());
}

TEST(EngineParams, PowerOfTwoParamsRefuseOtherValuesSuggestingNeighbours) {
  Config cfg;
  EXPECT_EQ(set(cfg, "sipring", "recv_buffers", num(1000)).message(),
            "sipring.recv_buffers: 1000 is not a power of two (nearest: 512 or 1024)");
  EXPECT_THAT(set(cfg, "sipring", "handoff_entries", num(3000)).message(),
              HasSubstr("not a power of two"));
  EXPECT_THAT(set(cfg, "sipring", "reply_ring_bytes", num(5000)).message(),
              HasSubstr("(nearest: 4096 or 8192)"));
  ASSERT_TRUE(set(cfg, "sipring", "recv_buffers", num(1024)).is_ok());
  ASSERT_TRUE(set(cfg, "sipring", "handoff_entries", text("16384")).is_ok());
  ASSERT_TRUE(set(cfg, "sipring", "reply_ring_bytes", num(1 << 22)).is_ok());
  EXPECT_EQ(cfg.engine.recv_buffers, 1024u);
  EXPECT_EQ(cfg.engine.handoff_entries, 16384u);
  EXPECT_EQ(cfg.engine.reply_ring_bytes, 1u << 22);
}

TEST(EngineParams, ValidValuesLandInTheirFields) {
  Config cfg;
  ASSERT_TRUE(set(cfg, "sipring", "reactors", num(4)).is_ok());
  ASSERT_TRUE(set(cfg, "sipring", "ring_entries", num(1024)).is_ok());
  ASSERT_TRUE(set(cfg, "sipring", "recv_buffer_size", num(4096)).is_ok());
  ASSERT_TRUE(set(cfg, "sipring", "max_connections", num(1000)).is_ok());
  ASSERT_TRUE(set(cfg, "sipring", "max_message_size", num(32768)).is_ok());
  ASSERT_TRUE(set(cfg, "sipring", "handshake_timeout_ms", num(2500)).is_ok());
  ASSERT_TRUE(set(cfg, "sipring", "reuseport", text("off")).is_ok());
  EXPECT_EQ(cfg.engine.reactors, 4);
  EXPECT_EQ(cfg.engine.ring_entries, 1024u);
  EXPECT_EQ(cfg.engine.recv_buffer_size, 4096u);
  EXPECT_EQ(cfg.engine.max_connections, 1000u);
  EXPECT_EQ(cfg.engine.max_message_size, 32768u);
  EXPECT_EQ(cfg.engine.handshake_timeout_ms, 2500);
  EXPECT_FALSE(cfg.engine.reuseport);
}

TEST(EngineParams, ReactorsLimitedToWhatConnIdCanName) {
  Config cfg;
  ASSERT_TRUE(set(cfg, "sipring", "reactors", num(256)).is_ok());
  EXPECT_EQ(set(cfg, "sipring", "reactors", num(257)).message(),
            "sipring.reactors: 257 is out of range [0, 256]");
}

// ---------------------------------------------------------------- markdown

TEST(RegistryMarkdown, OneRowPerParameterWithFlags) {
  const std::string md = registry_markdown();
  EXPECT_THAT(md, StartsWith("| Parameter | Type | Default | Allowed values | Runtime |"));
  size_t rows = 0;
  for (char c : md) rows += c == '\n';
  EXPECT_EQ(rows, param_registry().size() + 2);
  EXPECT_THAT(md, HasSubstr("| `tls.connection_timeout` | int | `600` | [-1, 2592000] | yes |"));
  EXPECT_THAT(md, HasSubstr("`tls.ssl_free_list_max_len` (alias `ssl_freelist_max_len`)"));
  EXPECT_THAT(md, HasSubstr("power of two in [1, 32768]"));
  EXPECT_THAT(md, HasSubstr("| `tls.send_timeout` | int | (unset) | none (refused) | no | "
                            "**Obsolete, refused:**"));
  EXPECT_THAT(md, HasSubstr("`sipring.cpus` | int list | (unset)"));
}

// ---------------------------------------------------------------- file syntax

TEST(ConfigFile, EmptyFileGivesEveryDefault) {
  Config c = must_parse("");
  EXPECT_EQ(c.source, kName);
  EXPECT_EQ(c.config_dir, kDir);
  EXPECT_FALSE(c.enable_tls);
  EXPECT_TRUE(c.listen.empty());
  EXPECT_EQ(c.tls.tls_method, "TLSv1.2+");
  EXPECT_EQ(c.tls.certificate, "");
  EXPECT_EQ(c.tls.private_key, "");
  EXPECT_EQ(c.tls.cipher_list, "");
  EXPECT_EQ(c.tls.connection_timeout, 600);
  EXPECT_FALSE(c.tls.send_close_notify);
  EXPECT_EQ(c.engine.reactors, 0);
  EXPECT_TRUE(c.engine.cpus.empty());
  EXPECT_EQ(c.engine.ring_entries, 4096u);
  EXPECT_EQ(c.engine.recv_buffers, 512u);
  EXPECT_EQ(c.engine.recv_buffer_size, 16384u);
  EXPECT_EQ(c.engine.handoff_entries, 8192u);
  EXPECT_EQ(c.engine.reply_ring_bytes, 1u << 20);
  EXPECT_EQ(c.engine.max_connections, 16384u);
  EXPECT_EQ(c.engine.max_message_size, 65535u);
  EXPECT_EQ(c.engine.handshake_timeout_ms, 10000);
  EXPECT_TRUE(c.engine.reuseport);
  EXPECT_EQ(c.engine.busy_poll_us, 0u);
}

TEST(ConfigFile, MinimalTlsConfig) {
  Config c = must_parse(kMinimal);
  EXPECT_TRUE(c.enable_tls);
  ASSERT_EQ(c.listen.size(), 1u);
  EXPECT_EQ(c.listen[0].proto, ListenSpec::Proto::kTls);
  EXPECT_EQ(c.listen[0].addr.to_string(), "127.0.0.1:5061");
  EXPECT_EQ(c.tls.certificate, "/etc/sipring/cert.pem");
  EXPECT_EQ(c.tls.private_key, "/etc/sipring/cert.pem") << "private_key defaults to certificate";
}

TEST(ConfigFile, ExplicitPrivateKeyIsKept) {
  Config c = must_parse(kMinimal + "modparam(\"tls\", \"private_key\", \"key.pem\")\n");
  EXPECT_EQ(c.tls.private_key, "/etc/sipring/key.pem");
}

TEST(ConfigFile, ManualExample1AsWrittenStopsAtTheRouteBlock) {
  const std::string example1 =
      "#...\n"
      "loadmodule \"modules/tls/tls.so\"\n"
      "\n"
      "modparam(\"tls\", \"private_key\", \"./andrei-test.pem\")\n"
      "modparam(\"tls\", \"certificate\", \"./andrei-test.pem\")\n"
      "modparam(\"tls\", \"ca_list\", \"./calist.pem\")\n"
      "\n"
      "enable_tls=yes\n"
      "\n"
      "route{\n"
      "        # ....\n"
      "}\n";
  EXPECT_THAT(parse_error(example1),
              AllOf(StartsWith("sipring.cfg:10: "),
                    HasSubstr("routing logic belongs to the SIP core, not to sipring")));
  std::string no_ca = example1;
  // Without both, and with the listen line sipring needs, it is a working config.
  std::string fixed = no_ca.substr(0, no_ca.find("route{")) + "listen=tls:0.0.0.0:5061\n";
  Config c = must_parse(fixed);
  EXPECT_TRUE(c.enable_tls);
  EXPECT_EQ(c.tls.certificate, cwd() + "/andrei-test.pem");
  EXPECT_EQ(c.tls.private_key, cwd() + "/andrei-test.pem");
  EXPECT_EQ(c.listen[0].addr.to_string(), "0.0.0.0:5061");
}

TEST(ConfigFile, ListenForms) {
  Config c = must_parse(
      "loadmodule \"tls.so\"\n"
      "modparam(\"tls\", \"certificate\", \"c.pem\")\n"
      "enable_tls=yes\n"
      "listen=tls:192.0.2.1:5061\n"
      "listen=tls:[::1]:5061\n"
      "listen = tls : [2001:db8::1] : 5062\n"
      "listen=TLS:192.0.2.2\n"
      "listen=\"tls:192.0.2.3:5070\"\n"
      "listen=tls:192.0.2.4:0\n");
  ASSERT_EQ(c.listen.size(), 6u);
  EXPECT_EQ(c.listen[0].addr.to_string(), "192.0.2.1:5061");
  EXPECT_EQ(c.listen[1].addr.to_string(), "[::1]:5061");
  EXPECT_EQ(c.listen[2].addr.to_string(), "[2001:db8::1]:5062");
  EXPECT_EQ(c.listen[3].addr.to_string(), "192.0.2.2:5061") << "no port: Kamailio's TLS default";
  EXPECT_EQ(c.listen[4].addr.to_string(), "192.0.2.3:5070");
  EXPECT_EQ(c.listen[5].addr.to_string(), "192.0.2.4:0") << "explicit 0: any free port";
}

TEST(ConfigFile, ListenTcpIsRefusedForNow) {
  EXPECT_THAT(parse_error(kMinimal + "listen=tcp:127.0.0.1:5060\n"),
              AllOf(StartsWith("sipring.cfg:5: "), HasSubstr("TCP is not supported yet"),
                    HasSubstr("listen=tls:")));
}

TEST(ConfigFile, ListenOtherProtocolsAndFormsAreRefused) {
  EXPECT_THAT(parse_error(kMinimal + "listen=udp:127.0.0.1:5060\n"),
              AllOf(StartsWith("sipring.cfg:5: "), HasSubstr("TLS only")));
  EXPECT_THAT(parse_error(kMinimal + "listen=127.0.0.1:5061\n"),
              HasSubstr("e.g. listen=tls:127.0.0.1:5061"));
  EXPECT_THAT(parse_error(kMinimal + "listen=tls:sip.example.com:5061\n"),
              AllOf(HasSubstr("not a numeric IP address"), HasSubstr("hostnames")));
  EXPECT_THAT(parse_error(kMinimal + "listen=tls:eth0\n"), HasSubstr("not a numeric IP"));
  EXPECT_THAT(parse_error(kMinimal + "listen=tls:1.2.3.4:99999\n"), HasSubstr("not a numeric IP"));
  EXPECT_THAT(parse_error(kMinimal + "listen=tls:1.2.3.4:5061 advertise 5.6.7.8:5061\n"),
              HasSubstr("advertise is not supported"));
  EXPECT_THAT(parse_error(kMinimal + "listen=\n"), HasSubstr("listen needs an address"));
  EXPECT_THAT(parse_error(kMinimal + "listen tls:1.2.3.4\n"), HasSubstr("expected '='"));
}

TEST(ConfigFile, DuplicateListenNamesTheEarlierLine) {
  EXPECT_THAT(parse_error(kMinimal + "listen=tls:127.0.0.1:5061\n"),
              AllOf(StartsWith("sipring.cfg:5: "), HasSubstr("repeats line 4")));
}

TEST(ConfigFile, EnableTlsSpellings) {
  for (const char* yes : {"yes", "1", "on", "true", "YES", "\"yes\""}) {
    std::string t = kMinimal;
    t.replace(t.find("enable_tls=yes"), 14, std::string("enable_tls=") + yes);
    EXPECT_TRUE(must_parse(t).enable_tls) << yes;
  }
  for (const char* no : {"no", "0", "off", "false"}) {
    EXPECT_FALSE(must_parse(std::string("enable_tls=") + no + "\n").enable_tls) << no;
  }
  // Kamailio's core grammar takes any number, non-zero meaning yes.
  for (const char* yes : {"2", "11", "-1"}) {
    std::string t = kMinimal;
    t.replace(t.find("enable_tls=yes"), 14, std::string("enable_tls=") + yes);
    EXPECT_TRUE(must_parse(t).enable_tls) << yes;
  }
  EXPECT_TRUE(must_parse(kMinimal + "tls_enable = yes\n").enable_tls) << "Kamailio's alias";
  EXPECT_THAT(parse_error("enable_tls=maybe\n"),
              AllOf(StartsWith("sipring.cfg:1: "), HasSubstr("enable_tls=maybe"),
                    HasSubstr("enable_tls=yes or enable_tls=no")));
}

TEST(ConfigFile, LoadmoduleAcceptsAnyPathToTlsSo) {
  for (const char* path : {"tls.so", "tls", "modules/tls/tls.so",
                           "/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so"}) {
    std::string t = kMinimal;
    t.replace(0, t.find('\n'), std::string("loadmodule \"") + path + "\"");
    must_parse(t);
  }
  must_parse("loadmodule 'tls.so'\n");
  must_parse("loadmodule \"sipring.so\"\n");
}

TEST(ConfigFile, LoadmoduleOfOtherModulesIsRefused) {
  EXPECT_THAT(
      parse_error("loadmodule \"tls.so\"\nloadmodule \"modules/sl/sl.so\"\n"),
      AllOf(StartsWith("sipring.cfg:2: "), HasSubstr("module \"sl\" is not part of sipring")));
  EXPECT_THAT(parse_error("loadmodule \"mytls.so\"\n"),
              HasSubstr("module \"mytls\" is not part of sipring"));
  EXPECT_THAT(parse_error("loadmodule tls.so\n"), HasSubstr("loadmodule needs a quoted path"));
}

TEST(ConfigFile, TlsModparamBeforeLoadmoduleIsRefused) {
  EXPECT_THAT(parse_error("modparam(\"tls\", \"certificate\", \"c.pem\")\n"
                          "loadmodule \"tls.so\"\n"),
              AllOf(StartsWith("sipring.cfg:1: "), HasSubstr("before loadmodule \"tls.so\""),
                    HasSubstr("add loadmodule \"tls.so\" above this line")));
}

TEST(ConfigFile, SipringModparamNeedsNoLoadmodule) {
  Config c = must_parse(
      "modparam(\"sipring\", \"reactors\", 2)\n"
      "modparam(\"sipring\", \"cpus\", \"0-1\")\n");
  EXPECT_EQ(c.engine.reactors, 2);
  EXPECT_EQ(c.engine.cpus, (std::vector<int>{0, 1}));
}

TEST(ConfigFile, ModparamOfOtherModulesIsRefused) {
  EXPECT_THAT(
      parse_error("modparam(\"auth_db\", \"db_url\", \"mysql://x\")\n"),
      AllOf(StartsWith("sipring.cfg:1: "), HasSubstr("module \"auth_db\" is not part of sipring")));
}

TEST(ConfigFile, ModparamValuesUnquotedOrQuoted) {
  Config ok = must_parse(kMinimal +
                         "modparam(\"tls\", \"connection_timeout\", -1)\n"
                         "modparam(\"tls\", \"send_close_notify\", \"1\")\n"
                         "modparam(\"sipring\", \"ring_entries\", \"2048\")\n");
  EXPECT_EQ(ok.tls.connection_timeout, -1);
  EXPECT_TRUE(ok.tls.send_close_notify);
  EXPECT_EQ(ok.engine.ring_entries, 2048u);
}

TEST(ConfigFile, ModparamErrorsCarryFileLineAndTheRegistryMessage) {
  EXPECT_EQ(parse_error(kMinimal + "\nmodparam(\"tls\", \"connection_timeout\", 5000000)\n"),
            "sipring.cfg:6: tls.connection_timeout: 5000000 is out of range [-1, 2592000]");
  EXPECT_THAT(parse_error(kMinimal + "modparam(\"tls\", \"tls_method\", \"SSLv3\")\n"),
              AllOf(StartsWith("sipring.cfg:5: tls.tls_method: "), HasSubstr("RFC 7568")));
  EXPECT_THAT(parse_error(kMinimal + "modparam(\"tls\", \"send_timeout\", 10)\n"),
              AllOf(StartsWith("sipring.cfg:5: "), HasSubstr("tcp_send_timeout")));
  EXPECT_THAT(parse_error(kMinimal + "modparam(\"tls\", \"tls_disable_compression\", 0)\n"),
              AllOf(StartsWith("sipring.cfg:5: "), HasSubstr("cannot be honoured")));
  EXPECT_THAT(parse_error(kMinimal + "modparam(\"tls\", \"certficate\", \"x\")\n"),
              AllOf(StartsWith("sipring.cfg:5: "), HasSubstr("did you mean \"certificate\"")));
}

TEST(ConfigFile, ModparamSyntaxErrors) {
  const std::string l = "loadmodule \"tls.so\"\n";
  EXPECT_THAT(parse_error(l + "modparam(\"tls\", \"connection_timeout\", 60\n"),
              AllOf(StartsWith("sipring.cfg:3: "), HasSubstr("expected ')'")));
  EXPECT_THAT(parse_error(l + "modparam(tls, \"connection_timeout\", 60)\n"),
              HasSubstr("module name must be quoted"));
  EXPECT_THAT(parse_error(l + "modparam(\"tls\", connection_timeout, 60)\n"),
              HasSubstr("parameter name must be quoted"));
  EXPECT_THAT(parse_error(l + "modparam(\"tls\", \"send_close_notify\", yes)\n"),
              HasSubstr("write \"yes\""));
  EXPECT_THAT(parse_error(l + "modparam(\"tls\", \"send_close_notify\")\n"),
              HasSubstr("expected ','"));
  EXPECT_THAT(parse_error(l + "modparam \"tls\"\n"), HasSubstr("expected '('"));
}

TEST(ConfigFile, SpacesTabsNewlinesAndSemicolonsBetweenTokens) {
  Config c = must_parse(
      "  loadmodule   \"tls.so\" ;\n"
      "modparam ( \"tls\" ,\t\"certificate\" , \"c.pem\" ) ;\n"
      "modparam(\n"
      "    \"tls\",\n"
      "    \"connection_timeout\",\n"
      "    30\n"
      ")\n"
      "\tenable_tls\t=\tyes;\n"
      "listen =tls:127.0.0.1:5061 ;;\n");
  EXPECT_EQ(c.tls.connection_timeout, 30);
  EXPECT_TRUE(c.enable_tls);
  EXPECT_EQ(c.listen.size(), 1u);
}

TEST(ConfigFile, CommentForms) {
  Config c = must_parse(
      "# a full-line comment\n"
      "loadmodule \"tls.so\" # end-of-line comment\n"
      "// a C++ comment\n"
      "modparam(\"tls\", \"certificate\", \"c#1.pem\") // '#' inside a string is kept\n"
      "/* a block\n"
      "   comment over lines /* nested */ still comment\n"
      "   enable_tls=no */\n"
      "enable_tls=yes /* inline */ listen=tls:127.0.0.1:5061#tail\n"
      "##!define X 1\n"
      "modparam(\"tls\", \"cipher_list\", \"HIGH//x\")\n");
  EXPECT_EQ(c.tls.certificate, "/etc/sipring/c#1.pem");
  EXPECT_EQ(c.tls.cipher_list, "HIGH//x");
  EXPECT_TRUE(c.enable_tls);
  ASSERT_EQ(c.listen.size(), 1u);
}

TEST(ConfigFile, LineNumbersCountCommentLines) {
  EXPECT_THAT(parse_error("/*\n\n*/\n# x\n// y\ndebug=3\n"), StartsWith("sipring.cfg:6: "));
}

TEST(ConfigFile, UnterminatedBlockCommentNamesTheLineItOpens) {
  EXPECT_THAT(parse_error("loadmodule \"tls.so\"\n/* never\nclosed\n"),
              AllOf(StartsWith("sipring.cfg:2: "), HasSubstr("never closed")));
}

TEST(ConfigFile, UnterminatedStringIsRefused) {
  EXPECT_THAT(parse_error("loadmodule \"tls.so\nenable_tls=yes\n"),
              AllOf(StartsWith("sipring.cfg:1: "), HasSubstr("string is not closed")));
}

TEST(ConfigFile, DialectLinesAcceptedFirst) {
  for (const char* first : {"#!KAMAILIO", "#!SER", "#!SIP-router"}) {
    must_parse(std::string(first) + "\n" + kMinimal);
    must_parse(std::string("# header comment\n") + first + "\n" + kMinimal);
  }
  EXPECT_THAT(parse_error(kMinimal + "#!KAMAILIO\n"),
              AllOf(StartsWith("sipring.cfg:5: "), HasSubstr("must come first")));
}

TEST(ConfigFile, OtherPreprocessorDirectivesAreRefused) {
  EXPECT_THAT(parse_error("#!KAMAILIO\n#!define WITH_TLS\n"),
              AllOf(StartsWith("sipring.cfg:2: "), HasSubstr("#!define"),
                    HasSubstr("not supported by sipring")));
  EXPECT_THAT(parse_error("#!ifdef WITH_TLS\n"), HasSubstr("preprocessor directive"));
  EXPECT_THAT(parse_error("#!include_file \"x.cfg\"\n"), HasSubstr("preprocessor directive"));
  EXPECT_THAT(parse_error("!!define X\n"), HasSubstr("preprocessor directive"));
}

TEST(ConfigFile, RoutingBlocksAndOtherStatementsBelongToTheSipCore) {
  const char* refused[] = {"route{\n  t_relay();\n}\n",
                           "request_route {\n}\n",
                           "route[RELAY] {\n}\n",
                           "onreply_route[X] {\n}\n",
                           "event_route[tls:connection-out] {\n}\n",
                           "debug=3\n",
                           "children=8\n",
                           "mpath=\"/usr/lib/kamailio/modules/\"\n",
                           "tcp_send_timeout=10\n"};
  for (const char* body : refused) {
    EXPECT_THAT(parse_error(kMinimal + body),
                AllOf(StartsWith("sipring.cfg:5: "),
                      HasSubstr("routing logic belongs to the SIP core, not to sipring")))
        << body;
  }
  EXPECT_THAT(parse_error("\"stray\"\n"), HasSubstr("unexpected the string"));
  EXPECT_THAT(parse_error("= 3\n"), HasSubstr("unexpected '='"));
}

// ---------------------------------------------------------------- whole-file validation

TEST(ConfigValidation, EnableTlsNeedsAListenLine) {
  EXPECT_THAT(parse_error("loadmodule \"tls.so\"\n"
                          "modparam(\"tls\", \"certificate\", \"c.pem\")\n"
                          "enable_tls=yes\n"),
              AllOf(StartsWith("sipring.cfg:3: "), HasSubstr("add a line like listen=tls:")));
}

TEST(ConfigValidation, EnableTlsNeedsACertificate) {
  EXPECT_THAT(
      parse_error("loadmodule \"tls.so\"\nenable_tls=yes\nlisten=tls:127.0.0.1:5061\n"),
      AllOf(StartsWith("sipring.cfg:2: "), HasSubstr("add modparam(\"tls\", \"certificate\"")));
}

// Manual Examples 36/37: the certificates come from tls.cfg; the certificate modparam, which
// the file replaces, is not required (the tls.cfg loader refuses a server domain without one).
TEST(ConfigValidation, TlsCfgAloneNeedsNoCertificateModparam) {
  Config c = must_parse(
      "loadmodule \"tls.so\"\nenable_tls=yes\nlisten=tls:127.0.0.1:5061\n"
      "modparam(\"tls\", \"config\", \"/usr/local/etc/ser/tls.cfg\")\n");
  EXPECT_EQ(c.tls.config, "/usr/local/etc/ser/tls.cfg");
  EXPECT_EQ(c.tls.certificate, "");
  EXPECT_THAT(parse_error("loadmodule \"tls.so\"\nenable_tls=yes\nlisten=tls:127.0.0.1:5061\n"),
              HasSubstr("or modparam(\"tls\", \"config\", \"tls.cfg\")"));
}

TEST(ConfigValidation, EnableTlsNeedsTheTlsModule) {
  EXPECT_THAT(parse_error("enable_tls=yes\nlisten=tls:127.0.0.1:5061\n"),
              AllOf(StartsWith("sipring.cfg:1: "), HasSubstr("add loadmodule \"tls.so\"")));
}

TEST(ConfigValidation, TlsListenNeedsEnableTls) {
  EXPECT_THAT(parse_error("loadmodule \"tls.so\"\nlisten=tls:127.0.0.1:5061\n"),
              AllOf(StartsWith("sipring.cfg:2: "), HasSubstr("add the line enable_tls=yes")));
  EXPECT_THAT(parse_error("enable_tls=no\nlisten=tls:127.0.0.1:5061\n"),
              AllOf(StartsWith("sipring.cfg:2: "), HasSubstr("change line 1 to enable_tls=yes")));
}

TEST(ConfigValidation, CpusMustMatchAnExplicitReactorCount) {
  EXPECT_THAT(
      parse_error("modparam(\"sipring\", \"reactors\", 4)\n"
                  "modparam(\"sipring\", \"cpus\", \"0,1\")\n"),
      AllOf(StartsWith("sipring.cfg:2: "), HasSubstr("lists 2 CPUs"), HasSubstr("reactors is 4")));
  must_parse("modparam(\"sipring\", \"reactors\", 2)\nmodparam(\"sipring\", \"cpus\", \"0,1\")\n");
  must_parse("modparam(\"sipring\", \"cpus\", \"0-3\")\n");
}

TEST(ConfigValidation, LastSettingWins) {
  Config c = must_parse(kMinimal +
                        "modparam(\"tls\", \"connection_timeout\", 10)\n"
                        "modparam(\"tls\", \"connection_timeout\", 20)\n");
  EXPECT_EQ(c.tls.connection_timeout, 20);
}

// ---------------------------------------------------------------- load_config_file

class ConfigFileOnDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sipring-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& body) {
    const std::string path = dir_ + "/" + name;
    FILE* f = std::fopen(path.c_str(), "w");
    EXPECT_NE(f, nullptr);
    std::fputs(body.c_str(), f);
    std::fclose(f);
    return path;
  }

  std::string dir_;
};

TEST_F(ConfigFileOnDisk, RelativeNamesResolveAgainstTheFilesDirectory) {
  const std::string path = write("sipring.cfg",
                                 "loadmodule \"tls.so\"\n"
                                 "modparam(\"tls\", \"certificate\", \"certs/server.pem\")\n"
                                 "modparam(\"tls\", \"private_key\", \"./key.pem\")\n"
                                 "enable_tls=yes\n"
                                 "listen=tls:[::1]:5061\n");
  Result<Config> r = load_config_file(path);
  ASSERT_TRUE(r.is_ok()) << r.error().message;
  EXPECT_EQ(r->source, path);
  EXPECT_EQ(r->config_dir, dir_);
  EXPECT_EQ(r->tls.certificate, dir_ + "/certs/server.pem");
  EXPECT_EQ(r->tls.private_key, cwd() + "/key.pem");
}

TEST_F(ConfigFileOnDisk, ErrorsNameTheFileAndLine) {
  const std::string path = write("bad.cfg", "loadmodule \"tls.so\"\n\nroute {\n}\n");
  Result<Config> r = load_config_file(path);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.error().code, Errc::kConfig);
  EXPECT_THAT(r.error().message, StartsWith(path + ":3: "));
}

TEST_F(ConfigFileOnDisk, MissingFileIsAnIoErrorNamingThePath) {
  Result<Config> r = load_config_file(dir_ + "/absent.cfg");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.error().code, Errc::kIo);
  EXPECT_THAT(r.error().message,
              AllOf(StartsWith(dir_ + "/absent.cfg: "), HasSubstr("No such file")));
}

// ---------------------------------------------------------------- result.h helpers

TEST(ResultHelpers, ErrcNamesAreStable) {
  EXPECT_STREQ(errc_name(Errc::kOk), "ok");
  EXPECT_STREQ(errc_name(Errc::kConfig), "config");
  EXPECT_STREQ(errc_name(Errc::kUnknownConnection), "unknown-connection");
  EXPECT_STREQ(errc_name(Errc::kQueueFull), "queue-full");
  EXPECT_STREQ(errc_name(static_cast<Errc>(200)), "unknown-error");
}

TEST(ResultHelpers, MakeErrorFormats) {
  Error e = make_error(Errc::kConfig, "%s:%d: %s", "f.cfg", 7, std::string(300, 'x').c_str());
  EXPECT_EQ(e.code, Errc::kConfig);
  EXPECT_EQ(e.message, "f.cfg:7: " + std::string(300, 'x'));
}

// ---------------------------------------------------------------- per-reactor overrides

TEST(ReactorOverrides, ApplyToTheirReactorOnly) {
  Config c = must_parse(
      "modparam(\"sipring\", \"reactors\", 3)\n"
      "modparam(\"sipring\", \"cpus\", \"0,1,0\")\n"
      "modparam(\"sipring\", \"r2.ring_entries\", 8192)\n"
      "modparam(\"sipring\", \"r2.cpu\", 1)\n"
      "modparam(\"sipring\", \"r1.busy_poll_us\", 500)\n");
  int cpu = -2;
  EngineParams r0 = params_for(c.engine, 0, &cpu);
  EXPECT_EQ(cpu, 0);
  EXPECT_EQ(r0.ring_entries, 4096u);
  EXPECT_EQ(r0.busy_poll_us, 0u);
  EngineParams r1 = params_for(c.engine, 1, &cpu);
  EXPECT_EQ(cpu, 1);
  EXPECT_EQ(r1.busy_poll_us, 500u);
  EXPECT_EQ(r1.ring_entries, 4096u);
  EngineParams r2 = params_for(c.engine, 2, &cpu);
  EXPECT_EQ(cpu, 1);  // r2.cpu beats cpus[2]
  EXPECT_EQ(r2.ring_entries, 8192u);
  EXPECT_TRUE(r2.overrides.empty());
}

TEST(ReactorOverrides, AreValidatedLikeTheGlobalParameterWithFileAndLine) {
  EXPECT_THAT(parse_error("modparam(\"sipring\", \"r1.recv_buffers\", 100)\n"),
              AllOf(StartsWith("sipring.cfg:1: sipring.r1.recv_buffers: "),
                    HasSubstr("power of two")));
  EXPECT_THAT(parse_error("modparam(\"sipring\", \"r0.max_message_size\", 4096)\n"),
              AllOf(StartsWith("sipring.cfg:1: "), HasSubstr("can be set per reactor")));
  EXPECT_THAT(parse_error("modparam(\"sipring\", \"r0.cpu\", \"x\")\n"),
              AllOf(StartsWith("sipring.cfg:1: "), HasSubstr("one CPU number")));
  EXPECT_THAT(parse_error("modparam(\"sipring\", \"r999.cpu\", 1)\n"),
              HasSubstr("at most 256 reactors"));
}

// Found by tests/fuzz/config_text_fuzz: std::stoul threw (and ended the process) on a reactor
// number beyond 64 bits, and a number beyond 32 bits wrapped to another reactor.
TEST(ReactorOverrides, HugeReactorNumbersAreRefusedNotWrappedOrThrown) {
  EXPECT_THAT(parse_error("modparam(\"sipring\", \"r99999999999999999999999.cpu\", 1)\n"),
              AllOf(StartsWith("sipring.cfg:1: "), HasSubstr("at most 256 reactors")));
  EXPECT_THAT(parse_error("modparam(\"sipring\", \"r4294967297.ring_entries\", 8)\n"),
              AllOf(StartsWith("sipring.cfg:1: "), HasSubstr("at most 256 reactors")));
}

TEST(ReactorOverrides, CpuGivenAsTextIsParsedLikeCpus) {
  Config c = must_parse("modparam(\"sipring\", \"r0.cpu\", \"1-1\")\n");
  int cpu = -2;
  params_for(c.engine, 0, &cpu);
  EXPECT_EQ(cpu, 1);
  EXPECT_THAT(parse_error("modparam(\"sipring\", \"r0.cpu\", \"0-1\")\n"),
              HasSubstr("one CPU number"));
}

TEST(ListenParam, ModparamAddsAddressesLikeListenLines) {
  Config c = must_parse(kMinimal +
                        "modparam(\"sipring\", \"listen\", \"tls:127.0.0.2:5062, tls:[::1]:5063\")\n");
  ASSERT_EQ(c.listen.size(), 3u);
  EXPECT_EQ(c.listen[1].addr.to_string(), "127.0.0.2:5062");
  EXPECT_EQ(c.listen[2].addr.to_string(), "[::1]:5063");
  EXPECT_EQ(format_param(c, def_of("sipring", "listen")).value(),
            "tls:127.0.0.1:5061,tls:127.0.0.2:5062,tls:[::1]:5063");
  EXPECT_THAT(parse_error(kMinimal + "modparam(\"sipring\", \"listen\", \"tls:127.0.0.1:5061\")\n"),
              AllOf(StartsWith("sipring.cfg:5: sipring.listen: "), HasSubstr("already")));
  EXPECT_THAT(parse_error("modparam(\"sipring\", \"listen\", \"udp:127.0.0.1:5060\")\n"),
              HasSubstr("TLS only"));
}

}  // namespace
}  // namespace sipring
