"""Forecast benchmark: crm.forecast (method 'auto') against R's forecast::ets,
HoltWinters and seasonal naive on public series with their last periods held
out (M3's horizons: 18 months, 8 quarters, 6 years), then 10,000 series x 48
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


def connect():
    return psycopg2.connect(host=os.environ["PGHOST"], port=os.environ["PGPORT"], dbname=os.environ["PGDATABASE"],
                            user=os.environ["PGUSER"])


def mase(actual, forecast, train, m):
    lag = m if m > 1 and len(train) > m else 1
    scale = sum(abs(train[i] - train[i - lag]) for i in range(lag, len(train))) / (len(train) - lag)
    return sum(abs(a - f) for a, f in zip(actual, forecast)) / len(actual) / scale


def smape(actual, forecast):
    return 200 * sum(abs(a - f) / (abs(a) + abs(f)) for a, f in zip(actual, forecast)) / len(actual)


series = {}
with open(os.path.join(OUT, "series.csv")) as f:
    for row in csv.DictReader(f):
        s = series.setdefault(row["name"], {"m": int(row["frequency"]), "h": int(row["horizon"]), "y": []})
        s["y"].append(float(row["value"]))

conn = connect()
conn.autocommit = True
cur = conn.cursor()
cur.execute("SET TimeZone = 'UTC'")
cur.execute("DROP TABLE IF EXISTS bench_train")
cur.execute("CREATE TABLE bench_train (name text, m int, h int, t timestamptz, v float8)")
for name, s in series.items():
    train = s["y"][:-s["h"]]
    cur.execute(f"""INSERT INTO bench_train SELECT %s, %s, %s, timestamptz '1900-01-01' + make_interval({STEP[s['m']]}), v
                    FROM unnest(%s::float8[]) WITH ORDINALITY u(v, i)""",
                (name, s["m"], s["h"], train))
cur.execute("ANALYZE bench_train")

# The horizon is a column, constant within each series.
QUERY = """SELECT name, (f).model, (f).point FROM (
             SELECT name, crm.forecast(t, v, h) f FROM bench_train GROUP BY name) s"""
times = []
for _ in range(RUNS):
    start = time.perf_counter()
    cur.execute(QUERY)
    crm_rows = cur.fetchall()
    times.append(time.perf_counter() - start)
crm_seconds = statistics.median(times)
crm = {name: (model, point) for name, model, point in crm_rows}

peers = {}
with open(os.path.join(OUT, "r.csv")) as f:
    for row in csv.DictReader(f):
        peers.setdefault(row["method"], {})[row["name"]] = (row["model"], float(row["seconds"]),
                                                             [float(v) for v in row["forecast"].split(";")])

methods = ["crm.forecast auto", "ets", "HoltWinters", "snaive"]
scores = {m: {} for m in methods}
for name, s in series.items():
    train, actual = s["y"][:-s["h"]], s["y"][-s["h"]:]
    forecasts = {"crm.forecast auto": crm[name][1]}
    for method in methods[1:]:
        forecasts[method] = peers[method][name][2]
    for method, f in forecasts.items():
        scores[method][name] = (mase(actual, f, train, s["m"]), smape(actual, f))

n = len(series)
mean_time = {"crm.forecast auto": crm_seconds / n}
for method in methods[1:]:
    mean_time[method] = sum(v[1] for v in peers[method].values()) / n

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
    cur.execute("SELECT count(*), count(*) FILTER (WHERE (f).model LIKE 'ETS(%%') FROM "
                "(SELECT product_id, crm.forecast(month, qty, 6) f FROM bench_demand GROUP BY product_id) s")
    big_counts = cur.fetchone()
    big.append(time.perf_counter() - start)
cur.execute("SELECT (f).model, count(*) FROM (SELECT product_id, crm.forecast(month, qty, 6) f FROM bench_demand "
            "WHERE product_id <= 200 GROUP BY product_id) s GROUP BY 1 ORDER BY 2 DESC")
model_mix = cur.fetchall()
# R's ets on the first 20 of those series, for the per-series ratio at this length.
cur.execute("SELECT product_id, string_agg(qty::text, ';' ORDER BY month) FROM bench_demand WHERE product_id <= 20 "
            "GROUP BY 1 ORDER BY 1")
with open(os.path.join(OUT, "demand48.csv"), "w") as f:
    for pid, values in cur.fetchall():
        f.write(values + "\n")
conn.close()
r_48 = float(os.popen(
    "Rscript -e 'suppressMessages(library(forecast)); t <- c(); "
    f"for (l in readLines(\"{OUT}/demand48.csv\")) {{ y <- ts(as.numeric(strsplit(l, \";\")[[1]]), frequency = 12); "
    "t0 <- proc.time()[[\"elapsed\"]]; f <- forecast(ets(y), h = 6); t <- c(t, proc.time()[[\"elapsed\"]] - t0) }; "
    "cat(mean(t))' 2>/dev/null").read())

cpu = os.popen("nproc").read().strip()
r_version = os.popen("Rscript -e 'cat(R.version.string)' 2>/dev/null").read().strip()
forecast_version = os.popen("Rscript -e 'cat(format(packageVersion(\"forecast\")))' 2>/dev/null").read().strip()
print("# Forecasting benchmark\n")
print(f"`bench/forecast/run` (RUNS={RUNS}, medians of {RUNS} runs per timing), {cpu} cores, "
      f"{r_version}, forecast {forecast_version}.\n")
print(f"## Accuracy on {n} public series (R's datasets and forecast packages), last periods held out\n")
print("Horizons as in M3: 18 for monthly, 8 for quarterly, 6 for yearly series. MASE is scaled by the in-sample")
print("seasonal naive MAE (lag 1 for yearly series), sMAPE is the M4 definition (%). Both are computed by this")
print("script from the forecasts, not by pgcrm. HoltWinters is R's stats::HoltWinters (additive; without the")
print("seasonal part for yearly series).\n")
print("| method | mean MASE | median MASE | mean sMAPE | median sMAPE | mean time per series |")
print("|---|---|---|---|---|---|")
for method in methods:
    mases = [v[0] for v in scores[method].values()]
    smapes = [v[1] for v in scores[method].values()]
    print(f"| {method} | {statistics.mean(mases):.3f} | {statistics.median(mases):.3f} | {statistics.mean(smapes):.2f} | "
          f"{statistics.median(smapes):.2f} | {mean_time[method] * 1000:.2f} ms |")
best_peer = min(("ets", "HoltWinters"), key=lambda m: statistics.mean(v[0] for v in scores[m].values()))
ours = statistics.mean(v[0] for v in scores["crm.forecast auto"].values())
theirs = statistics.mean(v[0] for v in scores[best_peer].values())
print(f"\nMean MASE of crm.forecast against the better of ets and HoltWinters ({best_peer}): "
      f"**{ours:.3f} vs {theirs:.3f}** (target: no worse). ")
print(f"Time per series against ets: **{mean_time['ets'] / mean_time['crm.forecast auto']:.1f}x faster** "
      f"(target: >= 20x). crm.forecast's time is one GROUP BY query over all {n} series divided by {n}; "
      f"R's is the median of {RUNS} timed `ets()` + `forecast()` calls per series, averaged.\n")
print("Per series (MASE; the model each chose):\n")
print("| series | m | n train | crm.forecast | ets | HoltWinters | snaive |")
print("|---|---|---|---|---|---|---|")
for name, s in series.items():
    print(f"| {name} | {s['m']} | {len(s['y']) - s['h']} | {scores['crm.forecast auto'][name][0]:.3f} {crm[name][0]} | "
          f"{scores['ets'][name][0]:.3f} {peers['ets'][name][0]} | {scores['HoltWinters'][name][0]:.3f} | "
          f"{scores['snaive'][name][0]:.3f} |")
print(f"\n## 10,000 series x 48 months in one GROUP BY\n")
print(f"Synthetic monthly demand (seasonal, trending, noisy; `bench_demand`), `crm.forecast(month, qty, 6)` per product, "
      f"method 'auto': **{statistics.median(big):.1f} s** for {big_counts[0]} forecasts "
      f"({statistics.median(big) / big_counts[0] * 1000:.2f} ms per series; runs: "
      f"{', '.join(f'{t:.1f}' for t in big)} s).\n")
print(f"R's ets() + forecast() on 20 of these series: {r_48 * 1000:.1f} ms per series, so about "
      f"{r_48 * 10000 / 60:.0f} minutes for all 10,000 in one R process: "
      f"**{r_48 / (statistics.median(big) / big_counts[0]):.1f}x** the time per series of the GROUP BY.\n")
print("Models chosen for the first 200 products: " + ", ".join(f"{m} {c}" for m, c in model_mix) + ".")
