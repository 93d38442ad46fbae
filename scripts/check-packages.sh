#!/usr/bin/env bash
# check-packages.sh - install pyflame's wheel and .deb the way users do, profile through
# each, remove each, and check what is left.  Run by `make check-packages` (part of
# `make check`) after `make wheel deb`:
#
#   scripts/check-packages.sh DIST
#
# The wheel: its RECORD (every file, hash and size), its tag against the binary's glibc
# floor, NEEDED entries glibc's only, and the binary run in a chroot that holds glibc and
# nothing else; then, for every local CPython 3 (/usr/bin/python3 and pyenv's), a fresh
# venv: pip install, `pyflame run` from the venv's bin on a busy function (the collapsed
# profile must name it), `python -m pyflame --version`, pip uninstall, nothing left.
# The .deb (as root): dpkg -i, the same profile with /usr/bin/pyflame, the man page and
# completion in place, dpkg -r, every file gone.  Exit status 1 if any check fails;
# what cannot be checked here (an interpreter whose pip is too old, not root) is said.
set -euo pipefail

dist=${1:?usage: scripts/check-packages.sh DIST}
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^#define PYFLAME_VERSION "\(.*\)"/\1/p' "$root/include/pyflame/version.h")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pyflame-packages.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0 tested=0

say() { printf 'check-packages: %s\n' "$*"; }
fail() {
	printf 'check-packages: FAIL: %s\n' "$*" >&2
	failures=$((failures + 1))
}

shopt -s nullglob
whls=("$dist"/pyflame-"$version"-*.whl)
debs=("$dist"/pyflame_"$version"_*.deb)
shopt -u nullglob
[ "${#whls[@]}" -eq 1 ] || { fail "want one wheel of $version in $dist, found ${#whls[@]}"; exit 1; }
[ "${#debs[@]}" -eq 1 ] || { fail "want one .deb of $version in $dist, found ${#debs[@]}"; exit 1; }
whl=$(cd "$(dirname "${whls[0]}")" && pwd)/$(basename "${whls[0]}")
deb=$(cd "$(dirname "${debs[0]}")" && pwd)/$(basename "${debs[0]}")

# The profiled program: a function that only computes, for a second.
BUSY='import time
def pyflame_pkg_busy():
    n, end = 0, time.time() + 1.0
    while time.time() < end:
        n += 1
    return n
pyflame_pkg_busy()'

