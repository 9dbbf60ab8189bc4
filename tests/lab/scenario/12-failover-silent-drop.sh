#!/bin/bash
# The primary path dies silently during a 1000 pps UDP stream: custA drops
# its GRE both ways (nft) while every link stays up, so nothing but the
# probes can tell.  Traffic moves to the backup (bcix) within a second; the
# 400 ms target (100 ms x 3 + one interval) is the benchmark's
# (tests/bench/failover.sh), for the reasons 11 gives.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start
ping_n inet "$SERVER_A" 10

stream_gap gre1_blackhole add
echo "failover gap: $gap_ms ms ($lost of $sent datagrams lost)"
grep "path gre1" "$GWD_LOG" || true
grep_q "customer custa: path gre1: up -> down (3 probes in a row lost)" "$GWD_LOG" ||
	fail "no transition to down for custa/gre1 in the log"
on_path bcix || fail "custA's route did not move to bcix: $(route_a)"
# Silent indeed: both ends of the tunnel are still up.
ip -n gw link show gw17-gre1 | grep_q ",UP,LOWER_UP>" || fail "gw17-gre1 is not up"
ip -n custA link show gre-gw | grep_q ",UP,LOWER_UP>" || fail "custA's gre-gw is not up"
((gap_ms <= 1000)) || fail "failover gap $gap_ms ms: not a failover within a second"
pass "silent drop: failover in $gap_ms ms"
