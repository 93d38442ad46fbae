"""Child interpreters: the parent starts --nproc children (in waves of two) that each do
--units rounds of the a/b/c work, and waits for them.  Thread-seconds: the parent's main
thread (waiting, still sampled in wall mode) plus each child's lifetime as the parent
saw it (interpreter start-up included: a sampler sees that too)."""
import os
import subprocess
import sys
import time

import _common as c


def main():
    a = c.args({"--nproc": dict(type=int, default=6), "--child": dict(action="store_true")})
    pad = max(0, a.depth - 4)
    if a.child:
        c.split_rounds(a.units, pad, {"a": 0.0, "b": 0.0, "c": 0.0})
        return

    def run(units):
        total = 0.0
        env = dict(os.environ)
        env.pop("PYFLAME_BENCH_REPORT", None)
        for w in range(0, a.nproc, 2):
            t0 = time.perf_counter()
            ps = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child",
                                    "--units", str(units), "--depth", str(a.depth)],
                                   env=env)
                  for _ in range(min(2, a.nproc - w))]
            for p in ps:
                p.wait()
                total += time.perf_counter() - t0
        return total

    if a.calibrate:
        c.calibrate(run, a.calibrate)
        return
    child_s = run(a.units)
    c.finish("subprocs", thread_seconds=child_s + time.perf_counter() - c.T0)


if __name__ == "__main__":
    main()
