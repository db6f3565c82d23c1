"""Forecast benchmark: crm.forecast's methods against R's forecast package on
every suitable series Debian's R packages ship, their last periods held out
(M3's horizons: 18 months, 8 quarters, 6 years), then 10,000 series x 48
months in one GROUP BY query. Run by bench/forecast/run after peers.R; writes
markdown to stdout. Accuracy measures are computed here, independently of
pgcrm: MASE scaled by the in-sample seasonal naive MAE, sMAPE as in M4."""
import csv
import os
import statistics
import sys
import time

import psycopg2

RUNS = int(os.environ.get("RUNS", "3"))
OUT = sys.argv[1]
STEP = {12: "months => (i - 1)::int", 4: "months => 3 * (i - 1)::int", 1: "years => (i - 1)::int"}
OURS = ["auto", "ets", "arima", "theta"]
PEERS = ["ets", "auto.arima", "thetaf", "mean of ets, auto.arima, thetaf", "HoltWinters", "snaive"]


def connect():
    return psycopg2.connect(host=os.environ["PGHOST"], port=os.environ["PGPORT"], dbname=os.environ["PGDATABASE"],
                            user=os.environ["PGUSER"])


def mase(actual, forecast, train, m):
    lag = m if m > 1 and len(train) > m else 1
    scale = sum(abs(train[i] - train[i - lag]) for i in range(lag, len(train))) / (len(train) - lag)
    return sum(abs(a - f) for a, f in zip(actual, forecast)) / len(actual) / scale


def smape(actual, forecast):
    return 200 * sum(abs(a - f) / (abs(a) + abs(f)) if abs(a) + abs(f) > 0 else 0
                     for a, f in zip(actual, forecast)) / len(actual)


def r_mean_seconds(method, csv_name, h):
    """Mean seconds per series of R's ets() or auto.arima() + forecast() on the 48-month series."""
    script = ("suppressMessages(library(forecast)); t <- c(); "
              f"for (l in readLines(\"{OUT}/{csv_name}\")) {{ y <- ts(as.numeric(strsplit(l, \";\")[[1]]), frequency = 12); "
              f"t0 <- proc.time()[[\"elapsed\"]]; f <- forecast({method}(y), h = {h}); "
              "t <- c(t, proc.time()[[\"elapsed\"]] - t0) }; cat(mean(t))")
    return float(os.popen(f"Rscript -e '{script}' 2>/dev/null").read())


series = {}
with open(os.path.join(OUT, "series.csv")) as f:
    for row in csv.DictReader(f):
        s = series.setdefault(row["name"], {"m": int(float(row["frequency"])), "h": int(row["horizon"]), "y": []})
        s["y"].append(float(row["value"]))

conn = connect()
conn.autocommit = True
cur = conn.cursor()
cur.execute("SET TimeZone = 'UTC'")
cur.execute("DROP TABLE IF EXISTS bench_train")
cur.execute("CREATE TABLE bench_train (name text, m int, h int, t timestamptz, v float8)")
for name, s in series.items():
    cur.execute(f"""INSERT INTO bench_train SELECT %s, %s, %s, timestamptz '1900-01-01' + make_interval({STEP[s['m']]}), v
                    FROM unnest(%s::float8[]) WITH ORDINALITY u(v, i)""",
                (name, s["m"], s["h"], s["y"][:-s["h"]]))
cur.execute("ANALYZE bench_train")

# One GROUP BY per method over all series; the horizon is a column, constant within each series.
crm, crm_seconds = {}, {}
for method in OURS:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        cur.execute("SELECT name, (f).model, (f).point FROM (SELECT name, crm.forecast(t, v, h, NULL, %s) f "
                    "FROM bench_train GROUP BY name) s", (method,))
        rows = cur.fetchall()
        times.append(time.perf_counter() - start)
    crm_seconds[method] = statistics.median(times)
    crm[method] = {name: (model, point) for name, model, point in rows}

peers = {}
with open(os.path.join(OUT, "r.csv")) as f:
    for row in csv.DictReader(f):
        peers.setdefault(row["method"], {})[row["name"]] = (row["model"], float(row["seconds"]),
                                                             [float(v) for v in row["forecast"].split(";")])

labels = [f"crm.forecast {m}" for m in OURS] + PEERS
scores = {label: {} for label in labels}
for name, s in series.items():
    train, actual = s["y"][:-s["h"]], s["y"][-s["h"]:]
    for m in OURS:
        scores[f"crm.forecast {m}"][name] = (mase(actual, crm[m][name][1], train, s["m"]), smape(actual, crm[m][name][1]))
    for p in PEERS:
        f = peers[p][name][2]
        scores[p][name] = (mase(actual, f, train, s["m"]), smape(actual, f))

n = len(series)
mean_time = {f"crm.forecast {m}": crm_seconds[m] / n for m in OURS}
for p in PEERS:
    mean_time[p] = sum(v[1] for v in peers[p].values()) / n

