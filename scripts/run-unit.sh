#!/usr/bin/env bash
# Run each cmocka test binary given; print one closing line with the totals.
set -u
export PYFLAME_FIXTURES=${PYFLAME_FIXTURES:-$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures}
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
