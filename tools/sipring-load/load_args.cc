#include "tools/sipring-load/load_args.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "tools/common/cli.h"

namespace sipring::load {
namespace {

// Highest CPU number the engine's cpus parameter accepts (CPU_SETSIZE - 1).
constexpr int kMaxCpu = 1023;

// Parses "1", "0-3" or "1,3,5-7" into CPU numbers; false on anything else.
bool parse_cpu_list(std::string_view text, std::vector<int>* cpus) {
  cpus->clear();
  while (!text.empty()) {
    std::string_view item = text.substr(0, text.find(','));
    text.remove_prefix(std::min(item.size() + 1, text.size()));
    if (item.empty() && text.empty()) return false;  // a trailing comma
    const char* end = item.data() + item.size();
    int first = 0, last = 0;
    auto [at, ec] = std::from_chars(item.data(), end, first);
    if (ec != std::errc() || at == item.data()) return false;
    last = first;
    if (at != end && *at == '-') {
      auto [at2, ec2] = std::from_chars(at + 1, end, last);
      if (ec2 != std::errc() || at2 == at + 1) return false;
      at = at2;
    }
    if (at != end || first < 0 || last < first || last > kMaxCpu) return false;
    for (int c = first; c <= last; c++) cpus->push_back(c);
  }
  return !cpus->empty();
}

CLI::Validator cpu_list() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::vector<int> cpus;
        if (parse_cpu_list(text, &cpus)) return "";
        return "'" + text + "' is not a CPU list such as 1, 0-3 or 1,3 (CPUs 0.." +
               std::to_string(kMaxCpu) + ")";
      },
      "");
}

// --server-pid: process ids separated by commas.
CLI::Validator pid_list() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::string_view rest = text;
        while (!rest.empty()) {
          std::string_view item = rest.substr(0, rest.find(','));
          rest.remove_prefix(std::min(item.size() + 1, rest.size()));
          int pid = 0;
          auto [at, ec] = std::from_chars(item.data(), item.data() + item.size(), pid);
          if (ec != std::errc() || at != item.data() + item.size() || pid <= 0 ||
              (rest.empty() && text.back() == ',')) {
            return "'" + text + "' is not a list of process ids such as 1234 or 1234,1240";
          }
        }
        return "";
      },
      "");
}

CLI::Validator address() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        SockAddr addr;
        if (SockAddr::parse(text, &addr) && addr.port() != 0) return "";
        return "'" + text + "' is not IP:PORT (e.g. 127.0.0.1:5061 or [::1]:5061)";
      },
      "");
}

}  // namespace

