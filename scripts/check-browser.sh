#!/usr/bin/env bash
# check-browser.sh - pyflame's SVG flame graph in a real browser (headless chromium):
# tests/consumers/svg_browser.js profiles a small script with `pyflame run -o X.svg`, opens
# the SVG, hovers, clicks to zoom, resets, searches (the Search control and Ctrl-F), and
# checks what the page shows, with no console error; tests/consumers/svg_diff_browser.js
# does the same for a `pyflame diff` graph of two runs (colours, both counts on hover);
# tests/consumers/html_browser.js checks the annotated-source page (-o X.html): each line's
# counts against the collapsed stacks of the same run, heat colours, the links.
# Screenshots: $BUILD/browser/*.png, $BUILD/browser/diff/*.png and $BUILD/browser/html/*.png.
#
# Installs what it lacks: chromium (Debian's, with apt-get as root), node and npm, and the
# pinned npm package playwright-core under $BUILD/npm (it drives the installed chromium;
# no browser is ever downloaded).  Where chromium cannot be installed or started, or the
# driver cannot be installed, it prints one line "check-browser: SKIPPED: <why>" and exits
# 0 (CHECK_BROWSER_REQUIRED=1 makes that a failure).  A failed check exits 1.
#
# Environment: BUILD (default build), PYFLAME (default $BUILD/pyflame), PYTHON (default
# python3), CHROMIUM (default /usr/bin/chromium), CHECK_BROWSER_CONSUMERS=1 also runs
# check-consumers.sh with CHECK_CONSUMERS_BROWSER=1 (speedscope's own app in chromium).
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
pyflame=${PYFLAME:-$build/pyflame}
python=${PYTHON:-python3}
chromium=${CHROMIUM:-/usr/bin/chromium}
npmdir=$build/npm
npm_pkgs="playwright-core@1.65.1"
# The only flags chromium gets (playwright-core adds its own automation flags).
flags="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
--disable-background-networking --disable-component-update --disable-sync"

die() { echo "check-browser: $*" >&2; exit 1; }
skip() {
	if [ "${CHECK_BROWSER_REQUIRED:-0}" = 1 ]; then
		die "FAILED (CHECK_BROWSER_REQUIRED=1): $*"
	fi
	echo "check-browser: SKIPPED: $*"
	exit 0
}

apt_install() {
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 ||
		return 1
	echo "check-browser: installing $*" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null 2>&1 &&
		apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}

[ -x "$pyflame" ] || die "no $pyflame: run make first"
command -v "$python" >/dev/null 2>&1 || die "no $python"

if [ ! -x "$chromium" ]; then
	if [ -n "${CHROMIUM:-}" ]; then
		skip "CHROMIUM=$chromium is not an executable"
	fi
	# fonts-dejavu-core: the labels in the screenshots are text, not boxes.
	apt_install chromium fonts-dejavu-core ||
		skip "chromium is not installed and cannot be (need root and apt-get: sudo apt-get install -y chromium)"
	[ -x "$chromium" ] || skip "chromium installed, but there is no $chromium"
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	apt_install nodejs npm || skip "node and npm are not installed and cannot be (sudo apt-get install -y nodejs npm)"
fi

# playwright-core, pinned, beside check-consumers' packages in $BUILD/npm.  It has no
# install script and downloads nothing; PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD makes sure.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
for spec in $npm_pkgs; do
	name=${spec%@*}
	want=${spec##*@}
	have=$(node -e "try{console.log(require('$npmdir/node_modules/$name/package.json').version)}catch(e){}" 2>/dev/null)
	if [ "$have" != "$want" ]; then
		echo "check-browser: npm install $spec" >&2
		mkdir -p "$npmdir"
		npm install --prefix "$npmdir" --no-audit --no-fund --loglevel=error "$spec" >&2 ||
			skip "npm install $spec failed (is the npm registry reachable?)"
	fi
done
export NODE_PATH=$npmdir/node_modules

# Can chromium start here?  Render a page with a script and read the DOM back.
probe=$(mktemp -d /tmp/pyflame-browser-probe.XXXXXX)
trap 'rm -rf "$probe"' EXIT
printf '<html><body><script>document.body.textContent = "pyflame-" + (6 * 7);</script></body></html>\n' \
	>"$probe/p.html"
# shellcheck disable=SC2086
dom=$(timeout 60 "$chromium" $flags --user-data-dir="$probe/profile" --dump-dom \
	"file://$probe/p.html" 2>"$probe/err")
if ! printf '%s' "$dom" | grep -q 'pyflame-42'; then
	why=$(grep -v '^\s*$' "$probe/err" | tail -1 | cut -c1-160)
	skip "chromium ($("$chromium" --version 2>/dev/null | head -1)) cannot start here${why:+: $why}"
fi
echo "check-browser: $("$chromium" --version 2>/dev/null | grep -i chromium | head -1), playwright-core $(node -e "console.log(require('$npmdir/node_modules/playwright-core/package.json').version)")"

status=0
out=$build/browser
rm -rf "$out"
CHROMIUM=$chromium timeout 600 node "$root/tests/consumers/svg_browser.js" \
	--pyflame "$pyflame" --python "$python" --out "$out" || status=1
# The annotated-source page: per-line counts, heat colours, links.
CHROMIUM=$chromium timeout 600 node "$root/tests/consumers/html_browser.js" \
	--pyflame "$pyflame" --python "$python" --out "$out/html" || status=1
# pyflame diff's graph: two runs, their diff, the same checks plus both counts on hover.
CHROMIUM=$chromium timeout 600 node "$root/tests/consumers/svg_diff_browser.js" \
	--pyflame "$pyflame" --python "$python" --out "$out/diff" || status=1

if [ "${CHECK_BROWSER_CONSUMERS:-0}" = 1 ]; then
	BUILD=$build PYFLAME=$pyflame PYTHON=$python CHECK_CONSUMERS_BROWSER=1 \
		"$root/scripts/check-consumers.sh" || status=1
fi
[ "$status" = 0 ] || echo "check-browser: FAILED" >&2
exit "$status"
