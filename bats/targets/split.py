"""Two functions sharing the time 3:1: a() spins 0.75 s, b() 0.25 s, ROUNDS times.

usage: split.py [ROUNDS]   (default 3: about 3 seconds)
"""
import sys
import time


def a():
    end = time.time() + 0.75
    while time.time() < end: pass  # A


def b():
    end = time.time() + 0.25
    while time.time() < end: pass  # B


def main():
    for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        a()
        b()


main()
