// SPDX-License-Identifier: GPL-2.0
/*
 * Sets of table inet gwd and their elements.  Elements are written with
 * libmnl directly, not as libnftnl objects: an apply may carry 100,000 of
 * them, and each must be tied to the config entry it comes from (for the
 * error's owner) by its position in its message.
 *
 * Every interval set here has one field, which the kernel keeps in an
 * rbtree: an interval is a start element and an INTERVAL_END element one
 * past its last key.  The customers' source sets are keyed by "id .
 * address" as one 8 or 20 byte big-endian number, not a concatenation: the
 * interval of a prefix is contiguous in it, and a concatenation would go to
 * pipapo, whose bulk insertion grows with the square of the set (100,000
 * elements: 19 s against 0.5 s) and whose deletion costs ~50 ms at any
 * size.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/nft.h"

/* nftables' datatype numbers: "nft list" shows our sets with these types. */
#define NFT_TYPE_IPADDR		7
#define NFT_TYPE_IP6ADDR	8
#define NFT_TYPE_INTEGER	4

/* A message's element list must stay below the 64 KiB of an attribute. */
#define ELEMS_SPLIT		(32 * 1024)
/* Sources a per-source rate tracks at once: ~40 MiB at most per meter. */
#define METER_SIZE		262144

const char *const nft_set_names[SET_FIXED] = {
	[SET_BLOCK4] = "block4", [SET_BLOCK6] = "block6",
	[SET_ALLOW4] = "allow4", [SET_ALLOW6] = "allow6",
	[SET_RT_BLOCK4] = "rt_block4", [SET_RT_BLOCK6] = "rt_block6",
	[SET_RT_ALLOW4] = "rt_allow4", [SET_RT_ALLOW6] = "rt_allow6",
	[SET_C_BLOCK4] = "cust_block4", [SET_C_BLOCK6] = "cust_block6",
	[SET_C_ALLOW4] = "cust_allow4", [SET_C_ALLOW6] = "cust_allow6",
	[SET_C_RT_BLOCK4] = "cust_rt_block4", [SET_C_RT_BLOCK6] = "cust_rt_block6",
	[SET_C_RT_ALLOW4] = "cust_rt_allow4", [SET_C_RT_ALLOW6] = "cust_rt_allow6",
	[SET_DISPATCH4] = "dispatch4", [SET_DISPATCH6] = "dispatch6",
};

enum nft_set_id nft_src_set(uint32_t id, bool block, bool runtime, int family)
{
	return (id ? SET_C_BLOCK4 : SET_BLOCK4) + (runtime ? SET_RT_BLOCK4 : 0) +
	       (block ? 0 : SET_ALLOW4) + (family == AF_INET6);
}

static struct nftnl_set *set_new(const char *name, uint32_t flags,
				 uint32_t type, uint32_t klen)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, klen);
	return s;
}

/*
 * NEWSET without NLM_F_EXCL: a set that is already there stays as it is.
 * The kernel wants an id for every set of a batch, named or not.
 */
static int set_send(struct nft_batch *b, struct nftnl_set *s,
		    const struct nft_owner *own)
{
	struct nlmsghdr *nlh;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_ID, nft_batch_set_id(b));
	nlh = nft_batch_msg(b, NFT_MSG_NEWSET, NLM_F_CREATE, own);
	if (nlh)
		nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return nlh ? 0 : -ENOMEM;
}

int nft_set_add_fixed(struct nft_batch *b, enum nft_set_id id)
{
	const struct nft_owner site = { .kind = OWN_SITE };
	bool v6 = id == SET_DISPATCH6 || (id < SET_DISPATCH4 && (id & 1));
	uint32_t atype = v6 ? NFT_TYPE_IP6ADDR : NFT_TYPE_IPADDR;
	uint32_t alen = v6 ? 16 : 4;
	struct nftnl_set *s;

	if (id == SET_DISPATCH4 || id == SET_DISPATCH6) {
		s = set_new(nft_set_names[id], NFT_SET_MAP | NFT_SET_INTERVAL,
			    atype, alen);
		if (s)
			nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
	} else {
		uint32_t flags = NFT_SET_INTERVAL;

		if (nft_set_is_runtime(id))
			flags |= NFT_SET_TIMEOUT;
		if (id >= SET_C_BLOCK4)	/* id . address: a number to nft(8) */
			s = set_new(nft_set_names[id], flags, NFT_TYPE_INTEGER,
				    4 + alen);
		else
			s = set_new(nft_set_names[id], flags, atype, alen);
	}
	return set_send(b, s, &site);
}

