#!/usr/bin/env bats
# The command line: help, version, usage errors and pyflame's own exit codes.

load helpers

setup() {
	require_pyflame
	cd "$BATS_TEST_TMPDIR"
}

# A command that leaves a marker when it runs: usage errors must stop before it starts.
marker_cmd() {
	if [ ! -x "$BATS_TEST_TMPDIR/mark.sh" ]; then
		printf '#!/bin/sh\ntouch "%s/ran"\n' "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/mark.sh"
		chmod +x "$BATS_TEST_TMPDIR/mark.sh"
	fi
	echo "$BATS_TEST_TMPDIR/mark.sh"
}

assert_did_not_run() {
	[ ! -e "$BATS_TEST_TMPDIR/ran" ] || { echo "the command ran, it must not have"; return 1; }
}

# No profile and no temporary file of pyflame's left in the current directory.
assert_no_profile_files() {
	local left

	left=$(find . -mindepth 1 -maxdepth 1 \( -name 'pyflame-*' -o -name '.*pyflame*' \) -print)
	[ -z "$left" ] || { echo "files left behind: $left"; return 1; }
}

@test "cli: --help prints the usage on stdout and exits 0" {
	run_pyflame --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: pyflame run [OPTIONS] [--] COMMAND [ARGS...]" ]]
	[[ "$output" == *"pyflame --help | --version"* ]]
}

@test "cli: 'run --help' documents every option and exit status" {
	run_pyflame run --help
	[ "$status" -eq 0 ]
	for opt in --rate --duration --mode --exclude-idle --max-depth --no-follow --reader \
		--output --format --no-line-numbers --threads --merge --title --quiet --verbose --help; do
		[[ "$output" == *"$opt"* ]] || { echo "missing $opt"; false; }
	done
	[[ "$output" == *"2 usage error, 125 pyflame failed, 126 COMMAND not executable, 127 COMMAND not found"* ]]
}

