// Tests of the parameter registry (engine/config/config_registry.h, config_registry_table.cc):
// its shape, lookup by name, and how each kind of parameter is validated and stored.
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
#include "tests/testing/config_text.h"

namespace sipring {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace ::sipring::test;  // NOLINT: the config test helpers

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
  const char* manual[] = {"tls_method",
                          "certificate",
                          "private_key",
                          "ca_list",
                          "crl",
                          "verify_certificate",
                          "verify_depth",
                          "require_certificate",
                          "cipher_list",
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
  EXPECT_THAT(
      set(cfg, "tls", "send_timeout", num(10)).message(),
      AllOf(StartsWith("tls.send_timeout: "), HasSubstr("obsolete"), HasSubstr("tcp_send_timeout"),
            HasSubstr("sipring"), HasSubstr("send_timeout_ms")));
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
    EXPECT_EQ(cfg.tls.profile.tls_method, m);
  }
  Config cfg;
  ASSERT_TRUE(set(cfg, "tls", "tls_method", text("tlsv1.3+")).is_ok());
  EXPECT_EQ(cfg.tls.profile.tls_method, "TLSv1.3+");
}

TEST(TlsMethod, RefusesSslVersionsNamingTheReplacement) {
  for (const char* m : {"SSLv2", "SSLv3", "sslv3", "SSLv3+"}) {
    Config cfg;
    Status s = set(cfg, "tls", "tls_method", text(m));
    EXPECT_THAT(s.message(),
                AllOf(StartsWith("tls.tls_method: \"" + std::string(m) + "\""),
                      HasSubstr("refused"), HasSubstr("RFC 7568"), HasSubstr("TLSv1.2+")));
    EXPECT_EQ(cfg.tls.profile.tls_method, "TLSv1.2+");
  }
}

TEST(TlsMethod, AcceptsTheManualsNamesAndRanges) {
  for (const char* m : {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", "TLSv1+", "TLSv1.1+", "TLSv1.2+",
                        "TLSv1.3+", "SSLv23"}) {
    Config cfg;
    EXPECT_TRUE(set(cfg, "tls", "tls_method", text(m)).is_ok()) << m;
    EXPECT_EQ(cfg.tls.profile.tls_method, m);
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
  EXPECT_TRUE(c.tls.profile.verify_certificate);
  EXPECT_TRUE(c.tls.profile.require_certificate);
}

TEST(TlsParams, CipherListIsStoredVerbatim) {
  Config cfg;
  ASSERT_TRUE(set(cfg, "tls", "cipher_list", text("ECDHE+AESGCM:!aNULL")).is_ok());
  EXPECT_EQ(cfg.tls.profile.cipher_list, "ECDHE+AESGCM:!aNULL");
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
  EXPECT_EQ(cfg.tls.profile.certificate, "/srv/sip/cert.pem");
  EXPECT_EQ(cfg.tls.profile.private_key, cwd() + "/key.pem");
}

TEST(ConfigPaths, FileRelativeNamesUseTheDirectoryGiven) {
  Config c = must_parse(
      "loadmodule \"tls.so\"\n"
      "modparam(\"tls\", \"certificate\", \"c.pem\")\n"
      "modparam(\"tls\", \"private_key\", \"/k/key.pem\")\n");
  EXPECT_EQ(c.tls.profile.certificate, "/etc/sipring/c.pem");
  EXPECT_EQ(c.tls.profile.private_key, "/k/key.pem");
  EXPECT_EQ(c.config_dir, "/etc/sipring");
  // A relative directory is taken from the working directory.
  Config rel =
      must_parse("loadmodule \"tls.so\"\nmodparam(\"tls\", \"certificate\", \"c.pem\")\n", "conf");
  EXPECT_EQ(rel.tls.profile.certificate, cwd() + "/conf/c.pem");
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

TEST(EngineParams, ProxyHeaderTimeoutIsBoundedAndSeparateFromTheHandshakes) {
  Config cfg;
  EXPECT_EQ(cfg.engine.proxy_header_timeout_ms, 3000);
  ASSERT_TRUE(set(cfg, "sipring", "proxy_header_timeout_ms", num(100)).is_ok());
  EXPECT_EQ(cfg.engine.proxy_header_timeout_ms, 100);
  ASSERT_TRUE(set(cfg, "sipring", "proxy_header_timeout_ms", num(60000)).is_ok());
  EXPECT_EQ(cfg.engine.proxy_header_timeout_ms, 60000);
  EXPECT_EQ(cfg.engine.handshake_timeout_ms, 10000);  // untouched
  EXPECT_EQ(set(cfg, "sipring", "proxy_header_timeout_ms", num(99)).message(),
            "sipring.proxy_header_timeout_ms: 99 is out of range [100, 60000]");
  EXPECT_EQ(set(cfg, "sipring", "proxy_header_timeout_ms", num(60001)).message(),
            "sipring.proxy_header_timeout_ms: 60001 is out of range [100, 60000]");
  EXPECT_EQ(set(cfg, "sipring", "proxy_header_timeout_ms", num(0)).message(),
            "sipring.proxy_header_timeout_ms: 0 is out of range [100, 60000]");
  EXPECT_EQ(cfg.engine.proxy_header_timeout_ms, 60000);  // a refused value changes nothing
}

TEST(ListenParam, ModparamAddsAddressesLikeListenLines) {
  Config c = must_parse(
      kMinimal + "modparam(\"sipring\", \"listen\", \"tls:127.0.0.2:5062, tls:[::1]:5063\")\n");
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
