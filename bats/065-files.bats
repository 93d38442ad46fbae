#!/usr/bin/env bats
# The files pyflame writes: created exclusively, never through a symbolic link, never a
# FIFO or a device; nothing pyflame did not create is truncated, replaced or removed.
# The attacker is a real unprivileged user (nobody) in a sticky folder like /tmp; the
# victim is root's pyflame.

load helpers

setup() {
	require_pyflame
	require_python3
	D=$(fresh_dir files)
	S=""
}

teardown() {
	stop_watchdog
	[ -n "$S" ] && rm -rf "$S"
	return 0
}

as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

# A sticky, world-writable folder (like /tmp) where nobody plants things for root's pyflame.
require_sticky() {
	[ "$(id -u)" = 0 ] || skip "needs root: the victim is root's pyflame"
	command -v setpriv >/dev/null || skip "setpriv not installed"
	S=$(mktemp -d /tmp/pyflame-sticky.XXXXXX)
	chmod 1777 "$S"
	# what root owns and an attacker would like overwritten (a stand-in for /etc/shadow)
	echo "precious" >"$D/victim"
	chmod 600 "$D/victim"
}

@test "a symbolic link planted at the raw log's name is not followed, and is left alone" {
	require_sticky
	as_nobody ln -s "$D/victim" "$S/p.raw"
	run_pyflame_split run -r 200 -o "$S/p.svg" -- "$PY3" "$TARGETS/hot.py" 0.5
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(cat "$D/victim")" = "precious" ]
	[ -L "$S/p.raw" ] && [ "$(readlink "$S/p.raw")" = "$D/victim" ]
	grep -q "hot (.*hot.py:[0-9]*)" "$S/p.svg"
	# the log root used instead, beside it, was removed at the end
	[ "$(find "$S" -name 'p-*.raw' | wc -l)" -eq 0 ]
}

@test "a FIFO planted at the raw log's name does not block pyflame or the command" {
	require_sticky
	as_nobody mkfifo -m 666 "$S/f.raw"
	run_pyflame_split run -r 200 -o "$S/f.txt" -- "$PY3" "$TARGETS/hot.py" 0.5
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -p "$S/f.raw" ]
	check_collapsed share "$S/f.txt" "re:hot \(.*hot\.py:[0-9]+\)" 0.8
}

@test "a world-writable file planted at the raw log's name gets none of root's samples" {
	require_sticky
	as_nobody sh -c "echo attacker >'$S/w.raw' && chmod 666 '$S/w.raw'"
	# the attacker keeps it open to read whatever root writes into it
	run_pyflame_split run -r 200 -o "$S/w.txt" -- "$PY3" "$TARGETS/hot.py" 0.5
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(cat "$S/w.raw")" = "attacker" ]
	[ "$(stat -c %U "$S/w.raw")" = nobody ]
	# -v names the log it used instead: a new file of root's, mode 600 while it runs
	run_pyflame_split run -v -r 200 -o "$S/w.txt" -- "$PY3" "$TARGETS/hot.py" 0.3
	grep -q "raw log: '$S/w-[A-Za-z0-9]*\.raw'" <<<"$stderr"
	[ "$(cat "$S/w.raw")" = "attacker" ]
}

@test "another user's file in a sticky folder is not replaced, even by root" {
	require_sticky
	as_nobody sh -c "echo theirs >'$S/theirs.svg'"
	run_pyflame_split run -o "$S/theirs.svg" -- "$PY3" -c 'open("'"$D"'/ran", "w")'
	echo "$stderr"
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	grep -q "refusing to write '$S/theirs.svg': it belongs to uid [0-9]* in a shared directory" <<<"$stderr"
	[ "$(cat "$S/theirs.svg")" = "theirs" ]
	[ ! -e "$D/ran" ]	# checked before the command starts
}

