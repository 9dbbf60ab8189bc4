#!/bin/bash
# A reload with an invalid config is refused with the error's JSON path; the
# kernel state and the traffic are unaffected.  The same through SIGHUP.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start
before=$(gw_snapshot)
ping_start "$SERVER_A" 400

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

ping_end "$SERVER_A" 400 "during refused reloads"
diff <(echo "$before") <(gw_snapshot) || fail "kernel state changed by a refused reload"
pass "bad config refused with its path; state and traffic unaffected"
