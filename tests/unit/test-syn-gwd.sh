#!/bin/bash
# The SYN fast path inside gwd (issue 6), end to end on the host kernel:
#
#   ns CL: eth0 100.64.1.1/24 --veth-- eth1 100.64.1.254/24 :ns GW
#          raw-socket packets               gwd: syn.bpf.o on eth1 (site.ingress),
#          from any source, a real          its AF_XDP worker on queue 0; a
#          TCP client                       listener on 198.51.100.130:80
#
# custa 203.0.113.0/24 in mode auto (on_pps 1000, off_pps 100, hold_s 2),
# custb 198.51.100.128/25 in mode on, fallback drop, the site's filter
# blocks 192.0.2.0/24 and allows 198.18.5.0/24.  Checked, each printed as
# "ok: ..." or "FAIL: ...":
#   1. gwctl show syn: attached, a worker on queue 0, the two prefixes;
#   2. verdicts of real packets (show syn's reason counters): blocked,
#      allowed, challenged (the client gets the cookie SYN-ACK), a real
#      connect() through the cookie handshake, the authenticated retry, a
#      forged ACK;
#   3. gwctl block/allow add and del reach the XDP maps;
#   4. mode auto turns on under a SYN burst and off after it;
#   5. gwctl syn mode: override, back to config, refusals;
#   6. SIGTERM and kill -9: the program stays, authenticated sources pass
#      while gwd is down, the next gwd adopts program, key, counters and
#      gwctl's overrides;
#   7. a reload without "syn" detaches, one with it attaches again;
#   8. a config block outlives a timed runtime entry of the same prefix,
#      a recreated ingress link gets the program back by itself, an
#      override goes with its fast path, a stalled gwd does not read the
#      stall's SYNs as a burst;
#   9. no sanitizer report in gwd's log.
# gwd's GRE/VRF applies fail on a kernel without them: expected here.
# Runs in a mount namespace of its own with a private bpffs bound on
# /sys/fs/bpf for gwd: the machine's /sys/fs/bpf is never touched.
# Root only (netns, BPF, AF_XDP), python3: otherwise SKIP (77).
# GWD_SYNTEST_KEEP=1 keeps the work directory (config, gwd's log).
set -u

skip() {
	echo
	echo "*** SKIP test-syn-gwd: $* ***"
	echo
	exit 77
}

[ "$(id -u)" -eq 0 ] || skip "needs root (netns, BPF, AF_XDP)"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || skip "needs python3"
command -v ip >/dev/null || skip "needs iproute2"
unshare -m true 2>/dev/null || skip "needs unshare -m (util-linux, CAP_SYS_ADMIN)"

# A mount namespace of our own: the bpffs below and the netns mounts go
# away with it.
if [ -z "${GWD_SYNTEST_INNER:-}" ]; then
	GWD_SYNTEST_INNER=1 exec unshare -m --propagation private "$0" "$@"
	skip "unshare -m failed"
fi

cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
GWD=$ROOT/gwd/gwd
GWCTL=$ROOT/gwd/gwctl
if [ ! -x "$GWD" ] || [ ! -x "$GWCTL" ] || [ ! -r "$ROOT/gwd/xdp/syn.bpf.o" ]; then
	echo "test-syn-gwd: gwd/gwd, gwd/gwctl or gwd/xdp/syn.bpf.o missing: run make first"
	exit 1
fi

T0=${EPOCHREALTIME/./}
T=$(mktemp -d /tmp/test-syn-gwd.XXXXXX)
GW=gwst-gw-$$
CL=gwst-cl-$$
SOCK=$T/gwd.sock
LOG=$T/gwd.log
CONF=$T/gwd.json
GWD_PID=
SRV_PID=
failures=0

cleanup() {
	[ -n "$GWD_PID" ] && kill -9 "$GWD_PID" 2>/dev/null && wait "$GWD_PID" 2>/dev/null
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	ip netns del "$GW" 2>/dev/null
	ip netns del "$CL" 2>/dev/null
	umount "$T/bpf" 2>/dev/null
	if [ -n "${GWD_SYNTEST_KEEP:-}" ]; then
		echo "test-syn-gwd: kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { echo "  ok: $*"; }
fail() { echo "  FAIL: $*"; failures=$((failures + 1)); }
check() {	# DESCRIPTION COMMAND...: ok when the command succeeds
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; return 1; fi
}
step() { echo "step $*"; }

# ---- packets: raw IPv4/TCP from the client namespace ---------------------
cat >"$T/pkt.py" <<'EOF'
import ctypes, fcntl, random, select, socket, struct, sys, time

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s & 0xffff) + (s >> 16)
    s += s >> 16
    return ~s & 0xffff

