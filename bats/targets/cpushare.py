"""Spin for SECONDS of wall time and write the CPU time this process got, and the wall
time, to OUT (JSON).  Pinned to one CPU beside a CPU hog, it gets about half of the wall
time: what `--mode cpu` must count.

usage: cpushare.py OUT [SECONDS]   (2.7 and 3.x)
"""
import json
import os
import sys
import time


def spin(seconds):
    end = time.time() + seconds
    while time.time() < end:
        pass  # SPIN


def main():
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    w0, c0 = time.time(), os.times()
    spin(seconds)
    c1 = os.times()
    with open(sys.argv[1], "w") as f:
        json.dump({"cpu": (c1[0] + c1[1]) - (c0[0] + c0[1]), "wall": time.time() - w0}, f)


main()
