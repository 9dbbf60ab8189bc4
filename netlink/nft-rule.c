// SPDX-License-Identifier: GPL-2.0
/*
 * Chains, rules and stateful objects of table inet gwd, as libnftnl
 * objects turned into batch messages.  A rule's expressions are built into
 * one nftnl_rule; an address or port list of more than one entry becomes
 * an anonymous interval set, whose messages go into the batch before the
 * rule that looks it up (by its id in the batch).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/nft.h"

#define NFT_TYPE_IPADDR		7
#define NFT_TYPE_IP6ADDR	8
#define NFT_TYPE_INET_SERVICE	13

#define TCPOPT_MSS_KIND		2
#define TCP_FLAGS_OFF		13
#define TH_SYN_BIT		0x02
#define TH_RST_BIT		0x04
/* A per-source meter forgets a source idle this long (at least). */
#define METER_TIMEOUT_MIN_S	60

/* ---- names ----------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *s = p;

	while (n--) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Integers byte by byte, so that names do not depend on the host. */
static uint64_t fnv_u(uint64_t h, uint64_t v)
{
	uint8_t b[8];

	for (size_t i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fnv(h, b, sizeof(b));
}

static uint64_t fnv_prefixes(uint64_t h, const struct gw_prefix *p, size_t n)
{
	h = fnv_u(h, n);
	for (size_t i = 0; i < n; i++) {
		uint8_t lo[16], hi[16];

		nft_prefix_range(&p[i], lo, hi);
		h = fnv_u(h, p[i].addr.family == AF_INET6 ? 6 : 4);
		h = fnv_u(h, p[i].len);
		h = fnv(h, lo, sizeof(lo));
	}
	return h;
}

static uint64_t fnv_ports(uint64_t h, const struct port_range *p, size_t n)
{
	h = fnv_u(h, n);
	for (size_t i = 0; i < n; i++)
		h = fnv_u(fnv_u(h, p[i].lo), p[i].hi);
	return h;
}

/* Everything a rule says, not how it is laid out in memory. */
static uint64_t rule_content(uint32_t id, const struct filter_rule *r)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	h = fnv_u(h, id);
	h = fnv_u(h, r->proto);
	h = fnv_prefixes(h, r->saddr, r->n_saddr);
	h = fnv_prefixes(h, r->daddr, r->n_daddr);
	h = fnv_ports(h, r->sport, r->n_sport);
	h = fnv_ports(h, r->dport, r->n_dport);
	h = fnv_u(fnv_u(h, r->tcp_flags), r->tcp_flags_mask);
	h = fnv_u(fnv_u(h, r->len_lo), r->len_hi);
	h = fnv_u(h, r->action);
	h = fnv_u(h, r->has_rate);
	if (r->has_rate) {
		h = fnv_u(fnv_u(h, r->rate), r->rate_unit);
		h = fnv_u(fnv_u(h, r->rate_per_s), r->burst);
		h = fnv_u(h, r->per);
	}
	return fnv_u(h, r->monitor);
}

/*
 * Hashes of rules[0..n): identical rules get their rank among identical
 * rules mixed in, so each keeps a counter of its own.
 */
static void rule_hashes(uint32_t id, const struct filter_conf *f, size_t n,
			uint64_t *out)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t base = rule_content(id, &f->rules[i]);
		uint64_t rank = 0;

		for (size_t j = 0; j < i; j++)
			rank += rule_content(id, &f->rules[j]) == base;
		out[i] = rank ? fnv_u(base, rank) : base;
	}
}

void nft_rule_counter(uint32_t id, const struct filter_conf *f, size_t i,
		      char out[NFT_NAME_MAX])
{
	uint64_t *h = i < f->n_rules ? calloc(i + 1, sizeof(*h)) : NULL;

	out[0] = '\0';		/* no such rule, or no memory */
	if (!h)
		return;
	rule_hashes(id, f, i + 1, h);
	snprintf(out, NFT_NAME_MAX, "c%u_r_%016llx", id, (unsigned long long)h[i]);
	free(h);
}

static bool has_family(unsigned fams, int family)
{
	return fams & (family == AF_INET ? 1u : 2u);
}

bool nft_list_has(const struct gw_prefix *p, size_t n, int family)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].addr.family == family)
			return true;
	return false;
}