# 10,000 series x 48 months in one GROUP BY.
cur.execute("DROP TABLE IF EXISTS bench_demand")
cur.execute("""CREATE TABLE bench_demand AS
  SELECT p AS product_id, timestamptz '2022-01-01' + make_interval(months => k) AS month,
         greatest(0, round((100 + p % 50) * (1 + 0.3 * sin(2 * pi() * (k + p % 12) / 12)) * (1 + 0.01 * k)
                           + 15 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))::float8 AS qty
    FROM generate_series(1, 10000) p, generate_series(0, 47) k""")
cur.execute("ANALYZE bench_demand")
big = []
for _ in range(RUNS):
    start = time.perf_counter()
    # count((f).model), not count(*): the planner drops an aggregate no one reads from the subquery.
    cur.execute("SELECT count((f).model) FROM (SELECT product_id, crm.forecast(month, qty, 6) f FROM bench_demand "
                "GROUP BY product_id) s")
    big_count = cur.fetchone()[0]
    big.append(time.perf_counter() - start)
cur.execute("SELECT (f).model, count(*) FROM (SELECT product_id, crm.forecast(month, qty, 6) f FROM bench_demand "
            "WHERE product_id <= 200 GROUP BY product_id) s GROUP BY 1 ORDER BY 2 DESC LIMIT 5")
model_mix = cur.fetchall()
# R on the first 20 of those series, for the per-series ratios at this length.
cur.execute("SELECT product_id, string_agg(qty::text, ';' ORDER BY month) FROM bench_demand WHERE product_id <= 20 "
            "GROUP BY 1 ORDER BY 1")
with open(os.path.join(OUT, "demand48.csv"), "w") as f:
    for pid, values in cur.fetchall():
        f.write(values + "\n")
conn.close()
r_ets_48 = r_mean_seconds("ets", "demand48.csv", 6)
r_arima_48 = r_mean_seconds("auto.arima", "demand48.csv", 6)
ours_48 = statistics.median(big) / big_count

cpu = os.popen("nproc").read().strip()
load = os.popen("cut -d' ' -f1-3 /proc/loadavg").read().strip()
r_version = os.popen("Rscript -e 'cat(R.version.string)' 2>/dev/null").read().strip()
forecast_version = os.popen("Rscript -e 'cat(format(packageVersion(\"forecast\")))' 2>/dev/null").read().strip()
print("# Forecasting benchmark\n")
print(f"`bench/forecast/run` (RUNS={RUNS}: medians of {RUNS} runs for pgcrm's timings; R's are one run per series), "
      f"{cpu} cores shared with other work (load average at the end {load}), {r_version}, forecast {forecast_version}.\n")
print(f"## Accuracy on {n} public series, last periods held out\n")
print("Every yearly, quarterly and monthly series without missing values and with at most 1,000 values that R's")
print("datasets, forecast, tseries and urca packages ship (columns of multivariate series taken one by one, 0/1")
print("dummies left out); horizons as in M3: 18 for monthly, 8 for quarterly, 6 for yearly series. MASE is scaled")
print("by the in-sample seasonal naive MAE (lag 1 for yearly series), sMAPE is the M4 definition (%). Both are")
print("computed by this script from the forecasts, not by pgcrm. HoltWinters is R's stats::HoltWinters (additive;")
print("without the seasonal part for yearly series); the mean of three is R's ets, auto.arima and thetaf averaged.\n")
print("| method | mean MASE | median MASE | mean sMAPE | median sMAPE | mean time per series |")
print("|---|---|---|---|---|---|")
for label in labels:
    mases = [v[0] for v in scores[label].values()]
    smapes = [v[1] for v in scores[label].values()]
    print(f"| {label} | {statistics.mean(mases):.3f} | {statistics.median(mases):.3f} | {statistics.mean(smapes):.2f} | "
          f"{statistics.median(smapes):.2f} | {mean_time[label] * 1000:.1f} ms |")


def mean_of(label, k):
    return statistics.mean(v[k] for v in scores[label].values())


ours_mase, ours_smape = mean_of("crm.forecast auto", 0), mean_of("crm.forecast auto", 1)
best_mase = min(PEERS, key=lambda p: mean_of(p, 0))
best_smape = min(PEERS, key=lambda p: mean_of(p, 1))
print(f"\n**Targets.** Mean MASE of `auto` against the best R method ({best_mase}): **{ours_mase:.3f} vs "
      f"{mean_of(best_mase, 0):.3f}** ({'met' if ours_mase < mean_of(best_mase, 0) else 'not met'}); mean sMAPE "
      f"against the best ({best_smape}): **{ours_smape:.2f} vs {mean_of(best_smape, 1):.2f}** "
      f"({'met' if ours_smape < mean_of(best_smape, 1) else 'not met'}).")
print(f"Time per series on these series: `auto` against R's `ets()`: "
      f"**{mean_time['ets'] / mean_time['crm.forecast auto']:.1f}x faster** (target 10x), against R's `auto.arima()`: "
      f"**{mean_time['auto.arima'] / mean_time['crm.forecast auto']:.1f}x faster** (target 30x). pgcrm's time is one "
      f"GROUP BY over all {n} series divided by {n}; R's is one timed call + forecast() per series, averaged.\n")
