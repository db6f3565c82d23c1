#!/usr/bin/env bash
# The one-name rule (docs/development.md, "Names"): a capability has the same
# name in every layer. Fails naming each file or folder that is missing, and
# each SQL part the Makefile does not install.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# Files named for what they are, not capabilities.
glue_infrastructure=" datum guard module training state removed "
core_infrastructure=" error eigen interrupt "
sql_infrastructure=" common versions "
missing=()
need() { [ -e "$1" ] || missing+=("$1 (for $2)"); }

capabilities=()
for f in src/pg/*.cpp; do
  n=$(basename "$f" .cpp)
  [[ $glue_infrastructure == *" $n "* ]] || capabilities+=("$n")
done
for d in sql/*/; do
  n=$(basename "$d")
  [[ $sql_infrastructure == *" $n "* ]] || capabilities+=("$n")
done
for n in $(printf '%s\n' "${capabilities[@]}" | sort -u); do
  need "sql/$n" "$n"
  need "test/pgtap/$n.sql" "$n"
  need "docs/$n.md" "$n"
done
for f in src/core/*.cpp src/core/*/; do
  n=$(basename "${f%.cpp}")
  [[ $core_infrastructure == *" $n "* ]] && continue
  [ -e "test/unit/${n}_test.cpp" ] || [ -d "test/unit/$n" ] || missing+=("test/unit/${n}_test.cpp (for src/core/$n)")
done
for d in bench/*/; do
  n=$(basename "$d")
  [ "$n" = results ] || need "docs/$n.md" "bench/$n"
done
parts=$(make -s --no-print-directory print-sql-parts 2>/dev/null)
for f in $(find sql -name '*.sql' ! -path 'sql/versions/*' | sort); do
  [[ " $parts " == *" $f "* ]] || missing+=("$f in the Makefile's SQL_PARTS")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "ok - every capability has its SQL, pgTAP test, manual page and unit test under one name, and every SQL part is installed"
  echo "1 passed, 0 failed"
else
  echo "not ok - the one-name rule is broken; missing:"
  printf '    %s\n' "${missing[@]}"
  echo "0 passed, 1 failed"
  exit 1
fi