int nft_cust_init(struct nft_cust *k, const struct gw_conf *c, size_t i)
{
	const struct customer_conf *cu = &c->customers[i];
	uint64_t *h;

	*k = (struct nft_cust){ .cu = cu, .index = (uint32_t)i };
	for (size_t j = 0; j < cu->n_prefixes; j++)
		k->fams |= cu->prefixes[j].addr.family == AF_INET ? 1u : 2u;
	if (!cu->filter.n_rules)
		return 0;
	h = calloc(cu->filter.n_rules, sizeof(*h));
	k->hash = calloc(cu->filter.n_rules, sizeof(*k->hash));
	if (!h || !k->hash) {
		free(h);
		nft_cust_free(k);
		return -ENOMEM;
	}
	rule_hashes(cu->id, &cu->filter, cu->filter.n_rules, h);
	for (size_t j = 0; j < cu->filter.n_rules; j++)
		snprintf(k->hash[j], sizeof(k->hash[j]), "%016llx",
			 (unsigned long long)h[j]);
	free(h);
	return 0;
}

/* Bump when the rules built from the same config change. */
#define RULES_VERSION 1

uint64_t nft_cust_hash(const struct nft_cust *k)
{
	const struct filter_conf *f = &k->cu->filter;
	uint64_t h = fnv_u(0xcbf29ce484222325ULL, RULES_VERSION);

	h = fnv_u(fnv_u(h, k->cu->id), k->fams);
	h = fnv_u(fnv_u(h, f->def), f->n_rules);
	for (int fam = 0; fam < 2; fam++) {
		int family = fam ? AF_INET6 : AF_INET;

		h = fnv_u(h, nft_list_has(f->sets.block, f->sets.n_block, family));
		h = fnv_u(h, nft_list_has(f->sets.allow, f->sets.n_allow, family));
	}
	for (size_t i = 0; i < f->n_rules; i++)
		h = fnv(h, k->hash[i], 16);
	return h;
}

void nft_cust_free(struct nft_cust *k)
{
	free(k->hash);
	k->hash = NULL;
}

/* A rate on a rule that drops anyway changes nothing: it is left out. */
static bool uses_rate(const struct filter_rule *r)
{
	return r->has_rate && r->action != FILTER_DROP;
}

static bool per_source(const struct filter_rule *r)
{
	return uses_rate(r) && r->per == RATE_PER_SOURCE;
}

/*
 * The families a rule is written for.  *any: one rule for both (nothing in
 * it depends on the family); otherwise one rule per family returned, only
 * families the customer has prefixes of and the rule's lists allow.
 */
static unsigned rule_fams(const struct nft_cust *k, const struct filter_rule *r,
			  bool *any)
{
	unsigned fams = k->fams;

	*any = !r->n_saddr && !r->n_daddr && !per_source(r);
	if (*any)
		return 0;
	for (int f = 0; f < 2; f++) {
		int family = f ? AF_INET6 : AF_INET;

		if ((r->n_saddr && !nft_list_has(r->saddr, r->n_saddr, family)) ||
		    (r->n_daddr && !nft_list_has(r->daddr, r->n_daddr, family)))
			fams &= ~(1u << f);
	}
	return fams;
}

uint32_t nft_meter_timeout(const struct filter_rule *r)
{
	return r->rate_per_s > METER_TIMEOUT_MIN_S ? r->rate_per_s :
	       METER_TIMEOUT_MIN_S;
}

int nft_cust_needs(const struct nft_cust *k, nft_need_cb cb, void *arg)
{
	static const char *const fixed[] = { "allow", "block", "default" };
	const struct customer_conf *cu = k->cu;
	char name[NFT_NAME_MAX];
	int ret;

	for (size_t i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "c%u_%s", cu->id, fixed[i]);
		if ((ret = cb(arg, name, NFT_OBJECT_COUNTER, SIZE_MAX, 0)))
			return ret;
	}
	for (size_t i = 0; i < cu->filter.n_rules; i++) {
		const struct filter_rule *r = &cu->filter.rules[i];
		unsigned fams;
		bool any;

		snprintf(name, sizeof(name), "c%u_r_%s", cu->id, k->hash[i]);
		if ((ret = cb(arg, name, NFT_OBJECT_COUNTER, i, 0)))
			return ret;
		if (uses_rate(r) && r->per == RATE_PER_RULE) {
			snprintf(name, sizeof(name), "c%u_l_%s", cu->id, k->hash[i]);
			if ((ret = cb(arg, name, NFT_OBJECT_LIMIT, i, 0)))
				return ret;
		}
		if (!per_source(r))
			continue;
		fams = rule_fams(k, r, &any);
		for (int f = 0; f < 2; f++) {
			if (!(fams & (1u << f)))
				continue;
			snprintf(name, sizeof(name), "c%u_m_%s%d", cu->id,
				 k->hash[i], f ? 6 : 4);
			if ((ret = cb(arg, name, 0, i, f ? AF_INET6 : AF_INET)))
				return ret;
		}
	}
	return 0;
}

/* ---- objects and chains ---------------------------------------------- */

static int obj_send(struct nft_batch *b, uint16_t type, uint16_t flags,
		    struct nftnl_obj *o, const struct nft_owner *own)
{
	struct nlmsghdr *nlh;

