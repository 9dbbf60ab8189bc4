#!/bin/bash
# Swapping custA's priorities and reloading moves its traffic to the VLAN;
# only custA's objects change.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start
ping_n inet "$SERVER_A" 20

topo_config 20 10
out=$(gwctl -j reload) || fail "reload: $out"
echo "$out" | json '"\n".join("%s %s %s" % (o["op"], o["object"], o.get("detail","")) for o in j["ops"])'
assert_eq "$(json 'j["changes"]' <<<"$out")" 1 "netlink changes for the swap"
assert_eq "$(json 'sorted({o.get("customer") for o in j["ops"]})' <<<"$out")" "['custa']" "customers touched"

# 300 pings; the probes add about 10 packets a second to every path.
gre=$(path_rx custA gre-gw) vlan=$(path_rx custA xc.117)
ping_n inet "$SERVER_A" 300
tcp_ok custA "$SERVER_A"
assert_ge $(($(path_rx custA xc.117) - vlan)) 300 "custA VLAN packets"
(($(path_rx custA gre-gw) - gre < 150)) || fail "custA's GRE still carries traffic"
ping_n inet "$SERVER_B" 20

# Equal priorities share the traffic: one multipath route with the weights.
topo_config 10 10
sed -i 's/"vlan": 117,/"vlan": 117, "weight": 3,/' "$GWD_CONF"
gwctl reload >/dev/null || fail "reload to equal priorities"
routes=$(ip -n gw route show table 1017 203.0.113.0/24)
echo "$routes"
grep_q "nexthop via 10.17.0.2 dev gw17-bcix weight 3" <<<"$routes" || fail "bcix next hop with weight 3"
grep_q "nexthop via 10.17.1.2 dev gw17-gre1 weight 1" <<<"$routes" || fail "gre1 next hop with weight 1"
ping_n inet "$SERVER_A" 20
assert_eq "$(gwctl -j reload | json 'j["changes"]')" 0 "changes re-applying a multipath route"
pass "traffic moved to the VLAN; 1 change, custA's only; equal priorities share with weights"
