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

# stream_during CMD...: the 1000 pps stream to custA's server for as long as
# CMD runs (started 1 s into it); sets gap_ms, lost and sent as stream_gap.
stream_during() {
	local stream=$PWD/tests/lab/udpstream.py rx tx
	ip netns exec custA python3 "$stream" recv "$SERVER_A" 9000 3600 "$LAB_DIR/rx" &
	rx=$!
	lab_pids+=("$rx")
	wait_for 10 udp_bound custA 9000 || fail "the stream's receiver did not start"
	ip netns exec inet python3 "$stream" send "$SERVER_A" 9000 1000 3600 >"$LAB_DIR/sent" &
	tx=$!
	lab_pids+=("$tx")
	sleep 1
	"$@"
	sleep 1
	kill -TERM "$tx"
	wait "$tx" || true
	sleep 0.5
	kill "$rx"
	wait "$rx" || true
	sent=$(cat "$LAB_DIR/sent")
	read -r gap_ms lost < <(awk -v sent="$sent" '
		NR > 1 && $2 - t > gap { gap = $2 - t }
		{ t = $2; n++ }
		END { printf "%d %d\n", gap * 1000, sent - n }' "$LAB_DIR/rx")
}
