#!/bin/bash
# kill -9 gwd during a 10 ms ping to both customers and start it again:
# no packet lost, ifindexes and routes unchanged, the re-apply changes nothing.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start
before=$(gw_snapshot)

ping_start "$SERVER_A" 500
ping_start "$SERVER_B" 500
sleep 1
gwd_stop KILL
sleep 0.5
gwd_start
ping_end "$SERVER_A" 500 "across kill -9 and restart"
ping_end "$SERVER_B" 500 "across kill -9 and restart"
assert_eq "$(gwd_last_changes)" 0 "changes made by the restart"
after=$(gw_snapshot)
diff <(echo "$before") <(echo "$after") || fail "kernel state changed across the restart"
pass "kill -9 and restart: 0 lost, 0 changes, same ifindexes and routes"
