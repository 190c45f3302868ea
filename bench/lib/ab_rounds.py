"""A/B cost benchmarks: the same loads against two targets (two listeners, two builds), round
after round, compared by the server's CPU time per operation.

Each round runs every plan on target A and then on target B back to back, so the machine's
drift (other tenants, frequency, a neighbour's build) falls on both alike; the per-round ratio
B/A carries less of it than the ratio of the medians, and both are printed. Used by
bench/proxy_cost.py (plain vs PROXY listener) and bench/instrument_cost.py (a build without
instruments vs one with them).

  runs = interleaved(repeat, plans, ["a", "b"], run_one, log)
  result = ratio_table(runs, plans, "a", "b", "A label", "B label")
"""

import statistics


def median(values):
    values = list(values)
    return statistics.median(values) if values else 0.0


def interleaved(repeat, plans, targets, run_one, log):
    """Runs run_one(target, mode_args) -> sipring-load's JSON result for every plan
    ({key: sipring-load arguments}) on every target (in the given order), `repeat` rounds.
    Returns {(key, target): [server CPU us per operation, one per round]}. A run that lost
    requests or connections is kept and reported through `log`."""
    runs = {}
    for _ in range(repeat):
        for key, mode_args in plans.items():
            for target in targets:
                r = run_one(target, mode_args)
                if r["lost"] or r["mismatched"] or r["connect_failures"]:
                    log("WARNING: %s on %s: lost %d mismatched %d connect failures %d"
                        % (key, target, r["lost"], r["mismatched"], r["connect_failures"]))
                runs.setdefault((key, target), []).append(r["server"]["cpu_us_per_op"])
    return runs


def ratio_table(runs, plans, a, b, a_label, b_label):
    """Prints a Markdown table (per plan: A's and B's median CPU us/op, B/A of the medians and the
    median of the per-round ratios) and returns {key: {a: [...], b: [...], "ratios": [...],
    "ratio_median": r}}."""
    print("| plan | %s: server CPU us/op (median) | %s: server CPU us/op (median) | %s/%s |"
          % (a_label, b_label, b, a))
    print("|---|---|---|---|")
    result = {}
    for key in plans:
        ma, mb = median(runs[(key, a)]), median(runs[(key, b)])
        ratios = [y / x for y, x in zip(runs[(key, b)], runs[(key, a)]) if x > 0]
        result[key] = {a: runs[(key, a)], b: runs[(key, b)], "ratios": ratios,
                       "ratio_median": median(ratios)}
        print("| %s | %.3f | %.3f | %.3f (per-round median %.3f) |"
              % (key, ma, mb, mb / ma if ma else 0, median(ratios)))
    return result
