#!/bin/bash
# Smoke test of the lab tier: does this kernel do the links and routing gwd
# builds? Run it as  tests/lab/run tests/lab/vm-smoke.sh
#
#   client --veth-- gw ==veth, VLAN 10== peer
#   10.0.1.2        |   gre1 (in VRF blue) over the VLAN   10.9.0.1 on lo
#                   |   gre6 (ip6gre) over the VLAN
#
# The client's pings to 10.9.0.1 are steered into the VRF's table by an
# "ip rule to 10.9.0.0/24", whose only route to it is the GRE tunnel.
# shellcheck source=tests/lab/lib.sh
. "${BASH_SOURCE%/*}/lib.sh"

gw=smoke-gw peer=smoke-peer client=smoke-client
for ns in $gw $peer $client; do ns_add "$ns"; done

veth $client c0 $gw g0
ip -n $client addr add 10.0.1.2/24 dev c0
ip -n $client route add default via 10.0.1.1
ip -n $gw addr add 10.0.1.1/24 dev g0

# The underlay: VLAN 10 over a veth. The bare veth has no address, so anything
# that reaches the peer went through the VLAN.
veth $gw g1 $peer p1
ip -n $gw link add link g1 name g1.10 type vlan id 10
ip -n $peer link add link p1 name p1.10 type vlan id 10
ip -n $gw addr add 192.168.10.1/24 dev g1.10
ip -n $gw addr add 2001:db8:10::1/64 dev g1.10
ip -n $peer addr add 192.168.10.2/24 dev p1.10
ip -n $peer addr add 2001:db8:10::2/64 dev p1.10
ip -n $gw link set g1.10 up
ip -n $peer link set p1.10 up
ping_ok $gw 192.168.10.2
ping_ok $gw 2001:db8:10::2

# GRE, the gateway's end in VRF blue (table 100).
ip -n $gw link add blue type vrf table 100
ip -n $gw link set blue up
ip -n $gw link add gre1 type gre local 192.168.10.1 remote 192.168.10.2
ip -n $gw link set gre1 master blue up
ip -n $gw addr add 10.255.0.1/30 dev gre1
ip -n $peer link add gre1 type gre local 192.168.10.2 remote 192.168.10.1
ip -n $peer link set gre1 up
ip -n $peer addr add 10.255.0.2/30 dev gre1
ip -n $peer addr add 10.9.0.1/32 dev lo
ip -n $peer route add 10.0.1.0/24 dev gre1

# ip6gre, in the default VRF.
ip -n $gw link add gre6 type ip6gre local 2001:db8:10::1 remote 2001:db8:10::2
ip -n $peer link add gre6 type ip6gre local 2001:db8:10::2 remote 2001:db8:10::1
ip -n $gw addr add 10.255.1.1/30 dev gre6
ip -n $peer addr add 10.255.1.2/30 dev gre6
ip -n $gw link set gre6 up
ip -n $peer link set gre6 up
tx=$(link_counter $gw gre6 tx packets)
ping_ok $gw 10.255.1.2
assert_ge "$(link_counter $gw gre6 tx packets)" $((tx + 3)) "ip6gre tx packets"

# The VRF table reaches 10.9.0.0/24 through the tunnel, and leaks the way back
# to the client, who is in the default VRF. Until the rule sends the client's
# traffic into that table there is no route at all.
ip -n $gw route add 10.9.0.0/24 dev gre1 table 100
ip -n $gw route add 10.0.1.0/24 dev g0 table 100
ping_fails $client 10.9.0.1
ip -n $gw rule add to 10.9.0.0/24 lookup 100 pref 100

gre_tx=$(link_counter $gw gre1 tx packets)
gre_rx=$(link_counter $peer gre1 rx packets)
vlan_tx=$(link_counter $gw g1.10 tx packets)
ip netns exec $client ping -q -n -c 10 -i 0.2 -W 2 10.9.0.1 >/dev/null ||
	fail "the client cannot ping 10.9.0.1 through the VRF and GRE"
assert_ge "$(link_counter $gw gre1 tx packets)" $((gre_tx + 10)) "gw gre1 tx packets"
assert_ge "$(link_counter $peer gre1 rx packets)" $((gre_rx + 10)) "peer gre1 rx packets"
assert_ge "$(link_counter $gw g1.10 tx packets)" $((vlan_tx + 10)) "gw VLAN tx packets"

ip -n $gw -s link show gre1
ip -n $gw -s link show g1.10
pass "VRF, GRE, ip6gre, VLAN and policy routing on $(uname -r)"
