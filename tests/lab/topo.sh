# The lab network, shared by the demo and the scenarios.  Source after lib.sh.
#
#   inet ──eth0/eth1── gw ──wan-a/wan── custA    (underlay, custA's own uplink)
#                      gw ──eth2/xc──── custA    (cross-connect, VLAN 117)
#                      gw ──wan-b/wan── custB
#
# gw holds the underlay addresses 198.51.100.1 and 2001:db8:ffff::1 on lo;
# gwd builds everything customer-facing on gw.  The customers' routers are set
# up with plain ip commands, as a customer would: GRE (key 17/18), ip6gre and
# VLAN towards gw, a server address inside their prefix on lo, and a default
# route over their own uplink for the replies (scrubbing returns traffic one
# way only).  custB reuses custA's inner GRE subnet 10.17.1.0/30.

LAB_DIR=$(mktemp -d /tmp/gwd-lab.XXXXXX)
GWD_SOCK=$LAB_DIR/gwd.sock
GWD_CONF=$LAB_DIR/gwd.json
GWD_LOG=$LAB_DIR/gwd.log
GWD_BIN=${GWD_BIN:-$PWD/gwd/gwd}
GWCTL_BIN=${GWCTL_BIN:-$PWD/gwd/gwctl}
SERVER_A=203.0.113.10
SERVER_A6=2001:db8:17::10
SERVER_B=198.51.100.130
gwd_pid=

topo_customer() {	# NS WAN_GW WAN_CUST PUBLIC KEY SERVER
	local ns=$1 gw_if=$2 net=$3 pub=$4 key=$5 server=$6
	ns_add "$ns"
	veth gw "$gw_if" "$ns" wan
	ip -n gw addr add "$net.1/30" dev "$gw_if"
	ip -n gw route add "$pub/32" via "$net.2"
	ip -n "$ns" addr add "$net.2/30" dev wan
	ip -n "$ns" addr add "$pub/32" dev lo
	ip -n "$ns" addr add "$server/32" dev lo
	ip -n "$ns" route add default via "$net.1"
	ip -n "$ns" link add gre-gw type gre local "$pub" remote 198.51.100.1 key "$key"
	ip -n "$ns" addr add 10.17.1.2/30 dev gre-gw
	ip -n "$ns" link set gre-gw up
}

topo_build() {
	ns_add inet
	ns_add gw
	ip -n gw addr add 198.51.100.1/32 dev lo
	ip -n gw addr add 2001:db8:ffff::1/128 dev lo
	veth inet eth0 gw eth1
	ip -n inet addr add 198.18.0.2/24 dev eth0
	ip -n inet addr add 2001:db8:eeee::2/64 dev eth0
	ip -n inet route add default via 198.18.0.1
	ip -n inet -6 route add default via 2001:db8:eeee::1
	ip -n gw addr add 198.18.0.1/24 dev eth1
	ip -n gw addr add 2001:db8:eeee::1/64 dev eth1

	topo_customer custA wan-a 10.255.1 192.0.2.17 17 "$SERVER_A"
	topo_customer custB wan-b 10.255.2 192.0.2.18 18 "$SERVER_B"

	# custA: IPv6 underlay and ip6gre, like its IPv4 GRE.
	ip -n gw addr add fd00:1::1/64 dev wan-a
	ip -n gw -6 route add 2001:db8:ff17::17/128 via fd00:1::2
	ip -n custA addr add fd00:1::2/64 dev wan
	ip -n custA addr add 2001:db8:ff17::17/128 dev lo
	ip -n custA addr add "$SERVER_A6/128" dev lo
	ip -n custA -6 route add default via fd00:1::1
	ip -n custA link add gre6-gw type ip6gre local 2001:db8:ff17::17 \
		remote 2001:db8:ffff::1 encaplimit none
	ip -n custA addr add fd17::2/64 dev gre6-gw
	ip -n custA link set gre6-gw up

	# custA: the cross-connect with VLAN 117.
	veth gw eth2 custA xc
	ip -n custA link add link xc name xc.117 type vlan id 117
	ip -n custA addr add 10.17.0.2/30 dev xc.117
	ip -n custA link set xc.117 up
}

