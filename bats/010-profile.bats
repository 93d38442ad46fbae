#!/usr/bin/env bats
# Profile content, on every Python 3.11+ found: hot spots, proportions, deep stacks,
# names of every kind of frame, output formats and options.

load helpers

setup() {
	require_pyflame
	require_python3
}

# pf ARGS...: pyflame with a two-minute bound; prints its stderr on failure.
pf() {
	timeout -k 5 120 "$PYFLAME" "$@"
}

# --- hot function, hot line ---------------------------------------------------------------

hot_line() {
	local d t=$TARGETS/hot.py pid

	d=$(fresh_dir)
	pf run -q -o "$d/p.txt" -- "$2" "$t" 1 "$d/pid"
	pid=$(cat "$d/pid")
	check_collapsed format "$d/p.txt"
	check_collapsed process "$d/p.txt" "$(basename "$2") .*\\[pid $pid\\]"
	# >= 90% of the samples taken while the script runs (not counting start-up, whose
	# share depends on how loaded the machine is)
	check_collapsed share "$d/p.txt" "hot ($t:$(line_of "$t" '# HOT'))" 0.9 \
		"<module> ($t:$(line_of "$t" '# CALL_MAIN'))"
	check_collapsed tail "$d/p.txt" "<module> ($t:$(line_of "$t" '# CALL_MAIN'))" \
		"main ($t:$(line_of "$t" '# CALL_HOT'))" "hot ($t:$(line_of "$t" '# HOT'))"
}

@test "profile: the hot function and line hold >= 90% of samples, under the right process frame" {
	for_each_python 3.11 hot_line
}

