# shellcheck shell=bash
# strongSwan's charon for IPsec scenarios: any number of instances, one per
# NAME, each in a network namespace of its own choice.  Source after lib.sh
# and topo.sh.
#
#   charon_start NS NAME [SWANCTL_DIR]   start one, wait until vici answers
#   swanctl_at NAME COMMAND [ARGS...]    swanctl against that instance
#   charon_pid NAME / charon_stop NAME / charon_kill9 NAME
#   child_installed NAME CHILD           a CHILD_SA of that name is installed
#   swanctl_conf FILE [VARIANT...] / swanctl_psk FILE
#                                        the customers' tests/lab/swanctl/ files
#
# Each instance keeps its files under $LAB_DIR/charon-NAME/: strongswan.conf,
# the vici socket charon.vici, and swanctl/, its swanctl directory
# (swanctl.conf includes conf.d/*.conf, as Debian's does) unless SWANCTL_DIR
# names another.  It logs to $LAB_DIR/charon-NAME.log (IKE, CFG, CHD, KNL at
# level 2), its stdout and stderr go to $LAB_DIR/charon-NAME.out.
#
# charon writes its PID file to a compiled-in /run/charon.pid (no setting;
# a second charon that finds a live PID there exits): each instance runs in
# a mount namespace of its own with a tmpfs on /run.  Its vici socket is
# set in strongswan.conf; stroke, whose socket is in /run too, is not loaded.
# kernel-libipsec is never loaded: with Debian's extra plugins installed it
# would move ESP into user space (a TUN device) instead of the kernel's xfrm.
#
# CHARON_ROUTES=yes|no: yes is charon's default (routes into table 220 and
# an ip rule for it at priority 220, made at startup whatever the SAs), no
# sets install_routes = no and routing_table = 0 (neither routes nor the
# rule: gwd owns every route and rule in gw).  no by default in ns gw.

CHARON_BIN=${CHARON_BIN:-/usr/lib/ipsec/charon}
SWANCTL_CONFS=$PWD/tests/lab/swanctl
declare -A charon_pids charon_swanctl

charon_dir() { echo "$LAB_DIR/charon-$1"; }
charon_uri() { echo "unix://$LAB_DIR/charon-$1/charon.vici"; }

