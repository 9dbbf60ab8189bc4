#!/bin/bash
# BFD against FRR's bfdd on the customer's side, configured as a customer
# would: custa's gre1 is checked by BFD at 100 ms x 3.  The session comes up
# with the negotiated timers on both sides; a dead bfdd takes gre1 down within
# the detect time ("control detection time expired") and traffic moves to
# bcix; bfdd back brings the session up and traffic back after rise packets.
# Not 50 ms here: the VM tier is emulated, and a stall of the emulated CPUs
# beyond 150 ms (seen with another VM on the host) is a real flap for both
# sides.  The benchmark (tests/bench/failover.sh) measures 50 ms x 3.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../frr.sh"

bfd() { path_show custa gre1 "p['bfd']$1"; }
bfd_up() { [ "$(bfd '["state"]')" = up ]; }
gre1_left() { ! route_a | grep_q gw17-gre1; }

topo_build
topo_config
python3 - "$GWD_CONF" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
gre1 = [p for p in c["customers"][0]["paths"] if p["name"] == "gre1"][0]
gre1["probe"] = {"kind": "bfd", "interval_ms": 100, "fail": 3, "rise": 3}
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
frr_bfd_start custA 10.17.1.1 10.17.1.2 gre-gw 100 100 3
gwd_start
wait_for 10 bfd_up ||
	fail "the BFD session did not come up: $(path_show custa gre1 'p["bfd"]')"
assert_eq "$(frr_bfd_peer custA 'p["status"]')" up "bfdd's session state"
assert_eq "$(bfd '["tx_interval_ms"]')" 100 "gwd's negotiated TX interval"
assert_eq "$(bfd '["detect_time_ms"]')" 300 "gwd's detection time"
assert_eq "$(frr_bfd_peer custA 'p["transmit-interval"]')" 100 "bfdd's TX interval"
echo "session up: gwd tx $(bfd '["tx_interval_ms"]') ms, detect $(bfd '["detect_time_ms"]') ms; bfdd: $(frr_bfd_peer custA 'p["status"], p["transmit-interval"], p["receive-interval"], p["detect-multiplier"]')"
on_path gre1 || fail "custa's traffic is not on gre1"
ping_n inet "$SERVER_A" 10
grep "path gre1" "$GWD_LOG" || true
assert_eq "$(path_show custa gre1 'p["transitions"]')" 0 "transitions while the session came up"

# The customer's side dies: the tunnel itself still works, BFD alone tells.
frr_bfdd_kill custA
wait_for 2 gre1_left ||
	fail "traffic stayed on gre1 with bfdd dead"
grep_q "customer custa: path gre1: up -> down (BFD: control detection time expired)" "$GWD_LOG" ||
	fail "no BFD transition in the log"
on_path bcix || fail "traffic did not move to bcix: $(route_a)"
ping_n inet "$SERVER_A" 10

frr_bfdd_restart custA
wait_for 10 on_path gre1 || fail "traffic did not return to gre1 with bfdd back"
grep_q "path gre1: down -> up (3 BFD packets in a row with the session up)" "$GWD_LOG" ||
	fail "gre1 did not come back through rise"
ping_n inet "$SERVER_A" 10

# gwd killed and restarted: a new session comes up with bfdd within the
# grace period, so nothing moves.
gwd_stop KILL
gwd_start
assert_eq "$(gwd_last_changes)" 0 "changes at the restart"
wait_for 10 bfd_up || fail "no BFD session after the restart"
sleep 3.5	# past the grace period
on_path gre1 || fail "the restart moved traffic off gre1: $(route_a)"
assert_eq "$(path_show custa gre1 'p["transitions"]')" 0 "gre1 transitions after the restart"

# The gap the stream sees when the customer takes the tunnel down.
stream_gap ip -n custA link set gre-gw down
echo "BFD 100 ms x 3 failover gap: $gap_ms ms ($lost of $sent datagrams lost)"
on_path bcix || fail "traffic did not move to bcix: $(route_a)"
((gap_ms <= 1000)) || fail "failover gap $gap_ms ms: not a failover within a second"
pass "BFD with FRR bfdd: session up at 100 ms x 3, failover on the customer's failure, failback after rise"
