"""`python -m pyflame ARGS...` runs the pyflame binary installed with this package."""
import os
import sys

from pyflame import binary


def main():
    path = binary()
    if path is None:
        sys.stderr.write(
            "pyflame: cannot find the pyflame binary this package installs\n"
            "hint: reinstall it: python -m pip install --force-reinstall pyflame\n")
        return 127
    os.execv(path, [path] + sys.argv[1:])
    return 126  # not reached: execv raises on failure


if __name__ == "__main__":
    sys.exit(main())
