"""--native targets: C code with known mixed stacks.

    native.py qsort SECS     Python -> ctypes libc qsort -> a Python comparison callback
    native.py zlib SECS      zlib.compress in a hot loop under one Python function
    native.py hashlib SECS   hashlib.sha256 in a hot loop under one Python function
    native.py numpy SECS     numpy.dot of two matrices (BLAS) in a hot loop
"""
import ctypes
import ctypes.util
import hashlib
import sys
import time
import zlib

CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))


def py_compare(a, b):
    x, y = a[0], b[0]
    return (x > y) - (x < y)


def py_caller(libc, n):
    arr = (ctypes.c_int * n)(*range(n, 0, -1))
    libc.qsort(arr, n, ctypes.sizeof(ctypes.c_int), CMP(py_compare))
    return arr[0]


def qsort_loop(secs):
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    end = time.monotonic() + secs
    while time.monotonic() < end:
        py_caller(libc, 2000)


def zlib_hot(data):
    return zlib.compress(data, 9)  # ZLIB


def zlib_loop(secs):
    data = bytes(range(256)) * 512 + b"pyflame" * 4096
    end = time.monotonic() + secs
    while time.monotonic() < end:
        zlib_hot(data)


def hashlib_hot(data):
    return hashlib.sha256(data).digest()  # HASHLIB


def hashlib_loop(secs):
    data = b"x" * (1 << 20)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        hashlib_hot(data)


def numpy_hot(np, a, b):
    return np.dot(a, b)  # NUMPY


def numpy_loop(secs):
    import numpy as np
    a = np.arange(160 * 160, dtype=np.float64).reshape(160, 160) / 1e4
    b = a.T.copy()
    end = time.monotonic() + secs
    while time.monotonic() < end:
        numpy_hot(np, a, b)


if __name__ == "__main__":
    {"qsort": qsort_loop, "zlib": zlib_loop, "hashlib": hashlib_loop,
     "numpy": numpy_loop}[sys.argv[1]](float(sys.argv[2]))
