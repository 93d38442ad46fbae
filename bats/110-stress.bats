#!/usr/bin/env bats
# What must never happen to the command: a hang, a task left stopped or traced, output or
# status that differs from a run without pyflame, false errors.  Each case runs the same
# command without pyflame first, then under pyflame with a hard timeout, and compares.

load helpers

# A hang is the worst failure: each pyflame run is killed after this long (more for a
# sanitized binary, which is several times slower: make stress-san sets it).
STRESS_TIMEOUT=${STRESS_TIMEOUT:-150}

setup() {
	require_pyflame
	require_python3
	D=$(fresh_dir stress)
	export STRESS_PIDS="$D/pids"
}

teardown() {
	# a daemon a test left behind must not outlive it
	if [ -s "${STRESS_PIDS:-/nonexistent}" ]; then
		while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$STRESS_PIDS"
	fi
}

# No process the target made is stopped or traced any more.
assert_nothing_held() {
	local pid st tracer

	[ -s "$STRESS_PIDS" ] || { echo "no pids recorded in $STRESS_PIDS"; return 1; }
	while read -r pid; do
		st=$(proc_state "$pid")
		[ -n "$st" ] && [ "$st" != Z ] || continue
		tracer=$(awk '/^TracerPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
		if [[ "$st" == [tT] ]] || [ "${tracer:-0}" != 0 ]; then
			echo "process $pid left in state $st, traced by ${tracer:-0}"
			return 1
		fi
	done <"$STRESS_PIDS"
}

# stress PYFLAME-RUN-OPTIONS... -- COMMAND...: the command's stdout, stderr and status
# under pyflame -q are those of a plain run; pyflame adds nothing to stderr.
stress() {
	local opts=() want_out want_err want_rc

	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	set +e
	want_out=$(timeout -k 5 "$STRESS_TIMEOUT" "$@" 2>"$D/plain.err")
	want_rc=$?
	set -e
	want_err=$(cat "$D/plain.err")
	: >"$STRESS_PIDS"
	run --separate-stderr timeout -k 5 "$STRESS_TIMEOUT" "$PYFLAME" run -q "${opts[@]}" \
		-o "$D/p.txt" -- "$@"
	echo "# status $status (want $want_rc)"
	echo "# stdout: $output"
	echo "# stderr: $stderr"
	[ "$status" -ne 124 ] || { echo "pyflame hung (killed by timeout)"; return 1; }
	[ "$status" -eq "$want_rc" ]
	[ "$output" = "$want_out" ]
	[ "$stderr" = "$want_err" ]
	assert_nothing_held
}

# Samples of FUNCTION (a regex on the frame name) under roots matching ROOT (a regex).
samples_under() {
	"$PY3" - "$1" "$2" "$3" <<'PY'
import re, sys
root, fn = re.compile(sys.argv[2]), re.compile(sys.argv[3])
n = 0
for line in open(sys.argv[1]):
    path, _, count = line.rstrip("\n").rpartition(" ")
    frames = path.split(";")
    if root.search(frames[0]) and any(fn.match(f) for f in frames[1:]):
        n += int(count)
print(n)
PY
}

# Share (in %) of the samples of a collapsed profile under the root process pid $2.
share_of_pid() {
	awk -v pid="[pid $2]" '{ n = $NF; t += n; if (index($0, pid ";") || index($0, pid " ")) s += n }
		END { printf "%d\n", t ? 100 * s / t : 0 }' "$1"
}

shells_on() {
	stress -r 200 -- "$2" "$TARGETS/stress.py" shells 40
	[ "$output" = "shells 160" ]
	# The shells and /bin/true run no Python: the script's own process has the samples
	# (a fork child that has not exec'd yet may show its copy of the parent's stacks
	# for a tick on a loaded machine: a share, not a count).
	main=$(head -n 1 "$STRESS_PIDS")
	echo "# share of pid $main: $(share_of_pid "$D/p.txt" "$main")%"
	[ "$(share_of_pid "$D/p.txt" "$main")" -ge 97 ]
}

@test "threads running shells (4 threads x subprocess sh -c): no hang, same output, one profiled process" {
	for_each_python 3.6 shells_on
}

@test "--blocking with vfork children (subprocess.run /bin/true): no hang" {
	stress --blocking -r 200 -- "$PY3" "$TARGETS/stress.py" vfork 300
	[ "$output" = "vfork 300" ]
	[ -s "$D/p.txt" ]
}

@test "--blocking with threads running shells: no hang" {
	stress --blocking -r 200 -- "$PY3" "$TARGETS/stress.py" shells 40
}

@test "--reader peek with vfork children and threads running shells: no hang" {
	stress --reader peek -r 200 -- "$PY3" "$TARGETS/stress.py" vfork 200
	stress --reader peek -r 200 -- "$PY3" "$TARGETS/stress.py" shells 25
}

@test "--reader vm with threads running shells: no false errors after exec races" {
	stress --reader vm -r 500 -- "$PY3" "$TARGETS/stress.py" shells 40
}

@test "os.posix_spawn: no hang, the spawned programs are not profiled as the parent" {
	stress -r 500 -- "$PY3" "$TARGETS/stress.py" posix_spawn 300
	# a posix_spawn child runs in its parent's memory until it execs: never sampled
	[ "$(cut -d';' -f1 "$D/p.txt" | sort -u | wc -l)" -eq 1 ]
}

@test "os.execv chain Python -> shell -> Python: each sample is under the command it ran" {
	stress -r 500 -- "$PY3" "$TARGETS/stress.py" execchain
	[ "$output" = "execchain done" ]
	first=$(samples_under "$D/p.txt" 'stress\.py execchain \[' '^first_stage ')
	second=$(samples_under "$D/p.txt" 'stress\.py execchain2 \[' '^second_stage ')
	wrong1=$(samples_under "$D/p.txt" 'execchain2 \[' '^first_stage ')
	wrong2=$(samples_under "$D/p.txt" 'stress\.py execchain \[' '^second_stage ')
	echo "# first $first second $second misfiled $wrong1 $wrong2"
	[ "$first" -gt 0 ] && [ "$second" -gt 0 ]
	[ "$wrong1" -eq 0 ] && [ "$wrong2" -eq 0 ]
}

@test "a fork storm with busy threads: same exit codes, no hang" {
	stress -r 1000 -- "$PY3" "$TARGETS/stress.py" forkstorm 200
	[ "$output" = "forkstorm 200 594" ]
}

@test "a daemonising program: the profile ends with the command and says what runs on" {
	local want

	want=$("$PY3" "$TARGETS/stress.py" daemon 5)
	: >"$STRESS_PIDS"
	run_pyflame_split run -o "$D/p.txt" -- "$PY3" "$TARGETS/stress.py" daemon 20
	echo "# $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	[[ "$stderr" == *"1 process the command started was still running when it ended; it runs on, no longer profiled: "* ]]
	daemon=$(tail -n 1 "$STRESS_PIDS")
	[[ "$stderr" == *"no longer profiled: $daemon ("* ]]
	# pyflame is gone and the daemon runs on, neither stopped nor traced
	[ -n "$(proc_state "$daemon")" ]
	assert_nothing_held
}

mp_method() {
	local want

	"$2" -c "import multiprocessing as m, sys; sys.exit('$3' not in m.get_all_start_methods())" ||
		{ echo "# no start method $3 in Python $1"; return 0; }
	want="mp $3 2646700"
	stress -r 200 -- "$2" "$TARGETS/stress.py" mp "$3"
	[ "$output" = "$want" ]
	# the workers ran square() in processes of their own
	[ "$(cut -d';' -f1 "$D/p.txt" | sort -u | wc -l)" -ge 1 ]
}

@test "multiprocessing with every start method: same result, no hang" {
	for m in fork spawn forkserver; do
		echo "# ---- $m"
		mp_method "$("$PY3" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" "$PY3" "$m"
	done
}

@test "SIGTERM to pyflame in the middle of threads running shells under --blocking: forwarded, ends" {
	local pf st i

	: >"$STRESS_PIDS"
	"$PYFLAME" run -q --blocking -r 500 -o "$D/p.txt" -- "$PY3" "$TARGETS/stress.py" shells 100000 \
		>"$D/out" 2>"$D/err" &
	pf=$!
	# once the script runs (its pid is recorded), ask pyflame to end it
	for ((i = 0; i < 600; i++)); do
		[ -s "$STRESS_PIDS" ] && break
		sleep 0.05
	done
	sleep 1
	kill -TERM "$pf"
	# bounded: a hang fails here rather than at the suite's timeout
	for ((i = 0; i < 600; i++)); do
		kill -0 "$pf" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pf" 2>/dev/null; then
		kill -9 "$pf"
		echo "pyflame did not end within 30 s of SIGTERM"
		return 1
	fi
	st=0
	wait "$pf" || st=$?
	echo "# status $st; stderr: $(cat "$D/err")"
	# the script died of the forwarded SIGTERM, and pyflame says so by its own status
	[ "$st" -eq 143 ]
	assert_nothing_held
}

# --reader peek reads a word per system call while the process is stopped: on a deep stack
# at 1 kHz one read takes longer than a tick.  The process must still run: it is held at
# most a quarter of the time (plus a 50 ms burst), and the summary says what was skipped.
@test "--reader peek on a deep stack at 1 kHz: the command is held at most a quarter of the time" {
	stress --reader peek -r 1000 -- "$PY3" "$TARGETS/stress.py" deep 600
	[ "$output" = "deep 600" ]
	[ "$(samples_under "$D/p.txt" . '^descend ')" -gt 0 ]

	run --separate-stderr timeout -k 5 "$STRESS_TIMEOUT" "$PYFLAME" run -v --reader peek \
		-r 1000 -o "$D/v.txt" -- "$PY3" "$TARGETS/stress.py" deep 600
	echo "# $stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"held too long by the last reads "[1-9]* ]]
	[[ "$stderr" == *"kept stopped for reads at most a quarter of the time"* ]]
	# pyflame's own figures: time held <= a quarter of the run + the burst + one hold
	"$PY3" - "$stderr" <<'PY'
import re, sys
err = sys.argv[1]
secs = float(re.search(r"achieved, ([0-9.]+) s", err).group(1))
n, avg, most = map(float, re.search(
    r"stopped to be read (\d+) times, (\d+) us each on average, (\d+) us at most", err).groups())
held = n * avg / 1e6
print("# held %.3f s of %.2f s" % (held, secs))
assert held <= secs / 4 + 0.05 + most / 1e6 + 0.02, (held, secs)
PY
	# The spin takes 1 s of the process's CPU, its start a few ms (held a quarter of the
	# time as well): the spin's share is most of the profile.  A sample after skipped
	# ticks counts for them; were they dropped, the deep stack (slow to read, so followed
	# by skips) would show at about 20% against the shallow start read at every tick.
	deep=$(samples_under "$D/v.txt" . '^descend ')
	total=$(awk '{ t += $NF } END { print t }' "$D/v.txt")
	echo "# descend: $deep of $total samples"
	[ $((100 * deep)) -ge $((60 * total)) ]
}
