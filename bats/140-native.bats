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
	local d

	d=$(fresh_dir "py$1")
	timeout -k 5 120 "$PYFLAME" run --native -r 200 -o "$d/p.txt" -- "$2" "$TARGETS/native.py" zlib 1.5 2>"$d/err"
	check_collapsed format "$d/p.txt"
	# the C code zlib_hot() calls is zlib's: its module function, deflate and friends
	native_check under "$d/p.txt" zlib_hot 'zlib_compress.*|deflate.*|zlib_Compress.*' 0.9
	few_drops "$d/err"
}

@test "native: zlib.compress in a hot loop is named under its Python caller, 3.6+" {
	for_each_python 3.6 zlib_hot
}

@test "native: hashlib.sha256 in a hot loop names OpenSSL under its Python caller" {
	local d

	d=$(fresh_dir)
	timeout -k 5 120 "$PYFLAME" run --native -r 200 -o "$d/p.txt" -- "$PY3" "$TARGETS/native.py" hashlib 1.5 2>"$d/err"
	native_check under "$d/p.txt" hashlib_hot '.*SHA256.*|EVP_Digest.*|.*sha256.*' 0.8
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