split_3_1() {
	local d t=$TARGETS/split.py truth

	d=$(fresh_dir)
	pf run -q -r 500 -o "$d/p.txt" -- "$2" "$t" 25 0.025 "$d/spent.json"
	check_collapsed format "$d/p.txt"
	# The target measures the split it really had (3:1 unless the machine is overloaded)
	truth=$("$(checker_python)" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.4f" % (d["a"] / (d["a"] + d["b"])))' "$d/spent.json")
	echo "# the target spent a share of $truth of its time in a()"
	check_collapsed ratio "$d/p.txt" "a ($t:$(line_of "$t" '# A'))" "b ($t:$(line_of "$t" '# B'))" "$truth" 0.05
}

@test "profile: a 3:1 split of time between two functions at 500 Hz is measured within 5 points" {
	for_each_python 3.11 split_3_1
}

@test "profile: work that repeats at the sampling rate gets its share (ticks are jittered)" {
	local d t=$TARGETS/periodic.py truth

	d=$(fresh_dir)
	# 2 ms of work every 10 ms on the dot, sampled at 100 Hz: ticks on a fixed grid would
	# see it at the same point of its cycle each time, 0% or 100% of the samples
	pf run -q -r 100 -o "$d/p.txt" -- "$PY3" "$t" 4 "$d/truth.json"
	check_collapsed format "$d/p.txt"
	truth=$("$(checker_python)" -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["share"])' "$d/truth.json")
	echo "# the target spent a share of $truth of its time in tick_work()"
	# about 400 samples: +-2 points of sampling noise.  A busy machine delays ticks
	# during the work more than during the sleep (0.09-0.15 for 0.20 was seen with both
	# cores loaded), hence the wide band; a fixed grid gives about 0 or about 1
	check_collapsed share "$d/p.txt" "re:tick_work .*" "$(awk -v t="$truth" 'BEGIN { print t * 0.25 }')"
	check_collapsed at-most "$d/p.txt" "re:tick_work .*" "$(awk -v t="$truth" 'BEGIN { print t * 1.5 }')"
}

# --- deep stacks ----------------------------------------------------------------------------

recursion_1200() {
	local d t=$TARGETS/recurse.py

	d=$(fresh_dir)
	pf run -q -o "$d/p.txt" -- "$2" "$t" 1200 1
	check_collapsed format "$d/p.txt"
	check_collapsed recursion "$d/p.txt" "rec ($t:" 1000
	check_collapsed path "$d/p.txt" "main ($t:$(line_of "$t" '# CALL_REC'))" \
		"rec ($t:$(line_of "$t" '# RECURSE'))" "rec ($t:$(line_of "$t" '# RECURSE'))"
	check_collapsed tail "$d/p.txt" "rec ($t:$(line_of "$t" '# RECURSE'))" \
		"rec ($t:$(line_of "$t" '# BOTTOM'))"
	check_collapsed absent "$d/p.txt" "<truncated>"
}

@test "profile: a recursion 1200 deep is sampled whole (>= 1000 rec frames in a stack)" {
	for_each_python 3.11 recursion_1200
}

max_depth_100() {
	local d t=$TARGETS/recurse.py

	d=$(fresh_dir)
	pf run -q --max-depth 100 -o "$d/p.txt" -- "$2" "$t" 1200 1
	check_collapsed format "$d/p.txt"
	check_collapsed truncated "$d/p.txt" 100
	# the innermost frames are the ones kept
	check_collapsed tail "$d/p.txt" "rec ($t:$(line_of "$t" '# RECURSE'))" \
		"rec ($t:$(line_of "$t" '# BOTTOM'))"
	check_collapsed path "$d/p.txt" "re:.* \\[pid [0-9]+\\]" "<truncated>" "rec ($t:$(line_of "$t" '# RECURSE'))"
}

@test "profile: --max-depth 100 keeps the 100 innermost frames under a <truncated> frame" {
	for_each_python 3.11 max_depth_100
}

# --- every kind of frame ----------------------------------------------------------------------

features() {
	local d t v=$1 out

	d=$(fresh_dir)/données_测试
	mkdir "$d"
	cp "$TARGETS/features.py" "$d/features.py"
	t=$d/features.py
	out=$d/p.txt
	pf run -q -r 200 -o "$out" -- "$2" "$t" 0.3
	check_collapsed format "$out"
	L() { echo "$1 ($t:$(line_of "$t" "# $2"))"; }

	echo "# generator"
	check_collapsed tail "$out" "$(L drive_gen DRIVE_GEN)" "$(L gen_body GEN)"
	echo "# coroutine"
	check_collapsed tail "$out" "$(L coro_outer CORO_OUTER)" "$(L coro_inner CORO_INNER)"
	echo "# method"
	check_collapsed tail "$out" "$(L main CALL_METHOD)" "$(L Klass.method METHOD)"
	echo "# lambda"
	check_collapsed tail "$out" "$(L '<lambda>' LAMBDA)" "$(L spin_until SPIN)"
	echo "# comprehension"
	if [ "$v" = 3.11 ]; then
		check_collapsed tail "$out" "$(L use_comp COMP)" "$(L 'use_comp.<locals>.<listcomp>' COMP)" "$(L spin_until SPIN)"
	else
		# 3.12+ inlines comprehensions (PEP 709): no frame of their own
		check_collapsed tail "$out" "$(L use_comp COMP)" "$(L spin_until SPIN)"
		check_collapsed absent "$out" "re:.*<listcomp>.*"
	fi
	echo "# non-ASCII function name in a non-ASCII path"
	check_collapsed tail "$out" "$(L main CALL_NAIVE)" "$(L naïve_日本 NAIVE)"
}

@test "profile: generator, coroutine, method, lambda, comprehension and non-ASCII names and paths" {
	for_each_python 3.11 features
}

no_line_numbers() {
	local d t=$TARGETS/hot.py

	d=$(fresh_dir)
	pf run -q -n -o "$d/p.txt" -- "$2" "$t" 1
	check_collapsed format "$d/p.txt"
	check_collapsed no-lineno "$d/p.txt"
	check_collapsed share "$d/p.txt" "hot ($t)" 0.9 "<module> ($t)"
	check_collapsed tail "$d/p.txt" "<module> ($t)" "main ($t)" "hot ($t)"
}

@test "profile: -n labels frames 'NAME (FILE)' without line numbers" {
	for_each_python 3.11 no_line_numbers
}

idle_marker() {
	local d

	d=$(fresh_dir)
	printf 'import time\ntime.sleep(0.8)\n' >"$d/sleeper.py"
	pf run -q -o "$d/wall.txt" -- "$2" "$d/sleeper.py"
	check_collapsed format "$d/wall.txt"
	# while it sleeps it is idle; start-up (a third of the run for a debug build on a busy
	# machine) is not what this test is about
	check_collapsed share "$d/wall.txt" "<idle>" 0.9 "<module> ($d/sleeper.py:2)"
	check_collapsed share "$d/wall.txt" "<module> ($d/sleeper.py:2)" 0.4
	check_collapsed path "$d/wall.txt" "<module> ($d/sleeper.py:2)" "<idle>"
	pf run -q --mode cpu -o "$d/cpu.txt" -- "$2" "$d/sleeper.py" || true
	if [ -e "$d/cpu.txt" ]; then
		check_collapsed absent "$d/cpu.txt" "<idle>"
	fi
}

@test "profile: a sleeping thread is sampled with a trailing <idle> frame in wall mode only" {
	for_each_python 3.11 idle_marker
}

# --- outputs ------------------------------------------------------------------------------

svg_and_txt() {
	local d t=$TARGETS/hot.py n_svg n_txt

	d=$(fresh_dir)
	pf run -q -o "$d/a.svg" -o "$d/b.txt" -- "$2" "$t" 1
	assert_svg_wellformed "$d/a.svg"
	check_collapsed format "$d/b.txt"
	n_svg=$(check_svg total "$d/a.svg")
	n_txt=$(check_collapsed total "$d/b.txt")
	echo "# svg $n_svg samples, collapsed $n_txt samples"
	[ "$n_txt" -gt 0 ]
	[ "$n_svg" -eq "$n_txt" ]
	check_svg frame "$d/a.svg" "hot ($t:$(line_of "$t" '# HOT'))"
	check_svg title "$d/a.svg" "$2 $t 1"
}

@test "profile: -o a.svg -o b.txt write both from the same samples; the SVG is well-formed" {
	for_each_python 3.11 svg_and_txt
}

title_and_format() {
	local d t=$TARGETS/hot.py

	d=$(fresh_dir)
	pf run -q --title 'My <profile> & "title"' -f svg -o "$d/graph.txt" -- "$2" "$t" 0.5
	assert_svg_wellformed "$d/graph.txt"
	check_svg title "$d/graph.txt" 'My <profile> & "title"'
	check_svg frame "$d/graph.txt" "hot ($t:$(line_of "$t" '# HOT'))"
}

@test "profile: --title sets the flame graph title (escaped); -f svg overrides the extension" {
	for_each_python 3.11 title_and_format
}

duration_cut() {
	local d t=$TARGETS/hot.py full short

	d=$(fresh_dir)
	pf run -q -r 200 -o "$d/full.txt" -- "$2" "$t" 1.5
	pf run -q -r 200 --duration 0.5 -o "$d/short.txt" -- "$2" "$t" 1.5
	full=$(check_collapsed total "$d/full.txt")
	short=$(check_collapsed total "$d/short.txt")
	echo "# full run $full samples, --duration 0.5 run $short samples"
	[ "$short" -gt 0 ]
	[ "$((short * 10))" -lt "$((full * 6))" ]
}

@test "profile: --duration 0.5 stops sampling early while the command runs on (1.5 s)" {
	for_each_python 3.11 duration_cut
}

default_name() {
	local d t=$TARGETS/hot.py pid name left

	d=$(fresh_dir)
	(cd "$d" && pf run -q -- "$2" "$t" 0.5 "$d/pid")
	pid=$(cat "$d/pid")
	name="pyflame-$(basename "$2")-$pid.svg"
	[ -s "$d/$name" ] || { echo "no $name in $d:"; ls -la "$d"; false; }
	left=$(cd "$d" && ls -A | grep -v -x -e pid -e "$name" || true)
	[ -z "$left" ] || { echo "unexpected files: $left"; false; }
	assert_svg_wellformed "$d/$name"
	check_svg frame "$d/$name" "hot ($t:$(line_of "$t" '# HOT'))"
}

@test "profile: without -o the flame graph is pyflame-<command>-<pid>.svg in the current directory" {
	for_each_python 3.11 default_name
}

# --- threads and processes ------------------------------------------------------------------

threads_plain() {
	local d t=$TARGETS/threads.py

	d=$(fresh_dir)
	pf run -q -o "$d/p.txt" -- "$2" "$t" "$d/tids.json" 1
	check_collapsed format "$d/p.txt"
	check_collapsed tail "$d/p.txt" "worker ($t:$(grep -n 'fn(end)' "$t" | cut -d: -f1))" "alpha_spin ($t:$(line_of "$t" '# ALPHA'))"
	check_collapsed tail "$d/p.txt" "worker ($t:$(grep -n 'fn(end)' "$t" | cut -d: -f1))" "beta_spin ($t:$(line_of "$t" '# BETA'))"
	# wall mode: the main thread, waiting in join(), is there and marked idle
	check_collapsed path "$d/p.txt" "<module> ($t:$(grep -n '^main()' "$t" | cut -d: -f1))" "main ($t:$(line_of "$t" '# JOIN'))"
	check_collapsed share "$d/p.txt" "<idle>" 0.9 "main ($t:$(line_of "$t" '# JOIN'))"
}

@test "profile: two threads spinning in different functions are both sampled" {
	for_each_python 3.11 threads_plain
}

threads_frames() {
	local d t=$TARGETS/threads.py alpha beta

	d=$(fresh_dir)
	pf run -q --threads -o "$d/p.txt" -- "$2" "$t" "$d/tids.json" 1
	check_collapsed --threads format "$d/p.txt"
	alpha=$("$(checker_python)" -c 'import json,sys; print(json.load(open(sys.argv[1]))["alpha"])' "$d/tids.json")
	beta=$("$(checker_python)" -c 'import json,sys; print(json.load(open(sys.argv[1]))["beta"])' "$d/tids.json")
	check_collapsed --threads thread "$d/p.txt" "$alpha" alpha-thr "alpha_spin ($t:$(line_of "$t" '# ALPHA'))"
	check_collapsed --threads thread "$d/p.txt" "$beta" beta-thr "beta_spin ($t:$(line_of "$t" '# BETA'))"
}

@test "profile: --threads adds a 'thread TID (NAME)' frame under the process" {
	for_each_python 3.11 threads_frames
}

cpu_mode() {
	local d t=$TARGETS/threads.py

	d=$(fresh_dir)
	# the main thread waits in join(): idle, so absent in cpu mode
	pf run -q -x -o "$d/p.txt" -- "$2" "$t" "$d/tids.json" 1
	check_collapsed format "$d/p.txt"
	check_collapsed absent "$d/p.txt" "<idle>"
	# the main thread waits in join() for nearly all the run: a third of the samples in
	# wall mode, only the moments it runs (entering and leaving join) here
	check_collapsed at-most "$d/p.txt" "main ($t:$(line_of "$t" '# JOIN'))" 0.08
	check_collapsed tail "$d/p.txt" "alpha_spin ($t:$(line_of "$t" '# ALPHA'))"
	check_collapsed tail "$d/p.txt" "beta_spin ($t:$(line_of "$t" '# BETA'))"
}

@test "profile: -x (cpu mode) leaves out threads that are not running" {
	for_each_python 3.11 cpu_mode
}

quiet_threads() {
	local d t=$TARGETS/quiet.py cpu reads reused want

	d=$(fresh_dir)
	run_pyflame_split run -v -r 1000 -o "$d/p.txt" -- "$2" "$t" 2 "$d/out.json"
	[ "$status" -eq 0 ]
	check_collapsed format "$d/p.txt"
	# twelve sleepers: idle at every sample, read or not
	check_collapsed share "$d/p.txt" "<idle>" 0.98 "sleeper ($t:$(line_of "$t" '# SLEEP'))"
	# spin (one of fifteen threads) holds the GIL: running at every sample, never skipped
	check_collapsed share "$d/p.txt" 're:spin \(.*quiet\.py:[0-9]+\)' 0.03
	check_collapsed near "$d/p.txt" "<idle>" 're:spin \(.*quiet\.py:[0-9]+\)' 0 0.3
	# the hasher runs and waits at one line: its running share is the share of its time it
	# measured on a CPU or waiting for one (the stack is never taken as quiet once it was
	# found running there)
	cpu=$("$(checker_python)" -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["hasher_busy"])' "$d/out.json")
	echo "# the hasher was on a CPU or waiting for one $cpu of its time"
	check_collapsed near "$d/p.txt" "<idle>" "hasher ($t:$(line_of "$t" '# HASH'))" \
		"$("$(checker_python)" -c "print(1 - $cpu)")" 0.08
	# pyflame's own counts: most sleeper reads were skipped (measured: 5 to 7 of 8)
	read -r reads reused < <(sed -n 's/.*thread states: \([0-9]*\) read, \([0-9]*\) taken.*/\1 \2/p' \
		<<<"$stderr")
	echo "# thread states: $reads read, $reused reused"
	[ "${reused:-0}" -gt $((2 * ${reads:-1})) ]
	# cpu mode: the sleepers only for the CPU they use waking up (about 5% of the samples
	# here, with or without skipped reads), not for the time they sleep (12 of 15 threads)
	pf run -q -x -r 1000 -o "$d/x.txt" -- "$2" "$t" 2 "$d/out.json"
	check_collapsed at-most "$d/x.txt" "sleeper ($t:$(line_of "$t" '# SLEEP'))" 0.15
	check_collapsed share "$d/x.txt" "hasher ($t:$(line_of "$t" '# HASH'))" 0.05
	# spin and hasher in proportion to the CPU time each measured: spin's comes in lumps
	# (the kernel counts a running thread's time at a tick), hasher's in short bursts
	want=$("$(checker_python)" -c 'import json,sys; o=json.load(open(sys.argv[1])); print("%.4f" % (o["spin_cpu"] / (o["spin_cpu"] + o["hasher_cpu"])))' "$d/out.json")
	echo "# spin's part of spin's and hasher's CPU time: $want"
	check_collapsed ratio "$d/x.txt" 're:spin \(.*quiet\.py:[0-9]+\)' \
		"hasher ($t:$(line_of "$t" '# HASH'))" "$want" 0.06
}

@test "profile: threads waiting at one stack are taken as idle without a read, a stack that also runs is not" {
	for_each_python 3.7 quiet_threads
}

children_and_merge() {
	local d t=$TARGETS/hot.py

	d=$(fresh_dir)
	# two Python children of a shell, with the same command line (shares are counted over
	# the samples of the scripts themselves: start-up time depends on the machine's load)
	pf run -q -o "$d/split.txt" -- sh -c "'$2' '$t' 1 & '$2' '$t' 1; wait"
	check_collapsed format "$d/split.txt"
	check_collapsed roots "$d/split.txt" 2
	check_collapsed share "$d/split.txt" "hot ($t:$(line_of "$t" '# HOT'))" 0.9 \
		"<module> ($t:$(line_of "$t" '# CALL_MAIN'))"
	pf run -q --merge -o "$d/merged.txt" -- sh -c "'$2' '$t' 1 & '$2' '$t' 1; wait"
	check_collapsed --merge format "$d/merged.txt"
	check_collapsed --merge roots "$d/merged.txt" 1 "$(basename "$2") $t 1"
	check_collapsed share "$d/merged.txt" "hot ($t:$(line_of "$t" '# HOT'))" 0.9 \
		"<module> ($t:$(line_of "$t" '# CALL_MAIN'))"
}

@test "profile: child processes are followed; --merge joins processes with the same command line" {
	for_each_python 3.11 children_and_merge
}

no_follow() {
	local d t=$TARGETS/hot.py

	d=$(fresh_dir)
	run --separate-stderr timeout -k 5 120 "$PYFLAME" run --no-follow -o "$d/p.txt" -- sh -c "'$2' '$t' 0.5; true"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"no Python process was seen"* ]]
	[ ! -e "$d/p.txt" ]
}

