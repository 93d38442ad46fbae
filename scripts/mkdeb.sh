#!/usr/bin/env bash
# mkdeb.sh - build pyflame's Debian package from a staged tree with dpkg-deb.
#
#   scripts/mkdeb.sh BINARY VERSION OUTDIR
#
# BINARY is a pyflame built with Debian's hardening flags (the Makefile's `deb` target);
# it links libseccomp, libcap and zlib dynamically, as Debian policy wants, and
# dpkg-shlibdeps turns its NEEDED entries into Depends.  What debhelper would do for
# this one binary is done here, step by step, with dpkg-dev's own tools:
#   dh_install/dh_installman/dh_bash-completion   the staged tree below
#   dh_strip        strip --strip-unneeded (no -dbgsym package)
#   dh_compress     gzip -9n of the man page and changelog
#   dh_shlibdeps    dpkg-shlibdeps
#   dh_gencontrol   dpkg-gencontrol (packaging/debian/control, changelog, substvars)
#   dh_md5sums      md5sum
#   dh_builddeb     dpkg-deb --build --root-owner-group
# then lintian (--pedantic, info tags included), which must find nothing: there are no
# overrides; a tag it finds one day is fixed, or overridden in the package with a comment.
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: scripts/mkdeb.sh BINARY VERSION OUTDIR" >&2; exit 2; }
binary=$1 version=$2 outdir=$3
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(dirname "$binary")/pkg
pkg=$work/debian/pyflame

changelog_version=$(dpkg-parsechangelog -l "$root/packaging/debian/changelog" -S Version)
if [ "$changelog_version" != "$version" ]; then
	echo "mkdeb: packaging/debian/changelog is at $changelog_version, pyflame at $version" >&2
	echo "hint: add a packaging/debian/changelog entry for $version (dch -v $version)" >&2
	exit 1
fi

rm -rf "$work"
mkdir -p "$work/debian"
cp "$root/packaging/debian/control" "$root/packaging/debian/changelog" "$work/debian/"
(
	umask 022
	install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/share/man/man1" \
		"$pkg/usr/share/bash-completion/completions" "$pkg/usr/share/doc/pyflame"
	install -m 0755 "$binary" "$pkg/usr/bin/pyflame"
	strip --strip-unneeded --remove-section=.comment --remove-section=.note "$pkg/usr/bin/pyflame"
	gzip -9n <"$root/docs/pyflame.1" >"$pkg/usr/share/man/man1/pyflame.1.gz"
	install -m 0644 "$root/completion/pyflame.bash" \
		"$pkg/usr/share/bash-completion/completions/pyflame"
	install -m 0644 "$root/packaging/debian/copyright" "$pkg/usr/share/doc/pyflame/copyright"
	gzip -9n <"$root/packaging/debian/changelog" >"$pkg/usr/share/doc/pyflame/changelog.gz"
	chmod 0644 "$pkg"/usr/share/man/man1/* "$pkg"/usr/share/doc/pyflame/*
)
(
	cd "$work"
	dpkg-shlibdeps -Tdebian/pyflame.substvars debian/pyflame/usr/bin/pyflame
	dpkg-gencontrol -ppyflame -Pdebian/pyflame -Tdebian/pyflame.substvars
	cd debian/pyflame
	find usr -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums
	chmod 0644 DEBIAN/md5sums
)
mkdir -p "$outdir"
deb=$outdir/pyflame_${version}_$(dpkg --print-architecture).deb
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb ($(stat -c %s "$deb") bytes; $(dpkg-deb -f "$deb" Depends))"

if command -v lintian >/dev/null 2>&1; then
	rc=0
	out=$(lintian --pedantic --fail-on error,warning,info,pedantic --info "$deb" 2>&1) || rc=$?
	grep -v '^running with root privileges' <<<"$out" || true
	if [ "$rc" != 0 ]; then
		echo "mkdeb: lintian found the tags above in $deb" >&2
		exit 1
	fi
	echo "lintian: clean"
else
	echo "lintian: not installed, not run (Debian: apt-get install lintian)"
fi
