#!/bin/bash
# plan shows per-object operations and applies nothing; an MTU change is made
# in place (same ifindex), a GRE key change recreates the link (and the log
# says so) and traffic flows again once the customer re-keys; SIGTERM leaves
# everything in place and the next start adopts it with 0 changes.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start
ping_n inet "$SERVER_B" 10
ifindex() { ip -n gw -j link show "$1" | json 'j[0]["ifindex"]'; }
idx_a=$(ifindex gw17-gre1) idx_b=$(ifindex gw18-gre1)

python3 - "$GWD_CONF" "$LAB_DIR/new.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
a, b = c["customers"]
a["paths"][0]["mtu"] = 1400          # custa/gre1: in place
b["paths"][0]["key"] = 1018          # custb/gre1: recreate
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
before=$(gw_snapshot)
plan=$(gwctl -j plan "$LAB_DIR/new.json") || fail "plan: $plan"
gwctl plan "$LAB_DIR/new.json"
ops=$(json '" | ".join(sorted("%s %s" % (o["op"], o["object"]) for o in j["ops"]))' <<<"$plan")
assert_eq "$ops" "change link gw17-gre1 (gre) | create address 10.17.1.1/30 dev gw18-gre1 | create route 198.51.100.128/25 table 1018 | recreate link gw18-gre1 (gre)" "planned operations"
diff <(echo "$before") <(gw_snapshot) || fail "plan changed the kernel"

cp "$LAB_DIR/new.json" "$GWD_CONF"
gwctl reload >/dev/null || fail "reload"
assert_eq "$(ifindex gw17-gre1)" "$idx_a" "gw17-gre1 ifindex after an MTU change"
ip -n gw link show gw17-gre1 | grep_q "mtu 1400" || fail "gw17-gre1 mtu"
[ "$(ifindex gw18-gre1)" != "$idx_b" ] || fail "gw18-gre1 was not recreated"
grep -q "recreate link gw18-gre1 (gre): key 18 -> 1018 (the kernel cannot change this in place)" "$GWD_LOG" ||
	fail "the recreate is not logged with its reason"
ping_n inet "$SERVER_A" 10
ping_fails inet "$SERVER_B"			# the customer still uses key 18
ip -n custB link set gre-gw type gre ikey 1018 okey 1018
ping_n inet "$SERVER_B" 10

gwd_stop TERM
before=$(gw_snapshot)
gwd_start
assert_eq "$(gwd_last_changes)" 0 "changes after a SIGTERM and a start"
diff <(echo "$before") <(gw_snapshot) || fail "the restart changed the kernel"
ping_n inet "$SERVER_A" 10
pass "plan, in-place change, recreate, stop and adopt"
