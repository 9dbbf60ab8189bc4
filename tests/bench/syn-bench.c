// SPDX-License-Identifier: GPL-2.0
/*
 * tests/bench/syn's driver: the SYN fast path against its yardsticks, in one
 * run, on the host kernel, native XDP on a veth of its own:
 *
 *   ns gen: t0 10.98.0.1 (+ .3, the real client)  --veth--  ns rx: r0 10.98.0.2
 *           trafgen (CPU 0): SYNs from random           XDP on r0 (the series'
 *           198.18.0.0/15 sources to 10.98.0.2:80       program), a listener
 *           synack_count on t0 counts SYN-ACKs back     on :80, the AF_XDP worker
 *
 * Series (each ~5 s of flood, rates over the middle 4 s):
 *   A  bare XDP_DROP on r0                      -> packets/s dropped
 *   B  syn.bpf.o, 198.18.0.0/15 blocked         -> packets/s dropped, B/A
 *   C  kernel SYN cookies (tcp_syncookies=2)    -> SYN-ACKs/s back at t0
 *   D  syn.bpf.o + AF_XDP worker (mode on)      -> SYN-ACKs/s back at t0, D/C
 *   C and D: a real client (10.98.0.3) connects in a loop during the flood;
 *   in D its syn_auth entry is removed every 0.5 s so it keeps being
 *   challenged (first connection reset, retry passes).
 *   E  BPF_PROG_RUN of syn.bpf.o, ns per packet per path.
 * Usage: syn-bench SYN_BPF_O COUNT_BPF_O TRAFGEN_CFG_DIR [SECONDS]
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
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

static char ns_gen[32], ns_rx[32], cfgdir[512];
static int fd_gen = -1, fd_rx = -1, ncpus, seconds = 5;
static int ifi_t0, ifi_r0;
static pid_t server_pid;

static void cleanup(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = 0;
	}
	shell("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null", ns_gen, ns_rx);
}

static void die(const char *what)
{
	fprintf(stderr, "syn-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void go(int nsfd)
{
	if (setns(nsfd, CLONE_NEWNET))
		die("setns");
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Drops of t0's pfifo: veth pushes back (stops its queue) when r0's ring
 * is full; trafgen goes through the qdisc (-q), which drops, so trafgen
 * keeps its pace instead of failing on EAGAIN. */
static uint64_t qdisc_drops(void)
{
	char cmd[256];
	unsigned long long d = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "tc -n %s -s qdisc show dev t0 | sed -n 's/.*dropped \\([0-9]*\\).*/\\1/p'", ns_gen);
	f = popen(cmd, "r");
	if (f) {
		if (fscanf(f, "%llu", &d) != 1)
			d = 0;
		pclose(f);
	}
	return d;
}

/* t0's tx_packets + tx_dropped (veth counts a frame the peer's ring had
 * no room for as the sender's tx_dropped): what the generator sent. */
static uint64_t gen_sent(void)
{
	struct ifaddrs *ifa, *i;
	uint64_t n = 0;

	go(fd_gen);
	if (getifaddrs(&ifa))
		die("getifaddrs");
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET &&
		    !strcmp(i->ifa_name, "t0") && i->ifa_data) {
			struct rtnl_link_stats *s = i->ifa_data;

			n = (uint64_t)s->tx_packets + s->tx_dropped;
		}
	freeifaddrs(ifa);
	go(fd_rx);
	return n + qdisc_drops();
}

static uint64_t percpu_sum(int fd, uint32_t key, unsigned stride, unsigned off)
{
	uint8_t v[ncpus * stride];
	uint64_t sum = 0, x;
	int i;

	if (bpf_map_lookup_elem(fd, &key, v))
		return 0;
	for (i = 0; i < ncpus; i++) {
		memcpy(&x, v + i * stride + off, 8);
		sum += x;
	}
	return sum;
}

static int m_rxcount, m_synacks, m_stats, m_auth, m_blocked, m_prefix;

static uint64_t syn_all(void)
{
	uint64_t n = 0;
	uint32_t r;

	for (r = 0; r < SYN_R_MAX; r++)
		n += percpu_sum(m_stats, r, sizeof(struct syn_counter), 0);
	return n;
}

