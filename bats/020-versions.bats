#!/usr/bin/env bats
# The version matrix: on EVERY interpreter found (2.7, 3.6+), the stacks a target records
# of itself (threads, a generator driven by a method, a recursion, a non-ASCII name on
# Python 3) must each be sampled exactly: same frames, names, files and lines.

load helpers

setup() {
	require_pyflame
	require_python3	# for the checker
}

matrix_one() {
	local d

	d=$(fresh_dir "py$1")
	timeout -k 5 120 "$PYFLAME" run -q -o "$d/p.txt" -- "$2" "$TARGETS/stacks.py" "$d/expected.json" 1.5
	[ -s "$d/expected.json" ] || { echo "the target did not finish"; false; }
	check_collapsed format "$d/p.txt"
	"$(checker_python)" "$BATS_DIR/check_stacks.py" "$d/p.txt" "$d/expected.json"
}

@test "versions: every interpreter's recorded stacks are sampled exactly" {
	pythons | sed 's/^/# found: /'
	for_each_python 2.7 matrix_one
}

matrix_one_threads() {
	local d

	d=$(fresh_dir "py$1")
	timeout -k 5 120 "$PYFLAME" run -q --threads -o "$d/p.txt" -- "$2" "$TARGETS/stacks.py" "$d/expected.json" 1
	check_collapsed --threads format "$d/p.txt"
	# three Python threads, each with a thread frame of its own
	[ "$(check_collapsed --threads threads "$d/p.txt")" -ge 3 ]
}

@test "versions: --threads gives each of the three threads its frame, on every interpreter" {
	for_each_python 2.7 matrix_one_threads
}

# The real builds of CPythons the system does not package (scripts/fetch-pythons.sh): say
# which are tested, and which are not and why, so a run without them is not taken for one
# with them.
@test "versions: the real 3.14 and 3.15 builds (PIE, non-PIE, debug) are found when fetched" {
	local list m kind p
	list="$(fetched_pythons_dir)/pythons.txt"
	[ -s "$list" ] || skip "no fetched builds in $(fetched_pythons_dir) (run scripts/fetch-pythons.sh)"
	for m in 3.14 3.15; do
		for kind in "" -nopie d; do
			p="$(fetched_root_of "$(head -n 1 "$list")")/usr/bin/python$m$kind"
			if grep -qx "$p" "$list"; then
				pythons | grep -q " $p\$" || { echo "$p is fetched but not discovered"; false; }
				echo "# tested: $p"
			else
				echo "# not fetched: python$m$kind"
			fi
		done
	done
}

# A CPython newer than pyflame knows: one line that names its version and says pyflame
# needs an update; the command runs on.  A real interpreter whose files claim 3.16.
@test "versions: a CPython newer than pyflame knows gets one line naming it, in run, attach and dump" {
	local v p src="" root d pid
	while read -r v p; do
		case "$p" in *d) continue ;; esac
		src=$p
	done < <(pythons_between 3.11)
	[ -n "$src" ] || skip "no Python >= 3.11 (with Py_Version) found"
	d=$(fresh_dir newer)
	"$(checker_python)" "$BATS_DIR/patch_version.py" "$src" "$d/python3" 0x031000f0
	chmod +x "$d/python3"
	if root=$(fetched_root_of "$src"); then
		export PYTHONHOME="$root/usr"
	fi
	echo "# $src, claiming 3.16.0"

	run_pyflame_split run -o "$d/p.txt" -- "$d/python3" -c 'print("ran")'
	[ "$status" -eq 0 ]
	[ "$output" = ran ]
	echo "$stderr"
	[ "$(grep -c 'CPython 3.16.0 is newer than this pyflame, which knows up to 3\.[0-9]*: pyflame needs an update' <<<"$stderr")" -eq 1 ]

	"$d/python3" -c 'import time; time.sleep(60)' &
	pid=$!
	run_pyflame_split dump -p "$pid"
	echo "$stderr"
	[ "$status" -ne 0 ]
	[ "$(grep -c "process $pid .*CPython 3.16.0 is newer than this pyflame" <<<"$stderr")" -eq 1 ]
	run_pyflame_split attach -p "$pid" --duration 0.3 -o "$d/a.txt"
	[ "$(grep -c "CPython 3.16.0 is newer than this pyflame" <<<"$stderr")" -eq 1 ]
	kill "$pid"
}
