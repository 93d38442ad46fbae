#!/usr/bin/env python3
"""Assertions on a collapsed-stacks profile written by pyflame.

Each line is "frame;frame;...;frame COUNT", root first: the process frame
("<cmdline> [pid N]", or "<cmdline>" with --merge), with --threads a thread frame
("thread TID (NAME)"), an optional "<truncated>" marker, the Python frames outermost
first, an optional "<GC>" (the cyclic GC ran) or "<native>" (--native-markers: the thread
ran C code it called) and an optional trailing "<idle>".

    check_collapsed.py [--threads] [--merge] [--async] SUBCOMMAND FILE ARGS...

With --async (pyflame --async), the first Python frame may be a task's bare name; with
--async-all (pyflame --async=all) any Python frame may, and the innermost may be a
waiting task's "<awaiting WHAT>" or "<ready>".

Subcommands (exit 0 when the assertion holds, 1 with an explanation when not):
    format FILE                  every line well formed, paths distinct and sorted
    total FILE                   print the number of samples
    share FILE LABEL MIN [WITHIN]  samples whose stack contains LABEL >= MIN (0..1) of
                                 all samples (of those whose stack contains WITHIN)
    at-most FILE LABEL MAX       samples whose stack contains LABEL <= MAX (0..1)
    ratio FILE LA LB WANT TOL    share(LA) / (share(LA) + share(LB)) within WANT +- TOL
    near FILE LABEL WITHIN WANT TOL  share of LABEL among the samples whose stack
                                 contains WITHIN is within WANT +- TOL
    tail FILE LABEL...           some stack's Python frames end with LABEL... (innermost last)
    path FILE LABEL...           some stack contains LABEL... as a contiguous run
    absent FILE LABEL            no stack contains LABEL
    process FILE REGEX           every process frame matches REGEX (full match)
    threads FILE                 print the number of distinct thread frames (--threads)
    roots FILE N [ROOT]          exactly N distinct process frames (and all equal ROOT)
    thread FILE TID NAME LABEL   some stack has the frame "thread TID (NAME)" and LABEL in it
    recursion FILE PREFIX MIN    some stack has >= MIN consecutive frames starting with PREFIX
    truncated FILE N             '<truncated>' appears, every truncated stack has exactly
                                 N Python frames, and no stack has more than N
    no-lineno FILE               no Python frame label carries a line number

A LABEL starting with "re:" is a regular expression matched against whole frame labels.
"""
import re
import sys

PROC_RE = re.compile(r"^.+ \[pid [0-9]+\]$")
THREAD_RE = re.compile(r"^thread [0-9]+ \(.*\)$")
MARKERS = ("<idle>", "<truncated>", "<GC>", "<native>")


class Fail(Exception):
    pass


class Stack(object):
    def __init__(self, raw, frames, count, threads):
        self.raw = raw
        self.frames = frames
        self.count = count
        self.process = frames[0]
        rest = frames[1:]
        self.thread = None
        if threads:
            if not rest:
                raise Fail("no thread frame in: %s" % raw)
            self.thread = rest[0]
            rest = rest[1:]
        self.truncated = bool(rest) and rest[0] == "<truncated>"
        if self.truncated:
            rest = rest[1:]
        self.idle = bool(rest) and rest[-1] == "<idle>"
        if self.idle:
            rest = rest[:-1]
        self.gc = bool(rest) and rest[-1] == "<GC>"
        if self.gc:
            rest = rest[:-1]
        self.native = bool(rest) and rest[-1] == "<native>"
        if self.native:
            rest = rest[:-1]
        self.python = rest


def load(path, threads=False):
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Fail("%s is not UTF-8: %s" % (path, e))
    stacks = []
    for n, line in enumerate(text.split("\n"), 1):
        if line == "":
            continue
        m = re.match(r"^(.*) ([0-9]+)$", line)
        if not m:
            raise Fail("%s:%d: not 'STACK COUNT': %r" % (path, n, line))
        frames = m.group(1).split(";")
        if any(f == "" for f in frames):
            raise Fail("%s:%d: empty frame in %r" % (path, n, line))
        stacks.append(Stack(m.group(1), frames, int(m.group(2)), threads))
    return stacks


def label_matches(label, frame):
    if label.startswith("re:"):
        return re.match("(?:%s)\\Z" % label[3:], frame) is not None
    return frame == label


def contains(seq, labels):
    k = len(labels)
    for i in range(len(seq) - k + 1):
        if all(label_matches(labels[j], seq[i + j]) for j in range(k)):
            return True
    return False


def total(stacks):
    return sum(s.count for s in stacks)


def show(stacks, limit=12):
    """The heaviest stacks, innermost frames last, for failure messages."""
    out = ["heaviest stacks (of %d, %d samples):" % (len(stacks), total(stacks))]
    for s in sorted(stacks, key=lambda s: -s.count)[:limit]:
        frames = s.frames
        if len(frames) > 12:
            frames = frames[:2] + ["...(%d frames)..." % (len(frames) - 10)] + frames[-8:]
        out.append("  %6d  %s" % (s.count, ";".join(frames)))
    return "\n".join(out)


