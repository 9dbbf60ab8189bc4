#!/bin/bash
# Short lifetimes on both sides force CHILD_SA and IKE_SA rekeys (and their
# collisions) while a 1000 pps stream runs through the xfrm-mode path: not
# one datagram is lost, the path never leaves up, and the SPIs did change.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../ipsec.sh"

ipsec_lab short-life
ipsec_config 30 10 20 '"child_rekey_s": 15, "rekey_s": 60, "jitter_pct": 20,'
gwd_start
wait_for 30 sa_up sec1 || { gwctl show ipsec; fail "sec1's SA is not up"; }
wait_for 30 on_path sec1 || { gwctl show paths; fail "traffic is not on sec1"; }

# Drops that are not IPsec's: the emulated machine's receive backlogs
# (softnet, all namespaces) and the stream receiver's socket buffer.  Every
# xfrm error counter of both ends must stay as it is.
xfrm_errors() { ip netns exec "$1" awk '{ s += $2 } END { print s }' /proc/net/xfrm_stat; }

spis=$(xfrm_spis)
child=$(sa_show sec1 'c["uniqueid"]')
changes=$(path_transitions sec1)
sn=$(softnet_drops) ud=$(udp_drops) xg=$(xfrm_errors gw) xc=$(xfrm_errors custA)
STREAM_S=50 stream_gap true
other=$(($(softnet_drops) - sn + $(udp_drops) - ud))
echo "50 s at 1000 pps across rekeys: $lost of $sent lost, longest gap $gap_ms ms;" \
	"$other dropped outside IPsec (receive backlogs, socket buffer)"
awk '{ s = int($1 / 1000); n[s]++ } END { for (i = 0; i < 49; i++) if (n[i] < 1000) printf "second %d: %d lost\n", i, 1000 - n[i] }' "$LAB_DIR/rx"
for ns in gw custA; do
	ip netns exec $ns awk -v ns=$ns '$2 != 0 { print ns ": " $0 }' /proc/net/xfrm_stat
done
assert_eq "$(xfrm_errors gw) $(xfrm_errors custA)" "$xg $xc" "xfrm error counters of gw and custA"
gwctl show ipsec custa
now=$(sa_show sec1 'c["uniqueid"]')
echo "CHILD_SA of sec1: #$child before, #$now after; SPIs before: $spis; after: $(xfrm_spis)"
assert_ge "$((now - child))" 2 "CHILD_SA rekeys of sec1 during the stream"
[[ $(xfrm_spis) != "$spis" ]] || fail "the SPIs never changed"
((lost <= other)) || fail "$lost datagrams lost across rekeys, $other of them outside IPsec"
[[ $(path_transitions sec1) == "$changes" ]] ||
	fail "sec1 changed state during rekeys: $(grep 'path sec1' "$GWD_LOG" | tail -n 12)"
! grep_q "IPsec SA down" "$GWD_LOG" || fail "gwd saw an SA go down: $(grep 'IPsec SA down' "$GWD_LOG")"
pass "rekeys under a 1000 pps stream lose nothing"
