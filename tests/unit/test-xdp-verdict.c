/* The XDP SYN program's verdicts through BPF_PROG_RUN: crafted packets
 * against filled maps, every truncation of a SYN, and a timing run.
 * Needs root (CAP_BPF, CAP_NET_ADMIN) and BPF support: otherwise SKIP (77). */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "gwd/xdp/syn-shared.h"
#include "gwd/xdp/cookie.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

static struct bpf_object *obj;
static int prog_fd, ncpus;
static int m_stats, m_config, m_blk4, m_blk6, m_alw4, m_alw6, m_pfx4, m_pfx6, m_auth, m_budget, m_xsks, m_keys;
static struct syn_cookie_keys keys;

static const char *reason_name[SYN_R_MAX] = SYN_REASON_NAMES;

/* ---- packets ---- */

enum { TCP = 6, UDP = 17, HOP = 0, RT = 43, FRAG = 44, DST = 60 };
enum { F_FIN = 1, F_SYN = 2, F_RST = 4, F_ACK = 0x10 };
enum { NOFRAG, FIRST_FRAG, LATER_FRAG };

struct spec {
	int tags;		/* 0, 1 (802.1Q), 2 (802.1ad + 802.1Q), 3 */
	int v6;
	int ipopt;		/* bytes of IPv4 options, multiple of 4 */
	int ihl;		/* override (bogus values) */
	int ext[8], next;	/* IPv6 extension headers in order */
	int frag;		/* IPv4: NOFRAG, FIRST_FRAG, LATER_FRAG */
	int proto;		/* 0 = TCP */
	int tcpflags;		/* 0 = SYN */
	int arp;
	const char *src, *dst;
	uint32_t seq, ack;	/* TCP sequence and acknowledgment numbers */
	int payload;		/* TCP payload bytes */
};

static size_t put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; return 2; }

