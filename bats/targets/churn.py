"""Threads created and destroyed in a loop while one spins.

usage: churn.py [N]
"""
import sys
import threading
import time


def short_task():
    sum(range(2000))


def churn(n):
    for _ in range(n):
        ts = [threading.Thread(target=short_task) for _ in range(10)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()


churn(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
