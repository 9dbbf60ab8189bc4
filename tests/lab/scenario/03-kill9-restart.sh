#!/bin/bash
# kill -9 gwd during a 10 ms ping to both customers and start it again:
# no packet lost, ifindexes and routes unchanged, the re-apply changes nothing.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start
before=$(gw_snapshot)

for s in "$SERVER_A" "$SERVER_B"; do
	ip netns exec inet ping -n -q -i 0.01 -c 500 -W 1 "$s" >"$LAB_DIR/ping-$s" 2>&1 &
	lab_pids+=($!)
done
pings=("${lab_pids[@]: -2}")
sleep 1
gwd_stop KILL
sleep 0.5
gwd_start
wait "${pings[@]}" || true

for s in "$SERVER_A" "$SERVER_B"; do
	cat "$LAB_DIR/ping-$s"
	grep -q "500 packets transmitted, 500 received" "$LAB_DIR/ping-$s" ||
		fail "packets lost to $s across kill -9 and restart"
done
assert_eq "$(gwd_last_changes)" 0 "changes made by the restart"
after=$(gw_snapshot)
diff <(echo "$before") <(echo "$after") || fail "kernel state changed across the restart"
pass "kill -9 and restart: 0 lost, 0 changes, same ifindexes and routes"
