# gcshare.py SECONDS OUT.json: make cyclic garbage at a steady rate for SECONDS and write
# the share of that time the cyclic garbage collector ran, measured by the target itself
# with gc.callbacks (a timestamp at each collection's start and stop).
#
# A large young generation makes each collection long (tens of milliseconds), so a
# sampler sees many samples inside it; every object made is garbage in a cycle.
import gc
import json
import sys
import time

spent = [0.0]
started = [None]


def on_gc(phase, info):
    now = time.perf_counter()
    if phase == "start":
        started[0] = now
    elif started[0] is not None:
        spent[0] += now - started[0]
        started[0] = None


class Node(object):
    def __init__(self):
        self.other = None


def make_garbage(n):
    for _ in range(n):
        a = Node()
        b = Node()
        a.other = b
        b.other = a            # GARBAGE


def churn(seconds):
    t0 = time.perf_counter()
    end = t0 + seconds
    while time.perf_counter() < end:
        make_garbage(1000)     # CHURN
    return time.perf_counter() - t0


def main():
    seconds, out = float(sys.argv[1]), sys.argv[2]
    gc.collect()
    gc.set_threshold(200000, 1000, 1000)
    gc.callbacks.append(on_gc)
    wall = churn(seconds)
    gc.callbacks.remove(on_gc)
    with open(out, "w") as f:
        json.dump({"wall": wall, "gc": spent[0], "share": spent[0] / wall}, f)


main()