@test "cli: --version prints 'pyflame X.Y.Z', the commit and the CPython versions read" {
	run_pyflame --version
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" =~ ^pyflame\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	[[ "${lines[1]}" =~ ^commit\ ([0-9a-f]{12}(-dirty)?|unknown)$ ]]
	# the supported versions come from pyoffsets' tables: 2.7, 3.6 up to the newest layout
	[[ "${lines[2]}" =~ ^reads\ CPython\ 2\.7,\ 3\.6-3\.1[5-9]$ ]]
	# built from a git checkout of this repository: a commit of it
	local root commit=${lines[1]#commit }
	root=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	if [ "$commit" != unknown ] && git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$root" cat-file -e "${commit%-dirty}^{commit}"
	fi
	run_pyflame -V
	[ "$status" -eq 0 ]
	[[ "$output" == "pyflame "* ]]
}

@test "cli: no arguments is a usage error (2)" {
	run_pyflame
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: pyflame run"* ]]
}

@test "cli: unknown subcommand is a usage error (2) with one 'pyflame: ' line" {
	run_pyflame_split frobnicate
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	assert_one_error_line "$stderr"
	[[ "$stderr" == *frobnicate* ]]
}

@test "cli: unknown option is a usage error (2) and the command does not run" {
	run_pyflame_split run --frobnicate -- $(marker_cmd)
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	[[ "$stderr" == "pyflame: "*"--frobnicate"* ]]
	assert_did_not_run
}

@test "cli: unknown short option is a usage error (2)" {
	run_pyflame_split run -Z -- $(marker_cmd)
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	assert_did_not_run
}

@test "cli: missing command is a usage error (2)" {
	local args

	for args in "run" "run --" "run -r 100" "run -q --"; do
		# shellcheck disable=SC2086
		run_pyflame_split $args
		echo "# pyflame $args -> $status: $stderr"
		[ "$status" -eq 2 ]
		assert_one_error_line "$stderr"
	done
}

@test "cli: option missing its argument is a usage error (2)" {
	run_pyflame_split run -r
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
}

@test "cli: bad rates are usage errors (2) and the command does not run" {
	local r

	for r in 0 -5 abc 200k 100001 1.5x 0.5 ''; do
		rm -f ran
		run_pyflame_split run -r "$r" -- $(marker_cmd)
		echo "# -r '$r' -> $status: $stderr"
		[ "$status" -eq 2 ]
		assert_one_error_line "$stderr"
		assert_did_not_run
	done
}

@test "cli: good rates are accepted (1k, 1khz, 250hz, 1, 100k, --rate=50)" {
	local r

	for r in 1k 1khz 1kHz 250hz 1 100k 100000; do
		rm -f ran
		run_pyflame run -q -r "$r" -- $(marker_cmd)
		echo "# -r '$r' -> $status: $output"
		[ "$status" -eq 0 ]
		[ -e ran ]
	done
	run_pyflame run -q --rate=50 -- true
	[ "$status" -eq 0 ]
}

@test "cli: bad --mode, --max-depth, --reader, --duration, --busy-poll, -f are usage errors (2)" {
	local args

	for args in "--mode fast" "--max-depth 0" "--max-depth -3" "--max-depth x" \
		"--reader magic" "--duration 0" "--duration -1" "--duration soon" \
		"--busy-poll -1" "--busy-poll 100001" "--busy-poll 1ms" "-f pdf"; do
		rm -f ran
		# shellcheck disable=SC2086
		run_pyflame_split run $args -- $(marker_cmd)
		echo "# $args -> $status: $stderr"
		[ "$status" -eq 2 ]
		assert_one_error_line "$stderr"
		assert_did_not_run
	done
}

@test "cli: -o into a nonexistent directory is a usage error (2), checked before the command runs" {
	run_pyflame_split run -o "$BATS_TEST_TMPDIR/no/such/dir/p.svg" -- $(marker_cmd)
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	[[ "$stderr" == *"no/such/dir/p.svg"* ]]
	assert_did_not_run
}

@test "cli: the second of two -o being unwritable also stops before the command runs" {
	run_pyflame_split run -o ok.txt -o "$BATS_TEST_TMPDIR/missing/p.txt" -- $(marker_cmd)
	[ "$status" -eq 2 ]
	assert_did_not_run
	assert_no_profile_files
	[ ! -e ok.txt ]
	[ -z "$(find . -mindepth 1 -maxdepth 1 -name '.*' -print)" ]
}

@test "cli: -o naming a directory is a usage error (2)" {
	mkdir d.svg
	run_pyflame_split run -o d.svg -- $(marker_cmd)
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	assert_did_not_run
}

@test "cli: -o with an unknown extension is a usage error (2); -f makes it fine" {
	run_pyflame_split run -o prof.pdf -- $(marker_cmd)
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	assert_did_not_run
	run_pyflame run -q -f collapsed -o prof.pdf -- $(marker_cmd)
	[ "$status" -eq 0 ]
	[ -e ran ]
}

@test "cli: unwritable output directory is a usage error (2) for a non-root user too" {
	[ "$(id -u)" -ne 0 ] || skip "root can write anywhere"
	mkdir ro && chmod 555 ro
	run_pyflame_split run -o ro/p.svg -- $(marker_cmd)
	[ "$status" -eq 2 ]
	assert_did_not_run
}

@test "cli: missing command exits 127 with one 'pyflame: ' line and a hint" {
	run_pyflame_split -127 run -- pyflame-no-such-command-xyz arg
	[ "$status" -eq 127 ]
	[ -z "$output" ]
	assert_one_error_line "$stderr"
	[[ "$stderr" == *pyflame-no-such-command-xyz* ]]
	assert_no_profile_files
}

@test "cli: missing command given by path exits 127" {
	run_pyflame_split -127 run -- "$BATS_TEST_TMPDIR/nope/cmd"
	[ "$status" -eq 127 ]
	assert_one_error_line "$stderr"
}

@test "cli: non-executable file exits 126" {
	printf '#!/bin/sh\ntouch ran\n' >script.sh
	chmod 644 script.sh
	run_pyflame_split run -- ./script.sh
	[ "$status" -eq 126 ]
	assert_one_error_line "$stderr"
	[[ "$stderr" == *script.sh* ]]
	assert_did_not_run
	assert_no_profile_files
}

@test "cli: a directory as the command exits 126" {
	mkdir adir
	run_pyflame_split run -- ./adir
	[ "$status" -eq 126 ]
	assert_one_error_line "$stderr"
}

@test "cli: 'pyflame run -- ls' runs normally, says no Python was seen, writes no profile" {
	touch visible-file
	run_pyflame_split run -- ls
	[ "$status" -eq 0 ]
	[[ "$output" == *visible-file* ]]
	[[ "$stderr" == *"no Python process was seen"* ]]
	[[ "$stderr" == pyflame:* ]]
	assert_no_profile_files
}

@test "cli: a non-Python command's exit status passes through, no profile even with -o" {
	run_pyflame_split run -o out.svg -o out.txt -- sh -c 'echo hi; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = hi ]
	[[ "$stderr" == *"no Python process was seen"* ]]
	[ ! -e out.svg ]
	[ ! -e out.txt ]
	assert_no_profile_files
	[ -z "$(find . -mindepth 1 -maxdepth 1 -name '.*' -print)" ]
}

@test "cli: 'pyflame run -- true' exits 0 and -q silences it" {
	run_pyflame_split run -- true
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"no Python process was seen"* ]]
	run_pyflame_split run -q -- true
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	assert_no_profile_files
}

