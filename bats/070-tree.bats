#!/usr/bin/env bats
# The whole process tree and every thread: fork, exec, clone, modes, churn.

load helpers

setup() {
	require_pyflame
	require_python3
	D=$(fresh_dir tree)
}

teardown() {
	# the daemon test's grandchild loops forever: a failed test must not leave it running
	# (matched by its pid file, which is on its command line, also before it wrote it)
	[ -n "${D:-}" ] && pkill -9 -f -- "$D/daemon.pid" 2>/dev/null || true
}

# Distinct process frames in a collapsed profile whose stacks contain LABEL (a regex).
procs_with() {
	"$PY3" - "$1" "$2" <<'PY'
import re, sys
want = re.compile(sys.argv[2])
procs = set()
for line in open(sys.argv[1]):
    path, _, count = line.rstrip("\n").rpartition(" ")
    frames = path.split(";")
    if any(want.fullmatch(f) for f in frames[1:]):
        procs.add(frames[0])
print(len(procs))
PY
}

@test "subprocess.run of another interpreter: both processes appear, each under its own root" {
	run_pyflame_split run -r 200 -o "$D/p.txt" -- "$PY3" "$TARGETS/tree.py" subprocess
	[ "$status" -eq 0 ]
	check_collapsed format "$D/p.txt"
	[ "$(procs_with "$D/p.txt" 'child_work \(.*tree\.py:[0-9]+\)')" -eq 1 ]
	[ "$(procs_with "$D/p.txt" 'parent_waits \(.*tree\.py:[0-9]+\)')" -eq 1 ]
	check_collapsed roots "$D/p.txt" 2
}

@test "a child that lives only 0.2 s is seen at 100 Hz" {
	run_pyflame_split run -o "$D/s.txt" -- "$PY3" "$TARGETS/tree.py" short
	[ "$status" -eq 0 ]
	[ "$(procs_with "$D/s.txt" 'short_lived \(.*\)')" -eq 1 ]
}

@test "multiprocessing pools with fork, spawn and forkserver: every worker is profiled" {
	for m in fork spawn forkserver; do
		echo "# $m"
		run_pyflame_split run -r 200 -o "$D/$m.txt" -- "$PY3" "$TARGETS/tree.py" "mp-$m"
		[ "$status" -eq 0 ]
		n=$(procs_with "$D/$m.txt" 'pool_work \(.*tree\.py:[0-9]+\)')
		echo "# workers seen in pool_work: $n"
		[ "$n" -eq 2 ]
	done
}

@test "a shell script that runs two Python programs: both appear" {
	run_pyflame_split run -r 200 -o "$D/sh.txt" -- "$TARGETS/two_pythons.sh" "$PY3" "$TARGETS"
	[ "$status" -eq 0 ]
	[ "$(procs_with "$D/sh.txt" 'child_work \(.*\)')" -eq 1 ]
	[ "$(procs_with "$D/sh.txt" 'hot \(.*hot\.py:[0-9]+\)')" -eq 1 ]
}

@test "one interpreter started six times by a shell: each run profiled, its files parsed once" {
	# probing remembers each ELF file by device, inode, size and times (-v counts it); a
	# file changed within the last 2 s is parsed every time, so this needs an older python
	local real hits
	run_pyflame_split -v run -r 200 -o "$D/six.txt" -- sh -c \
		'for i in 1 2 3 4 5 6; do "$0" "$1" short_lived; done' "$PY3" "$TARGETS/tree.py"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(procs_with "$D/six.txt" 'short_lived \(.*tree\.py:[0-9]+\)')" -eq 6 ]
	real=$(realpath "$PY3")
	if [ -n "$(find "$real" -newerct '-10 seconds')" ]; then
		skip "$real changed less than 10 s ago"
	fi
	hits=$(grep -oE 'answered [0-9]+ more from memory' <<<"$stderr" | grep -oE '[0-9]+')
	[ "$hits" -ge 5 ]
}

@test "os.fork() without exec keeps being profiled as the child" {
	run_pyflame_split run -r 200 -o "$D/f.txt" -- "$PY3" "$TARGETS/tree.py" fork
	[ "$status" -eq 0 ]
	[ "$(procs_with "$D/f.txt" 'forked_child \(.*\)')" -eq 1 ]
	[ "$(procs_with "$D/f.txt" 'parent_of_fork \(.*\)')" -eq 1 ]
}