@test "an unrelated FILE.raw beside -o FILE.svg is neither truncated nor removed" {
	echo "mine" >"$D/ls.raw"
	run_pyflame_split run -o "$D/ls.svg" -- ls "$D"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(cat "$D/ls.raw")" = "mine" ]
	[ ! -e "$D/ls.svg" ]
	run_pyflame_split run -r 200 -o "$D/ls.svg" -- "$PY3" "$TARGETS/hot.py" 0.3
	[ "$status" -eq 0 ]
	[ "$(cat "$D/ls.raw")" = "mine" ]
	grep -q "hot (.*hot.py:[0-9]*)" "$D/ls.svg"
	[ "$(ls -A "$D" | sort | tr '\n' ' ')" = "ls.raw ls.svg " ]
}

@test "-o on a device, a FIFO or a symbolic link is refused before the command starts" {
	echo "precious" >"$D/victim"
	ln -s "$D/victim" "$D/link.svg"
	mkfifo "$D/fifo.txt"
	for out in link.svg fifo.txt; do
		run_pyflame_split run -o "$D/$out" -- "$PY3" -c 'open("'"$D"'/ran", "w")'
		echo "$stderr"
		[ "$status" -eq 2 ]
		assert_one_error_line "$stderr"
		grep -q "refusing to write '$D/$out': it is a" <<<"$stderr"
		[ ! -e "$D/ran" ]
	done
	[ -L "$D/link.svg" ] && [ -p "$D/fifo.txt" ] && [ "$(cat "$D/victim")" = "precious" ]
	[ "$(id -u)" = 0 ] || skip "needs root to make a device node"
	mknod "$D/null" c 1 3
	run_pyflame_split run -f collapsed -o "$D/null" -- "$PY3" -c 'pass'
	[ "$status" -eq 2 ]
	grep -q "refusing to write '$D/null': it is a device" <<<"$stderr"
	[ -c "$D/null" ]
}

@test "a run killed with SIGKILL leaves its raw log and nothing else" {
	bg_pyflame /dev/null run -r 200 -o "$D/k.svg" -o "$D/k.txt" -- "$PY3" "$TARGETS/hot.py" 30 "$D/pid"
	pf=$PF
	wait_for_file "$D/pid"
	wait_for_file "$D/k.raw"
	kill -KILL "$pf"
	wait "$pf" || true
	kill -9 "$(cat "$D/pid")" 2>/dev/null || true
	rm -f "$D/pid"
	# the outputs were unnamed files: nothing of them is left to clean up
	ls -A "$D"
	[ "$(ls -A "$D")" = "k.raw" ]
}

@test "a profile that cannot be written (disk full) makes pyflame exit 125" {
	[ "$(id -u)" = 0 ] || skip "needs root to mount a small file system"
	command -v unshare >/dev/null || skip "unshare not installed"
	mkdir "$D/full"
	unshare -m true 2>/dev/null || skip "no mount namespaces here"
	run --separate-stderr unshare -m sh -c '
		mount -t tmpfs -o size=64k tmpfs "$1" || exit 99
		dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null
		shift
		timeout -k 5 120 "$@"' sh "$D/full" \
		"$PYFLAME" run -r 200 -o "$D/full/p.svg" -- "$PY3" "$TARGETS/hot.py" 0.3
	echo "$stderr"
	[ "$status" -ne 99 ] || skip "cannot mount a tmpfs here"
	[ "$status" -eq 125 ]
	grep -q "cannot write '$D/full/p.svg': No space left on device" <<<"$stderr"
}

@test "a FIFO as \$GITHUB_STEP_SUMMARY is refused, not waited on with the command running" {
	mkfifo "$D/summary"
	GITHUB_STEP_SUMMARY="$D/summary" run_pyflame_split run -r 200 -o "$D/s.txt" -- "$PY3" "$TARGETS/hot.py" 0.3
	echo "$stderr"
	[ "$status" -eq 0 ]
	grep -q "warning: cannot append to \$GITHUB_STEP_SUMMARY ('$D/summary')" <<<"$stderr"
	check_collapsed share "$D/s.txt" "re:hot \(.*hot\.py:[0-9]+\)" 0.8
	[ -p "$D/summary" ]
}
