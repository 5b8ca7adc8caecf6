#!/usr/bin/python3
"""Summarize bench/server_bench.sh raw results into a markdown table.

Input: TSV lines "workers<TAB>round<TAB>server<TAB>workload<TAB>rps" where server is
"redis" or "kora". For every (workload, workers) prints the median redis rps, the median kora
rps, and the median of the per-round ratios kora/redis (rounds pair runs made back to back).

Usage: /usr/bin/python3 bench/summarize.py RESULTS.tsv
"""
import statistics
import sys
from collections import defaultdict

WORKLOAD_ORDER = ["SET", "GET", "INCR", "SET (-P 16)", "GET (-P 16)"]


def fmt_rps(x):
    return "{:,.0f}".format(x)


def main(path):
    data = defaultdict(dict)  # (workload, workers) -> {(round, server): rps}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            workers, rnd, server, workload, rps = line.split("\t")
            data[(workload, int(workers))][(int(rnd), server)] = float(rps)

    def order(key):
        w, n = key
        return (WORKLOAD_ORDER.index(w) if w in WORKLOAD_ORDER else len(WORKLOAD_ORDER), w, n)

    rows = []
    for key in sorted(data, key=order):
        runs = data[key]
        rounds = sorted({r for r, _ in runs})
        redis = [runs[(r, "redis")] for r in rounds if (r, "redis") in runs]
        kora = [runs[(r, "kora")] for r in rounds if (r, "kora") in runs]
        ratios = [runs[(r, "kora")] / runs[(r, "redis")] for r in rounds
                  if (r, "kora") in runs and (r, "redis") in runs and runs[(r, "redis")] > 0]
        rows.append((key[0], key[1],
                     fmt_rps(statistics.median(redis)) if redis else "n/a",
                     fmt_rps(statistics.median(kora)) if kora else "n/a",
                     "%.2f" % statistics.median(ratios) if ratios else "n/a",
                     len(ratios)))

    print("| workload | workers | redis rps (median) | kora rps (median) | ratio (median of per-round) |")
    print("|---|---:|---:|---:|---:|")
    for w, n, r, k, ratio, _cnt in rows:
        print("| %s | %d | %s | %s | %s |" % (w, n, r, k, ratio))
    incomplete = [(w, n, c) for w, n, _r, _k, _x, c in rows
                  if c < max(c2 for *_, c2 in rows)]
    for w, n, c in incomplete:
        print("\nnote: %s with %d workers has only %d complete round(s)" % (w, n, c),
              file=sys.stderr)
    return 0 if rows else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