int nft_set_add_meter(struct nft_batch *b, const char *name, int family,
		      uint32_t timeout_s, const struct nft_owner *own)
{
	bool v6 = family == AF_INET6;
	struct nftnl_set *s;

	s = set_new(name, NFT_SET_EVAL | NFT_SET_TIMEOUT,
		    v6 ? NFT_TYPE_IP6ADDR : NFT_TYPE_IPADDR, v6 ? 16 : 4);
	if (s) {
		nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, (uint64_t)timeout_s * 1000);
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, METER_SIZE);
	}
	return set_send(b, s, own);
}

int nft_set_del(struct nft_batch *b, const char *name,
		const struct nft_owner *own)
{
	struct nlmsghdr *nlh = nft_batch_msg(b, NFT_MSG_DELSET, 0, own);

	if (!nlh)
		return -ENOMEM;
	mnl_attr_put_strz(nlh, NFTA_SET_TABLE, NFT_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_NAME, name);
	return 0;
}

/* ---- elements -------------------------------------------------------- */

void nft_elems_start(struct nft_elems *e, struct nft_batch *b, uint16_t type,
		     const char *set, uint32_t set_id,
		     const struct nft_owner *own)
{
	*e = (struct nft_elems){ .b = b, .type = type, .set = set,
				 .set_id = set_id, .own = *own };
}

void nft_elems_end(struct nft_elems *e)
{
	if (!e->nlh)
		return;
	mnl_attr_nest_end(e->nlh, e->list);
	e->nlh = NULL;
}

static int elems_open(struct nft_elems *e)
{
	struct nlmsghdr *nlh;

	nlh = nft_batch_msg(e->b, e->type,
			    e->type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0,
			    &e->own);
	if (!nlh)
		return -ENOMEM;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, e->set);
	if (e->set_id)
		mnl_attr_put_u32(nlh, NFTA_SET_ELEM_LIST_SET_ID, htonl(e->set_id));
	e->list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	e->nlh = nlh;
	return 0;
}

static void put_data(struct nlmsghdr *nlh, uint16_t type, const void *v,
		     size_t len)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, v);
	mnl_attr_nest_end(nlh, nest);
}

int nft_elems_add(struct nft_elems *e, const void *key, size_t klen,
		  uint32_t flags, uint64_t timeout_ms, const char *goto_chain,
		  uint32_t item)
{
	struct nlattr *el;
	int ret;

	if (!e->nlh && (ret = elems_open(e)))
		return ret;
	el = mnl_attr_nest_start(e->nlh, NFTA_LIST_ELEM);
	put_data(e->nlh, NFTA_SET_ELEM_KEY, key, klen);
	if (flags)
		mnl_attr_put_u32(e->nlh, NFTA_SET_ELEM_FLAGS, htonl(flags));
	if (timeout_ms)
		mnl_attr_put_u64(e->nlh, NFTA_SET_ELEM_TIMEOUT, htobe64(timeout_ms));
	if (goto_chain) {
		struct nlattr *d = mnl_attr_nest_start(e->nlh, NFTA_SET_ELEM_DATA);
		struct nlattr *v = mnl_attr_nest_start(e->nlh, NFTA_DATA_VERDICT);

		mnl_attr_put_u32(e->nlh, NFTA_VERDICT_CODE, htonl((uint32_t)NFT_GOTO));
		mnl_attr_put_strz(e->nlh, NFTA_VERDICT_CHAIN, goto_chain);
		mnl_attr_nest_end(e->nlh, v);
		mnl_attr_nest_end(e->nlh, d);
	}
	mnl_attr_nest_end(e->nlh, el);
	nft_batch_item(e->b, item);
	if (nft_batch_msg_len(e->b) > ELEMS_SPLIT)
		nft_elems_end(e);
	return 0;
}

void nft_prefix_range(const struct gw_prefix *p, uint8_t lo[16], uint8_t hi[16])
{
	size_t alen = gw_addr_len(p->addr.family);

	memset(lo, 0, 16);
	memset(hi, 0, 16);
	for (size_t i = 0; i < alen; i++) {
		unsigned bits = p->len > i * 8 ? p->len - i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);

		lo[i] = p->addr.raw[i] & mask;
		hi[i] = lo[i] | (uint8_t)~mask;
	}
}

size_t nft_src_key(uint32_t id, const struct gw_prefix *p, uint8_t lo[20],
		   uint8_t hi[20])
{
	size_t alen = gw_addr_len(p->addr.family), off = id ? 4 : 0;
	uint8_t a[16], b[16];
	uint32_t be = htonl(id);

	nft_prefix_range(p, a, b);
	memcpy(lo, &be, off);
	memcpy(hi, &be, off);
	memcpy(lo + off, a, alen);
	memcpy(hi + off, b, alen);
	return off + alen;
}

int nft_elems_add_src(struct nft_elems *e, uint32_t id,
		      const struct gw_prefix *p, uint64_t timeout_ms,
		      uint32_t item)
{
	uint8_t lo[20], hi[20];
	size_t klen = nft_src_key(id, p, lo, hi);

	return nft_elems_add_range(e, lo, hi, klen, NULL, timeout_ms, item);
}

