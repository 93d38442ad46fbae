"""Real-time signals, SIGUSR1 and SIGCHLD, sent to itself and by a child: count each
delivery exactly (one wakeup-fd byte per C-level handler call) and print the counts as
JSON.  Expected: {"CHLD": 3, "RT1": 5, "RT2": 7, "USR1": 3}.
"""
import json
import os
import select
import signal
import sys
import time

RT1 = signal.SIGRTMIN + 1
RT2 = signal.SIGRTMIN + 2
NAMES = {RT1: "RT1", RT2: "RT2", signal.SIGUSR1: "USR1", signal.SIGCHLD: "CHLD"}

r, w = os.pipe()
os.set_blocking(r, False)
os.set_blocking(w, False)
for s in NAMES:
    signal.signal(s, lambda *a: None)
signal.set_wakeup_fd(w)
counts = dict((n, 0) for n in NAMES.values())


def drain(timeout):
    select.select([r], [], [], timeout)
    try:
        data = os.read(r, 4096)
    except BlockingIOError:
        return
    for b in bytearray(data):
        if b in NAMES:
            counts[NAMES[b]] += 1


def wait_for(name, n):
    deadline = time.time() + 20
    while counts[name] < n and time.time() < deadline:
        drain(0.05)


# 1. five RT1 queued while blocked, delivered on unblock
signal.pthread_sigmask(signal.SIG_BLOCK, [RT1])
for _ in range(5):
    os.kill(os.getpid(), RT1)
signal.pthread_sigmask(signal.SIG_UNBLOCK, [RT1])
wait_for("RT1", 5)

# 2. three SIGUSR1 to itself, one at a time (standard signals do not queue)
for i in range(3):
    os.kill(os.getpid(), signal.SIGUSR1)
    wait_for("USR1", i + 1)

# 3. a child sends seven RT2 and exits: seven RT2 and one SIGCHLD
pid = os.fork()
if pid == 0:
    for _ in range(7):
        os.kill(os.getppid(), RT2)
    os._exit(0)
wait_for("RT2", 7)
wait_for("CHLD", 1)
os.waitpid(pid, 0)

# 4. two more children exit, one at a time
for i in range(2):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    wait_for("CHLD", 2 + i)
    os.waitpid(pid, 0)

# extra deliveries, if any, would arrive now
end = time.time() + 0.5
while time.time() < end:
    drain(0.05)
print(json.dumps(counts, sort_keys=True))