# topo_config [PRIO_GRE PRIO_VLAN]: gwd's config for this lab.  No degraded
# state: under the VM tier's software emulation veth backlogs overflow during
# the 100 pps pings and a few percent of probes are lost for real, which
# would move traffic between scenarios' checks.  test-health covers it.
topo_config() {
	local pg=${1:-10} pv=${2:-20}
	cat >"$GWD_CONF" <<JSON
{
  "site": {
    "name": "lab",
    "underlay": { "v4": "198.51.100.1", "v6": "2001:db8:ffff::1" },
    "ingress": ["eth1"],
    "control_socket": "$GWD_SOCK"
  },
  "defaults": {
    "probe": { "degraded_loss_pct": 0 }
  },
  "customers": [
    {
      "name": "custa", "id": 17,
      "prefixes": ["203.0.113.0/24", "2001:db8:17::/48"],
      "paths": [
        { "name": "gre1", "type": "gre", "remote": "192.0.2.17", "key": 17,
          "address": "10.17.1.1/30", "peer": "10.17.1.2", "priority": $pg },
        { "name": "bcix", "type": "vlan", "parent": "eth2", "vlan": 117,
          "address": "10.17.0.1/30", "peer": "10.17.0.2", "priority": $pv },
        { "name": "gre6", "type": "gre", "remote": "2001:db8:ff17::17",
          "address": "fd17::1/64", "peer": "fd17::2", "priority": 10 }
      ]
    },
    {
      "name": "custb", "id": 18,
      "prefixes": ["198.51.100.128/25"],
      "paths": [
        { "name": "gre1", "type": "gre", "remote": "192.0.2.18", "key": 18,
          "address": "10.17.1.1/30", "peer": "10.17.1.2", "priority": 10 }
      ]
    }
  ]
}
JSON
}

gwctl() { ip netns exec gw "$GWCTL_BIN" -s "$GWD_SOCK" "$@"; }

# gwd_start [ARGS]: gwd in gw, in the background, until its socket answers.
gwd_start() {
	ip netns exec gw "$GWD_BIN" -c "$GWD_CONF" -S "$LAB_DIR/state" "$@" >>"$GWD_LOG" 2>&1 &
	gwd_pid=$!
	lab_pids+=("$gwd_pid")
	wait_for 20 gwctl status || { cat "$GWD_LOG" >&2; fail "gwd did not start"; }
}

gwd_stop() {	# [SIGNAL]
	kill -"${1:-TERM}" "$gwd_pid"
	wait "$gwd_pid" 2>/dev/null || true
	# A sanitized build (make SANITIZE=...) reports here, leaks at exit included.
	! grep -E "Sanitizer|runtime error" "$GWD_LOG" || fail "gwd's log has sanitizer reports"
}

# The number of changes gwd logged for its last apply ("apply (...): N changes").
gwd_last_changes() {
	gwctl -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["last_apply"]["changes"])'
}

# gw's kernel state, one object per line, for before/after comparisons.
# Statistics and other counters are left out: traffic changes them.
gw_snapshot() {
	{
		ip -n gw -d -o link show | sed -E 's/ +(qlen|numtxqueues|numrxqueues|gso_max|gro_max|gso_ipv4|gro_ipv4|tso_max)[_a-z]* [0-9]+//g'
		ip -n gw -o addr show
		ip -n gw route show table all
		ip -n gw -6 route show table all | grep -v expires
		ip -n gw rule show
		ip -n gw -6 rule show
	} | sort
}

# path_rx NS IF: packets received on a customer-side link.
path_rx() { link_counter "$1" "$2" rx packets; }

# ping_n NS ADDR COUNT: COUNT quick pings that must all be answered.
ping_n() {
	ip netns exec "$1" ping -q -n -c "$3" -i 0.01 -W 2 "$2" >/dev/null ||
		fail "pings $1 -> $2 lost"
}

# listening NS PORT: something in NS listens on TCP PORT.
listening() { [ -n "$(ip netns exec "$1" ss -Hltn "sport = :$2")" ]; }