def share_of(stacks, label, within=None):
    if within is not None:
        stacks = [s for s in stacks if any(label_matches(within, f) for f in s.frames)]
    t = total(stacks)
    if t == 0:
        raise Fail("the profile has no samples")
    hit = sum(s.count for s in stacks if any(label_matches(label, f) for f in s.frames))
    return hit, t


def cmd_format(stacks, args, opts):
    if not stacks:
        raise Fail("the profile is empty")
    for s in stacks:
        if s.count <= 0:
            raise Fail("count %d in %r" % (s.count, s.raw))
        if opts["merge"]:
            if PROC_RE.match(s.process):
                raise Fail("--merge, yet a process frame has a pid: %r" % s.process)
        elif not PROC_RE.match(s.process):
            raise Fail("root frame is not '<cmdline> [pid N]': %r" % s.process)
        if opts["threads"] and not THREAD_RE.match(s.thread):
            raise Fail("second frame is not 'thread TID (NAME)': %r" % s.thread)
        for f in s.frames[1:]:
            if f in MARKERS or (opts["threads"] and f is s.thread):
                continue
            if opts["async-all"] and f is s.python[-1] and \
                    (f == "<ready>" or re.match(r"^<awaiting .+>$", f)):
                continue
            if f.startswith("<") and f.endswith(">"):
                raise Fail("unexpected marker frame %r in %r" % (f, s.raw))
        for i, f in enumerate(s.python):
            if f in MARKERS:
                raise Fail("marker %r inside the Python frames of %r" % (f, s.raw))
            if opts["async"] and i == 0 and "(" not in f:
                continue        # a task's name
            if opts["async-all"] and ("(" not in f or f is s.python[-1] and f[0] == "<"):
                continue        # a task's name, what a waiting task waits on
            if not re.match(r"^.+ \(.*\)$", f):
                raise Fail("Python frame not labelled 'NAME (FILE[:LINE])': %r" % f)
    keys = [s.raw.encode("utf-8") for s in stacks]
    if len(set(keys)) != len(keys):
        raise Fail("a stack appears on more than one line")
    if keys != sorted(keys):
        for a, b in zip(keys, keys[1:]):
            if a > b:
                raise Fail("lines are not sorted by stack: %r before %r" % (a, b))
    print("%d stacks, %d samples" % (len(stacks), total(stacks)))


def cmd_total(stacks, args, opts):
    print(total(stacks))


def cmd_share(stacks, args, opts):
    label, want = args[0], float(args[1])
    within = args[2] if len(args) > 2 else None
    hit, t = share_of(stacks, label, within)
    print("%s: %d of %d samples (%.1f%%)%s" % (label, hit, t, 100.0 * hit / t,
                                               " with %s" % within if within else ""))
    if hit < want * t:
        raise Fail("want at least %.1f%% of samples in %r\n%s" % (100 * want, label, show(stacks)))


def cmd_at_most(stacks, args, opts):
    label, most = args[0], float(args[1])
    hit, t = share_of(stacks, label)
    print("%s: %d of %d samples (%.1f%%)" % (label, hit, t, 100.0 * hit / t))
    if hit > most * t:
        raise Fail("want at most %.1f%% of samples in %r\n%s" % (100 * most, label, show(stacks)))


def cmd_ratio(stacks, args, opts):
    la, lb, want, tol = args[0], args[1], float(args[2]), float(args[3])
    a, _ = share_of(stacks, la)
    b, _ = share_of(stacks, lb)
    if a + b == 0:
        raise Fail("neither %r nor %r was sampled\n%s" % (la, lb, show(stacks)))
    r = float(a) / (a + b)
    print("%s: %d, %s: %d, share %.3f (want %.3f +- %.3f)" % (la, a, lb, b, r, want, tol))
    if abs(r - want) > tol:
        raise Fail("share %.3f is not within %.3f of %.3f\n%s" % (r, tol, want, show(stacks)))


def cmd_near(stacks, args, opts):
    label, within, want, tol = args[0], args[1], float(args[2]), float(args[3])
    hit, t = share_of(stacks, label, within)
    r = float(hit) / t
    print("%s: %d of %d samples with %s, share %.3f (want %.3f +- %.3f)" % (
        label, hit, t, within, r, want, tol))
    if abs(r - want) > tol:
        raise Fail("share %.3f is not within %.3f of %.3f\n%s" % (r, tol, want, show(stacks)))


def cmd_tail(stacks, args, opts):
    k = len(args)
    for s in stacks:
        py = s.python
        if len(py) >= k and all(label_matches(args[j], py[len(py) - k + j]) for j in range(k)):
            print("found in %d samples: %s" % (s.count, s.raw))
            return
    raise Fail("no stack ends with %s\n%s" % (" ; ".join(args), show(stacks)))