@test "profile: --no-follow profiles the command's own process only" {
	for_each_python 3.11 no_follow
}

# --- readers, modes, summary ------------------------------------------------------------------

@test "profile: a Python found whose every sample is left out is named as such, with the reason" {
	local d pid

	require_python3
	d=$(fresh_dir)
	# attached while it sleeps: --mode cpu keeps nothing of it
	"$PY3" -S -c 'import time; print("ready", flush=True); time.sleep(60)' >"$d/ready" &
	pid=$!
	for _ in $(seq 600); do grep -q ready "$d/ready" && break; sleep 0.1; done
	run --separate-stderr timeout -k 5 120 "$PYFLAME" attach -p "$pid" --mode cpu --duration 1 \
		-o "$d/p.txt"
	kill "$pid"
	[ "$status" -eq 125 ]		# a profile was asked for and none could be written
	[[ "$stderr" == *"no sample of the 1 Python process found was kept; no profile written"* ]]
	[[ "$stderr" == *"--mode cpu keeps only the samples of threads running on a CPU"* ]]
	[[ "$stderr" != *"no Python process was seen"* ]]
	[ ! -e "$d/p.txt" ]
}

readers() {
	local d t=$TARGETS/hot.py r

	d=$(fresh_dir)
	for r in auto vm mem peek; do
		echo "# --reader $r"
		pf run -q --reader "$r" -o "$d/$r.txt" -- "$2" "$t" 0.6
		check_collapsed format "$d/$r.txt"
		# peek stops the process for every read, which makes start-up (imports) take
		# longer: count only the samples taken once the script runs
		check_collapsed share "$d/$r.txt" "hot ($t:$(line_of "$t" '# HOT'))" 0.95 \
			"<module> ($t:$(line_of "$t" '# CALL_MAIN'))"
		check_collapsed tail "$d/$r.txt" "main ($t:$(line_of "$t" '# CALL_HOT'))" "hot ($t:$(line_of "$t" '# HOT'))"
	done
}

