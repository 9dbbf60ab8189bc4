// SPDX-License-Identifier: GPL-2.0
/*
 * gwd's SYN fast path, the XDP side.  Built by the Makefile with
 * clang -target bpf; maps and their layouts are in syn-shared.h.
 *
 * Verdicts, in order:
 *   not IPv4/IPv6, or a header cut short      -> pass (the other filters judge it)
 *   source in syn_allowed_v4/v6               -> pass (any protocol)
 *   source in syn_blocked_v4/v6               -> drop (any protocol, fragments too)
 *   non-first fragment, not TCP               -> pass
 *   pure ACK (no SYN/RST/FIN, no payload) to a prefix in mode on, from a
 *   source not authenticated, cookie keys set -> the cookie check:
 *            ack_seq - 1 a cookie for (tuple, seq - 1) -> authenticate the source
 *                                                for auth_ttl, pass (or drop:
 *                                                SYN_CF_DROP_VALID_ACK)
 *            otherwise                        -> drop (drop-bad-cookie)
 *   not a SYN (SYN without ACK)               -> pass
 *   SYN to no prefix / a prefix in mode off   -> pass
 *   mode monitor                              -> count, pass
 *   mode on: source authenticated             -> pass
 *            source over its SYN budget       -> drop
 *            otherwise                        -> AF_XDP socket of the rx queue,
 *                                                or the fallback when there is none
 * Nothing ends in XDP_ABORTED: malformed traffic is passed.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "syn-shared.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SYN_R_MAX);
	__type(key, __u32);
	__type(value, struct syn_counter);
} syn_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syn_config);
} syn_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SYN_MAX_BLOCKED);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct syn_lpm_v4);
	__type(value, struct syn_block);
} syn_blocked_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SYN_MAX_BLOCKED);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct syn_lpm_v6);
	__type(value, struct syn_block);
} syn_blocked_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SYN_MAX_BLOCKED);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct syn_lpm_v4);
	__type(value, struct syn_block);
} syn_allowed_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SYN_MAX_BLOCKED);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct syn_lpm_v6);
	__type(value, struct syn_block);
} syn_allowed_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SYN_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct syn_lpm_v4);
	__type(value, struct syn_prefix);
} syn_prefix_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SYN_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct syn_lpm_v6);
	__type(value, struct syn_prefix);
} syn_prefix_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SYN_MAX_PREFIXES);
	__type(key, __u32);
	__type(value, struct syn_prefix_stats);
} syn_prefix_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SYN_MAX_AUTH);
	__type(key, struct syn_src);
	__type(value, __u64);
} syn_auth SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, SYN_MAX_BUDGET);
	__type(key, struct syn_src);
	__type(value, struct syn_bucket);
} syn_budget SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syn_cookie_keys);
} syn_cookie_keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, SYN_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} syn_xsks SEC(".maps");

#define ETH_P_8021Q_BE	bpf_htons(ETH_P_8021Q)
#define ETH_P_8021AD_BE	bpf_htons(ETH_P_8021AD)
#define IP_FRAG_OFF_BE	bpf_htons(0x1fff)
#define IP6_FRAG_OFF_BE	bpf_htons(0xfff8)

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

struct ip6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;	/* offset << 3 | res | M */
	__be32 id;
};

/* What parsing found. */
struct pkt {
	struct syn_src src;	/* IPv6 or IPv4-mapped */
	__u8 v6;
	__u8 frag;		/* a non-first fragment */
	__u8 l4proto;
	struct tcphdr *tcp;	/* NULL unless TCP and the header is whole */
	__u32 l4off;		/* where the TCP header starts, from ctx->data */
	__u32 l3end;		/* where the IP packet ends by its own length */
	union {
		struct syn_lpm_v4 v4;
		struct syn_lpm_v6 v6;
	} dst;
};

static __always_inline int count(__u32 reason, struct xdp_md *ctx, int action)
{
	struct syn_counter *c = bpf_map_lookup_elem(&syn_stats, &reason);

	if (c) {
		c->packets++;
		c->bytes += ctx->data_end - ctx->data;
	}
	return action;
}

#define PARSED	(-1)	/* not a reason: SYN_R_PASS_NOT_IP is 0 */

/* Returns PARSED, or the reason to pass the packet.  Every pointer is checked
 * against data_end right before it is read. */
