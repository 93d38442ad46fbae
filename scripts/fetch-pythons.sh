#!/usr/bin/env bash
# fetch-pythons.sh - real CPython builds that the system does not package, for the tests.
#
#   scripts/fetch-pythons.sh [--print-dir] [--force] [MINOR...]    (default: 3.14 3.15)
#
# Debian unstable packages CPython 3.14 and 3.15 (static PIE, non-PIE, debug and the shared
# libpython with its headers).  They are downloaded with apt-get run on a private state
# folder (the system's apt sources are not touched), unpacked with dpkg -x into one folder
# with unstable's libc and the few libraries they link, and each binary is pointed at that
# libc with patchelf.  The folder lives outside the checkout and is re-used when present:
#
#   ${PYFLAME_PYTHONS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pyflame/pythons}
#     root/usr/bin/python3.X          PIE, static libpython
#     root/usr/bin/python3.X-nopie    the same, non-PIE (python3.X-nopie, extracted apart)
#     root/usr/bin/python3.Xd         debug build (python3.X-dbg)
#     root/usr/bin/python3.X-config   for an embedding host (libpython3.X.so, -dev)
#     pythons.txt                     the interpreters that run, one path a line
#
# It never fails a test run: what cannot be downloaded or does not run is said on stderr
# ("fetch-pythons: skipped ...") and left out of pythons.txt; the exit status is 0 unless
# the arguments are wrong.  --print-dir prints the folder and does nothing else.
set -u

dir=${PYFLAME_PYTHONS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pyflame/pythons}
force=0
minors=()
for a in "$@"; do
	case "$a" in
	--print-dir) echo "$dir"; exit 0 ;;
	--force) force=1 ;;
	3.[0-9]*) minors+=("$a") ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed 's/^# \{0,1\}//; /^set -u/d'; exit 0 ;;
	*) echo "usage: scripts/fetch-pythons.sh [--print-dir] [--force] [3.X...]" >&2; exit 2 ;;
	esac
done
[ "${#minors[@]}" -gt 0 ] || minors=(3.14 3.15)

# Libraries the interpreters link, and unstable's libc itself.
libs="libc6 libexpat1 zlib1g libffi8 libzstd1 liblzma5 libbz2-1.0 libssl3t64 libgcc-s1
libmpdec4 libuuid1 libsqlite3-0 libtinfo6 libncursesw6 libreadline8t64"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mirror=${PYFLAME_DEBIAN_MIRROR:-http://deb.debian.org/debian}

say() { echo "fetch-pythons: $*" >&2; }

# Is everything asked for already there, and does it run?
ready() {
	local m
	[ -s "$dir/pythons.txt" ] || return 1
	for m in "${minors[@]}"; do
		grep -q "/python$m\$" "$dir/pythons.txt" || return 1
	done
	while read -r p; do
		"$p" -c pass >/dev/null 2>&1 || return 1
	done <"$dir/pythons.txt"
}

if [ "$force" = 0 ] && ready; then
	say "re-using $dir ($(wc -l <"$dir/pythons.txt") interpreters)"
	exit 0
fi

for t in apt-get dpkg; do
	command -v "$t" >/dev/null 2>&1 || { say "skipped: no $t on this machine"; exit 0; }
done
if ! command -v patchelf >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends patchelf >/dev/null 2>&1
	fi
	command -v patchelf >/dev/null 2>&1 || {
		say "skipped: patchelf is missing"
		say "hint: apt-get install patchelf"
		exit 0
	}
fi
[ -r "$keyring" ] || { say "skipped: no Debian archive keyring ($keyring)"; exit 0; }

tmp="$dir.new.$$"
rm -rf "$tmp"
mkdir -p "$tmp/apt/lists/partial" "$tmp/apt/cache/archives/partial" "$tmp/apt/sources.d" \
	"$tmp/debs" "$tmp/root" || { say "skipped: cannot create $tmp"; exit 0; }
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/apt/sources.d/sid.sources" <<SRC
Types: deb
URIs: $mirror
Suites: sid
Components: main
Architectures: amd64
Signed-By: $keyring
SRC
apt_opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$tmp/apt/sources.d"
	-o "Dir::State::Lists=$tmp/apt/lists" -o "Dir::Cache=$tmp/apt/cache"
	-o "Dir::State::status=/dev/null" -o "APT::Architecture=amd64" -o "Debug::NoLocking=1")

