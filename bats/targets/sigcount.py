"""Count the deliveries of SIGTERM, SIGHUP, SIGINT and SIGQUIT, then exit with a known code.

usage: sigcount.py READYFILE COUNTFILE EXITCODE
Writes its pid to READYFILE once its handlers are installed.  Each C-level delivery of a
signal writes one byte to the wakeup fd, so deliveries are counted exactly (Python-level
handlers may coalesce).  After the first signal it keeps counting for a grace second,
then writes {"HUP": n, "INT": n, "QUIT": n, "TERM": n} to COUNTFILE and exits with EXITCODE.  Without
any signal it gives up after 60 s with status 99.
"""
import json
import os
import select
import signal
import sys
import time

SIGS = {signal.SIGTERM: "TERM", signal.SIGHUP: "HUP", signal.SIGINT: "INT",
        signal.SIGQUIT: "QUIT"}
GRACE = 1.0

r, w = os.pipe()
os.set_blocking(r, False)
os.set_blocking(w, False)
for s in SIGS:
    signal.signal(s, lambda *a: None)
signal.set_wakeup_fd(w)

counts = dict((name, 0) for name in SIGS.values())
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % os.getpid())
os.rename(sys.argv[1] + ".tmp", sys.argv[1])

give_up = time.time() + 60
done_at = None
while True:
    now = time.time()
    if done_at is not None and now >= done_at:
        break
    if done_at is None and now >= give_up:
        sys.exit(99)
    select.select([r], [], [], 0.05)
    try:
        data = os.read(r, 4096)
    except BlockingIOError:
        data = b""
    for b in bytearray(data):
        if b in SIGS:
            counts[SIGS[b]] += 1
            if done_at is None:
                done_at = time.time() + GRACE

with open(sys.argv[2], "w") as f:
    json.dump(counts, f, sort_keys=True)
sys.exit(int(sys.argv[3]))
