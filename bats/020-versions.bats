#!/usr/bin/env bats
# The version matrix: on EVERY interpreter found (2.7, 3.6+), the stacks a target records
# of itself (threads, a generator driven by a method, a recursion, a non-ASCII name on
# Python 3) must each be sampled exactly: same frames, names, files and lines.

load helpers

setup() {
	require_pyflame
	require_python3	# for the checker
}

matrix_one() {
	local d

	d=$(fresh_dir "py$1")
	timeout -k 5 120 "$PYFLAME" run -q -o "$d/p.txt" -- "$2" "$TARGETS/stacks.py" "$d/expected.json" 1.5
	[ -s "$d/expected.json" ] || { echo "the target did not finish"; false; }
	check_collapsed format "$d/p.txt"
	"$(checker_python)" "$BATS_DIR/check_stacks.py" "$d/p.txt" "$d/expected.json"
}

@test "versions: every interpreter's recorded stacks are sampled exactly" {
	pythons | sed 's/^/# found: /'
	for_each_python 2.7 matrix_one
}

matrix_one_threads() {
	local d

	d=$(fresh_dir "py$1")
	timeout -k 5 120 "$PYFLAME" run -q --threads -o "$d/p.txt" -- "$2" "$TARGETS/stacks.py" "$d/expected.json" 1
	check_collapsed --threads format "$d/p.txt"
	# three Python threads, each with a thread frame of its own
	[ "$(check_collapsed --threads threads "$d/p.txt")" -ge 3 ]
}

@test "versions: --threads gives each of the three threads its frame, on every interpreter" {
	for_each_python 2.7 matrix_one_threads
}
