#!/usr/bin/env bash
# Run each cmocka test binary given; print one closing line with the totals.
set -u
export PYFLAME_FIXTURES=${PYFLAME_FIXTURES:-$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures}
# The interpreters scripts/fetch-pythons.sh provides (3.14, 3.15: PIE, non-PIE, debug) join
# the live tests that take $PYFLAME_TEST_PYTHONS (line tables, runtime location).
list="${PYFLAME_PYTHONS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pyflame/pythons}/pythons.txt"
if [ -s "$list" ]; then
	PYFLAME_TEST_PYTHONS="${PYFLAME_TEST_PYTHONS:+$PYFLAME_TEST_PYTHONS:}$(paste -sd: "$list")"
	export PYFLAME_TEST_PYTHONS
fi
fail=0
total=0
for t in "$@"; do
	total=$((total + 1))
	if ! "$t"; then
		echo "FAILED: $t" >&2
		fail=$((fail + 1))
	fi
done
echo "unit test binaries: $((total - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