def tcp(src, dst, sport, dport, seq, ack, flags, opts=b''):
    off = (20 + len(opts)) // 4
    h = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, off << 4, flags, 64240, 0, 0) + opts
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(h))
    h = h[:16] + struct.pack('!H', csum(ph + h)) + h[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(h), random.getrandbits(16), 0x4000,
                     64, 6, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return ip + h

MSS = b'\x02\x04\x05\xb4'

def raw():
    return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)

def tx_off(ifname):
    # ethtool -K IF tx off: veth hands partial checksums to XDP otherwise
    ev = ctypes.create_string_buffer(struct.pack('II', 0x17, 0))	# ETHTOOL_STXCSUM
    ifr = struct.pack('16sP', ifname.encode(), ctypes.addressof(ev)) + b'\0' * 16
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s.fileno(), 0x8946, ifr)				# SIOCETHTOOL

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == 'txoff':
    tx_off(args[0])
elif cmd == 'syn':		# SRC DST DPORT [synack IFNAME]: a SYN; wait for its SYN-ACK
    src, dst, dport = args[0], args[1], int(args[2])
    sport, seq = random.randrange(20000, 60000), random.getrandbits(32)
    cap = None
    if len(args) > 3:
        cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
        cap.bind((args[4], 0))
    raw().sendto(tcp(src, dst, sport, dport, seq, 0, 0x02, MSS), (dst, 0))
    if not cap:
        sys.exit(0)
    end = time.time() + 2
    while time.time() < end:
        if not select.select([cap], [], [], max(0, end - time.time()))[0]:
            break
        f = cap.recv(2048)
        ip = f[14:]
        if len(ip) < 40 or ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        t = ip[ihl:]
        s_, d_ = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
        sp, dp, sq, ak, _, fl = struct.unpack('!HHIIBB', t[:14])
        if (s_, d_, sp, dp) == (dst, src, dport, sport) and fl & 0x12 == 0x12:
            if ak != (seq + 1) & 0xffffffff:
                print('SYN-ACK with ack %u, not ISN + 1 %u' % (ak, (seq + 1) & 0xffffffff))
                sys.exit(1)
            sys.exit(0)
    sys.exit(1)
elif cmd == 'ack':		# SRC DST DPORT: a pure ACK with a made-up cookie
    src, dst, dport = args[0], args[1], int(args[2])
    raw().sendto(tcp(src, dst, random.randrange(20000, 60000), dport, random.getrandbits(32),
                     random.getrandbits(32), 0x10), (dst, 0))
elif cmd == 'flood':		# DST DPORT PPS SECONDS: SYNs from random 10/8 sources
    dst, dport, pps, secs = args[0], int(args[1]), int(args[2]), float(args[3])
    r, n, t0 = raw(), 0, time.time()
    while True:
        now = time.time() - t0
        if now >= secs:
            break
        while n < now * pps:
            src = '10.%d.%d.%d' % (random.randrange(256), random.randrange(256), random.randrange(1, 255))
            r.sendto(tcp(src, dst, random.randrange(1024, 65535), dport, random.getrandbits(32), 0,
                         0x02, MSS), (dst, 0))
            n += 1
        time.sleep(0.002)
    print('%d SYNs in %.2f s' % (n, time.time() - t0))
elif cmd == 'connect':		# DST PORT: the first connection through the cookie handshake
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((args[0], int(args[1])))
    except ConnectionResetError:
        print('connect() reset before it returned (the handshake completed)')
        sys.exit(0)
    except Exception as e:
        print('connect() failed: %s' % e)
        sys.exit(1)
    print('connect() returned: the cookie SYN-ACK was taken')
    try:
        s.sendall(b'x')
        s.recv(10)
    except Exception:
        pass
elif cmd == 'echo':		# DST PORT: a whole connection, echoed
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((args[0], int(args[1])))
        s.sendall(b'hello\n')
        d = s.recv(100)
    except Exception as e:
        print('connection failed: %s' % e)
        sys.exit(1)
    sys.exit(0 if d == b'hello\n' else 1)
elif cmd == 'serve':		# ADDR PORT: an echo server (in the gw namespace)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args[0], int(args[1])))
    s.listen(64)
    while True:
        c, a = s.accept()
        c.settimeout(2)
        try:
            c.sendall(c.recv(100))
        except Exception:
            pass
        c.close()