static __always_inline int parse(struct xdp_md *ctx, struct pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3;
	__u32 l3off = sizeof(*eth);
	__be16 proto;

	if ((void *)(eth + 1) > end)
		return SYN_R_PASS_TRUNCATED;
	proto = eth->h_proto;
	l3 = eth + 1;

#pragma unroll
	for (int i = 0; i < SYN_MAX_VLAN_TAGS; i++) {
		struct vlan_tag *tag = l3;

		if (proto != ETH_P_8021Q_BE && proto != ETH_P_8021AD_BE)
			break;
		if ((void *)(tag + 1) > end)
			return SYN_R_PASS_TRUNCATED;
		proto = tag->proto;
		l3 = tag + 1;
		l3off += sizeof(*tag);
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		__u32 ihl;

		if ((void *)(ip + 1) > end)
			return SYN_R_PASS_TRUNCATED;
		if (ip->version != 4 || ip->ihl < 5)
			return SYN_R_PASS_TRUNCATED;
		ihl = ip->ihl * 4;
		p->src.addr[10] = 0xff;
		p->src.addr[11] = 0xff;
		__builtin_memcpy(&p->src.addr[12], &ip->saddr, 4);
		p->dst.v4.prefixlen = 32;
		__builtin_memcpy(p->dst.v4.addr, &ip->daddr, 4);
		p->l4proto = ip->protocol;
		/* Non-first fragment: no TCP header, but the source is known
		 * (blocked sources are dropped whatever they send). */
		if (ip->frag_off & IP_FRAG_OFF_BE) {
			p->frag = 1;
			return PARSED;
		}
		if (ip->protocol == IPPROTO_TCP) {
			struct tcphdr *tcp = l3 + ihl;

			if ((void *)(tcp + 1) > end)
				return SYN_R_PASS_TRUNCATED;
			p->tcp = tcp;
			p->l4off = l3off + ihl;
			p->l3end = l3off + bpf_ntohs(ip->tot_len);
		}
		return PARSED;
	}

	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		void *next;
		__u8 nh;

		if ((void *)(ip6 + 1) > end)
			return SYN_R_PASS_TRUNCATED;
		if (ip6->version != 6)
			return SYN_R_PASS_TRUNCATED;
		p->v6 = 1;
		__builtin_memcpy(p->src.addr, &ip6->saddr, 16);
		p->dst.v6.prefixlen = 128;
		__builtin_memcpy(p->dst.v6.addr, &ip6->daddr, 16);
		nh = ip6->nexthdr;
		next = ip6 + 1;
		p->l3end = l3off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		l3off += sizeof(*ip6);	/* from here: the next header's offset */

#pragma unroll
		for (int i = 0; i < SYN_MAX_EXT_HDRS; i++) {
			if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
			    nh == IPPROTO_DSTOPTS) {
				struct ipv6_opt_hdr *o = next;

				if ((void *)(o + 1) > end)
					return SYN_R_PASS_TRUNCATED;
				nh = o->nexthdr;
				next += (o->hdrlen + 1) * 8;
				l3off += (o->hdrlen + 1) * 8;
			} else if (nh == IPPROTO_FRAGMENT) {
				struct ip6_frag *f = next;

				if ((void *)(f + 1) > end)
					return SYN_R_PASS_TRUNCATED;
				nh = f->nexthdr;
				next = f + 1;
				l3off += sizeof(*f);
				if (f->frag_off & IP6_FRAG_OFF_BE) {
					p->l4proto = nh;
					p->frag = 1;
					return PARSED;
				}
			} else {
				break;
			}
		}
		p->l4proto = nh;
		if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
		    nh == IPPROTO_DSTOPTS || nh == IPPROTO_FRAGMENT)
			return SYN_R_PASS_EXT_LIMIT;
		if (nh == IPPROTO_TCP) {
			struct tcphdr *tcp = next;

			if ((void *)(tcp + 1) > end)
				return SYN_R_PASS_TRUNCATED;
			p->tcp = tcp;
			p->l4off = l3off;
		}
		return PARSED;
	}

	return SYN_R_PASS_NOT_IP;
}