	if (!o)
		return -ENOMEM;
	nlh = nft_batch_msg(b, type, flags, own);
	if (nlh)
		nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	return nlh ? 0 : -ENOMEM;
}

static struct nftnl_obj *obj_new(const char *name, uint32_t type)
{
	struct nftnl_obj *o = nftnl_obj_alloc();

	if (!o)
		return NULL;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, NFT_TABLE);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_INET);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, type);
	return o;
}

int nft_obj_add_counter(struct nft_batch *b, const char *name,
			const struct nft_owner *own)
{
	return obj_send(b, NFT_MSG_NEWOBJ, NLM_F_CREATE,
			obj_new(name, NFT_OBJECT_COUNTER), own);
}

int nft_obj_add_limit(struct nft_batch *b, const char *name,
		      const struct filter_rule *r, const struct nft_owner *own)
{
	struct nftnl_obj *o = obj_new(name, NFT_OBJECT_LIMIT);

	if (o) {
		nftnl_obj_set_u64(o, NFTNL_OBJ_LIMIT_RATE, r->rate);
		nftnl_obj_set_u64(o, NFTNL_OBJ_LIMIT_UNIT, r->rate_per_s);
		nftnl_obj_set_u32(o, NFTNL_OBJ_LIMIT_BURST, r->burst);
		nftnl_obj_set_u32(o, NFTNL_OBJ_LIMIT_TYPE,
				  r->rate_unit == RATE_BYTES ? NFT_LIMIT_PKT_BYTES :
				  NFT_LIMIT_PKTS);
		nftnl_obj_set_u32(o, NFTNL_OBJ_LIMIT_FLAGS, NFT_LIMIT_F_INV);
	}
	return obj_send(b, NFT_MSG_NEWOBJ, NLM_F_CREATE, o, own);
}

int nft_obj_del(struct nft_batch *b, const char *name, uint32_t type,
		const struct nft_owner *own)
{
	return obj_send(b, NFT_MSG_DELOBJ, 0, obj_new(name, type), own);
}

int nft_chain_add(struct nft_batch *b, const char *name, bool base, int prio,
		  const struct nft_owner *own)
{
	struct nftnl_chain *ch = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!ch)
		return -ENOMEM;
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, NFT_TABLE);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	if (base) {
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, NF_INET_FORWARD);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = nft_batch_msg(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, own);
	if (nlh)
		nftnl_chain_nlmsg_build_payload(nlh, ch);
	nftnl_chain_free(ch);
	return nlh ? 0 : -ENOMEM;
}

static int chain_msg(struct nft_batch *b, uint16_t type, uint16_t attr,
		     const char *name, const struct nft_owner *own)
{
	struct nlmsghdr *nlh = nft_batch_msg(b, type, 0, own);

	if (!nlh)
		return -ENOMEM;
	/* NFTA_RULE_TABLE and NFTA_CHAIN_TABLE are both 1. */
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, NFT_TABLE);
	mnl_attr_put_strz(nlh, attr, name);
	return 0;
}

/* DELRULE naming only the chain: every rule of it goes. */
int nft_chain_flush(struct nft_batch *b, const char *name,
		    const struct nft_owner *own)
{
	return chain_msg(b, NFT_MSG_DELRULE, NFTA_RULE_CHAIN, name, own);
}

int nft_chain_del(struct nft_batch *b, const char *name,
		  const struct nft_owner *own)
{
	return chain_msg(b, NFT_MSG_DELCHAIN, NFTA_CHAIN_NAME, name, own);
}

/* ---- expressions ----------------------------------------------------- */

/* A rule being built; the first failure sticks, later calls do nothing. */
struct rb {
	struct nft_batch *b;
	struct nftnl_rule *r;
	struct nft_owner own;
	int err;
};

static struct nftnl_expr *ex(struct rb *rb, const char *name)
{
	struct nftnl_expr *e;

	if (rb->err)
		return NULL;
	e = nftnl_expr_alloc(name);
	if (!e) {
		rb->err = -ENOMEM;
		return NULL;
	}
	nftnl_rule_add_expr(rb->r, e);
	return e;
}

