"""Two functions sharing the time 3:1: a() spins 3 x SLICE seconds, b() SLICE seconds,
alternating ROUNDS times.  Short slices spread any stall of the sampler over both.

usage: split.py [ROUNDS [SLICE [JSONFILE]]]   (default 25 rounds of 0.025 s: 2.5 s)

On a loaded machine the process can be descheduled past a deadline, so the real split
is measured too (wall time from entry to return of each call) and written to JSONFILE as
{"a": seconds, "b": seconds}: the truth a wall-clock profile should match.
"""
import json
import sys
import time

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 25
SLICE = float(sys.argv[2]) if len(sys.argv) > 2 else 0.025


def a():
    end = time.time() + 3 * SLICE
    while time.time() < end: pass  # A


def b():
    end = time.time() + SLICE
    while time.time() < end: pass  # B


def main():
    spent = {"a": 0.0, "b": 0.0}
    for _ in range(ROUNDS):
        t0 = time.time()
        a()
        t1 = time.time()
        b()
        t2 = time.time()
        spent["a"] += t1 - t0
        spent["b"] += t2 - t1
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w") as f:
            json.dump(spent, f)


main()
