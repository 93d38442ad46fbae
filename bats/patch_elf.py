#!/usr/bin/env python3
"""Overwrite parts of an ELF64 file with random bytes (bats/141-native-hostile.bats).

    patch_elf.py FILE SEED WHAT...   WHAT: a section name (.eh_frame, .eh_frame_hdr, ...)
                                     whose contents become random, or "shdrs" for the
                                     section header table itself (the loader needs none
                                     of these; an unwinder or a symbol reader reads them),
                                     or "compressed=NAME": section NAME is marked
                                     SHF_COMPRESSED (its bytes are left as they are)
"""
import random
import struct
import sys

SHF_COMPRESSED = 0x800

def sections(data):
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    stroff = hdrs[shstrndx][4]
    out = {}
    for i, h in enumerate(hdrs):
        name = data[stroff + h[0]:data.index(b"\0", stroff + h[0])].decode()
        out[name] = (h[4], h[5], shoff + i * shentsize)     # file offset, size, header
    return out, shoff, shentsize * shnum


def main(argv):
    path, seed, what = argv[1], int(argv[2]), argv[3:]
    with open(path, "rb") as f:
        data = bytearray(f.read())
    rng = random.Random(seed)
    secs, shoff, shsize = sections(bytes(data))
    for w in what:
        if w.startswith("compressed="):
            hdr = secs[w.split("=", 1)[1]][2]
            flags, = struct.unpack_from("<Q", data, hdr + 8)
            struct.pack_into("<Q", data, hdr + 8, flags | SHF_COMPRESSED)
            continue
        off, size = (shoff, shsize) if w == "shdrs" else secs[w][:2]
        data[off:off + size] = bytes(rng.getrandbits(8) for _ in range(size))
    with open(path, "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