static void x_meta(struct rb *rb, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = ex(rb, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

static void x_cmp(struct rb *rb, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = ex(rb, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

static void x_payload(struct rb *rb, uint32_t base, uint32_t off, uint32_t len,
		      uint32_t dreg)
{
	struct nftnl_expr *e = ex(rb, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
}

/* reg 1 &= mask */
static void x_mask(struct rb *rb, const void *mask, uint32_t len)
{
	static const uint8_t zero[16];
	struct nftnl_expr *e = ex(rb, "bitwise");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
}

static void x_lookup(struct rb *rb, uint32_t sreg, const char *set,
		     uint32_t set_id, int dreg)
{
	struct nftnl_expr *e = ex(rb, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	if (set_id)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	if (dreg >= 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, (uint32_t)dreg);
}

static void x_imm(struct rb *rb, uint32_t dreg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = ex(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
}

static void x_verdict(struct rb *rb, enum filter_action a)
{
	struct nftnl_expr *e = ex(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT,
			   a == FILTER_DROP ? NF_DROP : NF_ACCEPT);
}

static void x_objref(struct rb *rb, uint32_t type, const char *name)
{
	struct nftnl_expr *e = ex(rb, "objref");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, type);
	nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name);
}

/* reg 1 (a 4-byte host-order meta value) to network order */
static void x_hton32(struct rb *rb)
{
	struct nftnl_expr *e = ex(rb, "byteorder");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, 4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, 4);
}

static void x_range(struct rb *rb, const void *from, const void *to,
		    uint32_t len)
{
	struct nftnl_expr *e = ex(rb, "range");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, from, len);
	nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, to, len);
}

static struct nftnl_expr *limit_expr(const struct filter_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("limit");

	if (!e)
		return NULL;
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, r->rate);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, r->rate_per_s);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, r->burst);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, r->rate_unit == RATE_BYTES ?
			   NFT_LIMIT_PKT_BYTES : NFT_LIMIT_PKTS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, NFT_LIMIT_F_INV);
	return e;
}

/* update @set { reg 1 limit rate over ... }: goes on only over the rate */
static void x_meter(struct rb *rb, const char *set, const struct filter_rule *r)
{
	struct nftnl_expr *e = ex(rb, "dynset"), *lim;

	if (!e)
		return;
	lim = limit_expr(r);
	if (!lim) {
		rb->err = -ENOMEM;
		return;
	}
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set);
	nftnl_expr_set_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT,
			   (uint64_t)nft_meter_timeout(r) * 1000);
	/* The dynset owns lim from here on. */
	nftnl_expr_set(e, NFTNL_EXPR_DYNSET_EXPR, lim, 0);
}

static void x_exthdr_mss(struct rb *rb, bool write)
{
	struct nftnl_expr *e = ex(rb, "exthdr");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OP, NFT_EXTHDR_OP_TCPOPT);
	nftnl_expr_set_u8(e, NFTNL_EXPR_EXTHDR_TYPE, TCPOPT_MSS_KIND);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OFFSET, 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_LEN, 2);
	nftnl_expr_set_u32(e, write ? NFTNL_EXPR_EXTHDR_SREG :
			   NFTNL_EXPR_EXTHDR_DREG, NFT_REG_1);
}

static void m_nfproto(struct rb *rb, int family)
{
	uint8_t v = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;

	x_meta(rb, NFT_META_NFPROTO, NFT_REG_1);
	x_cmp(rb, NFT_CMP_EQ, &v, 1);
}

static void m_l4proto(struct rb *rb, uint8_t proto)
{
	x_meta(rb, NFT_META_L4PROTO, NFT_REG_1);
	x_cmp(rb, NFT_CMP_EQ, &proto, 1);
}

/* reg 1 = the source (daddr: destination) address of family */
static void m_addr(struct rb *rb, int family, bool daddr, uint32_t dreg)
{
	if (family == AF_INET)
		x_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, daddr ? 16 : 12, 4, dreg);
	else
		x_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, daddr ? 24 : 8, 16, dreg);
}

/*
 * The lookup of the source address in a source set; in a customer's,
 * "id . saddr": the id is an immediate in the first 32-bit register, the
 * address follows it.
 */
static void m_src_set(struct rb *rb, uint32_t id, int family, const char *set)
{
	uint32_t be = htonl(id);

	m_nfproto(rb, family);
	if (!id) {		/* the site's sets: the address alone */
		m_addr(rb, family, false, NFT_REG_1);
		x_lookup(rb, NFT_REG_1, set, 0, -1);
		return;
	}
	x_imm(rb, NFT_REG32_00, &be, sizeof(be));
	m_addr(rb, family, false, NFT_REG32_01);
	x_lookup(rb, NFT_REG32_00, set, 0, -1);
}

/* ---- rules ----------------------------------------------------------- */

