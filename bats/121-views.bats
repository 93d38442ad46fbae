#!/usr/bin/env bats
# The views Python developers already use: pstats files (python -m pstats, snakeviz,
# gprof2dot) and annotated source (HTML).

load helpers

setup() {
	require_pyflame
	require_python3
}

pf() {
	timeout -k 5 120 "$PYFLAME" "$@"
}

# The 3:1 split (bats/targets/split.py) profiled by interpreter $2, checked with that
# interpreter's own pstats: a() first by tottime, a's share of a + b within 5 points of
# the split the target measured.
pstats_split() {
	local d t=$TARGETS/split.py truth

	d=$(fresh_dir)
	pf run -q -r 500 -o "$d/p.pstats" -o "$d/p.raw" -- "$2" "$t" 25 0.025 "$d/spent.json"
	truth=$("$(checker_python)" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.4f" % (d["a"] / (d["a"] + d["b"])))' "$d/spent.json")
	"$2" "$BATS_DIR/check_pstats.py" "$d/p.pstats" a b "$truth" 0.05
	# the same file from the raw log
	pf report -q -o "$d/r.pstats" "$d/p.raw"
	cmp "$d/p.pstats" "$d/r.pstats"
	if command -v gprof2dot >/dev/null; then
		gprof2dot -f pstats "$d/p.pstats" | grep -q 'split.py:[0-9]*:a'
	fi
}

@test "pstats: every interpreter's pstats loads the file; a 3:1 split puts a() first and measures 3:1" {
	for_each_python 2.7 pstats_split
}

@test "pstats: -f pstats to standard output, and .prof names the format" {
	local d t=$TARGETS/split.py

	d=$(fresh_dir)
	pf run -q -r 200 -o "$d/p.prof" -f pstats -o - -- "$PY3" "$t" 4 0.02 >"$d/out.pstats"
	cmp "$d/p.prof" "$d/out.pstats"
	"$PY3" -c 'import pstats, sys; pstats.Stats(sys.argv[1])' "$d/p.prof"
}

# --- annotated source -----------------------------------------------------------------

check_html() {
	"$(checker_python)" "$BATS_DIR/check_html.py" "$@"
}

@test "html: the hot lines' own and total samples equal the collapsed profile's, from one run" {
	local d t=$TARGETS/split.py

	d=$(fresh_dir)
	pf run -q -r 500 -o "$d/p.html" -o "$d/p.txt" -o "$d/p.raw" -- "$PY3" "$t" 10 0.02
	check_html safe "$d/p.html"
	check_html lines "$d/p.html" "$d/p.txt" "$t" "$(line_of "$t" '# A')" "$(line_of "$t" '# B')"
	check_html source "$d/p.html" "$t" "$(line_of "$t" '# A')" \
		"$(sed -n "$(line_of "$t" '# A')p" "$t")"
	# the same page from the raw log
	pf report -q -o "$d/r.html" "$d/p.raw"
	cmp "$d/p.html" "$d/r.html"
}

@test "html: hostile file names and source text are escaped; a source gone at the end is listed" {
	local d name t

	d=$(fresh_dir)
	name='x<b>&"q'\''.py'
	t="$d/$name"
	{
		printf '# -*- coding: latin-1 -*-\n'
		printf '# </td></tr></table><script>alert(1)</script> <img src=x onerror=alert(2)> &amp;\n'
		printf 'import os, sys, time\n'
		printf 's = "\xff\xfe <!-- -->"  # latin-1, not UTF-8\n'
		printf 'def hot():\n'
		printf '    end = time.time() + 0.5\n'
		printf '    while time.time() < end: pass  # HOT\n'
		printf 'hot()\n'
	} >"$t"
	cp "$TARGETS/split.py" "$d/gone.py"
	printf 'import os\nos.remove(__file__)\n' >>"$d/gone.py"
	# the driver runs gone.py (split.py that removes itself) then the hostile one
	printf 'import runpy, sys\nfor f in sys.argv[1:]:\n    sys.argv = [f, "2", "0.01"]\n    runpy.run_path(f, run_name="__main__")\n' >"$d/driver.py"
	pf run -q -r 200 -o "$d/p.html" -o "$d/p.txt" -- "$PY3" "$d/driver.py" "$d/gone.py" "$t"
	check_html safe "$d/p.html"
	check_html lines "$d/p.html" "$d/p.txt" "$t" 7
	check_html source "$d/p.html" "$t" 2 \
		'# </td></tr></table><script>alert(1)</script> <img src=x onerror=alert(2)> &amp;'
	check_html source "$d/p.html" "$t" 4 "$(printf 's = "\357\277\275\357\277\275 <!-- -->"  # latin-1, not UTF-8')"
	check_html missing "$d/p.html" "$d/gone.py"
}
