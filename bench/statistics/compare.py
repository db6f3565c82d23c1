"""Regression benchmark: crm.linreg against regr_slope, itself with 2 parallel
workers, and psycopg2 fetch + statsmodels OLS, on bench_regression (10,000,000
rows x 4 features). Run by bench/statistics/run; writes markdown to stdout."""
import os
import statistics
import sys
import time

import numpy as np
import psycopg2
import statsmodels
import statsmodels.api as sm

RUNS = int(os.environ.get("RUNS", "3"))
SERIAL = ["SET max_parallel_workers_per_gather = 0"]
PARALLEL = ["SET max_parallel_workers_per_gather = 2", "SET parallel_setup_cost = 0", "SET parallel_tuple_cost = 0"]


def connect():
    return psycopg2.connect(host=os.environ["PGHOST"], port=os.environ["PGPORT"], dbname=os.environ["PGDATABASE"],
                            user=os.environ["PGUSER"])


def timed(sql, settings):
    conn = connect()
    cur = conn.cursor()
    for s in settings:
        cur.execute(s)
    start = time.perf_counter()
    cur.execute(sql)
    row = cur.fetchone()
    seconds = time.perf_counter() - start
    conn.close()
    return seconds, row


def statsmodels_round_trip():
    conn = connect()
    cur = conn.cursor()
    start = time.perf_counter()
    cur.execute("SELECT y, x1, x2, x3, x4 FROM bench_regression")
    data = np.array(cur.fetchall(), dtype=np.float64)
    fetched = time.perf_counter()
    conn.close()
    fit = sm.OLS(data[:, 0], sm.add_constant(data[:, 1:])).fit()
    fitted = time.perf_counter()
    return fetched - start, fitted - fetched, fit.params


LINREG = "SELECT (crm.linreg(y, x)).coefficients FROM bench_regression"
FLOOR = "SELECT regr_slope(y, x1) FROM bench_regression"


def main():
    med = statistics.median
    runs = {k: [] for k in ("linreg", "floor", "linreg_parallel", "floor_parallel")}
    coefficients = None
    for r in range(RUNS):
        runs["linreg"].append(timed(LINREG, SERIAL)[0])
        runs["floor"].append(timed(FLOOR, SERIAL)[0])
        seconds, (coefficients,) = timed(LINREG, PARALLEL)
        runs["linreg_parallel"].append(seconds)
        runs["floor_parallel"].append(timed(FLOOR, PARALLEL)[0])
        print(f"run {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in runs.items()), file=sys.stderr)
    fetch, fit, params = statsmodels_round_trip()
    gap = max(abs(a - b) / abs(b) for a, b in zip(coefficients, params))

    fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)
    print("# Regression benchmark\n")
    print(f"`bench/statistics/run`: 10,000,000 rows × 4 features (`bench/statistics/setup.sql`), "
          f"medians of {RUNS} interleaved runs; statsmodels {statsmodels.__version__} once (its fetch alone takes "
          f"{fetch:.0f} s). PostgreSQL 15, 2 cores; run on {time.strftime('%Y-%m-%d')}.\n")
    print("| method | median s | runs (s) |")
    print("|---|---:|---|")
    print(f"| `crm.linreg(y, x)`, serial | {med(runs['linreg']):.2f} | {fmt(runs['linreg'])} |")
    print(f"| floor: `regr_slope(y, x1)`, serial | {med(runs['floor']):.2f} | {fmt(runs['floor'])} |")
    print(f"| `crm.linreg(y, x)`, 2 parallel workers | {med(runs['linreg_parallel']):.2f} | {fmt(runs['linreg_parallel'])} |")
    print(f"| `regr_slope(y, x1)`, 2 parallel workers | {med(runs['floor_parallel']):.2f} | {fmt(runs['floor_parallel'])} |")
    print(f"| psycopg2 fetch into numpy | {fetch:.2f} | one run |")
    print(f"| statsmodels OLS fit | {fit:.2f} | one run |")
    print(f"| fetch + statsmodels | {fetch + fit:.2f} | one run |")
    ratio = med(runs["linreg"]) / med(runs["floor"])
    speedup = med(runs["linreg"]) / med(runs["linreg_parallel"])
    floor_speedup = med(runs["floor"]) / med(runs["floor_parallel"])
    against = (fetch + fit) / med(runs["linreg"])
    print("\n## Targets\n")
    print(f"- ≤ 2.5× `regr_slope`'s time: **{ratio:.2f}×** — {'met' if ratio <= 2.5 else 'NOT met'}.")
    print(f"- ≥ 1.6× speed-up with 2 workers: **{speedup:.2f}×** — {'met' if speedup >= 1.6 else 'NOT met'} "
          f"(regr_slope itself gains {floor_speedup:.2f}×; the machine has 2 cores, shared by the leader and its workers).")
    print(f"- ≥ 10× faster than fetch + statsmodels: **{against:.1f}×** — {'met' if against >= 10 else 'NOT met'}.")
    print(f"- the coefficients agree with statsmodels to {gap:.1e} relative.")


main()
