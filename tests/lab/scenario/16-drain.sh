#!/bin/bash
# gwctl drain / undrain: traffic leaves the drained path before it stops
# carrying (one route replacement), so a 1000 pps stream loses nothing either
# way; the drain survives a reload and a restart; draining the last usable
# path is refused unless forced, and a forced drain of every path leaves the
# prefix to the table's unreachable default.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start
ping_n inet "$SERVER_A" 10
on_path gre1 || fail "custa does not start on gre1"

stream_gap gwctl drain custa gre1
echo "drain under the stream: $lost of $sent lost, longest gap ${gap_ms} ms"
assert_eq "$lost" 0 "datagrams lost while draining gre1"
on_path bcix || fail "custa's traffic is not on bcix after the drain: $(route_a)"
assert_eq "$(path_show custa gre1 'p["state"]')" drained "gre1's state"
grep_q "customer custa: path gre1: drained by the operator" "$GWD_LOG" ||
	fail "the drain is not logged"

# Drains survive a reload and a restart.
gwctl reload >/dev/null
on_path bcix || fail "a reload undrained gre1"
gwd_stop
gwd_start
assert_eq "$(path_show custa gre1 'p["state"]')" drained "gre1's state after a restart"
assert_eq "$(gwd_last_changes)" 0 "changes at the restart"
on_path bcix || fail "a restart undrained gre1: $(route_a)"

# bcix is custa's last usable IPv4 path: refused, nothing changes.
if out=$(gwctl drain custa bcix 2>&1); then
	fail "draining the last usable path was accepted: $out"
fi
grep_q "would leave no undrained IPv4 path" <<<"$out" || fail "unclear refusal: $out"
on_path bcix || fail "a refused drain moved traffic"
# Unknown names are named.
out=$(gwctl drain custa nosuch 2>&1) && fail "a drain of an unknown path succeeded"
grep_q "customer custa has no path nosuch" <<<"$out" || fail "unclear error: $out"

# Forced, every IPv4 path drained: the prefix is unreachable, said loudly.
gwctl --force drain custa bcix >/dev/null
wait_for 3 sh -c "! ip -n gw route show table 1017 203.0.113.0/24 | grep -q via" ||
	fail "all paths drained but a route remains: $(route_a)"
ping_fails inet "$SERVER_A"
grep_q "ALARM customer custa: not deliverable" "$GWD_LOG" || fail "no alarm"
assert_eq "$(gwctl -j show customers | json '[c["deliverable"] for c in j if c["customer"] == "custa"][0]')" \
	False "custa deliverable with every path drained"
gwctl undrain custa bcix >/dev/null
ping_n inet "$SERVER_A" 10

stream_gap gwctl undrain custa gre1
echo "undrain under the stream: $lost of $sent lost, longest gap ${gap_ms} ms"
assert_eq "$lost" 0 "datagrams lost while undraining gre1"
on_path gre1 || fail "traffic did not return to gre1: $(route_a)"
assert_eq "$(gwctl -j status | json 'j["paths_drained"]')" 0 "drained paths at the end"
pass "drain and undrain under a 1000 pps stream lose nothing; drains persist"
