#!/bin/bash
# make check: every unit test, then every lab scenario (netns on a kernel
# that has GRE/VRF/VLAN, the VM tier otherwise).  Ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0 failed=0 skipped=0
failures=()

record() {	# NAME RC
	case $2 in
	0)  passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)); echo "SKIPPED: $1" ;;
	*)  failed=$((failed + 1)); failures+=("$1") ;;
	esac
}

echo "== unit tests"
for t in tests/unit/test-*; do
	case $t in *.c) continue ;; esac
	[ -x "$t" ] || continue
	"$t"
	record "$t" $?
done

echo "== lab scenarios"
scenarios=(tests/lab/scenario/[0-9]*.sh)
if [ -e "${scenarios[0]}" ]; then
	# One VM boot runs them all; scenarios.sh prints "RESULT name status".
	out=$(mktemp)
	tests/lab/run tests/lab/scenarios.sh "${scenarios[@]}" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	if grep -q '^RESULT ' "$out"; then
		while read -r _ name res _; do
			record "$name" "$res"
		done < <(grep '^RESULT ' "$out")
		# A VM that died half-way leaves scenarios without a result.
		((rc == 0 || rc == 1)) || record "lab run (exit $rc)" "$rc"
	else
		record "lab scenarios" "$rc"
	fi
	rm -f "$out"
fi

echo
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
