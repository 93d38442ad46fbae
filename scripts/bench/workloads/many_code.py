"""Thousands of distinct code objects: --funcs functions compiled from source at start,
called in rotation (each from its own file name and line), so the stacks keep changing
and every code object is seen again and again."""
import _common as c

TEMPLATE = """
def f_{i}(n):
    s = 0
    for k in range(n):
        s += (k * {i}) % 13
    return s
"""


def main():
    a = c.args({"--funcs": dict(type=int, default=3000)})
    funcs = []
    for i in range(a.funcs):
        ns = {}
        exec(compile(TEMPLATE.format(i=i), "gen/mod_%04d.py" % i, "exec"), ns)
        funcs.append(ns["f_%d" % i])
    pad = max(0, a.depth - 4)

    def run(units):
        for u in range(units):
            for f in funcs:
                c.descend(pad, f, 20)

    if a.calibrate:
        c.calibrate(run, a.calibrate)
        return
    run(a.units)
    c.finish("many_code", functions=len(funcs))


if __name__ == "__main__":
    main()