/* The source in one of the site's lists (syn_blocked or syn_allowed). */
static __always_inline int listed(struct pkt *p, __u64 now, void *map4, void *map6)
{
	struct syn_block *b;

	if (p->v6) {
		struct syn_lpm_v6 k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, p->src.addr, 16);
		b = bpf_map_lookup_elem(map6, &k);
	} else {
		struct syn_lpm_v4 k = { .prefixlen = 32 };

		__builtin_memcpy(k.addr, &p->src.addr[12], 4);
		b = bpf_map_lookup_elem(map4, &k);
	}
	return b && (b->expires_ns == 0 || now < b->expires_ns);
}

static __always_inline struct syn_prefix *lookup_prefix(struct pkt *p)
{
	if (p->v6)
		return bpf_map_lookup_elem(&syn_prefix_v6, &p->dst.v6);
	return bpf_map_lookup_elem(&syn_prefix_v4, &p->dst.v4);
}

/*
 * The client's answer to our SYN-ACK (see "The handshake" in syn-shared.h):
 * ack_seq - 1 must be the cookie cookie-hash.h makes for the tuple and the
 * client's ISN, seq - 1.  Judged: a pure ACK (ACK; no SYN, RST, FIN; no
 * payload by the IP length: an established flow's data, FIN and RST pass as
 * before) to a prefix in mode on, from a source not authenticated, once user
 * space has set a cookie key (before, no cookie was ever sent).  Returns an
 * XDP action, or -1 for "not mine, go on" (pass-not-syn).
 */
static __always_inline int cookie_ack_hook(struct xdp_md *ctx, struct pkt *p,
					   __u8 flags, __u64 now)
{
	struct syn_cookie_keys *keys;
	struct syn_prefix_stats *ps;
	struct cookie_tuple t = {};
	struct syn_prefix *pfx;
	struct syn_config *cfg;
	__u64 *auth, ttl, exp;
	__u32 zero = 0, id;

	if (flags & 0x07)			/* RST, SYN or FIN */
		return -1;
	if (p->l3end != p->l4off + p->tcp->doff * 4)
		return -1;			/* carries data */
	pfx = lookup_prefix(p);
	if (!pfx || pfx->mode != SYN_MODE_ON)
		return -1;
	keys = bpf_map_lookup_elem(&syn_cookie_keys, &zero);
	if (!keys || !(keys->valid & SYN_COOKIE_CUR_VALID))
		return -1;
	cfg = bpf_map_lookup_elem(&syn_config, &zero);
	if (!cfg)
		return -1;
	ttl = pfx->auth_ttl_ns ? pfx->auth_ttl_ns : SYN_AUTH_TTL_DEFAULT_NS;

	auth = bpf_map_lookup_elem(&syn_auth, &p->src);
	if (auth && now < *auth) {
		if (*auth - now < ttl / 2)	/* still talking: renew */
			*auth = now + ttl;
		return -1;
	}

	id = pfx->id;
	ps = bpf_map_lookup_elem(&syn_prefix_stats, &id);
	__builtin_memcpy(t.saddr, p->src.addr, 16);
	if (p->v6) {
		__builtin_memcpy(t.daddr, p->dst.v6.addr, 16);
	} else {
		t.daddr[10] = 0xff;
		t.daddr[11] = 0xff;
		__builtin_memcpy(&t.daddr[12], p->dst.v4.addr, 4);
	}
	t.sport = p->tcp->source;
	t.dport = p->tcp->dest;
	if (cookie_verify(keys, &t, bpf_ntohl(p->tcp->seq) - 1,
			  bpf_ntohl(p->tcp->ack_seq) - 1, now) < 0) {
		if (ps)
			ps->cookies_bad++;
		return count(SYN_R_DROP_BAD_COOKIE, ctx, XDP_DROP);
	}

	exp = now + ttl;
	bpf_map_update_elem(&syn_auth, &p->src, &exp, BPF_ANY);
	if (ps)
		ps->cookies_valid++;
	if (cfg->flags & SYN_CF_DROP_VALID_ACK)
		return count(SYN_R_DROP_COOKIE_ACK, ctx, XDP_DROP);
	return count(SYN_R_PASS_ACK, ctx, XDP_PASS);
}

/* Token bucket in nanoseconds of credit (the prefix's settings), per CPU:
 * no atomics needed. */
