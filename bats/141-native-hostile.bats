#!/usr/bin/env bats
# --native against hostile call frame information in a target's libraries: CFI
# expressions that never end or grow without bound, frames that do not move up the
# stack or point off it, and .eh_frame, .eh_frame_hdr or section headers overwritten
# with random bytes.  Every unwind ends; the command runs as it would without pyflame
# (its output and exit status); pyflame exits 0 and counts what it dropped.  `make
# stress-san` runs this file on the ASan/UBSan binary too.

load helpers

setup() {
	require_pyflame
	require_python3
	command -v cc >/dev/null || skip "no C compiler (cc)"
	D=$(fresh_dir)
}

hostile() {
	"$PY3" "$TARGETS/native_hostile.py" "$@"
}

# run_native ARGS...: the target under pyflame run --native into $D/p.txt; $output its
# stdout, $stderr pyflame's summary.
run_native() {
	run_pyflame_split run --native -r 500 -o "$D/p.txt" -- "$PY3" "$TARGETS/native_hostile.py" "$@"
	echo "$stderr"
}

@test "native, hostile CFI: loops, unbounded expressions and runaway frames end; the command is unchanged" {
	local want

	cc -O1 -fPIC -shared -o "$D/hostile.so" "$TARGETS/native_hostile.c"
	want=$(hostile 40 10000000 "$D/hostile.so")
	[[ "$want" == "checksum "*" over 5 functions" ]]
	run_native 40 10000000 "$D/hostile.so"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	check_collapsed format "$D/p.txt"
	# the honest function is unwound through, under its caller's line
	"$PY3" "$BATS_DIR/check_native.py" under "$D/p.txt" \
		"call_hostile:$(line_of "$TARGETS/native_hostile.py" '# HOSTILE')" 'hf_.*' 0.9
	"$PY3" "$BATS_DIR/check_native.py" order "$D/p.txt" 'main .*' \
		'call_hostile .*' 'hf_honest \(.*hostile\.so\)'
	# and the Python between the calls is merged as ever
	"$PY3" "$BATS_DIR/check_native.py" order "$D/p.txt" 'main .*' 'py_spin .*'
	# the others are not: the expressions libdw would evaluate for ever are refused, the
	# frame whose caller does not lie above it and the one pointing off the stack end
	# their unwinds early
	grep -q "native: CFI expression that may not end [0-9]" <<<"$stderr"
	grep -q "native: C unwind stopped early [0-9]" <<<"$stderr"
	run grep -E "hf_(skip_self|dup_grow|same_sp|far_cfa)" "$D/p.txt"
	[ "$status" -eq 1 ]
}

@test "native, garbage .eh_frame, .eh_frame_hdr and section headers: no crash, the command is unchanged" {
	local want libs=() seed what n=0

	cc -O1 -fPIC -shared -DGARBAGE -o "$D/garbage.so" "$TARGETS/native_hostile.c"
	for seed in 1 2 3; do
		for what in .eh_frame ".eh_frame .eh_frame_hdr" shdrs; do
			n=$((n + 1))
			cp "$D/garbage.so" "$D/g$n.so"
			# shellcheck disable=SC2086
			"$PY3" "$BATS_DIR/patch_elf.py" "$D/g$n.so" "$seed" $what
			libs+=("$D/g$n.so")
		done
	done
	want=$(hostile 20 3000000 "${libs[@]}")
	[[ "$want" == "checksum "*" over 9 functions" ]]
	run_native 20 3000000 "${libs[@]}"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	check_collapsed format "$D/p.txt"
	"$PY3" "$BATS_DIR/check_native.py" order "$D/p.txt" 'main .*' 'py_spin .*'
	# the time in gf_run is in the profile (with what could be unwound) or dropped, counted
	grep -q "gf_run\|g[0-9]\.so" "$D/p.txt" || grep -q "^pyflame: dropped [0-9]* thread samples:.* native: " <<<"$stderr"
}
