#!/bin/sh
# A fork-heavy shell loop: --units N short processes (/bin/true, and every 100th a
# `sh -c`), no Python at all.  What it measures is the cost of following every fork and
# exec (probing each new process for a runtime), not of sampling.
units=1000
while [ $# -gt 0 ]; do
	case "$1" in
	--units) units=$2; shift ;;
	--calibrate) echo "{\"units\": $(awk -v s="$2" 'BEGIN { printf "%d", s * 1000 }')}"; exit 0 ;;
	esac
	shift
done
t0=$(date +%s.%N)
i=0
while [ $i -lt "$units" ]; do
	/bin/true
	if [ $((i % 100)) -eq 0 ]; then sh -c ':'; fi
	i=$((i + 1))
done
t1=$(date +%s.%N)
if [ -n "$PYFLAME_BENCH_REPORT" ]; then
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "{\"workload\": \"forkloop\", \"wall\": %f, \"thread_seconds\": 0}\n", b - a }' \
		>"$PYFLAME_BENCH_REPORT"
fi
