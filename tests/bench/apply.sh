#!/bin/bash
# Control-plane benchmark: apply N customers (VRF + GRE + VLAN + addresses +
# routes + rules) through gwd, cold and as a no-op re-apply, and the same
# objects through `ip -batch`, in the same run.  Prints the ratio gwd/ip
# (target <= 1), a one-customer change at N, and gwd's peak RSS.
# Needs GRE/VRF/VLAN: run it as `tests/lab/run tests/bench/apply.sh [N...]`.
. "${BASH_SOURCE%/*}/../lab/lib.sh"

GWD=$PWD/gwd/gwd GWCTL=$PWD/gwd/gwctl
dir=$(mktemp -d /tmp/gwd-bench.XXXXXX)
sock=$dir/gwd.sock

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }

# config N [CHANGED_ID]: N customers, each with a GRE and a VLAN path; the
# customer CHANGED_ID gets another GRE key.
config() {
	python3 - "$1" "${2:-0}" "$sock" <<'PY'
import json, sys
n, changed, sock = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
cs = []
for i in range(1, n + 1):
    o2, o3 = i // 256, i % 256
    cs.append({"name": "c%d" % i, "id": i,
               "prefixes": ["100.%d.%d.0/24" % (64 + o2, o3)],
               "paths": [
                   {"name": "gre", "type": "gre", "remote": "10.200.%d.%d" % (o2, o3),
                    "key": i + (100000 if i == changed else 0),
                    "address": "10.17.1.1/30", "peer": "10.17.1.2", "priority": 10},
                   {"name": "xc", "type": "vlan", "parent": "xc0", "vlan": i,
                    "address": "10.17.0.1/30", "peer": "10.17.0.2", "priority": 20}]})
print(json.dumps({"site": {"name": "bench", "underlay": {"v4": "198.51.100.1"},
                           "ingress": ["eth1"], "control_socket": sock},
                  "customers": cs}))
PY
}

# The same objects as gwd makes, as `ip -batch` input.
ip_batch() {
	local n=$1 i o2 o3
	for ((i = 1; i <= n; i++)); do
		o2=$((i / 256)) o3=$((i % 256))
		echo "link add gwvrf$i type vrf table $((1000 + i))"
		echo "link set gwvrf$i alias gwd:c$i up"
		echo "link add gw$i-gre type gre local 198.51.100.1 remote 10.200.$o2.$o3 key $i"
		echo "link set gw$i-gre alias gwd:c$i/gre mtu 1476 master gwvrf$i up"
		echo "link add link xc0 name gw$i-xc type vlan id $i"
		echo "link set gw$i-xc alias gwd:c$i/xc mtu 1476 master gwvrf$i up"
		echo "address add 10.17.1.1/30 dev gw$i-gre"
		echo "address add 10.17.0.1/30 dev gw$i-xc"
		echo "route add unreachable default table $((1000 + i)) proto 211 metric 4278198272"
		echo "route add unreachable ::/0 table $((1000 + i)) proto 211 metric 4278198272"
		echo "route add 100.$((64 + o2)).$o3.0/24 via 10.17.1.2 dev gw$i-gre table $((1000 + i)) proto 211 metric 1024"
		echo "rule add to 100.$((64 + o2)).$o3.0/24 lookup $((1000 + i)) pref 2000 proto 211"
	done
}

fresh_ns() {
	ip netns del bench 2>/dev/null || true
	ip netns add bench
	ip -n bench link set lo up
	ip -n bench addr add 198.51.100.1/32 dev lo
	ip -n bench link add eth1 type veth peer name eth1p
	ip -n bench link add xc0 type veth peer name xc0p
	ip -n bench link set xc0 up
}
lab_ns+=(bench)

objects() { ip -n bench -o link | wc -l; }

run() {
	local n=$1 t0 cold noop ipb changed ops rss
	fresh_ns
	config 0 >"$dir/gwd.json"
	ip netns exec bench "$GWD" -d -c "$dir/gwd.json" 2>"$dir/gwd.log" &
	local pid=$!
	wait_for 20 ip netns exec bench "$GWCTL" -s "$sock" status || fail "gwd did not start"

	config "$n" >"$dir/gwd.json"
	t0=$(now); ip netns exec bench "$GWCTL" -s "$sock" -j reload >"$dir/cold.json" || fail "cold apply failed"
	cold=$(elapsed "$t0")
	t0=$(now); ip netns exec bench "$GWCTL" -s "$sock" -j reload >"$dir/noop.json" || fail "re-apply failed"
	noop=$(elapsed "$t0")
	config "$n" "$((n / 2))" >"$dir/gwd.json"
	ip netns exec bench "$GWCTL" -s "$sock" -j reload >"$dir/one.json" || fail "one-customer reload failed"
	ops=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(len(j["ops"]), sorted({o.get("customer") for o in j["ops"]}))' "$dir/one.json")
	rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
	[ -z "${BENCH_VERBOSE-}" ] || grep -E "ops; dump|elapsed" "$dir/gwd.log" >&2
	kill $pid; wait $pid 2>/dev/null || true
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["failed"] == 0, j' "$dir/cold.json" || fail "cold apply had failures"
	[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["ops"]))' "$dir/noop.json")" = 0 ] || fail "re-apply changed something"

	fresh_ns
	ip_batch "$n" >"$dir/ip.batch"
	t0=$(now); ip -n bench -batch "$dir/ip.batch" || fail "ip -batch failed"
	ipb=$(elapsed "$t0")
	printf '%-6s gwd cold %7.3f s   no-op %7.3f s   ip -batch %7.3f s   ratio gwd/ip %5.2f   one-customer change: %s ops %s   peak RSS %s kB\n' \
		"N=$n" "$cold" "$noop" "$ipb" "$(awk -v a="$cold" -v b="$ipb" 'BEGIN { print a / b }')" "${ops%% *}" "${ops#* }" "$rss"
}

# Load the kinds' modules first: the first link of a kind pays for the
# module load, which would otherwise be charged to whichever side goes first.
modprobe -a vrf ip_gre ip6_gre 8021q 2>/dev/null || true
for n in "${@:-100 1000}"; do run "$n"; done
