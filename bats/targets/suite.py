"""A tiny test suite that can run sharded, as CI splits a pytest suite over machines.

usage: SHARD=K/N suite.py [SECONDS]   runs the tests whose index is K mod N (default 0/1:
all of them); each test spins for SECONDS (default 0.25).  The shard comes from the
environment, so every shard has the same command line (their process frames match).
"""
import os
import sys
import time


def spin(seconds):
    end = time.time() + seconds
    while time.time() < end:
        pass


def test_parse(s):
    spin(s)  # PARSE


def test_render(s):
    spin(s)  # RENDER


def test_store(s):
    spin(s)  # STORE


def test_fetch(s):
    spin(s)  # FETCH


def test_merge(s):
    spin(s)  # MERGE


def test_index(s):
    spin(s)  # INDEX


TESTS = [test_parse, test_render, test_store, test_fetch, test_merge, test_index]


def main():
    k, n = (int(x) for x in os.environ.get("SHARD", "0/1").split("/"))
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 0.25
    for i, test in enumerate(TESTS):
        if i % n == k:
            test(seconds)


main()
