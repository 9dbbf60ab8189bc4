#!/bin/bash
# Mode auto (issue 6) with low thresholds (on_pps 500, off_pps 100,
# hold_s 3): a flood above on_pps turns custA's prefix on within 2 s (the
# client is then challenged: first connection reset), and it turns off
# again hold_s after the flood stops.  gwctl syn mode overrides the mode
# and "config" gives it back to auto.  gwctl block add drops the client in
# XDP (drop-blocked: it cannot connect), block del lets it back, and a block
# -t 3s lets it back by itself; allow add passes it before everything
# (pass-allowed).
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../syn.sh"

syn_topo
syn_config auto '"on_pps": 500, "off_pps": 100, "hold_s": 3'
gwd_start
wait_for 10 on_path gre1 || fail "custA's route: $(route_a)"
syn_wait_ready

# mode_of PREFIX: its mode in gwctl show syn, what the program does with it.
mode_of() { syn_get 'pfx("'"$1"'")["mode"]'; }
mode_is() { [[ $(mode_of "$1") == "$2" ]]; }
mode_not() { [[ $(mode_of "$1") != "$2" ]]; }

calm=$(mode_of "$SYN_PFX")
echo "auto, no flood: $SYN_PFX in mode $calm"
[[ $calm != on ]] || fail "$SYN_PFX is on without a flood"
assert_eq "$(syn_get 'pfx("'"$SYN_PFX"'")["configured"]')" auto "configured mode"
echo "-- the client, not challenged"
client_ok

echo "-- a flood at $SYN_FLOOD_PPS/s, above on_pps 500"
tx0=$(link_counter inet eth0 tx packets)
syn_flood_start "$SYN_FLOOD_PPS"
# From the flood's first packets on the wire, not trafgen's start.
flood_on_wire() { (($(link_counter inet eth0 tx packets) > tx0 + 5)); }
wait_for 10 flood_on_wire || fail "trafgen sends nothing"
t0=$EPOCHREALTIME
wait_for 10 mode_is "$SYN_PFX" on || fail "$SYN_PFX did not turn on: $(gwctl show syn)"
on_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo "turned on after ${on_s}s: $(grep 'auto turned on' "$GWD_LOG" | tail -n 1)"
awk -v t="$on_s" 'BEGIN { exit !(t <= 2.5) }' || fail "turned on after ${on_s}s, not within ~2 s"
echo "-- the client during the flood: challenged now"
client_first
sleep 1
t1=$EPOCHREALTIME
syn_flood_stop
challenged=$(syn_get 'pfx("'"$SYN_PFX"'")["challenged"]')
assert_ge "$challenged" "$SYN_FLOOD_PPS" "challenged while on"
wait_for 15 mode_not "$SYN_PFX" on || fail "$SYN_PFX stayed on after the flood"
off_s=$(awk -v a="$t1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo "turned $(mode_of "$SYN_PFX") ${off_s}s after the flood stopped: $(grep 'auto turned off' "$GWD_LOG" | tail -n 1)"
awk -v t="$off_s" 'BEGIN { exit !(t >= 3 && t <= 7.5) }' ||
	fail "turned off ${off_s}s after the flood, want hold_s 3 plus the rate's one-second window"
pass "auto: on within ${on_s}s of a flood above on_pps, off ${off_s}s after it (hold_s 3)"

echo "-- overrides"
gwctl syn mode "$SYN_PFX" on
read -r mode over < <(syn_get 'pfx("'"$SYN_PFX"'")["mode"], pfx("'"$SYN_PFX"'")["override"]')
assert_eq "$mode $over" "on True" "mode and override after syn mode on"
gwctl syn mode "$SYN_PFX" config
read -r mode over < <(syn_get 'pfx("'"$SYN_PFX"'")["mode"], pfx("'"$SYN_PFX"'")["override"]')
assert_eq "$over" False "override after syn mode config"
# Back to auto from on: on stays on until calm for hold_s (gwd's choice).
t1=$EPOCHREALTIME
wait_for 10 mode_is "$SYN_PFX" "$calm" || fail "$SYN_PFX stays $(mode_of "$SYN_PFX") after syn mode config"
echo "back to auto: mode $mode, then $calm after $(awk -v a="$t1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s"
gwctl syn mode "$SYN_PFX" off
assert_eq "$(syn_get 'pfx("'"$SYN_PFX"'")["mode"]')" off "the mode after syn mode off"
! gwctl syn mode 192.0.2.0/24 on 2>/dev/null || fail "syn mode accepted a prefix no customer protects"
! gwctl syn mode "$SYN_PFX" bogus 2>/dev/null || fail "syn mode accepted mode bogus"
gwctl syn mode "$SYN_PFX" config
pass "gwctl syn mode overrides a prefix's mode, config gives it back"

echo "-- block and allow"
blocked0=$(syn_get 'reason("drop-blocked")')
client_syns0=$(custa_syns client)
gwctl block add "$SYN_CLIENT"
CLIENT_TIMEOUT=3 client_get
((client_rc != 0)) || fail "the blocked client connected: $client_out"
blocked1=$(syn_get 'reason("drop-blocked")')
echo "drop-blocked $blocked0 -> $blocked1"
assert_ge "$((blocked1 - blocked0))" 1 "drop-blocked while the client is blocked"
assert_eq "$(custa_syns client)" "$client_syns0" "the blocked client's SYNs at custA"
gwctl block del "$SYN_CLIENT"
client_ok
assert_eq "$(syn_get 'reason("drop-blocked")')" "$blocked1" "drop-blocked after block del"

# A block for a while: dropped in XDP until it expires, then let back.
gwctl block add "$SYN_CLIENT" -t 3s
t0=$EPOCHREALTIME
CLIENT_TIMEOUT=1 client_get
((client_rc != 0)) || fail "the client connected through a block with -t 3s: $client_out"
assert_ge "$(syn_get 'reason("drop-blocked")')" $((blocked1 + 1)) "drop-blocked during block -t 3s"
expired() { CLIENT_TIMEOUT=1 client_get >/dev/null && ((client_rc == 0)); }
wait_for 10 expired || fail "the client is still blocked 10 s after a block -t 3s"
echo "block -t 3s: the client connects again $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s after it"
pass "a blocked source is dropped in XDP (drop-blocked), block del lets it back, a block -t expires"

allowed0=$(syn_get 'reason("pass-allowed")')
gwctl allow add "$SYN_CLIENT"
gwctl syn mode "$SYN_PFX" on
client_ok
allowed1=$(syn_get 'reason("pass-allowed")')
echo "pass-allowed $allowed0 -> $allowed1"
assert_ge "$((allowed1 - allowed0))" 1 "pass-allowed for the allowed client"
gwctl allow del "$SYN_CLIENT"
gwctl syn mode "$SYN_PFX" config
pass "an allowed source passes first (pass-allowed)"