/* Returns the frame length; *l4end is where the TCP header (20 bytes) ends. */
static size_t build(const struct spec *s, uint8_t *buf, size_t *l4end)
{
	uint8_t *p = buf, *ip;
	int proto = s->proto ? s->proto : TCP;
	size_t n;

	memset(buf, 0, 512);
	memcpy(p, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	p += 12;
	if (s->tags >= 3) { p += put16(p, 0x88a8); p += put16(p, 300); }
	if (s->tags >= 2) { p += put16(p, 0x88a8); p += put16(p, 200); }
	if (s->tags >= 1) { p += put16(p, 0x8100); p += put16(p, 117); }
	if (s->arp) {
		p += put16(p, 0x0806);
		memset(p, 0, 28);
		return p + 28 - buf;
	}
	p += put16(p, s->v6 ? 0x86dd : 0x0800);
	ip = p;
	if (!s->v6) {
		int ihl = s->ihl ? s->ihl : 5 + s->ipopt / 4;

		p[0] = 0x40 | (ihl & 0xf);
		p[8] = 64;
		p[9] = proto;
		if (s->frag == FIRST_FRAG) put16(p + 6, 0x2000);
		if (s->frag == LATER_FRAG) put16(p + 6, 0x0010);
		inet_pton(AF_INET, s->src, p + 12);
		inet_pton(AF_INET, s->dst, p + 16);
		memset(p + 20, 1, s->ipopt);	/* NOPs */
		p += 20 + s->ipopt;
	} else {
		int nh = s->next ? s->ext[0] : proto;

		p[0] = 0x60;
		p[6] = nh;
		p[7] = 64;
		inet_pton(AF_INET6, s->src, p + 8);
		inet_pton(AF_INET6, s->dst, p + 24);
		p += 40;
		for (int i = 0; i < s->next; i++) {
			int t = s->ext[i] & 0xff, later = s->ext[i] >> 8;

			p[0] = i + 1 < s->next ? s->ext[i + 1] & 0xff : proto;
			if (t == FRAG) {
				put16(p + 2, later ? 0x0010 : 0x0001);
				p += 8;
			} else if (t == DST) {	/* 16 bytes: hdrlen 1, PadN */
				p[1] = 1; p[2] = 1; p[3] = 12;
				p += 16;
			} else {		/* 8 bytes */
				p[2] = t == RT ? 4 : 1;
				p[3] = t == RT ? 0 : 4;
				p += 8;
			}
		}
	}
	if (proto == TCP) {
		put16(p, 40000); put16(p + 2, 443);
		p[12] = 6 << 4;
		p[13] = s->tcpflags ? s->tcpflags : F_SYN;
		put16(p + 14, 64240);
		put16(p + 4, s->seq >> 16); put16(p + 6, s->seq);
		put16(p + 8, s->ack >> 16); put16(p + 10, s->ack);
		*l4end = p + 20 - buf;
		memcpy(p + 20, "\x02\x04\x05\xb4", 4);	/* MSS 1460 */
		memset(p + 24, 'x', s->payload);
		n = 24 + s->payload;
	} else {
		put16(p, 40000); put16(p + 2, 53);
		*l4end = p + 8 - buf;
		n = 8;
	}
	p += n;
	if (s->v6)
		put16(ip + 4, p - ip - 40);
	else
		put16(ip + 2, p - ip);
	return p - buf;
}

/* ---- maps ---- */

static void lpm(int fd, const char *cidr, const void *val)
{
	char a[64];
	char *slash;
	int v6 = strchr(cidr, ':') != NULL;
	struct syn_lpm_v6 k6 = { 0 };
	struct syn_lpm_v4 k4 = { 0 };

	snprintf(a, sizeof(a), "%s", cidr);
	slash = strchr(a, '/');
	*slash = 0;
	if (v6) {
		k6.prefixlen = atoi(slash + 1);
		assert_int_equal(inet_pton(AF_INET6, a, k6.addr), 1);
		assert_int_equal(bpf_map_update_elem(fd, &k6, val, BPF_ANY), 0);
	} else {
		k4.prefixlen = atoi(slash + 1);
		assert_int_equal(inet_pton(AF_INET, a, k4.addr), 1);
		assert_int_equal(bpf_map_update_elem(fd, &k4, val, BPF_ANY), 0);
	}
}

static void block(const char *cidr)
{
	struct syn_block b = { 0 };

	lpm(strchr(cidr, ':') ? m_blk6 : m_blk4, cidr, &b);
}

/* The prefixes protect() put in, so that configure() can give them new
 * settings (the budget and authentication time are per prefix). */
static struct { const char *cidr; struct syn_prefix v; } protected_[8];
static int n_protected;

static void allow(const char *cidr)
{
	struct syn_block b = { 0 };

	lpm(strchr(cidr, ':') ? m_alw6 : m_alw4, cidr, &b);
}

static void protect(const char *cidr, int mode, int id)
{
	struct syn_prefix v = { .mode = mode, .id = id };

	assert_true(n_protected < 8);
	protected_[n_protected].cidr = cidr;
	protected_[n_protected++].v = v;
	lpm(strchr(cidr, ':') ? m_pfx6 : m_pfx4, cidr, &v);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void src_key(const char *addr, struct syn_src *k)
{
	memset(k, 0, sizeof(*k));
	if (strchr(addr, ':')) {
		assert_int_equal(inet_pton(AF_INET6, addr, k->addr), 1);
	} else {
		k->addr[10] = k->addr[11] = 0xff;
		assert_int_equal(inet_pton(AF_INET, addr, k->addr + 12), 1);
	}
}

static void authenticate(const char *addr, int64_t for_ns)
{
	struct syn_src k;
	uint64_t exp = now_ns() + for_ns;

	src_key(addr, &k);
	assert_int_equal(bpf_map_update_elem(m_auth, &k, &exp, BPF_ANY), 0);
}

/* flags and auth_ttl_ns as the next configure() sets them. */
static struct { uint32_t flags; uint64_t auth_ttl_ns; } cfg;

static void configure(int fallback, uint64_t cost, uint64_t burst)
{
	struct syn_config c = { .fallback = fallback, .flags = cfg.flags };
	uint32_t zero = 0;

	assert_int_equal(bpf_map_update_elem(m_config, &zero, &c, BPF_ANY), 0);
	for (int i = 0; i < n_protected; i++) {
		struct syn_prefix v = protected_[i].v;

		v.budget_cost_ns = cost;
		v.budget_burst_ns = burst;
		v.auth_ttl_ns = cfg.auth_ttl_ns;
		lpm(strchr(protected_[i].cidr, ':') ? m_pfx6 : m_pfx4,
		    protected_[i].cidr, &v);
	}
}

static void stats(uint64_t *out)
{
	struct syn_counter v[ncpus];

	for (uint32_t r = 0; r < SYN_R_MAX; r++) {
		out[r] = 0;
		assert_int_equal(bpf_map_lookup_elem(m_stats, &r, v), 0);
		for (int c = 0; c < ncpus; c++)
			out[r] += v[c].packets;
	}
}

/* Runs one packet: returns the XDP action (or -errno from the kernel) and
 * the one reason counted for it (-1 if none, -2 if several). */
static int run(const uint8_t *pkt, size_t len, int *reason)
{
	uint64_t before[SYN_R_MAX], after[SYN_R_MAX];
	uint8_t out[1024];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	int err;

	stats(before);
	err = bpf_prog_test_run_opts(prog_fd, &o);
	stats(after);
	*reason = -1;
	for (int r = 0; r < SYN_R_MAX; r++) {
		if (after[r] == before[r])
			continue;
		*reason = *reason == -1 && after[r] == before[r] + 1 ? r : -2;
	}
	return err ? -errno : (int)o.retval;
}

static const char *act_name(int a)
{
	static const char *n[] = { "ABORTED", "DROP", "PASS", "TX", "REDIRECT" };

	return a >= 0 && a <= 4 ? n[a] : "error";
}

static void expect(const char *what, const struct spec *s, int act, int reason)
{
	uint8_t pkt[512];
	size_t l4end, len = build(s, pkt, &l4end);
	int r, got = run(pkt, len, &r);

	printf("  %-44s %-8s %s\n", what, act_name(got),
	       r >= 0 ? reason_name[r] : "(no single reason)");
	if (got != act || r != reason)
		fail_msg("%s: want %s/%s, got %s/%s", what, act_name(act),
			 reason_name[reason], act_name(got),
			 r >= 0 ? reason_name[r] : "?");
}

static void put_keys(void)
{
	uint32_t zero = 0;

	assert_int_equal(bpf_map_update_elem(m_keys, &zero, &keys, BPF_ANY), 0);
}

/* The client's ACK to our SYN-ACK for the SYN s describes (ports 40000 ->
 * 443, client ISN isn), its cookie made `age` ns ago. */
static struct spec *cookie_ack(struct spec *s, uint32_t isn, int64_t age)
{
	struct cookie_tuple t = { 0 };
	uint8_t a[4];

	if (s->v6) {
		assert_int_equal(inet_pton(AF_INET6, s->src, t.saddr), 1);
		assert_int_equal(inet_pton(AF_INET6, s->dst, t.daddr), 1);
	} else {
		inet_pton(AF_INET, s->src, a);
		cookie_addr_v4(t.saddr, a);
		inet_pton(AF_INET, s->dst, a);
		cookie_addr_v4(t.daddr, a);
	}
	t.sport = htons(40000);
	t.dport = htons(443);
	s->tcpflags = s->tcpflags ? s->tcpflags : F_ACK;
	s->seq = isn + 1;
	s->ack = cookie_make(&keys, &t, isn, now_ns() - age, 1460, NULL) + 1;
	return s;
}

/* syn_auth's expiry for addr, 0 if none. */
static uint64_t auth_expiry(const char *addr)
{
	struct syn_src k;
	uint64_t exp;

	src_key(addr, &k);
	return bpf_map_lookup_elem(m_auth, &k, &exp) ? 0 : exp;
}

static void forget(const char *addr)
{
	struct syn_src k;

	src_key(addr, &k);
	bpf_map_delete_elem(m_auth, &k);
}

/* ---- tests ---- */

#define V4(...) (&(struct spec){ __VA_ARGS__ })

static int reset(void **state)
{
	struct syn_src k;
	int fds[] = { m_auth, m_budget };

	for (size_t i = 0; i < 2; i++)
		while (bpf_map_get_next_key(fds[i], NULL, &k) == 0)
			bpf_map_delete_elem(fds[i], &k);
	memset(&cfg, 0, sizeof(cfg));
	configure(SYN_FALLBACK_PASS, 0, 0);
	put_keys();
	authenticate("100.64.0.1", 3600e9);
	authenticate("100.64.0.2", -1);
	authenticate("2001:db8:a::1", 3600e9);
	return 0;
}

static void test_table(void **state)
{
	const char *on = "203.0.113.10", *mon = "192.0.2.10", *off = "198.18.0.1";
	const char *on6 = "2001:db8:17::10", *mon6 = "2001:db8:18::10";
	const char *stranger = "100.64.1.1", *stranger6 = "2001:db8:c::1";

	expect("blocked v4 SYN", V4(.src = "198.51.100.7", .dst = on), XDP_DROP, SYN_R_DROP_BLOCKED);
	expect("blocked v4 UDP", V4(.src = "198.51.100.7", .dst = on, .proto = UDP), XDP_DROP, SYN_R_DROP_BLOCKED);
	expect("blocked v4 non-first fragment", V4(.src = "198.51.100.7", .dst = on, .frag = LATER_FRAG), XDP_DROP, SYN_R_DROP_BLOCKED);
	expect("blocked v4 ACK to unprotected", V4(.src = "198.51.100.7", .dst = off, .tcpflags = F_ACK), XDP_DROP, SYN_R_DROP_BLOCKED);
	expect("blocked v6 SYN", V4(.v6 = 1, .src = "2001:db8:bad::7", .dst = on6), XDP_DROP, SYN_R_DROP_BLOCKED);
	expect("blocked v6 SYN behind ext headers", V4(.v6 = 1, .src = "2001:db8:bad::7", .dst = on6, .ext = { HOP, DST }, .next = 2), XDP_DROP, SYN_R_DROP_BLOCKED);
	expect("blocked QinQ v4", V4(.tags = 2, .src = "198.51.100.7", .dst = on), XDP_DROP, SYN_R_DROP_BLOCKED);
	/* Allowed passes first, as in the filter: inside a blocked prefix too. */
	expect("allowed v4 SYN, never challenged", V4(.src = "100.66.0.1", .dst = on), XDP_PASS, SYN_R_PASS_ALLOWED);
	expect("allowed v4 forged ACK", V4(.src = "100.66.0.1", .dst = on, .tcpflags = F_ACK), XDP_PASS, SYN_R_PASS_ALLOWED);
	expect("allowed inside a blocked prefix", V4(.src = "198.51.100.200", .dst = on), XDP_PASS, SYN_R_PASS_ALLOWED);
	expect("allowed v6 SYN", V4(.v6 = 1, .src = "2001:db8:600d::1", .dst = on6), XDP_PASS, SYN_R_PASS_ALLOWED);

	expect("SYN to no prefix", V4(.src = stranger, .dst = "10.0.0.1"), XDP_PASS, SYN_R_PASS_UNPROTECTED);
	expect("SYN to prefix in mode off", V4(.src = stranger, .dst = off), XDP_PASS, SYN_R_PASS_UNPROTECTED);
	expect("monitor v4", V4(.src = stranger, .dst = mon), XDP_PASS, SYN_R_PASS_MONITOR);
	expect("monitor v6", V4(.v6 = 1, .src = stranger6, .dst = mon6), XDP_PASS, SYN_R_PASS_MONITOR);
	expect("on, authenticated v4", V4(.src = "100.64.0.1", .dst = on), XDP_PASS, SYN_R_PASS_AUTHENTICATED);
	expect("on, authenticated v6", V4(.v6 = 1, .src = "2001:db8:a::1", .dst = on6), XDP_PASS, SYN_R_PASS_AUTHENTICATED);
	expect("on, authentication expired", V4(.src = "100.64.0.2", .dst = on), XDP_PASS, SYN_R_FALLBACK_PASS);
	expect("on, unauthenticated, no socket v4", V4(.src = stranger, .dst = on), XDP_PASS, SYN_R_FALLBACK_PASS);
	expect("on, unauthenticated, no socket v6", V4(.v6 = 1, .src = stranger6, .dst = on6), XDP_PASS, SYN_R_FALLBACK_PASS);

	expect("on, SYN+ACK", V4(.src = stranger, .dst = on, .tcpflags = F_SYN | F_ACK), XDP_PASS, SYN_R_PASS_NOT_SYN);
	expect("on, forged ACK", V4(.src = stranger, .dst = on, .tcpflags = F_ACK), XDP_DROP, SYN_R_DROP_BAD_COOKIE);
	expect("on, RST", V4(.src = stranger, .dst = on, .tcpflags = F_RST), XDP_PASS, SYN_R_PASS_NOT_SYN);
	expect("on, SYN+FIN counts as a SYN", V4(.src = stranger, .dst = on, .tcpflags = F_SYN | F_FIN), XDP_PASS, SYN_R_FALLBACK_PASS);
	expect("on, UDP", V4(.src = stranger, .dst = on, .proto = UDP), XDP_PASS, SYN_R_PASS_NOT_TCP);

	expect("802.1Q, on, authenticated", V4(.tags = 1, .src = "100.64.0.1", .dst = on), XDP_PASS, SYN_R_PASS_AUTHENTICATED);
	expect("802.1Q, on, unauthenticated", V4(.tags = 1, .src = stranger, .dst = on), XDP_PASS, SYN_R_FALLBACK_PASS);
	expect("QinQ v6, on, authenticated", V4(.tags = 2, .v6 = 1, .src = "2001:db8:a::1", .dst = on6), XDP_PASS, SYN_R_PASS_AUTHENTICATED);
	expect("three tags: not parsed", V4(.tags = 3, .src = "198.51.100.7", .dst = on), XDP_PASS, SYN_R_PASS_NOT_IP);
	expect("ARP", V4(.arp = 1), XDP_PASS, SYN_R_PASS_NOT_IP);

	/* NOP options read as TCP flags would be FIN: not a SYN. */
	expect("IPv4 options (40 bytes), authenticated", V4(.ipopt = 40, .src = "100.64.0.1", .dst = on), XDP_PASS, SYN_R_PASS_AUTHENTICATED);
	expect("IPv4 options (4 bytes), unauthenticated", V4(.ipopt = 4, .src = stranger, .dst = on), XDP_PASS, SYN_R_FALLBACK_PASS);
	expect("IPv4 ihl 4 (bogus)", V4(.ihl = 4, .src = stranger, .dst = on), XDP_PASS, SYN_R_PASS_TRUNCATED);
	expect("IPv4 ihl 15, no room for TCP", V4(.ihl = 15, .src = stranger, .dst = on), XDP_PASS, SYN_R_PASS_TRUNCATED);
	expect("IPv4 first fragment SYN", V4(.frag = FIRST_FRAG, .src = stranger, .dst = on), XDP_PASS, SYN_R_FALLBACK_PASS);
	expect("IPv4 non-first fragment", V4(.frag = LATER_FRAG, .src = stranger, .dst = on), XDP_PASS, SYN_R_PASS_FRAGMENT);

	expect("v6 hop+dst+rt+frag(first), authenticated", V4(.v6 = 1, .src = "2001:db8:a::1", .dst = on6, .ext = { HOP, DST, RT, FRAG }, .next = 4), XDP_PASS, SYN_R_PASS_AUTHENTICATED);
	expect("v6 hop+dst+rt+frag(first), unauthenticated", V4(.v6 = 1, .src = stranger6, .dst = on6, .ext = { HOP, DST, RT, FRAG }, .next = 4), XDP_PASS, SYN_R_FALLBACK_PASS);
	expect("v6 non-first fragment", V4(.v6 = 1, .src = stranger6, .dst = on6, .ext = { HOP, FRAG | 0x100 }, .next = 2), XDP_PASS, SYN_R_PASS_FRAGMENT);
	expect("v6 six ext headers (the limit)", V4(.v6 = 1, .src = stranger6, .dst = on6, .ext = { HOP, DST, RT, DST, RT, DST }, .next = 6), XDP_PASS, SYN_R_FALLBACK_PASS);
	expect("v6 seven ext headers", V4(.v6 = 1, .src = stranger6, .dst = on6, .ext = { HOP, DST, RT, DST, RT, DST, DST }, .next = 7), XDP_PASS, SYN_R_PASS_EXT_LIMIT);
	expect("v6 ext headers then UDP", V4(.v6 = 1, .src = stranger6, .dst = on6, .ext = { HOP }, .next = 1, .proto = UDP), XDP_PASS, SYN_R_PASS_NOT_TCP);
}

#define SLOT_NS (1ll << COOKIE_SLOT_SHIFT)

static void test_cookie_ack(void **state)
{
	const char *on = "203.0.113.10", *on6 = "2001:db8:17::10";
	uint64_t t0, exp;

	/* A valid cookie authenticates its source; the ACK is passed. */
	t0 = now_ns();
	expect("v4 cookie ACK", cookie_ack(V4(.src = "100.64.3.1", .dst = on), 1000, 0), XDP_PASS, SYN_R_PASS_ACK);
	exp = auth_expiry("100.64.3.1");
	assert_true(exp >= t0 + SYN_AUTH_TTL_DEFAULT_NS && exp <= now_ns() + SYN_AUTH_TTL_DEFAULT_NS);
	expect("v4 cookie ACK again: authenticated", cookie_ack(V4(.src = "100.64.3.1", .dst = on), 1000, 0), XDP_PASS, SYN_R_PASS_NOT_SYN);
	expect("v4 SYN after it", V4(.src = "100.64.3.1", .dst = on), XDP_PASS, SYN_R_PASS_AUTHENTICATED);
	expect("v4 forged ACK", V4(.src = "100.64.3.2", .dst = on, .tcpflags = F_ACK, .seq = 1001, .ack = 0x5eed1234), XDP_DROP, SYN_R_DROP_BAD_COOKIE);
	assert_true(auth_expiry("100.64.3.2") == 0);
	expect("v4 SYN after a forged ACK", V4(.src = "100.64.3.2", .dst = on), XDP_PASS, SYN_R_FALLBACK_PASS);

	expect("v6 cookie ACK", cookie_ack(V4(.v6 = 1, .src = "2001:db8:c::31", .dst = on6), 7, 0), XDP_PASS, SYN_R_PASS_ACK);
	assert_true(auth_expiry("2001:db8:c::31") > now_ns());
	expect("v6 forged ACK", V4(.v6 = 1, .src = "2001:db8:c::32", .dst = on6, .tcpflags = F_ACK, .seq = 8, .ack = 0xdeadbeef), XDP_DROP, SYN_R_DROP_BAD_COOKIE);
	assert_true(auth_expiry("2001:db8:c::32") == 0);
	expect("v6 cookie ACK behind hop+dst+frag", cookie_ack(V4(.v6 = 1, .src = "2001:db8:c::33", .dst = on6, .ext = { HOP, DST, FRAG }, .next = 3), 0xffffffff, 0), XDP_PASS, SYN_R_PASS_ACK);
	expect("802.1Q v4 cookie ACK", cookie_ack(V4(.tags = 1, .src = "100.64.3.3", .dst = on), 0, 0), XDP_PASS, SYN_R_PASS_ACK);
	expect("802.1Q v4 forged ACK", V4(.tags = 1, .src = "100.64.3.4", .dst = on, .tcpflags = F_ACK, .ack = 77), XDP_DROP, SYN_R_DROP_BAD_COOKIE);
	expect("QinQ v6 cookie ACK", cookie_ack(V4(.tags = 2, .v6 = 1, .src = "2001:db8:c::34", .dst = on6), 5, 0), XDP_PASS, SYN_R_PASS_ACK);
	expect("QinQ v6 forged ACK", V4(.tags = 2, .v6 = 1, .src = "2001:db8:c::35", .dst = on6, .tcpflags = F_ACK, .ack = 77), XDP_DROP, SYN_R_DROP_BAD_COOKIE);
	expect("v4 options, cookie ACK", cookie_ack(V4(.ipopt = 12, .src = "100.64.3.5", .dst = on), 9, 0), XDP_PASS, SYN_R_PASS_ACK);

	/* The cookie of another connection, or of a slot too old. */
	struct spec *s = cookie_ack(V4(.src = "100.64.3.6", .dst = on), 1000, 0);
	s->seq++;
	expect("cookie ACK, another client ISN", s, XDP_DROP, SYN_R_DROP_BAD_COOKIE);
	s = cookie_ack(V4(.src = "100.64.3.6", .dst = on), 1000, 0);
	s->dst = "203.0.113.11";
	expect("cookie ACK, another server", s, XDP_DROP, SYN_R_DROP_BAD_COOKIE);
	expect("cookie ACK, a slot old", cookie_ack(V4(.src = "100.64.3.7", .dst = on), 3, SLOT_NS), XDP_PASS, SYN_R_PASS_ACK);
	expect("cookie ACK, two slots old", cookie_ack(V4(.src = "100.64.3.8", .dst = on), 3, 2 * SLOT_NS + SLOT_NS / 2), XDP_DROP, SYN_R_DROP_BAD_COOKIE);

	/* Not judged: data, FIN, RST, other prefixes, authenticated sources. */
	expect("forged ACK with data", V4(.src = "100.64.3.9", .dst = on, .tcpflags = F_ACK, .payload = 100), XDP_PASS, SYN_R_PASS_NOT_SYN);
	expect("forged ACK+FIN", V4(.src = "100.64.3.9", .dst = on, .tcpflags = F_ACK | F_FIN), XDP_PASS, SYN_R_PASS_NOT_SYN);
	expect("forged ACK+RST", V4(.src = "100.64.3.9", .dst = on, .tcpflags = F_ACK | F_RST), XDP_PASS, SYN_R_PASS_NOT_SYN);
	expect("forged ACK to monitor", V4(.src = "100.64.3.9", .dst = "192.0.2.10", .tcpflags = F_ACK), XDP_PASS, SYN_R_PASS_NOT_SYN);
	expect("forged ACK to mode off", V4(.src = "100.64.3.9", .dst = "198.18.0.1", .tcpflags = F_ACK), XDP_PASS, SYN_R_PASS_NOT_SYN);
	expect("forged ACK to no prefix", V4(.src = "100.64.3.9", .dst = "10.0.0.1", .tcpflags = F_ACK), XDP_PASS, SYN_R_PASS_NOT_SYN);
	expect("forged ACK, authenticated", V4(.src = "100.64.0.1", .dst = on, .tcpflags = F_ACK), XDP_PASS, SYN_R_PASS_NOT_SYN);
	expect("forged ACK, authentication expired", V4(.src = "100.64.0.2", .dst = on, .tcpflags = F_ACK), XDP_DROP, SYN_R_DROP_BAD_COOKIE);
	expect("blocked cookie ACK", cookie_ack(V4(.src = "198.51.100.7", .dst = on), 1, 0), XDP_DROP, SYN_R_DROP_BLOCKED);
}

static void test_cookie_config(void **state)
{
	const char *on = "203.0.113.10";
	uint64_t t0, exp;

	/* Valid ACKs dropped; a shorter authentication. */
	cfg.flags = SYN_CF_DROP_VALID_ACK;
	cfg.auth_ttl_ns = 10e9;
	configure(SYN_FALLBACK_PASS, 0, 0);
	t0 = now_ns();
	expect("cookie ACK, drop-valid-ack", cookie_ack(V4(.src = "100.64.4.1", .dst = on), 1, 0), XDP_DROP, SYN_R_DROP_COOKIE_ACK);
	exp = auth_expiry("100.64.4.1");
	assert_true(exp >= t0 + 10e9 && exp <= now_ns() + 10e9);
	expect("its SYN", V4(.src = "100.64.4.1", .dst = on), XDP_PASS, SYN_R_PASS_AUTHENTICATED);

	/* Less than half the time left: a pure ACK renews it; more: not. */
	authenticate("100.64.4.2", 4e9);
	exp = auth_expiry("100.64.4.2");
	expect("ACK renews", V4(.src = "100.64.4.2", .dst = on, .tcpflags = F_ACK), XDP_PASS, SYN_R_PASS_NOT_SYN);
	assert_true(auth_expiry("100.64.4.2") >= exp + 5e9);
	authenticate("100.64.4.3", 6e9);
	exp = auth_expiry("100.64.4.3");
	expect("ACK does not renew yet", V4(.src = "100.64.4.3", .dst = on, .tcpflags = F_ACK), XDP_PASS, SYN_R_PASS_NOT_SYN);
	assert_true(auth_expiry("100.64.4.3") == exp);

	/* Rotation: the previous key still counts, the one before not. */
	struct spec *old = cookie_ack(V4(.src = "100.64.4.4", .dst = on), 1, 0);
	assert_int_equal(cookie_keys_rotate(&keys), 0);
	put_keys();
	expect("cookie of the previous key", old, XDP_DROP, SYN_R_DROP_COOKIE_ACK);
	forget("100.64.4.4");
	assert_int_equal(cookie_keys_rotate(&keys), 0);
	put_keys();
	expect("cookie of the key before", old, XDP_DROP, SYN_R_DROP_BAD_COOKIE);

	/* No key yet (workers never started): no cookie was sent, none judged. */
	struct syn_cookie_keys saved = keys;
	keys.valid = 0;
	put_keys();
	expect("no key: ACK not judged", V4(.src = "100.64.4.5", .dst = on, .tcpflags = F_ACK), XDP_PASS, SYN_R_PASS_NOT_SYN);
	keys = saved;
	put_keys();
}

static void test_fallback_drop(void **state)
{
	configure(SYN_FALLBACK_DROP, 0, 0);
	expect("fallback drop v4", V4(.src = "100.64.1.1", .dst = "203.0.113.10"), XDP_DROP, SYN_R_FALLBACK_DROP);
	expect("fallback drop v6", V4(.v6 = 1, .src = "2001:db8:c::1", .dst = "2001:db8:17::10"), XDP_DROP, SYN_R_FALLBACK_DROP);
	expect("fallback drop spares authenticated", V4(.src = "100.64.0.1", .dst = "203.0.113.10"), XDP_PASS, SYN_R_PASS_AUTHENTICATED);
	expect("fallback drop spares monitor", V4(.src = "100.64.1.1", .dst = "192.0.2.10"), XDP_PASS, SYN_R_PASS_MONITOR);
}

static void test_budget(void **state)
{
	/* 1 SYN per second, burst 3: the 4th and 5th are over budget. */
	configure(SYN_FALLBACK_PASS, 1000000000ull, 3000000000ull);
	for (int i = 0; i < 3; i++)
		expect("within budget", V4(.src = "100.64.2.1", .dst = "203.0.113.10"), XDP_PASS, SYN_R_FALLBACK_PASS);
	expect("budget exceeded", V4(.src = "100.64.2.1", .dst = "203.0.113.10"), XDP_DROP, SYN_R_DROP_BUDGET);
	expect("budget exceeded v6 spares others", V4(.v6 = 1, .src = "2001:db8:c::2", .dst = "2001:db8:17::10"), XDP_PASS, SYN_R_FALLBACK_PASS);
	expect("budget exceeded, still", V4(.src = "100.64.2.1", .dst = "203.0.113.10"), XDP_DROP, SYN_R_DROP_BUDGET);
	expect("authenticated: no budget", V4(.src = "100.64.0.1", .dst = "203.0.113.10"), XDP_PASS, SYN_R_PASS_AUTHENTICATED);
}

/* An AF_XDP socket bound (copy mode) to lo's queue 0, in syn_xsks[0]:
 * bpf_redirect_map finds it and the program answers XDP_REDIRECT. */
static void test_socket(void **state)
{
	struct xdp_umem_reg mr = { 0 };
	struct sockaddr_xdp sxdp = { .sxdp_family = AF_XDP };
	int fd, ring = 64, zero = 0;
	void *umem = NULL;

	fd = socket(AF_XDP, SOCK_RAW, 0);
	if (fd < 0 || posix_memalign(&umem, 4096, 64 * 4096))
		goto skip;
	mr.addr = (uintptr_t)umem;
	mr.len = 64 * 4096;
	mr.chunk_size = 4096;
	sxdp.sxdp_ifindex = if_nametoindex("lo");
	sxdp.sxdp_queue_id = 0;
	sxdp.sxdp_flags = XDP_COPY;
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &ring, sizeof(ring)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring, sizeof(ring)) ||
	    setsockopt(fd, SOL_XDP, XDP_RX_RING, &ring, sizeof(ring)) ||
	    bind(fd, (struct sockaddr *)&sxdp, sizeof(sxdp)))
		goto skip;
	assert_int_equal(bpf_map_update_elem(m_xsks, &zero, &fd, BPF_ANY), 0);
	configure(SYN_FALLBACK_DROP, 0, 0);
	expect("on, unauthenticated, socket bound v4", V4(.src = "100.64.1.1", .dst = "203.0.113.10"), XDP_REDIRECT, SYN_R_REDIRECT_XSK);
	expect("on, unauthenticated, socket bound v6", V4(.v6 = 1, .src = "2001:db8:c::1", .dst = "2001:db8:17::10"), XDP_REDIRECT, SYN_R_REDIRECT_XSK);
	expect("on, authenticated, socket bound", V4(.src = "100.64.0.1", .dst = "203.0.113.10"), XDP_PASS, SYN_R_PASS_AUTHENTICATED);
	assert_int_equal(bpf_map_delete_elem(m_xsks, &zero), 0);
	expect("socket gone: fallback", V4(.src = "100.64.1.1", .dst = "203.0.113.10"), XDP_DROP, SYN_R_FALLBACK_DROP);
	close(fd);
	free(umem);
	return;
skip:
	printf("  SKIP: no AF_XDP socket on lo (%s)\n", strerror(errno));
	if (fd >= 0)
		close(fd);
	free(umem);
	skip();
}

