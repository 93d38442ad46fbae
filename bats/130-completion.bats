#!/usr/bin/env bats
# Bash completion (completion/pyflame.bash): the commands, each command's options exactly
# as its --help lists them, option values, output files by extension after -o, and the
# profiled command after `run --`.

load helpers

COMMANDS=(run attach dump report diff doctor)

setup() {
	require_pyflame
	ROOT=$(cd "$BATS_DIR/.." && pwd)
	# shellcheck source=../completion/pyflame.bash
	source "$ROOT/completion/pyflame.bash"
	cd "$BATS_TEST_TMPDIR"
}

# complete WORD... : COMPREPLY for the last word, one per line, sorted (the first word is
# the binary under test, which the completion asks for --help).
complete_words() {
	COMP_WORDS=("$PYFLAME" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_pyflame
	printf '%s\n' "${COMPREPLY[@]}" | sort -u
}

@test "completion: is registered for pyflame and offers every command" {
	run complete -p pyflame
	[[ "$output" == *"-F _pyflame pyflame"* ]]
	got=$(complete_words "")
	for c in "${COMMANDS[@]}" help; do
		grep -qx "$c" <<<"$got" || { echo "missing command $c in: $got"; false; }
	done
	[ "$(complete_words d)" = "$(printf 'diff\ndoctor\ndump')" ]
	[ "$(complete_words help at)" = attach ]
	[ "$(complete_words --vers)" = --version ]
}

@test "completion: each command's options are exactly those its --help lists" {
	local cmd want got
	for cmd in "${COMMANDS[@]}"; do
		want=$("$PYFLAME" "$cmd" --help |
			grep -oE -- '^  -[a-zA-Z], --[a-z-]+|^      --[a-z-]+' | grep -oE -- '-[a-zA-Z]\b|--[a-z-]+' | sort -u)
		got=$(complete_words "$cmd" -)
		[ -n "$want" ]
		[ "$want" = "$got" ] || { echo "# $cmd: help=[$want] completion=[$got]"; false; }
	done
	# a global option before the command does not hide it
	[ "$(complete_words -v dump --js)" = --json ]
}

@test "completion: -o offers the output formats by extension, per command" {
	got=$(complete_words run -o prof)
	for e in svg txt folded collapsed speedscope.json pb.gz pprof trace.json perfetto.json raw; do
		grep -qx "prof.$e" <<<"$got" || { echo "missing prof.$e in: $got"; false; }
	done
	[ "$(complete_words report --output out.sp)" = out.speedscope.json ]
	mkdir -p outdir
	got=$(complete_words attach -p 1 -o outdir/a.p)
	[ "$got" = "$(printf 'outdir/a.pb.gz\noutdir/a.perfetto.json\noutdir/a.pprof\noutdir/a.prof\noutdir/a.pstats')" ]
	# diff writes a graph or its text only
	got=$(complete_words diff -o d)
	grep -qx d.svg <<<"$got"
	! grep -qx d.pb.gz <<<"$got"
	! grep -qx d.speedscope.json <<<"$got"
}

@test "completion: option values (--mode, --reader, --format, --by, --strip-prefix)" {
	[ "$(complete_words run --mode "")" = "$(printf 'cpu\nexception\ngil\nwall')" ]
	[ "$(complete_words attach --reader v)" = vm ]
	[ "$(complete_words report -f sp)" = speedscope ]
	[ "$(complete_words diff --format "")" = "$(printf 'json\nmd\ntext')" ]
	[ "$(complete_words diff --by s)" = share ]
	[ "$(complete_words report --strip-prefix au)" = auto ]
	# an option without a value takes none: the next word is an operand or option
	[ "$(complete_words run --threads --thr)" = --threads ]
	# --opt=VALUE (bash splits it at '=')
	COMP_WORDS=("$PYFLAME" run --mode = c) COMP_CWORD=4 COMPREPLY=()
	_pyflame
	[ "${COMPREPLY[*]}" = cpu ]
	# numbers and seconds: nothing to offer
	[ -z "$(complete_words run --rate "")" ]
}

@test "completion: after 'run --' or its first operand, the profiled command's words" {
	mkdir -p bin && printf '#!/bin/sh\n' >bin/zzpyflametarget && chmod +x bin/zzpyflametarget
	PATH="$PWD/bin:$PATH"
	[ "$(complete_words run -o x.svg -- zzpyflame)" = zzpyflametarget ]
	[ "$(complete_words run -r 1k zzpyflame)" = zzpyflametarget ]
	# the command's own options are not pyflame's
	got=$(complete_words run -- zzpyflametarget --ra)
	! grep -qx -- --rate <<<"$got"
}
