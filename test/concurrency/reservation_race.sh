#!/usr/bin/env bash
# 16 sessions race for little stock on one node: test/lib/reservation_race.sh.
set -euo pipefail
# Its own database: the append-only ledger keeps every trace of a run.
export PGDATABASE=pgcrm_reservation_race
trap 'dropdb --if-exists "$PGDATABASE"' EXIT
dropdb --if-exists "$PGDATABASE"
createdb "$PGDATABASE"
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION pgcrm CASCADE'
bash "$(dirname "${BASH_SOURCE[0]}")/../lib/reservation_race.sh"