@test "profile: every --reader (auto, vm, mem, peek) gives the same hot spot" {
	for_each_python 3.11 readers
}

gil_mode() {
	local d t=$TARGETS/threads.py

	d=$(fresh_dir)
	pf run -q --mode gil -o "$d/p.txt" -- "$2" "$t" "$d/tids.json" 1
	check_collapsed format "$d/p.txt"
	check_collapsed absent "$d/p.txt" "<idle>"
	# the main thread waits in join() for nearly all the run: a third of the samples in
	# wall mode, only the moments it runs (entering and leaving join) here
	check_collapsed at-most "$d/p.txt" "main ($t:$(line_of "$t" '# JOIN'))" 0.08
	check_collapsed tail "$d/p.txt" "alpha_spin ($t:$(line_of "$t" '# ALPHA'))"
	check_collapsed tail "$d/p.txt" "beta_spin ($t:$(line_of "$t" '# BETA'))"
}

@test "profile: --mode gil samples only the thread holding the GIL" {
	for_each_python 3.11 gil_mode
}

exception_mode() {
	local d t=$TARGETS/excmode.py truth

	d=$(fresh_dir "py$1")
	pf run -q --mode exception -r 200 -o "$d/p.txt" -- "$2" "$t" 3 "$d/share.json"
	check_collapsed format "$d/p.txt"
	truth=$("$(checker_python)" -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["share"])' "$d/share.json")
	echo "# the main thread spent a share of $truth of its time in the handler"
	# sampled while in the except block or what it calls, never outside it
	check_collapsed tail "$d/p.txt" "re:handled_span .*" "re:handled_work .*" \
		"re:spin .*"
	check_collapsed absent "$d/p.txt" "re:plain_work .*"
	# asleep in an except block: handling one, and idle
	check_collapsed path "$d/p.txt" "sleeper ($t:$(line_of "$t" '# SLEEPING'))" "<idle>"
	# a generator's exception is its thread's only while it runs
	check_collapsed path "$d/p.txt" "gen_spin ($t:$(line_of "$t" '# GEN_SPIN'))" "re:spin .*"
	check_collapsed absent "$d/p.txt" "re:gen_caller_plain .*"
	# the sleeper is sampled at every tick, the main thread at the ticks it is in the
	# handler: h / (h + s) = share / (share + 1)
	check_collapsed ratio "$d/p.txt" "re:handled_work .*" "re:sleeper .*" \
		"$(awk -v t="$truth" 'BEGIN { printf "%.4f", t / (t + 1) }')" 0.06
}

