"""A command for `pyflame run --repeat`: each run appends a line to COUNTER and spins in
hot() for 0.2 s of CPU; with FAIL_AT=K the K-th run exits 3; with SLEEP=S it then sleeps
S seconds (so a signal can arrive while it runs), writing COUNTER.pid first.

usage: repeat.py COUNTER   (2.7 and 3.x)
"""
import os
import sys
import time


def hot():
    end = time.time() + 0.2
    n = 0
    while time.time() < end:
        n += 1  # HOT
    return n


def main():
    counter = sys.argv[1]
    with open(counter, "a") as f:
        f.write("run\n")
    with open(counter) as f:
        runs = len(f.read().split())
    hot()
    if os.environ.get("SLEEP"):
        with open(counter + ".pid.tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(counter + ".pid.tmp", counter + ".pid")
        time.sleep(float(os.environ["SLEEP"]))
    if os.environ.get("FAIL_AT") and runs >= int(os.environ["FAIL_AT"]):
        sys.exit(3)


main()
