#!/usr/bin/env bash
# The outbox under 8 concurrent writers and 2 consumers (events_race.py): every
# committed change delivered to each consumer at least once, in position
# order, clock-ordered writers in their commit order, nothing of a rolled-back
# transaction, the event written first and committed last not skipped, and
# the id of every committed event heard on pgcrm_events.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
cd "$(dirname "${BASH_SOURCE[0]}")"
db=pgcrm_events_race
trap 'dropdb --if-exists "$db" 2>/dev/null || true' EXIT
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql -d "$db" -o /dev/null <<'SQL'
CREATE EXTENSION pgcrm CASCADE;
CREATE SCHEMA race;
CREATE TABLE race.ticket (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, token text NOT NULL, part int NOT NULL, clock bigint);
CREATE TABLE race.clock (n bigint NOT NULL);
INSERT INTO race.clock VALUES (0);
CREATE TABLE race.committed (token text PRIMARY KEY, parts int NOT NULL);
SELECT crm.emit_on('race.ticket', 'ticket.made');
SQL
PGDATABASE=$db /usr/bin/python3 events_race.py "$db"
