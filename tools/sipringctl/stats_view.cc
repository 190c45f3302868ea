// The layout of `sipringctl stats` (see stats_view.h).
#include "stats_view.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "format.h"
#include "sipring/stats.h"

namespace sipring::ctl {
namespace {

using tool::json_member;

// The counters worth a glance, in this order; the rest are one `sipringctl core.stats` away.
constexpr std::string_view kKeyCounters[] = {"connections_open",
                                             "handshakes_in_flight",
                                             "accepted",
                                             "connected",
                                             "closed",
                                             "handshakes_full",
                                             "handshakes_resumed",
                                             "handshake_failures",
                                             "messages_in",
                                             "messages_out",
                                             "bytes_in",
                                             "bytes_out",
                                             "uring_enters",
                                             "wakeups",
                                             "handoff_full",
                                             "send_queue_full",
                                             "recv_enobufs",
                                             "budget_closed"};

// True for the counters whose doc in SIPRING_COUNTERS says "(gauge)": a level, not a count, so
// it has no rate.
bool is_gauge(std::string_view name) {
#define SIPRING_GAUGE_CHECK(counter, doc) \
  if (name == #counter) return std::string_view(doc).find("(gauge)") != std::string_view::npos;
  SIPRING_COUNTERS(SIPRING_GAUGE_CHECK)
#undef SIPRING_GAUGE_CHECK
  return false;
}

std::optional<double> number(const JsonValue* object, std::string_view key) {
  const JsonValue* v = object ? json_member(*object, key) : nullptr;
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

const JsonValue* member(const JsonValue* object, std::string_view key) {
  return object ? json_member(*object, key) : nullptr;
}

// `now` minus `before` when both exist and the figure did not go down (a restarted daemon).
std::optional<double> delta(std::optional<double> now, std::optional<double> before) {
  if (!now || !before || *now < *before) return std::nullopt;
  return *now - *before;
}

std::string printf_text(const char* format, double v, const char* suffix) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), format, v, suffix);
  return buf;
}

struct Unit {
  double scale;
  const char* suffix;
};

// `v` (at least units[0].scale) in the largest of `units` (ascending) it reaches once rounded,
// to three significant digits: "1.23ms", "12.3ms", "123ms" ("1234s" past the last unit).
template <size_t N>
std::string three_digits(double v, const Unit (&units)[N]) {
  size_t u = 0;
  while (u + 1 < N && v >= units[u + 1].scale * 0.9995) ++u;
  const double x = v / units[u].scale;
  const char* format = x < 9.995 ? "%.2f%s" : x < 99.95 ? "%.1f%s" : "%.0f%s";
  return printf_text(format, x, units[u].suffix);
}

std::string integer_text(std::optional<double> v) {
  return v ? printf_text("%.0f%s", *v, "") : "-";
}

// One reactor's (or the total's) results, now and at the previous refresh (null: none).
struct Side {
  const JsonValue* counters = nullptr;
  const JsonValue* instruments = nullptr;  // {"histograms": {...}, "utilisation": {...}}
};
struct Column {
  Side now;
  Side before;
};

const JsonValue* histogram(const Side& side, std::string_view name) {
  return member(member(side.instruments, "histograms"), name);
}

std::optional<double> utilisation(const Side& side, std::string_view key) {
  return number(member(side.instruments, "utilisation"), key);
}

// Quantile `q` ("p50", "p99", ...) of a histogram: "seconds" ones carry it in q + "_ns".
std::string quantile_text(const JsonValue* h, std::string_view q) {
  if (number(h, "count").value_or(0) <= 0) return "-";
  const JsonValue* unit = member(h, "unit");
  const bool seconds =
      unit && unit->is_string() && unit->get_ref<const std::string&>() == "seconds";
  std::optional<double> v = number(h, std::string(q) + (seconds ? "_ns" : ""));
  if (!v) return "-";
  return seconds ? format_ns(*v) : printf_text("%.0f%s", *v, "");
}

// The table under construction: rows of a label, one cell per column and the total's rate.
class Table {
 public:
  Table(std::vector<Column> columns, double interval_s)
      : columns_(std::move(columns)), interval_s_(interval_s) {
    std::vector<std::string> header = {""};
    for (size_t i = 0; i + 1 < columns_.size(); ++i) header.push_back("r" + std::to_string(i));
    header.push_back("total");
    header.push_back("/s");
    cells_.push_back(std::move(header));
  }

