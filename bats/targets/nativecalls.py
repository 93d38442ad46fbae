# nativecalls.py ROUNDS: c_work sorts a long list ROUNDS times (C code called from Python:
# sorted()), then py_work runs a pure-Python loop (no call inside it).
import sys

data = list(range(300000, 0, -1))


def c_work(rounds):
    for _ in range(rounds):
        sorted(data)                    # SORTED


def py_work(n):
    x = 0
    for i in range(n):                  # PYLOOP
        x += i * i                      # PYBODY
    return x


c_work(int(sys.argv[1]))
py_work(int(sys.argv[1]) * 100000)
