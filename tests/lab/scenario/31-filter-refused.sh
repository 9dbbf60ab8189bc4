#!/bin/bash
# A reload the kernel refuses: the new config asks for an expression this
# kernel cannot load (module loading is switched off here, as on a kernel
# built without it).  The reload is refused with the JSON path of what the
# kernel refused, the ruleset stays byte-identical, gwd keeps running the
# old config; foreign tables are never touched.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../filter.sh"

modprobe_was=$(cat /proc/sys/kernel/modprobe)
restore_modprobe() { echo "$modprobe_was" >/proc/sys/kernel/modprobe; }
trap 'restore_modprobe; cleanup' EXIT

topo_build
ip netns exec gw nft -f - <<'NFT'
table inet other {
	set keep {
		type ipv4_addr
		elements = { 192.0.2.99 }
	}
}
NFT
filter_config '{ "default": "accept", "rules": [ { "proto": "udp", "dport": [19], "action": "drop" } ] }'
gwd_start
wait_for 10 on_path gre1 || fail "custA's route: $(route_a)"
other=$(ip netns exec gw nft -s list table inet other)

# A rate needs nft_limit: unloaded, and no loading any more.
rmmod nft_limit 2>/dev/null || true
grep_q "^nft_limit " /proc/modules && { echo "SKIP: nft_limit is in use, cannot unload it"; exit 77; }
echo /bin/false >/proc/sys/kernel/modprobe
before=$(ip netns exec gw nft -s list ruleset)
filter_config '{ "default": "accept", "rules": [ { "proto": "udp", "dport": [19], "action": "drop" },
  { "proto": "udp", "dport": [7000], "rate": "300/second" } ] }'
if out=$(gwctl reload 2>&1); then
	fail "the reload was applied: $out"
fi
echo "$out"
grep_q "customers\[0\].filter.rules\[1\]" <<<"$out" || fail "the refusal does not name the rule"
assert_eq "$(ip netns exec gw nft -s list ruleset)" "$before" "the ruleset after the refused reload"
assert_eq "$(ip netns exec gw nft -s list table inet other)" "$other" "the foreign table"
gwctl -j status | json 'j["last_reload"]["ok"]' | grep_q False || fail "status does not show the refused reload"
udp_count 19 100 1
assert_eq "$got" 0 "datagrams to port 19 under the old rules"
restore_modprobe
pass "a reload the kernel refuses changes nothing and says where"
