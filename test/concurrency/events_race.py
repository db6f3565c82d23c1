"""The outbox under concurrency (test/concurrency/events_race.sh): 8 writers,
2 consumers and a listener at once, and one transaction that writes its
event first and commits last. Prints one line per claim, then the count.

Writers insert tickets (each emits ticket.made); every seventh transaction
rolls back. Writers 0-3 first take a shared clock row, so their commit order
is the clock's order, which is not their start order. Consumers c1 and c2 read in batches and acknowledge,
except every fifth batch, which they drop as a crashed consumer would.
"""
import sys
import threading
import time
import select

import psycopg2

db = sys.argv[1]
WRITERS, TRANSACTIONS = 8, 40
passed = failed = 0


def check(claim, holds, detail=""):
    global passed, failed
    if holds:
        passed += 1
        print(f"ok - {claim}")
    else:
        failed += 1
        print(f"not ok - {claim}" + (f" ({detail})" if detail else ""))


def connect(autocommit=True):
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = autocommit
    return conn


writers_done = threading.Event()
long_written = threading.Event()
long_committed = threading.Event()
stop = threading.Event()
acked = {"c1": 0, "c2": 0}
acked_before_long_commit = {}
delivered = {"c1": [], "c2": []}
redelivered = {"c1": 0, "c2": 0}
notified = set()
errors = []


def writer(w):
    try:
        conn = connect(autocommit=False)
        cur = conn.cursor()
        for t in range(TRANSACTIONS):
            token = f"w{w}-{t}"
            clock = None
            # The transaction starts (takes its id) before it waits for the clock,
            # so ordering by transaction start would break the clock's order.
            cur.execute("SELECT pg_current_xact_id()")
            if w < 4:
                cur.execute("UPDATE race.clock SET n = n + 1 RETURNING n")
                clock = cur.fetchone()[0]
            parts = 1 + t % 3
            for part in range(parts):
                cur.execute("INSERT INTO race.ticket (token, part, clock) VALUES (%s, %s, %s)", (token, part, clock))
            if t % 7 == 3:
                conn.rollback()
            else:
                cur.execute("INSERT INTO race.committed VALUES (%s, %s)", (token, parts))
                conn.commit()
    except Exception as e:  # reported as a failed claim below
        errors.append(f"writer {w}: {e}")


def long_transaction():
    try:
        conn = connect(autocommit=False)
        cur = conn.cursor()
        cur.execute("INSERT INTO race.ticket (token, part) VALUES ('long', 0) RETURNING id")
        long_written.set()
        # Committed last: after every writer, and after both consumers acknowledged past it.
        writers_done.wait()
        deadline = time.time() + 60
        while time.time() < deadline and not all(a > 0 for a in acked.values()):
            time.sleep(0.1)
        time.sleep(0.5)
        acked_before_long_commit.update(acked)
        cur.execute("INSERT INTO race.committed VALUES ('long', 1)")
        conn.commit()
    except Exception as e:
        errors.append(f"long transaction: {e}")
    finally:
        long_committed.set()


def consumer(name):
    try:
        conn = connect()
        cur = conn.cursor()
        batch = 0
        idle_after_done = 0
        seen = set()
        while idle_after_done < 3:
            cur.execute("SELECT id, position, payload FROM crm.consume_events(%s, 25)", (name,))
            rows = cur.fetchall()
            for event_id, position, payload in rows:
                if event_id in seen:
                    redelivered[name] += 1
                seen.add(event_id)
                delivered[name].append((event_id, position, payload))
            batch += 1
            if rows and batch % 5 != 0:
                cur.execute("SELECT crm.ack_events(%s, %s)", (name, rows[-1][1]))
                acked[name] = cur.fetchone()[0]
            if not rows:
                idle_after_done = idle_after_done + 1 if long_committed.is_set() else 0
                time.sleep(0.05)
    except Exception as e:
        errors.append(f"consumer {name}: {e}")


def listener():
    try:
        conn = connect()
        cur = conn.cursor()
        cur.execute("LISTEN pgcrm_events")
        while not stop.is_set():
            if select.select([conn], [], [], 0.2)[0]:
                conn.poll()
                while conn.notifies:
                    notified.add(int(conn.notifies.pop(0).payload))
    except Exception as e:
        errors.append(f"listener: {e}")


threads = {"listener": threading.Thread(target=listener)}
threads["listener"].start()
time.sleep(0.3)
threads["long"] = threading.Thread(target=long_transaction)
threads["long"].start()
long_written.wait(30)
for c in ("c1", "c2"):
    threads[c] = threading.Thread(target=consumer, args=(c,))
    threads[c].start()
writer_threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
for t in writer_threads:
    t.start()
for t in writer_threads:
    t.join()
writers_done.set()
for name in ("long", "c1", "c2"):
    threads[name].join(120)
time.sleep(0.5)
stop.set()
threads["listener"].join(5)

check("writers, consumers and the listener ran without error", not errors, "; ".join(errors))
conn = connect()
cur = conn.cursor()
cur.execute("SELECT token, parts FROM race.committed")
committed = dict(cur.fetchall())
cur.execute("SELECT id, position FROM crm.event WHERE kind = 'ticket.made'")
stored = dict(cur.fetchall())
expected = sum(committed.values())
check(f"every committed change has its event, and nothing else does ({expected} events of {len(committed)} transactions)",
      len(stored) == expected, f"{len(stored)} stored")
cur.execute("""SELECT count(*) FROM crm.event e WHERE e.kind = 'ticket.made'
               AND NOT EXISTS (SELECT FROM race.committed c WHERE c.token = e.payload ->> 'token')""")
check("no event of a rolled-back transaction exists", cur.fetchone()[0] == 0)

for name in ("c1", "c2"):
    got = delivered[name]
    ids = {event_id for event_id, _, _ in got}
    tokens = {}
    for _, _, payload in got:
        tokens.setdefault(payload["token"], set()).add(payload["part"])
    check(f"{name} received every committed event at least once ({len(ids)} events, {redelivered[name]} again after a dropped batch)",
          ids == set(stored) and all(len(tokens.get(t, ())) == n for t, n in committed.items()))
    check(f"{name} received nothing from a rolled-back transaction", set(tokens) <= set(committed))
    check(f"{name} was redelivered what it did not acknowledge", redelivered[name] > 0)
    # Each event's first delivery: redeliveries repeat what was not acknowledged.
    seen_ids, fresh, clocks = set(), [], []
    for event_id, position, payload in got:
        if event_id not in seen_ids:
            fresh.append(position)
            if payload.get("clock") is not None:
                clocks.append(payload["clock"])
        seen_ids.add(event_id)
    check(f"{name} received positions in increasing order", fresh == sorted(fresh) and len(set(fresh)) == len(fresh))
    check(f"{name} received the clock-ordered writers' events in their commit order", clocks == sorted(clocks) and clocks)
    long_events = [p for _, p, payload in got if payload["token"] == "long"]
    check(f"{name} received the event written first and committed last, after the {acked_before_long_commit.get(name)} "
          f"positions it had acknowledged before that commit",
          len(long_events) >= 1 and long_events[0] > acked_before_long_commit.get(name, 0) > 0)

cur.execute("SELECT id FROM crm.event")
all_ids = {r[0] for r in cur.fetchall()}
check(f"the listener heard the id of every committed event on pgcrm_events ({len(notified)} notifications) and of nothing else",
      notified == all_ids, f"{len(all_ids - notified)} missing, {len(notified - all_ids)} unknown")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
