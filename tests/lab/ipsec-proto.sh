#!/bin/bash
# Prototype (throwaway): IPsec paths between gw and custA with two charons,
# the gateway's driven by swanctl the way gwd will drive it over vici.  No
# gwd: the kernel objects gwd will create are made by hand.
#   tests/lab/run tests/lab/ipsec-proto.sh
. "${BASH_SOURCE%/*}/lib.sh"
. "${BASH_SOURCE%/*}/topo.sh"
. "${BASH_SOURCE%/*}/ipsec.sh"

IFID1=$((0x115c6d))	# conf_path_if_id(17, "sec1")
IFID2=$((0x1166d4))	# conf_path_if_id(17, "sec2"), unused: GRE mode has none
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
step() { echo; echo "==== $*"; }

topo_build
step "customer side"
t=$(now)
topo_ipsec_custA xfrm
topo_ipsec_custA gre
echo "custA: charon up and both configs loaded in $(since "$t") s"
swanctl_at custA --list-conns

# gw_conf: the gateway's swanctl.conf, what gwd will send with load-conn and
# load-shared.  NO_SEC2=1 leaves custa-sec2 out, SEC2_START sets its
# start_action, GW_PSK_IDS=both gives the PSKs our own ID as a second owner.
gw_conf() {
	cat <<CONF
connections {
	custa-sec1 {
		version = 2
		local_addrs = 198.51.100.1
		remote_addrs = 192.0.2.117
		proposals = aes256gcm16-prfsha384-x25519
		rekey_time = 4h
		dpd_delay = 10s
		mobike = no
		local {
			auth = psk
			id = gw.fra1.example
		}
		remote {
			auth = psk
			id = cpe-a.example
		}
		children {
			sec1 {
				mode = tunnel
				local_ts = 0.0.0.0/0
				remote_ts = 0.0.0.0/0
				if_id_in = $IFID1
				if_id_out = $IFID1
				esp_proposals = aes256gcm16-x25519
				rekey_time = 1h
				dpd_action = restart
				start_action = none
			}
		}
	}
CONF
	[[ -n ${NO_SEC2-} ]] || cat <<CONF
	custa-sec2 {
		version = 2
		local_addrs = 198.51.100.1
		remote_addrs = 192.0.2.118
		proposals = aes256gcm16-prfsha384-x25519
		rekey_time = 4h
		dpd_delay = 10s
		mobike = no
		local {
			auth = psk
			id = gw.fra1.example
		}
		remote {
			auth = psk
			id = cpe-a-gre.example
		}
		children {
			sec2 {
				mode = transport
				local_ts = dynamic[gre]
				remote_ts = dynamic[gre]
				esp_proposals = aes256gcm16-x25519
				rekey_time = 1h
				dpd_action = restart
				start_action = ${SEC2_START:-none}
			}
		}
	}
CONF
	cat <<CONF
}
secrets {
	ike-custa-sec1 {
		id = cpe-a.example
$([[ ${GW_PSK_IDS-} != both ]] || printf '\t\tid-gw = gw.fra1.example\n')
		secret = "$(swanctl_psk custA-xfrm.conf)"
	}
	ike-custa-sec2 {
		id = cpe-a-gre.example
$([[ ${GW_PSK_IDS-} != both ]] || printf '\t\tid-gw = gw.fra1.example\n')
		secret = "$(swanctl_psk custA-gre.conf)"
	}
}
CONF
}

step "gateway side: what gwd will create"
ip -n gw link add gwvrf17 type vrf table 1017
ip -n gw link set gwvrf17 up
ip -n gw route add unreachable default table 1017 metric 4278198272
ip -n gw link add gw17-sec1 type xfrm if_id $IFID1
ip -n gw link set gw17-sec1 master gwvrf17
ip -n gw addr add 10.17.2.1/30 dev gw17-sec1
ip -n gw link set gw17-sec1 up
ip -n gw link add gw17-sec2 type gre local 198.51.100.1 remote 192.0.2.118 key 218
ip -n gw link set gw17-sec2 master gwvrf17
ip -n gw addr add 10.17.3.1/30 dev gw17-sec2
ip -n gw link set gw17-sec2 up
ip -n gw -d link show gw17-sec1
ip -n gw -d link show gw17-sec2

