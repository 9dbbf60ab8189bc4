#!/bin/bash
# Every IPv4 path of custa dies: gwd keeps the routes of the last path that
# worked (no black hole of its own making), raises an alarm once and shows
# custa as not deliverable.  The first path to recover carries the traffic
# and clears the alarm; the better one takes over when it returns.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

deliverable() { gwctl -j show customers | json '[c["deliverable"] for c in j if c["customer"] == "custa"][0]'; }

topo_build
topo_config
gwd_start
ping_n inet "$SERVER_A" 10
on_path gre1 || fail "custa does not start on gre1"

# gre1 dies first: bcix carries.  Then bcix dies too (silently: the
# customer's VLAN interface goes down, gw's side stays up).
ip -n custA link set gre-gw down
wait_for 5 on_path bcix || fail "traffic did not move to bcix"
ip -n custA link set xc.117 down
wait_for 5 grep_q "ALARM customer custa: not deliverable" "$GWD_LOG" ||
	fail "no alarm with every IPv4 path down"
grep "ALARM" "$GWD_LOG"
assert_eq "$(path_show custa bcix 'p["state"]')" down "bcix's state"
assert_eq "$(deliverable)" False "custa deliverable with every IPv4 path down"
assert_eq "$(gwctl -j status | json 'j["customers_undeliverable"]')" 1 "undeliverable customers"
sleep 1
on_path bcix || fail "the routes of the last working path were not kept: $(route_a)"
assert_eq "$(grep -c ALARM "$GWD_LOG")" 1 "alarms raised (once, not per probe)"
# custa's IPv6 path is fine and keeps working.
ping_n inet "$SERVER_A6" 10

# The first path back carries the traffic, whichever it is.
ip -n custA link set xc.117 up
wait_for 5 grep_q "customer custa: deliverable again" "$GWD_LOG" || fail "the alarm was not cleared"
on_path bcix || fail "traffic is not on bcix, the first to recover"
assert_eq "$(deliverable)" True "custa deliverable after bcix recovered"
ping_n inet "$SERVER_A" 10
ip -n custA link set gre-gw up
wait_for 5 on_path gre1 || fail "traffic did not return to gre1"
ping_n inet "$SERVER_A" 10
pass "all paths down: last working routes kept, alarm raised and cleared, recovery on the first healthy path"