# Samples in a collapsed profile whose stacks contain LABEL (a regex) and not NOT.
# want_samples SECONDS: 60% of the samples SECONDS of a spinning process should get at the
# rate pyflame says it achieved ($stderr's summary): a busy machine lowers the rate, not
# the share of the ticks a process that runs gets.
want_samples() {
	local hz
	hz=$(grep -oE '[0-9.]+ Hz achieved' <<<"$stderr" | cut -d' ' -f1)
	awk -v s="$1" -v hz="${hz:-0}" 'BEGIN { printf "%d", 0.6 * s * hz }'
}

samples_with() {
	"$PY3" - "$1" "$2" "${3:-^$}" <<'PY'
import re, sys
want, unwanted = re.compile(sys.argv[2]), re.compile(sys.argv[3])
n = 0
for line in open(sys.argv[1]):
    path, _, count = line.rstrip("\n").rpartition(" ")
    frames = path.split(";")[1:]
    if any(want.fullmatch(f) for f in frames) and not any(unwanted.fullmatch(f) for f in frames):
        n += int(count)
print(n)
PY
}

@test "a Python process that execs Python again is profiled as the new program" {
	for_each_python 2.7 exec_one
}

exec_one() {
	local pybin=$2

	run_pyflame_split run -r 200 -o "$D/e.txt" -- "$pybin" "$TARGETS/tree.py" exec
	[ "$status" -eq 0 ]
	before=$(samples_with "$D/e.txt" 'before_exec \(.*tree\.py:[0-9]+\)' 'after_exec.*')
	after=$(samples_with "$D/e.txt" 'after_exec \(.*tree\.py:[0-9]+\)' 'before_exec.*')
	echo "# $1: before_exec $before, after_exec $after samples (want $(want_samples 0.4), $(want_samples 0.8))"
	# both spin (0.4 s, 0.8 s of wall time): most of their ticks, none mixed up
	[ "$(want_samples 0.4)" -ge 10 ]
	[ "$before" -ge "$(want_samples 0.4)" ]
	[ "$after" -ge "$(want_samples 0.8)" ]
	[ "$(samples_with "$D/e.txt" 'after_exec.*')" -eq "$after" ]
	# after the exec the process is labelled with its new command line
	grep -q '^[^;]*tree\.py after_exec \[pid [0-9]*\];.*after_exec' "$D/e.txt"
}

@test "a forked Python child that execs Python is followed into its new program" {
	run_pyflame_split run -r 200 -o "$D/ef.txt" -- "$PY3" "$TARGETS/tree.py" exec-fork
	[ "$status" -eq 0 ]
	[ "$(procs_with "$D/ef.txt" 'forked_child \(.*\)')" -eq 1 ]
	after=$(samples_with "$D/ef.txt" 'after_exec \(.*tree\.py:[0-9]+\)' 'forked_child.*')
	echo "# after_exec: $after samples, want $(want_samples 0.8) (0.8 s at the achieved rate)"
	[ "$(want_samples 0.8)" -ge 10 ]
	[ "$after" -ge "$(want_samples 0.8)" ]
	[ "$(samples_with "$D/ef.txt" 'after_exec.*')" -eq "$after" ]
}

@test "a shell that execs Python seconds after it started is profiled from its exec on" {
	# sh is no Python: its exec is not reported, pyflame notices the new image itself
	# (by then its probes for a runtime have backed off to seconds apart)
	run_pyflame_split run -r 200 -o "$D/late.txt" -- sh -c \
		'sleep 2.6; exec "$0" "$1" after_exec' "$PY3" "$TARGETS/tree.py"
	[ "$status" -eq 0 ]
	after=$(samples_with "$D/late.txt" 'after_exec \(.*tree\.py:[0-9]+\)')
	echo "# after_exec: $after samples, want $(want_samples 0.8) (0.8 s at the achieved rate)"
	[ "$(want_samples 0.8)" -ge 10 ]
	[ "$after" -ge "$(want_samples 0.8)" ]
}

