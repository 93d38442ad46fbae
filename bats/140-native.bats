#!/usr/bin/env bats
# --native: C frames between and under the Python frames.  Each eval-loop call on the C
# stack is replaced by the Python frames it runs, so a ctypes callback reads Python ->
# qsort -> Python; a hot C function is named under its Python caller; the Python part of
# every stack is the same as without --native.

load helpers

setup() {
	require_pyflame
	require_python3	# for the checkers
}

native_check() {
	"$(checker_python)" "$BATS_DIR/check_native.py" "$@"
}

# At most this share of thread samples dropped (the summary's count): drops happen only in
# the short windows the unwinders cannot cross (libffi's trampolines, a vfork).
few_drops() {
	local err=$1 total dropped

	total=$(sed -n 's/^pyflame: \([0-9]*\) samples from.*/\1/p' "$err")
	dropped=$(sed -n 's/^pyflame: dropped \([0-9]*\) thread samples.*/\1/p' "$err")
	echo "# $total samples, ${dropped:-0} dropped"
	[ -n "$total" ] && [ "${dropped:-0}" -le $((total / 10 + 2)) ]
}

qsort_callback() {
	local d

	fetched_root_of "$2" >/dev/null && { echo "# skipped: its own libffi's trampolines have no CFI"; return 0; }
	d=$(fresh_dir "py$1")
	timeout -k 5 120 "$PYFLAME" run --native -r 200 -o "$d/p.txt" -- "$2" "$TARGETS/native.py" qsort 1.5 2>"$d/err"
	cat "$d/err"
	check_collapsed format "$d/p.txt"
	# root to leaf: the Python caller, libc's sort, the Python callback
	native_check order "$d/p.txt" 'py_caller \(.*native\.py:[0-9]+\)' \
		'qsort(_r)? \(.*libc\.so.*\)' 'py_compare \(.*native\.py:[0-9]+\)'
	# and nothing of the Python frames is lost on the way: <module> is the root's
	native_check order "$d/p.txt" '<module> .*' 'qsort_loop .*' 'py_caller .*' 'qsort.*' \
		'.*closure_fcn.*|.*_CallPythonObject.*' 'py_compare .*'
	few_drops "$d/err"
}

@test "native: ctypes qsort with a Python callback reads py_caller -> qsort -> py_compare" {
	for_each_python 3.6 qsort_callback
}

zlib_hot() {
	local d n

	d=$(fresh_dir "py$1")
	timeout -k 5 120 "$PYFLAME" run --native -r 200 -o "$d/p.txt" -- "$2" "$TARGETS/native.py" zlib 1.5 2>"$d/err"
	check_collapsed format "$d/p.txt"
	# the C code zlib_hot() calls is zlib's (its module function, deflate and friends),
	# under the line that calls it
	native_check under "$d/p.txt" "zlib_hot:$(line_of "$TARGETS/native.py" '# ZLIB')" \
		'zlib_compress.*|deflate.*|zlib_Compress.*' 0.9
	# a function without a symbol (libz's static deflate_slow, longest_match...) is one
	# frame named by its start, not one frame per instruction it was caught at
	n=$(grep -o 'libz[^ ;]*+0x[0-9a-f]*' "$d/p.txt" | sort -u | wc -l)
	echo "# $n distinct unnamed libz frames"
	[ "$n" -le 20 ]
	few_drops "$d/err"
}

@test "native: zlib.compress in a hot loop is named under its Python caller, 3.6+" {
	for_each_python 3.6 zlib_hot
}

@test "native: hashlib.sha256 in a hot loop names OpenSSL under its Python caller" {
	local d

	d=$(fresh_dir)
	timeout -k 5 120 "$PYFLAME" run --native -r 200 -o "$d/p.txt" -- "$PY3" "$TARGETS/native.py" hashlib 1.5 2>"$d/err"
	native_check under "$d/p.txt" "hashlib_hot:$(line_of "$TARGETS/native.py" '# HASHLIB')" \
		'.*SHA256.*|EVP_Digest.*|.*sha256.*' 0.8
}