/* Every length from 0 to the whole frame: never ABORTED; anything that
 * ends before the TCP header does is passed as truncated.  The kernel
 * refuses BPF_PROG_RUN input shorter than an Ethernet header (EINVAL):
 * real XDP never sees such frames either. */
static void truncations_as(const char *what, const struct spec *s, int wact,
			   int wreason, const char *fresh)
{
	uint8_t pkt[512];
	size_t l4end, full = build(s, pkt, &l4end);
	int refused = 0, truncated = 0, whole = 0;

	for (size_t len = 0; len <= full; len++) {
		int r, act;

		if (fresh)
			forget(fresh);
		act = run(pkt, len, &r);

		if (act == -EINVAL && len < ETH_HLEN) {
			refused++;
			continue;
		}
		if (act < 0)
			fail_msg("%s len %zu: BPF_PROG_RUN: %s", what, len, strerror(-act));
		if (act == XDP_ABORTED || act > XDP_REDIRECT)
			fail_msg("%s len %zu: %s", what, len, act_name(act));
		if (len < l4end) {
			if (act != XDP_PASS || r != SYN_R_PASS_TRUNCATED)
				fail_msg("%s len %zu: %s/%s", what, len, act_name(act),
					 r >= 0 ? reason_name[r] : "?");
			truncated++;
		} else {
			if (act != wact || r != wreason)
				fail_msg("%s len %zu: %s", what, len, act_name(act));
			whole++;
		}
	}
	printf("  %-44s 0..%zu: %d refused by the kernel (< %d), %d truncated -> PASS, %d whole\n",
	       what, full, refused, ETH_HLEN, truncated, whole);
}

