"""Work that repeats at exactly 100 Hz, for the sampling-jitter test.

usage: periodic.py SECONDS OUT
Every 10 ms on the dot (absolute deadlines) tick_work spins for 2 ms, then the loop
sleeps until the next deadline.  OUT gets the share of the run spent in tick_work, as
measured here.  Sampled at exactly 100 Hz, always at the same point of this cycle, it
would show 0% or 100% of the samples in tick_work; its true share is about 20%.
"""
import json
import sys
import time

PERIOD = 0.010
WORK = 0.002


def tick_work(until):
    while time.monotonic() < until:
        pass


def main():
    secs = float(sys.argv[1])
    start = time.monotonic()
    end = start + secs
    busy = 0.0
    k = 1
    while start + k * PERIOD < end:
        now = time.monotonic()
        if start + k * PERIOD > now:
            time.sleep(start + k * PERIOD - now)
        a = time.monotonic()
        tick_work(a + WORK)
        busy += time.monotonic() - a
        k += 1
    with open(sys.argv[2], "w") as f:
        json.dump({"share": busy / (time.monotonic() - start)}, f)


main()
