"""Spin in a known function and ignore SIGTERM (a job a CI timeout cannot stop).

usage: stubborn.py PIDFILE SECONDS
"""
import os
import signal
import sys
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)


def refuse_to_stop(secs):
    end = time.time() + secs
    while time.time() < end: pass  # STUBBORN


with open(sys.argv[1], "w") as f:
    f.write("%d\n" % os.getpid())
refuse_to_stop(float(sys.argv[2]))