t=$(now)
charon_start gw gw
echo "gw: charon up in $(since "$t") s"
gw_conf >"${charon_swanctl[gw]}/conf.d/custa.conf"
t=$(now)
swanctl_at gw --load-all
echo "gw: load-all in $(since "$t") s"

step "initiate from the gateway"
lsmod | awk 'NR > 1 { print $1 }' | sort >"$LAB_DIR/mods-before"
for c in sec1 sec2; do
	t=$(now)
	swanctl_at gw --initiate --child $c --timeout 60 >"$LAB_DIR/initiate-$c" 2>&1 ||
		{ cat "$LAB_DIR/initiate-$c"; fail "initiate $c"; }
	echo "gw: initiate $c: $(tail -n 1 "$LAB_DIR/initiate-$c") in $(since "$t") s"
done
echo "modules loaded during the first initiates: $(lsmod | awk 'NR > 1 { print $1 }' | sort | comm -13 "$LAB_DIR/mods-before" - | tr '\n' ' ')"
swanctl_at gw --list-sas
swanctl_at custA --list-sas
ip -n gw xfrm policy
ip -n gw xfrm state
echo "-- routes and rules charon left (table 220)"
for ns in gw custA; do
	echo "$ns: rules for table 220: [$(ip -n $ns rule show | grep -w 'lookup 220' || true)]; routes in 220: $(ip -n $ns route show table 220 2>/dev/null | wc -l)"
done

step "traffic"
ip netns exec gw nft -f - <<'NFT'
table netdev wire {
	chain in {
		type filter hook ingress device "wan-a" priority 0;
		ip saddr { 192.0.2.117, 192.0.2.118 } ip protocol esp counter name esp_in
		ip saddr { 192.0.2.117, 192.0.2.118 } udp dport { 500, 4500 } counter name ike_in
		ip saddr { 192.0.2.117, 192.0.2.118 } ip protocol gre counter name gre_in
		ip saddr { 192.0.2.117, 192.0.2.118 } ip protocol icmp counter name icmp_in
		ip saddr { 192.0.2.117, 192.0.2.118 } counter name all_in
	}
	chain out {
		type filter hook egress device "wan-a" priority 0;
		ip daddr { 192.0.2.117, 192.0.2.118 } ip protocol esp counter name esp_out
		ip daddr { 192.0.2.117, 192.0.2.118 } udp dport { 500, 4500 } counter name ike_out
		ip daddr { 192.0.2.117, 192.0.2.118 } ip protocol gre counter name gre_out
		ip daddr { 192.0.2.117, 192.0.2.118 } ip protocol icmp counter name icmp_out
		ip daddr { 192.0.2.117, 192.0.2.118 } counter name all_out
	}
	counter esp_in {}
	counter ike_in {}
	counter gre_in {}
	counter icmp_in {}
	counter all_in {}
	counter esp_out {}
	counter ike_out {}
	counter gre_out {}
	counter icmp_out {}
	counter all_out {}
}
NFT
ip netns exec gw tcpdump -nn -l -i wan-a -c 12 host 192.0.2.117 or host 192.0.2.118 \
	>"$LAB_DIR/tcpdump" 2>"$LAB_DIR/tcpdump.err" &
tcpdump_pid=$!
lab_pids+=($tcpdump_pid)
sleep 2
state_pkts() { ip -n gw -s xfrm state | awk '/lifetime current:/ { getline; n += $2 } END { print n + 0 }'; }
before=$(state_pkts)
ip netns exec gw ping -n -c 5 -i 0.2 -I gwvrf17 10.17.2.2
ip netns exec gw ping -n -c 5 -i 0.2 -I gwvrf17 10.17.3.2
ip netns exec gw ping -n -c 100 -i 0.01 -q -I gwvrf17 10.17.2.2
ip netns exec gw ping -n -c 100 -i 0.01 -q -I gwvrf17 10.17.3.2
after=$(state_pkts)
echo "gw: xfrm state packets $before -> $after"
ip -n gw -s xfrm state
ip netns exec gw nft list counters table netdev wire | grep -E 'counter|packets'
sleep 1
kill $tcpdump_pid 2>/dev/null || true
wait $tcpdump_pid 2>/dev/null || true
echo "-- tcpdump on gw's wan-a"
cat "$LAB_DIR/tcpdump"
echo "-- links"
ip -n gw -s link show gw17-sec1
ip -n gw -s link show gw17-sec2
ip -n custA -s link show ipsec0
ip -n custA -s link show gre-sec