@test "cli: arguments after the command are the command's, even if they look like options" {
	run_pyflame_split run -q -- printf '%s|' -o -r --help x
	[ "$status" -eq 0 ]
	[ "$output" = "-o|-r|--help|x|" ]
	# without '--' the first non-option is the command too
	run_pyflame_split run -q printf '%s|' -q -v
	[ "$status" -eq 0 ]
	[ "$output" = "-q|-v|" ]
}

@test "cli: an option the command does not take is a usage error (2), naming the commands that do" {
	run_pyflame_split run --pid 1 -- $(marker_cmd)
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	[[ "$stderr" == *"unknown option '--pid'"* ]]
	[[ "$stderr" == *"hint: --pid is an option of 'pyflame attach', 'pyflame dump'"* ]]
	assert_did_not_run
	run_pyflame_split attach -p 1 --grace 3
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unknown option '--grace'"* ]]
	run_pyflame_split dump -p 1 -q
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unknown option '-q'"* ]]
	run_pyflame_split dump -p 1 --json=yes
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	[[ "$stderr" == *"option '--json=yes' takes no value"* ]]
}

@test "cli: every command's --help exits 0 on stdout, doctor's too" {
	for cmd in run attach dump report diff doctor; do
		run_pyflame_split "$cmd" --help
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		[[ "$output" == "usage: pyflame $cmd"* ]]
		[[ "$output" == *"-h, --help"* ]]
		run_pyflame_split help "$cmd"
		[ "$status" -eq 0 ]
		[[ "$output" == "usage: pyflame $cmd"* ]]
	done
	run_pyflame_split dump --help
	[[ "$output" == *"--reader KIND"* ]]
}

@test "cli: -v and -q before the command apply to it" {
	run_pyflame_split -v dump -p 0
	[ "$status" -eq 2 ]
	[[ "$stderr" != *"unknown command"* ]]
	[[ "$stderr" == *"invalid process id '0'"* ]]
	run_pyflame_split -v run -- true
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"pyflame: sandbox: on"* ]]
	run_pyflame_split -q run -- true
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run_pyflame_split -Z run -- true
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
}

@test "cli: 'pyflame python3 x.py' is an unknown command that suggests 'pyflame run -- python3 x.py'" {
	run_pyflame_split python3 x.py --flag
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	[[ "$stderr" == *"unknown command 'python3'"* ]]
	[[ "$stderr" == *"hint: to profile a command: pyflame run -- python3 x.py --flag"* ]]
}

@test "cli: the same -o twice (a file or '-') is a usage error (2) before the command runs" {
	run_pyflame_split run -o same.txt -o same.txt -- $(marker_cmd)
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	[[ "$stderr" == *"'same.txt' is given twice"* ]]
	run_pyflame_split run -o - -f svg -o - -- $(marker_cmd)
	[ "$status" -eq 2 ]
	assert_one_error_line "$stderr"
	[[ "$stderr" == *"standard output is given twice"* ]]
	assert_did_not_run
	assert_no_profile_files
	run_pyflame_split diff -o d.svg -o d.svg a.txt b.txt
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"'d.svg' is given twice"* ]]
}
