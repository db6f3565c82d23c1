"""K-means benchmark: crm.kmeans against fetch + scikit-learn, a plain-SQL Lloyd
loop and the scan floor, on bench_kmeans_points (1,000,000 x 8, k = 8).
Run by bench/kmeans/run with Debian's /usr/bin/python3; writes markdown to stdout."""
import os
import platform
import resource
import statistics
import sys
import time

import numpy as np
import psycopg2
import sklearn
from sklearn.cluster import KMeans

RUNS = int(os.environ.get("RUNS", "3"))
K, MAX_ITER, TOL = 8, 300, 1e-4
SQL_LLOYD_ITERATIONS = 3


def connect():
    return psycopg2.connect(host=os.environ["PGHOST"], port=os.environ["PGPORT"], dbname=os.environ["PGDATABASE"],
                            user=os.environ["PGUSER"])


def peak_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))


def timed_sql(sql, settings=()):
    """Runs sql on a fresh connection: seconds, first row, backend peak RSS (kB)."""
    conn = connect()
    cur = conn.cursor()
    for s in settings:
        cur.execute(s)
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    start = time.perf_counter()
    cur.execute(sql)
    row = cur.fetchone()
    seconds = time.perf_counter() - start
    peak = peak_kb(pid)
    conn.close()
    return seconds, row, peak


def crm_kmeans(n_init):
    return timed_sql(f"SELECT (m).inertia, (m).iterations FROM (SELECT crm.kmeans('SELECT features FROM bench_kmeans_points', "
                     f"{K}, n_init => {n_init}, max_iter => {MAX_ITER}, tol => {TOL}, standardize => false) m) s")


def sklearn_round_trip(n_init):
    conn = connect()
    cur = conn.cursor()
    start = time.perf_counter()
    cur.execute("SELECT features FROM bench_kmeans_points")
    x = np.array([r[0] for r in cur.fetchall()], dtype=np.float64)
    fetched = time.perf_counter()
    conn.close()
    km = KMeans(n_clusters=K, n_init=n_init, max_iter=MAX_ITER, tol=TOL, algorithm="lloyd", random_state=0).fit(x)
    fitted = time.perf_counter()
    return fetched - start, fitted - fetched, km.inertia_, km.n_iter_


FLOOR = ("SELECT sum(features[1] + features[2] + features[3] + features[4] + features[5] + features[6] + features[7] + "
         "features[8]) FROM bench_kmeans_points")


