#!/usr/bin/env python3
"""Overwrite parts of an ELF64 file with random bytes (bats/141-native-hostile.bats).

    patch_elf.py FILE SEED WHAT...   WHAT: a section name (.eh_frame, .eh_frame_hdr, ...)
                                     whose contents become random, or "shdrs" for the
                                     section header table itself (the loader needs none
                                     of these; an unwinder or a symbol reader reads them)
"""
import random
import struct
import sys


def sections(data):
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    stroff = hdrs[shstrndx][4]
    out = {}
    for h in hdrs:
        name = data[stroff + h[0]:data.index(b"\0", stroff + h[0])].decode()
        out[name] = (h[4], h[5])        # file offset, size
    return out, shoff, shentsize * shnum


def main(argv):
    path, seed, what = argv[1], int(argv[2]), argv[3:]
    with open(path, "rb") as f:
        data = bytearray(f.read())
    rng = random.Random(seed)
    secs, shoff, shsize = sections(bytes(data))
    for w in what:
        off, size = (shoff, shsize) if w == "shdrs" else secs[w]
        data[off:off + size] = bytes(rng.getrandbits(8) for _ in range(size))
    with open(path, "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
