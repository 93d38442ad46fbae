"""One hot function with one hot line.

usage: hot.py [SECONDS [PIDFILE]]
Spins SECONDS (default 1.5) on the line marked HOT; writes its pid to PIDFILE first.
"""
import os
import sys
import time


def hot(secs):
    end = time.time() + secs
    x = 0
    while time.time() < end: x += 1  # HOT
    return x


def main():
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 1.5
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as f:
            f.write("%d\n" % os.getpid())
    hot(secs)  # CALL_HOT


main()  # CALL_MAIN