std::optional<int> parse_load_args(int argc, const char* const* argv, LoadArgs* a) {
  Plan& p = a->plan;
  CLI::App app(
      "A SIP-over-TLS load generator on sipring's own reactors. It ends by itself and prints\n"
      "one JSON line of results on stdout. MODE is one of:\n"
      "  handshake  open, handshake, send one OPTIONS, close: --count N in all, --connections C\n"
      "             in flight, --resume to offer session tickets (resumed handshakes)\n"
      "  rps        --connections C x --pipeline P requests in flight; --requests N in all or\n"
      "             --duration S\n"
      "  rate       open loop at --rate R req/s over --connections C for --duration S\n"
      "             (--warmup S excluded from latency); reports p50/p99/p99.9\n"
      "  idle       open --connections N, one OPTIONS each, hold them --hold S seconds",
      "sipring-load");
  cli::init(app);
  std::string mode;
  app.add_option("MODE", mode, "what to do (see above)")
      ->type_name("MODE")
      ->required()
      ->check(CLI::IsMember({"handshake", "rps", "rate", "idle"}));
  app.add_option("--target", a->target, "the server to load")
      ->type_name("IP:PORT")
      ->required()
      ->check(address());
  cli::add_number(app, "--connections", "C", p.connections, 1, 1000000,
                  "connections (handshake: handshakes in flight)");
  cli::add_number(app, "--pipeline", "P", p.pipeline, 1, 100000,
                  "rps: requests in flight per connection");
  cli::add_number(app, "--requests", "N", p.requests, 0, 1'000'000'000'000,
                  "rps: requests in all (0: until --duration)");
  cli::add_number(app, "--count", "N", p.handshakes, 1, 1'000'000'000'000,
                  "handshake: handshakes in all");
  app.add_flag("--resume", p.resume, "handshake: offer session tickets (resumed handshakes)");
  cli::add_number(app, "--rate", "R", p.rate, 0.01, 10'000'000,
                  "rate: requests per second, all connections together");
  cli::add_number(app, "--duration", "S", p.duration_s, 0.001, 86400,
                  "the measured phase at most (rate: its length), in seconds");
  cli::add_number(app, "--hold", "S", p.hold_s, 0, 86400,
                  "idle: how long to hold the connections, in seconds");
  cli::add_number(app, "--warmup", "S", p.warmup_s, 0, 3600, "rate: seconds sent before measuring");
  cli::add_number(app, "--reactors", "N", p.reactors, 1, 256, "load reactors");
  std::string cpus;
  app.add_option("--cpus", cpus, "pin the reactors to these CPUs, e.g. 1 or 0-3 or 1,3")
      ->type_name("LIST")
      ->check(cpu_list());
  a->client.tls_method = "TLSv1.3";
  app.add_option("--tls", a->client.tls_method, "TLSv1.2, TLSv1.3 or TLSv1.2+")
      ->type_name("METHOD");
  app.add_option("--ciphers", a->client.cipher_list, "TLS 1.2 cipher list")->type_name("LIST");
  app.add_option("--sni", p.sni, "server name to send")->type_name("NAME");
  app.add_option("--ca", a->client.ca_list,
                 "verify the server certificate against this CA (and its name: --sni, else the "
                 "target address)")
      ->type_name("FILE");
  app.add_option("--verify-name", a->client.verify_hostname,
                 "with --ca: the name the certificate must carry, or 'no' for none")
      ->type_name("NAME");
  app.add_option("--crl", a->client.crl, "with --ca: refuse servers whose certificate it revokes")
      ->type_name("FILE");
  app.add_option("--cert", a->client.certificate, "present this client certificate")
      ->type_name("FILE");
  app.add_option("--key", a->client.private_key, "its key (default: the --cert file)")
      ->type_name("FILE");
  app.add_option("--key-password", a->client.private_key_password, "the key's password")
      ->type_name("PW");
  app.add_option("--server-pid", a->server_pids,
                 "measure these server processes' CPU time over the measured phase")
      ->type_name("P[,P]")
      ->check(pid_list());
  cli::add_number(app, "--max-seconds", "S", a->max_seconds, 0.001, 7 * 86400,
                  "hard stop (default: duration + 30)");
  cli::add_number(app, "--busy-poll-us", "N", a->busy_poll_us, 0, 1000000,
                  "poll this long after activity before sleeping");
  cli::add_number(app, "--ramp", "N", p.ramp, 1, 1000000,
                  "rps/rate/idle: handshakes in flight while connecting");
  cli::add_number(app, "--handshake-timeout-ms", "N", p.handshake_timeout_ms, 100, 600000,
                  "give up on a connect and handshake after N ms");
  cli::add_number(app, "--proxy-protocol", "V", a->proxy_protocol, 0, 2,
                  "send a PROXY protocol header of version V (1 or 2) naming this tool's own "
                  "addresses before TLS, as a balancer would (a sipring.proxy_protocol_listen "
                  "target); 0: none");
  app.add_option("--histogram", a->histogram,
                 "write the request latency histogram here as CSV (le_ns,count,cumulative,"
                 "quantile: one row per non-empty log-linear bucket, for a latency CDF)")
      ->type_name("FILE");
  if (std::optional<int> done = cli::parse(app, argc, argv)) return done;

  if ((!a->client.crl.empty() || !a->client.verify_hostname.empty()) && a->client.ca_list.empty()) {
    // Without --ca nothing is verified, so a CRL or a name would be silently ignored.
    return cli::usage_error(app,
                            "--crl and --verify-name need --ca (without it the server's "
                            "certificate is not verified)");
  }
  if (!a->histogram.empty()) {
    // Refused now, not after a run of minutes; truncated now too, so a failed run never leaves
    // an earlier run's histogram behind to be plotted as this one's.
    int fd = open(a->histogram.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      return cli::usage_error(
          app, "--histogram " + a->histogram + ": cannot write it: " + strerror(errno));
    }
    close(fd);
  }
  SockAddr::parse(a->target, &p.target);  // both checked while parsing
  parse_cpu_list(cpus, &a->cpus);
  for (Mode m : {Mode::kHandshake, Mode::kRps, Mode::kRate, Mode::kIdle}) {
    if (mode == mode_name(m)) p.mode = m;
  }
  a->client.tickets = p.mode != Mode::kHandshake || p.resume;
  a->client.verify_certificate = !a->client.ca_list.empty();  // --ca: verify the server against it
  if (a->max_seconds == 0) a->max_seconds = (p.mode == Mode::kIdle ? p.hold_s : p.duration_s) + 30;
  return std::nullopt;
}

}  // namespace sipring::load
