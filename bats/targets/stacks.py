"""The version matrix target: valid Python 2.7 and 3.x.

usage: stacks.py JSONFILE [SECONDS]

The main thread and two more threads each reach a known point: a method driving a
generator (thread "gen"), a recursion 50 calls deep (thread "rec"), and in the main thread
a function with a non-ASCII name (Python 3, from stacks_uni.py) or a plain one (2.7).  At
that point each records its own stack by walking sys._getframe(): name (co_qualname where
the version has it, else co_name), file (co_filename) and line (f_lineno; for the innermost
frame the line after the call to record(), where the spin loop is), then spins until a
common deadline.  The expected stacks, root first, go to JSONFILE:
    {"pid": PID, "version": "X.Y", "stacks": {"key": [[name, file, line], ...], ...}}
"""
import json
import os
import sys
import threading
import time

SECS = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
END = 0.0  # set in main(), once the imports are done: a debug build on a busy
           # machine can spend most of SECS starting up
expected = {}
lock = threading.Lock()


def record(key):
    f = sys._getframe(1)
    frames = []
    line = f.f_lineno + 1
    while f is not None:
        code = f.f_code
        frames.append([getattr(code, "co_qualname", code.co_name), code.co_filename, line])
        f = f.f_back
        if f is not None:
            line = f.f_lineno
    frames.reverse()
    with lock:
        expected[key] = frames


class Klass(object):
    def method(self):
        for v in self.gen():
            return v

    def gen(self):
        record("gen")
        while time.time() < END: pass
        yield 1


def rec(n):
    if n > 0:
        return rec(n - 1)
    record("rec")
    while time.time() < END: pass


def plain_main():
    record("main")
    while time.time() < END: pass


def main():
    global END
    if sys.version_info[0] >= 3:
        import stacks_uni
    END = time.time() + SECS
    threads = [threading.Thread(target=Klass().method), threading.Thread(target=rec, args=(50,))]
    for t in threads:
        t.start()
    if sys.version_info[0] >= 3:
        stacks_uni.run(record, END)
    else:
        plain_main()
    for t in threads:
        t.join()
    with open(sys.argv[1], "w") as f:
        json.dump({"pid": os.getpid(), "version": "%d.%d" % sys.version_info[:2],
                   "stacks": expected}, f, indent=1, sort_keys=True)


main()
