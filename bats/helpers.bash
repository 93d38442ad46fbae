# helpers.bash - shared by every bats/*.bats file: the binary, interpreters, waiting.
#
# PYFLAME          the binary under test (default: build/pyflame next to bats/)
# PYFLAME_TEST_PYTHONS  extra interpreters, colon-separated
# PYFLAME_TEST_ONLY_LISTED=1  use only $PYFLAME_TEST_PYTHONS (no pyenv, no /usr/bin, no cache)
# PYFLAME_PYTHONS_DIR   where scripts/fetch-pythons.sh keeps real CPython builds that the
#                       system lacks (default ~/.cache/pyflame/pythons); its pythons.txt
#                       lists them (PIE, non-PIE, debug), and every one is tested

BATS_DIR=$(cd "$BATS_TEST_DIRNAME" && pwd -P)
TARGETS="$BATS_DIR/targets"
: "${PYFLAME:=$BATS_DIR/../build/pyflame}"
export PYFLAME

if type -t bats_require_minimum_version >/dev/null; then
	bats_require_minimum_version 1.5.0	# run --separate-stderr
fi

# Run pyflame under bats' `run`, never longer than two minutes.
run_pyflame() {
	run timeout -k 5 120 "$PYFLAME" "$@"
}

# The same with stderr apart: $output is stdout, $stderr is stderr.
# A first argument like -127 is passed to `run` (the expected status, see BW01).
run_pyflame_split() {
	local expect=()

	if [[ "${1:-}" =~ ^-[0-9]+$ ]]; then
		expect=("$1")
		shift
	fi
	run "${expect[@]}" --separate-stderr timeout -k 5 120 "$PYFLAME" "$@"
}

# --- interpreters ------------------------------------------------------------------------

# Print "VERSION PATH" for every usable interpreter, deduplicated by realpath, sorted by
# version.  Cached per bats run: discovery starts a dozen interpreters.
_discover_pythons() {
	local cands=() c root v real seen=" "

	[ "${PYFLAME_TEST_ONLY_LISTED:-0}" = 1 ] || for root in "$(pyenv root 2>/dev/null)" "${PYENV_ROOT:-}" "$HOME/.pyenv" /root/.pyenv; do
		[ -n "$root" ] && [ -d "$root/versions" ] || continue
		for c in "$root"/versions/*/bin/python2.7 "$root"/versions/*/bin/python3.*; do
			cands+=("$c")
		done
	done
	[ "${PYFLAME_TEST_ONLY_LISTED:-0}" = 1 ] || for c in /usr/bin/python3 /usr/bin/python3.* /usr/local/bin/python3.*; do
		cands+=("$c")
	done
	local fetched=" " list
	list="$(fetched_pythons_dir)/pythons.txt"
	if [ "${PYFLAME_TEST_ONLY_LISTED:-0}" != 1 ] && [ -s "$list" ]; then
		while read -r c; do
			[ -n "$c" ] && cands+=("$c") && fetched="$fetched$c "
		done <"$list"
	fi
	if [ -n "${PYFLAME_TEST_PYTHONS:-}" ]; then
		local IFS=:
		# shellcheck disable=SC2206
		cands+=($PYFLAME_TEST_PYTHONS)
		unset IFS
	fi
	for c in "${cands[@]}"; do
		case "${c##*/}" in
		python2.7 | python3 | python3.[0-9] | python3.[0-9][0-9] | python3.[0-9]d | python3.[0-9][0-9]d) ;;
		*)
			[[ "$fetched" == *" $c "* ]] ||
				{ [ -n "${PYFLAME_TEST_PYTHONS:-}" ] && [[ ":$PYFLAME_TEST_PYTHONS:" == *":$c:"* ]]; } ||
				continue
			;;
		esac
		[ -f "$c" ] && [ -x "$c" ] || continue
		real=$(readlink -f "$c") || continue
		[[ "$seen" == *" $real "* ]] && continue
		seen="$seen$real "
		v=$("$c" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
		case "$v" in
		2.7 | 3.[6-9] | 3.[1-9][0-9]) echo "$v $c" ;;
		esac
	done | sort -t. -k1,1n -k2,2n -s
}

