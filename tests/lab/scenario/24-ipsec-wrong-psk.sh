#!/bin/bash
# The customer typed the wrong PSK: the IPsec paths stay down, traffic stays
# on the plain GRE path, and gwctl show ipsec says why in charon's words;
# gwd keeps trying with backoff, not in a tight loop.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../ipsec.sh"

ipsec_lab wrong-psk
ipsec_config 30 10 20
gwd_start
auth_failed() { ipsec_reason sec1 | grep_q AUTHENTICATION_FAILED; }
wait_for 30 auth_failed || { gwctl show ipsec; fail "show ipsec does not say why sec1 is down"; }
gwctl show ipsec
sleep 10
for p in sec1 sec2; do
	assert_eq "$(sa_state $p)" down "$p's SA"
	assert_eq "$(path_show custa $p 'p["state"]')" down "$p's state"
done
on_path gre1 || fail "traffic is not on gre1: $(route_a)"
ping_ok inet "$SERVER_A" || fail "custA unreachable"
tries=$(grep -c "sec1.*initiating IKE_SA" "$LAB_DIR/charon-gw.log" || true)
echo "charon started $tries IKE_SAs for sec1 in about 15 s"
((tries >= 2 && tries <= 8)) || fail "$tries attempts: not a backoff"

# The customer fixes the PSK: the paths come up without anyone touching gwd.
topo_ipsec_custA xfrm
wait_for 40 sa_up sec1 || { gwctl show ipsec; fail "sec1 did not come up with the right PSK"; }
wait_for 20 on_path sec1 || fail "traffic did not move to sec1"
pass "a wrong PSK keeps the path down and says so"
