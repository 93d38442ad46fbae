#!/usr/bin/env bats
# The views Python developers already use: pstats files (python -m pstats, snakeviz,
# gprof2dot) and annotated source (HTML).

load helpers

setup() {
	require_pyflame
	require_python3
}

pf() {
	timeout -k 5 120 "$PYFLAME" "$@"
}

# The 3:1 split (bats/targets/split.py) profiled by interpreter $2, checked with that
# interpreter's own pstats: a() first by tottime, a's share of a + b within 5 points of
# the split the target measured.
pstats_split() {
	local d t=$TARGETS/split.py truth

	d=$(fresh_dir)
	pf run -q -r 500 -o "$d/p.pstats" -o "$d/p.raw" -- "$2" "$t" 25 0.025 "$d/spent.json"
	truth=$("$(checker_python)" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.4f" % (d["a"] / (d["a"] + d["b"])))' "$d/spent.json")
	"$2" "$BATS_DIR/check_pstats.py" "$d/p.pstats" a b "$truth" 0.05
	# the same file from the raw log
	pf report -q -o "$d/r.pstats" "$d/p.raw"
	cmp "$d/p.pstats" "$d/r.pstats"
	if command -v gprof2dot >/dev/null; then
		gprof2dot -f pstats "$d/p.pstats" | grep -q 'split.py:[0-9]*:a'
	fi
}

@test "pstats: every interpreter's pstats loads the file; a 3:1 split puts a() first and measures 3:1" {
	for_each_python 2.7 pstats_split
}

@test "pstats: -f pstats to standard output, and .prof names the format" {
	local d t=$TARGETS/split.py

	d=$(fresh_dir)
	pf run -q -r 200 -o "$d/p.prof" -f pstats -o - -- "$PY3" "$t" 4 0.02 >"$d/out.pstats"
	cmp "$d/p.prof" "$d/out.pstats"
	"$PY3" -c 'import pstats, sys; pstats.Stats(sys.argv[1])' "$d/p.prof"
}
