#!/bin/sh
# pyflame's benchmark suite: see run.py --help.
exec python3 "$(dirname "$0")/run.py" "$@"
