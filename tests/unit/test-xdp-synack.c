/* The frame rewrite of the SYN fast path (gwd/xdp/fastpath.c,
 * fastpath_synack()), pure user space: crafted SYNs (IPv4 plain and with
 * options, 802.1Q, QinQ, IPv6 plain and with hop-by-hop + destination
 * options, 802.1Q IPv6) become cookie SYN-ACKs whose every field is checked
 * against a reference (checksums computed here); every truncation of each
 * SYN and a set of malformed ones are refused untouched, from buffers of
 * their exact length (run under SANITIZE=address to catch an over-read). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gwd/xdp/cookie.h"
#include "gwd/xdp/fastpath.h"

#define CAP	2048
#define NOW	(5ull << COOKIE_SLOT_SHIFT | 12345)
#define ISN	0x11223344u
#define SPORT	40000
#define DPORT	443

static const uint8_t server_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t client_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t client4[4] = { 198, 18, 0, 7 };
static const uint8_t server4[4] = { 192, 0, 2, 10 };
static const uint8_t client6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
static const uint8_t server6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x10 };

struct spec {
	const char *name;
	unsigned ntags;
	uint16_t tpid[2], vid[2];
	bool v6;
	unsigned v4_opts;	/* bytes of IPv4 options: 0, 8 */
	bool v6_ext;		/* hop-by-hop + destination options */
	unsigned mss;		/* client MSS option; 0: none */
	uint8_t flags;		/* TCP flags; 0 = SYN */
	uint16_t frag;		/* IPv4 flags + offset; 0 = DF */
	unsigned ihl;		/* IPv4 ihl override; 0 = right */
};

static const struct syn_cookie_keys keys = {
	.cur = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull },
	.prev = { 0x1111111111111111ull, 0x2222222222222222ull },
	.valid = SYN_COOKIE_CUR_VALID | SYN_COOKIE_PREV_VALID,
};

static void wr16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v >> 16); wr16(p + 2, v & 0xffff); }
static unsigned rd16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) << 16 | rd16(p + 2); }

/* RFC 1071, big-endian words; returns the folded sum (not inverted). */
static uint32_t sum16(uint32_t s, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		s += rd16(p);
	if (len)
		s += (uint32_t)p[0] << 8;
	return s;
}

static unsigned fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* The TCP checksum over a segment whose checksum field is taken as zero. */
static unsigned ref_tcp_csum(bool v6, const uint8_t *src, const uint8_t *dst,
			     const uint8_t *seg, unsigned len)
{
	uint8_t tmp[256];
	uint32_t s;

	assert_true(len <= sizeof(tmp));
	memcpy(tmp, seg, len);
	wr16(tmp + 16, 0);
	s = sum16(sum16(0, src, v6 ? 16 : 4), dst, v6 ? 16 : 4);
	s += 6 + len;
	s = sum16(s, tmp, len);
	return ~fold(s) & 0xffff;
}

/* A SYN as spec says, at buf; returns its length. */
static unsigned build(uint8_t *buf, const struct spec *sp)
{
	unsigned o = 12, ip, tcp, iphl, tcplen = 0;
	uint8_t *th;

	memset(buf, 0, CAP);
	memcpy(buf, server_mac, 6);
	memcpy(buf + 6, client_mac, 6);
	for (unsigned i = 0; i < sp->ntags; i++, o += 4) {
		wr16(buf + o, sp->tpid[i]);
		wr16(buf + o + 2, sp->vid[i]);
	}
	wr16(buf + o, sp->v6 ? 0x86dd : 0x0800);
	ip = o + 2;
	if (sp->v6) {
		wr32(buf + ip, 6u << 28 | 0x12345);	/* a flow label */
		buf[ip + 7] = 57;
		memcpy(buf + ip + 8, client6, 16);
		memcpy(buf + ip + 24, server6, 16);
		iphl = 40;
		if (sp->v6_ext) {
			uint8_t *e = buf + ip + 40;

			buf[ip + 6] = 0;		/* hop-by-hop */
			e[0] = 60; e[1] = 0;		/* -> destination options */
			e[2] = 1; e[3] = 4;		/* PadN */
			e[8] = 6; e[9] = 1;		/* -> TCP, 16 bytes */
			e[10] = 1; e[11] = 12;		/* PadN */
			iphl += 8 + 16;
		} else {
			buf[ip + 6] = 6;
		}
	} else {
		iphl = 20 + sp->v4_opts;
		buf[ip] = 0x40 | (sp->ihl ? sp->ihl : iphl / 4);
		wr16(buf + ip + 4, 0xbeef);
		wr16(buf + ip + 6, sp->frag ? sp->frag : 0x4000);
		buf[ip + 8] = 57;
		buf[ip + 9] = 6;
		memcpy(buf + ip + 12, client4, 4);
		memcpy(buf + ip + 16, server4, 4);
		if (sp->v4_opts) {		/* record route, 1 slot, EOL */
			buf[ip + 20] = 7; buf[ip + 21] = 7; buf[ip + 22] = 4;
		}
	}
	tcp = ip + iphl;
	th = buf + tcp;
	wr16(th, SPORT);
	wr16(th + 2, DPORT);
	wr32(th + 4, ISN);
	th[13] = sp->flags ? sp->flags : 0x02;
	wr16(th + 14, 64240);
	tcplen = 20;
	if (sp->mss) {
		th[tcplen++] = 2; th[tcplen++] = 4;
		wr16(th + tcplen, sp->mss); tcplen += 2;
	}
	th[tcplen++] = 4; th[tcplen++] = 2;	/* SACK permitted */
	th[tcplen++] = 8; th[tcplen++] = 10;	/* timestamps */
	wr32(th + tcplen, 0xaabbccdd); tcplen += 8;
	th[tcplen++] = 1;			/* NOP, window scale 7 */
	th[tcplen++] = 3; th[tcplen++] = 3; th[tcplen++] = 7;
	while (tcplen % 4)
		th[tcplen++] = 0;
	th[12] = (uint8_t)(tcplen / 4 << 4);
	if (sp->v6) {
		wr16(buf + ip + 4, iphl - 40 + tcplen);
		wr16(th + 16, ref_tcp_csum(true, client6, server6, th, tcplen));
	} else {
		wr16(buf + ip + 2, iphl + tcplen);
		wr16(buf + ip + 10, ~fold(sum16(0, buf + ip, iphl)) & 0xffff);
		wr16(th + 16, ref_tcp_csum(false, client4, server4, th, tcplen));
	}
	return tcp + tcplen;
}

