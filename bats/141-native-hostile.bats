#!/usr/bin/env bats
# --native against hostile call frame information in a target's libraries: CFI
# expressions that never end or grow without bound, frames that do not move up the
# stack or point off it, and .eh_frame, .eh_frame_hdr or section headers overwritten
# with random bytes.  Every unwind ends; the command runs as it would without pyflame
# (its output and exit status); pyflame exits 0 and counts what it dropped.  `make
# stress-san` runs this file on the ASan/UBSan binary too.

load helpers

setup() {
	require_pyflame
	require_python3
	command -v cc >/dev/null || skip "no C compiler (cc)"
	D=$(fresh_dir)
}

hostile() {
	"$PY3" "$TARGETS/native_hostile.py" "$@"
}

# run_native ARGS...: the target under pyflame run --native into $D/p.txt; $output its
# stdout, $stderr pyflame's summary.
run_native() {
	run_pyflame_split run --native -r 500 -o "$D/p.txt" -- "$PY3" "$TARGETS/native_hostile.py" "$@"
	echo "$stderr"
}

@test "native, hostile CFI: loops, unbounded expressions and runaway frames end; the command is unchanged" {
	local want

	cc -O1 -fPIC -shared -o "$D/hostile.so" "$TARGETS/native_hostile.c"
	want=$(hostile 40 10000000 "$D/hostile.so")
	[[ "$want" == "checksum "*" over 5 functions" ]]
	run_native 40 10000000 "$D/hostile.so"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	check_collapsed format "$D/p.txt"
	# the honest function is unwound through, under its caller's line
	"$PY3" "$BATS_DIR/check_native.py" under "$D/p.txt" \
		"call_hostile:$(line_of "$TARGETS/native_hostile.py" '# HOSTILE')" 'hf_.*' 0.9
	"$PY3" "$BATS_DIR/check_native.py" order "$D/p.txt" 'main .*' \
		'call_hostile .*' 'hf_honest \(.*hostile\.so\)'
	# and the Python between the calls is merged as ever
	"$PY3" "$BATS_DIR/check_native.py" order "$D/p.txt" 'main .*' 'py_spin .*'
	# the others are not: the expressions libdw would evaluate for ever are refused, the
	# frame whose caller does not lie above it and the one pointing off the stack end
	# their unwinds early
	grep -q "native: CFI expression that may not end [0-9]" <<<"$stderr"
	grep -q "native: C unwind stopped early [0-9]" <<<"$stderr"
	run grep -E "hf_(skip_self|dup_grow|same_sp|far_cfa)" "$D/p.txt"
	[ "$status" -eq 1 ]
}

@test "native, garbage .eh_frame, .eh_frame_hdr, symbol tables and section headers: no crash, the command is unchanged" {
	local want libs=() seed what n=0

	cc -O1 -fPIC -shared -DGARBAGE -o "$D/garbage.so" "$TARGETS/native_hostile.c"
	for seed in 1 2 3; do
		for what in .eh_frame ".eh_frame .eh_frame_hdr" shdrs ".symtab .strtab"; do
			n=$((n + 1))
			cp "$D/garbage.so" "$D/g$n.so"
			# shellcheck disable=SC2086
			"$PY3" "$BATS_DIR/patch_elf.py" "$D/g$n.so" "$seed" $what
			libs+=("$D/g$n.so")
		done
	done
	want=$(hostile 20 3000000 "${libs[@]}")
	[[ "$want" == "checksum "*" over 12 functions" ]]
	run_native 20 3000000 "${libs[@]}"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	check_collapsed format "$D/p.txt"
	"$PY3" "$BATS_DIR/check_native.py" order "$D/p.txt" 'main .*' 'py_spin .*'
	# the time in gf_run is in the profile (with what could be unwound) or dropped, counted
	grep -q "gf_run\|g[0-9]\.so" "$D/p.txt" || grep -q "^pyflame: dropped [0-9]* thread samples:.* native: " <<<"$stderr"
}

