"""Two functions for A/B comparisons: steady() always takes the same time, target() takes
SLOW times as long (default 1.0; SLOW=1.3 makes it 30% slower).

usage: SLOW=1.3 abtest.py [SECONDS]   (SECONDS: steady's time and target's at SLOW=1,
default 0.4 each).  SLOW comes from the environment, so the command line is the same.
"""
import os
import sys
import time


def spin(seconds):
    end = time.time() + seconds
    while time.time() < end:
        pass


def steady(s):
    spin(s)  # STEADY


def target(s):
    spin(s)  # TARGET


def finish():
    # last on the stack: under load, samples taken while the interpreter shuts down can
    # still see the last frame; they land here, not in target() or steady()
    spin(0.05)  # FINISH


def main():
    slow = float(os.environ.get("SLOW", "1.0"))
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 0.4
    for _ in range(4):
        steady(seconds / 4)
        target(seconds / 4 * slow)
    finish()


main()
