"""--native target: C functions with hostile call frame information (native_hostile.c).

    native_hostile.py ROUNDS SPINS LIB...   each round calls every hf_* / gf_run of each
                                           LIB (ctypes) with SPINS, then py_spin(); prints
                                           a checksum that does not depend on timing
"""
import ctypes
import sys


def call_hostile(fn, n):
    return fn(n)  # HOSTILE


def py_spin():
    x = 0
    for i in range(20000):  # PYSPIN
        x += i
    return x


def main():
    rounds, spins = int(sys.argv[1]), int(sys.argv[2])
    fns = []
    for path in sys.argv[3:]:
        lib = ctypes.CDLL(path)
        for name in ("hf_honest", "hf_skip_self", "hf_dup_grow", "hf_same_sp", "hf_far_cfa",
                     "gf_run"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.argtypes = [ctypes.c_long]
                fn.restype = ctypes.c_long
                fns.append(fn)
    total = 0
    for _ in range(rounds):
        for fn in fns:
            total += call_hostile(fn, spins)
            total += py_spin()
    print("checksum %d over %d functions" % (total, len(fns)))


if __name__ == "__main__":
    main()