static void truncations(const char *what, const struct spec *s)
{
	truncations_as(what, s, XDP_PASS, SYN_R_FALLBACK_PASS, NULL);
}

static void test_truncations(void **state)
{
	truncations("802.1Q IPv4 SYN", V4(.tags = 1, .src = "100.64.1.1", .dst = "203.0.113.10"));
	truncations("QinQ IPv4 SYN, 8 bytes of options", V4(.tags = 2, .ipopt = 8, .src = "100.64.1.1", .dst = "203.0.113.10"));
	truncations("IPv6 SYN", V4(.v6 = 1, .src = "2001:db8:c::1", .dst = "2001:db8:17::10"));
	truncations("802.1Q IPv6 SYN, hop+dst+frag", V4(.tags = 1, .v6 = 1, .src = "2001:db8:c::1", .dst = "2001:db8:17::10", .ext = { HOP, DST, FRAG }, .next = 3));
	/* ACKs: judged as soon as the TCP header is whole (the IP length says
	 * there is no payload, whatever the frame holds). */
	truncations_as("forged v4 ACK", V4(.src = "100.64.1.1", .dst = "203.0.113.10", .tcpflags = F_ACK, .ack = 5), XDP_DROP, SYN_R_DROP_BAD_COOKIE, NULL);
	truncations_as("forged QinQ v4 ACK, options", V4(.tags = 2, .ipopt = 8, .src = "100.64.1.1", .dst = "203.0.113.10", .tcpflags = F_ACK, .ack = 5), XDP_DROP, SYN_R_DROP_BAD_COOKIE, NULL);
	truncations_as("forged 802.1Q v6 ACK, hop+dst+frag", V4(.tags = 1, .v6 = 1, .src = "2001:db8:c::1", .dst = "2001:db8:17::10", .ext = { HOP, DST, FRAG }, .next = 3, .tcpflags = F_ACK, .ack = 5), XDP_DROP, SYN_R_DROP_BAD_COOKIE, NULL);
	truncations_as("cookie 802.1Q v4 ACK", cookie_ack(V4(.tags = 1, .src = "100.64.1.2", .dst = "203.0.113.10"), 42, 0), XDP_PASS, SYN_R_PASS_ACK, "100.64.1.2");
	truncations_as("cookie QinQ v6 ACK, hop+dst", cookie_ack(V4(.tags = 2, .v6 = 1, .src = "2001:db8:c::2", .dst = "2001:db8:17::10", .ext = { HOP, DST }, .next = 2), 42, 0), XDP_PASS, SYN_R_PASS_ACK, "2001:db8:c::2");
}

