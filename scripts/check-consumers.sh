#!/usr/bin/env bash
# check-consumers.sh - open pyflame's pprof, speedscope and timeline files with the tools
# people use, on a real run:
#
#   build/pyflame run -o X.pb.gz -o X.speedscope.json -o X.trace.json -- python3 app.py
#
# then
#   pprof       go tool pprof -top (Debian's golang-go) lists burn() first; pprof-format
#               (npm, an independent decoder) decodes it, every reference resolves, and it
#               re-encodes to the same profile
#   speedscope  valid against the JSON schema that the speedscope npm package ships (ajv);
#               and, where chromium is installed, speedscope's own app (from that package,
#               served on 127.0.0.1) loads it in headless chromium and shows its profile
#   timeline    every sampled thread is named, complete events nest, and Chrome DevTools'
#               trace engine (@paulirish/trace_engine) builds a call tree for each thread;
#               the threads are the ones the speedscope file has
#
# Installs what it lacks: golang-go with apt-get (as root), the npm packages under
# $BUILD/npm; chromium only with CHECK_CONSUMERS_BROWSER=1 (it is large).  Environment:
# BUILD (default build), PYFLAME (default $BUILD/pyflame), PYTHON (default python3).
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
pyflame=${PYFLAME:-$build/pyflame}
python=${PYTHON:-python3}
npmdir=$build/npm
npm_pkgs="speedscope@1.25.0 pprof-format@2.3.2 ajv@8.20.0 @paulirish/trace_engine@0.0.65"

pass=0
fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAILED: $*" >&2; fail=$((fail + 1)); }
die() { echo "check-consumers: $*" >&2; exit 1; }

apt_install() {
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		die "missing $*; hint: sudo apt-get install -y $*"
	fi
	echo "check-consumers: installing $*" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
		die "cannot install $*"
}

[ -x "$pyflame" ] || die "no $pyflame: run make first"
command -v "$python" >/dev/null 2>&1 || die "no $python"
command -v go >/dev/null 2>&1 || apt_install golang-go
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm
if [ "${CHECK_CONSUMERS_BROWSER:-0}" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
	apt_install chromium
fi

# The npm packages, pinned; installed once into $BUILD/npm.
need_npm=0
for spec in $npm_pkgs; do
	name=${spec%@*}
	want=${spec##*@}
	have=$(node -e "try{console.log(require('$npmdir/node_modules/$name/package.json').version)}catch(e){}" 2>/dev/null)
	[ "$have" = "$want" ] || need_npm=1
done
if [ "$need_npm" = 1 ]; then
	echo "check-consumers: npm install $npm_pkgs" >&2
	mkdir -p "$npmdir"
	# shellcheck disable=SC2086
	npm install --prefix "$npmdir" --no-audit --no-fund --loglevel=error $npm_pkgs >&2 ||
		die "npm install failed"
fi
export NODE_PATH=$npmdir/node_modules
schema=$npmdir/node_modules/speedscope/dist/release/file-format-schema.json
[ -f "$schema" ] || schema=$(find "$npmdir/node_modules/speedscope" -name file-format-schema.json | head -1)
[ -f "$schema" ] || die "the speedscope package ships no file-format-schema.json"

work=$(mktemp -d /tmp/pyflame-consumers.XXXXXX)
srv=
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$work"' EXIT
cat >"$work/app.py" <<'EOF'
import threading, time

def burn(n):
    s = 0
    for i in range(n):
        s += i * i
    return s

def nap():
    time.sleep(0.4)

def main():
    t = threading.Thread(target=nap, name="napper")
    t.start()
    end = time.time() + 0.8
    while time.time() < end:
        burn(20000)
    t.join()

main()
EOF

x=$work/x
if ! "$pyflame" run -q -o "$x.pb.gz" -o "$x.speedscope.json" -o "$x.trace.json" -- \
	"$python" "$work/app.py"; then
	die "pyflame run failed"
fi
for f in "$x.pb.gz" "$x.speedscope.json" "$x.trace.json"; do
	[ -s "$f" ] || die "pyflame wrote no $f"
done

# pprof: go tool pprof's first row is the function with the most flat time.
top=$(go tool pprof -top "$x.pb.gz" 2>&1)
first=$(printf '%s\n' "$top" | awk '/flat%/ { getline; print $NF; exit }')
if [ "$first" = burn ]; then
	ok "go tool pprof -top: burn has the most flat time"
else
	printf '%s\n' "$top" >&2
	bad "go tool pprof -top: first row is '$first', not burn"
fi
if node "$root/tests/consumers/pprof_roundtrip.js" "$x.pb.gz" burn; then
	ok "pprof-format decodes and re-encodes the profile"
else
	bad "pprof-format"
fi

# speedscope: the package's own schema.
if node "$root/tests/consumers/speedscope_validate.js" "$schema" "$x.speedscope.json" burn; then
	ok "speedscope file matches $(basename "$schema") from speedscope $(node -e "console.log(require('$npmdir/node_modules/speedscope/package.json').version)")"
else
	bad "speedscope schema"
fi

# speedscope's app itself, in a headless browser: it shows the active profile's name.
if command -v chromium >/dev/null 2>&1; then
	web=$work/web
	mkdir -p "$web"
	cp -r "$(dirname "$schema")"/. "$web"/
	cp "$x.speedscope.json" "$web/p.json"
	port=$((20000 + RANDOM % 20000))
	"$python" -m http.server "$port" --bind 127.0.0.1 --directory "$web" >/dev/null 2>&1 &
	srv=$!
	for _ in $(seq 50); do
		"$python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/p.json')" \
			2>/dev/null && break
		sleep 0.1
	done
	want=$(node -e "const d=require('$x.speedscope.json'); console.log(d.profiles[d.activeProfileIndex].name)")
	dom=$(timeout 120 chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=10000 \
		--dump-dom "http://127.0.0.1:$port/index.html#profileURL=http://127.0.0.1:$port/p.json" \
		2>/dev/null)
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	srv=
	if printf '%s' "$dom" | grep -qF "$want"; then
		ok "speedscope's app loads the file in chromium and shows '$want'"
	else
		bad "speedscope's app in chromium does not show '$want'"
	fi
else
	echo "skip: speedscope's app in a browser (no chromium; CHECK_CONSUMERS_BROWSER=1 installs it)"
fi

# timeline: structure and DevTools' trace engine.
if node "$root/tests/consumers/timeline_check.mjs" "$x.trace.json" burn; then
	ok "timeline: threads named, events nested, DevTools' trace engine builds call trees"
else
	bad "timeline"
fi
# The timeline shows the threads the speedscope file has (every sampled thread).
ss_tids=$(node -e "const d=require('$x.speedscope.json');
console.log(d.profiles.map(p=>/thread (\d+)/.exec(p.name)[1]).sort().join(' '))")
tl_tids=$(node -e "const d=require('$x.trace.json');
console.log([...new Set(d.traceEvents.filter(e=>e.ph==='X').map(e=>String(e.tid)))].sort().join(' '))")
if [ -n "$ss_tids" ] && [ "$ss_tids" = "$tl_tids" ]; then
	ok "timeline and speedscope show the same threads ($tl_tids)"
else
	bad "threads: speedscope has '$ss_tids', timeline '$tl_tids'"
fi

echo "check-consumers: $pass passed, $fail failed"
[ "$fail" = 0 ]
