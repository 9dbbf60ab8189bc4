#!/bin/bash
# The wall clock jumps an hour forward and back while gwd probes at
# 100 ms x 3: its timers run on CLOCK_MONOTONIC, so no probe is judged lost,
# no path changes state and the stream loses nothing.  Only the VM tier may
# set the clock (the host's is not ours).
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"

# /run/lab-vm: the VM tier's job share (tests/lab/vm/guest-init).
[ -d /run/lab-vm ] || { echo "SKIP: not in the VM tier: the host's clock is not ours to set"; exit 77; }
topo_build
topo_config
gwd_start
ping_n inet "$SERVER_A" 10
jump() { date -s '+1 hour' >/dev/null; sleep 1; date -s '-1 hour' >/dev/null; }
stream_gap jump
echo "clock jumps: $lost of $sent datagrams lost, longest gap $gap_ms ms"
assert_eq "$(gwctl -j show paths | json 'sum(p["transitions"] for p in j)')" 0 "path transitions"
assert_eq "$lost" 0 "datagrams lost across the clock jumps"
pass "wall-clock jumps change nothing"
