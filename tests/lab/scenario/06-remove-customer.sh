#!/bin/bash
# Removing a customer and reloading removes exactly its objects.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start
ping_n inet "$SERVER_B" 10
before=$(gw_snapshot)

python3 - "$GWD_CONF" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["customers"] = [cu for cu in c["customers"] if cu["name"] != "custb"]
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
out=$(gwctl -j reload) || fail "reload: $out"
echo "$out" | json '"\n".join("%s %s" % (o["op"], o["object"]) for o in j["ops"])'
assert_eq "$(json 'sorted({(o["op"], o.get("customer")) for o in j["ops"]})' <<<"$out")" \
	"[('delete', 'custb')]" "operations of the reload"
# What went away is exactly custB's: its VRF and tunnel, table 1018, its rule.
gone=$(diff <(echo "$before") <(gw_snapshot) | sed -n 's/^< //p' || true)
echo "$gone"
if grep -v -E 'gwvrf18|gw18-gre1|table 1018|lookup 1018|10\.17\.1\.[0-3]' <<<"$gone" | grep_q .; then
	fail "objects other than custB's went away"
fi
grep -q gwvrf18 <<<"$gone" && grep -q 'gw18-gre1' <<<"$gone" && grep -q 'lookup 1018' <<<"$gone" ||
	fail "custB's objects are not all gone"
diff <(echo "$before" | grep -v -F -f <(echo "$gone")) <(gw_snapshot) | grep '^>' && fail "objects appeared"
ping_fails inet "$SERVER_B"
ping_n inet "$SERVER_A" 10
pass "custB removed exactly"