@test "profile: --mode exception samples only threads handling an exception, every version" {
	for_each_python 2.7 exception_mode
}

@test "profile: --mode exception keeps nothing of code outside handlers and says why" {
	local d pid

	require_python3
	d=$(fresh_dir)
	# from the command's start, only the imports' own handlers (a KeyError caught by
	# importlib, say) may be kept: never the target's code
	run --separate-stderr timeout -k 5 120 "$PYFLAME" run --mode exception -r 200 \
		-o "$d/p.txt" -- "$PY3" "$TARGETS/hot.py" 0.5
	[ "$status" -eq 0 ]
	if [ -e "$d/p.txt" ]; then
		check_collapsed absent "$d/p.txt" "re:.*hot\.py.*"
	fi
	# attached to a process busy outside any handler: nothing is kept, and the reason is said
	"$PY3" -S -c 'print("ready", flush=True)
while True: pass' >"$d/ready" &
	pid=$!
	for _ in $(seq 600); do grep -q ready "$d/ready" && break; sleep 0.1; done
	run --separate-stderr timeout -k 5 120 "$PYFLAME" attach -p "$pid" --mode exception \
		--duration 1 -o "$d/a.txt"
	kill "$pid"
	echo "$stderr"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"no sample of the 1 Python process found was kept; no profile written"* ]]
	[[ "$stderr" == *"--mode exception keeps only the samples of threads handling an exception"* ]]
	[ ! -e "$d/a.txt" ]
}

