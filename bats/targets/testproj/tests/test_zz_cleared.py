# A test that empties os.environ (so PYTEST_CURRENT_TEST is gone while it runs):
# pyflame must tell it from the stack instead, under the same id.
import os

from conftest import spin


def test_cleared_environ():
    saved = dict(os.environ)
    os.environ.clear()
    try:
        spin(0.3)
    finally:
        os.environ.update(saved)