/* ns per packet through BPF_PROG_RUN: printed, never asserted. */
static void timing(const char *what, const struct spec *s)
{
	uint8_t pkt[512];
	size_t l4end, len = build(s, pkt, &l4end);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
		    .repeat = 100000);

	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &o), 0);
	printf("  %-44s %s, %u ns/packet (BPF_PROG_RUN, repeat %d)\n", what,
	       act_name(o.retval), o.duration, o.repeat);
}

static void test_timing(void **state)
{
	timing("blocked v4 SYN", V4(.src = "198.51.100.7", .dst = "203.0.113.10"));
	timing("unauthenticated v4 SYN, mode on", V4(.src = "100.64.1.1", .dst = "203.0.113.10"));
	timing("authenticated 802.1Q v4 SYN, mode on", V4(.tags = 1, .src = "100.64.0.1", .dst = "203.0.113.10"));
	timing("unauthenticated v6 SYN, ext headers", V4(.v6 = 1, .src = "2001:db8:c::1", .dst = "2001:db8:17::10", .ext = { HOP, DST }, .next = 2));
	timing("forged v4 ACK, mode on", V4(.src = "100.64.1.1", .dst = "203.0.113.10", .tcpflags = F_ACK));
	timing("v4 ACK with data, mode on", V4(.src = "100.64.1.1", .dst = "203.0.113.10", .tcpflags = F_ACK, .payload = 100));
	timing("authenticated v4 ACK, mode on", V4(.src = "100.64.0.1", .dst = "203.0.113.10", .tcpflags = F_ACK));
}

