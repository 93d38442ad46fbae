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
	# a failed test leaves its processes: they must not outlive it
	[ -n "${SVC:-}" ] && kill "$SVC" 2>/dev/null
	[ -n "${VICTIM:-}" ] && kill "$VICTIM" 2>/dev/null
	[ -n "${D:-}" ] && rm -rf "$D"
	return 0
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
	# and the targets it runs: the checkout may be a 0700 directory (mktemp -d)
	cp "$TARGETS/service.py" "$D/service.py" && chmod 644 "$D/service.py"
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

# --- a compromised sampler (LD_PRELOAD stands in for an exploited parser) ------------------

# hostile_run USER... : pyflame run under build/helpers/hostile.so, as root or (with
# as_nobody) as nobody; the attacker wants $D/file moved into $D/cron, chmod'ed, written,
# removed, $D/secret read, and $VICTIM (an unrelated process of the same user) killed,
# traced and read.
hostile_run() {
	local so="$HELPERS/hostile.so"
	[ -f "$so" ] || skip "build/helpers/hostile.so not built (make bats builds it)"
	cp "$so" "$D/hostile.so" && chmod 755 "$D/hostile.so"
	mkdir -m 755 "$D/cron"	# root's, like /etc/cron.d
	echo data >"$D/file" && chmod 666 "$D/file"
	echo secret >"$D/secret" && chmod 600 "$D/secret"
	"$@" sleep 300 3>&- &
	VICTIM=$!
	run --separate-stderr "$@" timeout 60 env HOSTILE_FILE="$D/file" HOSTILE_DIR="$D/cron" \
		HOSTILE_SECRET="$D/secret" HOSTILE_VICTIM="$VICTIM" LD_PRELOAD="$D/hostile.so" \
		"$D/pyflame" run -r 200 -o "$D/h.txt" -- "$NPY" "$D/hot.py" 0.5
	echo "$stderr"
}

assert_refused() {
	local what
	for what in "$@"; do
		grep -q "^hostile: $what refused (Operation not permitted)$" <<<"$stderr" ||
			{ echo "escape '$what' was not refused by the sandbox"; return 1; }
	done
}

# What a compromised sampler must not have done, whoever ran it.
assert_nothing_escaped() {
	[ "$(cat "$D/file")" = data ]
	[ "$(stat -c %a "$D/file")" = 666 ]
	[ -z "$(ls -A "$D/cron")" ]
	[ -d "/proc/$VICTIM" ] && [ "$(proc_state "$VICTIM")" != Z ]
	grep -q "TracerPid:[[:space:]]*0$" "/proc/$VICTIM/status"
	kill "$VICTIM"
	VICTIM=
	# sampling went on and the profile was written
	[ "$status" -eq 0 ]
	check_collapsed share "$D/h.txt" "re:hot \(.*hot\.py:[0-9]+\)" 0.8
}

@test "a compromised sampler in root's pyflame cannot write, move, chmod, signal or trace outside its tree" {
	require_root_and_setpriv
	hostile_run
	assert_refused rename link symlink unlink chmod fchmod open-write open-create \
		open-tmpfile mkdir kill kill-group ptrace-seize ptrace-attach ptrace-poke execve
	assert_nothing_escaped
	# the refusals are named, once, as a bug (a real pyflame never tries them)
	grep -q "the sandbox refused system call 'rename'" <<<"$stderr"
}

@test "a compromised sampler in a user's pyflame cannot touch that user's other processes or root's files" {
	require_root_and_setpriv
	hostile_run setpriv --reuid=nobody --regid=nogroup --clear-groups
	assert_refused rename link symlink unlink chmod fchmod open-write open-create \
		open-tmpfile mkdir kill kill-group ptrace-seize ptrace-attach ptrace-poke execve
	grep -q "^hostile: read-secret refused (Permission denied)$" <<<"$stderr"
	assert_nothing_escaped
}

# --- file capabilities (setcap cap_sys_ptrace+ep) ----------------------------------------

# A copy of pyflame with CAP_SYS_PTRACE as a file capability, in $D.
require_setcap_copy() {
	require_root_and_setpriv
	command -v setcap >/dev/null || skip "setcap not installed"
	setcap cap_sys_ptrace+ep "$D/pyflame" || skip "this file system does not keep file capabilities"
}

# start_service_as [setpriv ARGS...]: the service, as root or as another user; SVC is its pid.
start_service_as() {
	"$@" "$NPY" "$D/service.py" "$D/svc.pid" "$D" 3>&- &
	SVC=$!
	wait_for_file "$D/svc.pid"
	sleep 0.3
}

stop_service() {
	touch "$D/stop"
	wait "$SVC" || true
	SVC=
}

@test "with file capabilities, dump and attach of another user's process are refused with 125" {
	require_setcap_copy
	start_service_as	# root's
	for cmd in dump attach; do
		if [ "$cmd" = attach ]; then
			run --separate-stderr as_nobody timeout 60 "$D/pyflame" attach -p "$SVC" -o "$D/x.txt"
		else
			run --separate-stderr as_nobody timeout 60 "$D/pyflame" dump -p "$SVC"
		fi
		echo "$stderr"
		[ "$status" -eq 125 ]
		[ -z "$output" ]
		assert_one_error_line "$stderr"
		grep -q "refusing to read process $SVC: it runs as uid 0" <<<"$stderr"
		grep -q "^hint: run pyflame as the user who owns process $SVC, or as root" <<<"$stderr"
		grep -q "TracerPid:[[:space:]]*0$" "/proc/$SVC/status"
		[ "$(proc_state "$SVC")" != t ]
	done
	stop_service
}