  void heading(std::string label) { cells_.push_back({std::move(label)}); }

  // A row whose cells are cell(column); its rate is the total's `count` over the interval.
  template <class CellFn, class CountFn>
  void row(std::string label, CellFn cell, CountFn count) {
    std::vector<std::string> line = {"  " + std::move(label)};
    for (const Column& c : columns_) line.push_back(cell(c));
    const Column& total = columns_.back();
    std::optional<double> d = delta(count(total.now), count(total.before));
    line.push_back(d && interval_s_ > 0 ? format_rate(*d / interval_s_) : "-");
    cells_.push_back(std::move(line));
  }

  // A row without a rate.
  template <class CellFn>
  void row(std::string label, CellFn cell) {
    std::vector<std::string> line = {"  " + std::move(label)};
    for (const Column& c : columns_) line.push_back(cell(c));
    cells_.push_back(std::move(line));
  }

  std::string text() const {
    std::vector<bool> right(cells_.front().size(), true);
    right[0] = false;
    return text_table(cells_, right);
  }

 private:
  std::vector<Column> columns_;
  double interval_s_;
  std::vector<std::vector<std::string>> cells_;
};

void counter_rows(Table* t) {
  t->heading("counters");
  for (std::string_view name : kKeyCounters) {
    auto value = [name](const Side& s) { return number(s.counters, name); };
    auto cell = [value](const Column& c) { return integer_text(value(c.now)); };
    if (is_gauge(name)) {
      t->row(std::string(name), cell);
    } else {
      t->row(std::string(name), cell, value);
    }
  }
}

void loop_rows(Table* t) {
  t->heading("loop");
  t->row("busy %", [](const Column& c) -> std::string {
    std::optional<double> busy = utilisation(c.now, "busy_ns");
    std::optional<double> sleep = utilisation(c.now, "sleep_ns");
    if (c.before.instruments != nullptr) {
      busy = delta(busy, utilisation(c.before, "busy_ns"));
      sleep = delta(sleep, utilisation(c.before, "sleep_ns"));
    }
    if (!busy || !sleep || *busy + *sleep <= 0) return "-";
    return printf_text("%.1f%s", 100 * *busy / (*busy + *sleep), "");
  });
  t->row("completions/enter", [](const Column& c) -> std::string {
    const JsonValue* now = histogram(c.now, "completions_per_enter");
    std::optional<double> sum = number(now, "sum");
    std::optional<double> count = number(now, "count");
    if (c.before.instruments != nullptr) {
      const JsonValue* before = histogram(c.before, "completions_per_enter");
      sum = delta(sum, number(before, "sum"));
      count = delta(count, number(before, "count"));
    }
    if (!sum || !count || *count <= 0) return "-";
    return printf_text("%.1f%s", *sum / *count, "");
  });
  auto polls = [](const Side& s) { return utilisation(s, "polls"); };
  t->row(
      "polls", [polls](const Column& c) { return integer_text(polls(c.now)); }, polls);
  constexpr std::string_view kMarks[][2] = {
      {"handoff ring high-water", "handoff_high_water"},
      {"reply inbox high-water B", "inbox_high_water_bytes"},
      {"free rx buffers low-water", "buffers_free_low_water"}};
  for (const auto& [label, key] : kMarks) {
    t->row(std::string(label),
           [key](const Column& c) { return integer_text(utilisation(c.now, key)); });
  }
}

// "count" (with its rate), then the quantiles `qs` of histogram `name`.
template <size_t N>
void histogram_rows(Table* t, std::string label, std::string_view name,
                    const std::string_view (&qs)[N]) {
  auto count = [name](const Side& s) { return number(histogram(s, name), "count"); };
  t->row(
      std::move(label), [count](const Column& c) { return integer_text(count(c.now)); }, count);
  for (std::string_view q : qs) {
    t->row("  " + std::string(q),
           [name, q](const Column& c) { return quantile_text(histogram(c.now, name), q); });
  }
}

double total_count(const Column& total, std::string_view name) {
  return number(histogram(total.now, name), "count").value_or(0);
}

void instrument_rows(Table* t, const Column& total) {
  loop_rows(t);
  constexpr std::string_view kHandshakeQs[] = {"p50", "p99"};
  constexpr std::string_view kWaitQs[] = {"p50", "p99", "p999"};
  constexpr std::string_view kConnectQs[] = {"p99"};
  t->heading("handshakes (percentiles since start)");
  histogram_rows(t, "server full", "handshake_server_full", kHandshakeQs);
  histogram_rows(t, "server resumed", "handshake_server_resumed", kHandshakeQs);
  if (total_count(total, "handshake_client_full") + total_count(total, "handshake_client_resumed") +
          total_count(total, "connect") >
      0) {
    histogram_rows(t, "client full", "handshake_client_full", kHandshakeQs);
    histogram_rows(t, "client resumed", "handshake_client_resumed", kHandshakeQs);
    histogram_rows(t, "connect", "connect", kConnectQs);
  }
  t->heading("latency (since start)");
  histogram_rows(t, "handoff wait", "handoff_wait", kWaitQs);
  histogram_rows(t, "reply send", "reply_send", kWaitQs);
}

// Column i of `sample` (i == reactor count: the total).
Side side_of(const StatsSample& sample, size_t i, size_t reactors) {
  if (i == reactors) {
    return {member(&sample.counters, "total"), member(&sample.instruments, "total")};
  }
  const JsonValue* counters = member(&sample.counters, "reactors");
  const JsonValue* instruments = member(&sample.instruments, "reactors");
  Side side;
  if (counters && counters->is_array() && i < counters->size()) side.counters = &(*counters)[i];
  if (instruments && instruments->is_array() && i < instruments->size()) {
    side.instruments = &(*instruments)[i];
  }
  return side;
}

}  // namespace

