"""--native target: a C extension that calls back into Python.

    native_ext.py SECS DIR   DIR holds pyflame_ext, built from native_ext.c; for SECS the
                             stack is <module> -> ext_main -> py_caller -> c_func (C) ->
                             ext_loop (C) -> py_callback, nearly always in py_callback
"""
import sys
import time


def py_callback():
    x = 0
    for i in range(2000):  # CALLBACK
        x += i
    return x


def py_caller(ext):
    return ext.c_func(py_callback, 50)  # CALLER


def ext_main(secs):
    import pyflame_ext
    end = time.monotonic() + secs
    while time.monotonic() < end:
        py_caller(pyflame_ext)


if __name__ == "__main__":
    sys.path.insert(0, sys.argv[2])
    ext_main(float(sys.argv[1]))
