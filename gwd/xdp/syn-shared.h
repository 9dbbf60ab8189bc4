/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SYN fast path: what the XDP program (syn.bpf.c) and user space
 * (gwd's fastpath code, gwctl via gwd, the tests) share.  Map names are
 * the ones in syn.bpf.c; every key and value is defined here, fixed width,
 * no implicit padding, so both compilers lay them out the same.
 *
 * Addresses: IPv4 maps use a 4-byte address, IPv6 maps 16 bytes, both in
 * network byte order.  The per-source maps (authenticated, budget) hold one
 * key shape for both families: an IPv4 source is stored IPv4-mapped
 * (::ffff:a.b.c.d).
 */
/*
 * The handshake (issue 6), and what a real client sees on its first
 * connection to a prefix in mode on:
 *   1. client SYN (seq x) -> XDP: source not authenticated -> AF_XDP worker;
 *      the server never sees it.
 *   2. worker -> client SYN-ACK, seq = cookie (cookie-hash.h: keyed hash of
 *      the tuple, x, time slot, MSS index), ack x + 1.
 *   3. client ACK (seq x + 1, ack cookie + 1, no payload) -> XDP: the cookie
 *      checks -> the source goes into syn_auth for auth_ttl_ns; the ACK is
 *      passed (pass-ack; SYN_CF_DROP_VALID_ACK drops it instead).
 *   4. The client believes it is connected, but the server has no such
 *      connection: the passed ACK reaches it and it answers with an RST (any
 *      stack, RFC 793 "reset generation"), so connect() succeeds and the
 *      first read or write fails at once with "connection reset" (or, when
 *      the reset arrives before the caller wakes, connect() itself fails
 *      with ECONNRESET: test-xdp-fastpath sees both).  With
 *      SYN_CF_DROP_VALID_ACK the client learns it only when its first data
 *      reaches the server (which resets it), or never for a protocol where
 *      the server speaks first (SMTP, SSH): a timeout, hence pass by default.
 *   5. The client's retry (browsers, mail servers and most libraries retry
 *      a reset connection; curl and nc do not) sends a SYN from an
 *      authenticated source: it passes, and every later connection from
 *      that address within auth_ttl_ns does too (pure ACKs renew it).
 * Better, later: the worker answers the valid ACK with an RST itself
 * (XDP redirects it to AF_XDP, or XDP_TX rewrites it), so the reset does not
 * depend on the server's stack or a firewall in front of it.
 *
 * Only pure ACKs are judged (no SYN, RST, FIN, no payload by the IP length):
 * an established flow's data, FINs and RSTs pass.  Its pure ACKs do not when
 * its source is unauthenticated: connections open before a prefix turned on,
 * or opened while SYNs took the fallback pass.  Nothing is judged before user
 * space sets the first key (no cookie was ever sent).
 */
#ifndef GWD_XDP_SYN_SHARED_H
#define GWD_XDP_SYN_SHARED_H

#include <linux/types.h>

#include "cookie-hash.h"	/* struct syn_cookie_keys, map syn_cookie_keys */

/* Per destination prefix (syn_prefix_v4/v6).  A destination no prefix
 * covers is SYN_MODE_OFF.  "auto" is not here: gwd decides it from the
 * per-prefix SYN rate and writes on or off. */
enum syn_mode {
	SYN_MODE_OFF = 0,	/* pass, count nothing but the reason */
	SYN_MODE_MONITOR = 1,	/* count what would happen, pass */
	SYN_MODE_ON = 2,	/* authenticate sources */
};

/* What an unauthenticated SYN to a prefix in mode on gets when no AF_XDP
 * socket is bound on its rx queue (workers dead, not started). */
enum syn_fallback {
	SYN_FALLBACK_PASS = 0,
	SYN_FALLBACK_DROP = 1,
};

/* Why a packet got its verdict: the index into syn_stats.  Every packet
 * the program sees is counted under exactly one reason. */
enum syn_reason {
	SYN_R_PASS_NOT_IP = 0,		/* neither IPv4 nor IPv6 (ARP, LLDP, 3+ tags) */
	SYN_R_PASS_TRUNCATED,		/* a header runs past the packet, or is bogus */
	SYN_R_PASS_FRAGMENT,		/* non-first fragment: no TCP header */
	SYN_R_PASS_EXT_LIMIT,		/* more IPv6 extension headers than we walk */
	SYN_R_PASS_NOT_TCP,
	SYN_R_DROP_BLOCKED,		/* source in syn_blocked_v4/v6 */
	SYN_R_PASS_NOT_SYN,		/* TCP without SYN, or SYN+ACK */
	SYN_R_PASS_ACK,			/* a valid cookie ACK: source authenticated, passed */
	SYN_R_DROP_BAD_COOKIE,		/* an ACK judged as a cookie ACK that is not one */
	SYN_R_PASS_UNPROTECTED,		/* SYN to no prefix, or a prefix in mode off */
	SYN_R_PASS_MONITOR,		/* SYN to a prefix in monitor mode */
	SYN_R_PASS_AUTHENTICATED,	/* mode on, source authenticated, not expired */
	SYN_R_DROP_BUDGET,		/* mode on, per-source SYN budget spent */
	SYN_R_REDIRECT_XSK,		/* mode on, to the AF_XDP socket of the rx queue */
	SYN_R_FALLBACK_PASS,		/* mode on, no socket on the queue, fallback pass */
	SYN_R_FALLBACK_DROP,		/* mode on, no socket on the queue, fallback drop */
	SYN_R_DROP_COOKIE_ACK,		/* a valid cookie ACK: source authenticated, dropped
					 * (SYN_CF_DROP_VALID_ACK) */
	SYN_R_PASS_ALLOWED,		/* source in syn_allowed_v4/v6 */
	SYN_R_MAX
};

/* Their names, for gwctl and the tests, in enum syn_reason's order. */
#define SYN_REASON_NAMES {						\
	"pass-not-ip", "pass-truncated", "pass-fragment", "pass-ext-limit", \
	"pass-not-tcp", "drop-blocked", "pass-not-syn", "pass-ack",	\
	"drop-bad-cookie", "pass-unprotected", "pass-monitor",		\
	"pass-authenticated", "drop-budget", "redirect-xsk",		\
	"fallback-pass", "fallback-drop", "drop-cookie-ack", "pass-allowed" }

