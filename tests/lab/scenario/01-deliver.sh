#!/bin/bash
# Clean traffic from inet reaches both customers' servers (ping and TCP),
# through the expected path: custA's GRE (priority 10), not its VLAN (20);
# custB over GRE with the same inner /30 as custA.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start

# 300 pings; the probes add about 10 packets a second to every path.
gre=$(path_rx custA gre-gw) vlan=$(path_rx custA xc.117) greb=$(path_rx custB gre-gw)
ping_n inet "$SERVER_A" 300
ping_n inet "$SERVER_B" 300
tcp_ok custA "$SERVER_A"
tcp_ok custB "$SERVER_B"
assert_ge $(($(path_rx custA gre-gw) - gre)) 300 "custA GRE packets"
(($(path_rx custA xc.117) - vlan < 150)) || fail "custA's VLAN carried traffic"
assert_ge $(($(path_rx custB gre-gw) - greb)) 300 "custB GRE packets"

# Each customer in its own VRF, with gwd's routes and rules.
ip -n gw -d link show gw17-gre1 | grep_q "master gwvrf17" || fail "gw17-gre1 not in gwvrf17"
ip -n gw -d link show gw18-gre1 | grep_q "master gwvrf18" || fail "gw18-gre1 not in gwvrf18"
ip -n gw route show table 1017 proto 211 | grep_q "203.0.113.0/24 via 10.17.1.2 dev gw17-gre1" ||
	fail "custA's route"
ip -n gw rule show | grep_q "2000:.*to 198.51.100.128/25 lookup 1018 proto 211" ||
	fail "custB's rule"

paths=$(gwctl -j show paths)
assert_eq "$(json 'len(j)' <<<"$paths")" 4 "paths shown"
assert_eq "$(json '[(p["customer"],p["path"],p["type"],p["ifname"],p["state"],p["active"]) for p in j if p["path"]=="gre1" and p["customer"]=="custa"][0]' <<<"$paths")" \
	"('custa', 'gre1', 'gre', 'gw17-gre1', 'up', True)" "custa/gre1 in show paths"
assert_eq "$(json '[p["active"] for p in j if p["path"]=="bcix"][0]' <<<"$paths")" False "bcix active"
gwctl show paths
pass "traffic reaches both customers over the expected paths"
