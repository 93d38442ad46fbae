#!/usr/bin/env bash
# seeds.sh - (re)make the seed corpora in fuzz/corpus/ from real data.  Run from the top
# of the tree; needs gcc, binutils and make, and uses every python it finds for line tables.
# The seeds are committed: `make fuzz` does not run this.
set -eu
cd "$(dirname "$0")/.."
out=fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p $out/elf $out/procmaps $out/linetable $out/unwind $out/rawlog

make --no-print-directory build/libpyflame.a
LIBS="build/libpyflame.a $(pkg-config --libs libseccomp libcap zlib 2>/dev/null || echo -lseccomp -lcap -lz) -lm"

# procmaps: this process's maps, and the unit-test fixtures.
cat /proc/self/maps >$out/procmaps/self.maps
cp tests/fixtures/maps/* $out/procmaps/

# elf: tiny ELF files of every shape pyprobe meets (the real ones are megabytes), and the
# first 512 bytes of a real executable (headers pointing past the end).
F="-Os -nostdlib -Wl,-z,max-page-size=16 -Wl,-z,common-page-size=16 -Wl,-z,noseparate-code
   -Wl,--build-id=none -Wl,-z,norelro"
S=fuzz/seed-src
gcc $F -shared -fPIC -Wl,--hash-style=gnu -o "$tmp/libpython3.12.so" $S/elf-py3.c -Wl,--no-as-needed -lc
gcc $F -shared -fPIC -Wl,--hash-style=sysv -o "$tmp/sysv.so" $S/elf-py3.c
cp "$tmp/libpython3.12.so" "$tmp/stripped.so"
strip --strip-all "$tmp/stripped.so"
gcc $F -static -no-pie -e main -o "$tmp/python2.7" $S/elf-py2.c
gcc $F -pie -fPIE -e main -L"$tmp" -Wl,--no-as-needed -lpython3.12 -o "$tmp/pie" $S/elf-py2.c
for f in libpython3.12.so sysv.so stripped.so python2.7 pie; do
	objcopy -R .comment "$tmp/$f" "$out/elf/$f"
done
head -c 512 /bin/true >$out/elf/truncated-true

# linetable: real tables from each interpreter (tests/gen_linetable.py), as
# u8 kind, i32 firstlineno, i64 addrq, table.
pythons=$(ls "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/*/bin/python 2>/dev/null || true)
for py in $pythons /usr/bin/python3; do
	[ -x "$py" ] || continue
	"$py" tests/gen_linetable.py 2>/dev/null | python3 -c '
import struct, sys
out = sys.argv[1]
ver = None
n = 0
for line in sys.stdin:
    w = line.split()
    if not w:
        continue
    if w[0] == "VERSION":
        ver = (int(w[1]), int(w[2]))
    elif w[0] == "CODE" and w[2] != "-" and n < 6:
        kind = 0 if ver < (3, 0) else 1 if ver < (3, 10) else 2 if ver == (3, 10) else 3
        tab = bytes.fromhex(w[2])
        addrq = min(int(w[3]) // 2, 40) & ~1
        with open("%s/%d.%d-%d" % (out, ver[0], ver[1], n), "wb") as f:
            f.write(struct.pack("<BiQ", kind, int(w[1]), addrq) + tab)
        n += 1
' $out/linetable
done

# rawlog: logs written by rawlog__new (complete, and cut short).
cc -std=c11 -D_GNU_SOURCE -Iinclude -o "$tmp/mkseed_rawlog" fuzz/mkseed_rawlog.c $LIBS
"$tmp/mkseed_rawlog" $out/rawlog

# unwind: the unit tests' fake images, one per version.
cc -std=c11 -D_GNU_SOURCE -Iinclude -Itests -Wno-unused-function -o "$tmp/mkseed_unwind" \
	fuzz/mkseed_unwind.c $LIBS $(pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
"$tmp/mkseed_unwind" $out/unwind
echo "seeds: $(find $out -type f | wc -l) files in $out"
