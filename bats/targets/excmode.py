"""Threads in and out of exception handlers, for --mode exception.

usage: excmode.py SECONDS OUT.json

main:     alternates handled_work(), called from an except block, and plain_work(),
          outside any; writes to OUT.json the share of its time spent in the handler.
sleeper:  sleeps inside an except block the whole time (idle, handling one).
gen:      a generator spins in an except block and yields from inside it; its caller
          works plainly between resumptions.  The exception is the thread's only while
          the generator runs (a suspended generator keeps its own).
"""
import json
import sys
import threading
import time

SECS = float(sys.argv[1])
OUT = sys.argv[2]


def spin(until):
    while time.time() < until:
        pass  # SPIN


def handled_work(until):
    spin(until)  # HANDLED


def plain_work(until):
    spin(until)  # PLAIN


def handled_span(until):
    try:
        raise KeyError("k")
    except KeyError:
        handled_work(until)


def sleeper(end):
    try:
        raise ValueError("v")
    except ValueError:
        while time.time() < end:
            time.sleep(0.02)  # SLEEPING


def gen_spin():
    while True:
        try:
            raise LookupError("g")
        except LookupError:
            spin(time.time() + 0.004)  # GEN_SPIN
            yield 1


def gen_caller_plain(until):
    spin(until)  # GEN_CALLER


def gen_thread(end):
    g = gen_spin()
    while time.time() < end:
        next(g)
        gen_caller_plain(time.time() + 0.004)


def main():
    end = time.time() + SECS
    ts = [threading.Thread(target=f, args=(end,)) for f in (sleeper, gen_thread)]
    for t in ts:
        t.start()
    inside = total = 0.0
    i = 0
    while time.time() < end:
        t0 = time.time()
        # 3 parts in the handler to 5 outside, in slices short beside the run
        if i % 8 < 3:
            handled_span(t0 + 0.01)
            inside += time.time() - t0
        else:
            plain_work(t0 + 0.01)
        total += time.time() - t0
        i += 1
    for t in ts:
        t.join()
    with open(OUT, "w") as f:
        json.dump({"share": inside / total}, f)


main()
