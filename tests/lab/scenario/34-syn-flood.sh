#!/bin/bash
# The SYN fast path end to end through gwd (issue 6), custA in mode on: a
# spoofed SYN flood from random 198.18.128.0/17 sources runs towards custA's
# server while a real client (curl, 198.18.0.2) connects.  The client's
# first connection is answered by the AF_XDP worker's cookie SYN-ACK, its
# ACK authenticates it and reaches the server, which resets the connection
# it never saw ("connection reset": the documented cost of the stateless
# handshake); the retry passes.  None of the flood's SYNs reaches custA:
# the worker answers them all (SYN-ACKs counted back in inet).  A forged
# ACK (a made-up cookie) is dropped (drop-bad-cookie) and never reaches
# custA.  The same first connection over IPv6.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../syn.sh"

syn_topo
syn_config on
gwd_start
wait_for 10 on_path gre1 || fail "custA's route: $(route_a)"
syn_wait_ready
gwctl show syn
read -r mode how < <(syn_get 'pfx("'"$SYN_PFX"'")["mode"], att()["how"]')
assert_eq "$mode" on "the mode of $SYN_PFX"
assert_eq "$how" attached "how syn.bpf.o got onto eth1 (a fresh bpffs)"
# Native XDP on veth (ip link says xdpgeneric for the skb mode).
xdp=$(ip -n gw link show eth1 | grep -o 'xdp[a-z]*' | head -n 1) || true
assert_eq "$xdp" xdp "the XDP mode on eth1 (native)"
assert_eq "$(syn_get 'att()["mode"]')" native "the XDP mode show syn says"

txdrop0=$(link_counter inet eth0 tx dropped)
syn_flood_start "$SYN_FLOOD_PPS"
sleep 2
echo "-- the client's first connection during the flood, then its retry"
client_first
sleep 2
syn_flood_stop
sleep 1
txdrop=$(($(link_counter inet eth0 tx dropped) - txdrop0))
echo "flood: $flood_sent SYNs sent at $SYN_FLOOD_PPS/s ($txdrop dropped by veth on the way: gw's ring was full)"
gwctl show syn

read -r redirect challenged synacks pass_ack auth valid rx_dropped < <(syn_get \
	'reason("redirect-xsk"), pfx("'"$SYN_PFX"'")["challenged"], workers("synacks"), reason("pass-ack"),
	 reason("pass-authenticated"), pfx("'"$SYN_PFX"'")["cookies_valid"], workers("rx_dropped")')
back=$(nft_count inet synacks)
echo "redirect-xsk $redirect, challenged $challenged, worker SYN-ACKs $synacks (back in inet: $back), rx_dropped $rx_dropped"
echo "pass-ack $pass_ack, pass-authenticated $auth, cookies_valid $valid"
echo "custA's server: SYNs from the flood $(custa_syns flood), from the client $(custa_syns client), others $(custa_syns other); accepted: $(server_peers | xargs)"

assert_eq "$(custa_syns flood)" 0 "the flood's SYNs that reached custA"
assert_eq "$(custa_syns other)" 0 "SYNs from anyone else at custA"
# The client's retry, plus a retransmission if the emulated machine was slow.
(($(custa_syns client) >= 1 && $(custa_syns client) <= 2)) ||
	fail "the client's SYNs at custA: $(custa_syns client), want its retry's only"
assert_eq "$(server_peers)" "$SYN_CLIENT x1" "the connections custA's server accepted"
# Every flood SYN (and the client's first) went to the worker; the worker
# answered those it got (the kernel's rx_dropped: those it was too slow for).
# (Ratios, not equalities: the emulated machine may drop on the way.)
assert_ge "$redirect" $(((flood_sent - txdrop) * 95 / 100)) "redirect-xsk of $flood_sent flood SYNs"
assert_ge "$challenged" $(((flood_sent - txdrop) * 95 / 100)) "challenged of $flood_sent flood SYNs"
assert_ge "$synacks" $(((redirect - rx_dropped) * 95 / 100)) "the worker's SYN-ACKs"
assert_ge "$back" $((synacks * 90 / 100)) "SYN-ACKs back at the flood's sources in inet"
assert_ge "$pass_ack" 1 "pass-ack (the client's cookie ACK)"
assert_ge "$valid" 1 "cookies_valid of $SYN_PFX"
assert_ge "$auth" 1 "pass-authenticated (the client's retry)"
pass "a real client gets through a spoofed SYN flood (first connection reset, the retry passes); the flood never reaches custA"

echo "-- a forged ACK with a bad cookie"
read -r bad0 cbad0 < <(syn_get 'reason("drop-bad-cookie"), pfx("'"$SYN_PFX"'")["cookies_bad"]')
forge_ack 1
sleep 1
read -r bad1 cbad1 < <(syn_get 'reason("drop-bad-cookie"), pfx("'"$SYN_PFX"'")["cookies_bad"]')
assert_eq "$((bad1 - bad0))" 1 "drop-bad-cookie after one forged ACK"
assert_eq "$((cbad1 - cbad0))" 1 "cookies_bad of $SYN_PFX after one forged ACK"
assert_eq "$(nft_count custA forged)" 0 "packets of the forger at custA"
pass "a forged cookie ACK is dropped (drop-bad-cookie) and never reaches custA"

echo "-- IPv6: the client's first connection to $SERVER_A6, then its retry"
client_first -6
assert_eq "$(server_peers | grep -c "$SYN_CLIENT6")" 1 "connections from $SYN_CLIENT6 at the server"
read -r ch6 valid6 auth6 < <(syn_get 'pfx("'"$SYN_PFX6"'")["challenged"], pfx("'"$SYN_PFX6"'")["cookies_valid"],
	pfx("'"$SYN_PFX6"'")["authenticated"]')
echo "$SYN_PFX6: challenged $ch6, cookies_valid $valid6, authenticated $auth6"
assert_eq "$ch6 $valid6 $auth6" "1 1 1" "challenged, cookies_valid and authenticated of $SYN_PFX6"
pass "IPv6: first connection reset, the retry passes"
