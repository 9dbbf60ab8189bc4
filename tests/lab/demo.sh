#!/bin/bash
# The demo: gwd delivers clean traffic from "inet" to two customers, one over
# GRE (with a VLAN cross-connect as backup) and one over GRE with the same
# inner addressing, each in its own VRF.  Run it with `make demo`.
. "${BASH_SOURCE%/*}/lib.sh"
. "${BASH_SOURCE%/*}/topo.sh"

topo_build
topo_config
echo "== gwd's config"
cat "$GWD_CONF"
gwd_start

echo "== ping and TCP from inet to each customer's server"
for server in "$SERVER_A" "$SERVER_A6" "$SERVER_B"; do
	ip netns exec inet ping -c 2 -i 0.2 -W 2 "$server" | tail -2
done
tcp_ok custA "$SERVER_A" && echo "TCP to $SERVER_A: ok"
tcp_ok custB "$SERVER_B" && echo "TCP to $SERVER_B: ok"

echo "== gwctl show customers"
gwctl show customers
echo "== gwctl show paths"
gwctl show paths
echo "== tunnel counters on the customer side (packets received)"
for spec in custA:gre-gw custA:gre6-gw custA:xc.117 custB:gre-gw; do
	printf '%-14s %s\n' "$spec" "$(link_counter "${spec%%:*}" "${spec#*:}" rx packets)"
done
echo "== gwd's log"
cat "$GWD_LOG"
