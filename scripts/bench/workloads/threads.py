"""Threads busy and idle: --busy threads share the a/b/c work (the GIL takes turns),
--idle threads sleep in a Python frame the whole time, the main thread waits."""
import threading
import time

import _common as c


def sleeper(stop):
    while not stop.wait(0.05):
        pass


def main():
    a = c.args({"--busy": dict(type=int, default=2), "--idle": dict(type=int, default=4)})
    pad = max(0, a.depth - 6)
    timers = {"a": 0.0, "b": 0.0, "c": 0.0}

    def run(units):
        ts = [threading.Thread(target=c.split_rounds, args=(units, pad, dict(timers)))
              for _ in range(a.busy)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    if a.calibrate:
        c.calibrate(run, a.calibrate)
        return
    stop = threading.Event()
    idle = [threading.Thread(target=sleeper, args=(stop,)) for _ in range(a.idle)]
    for t in idle:
        t.start()
    t0 = time.perf_counter()
    run(a.units)
    stop.set()
    for t in idle:
        t.join()
    wall = time.perf_counter() - t0
    c.finish("threads", thread_seconds=wall * (1 + a.busy + a.idle))


if __name__ == "__main__":
    main()
