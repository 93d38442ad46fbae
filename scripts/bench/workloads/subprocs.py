"""Child interpreters: the parent starts --nproc children (in waves of two) that each do
their share of the a/b/c work, and waits for them."""
import json
import os
import subprocess
import sys
import time

import _common as c


def main():
    a = c.args({"--nproc": dict(type=int, default=6), "--child": dict(action="store_true")})
    pad = max(0, a.depth - 4)
    if a.child:
        timers = {"a": 0.0, "b": 0.0, "c": 0.0}
        t0 = time.perf_counter()
        c.split_rounds(a.units, pad, timers)
        print(json.dumps({"wall": time.perf_counter() - t0}))
        return

    def run(units):
        per = max(1, units // a.nproc)
        total = 0.0
        env = dict(os.environ)
        env.pop("PYFLAME_BENCH_REPORT", None)
        for w in range(0, a.nproc, 2):
            ps = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child",
                                    "--units", str(per), "--depth", str(a.depth)],
                                   stdout=subprocess.PIPE, env=env)
                  for _ in range(min(2, a.nproc - w))]
            for p in ps:
                out = p.communicate()[0]
                total += json.loads(out.decode().strip().splitlines()[-1])["wall"]
        return total

    if a.calibrate:
        c.calibrate(run, a.calibrate)
        return
    child_s = run(a.units)
    c.finish("subprocs", thread_seconds=child_s)


if __name__ == "__main__":
    main()
