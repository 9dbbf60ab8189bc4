#!/bin/bash
# Reloads and SAs: adding a customer leaves custA's SAs alone (same SPIs,
# same IKE_SAs); changing sec2's ESP proposals negotiates sec2 again and
# leaves sec1 alone; removing sec2 unloads its connection from charon.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../ipsec.sh"

ipsec_lab
ipsec_config 30 10 20
gwd_start
wait_for 30 sa_up sec1 || { gwctl show ipsec; fail "sec1's SA is not up"; }
wait_for 30 sa_up sec2 || { gwctl show ipsec; fail "sec2's SA is not up"; }
spis=$(xfrm_spis) ike1=$(sa_show sec1 's["uniqueid"]') ike2=$(sa_show sec2 's["uniqueid"]')

MORE_CUSTOMERS='{ "name": "custc", "id": 19, "prefixes": ["198.18.77.0/24"],
  "paths": [ { "name": "gre1", "type": "gre", "remote": "192.0.2.19",
               "address": "10.19.1.1/30", "peer": "10.19.1.2" } ] },' ipsec_config 30 10 20
gwctl reload
sleep 5
assert_eq "$(xfrm_spis)" "$spis" "SPIs after adding a customer"
assert_eq "$(sa_show sec1 's["uniqueid"]') $(sa_show sec2 's["uniqueid"]')" "$ike1 $ike2" \
	"IKE_SAs after adding a customer"

sec1=$(sa_show sec1 'c["spi_in"]')
SEC2_IKE='"esp_proposals": ["aes128gcm16-x25519", "aes256gcm16-x25519"],' ipsec_config 30 10 20
gwctl reload
renegotiated() { sa_up sec2 && [[ $(sa_show sec2 's["uniqueid"]') != "$ike2" ]]; }
wait_for 30 renegotiated || { gwctl show ipsec; fail "sec2 was not negotiated again"; }
assert_eq "$(sa_show sec1 's["uniqueid"]') $(sa_show sec1 'c["spi_in"]')" "$ike1 $sec1" \
	"sec1's IKE_SA and SPI after changing sec2"

python3 - "$GWD_CONF" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
for cu in c["customers"]:
    cu["paths"] = [p for p in cu["paths"] if p["name"] != "sec2"]
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
gwctl reload
gone() { ! swanctl_at gw --list-conns | grep_q gw17-sec2; }
wait_for 10 gone || fail "charon still has gw17-sec2"
assert_eq "$(sa_show sec1 's["uniqueid"]')" "$ike1" "sec1's IKE_SA after removing sec2"
pass "reloads touch only the SAs of what changed"
