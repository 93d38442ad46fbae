# gen_linetable.py - print the line tables of a varied source as this interpreter compiled
# them, with the line CPython itself gives for every instruction offset.  Works on 2.7
# and 3.x.  Output (one record per code object):
#   VERSION <major> <minor>
#   CODE <firstlineno> <table hex or -> <nbytes of bytecode>
#   L <offset> <line> ...          (line -1 = none)
import binascii
import dis
import sys

PARTS = [
    "import os\n",
    "def simple(a, b):\n    c = a + b\n    return c\n",
    "def loops(n):\n    total = 0\n    for i in range(n):\n        if i % 2:\n"
    "            total += i\n        else:\n            total -= 1\n    while n > 0:\n"
    "        n -= 1\n    return total\n",
    "def multiline(x):\n    y = (x +\n         1 +\n\n         2)\n    return [\n"
    "        y,\n        x,\n    ]\n",
    "def handler(v):\n    try:\n        r = 1 / v\n    except ZeroDivisionError:\n"
    "        r = 0\n    finally:\n        v = None\n    return r\n",
    "def comps(xs):\n    a = [x * 2 for x in xs if x]\n    b = dict((k, k) for k in xs)\n"
    "    f = lambda q: (q +\n        1)\n    return a, b, f\n",
    "def deco(fn):\n    return fn\n\n@deco\ndef decorated():\n    return 1\n",
    "class Klass(object):\n    @staticmethod\n    def meth():\n        return 2\n",
    # a line gap > 255 inside one function
    "def gap():\n    a = 1\n" + "\n" * 300 + "    b = 2\n" + "\n" * 600 + "    return a + b\n",
    # a backwards line jump: the loop test is re-evaluated at the top
    "def back(n):\n    while (n >\n           0):\n        n -= 1\n    return n\n",
]

# > 256 bytes of bytecode with jumps over it
body = ["def big(x):\n", "    if x:\n"]
for i in range(120):
    body.append("        x = x + %d\n" % i)
body.append("    else:\n        x = 0\n")
for i in range(40):
    body.append("    if x > %d:\n        x -= 1\n" % i)
body.append("    return x\n")
PARTS.append("".join(body))

SRC = "\n".join(PARTS)


def instr_offsets(co):
    code = co.co_code
    if not isinstance(code, (bytes, bytearray)) or str is bytes:
        code = bytearray(code)
    if sys.version_info >= (3, 6):
        return list(range(0, len(code), 2))
    out, i = [], 0
    while i < len(code):
        out.append(i)
        i += 3 if code[i] >= dis.HAVE_ARGUMENT else 1
    return out


def lines_by_starts(co, offs):
    starts = sorted(dis.findlinestarts(co))
    res, j, cur = [], 0, co.co_firstlineno
    for o in offs:
        while j < len(starts) and starts[j][0] <= o:
            cur = starts[j][1]
            j += 1
        res.append(cur)
    return res


def lines_by_colines(co, offs):
    ranges = list(co.co_lines())
    res = []
    for o in offs:
        line = -1
        for s, e, ln in ranges:
            if s <= o < e:
                line = -1 if ln is None else ln
                break
        res.append(line)
    return res


def walk(co, out):
    if sys.version_info >= (3, 10):
        tab = co.co_linetable
    else:
        tab = co.co_lnotab
    offs = instr_offsets(co)
    if sys.version_info >= (3, 10):
        lines = lines_by_colines(co, offs)
    else:
        lines = lines_by_starts(co, offs)
    hx = binascii.hexlify(tab).decode("ascii") or "-"
    out.append("CODE %d %s %d" % (co.co_firstlineno, hx, len(co.co_code)))
    out.append("L " + " ".join("%d %d" % (o, ln) for o, ln in zip(offs, lines)))
    for c in co.co_consts:
        if hasattr(c, "co_code"):
            walk(c, out)


def main():
    out = ["VERSION %d %d" % sys.version_info[:2]]
    walk(compile(SRC, "<gen>", "exec"), out)
    sys.stdout.write("\n".join(out) + "\n")


main()
