#!/bin/bash
# An IPsec path as the backup of a GRE path: the customer's GRE tunnel dies
# under a 1000 pps stream, traffic moves to the xfrm-mode IPsec path, and
# back to GRE once it has proven itself again.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../ipsec.sh"

ipsec_lab
ipsec_config 10 20 30
gwd_start
wait_for 30 sa_up sec1 || { gwctl show ipsec; fail "sec1's SA is not up"; }
wait_for 30 on_path gre1 || fail "traffic is not on gre1: $(route_a)"

stream_gap ip -n custA link set gre-gw down
echo "failover to IPsec: gap $gap_ms ms ($lost of $sent lost)"
on_path sec1 || fail "traffic did not move to sec1: $(route_a)"
((gap_ms <= 1000)) || fail "failover gap $gap_ms ms"
esp=$(ip -n gw -s xfrm state | awk '/lifetime current/ { getline; s += $2 } END { print s + 0 }')
ping_n inet "$SERVER_A" 100
assert_ge $(($(ip -n gw -s xfrm state | awk '/lifetime current/ { getline; s += $2 } END { print s + 0 }') - esp)) 100 \
	"packets through the SAs on the backup"

stream_gap ip -n custA link set gre-gw up
echo "failback to GRE: gap $gap_ms ms ($lost of $sent lost)"
wait_for 10 on_path gre1 || fail "traffic did not come back to gre1: $(route_a)"
pass "IPsec backs up GRE: failover and failback"
