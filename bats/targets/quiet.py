"""Many waiting threads, one spinning, one hashing: the threads pyflame may skip reading.

usage: quiet.py SECONDS OUT.json
Twelve threads sleep in sleeper() at one line, a quarter second at a time, for the whole run (the stack pyflame may take
as unchanged without reading the thread's state); spin() keeps the GIL busy; hasher() hashes
with the GIL released and, at the same line, waits for the GIL spin() holds, so at that one
line it is found now running, now waiting (a stack that must not be taken as quiet).  The
hasher and spin measure the share of their time they were on a CPU (thread CPU time over
wall time), the hasher also the share it was on a CPU or waiting for one (a busy machine's
run queue: not idle in wall mode), and write {"hasher_cpu": SHARE, "hasher_busy": SHARE,
"spin_cpu": SHARE} to OUT.json.
"""
import hashlib
import json
import sys
import threading
import time

SECS = float(sys.argv[1])
END = time.time() + SECS
out = {}


def sleeper():
    while time.time() < END:
        time.sleep(0.25)  # SLEEP


def spin():
    x = 0
    c0, w0 = time.thread_time(), time.time()
    while time.time() < END:
        x += 1  # SPIN
    out["spin_cpu"] = (time.thread_time() - c0) / (time.time() - w0)


def sched():
    """This thread's time on a CPU and waiting on a run queue for one, in seconds."""
    with open("/proc/thread-self/schedstat") as f:
        ran, waited = f.read().split()[:2]
    return int(ran) / 1e9, int(waited) / 1e9


def hasher():
    buf = b"q" * (1 << 20)
    h = hashlib.sha256()
    s0, c0, w0 = sched(), time.thread_time(), time.time()
    while time.time() < END:
        h.update(buf)  # HASH
    s1, w1 = sched(), time.time()
    out["hasher_cpu"] = (time.thread_time() - c0) / (w1 - w0)
    out["hasher_busy"] = (s1[0] - s0[0] + s1[1] - s0[1]) / (w1 - w0)


threads = [threading.Thread(target=sleeper) for _ in range(12)]
threads += [threading.Thread(target=spin), threading.Thread(target=hasher)]
for t in threads:
    t.start()
for t in threads:
    t.join()  # JOIN
with open(sys.argv[2], "w") as f:
    json.dump(out, f)
