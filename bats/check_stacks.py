#!/usr/bin/env python3
"""Check a collapsed profile against the stacks a target recorded itself (stacks.py).

usage: check_stacks.py COLLAPSED JSON

JSON is {"pid": PID, "version": "X.Y", "stacks": {key: [[name, file, line], ...]}}, root
first.  For every key, some line of COLLAPSED must be exactly

    <cmdline> [pid PID];LABEL;...;LABEL[;<idle>] COUNT

where the LABELs are "name (file:line)" for the recorded frames, in order, and file is
shortened the way pyflame documents it (what follows site-packages/ or dist-packages/,
else what follows lib/pythonX.Y/).  Prints a diff against the closest stacks otherwise.
"""
import json
import re
import sys

from check_collapsed import Fail, load, show


def short_file(path):
    best = None
    for marker in ("site-packages/", "dist-packages/"):
        i = path.rfind(marker)
        if i >= 0 and (best is None or i + len(marker) > best):
            best = i + len(marker)
    if best is not None:
        return path[best:]
    m = None
    for m in re.finditer(r"/lib(?:64)?/python[0-9]+\.[0-9]+[a-z]*/", path):
        pass
    return path[m.end():] if m else path


def clean(s):
    """pyflame's label sanitising: ';' separates frames, control characters are blanked."""
    return "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in s.replace(";", ":"))


def label(frame):
    name, path, line = frame
    return clean("%s (%s:%d)" % (name, short_file(path), line))


def closeness(a, b):
    """Frames in common at the root end plus frames in common at the leaf end."""
    p = 0
    while p < min(len(a), len(b)) and a[p] == b[p]:
        p += 1
    s = 0
    while s < min(len(a), len(b)) - p and a[-1 - s] == b[-1 - s]:
        s += 1
    return p + s


def diff(want, got):
    out = []
    n = max(len(want), len(got))
    for i in range(n):
        w = want[i] if i < len(want) else "(none)"
        g = got[i] if i < len(got) else "(none)"
        out.append("    %s %3d  want %-60s got %s" % ("  " if w == g else "!!", i, w, g))
    return "\n".join(out)


def check(collapsed, expected_path):
    with open(expected_path, encoding="utf-8") as f:
        exp = json.load(f)
    stacks = load(collapsed)
    if not stacks:
        raise Fail("the profile is empty")
    proc_re = re.compile(r"^.+ \[pid %d\]$" % exp["pid"])
    mine = [s for s in stacks if proc_re.match(s.process)]
    if not mine:
        raise Fail("no stack has the process frame '... [pid %d]'; roots: %s"
                   % (exp["pid"], sorted(set(s.process for s in stacks))))
    failures = []
    for key in sorted(exp["stacks"]):
        want = [label(fr) for fr in exp["stacks"][key]]
        hits = [s for s in mine if s.python == want and not s.truncated]
        if hits:
            print("ok %-5s %d frames, %d samples: ...%s" % (
                key, len(want), sum(s.count for s in hits), ";".join(want[-2:])))
            continue
        near = sorted(mine, key=lambda s: -closeness(want, s.python))[:2]
        msg = ["stack %r (%d Python frames) never sampled exactly" % (key, len(want))]
        for s in near:
            msg.append("  closest sampled stack (%d samples):" % s.count)
            msg.append(diff(want, s.python))
        failures.append("\n".join(msg))
    if failures:
        raise Fail("Python %s:\n%s\n%s" % (exp.get("version"), "\n".join(failures), show(stacks)))


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    try:
        check(argv[0], argv[1])
    except Fail as e:
        print("FAIL: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