static uint64_t rx_count(void) { return percpu_sum(m_rxcount, 0, 8, 0); }
static uint64_t synacks_back(void) { return percpu_sum(m_synacks, 0, 8, 0); }

struct result {
	double sent, rx, synacks;	/* per second, over the window */
	int hs_ok, hs_total, hs_resets;
	int restarts;		/* trafgen restarted after veth pushed back */
	uint64_t worker_synacks, worker_txfull;
};

static const char *py_client =
	"import socket,time,sys\n"
	"end=time.time()+float(sys.argv[1]); ok=tot=resets=0\n"
	"while time.time()<end:\n"
	"  tot+=1\n"
	"  for attempt in (0,1):\n"
	"    s=socket.socket(); s.settimeout(3.5); s.bind(('10.98.0.3',0))\n"
	"    try:\n"
	"      s.connect(('10.98.0.2',80)); s.sendall(b'x'); d=s.recv(1); s.close()\n"
	"      if d==b'x': ok+=1\n"
	"      break\n"
	"    except (ConnectionResetError,BrokenPipeError):\n"
	"      resets+=1; s.close()\n"
	"    except Exception as e:\n"
	"      print('client:',e,file=sys.stderr); s.close(); break\n"
	"  time.sleep(0.02)\n"
	"print(ok,tot,resets,flush=True)\n";

static const char *py_server =
	"import socket\n"
	"s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
	"s.bind(('10.98.0.2',80)); s.listen(4096)\n"
	"while True:\n"
	"  c,a=s.accept(); c.settimeout(2)\n"
	"  try: c.sendall(c.recv(1))\n"
	"  except Exception: pass\n"
	"  c.close()\n";

/* One series: trafgen for `seconds` on CPU 0; the rates over [0.5, s-0.5]. */
static struct result series(uint64_t (*rx)(void), struct fastpath *fp, bool client)
{
	struct result r = { 0 };
	char cmd[2048], secs[16];
	int pipefd[2] = { -1, -1 };
	pid_t gen, cli = 0;
	double t0, ta = 0, tb = 0, t;
	uint64_t sa = 0, ra = 0, ka = 0;
	double win0 = 0.5, win1 = seconds - 0.5;
	int phase = 0, gen_status = 0;
	double last_unauth = 0;
	const struct fastpath_stats *st = fp ? fastpath_stats(fp) : NULL;
	uint64_t w0 = st ? st->synacks : 0, wf0 = st ? st->tx_full : 0;

