#!/usr/bin/env bash
# run.sh - run the libFuzzer targets that `make fuzz` built; one line of result each.
#
#   fuzz/run.sh fuzz BUILD SECONDS TARGET...   fuzz each for SECONDS (-max_total_time)
#   fuzz/run.sh regress BUILD TARGET...        replay fuzz/regress/T and fuzz/corpus/T once
#
# New corpus entries go to BUILD/corpus/T (never into the source tree); a crash, leak,
# sanitizer report or timeout leaves its input in BUILD/artifacts/T/ and fails the run.
# To keep one as a regression fixture: cp it to fuzz/regress/T/ (after fixing the bug).
set -u

mode=$1 build=$2
shift 2
if [ "$mode" = fuzz ]; then
	seconds=$1
	shift
fi
src=$(cd "$(dirname "$0")" && pwd)
failed=0

# Options for every run: a stuck input fails after 10 s; leaks are findings too.
common=(-timeout=10 -rss_limit_mb=2048 -detect_leaks=1)

max_len() {
	case $1 in
	unwind | elf) echo 65536 ;;
	*) echo 16384 ;;
	esac
}

for t in "$@"; do
	bin=$build/fuzz_$t
	log=$build/logs/$t.log
	mkdir -p "$build/logs" "$build/artifacts/$t" "$build/corpus/$t"
	if [ "$mode" = fuzz ]; then
		dirs=("$build/corpus/$t" "$src/corpus/$t")
		[ -d "$src/regress/$t" ] && dirs+=("$src/regress/$t")
		"$bin" "${common[@]}" -max_len="$(max_len "$t")" -max_total_time="$seconds" \
			-print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" \
			"${dirs[@]}" >"$log" 2>&1
		rc=$?
		done_line=$(grep -aE '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
		cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
		ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
		corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$done_line")
		if [ "$rc" = 0 ]; then
			printf 'fuzz_%-10s ok      %ss, %s runs (%s/s), cov %s, features %s, corpus %s\n' \
				"$t" "$seconds" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
		else
			art=$(grep -ao "Test unit written to [^ ]*" "$log" | tail -n 1 | cut -d' ' -f5)
			what=$(grep -a -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer|UndefinedBehaviorSanitizer)[^(]*|runtime error: .*|check failed: .*' "$log")
			printf 'fuzz_%-10s FAILED  %s; input %s; log %s\n' "$t" "${what:-exit $rc}" \
				"${art:-?}" "$log"
			failed=1
		fi
	else
		inputs=()
		for d in "$src/regress/$t" "$src/corpus/$t"; do
			[ -d "$d" ] || continue
			for f in "$d"/*; do
				[ -f "$f" ] && inputs+=("$f")
			done
		done
		if [ ${#inputs[@]} = 0 ]; then
			printf 'fuzz_%-10s no fixtures\n' "$t"
			continue
		fi
		if "$bin" "${common[@]}" -artifact_prefix="$build/artifacts/$t/" "${inputs[@]}" \
			>"$log" 2>&1; then
			printf 'fuzz_%-10s ok      %d fixtures replayed\n' "$t" "${#inputs[@]}"
		else
			printf 'fuzz_%-10s FAILED  replaying fixtures; log %s\n' "$t" "$log"
			failed=1
		fi
	fi
done
exit $failed