bool nft_key_next(uint8_t *key, size_t klen)
{
	for (size_t i = klen; i-- > 0;)
		if (++key[i])
			return true;
	return false;
}

int nft_elems_add_range(struct nft_elems *e, const uint8_t *lo,
			const uint8_t *hi, size_t klen, const char *goto_chain,
			uint64_t timeout_ms, uint32_t item)
{
	uint8_t next[20];
	int ret;

	ret = nft_elems_add(e, lo, klen, 0, timeout_ms, goto_chain, item);
	if (ret)
		return ret;
	memcpy(next, hi, klen);
	/* An interval up to the last key has no end element.  An end
	 * element takes no timeout: it expires with its start. */
	if (!nft_key_next(next, klen))
		return 0;
	return nft_elems_add(e, next, klen, NFT_SET_ELEM_INTERVAL_END, 0, NULL,
			     item);
}

/* ---- dumps ----------------------------------------------------------- */

static int data_value(const struct nlattr *nest, uint8_t *out, uint32_t *len,
		      size_t max)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, nest) {
		if (mnl_attr_get_type(attr) != NFTA_DATA_VALUE)
			continue;
		if (mnl_attr_get_payload_len(attr) > max)
			return -EPROTO;
		*len = mnl_attr_get_payload_len(attr);
		memcpy(out, mnl_attr_get_payload(attr), *len);
		return 0;
	}
	return -EPROTO;
}

