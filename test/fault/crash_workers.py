"""Workers for crash_recovery.sh: reservations and status changes that record
each commit after the server acknowledged it, plus one transaction that never
commits. Runs until the server goes away. Arguments: database, output dir.
Runs with Debian's /usr/bin/python3 (python3-psycopg2)."""
import sys
import threading

import psycopg2

DB, OUT = sys.argv[1], sys.argv[2]
NEXT = {"draft": "confirmed", "confirmed": "in_production", "in_production": "ready",
        "ready": "shipped", "shipped": "delivered"}


def connect():
    conn = psycopg2.connect(dbname=DB)
    conn.autocommit = False
    return conn


def reserver(n):
    conn = connect()
    cur = conn.cursor()
    cur.execute("SELECT id FROM crm.product WHERE sku = 'CRASH-1'")
    product = cur.fetchone()[0]
    with open(f"{OUT}/reserved.{n}", "w") as acked:
        for i in range(10**9):
            key = f"w{n}-{i}"
            try:
                cur.execute("SELECT crm.reserve(%s, 1, NULL, NULL, NULL, %s)", (product, key))
                conn.commit()
            except psycopg2.Error:
                return
            acked.write(key + "\n")
            acked.flush()


def mover(n, orders):
    conn = connect()
    cur = conn.cursor()
    with open(f"{OUT}/moved.{n}", "w") as acked, open(f"{OUT}/tried.{n}", "w") as tried:
        for _ in range(len(NEXT)):
            for order in orders:
                try:
                    cur.execute("SELECT status FROM crm.sales_order WHERE id = %s", (order,))
                    to = NEXT.get(cur.fetchone()[0])
                    if to is None:
                        continue
                    tried.write(f"{order} {to}\n")
                    tried.flush()
                    cur.execute("UPDATE crm.sales_order SET status = %s WHERE id = %s", (to, order))
                    conn.commit()
                except psycopg2.Error:
                    return
                acked.write(f"{order} {to}\n")
                acked.flush()


def never_commits(order):
    conn = connect()
    cur = conn.cursor()
    cur.execute("SELECT id FROM crm.product WHERE sku = 'CRASH-2'")  # its own stock row: it blocks nobody
    product = cur.fetchone()[0]
    for i in range(5):
        cur.execute("SELECT crm.reserve(%s, 1, NULL, NULL, NULL, %s)", (product, f"open-{i}"))
    cur.execute("UPDATE crm.sales_order SET status = 'confirmed' WHERE id = %s", (order,))
    with open(f"{OUT}/open.ready", "w") as ready:
        ready.write("in progress\n")
    threading.Event().wait(600)  # until the server dies under it


def main():
    conn = connect()
    cur = conn.cursor()
    cur.execute("SELECT array_agg(id ORDER BY id) FROM crm.sales_order WHERE number LIKE 'ORD-%%' AND delivery_terms = 'crash'")
    orders = cur.fetchone()[0]
    conn.close()
    threads = [threading.Thread(target=reserver, args=(n,)) for n in range(3)]
    threads += [threading.Thread(target=mover, args=(n, orders[n + 1::2])) for n in range(2)]
    threads.append(threading.Thread(target=never_commits, args=(orders[0],), daemon=True))
    for t in threads:
        t.start()
    for t in threads[:-1]:
        t.join()


main()
