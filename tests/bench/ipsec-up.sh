#!/bin/bash
# IPsec cold start: the time from gwd's start to N IPsec paths (default 50)
# with their CHILD_SAs installed and, later, proven by their probes; and, as
# the baseline in the same run, the same N connections loaded and initiated
# straight through swanctl (what an operator scripting charon by hand gets).
# One customer charon in custA answers all of them: N connections from
# 192.0.2.(100+i), each into an xfrm interface of its own.
# Needs the VM tier: `tests/lab/run tests/bench/ipsec-up.sh [N]`.
. "${BASH_SOURCE%/*}/../lab/lib.sh"
. "${BASH_SOURCE%/*}/../lab/topo.sh"
. "${BASH_SOURCE%/*}/../lab/ipsec.sh"

n=${1:-50}
((n >= 1 && n <= 150)) || fail "N from 1 to 150"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

topo_build
psk=$LAB_DIR/psk
(umask 077 && echo "bench-psk-of-every-path-7c1d2e" >"$psk")

# swanctl_conns PREFIX FROM: a swanctl.conf of the N connections PREFIX<i>,
# the customer's (FROM custA) or the gateway's (started by charon when
# loaded), with one PSK for all.
swanctl_conns() {
	local i me peer my_id peer_id
	echo "connections {"
	for ((i = 0; i < n; i++)); do
		me=192.0.2.$((100 + i)) peer=198.51.100.1 my_id=cpe$i.example peer_id=gw.fra1.example
		[[ $2 == custA ]] || { peer=$me me=198.51.100.1 peer_id=$my_id my_id=gw.fra1.example; }
		cat <<CONF
	$1$i {
		version = 2
		local_addrs = $me
		remote_addrs = $peer
		proposals = aes256gcm16-prfsha384-x25519
		local { auth = psk
			id = $my_id }
		remote { auth = psk
			id = $peer_id }
		children { $1$i {
			local_ts = 0.0.0.0/0
			remote_ts = 0.0.0.0/0
			if_id_in = $((1000 + i))
			if_id_out = $((1000 + i))
			esp_proposals = aes256gcm16-x25519
			start_action = $([[ $2 == custA ]] && echo none || echo start) } }
	}
CONF
	done
	echo "}"
	echo "secrets { ike { secret = \"$(cat "$psk")\" } }"
}

# The customer's side: N connections, N xfrm interfaces, one charon.
charon_start custA custA
swanctl_conns c custA >"${charon_swanctl[custA]}/conf.d/bench.conf"
for ((i = 0; i < n; i++)); do
	ip -n custA addr add "192.0.2.$((100 + i))/32" dev lo
	ip -n gw route add "192.0.2.$((100 + i))/32" via 10.255.1.2
	ip -n custA link add "x$i" type xfrm dev wan if_id $((1000 + i))
	ip -n custA addr add "10.$((100 + i / 60)).$((i % 60 * 4)).2/30" dev "x$i"
	ip -n custA link set "x$i" up
done
swanctl_at custA --load-all >/dev/null

installed() {	# NAME: CHILD_SAs installed at charon NAME
	swanctl_at "$1" --list-sas --raw 2>/dev/null | grep -o "state=INSTALLED" | wc -l
}

# Baseline: the same connections in a swanctl.conf that starts them, loaded
# at once, as an operator scripting charon by hand would.  Twice: the first
# run also loads the kernel's ESP and crypto modules, which the others find.
all_up() { (($(installed "$1") >= n)); }
gone() { (($(installed custA) == 0)); }
swanctl_run() {	# sets took
	local t0
	charon_start gw gw
	swanctl_conns g gw >"${charon_swanctl[gw]}/conf.d/bench.conf"
	t0=$(now)
	swanctl_at gw --load-all >/dev/null
	wait_for 300 all_up gw || fail "swanctl: $(installed gw) of $n CHILD_SAs after 300 s"
	took=$(secs "$t0" "$(now)")
	charon_stop gw
	rm "${charon_swanctl[gw]}/conf.d/bench.conf"
	wait_for 60 gone || fail "custA still has $(installed custA) CHILD_SAs"
}
swanctl_run
first=$took
swanctl_run
base=$took

# gwd: N customers of one IPsec path each, cold.
charon_start gw gw
{
	cat <<JSON
{ "site": { "name": "bench", "underlay": { "v4": "198.51.100.1" }, "ingress": ["eth1"],
            "control_socket": "$GWD_SOCK", "vici_socket": "$(charon_dir gw)/charon.vici" },
  "defaults": { "probe": { "degraded_loss_pct": 0 } },
  "customers": [
JSON
	for ((i = 0; i < n; i++)); do
		((i)) && echo ","
		cat <<JSON
    { "name": "c$i", "id": $((100 + i)), "prefixes": ["172.$((16 + i / 250)).$((i % 250)).0/24"],
      "paths": [ { "name": "sec", "type": "ipsec", "remote": "192.0.2.$((100 + i))",
                   "address": "10.$((100 + i / 60)).$((i % 60 * 4)).1/30",
                   "peer": "10.$((100 + i / 60)).$((i % 60 * 4)).2",
                   "ike": { "psk_file": "$psk", "local_id": "gw.fra1.example",
                            "remote_id": "cpe$i.example" } } ] }
JSON
	done
	echo "] }"
} >"$GWD_CONF"
t0=$(now)
gwd_start
sa_all() { (($(gwctl -j show ipsec | json 'sum(p["sa"] == "up" for p in j["paths"])') >= n)); }
paths_all() { (($(gwctl -j show paths | json 'sum(p["state"] == "up" for p in j)') >= n)); }
wait_for 300 sa_all || fail "gwd: $(installed gw) of $n CHILD_SAs after 300 s"
sas=$(secs "$t0" "$(now)")
wait_for 120 paths_all || fail "gwd: not all $n paths up"
up=$(secs "$t0" "$(now)")
rss=$(awk '/VmHWM/ { print $2 }' "/proc/$gwd_pid/status")

echo
echo "IPsec cold start, $n paths (VM tier, software emulation; read the ratio):"
printf '  swanctl --load-all, first run:     %6s s to %d CHILD_SAs (kernel modules loading)\n' "$first" "$n"
printf '  swanctl --load-all:                %6s s to %d CHILD_SAs\n' "$base" "$n"
printf '  gwd start:                         %6s s to %d CHILD_SAs (ratio %.2f)\n' "$sas" "$n" \
	"$(awk -v a="$sas" -v b="$base" 'BEGIN { print a / b }')"
printf '  gwd start:                         %6s s to %d paths up (probes risen)\n' "$up" "$n"
printf '  gwd peak RSS:                      %6s kB\n' "$rss"
