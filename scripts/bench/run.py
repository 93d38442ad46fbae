#!/usr/bin/env python3
"""pyflame's benchmark suite: what a profiler costs the program it profiles, and what it gets.

    scripts/bench/run.sh                         # pyflame, every workload, 100 Hz/1 kHz/10 kHz
    scripts/bench/run.sh --smoke                 # a few seconds: does it all work?
    scripts/bench/run.sh --profiler 'py-spy record -r {hz} -o {out} -f raw --' --label py-spy
    scripts/bench/run.sh --profiler none         # A/A: both sides bare, the noise floor
    scripts/bench/run.sh --rss-growth 15,30,60   # pyflame's peak RSS against run length

For each workload, Python and rate it runs the target bare (B) and under the profiler (A),
alternately (B A, A B, ...), --pairs times, after one uncounted bare run, and prints:

  slowdown   the target's own run time (its clock, start to end of its work) A/B, per
             pair: median [min-max].  1.00 = no slowdown.  e2e: the same for the whole
             command, profiler start-up and output writing included.
  achieved   samples in the output / (rate x the thread-seconds the workload reports):
             the share of the requested samples the profiler delivered.
  cpu/sample the profiler's own CPU time (user+sys: /proc/PID/schedstat of the profiler,
             read after it exited and before it is reaped, so that its child - the
             target - is not counted as wait4's rusage would; /proc/PID/stat ticks when the
             profiler ran several threads) / samples.  Start-up and writing included.
  floor      the CPU one bare timer wake-up costs here, at the same rate, measured after
             each pair (build/wakeup-floor: the deadlines pyflame draws, one ppoll() each,
             nothing else).  above floor: cpu/sample minus the floor of the same pair,
             what the profiler adds to the least any timer-driven sampler spends; only
             for one-thread workloads, where a sample is a tick.
  cpu%       that CPU time as a share of one core over the run.
  acc. pp    among samples whose innermost work_a/b/c frame is one of those, the largest
             distance of the three shares from the nominal 60/30/10, in percentage points
             (sampling noise alone is about 50/sqrt(samples) pp).  acc. self: the same
             against the split the workload timed itself (perf_counter around each call).
  peak RSS   the profiler's VmHWM, polled every 10 ms (the last 10 ms can be missed).

The profiler template takes {hz}, {us} (interval), {out} (a collapsed-stack file to
write), {python} and {pyflame}; the target command is appended, or, where the template
has {script}, put there without its interpreter (for a profiler that runs the script
itself).  --profiler profiling.sampling is CPython 3.15's own sampler, as
'{python} -m profiling.sampling run -a -r {hz} --collapsed -o {out} {script}' (-a: every
thread, as pyflame samples them).  Output is parsed as
collapsed stacks ('frame;frame;... count'); --format none skips it.
"""
import argparse
import glob
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WL = os.path.join(HERE, "workloads")
DEFAULT_PROFILER = "{pyflame} run -q -r {hz} -o {out} --"
# Other profilers by name: --profiler NAME uses the template.
PEERS = {
    "profiling.sampling":
        "{python} -m profiling.sampling run -a -r {hz} --collapsed -o {out} {script}",
}
NOMINAL = {"a": 60.0, "b": 30.0, "c": 10.0}
KERNEL = re.compile(r"(?<![A-Za-z0-9_])work_([abc])(?![A-Za-z0-9_])")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# name: (argv after the interpreter, seconds of bare run time, runs under Python)
WORKLOADS = {
    "cpu_split": (["cpu_split.py", "--depth", "10"], 3.0, True),
    "cpu_deep": (["cpu_split.py", "--depth", "100"], 3.0, True),
    "threads": (["threads.py", "--busy", "2", "--idle", "4"], 3.0, True),
    "threads16": (["threads.py", "--busy", "1", "--idle", "15"], 3.0, True),
    "many_code": (["many_code.py", "--funcs", "3000"], 3.0, True),
    "subprocs": (["subprocs.py", "--nproc", "6"], 3.0, True),
    "forkloop": (["forkloop.sh"], 3.0, False),
    "asyncio_tasks": (["asyncio_tasks.py", "--busy", "3", "--sleepers", "47"], 3.0, True),
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# --- the machine and the interpreters -------------------------------------------------

def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release()}


