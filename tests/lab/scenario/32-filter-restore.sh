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

t0=$(date +%s%N)
ip netns exec gw nft delete table inet gwd
wait_for 5 restored || fail "gwd's table was not restored"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "table deleted: restored in $ms ms"
((ms <= 1000)) || fail "restored after $ms ms, not within 1 s"
assert_eq "$(ip netns exec gw nft -s list table inet other)" "$other" "the foreign table"

t0=$(date +%s%N)
ip netns exec gw nft flush ruleset
wait_for 5 restored || fail "gwd's table was not restored after a flush"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "ruleset flushed: restored in $ms ms"
((ms <= 1000)) || fail "restored after $ms ms, not within 1 s"
! ip netns exec gw nft list table inet other >/dev/null 2>&1 || fail "gwd brought back a foreign table"
udp_count 19 100 1
assert_eq "$got" 0 "datagrams to the dropped port after the restore"
pass "gwd's table comes back within a second"
