#!/usr/bin/env python3
"""Assertions on pyflame's per-test table (.tests.json) against pytest's own report.

    check_tests.py durations TABLE PYTEST_OUTPUT [--workers] [--tolerance F]
        every test id pyflame names is one pytest ran; every (test, phase) that pytest
        timed at >= 0.2 s is in the table once (once per id across workers) with an
        estimated time within F (default 0.15) of pytest's or 3 samples, whichever is
        larger
    check_tests.py stacks COLLAPSED
        nothing attributed to a test that was not running: under "test ID [call]", a
        frame of a test function (test_*) is that test's own function
    check_tests.py row TABLE WHERE ID_REGEX PHASE MIN_S MAX_S
        the rows matching (where, id, phase) sum to MIN_S..MAX_S seconds
    check_tests.py unittest TABLE TIMES
        the unittest rows (test_unit.py, by method for calls, summed for setup and
        teardown) agree with the times the phases measured themselves (TIMES: lines
        "setup S", "teardown S", "call:METHOD S") within 15% or 3 samples a phase
    check_tests.py same TABLE_A TABLE_B
        the two tables have the same rows (id, phase, where, samples)
"""
import json
import re
import sys

MIN_TIMED = 0.2


def fail(msg):
    print("check_tests: " + msg)
    sys.exit(1)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def pytest_failed(path):
    """Ids of the tests pytest reports as failed (its short summary)."""
    out = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"^FAILED (\S+)", line)
            if m:
                out.add(m.group(1))
    return out


def pytest_durations(path):
    """{(id, phase): seconds} from `pytest --durations=0 -vv` output."""
    out = {}
    pat = re.compile(r"^(\d+\.\d+)s (setup|call|teardown)\s+(\S.*?)\s*$")
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = pat.match(line.rstrip("\n"))
            if m:
                out[(m.group(3), m.group(2))] = float(m.group(1))
    if not out:
        fail("no durations in " + path)
    return out


def durations(table, pytest_out, workers=False, tolerance=0.15):
    t = load(table)
    period = t["period_s"]
    timed = pytest_durations(pytest_out)
    failed = pytest_failed(pytest_out)
    ids = {i for i, _ in timed}
    seen = {}
    unnamed = 0
    for r in t["rows"]:
        if r["where"] != "test":
            continue
        if r["id"] == "?":
            # a sample whose read of the environment raced pytest's setenv, in a phase
            # the stack cannot name the test of: unnamed, not misnamed; a few at most
            unnamed += r["samples"]
            continue
        if r["id"] not in ids:
            fail("pyflame names a test pytest did not run: %r (pytest: %s)" %
                 (r["id"], sorted(ids)))
        key = (r["id"], r["phase"])
        if key in seen:
            fail("%r appears twice (pids %s and %s)" % (key, seen[key]["pid"], r["pid"]))
        seen[key] = r
    if unnamed > 3:
        fail("%d samples of an unnamed test ('?')" % unnamed)
    bad = []
    for key, want in sorted(timed.items()):
        if want < MIN_TIMED:
            continue
        r = seen.get(key)
        if r is None:
            bad.append("%s [%s]: pytest %.2f s, missing in pyflame's table" % (key[0], key[1], want))
            continue
        # a phase's ends are known to a tick: to the longest tick gap when the sampler
        # was stalled (a loaded machine; max_gap_s says how long)
        tol = max(tolerance * want, 3 * period) + t.get("max_gap_s", 0)
        got = r["seconds"]
        # A failed test's call phase goes on, for pytest's PYTEST_CURRENT_TEST, while the
        # failure report is made (source read, traceback formatted), after its clock
        # stopped: up to 0.1 s more is that, not a wrong attribution.
        extra = 0.1 if key[0] in failed and key[1] == "call" else 0.0
        status = "ok" if -tol <= got - want <= tol + extra else "OFF"
        print("%-4s %-60s %-8s pytest %.3f s  pyflame %.3f s  (tolerance %.3f)" %
              (status, key[0], key[1], want, got, tol))
        if status != "ok":
            bad.append("%s [%s]: pytest %.3f s, pyflame %.3f s" % (key[0], key[1], want, got))
    if workers:
        pids = {r["pid"] for r in t["rows"] if r["where"] == "test"}
        if len(pids) < 2 and not t["merged"]:
            fail("tests ran in %d process(es), want the 2 workers: %s" % (len(pids), pids))
    if bad:
        fail("; ".join(bad))