/* ---- setup ---- */

static int map_fd(const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (!m) {
		fprintf(stderr, "test-xdp-verdict: no map %s in the object\n", name);
		exit(1);
	}
	return bpf_map__fd(m);
}

/* Can this process load an XDP program at all?  A one-instruction one. */
static int bpf_usable(void)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = XDP_PASS },	/* r0 = PASS */
		{ .code = 0x95 },					/* exit */
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, NULL, "GPL", insns, 2, NULL);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int silent(enum libbpf_print_level l, const char *f, va_list ap)
{
	return l == LIBBPF_WARN ? vfprintf(stderr, f, ap) : 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_table, reset),
		cmocka_unit_test_setup(test_cookie_ack, reset),
		cmocka_unit_test_setup(test_cookie_config, reset),
		cmocka_unit_test_setup(test_fallback_drop, reset),
		cmocka_unit_test_setup(test_budget, reset),
		cmocka_unit_test_setup(test_socket, reset),
		cmocka_unit_test_setup(test_truncations, reset),
		cmocka_unit_test_setup(test_timing, reset),
	};
	char path[PATH_MAX], self[PATH_MAX];
	const char *env = getenv("GWD_SYN_BPF_OBJ");
	struct bpf_program *prog;
	cpu_set_t one;
	int err;

	/* The per-CPU budget map must see one CPU across runs. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);

	err = bpf_usable();
	if (err) {
		printf("\n*** SKIP test-xdp-verdict: cannot load XDP programs here (%s): "
		       "needs root and BPF ***\n\n", strerror(-err));
		return 77;
	}
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(path, sizeof(path), "%s/../../gwd/xdp/syn.bpf.o", dirname(self));
	libbpf_set_print(silent);
	obj = bpf_object__open_file(env ? env : path, NULL);
	if (!obj) {
		fprintf(stderr, "test-xdp-verdict: %s: %s\n", env ? env : path, strerror(errno));
		return 1;
	}
	/* BPF_PROG_RUN: bpf_prog_load_opts wants no expected attach type. */
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "test-xdp-verdict: loading %s failed: %s\n",
			env ? env : path, strerror(-err));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "gwd_syn");
	prog_fd = bpf_program__fd(prog);
	ncpus = libbpf_num_possible_cpus();
	m_stats = map_fd("syn_stats");
	m_config = map_fd("syn_config");
	m_blk4 = map_fd("syn_blocked_v4");
	m_blk6 = map_fd("syn_blocked_v6");
	m_alw4 = map_fd("syn_allowed_v4");
	m_alw6 = map_fd("syn_allowed_v6");
	m_pfx4 = map_fd("syn_prefix_v4");
	m_pfx6 = map_fd("syn_prefix_v6");
	m_auth = map_fd("syn_auth");
	m_budget = map_fd("syn_budget");
	m_xsks = map_fd("syn_xsks");
	m_keys = map_fd("syn_cookie_keys");
	if (cookie_keys_rotate(&keys) || cookie_keys_rotate(&keys)) {
		fprintf(stderr, "test-xdp-verdict: getrandom: %s\n", strerror(errno));
		return 1;
	}

	block("198.51.100.0/24");
	block("2001:db8:bad::/48");
	allow("100.66.0.0/16");
	allow("198.51.100.192/26");
	allow("2001:db8:600d::/48");
	protect("203.0.113.0/24", SYN_MODE_ON, 1);
	protect("192.0.2.0/24", SYN_MODE_MONITOR, 2);
	protect("198.18.0.0/15", SYN_MODE_OFF, 3);
	protect("2001:db8:17::/48", SYN_MODE_ON, 4);
	protect("2001:db8:18::/48", SYN_MODE_MONITOR, 5);

	err = cmocka_run_group_tests(tests, NULL, NULL);
	bpf_object__close(obj);
	return err;
}
