#!/usr/bin/env bats
# Help text is the spec: every option --help lists is in the man page and the README.

load helpers

setup() {
	require_pyflame
	ROOT=$(cd "$BATS_DIR/.." && pwd)
}

# Long options named in a help text.
long_options() {
	grep -oE -- '--[a-z][a-z-]+' | sort -u
}

@test "every command has --help, and every option it lists is documented" {
	missing=()
	for cmd in run attach dump report diff; do
		run "$PYFLAME" "$cmd" --help
		[ "$status" -eq 0 ] || { echo "# $cmd --help failed"; false; }
		[[ "$output" == *"usage: pyflame $cmd"* ]]
		while read -r opt; do
			[ "$opt" = "--help" ] && continue
			grep -q -- "${opt//-/\\\\-}" "$ROOT/docs/pyflame.1" || missing+=("man:$cmd:$opt")
			grep -q -- "$opt" "$ROOT/README.md" || missing+=("README:$cmd:$opt")
		done < <(long_options <<<"$output")
	done
	echo "# undocumented: ${missing[*]}"
	[ "${#missing[@]}" -eq 0 ]
}

@test "pyflame --help lists every command, and the man page and README name each" {
	run "$PYFLAME" --help
	[ "$status" -eq 0 ]
	for cmd in run attach dump report diff doctor; do
		grep -q "^  $cmd " <<<"$output"
		grep -q "pyflame $cmd" "$ROOT/docs/pyflame.1" || grep -q "B pyflame $cmd" "$ROOT/docs/pyflame.1"
		grep -q "pyflame $cmd" "$ROOT/README.md"
	done
	run "$PYFLAME" --version
	[[ "$output" == "pyflame "* ]]
}
