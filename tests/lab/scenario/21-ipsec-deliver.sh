#!/bin/bash
# IPsec return paths against a real charon on the customer's side: clean
# traffic reaches custA's server through the xfrm-interface path (sec1) and
# through GRE over transport-mode ESP (sec2), encrypted: on the underlay
# only ESP, the SAs' counters rising; gwctl show ipsec lists the SAs and
# never the PSK.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../ipsec.sh"

ipsec_lab
ipsec_config 30 10 20		# sec1 first, then sec2, then plain GRE
gwd_start

# Counting what arrives over the wire at custA's uplink (netdev ingress,
# before any decryption; gw's own hooks see the clear packets too, before
# the xfrm transform): ESP, plain GRE to sec2's remote, and anything for
# custA's server in clear.
ip netns exec custA nft -f - <<'NFT'
table netdev lab {
	counter esp_in { }
	counter gre_clear { }
	counter server_clear { }
	chain in {
		type filter hook ingress device "wan" priority 0;
		ip protocol esp counter name esp_in
		ip daddr 192.0.2.118 ip protocol gre counter name gre_clear
		ip daddr 203.0.113.10 counter name server_clear
	}
}
NFT
nft_count() { ip netns exec custA nft -j list counter netdev lab "$1" | json "j['nftables'][1]['counter']['packets']"; }

wait_for 30 sa_up sec1 || { gwctl show ipsec; fail "sec1's SA is not up"; }
wait_for 30 sa_up sec2 || { gwctl show ipsec; fail "sec2's SA is not up"; }
wait_for 30 on_path sec1 || { gwctl show paths; fail "traffic is not on sec1"; }
gwctl show ipsec

for p in sec1 sec2; do
	before=$(nft_count esp_in)
	rx=$(ip -n gw -s xfrm state | awk '/lifetime current/ { getline; s += $1 } END { print s + 0 }')
	ping_n inet "$SERVER_A" 200
	tcp_ok custA "$SERVER_A"
	assert_ge $(($(nft_count esp_in) - before)) 200 "ESP packets on the underlay for $p"
	after=$(ip -n gw -s xfrm state | awk '/lifetime current/ { getline; s += $1 } END { print s + 0 }')
	assert_ge $((after - rx)) 20000 "bytes through gw's SAs for $p"
	if [[ $p == sec1 ]]; then
		# Now sec2 carries it: sec1 moves down the list.
		ipsec_config 30 40 20
		gwctl reload >/dev/null
		wait_for 10 on_path sec2 || { gwctl show paths; fail "traffic is not on sec2"; }
	fi
done
assert_eq "$(nft_count gre_clear)" 0 "GRE packets to sec2's remote in clear"
assert_eq "$(nft_count server_clear)" 0 "packets to custA's server in clear on the underlay"

# What gwctl shows: both SAs, SPIs as the kernel has them, no secret.
show=$(gwctl -j show ipsec custa)
assert_eq "$(json 'sorted(p["path"] + ":" + p["sa"] for p in j["paths"])' <<<"$show")" \
	"['sec1:up', 'sec2:up']" "paths in show ipsec"
for spi in $(json '" ".join(c["spi_in"] for s in j["sas"] for c in s["child_sas"])' <<<"$show"); do
	xfrm_spis | grep_q "0x$spi" || fail "SPI $spi shown but not in the kernel"
done
for m in xfrm gre; do
	psk=$(cat "$LAB_DIR/psk-$m")
	! gwctl -j show ipsec | grep_q -F "$psk" || fail "show ipsec shows a PSK"
	! gwctl -j show paths | grep_q -F "$psk" || fail "show paths shows a PSK"
	! grep_q -F "$psk" "$GWD_LOG" || fail "gwd's log holds a PSK"
done
pass "IPsec paths in both modes deliver custA's traffic encrypted"
