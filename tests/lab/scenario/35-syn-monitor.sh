#!/bin/bash
# The SYN fast path in monitor mode (issue 6): custA's prefixes are watched,
# not protected.  The same spoofed SYN flood all reaches custA's server
# (counted there), nothing is challenged (no redirect to the worker, no
# SYN-ACK from it), show syn counts the SYNs (syns, pass-monitor, the SYN
# rate) and the real client connects at once, no reset.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../syn.sh"

syn_topo
syn_config monitor
gwd_start
wait_for 10 on_path gre1 || fail "custA's route: $(route_a)"
syn_wait_ready
assert_eq "$(syn_get 'pfx("'"$SYN_PFX"'")["mode"]')" monitor "the mode of $SYN_PFX"

# Half the rate of the others: here every SYN crosses gw and custA's
# server answers it, and the emulated machine's backlogs overflow sooner.
pps=$((SYN_FLOOD_PPS / 2))
drops0=$(($(softnet_drops) + $(link_counter inet eth0 tx dropped)))
want=$((pps * 4))
syn_flood_start "$pps" "$want"
sleep 1.5
rate=$(syn_get 'pfx("'"$SYN_PFX"'")["syn_pps"]')
echo "-- the client during the flood (SYN rate in show syn: $rate/s)"
client_ok
syn_flood_stop wait
sleep 1
drops=$(($(softnet_drops) + $(link_counter inet eth0 tx dropped) - drops0))
gwctl show syn
read -r monitor syns challenged redirect synacks < <(syn_get \
	'reason("pass-monitor"), pfx("'"$SYN_PFX"'")["syns"], pfx("'"$SYN_PFX"'")["challenged"],
	 reason("redirect-xsk"), workers("synacks")')
flood=$(custa_syns flood)
echo "flood: $flood_sent SYNs sent at $pps/s; at custA: $flood (dropped by the emulated machine's backlogs and veth rings on the way: $drops)"
echo "pass-monitor $monitor, syns $syns, challenged $challenged, redirect-xsk $redirect, worker SYN-ACKs $synacks"

assert_eq "$flood_sent" "$want" "SYNs trafgen sent"
assert_ge "$flood" $((flood_sent - drops)) "the flood's SYNs at custA (all of them, less what the emulated machine's backlogs dropped)"
assert_ge "$flood" $((flood_sent * 90 / 100)) "the flood's SYNs at custA"
# The flood's SYNs and the client's one.
assert_ge "$monitor" $((flood_sent + 1)) "pass-monitor"
assert_ge "$syns" $((flood_sent + 1)) "syns of $SYN_PFX"
assert_eq "$challenged" 0 "challenged in monitor mode"
assert_eq "$redirect" 0 "redirect-xsk in monitor mode"
assert_eq "$synacks" 0 "the worker's SYN-ACKs in monitor mode"
assert_ge "$rate" $((pps * 8 / 10)) "the SYN rate of $SYN_PFX in show syn during the flood"
assert_eq "$(server_peers)" "$SYN_CLIENT x1" "the connections custA's server accepted"
pass "monitor mode: the flood all reaches custA, nothing is challenged, the SYNs are counted"
