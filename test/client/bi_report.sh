#!/usr/bin/env bash
# The managers' report (scripts/report, which make demo runs) as a person sees
# it: built from demo data by a BI login, which can read nothing but the BI
# views, then opened in headless Chromium (Debian's chromium), which takes a
# screenshot. It fails on a chart that did not load, on a script error, and on
# a chart that lacks what the database says it must show. A copy with a chart
# deleted and a failing script must fail the same checks.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
db=pgcrm_report
work=$(mktemp -d)
cleanup() {
  psql -d "$db" -o /dev/null -c "SELECT crm.drop_bi_login('report_bi')" 2>/dev/null || true
  dropdb --if-exists "$db" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql -d "$db" -o /dev/null <<'SQL'
CREATE EXTENSION pgcrm CASCADE;
SELECT crm.generate_demo_data(1, 9);
SELECT * FROM crm.etl_refresh();
SELECT crm.create_bi_login('report_bi');
SQL
PGDATABASE=$db PGUSER=report_bi "$repo/scripts/report" "$work/report" >/dev/null
q() { psql -d "$db" -tA -c "$1"; }

# Opens a page as a person would, fresh profile and all: a screenshot, the
# page as it stands after loading, and the browser's console.
browse() {
  local page=$1 name=$2 flags
  flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
         --disable-sync --no-first-run --enable-logging=stderr --v=0 --virtual-time-budget=10000 --window-size=1100,4200)
  chromium "${flags[@]}" --user-data-dir="$(mktemp -d -p "$work")" --screenshot="$work/$name.png" "file://$page" \
    2>"$work/$name.console" >/dev/null
  chromium "${flags[@]}" --user-data-dir="$(mktemp -d -p "$work")" --dump-dom "file://$page" \
    >"$work/$name.dom" 2>>"$work/$name.console"
}
# What is wrong with a page, one line each; nothing when all is well.
problems() {
  local name=$1 figures
  figures=$(grep -c '<figure' "$work/$name.dom" || true)
  grep -q "<p id=\"status\" data-missing=\"0\">$figures of $figures charts loaded.</p>" "$work/$name.dom" ||
    echo "not every chart loaded: $(grep -o '<p id="status"[^<]*' "$work/$name.dom")"
  grep -o 'data-script-error="[^"]*"' "$work/$name.dom" || true
  grep -o 'Uncaught[^"]*' "$work/$name.console" | sort -u || true
}

browse "$work/report/report.html" report
found=$(problems report)
check "Chromium shows the report with every chart loaded and no script error" "$([ -z "$found" ] && echo true)"
[ -z "$found" ] || echo "$found"
check "the report has its five charts: sales by industry, forecast, segments, elbow, KPIs" \
  "$([ "$(grep -o 'src="charts/[a-z_]*.svg"' "$work/report.dom" | paste -sd' ')" = \
       'src="charts/sales_by_industry.svg" src="charts/forecast.svg" src="charts/segments.svg" src="charts/elbow.svg" src="charts/kpi.svg"' ] &&
     echo true)"
# Each chart shows what the database holds (read here as the owner).
shows() { local svg=$work/report/charts/$1.svg; shift; for t in "$@"; do grep -qF ">$t<" "$svg" || return 1; done; }
check "the sales chart has a line for every client industry" \
  "$(shows sales_by_industry $(q "SELECT DISTINCT industry FROM crm.account WHERE industry IS NOT NULL")  && echo true)"
check "the segments chart has every segment and the centroids" \
  "$(IFS=$'\n' && shows segments $(q "SELECT DISTINCT label FROM crm_dw.customer_segment WHERE segment IS NOT NULL") centroids &&
     echo true)"
check "the forecast chart shows the booked history and the forecast with both intervals" \
  "$(shows forecast booked forecast '80% interval' '95% interval' && echo true)"
check "the elbow chart marks the k chosen, and the KPI chart names every KPI" \
  "$(shows elbow 'k chosen' && shows kpi $(q "SELECT kpi FROM crm_dw.kpi_standard") && echo true)"
check "the screenshot is a picture of a page with charts, not a blank one" \
  "$([ "$(head -c 8 "$work/report.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] &&
     [ "$(stat -c %s "$work/report.png")" -gt 100000 ] && echo true)"

# The checks fail where they should: a chart deleted, a script that throws.
cp -r "$work/report" "$work/broken"
rm "$work/broken/charts/elbow.svg"
sed -i 's|</body>|<script>noSuchFunction();</script></body>|' "$work/broken/report.html"
browse "$work/broken/report.html" broken
found=$(problems broken)
check "a report with a chart missing and a failing script fails those checks" \
  "$(grep -q 'not every chart loaded: .*4 of 5' <<<"$found" && grep -q 'data-script-error=".*noSuchFunction' <<<"$found" &&
     grep -q 'Uncaught ReferenceError: noSuchFunction' <<<"$found" && echo true)"
[ -n "$found" ] && echo "$found" | sed 's/^/    (as expected) /'
finish