	snprintf(cmd, sizeof(cmd),
		 "exec ip netns exec %s taskset -c 0 timeout -s INT %d sh -c 'while :; do trafgen -o t0 "
		 "-i %s/flood.cfg -P 1 -q -C; done' >%s/trafgen.log 2>&1", ns_gen, seconds, cfgdir, cfgdir);
	gen = fork();
	if (gen == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (client) {
		if (pipe(pipefd))
			die("pipe");
		snprintf(secs, sizeof(secs), "%d", seconds - 1);
		cli = fork();
		if (cli == 0) {
			dup2(pipefd[1], 1);
			close(pipefd[0]);
			execlp("ip", "ip", "netns", "exec", ns_gen, "python3", "-c", py_client,
			       secs, (char *)NULL);
			_exit(127);
		}
		close(pipefd[1]);
	}
	t0 = now();
	for (;;) {
		t = now() - t0;
		if (fp) {
			fastpath_process(fp, 256);
			if (client && t - last_unauth > 0.5) {
				struct syn_src k;
				uint8_t a[4] = { 10, 98, 0, 3 };

				cookie_addr_v4(k.addr, a);
				bpf_map_delete_elem(m_auth, &k);
				last_unauth = t;
			}
		} else {
			usleep(1000);
		}
		if (phase == 0 && t >= win0) {
			sa = gen_sent(); ra = rx(); ka = synacks_back(); ta = now();
			phase = 1;
		} else if (phase == 1 && t >= win1) {
			tb = now();
			r.sent = (gen_sent() - sa) / (tb - ta);
			r.rx = (rx() - ra) / (tb - ta);
			r.synacks = (synacks_back() - ka) / (tb - ta);
			phase = 2;
		}
		if (waitpid(gen, &gen_status, WNOHANG) == gen)
			break;
		if (t > seconds + 5) {
			kill(gen, SIGKILL);
			waitpid(gen, NULL, 0);
			break;
		}
	}
	if (st) {
		r.worker_synacks = st->synacks - w0;
		r.worker_txfull = st->tx_full - wf0;
	}
	if (cli) {
		char buf[128] = "";
		FILE *f = fdopen(pipefd[0], "r");
		int status;

		/* Keep answering while the client finishes its last connect. */
		while (waitpid(cli, &status, WNOHANG) != cli) {
			if (fp)
				fastpath_process(fp, 256);
			else
				usleep(1000);
		}
		if (!fgets(buf, sizeof(buf), f) ||
		    sscanf(buf, "%d %d %d", &r.hs_ok, &r.hs_total, &r.hs_resets) != 3)
			r.hs_total = -1;
		fclose(f);
	}
	/* trafgen gives up on EAGAIN when veth pushes back (its peer's ring
	 * full: a receiver-bound series); the loop above restarts it. */
	snprintf(cmd, sizeof(cmd), "grep -c 'TX_RING failed' %s/trafgen.log", cfgdir);
	{
		FILE *f = popen(cmd, "r");

		if (f) {
			if (fscanf(f, "%d", &r.restarts) != 1)
				r.restarts = 0;
			pclose(f);
		}
	}
	if (phase != 2)
		fprintf(stderr, "syn-bench: trafgen ended early, after %.2f s, status 0x%x (see %s/trafgen.log)\n", now() - t0, gen_status, cfgdir);
	return r;
}

static void attach(int ifindex, int prog_fd)
{
	bpf_xdp_detach(ifindex, 0, NULL);
	if (bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL))
		die("native XDP attach");
}

static void print_series(const char *name, const struct result *r, const char *what)
{
	bool genbound = r->rx >= 0.98 * r->sent && !r->restarts;

	printf("  %-34s sent %8.3f Mpps, received %8.3f Mpps, %s %8.3f M/s  %s\n", name,
	       r->sent / 1e6, r->rx / 1e6, what,
	       (!strcmp(what, "dropped") ? r->rx : r->synacks) / 1e6,
	       genbound ? "[generator-bound: the receiver took all that was sent]" :
	       "[receiver-bound: the generator sent more than was taken]");
	if (r->restarts)
		printf("  %-34s (veth pushed back: trafgen hit EAGAIN and was restarted %d times - receiver-bound)\n", "", r->restarts);
}

static double prog_run(int prog_fd, const void *pkt, unsigned len, unsigned repeat, int *ret)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &o))
		die("BPF_PROG_RUN");
	*ret = o.retval;
	return o.duration;
}

