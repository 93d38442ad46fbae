# live_compare.py - dev check: run the reference target under each interpreter, sample it
# with build/live_dump, compare every thread's (name, file, line) with the target's own
# traceback.  python3 tests/live_compare.py [python ...]   (needs ptrace rights)
import glob, json, os, re, subprocess, sys, time

REF = "/work/shared/reference/cpython-layouts/tools/target.py"


def parse(out):
    threads, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"thread tid=(\d+) .*gil=(\d)", line)
        if m:
            cur = threads.setdefault(int(m.group(1)), {"gil": int(m.group(2)), "stack": []})
            continue
        m = re.match(r"    (.*) \((.*):(-?\d+)\)$", line)
        if m and cur is not None:
            cur["stack"].append([m.group(1), m.group(2), int(m.group(3))])
    return threads


def check(py):
    out = "/tmp/live_target_%d.json" % os.getpid()
    if os.path.exists(out):
        os.unlink(out)
    p = subprocess.Popen([py, REF, out])
    try:
        for _ in range(100):
            if os.path.exists(out):
                break
            time.sleep(0.1)
        want = json.load(open(out))
        res = subprocess.run(["build/live_dump", str(p.pid), "2001"], capture_output=True, text=True)
        got = parse(res.stdout)
        ok = bad = 0
        for ident, t in want["threads"].items():
            g = got.get(t["tid"])
            if g is None:
                bad += 1
                print("  missing tid", t["tid"])
                continue
            gs = [[f[0].split(".")[-1], f[1], f[2]] for f in g["stack"]]
            ws = t["stack"]
            spinner = ws and ws[0][0] == "spin"
            if spinner:   # its line moves: compare names everywhere, lines below the top
                same = [f[:2] for f in gs] == [f[:2] for f in ws] and gs[1:] == ws[1:]
            else:
                same = gs == ws
            if same:
                ok += 1
            else:
                bad += 1
                print("  tid %d differs:\n    got  %s\n    want %s" % (t["tid"], gs, ws))
        gil = [tid for tid, g in got.items() if g["gil"]]
        tail = [l for l in res.stdout.splitlines() if "us/sample" in l or l.startswith("drops")]
        print("%-45s threads ok=%d bad=%d gil_tids=%s %s %s" % (py, ok, bad, gil, " ".join(tail),
              res.stderr.strip()))
        return bad == 0
    finally:
        p.kill()
        p.wait()


pys = sys.argv[1:] or sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/*/bin/python"))) + ["/usr/bin/python3"]
sys.exit(0 if all([check(py) for py in pys]) else 1)
