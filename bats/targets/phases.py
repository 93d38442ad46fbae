"""Two phases: phase_one() spins for SECS1 seconds, then phase_two() for SECS2; exits STATUS.

usage: phases.py SECS1 SECS2 [STATUS]
Prints a line per phase to stdout and stderr (for --live: the command's output).
"""
import sys
import time


def phase_one(secs):
    end = time.time() + secs
    while time.time() < end: pass  # ONE


def phase_two(secs):
    end = time.time() + secs
    while time.time() < end: pass  # TWO


print("phase one"); sys.stdout.flush()
sys.stderr.write("phase one on stderr\n")
phase_one(float(sys.argv[1]))
print("phase two"); sys.stdout.flush()
phase_two(float(sys.argv[2]))
sys.exit(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
