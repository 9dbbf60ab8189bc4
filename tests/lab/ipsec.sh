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
