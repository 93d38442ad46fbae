#!/usr/bin/env bats
# --native-markers: a <native> leaf on top of the Python frame whose call the thread is
# running in C (3.11+: the innermost frame stands on a call opcode).  A pure-Python loop
# gets none.  Older interpreters say so once and profile as before.

load helpers

setup() {
	require_pyflame
	require_python3	# for the checker
}

native_markers() {
	local d t=$TARGETS/nativecalls.py c

	d=$(fresh_dir "py$1")
	timeout -k 5 120 "$PYFLAME" run -q --native-markers -r 500 -o "$d/p.txt" -- "$2" "$t" 30
	check_collapsed format "$d/p.txt"
	c="c_work ($t:$(line_of "$t" '# SORTED'))"
	# sorted() runs in C: most of c_work's samples end in <native> right under its line
	check_collapsed path "$d/p.txt" "$c"
	grep -F "$c;<native> " "$d/p.txt" | sed 's/^/# /' | cut -c1-200
	"$(checker_python)" - "$d/p.txt" "$c" <<'PY'
import sys
tot = nat = 0
for line in open(sys.argv[1], encoding="utf-8"):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    frames = stack.split(";")
    if sys.argv[2] in frames:
        tot += int(n)
        if frames[-1] == "<native>" and frames[-2] == sys.argv[2]:
            nat += int(n)
print("# %d of %d samples in the sorting line end in <native>" % (nat, tot))
sys.exit(not (tot and nat >= 0.5 * tot))
PY
	# the pure-Python loop calls nothing: never <native> under py_work
	check_collapsed path "$d/p.txt" "re:py_work \\(.*\\)"
	! grep -q "py_work ([^)]*);<native>" "$d/p.txt"
}

@test "native-markers: <native> under a line that runs sorted(), none in a pure-Python loop, 3.11+" {
	for_each_python 3.11 native_markers
}

@test "native-markers: without the option, no <native> frame" {
	local d t=$TARGETS/nativecalls.py

	d=$(fresh_dir)
	echo "# $PY3"
	timeout -k 5 120 "$PYFLAME" run -q -r 200 -o "$d/p.txt" -- "$PY3" "$t" 10
	check_collapsed format "$d/p.txt"
	! grep -q "<native>" "$d/p.txt"
}

@test "native-markers: before 3.11 it says so once and profiles as before" {
	local d t=$TARGETS/nativecalls.py v p

	read -r v p < <(pythons_between 3.6 3.10 | tail -n 1)
	[ -n "$p" ] || skip "no Python 3.6-3.10 found"
	echo "# Python $v ($p)"
	d=$(fresh_dir)
	timeout -k 5 120 "$PYFLAME" run -q --native-markers -r 200 -o "$d/p.txt" -- "$p" "$t" 10 2>"$d/err"
	cat "$d/err"
	[ "$(grep -c 'warning: process [0-9]*: --native-markers needs Python 3.11 or later' "$d/err")" -eq 1 ]
	check_collapsed format "$d/p.txt"
	! grep -q "<native>" "$d/p.txt"
	check_collapsed path "$d/p.txt" "re:c_work .*"
}

# pyoffsets.c's call-opcode list for each 3.11+ interpreter found is what its own opcode
# module says (tests/call_ops.py).
call_ops_match() {
	local root=$BATS_TEST_DIRNAME/.. ver want got

	read -r ver want < <("$2" "$root/tests/call_ops.py" | tr -d ',')
	got=$(sed -n "/^static const uint8_t call_ops_${ver/./}\[\] = {/,/^};/p" \
		"$root/src/pyoffsets.c" | sed '1d;$d' | tr ',\t\n' '   ' | tr -s ' ' | sed 's/^ //;s/ $//')
	echo "# $ver interpreter: $want"
	echo "# $ver pyflame:     $got"
	[ -n "$got" ] && [ "$got" = "$want" ]
}

@test "native-markers: the call opcodes pyflame knows are each interpreter's own, 3.11+" {
	[ -r "$BATS_TEST_DIRNAME/../src/pyoffsets.c" ] || skip "no source tree"
	for_each_python 3.11 call_ops_match
}
