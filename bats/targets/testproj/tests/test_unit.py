# unittest cases that run on Python 2.7 and every 3.x, under pytest or `python -m unittest`.
# With TESTPROJ_TIMES set, each phase appends its own wall time to that file: what
# pyflame's estimates are checked against (a loaded machine stretches a spin).
import os
import time
import unittest


def spin(seconds):
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        n += 1
    return n


def timed(what, seconds):
    t0 = time.time()
    spin(seconds)
    path = os.environ.get("TESTPROJ_TIMES")
    if path:
        with open(path, "a") as f:
            f.write("%s %.6f\n" % (what, time.time() - t0))


class TestUnit(unittest.TestCase):
    def setUp(self):
        timed("setup", 0.3)

    def tearDown(self):
        timed("teardown", 0.3)

    def test_work(self):
        timed("call:test_work", 0.4)

    def test_other(self):
        timed("call:test_other", 0.2)


if __name__ == "__main__":
    unittest.main()
