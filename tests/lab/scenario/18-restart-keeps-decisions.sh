#!/bin/bash
# gwd is killed while custa's primary path is down: the restarted gwd takes
# path states from the kernel's routes, so it does not move traffic back
# onto the dead path (0 changes at start) and fails back only after rise
# answers, as if it had never restarted.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start
ping_n inet "$SERVER_A" 10
ip -n custA link set gre-gw down
wait_for 5 on_path bcix || fail "traffic did not move to bcix"

gwd_stop KILL
gwd_start
grep_q "path gre1: starts down" "$GWD_LOG" || fail "gre1 was not seeded down"
assert_eq "$(gwd_last_changes)" 0 "changes at the restart"
sleep 1
on_path bcix || fail "the restart moved traffic: $(route_a)"
assert_eq "$(path_show custa gre1 'p["state"]')" down "gre1 after the restart"
ping_n inet "$SERVER_A" 10

ip -n custA link set gre-gw up
wait_for 5 on_path gre1 || fail "traffic did not return to gre1"
grep_q "path gre1: down -> up (3 probes in a row answered)" "$GWD_LOG" ||
	fail "gre1 did not come back through rise"
ping_n inet "$SERVER_A" 10
pass "a restart keeps the health decisions the kernel's routes show"