int main(int argc, char **argv)
{
	struct bpf_object *syn, *cnt_rx, *cnt_gen;
	int p_syn, p_drop, p_pass, p_synack, zero = 0, err;
	struct syn_cookie_keys keys = { 0 };
	struct syn_config cfg = { .fallback = SYN_FALLBACK_DROP };
	struct syn_lpm_v4 blk = { .prefixlen = 15, .addr = { 198, 18, 0, 0 } };
	struct syn_block bv = { 0 };
	struct syn_lpm_v4 pk = { .prefixlen = 24, .addr = { 10, 98, 0, 0 } };
	struct syn_prefix pv = { .mode = SYN_MODE_ON, .id = 1 };
	struct fastpath_config fcfg = { .ifname = "r0", .queue = 0, .keys = &keys };
	struct fastpath *fp;
	struct result a, b, c, d;
	char path[128], mac_t0[32] = "", mac_r0[32] = "";
	cpu_set_t cpus;
	FILE *f;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 4) {
		fprintf(stderr, "usage: syn-bench SYN_BPF_O COUNT_BPF_O DIR [SECONDS]\n");
		return 2;
	}
	snprintf(cfgdir, sizeof(cfgdir), "%s", argv[3]);
	if (argc > 4)
		seconds = atoi(argv[4]);
	ncpus = libbpf_num_possible_cpus();
	snprintf(ns_gen, sizeof(ns_gen), "gwsb-gen-%d", getpid());
	snprintf(ns_rx, sizeof(ns_rx), "gwsb-rx-%d", getpid());
	if (shell("set -e; ip netns add %1$s; ip netns add %2$s\n"
	       "ip -n %1$s link add t0 numtxqueues 1 numrxqueues 1 type veth peer r0 numtxqueues 1 numrxqueues 1 netns %2$s\n"
	       "ip -n %1$s addr add 10.98.0.1/24 dev t0; ip -n %1$s addr add 10.98.0.3/24 dev t0\n"
	       "ip -n %2$s addr add 10.98.0.2/24 dev r0\n"
	       "for n in %1$s %2$s; do ip -n $n link set lo up; done\n"
	       "ip netns exec %1$s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1\n"
	       "ip netns exec %2$s sysctl -qw net.ipv6.conf.default.disable_ipv6=1\n"
	       "ip -n %1$s link set t0 up; ip -n %2$s link set r0 up\n"
	       "ip -n %2$s route add 198.18.0.0/15 via 10.98.0.1\n"
	       "tc -n %1$s qdisc add dev t0 root pfifo limit 4096\n"
	       "ip netns exec %2$s sysctl -qw net.ipv4.tcp_syncookies=2 net.ipv6.conf.all.disable_ipv6=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.r0.rp_filter=0\n",
	       ns_gen, ns_rx)) {
		cleanup();
		fprintf(stderr, "syn-bench: cannot build the namespaces\n");
		return 77;
	}
	atexit(cleanup);
	signal(SIGINT, exit);
	signal(SIGTERM, exit);
	snprintf(path, sizeof(path), "/run/netns/%s", ns_gen);
	fd_gen = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", ns_rx);
	fd_rx = open(path, O_RDONLY | O_CLOEXEC);
	if (fd_gen < 0 || fd_rx < 0)
		die("open netns");

	/* MACs for trafgen's frames and the permanent neighbours (no ARP
	 * during a flood). */
	snprintf(path, sizeof(path), "ip -n %s -br link show t0 | awk '{print $3}'", ns_gen);
	f = popen(path, "r");
	if (!f || !fgets(mac_t0, sizeof(mac_t0), f))
		die("t0 mac");
	pclose(f);
	snprintf(path, sizeof(path), "ip -n %s -br link show r0 | awk '{print $3}'", ns_rx);
	f = popen(path, "r");
	if (!f || !fgets(mac_r0, sizeof(mac_r0), f))
		die("r0 mac");
	pclose(f);
	mac_t0[strcspn(mac_t0, "\n")] = 0;
	mac_r0[strcspn(mac_r0, "\n")] = 0;
	shell("ip -n %s neigh replace 10.98.0.1 lladdr %s dev r0 nud permanent; "
	   "ip -n %s neigh replace 10.98.0.2 lladdr %s dev t0 nud permanent",
	   ns_rx, mac_t0, ns_gen, mac_r0);
	shell("cat > %s/flood.cfg <<EOF\n"
	   "{ eth(da=%s, sa=%s), ipv4(sa=198.18.0.0, sa[1]=drnd(18,19), sa[2]=drnd(), sa[3]=drnd(), "
	   "da=10.98.0.2, id=drnd(), ttl=64, df), tcp(sp=drnd(), dp=80, seq=drnd(), syn, win=64240) }\n"
	   "EOF", cfgdir, mac_r0, mac_t0);

	go(fd_gen);
	ifi_t0 = if_nametoindex("t0");
	if (tx_csum_off("t0"))
		die("t0 tx off");
	go(fd_rx);
	ifi_r0 = if_nametoindex("r0");
	if (tx_csum_off("r0"))
		die("r0 tx off");

	syn = bpf_object__open_file(argv[1], NULL);
	cnt_rx = bpf_object__open_file(argv[2], NULL);
	cnt_gen = bpf_object__open_file(argv[2], NULL);
	if (!syn || !cnt_rx || !cnt_gen || bpf_object__load(syn) || bpf_object__load(cnt_rx) ||
	    bpf_object__load(cnt_gen))
		die("loading the BPF objects");
	p_syn = bpf_program__fd(bpf_object__find_program_by_name(syn, "gwd_syn"));
	p_drop = bpf_program__fd(bpf_object__find_program_by_name(cnt_rx, "count_drop"));
	p_pass = bpf_program__fd(bpf_object__find_program_by_name(cnt_rx, "count_pass"));
	p_synack = bpf_program__fd(bpf_object__find_program_by_name(cnt_gen, "synack_count"));
	m_rxcount = bpf_object__find_map_fd_by_name(cnt_rx, "bench_count");
	m_synacks = bpf_object__find_map_fd_by_name(cnt_gen, "bench_count");
	m_stats = bpf_object__find_map_fd_by_name(syn, "syn_stats");
	m_auth = bpf_object__find_map_fd_by_name(syn, "syn_auth");
	m_blocked = bpf_object__find_map_fd_by_name(syn, "syn_blocked_v4");
	m_prefix = bpf_object__find_map_fd_by_name(syn, "syn_prefix_v4");
	fcfg.xsks_map_fd = bpf_object__find_map_fd_by_name(syn, "syn_xsks");
	if (cookie_keys_rotate(&keys) ||
	    bpf_map_update_elem(bpf_object__find_map_fd_by_name(syn, "syn_cookie_keys"), &zero, &keys, BPF_ANY) ||
	    bpf_map_update_elem(bpf_object__find_map_fd_by_name(syn, "syn_config"), &zero, &cfg, BPF_ANY))
		die("syn maps");

	go(fd_gen);
	attach(ifi_t0, p_synack);	/* also: t0 takes frames from r0's XDP path */
	go(fd_rx);

	/* The worker on CPU 1, trafgen (and the veth NAPI it kicks) on CPU 0. */
	CPU_ZERO(&cpus);
	CPU_SET(ncpus > 1 ? 1 : 0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	printf("tests/bench/syn: veth t0 -> r0 (native XDP, 1 queue), trafgen on CPU 0, "
	       "SYNs from random 198.18.0.0/15 sources, %d s per series, rates over the middle %d s\n",
	       seconds, seconds - 1);

	printf("1. blocked sources\n");
	attach(ifi_r0, p_drop);
	a = series(rx_count, NULL, false);
	print_series("A bare XDP_DROP", &a, "dropped");
	attach(ifi_r0, p_syn);
	if (bpf_map_update_elem(m_blocked, &blk, &bv, BPF_ANY))
		die("syn_blocked_v4");
	{
		uint64_t b0 = percpu_sum(m_stats, SYN_R_DROP_BLOCKED, sizeof(struct syn_counter), 0);
		uint64_t all0 = syn_all();

		b = series(syn_all, NULL, false);
		print_series("B syn.bpf.o, 198.18.0.0/15 blocked", &b, "dropped");
		printf("  (drop-blocked %llu of %llu packets the program saw)\n",
		       (unsigned long long)(percpu_sum(m_stats, SYN_R_DROP_BLOCKED, sizeof(struct syn_counter), 0) - b0),
		       (unsigned long long)(syn_all() - all0));
	}
	bpf_map_delete_elem(m_blocked, &blk);

	printf("2./3. cookie SYN-ACKs and real handshakes during the flood\n");
	server_pid = fork();
	if (server_pid == 0) {
		execlp("ip", "ip", "netns", "exec", ns_rx, "python3", "-c", py_server, (char *)NULL);
		_exit(127);
	}
	usleep(300000);
	attach(ifi_r0, p_pass);
	c = series(rx_count, NULL, true);
	print_series("C kernel SYN cookies", &c, "SYN-ACKs back");
	attach(ifi_r0, p_syn);
	if (bpf_map_update_elem(m_prefix, &pk, &pv, BPF_ANY))
		die("syn_prefix_v4");
	err = fastpath_open(&fcfg, &fp);
	if (err) {
		errno = -err;
		die("fastpath_open");
	}
	d = series(syn_all, fp, true);
	print_series("D syn.bpf.o + AF_XDP worker", &d, "SYN-ACKs back");
	printf("  (worker: %llu SYN-ACKs sent in the series, %llu dropped with the TX ring full; %s)\n",
	       (unsigned long long)d.worker_synacks, (unsigned long long)d.worker_txfull,
	       fastpath_zerocopy(fp) ? "zero-copy" : "copy mode");
	fastpath_close(fp);
	printf("  handshakes during C: %d of %d connections completed (%.1f %%)\n", c.hs_ok,
	       c.hs_total, c.hs_total > 0 ? 100.0 * c.hs_ok / c.hs_total : 0);
	printf("  handshakes during D: %d of %d connections completed (%.1f %%), %d first "
	       "connections reset and retried\n", d.hs_ok, d.hs_total,
	       d.hs_total > 0 ? 100.0 * d.hs_ok / d.hs_total : 0, d.hs_resets);

	printf("4. BPF_PROG_RUN of syn.bpf.o (1e6 repeats, 54-byte SYN)\n");
	{
		uint8_t pkt[54] = { 0 };
		int ret;
		struct syn_src src;
		uint64_t exp = ~0ull;

		memcpy(pkt + 12, "\x08\x00", 2);
		memcpy(pkt + 14, "\x45\x00\x00\x28\x00\x01\x40\x00\x40\x06\x00\x00"
		       "\xc6\x12\x01\x01\x0a\x62\x00\x02", 20);
		memcpy(pkt + 34, "\x9c\x40\x00\x50\x00\x00\x10\x00\x00\x00\x00\x00\x50\x02\xfa\xf0", 16);
		bpf_map_update_elem(m_blocked, &blk, &bv, BPF_ANY);
		printf("  blocked source, dropped:          %6.1f ns/packet",
		       prog_run(p_syn, pkt, sizeof(pkt), 1000000, &ret));
		printf(" (verdict %d)\n", ret);
		bpf_map_delete_elem(m_blocked, &blk);
		printf("  unauthenticated SYN, no socket:   %6.1f ns/packet",
		       prog_run(p_syn, pkt, sizeof(pkt), 1000000, &ret));
		printf(" (verdict %d, fallback drop)\n", ret);
		cookie_addr_v4(src.addr, (uint8_t[]){ 198, 18, 1, 1 });
		bpf_map_update_elem(m_auth, &src, &exp, BPF_ANY);
		printf("  authenticated source, passed:     %6.1f ns/packet",
		       prog_run(p_syn, pkt, sizeof(pkt), 1000000, &ret));
		printf(" (verdict %d)\n", ret);
		printf("  bare XDP_DROP:                    %6.1f ns/packet",
		       prog_run(p_drop, pkt, sizeof(pkt), 1000000, &ret));
		printf(" (verdict %d)\n", ret);
	}

	printf("results\n");
	printf("  blocked-source drop rate / bare XDP_DROP: %.3f / %.3f Mpps = %.2f (target >= 0.9)%s\n",
	       b.rx / 1e6, a.rx / 1e6, a.rx ? b.rx / a.rx : 0,
	       (a.rx >= 0.98 * a.sent && b.rx >= 0.98 * b.sent) ? " - generator-bound: both took all that was sent" : "");
	printf("  cookie SYN-ACKs ours / kernel cookies:    %.3f / %.3f M/s = %.2f (target >= 1.5)%s\n",
	       d.synacks / 1e6, c.synacks / 1e6, c.synacks ? d.synacks / c.synacks : 0,
	       d.synacks >= 0.98 * d.sent ? " - ours generator-bound: every SYN sent was answered" : "");
	printf("  real handshakes during our flood:          %.1f %% (%d/%d; target >= 99 %%)\n",
	       d.hs_total > 0 ? 100.0 * d.hs_ok / d.hs_total : 0, d.hs_ok, d.hs_total);

	go(fd_gen);
	bpf_xdp_detach(ifi_t0, 0, NULL);
	go(fd_rx);
	bpf_xdp_detach(ifi_r0, 0, NULL);
	return 0;
}
