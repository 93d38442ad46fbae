#!/usr/bin/env python3
"""Assertions on --native collapsed stacks (bats/140-native.bats).

A frame label "name (file:line)" whose file ends in .py is a Python frame; every other
frame under the process frame is a C frame ("name (library)" or "lib.so+0xOFF (...)").

    check_native.py order FILE LABEL...    some stack has frames matching each LABEL
                                           (regular expressions, whole labels) in this
                                           order, root to leaf, not necessarily adjacent
    under FILE PYFUNC[:LINE] CFUNC MIN     of the samples in C code called by PYFUNC, the
                                           share with a C frame named CFUNC (a regular
                                           expression) among those is >= MIN; with
                                           LINE, PYFUNC's frame must be at that line too
    pyshares FILE_A FILE_B TOL             the Python-only stacks (C frames removed) have
                                           the same shares in both, within TOL each
    anon-callers FILE BASENAME             print how many samples have a frame of file
                                           BASENAME named by no symbol ("BASENAME+0xOFF")
                                           right before (calling) a Python frame or, with
                                           --native=all, the eval loop's frame
"""
import re
import sys

PY_RE = re.compile(r"^.* \(.*\.py(:-?[0-9]+)?\)$")


def stacks(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            path_, count = line.rsplit(" ", 1)
            frames = path_.split(";")
            out.append((frames[1:], int(count)))     # without the process frame
    return out


def is_py(label):
    return bool(PY_RE.match(label))


def order(path, labels):
    pats = [re.compile(l) for l in labels]
    for frames, _ in stacks(path):
        i = 0
        for fr in frames:
            if i < len(pats) and pats[i].fullmatch(fr):
                i += 1
        if i == len(pats):
            return 0
    print("no stack has, in order: %s" % " ... ".join(labels))
    return 1


def under(path, pyfunc, cfunc, want):
    total = hit = 0
    pat = re.compile(cfunc)
    pyfunc, _, line = pyfunc.partition(":")
    for frames, n in stacks(path):
        for k, fr in enumerate(frames[:-1]):
            if fr.startswith(pyfunc + " (") and is_py(fr):
                below = []
                for b in frames[k + 1:]:
                    if is_py(b):
                        break
                    below.append(b.split(" (")[0])
                if not below:
                    break
                total += n
                if any(pat.fullmatch(b) for b in below) and \
                        (not line or fr.endswith(":%s)" % line)):
                    hit += n
                break
    share = hit / total if total else 0.0
    print("# %d of %d samples in C under %s have %s there%s (%.2f)" %
          (hit, total, pyfunc, cfunc, " and line %s" % line if line else "", share))
    return 0 if total and share >= float(want) else 1


def py_shares(path):
    counts, total = {}, 0
    for frames, n in stacks(path):
        key = ";".join(f for f in frames if is_py(f))
        counts[key] = counts.get(key, 0) + n
        total += n
    return {k: v / total for k, v in counts.items()}, total


def pyshares(a, b, tol):
    sa, na = py_shares(a)
    sb, nb = py_shares(b)
    bad = 0
    for k in sorted(set(sa) | set(sb)):
        x, y = sa.get(k, 0.0), sb.get(k, 0.0)
        if abs(x - y) > float(tol):
            print("share %.3f vs %.3f: %s" % (x, y, k or "<no Python frame>"))
            bad = 1
    print("# %d and %d samples, %d Python stacks" % (na, nb, len(set(sa) | set(sb))))
    return bad


def anon_callers(path, base):
    anon = re.compile(r"^%s\+0x[0-9a-f]+ \(.*\)$" % re.escape(base))
    n = shown = 0
    for frames, count in stacks(path):
        for outer, inner in zip(frames, frames[1:]):
            if anon.match(outer) and (is_py(inner) or "(<frozen " in inner
                                      or inner.startswith("_PyEval_EvalFrameDefault (")):
                n += count
                if shown < 3:
                    print("# %s -> %s" % (outer, inner), file=sys.stderr)
                    shown += 1
                break
    print(n)
    return 0


def main(argv):
    cmd = argv[1]
    if cmd == "order":
        return order(argv[2], argv[3:])
    if cmd == "under":
        return under(argv[2], argv[3], argv[4], argv[5])
    if cmd == "pyshares":
        return pyshares(argv[2], argv[3], argv[4])
    if cmd == "anon-callers":
        return anon_callers(argv[2], argv[3])
    print("unknown subcommand %s" % cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