step "plain GRE from custA's .118 (no ESP) must not get in"
ip -n custA xfrm policy show
# No way around custA's policy from its own stack, so look at gw's: its
# inbound policy for GRE from .118 requires ESP (checked by the pings above).
ip -n gw xfrm policy show dir in

step "kill -9 gw's charon: the kernel keeps its SAs"
ping_log=$LAB_DIR/ping-restart
ip netns exec gw ping -D -n -i 0.05 -W 1 -I gwvrf17 10.17.2.2 >"$ping_log" 2>&1 &
ping_pid=$!
lab_pids+=($ping_pid)
ping_log2=$LAB_DIR/ping-restart2
ip netns exec gw ping -D -n -i 0.05 -W 1 -I gwvrf17 10.17.3.2 >"$ping_log2" 2>&1 &
ping_pid2=$!
lab_pids+=($ping_pid2)
sleep 2
t0=$(now)
charon_kill9 gw
echo "states after kill -9: $(ip -n gw xfrm state | grep -c '^src') policies: $(ip -n gw xfrm policy | grep -c '^src')"
sleep 3
t=$(now)
charon_start gw gw
echo "gw: charon back in $(since "$t") s"
t=$(now)
swanctl_at gw --load-all >/dev/null
echo "gw: load-all in $(since "$t") s"
swanctl_at gw --list-sas
for c in sec1 sec2; do
	t=$(now)
	swanctl_at gw --initiate --child $c --timeout 60 >"$LAB_DIR/initiate2-$c" 2>&1 ||
		{ cat "$LAB_DIR/initiate2-$c"; fail "initiate $c after the restart"; }
	echo "gw: initiate $c after the restart: $(tail -n 1 "$LAB_DIR/initiate2-$c") in $(since "$t") s; since kill -9 $(since "$t0") s"
done
sleep 3
kill -INT $ping_pid $ping_pid2
wait $ping_pid $ping_pid2 || true
for f in "$ping_log" "$ping_log2"; do
	tail -n 3 "$f"
	# The longest run of unanswered sequence numbers.
	awk '/icmp_seq=/ { split($0, a, "icmp_seq="); s = a[2] + 0; t = substr($1, 2, length($1) - 2)
			if (s - last - 1 > 0) printf "lost icmp_seq %d..%d after %s\n", last + 1, s - 1, strftime("%H:%M:%S", int(lt)) sprintf(".%03d", (lt - int(lt)) * 1000)
			if (s - last - 1 > gap) gap = s - last - 1; last = s; lt = t }
		END { printf "longest run of lost pings: %d (%.0f ms at 50 ms)\n", gap, gap * 50 }' "$f"
done
echo "states after the restart: $(ip -n gw xfrm state | grep -c '^src') policies: $(ip -n gw xfrm policy | grep -c '^src')"
ip -n gw xfrm state | grep -E '^src|spi'
swanctl_at gw --list-sas
swanctl_at custA --list-sas
echo "-- custA's log on INITIAL_CONTACT"
grep -i -E 'initial_contact|duplicate|deleting|destroying' "$LAB_DIR/charon-custA.log" || true
ip netns exec gw ping -n -c 3 -i 0.2 -I gwvrf17 10.17.2.2
ip netns exec gw ping -n -c 3 -i 0.2 -I gwvrf17 10.17.3.2

n_child() { swanctl_at gw --list-sas --ike "$1" 2>/dev/null | grep -c "^  $2: #" || true; }
step "reload unchanged: SAs stay"
swanctl_at gw --load-all | grep -v -E '^(no|loaded)' || true
grep -E 'vici connection' "$LAB_DIR/charon-gw.log" | tail -n 2
echo "CHILD_SAs: sec1 $(n_child custa-sec1 sec1), sec2 $(n_child custa-sec2 sec2)"
ping_ok gw 10.17.2.2 -I gwvrf17
ping_ok gw 10.17.3.2 -I gwvrf17

