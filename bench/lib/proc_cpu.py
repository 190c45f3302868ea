#!/usr/bin/env python3
"""CPU time and memory of a set of processes, read from /proc (Linux only).

Used by the benchmarks to charge a multi-process server (e.g. Kamailio: attendant,
timers, tcp_main, TCP readers) with everything it spent: sample before and after a run
and divide the delta by the number of operations.

CLI:
    proc_cpu.py [--tree] PID...          utime+stime in seconds (float), summed
    proc_cpu.py [--tree] --pss PID...    Pss in KiB (int), summed

Module:
    cpu_seconds(pids, tree=False) -> float
    pss_kib(pids, tree=False) -> int
"""

import argparse
import os
import sys

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    """Returns /proc/PID/stat fields from field 3 (state) on, or None if PID is gone.

    The comm field (2) may contain spaces and parentheses, so split after the last ')'.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return data[data.rindex(b")") + 2 :].split()


def _all_ppids():
    """Maps every live PID to its parent PID."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        fields = _stat_fields(int(name))
        if fields is not None:
            out[int(name)] = int(fields[1])
    return out


def expand_tree(pids):
    """Returns the given PIDs plus all their live descendants, sorted, without duplicates."""
    wanted = set(int(p) for p in pids)
    ppids = _all_ppids()
    children = {}
    for pid, ppid in ppids.items():
        children.setdefault(ppid, []).append(pid)
    todo = list(wanted)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in wanted:
                wanted.add(child)
                todo.append(child)
    return sorted(wanted)


def cpu_seconds(pids, tree=False):
    """Returns utime+stime in seconds summed over |pids|.

    /proc/PID/stat of a thread-group leader already includes all of its threads (live and
    exited), so no per-thread walk is needed. With |tree|, live descendants are added and
    so are cutime+cstime (time of descendants that exited and were reaped), so a delta
    over a run covers the whole process tree. PIDs that no longer exist are skipped with a
    warning on stderr (their time is lost; compare the counts if that matters).
    """
    pids = expand_tree(pids) if tree else sorted(set(int(p) for p in pids))
    ticks = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is None:
            print(f"proc_cpu: pid {pid} is gone", file=sys.stderr)
            continue
        # Fields 14..17 (utime, stime, cutime, cstime) are at 11..14 counting from field 3.
        ticks += int(fields[11]) + int(fields[12])
        if tree:
            ticks += int(fields[13]) + int(fields[14])
    return ticks / _CLK_TCK


def pss_kib(pids, tree=False):
    """Returns the proportional set size in KiB summed over |pids| (and live descendants
    with |tree|), from /proc/PID/smaps_rollup.

    Pss splits each shared page between the processes mapping it, so the sum counts
    shared memory (e.g. Kamailio's shm pool) once. Only touched pages count. Gone PIDs are
    skipped with a warning on stderr.
    """
    pids = expand_tree(pids) if tree else sorted(set(int(p) for p in pids))
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except (FileNotFoundError, ProcessLookupError):
            print(f"proc_cpu: pid {pid} is gone", file=sys.stderr)
    return total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tree", action="store_true", help="include live descendants (and "
                    "reaped children's time for CPU)")
    ap.add_argument("--pss", action="store_true", help="print summed Pss KiB instead of CPU")
    ap.add_argument("pids", nargs="+", type=int, metavar="PID")
    args = ap.parse_args(argv)
    if args.pss:
        print(pss_kib(args.pids, args.tree))
    else:
        print(f"{cpu_seconds(args.pids, args.tree):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
