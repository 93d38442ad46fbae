"""A process whose names are not text, for the JSON writers.

usage: badnames.py PIDFILE ARG...
The main thread names itself with bytes that are not UTF-8 and a control character
(prctl(PR_SET_NAME)), writes its pid to PIDFILE, then waits in wait_here() until killed.
The command line (ARG...) is the test's: it may hold any bytes and be long.
"""
import ctypes
import os
import sys
import time

libc = ctypes.CDLL(None)
libc.prctl(15, ctypes.c_char_p(b"w\xf6rk\x01er\xff"), 0, 0, 0)


def wait_here():
    while True:
        time.sleep(0.05)  # WAIT


with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % os.getpid())
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
wait_here()