# ping_start ADDR COUNT: a 10 ms ping from inet to ADDR in the background,
# for ping_end to judge once the disturbance under test is over.
ping_start() {
	ip netns exec inet ping -n -q -i 0.01 -c "$2" -W 1 "$1" >"$LAB_DIR/ping-$1" 2>&1 &
	lab_pids+=($!)
	ping_pids[$1]=$!
}

# ping_end ADDR COUNT WHAT: wait for ping_start's ping; all COUNT answered.
ping_end() {
	wait "${ping_pids[$1]}" || true
	cat "$LAB_DIR/ping-$1"
	grep_q "$2 packets transmitted, $2 received" "$LAB_DIR/ping-$1" ||
		fail "packets to $1 lost $3"
}
declare -A ping_pids

# tcp_ok NS_SERVER ADDR: a TCP connection from inet to ADDR:8080 carries data.
tcp_ok() {
	local got
	ip netns exec "$1" nc -l -s "$2" -p 8080 -q 1 <<<"hello $2" &
	lab_pids+=($!)
	wait_for 5 listening "$1" 8080 || fail "nc does not listen in $1"
	got=$(ip netns exec inet nc -w 3 "$2" 8080 </dev/null) || true
	assert_eq "$got" "hello $2" "TCP from inet to $2"
}

# grep_q ARGS: grep -q that reads all of its input.  With pipefail,
# `cmd | grep -q` fails when grep exits early and cmd dies of SIGPIPE.
grep_q() { grep "$@" >/dev/null; }

# json EXPR: evaluate a Python expression on the JSON read from stdin (as j).
json() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

# path_show CUSTOMER PATH EXPR: a Python expression on that path's entry in
# `gwctl -j show paths` (as p), e.g. p["state"].
path_show() {
	gwctl -j show paths | python3 -c "import json,sys
p = [p for p in json.load(sys.stdin) if p['customer'] == '$1' and p['path'] == '$2'][0]
print($3)"
}

# udp_bound NS PORT: a UDP socket in NS is bound to PORT.
udp_bound() { [ -n "$(ip netns exec "$1" ss -Hlun "sport = :$2")" ]; }