@test "--busy-poll: a fork-heavy loop and the Python it runs are followed, status kept, nothing left stopped" {
	# 300 short processes, then a Python child, then exit 3: pyflame stays awake between
	# the stops instead of sleeping, and must still see every event and deliver SIGCHLDs
	# the samples child_work should get are the seconds it ran (its own clock) times the
	# rate pyflame achieved (its own count): a busy machine lowers both, not the ratio
	local spent hz want
	run_pyflame_split run --busy-poll 1000 -r 200 -o "$D/bp.txt" -- sh -c \
		'i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i + 1)); done; "$0" "$1" child_work "$2"; exit 3' \
		"$PY3" "$TARGETS/tree.py" "$D/spent"
	echo "$stderr"
	[ "$status" -eq 3 ]
	n=$(samples_with "$D/bp.txt" 'child_work \(.*tree\.py:[0-9]+\)')
	spent=$(cat "$D/spent")
	hz=$(grep -oE '[0-9.]+ Hz achieved' <<<"$stderr" | cut -d' ' -f1)
	want=$(awk -v s="$spent" -v hz="$hz" 'BEGIN { printf "%d", 0.6 * s * hz }')
	echo "# child_work: $n samples; it ran $spent s at $hz Hz achieved: want >= $want"
	[ "$want" -ge 10 ]
	[ "$n" -ge "$want" ]
}

@test "--no-follow profiles the command's own process only" {
	run_pyflame_split run --no-follow -r 200 -o "$D/n.txt" -- "$PY3" "$TARGETS/tree.py" subprocess
	[ "$status" -eq 0 ]
	[ "$(procs_with "$D/n.txt" 'parent_waits \(.*\)')" -eq 1 ]
	[ "$(procs_with "$D/n.txt" 'child_work \(.*\)')" -eq 0 ]
}

@test "--merge folds processes that run the same command line" {
	run_pyflame_split run --merge -r 200 -o "$D/m.txt" -- "$PY3" "$TARGETS/tree.py" mp-fork
	[ "$status" -eq 0 ]
	! grep -q "\[pid [0-9]*\]" "$D/m.txt"
	[ "$(procs_with "$D/m.txt" 'pool_work \(.*\)')" -eq 1 ]
}

@test "a daemonised grandchild outlives the command: pyflame exits promptly and leaves it untraced" {
	run_pyflame_split run -o "$D/d.txt" -- "$PY3" "$TARGETS/tree.py" daemon "$D/daemon.pid"
	[ "$status" -eq 0 ]
	wait_for_file "$D/daemon.pid"
	dpid=$(cat "$D/daemon.pid")
	state=$(proc_state "$dpid")
	kill -9 "$dpid"
	echo "# daemon state: $state"
	[ "$state" = S ] || [ "$state" = R ]
}

@test "pytest -n 2 (xdist): the workers' test functions appear" {
	/usr/bin/python3 -c 'import xdist, pytest' 2>/dev/null || skip "python3-pytest-xdist is not installed"
	cat >"$D/test_work.py" <<'PY'
import time

def spin(secs):
    end = time.time() + secs
    while time.time() < end: pass

def test_alpha():
    spin(0.8)

def test_beta():
    spin(0.8)
PY
	cd "$D"
	run_pyflame_split run -r 200 -o "$D/x.txt" -- /usr/bin/python3 -m pytest -q -n 2 -p no:cacheprovider test_work.py
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(procs_with "$D/x.txt" 'test_alpha \(.*test_work\.py:[0-9]+\)')" -ge 1 ]
	[ "$(procs_with "$D/x.txt" 'test_beta \(.*test_work\.py:[0-9]+\)')" -ge 1 ]
}

@test "threads created and destroyed in a loop: no crash, no stuck task, short tasks seen" {
	run_pyflame_split run -r 500 -o "$D/c.txt" -- "$PY3" "$TARGETS/churn.py" 200
	echo "$stderr" | tail -3
	[ "$status" -eq 0 ]
	check_collapsed format "$D/c.txt"
	check_collapsed share "$D/c.txt" "re:churn \(.*churn\.py:[0-9]+\)" 0.5
}

