"""Two busy threads and two sleeping ones, for --mode wall/cpu/gil.

usage: modes.py [SECONDS]
busy_one and busy_two spin (they take turns holding the GIL); sleepy_one and
sleepy_two sleep the whole time.
"""
import sys
import threading
import time

SECS = float(sys.argv[1]) if len(sys.argv) > 1 else 1.5


def busy_one(end):
    while time.time() < end: pass


def busy_two(end):
    while time.time() < end: pass


def sleepy_one(end):
    while time.time() < end: time.sleep(0.05)


def sleepy_two(end):
    while time.time() < end: time.sleep(0.05)


def main():
    end = time.time() + SECS
    ts = [threading.Thread(target=f, args=(end,)) for f in (busy_one, busy_two, sleepy_one, sleepy_two)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


main()
