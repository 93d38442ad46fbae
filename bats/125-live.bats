#!/usr/bin/env bats
# --live: the view on a terminal, driven through tmux (send-keys, capture-pane).

load helpers

setup() {
	require_pyflame
	require_python3
	command -v tmux >/dev/null || skip "tmux is not installed (scripts/deps.sh test)"
	D=$(fresh_dir live)
	SOCK="pyflame-bats-$$-$BATS_TEST_NUMBER"
}

teardown() {
	tmux -L "$SOCK" kill-server 2>/dev/null || true
}

tm() {
	tmux -L "$SOCK" "$@"
}

# start_view ARGS...: a 120x30 pane running `pyflame ARGS...` with the command's output in
# $D/cmd.log; when it ends, its status goes to $D/status and the pane's terminal modes to
# $D/stty, and the pane stays (a shell waits).
start_view() {
	local q="" a

	for a in "$@"; do q="$q $(printf '%q' "$a")"; done
	{
		echo "cd $(printf '%q' "$D")"
		echo "$(printf '%q' "$PYFLAME")$q >cmd.log 2>&1"
		echo 'echo $? >status.tmp'
		echo 'stty -a >stty'
		echo 'mv status.tmp status'
		echo 'exec sleep 300'
	} >"$D/go.sh"
	tm new-session -d -x 120 -y 30 "bash $D/go.sh"
}

# wait_pane REGEX [SECS]: until the pane shows a line matching REGEX (extended).
wait_pane() {
	local i

	for ((i = 0; i < ${2:-30} * 10; i++)); do
		tm capture-pane -p >"$D/pane" 2>/dev/null && grep -Eq -- "$1" "$D/pane" && return 0
		sleep 0.1
	done
	echo "the pane never showed /$1/; it shows:"
	cat "$D/pane"
	return 1
}

# The first function row of the view (the line after the column names).
top_row() {
	tm capture-pane -p | awk '/ own +% +total +% +function/ { getline; print; exit }'
}

wait_status() {
	wait_for_file "$D/status" 900
}

# After the end: no alternate screen, canonical mode and echo back.
assert_restored() {
	[ "$(tm display -p '#{alternate_on}')" = 0 ]
	grep -Eq '(^| )icanon( |;|$)' "$D/stty"
	grep -Eq '(^| )echo( |;|$)' "$D/stty"
}

@test "live: the first phase's function tops the view, then the second's; the status is the command's" {
	local t=$TARGETS/phases.py i top

	# the view counts from the start: phase two tops it once it has run longer than one
	start_view run --live -r 200 -o p.txt -- "$PY3" "$t" 2 6 7
	wait_pane 'phase_one \(' 20
	top=$(top_row)
	echo "# first: $top"
	[[ "$top" == *"phase_one ("* ]]
	for ((i = 0; i < 100; i++)); do
		top=$(top_row)
		[[ "$top" == *"phase_two ("* ]] && break
		sleep 0.1
	done
	echo "# then: $top"
	[[ "$top" == *"phase_two ("* ]]
	wait_status
	[ "$(cat "$D/status")" = 7 ]
	assert_restored
	# the command's output went to its file, the profile was written
	grep -q "phase two" "$D/cmd.log"
	grep -q "phase one on stderr" "$D/cmd.log"
	grep -q "phase_two (" "$D/p.txt"
}

@test "live: o and t switch the sort, p pauses, q stops sampling and the command runs on" {
	local t=$TARGETS/phases.py top

	start_view run --live -r 200 -o p.txt -- "$PY3" "$t" 10 2 5
	wait_pane 'phase_one \(' 20
	wait_pane 'now: own'
	# by own, the script's <module> (no own samples) is not listed; by total it is
	run ! grep -q "<module> ($t)" "$D/pane"
	tm send-keys t
	wait_pane 'now: total'
	wait_pane "<module> \\($t\\)"
	tm send-keys o
	wait_pane 'now: own'
	tm send-keys p
	wait_pane '\[sampling paused\]'
	# paused: no samples are taken (the count in the facts line stands still)
	sleep 0.5
	n1=$(tm capture-pane -p | sed -n 's/.* \([0-9][0-9]*\) samples (.*/\1/p' | head -1)
	sleep 1.5
	n2=$(tm capture-pane -p | sed -n 's/.* \([0-9][0-9]*\) samples (.*/\1/p' | head -1)
	echo "# paused: $n1 then $n2 samples"
	[ -n "$n1" ] && [ "$n1" = "$n2" ]
	tm send-keys p
	tm send-keys q
	wait_pane 'sampling stopped'
	[ "$(tm display -p '#{alternate_on}')" = 0 ]
	wait_status
	[ "$(cat "$D/status")" = 5 ]
	assert_restored
	# sampling stopped in phase one: the profile has it, not phase two
	grep -q "phase_one (" "$D/p.txt"
	run ! grep -q "phase_two (" "$D/p.txt"
	grep -q "phase two" "$D/cmd.log"	# the command ran on to its end
}

