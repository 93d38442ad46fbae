# A small test project for `pyflame run --tests` (bats/120-tests.bats).
import time

import pytest


def spin(seconds):
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        n += 1
    return n


@pytest.fixture
def slow_setup():
    spin(0.4)
    yield


@pytest.fixture
def slow_teardown():
    yield
    time.sleep(0.4)