static const struct spec good[] = {
	{ .name = "IPv4" },
	{ .name = "IPv4 options", .v4_opts = 8 },
	{ .name = "802.1Q IPv4", .ntags = 1, .tpid = { 0x8100 }, .vid = { 10 } },
	{ .name = "QinQ IPv4", .ntags = 2, .tpid = { 0x88a8, 0x8100 }, .vid = { 100, 200 } },
	{ .name = "IPv6", .v6 = true },
	{ .name = "IPv6 hbh+dstopts", .v6 = true, .v6_ext = true },
	{ .name = "802.1Q IPv6", .v6 = true, .ntags = 1, .tpid = { 0x8100 }, .vid = { 4094 } },
	{ .name = "QinQ IPv6 hbh+dstopts", .v6 = true, .v6_ext = true, .ntags = 2,
	  .tpid = { 0x88a8, 0x8100 }, .vid = { 7, 8 } },
};

static void check_synack(const struct spec *sp, unsigned client_mss)
{
	struct spec s = *sp;
	uint8_t *buf = calloc(1, CAP), orig[CAP];
	unsigned len, l2 = 14 + 4 * sp->ntags, ip = l2, tcp, want, mss_opt, mss_ck = 99;
	struct cookie_tuple t = { 0 };
	const uint8_t *th;
	bool v6 = !sp->v6;
	int n;

	assert_non_null(buf);
	s.mss = client_mss;
	len = build(buf, &s);
	memcpy(orig, buf, CAP);
	n = fastpath_synack(buf, len, CAP, &keys, NOW, &v6);
	tcp = ip + (sp->v6 ? 40 : 20);
	want = tcp + 24 < 60 ? 60 : tcp + 24;
	if (n != (int)want)
		fail_msg("%s mss %u: length %d, want %u", sp->name, client_mss, n, want);
	assert_int_equal(v6, sp->v6);

	/* Ethernet: MACs swapped, tags and type kept in order. */
	assert_memory_equal(buf, client_mac, 6);
	assert_memory_equal(buf + 6, server_mac, 6);
	assert_memory_equal(buf + 12, orig + 12, l2 - 12);
	for (unsigned i = 0; i < sp->ntags; i++) {
		assert_int_equal(rd16(buf + 12 + 4 * i), sp->tpid[i]);
		assert_int_equal(rd16(buf + 14 + 4 * i), sp->vid[i]);
	}

	/* IP: addresses swapped, no options, header checksum right. */
	if (sp->v6) {
		assert_int_equal(buf[ip] >> 4, 6);
		assert_int_equal(rd16(buf + ip + 4), 24);
		assert_int_equal(buf[ip + 6], 6);
		assert_true(buf[ip + 7] > 0);
		assert_memory_equal(buf + ip + 8, server6, 16);
		assert_memory_equal(buf + ip + 24, client6, 16);
	} else {
		assert_int_equal(buf[ip], 0x45);
		assert_int_equal(rd16(buf + ip + 2), 44);
		assert_int_equal(rd16(buf + ip + 6) & 0x3fff, 0);
		assert_true(buf[ip + 8] > 0);
		assert_int_equal(buf[ip + 9], 6);
		assert_memory_equal(buf + ip + 12, server4, 4);
		assert_memory_equal(buf + ip + 16, client4, 4);
		assert_int_equal(fold(sum16(0, buf + ip, 20)), 0xffff);
	}

	/* TCP. */
	th = buf + tcp;
	assert_int_equal(rd16(th), DPORT);
	assert_int_equal(rd16(th + 2), SPORT);
	assert_int_equal(rd32(th + 8), ISN + 1);
	assert_int_equal(th[12] >> 4, 6);
	assert_int_equal(th[13], 0x12);
	assert_true(rd16(th + 14) > 0);
	assert_int_equal(rd16(th + 18), 0);
	assert_int_equal(th[20], 2);
	assert_int_equal(th[21], 4);
	mss_opt = rd16(th + 22);
	if (sp->v6)
		assert_int_equal(rd16(th + 16), ref_tcp_csum(true, server6, client6, th, 24));
	else
		assert_int_equal(rd16(th + 16), ref_tcp_csum(false, server4, client4, th, 24));
	for (unsigned i = tcp + 24; i < want; i++)
		assert_int_equal(buf[i], 0);	/* padding to 60 */

	/* The seq is our cookie for the SYN's tuple and ISN. */
	if (sp->v6) {
		memcpy(t.saddr, client6, 16);
		memcpy(t.daddr, server6, 16);
	} else {
		cookie_addr_v4(t.saddr, client4);
		cookie_addr_v4(t.daddr, server4);
	}
	t.sport = htons(SPORT);
	t.dport = htons(DPORT);
	assert_true(cookie_check(&keys, &t, ISN, rd32(th + 4) + 1, NOW, &mss_ck));
	assert_int_equal(mss_ck, mss_opt);
	assert_int_equal(mss_opt, cookie_mss_table[cookie_mss_index(client_mss)]);
	assert_int_equal(mss_opt, client_mss);	/* 1460 and 536 are in the table */
	/* Another tuple or ISN does not pass. */
	assert_false(cookie_check(&keys, &t, ISN + 1, rd32(th + 4) + 1, NOW, NULL));
	t.sport = htons(SPORT + 1);
	assert_false(cookie_check(&keys, &t, ISN, rd32(th + 4) + 1, NOW, NULL));
	free(buf);
}