step "initiate sec1 again while it is up"
swanctl_at gw --initiate --child sec1 --timeout 30 >"$LAB_DIR/initiate-again" 2>&1 && echo "exit 0" || echo "exit $?"
tail -n 2 "$LAB_DIR/initiate-again"
echo "CHILD_SAs of custa-sec1 now: $(n_child custa-sec1 sec1); IKE_SAs: $(swanctl_at gw --list-sas | grep -c '^custa-sec1:')"
swanctl_at gw --list-sas --ike custa-sec1
# Back to one: terminate the whole IKE_SA, initiate once.
swanctl_at gw --terminate --ike custa-sec1 --timeout 30 | tail -n 1
swanctl_at gw --initiate --child sec1 --timeout 30 | tail -n 1

step "wrong PSK on the customer's side"
topo_ipsec_custA xfrm wrong-psk
swanctl_at gw --terminate --ike custa-sec1 --timeout 30 | tail -n 1
t=$(now)
if swanctl_at gw --initiate --child sec1 --timeout 30 >"$LAB_DIR/initiate-wrong" 2>&1; then
	fail "sec1 came up with a wrong PSK"
fi
echo "initiate with the wrong PSK failed in $(since "$t") s:"
grep -E 'AUTH|auth|MAC|failed' "$LAB_DIR/initiate-wrong" | tail -n 4
grep -E 'MAC mismatched|AUTHENTICATION_FAILED' "$LAB_DIR/charon-custA.log" | tail -n 2
ping_fails gw 10.17.2.2 -I gwvrf17
topo_ipsec_custA xfrm
t=$(now)
swanctl_at gw --initiate --child sec1 --timeout 30 | tail -n 1
echo "right PSK back: up in $(since "$t") s"
ping_ok gw 10.17.2.2 -I gwvrf17

step "PSKs with only the gateway's ID on the customer's side"
# custA's charon then signs with whichever of its two PSKs comes first, for
# both paths; it verifies trying each.  Does the gateway accept a path's
# AUTH made with the other path's PSK?
for m in xfrm gre; do
	sed -i -e '/^\s*id-me = /d' -e 's/^\(\s*\)id-gw = /\1id = /' "${charon_swanctl[custA]}/conf.d/$m.conf"
done
grep -A3 '^secrets' "${charon_swanctl[custA]}/conf.d/gre.conf"
swanctl_at custA --load-all | grep -i secret || true
for ids in both remote; do
	GW_PSK_IDS=$ids gw_conf >"${charon_swanctl[gw]}/conf.d/custa.conf"
	swanctl_at gw --load-all >/dev/null
	for c in sec1 sec2; do
		swanctl_at gw --terminate --ike custa-$c --timeout 30 >/dev/null 2>&1 || true
		if swanctl_at gw --initiate --child $c --timeout 30 >"$LAB_DIR/initiate-ambig-$c" 2>&1; then
			echo "gw PSK owners $ids: $c: up"
		else
			echo "gw PSK owners $ids: $c: FAILED: $(grep -E 'AUTHENTICATION_FAILED|MAC mismatched' "$LAB_DIR/initiate-ambig-$c" | head -n 2 | tr '\n' ' ')"
		fi
	done
	grep -E 'tried [0-9]+ shared key' "$LAB_DIR/charon-gw.log" | tail -n 1 || true
done
gw_conf >"${charon_swanctl[gw]}/conf.d/custa.conf"
swanctl_at gw --load-all >/dev/null
grep -E 'MAC mismatched' "$LAB_DIR/charon-custA.log" | tail -n 2 || true
topo_ipsec_custA xfrm
topo_ipsec_custA gre
for c in sec1 sec2; do
	[[ $(n_child custa-$c $c) == 1 ]] || swanctl_at gw --initiate --child $c --timeout 30 | tail -n 1
done

step "short lifetimes on the customer's side: rekeying under traffic"
topo_ipsec_custA gre short-life
swanctl_at custA --list-conns | grep -E 'rekeying|scrubbing-gre'
swanctl_at gw --terminate --ike custa-sec2 --timeout 30 | tail -n 1
swanctl_at gw --initiate --child sec2 --timeout 30 | tail -n 1
mark=$(wc -l <"$LAB_DIR/charon-gw.log")
ip netns exec gw ping -D -n -i 0.05 -W 1 -w 40 -I gwvrf17 10.17.3.2 >"$LAB_DIR/ping-rekey" 2>&1 || true
tail -n 3 "$LAB_DIR/ping-rekey"
awk '/icmp_seq=/ { split($0, a, "icmp_seq="); s = a[2] + 0; if (s - last - 1 > gap) gap = s - last - 1; last = s }
	END { printf "longest run of lost pings: %d\n", gap }' "$LAB_DIR/ping-rekey"