static __always_inline int over_budget(struct pkt *p, struct syn_prefix *pfx,
				       __u64 now)
{
	struct syn_bucket *b, fresh;
	__u64 credit;

	if (!pfx->budget_cost_ns)
		return 0;
	b = bpf_map_lookup_elem(&syn_budget, &p->src);
	if (!b) {	/* a new source starts with a full bucket, less this SYN */
		if (pfx->budget_burst_ns < pfx->budget_cost_ns)
			return 1;
		fresh.last_ns = now;
		fresh.credit_ns = pfx->budget_burst_ns - pfx->budget_cost_ns;
		bpf_map_update_elem(&syn_budget, &p->src, &fresh, BPF_ANY);
		return 0;
	}
	credit = b->credit_ns + (now - b->last_ns);
	if (credit > pfx->budget_burst_ns)
		credit = pfx->budget_burst_ns;
	b->last_ns = now;
	if (credit < pfx->budget_cost_ns) {
		b->credit_ns = credit;
		return 1;
	}
	b->credit_ns = credit - pfx->budget_cost_ns;
	return 0;
}

SEC("xdp")
int gwd_syn(struct xdp_md *ctx)
{
	struct pkt p = {};
	struct syn_prefix *pfx;
	struct syn_prefix_stats *ps;
	struct syn_config *cfg;
	__u32 zero = 0, id;
	__u64 now, *auth;
	__u8 flags;
	int r, act;

	r = parse(ctx, &p);
	if (r != PARSED)
		return count(r, ctx, XDP_PASS);

	now = bpf_ktime_get_ns();
	if (listed(&p, now, &syn_allowed_v4, &syn_allowed_v6))
		return count(SYN_R_PASS_ALLOWED, ctx, XDP_PASS);
	if (listed(&p, now, &syn_blocked_v4, &syn_blocked_v6))
		return count(SYN_R_DROP_BLOCKED, ctx, XDP_DROP);
	if (p.frag)
		return count(SYN_R_PASS_FRAGMENT, ctx, XDP_PASS);
	if (p.l4proto != IPPROTO_TCP || !p.tcp)
		return count(SYN_R_PASS_NOT_TCP, ctx, XDP_PASS);

	/* Byte 13 of the TCP header: CWR ECE URG ACK PSH RST SYN FIN. */
	flags = ((__u8 *)p.tcp)[13];
	if ((flags & 0x12) == 0x10) {		/* ACK without SYN */
		act = cookie_ack_hook(ctx, &p, flags, now);
		if (act >= 0)
			return act;
	}
	if ((flags & 0x12) != 0x02)		/* not SYN without ACK */
		return count(SYN_R_PASS_NOT_SYN, ctx, XDP_PASS);

	pfx = lookup_prefix(&p);
	if (!pfx || pfx->mode == SYN_MODE_OFF)
		return count(SYN_R_PASS_UNPROTECTED, ctx, XDP_PASS);

	id = pfx->id;
	ps = bpf_map_lookup_elem(&syn_prefix_stats, &id);
	if (ps)
		ps->syns++;
	if (pfx->mode != SYN_MODE_ON)
		return count(SYN_R_PASS_MONITOR, ctx, XDP_PASS);

	auth = bpf_map_lookup_elem(&syn_auth, &p.src);
	if (auth && now < *auth) {
		if (ps)
			ps->authenticated++;
		return count(SYN_R_PASS_AUTHENTICATED, ctx, XDP_PASS);
	}

	cfg = bpf_map_lookup_elem(&syn_config, &zero);
	if (!cfg)	/* cannot happen: an array's entry 0 always exists */
		return count(SYN_R_FALLBACK_PASS, ctx, XDP_PASS);
	if (over_budget(&p, pfx, now)) {
		if (ps)
			ps->budget_drops++;
		return count(SYN_R_DROP_BUDGET, ctx, XDP_DROP);
	}

	/* The flags argument is the action when the queue has no socket. */
	act = bpf_redirect_map(&syn_xsks, ctx->rx_queue_index,
			       cfg->fallback == SYN_FALLBACK_DROP ? XDP_DROP : XDP_PASS);
	if (act == XDP_REDIRECT) {
		if (ps)
			ps->challenged++;
		return count(SYN_R_REDIRECT_XSK, ctx, act);
	}
	if (ps)
		ps->fallback++;
	return count(act == XDP_DROP ? SYN_R_FALLBACK_DROP : SYN_R_FALLBACK_PASS,
		     ctx, act);
}
