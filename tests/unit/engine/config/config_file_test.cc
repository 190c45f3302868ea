// Tests of the Kamailio-style config file parser (load_config_file / parse_config_text):
// statements, their order rules and the checks that span the whole file.
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

// ---------------------------------------------------------------- file syntax

TEST(ConfigFile, EmptyFileGivesEveryDefault) {
  Config c = must_parse("");
  EXPECT_EQ(c.source, kName);
  EXPECT_EQ(c.config_dir, kDir);
  EXPECT_FALSE(c.enable_tls);
  EXPECT_TRUE(c.listen.empty());
  EXPECT_EQ(c.tls.profile.tls_method, "TLSv1.2+");
  EXPECT_EQ(c.tls.profile.certificate, "");
  EXPECT_EQ(c.tls.profile.private_key, "");
  EXPECT_EQ(c.tls.profile.cipher_list, "");
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
  EXPECT_EQ(c.tls.profile.certificate, "/etc/sipring/cert.pem");
  EXPECT_EQ(c.tls.profile.private_key, "/etc/sipring/cert.pem")
      << "private_key defaults to certificate";
}

TEST(ConfigFile, ExplicitPrivateKeyIsKept) {
  Config c = must_parse(kMinimal + "modparam(\"tls\", \"private_key\", \"key.pem\")\n");
  EXPECT_EQ(c.tls.profile.private_key, "/etc/sipring/key.pem");
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
  EXPECT_EQ(c.tls.profile.certificate, cwd() + "/andrei-test.pem");
  EXPECT_EQ(c.tls.profile.private_key, cwd() + "/andrei-test.pem");
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
  EXPECT_EQ(c.tls.profile.certificate, "");
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
  EXPECT_EQ(r->tls.profile.certificate, dir_ + "/certs/server.pem");
  EXPECT_EQ(r->tls.profile.private_key, cwd() + "/key.pem");
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

}  // namespace
}  // namespace sipring
