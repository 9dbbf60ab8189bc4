#!/bin/bash
# gwd restarts during a SYN flood (issue 6), custA in mode on, site
# fallback drop: once with SIGTERM, once with kill -9.  While gwd is down
# syn.bpf.o stays on eth1 with its maps: the authenticated client connects
# at once (no reset, no SYN retransmission), the flood's SYNs, with no
# worker to go to, take the fallback (drop) and still never reach custA.
# At the start gwd adopts the program (same prog_id, "how": "adopted"),
# its counters and the cookie key, and the workers come back (the flood is
# redirected and answered again).
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../syn.sh"

syn_topo
syn_config on "" '{ "fallback": "drop" }'
gwd_start
wait_for 10 on_path gre1 || fail "custA's route: $(route_a)"
syn_wait_ready
read -r prog how key < <(syn_get 'att()["prog_id"], att()["how"], j["key_generation"]')
assert_eq "$how" attached "how syn.bpf.o got onto eth1 at the first start"
assert_eq "$(syn_get 'j["fallback"]')" drop "the site's fallback"
echo "-- the client authenticates"
client_first

syn_flood_start "$SYN_FLOOD_PPS"
sleep 1

# fast_connect: curl's connect took less than a SYN retransmission (1 s).
fast_connect() {
	awk -v t="$client_connect_s" 'BEGIN { exit !(t < 0.9) }' ||
		fail "the client took ${client_connect_s}s to connect: a SYN was lost"
}

for sig in TERM KILL; do
	echo "-- gwd stopped with SIG$sig during the flood"
	read -r r0 fb0 < <(syn_get 'reason("redirect-xsk"), reason("fallback-drop")')
	gwd_stop "$sig"
	ip -n gw -d link show eth1 | grep_q "prog/xdp" || fail "no XDP program on eth1 once gwd is gone"
	sleep 1
	client_ok
	fast_connect

	gwd_start
	syn_wait_ready
	read -r prog2 how2 key2 r1 fb1 < <(syn_get 'att()["prog_id"], att()["how"], j["key_generation"],
		reason("redirect-xsk"), reason("fallback-drop")')
	echo "after the start: prog_id $prog2 ($how2), key generation $key2, redirect-xsk $r0 -> $r1, fallback-drop $fb0 -> $fb1"
	assert_eq "$how2" adopted "how gwd found syn.bpf.o after SIG$sig"
	assert_eq "$prog2" "$prog" "the program's id after SIG$sig"
	assert_eq "$key2" "$key" "the cookie key generation after SIG$sig"
	assert_ge "$r1" "$r0" "redirect-xsk (kept in the pinned maps) after SIG$sig"
	# The flood went on while gwd was down: no socket, fallback drop.
	assert_ge "$((fb1 - fb0))" $((SYN_FLOOD_PPS / 2)) "fallback-drop while gwd was down (SIG$sig)"
	sleep 1
	read -r r2 fb2 < <(syn_get 'reason("redirect-xsk"), reason("fallback-drop")')
	echo "one second later: redirect-xsk $r1 -> $r2, fallback-drop $fb1 -> $fb2"
	assert_ge "$((r2 - r1))" $((SYN_FLOOD_PPS / 4)) "redirect-xsk in a second once the workers are back (SIG$sig)"
	assert_eq "$fb2" "$fb1" "fallback-drop once the workers are back (SIG$sig)"
	client_ok
	fast_connect
	assert_eq "$(custa_syns flood)" 0 "the flood's SYNs at custA"
	pass "SIG$sig: the program stays, the authenticated client connects while gwd is down and after; adopted, workers back"
done

syn_flood_stop
read -r synacks < <(syn_get 'workers("synacks")')
gwctl show syn
assert_ge "$synacks" 1 "the worker's SYN-ACKs after the last start"
assert_eq "$(custa_syns flood)" 0 "the flood's SYNs at custA"
assert_eq "$(server_peers)" "$SYN_CLIENT x5" "the connections custA's server accepted (the retry and four)"
grep -i "syn" "$GWD_LOG" | grep -i -E "adopt|attach" || true
pass "gwd restarts (SIGTERM, kill -9) under a flood break nothing: the fast path is adopted"