tail -n +"$mark" "$LAB_DIR/charon-gw.log" | grep -i -E 'rekey|established|deleting|closing' | grep -v -E 'scheduling|maximum' || true
swanctl_at gw --list-sas --ike custa-sec2
echo "gw's states for .118: $(ip -n gw xfrm state | grep -c '192.0.2.118 dst\|dst 192.0.2.118')"
topo_ipsec_custA gre

step "unload a connection: start_action none vs start"
NO_SEC2=1 gw_conf >"${charon_swanctl[gw]}/conf.d/custa.conf"
swanctl_at gw --load-all | grep -i -E 'unloaded|connections'
echo "start_action=none, unloaded: custa-sec2 IKE_SAs left: $(swanctl_at gw --list-sas | grep -c '^custa-sec2:'), CHILD_SAs: $(n_child custa-sec2 sec2)"
swanctl_at gw --terminate --ike custa-sec2 --timeout 30 | tail -n 1
SEC2_START=start gw_conf >"${charon_swanctl[gw]}/conf.d/custa.conf"
t=$(now)
swanctl_at gw --load-all | grep -i -E 'loaded conn|connections'
wait_for 30 child_installed gw sec2 || fail "start_action=start did not bring sec2 up"
echo "start_action=start: sec2 up $(since "$t") s after load-conn"
ping_ok gw 10.17.3.2 -I gwvrf17
NO_SEC2=1 gw_conf >"${charon_swanctl[gw]}/conf.d/custa.conf"
swanctl_at gw --load-all | grep -i -E 'unloaded|connections'
sleep 1
echo "start_action=start, unloaded: custa-sec2 IKE_SAs left: $(swanctl_at gw --list-sas | grep -c '^custa-sec2:'), customer's: $(swanctl_at custA --list-sas | grep -c '^scrubbing-gre:'), gw states for .118: $(ip -n gw xfrm state | grep -c '192.0.2.118')"
grep -E "closing|uninstall|unload" "$LAB_DIR/charon-gw.log" | tail -n 3
gw_conf >"${charon_swanctl[gw]}/conf.d/custa.conf"
swanctl_at gw --load-all >/dev/null
swanctl_at gw --initiate --child sec2 --timeout 30 | tail -n 1
ping_ok gw 10.17.3.2 -I gwvrf17

step "gw's kernel SAs vs charon's"
known=$(swanctl_at gw --list-sas --raw | grep -o -E 'spi-(in|out)=[0-9a-f]+' | sed 's/.*=//' | sort -u | tr '\n' ' ')
echo "charon's SPIs: $known"
ip -n gw xfrm state | awk -v known="$known" '/^src/ { sd = $0 } /spi/ { spi = substr($4, 3); printf "%s %s %s\n", sd, $4, index(known, spi) ? "charon'"'"'s" : "STALE" }'

step "charon's logs (selected)"
echo "MOBIKE addresses sent by gw (mobike = no): $(grep -c 'additional MOBIKE peer address' "$LAB_DIR/charon-custA.log" || true)"
grep -i -E 'already exists|try to update|unable|refus|error|warn|INITIAL_CONTACT|duplicate' "$LAB_DIR/charon-gw.log" | head -n 30 || true
echo ...
grep -i -E 'unable|refus|error|warn|INITIAL_CONTACT|duplicate|MOBIKE' "$LAB_DIR/charon-custA.log" | head -n 30 || true
echo "-- custA's log around the first IKE_AUTH"
grep -m 1 -B2 -A30 'IKE_AUTH request 1' "$LAB_DIR/charon-custA.log" | grep -v -E 'CFG\]  ' | head -n 40
step "charon_stop custA: SIGTERM"
t=$(now)
charon_stop custA
echo "custA's charon stopped in $(since "$t") s; custA's states: $(ip -n custA xfrm state | grep -c '^src' || true), policies: $(ip -n custA xfrm policy | grep -c '^src' || true)"
sleep 1
swanctl_at gw --list-sas | grep -E '^custa|ESTABLISHED|INSTALLED' || echo "gw: no SAs left"
grep -E 'received DELETE|deleting IKE_SA|closing' "$LAB_DIR/charon-gw.log" | tail -n 4
pass "prototype done"
