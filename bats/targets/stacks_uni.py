# -*- coding: utf-8 -*-
"""Python 3 only: the main thread of stacks.py records and spins in a function with a
non-ASCII name."""
import time


def naïve_日本(record, end):
    record("main")
    while time.time() < end: pass


def run(record, end):
    naïve_日本(record, end)
