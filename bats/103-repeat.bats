#!/usr/bin/env bats
# pyflame run --repeat N: the command N times into one profile, the repeats kept apart in
# the raw log and compared run by run by pyflame diff; the first failure ends the run.

load helpers

setup() {
	require_pyflame
	require_python3
	D=$(fresh_dir rep)
}

teardown() {
	stop_watchdog
}

runs_of() {
	[ -f "$1" ] && wc -l <"$1" | tr -d ' ' || echo 0
}

@test "--repeat 3 runs the command three times into one profile; diff reads three runs" {
	run_pyflame_split run --repeat 3 -o "$D/a.raw" -o "$D/a.txt" -- \
		"$PY3" "$TARGETS/repeat.py" "$D/count"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(runs_of "$D/count")" = 3 ]
	[[ "$stderr" == *"repeats: 3 of 3 ran; each "* ]]
	# every repeat is in the profile: hot() leads it
	check_collapsed share "$D/a.txt" 're:hot \(.*repeat\.py:[0-9]+\)' 0.4
	check_collapsed roots "$D/a.txt" 3	# one process per repeat
	# the raw log keeps them apart: a diff of the log against itself has 3 runs a side,
	# each with samples, hot() the same in all of them
	run_pyflame_split diff --format json --base "$D/a.raw" "$D/a.raw" -o "$D/d.svg"
	echo "$stderr"
	[ "$status" -eq 0 ]
	echo "$output" >"$D/d.json"
	"$PY3" - "$D/d.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for side in ("base", "new"):
    runs = d["runs"][side]
    assert [r["file"].rsplit("#", 1)[1] for r in runs] == ["1", "2", "3"], runs
    assert all(r["samples"] > 0 for r in runs), runs
assert sum(r["samples"] for r in d["runs"]["base"]) > 0
hot = [f for f in d["functions"] if f["function"].startswith("hot (") and f["kind"] == "own"]
assert hot and not hot[0]["significant"] and hot[0]["change_pct"] == 0, hot
assert d["significant"] == 0, d["significant"]
PY
	[[ "$stderr" == *"(3 repeats)"* ]]
	# report reads the whole log: all three repeats
	run_pyflame_split report -q "$D/a.raw" -o "$D/r.txt"
	[ "$status" -eq 0 ]
	cmp <(sort "$D/a.txt") <(sort "$D/r.txt")
}

@test "--repeat stops at the first failing run and exits with its status" {
	FAIL_AT=2 run_pyflame_split run --repeat 5 -o "$D/b.txt" -- \
		"$PY3" "$TARGETS/repeat.py" "$D/count"
	echo "$stderr"
	[ "$status" -eq 3 ]
	[ "$(runs_of "$D/count")" = 2 ]
	[[ "$stderr" == *"repeats: 2 of 5 ran"*"repeat 2 failed (exit status 3)"* ]]
	check_collapsed share "$D/b.txt" 're:hot \(.*repeat\.py:[0-9]+\)' 0.4
	check_collapsed roots "$D/b.txt" 2
}

@test "--repeat: SIGTERM to pyflame reaches the running repeat, and no other starts" {
	SLEEP=30 bg_pyflame "$D/err" run --repeat 4 -o "$D/c.txt" -- \
		"$PY3" "$TARGETS/repeat.py" "$D/count"
	wait_for_file "$D/count.pid"
	kill -TERM "$PF"
	st=0
	wait "$PF" || st=$?
	cat "$D/err"
	[ "$st" -eq 143 ]
	[ "$(runs_of "$D/count")" = 1 ]
	! kill -0 "$(cat "$D/count.pid")" 2>/dev/null
	[[ "$(cat "$D/err")" == *"repeats: 1 of 4 ran"*"stopped by"* ]]
}

@test "--repeat: a command that cannot run is 127 once, and bad counts are usage errors" {
	run_pyflame_split -127 run --repeat 3 -o "$D/x.txt" -- "$D/no-such-command"
	[ "$status" -eq 127 ]
	assert_one_error_line "$stderr"
	for bad in 0 -1 x 10001; do
		run_pyflame_split -2 run --repeat "$bad" -- true
		[ "$status" -eq 2 ]
		[[ "$stderr" == *"invalid repeat count"* ]]
	done
	run_pyflame_split -2 run --repeat 2 --no-follow -- true
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--no-follow"* ]]
	run_pyflame_split -2 attach --repeat 2 -p $$
	[ "$status" -eq 2 ]
}
