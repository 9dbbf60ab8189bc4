#!/bin/bash
# Removing the active path in a reload, during a 10 ms ping: the route moves
# to the remaining path before the tunnel is deleted (make before break), so
# no packet is lost.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start
ping_n inet "$SERVER_A" 10

python3 - "$GWD_CONF" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
a = c["customers"][0]
a["paths"] = [p for p in a["paths"] if p["name"] != "gre1"]
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
ping_start "$SERVER_A" 300
sleep 1
gwctl reload || fail "reload"
ping_end "$SERVER_A" 300 "while the active path was removed"
ip -n gw link show gw17-gre1 2>/dev/null && fail "gw17-gre1 is still there"
ip -n gw route show table 1017 | grep_q "203.0.113.0/24 via 10.17.0.2 dev gw17-bcix" || fail "custA's route is not on bcix"
pass "active path removed without a lost packet"
