#!/bin/bash
# Failback waits for rise: custA takes its GRE tunnel (the primary, gre1)
# down and traffic moves to bcix; then custA brings it back while exactly one
# probe in seven is lost (nft in custA drops the 3rd of every 7 echo requests
# to its end of the tunnel).  Seen on the tunnel, the first of a 10 ms ping
# to custA's server follows the 6th probe after the return (answered twice,
# lost, answered 3 times: rise 3 in a row), not the 4th (3 answers in all),
# and the move back loses no ping.
# That loss goes on for 10 s more: no flap, exactly two transitions (down,
# up) and the traffic stays on gre1.  (No degraded state in the lab config,
# so 14 % loss alone changes nothing.)
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start
ping_n inet "$SERVER_A" 10

ip -n custA link set gre-gw down
wait_for 5 on_path bcix || fail "traffic did not move to bcix"

ip netns exec custA nft -f - <<'NFT'
table ip lossy {
	chain in {
		type filter hook input priority 0;
		iifname "gre-gw" ip daddr 10.17.1.2 icmp type echo-request counter numgen inc mod 7 == 2 counter drop
	}
}
NFT
ip netns exec custA python3 tests/lab/linktap.py gre-gw 8 "$LAB_DIR/tap" &
tap_pid=$!
lab_pids+=("$tap_pid")
wait_for 5 test -e "$LAB_DIR/tap" || fail "linktap did not start"
ping_start "$SERVER_A" 500
sleep 1
ip -n custA link set gre-gw up
wait_for 5 on_path gre1 || fail "traffic did not return to gre1"
ping_end "$SERVER_A" 500 "in the failback"
wait "$tap_pid" || fail "linktap failed"

# The probes custA's gre-gw saw from the moment it came back to the first of
# the pings to custA's server: A answered, L lost (dropped by nft, so not
# answered).  The 6th answer (the 3rd in a row) decides.  More answers may
# come before the first ping: the route change takes a while under TCG, and
# a late answer there (more than one interval) counts as lost for gwd.
read -r probes delay < <(awk -v server="$SERVER_A" '
	$2 == "in" && $3 == "icmp" && $4 == 8 && $6 == "10.17.1.2" && !ping { sent[n++] = $5 }
	$2 == "in" && $3 == "icmp" && $4 == 8 && $6 == server && !ping { ping = $1 }
	$2 == "out" && $3 == "icmp" && $4 == 0 && $6 == "10.17.1.1" { answered[$5] = $1 }
	END { for (i = 0; i < n; i++) printf "%s", answered[sent[i]] ? "A" : "L"
	      printf " %.0f\n", (ping && n >= 6) ? (ping - answered[sent[5]]) * 1000 : -1 }' "$LAB_DIR/tap")
echo "probes on gre1 from its return to the first ping on it: $probes (A answered, L lost);" \
	"that ping $delay ms after the 6th answer"
[[ $probes =~ ^AALAAAA*$ ]] ||
	fail "probes before traffic returned to gre1: $probes, want AALAAA(A...): 3 answers in a row"

sleep 10
read -r seen dropped < <(ip netns exec custA nft list table ip lossy |
	sed -n 's/.*counter packets \([0-9]*\) .*counter packets \([0-9]*\) .*/\1 \2/p')
echo "nft dropped $dropped of $seen probes since gre-gw came back"
assert_ge "$dropped" 10 "probes nft dropped"
echo "gre1 now: $(path_show custa gre1 '"%s, loss %s %% over the last 10 s, %d transitions" % (p["state"], p["loss_pct"], p["transitions"])')"
grep "path gre1" "$GWD_LOG" || true
assert_eq "$(grep "customer custa: path gre1: " "$GWD_LOG" | sed 's/.*path gre1: //' | paste -sd '|')" \
	"up -> down (3 probes in a row lost)|down -> up (3 probes in a row answered)" "custa/gre1's transitions in the log"
assert_eq "$(path_show custa gre1 'p["state"], p["transitions"], p["active"]')" "up 2 True" \
	"custa/gre1 state, transitions, active"
on_path gre1 || fail "traffic left gre1 under 1-in-7 loss: $(route_a)"
gre=$(path_rx custA gre-gw)
ping_n inet "$SERVER_A" 50
assert_ge $(($(path_rx custA gre-gw) - gre)) 50 "custA GRE packets"
pass "failback after 3 answers in a row ($probes), then no flap under 1-in-7 loss"
