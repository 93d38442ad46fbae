#!/usr/bin/env python3
"""mkwheel.py - build pyflame's wheel with the Python standard library alone.

    scripts/mkwheel.py --binary build/wheel/pyflame --version 0.1.0 --man docs/pyflame.1 \
        --completion completion/pyflame.bash --readme README.md --out dist

A wheel is a zip (PEP 427, the binary distribution format): the files to install, and a
NAME-VERSION.dist-info directory with METADATA, WHEEL and RECORD (every file's sha256,
urlsafe base64 without padding, and size; RECORD itself without either).

Layout:
  pyflame/__init__.py, pyflame/__main__.py        `python -m pyflame` (packaging/python)
  pyflame-V.data/scripts/pyflame                  the binary: pip puts it in the
                                                  environment's bin/, on PATH, as it is
  pyflame-V.data/data/share/man/man1/pyflame.1    the man page
  pyflame-V.data/data/share/bash-completion/completions/pyflame

The platform tag is chosen as auditwheel would: the binary may need no shared library
outside the manylinux policy's list (glibc's), and the highest GLIBC_x.y symbol version
it needs is its glibc floor, manylinux_x_y.  A binary that needs anything else is refused.
"""
import argparse
import base64
import hashlib
import io
import os
import re
import subprocess
import sys
import time
import zipfile

# The libraries every manylinux policy allows (PEP 600: glibc's own, present everywhere).
ALLOWED_NEEDED = {
    "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
    "libutil.so.1", "libresolv.so.2", "ld-linux-x86-64.so.2",
}
# The legacy names pip also accepts for the oldest floors (PEP 600's aliases).
LEGACY_ALIASES = {(2, 5): "manylinux1", (2, 12): "manylinux2010", (2, 17): "manylinux2014"}

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_DIR = os.path.join(HERE, "..", "packaging", "python", "pyflame")


def die(msg):
    sys.stderr.write("mkwheel: %s\n" % msg)
    sys.exit(1)


def readelf(args, path):
    try:
        return subprocess.run(["readelf", "-W"] + args + [path], check=True,
                              stdout=subprocess.PIPE, universal_newlines=True,
                              env=dict(os.environ, LC_ALL="C")).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        die("readelf %s '%s': %s" % (" ".join(args), path, e))


def elf_facts(path):
    """(machine, NEEDED libraries, glibc floor as (major, minor))."""
    header = readelf(["-h"], path)
    m = re.search(r"Machine:\s+(.*)", header)
    machine = m.group(1).strip() if m else "?"
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", readelf(["-d"], path))
    versions = re.findall(r"Name: GLIBC_(\d+)\.(\d+)", readelf(["-V"], path))
    floor = max(((int(a), int(b)) for a, b in versions), default=(2, 5))
    return machine, needed, floor


def platform_tags(machine, needed, floor):
    if "X86-64" not in machine:
        die("the binary is for '%s', not x86-64" % machine)
    extra = sorted(set(needed) - ALLOWED_NEEDED)
    if extra:
        die("the binary needs %s, which a manylinux wheel may not\n"
            "hint: build it with 'make STATIC=1' (libseccomp, libcap, zlib from their .a)"
            % ", ".join(extra))
    tags = ["manylinux_%d_%d_x86_64" % floor]
    if floor <= (2, 17):
        # the alias of the oldest legacy policy that covers this floor
        for f in sorted(LEGACY_ALIASES):
            if floor <= f:
                tags.append(LEGACY_ALIASES[f] + "_x86_64")
                break
    return tags


def metadata(version, readme):
    head = (
        "Metadata-Version: 2.1\n"
        "Name: pyflame\n"
        "Version: %s\n"
        "Summary: A sampling profiler for Python: flame graphs of a command's whole "
        "process tree, without root\n"
        "Keywords: profiler,sampling,flamegraph,ptrace\n"
        "Classifier: Development Status :: 3 - Alpha\n"
        "Classifier: Environment :: Console\n"
        "Classifier: Operating System :: POSIX :: Linux\n"
        "Classifier: Programming Language :: C\n"
        "Classifier: Programming Language :: Python :: 3\n"
        "Classifier: Topic :: Software Development :: Debuggers\n"
        "Requires-Python: >=3.6\n"
        "Description-Content-Type: text/markdown\n" % version)
    body = open(readme, encoding="utf-8").read() if readme else ""
    return head + "\n" + body


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d\n" % (name, digest, len(data))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--man", required=True)
    ap.add_argument("--completion", required=True)
    ap.add_argument("--readme")
    ap.add_argument("--out", default="dist")
    a = ap.parse_args()

    if not re.fullmatch(r"\d+(\.\d+)*", a.version):
        die("'%s' is not a release version" % a.version)
    machine, needed, floor = elf_facts(a.binary)
    plats = platform_tags(machine, needed, floor)
    tag = "py3-none-" + ".".join(plats)
    name = "pyflame-%s" % a.version
    dist_info, data = name + ".dist-info", name + ".data"

    with open(os.path.join(PKG_DIR, "__init__.py"), encoding="utf-8") as f:
        init = f.read().replace("@VERSION@", a.version)
    with open(os.path.join(PKG_DIR, "__main__.py"), encoding="utf-8") as f:
        main_py = f.read()
    files = [  # (name in the wheel, bytes, mode)
        ("pyflame/__init__.py", init.encode(), 0o644),
        ("pyflame/__main__.py", main_py.encode(), 0o644),
        (data + "/scripts/pyflame", open(a.binary, "rb").read(), 0o755),
        (data + "/data/share/man/man1/pyflame.1", open(a.man, "rb").read(), 0o644),
        (data + "/data/share/bash-completion/completions/pyflame",
         open(a.completion, "rb").read(), 0o644),
        (dist_info + "/METADATA", metadata(a.version, a.readme).encode(), 0o644),
        (dist_info + "/WHEEL", ("Wheel-Version: 1.0\nGenerator: pyflame scripts/mkwheel.py\n"
                                "Root-Is-Purelib: false\n" +
                                "".join("Tag: py3-none-%s\n" % p for p in plats)).encode(),
         0o644),
    ]
    files.append((dist_info + "/RECORD",
                  ("".join(record_line(n, b) for n, b, _ in files) +
                   dist_info + "/RECORD,,\n").encode(), 0o644))

    os.makedirs(a.out, exist_ok=True)
    out = os.path.join(a.out, "%s-%s.whl" % (name, tag))
    # reproducible: fixed order and time (SOURCE_DATE_EPOCH if set), fixed modes
    epoch = max(int(os.environ.get("SOURCE_DATE_EPOCH", 315532800)), 315532800)
    stamp = tuple(time.gmtime(epoch))[:6]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b, mode in files:
            info = zipfile.ZipInfo(n, date_time=stamp)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, b)
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buf.getvalue())
    os.replace(tmp, out)
    print("%s (%d bytes; glibc %d.%d; needs %s)" % (out, len(buf.getvalue()), floor[0],
                                                   floor[1], ", ".join(needed)))


if __name__ == "__main__":
    main()
