#!/bin/bash
# Run lab scenarios one after the other (one VM boot for all of them), each
# in its own process so that one's cleanup cannot touch the next.  Prints
# "RESULT <scenario> <exit status>" per scenario for tests/check.sh.
set -uo pipefail
rc=0
for s in "$@"; do
	echo "---- $s"
	start=$SECONDS
	timeout 600 bash "$s"
	r=$?
	echo "RESULT $s $r ($((SECONDS - start)) s)"
	((r == 0)) || rc=1
done
exit $rc
