#!/usr/bin/env bats
# The command's exit status, death by signal and standard streams pass through unchanged.

load helpers

setup() {
	require_pyflame
	require_python3
	cd "$BATS_TEST_TMPDIR"
}

@test "exit: status 0 and 3 pass through (shell and Python)" {
	run_pyflame run -q -- sh -c 'exit 0'
	[ "$status" -eq 0 ]
	run_pyflame run -q -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	run_pyflame run -q -o p.txt -- "$PY3" -c 'import sys; sys.exit(3)'
	[ "$status" -eq 3 ]
	run_pyflame run -q -o p.txt -- "$PY3" -c 'pass'
	[ "$status" -eq 0 ]
	run_pyflame run -q -- sh -c 'exit 255'
	[ "$status" -eq 255 ]
}

@test "exit: a Python command that kills itself with SIGTERM -> pyflame dies by SIGTERM (143), profile written" {
	run_pyflame_split run -q -o p.txt -- "$PY3" -c '
import os, signal, time
def spin():
    end = time.time() + 0.5
    while time.time() < end: pass
spin()
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(10)'
	[ "$status" -eq 143 ]
	[ -s p.txt ]
	check_collapsed format p.txt
	check_collapsed share p.txt 're:spin \(<string>:5\)' 0.5
}

@test "exit: SIGSEGV in the command (ctypes.string_at(0)) -> 139, no core file from pyflame" {
	# Core dumps on, but the target turns off its own: any core file here is pyflame's.
	ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -H -c)" || true
	run_pyflame_split run -q -o p.txt -- "$PY3" -c '
import ctypes, resource, time
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
end = time.time() + 0.3
while time.time() < end: pass
ctypes.string_at(0)'
	echo "# stderr: $stderr"
	[ "$status" -eq 139 ]
	[[ "$stderr" != *"dumped core"* ]]
	[ -z "$(find . -maxdepth 1 -name 'core*' -print)" ]
	[ -s p.txt ]
	check_collapsed format p.txt
}

@test "exit: a shell command killed by SIGKILL -> 137" {
	run_pyflame run -q -- sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
}

@test "exit: a command killed by SIGINT it sent itself -> 130" {
	run_pyflame run -q -- "$PY3" -c '
import os, signal
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.kill(os.getpid(), signal.SIGINT)'
	[ "$status" -eq 130 ]
}

# Run stdio.py with and without pyflame, stdin from a file and from a pipe: stdout and
# stderr must be byte-identical, and so must what the command sees (fds, signal mask,
# ignored signals, environment).
@test "exit: stdin, stdout and stderr pass through byte for byte" {
	local target="$TARGETS/stdio.py"

	printf 'line one\nbinary \x00\x01\xff\xfe end\nunicode caf\xc3\xa9 \xe6\x97\xa5\n' >in.bin
	head -c 100000 /dev/urandom >>in.bin

	timeout -k 5 120 "$PY3" "$target" <in.bin >out.plain 2>err.plain
	timeout -k 5 120 "$PYFLAME" run -q -o p.txt -- "$PY3" "$target" <in.bin >out.pf 2>err.pf
	cmp out.plain out.pf || { diff <(cat -v out.plain) <(cat -v out.pf) | head -20; false; }
	cmp err.plain err.pf || { diff <(cat -v err.plain) <(cat -v err.pf) | head -20; false; }

	head -c 70000 in.bin | timeout -k 5 120 "$PY3" "$target" >out2.plain 2>err2.plain
	head -c 70000 in.bin | timeout -k 5 120 "$PYFLAME" run -q -o p2.txt -- "$PY3" "$target" >out2.pf 2>err2.pf
	cmp out2.plain out2.pf || { diff <(cat -v out2.plain) <(cat -v out2.pf) | head -20; false; }
	cmp err2.plain err2.pf

	# the output really has the interesting bytes in it
	grep -q 'stdin: 70000 bytes' out2.pf
	grep -q "$(printf 'h\xc3\xa9llo')" out.pf
	[ "$(head -c 263 out.pf | tail -c 256 | od -An -tx1 | tr -d ' \n' | head -c 8)" = 00010203 ]
}

@test "exit: a closed stdout reaches the command as it would without pyflame" {
	# 'yes' dies of SIGPIPE when its reader goes away; pyflame must let it.
	run bash -c 'set -o pipefail; timeout -k 5 120 yes | head -n 3 >/dev/null'
	local plain=$status
	run bash -c 'set -o pipefail; timeout -k 5 120 "$PYFLAME" run -q -- yes | head -n 3 >/dev/null'
	echo "# without pyflame: $plain, with: $status"
	[ "$status" -eq "$plain" ]
	[ "$status" -eq 141 ] || [ "$(grep SigIgn /proc/self/status | cut -f2)" != 0000000000000000 ]
}

@test "exit: pyflame writes nothing on stdout unless asked to (-o -)" {
	run_pyflame_split run -q -o p.txt -- "$PY3" -c 'import time
end = time.time() + 0.3
while time.time() < end: pass'
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ -s p.txt ]
	# '-o -' puts the collapsed stacks on stdout after the command's own output
	run_pyflame_split run -q -o - -- "$PY3" -c 'import time
print("from the command")
end = time.time() + 0.3
while time.time() < end: pass'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "from the command" ]
	printf '%s\n' "${lines[@]:1}" >stdout.txt
	check_collapsed format stdout.txt
}
