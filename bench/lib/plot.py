"""The benchmarks' charts (matplotlib, Debian python3-matplotlib): small PNGs for the README.

Every chart is 800x450 pixels (10 x 5.625 in at 80 dpi) with a white background and no
transparency, so docs/img stays small (tens of KB each) and diffs of regenerated figures are
reviewable. Callers pass plain data (the benchmarks' JSON results), so a chart can be redrawn
from a saved results file without rerunning anything.

  e2e_charts(data, outdir)     bench/e2e.py --plot: CPU per operation, latency CDF, idle Pss
  scale_chart(rows, path)      bench/scale.py --plot: per-reactor figures against N
  read_histogram_csv(path)     a `sipring-load --histogram FILE` CSV as [(le_ns, count), ...]
"""

import csv
import os
import sys

WIDTH_IN, HEIGHT_IN, DPI = 10, 5.625, 80  # 800 x 450 pixels

# One colour per server, the same in every chart.
COLOURS = {"sipring": "#1f77b4", "sipring-system": "#17becf", "kamailio": "#d62728"}

# e2e.py's plans, in chart order, with their axis labels.
E2E_CPU_PLANS = [
    ("full_handshake", "full handshake\n(saturated)"),
    ("resumed_handshake", "resumed handshake\n(saturated)"),
    ("full_handshake_paced", "full handshake\n(paced)"),
    ("resumed_handshake_paced", "resumed handshake\n(paced)"),
    ("options_pipelined", "OPTIONS\n50 x 16 pipelined"),
    ("latency_10k", "OPTIONS\n10k req/s"),
]


# Where Debian's python3-matplotlib lives. A python3 that is not Debian's (pyenv, a venv: this
# project's machines put pyenv's first on PATH) does not search it; its compiled modules are built
# for Debian's python3 (3.11 on Debian 12) and load into any CPython of that same minor version.
DEBIAN_DIST = "/usr/lib/python3/dist-packages"
DEBIAN_PYTHON = (3, 11)


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed), or None after saying why."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        if sys.version_info[:2] == DEBIAN_PYTHON and os.path.isdir(DEBIAN_DIST) \
                and DEBIAN_DIST not in sys.path:
            sys.path.append(DEBIAN_DIST)  # last: this interpreter's own packages still come first
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot: python3-matplotlib is not installed (tools/install-deps.sh installs it); "
              "no chart written", file=sys.stderr)
        return None
    return plt


