#!/usr/bin/env bats
# The raw log: a run cut short still yields a profile; pyflame report; SIGTERM and --grace.

load helpers

setup() {
	require_pyflame
	require_python3
	D=$(fresh_dir raw)
}


teardown() {
	stop_watchdog
}

@test "a run killed with SIGKILL leaves a raw log that pyflame report turns into a profile" {
	bg_pyflame /dev/null run -r 200 -o "$D/prof.svg" -- "$PY3" "$TARGETS/hot.py" 30 "$D/pid"
	pf=$PF
	wait_for_file "$D/pid"
	sleep 2.5	# samples accumulate; the log is flushed at least once a second
	kill -KILL "$pf"
	wait "$pf" || true
	kill -9 "$(cat "$D/pid")" 2>/dev/null || true
	[ -s "$D/prof.raw" ]
	[ ! -e "$D/prof.svg" ]
	run_pyflame_split report "$D/prof.raw" -o "$D/out.txt" -o "$D/out.svg"
	echo "$stderr"
	[ "$status" -eq 0 ]
	grep -q "cut short" <<<"$stderr"
	check_collapsed format "$D/out.txt"
	# about 2.5 s at 200 Hz were sampled; at least one second's worth must be there
	total=$(check_collapsed total "$D/out.txt")
	[ "$total" -ge 200 ]
	# within main(): a busy machine stretches the start-up before it, not the share after
	check_collapsed share "$D/out.txt" "re:hot \(.*hot\.py:[0-9]+\)" 0.8 "re:main \(.*hot\.py:[0-9]+\)"
	assert_svg_wellformed "$D/out.svg"
}

@test "the raw log is removed after a clean run, kept with -o FILE.raw, and reports the same samples" {
	run_pyflame_split run -r 200 -o "$D/a.txt" -o "$D/a.raw" -- "$PY3" "$TARGETS/hot.py" 1
	[ "$status" -eq 0 ]
	[ -s "$D/a.raw" ]
	run_pyflame_split run -r 200 -o "$D/b.txt" -- "$PY3" "$TARGETS/hot.py" 0.5
	[ "$status" -eq 0 ]
	[ ! -e "$D/b.raw" ]
	run_pyflame_split report -q "$D/a.raw" -o "$D/r.txt"
	[ "$status" -eq 0 ]
	diff "$D/a.txt" "$D/r.txt"
	run_pyflame_split report -q -n "$D/a.raw" -o "$D/n.txt"
	check_collapsed no-lineno "$D/n.txt"
}

@test "report refuses what is not a raw log" {
	echo "not a log" >"$D/x.raw"
	run_pyflame_split report "$D/x.raw" -o "$D/x.txt"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	grep -q "not a pyflame raw log" <<<"$stderr"
	[ ! -e "$D/x.txt" ]
	run_pyflame_split report "$D/missing.raw"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
}

@test "SIGTERM to pyflame reaches the command, and every output is written" {
	bg_pyflame "$D/err" run -r 200 -o "$D/t.txt" -o "$D/t.svg" -- "$PY3" "$TARGETS/hot.py" 30 "$D/pid"
	pf=$PF
	wait_for_file "$D/pid"
	sleep 1
	kill -TERM "$pf"
	st=0
	wait "$pf" || st=$?
	[ "$st" -eq 143 ]	# the command died of the SIGTERM; pyflame mirrors it
	check_collapsed share "$D/t.txt" "re:hot \(.*\)" 0.8 "re:main \(.*hot\.py:[0-9]+\)"
	assert_svg_wellformed "$D/t.svg"
	[ ! -e "/proc/$(cat "$D/pid")" ] || [ "$(proc_state "$(cat "$D/pid")")" = Z ]
}

@test "a command that ignores SIGTERM: after --grace pyflame writes what it has and lets it run" {
	bg_pyflame "$D/err" run --grace 1 -r 200 -o "$D/g.txt" -- "$PY3" "$TARGETS/stubborn.py" "$D/pid" 20
	pf=$PF
	wait_for_file "$D/pid"
	sleep 1
	kill -TERM "$pf"
	st=0
	wait "$pf" || st=$?
	cat "$D/err"
	[ "$st" -eq 143 ]
	grep -q "did not end within 1 s" "$D/err"
	check_collapsed share "$D/g.txt" "re:refuse_to_stop \(.*\)" 0.8
	cmd=$(cat "$D/pid")
	# still running, not stopped, no longer traced
	[ "$(proc_state "$cmd")" = R ] || [ "$(proc_state "$cmd")" = S ]
	grep -q "TracerPid:[[:space:]]*0$" "/proc/$cmd/status"
	kill -9 "$cmd"
}

@test "report reads past a damaged stretch of a raw log and says what it skipped" {
	run_pyflame_split run -q -r 500 -o "$D/d.txt" -o "$D/d.raw" -- "$PY3" "$TARGETS/hot.py" 1
	[ "$status" -eq 0 ]
	total=$(check_collapsed total "$D/d.txt")
	[ "$total" -ge 100 ] || skip "only $total samples: the machine is too loaded for this test"
	# 16 bytes of garbage shortly before the final meta records, where only samples are
	# written (the hot loop's strings, frames and stacks all come early)
	"$PY3" - "$D/d.raw" <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
at = data.rfind(b"\x07\x07command") - 120
assert at > len(data) // 2, (at, len(data))
data[at:at + 16] = b"\xee" * 16
open(path, "wb").write(data)
PY
	run_pyflame_split report "$D/d.raw" -o "$D/r.txt"
	echo "$stderr"
	[ "$status" -eq 0 ]
	grep -q "warning: '$D/d.raw' is damaged: skipped 1 unreadable stretch ([0-9]* bytes) and read on" <<<"$stderr"
	got=$(check_collapsed total "$D/r.txt")
	echo "$got of $total samples"
	# 16 bytes hold a few samples: everything after the damage is still there
	[ "$got" -lt "$total" ] && [ "$got" -ge $((total - 10)) ]
	check_collapsed share "$D/r.txt" "re:hot \(.*hot\.py:[0-9]+\)" 0.8
}
