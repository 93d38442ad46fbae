"""Shared by the benchmark workloads (Python 3.6+).

A workload does a fixed amount of work (--units N), so that a profiler that slows the
target shows as a longer run.  `--calibrate S` prints the units that take about S seconds
without a profiler.  At exit a workload writes a JSON report to $PYFLAME_BENCH_REPORT:
    wall            seconds from the workload's start to its end (its own clock)
    thread_seconds  sum of the lifetimes of the Python threads (and child interpreters)
                    a wall-clock sampler should see: samples expected = rate * this
    split           (cpu_split) the time measured around work_a/b/c, shares of 1
"""
import json
import os
import random
import sys
import time

T0 = time.perf_counter()
NOMINAL = {"a": 0.6, "b": 0.3, "c": 0.1}
ITER_PER_WEIGHT = 2000      # one a/b/c round (10 weights) is about 1-2 ms


def work_a(n):
    s = 0
    for i in range(n):
        s += (i * i) % 7
    return s


def work_b(n):
    s = 0
    for i in range(n):
        s += (i * i) % 7
    return s


def work_c(n):
    s = 0
    for i in range(n):
        s += (i * i) % 7
    return s


def descend(d, f, n):
    """d more Python frames between the caller and f."""
    if d <= 0:
        return f(n)
    return descend(d - 1, f, n)


def split_rounds(units, pad, timers, seed=1):
    """units rounds of work_a (6 weights), work_b (3), work_c (1), in a shuffled order
    each round so that periodic sampling cannot lock onto a fixed call order."""
    order = [(work_a, 6, "a"), (work_b, 3, "b"), (work_c, 1, "c")]
    rng = random.Random(seed)
    pc = time.perf_counter
    for _ in range(units):
        rng.shuffle(order)
        for f, w, k in order:
            t = pc()
            descend(pad, f, w * ITER_PER_WEIGHT)
            timers[k] += pc() - t


def args(extra=None):
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--units", type=int, default=100)
    p.add_argument("--calibrate", type=float, default=0.0)
    p.add_argument("--depth", type=int, default=10)
    for a, kw in (extra or {}).items():
        p.add_argument(a, **kw)
    return p.parse_args()


def calibrate(run_units, target_s):
    """Print {"units": N}: N units take about target_s seconds."""
    k = 1
    while True:
        t = time.perf_counter()
        run_units(k)
        dt = time.perf_counter() - t
        if dt >= min(0.3, target_s / 2) or k >= 1 << 24:
            break
        k *= 2
    print(json.dumps({"units": max(1, int(round(k * target_s / max(dt, 1e-6))))}))


def finish(name, thread_seconds=None, **extra):
    wall = time.perf_counter() - T0
    rep = {"workload": name, "wall": wall,
           "thread_seconds": wall if thread_seconds is None else thread_seconds,
           "python": "%d.%d.%d" % sys.version_info[:3]}
    rep.update(extra)
    path = os.environ.get("PYFLAME_BENCH_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump(rep, f)
