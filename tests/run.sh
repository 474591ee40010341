#!/bin/sh
# run.sh BUILD [ASAN_BUILD] - the whole test suite; see tests/run.py.
exec /usr/bin/python3 "$(dirname "$0")/run.py" "$@"
