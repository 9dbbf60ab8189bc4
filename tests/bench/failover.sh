#!/bin/bash
# Failover benchmark: the time from the death of custA's primary path (gre1)
# to its traffic flowing on the backup (bcix), as the longest silence in a
# 1000 pps sequence-numbered UDP stream (stream_gap), over TRIALS trials per
# series (default 7).  Prints each trial, the median and the max, and the
# target: interval x fail + one interval.  Series: ICMP probes at 100 ms x 3
# with the primary taken down by the customer (its tunnel link goes down),
# and dying silently (custA drops its GRE, every link stays up); BFD at
# 50 ms x 3 against FRR's bfdd in custA (FRR's own fast profile detects in
# 150 ms), link down.
# Needs GRE/VRF/VLAN: run it as `tests/lab/run tests/bench/failover.sh [TRIALS]`.
# Under the VM tier's software emulation single trials vary: read the median.
. "${BASH_SOURCE%/*}/../lab/lib.sh"
. "${BASH_SOURCE%/*}/../lab/topo.sh"
. "${BASH_SOURCE%/*}/../lab/frr.sh"

trials=${1:-7}

link_down() { ip -n custA link set gre-gw down; }
link_up() { ip -n custA link set gre-gw up; }
silent_drop() { gre1_blackhole add; }
silent_end() { gre1_blackhole delete; }
# gre1's BFD session is up, if it has one: a trial must not start in the
# seconds a new session takes to come up.
gre1_watched() { [ "$(path_show custa gre1 'p.get("bfd", {"state": "up"})["state"]')" = up ]; }

# series NAME PROBE BREAK REPAIR: TRIALS failovers with PROBE (JSON, on
# custA's gre1 over the lab's defaults; the other paths keep those), BREAK
# killing gre1 and REPAIR undoing it.  The target is interval x (fail + 1).
# Each trial has a gwd of its own (stopped with SIGTERM, which leaves the
# kernel as it is): fresh health, no flap damping from the trial before.
series() {
	local name=$1 probe=$2 break=$3 repair=$4 i target gaps=()
	topo_config
	target=$(python3 - "$GWD_CONF" "$probe" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
probe = dict(c["defaults"]["probe"], **json.loads(sys.argv[2]))
gre1 = [p for p in c["customers"][0]["paths"] if p["name"] == "gre1"][0]
gre1["probe"] = probe
json.dump(c, open(sys.argv[1], "w"), indent=2)
print(probe["interval_ms"] * (probe["fail"] + 1))
PY
)
	echo "$name"
	for ((i = 1; i <= trials; i++)); do
		gwd_start
		wait_for 10 on_path gre1 || fail "trial $i: traffic is not on gre1"
		wait_for 10 gre1_watched || fail "trial $i: gre1's BFD session is not up"
		stream_gap "$break"
		on_path bcix || fail "trial $i: traffic did not move to bcix"
		gwd_stop TERM
		"$repair"
		printf '  trial %d: %4d ms  (%d of %d datagrams lost)\n' "$i" "$gap_ms" "$lost" "$sent"
		gaps+=("$gap_ms")
	done
	printf '%s\n' "${gaps[@]}" | sort -n | awk -v name="$name" -v target="$target" '
		{ a[++n] = $1; within += $1 <= target }
		END { median = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		      printf "%-30s median %4d ms   max %4d ms   target %d ms (%d of %d trials within)\n",
			name, median, a[n], target, within, n }' >>"$LAB_DIR/summary"
}

topo_build
icmp='{ "kind": "icmp", "interval_ms": 100, "fail": 3, "rise": 3 }'
series "ICMP 100 ms x 3, link down" "$icmp" link_down link_up
series "ICMP 100 ms x 3, silent drop" "$icmp" silent_drop silent_end
frr_bfd_start custA 10.17.1.1 10.17.1.2 gre-gw 50 50 3
bfd='{ "kind": "bfd", "interval_ms": 50, "fail": 3, "rise": 3 }'
series "BFD 50 ms x 3, link down" "$bfd" link_down link_up
echo
cat "$LAB_DIR/summary"