# minidebug LIB SECTION: LIB built from minidebug.c, stripped, with SECTION as .gnu_debugdata
minidebug() {
	cc -O1 -fPIC -shared -o "$D/full.so" "$TARGETS/minidebug.c"
	strip --strip-all -o "$1" "$D/full.so"
	objcopy --add-section .gnu_debugdata="$2" "$1"
}

# md_run LIB [N]: call md_entry in LIB N times (60) under pyflame run --native; $output
# the target's, $stderr pyflame's summary
md_run() {
	run_pyflame_split run --native -r 500 -o "$D/p.txt" -- "$PY3" -c '
import ctypes, sys
f = ctypes.CDLL(sys.argv[1]).md_entry
f.argtypes, f.restype = [ctypes.c_long], ctypes.c_long
print(sum(f(20000000) for _ in range(int(sys.argv[2]))))' "$1" "${2:-60}"
	echo "$stderr"
}

@test "native, .gnu_debugdata: a MiniDebugInfo names local functions; an xz bomb or junk there is not used, memory stays bounded" {
	local want rss

	command -v objcopy >/dev/null || skip "no objcopy (binutils)"
	"$PY3" -c 'import lzma, resource' 2>/dev/null || skip "$PY3 has no lzma module"
	# a real MiniDebugInfo: the local functions' symbols, xz-compressed (as Fedora makes it)
	cc -O1 -fPIC -shared -o "$D/full.so" "$TARGETS/minidebug.c"
	objcopy --only-keep-debug "$D/full.so" "$D/full.debug"
	nm "$D/full.so" --format=posix --defined-only | awk '$2 ~ /^[Tt]$/ && $1 == "md_hidden" {print $1}' >"$D/keep"
	[ "$(cat "$D/keep")" = md_hidden ]
	objcopy -S --remove-section .comment --keep-symbols="$D/keep" "$D/full.debug" "$D/mini"
	"$PY3" -c 'import lzma, sys; open(sys.argv[2], "wb").write(lzma.compress(open(sys.argv[1], "rb").read(), format=lzma.FORMAT_XZ))' "$D/mini" "$D/mini.xz"
	minidebug "$D/good.so" "$D/mini.xz"
	want=$("$PY3" -c 'print(60 * (sum(range(20000000)) + 1))')
	md_run "$D/good.so"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	"$PY3" "$BATS_DIR/check_native.py" order "$D/p.txt" 'md_entry \(.*good\.so\)' 'md_hidden \(.*good\.so\)'
	! grep -q "gnu_debugdata" <<<"$stderr"

	# 156 KiB of xz that decompresses to 1 GiB: libdwfl would hold all of it in memory
	"$PY3" -c '
import lzma, sys
c = lzma.LZMACompressor(format=lzma.FORMAT_XZ)
z = b"\0" * (1 << 24)
open(sys.argv[1], "wb").write(b"".join([c.compress(z) for _ in range(64)] + [c.flush()]))' "$D/bomb.xz"
	minidebug "$D/bomb.so" "$D/bomb.xz"
	rss=$("$PY3" -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[-1] + ".err", "w"))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' \
		"$PYFLAME" run --native -r 500 -o "$D/b.txt" -- "$PY3" -c '
import ctypes, sys
f = ctypes.CDLL(sys.argv[1]).md_entry
f.argtypes, f.restype = [ctypes.c_long], ctypes.c_long
print(sum(f(20000000) for _ in range(60)))' "$D/bomb.so")
	echo "# peak RSS of pyflame and the target: $rss KiB"
	[ "$rss" -lt 65536 ]
	grep "bomb.so's .gnu_debugdata are not used: it decompresses to more than 64 MiB" "$D/bomb.so.err"
	# the file's other symbols still name its functions
	md_run "$D/bomb.so"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	grep -q "md_entry (.*bomb\.so)" "$D/p.txt"

	# bytes that are no xz stream at all
	head -c 4096 /dev/urandom >"$D/junk.bin"
	minidebug "$D/junk.so" "$D/junk.bin"
	md_run "$D/junk.so"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	grep -q "junk.so's .gnu_debugdata are not used: it is not a whole xz stream" <<<"$stderr"
	check_collapsed format "$D/p.txt"
}

