#!/bin/bash
# custA's own filter on real traffic: an allowed TCP flow passes, a dropped
# UDP port is dropped, a rate limit caps its flow within 10 %, a monitor
# rule drops nothing and counts; gwctl show filter has every rule's counter.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../filter.sh"

topo_build
filter_config '{ "default": "accept", "rules": [
  { "proto": "udp", "dport": [19, 1900], "action": "drop" },
  { "proto": "udp", "dport": [7000], "rate": "300/second", "burst": 10 },
  { "proto": "udp", "dport": [5000], "action": "drop", "monitor": true },
  { "proto": "tcp", "dport": [8080], "action": "accept" } ] }'
gwd_start
wait_for 10 on_path gre1 || fail "custA's route: $(route_a)"

tcp_ok custA "$SERVER_A"
assert_ge "$(rule_counter custa 3)" 1 "packets counted by the TCP accept rule"

udp_count 19 200 2
assert_eq "$got" 0 "datagrams to the dropped port 19"
assert_ge "$(rule_counter custa 0)" "$sent" "packets counted by the drop rule"

udp_count 7000 1000 5
want=$((300 * 5 + 10))
echo "rate 300/s for 5 s at 1000 pps: $got of $sent through (want about $want)"
((got >= want * 9 / 10 && got <= want * 11 / 10)) || fail "rate limit let $got through, not $want +-10 %"

udp_count 5000 200 2
assert_eq "$got" "$sent" "datagrams through the monitor rule"
assert_ge "$(rule_counter custa 2)" "$sent" "packets the monitor rule counted"
gwctl show filter custa

# A reload that changes one rule: the others' counters go on counting.
kept=$(rule_counter custa 0)
filter_config '{ "default": "accept", "rules": [
  { "proto": "udp", "dport": [19, 1900], "action": "drop" },
  { "proto": "udp", "dport": [7000], "rate": "300/second", "burst": 10 },
  { "proto": "udp", "dport": [5001], "action": "drop", "monitor": true },
  { "proto": "tcp", "dport": [8080], "action": "accept" } ] }'
gwctl reload >/dev/null || fail "reload"
assert_eq "$(rule_counter custa 0)" "$kept" "the unchanged drop rule's counter after a reload"
assert_eq "$(rule_counter custa 2)" 0 "the changed monitor rule's counter after a reload"
pass "a customer's filter accepts, drops, limits and monitors real traffic"
