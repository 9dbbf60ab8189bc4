#!/bin/bash
# A busy CPU is not a dead path: for the 30 s of a 20 ms ping to custA's
# server, another process (a plain shell busy loop at nice 0, like any
# runaway job on the gateway) keeps gwd's CPU busy; both are pinned to CPU 0,
# so gwd has to share it, while the kernel may forward on the other.  gwd
# probes at 100 ms x 3: no path changes state, none is logged.
# The ping may lose at most 1 %: gwd plays no part in forwarding, and the
# kernel's softirqs preempt the loop anyway, so here it is lost only when
# the host starves the VM's emulated CPUs (TCG, two shared host cores);
# the lab's other 10 ms pings lose nothing in 5 s, this one runs for 30.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

topo_build
topo_config
gwd_start
ping_n inet "$SERVER_A" 10

taskset -pc 0 "$gwd_pid" >/dev/null
ip netns exec gw taskset -c 0 sh -c 'while :; do :; done' &
busy=$!
lab_pids+=("$busy")
start=$SECONDS
ip netns exec inet ping -n -q -i 0.02 -c 1500 -W 1 "$SERVER_A" >"$LAB_DIR/ping" 2>&1 || true
read -r -a stat <"/proc/$busy/stat"
kill "$busy"
cat "$LAB_DIR/ping"
cpu=$(((stat[13] + stat[14]) / $(getconf CLK_TCK)))
echo "busy loop: $cpu s of CPU in $((SECONDS - start)) s"
gwctl show paths
grep "path .*->" "$GWD_LOG" || true

assert_ge "$cpu" $(((SECONDS - start) / 2)) "seconds of CPU the busy loop had"
received=$(sed -n 's/^1500 packets transmitted, \([0-9]*\) received.*/\1/p' "$LAB_DIR/ping")
assert_ge "${received:-0}" 1485 "pings answered of 1500"
! grep_q "path .*->" "$GWD_LOG" || fail "a path changed state"
assert_eq "$(gwctl -j show paths | json 'sum(p["transitions"] for p in j)')" 0 "transitions"
pass "busy CPU for 30 s: no transition, $((1500 - received)) of 1500 pings lost"