# apt-get update exits 0 when a source cannot be reached: look for the list itself.
if ! apt-get "${apt_opts[@]}" -qq update >"$tmp/update.log" 2>&1 ||
	! ls "$tmp"/apt/lists/*_Packages* >/dev/null 2>&1; then
	say "skipped: cannot read Debian unstable's package lists from $mirror:"
	sed 's/^/  /' "$tmp/update.log" | tail -n 3 >&2
	say "the tests run on the interpreters this machine has"
	exit 0
fi

# Download one package; its name on failure goes to the skipped list.
skipped=()
get() {
	(cd "$tmp/debs" && apt-get "${apt_opts[@]}" -qq download "$1" >/dev/null 2>&1) || {
		skipped+=("$1")
		return 1
	}
}
for p in $libs; do
	get "$p"
done
for m in "${minors[@]}"; do
	for p in python$m python$m-minimal libpython$m-minimal libpython$m-stdlib \
		python$m-dbg libpython$m-dbg libpython$m libpython$m-dev python$m-nopie; do
		get "$p"
	done
done

# Unpack everything but the non-PIE interpreters (same path as the PIE ones) into root/.
for deb in "$tmp"/debs/*.deb; do
	[ -e "$deb" ] || continue
	case "${deb##*/}" in
	python3.*-nopie_*)
		m=${deb##*/python}
		m=${m%%-nopie_*}
		mkdir -p "$tmp/nopie-$m"
		dpkg -x "$deb" "$tmp/nopie-$m" && [ -f "$tmp/nopie-$m/usr/bin/python$m" ] &&
			mv "$tmp/nopie-$m/usr/bin/python$m" "$tmp/root/usr/bin/python$m-nopie"
		rm -rf "$tmp/nopie-$m"
		;;
	*) dpkg -x "$deb" "$tmp/root" || say "cannot unpack ${deb##*/}" ;;
	esac
done

# Point every binary and libpython at unstable's libc, and the root's libraries.
# DT_RPATH (not RUNPATH): extension modules dlopen()ed later find the same libraries.
final="$dir/root"
libdir="$final/usr/lib/x86_64-linux-gnu"
interp="$libdir/ld-linux-x86-64.so.2"
if [ ! -e "$tmp/root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" ]; then
	say "skipped: unstable's libc6 was not downloaded (nor: ${skipped[*]:-nothing else})"
	exit 0
fi
for f in "$tmp"/root/usr/bin/python3.*; do
	if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
	head -c 4 "$f" | grep -q ELF || continue
	patchelf --set-interpreter "$interp" --force-rpath --set-rpath "$libdir" "$f" ||
		say "patchelf failed on ${f##*/}"
done
for f in "$tmp"/root/usr/lib/x86_64-linux-gnu/libpython3.*.so.1.0; do
	if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
	patchelf --force-rpath --set-rpath "$libdir" "$f" || say "patchelf failed on ${f##*/}"
done

# python3.X-config as the -dev package (not downloaded) would name it.
for m in "${minors[@]}"; do
	[ -e "$tmp/root/usr/bin/x86_64-linux-gnu-python$m-config" ] &&
		ln -sf "x86_64-linux-gnu-python$m-config" "$tmp/root/usr/bin/python$m-config"
done

# Put the new folder in place, then keep the interpreters that run.
rm -rf "$dir.old"
[ -e "$dir" ] && mv "$dir" "$dir.old"
mkdir -p "$(dirname "$dir")"
mv "$tmp" "$dir" || { say "skipped: cannot move the folder into $dir"; exit 0; }
trap - EXIT
rm -rf "$dir.old" "$dir/debs" "$dir/apt"
: >"$dir/pythons.txt"
for m in "${minors[@]}"; do
	for p in "$final/usr/bin/python$m" "$final/usr/bin/python$m-nopie" "$final/usr/bin/python${m}d"; do
		[ -x "$p" ] || { say "skipped: ${p##*/} (not packaged or not downloaded)"; continue; }
		if v=$("$p" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>"$dir/run.err"); then
			echo "$p" >>"$dir/pythons.txt"
			say "${p##*/}: Python $v"
		else
			say "skipped: ${p##*/} does not run here: $(head -c 200 "$dir/run.err")"
		fi
	done
done
rm -f "$dir/run.err"
[ "${#skipped[@]}" -eq 0 ] || say "not downloaded: ${skipped[*]}"
say "interpreters in $dir/pythons.txt"
exit 0