static int rb_start(struct rb *rb, struct nft_batch *b, const char *chain,
		    const struct nft_owner *own)
{
	*rb = (struct rb){ .b = b, .own = *own };
	rb->r = nftnl_rule_alloc();
	if (!rb->r)
		return -ENOMEM;
	nftnl_rule_set_u32(rb->r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(rb->r, NFTNL_RULE_TABLE, NFT_TABLE);
	nftnl_rule_set_str(rb->r, NFTNL_RULE_CHAIN, chain);
	return 0;
}

/* Appends the rule to its chain; frees it either way. */
static int rb_send(struct rb *rb)
{
	struct nlmsghdr *nlh;
	int ret = rb->err;

	if (!ret) {
		nlh = nft_batch_msg(rb->b, NFT_MSG_NEWRULE,
				    NLM_F_CREATE | NLM_F_APPEND, &rb->own);
		if (nlh)
			nftnl_rule_nlmsg_build_payload(nlh, rb->r);
		else
			ret = -ENOMEM;
	}
	nftnl_rule_free(rb->r);
	rb->r = NULL;
	return ret;
}

/* A whole rule: lookup in a source set, count, verdict. */
static int src_rule(struct nft_batch *b, const char *chain, uint32_t id,
		    int family, enum nft_set_id set, const char *counter,
		    enum filter_action verdict, const struct nft_owner *own)
{
	struct rb rb;
	int ret = rb_start(&rb, b, chain, own);

	if (ret)
		return ret;
	m_src_set(&rb, id, family, nft_set_names[set]);
	x_objref(&rb, NFT_OBJECT_COUNTER, counter);
	x_verdict(&rb, verdict);
	return rb_send(&rb);
}

/* Allow before block, each config list (if it has the family) then runtime. */
static int src_rules(struct nft_batch *b, const char *chain, uint32_t id,
		     unsigned fams, const struct ip_sets_conf *s,
		     const char *allow_ctr, const char *block_ctr,
		     const struct nft_owner *own)
{
	int ret = 0;

	for (int blk = 0; blk < 2; blk++) {
		const struct gw_prefix *list = blk ? s->block : s->allow;
		size_t n = blk ? s->n_block : s->n_allow;

		for (int f = 0; f < 2 && !ret; f++) {
			int family = f ? AF_INET6 : AF_INET;
			const char *ctr = blk ? block_ctr : allow_ctr;
			enum filter_action v = blk ? FILTER_DROP : FILTER_ACCEPT;

			if (!has_family(fams, family))
				continue;
			if (nft_list_has(list, n, family))
				ret = src_rule(b, chain, id, family,
					       nft_src_set(id, blk, false, family),
					       ctr, v, own);
			if (!ret)
				ret = src_rule(b, chain, id, family,
					       nft_src_set(id, blk, true, family),
					       ctr, v, own);
		}
	}
	return ret;
}

int nft_rules_forward(struct nft_batch *b, const struct gw_conf *c)
{
	const struct nft_owner own = { .kind = OWN_SITE };
	int ret;

	ret = src_rules(b, "forward", 0, 3, &c->site.filter, "site_allow",
			"site_block", &own);
	for (int f = 0; f < 2 && !ret; f++) {
		int family = f ? AF_INET6 : AF_INET;
		struct rb rb;

		if ((ret = rb_start(&rb, b, "forward", &own)))
			break;
		m_nfproto(&rb, family);
		m_addr(&rb, family, true, NFT_REG_1);
		x_lookup(&rb, NFT_REG_1, nft_set_names[f ? SET_DISPATCH6 :
				SET_DISPATCH4], 0, NFT_REG_VERDICT);
		ret = rb_send(&rb);
	}
	return ret;
}

/*
 * An anonymous interval set for a list of more than one entry; returns its
 * id for the lookup and in *own the owner of its messages, what names the
 * list ("customers[0].filter.rules[2].saddr[1]").
 */
static uint32_t anon_set(struct rb *rb, uint32_t type, uint32_t klen,
			 const char *what, struct nft_owner *own)
{
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	uint32_t id;

	if (rb->err)
		return 0;
	s = nftnl_set_alloc();
	if (!s) {
		rb->err = -ENOMEM;
		return 0;
	}
	id = nft_batch_set_id(rb->b);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	/* The kernel names it: __set0, __set1, ... */
	nftnl_set_set_str(s, NFTNL_SET_NAME, "__set%d");
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_ANONYMOUS |
			  NFT_SET_CONSTANT | NFT_SET_INTERVAL);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, klen);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	*own = rb->own;
	own->name = what;
	nlh = nft_batch_msg(rb->b, NFT_MSG_NEWSET, NLM_F_CREATE, own);
	if (nlh)
		nftnl_set_nlmsg_build_payload(nlh, s);
	else
		rb->err = -ENOMEM;
	nftnl_set_free(s);
	return id;
}

/* One entry of an address or port list, as an interval of keys. */
struct krange {
	uint8_t lo[16], hi[16];
	uint32_t item;			/* its index in the config's list */
};

static int krange_cmp(const void *a, const void *b, void *klen)
{
	return memcmp(((const struct krange *)a)->lo,
		      ((const struct krange *)b)->lo, *(size_t *)klen);
}

/*
 * Sorted, with overlapping and adjacent entries merged: a list means any of
 * its entries, and the kernel refuses overlapping intervals in a set.
 */
