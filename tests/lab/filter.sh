# shellcheck shell=bash
# Filtering scenarios: gwd's config with custA's filter, and traffic
# counted at custA's server.  Source after lib.sh and topo.sh.

# filter_config [FILTER_JSON]: topo_config's lab with FILTER_JSON (an object)
# as custa's "filter"; $SITE_FILTER (an object) as site.filter.
filter_config() {
	local filter=${1:-'{ "default": "accept" }'}
	topo_config
	python3 - "$GWD_CONF" "$filter" "${SITE_FILTER:-}" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["customers"][0]["filter"] = json.loads(sys.argv[2])
if sys.argv[3]:
    c["site"]["filter"] = json.loads(sys.argv[3])
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
}

# udp_count PORT PPS SECONDS: a UDP stream from inet to custA's server port
# PORT; sets got and sent (datagrams).
udp_count() {
	local stream=$PWD/tests/lab/udpstream.py rx
	ip netns exec custA python3 "$stream" recv "$SERVER_A" "$1" $(($3 + 30)) "$LAB_DIR/rx-$1" &
	rx=$!
	lab_pids+=("$rx")
	wait_for 10 udp_bound custA "$1" || fail "no receiver on port $1"
	sent=$(ip netns exec inet python3 "$stream" send "$SERVER_A" "$1" "$2" "$3")
	sleep 0.5
	kill "$rx"
	wait "$rx" || true
	got=$(wc -l <"$LAB_DIR/rx-$1")
}

# rule_counter CUSTOMER INDEX [packets|bytes]: a rule's counter in gwctl show filter.
rule_counter() {
	gwctl -j show filter "$1" | json "j['rules'][$2]['${3:-packets}']"
}

# gwd_table: gwd's nftables table as the kernel has it, stable text.
gwd_table() { ip netns exec gw nft -s list table inet gwd 2>&1; }
