"""Two named threads spinning in different functions; the main thread waits.

usage: threads.py TIDFILE [SECONDS]
Threads get their kernel names (comm) "alpha-thr" and "beta-thr": a new thread inherits
the name of the thread that creates it, so the name is set before the thread exists.  From
3.14 on, threading also names the OS thread after Thread.name once the thread runs, so the
Python names are the same: either way the kernel name is the one the test expects.
TIDFILE receives {"alpha": TID, "beta": TID, "pid": PID} as JSON at the end.
"""
import ctypes
import json
import os
import sys
import threading
import time

SECS = float(sys.argv[2]) if len(sys.argv) > 2 else 1.5
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NAME = 15
tids = {}


def set_comm(name):
    libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()), 0, 0, 0)


def alpha_spin(end):
    while time.time() < end: pass  # ALPHA


def beta_spin(end):
    while time.time() < end: pass  # BETA


def worker(key, fn, end):
    tids[key] = threading.get_native_id()
    fn(end)


def main():
    end = time.time() + SECS
    threads = []
    for key, fn in (("alpha", alpha_spin), ("beta", beta_spin)):
        set_comm(key + "-thr")
        t = threading.Thread(target=worker, args=(key, fn, end), name=key + "-thr")
        t.start()
        threads.append(t)
    set_comm("main-thr")
    for t in threads: t.join()  # JOIN
    tids["pid"] = os.getpid()
    with open(sys.argv[1], "w") as f:
        json.dump(tids, f)


main()