std::string format_ns(double ns) {
  if (!(ns >= 0)) return "-";
  if (ns < 1000) return printf_text("%.0f%s", ns, "ns");
  static constexpr Unit kUnits[] = {{1e3, "us"}, {1e6, "ms"}, {1e9, "s"}};
  return three_digits(ns, kUnits);
}

std::string format_rate(double per_s) {
  if (!(per_s >= 0)) return "-";
  if (per_s < 9.95) return printf_text("%.1f%s", per_s, "");
  if (per_s < 9999.5) return printf_text("%.0f%s", per_s, "");
  static constexpr Unit kSuffixes[] = {{1e3, "k"}, {1e6, "M"}, {1e9, "G"}};
  return three_digits(per_s, kSuffixes);
}

JsonValue stats_json(const StatsSample& sample) {
  JsonValue out = JsonValue::object();
  out["counters"] = sample.counters;
  out["instruments"] = sample.instruments;
  if (sample.instruments.is_null()) out["instruments_error"] = sample.instruments_error;
  return out;
}

std::string format_stats(const StatsSample& now, const StatsSample* before) {
  const JsonValue* reactors = member(&now.counters, "reactors");
  const size_t n = reactors && reactors->is_array() ? reactors->size() : 0;
  std::vector<Column> columns(n + 1);
  for (size_t i = 0; i <= n; ++i) {
    columns[i].now = side_of(now, i, n);
    if (before != nullptr) columns[i].before = side_of(*before, i, n);
  }
  const double interval_s = before != nullptr ? now.at_s - before->at_s : 0;

  std::string out = "sipring stats at " + now.when + ": " + std::to_string(n) +
                    (n == 1 ? " reactor" : " reactors") + "; ";
  out += before != nullptr
             ? "rates and busy % over the last " + printf_text("%.1f%s", interval_s, " s\n")
             : std::string("counts and busy % since start (rates: --watch SECONDS)\n");
  const JsonValue* enabled = member(&now.instruments, "instruments");
  std::string note;
  if (now.instruments.is_null()) {
    note = "instruments: unavailable (core.instruments: " + now.instruments_error + ")\n";
  } else if (enabled && enabled->is_boolean() && !enabled->get<bool>()) {
    note = "instruments: compiled out (this sipring was built with -Dinstruments=false)\n";
  }
  out += note + "\n";

  Table table(columns, interval_s);
  if (note.empty()) instrument_rows(&table, columns.back());
  counter_rows(&table);
  return out + table.text();
}

}  // namespace sipring::ctl
