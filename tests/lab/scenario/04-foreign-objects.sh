#!/bin/bash
# Links, routes and rules that are not gwd's are untouched across start,
# reload and stop, even in gwd's tables and at gwd's rule priority.  A foreign
# link with a name gwd wants is reported and left alone.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
ip -n gw link add gwvrf99 type vrf table 5000
ip -n gw link set gwvrf99 up
ip -n gw link add fx0 type veth peer name fx1
ip -n gw link set fx0 master gwvrf99 up
ip -n gw addr add 10.99.0.1/24 dev fx0
ip -n gw route add 192.0.2.200/32 via 10.99.0.2 table 5000
ip -n gw route add 192.0.2.201/32 dev fx0 table 1017 proto static
ip -n gw rule add to 192.0.2.192/27 lookup 5000 pref 2000
ip -n gw rule add to 192.0.2.224/27 lookup 5000 pref 2001 proto static
ip -n gw link add gw18-gre1 type dummy 2>/dev/null || ip -n gw link add gw18-gre1 type veth peer name gw18-peer
foreign() { gw_snapshot | grep -E 'gwvrf99|fx0|fx1|5000|192\.0\.2\.20[01]|192\.0\.2\.(192|224)|gw18-gre1|gw18-peer' | grep -v 'master gwvrf18' || true; }
before=$(foreign)

topo_config
gwd_start
ping_n inet "$SERVER_A" 20
out=$(gwctl -j status)
assert_ge "$(json 'j["last_apply"]["failed"]' <<<"$out")" 1 "failed objects with a foreign gw18-gre1"
grep -q "gw18-gre1 exists and is not gwd's" "$GWD_LOG" || fail "the conflict is not logged by name"
diff <(echo "$before") <(foreign) || fail "foreign objects changed by the start"

topo_config 20 10
gwctl reload >/dev/null || true
diff <(echo "$before") <(foreign) || fail "foreign objects changed by the reload"
gwd_stop TERM
diff <(echo "$before") <(foreign) || fail "foreign objects changed by the stop"
pass "foreign links, routes and rules untouched"
