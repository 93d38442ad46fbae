#!/usr/bin/env bats
# pyflame diff: two real runs whose split between alpha() and beta() is reversed
# (75/25, then 25/75), compared from raw logs and from collapsed stacks.

load helpers

# The runs are shared by every test of the file: three runs of bats/targets/diffsplit.py,
# the split set through the environment so the command lines match.
setup_file() {
	require_pyflame
	R=$BATS_FILE_TMPDIR/runs
	mkdir -p "$R"
	PY3=$(checker_python) || return 0	# each test skips
	export R PY3
	SPLIT=0.75 timeout -k 5 120 "$PYFLAME" run -q -r 200 -o "$R/base.raw" -o "$R/base.txt" \
		-- "$PY3" "$TARGETS/diffsplit.py"
	SPLIT=0.25 timeout -k 5 120 "$PYFLAME" run -q -r 200 -o "$R/new.raw" -o "$R/new.txt" \
		-- "$PY3" "$TARGETS/diffsplit.py"
	# the same split as new, another command line (an argument)
	SPLIT=0.25 timeout -k 5 120 "$PYFLAME" run -q -r 200 -o "$R/other.raw" \
		-- "$PY3" "$TARGETS/diffsplit.py" 1.6
}

setup() {
	require_pyflame
	require_python3
	[ -s "$R/base.raw" ] && [ -s "$R/new.raw" ] && [ -s "$R/other.raw" ]
	D=$(fresh_dir diff)
	ALPHA="alpha \(.*diffsplit\.py:$(line_of "$TARGETS/diffsplit.py" "# ALPHA")\)"
	BETA="beta \(.*diffsplit\.py:$(line_of "$TARGETS/diffsplit.py" "# BETA")\)"
}

check_diff() {
	"$PY3" "$BATS_DIR/check_diff.py" "$@"
}

@test "diff of two runs' raw logs: beta grew (red), alpha shrank (blue), totals in the subtitle" {
	run_pyflame_split diff "$R/base.raw" "$R/new.raw" -o "$D/d.svg" -o "$D/d.txt"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_svg_wellformed "$D/d.svg"
	check_diff consistent "$D/d.svg"
	# each run spends ~1.6 s in the split; 75% -> 25% of it is ~-50 points of all samples
	check_diff grew "$D/d.svg" "$BETA" 25
	check_diff shrank "$D/d.svg" "$ALPHA" 25
	check_diff totals "$D/d.svg" "$(check_collapsed total "$R/base.txt")" \
		"$(check_collapsed total "$R/new.txt")"
	check_svg text "$D/d.svg" "pyflame diff: $R/base.raw → $R/new.raw"
	# same command, pids stripped: only start-up noise is missing from new
	check_diff vanished "$D/d.svg" 0 25
	grep -q "^pyflame: diff: base [0-9]* samples" <<<"$stderr"
	grep -q "grew most: .* points  " <<<"$stderr"
	grep -q "wrote $D/d.svg" <<<"$stderr"
	# the text: "path base new", whose columns add up to the totals
	"$PY3" - "$D/d.txt" "$(check_collapsed total "$R/base.txt")" "$(check_collapsed total "$R/new.txt")" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
paths = []
b = n = 0
for l in lines:
    m = re.fullmatch(r"(.+) (\d+) (\d+)", l)
    assert m, l
    paths.append(m.group(1))
    b += int(m.group(2))
    n += int(m.group(3))
assert paths == sorted(paths) and len(set(paths)) == len(paths)
assert (b, n) == (int(sys.argv[2]), int(sys.argv[3])), (b, n, sys.argv[2:])
assert not any("[pid " in p for p in paths), "pids were not stripped"
PY
}

@test "collapsed stacks in give the same diff as the raw logs" {
	run_pyflame_split diff -q "$R/base.raw" "$R/new.raw" -o "$D/raw.txt" -o "$D/raw.svg"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run_pyflame_split diff -q "$R/base.txt" "$R/new.txt" -o "$D/txt.txt" -o "$D/txt.svg"
	[ "$status" -eq 0 ]
	diff "$D/raw.txt" "$D/txt.txt"
	check_diff consistent "$D/txt.svg"
	check_diff grew "$D/txt.svg" "$BETA" 25
	check_diff shrank "$D/txt.svg" "$ALPHA" 25
	# mixed: one of each
	run_pyflame_split diff -q "$R/base.txt" "$R/new.raw" -o "$D/mixed.txt"
	[ "$status" -eq 0 ]
	diff "$D/raw.txt" "$D/mixed.txt"
	# '-' writes the text to standard output
	run_pyflame_split diff -q "$R/base.raw" "$R/new.raw" -o -
	[ "$status" -eq 0 ]
	diff "$D/raw.txt" <(printf '%s\n' "$output")
}