def py_version(py):
    out = subprocess.run([py, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         universal_newlines=True)
    return out.stdout.strip() if out.returncode == 0 else None


def find_pythons(spec):
    """--python: paths, or 'all' (every 3.6+ in pyenv and /usr/bin)."""
    if spec and spec != ["all"]:
        return spec
    found = []
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    cands = sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python3")))
    cands += ["/usr/bin/python3"]
    if not spec:
        cands = ["/usr/bin/python3"] + cands[:-1]
    for c in cands:
        v = py_version(c) if os.access(c, os.X_OK) else None
        if v and tuple(map(int, v.split(".")[:2])) >= (3, 6):
            found.append(c)
            if not spec:
                break
    return found or [sys.executable]


# --- one run -------------------------------------------------------------------------

def read_proc(pid, name):
    try:
        with open("/proc/%d/%s" % (pid, name)) as f:
            return f.read()
    except OSError:
        return None


def run_once(argv, env, cwd, stderr_path):
    """Run argv; poll its VmHWM and thread count; its own CPU from the zombie."""
    with open(stderr_path, "wb") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=cwd)
    hwm, threads = 0, 1
    while True:
        if os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            break
        st = read_proc(p.pid, "status") or ""
        m = re.search(r"VmHWM:\s+(\d+)", st)
        if m:
            hwm = max(hwm, int(m.group(1)))
        m = re.search(r"Threads:\s+(\d+)", st)
        if m:
            threads = max(threads, int(m.group(1)))
        time.sleep(0.01)
    wall = time.perf_counter() - t0
    # A zombie still has its own run time (schedstat: ns, this thread; stat: ticks, all).
    sched = read_proc(p.pid, "schedstat")
    stat = read_proc(p.pid, "stat")
    cpu = None
    if threads == 1 and sched:
        cpu = int(sched.split()[0]) / 1e9
    elif stat:
        f = stat[stat.rindex(")") + 2:].split()
        cpu = (int(f[11]) + int(f[12])) / CLK_TCK
    _, status, _ = os.wait4(p.pid, 0)
    rc = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status
    return {"wall": wall, "rc": rc, "cpu": cpu, "hwm_kb": hwm, "threads": threads}


def parse_output(path, fmt):
    """(samples, {a,b,c: samples whose innermost work_X frame is that one}).
    collapsed: 'frame;frame;... COUNT'; austin: Austin 1.x, one sample per line, the
    last field a duration (each line counts 1)."""
    total, kern = 0, {"a": 0, "b": 0, "c": 0}
    try:
        f = open(path, errors="replace")
    except OSError:
        return None
    with f:
        for line in f:
            line = line.rstrip("\n")
            stack, _, n = line.rpartition(" ")
            if not stack or not n.isdigit():
                continue
            n = int(n) if fmt == "collapsed" else 1
            total += n
            ks = KERNEL.findall(stack)
            if ks:
                kern[ks[-1]] += n
    return total, kern


def expand(template, hz, out, python, pyflame, target, is_py):
    """The profiled command: the template's words, then the target; or the target
    without its interpreter in place of a {script} word."""
    words, placed = [], False
    for w in shlex.split(template):
        if w == "{script}":
            words.extend(target[1:] if is_py else target)
            placed = True
            continue
        w = (w.replace("{hz}", "%g" % hz).replace("{us}", "%d" % round(1e6 / hz))
              .replace("{out}", out).replace("{python}", python).replace("{pyflame}", pyflame))
        words.append(w)
    return words if placed else words + target


# --- a cell: workload x python x rate ------------------------------------------------------

def calibrate(python, wl, seconds, cache):
    key = (python, wl, seconds)
    if key not in cache:
        args, _, is_py = WORKLOADS[wl]
        argv = ([python] if is_py else []) + [os.path.join(WL, args[0])] + args[1:]
        out = subprocess.run(argv + ["--calibrate", str(seconds)], cwd=WL,
                             stdout=subprocess.PIPE, universal_newlines=True, check=True)
        cache[key] = json.loads(out.stdout.strip().splitlines()[-1])["units"]
    return cache[key]