@test "with file capabilities, a user dumps and attaches to their own process" {
	require_setcap_copy
	start_service_as setpriv --reuid=nobody --regid=nogroup --clear-groups
	run --separate-stderr as_nobody timeout 60 "$D/pyflame" dump -p "$SVC"
	echo "$stderr"
	[ "$status" -eq 0 ]
	grep -q "in crunch_numbers$" <<<"$output"
	run --separate-stderr as_nobody timeout 60 "$D/pyflame" attach -p "$SVC" --duration 1 -r 200 -o "$D/own.txt"
	echo "$stderr"
	[ "$status" -eq 0 ]
	check_collapsed share "$D/own.txt" "re:.*crunch_numbers \(.*service.py:[0-9]+\)" 0.2
	stop_service
}

@test "root dumps and attaches to another user's process with the default reader" {
	require_root_and_setpriv
	start_service_as setpriv --reuid=nobody --regid=nogroup --clear-groups
	run_pyflame_split dump -p "$SVC"
	echo "$stderr"
	[ "$status" -eq 0 ]
	grep -q "in crunch_numbers$" <<<"$output"
	run_pyflame_split attach -p "$SVC" --duration 1 -r 200 -o "$D/root.txt"
	echo "$stderr"
	[ "$status" -eq 0 ]
	check_collapsed share "$D/root.txt" "re:.*crunch_numbers \(.*service.py:[0-9]+\)" 0.2
	# a reader that cannot work here is a failure of pyflame's: 125, whatever the command
	run_pyflame_split dump --reader mem -p "$SVC"
	echo "$stderr"
	[ "$status" -eq 125 ]
	run_pyflame_split attach --reader mem -p "$SVC" --duration 0.5 -o "$D/mem.txt"
	echo "$stderr"
	[ "$status" -eq 125 ]
	stop_service
}

@test "with file capabilities, run never lets a set-user-ID command gain privileges, and says so" {
	require_setcap_copy
	cp /usr/bin/id "$D/suid-id" && chmod 4755 "$D/suid-id"
	cd "$D"
	run --separate-stderr as_nobody timeout 60 "$D/pyflame" run -- "$D/suid-id" -u
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "$(id -u nobody)" ]	# euid: the set-user-ID bit was not honoured
	grep -q "warning: '$D/suid-id' is set-user-ID" <<<"$stderr"
}

@test "a privileged program the command runs is named once: traced, it runs without its privilege" {
	require_root_and_setpriv
	cp /usr/bin/id "$D/suid-id" && chmod 4755 "$D/suid-id"
	cp /usr/bin/sleep "$D/suid-sleep" && chmod 4755 "$D/suid-sleep"
	[ "$(as_nobody "$D/suid-id" -u)" = 0 ] || skip "set-user-ID bits are not honoured here (nosuid?)"
	cd "$D"
	# from Python (its children's execs are reported at once, however short they run), and
	# from a shell (seen by the exec check of a process pyflame is not sampling)
	run --separate-stderr as_nobody timeout 60 "$D/pyflame" run -q -o "$D/g.txt" -- "$NPY" -c "
import subprocess as s
for _ in range(2):
    s.run(['$D/suid-id', '-u'])
s.run(['sh', '-c', '$D/suid-sleep 0.3; $D/suid-sleep 0.3; true'])"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	nobody=$(id -u nobody)
	[ "$output" = "$(printf '%s\n%s' "$nobody" "$nobody")" ]	# not honoured, as under any tracer
	[ "$(grep -c "process [0-9]* runs '$D/suid-id', which is set-user-ID: traced, it runs without" <<<"$stderr")" -eq 1 ]
	[ "$(grep -c "process [0-9]* runs '$D/suid-sleep', which is set-user-ID" <<<"$stderr")" -eq 1 ]
	[ "$(grep -c '^hint: .*--no-follow' <<<"$stderr")" -eq 1 ]
	# the command itself, named by a relative path: once, before it starts, also under -q
	run --separate-stderr as_nobody timeout 60 "$D/pyflame" run -q -o "$D/c.txt" -- ./suid-sleep 0.3
	echo "$stderr"
	[ "$(grep -c "suid-sleep.* is set-user-ID" <<<"$stderr")" -eq 1 ]
	grep -q "warning: './suid-sleep' is set-user-ID" <<<"$stderr"
	# what the hint says: with --no-follow the processes the command starts are not traced
	run --separate-stderr as_nobody timeout 60 "$D/pyflame" run -q --no-follow -o "$D/h.txt" -- \
		"$NPY" -c "import subprocess as s; s.run(['$D/suid-id', '-u'])"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
	[[ "$stderr" != *"set-user-ID"* ]]
	# file capabilities are named too
	command -v setcap >/dev/null || return 0
	cp /usr/bin/id "$D/cap-id" && setcap cap_net_raw+ep "$D/cap-id" || return 0
	run --separate-stderr as_nobody timeout 60 "$D/pyflame" run -q -o "$D/k.txt" -- \
		"$NPY" -c "import subprocess as s; s.run(['$D/cap-id', '-u'])"
	echo "$stderr"
	[ "$status" -eq 0 ]
	grep -q "runs '$D/cap-id', which is given file capabilities" <<<"$stderr"
}