static size_t krange_merge(struct krange *r, size_t n, size_t klen)
{
	size_t m = 0;

	qsort_r(r, n, sizeof(*r), krange_cmp, &klen);
	for (size_t i = 0; i < n; i++) {
		uint8_t next[16];
		bool carry = true;

		if (m) {
			memcpy(next, r[m - 1].hi, klen);
			for (size_t k = klen; carry && k-- > 0;)
				carry = !++next[k];
			/* next wrapped: the last one reaches the end already */
			if (carry || memcmp(r[i].lo, next, klen) <= 0) {
				if (!carry && memcmp(r[i].hi, r[m - 1].hi, klen) > 0)
					memcpy(r[m - 1].hi, r[i].hi, klen);
				continue;
			}
		}
		r[m++] = r[i];
	}
	return m;
}

/* [lo, hi] = a prefix: the bits where they differ are all the last ones. */
static bool is_prefix(const uint8_t *lo, const uint8_t *hi, size_t klen)
{
	bool tail = false;

	for (size_t i = 0; i < klen; i++)
		for (int bit = 7; bit >= 0; bit--) {
			bool l = lo[i] >> bit & 1, h = hi[i] >> bit & 1;

			if (tail ? (l || !h) : l != h) {
				if (tail || l || !h)
					return false;
				tail = true;
			}
		}
	return true;
}

enum load { LOAD_SADDR, LOAD_DADDR, LOAD_SPORT, LOAD_DPORT };

static void m_load(struct rb *rb, enum load what, int family)
{
	if (what == LOAD_SADDR || what == LOAD_DADDR)
		m_addr(rb, family, what == LOAD_DADDR, NFT_REG_1);
	else
		x_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER,
			  what == LOAD_DPORT ? 2 : 0, 2, NFT_REG_1);
}

/*
 * Match the loaded key against a list: one interval inline (cmp or range),
 * more through an anonymous interval set.
 */
static void m_ranges(struct rb *rb, struct krange *r, size_t n, size_t klen,
		     uint32_t type, enum load what, int family)
{
	static const char *const names[] = { "saddr", "daddr", "sport", "dport" };
	static const uint8_t zero[16];
	uint8_t ones[16];
	struct nft_owner own;
	struct nft_elems e;
	uint32_t id;

	memset(ones, 0xff, sizeof(ones));
	n = krange_merge(r, n, klen);
	if (n == 1) {
		/* The whole key space: nothing to check. */
		if (!memcmp(r[0].lo, zero, klen) && !memcmp(r[0].hi, ones, klen))
			return;
		m_load(rb, what, family);
		if (is_prefix(r[0].lo, r[0].hi, klen)) {
			uint8_t mask[16];

			for (size_t i = 0; i < klen; i++)
				mask[i] = (uint8_t)~(r[0].lo[i] ^ r[0].hi[i]);
			if (memcmp(r[0].lo, r[0].hi, klen))
				x_mask(rb, mask, (uint32_t)klen);
			x_cmp(rb, NFT_CMP_EQ, r[0].lo, (uint32_t)klen);
		} else {
			x_range(rb, r[0].lo, r[0].hi, (uint32_t)klen);
		}
		return;
	}
	id = anon_set(rb, type, (uint32_t)klen, names[what], &own);
	if (rb->err)
		return;
	nft_elems_start(&e, rb->b, NFT_MSG_NEWSETELEM, "__set%d", id, &own);
	for (size_t i = 0; i < n && !rb->err; i++)
		rb->err = nft_elems_add_range(&e, r[i].lo, r[i].hi, klen, NULL,
					      0, r[i].item);
	nft_elems_end(&e);
	m_load(rb, what, family);
	x_lookup(rb, NFT_REG_1, "__set%d", id, -1);
}

static void m_prefixes(struct rb *rb, const struct gw_prefix *list, size_t n,
		       int family, bool daddr)
{
	struct krange r[GW_RULE_LIST_MAX];
	size_t m = 0;

	for (size_t i = 0; i < n && m < GW_RULE_LIST_MAX; i++) {
		if (list[i].addr.family != family)
			continue;
		nft_prefix_range(&list[i], r[m].lo, r[m].hi);
		r[m++].item = (uint32_t)i;
	}
	m_ranges(rb, r, m, gw_addr_len(family), family == AF_INET ?
		 NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR,
		 daddr ? LOAD_DADDR : LOAD_SADDR, family);
}

static void m_ports(struct rb *rb, const struct port_range *p, size_t n,
		    bool dport)
{
	struct krange r[GW_RULE_LIST_MAX];
	size_t m = 0;

	for (size_t i = 0; i < n && m < GW_RULE_LIST_MAX; i++) {
		uint16_t lo = htons(p[i].lo), hi = htons(p[i].hi);

		memcpy(r[m].lo, &lo, 2);
		memcpy(r[m].hi, &hi, 2);
		r[m++].item = (uint32_t)i;
	}
	m_ranges(rb, r, m, 2, NFT_TYPE_INET_SERVICE,
		 dport ? LOAD_DPORT : LOAD_SPORT, 0);
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP || proto == IPPROTO_DCCP ||
	       proto == IPPROTO_UDPLITE;
}

