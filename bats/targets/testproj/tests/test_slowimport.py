# Collection is slow: the module spins while pytest imports it.
from conftest import spin

spin(0.4)


def test_after_import():
    spin(0.2)
