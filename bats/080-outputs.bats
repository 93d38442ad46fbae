#!/usr/bin/env bats
# Many outputs from one run, the run's facts, and the GitHub job summary.

load helpers

setup() {
	require_pyflame
	require_python3
	D=$(fresh_dir out)
}

@test "one run writes every format from the same samples" {
	run_pyflame_split run -r 200 -o "$D/p.txt" -o "$D/p.svg" -o "$D/p.speedscope.json" \
		-o "$D/p.pb.gz" -o "$D/p.trace.json" -o "$D/p.pstats" -o "$D/p.html" \
		-- "$PY3" "$TARGETS/hot.py" 1
	echo "$stderr"
	[ "$status" -eq 0 ]
	for f in p.txt p.svg p.speedscope.json p.pb.gz p.trace.json p.pstats p.html; do
		grep -q "wrote $D/$f" <<<"$stderr"
	done
	total=$(check_collapsed total "$D/p.txt")
	# speedscope: the same number of samples, the hot function, the command and version
	"$PY3" - "$D/p.speedscope.json" "$total" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
frames = d["shared"]["frames"]
hot = 0
for p in d["profiles"]:
    for s in p["samples"]:
        if any(frames[i]["name"] == "hot" for i in s):
            hot += 1
assert "hot.py" in d["name"], d["name"]
assert hot >= 1, d["profiles"]
PY
	# pprof: gzip of a protobuf naming the hot function
	gzip -dc "$D/p.pb.gz" | grep -aq "hot"
	# timeline: the hot function appears as a complete event on a named thread
	"$PY3" - "$D/p.trace.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"]
assert any(e.get("ph") == "X" and e.get("name", "").startswith("hot") for e in ev), ev[:5]
assert any(e.get("ph") == "M" and e.get("name") == "thread_name" for e in ev)
PY
	assert_svg_wellformed "$D/p.svg"
	grep -q "hot (.*hot.py:[0-9]*)" "$D/p.svg"
	# pstats: every sample is in some function's own time or {idle}, hot's among them
	"$PY3" - "$D/p.pstats" "$total" <<'PY'
import pstats, sys
st = pstats.Stats(sys.argv[1]).stats
hot = [v for k, v in st.items() if k[2] == "hot"]
assert hot and hot[0][0] >= 1, hot
period = hot[0][3] / hot[0][0]
samples = sum(v[2] for v in st.values()) / period
assert abs(samples - int(sys.argv[2])) < 0.5, (samples, sys.argv[2])
PY
	# html: the hot line has a row with samples
	grep -q 'data-own="[1-9][0-9]*"' "$D/p.html"
	grep -q '<code>hot</code>' "$D/p.html"
}

@test "-o - writes the profile on stdout after the command's own output" {
	run_pyflame_split run -q -f collapsed -o - -- "$PY3" "$TARGETS/hot.py" 0.5
	[ "$status" -eq 0 ]
	grep -q "^.*hot\.py.*;hot (.*hot\.py:[0-9]*) [0-9][0-9]*$" <<<"$output"
	run_pyflame_split run -q -o - -- "$PY3" -c 'import sys; sys.stdout.write("from the command\n"); sys.stdout.flush(); exec("import time\ne = time.time() + 0.5\nwhile time.time() < e: pass")'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "from the command" ]
	[ "${#lines[@]}" -gt 1 ]
}

@test "GITHUB_STEP_SUMMARY gets the summary in Markdown, unless --no-step-summary" {
	export GITHUB_STEP_SUMMARY="$D/summary.md"
	echo "earlier step" >"$GITHUB_STEP_SUMMARY"
	run_pyflame_split run -q -r 200 -o "$D/s.txt" -- "$PY3" "$TARGETS/hot.py" 0.5
	[ "$status" -eq 0 ]
	cat "$GITHUB_STEP_SUMMARY"
	head -1 "$GITHUB_STEP_SUMMARY" | grep -q "earlier step"
	grep -q "^### pyflame: " "$GITHUB_STEP_SUMMARY"
	grep -q "^| own | % | total | % | function |$" "$GITHUB_STEP_SUMMARY"
	grep -q '| `hot (.*hot.py)` |' "$GITHUB_STEP_SUMMARY"
	grep -q "requested, .* Hz achieved" "$GITHUB_STEP_SUMMARY"
	before=$(wc -l <"$GITHUB_STEP_SUMMARY")
	run_pyflame_split run -q --no-step-summary -o "$D/t.txt" -- "$PY3" "$TARGETS/hot.py" 0.3
	[ "$(wc -l <"$GITHUB_STEP_SUMMARY")" -eq "$before" ]
}
