#!/bin/bash
# 100 reloads, each changing custA's rules, while a flow that an allow rule
# matches runs: the flow loses nothing, and gwd's chain for custA is never
# seen empty or missing (the transaction is atomic).
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../filter.sh"

topo_build
config() {	# N: the N-th variant of custA's rules
	filter_config "{ \"default\": \"drop\", \"rules\": [
	  { \"proto\": \"udp\", \"dport\": [9000], \"action\": \"accept\" },
	  { \"proto\": \"udp\", \"dport\": [$((20000 + $1))], \"action\": \"drop\" },
	  { \"proto\": \"icmp\", \"action\": \"accept\" } ] }"
}
config 0
gwd_start
wait_for 10 on_path gre1 || fail "custA's route: $(route_a)"

# A watcher: every 10 ms, custA's chain must be there with its accept rule.
watch_chain() {
	local bad=0
	while [[ -e $LAB_DIR/watching ]]; do
		ip netns exec gw nft list chain inet gwd c17 2>/dev/null | grep_q "udp dport 9000" ||
			bad=$((bad + 1))
		sleep 0.01
	done
	echo "$bad" >"$LAB_DIR/bad"
}
touch "$LAB_DIR/watching"
watch_chain &
watcher=$!
reloads() {	# FROM TO
	for ((i = $1; i <= $2; i++)); do
		config "$i"
		gwctl reload >/dev/null || fail "reload $i"
	done
}
# Whatever the filter drops, its default counts: the flow must add nothing.
dropped() { gwctl -j show filter custa | json 'j["default_packets"]'; }
d0=$(dropped) sn=$(softnet_drops) ud=$(udp_drops)
stream_during reloads 1 100
other=$(($(softnet_drops) - sn + $(udp_drops) - ud))
rm "$LAB_DIR/watching"
wait "$watcher"
echo "100 reloads under a 1000 pps stream: $lost of $sent lost, longest gap $gap_ms ms;" \
	"$other dropped outside the filter (receive backlogs, socket buffer); chain missing $(cat "$LAB_DIR/bad") times"
assert_eq "$(dropped)" "$d0" "packets custA's filter dropped by default during the reloads"
((lost <= other)) || fail "$lost datagrams lost across 100 reloads, $other of them outside the filter"
assert_eq "$(cat "$LAB_DIR/bad")" 0 "times custA's chain was seen without its accept rule"
pass "100 reloads under a flow: nothing lost, never an empty ruleset"