elif cmd == 'json':		# EXPR: eval'd with d = the JSON on stdin
    d = json = __import__('json').load(sys.stdin)
    v = eval(args[0])
    print(str(v).lower() if isinstance(v, bool) else v)
EOF

pkt() { ip netns exec "$CL" "$PY" "$T/pkt.py" "$@"; }

# ---- gwd -----------------------------------------------------------------
write_conf() {	# with|without: "syn" for the site and the customers
	local site_syn=', "syn": { "fallback": "drop" }' a_syn b_syn
	a_syn='"syn": { "mode": "auto", "on_pps": 1000, "off_pps": 100, "hold_s": 2 },'
	b_syn='"syn": { "mode": "on" },'
	if [ "$1" = without ]; then
		site_syn= a_syn= b_syn=
	fi
	cat >"$CONF.new" <<EOF
{
  "site": { "name": "syntest", "underlay": { "v4": "198.51.100.1" }, "ingress": ["eth1"],
            "control_socket": "$SOCK"$site_syn,
            "filter": { "block": ["192.0.2.0/24"], "allow": ["198.18.5.0/24"] } },
  "customers": [
    { "name": "custa", "id": 17, "prefixes": ["203.0.113.0/24"], $a_syn
      "paths": [ { "name": "gre1", "type": "gre", "remote": "192.0.2.17", "key": 17,
          "address": "10.17.1.1/30", "peer": "10.17.1.2", "priority": 10 } ] },
    { "name": "custb", "id": 18, "prefixes": ["198.51.100.128/25"], $b_syn
      "paths": [ { "name": "gre1", "type": "gre", "remote": "192.0.2.18", "key": 18,
          "address": "10.17.1.1/30", "peer": "10.17.1.2", "priority": 10 } ] }
  ]
}
EOF
	mv "$CONF.new" "$CONF"
}

gwctl() { "$GWCTL" -s "$SOCK" "$@"; }
quiet() { "$@" >>"$T/gwctl.out" 2>&1; }
# gwctl reload: its exit status says the GRE/VRF applies failed (no such
# kernel here); that it reloaded, gwd's log says.
reload() {
	local n
	n=$(grep -c '^gwd: reloading' "$LOG")
	gwctl reload >>"$T/gwctl.out" 2>&1
	[ "$(grep -c '^gwd: reloading' "$LOG")" -gt "$n" ]
}