static void test_synack(void **state)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		check_synack(&good[i], 1460);
		check_synack(&good[i], 536);
	}
}

/* Copies frame[0..len) into a buffer of exactly len bytes (ASan sees any
 * read past it) and expects it refused, untouched. */
static void refused(const char *what, unsigned cut, const uint8_t *frame, unsigned len)
{
	uint8_t *b = malloc(len ? len : 1);
	bool v6 = false;
	int n;

	assert_non_null(b);
	memcpy(b, frame, len);
	/* cap: what the frame would have; a refusal must not write at all. */
	n = fastpath_synack(b, len, CAP, &keys, NOW, &v6);
	if (n != 0)
		fail_msg("%s (%u bytes): returned %d, want 0 (refused)", what, cut, n);
	assert_memory_equal(b, frame, len);
	free(b);
}

static void test_truncated(void **state)
{
	uint8_t frame[CAP];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct spec s = good[i];
		unsigned full;

		s.mss = 1460;
		full = build(frame, &s);
		for (unsigned len = 0; len < full; len++)
			refused(s.name, len, frame, len);
		/* Cut with the IP length saying so: the headers end early. */
		for (unsigned len = 0; len < full; len++) {
			unsigned ip = 14 + 4 * s.ntags;
			uint8_t cut[CAP];

			memcpy(cut, frame, full);
			if (s.v6 && len >= ip + 40)
				wr16(cut + ip + 4, len - ip - 40);
			else if (!s.v6 && len >= ip + 4)
				wr16(cut + ip + 2, len - ip);
			refused(s.name, len, cut, len);
		}
		/* The whole frame passes (in a buffer of CAP bytes). */
		{
			uint8_t *b = calloc(1, CAP);

			assert_non_null(b);
			memcpy(b, frame, full);
			assert_true(fastpath_synack(b, full, CAP, &keys, NOW, NULL) > 0);
			free(b);
		}
	}
}

