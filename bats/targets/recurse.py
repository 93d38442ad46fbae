"""Recurse DEPTH calls deep (default 1200) and spin SECONDS (default 1.5) at the bottom.

usage: recurse.py [DEPTH [SECONDS]]
The stack is <module> -> main -> rec x (DEPTH + 1).
"""
import sys
import time

DEPTH = int(sys.argv[1]) if len(sys.argv) > 1 else 1200
SECS = float(sys.argv[2]) if len(sys.argv) > 2 else 1.5
sys.setrecursionlimit(DEPTH + 500)


def rec(n, end):
    if n > 0:
        return rec(n - 1, end)  # RECURSE
    while time.time() < end: pass  # BOTTOM


def main():
    rec(DEPTH, time.time() + SECS)  # CALL_REC


main()
