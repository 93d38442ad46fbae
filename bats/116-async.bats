#!/usr/bin/env bats
# --async: a thread running an asyncio task shows the task's frames, from its coroutine,
# under a frame named after the task instead of the event loop's (3.14+, from _asyncio's
# _Py_AsyncioModuleDebugOffsets; 3.11-3.13 from per-version layouts and _asyncio's
# current_tasks dict).  Older interpreters say so once and profile as before.
# --async=all: every waiting task too, one sample a tick, under the tasks awaiting it
# (3.14+ from the per-thread task lists; 3.11-3.13 from _asyncio's WeakSet of all tasks,
# who awaits whom from each task's _fut_waiter and gather()'s done callbacks).

load helpers

setup() {
	require_pyflame
	require_python3	# for the checker
}

# 50 tasks: alpha, beta and gamma spin 3, 2 and 1 ms a round through busy -> outer ->
# middle -> inner -> spin; the target writes the time each really spun.  About 1000 task
# samples: the shares' sampling noise is under 2 points, 5 is the issue's bound.
async_tasks() {
	local d t=$TARGETS/asynctasks.py n truth

	d=$(fresh_dir "py$1")
	timeout -k 5 120 "$PYFLAME" run -q --async -r 500 -o "$d/p.txt" -- "$2" "$t" 3 "$d/spent.json"
	[ -s "$d/spent.json" ] || { echo "the target did not finish"; false; }
	check_collapsed --async format "$d/p.txt"
	for n in alpha beta gamma; do
		truth=$("$(checker_python)" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.4f" % (d[sys.argv[2]] / sum(d.values())))' "$d/spent.json" "$n")
		echo "# task $n really spun a share of $truth"
		check_collapsed --async near "$d/p.txt" "$n" "re:alpha|beta|gamma" "$truth" 0.05
		# the whole await chain, with exact lines, right under the task's name
		check_collapsed --async path "$d/p.txt" "re:.* \\[pid [0-9]+\\]" "$n" \
			"busy ($t:$(line_of "$t" '# BUSY'))" "outer ($t:$(line_of "$t" '# OUTER'))" \
			"middle ($t:$(line_of "$t" '# MIDDLE'))" "inner ($t:$(line_of "$t" '# INNER'))" \
			"spin ($t:$(line_of "$t" '# SPIN'))"
		# the event loop's frames are gone from the task's stacks
		check_collapsed --async near "$d/p.txt" "re:BaseEventLoop\\._run_once .*" "$n" 0 0
	done
	# the unnamed sleepers are "Task-N" (an int until asked), when caught running
	check_collapsed --async path "$d/p.txt" "re:Task-[0-9]+" "sleeper ($t:$(line_of "$t" '# SLEEP'))" ||
		echo "# no sleeper was caught running (they run for microseconds)"
}

@test "async: each busy task's share within 5 points of its true share, its await chain exact, 3.11+" {
	for_each_python 3.11 async_tasks
}

# Samples per frame found right above (rootward of) a frame matching $2 (re:), summed.
counts_above() {
	"$(checker_python)" - "$1" "$2" <<'PY'
import re, sys
counts = {}
for line in open(sys.argv[1], encoding="utf-8"):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    frames = stack.split(";")
    for i, f in enumerate(frames[1:], 1):
        if re.fullmatch(sys.argv[2], f):
            counts[frames[i - 1]] = counts.get(frames[i - 1], 0) + int(n)
            break
for f in sorted(counts):
    print(counts[f], f)
PY
}

# The sleepers wait in asyncio.sleep() under the task that gathers them, "napper" under
# "waiter" that awaits it, "holder" on a plain future; each waiting task is one sample a
# tick, so the 44 sleepers have (all but) the same count.
async_all() {
	local d t=$TARGETS/asynctasks.py main n c

	d=$(fresh_dir "py$1")
	timeout -k 5 120 "$PYFLAME" run -q --async=all -r 200 -o "$d/p.txt" -- "$2" "$t" 2 "$d/spent.json"
	[ -s "$d/spent.json" ] || { echo "the target did not finish"; false; }
	check_collapsed --async-all format "$d/p.txt"
	main="main ($t:$(line_of "$t" '# GATHER'))"
	check_collapsed path "$d/p.txt" "re:Task-[0-9]+" "$main" "re:Task-[0-9]+" \
		"sleeper ($t:$(line_of "$t" '# SLEEP'))" "re:sleep \\(.*asyncio/tasks\\.py:[0-9]+\\)" \
		"<awaiting sleep>" "<idle>"
	check_collapsed path "$d/p.txt" "$main" "waiter" \
		"wait_for ($t:$(line_of "$t" '# AWAIT TASK'))" "napper" "nap ($t:$(line_of "$t" '# NAP'))" \
		"re:sleep \\(.*\\)" "<awaiting sleep>" "<idle>"
	check_collapsed path "$d/p.txt" "$main" "holder" "hold ($t:$(line_of "$t" '# HOLD'))" \
		"<awaiting Future>" "<idle>"
	# the waiter waits on a task that shows under it: no stack of its own
	! grep -q "<awaiting napper>" "$d/p.txt"
	c=$(counts_above "$d/p.txt" "sleeper .*" | grep ' Task-[0-9]*$')
	echo "$c" | sed 's/^/# /'
	[ "$(echo "$c" | grep -c .)" -eq 44 ]
	echo "$c" | awk '{ if (NR == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
		END { print "# sleeper samples from " lo " to " hi; exit !(lo >= 0.95 * hi) }'
	# a running task's stack goes on under the task awaiting it (the shares are test 1's)
	for n in alpha beta gamma; do
		check_collapsed path "$d/p.txt" "$main" "$n" "busy ($t:$(line_of "$t" '# BUSY'))" \
			"outer ($t:$(line_of "$t" '# OUTER'))" "middle ($t:$(line_of "$t" '# MIDDLE'))" \
			"inner ($t:$(line_of "$t" '# INNER'))" "spin ($t:$(line_of "$t" '# SPIN'))"
	done
}

@test "async=all: waiting tasks under their awaiters, with what they wait on, one sample a tick each, 3.11+" {
	for_each_python 3.11 async_all
}

@test "async: without --async the same target shows the event loop, no task frames" {
	local d t=$TARGETS/asynctasks.py v p

	read -r v p < <(pythons_between 3.14 | tail -n 1)
	[ -n "$p" ] || skip "no Python 3.14+ found"
	d=$(fresh_dir)
	timeout -k 5 120 "$PYFLAME" run -q -r 200 -o "$d/p.txt" -- "$p" "$t" 1 "$d/spent.json"
	check_collapsed format "$d/p.txt"
	check_collapsed absent "$d/p.txt" "alpha"
	check_collapsed path "$d/p.txt" "re:BaseEventLoop\\._run_once .*" "re:Handle\\._run .*" \
		"busy ($t:$(line_of "$t" '# BUSY'))"
}

@test "async: before 3.11 --async says once that it needs 3.11 and profiles as before" {
	local d t=$TARGETS/asynctasks.py v p

	read -r v p < <(pythons_between 3.8 3.10 | tail -n 1)
	[ -n "$p" ] || skip "no Python 3.8-3.10 found"
	echo "# Python $v ($p)"
	d=$(fresh_dir)
	timeout -k 5 120 "$PYFLAME" run -q --async -r 200 -o "$d/p.txt" -- "$p" "$t" 1 "$d/spent.json" 2>"$d/err"
	cat "$d/err"
	[ "$(grep -c 'warning: process [0-9]*: --async needs Python 3.11 or later' "$d/err")" -eq 1 ]
	check_collapsed format "$d/p.txt"
	check_collapsed absent "$d/p.txt" "alpha"
	check_collapsed path "$d/p.txt" "re:(Handle\\.)?_run .*" "busy ($t:$(line_of "$t" '# BUSY'))"
}
