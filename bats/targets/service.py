"""A long-running "service" for attach and dump tests.

usage: service.py PIDFILE DIR
Three threads: "serve-main" (the main thread) handles pings, "worker-a" spins in
crunch_numbers, "worker-b" sleeps in wait_for_jobs.  A file DIR/ping is answered by writing
DIR/pong (so a test can show the process still responds); DIR/stop ends it.
"""
import ctypes
import os
import sys
import threading
import time

libc = ctypes.CDLL(None)


def set_comm(name):
    libc.prctl(15, ctypes.c_char_p(name.encode()), 0, 0, 0)


STOP = [False]     # a plain flag: checking it calls no Python function


def crunch_numbers(stop):
    x = 0
    while not STOP[0]: x += 1  # CRUNCH


def wait_for_jobs(stop):
    while not STOP[0]:
        time.sleep(0.2)  # WAIT


def start(name, fn, stop):
    set_comm(name)          # a new thread inherits the creating thread's name
    t = threading.Thread(target=fn, args=(stop,), name=name)
    t.daemon = True
    t.start()
    return t


def handle_pings(d, stop):
    while not os.path.exists(os.path.join(d, "stop")):
        ping = os.path.join(d, "ping")
        if os.path.exists(ping):
            os.rename(ping, os.path.join(d, "pinged"))
            with open(os.path.join(d, "pong.tmp"), "w") as f:
                f.write("pong\n")
            os.rename(os.path.join(d, "pong.tmp"), os.path.join(d, "pong"))
        time.sleep(0.02)  # SERVE
    STOP[0] = True
    stop.set()


def main():
    stop = threading.Event()
    start("worker-a", crunch_numbers, stop)
    start("worker-b", wait_for_jobs, stop)
    set_comm("serve-main")
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    handle_pings(sys.argv[2], stop)


main()
