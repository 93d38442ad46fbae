# unittest cases that run on Python 2.7 and every 3.x, under pytest or `python -m unittest`.
import time
import unittest


def spin(seconds):
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        n += 1
    return n


class TestUnit(unittest.TestCase):
    def setUp(self):
        spin(0.3)

    def tearDown(self):
        spin(0.3)

    def test_work(self):
        spin(0.4)

    def test_other(self):
        spin(0.2)


if __name__ == "__main__":
    unittest.main()
