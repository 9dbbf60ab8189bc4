#!/bin/bash
# TCP SYNs leave through a GRE path with their MSS clamped to the path's MTU
# less 40 (IPv4): seen in a capture on custA's end of the tunnel.  A path
# with its own "mss" clamps to that.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../filter.sh"

topo_build
filter_config '{ "default": "accept" }'
gwd_start
wait_for 10 on_path gre1 || fail "custA's route: $(route_a)"
mtu=$(ip -n gw -o link show gw17-gre1 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')

# syn_mss: the MSS of the next SYN from inet to custA's server, on gre-gw.
syn_mss() {
	ip netns exec custA timeout 10 tcpdump -c 1 -n -v -i gre-gw \
		'tcp[tcpflags] & tcp-syn != 0 and dst port 8080' >"$LAB_DIR/cap" 2>/dev/null &
	local cap=$!
	sleep 1
	tcp_ok custA "$SERVER_A"
	wait "$cap" || true
	sed -n 's/.*mss \([0-9]*\).*/\1/p' "$LAB_DIR/cap" | head -n 1
}
got=$(syn_mss)
echo "SYN through gre1 (MTU $mtu): MSS $got; inet offers $((1500 - 40))"
assert_eq "$got" $((mtu - 40)) "the SYN's MSS"

python3 - "$GWD_CONF" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["customers"][0]["paths"][0]["mss"] = 1200
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
gwctl reload >/dev/null
assert_eq "$(syn_mss)" 1200 "the SYN's MSS with mss 1200"
pass "SYNs leave through GRE with a clamped MSS"