def cmd_path(stacks, args, opts):
    for s in stacks:
        if contains(s.frames, args):
            print("found in %d samples: %s" % (s.count, s.raw[:300]))
            return
    raise Fail("no stack contains %s\n%s" % (" ; ".join(args), show(stacks)))


def cmd_absent(stacks, args, opts):
    for s in stacks:
        if any(label_matches(args[0], f) for f in s.frames):
            raise Fail("%r appears in: %s" % (args[0], s.raw))


def cmd_process(stacks, args, opts):
    rx = re.compile("(?:%s)\\Z" % args[0])
    for s in stacks:
        if not rx.match(s.process):
            raise Fail("process frame %r does not match %r" % (s.process, args[0]))
    print("process frames: %s" % ", ".join(sorted(set(s.process for s in stacks))))


def cmd_threads(stacks, args, opts):
    print(len(set((s.process, s.thread) for s in stacks if s.python)))


def cmd_roots(stacks, args, opts):
    roots = sorted(set(s.process for s in stacks))
    print("process frames: %s" % roots)
    if len(roots) != int(args[0]):
        raise Fail("want %s distinct process frames, got %d: %s" % (args[0], len(roots), roots))
    if len(args) > 1 and roots != [args[1]]:
        raise Fail("want the process frame %r, got %s" % (args[1], roots))


def cmd_thread(stacks, args, opts):
    want = "thread %s (%s)" % (args[0], args[1])
    for s in stacks:
        if s.thread == want and any(label_matches(args[2], f) for f in s.python):
            print("found in %d samples: %s" % (s.count, s.raw))
            return
    threads = sorted(set(str(s.thread) for s in stacks))
    raise Fail("no stack on %r contains %r; threads seen: %s\n%s"
               % (want, args[2], threads, show(stacks)))


def cmd_recursion(stacks, args, opts):
    prefix, want = args[0], int(args[1])
    best = 0
    for s in stacks:
        run = 0
        for f in s.python:
            run = run + 1 if f.startswith(prefix) else 0
            best = max(best, run)
    print("longest run of %r frames: %d" % (prefix, best))
    if best < want:
        raise Fail("want a stack with >= %d consecutive %r frames, longest is %d\n%s"
                   % (want, prefix, best, show(stacks)))


def cmd_truncated(stacks, args, opts):
    n = int(args[0])
    trunc = [s for s in stacks if s.truncated]
    if not trunc:
        raise Fail("no stack has a <truncated> frame after the process/thread frames\n%s"
                   % show(stacks))
    for s in stacks:
        if "<truncated>" in s.python:
            raise Fail("<truncated> is not right after the process/thread frames: %s" % s.raw[:300])
        if len(s.python) > n:
            raise Fail("a stack has %d Python frames, more than --max-depth %d: %s..."
                       % (len(s.python), n, s.raw[:300]))
        if s.truncated and len(s.python) != n:
            raise Fail("a truncated stack has %d Python frames, want exactly %d: %s"
                       % (len(s.python), n, s.raw[:300]))
    print("%d truncated stacks (%d samples), each with %d Python frames"
          % (len(trunc), total(trunc), n))


def cmd_no_lineno(stacks, args, opts):
    for s in stacks:
        for f in s.python:
            if re.search(r":[0-9]+\)$", f):
                raise Fail("frame label with a line number under -n: %r" % f)
    print("no line numbers in %d stacks" % len(stacks))


COMMANDS = {
    "format": (cmd_format, 0),
    "total": (cmd_total, 0),
    "share": (cmd_share, -1),
    "at-most": (cmd_at_most, 2),
    "ratio": (cmd_ratio, 4),
    "near": (cmd_near, 4),
    "tail": (cmd_tail, -1),
    "path": (cmd_path, -1),
    "absent": (cmd_absent, 1),
    "process": (cmd_process, 1),
    "roots": (cmd_roots, -1),
    "threads": (cmd_threads, 0),
    "thread": (cmd_thread, 3),
    "recursion": (cmd_recursion, 2),
    "truncated": (cmd_truncated, 1),
    "no-lineno": (cmd_no_lineno, 0),
}


def main(argv):
    opts = {"threads": False, "merge": False, "async": False, "async-all": False}
    while argv and argv[0].startswith("--"):
        opts[argv.pop(0)[2:]] = True
    if len(argv) < 2 or argv[0] not in COMMANDS:
        sys.stderr.write(__doc__)
        return 2
    fn, nargs = COMMANDS[argv[0]]
    args = argv[2:]
    if (nargs >= 0 and len(args) != nargs) or (nargs < 0 and not args) or \
            (argv[0] == "share" and len(args) not in (2, 3)):
        sys.stderr.write("wrong number of arguments for %s\n" % argv[0])
        return 2
    try:
        fn(load(argv[1], opts["threads"]), args, opts)
    except Fail as e:
        print("FAIL (%s %s): %s" % (argv[0], argv[1], e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
