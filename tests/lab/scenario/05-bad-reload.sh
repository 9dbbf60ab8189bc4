#!/bin/bash
# A reload with an invalid config is refused with the error's JSON path; the
# kernel state and the traffic are unaffected.  The same through SIGHUP.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start
before=$(gw_snapshot)
ip netns exec inet ping -n -q -i 0.01 -c 400 -W 1 "$SERVER_A" >"$LAB_DIR/ping" 2>&1 &
lab_pids+=($!)
ping_pid=$!

sed -i 's/"vlan": 117/"vlan": 4095/' "$GWD_CONF"
if out=$(gwctl reload 2>&1); then fail "an invalid reload was accepted: $out"; fi
echo "$out"
grep -q 'customers\[0\].paths\[1\].vlan: 4095 is out of range 1..4094' <<<"$out" ||
	fail "the error does not name the JSON path"
err=$(gwctl -j reload) && fail "reload -j succeeded"
assert_eq "$(json 'j["error"]' <<<"$err")" EINVAL "error name"

echo '{ "site": ' >"$GWD_CONF"	# not even JSON
kill -HUP "$gwd_pid"
sleep 0.5
kill -0 "$gwd_pid" || fail "gwd died on SIGHUP with a broken config"
assert_eq "$(gwctl -j status | json 'j["last_reload"]["ok"]')" False "last reload ok"

wait "$ping_pid" || true
grep -q "400 packets transmitted, 400 received" "$LAB_DIR/ping" || { cat "$LAB_DIR/ping"; fail "packets lost"; }
diff <(echo "$before") <(gw_snapshot) || fail "kernel state changed by a refused reload"
pass "bad config refused with its path; state and traffic unaffected"