def stacks(path):
    bad = 0
    n = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, count = line.rstrip("\n").rsplit(" ", 1)
            frames = stack.split(";")
            m = re.match(r"^test (.*) \[call\]$", frames[1]) if len(frames) > 1 else None
            if not m:
                continue
            want = re.sub(r"\[.*$", "", m.group(1)).split("::")[-1].split(".")[-1]
            for fr in frames[2:]:
                fn = fr.split(" (")[0].split(".")[-1]
                if fn.startswith("test_") and fn != want:
                    print("under %s: a frame of %s" % (frames[1], fr))
                    bad += int(count)
            n += int(count)
    if not n:
        fail("no test call samples in " + path)
    if bad:
        fail("%d samples ran another test's function than their test frame says" % bad)


def row(table, where, id_re, phase, lo, hi):
    t = load(table)
    total = 0.0
    found = 0
    for r in t["rows"]:
        if r["where"] != where:
            continue
        if id_re != "-" and not re.fullmatch(id_re, r["id"] or ""):
            continue
        if phase != "-" and r["phase"] != phase:
            continue
        total += r["seconds"]
        found += 1
    print("%s %s %s: %d rows, %.3f s" % (where, id_re, phase, found, total))
    if not found:
        fail("no row %s %s %s in %s" % (where, id_re, phase,
                                        [(r["where"], r["id"], r["phase"]) for r in t["rows"]]))
    if not float(lo) <= total <= float(hi):
        fail("%.3f s not within %s..%s" % (total, lo, hi))


def unittest_times(table, times):
    t = load(table)
    period = t["period_s"]
    want, count = {}, {}
    with open(times) as f:
        for line in f:
            what, sec = line.split()
            want[what] = want.get(what, 0.0) + float(sec)
            count[what] = count.get(what, 0) + 1
    got = dict.fromkeys(want, 0.0)
    for r in t["rows"]:
        if r["where"] != "test":
            continue
        if not re.fullmatch(r"test_unit(\.TestUnit)?(\.test_\w+)?", r["id"]):
            fail("unexpected id %r" % r["id"])
        key = r["phase"] if r["phase"] != "call" else "call:" + r["id"].split(".")[-1]
        if key not in got:
            fail("a row pyflame should not have: %r [%s]" % (r["id"], r["phase"]))
        got[key] += r["seconds"]
    bad = []
    for key in sorted(want):
        tol = max(0.15 * want[key], 3 * period * count[key]) + t.get("max_gap_s", 0)
        ok = abs(got[key] - want[key]) <= tol
        print("%-4s %-16s measured %.3f s  pyflame %.3f s  (tolerance %.3f)" %
              ("ok" if ok else "OFF", key, want[key], got[key], tol))
        if not ok:
            bad.append(key)
    if bad:
        fail("off: " + ", ".join(bad))


def same(a, b):
    def key(t):
        return sorted((r["where"], r["id"] or "", r["phase"] or "", r["pid"] or 0, r["samples"])
                      for r in t["rows"])
    ka, kb = key(load(a)), key(load(b))
    if ka != kb:
        fail("tables differ:\n%s\n%s" % (ka, kb))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "durations":
        tol = float(args[args.index("--tolerance") + 1]) if "--tolerance" in args else 0.15
        durations(args[0], args[1], "--workers" in args[2:], tol)
    elif cmd == "stacks":
        stacks(args[0])
    elif cmd == "row":
        row(*args)
    elif cmd == "unittest":
        unittest_times(*args)
    elif cmd == "same":
        same(*args)
    else:
        fail("unknown subcommand " + cmd)


if __name__ == "__main__":
    main()