# stream_gap CMD...: a 1000 pps sequence-numbered UDP stream from inet to
# custA's server for STREAM_S (5) seconds, CMD run 2 s into it (the disturbance).  Sets gap_ms,
# the longest silence between two arrivals (the outage CMD caused), lost and
# sent, in datagrams.  Fails if the stream's last 100 ms never arrived: then
# traffic did not come back after CMD, whatever the gap says.
stream_gap() {
	local stream=$PWD/tests/lab/udpstream.py rx_pid tx_pid last
	# Stopped once the sender is done: a fixed time is too short when an
	# emulated, loaded machine delays the sender's start.
	ip netns exec custA python3 "$stream" recv "$SERVER_A" 9000 $((${STREAM_S:-5} + 60)) "$LAB_DIR/rx" &
	rx_pid=$!
	lab_pids+=("$rx_pid")
	wait_for 10 udp_bound custA 9000 || fail "the stream's receiver did not start"
	ip netns exec inet python3 "$stream" send "$SERVER_A" 9000 1000 "${STREAM_S:-5}" >"$LAB_DIR/sent" &
	tx_pid=$!
	lab_pids+=("$tx_pid")
	sleep 2
	"$@"
	wait "$tx_pid"
	sleep 0.5	# the last datagrams' way to custA
	kill "$rx_pid"
	wait "$rx_pid" || true
	sent=$(cat "$LAB_DIR/sent")
	read -r gap_ms lost last < <(awk -v sent="$sent" '
		NR > 1 && $2 - t > gap { gap = $2 - t }
		{ t = $2; n++; if ($1 > last) last = $1 }
		END { printf "%d %d %d\n", gap * 1000, sent - n, last }' "$LAB_DIR/rx")
	((last >= sent - 100)) || fail "the stream stopped: last datagram $last of $sent"
}

# gre1_blackhole add|delete: custA drops its IPv4 GRE both ways (nft input
# and output), every link up: custA's gre1 dies without a link event anywhere.
gre1_blackhole() {
	if [[ $1 == add ]]; then
		ip netns exec custA nft -f - <<'NFT'
table inet blackhole {
	chain in { type filter hook input priority 0; ip protocol gre drop; }
	chain out { type filter hook output priority 0; ip protocol gre drop; }
}
NFT
	else
		ip netns exec custA nft delete table inet blackhole
	fi
}

# route_a: custa's IPv4 prefix route in gw; on_path PATH: it goes via PATH.
route_a() { ip -n gw route show table 1017 203.0.113.0/24; }
on_path() { route_a | grep_q "via .* dev gw17-$1"; }

# IPsec towards custA (tests/lab/ipsec.sh has the charons).  custA's router
# gets two more public addresses for IKE and ESP, routed from gw over wan-a
# like 192.0.2.17: 192.0.2.117 for the xfrm-mode path (tunnel-mode ESP into
# an xfrm interface), 192.0.2.118 for the gre-mode path (GRE in
# transport-mode ESP).  Not part of topo_build: topo_ipsec_custA adds them.
topo_ipsec_underlay() {
	ip -n custA addr show dev lo | grep_q 192.0.2.117 && return
	local a
	for a in 192.0.2.117 192.0.2.118; do
		ip -n custA addr add "$a/32" dev lo
		ip -n gw route add "$a/32" via 10.255.1.2
	done
}

# topo_ipsec_custA xfrm|gre [wrong-psk] [short-life]: custA's side of one
# IPsec path, as a customer sets it up by hand: the link, its inner address,
# and its swanctl.conf from tests/lab/swanctl/ (optionally a variant, see
# swanctl_conf) loaded into custA's charon "custA", started if need be.
#   xfrm: ipsec0, an xfrm interface (if_id 42) with 10.17.2.2/30; a tunnel-
#         mode CHILD_SA 0.0.0.0/0 === 0.0.0.0/0 bound to if_id 42.
#   gre:  gre-sec, GRE 192.0.2.118 -> 198.51.100.1 key 218 with 10.17.3.2/30;
#         a transport-mode CHILD_SA for GRE between the two.
# Run it again with other variants to replace the customer's config.
topo_ipsec_custA() {
	local mode=$1
	shift
	topo_ipsec_underlay
	[[ -n ${charon_pids[custA]-} ]] || charon_start custA custA
	case $mode in
	xfrm)
		if ! ip -n custA link show ipsec0 >/dev/null 2>&1; then
			ip -n custA link add ipsec0 type xfrm dev wan if_id 42
			ip -n custA addr add 10.17.2.2/30 dev ipsec0
			ip -n custA link set ipsec0 up
		fi ;;
	gre)
		if ! ip -n custA link show gre-sec >/dev/null 2>&1; then
			ip -n custA link add gre-sec type gre local 192.0.2.118 \
				remote 198.51.100.1 key 218
			ip -n custA addr add 10.17.3.2/30 dev gre-sec
			ip -n custA link set gre-sec up
		fi ;;
	*) fail "topo_ipsec_custA: mode xfrm or gre, not $mode" ;;
	esac
	# shellcheck disable=SC2154 # charon_swanctl: ipsec.sh
	swanctl_conf "custA-$mode.conf" "$@" >"${charon_swanctl[custA]}/conf.d/$mode.conf"
	swanctl_at custA --load-all >>"$LAB_DIR/swanctl-custA.out" 2>&1 ||
		{ cat "$LAB_DIR/swanctl-custA.out" >&2; fail "custA's swanctl --load-all"; }
}

# Drops that are no one's decision: the emulated machine's receive backlogs
# (softnet, all namespaces) and custA's UDP receive buffers (InErrors).
softnet_drops() {
	local s=0 d
	while read -r _ d _; do s=$((s + 16#$d)); done </proc/net/softnet_stat
	echo $s
}
udp_drops() { ip netns exec custA awk '/^Udp:/ && n++ { print $4 }' /proc/net/snmp; }