static void verdict_chain(const struct nlattr *data, char *out, size_t len)
{
	const struct nlattr *v, *attr;

	mnl_attr_for_each_nested(v, data) {
		if (mnl_attr_get_type(v) != NFTA_DATA_VERDICT)
			continue;
		mnl_attr_for_each_nested(attr, v) {
			if (mnl_attr_get_type(attr) == NFTA_VERDICT_CHAIN &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				snprintf(out, len, "%s", mnl_attr_get_str(attr));
		}
	}
}

static int parse_elem(const struct nlattr *nest, struct nft_elem *el)
{
	const struct nlattr *attr;
	int ret = -EPROTO;

	memset(el, 0, sizeof(*el));
	mnl_attr_for_each_nested(attr, nest) {
		switch (mnl_attr_get_type(attr)) {
		case NFTA_SET_ELEM_KEY:
			ret = data_value(attr, el->key, &el->klen, sizeof(el->key));
			if (ret)
				return ret;
			break;
		case NFTA_SET_ELEM_FLAGS:
			if (mnl_attr_validate(attr, MNL_TYPE_U32))
				return -EPROTO;
			el->flags = ntohl(mnl_attr_get_u32(attr));
			break;
		case NFTA_SET_ELEM_EXPIRATION:
			if (mnl_attr_validate(attr, MNL_TYPE_U64))
				return -EPROTO;
			el->expires_ms = be64toh(mnl_attr_get_u64(attr));
			break;
		case NFTA_SET_ELEM_DATA:
			verdict_chain(attr, el->chain, sizeof(el->chain));
			break;
		}
	}
	return ret;
}

struct elem_dump {
	nft_elem_cb cb;
	void *arg;
};

static int elem_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct elem_dump *d = arg;
	const struct nlattr *attr, *nest;
	struct nft_elem el;
	int ret;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(nest, attr) {
			ret = parse_elem(nest, &el);
			if (!ret)
				ret = d->cb(d->arg, &el);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int nft_set_dump(struct nft *n, const char *set, nft_elem_cb cb, void *arg)
{
	struct elem_dump d = { cb, arg };

	return nft_request(n, NFT_MSG_GETSETELEM, NLM_F_DUMP,
			   NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET, set,
			   elem_dump_cb, &d);
}

/* ---- runtime elements ------------------------------------------------ */

static bool id_known(const struct nft *n, uint32_t id)
{
	size_t lo = 0, hi = n->n_ids;

	if (!id)
		return true;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (n->ids[mid] == id)
			return true;
		if (n->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int nft_element(struct nft *n, uint32_t customer_id, bool block, bool add,
		const struct gw_prefix *p, uint32_t timeout_s)
{
	enum nft_set_id s;
	struct nft_owner own;
	struct nft_batch *b;
	struct nft_elems e;
	int ret;

	if (p->addr.family != AF_INET && p->addr.family != AF_INET6)
		return -EAFNOSUPPORT;
	if (p->len > gw_addr_len(p->addr.family) * 8)
		return -EINVAL;
	if (!n->applied || !id_known(n, customer_id))
		return -ENOENT;
	s = nft_src_set(customer_id, block, true, p->addr.family);
	own = (struct nft_owner){ .kind = OWN_RUNTIME, .name = nft_set_names[s] };
	b = nft_batch_new(n, 0);
	if (!b)
		return -ENOMEM;
	nft_elems_start(&e, b, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
			nft_set_names[s], 0, &own);
	ret = nft_elems_add_src(&e, customer_id, p,
				add ? (uint64_t)timeout_s * 1000 : 0, 0);
	nft_elems_end(&e);
	if (!ret)
		ret = nft_batch_commit(b, NULL, 0);
	nft_batch_free(b);
	return ret;
}

/*
 * [lo, hi] as the prefixes that cover it exactly, largest first: gwd only
 * adds prefixes, but someone may have added a range with nft.
 */
static int range_prefixes(int family, const uint8_t *lo, const uint8_t *hi,
			  uint32_t expires_s, nft_element_cb cb, void *arg)
{
	size_t alen = gw_addr_len(family), bits = alen * 8;
	uint8_t cur[16];
	int ret;

	memcpy(cur, lo, alen);
	for (;;) {
		struct gw_prefix p = { .addr.family = family };
		size_t len = bits;
		uint8_t last[16];
		bool carry = true;

		/* The shortest prefix starting at cur that stays within hi. */
		while (len > 0) {
			struct gw_prefix t = { .addr.family = family, .len = (uint8_t)(len - 1) };
			uint8_t tlo[16], thi[16];

			memcpy(t.addr.raw, cur, alen);
			nft_prefix_range(&t, tlo, thi);
			if (memcmp(tlo, cur, alen) || memcmp(thi, hi, alen) > 0)
				break;
			len--;
		}
		memcpy(p.addr.raw, cur, alen);
		p.len = (uint8_t)len;
		ret = cb(arg, &p, expires_s);
		if (ret)
			return ret;
		nft_prefix_range(&p, cur, last);
		if (!memcmp(last, hi, alen))
			return 0;
		memcpy(cur, last, alen);
		for (size_t i = alen; carry && i-- > 0;)
			carry = !++cur[i];
	}
}

struct rt_list {
	size_t klen, idlen;	/* idlen: 4 in customers' sets, 0 in the site's */
	struct nft_elem *v;
	size_t n, cap;
};

static int rt_collect(void *arg, const struct nft_elem *el)
{
	struct rt_list *l = arg;

	if (el->klen != l->klen)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct nft_elem *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *el;
	return 0;
}

/* By key; at one key the end of an interval before the next's start. */
static int elem_cmp(const void *a, const void *b, void *klen)
{
	const struct nft_elem *x = a, *y = b;
	int d = memcmp(x->key, y->key, *(size_t *)klen);

	if (d)
		return d;
	return (int)(y->flags & NFT_SET_ELEM_INTERVAL_END) -
	       (int)(x->flags & NFT_SET_ELEM_INTERVAL_END);
}

/*
 * The intervals of id in a dumped runtime set: each start with the end
 * that follows it in key order (none: up to the last key).
 */
static int rt_intervals(struct rt_list *l, uint32_t id, int family,
			nft_element_cb cb, void *arg)
{
	size_t alen = gw_addr_len(family), off = l->idlen;
	uint32_t be = htonl(id);
	int ret = 0;

	if (l->n)
		qsort_r(l->v, l->n, sizeof(*l->v), elem_cmp, &l->klen);
	for (size_t i = 0; i < l->n && !ret; i++) {
		const struct nft_elem *s = &l->v[i];
		uint8_t hi[20];

		if ((s->flags & NFT_SET_ELEM_INTERVAL_END) || memcmp(s->key, &be, off))
			continue;
		if (i + 1 < l->n && (l->v[i + 1].flags & NFT_SET_ELEM_INTERVAL_END)) {
			/* one before the end; past the id: to the last address */
			memcpy(hi, l->v[i + 1].key, l->klen);
			for (size_t k = l->klen; k-- > 0;)
				if (hi[k]--)
					break;
			if (memcmp(hi, &be, off))
				memset(hi + off, 0xff, alen);
		} else {
			memset(hi + off, 0xff, alen);
		}
		ret = range_prefixes(family, s->key + off, hi + off,
				     (uint32_t)((s->expires_ms + 999) / 1000), cb,
				     arg);
	}
	return ret;
}

int nft_elements(struct nft *n, uint32_t customer_id, bool block,
		 nft_element_cb cb, void *arg)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	int ret = 0;

	for (size_t i = 0; i < 2 && !ret; i++) {
		struct rt_list l = { .klen = gw_addr_len(fams[i]),
				     .idlen = customer_id ? 4 : 0 };
		enum nft_set_id s = nft_src_set(customer_id, block, true, fams[i]);

		l.klen += l.idlen;
		ret = nft_set_dump(n, nft_set_names[s], rt_collect, &l);
		if (!ret)
			ret = rt_intervals(&l, customer_id, fams[i], cb, arg);
		free(l.v);
	}
	return ret;
}
