// SPDX-License-Identifier: GPL-2.0
/*
 * The SYN fast path end to end on veth, with a real Linux TCP client:
 *
 *   ns cli (c0 10.99.1.2, .3 too) --veth-- g0 ns gw g1 --veth-- ns srv (s0 10.99.0.10)
 *                                     syn.bpf.o on g0 (native, else generic)
 *                                     the AF_XDP worker on g0's queue 0
 *
 * 10.99.0.0/24 is in mode on.  The steps, each printed:
 *   1. the client's first connect(): its SYN goes to the worker, which answers
 *      with a cookie SYN-ACK; the server never sees the SYN; the client's ACK
 *      carries the cookie, authenticates 10.99.1.2 (syn_auth) and passes; the
 *      server resets it (no such connection);
 *   2. a spoofed SYN flood from random sources and, at the same time, the
 *      client's retry: its SYN passes as authenticated, it talks to the
 *      server (an echo); the flood's SYNs all go to the worker, none reaches
 *      the server;
 *   3. a forged ACK (raw socket, 10.99.1.3, a made-up cookie) is dropped
 *      (drop-bad-cookie) and never reaches the server;
 *   4. IPv6 (fd99::/64 in mode on): the client's stack takes the worker's
 *      v6 SYN-ACK (checksum right), its ACK authenticates fd99:1::2.
 * Root only (netns, BPF, AF_XDP): otherwise SKIP (77).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/wait.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "gwd/xdp/fastpath.h"
#include "gwd/xdp/syn-shared.h"
#include "tests/shell.h"

static char ns_cli[32], ns_gw[32], ns_srv[32];
static struct fastpath *fp;
static int m_stats, m_auth, ncpus, failures;
static pid_t server_pid;

#define CHECK(cond, ...) do {						\
	printf("  %s: ", (cond) ? "ok" : "FAIL");			\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!(cond))							\
		failures++;						\
} while (0)

static void cleanup(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = 0;
	}
	shell("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null",
	   ns_cli, ns_gw, ns_srv);
}

static int enter_ns(const char *name)
{
	char path[128];
	int fd, rc;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return rc;
}

static uint64_t reason(enum syn_reason r)
{
	struct syn_counter v[ncpus];
	uint32_t k = r;
	uint64_t sum = 0;
	int i;

	if (bpf_map_lookup_elem(m_stats, &k, v))
		return 0;
	for (i = 0; i < ncpus; i++)
		sum += v[i].packets;
	return sum;
}

static bool authenticated(const char *v4)
{
	struct syn_src k;
	uint8_t a[4];
	uint64_t exp;

	inet_pton(AF_INET, v4, a);
	cookie_addr_v4(k.addr, a);
	return !bpf_map_lookup_elem(m_auth, &k, &exp);
}

/* A counter of the server's /proc/net/snmp Tcp line. */
static long srv_tcp(const char *field)
{
	char cmd[128], names[1024] = "", vals[1024] = "", line[1024];
	char *n, *v, *sn, *sv;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s cat /proc/net/snmp", ns_srv);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Tcp:", 4))
			snprintf(*names ? vals : names, sizeof(names), "%s", line);
	pclose(f);
	for (n = strtok_r(names, " \n", &sn), v = strtok_r(vals, " \n", &sv); n && v;
	     n = strtok_r(NULL, " \n", &sn), v = strtok_r(NULL, " \n", &sv))
		if (!strcmp(n, field))
			return atol(v);
	return -1;
}