static void test_malformed(void **state)
{
	static const struct spec bad[] = {
		{ .name = "SYN+ACK", .flags = 0x12, .mss = 1460 },
		{ .name = "SYN+ACK IPv6", .v6 = true, .flags = 0x12, .mss = 1460 },
		{ .name = "RST", .flags = 0x04, .mss = 1460 },
		{ .name = "SYN+RST", .flags = 0x06, .mss = 1460 },
		{ .name = "RST IPv6", .v6 = true, .flags = 0x04 },
		{ .name = "SYN+FIN", .flags = 0x03, .mss = 1460 },
		{ .name = "no SYN (ACK)", .flags = 0x10, .mss = 1460 },
		{ .name = "IPv4 non-first fragment", .frag = 0x0010, .mss = 1460 },
		{ .name = "IPv4 non-first fragment, MF", .frag = 0x2010, .mss = 1460 },
		{ .name = "IPv4 first fragment (MF)", .frag = 0x2000, .mss = 1460 },
		{ .name = "ihl 0", .ihl = 0xf0 /* below */ },
		{ .name = "ihl 4", .ihl = 4, .mss = 1460 },
		{ .name = "ihl 1", .ihl = 1, .mss = 1460 },
		{ .name = "ihl 15", .ihl = 15, .mss = 1460 },
		{ .name = "ihl 7 (options overlap TCP)", .ihl = 7, .mss = 1460 },
	};
	uint8_t frame[CAP];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct spec s = bad[i];
		unsigned full = build(frame, &s);

		if (s.ihl == 0xf0)	/* ihl field 0: build can't say 0 */
			frame[14] = 0x40;
		refused(s.name, full, frame, full);
	}

	/* By hand: three tags, IPv4 version in IPv6, bad doff, no TCP. */
	{
		struct spec s = { .ntags = 2, .tpid = { 0x88a8, 0x8100 }, .vid = { 1, 2 }, .mss = 1460 };
		unsigned full = build(frame, &s);
		uint8_t three[CAP];

		/* a third 802.1Q tag in front: refused (two at most) */
		memcpy(three, frame, 12);
		wr16(three + 12, 0x8100);
		wr16(three + 14, 3);
		memcpy(three + 16, frame + 12, full - 12);
		refused("three tags", full + 4, three, full + 4);
	}
	{
		struct spec s = { .mss = 1460 };
		unsigned full = build(frame, &s);

		frame[14 + 9] = 17;			/* UDP */
		refused("IPv4 UDP", full, frame, full);
		full = build(frame, &s);
		frame[14] = 0x65;			/* version 6 */
		refused("IPv4 version 6", full, frame, full);
		full = build(frame, &s);
		frame[14 + 20 + 12] = 4 << 4;		/* doff 4 */
		refused("doff 4", full, frame, full);
		full = build(frame, &s);
		frame[14 + 20 + 12] = 15 << 4;		/* doff past the end */
		refused("doff 15", full, frame, full);
		full = build(frame, &s);
		wr16(frame + 14 + 2, full - 14 + 1);	/* tot past the frame */
		refused("IPv4 tot past the end", full, frame, full);
		full = build(frame, &s);
		wr16(frame + 12, 0x0806);		/* ARP */
		refused("ARP", full, frame, full);
	}
	{
		struct spec s = { .v6 = true, .v6_ext = true, .mss = 1460 };
		unsigned full = build(frame, &s);

		frame[14 + 40 + 8 + 1] = 200;		/* dstopts past the end */
		refused("IPv6 ext past the end", full, frame, full);
		full = build(frame, &s);
		frame[14 + 40 + 8] = 17;		/* ... -> UDP */
		refused("IPv6 ext -> UDP", full, frame, full);
		full = build(frame, &s);
		wr16(frame + 14 + 4, full - 54 + 1);	/* payload past the frame */
		refused("IPv6 payload past the end", full, frame, full);
	}
	{
		/* seven hop-by-hop headers: one more than the six walked */
		struct spec s = { .v6 = true, .mss = 1460 };
		uint8_t big[CAP];
		unsigned full = build(frame, &s), ext = 7 * 8, o = 14 + 40;

		memcpy(big, frame, o);
		big[14 + 6] = 0;
		for (unsigned k = 0; k < 7; k++) {
			memset(big + o + 8 * k, 0, 8);
			big[o + 8 * k] = k == 6 ? 6 : 0;
		}
		memcpy(big + o + ext, frame + o, full - o);
		wr16(big + 14 + 4, rd16(frame + 14 + 4) + ext);
		refused("IPv6 seven extension headers", full + ext, big, full + ext);
	}

	/* Without a key: -1, nothing written. */
	{
		struct spec s = { .mss = 1460 };
		struct syn_cookie_keys none = { 0 };
		unsigned full = build(frame, &s);
		uint8_t copy[CAP];

		memcpy(copy, frame, CAP);
		assert_int_equal(fastpath_synack(frame, full, CAP, &none, NOW, NULL), -1);
		assert_int_equal(fastpath_synack(frame, full, CAP, NULL, NOW, NULL), -1);
		assert_memory_equal(frame, copy, CAP);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synack),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