# The peak RSS (KiB) of `pyflame run --native` calling md_entry of LIB 30 times; its
# stderr in LIB.err.
md_rss() {
	"$PY3" -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[-1] + ".err", "w"))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' \
		"$PYFLAME" run --native -r 500 -o "$D/b.txt" -- "$PY3" -c '
import ctypes, sys
f = ctypes.CDLL(sys.argv[1]).md_entry
f.argtypes, f.restype = [ctypes.c_long], ctypes.c_long
print(sum(f(20000000) for _ in range(30)))' "$1"
}

@test "native, compressed debug sections: read as ever, but a zlib bomb is not decompressed" {
	local want rss

	command -v objcopy >/dev/null || skip "no objcopy (binutils)"
	"$PY3" -c 'import zlib, resource' 2>/dev/null || skip "$PY3 has no zlib module"
	# only .debug_frame describes md_hidden's frame (no .eh_frame for it): libdwfl loads
	# the file's DWARF for it, and libdw then inflates every compressed debug section
	cc -O1 -g -fno-asynchronous-unwind-tables -fno-unwind-tables -fPIC -shared \
		-o "$D/df.so" "$TARGETS/minidebug.c"
	readelf -S "$D/df.so" | grep -q "\.debug_frame"
	want=$("$PY3" -c 'print(30 * (sum(range(20000000)) + 1))')

	# compressed the two ways binutils knows: used as ever, nothing said
	objcopy --compress-debug-sections=zlib-gabi "$D/df.so" "$D/gabi.so"
	readelf -S -W "$D/gabi.so" | grep "\.debug_frame" | grep -q " C "
	md_run "$D/gabi.so" 30
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	"$PY3" "$BATS_DIR/check_native.py" order "$D/p.txt" 'md_entry \(.*gabi\.so\)' 'md_hidden \(.*gabi\.so\)'
	! grep -q "is not used" <<<"$stderr"

	# 256 MiB of zeros in 260 KiB of zlib, as a .debug_macro that says so (SHF_COMPRESSED
	# and its header's size) and as GNU's .zdebug_macro: libdw would allocate and fill it
	"$PY3" -c '
import struct, sys, zlib
c = zlib.compressobj(9)
z = bytes(1 << 24)
data = b"".join([c.compress(z) for _ in range(16)] + [c.flush()])
open(sys.argv[1], "wb").write(struct.pack("<IIQQ", 1, 0, 16 << 24, 1) + data)
open(sys.argv[2], "wb").write(b"ZLIB" + struct.pack(">Q", 16 << 24) + data)' \
		"$D/gabi.bin" "$D/gnu.bin"
	cp "$D/df.so" "$D/bomb.so"
	objcopy --add-section .debug_macro="$D/gabi.bin" "$D/bomb.so"
	"$PY3" "$BATS_DIR/patch_elf.py" "$D/bomb.so" 0 compressed=.debug_macro
	rss=$(md_rss "$D/bomb.so")
	cat "$D/bomb.so.err"
	echo "# peak RSS of pyflame and the target: $rss KiB"
	grep -q "md_hidden (.*bomb\.so)" "$D/b.txt"
	[ "$rss" -lt 65536 ]
	grep "bomb.so's .debug_macro is not used: it decompresses to more than the 128 MiB" "$D/bomb.so.err"
	cp "$D/df.so" "$D/gnu.so"
	objcopy --add-section .zdebug_macro="$D/gnu.bin" "$D/gnu.so"
	rss=$(md_rss "$D/gnu.so")
	cat "$D/gnu.so.err"
	echo "# peak RSS of pyflame and the target: $rss KiB"
	grep -q "md_hidden (.*gnu\.so)" "$D/b.txt"
	[ "$rss" -lt 65536 ]
	grep "gnu.so's .zdebug_macro is not used: it decompresses to more than the 128 MiB" "$D/gnu.so.err"
	# the rest of the file is used: md_hidden's frame from the .debug_frame, its name
	md_run "$D/bomb.so" 30
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	"$PY3" "$BATS_DIR/check_native.py" order "$D/p.txt" 'md_entry \(.*bomb\.so\)' 'md_hidden \(.*bomb\.so\)'
	check_collapsed format "$D/p.txt"
}
