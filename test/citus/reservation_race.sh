#!/usr/bin/env bash
# The reservation race (test/lib/reservation_race.sh) through the coordinator
# of the Citus cluster, with the warehouse's facts distributed: stock and
# reservations stay on the coordinator (docs/citus.md), and 16 sessions
# still cannot oversell. Run by scripts/run-citus-tests in the cluster's
# database (a new one would take a minute to create pgcrm on every node).
set -euo pipefail
psql -X -q -v ON_ERROR_STOP=1 -c 'SELECT crm.distribute()' >/dev/null
bash "$(dirname "${BASH_SOURCE[0]}")/../lib/reservation_race.sh"