static pid_t spawn(const char *ns, const char *py)
{
	pid_t pid = fork();

	if (pid == 0) {
		execlp("ip", "ip", "netns", "exec", ns, "python3", "-c", py, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Runs the worker until every child has exited (10 s at most); returns
 * the first child's exit status. */
static int serve_until(pid_t *pids, int n)
{
	struct pollfd pfd = { .fd = fastpath_fd(fp), .events = POLLIN };
	int status[2] = { -1, -1 }, left = n, i;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (t = t0; left && t.tv_sec - t0.tv_sec < 10; clock_gettime(CLOCK_MONOTONIC, &t)) {
		/* Not only on POLLIN: completions and the fill ring too. */
		poll(&pfd, 1, 20);
		while (fastpath_process(fp, 256) == 256)
			;
		for (i = 0; i < n; i++) {
			int st;

			if (pids[i] > 0 && waitpid(pids[i], &st, WNOHANG) == pids[i]) {
				status[i] = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
				pids[i] = 0;
				left--;
			}
		}
	}
	for (i = 0; i < n; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
	return status[0];
}

static const char *py_server =
	"import socket\n"
	"s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
	"s.bind(('10.99.0.10',8080)); s.listen(16)\n"
	"while True:\n"
	"  c,a=s.accept(); c.settimeout(2)\n"
	"  try:\n"
	"    d=c.recv(100); print('  server: connection from %s:%d, echoing %r'%(a[0],a[1],d),flush=True); c.sendall(d)\n"
	"  except Exception as e: print('  server:',e,flush=True)\n"
	"  c.close()\n";

static const char *py_first =
	"import socket,sys\n"
	"s=socket.socket(); s.settimeout(3)\n"
	"try: s.connect(('10.99.0.10',8080))\n"
	"except ConnectionResetError as e: print('  client: connect() failed with',e,'- the handshake completed, the server reset it before connect() returned'); sys.exit(2)\n"
	"except Exception as e: print('  client: connect() failed:',e); sys.exit(1)\n"
	"print('  client: connect() returned: a SYN-ACK came back and the handshake completed',flush=True)\n"
	"try:\n"
	"  s.sendall(b'hello\\n'); d=s.recv(100); print('  client: first connection read',repr(d))\n"
	"except Exception as e: print('  client: first connection:',e)\n";

static const char *py_first6 =
	"import socket,sys\n"
	"s=socket.socket(socket.AF_INET6); s.settimeout(3)\n"
	"try: s.connect(('fd99::10',8080))\n"
	"except ConnectionResetError as e: print('  client: connect() to [fd99::10]:8080 reset before it returned'); sys.exit(2)\n"
	"except Exception as e: print('  client: connect() failed:',e); sys.exit(1)\n"
	"print('  client: connect() to [fd99::10]:8080 returned: the cookie SYN-ACK was accepted',flush=True)\n";

static const char *py_retry =
	"import socket,sys,time\n"
	"time.sleep(0.2)\n"
	"s=socket.socket(); s.settimeout(3)\n"
	"try:\n"
	"  s.connect(('10.99.0.10',8080)); s.sendall(b'hello\\n'); d=s.recv(100)\n"
	"except Exception as e: print('  client: retry failed:',e); sys.exit(1)\n"
	"print('  client: retry connected, the server echoed',repr(d)); sys.exit(0 if d==b'hello\\n' else 1)\n";

/* Raw IPv4 + TCP with IP_HDRINCL: the kernel fills nothing but the IP
 * checksum; the TCP checksum is ours. */
static const char *py_raw =
	"import socket,struct,random,sys\n"
	"def csum(b):\n"
	"  if len(b)%2: b+=b'\\0'\n"
	"  s=sum(struct.unpack('!%dH'%(len(b)//2),b)); s=(s&0xffff)+(s>>16); s+=s>>16; return ~s&0xffff\n"
	"def tcp(src,dst,sport,dport,seq,ack,flags,opts=b''):\n"
	"  off=(20+len(opts))//4\n"
	"  h=struct.pack('!HHIIBBHHH',sport,dport,seq,ack,off<<4,flags,64240,0,0)+opts\n"
	"  ph=socket.inet_aton(src)+socket.inet_aton(dst)+struct.pack('!BBH',0,6,len(h))\n"
	"  h=h[:16]+struct.pack('!H',csum(ph+h))+h[18:]\n"
	"  ip=struct.pack('!BBHHHBBH4s4s',0x45,0,20+len(h),0,0x4000,64,6,0,socket.inet_aton(src),socket.inet_aton(dst))\n"
	"  return ip+h\n"
	"r=socket.socket(socket.AF_INET,socket.SOCK_RAW,socket.IPPROTO_RAW)\n"
	"what=sys.argv[1] if len(sys.argv)>1 else ''\n";

static const char *py_flood =
	"import random\n"
	"n=0\n"
	"for i in range(2000):\n"
	"  src='198.18.%d.%d'%(random.randrange(256),random.randrange(1,255))\n"
	"  r.sendto(tcp(src,'10.99.0.10',random.randrange(1024,65535),8080,random.getrandbits(32),0,0x02,b'\\x02\\x04\\x05\\xb4'),('10.99.0.10',0)); n+=1\n"
	"print('  flood: %d spoofed SYNs from random 198.18.0.0/16 sources sent'%n)\n";

static const char *py_forged =
	"r.sendto(tcp('10.99.1.3','10.99.0.10',40000,8080,1000001,0x12345678,0x10),('10.99.0.10',0))\n"
	"print('  forger: an ACK from 10.99.1.3 with ack 0x12345678 (no SYN-ACK ever sent) sent')\n";

int main(int argc, char **argv)
{
	char path[PATH_MAX], self[PATH_MAX], flood[4096], forged[4096];
	struct syn_cookie_keys keys = { 0 };
	struct syn_prefix pfx = { .mode = SYN_MODE_ON, .id = 1 };
	struct syn_lpm_v4 k4 = { .prefixlen = 24, .addr = { 10, 99, 0, 0 } };
	struct syn_prefix pfx6 = { .mode = SYN_MODE_ON, .id = 2 };
	struct syn_lpm_v6 k6 = { .prefixlen = 64, .addr = { 0xfd, 0x99 } };
	struct syn_config cfg = { .fallback = SYN_FALLBACK_DROP };
	struct fastpath_config fcfg = { .ifname = "g0", .queue = 0, .keys = &keys };
	const struct fastpath_stats *st;
	struct bpf_object *obj;
	struct bpf_program *prog;
	const char *mode = "native";
	uint64_t before, synacks;
	long opens, insegs;
	int ifindex, prog_fd, err, zero = 0;
	pid_t pids[2];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0 || access("/run", W_OK)) {
		printf("\n*** SKIP test-xdp-fastpath: needs root (netns, BPF, AF_XDP) ***\n\n");
		return 77;
	}
	snprintf(ns_cli, sizeof(ns_cli), "gwfp-cli-%d", getpid());
	snprintf(ns_gw, sizeof(ns_gw), "gwfp-gw-%d", getpid());
	snprintf(ns_srv, sizeof(ns_srv), "gwfp-srv-%d", getpid());
	if (shell("set -e; ip netns add %1$s; ip netns add %2$s; ip netns add %3$s\n"
	       "ip -n %2$s link add g0 numtxqueues 1 numrxqueues 1 type veth peer c0 numtxqueues 1 numrxqueues 1 netns %1$s\n"
	       "ip -n %2$s link add g1 type veth peer s0 netns %3$s\n"
	       "ip -n %1$s addr add 10.99.1.2/24 dev c0; ip -n %1$s addr add 10.99.1.3/24 dev c0\n"
	       "ip -n %2$s addr add 10.99.1.1/24 dev g0; ip -n %2$s addr add 10.99.0.1/24 dev g1\n"
	       "ip -n %3$s addr add 10.99.0.10/24 dev s0\n"
	       "for n in %1$s %2$s %3$s; do ip -n $n link set lo up; done\n"
	       "ip -n %1$s link set c0 up; ip -n %2$s link set g0 up; ip -n %2$s link set g1 up; ip -n %3$s link set s0 up\n"
	       "ip -n %1$s route add default via 10.99.1.1; ip -n %3$s route add default via 10.99.0.1\n"
	       "ip -n %1$s route add 198.18.0.0/16 dev c0\n"
	       "ip -n %1$s addr add fd99:1::2/64 dev c0 nodad; ip -n %2$s addr add fd99:1::1/64 dev g0 nodad\n"
	       "ip -n %2$s addr add fd99::1/64 dev g1 nodad; ip -n %3$s addr add fd99::10/64 dev s0 nodad\n"
	       "ip -n %1$s -6 route add default via fd99:1::1; ip -n %3$s -6 route add default via fd99::1\n"
	       "ip netns exec %2$s sysctl -qw net.ipv6.conf.all.forwarding=1\n"
	       "ip netns exec %2$s sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.g0.rp_filter=0\n",
	       ns_cli, ns_gw, ns_srv)) {
		printf("\n*** SKIP test-xdp-fastpath: cannot build the namespaces ***\n\n");
		cleanup();
		return 77;
	}
	atexit(cleanup);
	if (enter_ns(ns_cli) || tx_csum_off("c0") || enter_ns(ns_gw) || tx_csum_off("g0")) {
		fprintf(stderr, "test-xdp-fastpath: setns/tx off: %s\n", strerror(errno));
		return 1;
	}

	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(path, sizeof(path), "%s/../../gwd/xdp/syn.bpf.o", dirname(self));
	obj = bpf_object__open_file(getenv("GWD_SYN_BPF_OBJ") ?: path, NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "test-xdp-fastpath: loading %s failed\n", path);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "gwd_syn");
	prog_fd = bpf_program__fd(prog);
	ncpus = libbpf_num_possible_cpus();
	m_stats = bpf_object__find_map_fd_by_name(obj, "syn_stats");
	m_auth = bpf_object__find_map_fd_by_name(obj, "syn_auth");
	fcfg.xsks_map_fd = bpf_object__find_map_fd_by_name(obj, "syn_xsks");
	if (cookie_keys_rotate(&keys) ||
	    bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "syn_cookie_keys"), &zero, &keys, BPF_ANY) ||
	    bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "syn_config"), &zero, &cfg, BPF_ANY) ||
	    bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "syn_prefix_v4"), &k4, &pfx, BPF_ANY) ||
	    bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "syn_prefix_v6"), &k6, &pfx6, BPF_ANY)) {
		fprintf(stderr, "test-xdp-fastpath: maps: %s\n", strerror(errno));
		return 1;
	}
	ifindex = if_nametoindex("g0");
	if (getenv("GWD_XDP_GENERIC") ||
	    bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL)) {
		mode = "generic";
		if (bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_SKB_MODE, NULL)) {
			fprintf(stderr, "test-xdp-fastpath: attach: %s\n", strerror(errno));
			return 1;
		}
	}
	err = fastpath_open(&fcfg, &fp);
	if (err) {
		fprintf(stderr, "test-xdp-fastpath: fastpath_open: %s\n", strerror(-err));
		return 1;
	}
	st = fastpath_stats(fp);
	printf("setup: syn.bpf.o on g0 (%s XDP), AF_XDP worker on g0 queue 0 (%s), "
	       "10.99.0.0/24 in mode on, fallback drop\n", mode,
	       fastpath_zerocopy(fp) ? "zero-copy" : "copy");
	server_pid = fork();
	if (server_pid == 0) {
		execlp("ip", "ip", "netns", "exec", ns_srv, "python3", "-c", py_server, (char *)NULL);
		_exit(127);
	}
	usleep(500000);

	printf("step 1: the client's first connection\n");
	pids[0] = spawn(ns_cli, py_first);
	err = serve_until(pids, 1);
	/* The reset may come before the caller wakes: connect() then fails
	 * with ECONNRESET (exit 2), never a timeout or a refusal. */
	CHECK(err == 0 || err == 2, "the handshake completed (%s)",
	      err == 0 ? "connect() returned, the first read was reset" :
	      err == 2 ? "the reset came before connect() returned" : "no");
	CHECK(st->syns == 1 && st->synacks == 1, "the worker saw %llu SYN(s), sent %llu cookie SYN-ACK(s)",
	      (unsigned long long)st->syns, (unsigned long long)st->synacks);
	CHECK(reason(SYN_R_PASS_ACK) == 1, "the client's ACK had a valid cookie (pass-ack %llu)",
	      (unsigned long long)reason(SYN_R_PASS_ACK));
	CHECK(authenticated("10.99.1.2"), "10.99.1.2 is in syn_auth");
	opens = srv_tcp("PassiveOpens");
	CHECK(opens == 0, "the server never saw the SYN (PassiveOpens %ld)", opens);
	CHECK(srv_tcp("OutRsts") >= 1, "the server reset the passed ACK (OutRsts %ld)", srv_tcp("OutRsts"));

	printf("step 2: a spoofed SYN flood and, during it, the client's retry\n");
	synacks = st->synacks;
	snprintf(flood, sizeof(flood), "%s%s", py_raw, py_flood);
	pids[0] = spawn(ns_cli, py_retry);
	pids[1] = spawn(ns_cli, flood);
	err = serve_until(pids, 2);
	CHECK(err == 0, "the retry reached the server and got its echo");
	CHECK(reason(SYN_R_PASS_AUTHENTICATED) >= 1, "its SYN passed as authenticated (%llu)",
	      (unsigned long long)reason(SYN_R_PASS_AUTHENTICATED));
	CHECK(st->synacks - synacks == 2000, "the flood's 2000 SYNs were answered by the worker (%llu SYN-ACKs, %llu dropped: ring full)",
	      (unsigned long long)(st->synacks - synacks), (unsigned long long)st->tx_full);
	opens = srv_tcp("PassiveOpens");
	CHECK(opens == 1, "the server accepted the retry only (PassiveOpens %ld)", opens);

	printf("step 3: a forged ACK\n");
	before = reason(SYN_R_DROP_BAD_COOKIE);
	insegs = srv_tcp("InSegs");
	snprintf(forged, sizeof(forged), "%s%s", py_raw, py_forged);
	pids[0] = spawn(ns_cli, forged);
	serve_until(pids, 1);
	usleep(200000);
	CHECK(reason(SYN_R_DROP_BAD_COOKIE) == before + 1, "dropped as drop-bad-cookie (%llu)",
	      (unsigned long long)reason(SYN_R_DROP_BAD_COOKIE));
	CHECK(!authenticated("10.99.1.3"), "10.99.1.3 is not authenticated");
	CHECK(srv_tcp("InSegs") == insegs, "the server saw nothing (InSegs %ld -> %ld)", insegs, srv_tcp("InSegs"));

	printf("step 4: IPv6: a first connection to fd99::10\n");
	before = reason(SYN_R_PASS_ACK);
	synacks = st->synacks;
	pids[0] = spawn(ns_cli, py_first6);
	err = serve_until(pids, 1);
	CHECK((err == 0 || err == 2) && st->synacks == synacks + 1 && st->syns_v6 == 1,
	      "the worker answered the v6 SYN and the client's stack took the SYN-ACK");
	CHECK(reason(SYN_R_PASS_ACK) == before + 1, "its ACK had a valid cookie (pass-ack %llu)",
	      (unsigned long long)reason(SYN_R_PASS_ACK));
	{
		struct syn_src src6;
		uint64_t exp;

		inet_pton(AF_INET6, "fd99:1::2", src6.addr);
		CHECK(!bpf_map_lookup_elem(m_auth, &src6, &exp), "fd99:1::2 is in syn_auth");
	}

	printf("worker: rx %llu, SYNs %llu, SYN-ACKs %llu, malformed %llu, tx full %llu, wakeups %llu\n",
	       (unsigned long long)st->rx, (unsigned long long)st->syns,
	       (unsigned long long)st->synacks, (unsigned long long)st->malformed,
	       (unsigned long long)st->tx_full, (unsigned long long)st->kicks);
	fastpath_close(fp);
	bpf_xdp_detach(ifindex, 0, NULL);
	bpf_object__close(obj);
	printf("test-xdp-fastpath: %s\n", failures ? "FAILED" : "passed");
	return failures ? 1 : 0;
}