@test "live: l shows lines, f and h show one process and one thread, z freezes the view" {
	local t=$TARGETS/phases.py one

	one=$(line_of "$t" "# ONE")
	start_view run --live -r 200 -o p.txt -- "$PY3" "$t" 30 1
	wait_pane 'phase_one \(' 20
	tm send-keys l
	wait_pane "phase_one \\(.*phases\\.py:$one\\)"
	wait_pane 'now: own, by line'
	tm send-keys f
	wait_pane "only process [0-9]+: .*phases\\.py"
	wait_pane 'phase_one \('
	tm send-keys h
	wait_pane "only thread [0-9]+ \\(.*\\) of process [0-9]+"
	tm send-keys h
	tm send-keys f
	# back to every process and thread
	for ((i = 0; i < 50; i++)); do
		tm capture-pane -p | grep -q "^only " || break
		sleep 0.1
	done
	run ! grep -q "^only " <(tm capture-pane -p)
	tm send-keys z
	wait_pane '\[view frozen'
	tm send-keys z
	tm send-keys q
	wait_status
	[ "$(cat "$D/status")" = 0 ]
	assert_restored
}

@test "live: the terminal is restored when pyflame gets SIGTERM, and when the command is killed" {
	local t=$TARGETS/phases.py pf py

	start_view run --live -r 100 -o p.txt -- "$PY3" "$t" 30 1
	wait_pane 'phase_one \('
	# the oldest: the keeper (a child of pyflame) has the same command line
	pf=$(pgrep -o -f -x "$PYFLAME run --live -r 100 -o p.txt -- $PY3 $t 30 1")
	[ -n "$pf" ]
	kill -TERM "$pf"
	wait_status
	[ "$(cat "$D/status")" = 143 ]
	assert_restored
	grep -q "phase_one (" "$D/p.txt"

	tm kill-server
	rm -f "$D/status" "$D/stty" "$D/p.txt"
	start_view run --live -r 100 -o p.txt -- "$PY3" "$t" 30 1
	wait_pane 'phase_one \('
	py=$(pgrep -n -f -x "$PY3 $t 30 1")
	[ -n "$py" ]
	kill -KILL "$py"
	wait_status
	[ "$(cat "$D/status")" = 137 ]
	assert_restored
}

@test "live: attach shows the process; q ends the session and leaves the process running" {
	local t=$TARGETS/phases.py pid

	"$PY3" "$t" 30 1 >/dev/null 2>&1 3>&- &
	pid=$!
	start_view attach --live -p "$pid" -o p.txt
	wait_pane 'phase_one \(' 20
	tm send-keys q
	wait_status
	[ "$(cat "$D/status")" = 0 ]
	assert_restored
	kill -0 "$pid"
	kill "$pid"
	grep -q "phase_one (" "$D/p.txt"
}

@test "live: without a terminal, or with the command's output on it, a usage error (status 2)" {
	# bats may itself run on a terminal: without a controlling one for sure
	local rc=0
	setsid -w "$PYFLAME" run --live -- "$PY3" -c pass </dev/null >"$D/out" 2>"$D/err" || rc=$?
	cat "$D/err"
	[ "$rc" -eq 2 ]
	grep -q "needs a terminal" "$D/err"
	# on a terminal, with the output not redirected
	tm new-session -d -x 120 -y 30 "cd $(printf '%q' "$D"); $(printf '%q' "$PYFLAME") run --live -- $(printf '%q' "$PY3") -c pass; echo \$? >status; sleep 300"
	wait_status
	[ "$(cat "$D/status")" = 2 ]
	wait_pane 'output would mix'
}

@test "live: Ctrl-Z gives the shell its terminal back; fg brings the view back" {
	local t=$TARGETS/phases.py q

	# a shell with job control: Ctrl-Z stops the job and the shell goes on, then fg
	q=$(printf '%q' "$PYFLAME")
	{
		echo "set -m"
		echo "cd $(printf '%q' "$D")"
		echo "$q run --live -r 100 -o p.txt -- $(printf '%q' "$PY3") $(printf '%q' "$t") 30 1 >cmd.log 2>&1"
		echo 'echo "job stopped: $?"'
		echo 'stty -a >stty-stopped'
		echo 'echo yes >stopped'
		echo 'read -r _ <go-on'
		echo 'fg %1'
		echo 'echo $? >status.tmp'
		echo 'stty -a >stty'
		echo 'mv status.tmp status'
		echo 'exec sleep 300'
	} >"$D/go.sh"
	mkfifo "$D/go-on"
	tm new-session -d -x 120 -y 30 "bash $D/go.sh"
	wait_pane 'phase_one \(' 20
	tm send-keys C-z
	wait_for_file "$D/stopped"
	# stopped: the shell has a normal terminal, not the view's
	wait_pane 'job stopped: 14[78]'
	[ "$(tm display -p '#{alternate_on}')" = 0 ]
	grep -Eq '(^| )icanon( |;|$)' "$D/stty-stopped"
	grep -Eq '(^| )echo( |;|$)' "$D/stty-stopped"
	echo >"$D/go-on"
	# continued: the view is drawn again at once, and q still works
	wait_pane 'phase_one \(' 20
	[ "$(tm display -p '#{alternate_on}')" = 1 ]
	tm send-keys q
	wait_status
	[ "$(cat "$D/status")" = 0 ]
	assert_restored
	grep -q "phase_one (" "$D/p.txt"
}