@test "--keep-pids matches nothing across runs; --strip-process matches different command lines" {
	run_pyflame_split diff -q --keep-pids "$R/base.raw" "$R/new.raw" -o "$D/k.svg"
	[ "$status" -eq 0 ]
	check_diff vanished "$D/k.svg" 100 100
	# other.raw ran with an extra argument: its process frame differs
	run_pyflame_split diff -q "$R/base.raw" "$R/other.raw" -o "$D/o.svg"
	[ "$status" -eq 0 ]
	check_diff vanished "$D/o.svg" 100 100
	run_pyflame_split diff -q --strip-process "$R/base.raw" "$R/other.raw" -o "$D/s.svg" -o "$D/s.txt"
	[ "$status" -eq 0 ]
	check_diff consistent "$D/s.svg"
	check_diff grew "$D/s.svg" "$BETA" 25
	check_diff shrank "$D/s.svg" "$ALPHA" 25
	check_diff absent "$D/s.svg" ".*diffsplit\.py( 1\.6)?( \[pid [0-9]+\])?"
	! grep -q "diffsplit.py 1.6" "$D/s.txt"
}

@test "-n matches frames by function" {
	run_pyflame_split diff -q -n "$R/base.txt" "$R/new.raw" -o "$D/n.svg" -o "$D/n.txt"
	[ "$status" -eq 0 ]
	check_diff consistent "$D/n.svg"
	check_diff grew "$D/n.svg" "beta \(.*diffsplit\.py\)" 25
	check_diff shrank "$D/n.svg" "alpha \(.*diffsplit\.py\)" 25
	! grep -q "diffsplit\.py:[0-9]" "$D/n.txt"
	run_pyflame_split diff -q --title "before / after" "$R/base.raw" "$R/new.raw" -o "$D/t.svg"
	check_svg text "$D/t.svg" "before / after"
}

@test "bad input: exit 2, one error line naming the file and line, no output" {
	cp "$R/base.txt" "$D/bad.txt"
	# line 1: how many lines a run's profile has depends on what start-up was sampled
	sed -i '1s/ [0-9]*$/ many/' "$D/bad.txt"
	run_pyflame_split diff "$D/bad.txt" "$R/new.raw" -o "$D/x.svg"
	echo "$stderr"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	grep -qF "pyflame: '$D/bad.txt': line 1: invalid sample count 'many' (want a whole number)" <<<"$stderr"
	[ ! -e "$D/x.svg" ]
	[ -z "$(find "$D" -name '.*pyflame-*')" ]	# no temporary file left behind

	printf 'a;b 1\nno-count\n' >"$D/no-count.collapsed"
	run_pyflame_split diff "$R/base.raw" "$D/no-count.collapsed" -o "$D/x.svg"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	grep -qF "line 2: no sample count" <<<"$stderr"

	printf 'a;b 1\na;;b 2\n' >"$D/empty-frame.folded"
	run_pyflame_split diff "$R/base.raw" "$D/empty-frame.folded" -o "$D/x.svg"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	grep -qF "line 2: empty frame name (frame 2)" <<<"$stderr"

	"$PY3" -c 'import sys; sys.stdout.write("a;" + "x" * (5 << 20) + " 1\n")' >"$D/long.txt"
	run_pyflame_split diff "$D/long.txt" "$R/new.raw" -o "$D/x.svg"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	grep -qF "line 1: line longer than 4 MiB" <<<"$stderr"

	echo "not a log" >"$D/junk.raw"
	run_pyflame_split diff "$D/junk.raw" "$R/new.raw" -o "$D/x.svg"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	grep -q "not a pyflame raw log" <<<"$stderr"

	: >"$D/empty.txt"
	run_pyflame_split diff "$R/base.raw" "$D/empty.txt" -o "$D/x.svg"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	grep -q "holds no samples" <<<"$stderr"

	run_pyflame_split diff "$D/missing.txt" "$R/new.raw" -o "$D/x.svg"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	[ ! -e "$D/x.svg" ]
}

@test "usage errors exit 2; --help prints the usage" {
	run_pyflame_split diff "$R/base.raw"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	grep -q "want two profiles" <<<"$stderr"
	run_pyflame_split diff "$R/base.raw" "$R/new.raw" -o "$D/d.pb.gz"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	run_pyflame_split diff --bogus "$R/base.raw" "$R/new.raw"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	run_pyflame_split diff "$R/base.raw" "$R/new.raw" -o "$D/no/such/dir/d.svg"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	run_pyflame_split diff --help
	[ "$status" -eq 0 ]
	grep -q "^usage: pyflame diff \[OPTIONS\] BASE NEW" <<<"$output"
	grep -q -- "--strip-process" <<<"$output"
}

@test "without -o the graph goes beside NEW" {
	cp "$R/base.raw" "$R/new.raw" "$D/"
	run_pyflame_split diff -q "$D/base.raw" "$D/new.raw"
	[ "$status" -eq 0 ]
	check_diff consistent "$D/new.diff.svg"
}
