# -*- coding: utf-8 -*-
"""Python 3.11+: a generator, a coroutine, a method, a lambda, a comprehension and a
function with a non-ASCII name each spin SECONDS (default 0.3) on a marked line.

usage: features.py [SECONDS]
"""
import asyncio
import sys
import time

SECS = float(sys.argv[1]) if len(sys.argv) > 1 else 0.3


def spin_until(end):
    while time.time() < end: pass  # SPIN


def gen_body():
    end = time.time() + SECS
    while time.time() < end: pass  # GEN
    yield 1


def drive_gen():
    return next(gen_body())  # DRIVE_GEN


async def coro_inner():
    end = time.time() + SECS
    while time.time() < end: pass  # CORO_INNER
    return 1


async def coro_outer():
    return await coro_inner()  # CORO_OUTER


class Klass:
    def method(self):
        end = time.time() + SECS
        while time.time() < end: pass  # METHOD


run_lambda = lambda: spin_until(time.time() + SECS)  # LAMBDA


def use_comp():
    return [spin_until(time.time() + SECS) for _ in range(1)]  # COMP


def naïve_日本():
    end = time.time() + SECS
    while time.time() < end: pass  # NAIVE


def main():
    drive_gen()
    asyncio.run(coro_outer())
    Klass().method()  # CALL_METHOD
    run_lambda()
    use_comp()
    naïve_日本()  # CALL_NAIVE


main()
