#!/usr/bin/env bash
# deps.sh - install what building (build) or testing (test) pyflame needs.
#
#   scripts/deps.sh build        libraries and tools to build
#   scripts/deps.sh package      also what `make wheel` and `make deb` use
#   scripts/deps.sh test         also cmocka, bats and the test helpers
#   scripts/deps.sh --check-only test   exit 1 if something is missing, install nothing
#
# As root it runs apt-get; otherwise it prints the exact command to run.
set -eu

check_only=0
if [ "${1:-}" = "--check-only" ]; then
	check_only=1
	shift
fi
what=${1:-build}

build_pkgs="gcc make pkg-config libseccomp-dev libcap-dev zlib1g-dev libdw-dev liblzma-dev"
test_pkgs="libcmocka-dev bats python3 procps libxml2-utils util-linux libcap2-bin python3-pytest-xdist python3-dbg clang libclang-rt-14-dev gdb patchelf python3-venv python3-pip tmux python3-dev python3-numpy"	# python3-dev, python3-numpy: bats/140-native.bats (a C extension, numpy.dot)
package_pkgs="python3 binutils dpkg-dev lintian libbz2-dev"	# libbz2-dev: libdw.a needs libbz2.a (make wheel)

case "$what" in
build) want="$build_pkgs" ;;
package) want="$build_pkgs $package_pkgs" ;;
test) want="$build_pkgs $package_pkgs $test_pkgs" ;;
*) echo "usage: scripts/deps.sh [--check-only] build|package|test" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
[ "$check_only" = 1 ] && exit 1

if ! command -v apt-get >/dev/null 2>&1; then
	echo "pyflame: missing packages:$missing" >&2
	echo "hint: install them with your distribution's package manager" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "pyflame: missing packages:$missing" >&2
	echo "hint: run: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "pyflame: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
