#!/usr/bin/env bash
# cpython-tests.sh - CPython's own process, thread and signal tests, without and under
# pyflame, on the local interpreters that ship the `test` package.  The result line of
# each run (regrtest's "Result: ..." and its test counts) must be the same; the time
# ratio (under pyflame / without) is printed for docs/PERFORMANCE.md.
#
#   scripts/cpython-tests.sh [PYFLAME] [MAX_INTERPRETERS]
#
# PYFLAME defaults to build/pyflame; MAX_INTERPRETERS (default 2) takes the newest ones.
# A regrtest failure that happens without pyflame too is not pyflame's: only a difference
# fails this script.  Exits 0 with a note where no interpreter has the test package.
set -u
cd "$(dirname "$0")/.."
pyflame=$(readlink -f "${1:-build/pyflame}")
max=${2:-2}
tests="test_subprocess test_os test_threading test_signal test_multiprocessing_fork"
# A hard bound per run: a hang is the failure this exists to catch.
limit=1500

pythons=()
root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
for py in $(ls -d "$root"/versions/3.*/bin/python3.[0-9]* 2>/dev/null | grep -E 'python3\.[0-9]+$' | sort -t. -k2,2n -k3,3n); do
	"$py" -c 'import test.libregrtest' 2>/dev/null && pythons+=("$py")
done
if [ "${#pythons[@]}" -eq 0 ]; then
	echo "cpython-tests: no interpreter with CPython's test package; skipped"
	exit 0
fi
pythons=("${pythons[@]: -$max}")

# The lines of a regrtest log that must match: the verdict, the tests and files run and
# failed.  Not the skipped count: some tests skip on the machine's state at the moment
# (load, timing), with or without pyflame.
verdict() {
	grep -E '^(Result: |Total tests: |Total test files: |== Tests result: )' "$1" |
		sed -E -e 's/ in [0-9.]+ ?(sec|min|ms).*//' -e 's/,? ?skipped=[0-9,]+//' | sort
}

fail=0
for py in "${pythons[@]}"; do
	v=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	dir=$(mktemp -d)
	testdir=$("$py" -c 'import os, test; print(os.path.dirname(test.__file__))')
	have=()
	for t in $tests; do
		# some builds leave a test out (3.12 from pyenv has no test_multiprocessing_fork)
		[ -e "$testdir/$t.py" ] || [ -d "$testdir/$t" ] && have+=("$t")
	done
	echo "cpython-tests: Python $v: ${have[*]}"
	# -j0 would use every core twice over with pyflame beside it: one worker per core
	args=(-m test -j2 --timeout 900 "${have[@]}")
	t0=$(date +%s.%N)
	timeout -k 10 "$limit" "$py" "${args[@]}" >"$dir/plain.log" 2>&1
	rc_plain=$?
	t1=$(date +%s.%N)
	timeout -k 10 "$limit" "$pyflame" run -q --no-crash-stacks -o "$dir/prof.txt" -- "$py" "${args[@]}" \
		>"$dir/pyflame.log" 2>"$dir/pyflame.err"
	rc_pf=$?
	t2=$(date +%s.%N)
	ratio=$(awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.2f", (c - b) / (b - a) }')
	echo "cpython-tests: Python $v: status $rc_plain without pyflame, $rc_pf under it; time ratio $ratio"
	if [ "$rc_pf" -eq 124 ] || [ "$rc_pf" -eq 137 ]; then
		echo "cpython-tests: Python $v: pyflame run did not finish within $limit s" >&2
		fail=1
	elif [ "$rc_plain" -ne "$rc_pf" ] || [ "$(verdict "$dir/plain.log")" != "$(verdict "$dir/pyflame.log")" ]; then
		echo "cpython-tests: Python $v: results differ" >&2
		diff <(verdict "$dir/plain.log") <(verdict "$dir/pyflame.log") >&2
		tail -n 30 "$dir/pyflame.log" >&2
		fail=1
	fi
	# the tests' own stderr shares the file: only pyflame's lines are judged
	if grep -E '^(pyflame: |hint: )' "$dir/pyflame.err" | grep -v '^pyflame: warning: ' | grep -q .; then
		echo "cpython-tests: Python $v: pyflame printed:" >&2
		grep -E '^(pyflame: |hint: )' "$dir/pyflame.err" >&2
		fail=1
	fi
	if ! [ -s "$dir/prof.txt" ]; then
		echo "cpython-tests: Python $v: no profile written" >&2
		fail=1
	fi
	rm -rf "$dir"
done
[ "$fail" -eq 0 ] && echo "cpython-tests: ${#pythons[@]} passed, 0 failed" ||
	echo "cpython-tests: $((${#pythons[@]})) run, some failed"
exit "$fail"
