#!/bin/bash
# Someone deletes gwd's table, or flushes the whole ruleset: gwd restores
# its table within a second, runtime block entries included, and touches
# no foreign table.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../filter.sh"

topo_build
filter_config '{ "default": "accept", "rules": [ { "proto": "udp", "dport": [19], "action": "drop" } ] }'
gwd_start
wait_for 10 on_path gre1 || fail "custA's route: $(route_a)"
gwctl block add 198.18.0.66 >/dev/null || fail "block add"
ip netns exec gw nft -f - <<'NFT'
table inet other {
	chain c {
		type filter hook input priority 10
		counter
	}
}
NFT
other=$(ip netns exec gw nft -s list table inet other)
restored() { ip netns exec gw nft list chain inet gwd c17 >/dev/null 2>&1 &&
	ip netns exec gw nft list table inet gwd | grep_q 198.18.0.66; }

# restore_ms: when gwd put the runtime entry back (the last step of a
# restore), from nft monitor's events stamped as they come, after t0 (in
# microseconds): gwd's time, not that of this script's polls, each two nft
# runs and a sleep in the VM.
mon=0
monitor_start() {	# a file of its own: the last one may still be writing
	mon=$((mon + 1))
	ip netns exec gw timeout 8 nft monitor 2>/dev/null |
		while IFS= read -r l; do echo "${EPOCHREALTIME/./} $l"; done >"$LAB_DIR/nftmon$mon" &
	lab_pids+=($!)
	sleep 0.5
}
restore_ms() {
	local at
	at=$(awk -v t0="$t0" '$1 >= t0 && /add element/ && /198\.18\.0\.66/ { print $1; exit }' \
		"$LAB_DIR/nftmon$mon")
	echo $(((${at:-0} - t0) / 1000))
}

monitor_start
t0=${EPOCHREALTIME/./}
ip netns exec gw nft delete table inet gwd
wait_for 5 restored || fail "gwd's table was not restored"
ms=$(restore_ms)
echo "table deleted: restored in $ms ms"
((ms > 0 && ms <= 1000)) || fail "restored after $ms ms, not within 1 s"
assert_eq "$(ip netns exec gw nft -s list table inet other)" "$other" "the foreign table"

monitor_start
t0=${EPOCHREALTIME/./}
ip netns exec gw nft flush ruleset
wait_for 5 restored || fail "gwd's table was not restored after a flush"
ms=$(restore_ms)
echo "ruleset flushed: restored in $ms ms"
((ms > 0 && ms <= 1000)) || fail "restored after $ms ms, not within 1 s"
! ip netns exec gw nft list table inet other >/dev/null 2>&1 || fail "gwd brought back a foreign table"
udp_count 19 100 1
assert_eq "$got" 0 "datagrams to the dropped port after the restore"
pass "gwd's table comes back within a second"