# A C extension built here against the interpreter's own headers calls back into Python.
ext_callback() {
	local d inc suffix t=$TARGETS/native_ext.py

	inc=$("$2" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
	if [ ! -f "$inc/Python.h" ]; then
		echo "# skipped: no $inc/Python.h (Debian's python3: package python3-dev)"
		return 0
	fi
	d=$(fresh_dir "py$1")
	suffix=$("$2" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX") or ".so")')
	if ! cc -O1 -fPIC -shared -Wno-attributes -I"$inc" -o "$d/pyflame_ext$suffix" \
		"$TARGETS/native_ext.c" 2>"$d/cc.err"; then
		cat "$d/cc.err"
		# the fetched Debian builds' pyconfig.h includes a multiarch one they lack
		fetched_root_of "$2" >/dev/null || return 1
		echo "# skipped: cannot build against the headers in $inc"
		return 0
	fi
	timeout -k 5 120 "$PYFLAME" run --native -r 200 -o "$d/p.txt" -- "$2" "$t" 1.5 "$d" 2>"$d/err"
	cat "$d/err"
	check_collapsed format "$d/p.txt"
	# root to leaf: the Python caller, the extension's two C functions, the Python callback
	native_check order "$d/p.txt" 'ext_main .*' 'py_caller \(.*native_ext\.py:[0-9]+\)' \
		'c_func \(.*pyflame_ext.*\)' 'ext_loop \(.*pyflame_ext.*\)' \
		'py_callback \(.*native_ext\.py:[0-9]+\)'
	# c_func is the C function under py_caller's call line
	native_check under "$d/p.txt" "py_caller:$(line_of "$t" '# CALLER')" 'c_func' 0.9
	few_drops "$d/err"
}

@test "native: a C extension that calls back reads py_caller -> c_func -> ext_loop -> py_callback, 3.6+" {
	command -v cc >/dev/null || skip "no C compiler (cc)"
	for_each_python 3.6 ext_callback
}

@test "native: numpy.dot on the system python3 names BLAS under the Python line" {
	local d

	[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
	/usr/bin/python3 -c 'import numpy' 2>/dev/null ||
		skip "numpy is not installed for /usr/bin/python3 (Debian: package python3-numpy)"
	d=$(fresh_dir)
	timeout -k 5 120 "$PYFLAME" run --native -r 200 -o "$d/p.txt" -- /usr/bin/python3 "$TARGETS/native.py" numpy 1.5 2>"$d/err"
	cat "$d/err"
	check_collapsed format "$d/p.txt"
	# numpy's matrix product hands the work to BLAS (dgemm: reference BLAS or OpenBLAS)
	native_check under "$d/p.txt" "numpy_hot:$(line_of "$TARGETS/native.py" '# NUMPY')" \
		'.*gemm.*|.*gemv.*|.*[Dd]ot.*|.*matrixproduct.*|.*MatrixProduct.*|.*matmul.*' 0.8
	few_drops "$d/err"
}

# The Python frames of each stack, and their shares, are what they are without --native.
same_python() {
	local d t=$TARGETS/stacks.py

	d=$(fresh_dir "py$1")
	timeout -k 5 120 "$PYFLAME" run -q -r 200 -o "$d/plain.txt" -- "$2" "$t" "$d/a.json" 2
	timeout -k 5 120 "$PYFLAME" run -q --native -r 200 -o "$d/native.txt" -- "$2" "$t" "$d/b.json" 2
	check_collapsed format "$d/native.txt"
	native_check pyshares "$d/plain.txt" "$d/native.txt" 0.1
	# the deepest stack of each: rec's 50 recursive calls come through whole
	check_collapsed recursion "$d/native.txt" "rec " 50
}

@test "native: the Python part of every stack has the same shares as without --native, 3.11+" {
	for_each_python 3.11 same_python
}

@test "native: --native=all keeps the eval loop and the call trampolines" {
	local d

	d=$(fresh_dir)
	timeout -k 5 120 "$PYFLAME" run -q --native=all -r 200 -o "$d/p.txt" -- "$PY3" "$TARGETS/native.py" zlib 1
	grep -q '_PyEval_EvalFrameDefault' "$d/p.txt"
	# the eval loop's C frame above the Python frames it runs
	native_check order "$d/p.txt" '_PyEval_EvalFrameDefault .*' '<module> .*' 'zlib_hot .*'
	timeout -k 5 120 "$PYFLAME" run -q --native -r 200 -o "$d/q.txt" -- "$PY3" "$TARGETS/native.py" zlib 1
	! grep -q '_PyEval_EvalFrameDefault' "$d/q.txt"
}

# stripped_callers VERSION PATH: no unnamed frame of the interpreter's own file calls a
# Python frame (they are the calls into the eval loop, folded); --native=all keeps them,
# calling the eval loop's frame
stripped_callers() {
	local d base n all

	d=$(fresh_dir "py$1")
	base=$(basename "$(readlink -f "$2")")
	timeout -k 5 120 "$PYFLAME" run -q --native=all -r 200 -o "$d/all.txt" -- "$2" "$TARGETS/native.py" zlib 1
	timeout -k 5 120 "$PYFLAME" run -q --native -r 200 -o "$d/p.txt" -- "$2" "$TARGETS/native.py" zlib 1
	all=$(native_check anon-callers "$d/all.txt" "$base")
	n=$(native_check anon-callers "$d/p.txt" "$base")
	echo "# $base: $all samples with an unnamed caller of the eval loop with --native=all, $n of a Python frame without"
	[ "$n" -eq 0 ]
	echo "$all" >>"$BATS_TEST_TMPDIR/anon_all"
	# the zlib loop is still named under its Python line
	native_check order "$d/p.txt" 'zlib_hot .*' '.*(zlib|libz).*'
}

@test "native: a stripped interpreter's unnamed call frames are folded like its named ones, 3.11+" {
	for_each_python 3.11 stripped_callers
	# Debian's 3.14 and 3.15 name none of them: where they were fetched, =all showed some
	if [ -n "$(pythons | awk '{print $2}' | while read -r p; do fetched_root_of "$p" >/dev/null && echo "$p"; done)" ]; then
		[ "$(sort -n "$BATS_TEST_TMPDIR/anon_all" | tail -n 1)" -gt 0 ]
	fi
}

@test "native: --native=other is a usage error" {
	run_pyflame run --native=other -- true
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown --native value 'other'"* ]]
}

@test "native: real-time signals, SIGUSR1 and SIGCHLD are delivered exactly while threads are unwound" {
	local want='{"CHLD": 3, "RT1": 5, "RT2": 7, "USR1": 3}' d

	d=$(fresh_dir)
	cd "$d"
	run_pyflame_split run -q --native -r 1000 -o p.txt -- "$PY3" "$TARGETS/rtsig.py"
	echo "# with pyflame --native: $output"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	[ -z "$stderr" ]
}

@test "native: attach --native names the C code under a running program's Python caller" {
	local d pid

	d=$(fresh_dir)
	"$PY3" "$TARGETS/native.py" zlib 6 &
	pid=$!
	sleep 1
	timeout -k 5 60 "$PYFLAME" attach -q --native -p "$pid" --duration 2 -r 200 -o "$d/p.txt"
	kill "$pid" 2>/dev/null || true
	wait "$pid" || true
	native_check under "$d/p.txt" zlib_hot 'zlib_compress.*|deflate.*|zlib_Compress.*' 0.9
}

# dump --native: each thread's C frames too, from one stop of the process, which is let go.
dump_native() {
	local d pid text

	d=$(fresh_dir "py$1")
	"$2" "$TARGETS/service.py" "$d/pid" "$d" 3>&- &
	pid=$!
	wait_for_file "$d/pid"
	sleep 0.3
	# worker-b wakes five times a second; on a loaded machine a dump may find it between
	# naps, running its loop's bytecode (no C call under the frame), so up to three dumps
	# look for it asleep. Whatever each finds under the frame must be C frames.
	for try in 1 2 3; do
		run_pyflame_split dump --native -p "$pid"
		text=$output
		echo "$text"
		[ "$status" -eq 0 ]
		# the sleeping worker: its Python frame, then the C call it waits in (innermost last)
		awk '/"worker-b"/{on=1; next} /^Thread /{on=0} on' <<<"$text" >"$d/b.txt"
		grep -q "in wait_for_jobs$" "$d/b.txt"
		sed -n '/in wait_for_jobs$/,$p' "$d/b.txt" | tail -n +2 >"$d/under.txt"
		[ -z "$(grep -v '^  \[C\] ' "$d/under.txt")" ]
		# asleep, or just awake and waiting for the GIL (it takes it five times a second)
		grep -Eq '^  \[C\] [^ ]*(nanosleep|select|poll|sleep|cond_timedwait|cond_wait|futex)[^ ]* \(' \
			"$d/under.txt" && break
		echo "# dump $try found worker-b awake"
	done
	[ "$try" -lt 3 ] || grep -Eq '^  \[C\] [^ ]*(nanosleep|select|poll|sleep|cond_timedwait|cond_wait|futex)[^ ]* \(' \
		"$d/under.txt"
	[[ "$text" != *"no C frames"* ]]
	# the JSON says which frames are C
	run_pyflame_split dump --native --json -p "$pid"
	[ "$status" -eq 0 ]
	"$(checker_python)" -c '
import json, sys
d = json.load(sys.stdin)
b = [t for t in d["threads"] if t["name"] == "worker-b"][0]["frames"]
k = [f["name"] for f in b].index("wait_for_jobs")
assert not b[k].get("native") and b[k]["line"] > 0, b
assert b[k + 1:] and all(f.get("native") and f["line"] is None for f in b[k + 1:]), b
' <<<"$output"
	# and it runs on, not traced
	grep -q "TracerPid:[[:space:]]*0$" "/proc/$pid/status"
	touch "$d/stop"
	wait "$pid"
}

@test "dump --native shows the C call a sleeping thread is in, under its Python frame" {
	for_each_python 3.6 dump_native
}

# after_frame TEXT FUNC: the lines after the (first) Python frame "in FUNC" of TEXT, up to
# the next thread or process
after_frame() {
	awk -v f="in $2" 'on && /^(Thread|Process|pyflame)/{exit} on{print} index($0, f) && $0 ~ f "$" {on=1}' <<<"$1"
}

native_dumps() {
	local d t=$TARGETS/native_dumps.py under pf

	d=$(fresh_dir "py$1")
	# SIGUSR1 once the target naps (--dump-on-timeout prints the same way): the C call
	# the nap is in, under its Python frame
	"$PYFLAME" run --native -o "$d/p.txt" -- "$2" "$t" 3 "$d/ready" 2>"$d/err" &
	pf=$!
	wait_for_file "$d/ready"
	for _ in 1 2 3 4 5; do
		sleep 0.3
		kill -USR1 "$pf"
		sleep 0.1
		under=$(after_frame "$(cat "$d/err")" nap)
		grep -Eq '^  \[C\] [^ ]*(nanosleep|select|sleep)[^ ]* \(' <<<"$under" && break
	done
	wait "$pf"
	cat "$d/err"
	grep -q "^pyflame: Python stacks at .* (SIGUSR1):" "$d/err"
	echo "# under nap: $under"
	[ -n "$under" ]
	[ -z "$(grep -v '^  \[C\] ' <<<"$under")" ]
	grep -Eq '^  \[C\] [^ ]*(nanosleep|select|sleep)[^ ]* \(' <<<"$under"
	# a crash: the C frames of the thread that received the signal, down to abort;
	# the command dies of it as it would have
	run_pyflame_split run --native -o "$d/c.txt" -- "$2" "$t" 0.2 "$d/ready2" crash
	[ "$status" -eq 134 ]
	grep -q "^pyflame: process [0-9]* received SIGABRT in thread [0-9]*; its Python stacks:" <<<"$stderr"
	under=$(after_frame "$stderr" crash)
	echo "# under crash: $under"
	[ -z "$(grep -v '^  \[C\] ' <<<"$under")" ]
	grep -Eq '^  \[C\] (abort|raise|__pthread_kill[^ ]*|pthread_kill[^ ]*) \(' <<<"$under"
	# and the Python frames above are whole
	grep -q "File \"$t\", line $(line_of "$t" '# ABORT'), in crash" <<<"$stderr"
}

@test "native: SIGUSR1's and a crash's stacks show the C frames under the Python ones, 3.6+" {
	for_each_python 3.6 native_dumps
}
