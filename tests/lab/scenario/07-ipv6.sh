#!/bin/bash
# A customer's IPv6 prefix over ip6gre, inside its VRF.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start

rx=$(path_rx custA gre6-gw)
ping_n inet "$SERVER_A6" 50
assert_ge $(($(path_rx custA gre6-gw) - rx)) 50 "custA ip6gre packets"
ip -n gw -d link show gw17-gre6 | grep_q "ip6gre remote 2001:db8:ff17::17 local 2001:db8:ffff::1" ||
	fail "gw17-gre6 is not an ip6gre over the v6 underlay"
ip -n gw -6 route show table 1017 proto 211 | grep_q "2001:db8:17::/48 via fd17::2 dev gw17-gre6" ||
	fail "custA's IPv6 route"
ip -n gw -6 rule show | grep_q "to 2001:db8:17::/48 lookup 1017" || fail "custA's IPv6 rule"
# TCP over IPv6 end to end.
ip netns exec custA nc -6 -l -s "$SERVER_A6" -p 8080 -q 1 <<<"hello v6" &
lab_pids+=($!)
wait_for 5 listening custA 8080 || fail "nc does not listen"
assert_eq "$(ip netns exec inet nc -6 -w 3 "$SERVER_A6" 8080 </dev/null)" "hello v6" "TCP over IPv6"
pass "IPv6 prefix delivered over ip6gre"
