#!/usr/bin/env bats
# Embedded interpreters: a C host linked with libpython, and one that dlopen()s it late.

load helpers

setup() {
	require_pyflame
	D=$(fresh_dir embed)
	command -v cc >/dev/null || skip "no C compiler"
}

# python-config of an interpreter (next to it), or nothing.
config_of() {
	local py=$1 c
	for c in "$py-config" "$(dirname "$py")/python3-config"; do
		[ -x "$c" ] && { echo "$c"; return 0; }
	done
	return 1
}

_embed_linked() {
	local v=$1 py=$2 cfg root name extra=() env=()
	cfg=$(config_of "$py") || { echo "# no python-config for $py: skipped"; return 0; }
	case "$v" in 2.* | 3.[0-7]) echo "# --embed needs 3.8+: skipped"; return 0 ;; esac
	name="$v$(basename "$py" | sed 's/^python[0-9.]*//')"	# 3.15, 3.15d
	# A fetched build (scripts/fetch-pythons.sh) brings its own libc: the host must use it,
	# and find the standard library under the fetched root (Debian's pyconfig.h includes
	# its multiarch twin from that root's usr/include; libpython needs a newer libc than
	# the linker sees, and finds it at run time).
	if root=$(fetched_root_of "$py"); then
		extra=(-I"$root/usr/include" -Wl,--allow-shlib-undefined -Wl,--dynamic-linker="$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
			-Wl,-rpath,"$root/usr/lib/x86_64-linux-gnu")
		env=(env PYTHONHOME="$root/usr")	# for the host only, not the checkers
	fi
	# shellcheck disable=SC2046
	cc -DEMBED_LINKED -o "$D/embed-$name" "$TARGETS/embed.c" $("$cfg" --cflags) \
		$("$cfg" --ldflags --embed) "${extra[@]}" -ldl 2>"$D/cc.err" || { cat "$D/cc.err"; echo "# cannot build against $cfg: skipped"; return 0; }
	"${env[@]}" "$D/embed-$name" link >/dev/null 2>&1 || { echo "# embed-$name does not run here: skipped"; return 0; }
	run_pyflame_split run -r 200 -o "$D/e-$name.txt" -- "${env[@]}" "$D/embed-$name" link
	echo "$stderr" | head -3
	[ "$status" -eq 0 ]
	# of the samples once the script calls embedded_hot (start-up is stretched by load)
	check_collapsed share "$D/e-$name.txt" "re:embedded_hot \(<string>:4\)" 0.8 "re:<module> \(<string>:5\)"
	check_collapsed process "$D/e-$name.txt" "embed-$name link \[pid [0-9]+\]"
	grep -q "libpython$v" <<<"$(ldd "$D/embed-$name" 2>/dev/null)" || { echo "embed-$name does not link libpython$v"; false; }
	touch "$D/built-$name"	# for_each_python runs us in a subshell
}

@test "a C program that embeds Python (python3-config --embed) is profiled" {
	for_each_python 3.8 _embed_linked
	ls "$D"/built-* >/dev/null 2>&1 || skip "no interpreter with a usable python3-config --embed"
}

@test "a libpython dlopen()ed after start-up is found when it appears" {
	cc -o "$D/embed-dl" "$TARGETS/embed.c" -ldl
	lib=""
	while read -r v p; do
		case "$v" in 3.*) ;; *) continue ;; esac
		l=$(ls "$(dirname "$p")"/../lib/libpython"$v".so.1.0 2>/dev/null | head -1)
		[ -n "$l" ] && lib=$l && ver=$v
	done < <(pythons_between 3.8)
	[ -n "$lib" ] || skip "no shared libpython3.x found"
	echo "# $lib"
	run_pyflame_split run -r 200 -o "$D/dl.txt" -- "$D/embed-dl" dlopen "$lib"
	echo "$stderr" | head -3
	[ "$status" -eq 0 ]
	check_collapsed share "$D/dl.txt" "re:embedded_hot \(<string>:4\)" 0.5
}
