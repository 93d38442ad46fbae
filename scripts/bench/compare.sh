#!/bin/bash
# A/A and A/B checks of `pyflame diff`'s significance test on real runs.
#
#   scripts/bench/compare.sh [-s] [-n COMPARISONS] [-k RUNS] [-p PYFLAME]
#
# A/A: COMPARISONS (default 20) times, two fresh sets of RUNS (default 5) runs of
# bats/targets/abtest.py with the same code are compared at --alpha 0.01 with
# --fail-if-slower 10%: no function may be flagged (the false-alarm rate is per report).
# A/B: RUNS runs with SLOW=1.0 against RUNS with SLOW=1.3 (target() 30% slower): target()
# must be significant with a change within 5 points of +30%, steady() not significant, and
# --fail-if-slower 10% must exit 1 naming target().  Prints one line per comparison and a
# summary; exits 1 if any check failed.  -s (make check): the A/B figures are printed but
# do not fail the run (its power depends on how loaded the machine is; the A/A false
# alarms never do).
set -u
N=20 K=5 SMOKE=0 PYFLAME=${PYFLAME:-build/pyflame}
while getopts sn:k:p: opt; do
	case $opt in
	s) SMOKE=1 ;;
	n) N=$OPTARG ;;
	k) K=$OPTARG ;;
	p) PYFLAME=$OPTARG ;;
	*) echo "usage: $0 [-n COMPARISONS] [-k RUNS] [-p PYFLAME]" >&2; exit 2 ;;
	esac
done
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=$ROOT/bats/targets/abtest.py
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# runs NAME1 SLOW1 NAME2 SLOW2: K runs of each into $W/NAME-1.raw ..., alternating
# (NAME1-1, NAME2-1, NAME1-2, ...), so that a change of the machine's load or state
# during the runs falls on both sides alike instead of on one set (the first version ran
# one set after the other: a load spike during the second set was a real, systematic
# difference between the sets, and the test rightly flagged it, 1 A/A in 8)
runs() {
	for i in $(seq "$K"); do
		SLOW=$2 "$PYFLAME" run -q -r 250 -o "$W/$1-$i.raw" -- python3 "$TARGET" 0.6 || return 1
		SLOW=$4 "$PYFLAME" run -q -r 250 -o "$W/$3-$i.raw" -- python3 "$TARGET" 0.6 || return 1
	done
}

# sides A B: the diff arguments, A's runs as base
sides() {
	for i in $(seq "$K"); do printf -- '--base\n%s\n' "$W/$1-$i.raw"; done
	for i in $(seq "$K"); do printf -- '%s\n' "$W/$2-$i.raw"; done
}

# field JSON FUNCTION: "change_pct significant" of FUNCTION's total row
field() {
	python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = [f for f in d["functions"] if f["function"].startswith(sys.argv[2] + " (") and f["kind"] == "total"]
print(r[0]["change_pct"] if r else "none", r[0]["significant"] if r else False, d["significant"])
PY
}

fail=0 alarms=0
for c in $(seq "$N"); do
	runs a 1.0 b 1.0 || { echo "aa $c: a run failed"; exit 1; }
	mapfile -t args < <(sides a b)
	"$PYFLAME" diff -q --fail-if-slower 10% --format json "${args[@]}" -o "$W/d.svg" >"$W/aa.json"
	status=$?
	read -r _ _ nsig < <(field "$W/aa.json" target)
	echo "aa $c: $nsig significant, exit $status"
	if [ "$nsig" != 0 ] || [ "$status" != 0 ]; then
		alarms=$((alarms + 1))
		fail=1
	fi
done
echo "A/A: $alarms of $N comparisons ($K runs a side, alpha 0.01) flagged a function"

runs a 1.0 s 1.3 || { echo "ab: a run failed"; exit 1; }
mapfile -t args < <(sides a s)
"$PYFLAME" diff -q --format json "${args[@]}" -o "$W/d.svg" >"$W/ab.json"
read -r tchange tsig _ < <(field "$W/ab.json" target)
read -r schange ssig _ < <(field "$W/ab.json" steady)
"$PYFLAME" diff -q --fail-if-slower 10% "${args[@]}" -o "$W/d.svg" >/dev/null 2>"$W/gate.err"
gate=$?
echo "A/B: target() ${tchange}% (significant: $tsig), steady() ${schange}% (significant: $ssig), --fail-if-slower 10% exit $gate"
python3 -c "import sys; sys.exit(0 if abs(float(sys.argv[1]) - 30) <= 5 else 1)" "$tchange" 2>/dev/null ||
	{ echo "A/B: target()'s change is not within 5 points of +30%"; fail=1; }
[ "$tsig" = True ] || { echo "A/B: target() not significant"; fail=1; }
[ "$ssig" = False ] || { echo "A/B: steady() flagged"; fail=1; }
[ "$gate" = 1 ] && grep -q "slower: target" "$W/gate.err" || { echo "A/B: the gate did not name target()"; fail=1; }
[ "$SMOKE" = 1 ] && [ "$alarms" = 0 ] && exit 0
exit $fail
