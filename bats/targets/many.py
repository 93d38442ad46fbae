"""A tree of N processes alive at once (os.fork() without exec), each in many_child.

usage: many.py N
"""
import os
import sys
import time


def many_child(secs):
    end = time.time() + secs
    while time.time() < end: pass


def main():
    n = int(sys.argv[1])
    kids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            many_child(1.0)
            os._exit(0)
        kids.append(pid)
    for pid in kids:
        os.waitpid(pid, 0)


main()
