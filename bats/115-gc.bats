#!/usr/bin/env bats
# <GC> frames: a sample taken while the cyclic garbage collector runs gets a <GC> leaf on
# the thread that runs it (the GIL holder), on every interpreter from 3.7 (2.7 and 3.6 keep
# the collector's state in a static pyflame cannot find); --no-gc-frames turns them off.

load helpers

setup() {
	require_pyflame
	require_python3	# for the checker
}

# The target times its own collections with gc.callbacks; pyflame's <GC> share of the
# samples taken in churn() must match it.  About 1500 samples: the sampling noise is about
# 1.2 points, so 6 points is far outside it, and the two cannot drift apart under load
# (both are shares of the same wall time); a missing or misplaced flag is off by 25+.
gc_share() {
	local d t=$TARGETS/gcshare.py truth

	d=$(fresh_dir "py$1")
	timeout -k 5 120 "$PYFLAME" run -r 500 -o "$d/p.txt" -- "$2" "$t" 3 "$d/gc.json" 2>"$d/err"
	[ -s "$d/gc.json" ] || { cat "$d/err"; echo "the target did not finish"; false; }
	check_collapsed format "$d/p.txt"
	truth=$("$(checker_python)" -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["share"])' "$d/gc.json")
	echo "# the collector ran for a share of $truth of churn()'s time"
	# a share large enough that a <GC> frame lost or put on every sample cannot pass
	awk -v t="$truth" 'BEGIN { exit !(t > 0.1 && t < 0.9) }'
	check_collapsed near "$d/p.txt" "<GC>" "re:churn \\(.*" "$truth" 0.06
	# on top of the Python frame that made the garbage (or the __init__ it called, where
	# the collection waits for the eval breaker), under churn()
	check_collapsed path "$d/p.txt" "churn ($t:$(line_of "$t" '# CHURN'))" \
		"re:make_garbage .*" "re:(Node\\.)?__init__ .*" "<GC>" ||
		check_collapsed path "$d/p.txt" "churn ($t:$(line_of "$t" '# CHURN'))" \
			"re:make_garbage .*" "<GC>"
	grep -E '^  idle: .*, GC: [0-9.]+%' "$d/err"
}

@test "gc: the <GC> share of samples is within 6 points of the GC time the target measures, 3.7+" {
	for_each_python 3.7 gc_share
}

@test "gc: --no-gc-frames leaves no <GC> frame and no GC share in the summary" {
	local d t=$TARGETS/gcshare.py

	d=$(fresh_dir)
	timeout -k 5 120 "$PYFLAME" run --no-gc-frames -r 200 -o "$d/p.txt" -- "$PY3" "$t" 1 "$d/gc.json" 2>"$d/err"
	check_collapsed format "$d/p.txt"
	check_collapsed absent "$d/p.txt" "<GC>"
	cat "$d/err"
	! grep -q 'GC: ' "$d/err"
}

no_gc_state() {
	local d t=$TARGETS/gcshare.py

	d=$(fresh_dir "py$1")
	timeout -k 5 120 "$PYFLAME" run -q -r 200 -o "$d/p.txt" -- "$2" "$t" 1 "$d/gc.json"
	check_collapsed format "$d/p.txt"
	check_collapsed absent "$d/p.txt" "<GC>"
}

@test "gc: 3.6 has no readable GC state: profiled as before, without <GC> frames" {
	local v p n=0

	while read -r v p; do
		echo "# ---- Python $v ($p)"
		no_gc_state "$v" "$p"
		n=$((n + 1))
	done < <(pythons_between 3.6 3.6)
	[ "$n" -gt 0 ] || skip "no Python 3.6 found"
}
