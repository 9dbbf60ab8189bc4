#!/bin/bash
# gwd killed with -9 and started again under a 1000 pps stream: the SAs stay
# (the same SPIs, the same IKE_SA), nothing is lost.  The gateway's charon
# killed with -9 and started again (as systemd would): gwd connects again,
# loads its connections, and the tunnel carries traffic again within 15 s.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../ipsec.sh"

ipsec_lab
ipsec_config 30 10 20
gwd_start
wait_for 30 sa_up sec1 || { gwctl show ipsec; fail "sec1's SA is not up"; }
wait_for 30 sa_up sec2 || { gwctl show ipsec; fail "sec2's SA is not up"; }
wait_for 30 on_path sec1 || { gwctl show paths; fail "traffic is not on sec1"; }

spis=$(xfrm_spis) ike=$(sa_show sec1 's["uniqueid"]')
gwd_restart() { gwd_stop KILL; gwd_start; }
stream_gap gwd_restart
echo "gwd kill -9 and start: $lost of $sent lost, longest gap $gap_ms ms"
awk '{ s = int($1 / 1000); n[s]++ } END { for (i = 0; i < 5; i++) printf "second %d: %d lost\n", i, 1000 - n[i] }' "$LAB_DIR/rx"
grep -A25 "control socket" "$GWD_LOG" | tail -n 25
assert_eq "$(gwd_last_changes)" 0 "changes made by gwd's restart"
wait_for 10 sa_up sec1 || fail "gwd does not see sec1's SA after its restart"
assert_eq "$(xfrm_spis)" "$spis" "SPIs after gwd's restart"
assert_eq "$(sa_show sec1 's["uniqueid"]')" "$ike" "sec1's IKE_SA after gwd's restart"
assert_eq "$lost" 0 "datagrams lost across gwd's restart"
on_path sec1 || fail "traffic left sec1 at gwd's restart: $(route_a)"

# The same with a GRE-mode path carrying the traffic: gwd cannot know its SA
# is there before charon answers, and keeps what the kernel's routes had.
ipsec_config 30 20 10
gwctl reload >/dev/null
wait_for 30 on_path sec2 || { gwctl show paths; fail "traffic is not on sec2: $(route_a)"; }
spis=$(xfrm_spis)
stream_gap gwd_restart
echo "gwd kill -9 and start, on the GRE-mode path: $lost of $sent lost, longest gap $gap_ms ms"
assert_eq "$(gwd_last_changes)" 0 "changes made by gwd's restart"
assert_eq "$(xfrm_spis)" "$spis" "SPIs after gwd's restart"
assert_eq "$lost" 0 "datagrams lost across gwd's restart"
on_path sec2 || fail "traffic left sec2 at gwd's restart: $(route_a)"
ipsec_config 30 10 20
gwctl reload >/dev/null
wait_for 30 on_path sec1 || { gwctl show paths; fail "traffic is not back on sec1"; }

charon_kill9 gw
t0=$(date +%s.%N)
charon_start gw gw
back() { sa_up sec1 && on_path sec1 && ping_ok inet "$SERVER_A"; }
wait_for 30 back || { gwctl show ipsec; gwctl show paths; fail "sec1 is not back 30 s after charon's restart"; }
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "charon kill -9 and start: sec1 carries traffic again after $took s"
grep "charon" "$GWD_LOG" | tail -n 5
awk -v t="$took" 'BEGIN { exit !(t <= 15) }' || fail "tunnel back after $took s, not within 15 s"
wait_for 20 sa_up sec2 || fail "sec2's SA did not come back"
pass "gwd's restart keeps the SAs; charon's restart is over in $took s"
