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
