"""--native target for stacks on demand (140-native.bats).

usage: native_dumps.py SECONDS READY [crash]
nap() creates the file READY, then sleeps SECONDS in time.sleep (C: a nanosleep or
select); with "crash", crash() then calls os.abort() (C: abort, raise), and the process
dies of SIGABRT.
"""
import os
import sys
import time


def nap():
    with open(sys.argv[2], "w") as f:
        f.write("ready\n")
    time.sleep(float(sys.argv[1]))  # NAP


def crash():
    os.abort()  # ABORT


nap()
if sys.argv[3:] == ["crash"]:
    crash()
