#!/usr/bin/env bats
# pyflame report A B C: shards of a test suite (bats/targets/suite.py, SHARD=K/3) merged
# into one profile equal, test by test, to the unsharded run; file paths of two checkouts
# matched with --strip-prefix; bad inputs refused.

load helpers

# Three shards and one unsharded run, each from its own checkout directory (a/, b/, c/,
# all/), as CI machines would have: the command line is the same ("python3 suite.py"),
# the file paths differ.
setup_file() {
	require_pyflame
	R=$BATS_FILE_TMPDIR/runs
	PY3=$(checker_python) || return 0
	export R PY3
	for dir in a b c all; do
		mkdir -p "$R/$dir/repo"
		cp "$TARGETS/suite.py" "$R/$dir/repo/"
	done
	k=0
	for dir in a b c; do
		(cd "$R/$dir/repo" && SHARD=$k/3 timeout -k 5 120 "$PYFLAME" run -q -r 200 \
			-o "$R/$dir.raw" -o "$R/$dir.txt" -- "$PY3" suite.py 0.5)
		k=$((k + 1))
	done
	(cd "$R/all/repo" && timeout -k 5 120 "$PYFLAME" run -q -r 200 -o "$R/all.raw" \
		-- "$PY3" suite.py 0.5)
}

setup() {
	require_pyflame
	require_python3
	[ -s "$R/a.raw" ] && [ -s "$R/b.raw" ] && [ -s "$R/c.raw" ] && [ -s "$R/all.raw" ]
	D=$(fresh_dir merge)
}

# Per test function, its share of the samples spent in tests, from a collapsed file whose
# frames are "test_x (suite.py:N)" (paths stripped); prints "name share" lines.
test_shares() {
	"$PY3" - "$1" <<'PY'
import re, sys
tot = {}
for line in open(sys.argv[1]):
    path, n = line.rsplit(" ", 1)
    for f in path.split(";"):
        m = re.fullmatch(r"(test_\w+) \(([^:]*)(:[0-9]+)?\)", f)
        if m:
            assert m.group(2) == "suite.py", "path not stripped: " + f
            tot[m.group(1)] = tot.get(m.group(1), 0) + int(n)
s = sum(tot.values())
for k in sorted(tot):
    print(k, tot[k] / s)
PY
}

@test "three shards merged match the unsharded run, test by test; the metadata names 3 runs" {
	run_pyflame_split report --strip-prefix auto "$R/a.raw" "$R/b.txt" "$R/c.raw" \
		-o "$D/m.txt" -o "$D/m.speedscope.json" -o "$D/m.svg"
	echo "$stderr"
	[ "$status" -eq 0 ]
	check_collapsed --merge format "$D/m.txt"
	# one root for all shards: the command line, no pid
	check_collapsed --merge roots "$D/m.txt" 1
	grep -q "^python[0-9.]* suite.py 0.5;" "$D/m.txt"
	# the samples of the three inputs, all of them
	want=$(( $(check_collapsed total "$R/a.txt") + $(check_collapsed total "$R/b.txt") + \
		$(check_collapsed total "$R/c.txt") ))
	[ "$(check_collapsed total "$D/m.txt")" -eq "$want" ]
	run_pyflame_split report -q --strip-prefix auto "$R/all.raw" -o "$D/all.txt"
	[ "$status" -eq 0 ]
	test_shares "$D/m.txt" >"$D/m.shares"
	test_shares "$D/all.txt" >"$D/all.shares"
	cat "$D/m.shares" "$D/all.shares"
	# six tests, each about 1/6 of the test time on both sides (a loaded machine can stretch
	# one 0.5 s spin by a few tenths: the tolerance is wide, the test names are exact)
	"$PY3" - "$D/m.shares" "$D/all.shares" <<'PY'
import sys
a = dict(l.split() for l in open(sys.argv[1]))
b = dict(l.split() for l in open(sys.argv[2]))
assert sorted(a) == sorted(b) and len(a) == 6, (a, b)
for k in a:
    assert abs(float(a[k]) - float(b[k])) < 0.1, (k, a[k], b[k])
PY
	# the metadata names every input
	grep -q "3 runs: $R/a.raw ($PY3 suite.py 0.5); $R/b.txt; $R/c.raw" "$D/m.speedscope.json"
	grep -q "3 runs: " "$D/m.svg"
}

@test "without --strip-prefix, two checkouts' files stay apart; a named prefix joins them" {
	run_pyflame_split report -q "$R/a.raw" "$R/b.raw" -o "$D/x.txt"
	[ "$status" -eq 0 ]
	grep -q "$R/a/repo/suite.py" "$D/x.txt"
	grep -q "$R/b/repo/suite.py" "$D/x.txt"
	run_pyflame_split report -q --strip-prefix "$R/a/repo" --strip-prefix "$R/b/repo/" \
		"$R/a.raw" "$R/b.raw" -o "$D/y.txt"
	[ "$status" -eq 0 ]
	! grep -q "$R" "$D/y.txt"
	grep -q "test_parse (suite.py:[0-9]*)" "$D/y.txt"
	grep -q "test_render (suite.py:[0-9]*)" "$D/y.txt"
}

@test "merging: a bad input is one error line naming it, exit 2, nothing written" {
	printf 'a;b 1\na;;b 2\n' >"$D/bad.txt"
	run_pyflame_split report "$R/a.raw" "$D/bad.txt" -o "$D/o.svg"
	echo "$stderr"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	grep -qF "pyflame: '$D/bad.txt': line 2: empty frame name (frame 2)" <<<"$stderr"
	[ ! -e "$D/o.svg" ]
	head -c 300 "$R/a.raw" >"$D/cut.raw"
	echo junk >"$D/junk.raw"
	run_pyflame_split report "$R/a.raw" "$D/junk.raw" -o "$D/o.svg"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	grep -qF "pyflame: '$D/junk.raw': not a pyflame raw log" <<<"$stderr"
	: >"$D/empty.txt"
	run_pyflame_split report "$R/a.raw" "$D/empty.txt" -o "$D/o.svg"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	grep -qF "pyflame: '$D/empty.txt': holds no samples" <<<"$stderr"
	run_pyflame_split report "$R/a.raw" "$D/missing.raw" -o "$D/o.svg"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	grep -qF "'$D/missing.raw'" <<<"$stderr"
	[ ! -e "$D/o.svg" ]
	# a timeline needs one raw log's sample times
	run_pyflame_split report "$R/a.raw" "$R/b.raw" -o "$D/t.trace.json"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
}

@test "one collapsed input is a profile too" {
	run_pyflame_split report -q "$R/a.txt" -o "$D/a.txt"
	[ "$status" -eq 0 ]
	diff <(sed 's/ \[pid [0-9]*\]//' "$R/a.txt" | sort) <(sed 's/ \[pid [0-9]*\]//' "$D/a.txt" | sort)
}
