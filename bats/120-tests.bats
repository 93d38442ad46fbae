#!/usr/bin/env bats
# --tests: profiles organised by test (pytest, unittest), checked against pytest's own
# timings on the small project in targets/testproj.

load helpers

PROJ="$BATS_TEST_DIRNAME/targets/testproj"

setup() {
	require_pyflame
	D=$(fresh_dir tests)
	CHECK="$BATS_TEST_DIRNAME/check_tests.py"
	export PYTHONDONTWRITEBYTECODE=1	# no __pycache__ in the source tree
}

# Debian's python3 has pytest (and xdist); the pyenv interpreters do not.
require_pytest() {
	PYT=/usr/bin/python3
	"$PYT" -c 'import pytest' 2>/dev/null || skip "no pytest for $PYT"
	[ -z "${1:-}" ] || "$PYT" -c "import $1" 2>/dev/null || skip "no $1 for $PYT"
}

@test "pytest: ids and per-phase times agree with pytest's --durations" {
	require_pytest
	cd "$PROJ"
	run_pyflame_split run --tests -r 200 -o "$D/p.tests.json" -o "$D/p.txt" -o "$D/p.raw" \
		-o "$D/p.tests.csv" -o "$D/p.tests.md" -o "$D/p.pb.gz" -- \
		"$PYT" -m pytest -p no:cacheprovider --durations=0 -vv tests
	printf '%s\n' "$output" >"$D/pytest.txt"
	echo "$stderr"
	[ "$status" -eq 1 ]	# test_fails fails: pytest's status is pyflame's
	grep -q "1 failed, 10 passed, 1 skipped" "$D/pytest.txt"
	python3 "$CHECK" durations "$D/p.tests.json" "$D/pytest.txt"
	python3 "$CHECK" stacks "$D/p.txt"
	# the slow module-level import is collection, not a test
	python3 "$CHECK" row "$D/p.tests.json" collection - - 0.3 5
	# the skipped test's 5 s body never ran: no call row, nothing of it anywhere
	run python3 "$CHECK" row "$D/p.tests.json" test '.*test_skipped' call 0 9
	[ "$status" -eq 1 ]
	# the test that emptied os.environ was told from its stack, and the summary says so
	grep -Eq "^  [0-9]+ test samples? told from the stack" <<<"$stderr"
	# the summary ranks the slowest tests, and the time by phase
	grep -A2 "^slowest tests" <<<"$stderr" | grep -q "call      tests/test_unit.py::TestUnit::test_work"
	grep -q "time by phase: collection" <<<"$stderr"
	# the synthetic frame sits under the process frame in the flame graph's stacks
	grep -q '^python3 -m pytest [^;]* \[pid [0-9]*\];test tests/test_basic.py::test_param\[a/b-1.5\] \[call\];' "$D/p.txt"
	grep -q ';<collection>;' <(sed 's/^[^;]*;/;/' "$D/p.txt")
	# CSV and Markdown: the same rows
	rows=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["rows"]))' "$D/p.tests.json")
	python3 - "$D/p.tests.csv" "$rows" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
assert len(rows) == int(sys.argv[2]), (len(rows), sys.argv[2])
assert any(r["id"] == "tests/test_basic.py::test_param[a/b-1.5]" and r["phase"] == "call"
           for r in rows), rows
PY
	[ "$(grep -c '^| [0-9]' "$D/p.tests.md")" -eq "$rows" ]
	# pprof: test and phase labels (go tool pprof -tagfocus)
	if command -v go >/dev/null; then
		timeout 60 go tool pprof -tags "$D/p.pb.gz" >"$D/tags.txt" 2>&1 || true
		grep -Eq '^ *phase: Total' "$D/tags.txt"
		grep -Eq ': tests/test_basic.py::test_param\[a/b-1.5\]$' "$D/tags.txt"
		grep -Eq ': <collection>$' "$D/tags.txt"
	fi
	# report replays the raw log into the same table
	run_pyflame_split report "$D/p.raw" -o "$D/r.tests.json"
	[ "$status" -eq 0 ]
	python3 "$CHECK" same "$D/p.tests.json" "$D/r.tests.json"
}

@test "pytest -n 2 (xdist): every test once, under its worker, or merged with --merge" {
	require_pytest xdist
	cd "$PROJ"
	run_pyflame_split run --tests -r 200 -o "$D/x.tests.json" -o "$D/x.txt" -- \
		"$PYT" -m pytest -p no:cacheprovider -n 2 --durations=0 -vv tests
	printf '%s\n' "$output" >"$D/pytest.txt"
	echo "$stderr"
	[ "$status" -eq 1 ]
	# Three busy Python processes on a small machine starve the sampler: ticks are missed
	# where the workers compute and not where they sleep, so samples x the mean period
	# drifts from the local truth (by about 20% with 2 cores).  A looser bound here, that
	# a wrong attribution (a phase or test counted twice, or not at all) still fails.
	python3 "$CHECK" durations "$D/x.tests.json" "$D/pytest.txt" --workers
	python3 "$CHECK" stacks "$D/x.txt"
	run_pyflame_split run --tests --merge -r 200 -o "$D/m.tests.json" -- \
		"$PYT" -m pytest -p no:cacheprovider -n 2 --durations=0 -vv tests
	printf '%s\n' "$output" >"$D/pytest-m.txt"
	[ "$status" -eq 1 ]
	python3 "$CHECK" durations "$D/m.tests.json" "$D/pytest-m.txt"
	grep -q '"merged": true' "$D/m.tests.json"
}

unittest_case() {
	local v=$1 py=$2 out times
	out=$(mktemp "$D/u-$v-XXXXXX.tests.json")
	times=$(mktemp "$D/times-$v-XXXXXX")	# several interpreters share a version

	(cd "$PROJ/tests" && TESTPROJ_TIMES="$times" timeout -k 5 120 "$PYFLAME" run --tests \
		-r 200 -o "$out" -- "$py" -m unittest test_unit) 2>"$D/err-$v.txt" ||
		{ cat "$D/err-$v.txt"; return 1; }
	# ids: test_unit.TestUnit.test_work (3.11+: qualified names) or test_unit.test_work;
	# setUp and tearDown are the class's (the method is not on the stack then); each
	# phase's time against what it measured itself
	python3 "$CHECK" unittest "$out" "$times"
}

@test "unittest: tests and phases from the stack on every interpreter" {
	for_each_python 2.7 unittest_case
}

@test "a command that runs no tests: said in one line, profiled as without --tests" {
	require_python3
	run_pyflame_split run --tests -r 200 -o "$D/h.txt" -- "$PY3" "$TARGETS/hot.py" 1
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'no pytest or unittest run was seen' <<<"$stderr")" -eq 1 ]
	! grep -Eq ';(test [^;]*|<collection>|<session start>|<outside tests>);' "$D/h.txt"
	python3 "$BATS_TEST_DIRNAME/check_collapsed.py" share "$D/h.txt" "re:hot .*" 0.5
}
