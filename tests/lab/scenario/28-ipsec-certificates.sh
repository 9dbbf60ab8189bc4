#!/bin/bash
# X.509 instead of a PSK: a lab CA signs the gateway's and custA's
# certificates; gwd loads its key (load-key) and hands charon its
# certificate and the CA with the connection.  The path comes up and
# delivers; a customer certificate from another CA is refused, and says so.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../topo.sh"
. "${BASH_SOURCE%/*}/../ipsec.sh"

pki=$LAB_DIR/pki
mkdir -p "$pki"
# cert NAME CA SUBJECT_ALT_NAME: an EC key and a certificate signed by CA.
cert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/$1.key" \
		-out "$pki/$1.csr" -subj "/O=lab/CN=$3" 2>/dev/null
	openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$2.pem" -CAkey "$pki/$2.key" \
		-CAcreateserial -days 30 -out "$pki/$1.pem" \
		-extfile <(printf 'subjectAltName=DNS:%s\n' "$3") 2>/dev/null
	chmod 600 "$pki/$1.key"
}
for ca in ca other-ca; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$pki/$ca.key" -out "$pki/$ca.pem" -subj "/O=lab/CN=$ca" 2>/dev/null
done
cert gw ca gw.fra1.example
cert cpe ca cpe-a.example
cert rogue other-ca cpe-a.example

# custA as a customer sets it up, with its certificate in swanctl's directories.
topo_build
topo_ipsec_underlay
charon_start custA custA
ip -n custA link add ipsec0 type xfrm dev wan if_id 42
ip -n custA addr add 10.17.2.2/30 dev ipsec0
ip -n custA link set ipsec0 up
customer_cert() {	# NAME: custA presents NAME's certificate
	local d=${charon_swanctl[custA]}
	cp "$pki/$1.pem" "$d/x509/cpe.pem"
	cp "$pki/$1.key" "$d/private/cpe.key"
	cp "$pki/ca.pem" "$d/x509ca/ca.pem"
	cp "$SWANCTL_CONFS/custA-pubkey.conf" "$d/conf.d/pubkey.conf"
	swanctl_at custA --load-all >>"$LAB_DIR/swanctl-custA.out" 2>&1 ||
		{ cat "$LAB_DIR/swanctl-custA.out" >&2; fail "custA's swanctl --load-all"; }
}
customer_cert cpe
charon_start gw gw

cat >"$GWD_CONF" <<JSON
{
  "site": {
    "name": "lab",
    "underlay": { "v4": "198.51.100.1", "v6": "2001:db8:ffff::1" },
    "ingress": ["eth1"],
    "control_socket": "$GWD_SOCK",
    "vici_socket": "$(charon_dir gw)/charon.vici"
  },
  "defaults": { "probe": { "degraded_loss_pct": 0 } },
  "customers": [
    {
      "name": "custa", "id": 17,
      "prefixes": ["203.0.113.0/24", "2001:db8:17::/48"],
      "paths": [
        { "name": "gre1", "type": "gre", "remote": "192.0.2.17", "key": 17,
          "address": "10.17.1.1/30", "peer": "10.17.1.2", "priority": 30 },
        { "name": "sec1", "type": "ipsec", "remote": "192.0.2.117",
          "address": "10.17.2.1/30", "peer": "10.17.2.2", "priority": 10,
          "ike": { "auth": "pubkey", "cert": "$pki/gw.pem", "key": "$pki/gw.key",
                   "ca": "$pki/ca.pem", "local_id": "gw.fra1.example",
                   "remote_id": "cpe-a.example" } },
        { "name": "gre6", "type": "gre", "remote": "2001:db8:ff17::17",
          "address": "fd17::1/64", "peer": "fd17::2", "priority": 10 }
      ]
    }
  ]
}
JSON
gwd_start
wait_for 30 sa_up sec1 || { gwctl show ipsec; fail "sec1's SA is not up"; }
wait_for 30 on_path sec1 || { gwctl show paths; fail "traffic is not on sec1: $(route_a)"; }
ping_n inet "$SERVER_A" 100
tcp_ok custA "$SERVER_A"
assert_eq "$(sa_show sec1 's["remote_id"]')" cpe-a.example "the customer's identity"
gwctl show ipsec custa
! grep_q -F "$(sed -n 2p "$pki/gw.key")" "$GWD_LOG" || fail "gwd's log holds its private key"

# A certificate for the right name from a CA the gateway does not trust.
customer_cert rogue
swanctl_at gw --terminate --ike gw17-sec1 >/dev/null 2>&1 || true
refused() { ! sa_up sec1 && ipsec_reason sec1 | grep_q -i "constraint\|trusted\|AUTHENTICATION_FAILED\|fail"; }
wait_for 40 refused || { gwctl show ipsec; fail "a certificate from another CA was not refused"; }
echo "refused: $(ipsec_reason sec1)"
wait_for 10 on_path gre1 || fail "traffic did not leave sec1: $(route_a)"
pass "certificates authenticate an IPsec path; another CA's are refused"