# charon_start NS NAME [SWANCTL_DIR]
charon_start() {
	local ns=$1 name=$2 dir routes
	if [[ ! -x $CHARON_BIN ]] || ! command -v swanctl >/dev/null; then
		fail "no charon or swanctl: install strongswan-charon and strongswan-swanctl"
	fi
	# AES-GCM and X25519, in the customers' proposals, come from the openssl
	# (and gcm) plugins; without them IKE fails with NO_PROPOSAL_CHOSEN.
	[[ -e /usr/lib/ipsec/plugins/libstrongswan-openssl.so ]] ||
		fail "charon has no openssl plugin: install libstrongswan-standard-plugins"
	dir=$(charon_dir "$name")
	charon_swanctl[$name]=${3:-$dir/swanctl}
	routes=${CHARON_ROUTES:-$([[ $ns == gw ]] && echo no || echo yes)}
	# The directories swanctl --load-all looks into, as Debian ships them.
	mkdir -p "$dir" "${charon_swanctl[$name]}"/{conf.d,x509,x509ca,x509ocsp,x509aa,x509ac,x509crl,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12}
	[[ -e ${charon_swanctl[$name]}/swanctl.conf ]] ||
		echo 'include conf.d/*.conf' >"${charon_swanctl[$name]}/swanctl.conf"
	cat >"$dir/strongswan.conf" <<CONF
# charon $name in netns $ns, for the lab
charon {
	load_modular = yes
	plugins {
		include /etc/strongswan.d/charon/*.conf
		kernel-libipsec {
			load = no
		}
		stroke {
			load = no
		}
		vici {
			socket = unix://$dir/charon.vici
		}
	}
	install_routes = $routes
$([[ $routes == yes ]] || printf '\trouting_table = 0\n')
	filelog {
		lab {
			path = $LAB_DIR/charon-$name.log
			time_format = %H:%M:%S
			ike_name = yes
			flush_line = yes
			default = 1
			ike = 2
			cfg = 2
			chd = 2
			knl = 2
		}
	}
	syslog {
		daemon {
			default = -1
		}
		auth {
			default = -1
		}
	}
}
# swanctl_at's swanctl: without a list it tries Debian's whole default set
# and says so on stderr for every plugin that is not installed.
swanctl {
	load = random pem pkcs1 pkcs8 x509 pubkey gmp openssl
}
CONF
	# shellcheck disable=SC2016 # $0 is for sh
	STRONGSWAN_CONF=$dir/strongswan.conf ip netns exec "$ns" \
		unshare -m --propagation private \
		sh -c 'mount -t tmpfs -o mode=755 charon-run /run && exec "$0"' "$CHARON_BIN" \
		>>"$LAB_DIR/charon-$name.out" 2>&1 </dev/null &
	charon_pids[$name]=$!
	lab_pids+=($!)
	# Up in 1.5 to 8 s in the VM tier, more with another VM beside it.
	local end=$((SECONDS + 60))
	until swanctl_at "$name" --stats >/dev/null 2>&1; do
		if ! kill -0 "${charon_pids[$name]}" 2>/dev/null || ((SECONDS >= end)); then
			tail -n 20 "$LAB_DIR/charon-$name.out" "$LAB_DIR/charon-$name.log" >&2 || true
			fail "charon $name in $ns did not answer on vici"
		fi
		sleep 0.1
	done
}

# charon_pid NAME: its PID, empty once stopped or killed.
charon_pid() { echo "${charon_pids[$1]-}"; }

# charon_stop NAME: SIGTERM; charon sends DELETE for its IKE_SAs and removes
# its SAs and policies from the kernel (in 0.2 s in the VM tier).
charon_stop() {
	kill -TERM "${charon_pids[$1]}" 2>/dev/null || true
	wait "${charon_pids[$1]}" 2>/dev/null || true
	unset "charon_pids[$1]"
}

# charon_kill9 NAME: a crash: nothing told to the peers, and the kernel keeps
# its SAs and policies: traffic goes on until the SAs' hard lifetime.
charon_kill9() {
	kill -KILL "${charon_pids[$1]}" 2>/dev/null || true
	wait "${charon_pids[$1]}" 2>/dev/null || true
	unset "charon_pids[$1]"
}

# swanctl_at NAME COMMAND [ARGS...]: swanctl on NAME's vici socket.  The load
# commands read NAME's swanctl.conf unless ARGS give a --file.
swanctl_at() {
	local name=$1 cmd=$2 a file=()
	shift 2
	case $cmd in
	--load-all | --load-conns | --load-creds | --load-pools | --load-authorities | -[qcsab])
		file=(--file "${charon_swanctl[$name]}/swanctl.conf") ;;
	esac
	for a; do [[ $a != --file && $a != -f ]] || file=(); done
	STRONGSWAN_CONF=$(charon_dir "$name")/strongswan.conf \
		swanctl "$cmd" --uri "$(charon_uri "$name")" "$@" "${file[@]}"
}

# swanctl_conf FILE [wrong-psk] [short-life]: a customer's swanctl.conf from
# tests/lab/swanctl/, on stdout, optionally with a wrong PSK (as the customer
# mistyped it) or short lifetimes (rekeys within a scenario's time).
swanctl_conf() {
	local conf=$1 sed=()
	shift
	for v; do
		case $v in
		wrong-psk) sed+=(-e 's/^\(\s*secret = "\)[^"]*"/\1not-the-psk-we-agreed-on"/') ;;
		short-life) sed+=(-e 's/^\(\s*\)rekey_time = 4h$/\1rekey_time = 30s/'
			-e 's/^\(\s*\)rekey_time = 1h$/\1rekey_time = 20s\n\1life_time = 30s\n\1rand_time = 5s/') ;;
		*) fail "swanctl_conf: what is $v" ;;
		esac
	done
	sed "${sed[@]}" -e '' "$SWANCTL_CONFS/$conf"
}

# swanctl_psk FILE: the PSK in a customer's swanctl.conf, for the gateway's side.
swanctl_psk() {
	sed -n 's/^\s*secret = "\([^"]*\)"/\1/p' "$SWANCTL_CONFS/$1"
}

# child_installed NAME CHILD: NAME has an installed CHILD_SA called CHILD.
child_installed() {
	swanctl_at "$1" --list-sas --raw 2>/dev/null |
		grep_q -E "name=$2 uniqueid=[0-9]+ reqid=[0-9]+ state=INSTALLED"
}

# ipsec_psk_files: the gateway's PSK files for sec1 and sec2 (mode 0600, as
# gwd demands), the PSKs custA's swanctl.conf files hold.
ipsec_psk_files() {
	local m
	for m in xfrm gre; do
		(umask 077 && swanctl_psk "custA-$m.conf" >"$LAB_DIR/psk-$m")
	done
}

# ipsec_config [PRIO_GRE1 PRIO_SEC1 PRIO_SEC2 [EXTRA_IKE]]: gwd's config with
# custA's plain GRE path gre1, its IPsec paths sec1 (xfrm mode, to
# 192.0.2.117) and sec2 (GRE over transport-mode ESP, to 192.0.2.118, key
# 218), its ip6gre path, and custB; gwd drives charon "gw".  EXTRA_IKE is
# added to both ike objects (e.g. '"child_rekey_s": 20,'), $SEC2_IKE to sec2's
# alone, and $MORE_CUSTOMERS (JSON objects, each followed by a comma) come
# first in the customers; $SEC1_MODE is sec1's mode (xfrm).
ipsec_config() {
	local pg=${1:-10} p1=${2:-20} p2=${3:-30} extra=${4:-}
	ipsec_psk_files
	cat >"$GWD_CONF" <<JSON
{
  "site": {
    "name": "lab",
    "underlay": { "v4": "198.51.100.1", "v6": "2001:db8:ffff::1" },
    "ingress": ["eth1"],
    "control_socket": "$GWD_SOCK",
    "vici_socket": "$(charon_dir gw)/charon.vici"
  },
  "defaults": {
    "probe": { "degraded_loss_pct": 0 }
  },
  "customers": [ ${MORE_CUSTOMERS:-}
    {
      "name": "custa", "id": 17,
      "prefixes": ["203.0.113.0/24", "2001:db8:17::/48"],
      "paths": [
        { "name": "gre1", "type": "gre", "remote": "192.0.2.17", "key": 17,
          "address": "10.17.1.1/30", "peer": "10.17.1.2", "priority": $pg },
        { "name": "sec1", "type": "ipsec", "mode": "${SEC1_MODE:-xfrm}", "remote": "192.0.2.117",
          "address": "10.17.2.1/30", "peer": "10.17.2.2", "priority": $p1,
          "ike": { $extra "psk_file": "$LAB_DIR/psk-xfrm",
                   "local_id": "gw.fra1.example", "remote_id": "cpe-a.example" } },
        { "name": "sec2", "type": "ipsec", "mode": "gre", "remote": "192.0.2.118",
          "key": 218, "address": "10.17.3.1/30", "peer": "10.17.3.2", "priority": $p2,
          "ike": { $extra ${SEC2_IKE:-} "psk_file": "$LAB_DIR/psk-gre",
                   "local_id": "gw.fra1.example", "remote_id": "cpe-a-gre.example" } },
        { "name": "gre6", "type": "gre", "remote": "2001:db8:ff17::17",
          "address": "fd17::1/64", "peer": "fd17::2", "priority": 10 }
      ]
    },
    {
      "name": "custb", "id": 18,
      "prefixes": ["198.51.100.128/25"],
      "paths": [
        { "name": "gre1", "type": "gre", "remote": "192.0.2.18", "key": 18,
          "address": "10.17.1.1/30", "peer": "10.17.1.2", "priority": 10 }
      ]
    }
  ]
}
JSON
}

# ipsec_lab [CUSTOMER_VARIANTS...]: the topology, custA's two IPsec paths
# (their swanctl.conf with the variants given), and the gateway's charon.
ipsec_lab() {
	topo_build
	topo_ipsec_custA xfrm "$@"
	topo_ipsec_custA gre "$@"
	charon_start gw gw
}

# sa_state PATH: gwd's view of custa's IPsec path ("up", "down", "unknown").
sa_state() {
	gwctl -j show paths | json "[p.get('ipsec_sa') for p in j if p['customer']=='custa' and p['path']=='$1'][0]"
}
sa_up() { [[ $(sa_state "$1") == up ]]; }

# xfrm_spis: the SPIs of every SA in gw's kernel, sorted: the data plane's truth.
xfrm_spis() { ip -n gw xfrm state | awk '$3 == "spi" { print $4 }' | sort | xargs; }

# sa_show PATH EXPR: EXPR of custa's PATH's first IKE_SA in gwctl -j show
# ipsec (s: the IKE_SA, c: its first CHILD_SA).
sa_show() {
	gwctl -j show ipsec custa | json "[(lambda s, c: $2)(s, s['child_sas'][0]) for s in j['sas'] if s['path'] == '$1' and s['child_sas']][0]"
}
ipsec_reason() { gwctl -j show ipsec custa | json "[p.get('reason', '') for p in j['paths'] if p['path'] == '$1'][0]"; }
path_transitions() { gwctl -j show paths | json "[p['transitions'] for p in j if p['customer'] == 'custa' and p['path'] == '$1'][0]"; }