print("Per series (MASE; the model each chose):\n")
print("| series | m | n train | auto | ets (pgcrm) | arima (pgcrm) | R ets | R auto.arima | R thetaf | R mean of three | snaive |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for name, s in series.items():
    cells = [f"{scores['crm.forecast auto'][name][0]:.3f}",
             f"{scores['crm.forecast ets'][name][0]:.3f} {crm['ets'][name][0]}",
             f"{scores['crm.forecast arima'][name][0]:.3f} {crm['arima'][name][0]}",
             f"{scores['ets'][name][0]:.3f} {peers['ets'][name][0]}",
             f"{scores['auto.arima'][name][0]:.3f} {peers['auto.arima'][name][0]}",
             f"{scores['thetaf'][name][0]:.3f}", f"{scores['mean of ets, auto.arima, thetaf'][name][0]:.3f}",
             f"{scores['snaive'][name][0]:.3f}"]
    print(f"| {name} | {s['m']} | {len(s['y']) - s['h']} | " + " | ".join(cells) + " |")
same = sum(1 for name in series if crm["arima"][name][0] == peers["auto.arima"][name][0])
print(f"\n`arima` chose R's `auto.arima()` order on **{same} of {n}** series.\n")
print("## 10,000 series x 48 months in one GROUP BY\n")
print(f"Synthetic monthly demand (seasonal, trending, noisy; `bench_demand`), `crm.forecast(month, qty, 6)` per product, "
      f"method 'auto': **{statistics.median(big):.1f} s** for {big_count} forecasts ({ours_48 * 1000:.2f} ms per "
      f"series; runs: {', '.join(f'{t:.1f}' for t in big)} s); target: no slower than 3 x 65 s = 195 s "
      f"({'met' if statistics.median(big) <= 195 else 'not met'}).\n")
print(f"R on 20 of these series: `ets()` {r_ets_48 * 1000:.1f} ms and `auto.arima()` {r_arima_48 * 1000:.1f} ms per "
      f"series, so `auto` (all three models and their combination) is **{r_ets_48 / ours_48:.1f}x** R's `ets()` and "
      f"**{r_arima_48 / ours_48:.1f}x** R's `auto.arima()` per series.\n")
print("Models chosen for the first 200 products (top five): " + ", ".join(f"{m} {c}" for m, c in model_mix) + ".")


def verdict(ok):
    return "**met**" if ok else "**not met**"


def worst_series(peer):
    """The three series on which auto's MASE exceeds the peer's by most: where the mean is lost."""
    gaps = sorted(((scores["crm.forecast auto"][s][0] - scores[peer][s][0], s) for s in series), reverse=True)[:3]
    return ", ".join(f"{s} (+{g:.2f})" for g, s in gaps)


losses_mase = [p for p in PEERS if ours_mase >= mean_of(p, 0)]
losses_smape = [p for p in PEERS if ours_smape >= mean_of(p, 1)]
members = " + ".join(f"{m} {mean_time[f'crm.forecast {m}'] * 1000:.1f} ms" for m in ("ets", "arima", "theta"))
ets_ratio = mean_time["ets"] / mean_time["crm.forecast auto"]
arima_ratio = mean_time["auto.arima"] / mean_time["crm.forecast auto"]
print("\n## Issue 20's benchmark targets\n")
print(f"- Mean MASE of `auto` lower than every R method: {verdict(not losses_mase)} ({ours_mase:.3f}"
      + (f"; not below {', '.join(f'{p} {mean_of(p, 0):.3f}' for p in losses_mase)}. Series where `auto` loses most to "
         f"{best_mase}: {worst_series(best_mase)})." if losses_mase else ")."))
print(f"- Mean sMAPE of `auto` lower than every R method: {verdict(not losses_smape)} ({ours_smape:.2f}"
      + (f"; not below {', '.join(f'{p} {mean_of(p, 1):.2f}' for p in losses_smape)})." if losses_smape else ")."))
print(f"- At least 10x R's `ets()` per series (public series): {verdict(ets_ratio >= 10)} ({ets_ratio:.1f}x; "
      f"on the 48-month series {r_ets_48 / ours_48:.1f}x)" + ("." if ets_ratio >= 10 else
      f". `auto` fits all three members; their own times per series: {members}."))
print(f"- At least 30x R's `auto.arima()` per series (public series): {verdict(arima_ratio >= 30)} ({arima_ratio:.1f}x; "
      f"on the 48-month series {r_arima_48 / ours_48:.1f}x)" + ("." if arima_ratio >= 30 else
      f". `auto` fits all three members; their own times per series: {members}."))
print(f"- 10,000-series GROUP BY no slower than 195 s: {verdict(statistics.median(big) <= 195)} "
      f"({statistics.median(big):.1f} s).")
print("- Below Theta's 12.76 sMAPE on the held-out competition set: not measured here (that set is not in the "
      "repository; the lead measures it).")
if RUNS == 1:
    print("\nRun with RUNS=1 to finish within the time available: each pgcrm timing is a single run, not a median.")