/* syn_stats: BPF_MAP_TYPE_PERCPU_ARRAY, index enum syn_reason. */
struct syn_counter {
	__u64 packets;
	__u64 bytes;
};

/* syn_config.flags */
#define SYN_CF_DROP_VALID_ACK	1u	/* drop a valid cookie ACK instead of passing it */

#define SYN_AUTH_TTL_DEFAULT_NS	(300ull * 1000000000ull)

/* syn_config: BPF_MAP_TYPE_ARRAY, one entry at index 0, the site's
 * settings.  All zero is valid: fallback pass, valid cookie ACKs passed. */
struct syn_config {
	__u32 fallback;		/* enum syn_fallback */
	__u32 flags;		/* SYN_CF_* */
};

/* syn_blocked_v4 / syn_allowed_v4 / syn_prefix_v4: BPF_MAP_TYPE_LPM_TRIE. */
struct syn_lpm_v4 {
	__u32 prefixlen;	/* 0..32 */
	__u8 addr[4];
};

/* syn_blocked_v6 / syn_allowed_v6 / syn_prefix_v6: BPF_MAP_TYPE_LPM_TRIE. */
struct syn_lpm_v6 {
	__u32 prefixlen;	/* 0..128 */
	__u8 addr[16];
};

/* Value of syn_blocked_v4/v6 and syn_allowed_v4/v6: the site-wide block
 * and allow lists of the filter (config and gwctl), one source of truth
 * that gwd writes to both nftables and these maps.  Allowed sources pass
 * before anything else, as in the filter. */
struct syn_block {
	__u64 expires_ns;	/* bpf_ktime_get_ns() clock; 0 = never */
};

/* Value of syn_prefix_v4/v6: one per protected prefix, with its
 * customer's settings. */
struct syn_prefix {
	__u32 mode;		/* enum syn_mode */
	__u32 id;		/* index into syn_prefix_stats, < SYN_MAX_PREFIXES */
	/* Per-source SYN budget, a token bucket kept in nanoseconds of credit
	 * so the program never divides: a SYN costs budget_cost_ns (1e9 /
	 * SYNs per second), the bucket holds budget_burst_ns (burst x cost).
	 * Per CPU: a source spread over N rx queues gets up to N x the rate.
	 * The bucket is the source's, whichever prefix it sends to.
	 * budget_cost_ns 0 = no budget. */
	__u64 budget_cost_ns;
	__u64 budget_burst_ns;
	/* How long a valid cookie ACK authenticates its source (syn_auth's
	 * expiry); 0 = SYN_AUTH_TTL_DEFAULT_NS.  A pure ACK from the source
	 * with less than half of it left renews it. */
	__u64 auth_ttl_ns;
};

/* syn_prefix_stats: BPF_MAP_TYPE_PERCPU_ARRAY, index syn_prefix.id: the
 * SYN rate gwd's auto mode reads, and what gwctl show syn prints. */
struct syn_prefix_stats {
	__u64 syns;		/* every SYN to the prefix, any mode */
	__u64 authenticated;	/* passed as authenticated */
	__u64 budget_drops;
	__u64 challenged;	/* to the AF_XDP socket */
	__u64 fallback;		/* no socket: fallback taken */
	__u64 cookies_valid;	/* cookie ACKs that authenticated their source */
	__u64 cookies_bad;	/* ACKs dropped as drop-bad-cookie */
};

/* Key of syn_auth (BPF_MAP_TYPE_LRU_HASH, value __u64 expiry in
 * bpf_ktime_get_ns() time) and syn_budget (BPF_MAP_TYPE_LRU_PERCPU_HASH,
 * value struct syn_bucket). */
struct syn_src {
	__u8 addr[16];		/* IPv6, or IPv4-mapped */
};

struct syn_bucket {
	__u64 last_ns;		/* when credit_ns was last brought up to date */
	__u64 credit_ns;
};

#define SYN_MAX_PREFIXES	4096
#define SYN_MAX_BLOCKED		65536
#ifndef SYN_MAX_AUTH		/* tests build a variant with another size */
#define SYN_MAX_AUTH		262144
#endif
#define SYN_MAX_BUDGET		65536	/* per CPU */
#define SYN_MAX_QUEUES		64	/* syn_xsks: XSKMAP by rx queue */
#define SYN_MAX_VLAN_TAGS	2	/* 802.1Q, QinQ (802.1ad + 802.1Q) */
#define SYN_MAX_EXT_HDRS	6	/* IPv6 extension headers walked */

#endif