/* Everything a rule matches; family 0: both families. */
static void m_rule(struct rb *rb, const struct filter_rule *r, int family)
{
	uint8_t proto = r->proto;

	if (family)
		m_nfproto(rb, family);
	if (r->n_saddr)
		m_prefixes(rb, r->saddr, r->n_saddr, family, false);
	if (r->n_daddr)
		m_prefixes(rb, r->daddr, r->n_daddr, family, true);
	if (r->tcp_flags_mask && !proto)
		proto = IPPROTO_TCP;
	if (proto)
		m_l4proto(rb, proto);
	if (r->n_sport)
		m_ports(rb, r->sport, r->n_sport, false);
	if (r->n_dport)
		m_ports(rb, r->dport, r->n_dport, true);
	if (r->tcp_flags_mask) {
		uint8_t mask = r->tcp_flags_mask, v = r->tcp_flags & mask;

		x_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, TCP_FLAGS_OFF, 1,
			  NFT_REG_1);
		x_mask(rb, &mask, 1);
		x_cmp(rb, NFT_CMP_EQ, &v, 1);
	}
	if (r->len_lo || r->len_hi) {
		uint32_t lo = htonl(r->len_lo);
		uint32_t hi = htonl(r->len_hi ? r->len_hi : 0xffff);

		/* meta length is host order; compared as network order bytes */
		x_meta(rb, NFT_META_LEN, NFT_REG_1);
		x_hton32(rb);
		if (lo == hi) {
			x_cmp(rb, NFT_CMP_EQ, &lo, 4);
		} else {
			x_cmp(rb, NFT_CMP_GTE, &lo, 4);
			x_cmp(rb, NFT_CMP_LTE, &hi, 4);
		}
	}
}

/*
 * One rule of the config, for one family (0: both): with a rate, first
 * what exceeds it (counted, dropped), then the rest gets the action; a
 * monitor rule only counts what it would drop.
 */
static int filter_rule(struct nft_batch *b, const struct nft_cust *k,
		       const char *chain, size_t i, int family)
{
	const struct filter_rule *r = &k->cu->filter.rules[i];
	const struct nft_owner own = { .kind = OWN_RULE, .a = k->index,
				       .b = (uint32_t)i };
	char ctr[NFT_NAME_MAX], lim[NFT_NAME_MAX];
	struct rb rb;
	int ret;

	snprintf(ctr, sizeof(ctr), "c%u_r_%s", k->cu->id, k->hash[i]);
	if (uses_rate(r)) {
		if ((ret = rb_start(&rb, b, chain, &own)))
			return ret;
		m_rule(&rb, r, family);
		if (per_source(r)) {
			snprintf(lim, sizeof(lim), "c%u_m_%s%d", k->cu->id,
				 k->hash[i], family == AF_INET6 ? 6 : 4);
			m_addr(&rb, family, false, NFT_REG_1);
			x_meter(&rb, lim, r);
		} else {
			snprintf(lim, sizeof(lim), "c%u_l_%s", k->cu->id, k->hash[i]);
			x_objref(&rb, NFT_OBJECT_LIMIT, lim);
		}
		x_objref(&rb, NFT_OBJECT_COUNTER, ctr);
		if (!r->monitor)
			x_verdict(&rb, FILTER_DROP);
		if ((ret = rb_send(&rb)))
			return ret;
		if (r->monitor)
			return 0;
	}
	if ((ret = rb_start(&rb, b, chain, &own)))
		return ret;
	m_rule(&rb, r, family);
	/* Counted: a plain rule's matches, a rate rule's drops. */
	if (!uses_rate(r))
		x_objref(&rb, NFT_OBJECT_COUNTER, ctr);
	if (!r->monitor)
		x_verdict(&rb, r->action);
	return rb_send(&rb);
}

/* What gwd cannot express, before anything is built. */
static int rule_check(const struct filter_rule *r)
{
	if ((r->n_sport || r->n_dport) && !has_ports(r->proto))
		return -EINVAL;
	if (r->tcp_flags_mask && r->proto && r->proto != IPPROTO_TCP)
		return -EINVAL;
	if (r->has_rate && (!r->rate || !r->rate_per_s))
		return -EINVAL;
	return 0;
}

int nft_cust_check(const struct nft_cust *k, size_t *rule)
{
	for (size_t i = 0; i < k->cu->filter.n_rules; i++) {
		int ret = rule_check(&k->cu->filter.rules[i]);

		if (ret) {
			*rule = i;
			return ret;
		}
	}
	return 0;
}

