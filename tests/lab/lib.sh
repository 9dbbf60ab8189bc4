# shellcheck shell=bash
# Helpers for lab scenarios, which tests/lab/run runs as root on a kernel that
# has what gwd needs. Source it first thing:
#     . "${BASH_SOURCE%/*}/lib.sh"
# It turns on set -euo pipefail. Namespaces made with ns_add and processes
# started with spawn (or added to lab_pids) are removed on exit, however the
# scenario ends. Namespace names are global on the host tier: make them unique.
set -eEuo pipefail
# Say where set -e struck, as the failed command may not say who it is.
trap '((BASH_SUBSHELL)) || echo "FAIL: ${BASH_SOURCE##*/}:$LINENO: $BASH_COMMAND" >&2' ERR

lab_ns=()   # namespaces we created
lab_pids=() # background processes we started
lab_atexit=() # commands (strings, eval'd) run last, once the namespaces are gone

cleanup() {
	local pid ns
	for pid in "${lab_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${lab_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	for ns in "${lab_ns[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	for cmd in "${lab_atexit[@]}"; do eval "$cmd" || true; done
}
trap cleanup EXIT
trap 'exit 130' INT # so that the EXIT trap runs
trap 'exit 143' TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "PASS: $*"; }

# ns_add NAME: a namespace with lo up that forwards IPv4 and IPv6. No reverse
# path filter (tunnels and policy routing make paths asymmetric) and no IPv6
# duplicate address detection (addresses are usable at once).
ns_add() {
	ip netns add "$1"
	lab_ns+=("$1")
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw \
		net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# veth NS1 IF1 NS2 IF2: a veth pair from NS1 to NS2, both ends up.
veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# spawn CMD...: run CMD in the background until we exit.
spawn() {
	"$@" &
	lab_pids+=($!)
}

# wait_for TIMEOUT_S CMD...: poll until CMD succeeds; false after TIMEOUT_S.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || return 1
		sleep 0.1
	done
}

# link_counter NS IF rx|tx packets|bytes|dropped|errors: what ip -s link shows.
link_counter() {
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3_$4"
}

assert_eq() { [[ $1 == "$2" ]] || fail "$3: got '$1', want '$2'"; }
assert_ge() { (($1 >= $2)) || fail "$3: got $1, want at least $2"; }

# ping_ok NS ADDR [PING_ARGS...]: ADDR answers pings from NS.
ping_ok() {
	local ns=$1 addr=$2
	shift 2
	ip netns exec "$ns" ping -q -n -c 3 -i 0.2 -W 2 "$@" "$addr" >/dev/null ||
		fail "no answer to ping $addr from $ns"
}

# ping_fails NS ADDR [PING_ARGS...]: ADDR does not answer pings from NS.
ping_fails() {
	local ns=$1 addr=$2
	shift 2
	! ip netns exec "$ns" ping -q -n -c 1 -W 1 "$@" "$addr" >/dev/null 2>&1 ||
		fail "$addr answers pings from $ns, and should not"
}
