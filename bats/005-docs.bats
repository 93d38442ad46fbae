#!/usr/bin/env bats
# Help text is the spec: each command accepts exactly the options its --help lists, and
# every one of them is in the man page and the README, which name no option that none
# accepts; the README's options table says which commands take each.

load helpers

COMMANDS=(run attach dump report diff doctor)

setup() {
	require_pyflame
	ROOT=$(cd "$BATS_DIR/.." && pwd)
	declare -gA ACC=()
	local c o v
	if [ -n "${ACCEPTS:-}" ] && [ -s "$ACCEPTS" ]; then
		while read -r c o v; do ACC["$c $o"]=$v; done <"$ACCEPTS"
	fi
}

# What the parser takes, asked once per file: "CMD OPT 1" (accepted) or "CMD OPT 0" for
# every command and every option any help, the man page or the README names, and every
# short letter any help uses (plus a few that once meant something).
setup_file() {
	local cmd opt root
	root=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	ACCEPTS="$BATS_FILE_TMPDIR/accepts"
	export ACCEPTS
	for cmd in "${COMMANDS[@]}"; do "$PYFLAME" "$cmd" --help; done >"$BATS_FILE_TMPDIR/helps"
	mapfile -t CANDIDATES < <(
		{
			long_options <"$BATS_FILE_TMPDIR/helps"
			ROOT=$root documented_options
			printf '%s\n' --pid --json --reader --grace --quiet --verbose --version
			short_options <"$BATS_FILE_TMPDIR/helps"
			ROOT=$root readme_rows | cut -d'|' -f2 | grep -oE -- '`-[a-zA-Z],' | tr -d '`,'
			printf '%s\n' -p -j -V -P -d -t
		} | sort -u)
	for cmd in "${COMMANDS[@]}"; do
		for opt in "${CANDIDATES[@]}"; do
			if timeout -k 5 20 "$PYFLAME" "$cmd" "$opt" </dev/null 2>"$BATS_FILE_TMPDIR/err" >/dev/null ||
				! grep -q "unknown option" "$BATS_FILE_TMPDIR/err"; then
				echo "$cmd $opt 1"
			else
				echo "$cmd $opt 0"
			fi
		done
	done >"$ACCEPTS"
}

# Long options named in a text.
long_options() {
	grep -oE -- '--[a-z][a-z-]+' | sort -u
}

# Short options a help text defines: "  -r, --rate" at the start of a line.
short_options() {
	grep -oE -- '^  -[a-zA-Z],' | tr -d ' ,' | sort -u
}

# Does `pyflame CMD OPT` get past the option parser?  (From setup_file's table; no
# operands are given, so nothing runs: an accepted option ends in a missing-operand error.)
accepts() {
	[ "${ACC["$1 $2"]:-}" = 1 ]
}

# The rows of the README's options table ('\|' inside a cell made '/').
readme_rows() {
	grep -E '^\| `-' "$ROOT/README.md" | sed 's/\\|/\//g'
}

# Every option of the man page's entries (.TP) and of the README's options table.
documented_options() {
	{
		awk '/^\.TP/ { getline; print }' "$ROOT/docs/pyflame.1" | sed 's/\\-/-/g'
		readme_rows | cut -d'|' -f2
	} | long_options
}

@test "every command has --help, and every option it lists is documented" {
	missing=()
	for cmd in "${COMMANDS[@]}"; do
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

@test "each command accepts exactly the options its --help lists (parser ⊆ help ⊆ parser)" {
	local bad=() cmd opt help listed
	# a table that lost rows would pass the comparison below: check it is whole
	[ "$(wc -l <"$ACCEPTS")" -gt 200 ]
	for cmd in "${COMMANDS[@]}"; do
		help=$("$PYFLAME" "$cmd" --help)
		while read -r opt; do
			listed=0
			if [[ "$opt" == --* ]]; then
				# (an optional argument follows the name: --async[=all])
				[[ "$help" =~ (^|$'\n')"  "(-[a-zA-Z], |"    ")"$opt"( |\[|$'\n') ]] && listed=1
			else
				[[ "$help" =~ (^|$'\n')"  $opt, " ]] && listed=1
			fi
			[ "${ACC["$cmd $opt"]}" = "$listed" ] ||
				bad+=("$cmd $opt: listed in --help=$listed, the parser says otherwise")
		done < <(grep "^$cmd " "$ACCEPTS" | cut -d' ' -f2)
	done
	printf '# %s\n' "${bad[@]}"
	[ "${#bad[@]}" -eq 0 ]
}

@test "the man page and README name no option that no command accepts" {
	local bad=() opt cmd ok
	while read -r opt; do
		ok=0
		for cmd in "${COMMANDS[@]}"; do
			accepts "$cmd" "$opt" && { ok=1; break; }
		done
		[ "$ok" = 1 ] || bad+=("$opt")
	done < <(documented_options)
	echo "# documented but accepted by no command: ${bad[*]}"
	[ "${#bad[@]}" -eq 0 ]
}

@test "the README's options table names, for each option, exactly the commands that take it" {
	local bad=() row opts cmds opt cmd want
	while IFS= read -r row; do
		opts=$(cut -d'|' -f2 <<<"$row" | long_options)
		cmds=$(cut -d'|' -f3 <<<"$row")
		for opt in $opts; do
			for cmd in "${COMMANDS[@]}"; do
				want=0
				[[ "$cmds" == *"every command"* || ",${cmds// /}," == *",$cmd,"* ]] && want=1
				accepts "$cmd" "$opt" && got=1 || got=0
				[ "$want" = "$got" ] || bad+=("$opt $cmd: README says $want, parser $got")
			done
		done
	done < <(readme_rows)
	printf '# %s\n' "${bad[@]}"
	[ "${#bad[@]}" -eq 0 ]
}

@test "pyflame --help lists every command, and the man page and README name each" {
	run "$PYFLAME" --help
	[ "$status" -eq 0 ]
	for cmd in "${COMMANDS[@]}"; do
		grep -q "^  $cmd " <<<"$output"
		grep -q "pyflame $cmd" "$ROOT/docs/pyflame.1" || grep -q "B pyflame $cmd" "$ROOT/docs/pyflame.1"
		grep -q "pyflame $cmd" "$ROOT/README.md"
	done
	run "$PYFLAME" --version
	[[ "$output" == "pyflame "* ]]
}