@test "--mode wall keeps sleeping threads (marked idle); --mode cpu drops them" {
	run_pyflame_split run --mode wall -r 200 -o "$D/w.txt" -- "$PY3" "$TARGETS/modes.py"
	[ "$status" -eq 0 ]
	run_pyflame_split run --mode cpu -r 200 -o "$D/c.txt" -- "$PY3" "$TARGETS/modes.py"
	[ "$status" -eq 0 ]
	"$PY3" - "$D/w.txt" "$D/c.txt" <<'PY'
import sys
def shares(path):
    tot, s = 0, {}
    for line in open(path):
        p, _, c = line.rstrip("\n").rpartition(" ")
        c = int(c); tot += c
        for name in ("busy_one", "busy_two", "sleepy_one", "sleepy_two"):
            if (";%s (" % name) in p:
                s.setdefault(name, [0, 0])
                s[name][0] += c
                if p.endswith(";<idle>"):
                    s[name][1] += c
    return tot, s
wt, w = shares(sys.argv[1])
ct, c = shares(sys.argv[2])
print(w, c)
# wall: every thread is there; the sleepers almost only as idle samples
for n in ("sleepy_one", "sleepy_two"):
    assert w[n][0] > 0.8 * w["busy_one"][0] * 0.5, (n, w)
    assert w[n][1] >= 0.9 * w[n][0], (n, w)
# cpu: the sleepers' share falls far below their wall share (they run only for the
# moments they wake up); the busy threads stay
for n in ("sleepy_one", "sleepy_two"):
    assert c.get(n, [0, 0])[0] / float(ct) < 0.4 * w[n][0] / float(wt), (n, w, c)
assert c["busy_one"][0] > 0 and c["busy_two"][0] > 0, c
assert all(v[1] == 0 for v in c.values()), c
PY
}

@test "--mode gil keeps only the thread holding the GIL" {
	run_pyflame_split run --mode gil -r 200 -o "$D/g.txt" -- "$PY3" "$TARGETS/modes.py"
	[ "$status" -eq 0 ]
	# a sleeper holds the GIL for a moment each time it wakes (every 50 ms): a sample
	# can land there, rarely (about 1 run in 10 had one)
	check_collapsed at-most "$D/g.txt" "re:sleepy_(one|two) .*" 0.02
	check_collapsed share "$D/g.txt" "re:busy_(one|two) .*" 0.8
}

@test "a tree of 200 processes at once: no crash, nothing left stopped, most of them sampled" {
	run_pyflame_split run -o "$D/many.txt" -- "$PY3" "$TARGETS/many.py" 200
	echo "$stderr" | head -3
	[ "$status" -eq 0 ]
	check_collapsed format "$D/many.txt"
	n=$(procs_with "$D/many.txt" 'many_child \(.*many\.py:[0-9]+\)')
	echo "# processes sampled in many_child: $n"
	# 200 children spin for 1 s each on 2 cores: each gets ~1% of a core, yet every one
	# that lives a sample period should be seen; allow for the slowest to be missed
	[ "$n" -ge 180 ]
}

_subinterp() {
	local v=$1 py=$2 d
	d=$(fresh_dir "sub$v")
	"$py" -c 'import _interpreters' 2>/dev/null || "$py" -c 'import _xxsubinterpreters' 2>/dev/null ||
		{ echo "# no subinterpreter module in $v: skipped"; return 0; }
	timeout -k 5 120 "$PYFLAME" run -q -r 200 -o "$d/s.txt" -- "$py" "$TARGETS/subinterp.py"
	check_collapsed format "$d/s.txt"
	# the thread runs in the subinterpreter: its stack is there, and the thread is counted
	# once per tick, not also through its state in the main interpreter (which waits in
	# the call that runs the code: that stack would take as many samples).  The code's
	# file name is <string> up to 3.13 (run_string), <script> from 3.14 (exec).  Start-up
	# (slow in debug builds) is not what this test is about, so no share of all samples.
	local t=$TARGETS/subinterp.py
	check_collapsed ratio "$d/s.txt" "re:sub_hot \(<(string|script)>:[0-9]+\)" \
		"re:<module> \(.*subinterp\.py:($(line_of "$t" 'run_string(iid')|$(line_of "$t" 'exec(iid'))\)" 1.0 0.05
	check_collapsed share "$d/s.txt" "re:sub_hot \(<(string|script)>:[0-9]+\)" 0.5
}

@test "a subinterpreter's threads are sampled, each OS thread once per tick (3.12+)" {
	for_each_python 3.12 _subinterp
}
