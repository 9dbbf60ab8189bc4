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
#ifndef GWD_XDP_SYN_SHARED_H
#define GWD_XDP_SYN_SHARED_H

#include <linux/types.h>

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
	SYN_R_PASS_ACK,			/* reserved: the cookie-ACK hook's pass */
	SYN_R_DROP_BAD_COOKIE,		/* reserved: a forged cookie ACK */
	SYN_R_PASS_UNPROTECTED,		/* SYN to no prefix, or a prefix in mode off */
	SYN_R_PASS_MONITOR,		/* SYN to a prefix in monitor mode */
	SYN_R_PASS_AUTHENTICATED,	/* mode on, source authenticated, not expired */
	SYN_R_DROP_BUDGET,		/* mode on, per-source SYN budget spent */
	SYN_R_REDIRECT_XSK,		/* mode on, to the AF_XDP socket of the rx queue */
	SYN_R_FALLBACK_PASS,		/* mode on, no socket on the queue, fallback pass */
	SYN_R_FALLBACK_DROP,		/* mode on, no socket on the queue, fallback drop */
	SYN_R_MAX
};

/* syn_stats: BPF_MAP_TYPE_PERCPU_ARRAY, index enum syn_reason. */
struct syn_counter {
	__u64 packets;
	__u64 bytes;
};

/* syn_config: BPF_MAP_TYPE_ARRAY, one entry at index 0.  All zero is a
 * valid configuration: fallback pass, no budget. */
struct syn_config {
	__u32 fallback;		/* enum syn_fallback */
	__u32 flags;		/* none yet, must be 0 */
	/* Per-source SYN budget, a token bucket kept in nanoseconds of credit
	 * so the program never divides: a SYN costs budget_cost_ns (1e9 /
	 * SYNs per second), the bucket holds budget_burst_ns (burst × cost).
	 * Per CPU: a source spread over N rx queues gets up to N × the rate.
	 * budget_cost_ns 0 = no budget. */
	__u64 budget_cost_ns;
	__u64 budget_burst_ns;
};

/* syn_blocked_v4 / syn_prefix_v4: BPF_MAP_TYPE_LPM_TRIE. */
struct syn_lpm_v4 {
	__u32 prefixlen;	/* 0..32 */
	__u8 addr[4];
};

/* syn_blocked_v6 / syn_prefix_v6: BPF_MAP_TYPE_LPM_TRIE. */
struct syn_lpm_v6 {
	__u32 prefixlen;	/* 0..128 */
	__u8 addr[16];
};

/* Value of syn_blocked_v4/v6. */
struct syn_block {
	__u64 expires_ns;	/* bpf_ktime_get_ns() clock; 0 = never */
};

/* Value of syn_prefix_v4/v6: one per protected prefix. */
struct syn_prefix {
	__u32 mode;		/* enum syn_mode */
	__u32 id;		/* index into syn_prefix_stats, < SYN_MAX_PREFIXES */
};

/* syn_prefix_stats: BPF_MAP_TYPE_PERCPU_ARRAY, index syn_prefix.id: the
 * SYN rate gwd's auto mode reads, and what gwctl show syn prints. */
struct syn_prefix_stats {
	__u64 syns;		/* every SYN to the prefix, any mode */
	__u64 authenticated;	/* passed as authenticated */
	__u64 budget_drops;
	__u64 challenged;	/* to the AF_XDP socket */
	__u64 fallback;		/* no socket: fallback taken */
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
#define SYN_MAX_AUTH		262144
#define SYN_MAX_BUDGET		65536	/* per CPU */
#define SYN_MAX_QUEUES		64	/* syn_xsks: XSKMAP by rx queue */
#define SYN_MAX_VLAN_TAGS	2	/* 802.1Q, QinQ (802.1ad + 802.1Q) */
#define SYN_MAX_EXT_HDRS	6	/* IPv6 extension headers walked */

#endif
