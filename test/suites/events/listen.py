"""Listens, as logins of other tenants, on every channel crm uses while account A works,
then reads what a frontend of A would: usage: listen.py DSN_BASE A B (logins rel_ev_a,
rel_ev_b, rel_ev_nobody exist).  Prints one line per finding; exits 1 on a leak."""
import re, subprocess, sys
import psycopg

base, a, b = sys.argv[1], sys.argv[2], sys.argv[3]
channels = ["crm_events", "crm_outbox", f"crm_events_{a}", f"crm_events_{b}", "crm_events_1", "crm_events_2"]


def listener(user):
    conn = psycopg.connect(f"{base} user={user}", autocommit=True)
    heard = []
    conn.add_notify_handler(lambda n: heard.append((n.channel, n.payload)))
    for c in dict.fromkeys(channels):
        conn.execute(f'LISTEN "{c}"')
    return conn, heard


listeners = {u: listener(u) for u in ("rel_ev_b", "rel_ev_nobody", "rel_ev_a")}
with psycopg.connect(f"{base} user=postgres", autocommit=True) as owner:
    owner.execute("SET client_min_messages = warning")
    owner.execute("SELECT crm_test.fill(%s, 5)", [int(a)])
    secrets = [r[0] for r in owner.execute(
        "SELECT name FROM crm.clients WHERE account_id = %s UNION ALL "
        "SELECT email FROM crm.clients WHERE account_id = %s AND email IS NOT NULL UNION ALL "
        "SELECT number FROM crm.invoices WHERE account_id = %s UNION ALL "
        "SELECT id::text FROM crm.clients WHERE account_id = %s", [int(a)] * 4)]
for conn, _ in listeners.values():
    conn.execute("SELECT 1")  # take in what arrived

leak = False
for user in ("rel_ev_b", "rel_ev_nobody"):
    heard = listeners[user][1]
    kinds = sorted({c for c, _ in heard})
    print(f"{user} heard {len(heard)} notifications on {kinds}")
    for channel, payload in heard:
        ok = (channel == "crm_outbox" and payload == "") or \
             (channel == f"crm_events_{a}" and re.fullmatch(r"[0-9]+", payload))
        if not ok or any(s and s in payload for s in secrets if not s.isdigit()) :
            print(f"LEAK to {user}: {channel} {payload!r}")
            leak = True

# The frontend of A: the newest id from its channel, the events through row-level security.
conn, heard = listeners["rel_ev_a"]
ids = [int(p) for c, p in heard if c == f"crm_events_{a}"]
n = conn.execute("SELECT count(*) FROM crm.events_since(0, 10000)").fetchone()[0]
newest = conn.execute("SELECT max(id) FROM crm.events").fetchone()[0]
print(f"rel_ev_a heard ids up to {max(ids) if ids else None}; reads {n} events, newest {newest}")
if not ids or max(ids) != newest:
    print("the account's channel does not name its newest event")
    leak = True
# A forged notification on A's channel makes the frontend read, and find nothing new.
listeners["rel_ev_b"][0].execute(f"NOTIFY crm_events_{a}, '999999999'")
conn.execute("SELECT 1")
forged = [p for c, p in heard if p == "999999999"]
after = conn.execute("SELECT count(*) FROM crm.events_since(%s)", [newest]).fetchone()[0]
print(f"forged notification heard: {bool(forged)}; events after the newest: {after}")
if after != 0:
    leak = True
# B's login reads none of A's events.
nb = listeners["rel_ev_b"][0].execute("SELECT count(*) FROM crm.events WHERE account_id = %s", [int(a)]).fetchone()[0]
print(f"rel_ev_b reads {nb} events of account A")
leak = leak or nb != 0
sys.exit(1 if leak else 0)
