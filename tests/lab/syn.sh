# shellcheck shell=bash
# SYN fast path scenarios (issue 6): gwd with "syn" on the lab of topo.sh,
# a spoofed SYN flood (trafgen) from inet, a real client (curl) and a TCP
# server in custA, counted at both ends.  Source after lib.sh and topo.sh.
#
#   inet 198.18.0.2 (curl) ──eth0/eth1── gw (syn.bpf.o on eth1) ── custA
#   trafgen: SYNs from random 198.18.128.0/17 to 203.0.113.10:80
#
# bpffs: gwd pins its maps under /sys/fs/bpf/gwd and libxdp its dispatcher
# under /sys/fs/bpf/xdp, and gwd refuses to start the fast path when
# /sys/fs/bpf is not a bpffs.  `ip netns exec` mounts a fresh sysfs over
# /sys, which hides any bpffs at /sys/fs/bpf, so gwd_start (below) binds a
# bpffs of the scenario's own over it: the same one at every start (pins
# outlive gwd, as on a real host), a new one per scenario (no scenario
# inherits another's authenticated sources or dispatcher pins; on the host
# tier the host's own /sys/fs/bpf is never touched).

SYN_FLOOD_PPS=${SYN_FLOOD_PPS:-2000}	# what the VM's emulated CPUs sustain with room
SYN_CLIENT=198.18.0.2
SYN_CLIENT6=2001:db8:eeee::2
SYN_FORGER=198.18.0.99		# the forged ACKs' source: never authenticated
SYN_FLOOD_NET=198.18.128.0/17
SYN_PFX=203.0.113.0/24
SYN_PFX6=2001:db8:17::/48
SYN_BPFFS=$LAB_DIR/bpffs

skip() {
	echo "*******************************************************************" >&2
	echo "SKIP: ${0##*/}: $*" >&2
	echo "*******************************************************************" >&2
	exit 77
}

