#!/usr/bin/env bash
# demo.sh PYFLAME - profile scripts/demo.py and say where the flame graph is.
set -eu
pyflame=${1:-build/pyflame}
here=$(cd "$(dirname "$0")" && pwd)
"$here/deps.sh" build
py=$(command -v python3 || true)
if [ -z "$py" ]; then
	echo "pyflame: no python3 on PATH to run the demo with" >&2
	echo "hint: apt-get install python3" >&2
	exit 1
fi
mkdir -p build/demo
out=$PWD/build/demo/demo.svg
"$pyflame" run -o "$out" -o "$PWD/build/demo/demo.txt" -- "$py" "$here/demo.py"
echo
echo "flame graph: $out  (open it in a browser)"
echo "collapsed stacks: $PWD/build/demo/demo.txt"
