#!/bin/bash
# A VLAN path whose cross-connect goes down, or away, stops carrying traffic:
# custA's traffic moves to its GRE path and back when the port returns; an
# event-driven re-apply settles (no loop).
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config 20 10		# the VLAN is custA's primary
gwd_start
ping_n inet "$SERVER_A" 20
state() { gwctl -j show paths | json "[p['state'] + '/' + str(p['active']) for p in j if p['path'] == '$1' and p['customer'] == 'custa'][0]"; }
assert_eq "$(state bcix)" "up/True" "bcix before"

ip -n gw link set eth2 down
wait_for 5 sh -c "[ \"\$(ip netns exec gw '$GWCTL_BIN' -s '$GWD_SOCK' -j show paths | python3 -c 'import json,sys; print([p[\"active\"] for p in json.load(sys.stdin) if p[\"path\"]==\"gre1\" and p[\"customer\"]==\"custa\"][0])')\" = True ]" ||
	fail "traffic did not move to gre1 with eth2 down"
assert_eq "$(state bcix)" "down/False" "bcix with eth2 down"
gre=$(path_rx custA gre-gw)
ping_n inet "$SERVER_A" 20
assert_ge $(($(path_rx custA gre-gw) - gre)) 20 "custA GRE packets with eth2 down"

ip -n gw link set eth2 up
wait_for 10 sh -c "ip netns exec gw '$GWCTL_BIN' -s '$GWD_SOCK' -j show paths | grep -q '\"state\": \"up\"'" || true
# Back once the link is up and rise probes answered.
wait_for 10 sh -c "ip -n gw route show table 1017 | grep -q '203.0.113.0/24 via 10.17.0.2 dev gw17-bcix'" ||
	fail "traffic did not return to bcix"
vlan=$(path_rx custA xc.117)
ping_n inet "$SERVER_A" 20
assert_ge $(($(path_rx custA xc.117) - vlan)) 20 "custA VLAN packets after eth2 came back"

# The port goes away altogether (its veth with it): GRE carries on.
ip -n gw link del eth2
wait_for 5 sh -c "ip -n gw route show table 1017 | grep -q '203.0.113.0/24 via 10.17.1.2 dev gw17-gre1'" ||
	fail "no route via gre1 with eth2 gone"
ping_n inet "$SERVER_A" 20
assert_eq "$(state bcix)" "missing/False" "bcix with eth2 gone"
grep_q "gw17-bcix.*parent link does not exist" "$GWD_LOG" || fail "the missing parent is not reported"

# Quiet now: a reload changes nothing but the VLAN it cannot make.
sleep 1
out=$(gwctl -j reload) || true
assert_eq "$(json '[o["object"] for o in j["ops"] if "error" not in o]' <<<"$out")" "[]" "changes after settling"
pass "VLAN parent down or gone: traffic on GRE, back on the VLAN when it returns"