# needed BINARY: its NEEDED entries, one a line
needed() { readelf -dW "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort; }

# smoke PYFLAME PYTHON LABEL: profile BUSY, check the profile names the function
smoke() {
	local pf=$1 py=$2 label=$3 out=$tmp/smoke.txt
	rm -f "$out"
	if ! (cd "$tmp" && "$pf" run -q -o "$out" -- "$py" -c "$BUSY") >"$tmp/smoke.log" 2>&1; then
		fail "$label: pyflame run failed: $(tail -3 "$tmp/smoke.log")"
		return
	fi
	if ! grep -q 'pyflame_pkg_busy' "$out"; then
		fail "$label: the profile does not name pyflame_pkg_busy: $(head -c 300 "$out")"
		return
	fi
	say "$label: profiled $(awk '/pyflame_pkg_busy/ { n += $NF } END { print n }' "$out") samples in pyflame_pkg_busy"
}

# --- the wheel file ------------------------------------------------------------------
say "wheel: $(basename "$whl") ($(stat -c %s "$whl") bytes)"
mkdir "$tmp/whl"
python3 - "$whl" "$tmp/whl" <<'EOF' || fail "wheel: RECORD or layout is wrong"
import base64, hashlib, sys, zipfile
whl, dest = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(whl)
name = whl.rsplit("/", 1)[-1][:-4].split("-")
dist_info = "%s-%s.dist-info" % (name[0], name[1])
record = z.read(dist_info + "/RECORD").decode().splitlines()
listed, bad = set(), []
for line in record:
    path, digest, size = line.rsplit(",", 2)
    listed.add(path)
    if path == dist_info + "/RECORD":
        if digest or size:
            bad.append("RECORD lists itself with a hash")
        continue
    data = z.read(path)
    want = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    if digest != want or int(size) != len(data):
        bad.append("%s: RECORD says %s %s, the file is %s %d" % (path, digest, size, want, len(data)))
for n in z.namelist():
    if n not in listed:
        bad.append("%s: not in RECORD" % n)
wheel = z.read(dist_info + "/WHEEL").decode()
tags = [l.split(": ", 1)[1] for l in wheel.splitlines() if l.startswith("Tag: ")]
if "-".join(name[2:]) != "py3-none-" + ".".join(t.split("-", 2)[2] for t in tags):
    bad.append("file name tag %s, WHEEL tags %s" % ("-".join(name[2:]), tags))
meta = z.read(dist_info + "/METADATA").decode()
if "Name: pyflame\n" not in meta or "Version: %s\n" % name[1] not in meta:
    bad.append("METADATA lacks Name or Version")
for want in ("pyflame/__init__.py", "pyflame/__main__.py", "pyflame-%s.data/scripts/pyflame" % name[1],
             "pyflame-%s.data/data/share/man/man1/pyflame.1" % name[1]):
    if want not in listed:
        bad.append("missing " + want)
open(dest + "/pyflame", "wb").write(z.read("pyflame-%s.data/scripts/pyflame" % name[1]))
open(dest + "/tag", "w").write(name[4])
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
EOF
bin=$tmp/whl/pyflame
chmod +x "$bin"
got=$(needed "$bin" | tr '\n' ' ')
if [ "$got" != "libc.so.6 libm.so.6 " ]; then
	fail "wheel: the binary needs $got(want libc.so.6 libm.so.6 only)"
fi
floor=$(readelf -VW "$bin" | grep -oE 'Name: GLIBC_[0-9]+\.[0-9]+' | sed 's/.*GLIBC_//' |
	sort -t. -k1,1n -k2,2n | tail -1)
tag=$(cat "$tmp/whl/tag")
if [ "$tag" != "manylinux_${floor/./_}_x86_64" ]; then
	fail "wheel: tag $tag, but the binary's glibc floor is $floor"
fi
say "wheel: NEEDED $got; glibc floor $floor; tag $tag"

# glibc and nothing else: a chroot with the loader, libc and libm; the binary must start
# and write a gzip'd pprof (zlib) from a collapsed profile
if [ "$(id -u)" = 0 ]; then
	cr=$tmp/chroot
	mkdir -p "$cr/tmp"
	for lib in /lib64/ld-linux-x86-64.so.2 $(ldd "$bin" | grep -oE '/[^ ]+\.so[^ ]*'); do
		mkdir -p "$cr$(dirname "$lib")"
		cp -L "$lib" "$cr$lib"
	done
	cp "$bin" "$cr/pyflame"
	printf 'python3 x.py;main (x.py:1);work (x.py:2) 5\n' >"$cr/tmp/in.txt"
	if ! chroot "$cr" /pyflame --version >"$tmp/chroot.log" 2>&1 ||
		! chroot "$cr" /pyflame report -q /tmp/in.txt -o /tmp/out.pb.gz >>"$tmp/chroot.log" 2>&1 ||
		! gzip -t "$cr/tmp/out.pb.gz"; then
		fail "wheel: the binary does not run with glibc alone: $(cat "$tmp/chroot.log")"
	else
		say "wheel: runs in a chroot with only $(cd "$cr" && find . -name '*.so*' | wc -l) glibc files"
	fi
else
	say "wheel: not root: the glibc-only chroot run is skipped"
fi

# --- the wheel in a venv of every local CPython 3 ------------------------------------
pythons=()
[ -x /usr/bin/python3 ] && pythons+=(/usr/bin/python3)
if command -v pyenv >/dev/null 2>&1 && [ -d "$(pyenv root)/versions" ]; then
	for p in "$(pyenv root)"/versions/*/bin/python3; do
		[ -x "$p" ] && pythons+=("$p")
	done
fi
debian_pip=""
/usr/bin/python3 -m pip --version >/dev/null 2>&1 && debian_pip=/usr/bin/python3

# pip_new_enough PIP-COMMAND...: that pip's version is at least 20.3 (PEP 600 tags)
pip_new_enough() {
	local v
	v=$("$@" --version 2>/dev/null | awk '{ print $2 }') || return 1
	[ -n "$v" ] && [ "$(printf '%s\n20.3\n' "$v" | sort -V | head -1)" = 20.3 ]
}

# Each interpreter once with the venv's own pip; /usr/bin/python3 once more in a venv
# made --without-pip, installed with Debian's pip --python (what a venv whose Python has no
# ensurepip gets, and the fallback where a venv's pip is too old).
cases=()
for py in "${pythons[@]}"; do cases+=("$py own"); done
[ -n "$debian_pip" ] && cases+=("$debian_pip debian")
n=0
for c in "${cases[@]}"; do
	py=${c% *} how=${c##* }
	n=$((n + 1))
	ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
	label="wheel on $ver ($py)"
	venv=$tmp/venv$n
	vpy=$venv/bin/python
	if [ "$how" = own ] && ! "$py" -m venv "$venv" >"$tmp/venv.log" 2>&1; then
		rm -rf "$venv"
		how=debian	# no ensurepip: a venv without pip
	fi
	if [ "$how" = debian ] && ! "$py" -m venv --without-pip "$venv" >"$tmp/venv.log" 2>&1; then
		say "$label: skipped: no venv module ($(tail -1 "$tmp/venv.log"))"
		continue
	fi
	debian_ok=0
	[ -n "$debian_pip" ] && pip_new_enough "$debian_pip" -m pip &&
		"$vpy" -c 'import sys; sys.exit(sys.version_info < (3, 7))' && debian_ok=1
	if [ "$how" = own ] && pip_new_enough "$vpy" -m pip; then
		pip=("$vpy" -m pip)
	elif [ "$debian_ok" = 1 ]; then
		pip=("$debian_pip" -m pip --python "$vpy")
	elif [ "$how" = own ]; then
		say "$label: skipped: the venv's pip ($("$vpy" -m pip --version 2>/dev/null | awk '{ print $2 }')) predates manylinux_2_x tags and Debian's pip does not run on $ver"
		continue
	else
		say "$label: skipped: no pip in the venv, and Debian's pip (python3-pip) is missing or does not run on $ver"
		continue
	fi
	pip_how="$("${pip[@]}" --version | awk '{ print $2 }') (${pip[0]/#$venv/venv} ${pip[*]:1:2}${pip[3]:+ --python venv})"
	pip+=(--disable-pip-version-check --no-input)
	failed_before=$failures
	find "$venv" | sort >"$tmp/before"
	if ! "${pip[@]}" install -q --no-index --no-deps "$whl" >"$tmp/pip.log" 2>&1; then
		fail "$label: pip install failed: $(tail -3 "$tmp/pip.log")"
		continue
	fi
	tested=$((tested + 1))
	[ -x "$venv/bin/pyflame" ] || fail "$label: no bin/pyflame in the venv"
	[ -f "$venv/share/man/man1/pyflame.1" ] || fail "$label: no share/man/man1/pyflame.1"
	[ -f "$venv/share/bash-completion/completions/pyflame" ] || fail "$label: no completion"
	smoke "$venv/bin/pyflame" "$vpy" "$label"
	# python -m pyflame: the package finds the binary pip installed
	first=$("$vpy" -m pyflame --version 2>&1 | head -1)
	[ "$first" = "pyflame $version" ] || fail "$label: python -m pyflame --version says '$first'"
	# from another directory, through a PATH without the venv
	first=$(cd / && env PATH=/usr/bin:/bin "$vpy" -m pyflame --version 2>&1 | head -1)
	[ "$first" = "pyflame $version" ] || fail "$label: python -m pyflame from / says '$first'"
	if ! "${pip[@]}" uninstall -y -q pyflame >"$tmp/pip.log" 2>&1; then
		fail "$label: pip uninstall failed: $(tail -3 "$tmp/pip.log")"
		continue
	fi
	# nothing left: no path names pyflame, and nothing is there that was not before
	# (bytecode pip itself compiled meanwhile aside)
	left=$(find "$venv" -iname '*pyflame*')
	[ -z "$left" ] || fail "$label: left after uninstall: $left"
	# pip removes the files it installed but leaves the data directories it made
	# (share/man, share/bash-completion) when empty: those are said, not failed
	find "$venv" | sort >"$tmp/after"
	new=$(comm -13 "$tmp/before" "$tmp/after" |
		grep -vE '/site-packages/(pip|_distutils_hack|setuptools|pkg_resources)(/|-)|/__pycache__(/|$)' || true)
	files="" dirs=""
	while IFS= read -r f; do
		if [ -d "$f" ]; then
			dirs+="${f#"$venv"/} "
		elif [ -n "$f" ]; then
			files+="$f "
		fi
	done <<<"$new"
	[ -z "$files" ] || fail "$label: left after uninstall: $files"
	[ "$failures" -gt "$failed_before" ] ||
		say "$label: pip ${pip_how}: installed, profiled, python -m pyflame works, uninstalled${dirs:+ (empty directories pip leaves: $dirs)}"
done
if [ "$tested" -lt 2 ]; then
	fail "the wheel was installed in $tested venv(s); want at least 2"
fi

# --- the .deb --------------------------------------------------------------------------
say "deb: $(basename "$deb") ($(stat -c %s "$deb") bytes); Depends: $(dpkg-deb -f "$deb" Depends)"
for p in libc6 libseccomp2 libcap2 zlib1g; do
	dpkg-deb -f "$deb" Depends | grep -qw "$p" || fail "deb: Depends lacks $p"
done
if [ "$(id -u)" != 0 ]; then
	say "deb: not root: dpkg -i / dpkg -r skipped"
elif dpkg-query -W -f='${Status}' pyflame 2>/dev/null | grep -q 'ok installed'; then
	say "deb: a pyflame package is already installed here: dpkg -i / dpkg -r skipped, to keep it"
else
	if ! dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1; then
		fail "deb: dpkg -i failed: $(tail -3 "$tmp/dpkg.log")"
	else
		files=$(dpkg -L pyflame)
		for f in /usr/bin/pyflame /usr/share/man/man1/pyflame.1.gz \
			/usr/share/bash-completion/completions/pyflame /usr/share/doc/pyflame/copyright; do
			[ -f "$f" ] || fail "deb: $f not installed"
		done
		first=$(/usr/bin/pyflame --version | head -1)
		[ "$first" = "pyflame $version" ] || fail "deb: /usr/bin/pyflame --version says '$first'"
		got=$(needed /usr/bin/pyflame | tr '\n' ' ')
		for lib in libseccomp.so.2 libcap.so.2 libz.so.1 libc.so.6; do
			[[ " $got" == *" $lib "* ]] || fail "deb: /usr/bin/pyflame does not need $lib ($got)"
		done
		smoke /usr/bin/pyflame /usr/bin/python3 "deb ($(/usr/bin/python3 -V 2>&1))"
		bash -c 'source /usr/share/bash-completion/completions/pyflame && complete -p pyflame' \
			>/dev/null 2>&1 || fail "deb: the completion does not load"
		if ! dpkg -r pyflame >"$tmp/dpkg.log" 2>&1; then
			fail "deb: dpkg -r failed: $(tail -3 "$tmp/dpkg.log")"
		fi
		while IFS= read -r f; do
			[ -d "$f" ] && continue
			[ -e "$f" ] && fail "deb: $f is still there after dpkg -r"
		done <<<"$files"
		dpkg-query -W -f='${Status}' pyflame 2>/dev/null | grep -q 'ok installed' &&
			fail "deb: still installed after dpkg -r"
		say "deb: installed, profiled, removed; NEEDED $got"
	fi
fi

if [ "$failures" -gt 0 ]; then
	say "$failures check(s) failed"
	exit 1
fi
say "all checks passed (the wheel in $tested venvs)"