summary() {
	local d t=$TARGETS/hot.py

	d=$(fresh_dir)
	run --separate-stderr timeout -k 5 120 "$PYFLAME" run -o "$d/p.txt" -- "$2" "$t" 0.5
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	echo "$stderr"
	[[ "$stderr" == "pyflame: "* ]]
	[[ "$stderr" == *"hot ($t"* ]]
	[[ "$stderr" == *"$d/p.txt"* ]]
	run --separate-stderr timeout -k 5 120 "$PYFLAME" run -q -o "$d/q.txt" -- "$2" "$t" 0.5
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ -s "$d/q.txt" ]
	run --separate-stderr timeout -k 5 120 "$PYFLAME" run -v -o "$d/v.txt" -- "$2" "$t" 0.5
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"CPython $1"* ]]
}

@test "profile: a summary on stderr names the top function and the files written; -q silences it" {
	for_each_python 3.11 summary
}

@test "profile: --mode cpu counts the CPU a thread got, not the ticks it was runnable" {
	local d t=$TARGETS/cpushare.py cpu hog hz secs spin
	require_python3
	command -v taskset >/dev/null || skip "no taskset"
	d=$(fresh_dir)
	cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')	# one CPU we may run on
	# a hog on the target's CPU: the target is runnable (state R) all the time, but runs
	# only about half of it
	taskset -c "$cpu" sh -c 'while :; do :; done' 3>&- &
	hog=$!
	run_pyflame_split run -x -r 200 -o "$d/p.txt" -- taskset -c "$cpu" "$PY3" "$t" "$d/out.json" 2
	kill "$hog"
	echo "$stderr"
	[ "$status" -eq 0 ]
	# pyflame's own count of sampled ticks: achieved rate x duration, from its summary
	read -r hz secs < <(sed -n 's/.*requested, \([0-9.]*\) Hz achieved, \([0-9.]*\) s.*/\1 \2/p' \
		<<<"$stderr" | head -1)
	spin=$(grep -F "spin ($t:" "$d/p.txt" | awk '{s += $NF} END {print s + 0}')
	"$PY3" - "$d/out.json" "$hz" "$secs" "$spin" <<'PY'
import json, sys
got = json.load(open(sys.argv[1]))
hz, secs, spin = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
ticks = hz * secs
expected = got["cpu"] * hz		# samples its CPU time is worth
print("cpu %.2f s of %.2f s wall; ticks %.0f, spin samples %d, expected %.0f" %
      (got["cpu"], got["wall"], ticks, spin, expected))
assert got["cpu"] < 0.75 * got["wall"], "the hog did not share the CPU"
# runnable at every tick, but not running: far fewer samples than ticks ...
assert spin < 0.8 * ticks, "counted ticks it was runnable, not the CPU it got"
# ... and about what its CPU time is worth (missed ticks make it a little less)
assert 0.5 * expected - 5 <= spin <= 1.3 * expected + 5, "not its CPU time"
PY
}