def _figure(plt, ncols=1):
    fig, axes = plt.subplots(1, ncols, figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    fig.patch.set_facecolor("white")
    return fig, axes


def _save(plt, fig, path):
    fig.tight_layout()
    # 8-bit palette where Pillow is there to make it: a chart has a handful of colours, and the
    # PNG is a third of the RGBA one.
    fig.savefig(path, dpi=DPI, facecolor="white", pil_kwargs={"optimize": True})
    plt.close(fig)
    try:
        from PIL import Image
        with Image.open(path) as im:
            im.convert("RGB").quantize(colors=64).save(path, optimize=True)
    except ImportError:
        pass
    print("plot: wrote %s (%d bytes)" % (path, os.path.getsize(path)), file=sys.stderr)


def read_histogram_csv(path):
    """[(le_ns, count), ...] from sipring-load --histogram's CSV (header le_ns,count,...)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [(int(r["le_ns"]), int(r["count"])) for r in rows]


def merge_histograms(histograms):
    """Sums [(le_ns, count), ...] lists bucket by bucket (same layout: le_ns are bucket bounds)."""
    total = {}
    for h in histograms:
        for le, n in h:
            total[le] = total.get(le, 0) + n
    return sorted(total.items())


def _cdf(histogram):
    """(latencies in us, quantiles) of a [(le_ns, count), ...] histogram, quantiles below 1."""
    n = sum(c for _, c in histogram)
    xs, ys, seen = [], [], 0
    for le, c in histogram:
        seen += c
        q = seen / n
        if q >= 1:  # a logit axis cannot show 1: the last step ends at 1 - 1/(10 n)
            q = 1 - 0.1 / n
        xs.append(le / 1000.0)
        ys.append(q)
    return xs, ys


def _grouped_bars(ax, groups, servers, values, fmt):
    """Bars of values[server][i] for each group i, one colour per server, labelled with fmt."""
    width = 0.8 / max(1, len(servers))
    for k, name in enumerate(servers):
        xs = [i + (k - (len(servers) - 1) / 2) * width for i in range(len(groups))]
        bars = ax.bar(xs, values[name], width, label=name, color=COLOURS.get(name))
        for bar, v in zip(bars, values[name]):
            if v > 0:
                ax.annotate(fmt % v, (bar.get_x() + bar.get_width() / 2, v), ha="center",
                            va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, fontsize=9)
    ax.legend()


def e2e_charts(data, outdir):
    """bench/e2e.py's three charts from its JSON results (`data`: the printed JSON line) into
    outdir: e2e-cpu-per-op.png, e2e-latency-cdf.png (when the runs carry histograms) and
    e2e-idle-pss.png (when they carry idle memory). Returns the paths written."""
    plt = pyplot()
    if plt is None:
        return []
    os.makedirs(outdir, exist_ok=True)
    results = data["results"]
    servers = list(results)
    written = []

    plans = [(k, label) for k, label in E2E_CPU_PLANS if all(k in results[s] for s in servers)]
    if plans:
        fig, ax = _figure(plt)
        values = {s: [results[s][k]["cpu_us_per_op"] for k, _ in plans] for s in servers}
        _grouped_bars(ax, [label for _, label in plans], servers, values, "%.1f")
        ax.set_yscale("log")
        ax.set_ylabel("server CPU per operation (us, log scale)")
        ax.set_title("Server CPU per operation (one core; lower is better)")
        written.append(os.path.join(outdir, "e2e-cpu-per-op.png"))
        _save(plt, fig, written[-1])

    hists = {s: results[s].get("latency_10k", {}).get("histogram") for s in servers}
    if any(hists.values()):
        fig, ax = _figure(plt)
        for s in servers:
            if hists[s]:
                xs, ys = _cdf(hists[s])
                ax.step(xs, ys, where="post", label=s, color=COLOURS.get(s))
        floor = data.get("wake_floor", {}).get("p99_us")
        if floor:
            ax.axvline(floor, color="grey", linestyle="--", linewidth=1,
                       label="machine wake-up floor p99 (bench/wake_probe)")
        ax.set_xscale("log")
        ax.set_yscale("logit")
        ax.set_yticks([0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999])
        ax.set_yticklabels(["p1", "p10", "p50", "p90", "p99", "p99.9", "p99.99"])
        ax.minorticks_off()
        ax.set_xlabel("request latency (us, log scale)")
        ax.set_ylabel("fraction of requests at most")
        ax.set_title("Latency CDF, OPTIONS at 10k req/s open loop, 50 connections")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(loc="lower right")
        written.append(os.path.join(outdir, "e2e-latency-cdf.png"))
        _save(plt, fig, written[-1])

    if all("idle_memory" in results[s] for s in servers):
        fig, ax = _figure(plt)
        pss = [results[s]["idle_memory"]["bytes_per_connection"] for s in servers]
        bars = ax.bar(servers, pss, 0.5, color=[COLOURS.get(s) for s in servers])
        for bar, v in zip(bars, pss):
            ax.annotate("%.0f B" % v, (bar.get_x() + bar.get_width() / 2, v), ha="center",
                        va="bottom", xytext=(0, 2), textcoords="offset points")
        ax.set_ylabel("Pss per idle TLS connection (bytes)")
        ax.set_title("Server memory per idle TLS connection (%d held; lower is better)"
                     % results[servers[0]]["idle_memory"]["connections"])
        written.append(os.path.join(outdir, "e2e-idle-pss.png"))
        _save(plt, fig, written[-1])
    return written


def scale_chart(rows, path):
    """bench/scale.py's chart: requests/s and handshakes/s per reactor, server CPU per request
    and per handshake, p99 at the fixed rate per reactor, each against N reactors. Flat lines are
    what shared-nothing reactors should give. Returns [path], or [] without matplotlib."""
    plt = pyplot()
    if plt is None:
        return []
    ns = [r["reactors"] for r in rows]
    fig, axes = _figure(plt, 3)
    ax = axes[0]
    ax.plot(ns, [r["requests_per_s"] / r["reactors"] for r in rows], "o-", label="requests/s")
    ax.plot(ns, [r["handshakes_per_s"] / r["reactors"] for r in rows], "s-", label="handshakes/s")
    ax.set_yscale("log")
    ax.set_title("throughput per reactor")
    ax.legend()
    ax = axes[1]
    ax.plot(ns, [r["cpu_us_per_request"] for r in rows], "o-", label="per request")
    ax.plot(ns, [r["cpu_us_per_handshake"] for r in rows], "s-", label="per handshake")
    ax.set_yscale("log")
    ax.set_title("server CPU (us)")
    ax.legend()
    ax = axes[2]
    ax.plot(ns, [r["p99_us"] for r in rows], "o-")
    ax.set_title("p99 (us), %d req/s per reactor"
                 % (rows[0]["rate"] // max(1, rows[0]["reactors"])))
    for ax in axes:
        ax.set_xlabel("reactors (N)")
        ax.set_xticks(ns)
        ax.grid(True, alpha=0.3)
    _save(plt, fig, path)
    return [path]
