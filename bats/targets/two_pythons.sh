#!/bin/sh
# A shell script that runs two Python programs, one after the other.
# usage: two_pythons.sh PYTHON TARGETS_DIR
"$1" "$2/tree.py" child_work
"$1" "$2/hot.py" 0.5