def mmm(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def run_cell(opt, python, wl, hz, units, tmp):
    args, _, is_py = WORKLOADS[wl]
    target = ([python] if is_py else []) + [os.path.join(WL, args[0])] + args[1:] + \
        ["--units", str(units)]
    rows = {"A": [], "B": []}
    fails = 0

    def one(side, i):
        rep = os.path.join(tmp, "report-%s-%d.json" % (side, i))
        out = os.path.join(tmp, "out-%d.txt" % i)
        errp = os.path.join(tmp, "stderr-%s-%d.txt" % (side, i))
        for pth in (rep, out):
            if os.path.exists(pth):
                os.unlink(pth)
        env = dict(os.environ, PYFLAME_BENCH_REPORT=rep)
        argv = target
        if side == "A" and opt.profiler != "none":
            argv = expand(opt.profiler, hz, out, python, opt.pyflame, target, is_py)
        r = run_once(argv, env, WL, errp)
        try:
            with open(rep) as f:
                r["report"] = json.load(f)
        except (OSError, ValueError):
            r["report"] = None
        if side == "A" and opt.profiler != "none" and opt.format != "none":
            r["parsed"] = parse_output(out, opt.format)
        r["stderr"] = errp
        return r

    one("B", -1)        # warm the page cache and the interpreter's .pyc files
    i = 0
    while len(rows["A"]) < opt.pairs and i < opt.pairs + 3:
        order = ("B", "A") if i % 2 == 0 else ("A", "B")
        got = {s: one(s, i) for s in order}
        i += 1
        if got["A"]["rc"] != 0 or got["A"]["report"] is None:
            fails += 1
            log("  run failed (rc %s), see %s" % (got["A"]["rc"], got["A"]["stderr"]))
            with open(got["A"]["stderr"], errors="replace") as f:
                log("  " + f.read()[-600:].replace("\n", "\n  "))
            continue
        got["A"]["floor"] = wakeup_floor(opt, hz)
        for s in "AB":
            rows[s].append(got[s])
    return summarize(rows, hz, fails)


def wakeup_floor(opt, hz):
    """CPU us of one bare timer wake-up at hz now (build/wakeup-floor), or None."""
    exe = os.path.join(os.path.dirname(opt.pyflame), "wakeup-floor")
    if opt.no_floor or opt.profiler == "none" or not os.access(exe, os.X_OK):
        return None
    n = int(max(50, min(2000, hz)))
    try:
        out = subprocess.run([exe, "%d" % hz, "%d" % n], stdout=subprocess.PIPE,
                             universal_newlines=True, timeout=60).stdout
        return float(out.split(": ", 1)[1].split()[0])
    except (OSError, subprocess.SubprocessError, IndexError, ValueError):
        return None


def summarize(rows, hz, fails):
    A, B = rows["A"], rows["B"]
    res = {"fails": fails, "pairs": len(A)}
    if not A:
        return res
    res["slowdown"] = mmm([a["report"]["wall"] / b["report"]["wall"] for a, b in zip(A, B)])
    res["e2e"] = mmm([a["wall"] / b["wall"] for a, b in zip(A, B)])
    ach, cps, cpu_pct, acc, acc_self, rss, samples = [], [], [], [], [], [], []
    floor, above = [], []
    for a in A:
        rss.append(a["hwm_kb"] / 1024.0)
        p = a.get("parsed")
        if not p:
            continue
        total, kern = p
        samples.append(total)
        ts = a["report"].get("thread_seconds") or 0
        if ts > 0:
            ach.append(100.0 * total / (hz * ts))
        if a["cpu"] is not None and total:
            cps.append(1e6 * a["cpu"] / total)
            cpu_pct.append(100.0 * a["cpu"] / a["wall"])
            if a.get("floor") is not None:
                floor.append(a["floor"])
                if 0 < ts <= 1.05 * a["report"]["wall"]:     # one thread: a sample a tick
                    above.append(cps[-1] - a["floor"])
        k = sum(kern.values())
        if k >= 100:
            acc.append(max(abs(100.0 * kern[x] / k - NOMINAL[x]) for x in "abc"))
            split = a["report"].get("split")
            if split:
                acc_self.append(max(abs(100.0 * (kern[x] / k - split[x])) for x in "abc"))
    res.update(achieved=mmm(ach), cpu_per_sample=mmm(cps), cpu_pct=mmm(cpu_pct),
               floor=mmm(floor), above_floor=mmm(above),
               accuracy=mmm(acc), accuracy_self=mmm(acc_self), rss_mib=mmm(rss),
               samples=mmm(samples))
    return res


# --- output -----------------------------------------------------------------------------

def fmt(m, f="%.2f", rng=True):
    if not m:
        return "-"
    s = f % m["median"]
    if rng and m["n"] > 1:
        s += " [" + f % m["min"] + "-" + f % m["max"] + "]"
    return s


def table(results):
    hdr = ["workload", "python", "rate", "slowdown", "e2e", "achieved %", "cpu/sample us",
           "floor us", "above floor us", "cpu %", "acc. pp", "acc. self pp", "samples",
           "peak RSS MiB"]
    lines = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    for r in results:
        s = r["stats"]
        lines.append("| " + " | ".join([
            r["workload"], r["python"], "%g" % r["hz"], fmt(s.get("slowdown"), "%.3f"),
            fmt(s.get("e2e"), "%.3f", False), fmt(s.get("achieved"), "%.1f", False),
            fmt(s.get("cpu_per_sample"), "%.1f"), fmt(s.get("floor"), "%.1f", False),
            fmt(s.get("above_floor"), "%.1f"), fmt(s.get("cpu_pct"), "%.1f", False),
            fmt(s.get("accuracy"), "%.2f"), fmt(s.get("accuracy_self"), "%.2f", False),
            fmt(s.get("samples"), "%d", False), fmt(s.get("rss_mib"), "%.1f", False),
        ]) + (" (%d failed)" % s["fails"] if s.get("fails") else "") + " |")
    return "\n".join(lines)


def rss_growth(opt, python, durations, hz, tmp):
    """Peak RSS of the profiler on many_code at hz for several lengths of run.  Its memory
    follows the distinct stacks seen, not the time: compare runs by samples taken."""
    cache = {}
    rows = []
    for d in durations:
        units = calibrate(python, "many_code", d, cache)
        args = WORKLOADS["many_code"][0]
        target = [python, os.path.join(WL, args[0])] + args[1:] + ["--units", str(units)]
        out = os.path.join(tmp, "rss.txt")
        argv = expand(opt.profiler, hz, out, python, opt.pyflame, target, True)
        r = run_once(argv, dict(os.environ), WL, os.path.join(tmp, "rss-stderr.txt"))
        p = parse_output(out, opt.format)
        try:
            with open(out, errors="replace") as f:
                stacks = sum(1 for _ in f)
        except OSError:
            stacks = 0
        rows.append((r["wall"], p[0] if p else 0, stacks, r["hwm_kb"] / 1024.0))
        log("  %.0f s run: %d samples, %d distinct stacks, peak RSS %.1f MiB" % rows[-1])
    print("\nmany_code (3000 functions) at %g Hz:\n" % hz)
    print("| run (s) | samples | distinct stacks | peak RSS MiB |\n|---|---|---|---|")
    for w, n, k, m in rows:
        print("| %.1f | %d | %d | %.1f |" % (w, n, k, m))
    if len(rows) >= 2:
        (w0, n0, _, m0), (w1, n1, _, m1) = rows[0], rows[-1]
        slope = (m1 - m0) / (n1 - n0) * 1e5 if n1 > n0 else 0.0
        print("\n%.3f MiB per 100k samples between the shortest and the longest run; "
              "600k samples (10 min at 1 kHz) at that slope: %.1f MiB (a linear "
              "extrapolation: an upper bound while the distinct stacks saturate)."
              % (slope, m1 + slope * (6e5 - n1) / 1e5))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__[__doc__.index("For each"):])
    ap.add_argument("--profiler", default=DEFAULT_PROFILER,
                    help="command template, 'none', or a name: %s (default: %%(default)s)"
                    % ", ".join(PEERS))
    ap.add_argument("--label", default=None)
    ap.add_argument("--format", choices=("collapsed", "austin", "none"), default="collapsed")
    ap.add_argument("--pyflame", default=os.path.join(ROOT, "build", "pyflame"))
    ap.add_argument("--python", action="append", default=[],
                    help="interpreter (repeatable); 'all': every 3.6+ found "
                    "(default: /usr/bin/python3)")
    ap.add_argument("--workloads", default=",".join(w for w in WORKLOADS if w != "asyncio_tasks"),
                    help="comma-separated, from: " + ", ".join(WORKLOADS) +
                    " (asyncio_tasks, Python 3.7+, only when named)")
    ap.add_argument("--rates", default="100,1000,10000")
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=None,
                    help="bare run time of each workload (default 3)")
    ap.add_argument("--smoke", action="store_true",
                    help="cpu_split and threads at 1 kHz, 1 pair, 1 s: a few seconds")
    ap.add_argument("--rss-growth", default=None, metavar="S,S,...",
                    help="only measure peak RSS on many_code for runs of S seconds "
                    "(at 1 kHz, or the last of --rates when given)")
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--no-floor", action="store_true",
                    help="do not measure the bare wake-up floor after each pair")
    opt = ap.parse_args()
    if opt.profiler in PEERS:
        opt.label = opt.label or opt.profiler
        opt.profiler = PEERS[opt.profiler]
    if opt.smoke:
        opt.workloads, opt.rates, opt.pairs = "cpu_split,threads", "1000", 1
        opt.seconds = opt.seconds or 1.0
    opt.pyflame = os.path.abspath(opt.pyflame)
    if "{pyflame}" in opt.profiler and not os.access(opt.pyflame, os.X_OK):
        sys.exit("bench: %s is not built (make)" % opt.pyflame)
    label = opt.label or ("pyflame" if opt.profiler == DEFAULT_PROFILER else
                          "none (A/A)" if opt.profiler == "none" else opt.profiler.split()[0])
    pythons = find_pythons(opt.python)
    versions = {py: py_version(py) for py in pythons}
    mach = machine()
    tmp = tempfile.mkdtemp(prefix="pyflame-bench-")

    print("# %s\n" % label)
    print("- machine: %d CPUs, %s, Linux %s" % (mach["nproc"], mach["cpu"], mach["kernel"]))
    print("- pythons: " + ", ".join("%s (%s)" % (versions[p], p) for p in pythons))
    print("- profiler: `%s`" % opt.profiler)
    if opt.rss_growth:
        rss_growth(opt, pythons[0], [float(x) for x in opt.rss_growth.split(",")],
                   float(opt.rates.split(",")[-1]) if opt.rates != "100,1000,10000" else 1000,
                   tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        return 0
    print("- %d pairs per cell (bare and profiled alternately, one uncounted bare run "
          "first); median [min-max]\n" % opt.pairs)
    cache, results, bad = {}, [], 0
    rates = [float(r) for r in opt.rates.split(",")]
    for wl in opt.workloads.split(","):
        if wl not in WORKLOADS:
            sys.exit("bench: unknown workload %r" % wl)
        secs = opt.seconds or WORKLOADS[wl][1]
        for py in (pythons if WORKLOADS[wl][2] else pythons[:1]):
            units = calibrate(py, wl, secs, cache)
            for hz in rates:
                log("%s %s %g Hz (%d units)..." % (wl, versions[py], hz, units))
                st = run_cell(opt, py, wl, hz, units, tmp)
                results.append({"workload": wl, "python": versions[py] if WORKLOADS[wl][2]
                                else "-", "hz": hz, "stats": st})
                if st.get("fails") or not st.get("pairs"):
                    bad += 1
                elif opt.profiler != "none" and opt.format != "none" and WORKLOADS[wl][2] \
                        and not (st.get("samples") or {}).get("median"):
                    bad += 1
                    log("  no samples in the profiler's output")
    print(table(results))
    if opt.json:
        with open(opt.json, "w") as f:
            json.dump({"label": label, "machine": mach, "pythons": versions,
                       "profiler": opt.profiler, "results": results}, f, indent=1)
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
