"""The README's delivery worker, run against the test cluster: its code is taken from the
README (the block after 'deliver_outbox.py'), with a provider that logs every send and
fails on purpose: retry@example.com the first time (by either worker) (asking for a retry in a second), bounce@example.com
always (so it ends dead).  Usage: driver.py README DSN LOG NAME"""
import re, sys, time, datetime

readme, dsn, log, name = sys.argv[1:5]
text = open(readme, encoding="utf-8").read()
block = re.search(r"deliver_outbox\.py.*?```python\n(.*?)```", text, re.S)
if not block:
    sys.exit("README has no deliver_outbox.py block")
worker = {}
exec(compile(block.group(1), "README:deliver_outbox.py", "exec"), worker)


def tries(row_id):
    """How often any worker has handed this row to the provider (the shared log)."""
    with open(log) as f:
        return sum(1 for line in f if line.split()[1] == str(row_id))


def send(row):
    with open(log, "a") as f:
        f.write(f"{name} {row['id']} {row['recipient']}\n")
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)
    if row["recipient"] == "bounce@example.com":
        raise worker["Retry"]("550 no such user", at=soon)
    if row["recipient"] == "retry@example.com" and tries(row["id"]) == 1:
        raise worker["Retry"]("451 try again later", at=soon)
    time.sleep(0.02)  # a provider takes a moment: the two workers overlap
    return f"{name}-{row['id']}"


# small batches, so that both workers take part
worker["deliver"](dsn, send=send, kinds=["email", "notification"], batch=3, idle=0.5)
