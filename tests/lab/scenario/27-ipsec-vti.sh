#!/bin/bash
# Mode vti, for kernels without xfrm interfaces: sec1 as a VTI keyed with
# its if_id, against the same customer router (which does not care what the
# gateway's end is made of).  Traffic reaches custA's server, encrypted.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../ipsec.sh"

ipsec_lab
SEC1_MODE=vti ipsec_config 30 10 20
gwd_start
ip netns exec custA nft -f - <<'NFT'
table netdev lab {
	counter esp_in { }
	counter server_clear { }
	chain in {
		type filter hook ingress device "wan" priority 0;
		ip protocol esp counter name esp_in
		ip daddr 203.0.113.10 counter name server_clear
	}
}
NFT
nft_count() { ip netns exec custA nft -j list counter netdev lab "$1" | json "j['nftables'][1]['counter']['packets']"; }

ip -n gw -d link show gw17-sec1 | grep_q "vti remote 192.0.2.117 local 198.51.100.1 ikey 0.17.[0-9.]* okey" ||
	fail "gw17-sec1 is not the VTI gwd should make: $(ip -n gw -d link show gw17-sec1)"
assert_eq "$(ip netns exec gw sysctl -n net.ipv4.conf.gw17-sec1.disable_policy)" 1 "disable_policy on the VTI"
# The VTI's ESP is routed in the VRF's table: the throw sends it on to main.
ip -n gw route show table 1017 type throw | grep_q "^throw 192.0.2.117 proto 211" ||
	fail "no throw for the VTI's peer in table 1017: $(ip -n gw route show table 1017)"
wait_for 30 sa_up sec1 || { gwctl show ipsec; fail "sec1's SA is not up"; }
wait_for 30 on_path sec1 || { gwctl show paths; fail "traffic is not on sec1: $(route_a)"; }
before=$(nft_count esp_in)
ping_n inet "$SERVER_A" 200
tcp_ok custA "$SERVER_A"
assert_ge $(($(nft_count esp_in) - before)) 200 "ESP packets at custA"
assert_eq "$(nft_count server_clear)" 0 "packets to custA's server in clear"
pass "a VTI path delivers encrypted"
