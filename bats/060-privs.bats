#!/usr/bin/env bats
# No privileges: capabilities, the seccomp sandbox, non-root users, refused memory reads.

load helpers

setup() {
	require_pyflame
	require_python3
	# not under bats' temporary directory: user nobody must be able to reach it
	D=$(mktemp -d /tmp/pyflame-privs.XXXXXX)
	chmod 755 "$D"
	HELPERS=${PYFLAME_HELPERS:-$BATS_DIR/../build/helpers}
}

# A system Python that user nobody can run (pyenv builds usually live under /root).
nobody_python() {
	local p
	for p in /usr/bin/python3 "$PY3"; do
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$p" -c pass 2>/dev/null && { echo "$p"; return 0; }
	done
	return 1
}

teardown() {
	[ -n "${D:-}" ] && rm -rf "$D"
}

as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

require_root_and_setpriv() {
	[ "$(id -u)" = 0 ] || skip "needs root to switch to user nobody"
	command -v setpriv >/dev/null || skip "setpriv not installed"
	NPY=$(nobody_python) || skip "no Python that user nobody may run"
	chmod 777 "$D"
	# the binary must be reachable by nobody too
	cp "$PYFLAME" "$D/pyflame" && chmod 755 "$D/pyflame"
	cp "$TARGETS/hot.py" "$D/hot.py" && chmod 644 "$D/hot.py"
}

@test "doctor says what this machine allows and finds a working reader" {
	run_pyflame_split doctor
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q "yama ptrace_scope" <<<"$output"
	grep -Eq "reader (vm|mem|peek) +ok" <<<"$output"
	grep -q "seccomp sandbox" <<<"$output"
	run_pyflame_split doctor extra
	[ "$status" -eq 2 ]
}

@test "a non-root user profiles their own command" {
	require_root_and_setpriv
	run --separate-stderr as_nobody timeout 60 "$D/pyflame" run -r 200 -o "$D/n.txt" -- "$NPY" "$D/hot.py" 1
	echo "$stderr"
	[ "$status" -eq 0 ]
	check_collapsed share "$D/n.txt" "re:hot \(.*hot\.py:[0-9]+\)" 0.8 "re:main \(.*hot\.py:[0-9]+\)"
}

@test "while sampling pyflame holds no capability, has no-new-privs and a seccomp filter" {
	require_root_and_setpriv
	as_nobody timeout 60 "$D/pyflame" run -o "$D/c.txt" -- "$NPY" "$D/hot.py" 3 "$D/pid" 2>/dev/null 3>&- &
	pf=$!
	wait_for_file "$D/pid"
	sleep 0.5
	pyf=$(pgrep -n -x -u nobody pyflame)
	grep Cap /proc/"$pyf"/status
	grep -q "^CapEff:[[:space:]]*0*$" /proc/"$pyf"/status
	grep -q "^CapPrm:[[:space:]]*0*$" /proc/"$pyf"/status
	grep -q "^NoNewPrivs:[[:space:]]*1$" /proc/"$pyf"/status
	grep -q "^Seccomp:[[:space:]]*2$" /proc/"$pyf"/status
	wait "$pf"
}

@test "a command never inherits a file capability given to pyflame" {
	require_root_and_setpriv
	command -v setcap >/dev/null || skip "setcap not installed"
	setcap cap_sys_ptrace+ep "$D/pyflame" || skip "this file system does not keep file capabilities"
	cd "$D"	# the default output goes here: nobody must be able to write it
	run --separate-stderr as_nobody timeout 60 "$D/pyflame" run -q -- "$NPY" -c '
import sys
for line in open("/proc/self/status"):
    if line.startswith(("CapEff", "CapPrm", "CapInh", "CapAmb")):
        sys.stdout.write(line)'
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q "^CapEff:[[:space:]]*0*$" <<<"$output"
	grep -q "^CapPrm:[[:space:]]*0*$" <<<"$output"
	grep -q "^CapAmb:[[:space:]]*0*$" <<<"$output"
}

@test "-v says the sandbox is on; --no-sandbox turns it off" {
	run_pyflame_split run -v -o "$D/s.txt" -- "$PY3" "$TARGETS/hot.py" 0.3
	[ "$status" -eq 0 ]
	grep -q "sandbox: on" <<<"$stderr"
	! grep -q "refused system call" <<<"$stderr"
	run_pyflame_split run -v --no-sandbox -o "$D/s.txt" -- "$PY3" "$TARGETS/hot.py" 0.3
	[ "$status" -eq 0 ]
	grep -q "sandbox: off" <<<"$stderr"
}

@test "process_vm_readv refused (Docker's default): pyflame falls back to /proc/PID/mem and says so" {
	[ -x "$HELPERS/deny_vmread" ] || skip "build/helpers/deny_vmread not built (make bats builds it)"
	run --separate-stderr "$HELPERS/deny_vmread" -- timeout 60 "$PYFLAME" run -r 200 -o "$D/m.txt" -- "$PY3" "$TARGETS/hot.py" 1
	echo "$stderr"
	[ "$status" -eq 0 ]
	grep -q "reading memory with 'mem' instead" <<<"$stderr"
	check_collapsed share "$D/m.txt" "re:hot \(.*hot\.py:[0-9]+\)" 0.8 "re:main \(.*hot\.py:[0-9]+\)"
}

@test "process_vm_readv and /proc/PID/mem refused: PTRACE_PEEKDATA still profiles correctly" {
	[ -x "$HELPERS/deny_vmread" ] || skip "build/helpers/deny_vmread not built (make bats builds it)"
	line=$(line_of "$TARGETS/hot.py" "# HOT")
	run --separate-stderr "$HELPERS/deny_vmread" --mem -- timeout 60 "$PYFLAME" run -r 200 -o "$D/p.txt" -- "$PY3" "$TARGETS/hot.py" 1
	echo "$stderr"
	[ "$status" -eq 0 ]
	grep -q "reading memory with 'peek' instead" <<<"$stderr"
	# of the samples taken once main() runs (a busy machine stretches the start-up before
	# it, which the profile rightly shows), the hot line has the lion's share
	within="re:main \(.*hot\.py:[0-9]+\)"
	check_collapsed share "$D/p.txt" "re:hot \(.*hot\.py:$line\)" 0.8 "$within"
	run_pyflame_split run --reader peek -r 200 -o "$D/q.txt" -- "$PY3" "$TARGETS/hot.py" 0.5
	[ "$status" -eq 0 ]
	check_collapsed share "$D/q.txt" "re:hot \(.*hot\.py:$line\)" 0.8 "$within"
}
