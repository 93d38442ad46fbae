"""Die by a fatal signal inside known Python functions.

usage: crash.py segv|abort|many N   (many: N child processes, each killed by SIGSEGV)
"""
import ctypes
import os
import sys
import threading
import time


def bystander():
    time.sleep(60)


def read_null_pointer():
    time.sleep(0.3)          # let pyflame find the interpreter first
    ctypes.string_at(0)      # SEGV_HERE


def give_up():
    time.sleep(0.3)
    os.abort()               # ABORT_HERE


def main():
    t = threading.Thread(target=bystander)
    t.daemon = True
    t.start()
    if sys.argv[1] == "segv":
        read_null_pointer()
    elif sys.argv[1] == "many":
        import subprocess
        for _ in range(int(sys.argv[2])):
            subprocess.run([sys.executable, __file__, "segv"])
        print("children done")
    else:
        give_up()


main()
