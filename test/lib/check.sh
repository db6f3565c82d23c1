# What the shell tests share: source it, then `check "claim" "$result"` (t or
# true holds) or `check_sql "claim" "SQL that returns true when it holds"`,
# and end with `finish`, which prints the count and fails if any claim did.
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
pass=0 fail=0
check() {
  if [ "$2" = true ] || [ "$2" = t ]; then echo "ok - $1"; pass=$((pass + 1)); else echo "not ok - $1${2:+ ($2)}"; fail=$((fail + 1)); fi
}
check_sql() { check "$1" "$(psql -tA -c "$2")"; }
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}

# `race SCHEMA KEYS TRANSACTIONS`, the races of test/concurrency and
# test/citus: 16 pgbench sessions run TRANSACTIONS transactions each, nine in
# ten SCHEMA.step(k) with k random in 1..KEYS and one in ten SCHEMA.check(),
# the sampler; then no transaction may have failed.
race() {
  local schema=$1 keys=$2 transactions=$3 dir start failed
  dir=$(mktemp -d)
  printf '\\set k random(1, %s)\nSELECT %s.step(:k);\n' "$keys" "$schema" >"$dir/step.sql"
  printf 'SELECT %s.check();\n' "$schema" >"$dir/check.sql"
  start=$SECONDS
  command pgbench -n -c 16 -j 2 -t "$transactions" -f "$dir/step.sql@9" -f "$dir/check.sql@1" >"$dir/pgbench.out" 2>&1
  grep -E "^number of (transactions actually processed|failed)" "$dir/pgbench.out"
  echo "# ran in $((SECONDS - start)) s"
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$dir/pgbench.out")
  rm -rf "$dir"
  check_sql "no transaction failed (no deadlock, no unexpected error)" "SELECT '${failed:-missing}' = '0'"
}