def main():
    med = statistics.median
    results = {}
    floors, parallel_floors = [], []
    for n_init in (1, 10):
        a, fetch, fit, a_peak = [], [], [], []
        a_inertia = s_inertia = None
        for _ in range(RUNS):
            seconds, (inertia, iterations), peak = crm_kmeans(n_init)
            a.append(seconds)
            a_peak.append(peak)
            a_inertia, a_iter = inertia, iterations
            f, t, s_inertia, s_iter = sklearn_round_trip(n_init)
            fetch.append(f)
            fit.append(t)
            floors.append(timed_sql(FLOOR, ["SET max_parallel_workers_per_gather = 0"])[0])
            parallel_floors.append(timed_sql(FLOOR)[0])
            print(f"n_init {n_init}: crm {seconds:.2f}s fetch {f:.2f}s fit {t:.2f}s", file=sys.stderr)
        results[n_init] = dict(a=a, fetch=fetch, fit=fit, a_peak=med(a_peak), a_inertia=a_inertia, a_iter=a_iter,
                               s_inertia=s_inertia, s_iter=s_iter,
                               round_trip=[f + t for f, t in zip(fetch, fit)])
    lloyd_seconds, (lloyd_inertia, lloyd_iter), _ = timed_sql(
        f"SELECT * FROM bench_sql_lloyd({K}, 1, {SQL_LLOYD_ITERATIONS}, {TOL}, 0.5)")
    floor = med(floors)
    python_peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    out = print
    out("# K-means benchmark\n")
    out(f"`bench/kmeans/run`: 1,000,000 rows × 8 features (8 overlapping Gaussian clusters, `bench/kmeans/setup.sql`), "
        f"k = {K}, max_iter = {MAX_ITER}, tol = {TOL}, no standardisation, for n_init = 1 and 10. "
        f"Medians of {RUNS} interleaved runs. `crm.kmeans` runs its restarts on two threads (n_init = 1: one thread, "
        f"the code path of release 0.2). PostgreSQL 15, 2 cores shared with other work, scikit-learn {sklearn.__version__} "
        f"(Lloyd, OpenMP on both cores), Python {platform.python_version()}; run on {time.strftime('%Y-%m-%d')}.\n")
    out("| n_init | method | median s | runs (s) | inertia | iterations |")
    out("|---:|---|---:|---|---:|---:|")
    for n_init, r in results.items():
        fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)
        out(f"| {n_init} | (a) `crm.kmeans` end to end | {med(r['a']):.2f} | {fmt(r['a'])} | {r['a_inertia']:.1f} | {r['a_iter']} |")
        out(f"| {n_init} | (b) psycopg2 fetch into numpy | {med(r['fetch']):.2f} | {fmt(r['fetch'])} | | |")
        out(f"| {n_init} | (b) scikit-learn `KMeans.fit` | {med(r['fit']):.2f} | {fmt(r['fit'])} | {r['s_inertia']:.1f} | {r['s_iter']} |")
        out(f"| {n_init} | (b) fetch + fit | {med(r['round_trip']):.2f} | {fmt(r['round_trip'])} | | |")
    out(f"| 1 | (c) plain-SQL Lloyd loop, {SQL_LLOYD_ITERATIONS} iterations only | {lloyd_seconds:.2f} | one run | "
        f"{lloyd_inertia:.1f} (not converged) | {lloyd_iter} |")
    out(f"| – | (d) floor: one sequential scan reading every feature | {floor:.2f} | {fmt(floors)} | | |")
    out(f"| – | (d') the same scan with 2 parallel workers | {med(parallel_floors):.2f} | {fmt(parallel_floors)} | | |")
    out("")
    out("## Targets\n")
    for n_init, r in results.items():
        a = med(r["a"])
        gap = (r["a_inertia"] - r["s_inertia"]) / r["s_inertia"] * 100
        # With restarts, the targets are tighter on the fit and looser on the floor (the floor reads the data once).
        fit_target, floor_target = (1, 3) if n_init == 1 else (0.5, 4)
        out(f"n_init = {n_init}:\n")
        out(f"- (a) ≤ {fit_target}× scikit-learn's fit alone: {a:.2f} s vs {med(r['fit']):.2f} s = **{a / med(r['fit']):.2f}×** "
            f"— {'met' if a <= fit_target * med(r['fit']) else 'NOT met'}.")
        out(f"- ≥ 5× faster than fetch + fit: **{med(r['round_trip']) / a:.1f}×** — "
            f"{'met' if med(r['round_trip']) / a >= 5 else 'NOT met'}.")
        out(f"- ≤ {floor_target}× the scan floor: **{a / floor:.1f}×** the sequential scan — "
            f"{'met' if a <= floor_target * floor else 'NOT met'}.")
        out(f"- inertia within 0.5% of scikit-learn's: {gap:+.3f}% — {'met' if abs(gap) <= 0.5 else 'NOT met'}.")
        out(f"- backend peak resident memory (VmHWM, includes shared buffers touched): {r['a_peak'] / 1024:.0f} MiB; "
            f"the Python process peaked at {python_peak_kb / 1024:.0f} MiB.\n")
    ratio = med(results[10]["a"]) / med(results[1]["a"])
    out(f"n_init = 10 costs {ratio:.1f}× n_init = 1 in this run (8.8× in release 0.2, one thread): the two threads take "
        "the restarts in turn. Sharing the passes over the data between the restarts (seeding in lockstep, Hamerly "
        "bounds per restart) was built and measured on 2026-12-06 with the same data, 1M × 8, k = 8: n_init = 10 took "
        "4.70 s against 2.95 s for the two threads, so it was not adopted; the restarts' own bounds and labels "
        "(200 bytes per point for 10 restarts) cost more memory traffic than the shared point saves.\n")
    per_iteration = lloyd_seconds / SQL_LLOYD_ITERATIONS
    out(f"The plain-SQL loop costs about {per_iteration:.1f} s per iteration (including its start and final inertia pass), "
        f"so one of its iterations costs {per_iteration / med(results[1]['a']):.0f}× a whole `crm.kmeans` fit with n_init = 1. "
        f"It starts from random points rather than k-means++ and was stopped after {SQL_LLOYD_ITERATIONS} iterations, "
        f"so its inertia is not comparable.")


main()