# Features the scenarios need, said loudly when missing.
syn_probe() {
	command -v trafgen >/dev/null || skip "no trafgen (netsniff-ng; tests/deps.sh)"
	command -v curl >/dev/null || skip "no curl"
	[[ -e ${GWD_BIN%/*}/xdp/syn.bpf.o ]] || skip "no ${GWD_BIN%/*}/xdp/syn.bpf.o (make)"
	"$GWCTL_BIN" -h 2>&1 | grep_q "show syn\|syn mode" ||
		skip "this gwctl has no 'show syn' / 'syn mode' (issue 6's gwd integration is not built in)"
}

# gwd_start [ARGS]: topo.sh's, with the scenario's bpffs bound over
# /sys/fs/bpf in gwd's mount namespace (see above).
gwd_start() {
	ip netns exec gw sh -c 'mount --bind "$0" /sys/fs/bpf && exec "$@"' "$SYN_BPFFS" \
		"$GWD_BIN" -c "$GWD_CONF" -S "$LAB_DIR/state" "$@" >>"$GWD_LOG" 2>&1 &
	gwd_pid=$!
	lab_pids+=("$gwd_pid")
	wait_for 20 gwctl status || { cat "$GWD_LOG" >&2; fail "gwd did not start"; }
}

# syn_topo: topo_build, plus what the SYN scenarios need: the bpffs, tx
# checksum offload off on both ends of inet-gw (XDP sees full checksums),
# the flood's SYN-ACKs (and custA's answers in monitor mode) dropped in
# inet, the counters and custA's server on port 80.
syn_topo() {
	syn_probe
	topo_build
	mkdir -p "$SYN_BPFFS"
	mount -t bpf bpf "$SYN_BPFFS"
	lab_atexit+=("umount -l '$SYN_BPFFS'")
	ip netns exec inet python3 "$PWD/tests/lab/synlab.py" txoff eth0
	ip netns exec gw python3 "$PWD/tests/lab/synlab.py" txoff eth1
	ip -n inet route add blackhole "$SYN_FLOOD_NET"
	ip -n inet route add blackhole "$SYN_FORGER/32"
	ip -n gw route add "$SYN_FLOOD_NET" via "$SYN_CLIENT"
	ip -n gw route add "$SYN_FORGER/32" via "$SYN_CLIENT"
	# custA: every SYN to its server by source, and what the forger sent.
	# inet: the SYN-ACKs that came back to the flood's sources.
	ip netns exec custA nft -f - <<NFT
table inet synlab {
	counter flood {}
	counter client {}
	counter other {}
	counter forged {}
	chain pre {
		type filter hook prerouting priority -300;
		ip saddr $SYN_FORGER counter name forged
		tcp dport 80 tcp flags & (syn | ack) == syn ip saddr $SYN_FLOOD_NET counter name flood accept
		tcp dport 80 tcp flags & (syn | ack) == syn ip saddr $SYN_CLIENT counter name client accept
		tcp dport 80 tcp flags & (syn | ack) == syn ip6 saddr $SYN_CLIENT6 counter name client accept
		tcp dport 80 tcp flags & (syn | ack) == syn counter name other
	}
}
NFT
	ip netns exec inet nft -f - <<NFT
table inet synlab {
	counter synacks {}
	chain pre {
		type filter hook prerouting priority -300;
		ip saddr $SERVER_A tcp sport 80 ip daddr $SYN_FLOOD_NET tcp flags & (syn | ack) == syn | ack counter name synacks
	}
}
NFT
	: >"$LAB_DIR/server.log"
	spawn ip netns exec custA python3 "$PWD/tests/lab/synlab.py" server :: 80 "$LAB_DIR/server.log"
	wait_for 10 listening custA 80 || fail "custA's server does not listen"
}

# nft_count NS NAME: packets of the synlab counter NAME in NS.
nft_count() {
	ip netns exec "$1" nft list counter inet synlab "$2" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
custa_syns() { nft_count custA "$1"; }	# flood | client | other

# syn_config MODE [EXTRA_SYN_JSON] [SITE_SYN_JSON]: topo_config with custa's
# "syn": {"mode": MODE, EXTRA...} and, if given, the site's "syn".
syn_config() {
	topo_config
	python3 - "$GWD_CONF" "$1" "${2:-}" "${3:-}" <<'PY'
import json, sys
path, mode, extra, site = sys.argv[1:5]
c = json.load(open(path))
syn = {"mode": mode}
if extra:
    syn.update(json.loads("{" + extra + "}"))
c["customers"][0]["syn"] = syn
if site:
    c["site"]["syn"] = json.loads(site)
json.dump(c, open(path, "w"), indent=1)
PY
}

# syn_get EXPR: a Python expression on `gwctl -j show syn` (as j), with
# reason(NAME) (its packets), pfx(PREFIX) (the prefix's entry), workers(FIELD)
# (summed over the workers), att(IF) (eth1's entry in "attached").  Several
# space-separated values: print(a, b).
syn_get() {
	gwctl -j show syn >"$LAB_DIR/syn.json" || fail "gwctl -j show syn"
	python3 - "$LAB_DIR/syn.json" "$1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
def reason(n): return j["reasons"][n]["packets"]
def pfx(p): return [x for x in j["prefixes"] if x["prefix"] == p][0]
def workers(f): return sum(w.get(f, 0) for w in j["workers"])
def att(i="eth1"): return [a for a in j["attached"] if a["interface"] == i][0]
r = eval("(" + sys.argv[2] + ")")
print(*r) if isinstance(r, tuple) else print(r)
PY
}

# syn_ready: gwd attached syn.bpf.o to eth1 and every worker is open.
syn_ready() {
	[[ $(syn_get 'att()["prog_id"] > 0 and len(j["workers"]) > 0 and not any("error" in w for w in j["workers"])') == True ]]
}
syn_wait_ready() {
	wait_for 20 syn_ready || { gwctl show syn >&2 || true; tail -n 30 "$GWD_LOG" >&2; fail "the SYN fast path is not up on eth1"; }
}

# syn_flood_start PPS [COUNT]: trafgen in inet: SYNs from random
# 198.18.128.0/17 sources to SERVER_A:80 at PPS, COUNT of them (0: until
# syn_flood_stop).  syn_flood_stop: stop it (or wait for COUNT); sets
# flood_sent, the SYNs it sent.
syn_flood_start() {
	local mac_gw mac_in
	mac_gw=$(ip netns exec gw cat /sys/class/net/eth1/address)
	mac_in=$(ip netns exec inet cat /sys/class/net/eth0/address)
	cat >"$LAB_DIR/flood.cfg" <<CFG
{ eth(da=$mac_gw, sa=$mac_in), ipv4(sa=198.18.128.0, sa[2]=drnd(128,255), sa[3]=drnd(), da=$SERVER_A, id=drnd(), ttl=64, df), tcp(sp=drnd(), dp=80, seq=drnd(), syn, win=64240) }
CFG
	# trafgen wants a writable working directory; the net.core sysctls it
	# tunes are not per namespace (--no-sock-mem).  It forks its sender and
	# stops only when the whole group gets the signal: timeout(1) relays
	# ours (INT from syn_flood_stop, TERM from lib.sh's cleanup) to it.
	(cd "$LAB_DIR" && exec ip netns exec inet timeout -s INT 600 trafgen -o eth0 -i flood.cfg -P 1 -q -C --no-sock-mem \
		-b "$1pps" -n "${2:-0}" >"$LAB_DIR/trafgen.log" 2>&1) &
	flood_pid=$!
	lab_pids+=("$flood_pid")
}
syn_flood_stop() {
	[[ ${1-} == wait ]] || kill -INT "$flood_pid" 2>/dev/null || true
	wait "$flood_pid" || true
	flood_sent=$(tr -d '\r' <"$LAB_DIR/trafgen.log" | awk '/packets outgoing/ { print $1 }')
	[[ -n $flood_sent ]] || { cat "$LAB_DIR/trafgen.log" >&2; fail "trafgen did not say what it sent"; }
}

# client_get [-6]: curl from inet to custA's server; sets client_out (its
# output: the body, or curl's error) and client_rc (curl's exit status),
# client_connect_s (time to connect).
client_get() {
	local url=http://$SERVER_A/
	[[ ${1-} != -6 ]] || url=http://[$SERVER_A6]/
	client_rc=0
	rm -f "$LAB_DIR/body"
	client_connect_s=$(ip netns exec inet curl -sS -m "${CLIENT_TIMEOUT:-8}" -o "$LAB_DIR/body" \
		-w '%{time_connect}' "$url" 2>"$LAB_DIR/curl.err") || client_rc=$?
	if ((client_rc == 0)); then client_out=$(cat "$LAB_DIR/body"); else client_out=$(cat "$LAB_DIR/curl.err"); fi
	echo "client ${1:-}: curl exit $client_rc, connect ${client_connect_s}s: $client_out"
}

# client_first [-6]: the client's first connection to a prefix in mode on:
# the handshake completes with the worker's cookie SYN-ACK, the server
# resets the connection it never saw; the retry passes.  curl says it in
# whatever it was doing when the RST came: "(56) Recv failure: Connection
# reset by peer", "(55) Send failure: ...", "(55) getpeername() failed with
# errno 107", or, the RST in before connect() returned, "(7) Couldn't
# connect to server".  So the proof is the program's: the client's ACK
# carried a valid cookie (pass-ack), and curl did not time out.
client_first() {
	local acks
	acks=$(syn_get 'reason("pass-ack")')
	client_get "$@"
	((client_rc != 0 && client_rc != 28)) ||
		fail "the client's first connection ${1:-}: want a reset, got curl exit $client_rc: $client_out"
	assert_ge "$(syn_get 'reason("pass-ack")')" $((acks + 1)) \
		"pass-ack after the client's first connection ${1:-} (its ACK had a valid cookie)"
	client_get "$@"
	assert_eq "$client_rc" 0 "the client's retry ${1:-} (curl exit status)"
	[[ $client_out == hello* ]] || fail "the retry ${1:-} got '$client_out'"
}

# client_ok [-6]: one connection that works at once.
client_ok() {
	client_get "$@"
	assert_eq "$client_rc" 0 "the client's connection ${1:-} (curl exit status)"
	[[ $client_out == hello* ]] || fail "the client ${1:-} got '$client_out'"
}

# server_peers: the sources the server accepted connections from, "ADDR xN".
server_peers() { awk '{ n[$1]++ } END { for (a in n) printf "%s x%d\n", a, n[a] }' "$LAB_DIR/server.log" | sort; }

forge_ack() {	# COUNT
	ip netns exec inet python3 "$PWD/tests/lab/synlab.py" forge-ack "$SYN_FORGER" "$SERVER_A" 80 "${1:-1}"
}
