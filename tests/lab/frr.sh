# FRR's bfdd as a customer's BFD peer, run the way a customer would: zebra
# and bfdd in the customer's namespace, from a plain config file.  Source
# after topo.sh.  FRR keeps per-namespace state under /run/frr/NS; its
# daemons drop to the frr user, so their config must be readable by it.

FRR_DIR=$LAB_DIR/frr

# frr_bfd_start NS PEER LOCAL IFNAME TX_MS RX_MS MULT: zebra and bfdd in NS
# with one single-hop peer.
frr_bfd_start() {
	local ns=$1
	install -d -o frr -g frr -m 755 /run/frr
	install -d -m 755 "$FRR_DIR/$ns"
	chmod 755 "$LAB_DIR"
	echo "hostname $ns" >"$FRR_DIR/$ns/zebra.conf"
	cat >"$FRR_DIR/$ns/bfdd.conf" <<CONF
hostname $ns
bfd
 peer $2 local-address $3 interface $4
  transmit-interval $5
  receive-interval $6
  detect-multiplier $7
 !
!
CONF
	chmod 644 "$FRR_DIR/$ns"/*.conf
	# zebra says on stderr that the kernel lacks MPLS: noise here.
	ip netns exec "$ns" /usr/lib/frr/zebra -N "$ns" -d -f "$FRR_DIR/$ns/zebra.conf" \
		2>>"$FRR_DIR/$ns/zebra.log"
	frr_bfdd_restart "$ns"
	frr_pids+=("$ns")
}

# frr_bfdd_restart NS: bfdd again, after frr_bfdd_kill.
frr_bfdd_restart() {
	ip netns exec "$1" /usr/lib/frr/bfdd -N "$1" -d -f "$FRR_DIR/$1/bfdd.conf"
}

# frr_bfdd_kill NS: kill -9, as a crash: no AdminDown reaches gwd.
frr_bfdd_kill() {
	kill -9 "$(cat "/run/frr/$1/bfdd.pid")"
}

# frr_bfd_peer NS EXPR: a Python expression on bfdd's only peer (as p), from
# `show bfd peers json`, e.g. p["status"].
frr_bfd_peer() {
	vtysh -N "$1" -c 'show bfd peers json' 2>/dev/null |
		python3 -c "import json,sys; p=json.load(sys.stdin)[0]; print($2)"
}

frr_stop() {
	local ns d
	for ns in "${frr_pids[@]}"; do
		for d in bfdd zebra; do
			[ -f "/run/frr/$ns/$d.pid" ] && kill "$(cat "/run/frr/$ns/$d.pid")" 2>/dev/null
		done
		rm -rf "/run/frr/$ns"
	done
	frr_pids=()
}
frr_pids=()
trap 'frr_stop; cleanup' EXIT
