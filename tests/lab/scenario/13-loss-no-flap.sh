#!/bin/bash
# 2 % random loss on custA's primary path for 60 s (netem on custA's end of
# the tunnel, which carries nothing but the answers to gwd's probes), probing
# at 100 ms x 3: the path never goes down (no transition at all, none in the
# log) and keeps the traffic.  Three losses in a row at 2 % come about once
# in 125,000 probes: a flap here is a bug, or a 0.5 % chance in 600 probes.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start
ping_n inet "$SERVER_A" 10

tc -n custA qdisc add dev gre-gw root netem loss 2%
# gwd's loss is over the last 10 s of probes: one sample per window.
for t in 10 20 30 40 50 60; do
	sleep 10
	echo "${t} s: gre1 $(path_show custa gre1 '"%s, loss %s %% over the last 10 s, %d transitions" % (p["state"], p["loss_pct"], p["transitions"])')"
done
read -r sent dropped < <(tc -n custA -s qdisc show dev gre-gw |
	sed -n 's/.*Sent [0-9]* bytes \([0-9]*\) pkt (dropped \([0-9]*\),.*/\1 \2/p')
tc -n custA qdisc del dev gre-gw root
echo "netem dropped $dropped of $((sent + dropped)) answers to probes"
grep "path gre1" "$GWD_LOG" || true

assert_ge "$dropped" 3 "probe answers netem dropped (about 12 expected)"
! grep_q "customer custa: path gre1: up -> " "$GWD_LOG" || fail "custa/gre1 changed state under 2 % loss"
assert_eq "$(path_show custa gre1 'p["state"], p["transitions"], p["active"]')" "up 0 True" \
	"custa/gre1 state, transitions, active"
gre=$(path_rx custA gre-gw)
ping_n inet "$SERVER_A" 50
assert_ge $(($(path_rx custA gre-gw) - gre)) 50 "custA GRE packets after the loss"
pass "2 % loss for 60 s: $dropped probes lost, no transition"