int nft_rules_customer(struct nft_batch *b, const struct nft_cust *k)
{
	const struct customer_conf *cu = k->cu;
	const struct nft_owner own = { .kind = OWN_CUSTOMER, .a = k->index };
	const struct nft_owner def = { .kind = OWN_DEFAULT, .a = k->index };
	char chain[NFT_NAME_MAX], allow[NFT_NAME_MAX], block[NFT_NAME_MAX];
	size_t rules0 = nft_batch_rules(b);
	struct nft_fingerprint fp;
	uint8_t udata[2 + sizeof(fp)];
	struct rb rb;
	int ret;

	snprintf(chain, sizeof(chain), "c%u", cu->id);
	snprintf(allow, sizeof(allow), "c%u_allow", cu->id);
	snprintf(block, sizeof(block), "c%u_block", cu->id);
	ret = src_rules(b, chain, cu->id, k->fams, &cu->filter.sets, allow,
			block, &own);
	for (size_t i = 0; i < cu->filter.n_rules && !ret; i++) {
		const struct filter_rule *r = &cu->filter.rules[i];
		unsigned fams;
		bool any;

		fams = rule_fams(k, r, &any);
		if (any)
			ret = filter_rule(b, k, chain, i, 0);
		for (int f = 0; f < 2 && !ret; f++)
			if (fams & (1u << f))
				ret = filter_rule(b, k, chain, i,
						  f ? AF_INET6 : AF_INET);
	}
	if (ret || (ret = rb_start(&rb, b, chain, &def)))
		return ret;
	snprintf(allow, sizeof(allow), "c%u_default", cu->id);
	x_objref(&rb, NFT_OBJECT_COUNTER, allow);
	x_verdict(&rb, cu->filter.def);
	fp = (struct nft_fingerprint){ .hash = nft_cust_hash(k),
		.rules = (uint32_t)(nft_batch_rules(b) - rules0 + 1) };
	udata[0] = NFT_UDATA_CHAIN;
	udata[1] = sizeof(fp);
	memcpy(udata + 2, &fp, sizeof(fp));
	nftnl_rule_set_data(rb.r, NFTNL_RULE_USERDATA, udata, sizeof(udata));
	return rb_send(&rb);
}

static int mss_rule(struct nft_batch *b, const struct path_conf *p,
		    const char *ifname, int family, const struct nft_owner *own)
{
	char name[IFNAMSIZ] = { 0 };
	uint8_t mask = TH_SYN_BIT | TH_RST_BIT, syn = TH_SYN_BIT;
	uint16_t mss = htons(conf_path_mss(p, family));
	struct rb rb;
	int ret;

	if (!mss)
		return 0;
	if ((ret = rb_start(&rb, b, "mss", own)))
		return ret;
	snprintf(name, sizeof(name), "%s", ifname);
	x_meta(&rb, NFT_META_OIFNAME, NFT_REG_1);
	x_cmp(&rb, NFT_CMP_EQ, name, sizeof(name));
	m_nfproto(&rb, family);
	m_l4proto(&rb, IPPROTO_TCP);
	x_payload(&rb, NFT_PAYLOAD_TRANSPORT_HEADER, TCP_FLAGS_OFF, 1, NFT_REG_1);
	x_mask(&rb, &mask, 1);
	x_cmp(&rb, NFT_CMP_EQ, &syn, 1);
	/* Network order compares right: memcmp() of big-endian numbers. */
	x_exthdr_mss(&rb, false);
	x_cmp(&rb, NFT_CMP_GT, &mss, 2);
	x_imm(&rb, NFT_REG_1, &mss, 2);
	x_exthdr_mss(&rb, true);
	return rb_send(&rb);
}

int nft_rules_mss(struct nft_batch *b, const struct gw_conf *c)
{
	int ret = 0;

	for (size_t i = 0; i < c->n_customers && !ret; i++) {
		const struct customer_conf *cu = &c->customers[i];

		for (size_t j = 0; j < cu->n_paths && !ret; j++) {
			const struct path_conf *p = &cu->paths[j];
			const struct nft_owner own = { .kind = OWN_MSS,
				.a = (uint32_t)i, .b = (uint32_t)j };
			char ifname[IF_NAMESIZE];

			if (p->type == PATH_VLAN)
				continue;
			if (p->ifname[0])
				snprintf(ifname, sizeof(ifname), "%s", p->ifname);
			else if (conf_path_ifname(cu->id, p->name, ifname))
				continue;	/* validation refuses such paths */
			ret = mss_rule(b, p, ifname, AF_INET, &own);
			if (!ret)
				ret = mss_rule(b, p, ifname, AF_INET6, &own);
		}
	}
	return ret;
}
