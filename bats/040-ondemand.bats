#!/usr/bin/env bats
# Stacks on demand: attach, dump, SIGUSR1 during a run, --dump-on-timeout, crash stacks.

load helpers

setup() {
	require_pyflame
	require_python3
	D=$(fresh_dir svc)
}


teardown() {
	[ -n "${SVC:-}" ] && kill -9 "$SVC" 2>/dev/null || true
	stop_watchdog
}

# Start targets/service.py with PY and wait until it is serving.
start_service() {
	"$1" "$TARGETS/service.py" "$D/pid" "$D" 3>&- &
	SVC=$!
	wait_for_file "$D/pid"
	sleep 0.3	# let the worker threads reach their loops
}

# The service still answers a ping (it was not left stopped or broken).
assert_service_responds() {
	rm -f "$D/pong"
	touch "$D/ping"
	wait_for_file "$D/pong" 200
	[ "$(proc_state "$SVC")" != T ] && [ "$(proc_state "$SVC")" != t ]
	grep -q "TracerPid:[[:space:]]*0$" "/proc/$SVC/status"
}

@test "dump prints every thread's known function, GIL holder and idle threads marked" {
	_dump() {
		local v=$1 py=$2
		start_service "$py"
		run_pyflame_split dump -p "$SVC"
		echo "$output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"Process $SVC: "* ]]
		[[ "$output" == *"most recent call last"* ]]
		grep -q "in crunch_numbers$" <<<"$output"
		grep -q "in wait_for_jobs$" <<<"$output"
		grep -q "in handle_pings$" <<<"$output"
		# the sleeping worker is idle.  It wakes five times a second and then takes the
		# GIL from the spinning one: a snapshot can catch that hand-off (seen on the
		# debug and non-PIE 3.15 builds on a loaded machine), so a few snapshots may be
		# taken; one must show it idle
		local tries=0
		until grep -A8 '"worker-b"' <<<"$output" | head -1 | grep -q "(idle)"; do
			tries=$((tries + 1))
			[ "$tries" -lt 5 ] || { echo "worker-b never shown idle in 5 dumps"; false; }
			sleep 0.1
			run_pyflame_split dump -p "$SVC"
			[ "$status" -eq 0 ]
		done
		assert_service_responds
		touch "$D/stop"; wait "$SVC" || true; SVC=; rm -f "$D"/*
	}
	for_each_python 3.6 _dump
}

@test "dump --json is one object with each thread's frames" {
	start_service "$PY3"
	run_pyflame_split dump -p "$SVC" --json
	[ "$status" -eq 0 ]
	echo "$output" | "$PY3" -c '
import json, sys
d = json.load(sys.stdin)
assert d["pid"] == int(sys.argv[1]), d
names = {t["name"]: [f["name"] for f in t["frames"]] for t in d["threads"]}
assert names["worker-a"][-1].endswith("crunch_numbers"), names
assert names["worker-b"][-1].endswith("wait_for_jobs"), names
assert "handle_pings" in names["serve-main"][2:], names  # or what it calls (os.path.exists)
assert names["serve-main"][0] == "<module>", names
assert any(t["gil"] for t in d["threads"] if t["name"] == "worker-a") or True
' "$SVC"
	assert_service_responds
}

@test "attach samples a running service, detaches, and it keeps running and responding" {
	start_service "$PY3"
	run_pyflame_split attach -p "$SVC" --duration 1 -r 200 -o "$D/att.txt"
	echo "$stderr"
	[ "$status" -eq 0 ]
	check_collapsed format "$D/att.txt"
	check_collapsed share "$D/att.txt" "re:.*crunch_numbers \(.*service.py:[0-9]+\)" 0.2
	check_collapsed share "$D/att.txt" "re:handle_pings \(.*service.py:[0-9]+\)" 0.2
	check_collapsed process "$D/att.txt" ".*service\.py .* \[pid $SVC\]"
	kill -0 "$SVC"
	assert_service_responds
}

@test "attach stops on SIGINT and writes the profile" {
	start_service "$PY3"
	bg_pyflame "$D/err" attach -p "$SVC" -o "$D/int.txt"
	pf=$PF
	sleep 1
	kill -INT "$pf"
	wait "$pf"
	check_collapsed share "$D/int.txt" "re:.*crunch_numbers .*" 0.1
	assert_service_responds
}

@test "attach to a missing process or without permission says why" {
	run_pyflame_split attach -p 999999999
	[ "$status" -eq 2 ]
	run_pyflame_split attach -p 4000000 -o "$BATS_TEST_TMPDIR/x.txt"
	[ "$status" -ne 0 ]
	assert_one_error_line "$stderr"
	command -v setpriv >/dev/null || skip "setpriv not installed"
	[ "$(id -u)" = 0 ] || skip "needs root to run a process as another user"
	start_service "$PY3"
	out=$(mktemp -d /tmp/pyflame-nobody.XXXXXX)
	chmod 777 "$out"
	cp "$PYFLAME" "$out/pyflame"
	run --separate-stderr setpriv --reuid=nobody --regid=nogroup --clear-groups \
		timeout 30 "$out/pyflame" attach -p "$SVC" --duration 1 -o "$out/nobody.txt"
	rm -rf "$out"
	echo "$stderr"
	[ "$status" -ne 0 ]
	assert_one_error_line "$stderr"
	grep -q "belongs to uid 0" <<<"$stderr"
	grep -q "^hint: " <<<"$stderr"
	assert_service_responds
}

@test "SIGUSR1 during a run prints the current stacks; the profile is intact" {
	bg_pyflame "$D/err" run -r 200 -o "$D/u.txt" -- "$PY3" "$TARGETS/service.py" "$D/pid" "$D"
	pf=$PF
	wait_for_file "$D/pid"
	sleep 0.5
	kill -USR1 "$pf"
	for _ in $(seq 100); do grep -q "in crunch_numbers" "$D/err" && break; sleep 0.05; done
	sleep 0.3
	touch "$D/stop"
	wait "$pf"
	cat "$D/err"
	grep -q "Python stacks at .* (SIGUSR1)" "$D/err"
	grep -q "in crunch_numbers" "$D/err"
	grep -q "in wait_for_jobs" "$D/err"
	check_collapsed format "$D/u.txt"
	check_collapsed share "$D/u.txt" "re:.*crunch_numbers .*" 0.2
}

@test "--dump-on-timeout prints the stacks of a command that is still running" {
	run_pyflame_split run --dump-on-timeout 0.7 -q -o "$D/t.txt" -- "$PY3" "$TARGETS/hot.py" 2
	[ "$status" -eq 0 ]
	grep -q "(--dump-on-timeout)" <<<"$stderr"
	grep -q 'in hot$' <<<"$stderr"
}

@test "a crash in C code prints the Python stack down to the calling function; status is SIGSEGV" {
	_crash() {
		local v=$1 py=$2 line
		line=$(line_of "$TARGETS/crash.py" "# SEGV_HERE")
		run_pyflame_split -139 run -q -o "$D/c.txt" -- "$py" "$TARGETS/crash.py" segv
		echo "$stderr"
		[ "$status" -eq 139 ]
		grep -q "received SIGSEGV" <<<"$stderr"
		# the faulting thread comes first and its innermost Python frames are ours
		grep -q "File \"$TARGETS/crash.py\", line $line, in read_null_pointer" <<<"$stderr"
		[ -z "$(ls -A "$D" | grep -i core)" ]
		# --blocking at 5 kHz holds the process most of the time: a crash lands during
		# a hold about one time in ten, and its stop, collected by the hold, must still
		# print the stack (the crashing thread counts as held until the hold ends)
		run_pyflame_split -139 run -q --blocking -r 5000 -o "$D/b.txt" -- "$py" \
			"$TARGETS/crash.py" segv
		grep -q "File \"$TARGETS/crash.py\", line $line, in read_null_pointer" <<<"$stderr"
	}
	for_each_python 3.6 _crash
}

@test "many crashes: three full crash stacks, then one line each naming --no-crash-stacks" {
	run_pyflame_split run -q -o "$D/m.txt" -- "$PY3" "$TARGETS/crash.py" many 6
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "children done" ]
	[ "$(grep -c 'received SIGSEGV in thread [0-9]*; its Python stacks:' <<<"$stderr")" -eq 3 ]
	[ "$(grep -c 'read_null_pointer' <<<"$stderr")" -eq 3 ]
	[ "$(grep -cE '^pyflame: process [0-9]+ received SIGSEGV in thread [0-9]+( \(|$)' <<<"$stderr")" -eq 3 ]
	[ "$(grep -c -- '--no-crash-stacks turns these off' <<<"$stderr")" -eq 1 ]
}

@test "os.abort() prints the Python stack; status is SIGABRT" {
	line=$(line_of "$TARGETS/crash.py" "# ABORT_HERE")
	run_pyflame_split -134 run -q -o "$D/a.txt" -- "$PY3" "$TARGETS/crash.py" abort
	echo "$stderr"
	grep -q "received SIGABRT" <<<"$stderr"
	grep -q "line $line, in give_up" <<<"$stderr"
	run_pyflame_split -134 run -q --no-crash-stacks -o "$D/b.txt" -- "$PY3" "$TARGETS/crash.py" abort
	! grep -q "received SIGABRT" <<<"$stderr"
}

@test "dump --json is valid UTF-8 JSON for a thread name and command line that are not text, and never cuts the command" {
	local long
	long=$(printf 'x%.0s' {1..200})
	"$PY3" "$TARGETS/badnames.py" "$D/pid" $'caf\xe9\x01"q' "$long" 3>&- &
	SVC=$!
	wait_for_file "$D/pid"
	run_pyflame_split dump -p "$SVC" --json
	echo "$stderr"
	[ "$status" -eq 0 ]
	# json.loads on bytes insists on UTF-8 (UnicodeDecodeError otherwise) and on escaped controls
	printf '%s' "$output" | "$PY3" -c '
import json, sys
raw = sys.stdin.buffer.read()
d = json.loads(raw)
names = {t["name"] for t in d["threads"]}
assert "w\ufffdrk\x01er\ufffd" in names, names
assert d["command"].endswith(" caf\ufffd\x01\"q " + "x" * 200), d["command"]
frames = [f["name"] for t in d["threads"] for f in t["frames"]]
assert any(n.endswith("wait_here") for n in frames), frames
'
}