# The folder of scripts/fetch-pythons.sh (it may not exist).
fetched_pythons_dir() {
	echo "${PYFLAME_PYTHONS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pyflame/pythons}"
}

# The root folder of the fetched builds (usr/ under it), when a fetched PATH is one of them.
fetched_root_of() {
	local d
	d=$(fetched_pythons_dir)/root
	case "$1" in "$d"/*) echo "$d" ;; *) return 1 ;; esac
}

# All interpreters as "VERSION PATH" lines.
pythons() {
	local cache="${BATS_RUN_TMPDIR:-${TMPDIR:-/tmp}}/pyflame-bats-pythons.txt"

	if [ ! -s "$cache" ]; then
		_discover_pythons >"$cache.$$"
		mv -f "$cache.$$" "$cache"
	fi
	cat "$cache"
}

# version_ge 3.11 3.9 -> false
version_ge() {
	local a_maj=${1%%.*} a_min=${1#*.} b_maj=${2%%.*} b_min=${2#*.}
	[ "$a_maj" -gt "$b_maj" ] || { [ "$a_maj" -eq "$b_maj" ] && [ "$a_min" -ge "$b_min" ]; }
}

# "VERSION PATH" lines of interpreters at least MIN (and at most MAX if given).
pythons_between() {
	local min=$1 max=${2:-99.99} v p

	while read -r v p; do
		[ -n "$v" ] || continue
		version_ge "$v" "$min" && version_ge "$max" "$v" && echo "$v $p"
	done < <(pythons)
}

# A Python 3 to run the checkers and the non-profiling targets: the newest found, but not
# a debug build (several times slower) nor a fetched one while the machine has its own.
checker_python() {
	local line v p

	line=$(pythons_between 3.6 | while read -r v p; do
		case "$p" in *d) continue ;; esac
		fetched_root_of "$p" >/dev/null && continue
		echo "$v $p"
	done | tail -n 1)
	[ -n "$line" ] || line=$(pythons_between 3.6 | tail -n 1)
	[ -n "$line" ] || return 1
	echo "${line#* }"
}

# Set PY3 (path) for tests that need any Python 3; skip the test if there is none.
# PYFLAME_TEST_PY3 picks it (e.g. to run the stress suite on each interpreter in turn).
require_python3() {
	PY3=${PYFLAME_TEST_PY3:-$(checker_python)} || skip "no Python 3 interpreter found"
	export PY3
}

# for_each_python MIN FN [ARGS...]: run "FN VERSION PATH ARGS..." for each interpreter at
# least MIN; every interpreter is tried, the failures are listed at the end.  Skips the
# test when no interpreter qualifies.
for_each_python() {
	local min=$1 fn=$2 v p n=0 rc failed=()
	shift 2

	while read -r v p; do
		[ -n "$v" ] || continue
		n=$((n + 1))
		echo "# ---- Python $v ($p)"
		# set -e holds inside the subshell only if the subshell is not a tested command
		set +e
		(set -e; "$fn" "$v" "$p" "$@")
		rc=$?
		set -e
		if [ "$rc" -ne 0 ]; then
			echo "# FAILED on Python $v ($p)"
			failed+=("$v:$p")
		fi
	done < <(pythons_between "$min")
	[ "$n" -gt 0 ] || skip "no Python >= $min found"
	if [ "${#failed[@]}" -gt 0 ]; then
		echo "# failed on: ${failed[*]}"
		return 1
	fi
}

# --- checking ------------------------------------------------------------------------------

# check_collapsed SUBCOMMAND ARGS...: bats/check_collapsed.py with the checker Python.
check_collapsed() {
	"$(checker_python)" "$BATS_DIR/check_collapsed.py" "$@"
}

# Line number of the first line of FILE containing MARKER (a comment like "# HOT").
line_of() {
	local n

	n=$(grep -n -F -- "$2" "$1" | head -n 1 | cut -d: -f1)
	[ -n "$n" ] || { echo "marker '$2' not in $1" >&2; return 1; }
	echo "$n"
}

# Every line of stderr text (in $1) is a pyflame message: "pyflame: ..." or "hint: ...",
# and there is exactly one "pyflame: " line that is not a warning.
assert_one_error_line() {
	local text=$1 line errors=0

	[ -n "$text" ] || { echo "expected an error message, stderr is empty"; return 1; }
	while IFS= read -r line; do
		case "$line" in
		"pyflame: warning: "*) ;;
		"pyflame: "*) errors=$((errors + 1)) ;;
		"hint: "*) ;;
		*) echo "unexpected stderr line: '$line'"; return 1 ;;
		esac
	done <<<"$text"
	[ "$errors" -eq 1 ] || { echo "expected one 'pyflame: ' error line, got $errors:"; echo "$text"; return 1; }
}

# wait_for_file FILE [TRIES]: wait (up to TRIES*0.05 s, default 30 s) for FILE to exist and
# be non-empty.  A bound against hangs, not a timing assertion.
wait_for_file() {
	local i tries=${2:-600}

	for ((i = 0; i < tries; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for $1" >&2
	return 1
}

# State letter of a process from /proc/PID/stat (empty if gone).
proc_state() {
	local stat

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	echo "${stat%% *}"
}

# wait_for_state PID LETTERS: wait until the state of PID is one of LETTERS.
wait_for_state() {
	local i s

	for ((i = 0; i < 600; i++)); do
		s=$(proc_state "$1")
		[ -n "$s" ] && [[ "$2" == *"$s"* ]] && return 0
		sleep 0.05
	done
	echo "process $1 never reached state [$2] (last: '$s')" >&2
	return 1
}

# wait_for_exit PID: wait (bounded) for a process that is not our child to go away.
wait_for_exit() {
	local i

	for ((i = 0; i < 600; i++)); do
		[ -e "/proc/$1" ] || return 0
		[ "$(proc_state "$1")" = Z ] && return 0
		sleep 0.05
	done
	return 1
}

# The pyflame binary must exist for everything else to make sense.
require_pyflame() {
	[ -x "$PYFLAME" ] || {
		echo "PYFLAME=$PYFLAME is not an executable; run 'make' first" >&2
		return 1
	}
}

# check_svg SUBCOMMAND ARGS...: bats/check_svg.py with the checker Python.
check_svg() {
	"$(checker_python)" "$BATS_DIR/check_svg.py" "$@"
}

# The SVG is well-formed XML: xmllint when installed, else Python's parser.
assert_svg_wellformed() {
	if command -v xmllint >/dev/null; then
		xmllint --noout "$1"
	fi
	check_svg wellformed "$1"
}

# A fresh directory under the test's temporary directory.
fresh_dir() {
	mktemp -d "$BATS_TEST_TMPDIR/${1:-d}.XXXXXX"
}

# bg_pyflame ERRFILE ARGS...: start pyflame in the background (its stderr to ERRFILE), with
# a 60 s watchdog against hangs; PF is pyflame's own pid (signals go to it, not to a wrapper).
bg_pyflame() {
	local err=$1
	shift
	"$PYFLAME" "$@" 2>"$err" 3>&- &
	PF=$!
	( sleep 60; kill -9 "$PF" ) >/dev/null 2>&1 3>&- &
	WATCHDOG=$!
}

# Stop the watchdog of bg_pyflame (call from teardown).
stop_watchdog() {
	[ -n "${WATCHDOG:-}" ] && kill "$WATCHDOG" 2>/dev/null || true
}
