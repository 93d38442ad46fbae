"""Two functions sharing the time as $SPLIT says: alpha() gets SPLIT of it, beta() the rest.

usage: SPLIT=0.25 diffsplit.py [SECONDS]   (default SPLIT 0.5, SECONDS 1.6)

The split comes from the environment, not the arguments, so two runs with different
splits have the same command line (their process frames match in pyflame diff).
"""
import os
import sys
import time


def spin(seconds):
    end = time.time() + seconds
    while time.time() < end:
        pass


def alpha(seconds):
    spin(seconds)  # ALPHA


def beta(seconds):
    spin(seconds)  # BETA


def main():
    split = float(os.environ.get("SPLIT", "0.5"))
    total = float(sys.argv[1]) if len(sys.argv) > 1 else 1.6
    for _ in range(8):
        alpha(total / 8 * split)
        beta(total / 8 * (1 - split))


main()
