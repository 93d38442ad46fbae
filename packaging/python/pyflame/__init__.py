"""pyflame, a sampling profiler for Python: the package that a pip install brings.

The profiler is a native binary, installed by pip as a script (into the environment's
bin/ directory, beside python), so that `pyflame` starts without a Python interpreter
in between.  This package only finds that binary, for `python -m pyflame`.
"""
import os
import sys
import sysconfig

__version__ = "@VERSION@"
__all__ = ["binary", "__version__"]


def _installed_file():
    # The installed RECORD names the binary wherever pip put it (a venv, --user,
    # --prefix, --target): the one entry that ends in a scripts directory's pyflame.
    try:
        from importlib import metadata
    except ImportError:  # Python < 3.8
        return None
    try:
        dist = metadata.distribution("pyflame")
    except metadata.PackageNotFoundError:
        return None
    for f in dist.files or ():
        parts = f.parts
        if len(parts) >= 2 and parts[-1] == "pyflame" and parts[-2] in ("bin", "scripts"):
            path = os.path.normpath(str(dist.locate_file(f)))
            if os.path.isfile(path):
                return path
    return None


def _candidates():
    yield _installed_file()
    for scheme in (None, os.name + "_user"):
        try:
            d = sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path("scripts")
        except KeyError:
            continue
        yield os.path.join(d, "pyflame")
    yield os.path.join(os.path.dirname(sys.executable), "pyflame")


def binary():
    """The path of the pyflame binary installed with this package, or None."""
    for path in _candidates():
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None
