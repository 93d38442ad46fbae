#!/usr/bin/env python3
"""Copy a CPython executable or libpython, claiming another version.

usage: patch_version.py SRC DST HEXVERSION

Writes HEXVERSION (PY_VERSION_HEX, e.g. 0x031000f0 for 3.16.0) into the copy's Py_Version
and into the version word of the _Py_DebugOffsets at the start of .PyRuntime, so that a
real interpreter looks, to pyflame's reading of its files and memory, like a CPython
pyflame does not know yet.  The interpreter itself runs as before.
"""
import struct
import sys


def sections(img):
    shoff, = struct.unpack_from("<Q", img, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", img, 0x3A)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", img, shoff + i * shentsize) for i in range(shnum)]
    strtab = hdrs[shstrndx][4]
    out = {}
    for h in hdrs:
        end = img.index(b"\0", strtab + h[0])
        out[img[strtab + h[0]:end].decode()] = h
    return out


def vaddr_to_offset(img, vaddr):
    phoff, = struct.unpack_from("<Q", img, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", img, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = struct.unpack_from(
            "<IIQQQQQQ", img, phoff + i * phentsize)
        if p_type == 1 and p_vaddr <= vaddr < p_vaddr + p_filesz:
            return p_offset + vaddr - p_vaddr
    return None


def symbol(img, secs, name):
    for tab, strs in ((".dynsym", ".dynstr"), (".symtab", ".strtab")):
        if tab not in secs:
            continue
        off, size = secs[tab][4], secs[tab][5]
        stroff = secs[strs][4]
        for i in range(0, size, 24):
            st_name, _, _, _, st_value, _ = struct.unpack_from("<IBBHQQ", img, off + i)
            end = img.index(b"\0", stroff + st_name)
            if img[stroff + st_name:end] == name:
                return st_value
    return None


def main():
    src, dst, hexv = sys.argv[1], sys.argv[2], int(sys.argv[3], 16)
    img = bytearray(open(src, "rb").read())
    secs = sections(img)
    done = 0
    v = symbol(img, secs, b"Py_Version")
    if v is not None and vaddr_to_offset(img, v) is not None:
        struct.pack_into("<I", img, vaddr_to_offset(img, v), hexv)
        done += 1
    if ".PyRuntime" in secs:
        off = secs[".PyRuntime"][4]
        if img[off:off + 8] == b"xdebugpy":
            struct.pack_into("<Q", img, off + 8, hexv)
            done += 1
    if not done:
        sys.exit("%s: no Py_Version and no _Py_DebugOffsets" % src)
    with open(dst, "wb") as f:
        f.write(img)


if __name__ == "__main__":
    main()