# `ip netns exec` mounts a fresh /sys: our bpffs goes onto its /sys/fs/bpf.
gwd_start() {
	echo "--- gwd start ($1)" >>"$LOG"
	ip netns exec "$GW" sh -c "mount --bind '$T/bpf' /sys/fs/bpf && exec '$GWD' -c '$CONF' -S '$T/state'" \
		>>"$LOG" 2>&1 &
	GWD_PID=$!
	for _ in $(seq 100); do
		if gwctl show syn >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$GWD_PID" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}

gwd_stop() {	# SIGNAL
	kill -"$1" "$GWD_PID"
	wait "$GWD_PID" 2>/dev/null
	GWD_PID=
}

SHOW=
show() { SHOW=$(gwctl -j show syn 2>&1); }
# q EXPR: a value of the last show (python, d is the JSON)
q() { printf '%s' "$SHOW" | "$PY" "$T/pkt.py" json "$1" 2>/dev/null; }
reason() { q "d['reasons']['$1']['packets']"; }
pfx() {	# PREFIX FIELD
	q "[p for p in d['prefixes'] if p['prefix'] == '$1'][0]['$2']"
}

# wait_for SECONDS COMMAND...: until the command succeeds (a fresh show
# before each try)
WAITED=
wait_for() {
	local start=${EPOCHREALTIME/./} limit=$1 now
	shift
	while :; do
		show
		now=${EPOCHREALTIME/./}
		WAITED=$(((now - start) / 100000))
		WAITED="$((WAITED / 10)).$((WAITED % 10)) s"
		"$@" && return 0
		[ "$now" -ge $((start + limit * 1000000)) ] && return 1
		sleep 0.1
	done
}
# reason_is NAME VALUE: show's counter equals VALUE
reason_is() { [ "$(reason "$1")" = "$2" ]; }
pfx_is() { [ "$(pfx "$1" "$2")" = "$3" ]; }

# ---- the namespaces ------------------------------------------------------
mkdir -p "$T/bpf" "$T/state"
mount -t bpf bpf "$T/bpf" || skip "cannot mount a bpffs"
if ! ip netns add "$GW" || ! ip netns add "$CL" ||
   ! ip -n "$GW" link add eth1 numtxqueues 1 numrxqueues 1 type veth \
	peer eth0 numtxqueues 1 numrxqueues 1 netns "$CL"; then
	skip "cannot create the namespaces and the veth pair"
fi
ip -n "$GW" link set lo up
ip -n "$CL" link set lo up
ip -n "$GW" addr add 100.64.1.254/24 dev eth1
ip -n "$CL" addr add 100.64.1.1/24 dev eth0
ip -n "$GW" addr add 198.51.100.1/32 dev lo
ip -n "$GW" addr add 198.51.100.130/32 dev lo
ip -n "$GW" link set eth1 up
ip -n "$CL" link set eth0 up
ip -n "$CL" route add 198.51.100.128/25 via 100.64.1.254
ip -n "$CL" route add 203.0.113.0/24 via 100.64.1.254
ip netns exec "$GW" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth1.rp_filter=0
pkt txoff eth0 && ip netns exec "$GW" "$PY" "$T/pkt.py" txoff eth1 ||
	skip "cannot turn tx checksum offload off on veth"
ip netns exec "$GW" "$PY" "$T/pkt.py" serve 198.51.100.130 80 &
SRV_PID=$!

# ---- 1. start --------------------------------------------------------------
step "1: gwd starts with the SYN fast path"
write_conf with
if ! gwd_start first; then
	fail "gwd answers gwctl show syn"
	tail -30 "$LOG"
	exit 1
fi
show
check "eth1 attached (\"how\":\"attached\")" \
	[ "$(q "[(a['interface'], a['how']) for a in d['attached']]")" = "[('eth1', 'attached')]" ]
PROG_ID=$(q "d['attached'][0]['prog_id']")
KEYGEN=$(q "d['key_generation']")
check "a worker on eth1 queue 0 without an error" \
	[ "$(q "[(w['interface'], w['queue'], 'error' in w) for w in d['workers']]")" = "[('eth1', 0, False)]" ]
check "custa 203.0.113.0/24: configured auto, mode monitor (auto off)" \
	[ "$(pfx 203.0.113.0/24 configured)/$(pfx 203.0.113.0/24 mode)" = auto/monitor ]
check "custb 198.51.100.128/25: configured on, mode on" \
	[ "$(pfx 198.51.100.128/25 configured)/$(pfx 198.51.100.128/25 mode)" = on/on ]
check "two protected prefixes, fallback drop" \
	[ "$(q "len(d['prefixes'])")/$(q "d['fallback']")" = 2/drop ]
check "ip link shows an XDP program on eth1" \
	sh -c "ip -n '$GW' -d link show eth1 | grep -q xdp"
OUT=$(gwctl show syn 2>&1)
check "gwctl show syn (the table) names both prefixes" \
	test "${OUT/203.0.113.0\/24/}" != "$OUT" -a "${OUT/198.51.100.128\/25/}" != "$OUT"

# ---- 2. verdicts -----------------------------------------------------------
step "2: verdicts of real packets"
B=$(reason drop-blocked)
pkt syn 192.0.2.5 198.51.100.130 80
check "a SYN from blocked 192.0.2.5: drop-blocked $B -> $((B + 1))" \
	wait_for 2 reason_is drop-blocked $((B + 1))

A=$(reason pass-allowed)
pkt syn 198.18.5.5 198.51.100.130 80
check "a SYN from allowed 198.18.5.5: pass-allowed $A -> $((A + 1))" \
	wait_for 2 reason_is pass-allowed $((A + 1))

R=$(reason redirect-xsk)
S=$(q "d['workers'][0]['synacks']")
CH=$(pfx 198.51.100.128/25 challenged)
check "a SYN from 100.64.1.1 to 198.51.100.130:80: the client gets a SYN-ACK (ack ISN + 1)" \
	pkt syn 100.64.1.1 198.51.100.130 80 synack eth0
check "... redirect-xsk $R -> $((R + 1))" wait_for 2 reason_is redirect-xsk $((R + 1))
check "... the worker's synacks $S -> $((S + 1))" \
	[ "$(q "d['workers'][0]['synacks']")" = $((S + 1)) ]
check "... custb challenged $CH -> $((CH + 1))" pfx_is 198.51.100.128/25 challenged $((CH + 1))

PA=$(reason pass-ack)
CV=$(pfx 198.51.100.128/25 cookies_valid)
R=$(reason redirect-xsk)
OUT=$(pkt connect 198.51.100.130 80)
RC=$?
check "a real connect() from 100.64.1.1 to 198.51.100.130:80 completes the cookie handshake ($OUT)" \
	[ $RC -eq 0 ]
check "... its SYN went to the worker (redirect-xsk $R -> $((R + 1)))" \
	wait_for 2 reason_is redirect-xsk $((R + 1))
check "... its ACK authenticated 100.64.1.1 (pass-ack $PA -> $((PA + 1)))" \
	wait_for 2 reason_is pass-ack $((PA + 1))
check "... custb cookies_valid $CV -> $((CV + 1))" pfx_is 198.51.100.128/25 cookies_valid $((CV + 1))

PAU=$(reason pass-authenticated)
AU=$(pfx 198.51.100.128/25 authenticated)
R=$(reason redirect-xsk)
check "its next connection reaches the server (an echo)" pkt echo 198.51.100.130 80
check "... its SYN passed as authenticated (pass-authenticated $PAU -> $((PAU + 1)))" \
	wait_for 2 reason_is pass-authenticated $((PAU + 1))
check "... custb authenticated $AU -> $((AU + 1)), redirect-xsk still $R" \
	[ "$(pfx 198.51.100.128/25 authenticated)/$(reason redirect-xsk)" = "$((AU + 1))/$R" ]

BC=$(reason drop-bad-cookie)
CB=$(pfx 198.51.100.128/25 cookies_bad)
PA=$(reason pass-ack)
pkt ack 100.64.3.3 198.51.100.130 80
check "a forged ACK from 100.64.3.3: drop-bad-cookie $BC -> $((BC + 1))" \
	wait_for 2 reason_is drop-bad-cookie $((BC + 1))
check "... custb cookies_bad $CB -> $((CB + 1)), pass-ack still $PA" \
	[ "$(pfx 198.51.100.128/25 cookies_bad)/$(reason pass-ack)" = "$((CB + 1))/$PA" ]

# ---- 3. runtime block and allow entries ------------------------------------
step "3: gwctl block and allow"
check "gwctl block add 100.64.9.9" quiet gwctl block add 100.64.9.9
show
B=$(reason drop-blocked)
pkt syn 100.64.9.9 198.51.100.130 80
check "a SYN from 100.64.9.9: drop-blocked $B -> $((B + 1))" \
	wait_for 2 reason_is drop-blocked $((B + 1))
check "gwctl block del 100.64.9.9" quiet gwctl block del 100.64.9.9
show
B=$(reason drop-blocked)
R=$(reason redirect-xsk)
pkt syn 100.64.9.9 198.51.100.130 80
check "a SYN from 100.64.9.9: challenged now (redirect-xsk $R -> $((R + 1)))" \
	wait_for 2 reason_is redirect-xsk $((R + 1))
check "... drop-blocked still $B" reason_is drop-blocked "$B"

check "gwctl block add 100.64.9.11 -t 2s" quiet gwctl block add 100.64.9.11 -t 2s
show
B=$(reason drop-blocked)
pkt syn 100.64.9.11 198.51.100.130 80
check "a SYN from 100.64.9.11: drop-blocked $B -> $((B + 1)) (for 2 s: checked again after step 4)" \
	wait_for 2 reason_is drop-blocked $((B + 1))
BLOCKED_AT=${EPOCHREALTIME/./}
check "gwctl block add 100.64.9.12 (kept: checked after the restarts)" \
	quiet gwctl block add 100.64.9.12

check "gwctl allow add 100.64.9.10" quiet gwctl allow add 100.64.9.10
show
A=$(reason pass-allowed)
R=$(reason redirect-xsk)
pkt syn 100.64.9.10 198.51.100.130 80
check "a SYN from 100.64.9.10 to custb (mode on): pass-allowed $A -> $((A + 1))" \
	wait_for 2 reason_is pass-allowed $((A + 1))
check "... not challenged (redirect-xsk still $R)" reason_is redirect-xsk "$R"
check "gwctl allow del 100.64.9.10" quiet gwctl allow del 100.64.9.10
show
A=$(reason pass-allowed)
R=$(reason redirect-xsk)
pkt syn 100.64.9.10 198.51.100.130 80
check "a SYN from 100.64.9.10: challenged again (redirect-xsk $R -> $((R + 1)))" \
	wait_for 2 reason_is redirect-xsk $((R + 1))
check "... pass-allowed still $A" reason_is pass-allowed "$A"

# ---- 4. mode auto ----------------------------------------------------------
step "4: mode auto under a SYN burst"
pkt flood 203.0.113.10 80 3000 1.5 >"$T/flood.out" 2>&1 &
FLOOD=$!
ON_SEEN=false
check "3000 SYN/s to 203.0.113.10: custa's prefix in mode on within 2 s" \
	wait_for 2 pfx_is 203.0.113.0/24 mode on && ON_SEEN=true && echo "  (after $WAITED)"
PPS=$(pfx 203.0.113.0/24 syn_pps)
check "... show syn's syn_pps for it at 1000 or more ($PPS)" [ "${PPS:-0}" -ge 1000 ]
wait "$FLOOD"
show
echo "  (burst: $(cat "$T/flood.out"); custa's syns $(pfx 203.0.113.0/24 syns))"
check "... gwd's log says \"auto turned on\"" \
	grep -q 'custa 203.0.113.0/24: auto turned on' "$LOG"
check "after the burst, back to monitor within hold_s + 2 s$($ON_SEEN || echo ": it never turned on")" \
	eval '$ON_SEEN && wait_for 4 pfx_is 203.0.113.0/24 mode monitor' && echo "  (after $WAITED)"
check "... gwd's log says \"auto turned off\"" \
	grep -q 'custa 203.0.113.0/24: auto turned off' "$LOG"

while [ $((${EPOCHREALTIME/./} - BLOCKED_AT)) -lt 2500000 ]; do sleep 0.1; done
show
B=$(reason drop-blocked)
R=$(reason redirect-xsk)
pkt syn 100.64.9.11 198.51.100.130 80
check "100.64.9.11's 2 s block expired: its SYN is challenged (redirect-xsk $R -> $((R + 1)))" \
	wait_for 2 reason_is redirect-xsk $((R + 1))
check "... drop-blocked still $B" reason_is drop-blocked "$B"

# ---- 5. overrides ----------------------------------------------------------
step "5: gwctl syn mode"
check "gwctl syn mode 203.0.113.0/24 on" quiet gwctl syn mode 203.0.113.0/24 on
show
check "... mode on, override true" \
	[ "$(pfx 203.0.113.0/24 mode)/$(pfx 203.0.113.0/24 override)" = on/true ]
check "gwctl syn mode 203.0.113.0/24 config" quiet gwctl syn mode 203.0.113.0/24 config
show
check "... override false, configured auto" \
	[ "$(pfx 203.0.113.0/24 override)/$(pfx 203.0.113.0/24 configured)" = false/auto ]
check "... mode monitor again within hold_s + 2 s (auto: on stays on until calm)" \
	wait_for 4 pfx_is 203.0.113.0/24 mode monitor
OUT=$(gwctl syn mode 198.51.100.128/25 auto 2>&1)
RC=$?
check "gwctl syn mode 198.51.100.128/25 auto fails naming custb ($OUT)" \
	test $RC -ne 0 -a "${OUT/custb/}" != "$OUT"
show
check "... custb still on, no override" \
	[ "$(pfx 198.51.100.128/25 mode)/$(pfx 198.51.100.128/25 override)" = on/false ]
OUT=$(gwctl syn mode 10.0.0.0/8 on 2>&1)
RC=$?
check "gwctl syn mode 10.0.0.0/8 on fails ($OUT)" [ $RC -ne 0 ]
OUT=$(gwctl syn mode 203.0.113.0/24 sideways 2>&1)
RC=$?
check "gwctl syn mode 203.0.113.0/24 sideways fails ($OUT)" [ $RC -ne 0 ]

# ---- 6. restarts -----------------------------------------------------------
# restart SIGNAL: gwd stopped by SIGNAL, packets while it is down, started
# again; the program, the key and the counters adopted.
restart() {
	local sig=$1 pau fd syns ch modes db
	show
	modes=$(pfx 203.0.113.0/24 mode)/$(pfx 198.51.100.128/25 mode)
	db=$(reason drop-blocked)
	pau=$(reason pass-authenticated)
	fd=$(reason fallback-drop)
	syns=$(pfx 198.51.100.128/25 syns)
	ch=$(pfx 198.51.100.128/25 challenged)
	gwd_stop "$sig"
	check "gwd stopped (SIG$sig): eth1 still has its XDP program" \
		sh -c "ip -n '$GW' -d link show eth1 | grep -q xdp"
	pkt syn 100.64.1.1 198.51.100.130 80
	pkt syn 100.64.7.7 198.51.100.130 80
	pkt syn 100.64.9.12 198.51.100.130 80
	sleep 0.2
	if ! gwd_start "after SIG$sig"; then
		fail "gwd starts again after SIG$sig"
		tail -20 "$LOG"
		return
	fi
	show
	check "restarted: eth1 \"how\":\"adopted\", prog_id $PROG_ID as before" \
		[ "$(q "[(a['interface'], a['how'], a['prog_id']) for a in d['attached']]")" = "[('eth1', 'adopted', $PROG_ID)]" ]
	check "... key_generation $KEYGEN as before (the key adopted)" \
		[ "$(q "d['key_generation']")" = "$KEYGEN" ]
	check "... a worker on queue 0 again" \
		[ "$(q "[(w['queue'], 'error' in w) for w in d['workers']]")" = "[(0, False)]" ]
	check "... while gwd was down, 100.64.1.1's SYN passed (pass-authenticated $pau -> $((pau + 1)))" \
		reason_is pass-authenticated $((pau + 1))
	check "... and 100.64.7.7's took the fallback (fallback-drop $fd -> $((fd + 1)))" \
		reason_is fallback-drop $((fd + 1))
	check "... custb's counters went on (syns $syns -> $(pfx 198.51.100.128/25 syns), challenged $ch)" \
		[ "$(pfx 198.51.100.128/25 syns)/$(pfx 198.51.100.128/25 challenged)" = "$((syns + 2))/$ch" ]
	check "... the prefixes' modes as before ($modes)" \
		[ "$(pfx 203.0.113.0/24 mode)/$(pfx 198.51.100.128/25 mode)" = "$modes" ]
	check "... 100.64.9.12 (gwctl block add) was blocked while gwd was down ($db -> $((db + 1)))" \
		reason_is drop-blocked $((db + 1))
	pkt syn 100.64.9.12 198.51.100.130 80
	check "... and still is: gwd adopted the runtime entry ($((db + 1)) -> $((db + 2)))" \
		wait_for 2 reason_is drop-blocked $((db + 2))
}
step "6: restarts"
restart TERM
restart KILL
# A prefix gwctl turned off keeps its counter slot too, and the override
# outlives the restart (syn-modes.json in the state directory).
check "gwctl syn mode 198.51.100.128/25 off" quiet gwctl syn mode 198.51.100.128/25 off
show
SY=$(pfx 198.51.100.128/25 syns)
CH=$(pfx 198.51.100.128/25 challenged)
check "... custb mode off (override)" pfx_is 198.51.100.128/25 mode off
gwd_stop TERM
if gwd_start "after syn mode off"; then
	show
	check "restarted: custb still off, the override kept" \
		[ "$(pfx 198.51.100.128/25 mode)/$(pfx 198.51.100.128/25 override)" = off/true ]
	check "... its counters kept (syns $SY -> $(pfx 198.51.100.128/25 syns), challenged $CH -> $(pfx 198.51.100.128/25 challenged))" \
		[ "$(pfx 198.51.100.128/25 syns)/$(pfx 198.51.100.128/25 challenged)" = "$SY/$CH" ]
	check "gwctl syn mode 198.51.100.128/25 config" quiet gwctl syn mode 198.51.100.128/25 config
	show
	check "... custb on again, no override" \
		[ "$(pfx 198.51.100.128/25 mode)/$(pfx 198.51.100.128/25 override)" = on/false ]
else
	fail "gwd starts again after syn mode off"
fi
R=$(reason redirect-xsk)
check "the new worker answers: a SYN from 100.64.7.7 gets its SYN-ACK" \
	pkt syn 100.64.7.7 198.51.100.130 80 synack eth0
check "... redirect-xsk $R -> $((R + 1))" wait_for 2 reason_is redirect-xsk $((R + 1))

# ---- 7. reload -------------------------------------------------------------
step "7: reload without and with \"syn\""
write_conf without
check "gwctl reload (no \"syn\"; the GRE/VRF applies fail here)" reload
check "eth1 has no XDP program any more" \
	sh -c "! ip -n '$GW' -d link show eth1 | grep -q xdp"
OUT=$(gwctl show syn 2>&1)
RC=$?
check "gwctl show syn fails: not configured ($OUT)" \
	test $RC -ne 0 -a "${OUT/not configured/}" != "$OUT"
write_conf with
check "gwctl reload (\"syn\" back)" reload
show
check "eth1 attached again (\"how\":\"attached\")" \
	[ "$(q "[(a['interface'], a['how']) for a in d['attached']]")" = "[('eth1', 'attached')]" ]
check "... ip link shows it" sh -c "ip -n '$GW' -d link show eth1 | grep -q xdp"
check "... a worker on queue 0 without an error" \
	[ "$(q "[(w['queue'], 'error' in w) for w in d['workers']]")" = "[(0, False)]" ]
R=$(reason redirect-xsk)
check "... a SYN from 100.64.8.8 gets its cookie SYN-ACK" \
	pkt syn 100.64.8.8 198.51.100.130 80 synack eth0

# ---- 8. what a review found --------------------------------------------------
step "8: changes under gwd, and what must not come back"
# A config block and a timed runtime entry of the same prefix: the config's
# stays when the other expires.
B=$(reason drop-blocked)
quiet gwctl block add 192.0.2.0/24 -t 1
sleep 1.5
pkt syn 192.0.2.5 198.51.100.130 80
check "config block 192.0.2.0/24 outlives a 1 s runtime entry of it (drop-blocked $B -> $((B + 1)))" \
	wait_for 2 reason_is drop-blocked $((B + 1))
# The ingress link recreated: gwd attaches again by itself.
OLD_ID=$(q "d['attached'][0]['prog_id']")
ip -n "$GW" link del eth1
ip -n "$GW" link add eth1 numtxqueues 1 numrxqueues 1 type veth peer eth0 \
	numtxqueues 1 numrxqueues 1 netns "$CL"
ip -n "$GW" addr add 100.64.1.254/24 dev eth1
ip -n "$CL" addr add 100.64.1.1/24 dev eth0
ip -n "$GW" link set eth1 up
ip -n "$CL" link set eth0 up
ip -n "$CL" route add 198.51.100.128/25 via 100.64.1.254
pkt txoff eth0 && ip netns exec "$GW" "$PY" "$T/pkt.py" txoff eth1
check "eth1 recreated: gwd puts the program back within 3 s" \
	wait_for 3 sh -c "ip -n '$GW' -d link show eth1 | grep -q xdp"
show
check "... and a worker on it answers (a SYN from 100.64.8.9 gets its SYN-ACK)" \
	pkt syn 100.64.8.9 198.51.100.130 80 synack eth0
# An override does not survive its fast path's removal.
check "gwctl syn mode 198.51.100.128/25 off" quiet gwctl syn mode 198.51.100.128/25 off
write_conf without
check "reload without \"syn\"" reload
write_conf with
check "reload with \"syn\" again" reload
show
check "... custb on, its override gone with the fast path" \
	[ "$(pfx 198.51.100.128/25 mode)/$(pfx 198.51.100.128/25 override)" = on/false ]
# A stalled gwd must not read the stall's SYNs as a burst: 600 SYN/s
# (below on_pps 1000) while gwd is stopped for 2 s.
ONS=$(grep -c 'custa 203.0.113.0/24: auto turned on' "$LOG")
pkt flood 203.0.113.10 80 600 4 >/dev/null 2>&1 &
FLOOD=$!
sleep 1
kill -STOP "$GWD_PID"
sleep 2
kill -CONT "$GWD_PID"
wait "$FLOOD"
check "600 SYN/s across a 2 s stall of gwd: auto stays off" \
	[ "$(grep -c 'custa 203.0.113.0/24: auto turned on' "$LOG")" = "$ONS" ]

# ---- 9. the log ------------------------------------------------------------
step "9: gwd's log"
gwd_stop TERM
check "no \"Sanitizer\" or \"runtime error\" in gwd's log" \
	sh -c "! grep -E 'Sanitizer|runtime error' '$LOG'"
if [ $failures -ne 0 ]; then
	echo "--- gwd's log (its SYN fast path, starts and stops):"
	grep -E '^(gwd: (syn|site|filter|SIG|reloading)|---)|Sanitizer|runtime error' "$LOG" | tail -40
fi

T1=$(((${EPOCHREALTIME/./} - T0) / 100000))
echo "test-syn-gwd: $([ $failures -eq 0 ] && echo passed || echo "FAILED ($failures checks)")" \
	"in $((T1 / 10)).$((T1 % 10)) s"
[ $failures -eq 0 ]
