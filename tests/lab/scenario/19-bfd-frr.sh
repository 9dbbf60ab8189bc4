#!/bin/bash
# BFD against FRR's bfdd on the customer's side, configured as a customer
# would: custa's gre1 is checked by BFD at 50 ms x 3.  The session comes up
# with the negotiated timers on both sides; a dead bfdd takes gre1 down within
# the detect time ("control detection time expired") and traffic moves to
# bcix; bfdd back brings the session up and traffic back after rise packets.
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
gre1["probe"] = {"kind": "bfd", "interval_ms": 50, "fail": 3, "rise": 3}
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
frr_bfd_start custA 10.17.1.1 10.17.1.2 gre-gw 50 50 3
gwd_start
wait_for 10 bfd_up ||
	fail "the BFD session did not come up: $(path_show custa gre1 'p["bfd"]')"
assert_eq "$(frr_bfd_peer custA 'p["status"]')" up "bfdd's session state"
assert_eq "$(bfd '["tx_interval_ms"]')" 50 "gwd's negotiated TX interval"
assert_eq "$(bfd '["detect_time_ms"]')" 150 "gwd's detection time"
assert_eq "$(frr_bfd_peer custA 'p["transmit-interval"]')" 50 "bfdd's TX interval"
echo "session up: gwd tx $(bfd '["tx_interval_ms"]') ms, detect $(bfd '["detect_time_ms"]') ms; bfdd: $(frr_bfd_peer custA 'p["status"], p["transmit-interval"], p["receive-interval"], p["detect-multiplier"]')"
on_path gre1 || fail "custa's traffic is not on gre1"
ping_n inet "$SERVER_A" 10
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

# The gap the stream sees when the customer takes the tunnel down.
stream_gap ip -n custA link set gre-gw down
echo "BFD 50 ms x 3 failover gap: $gap_ms ms ($lost of $sent datagrams lost)"
on_path bcix || fail "traffic did not move to bcix: $(route_a)"
((gap_ms <= 1000)) || fail "failover gap $gap_ms ms: not a failover within a second"
pass "BFD with FRR bfdd: session up at 50 ms x 3, failover on the customer's failure, failback after rise"
