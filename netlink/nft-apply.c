// SPDX-License-Identifier: GPL-2.0
/*
 * nft_apply(): dump what table inet gwd holds, then one batch that makes it
 * match the config.  Mark and sweep: every chain, set and object the config
 * needs is marked (created only when missing, so counters, limits and meters
 * keep their state), and what stays unmarked in the table is deleted at the
 * end of the batch, after the rules that used it.  A customer's chain is
 * flushed and refilled only when the fingerprint on its last rule
 * (nft_cust_hash()) or its rule count differs; forward and mss always are.
 * The elements of the fixed sets change one by one: all deletions first,
 * all additions last, so a prefix that grows or moves never meets its old
 * self.  (Flushing and refilling them made an unchanged apply of 10,000
 * elements take seconds.)  The batch carries the ruleset generation the dumps
 * saw: if anything changed in between, the kernel refuses it and the apply
 * starts over.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/nft.h"

#define APPLY_TRIES	3
#define MSS_PRIO	(-150)	/* NF_IP_PRI_MANGLE */

/* Names in table gwd as dumped, sorted; used: the config needs it. */
struct kname {
	char *name;
	uint32_t type;		/* objects: NFT_OBJECT_* */
	bool used;
	/* chains: rules counted in the dump, the last one's fingerprint */
	uint32_t rules;
	struct nft_fingerprint fp;
	bool has_fp;
};

struct knames {
	struct kname *v;
	size_t n, cap;
};

/*
 * One element of a fixed set: the start of an interval (in a dispatch map
 * with the id of the chain it goes to) or its end.
 */
struct etuple {
	uint8_t key[20];
	uint8_t klen;
	uint8_t end;		/* NFT_SET_ELEM_INTERVAL_END */
	uint32_t id;		/* dispatch: c<id> */
	struct nft_owner own;	/* what the config calls it, with item */
	uint32_t item;
};

struct etuples {
	struct etuple *v;
	size_t n, cap;
};

struct kstate {
	bool table;
	struct knames chains, sets, objs;
	struct etuples elems[SET_FIXED];	/* sorted */
};

static void *push(void **v, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		void *q = realloc(*v, c * size);

		if (!q)
			return NULL;
		*v = q;
		*cap = c;
	}
	return (char *)*v + (*n)++ * size;
}

static void kstate_free(struct kstate *ks)
{
	struct knames *lists[] = { &ks->chains, &ks->sets, &ks->objs };

	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < lists[i]->n; j++)
			free(lists[i]->v[j].name);
		free(lists[i]->v);
	}
	for (size_t i = 0; i < SET_FIXED; i++)
		free(ks->elems[i].v);
	memset(ks, 0, sizeof(*ks));
}

static int kname_add(struct knames *l, const char *name, uint32_t type)
{
	struct kname *k = push((void **)&l->v, &l->n, &l->cap, sizeof(*k));

	if (!k)
		return -ENOMEM;
	*k = (struct kname){ .name = strdup(name), .type = type };
	if (!k->name) {
		l->n--;
		return -ENOMEM;
	}
	return 0;
}

static int kname_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kname *)a)->name,
		      ((const struct kname *)b)->name);
}

static struct kname *kname_find(const struct knames *l, const char *name)
{
	struct kname key = { .name = (char *)name };

	return l->n ? bsearch(&key, l->v, l->n, sizeof(key), kname_cmp) : NULL;
}

/* Mark name as needed; true if the kernel already has it. */
static bool kname_use(const struct knames *l, const char *name)
{
	struct kname *k = kname_find(l, name);

	if (k)
		k->used = true;
	return k;
}

/* ---- dumps ----------------------------------------------------------- */

static int chain_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	int ret = 0;

	if (!c)
		return -ENOMEM;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0)
		ret = -EPROTO;
	else if (!strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), NFT_TABLE))
		ret = kname_add(arg, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), 0);
	nftnl_chain_free(c);
	return ret;
}

static int set_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_set *s = nftnl_set_alloc();
	int ret = 0;

	if (!s)
		return -ENOMEM;
	if (nftnl_set_nlmsg_parse(nlh, s) < 0)
		ret = -EPROTO;
	/* Anonymous sets belong to their rule and go with it. */
	else if (!strcmp(nftnl_set_get_str(s, NFTNL_SET_TABLE), NFT_TABLE) &&
		 !(nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS))
		ret = kname_add(arg, nftnl_set_get_str(s, NFTNL_SET_NAME), 0);
	nftnl_set_free(s);
	return ret;
}

static int obj_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	int ret = 0;

	if (!o)
		return -ENOMEM;
	if (nftnl_obj_nlmsg_parse(nlh, o) < 0)
		ret = -EPROTO;
	else if (!strcmp(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE), NFT_TABLE))
		ret = kname_add(arg, nftnl_obj_get_str(o, NFTNL_OBJ_NAME),
				nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE));
	nftnl_obj_free(o);
	return ret;
}

/*
 * Per rule: count it for its chain, and keep the fingerprint of the last
 * (a rule added after gwd's last one leaves the chain without one).
 */
static int rule_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct knames *chains = arg;
	const struct nlattr *attr, *chain = NULL, *udata = NULL;
	struct kname *k;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) == NFTA_RULE_CHAIN &&
		    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
			chain = attr;
		else if (mnl_attr_get_type(attr) == NFTA_RULE_USERDATA)
			udata = attr;
	}
	if (!chain || !(k = kname_find(chains, mnl_attr_get_str(chain))))
		return 0;
	k->rules++;
	k->has_fp = false;
	if (udata) {
		const uint8_t *u = mnl_attr_get_payload(udata);
		size_t len = mnl_attr_get_payload_len(udata);

		/* TLVs: type, length, value */
		for (size_t off = 0; off + 2 <= len && off + 2 + u[off + 1] <= len;
		     off += 2 + u[off + 1]) {
			if (u[off] != NFT_UDATA_CHAIN || u[off + 1] != sizeof(k->fp))
				continue;
			memcpy(&k->fp, u + off + 2, sizeof(k->fp));
			k->has_fp = true;
		}
	}
	return 0;
}

/* "c17" -> 17; anything else (a foreign chain) -> UINT32_MAX */
static uint32_t chain_id(const char *chain)
{
	char *end;
	unsigned long v;

	if (chain[0] != 'c' || chain[1] < '1' || chain[1] > '9')
		return UINT32_MAX;
	v = strtoul(chain + 1, &end, 10);
	return *end || v > 65535 ? UINT32_MAX : (uint32_t)v;
}

static int etuple_cmp(const void *a, const void *b)
{
	const struct etuple *x = a, *y = b;
	int d = memcmp(x->key, y->key, sizeof(x->key));

	if (d)
		return d;
	/* At one key, the end of an interval before the start of the next:
	 * the kernel takes adjacent intervals only in that order. */
	if (x->end != y->end)
		return x->end ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static struct etuple *etuple_push(struct etuples *t)
{
	struct etuple *e = push((void **)&t->v, &t->n, &t->cap, sizeof(*e));

	if (e)
		memset(e, 0, sizeof(*e));
	return e;
}

static void etuples_sort(struct etuples *t)
{
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), etuple_cmp);
}

static int elem_cb(void *arg, const struct nft_elem *el)
{
	struct etuple *t = etuple_push(arg);

	if (!t)
		return -ENOMEM;
	if (el->klen > sizeof(t->key))
		return -EPROTO;
	memcpy(t->key, el->key, el->klen);
	t->klen = (uint8_t)el->klen;
	t->end = !!(el->flags & NFT_SET_ELEM_INTERVAL_END);
	t->id = el->chain[0] ? chain_id(el->chain) : 0;
	return 0;
}

static int kstate_load(struct nft *n, struct kstate *ks)
{
	int ret = nft_table_exists(n);

	if (ret <= 0)
		return ret;
	ks->table = true;
	if ((ret = nft_request(n, NFT_MSG_GETCHAIN, NLM_F_DUMP, NFTA_CHAIN_TABLE,
			       0, NULL, chain_cb, &ks->chains)) ||
	    (ret = nft_request(n, NFT_MSG_GETSET, NLM_F_DUMP, NFTA_SET_TABLE, 0,
			       NULL, set_cb, &ks->sets)) ||
	    (ret = nft_request(n, NFT_MSG_GETOBJ, NLM_F_DUMP, NFTA_OBJ_TABLE, 0,
			       NULL, obj_cb, &ks->objs)))
		return ret;
	qsort(ks->chains.v, ks->chains.n, sizeof(struct kname), kname_cmp);
	qsort(ks->sets.v, ks->sets.n, sizeof(struct kname), kname_cmp);
	qsort(ks->objs.v, ks->objs.n, sizeof(struct kname), kname_cmp);
	if ((ret = nft_request(n, NFT_MSG_GETRULE, NLM_F_DUMP, NFTA_RULE_TABLE, 0,
			       NULL, rule_cb, &ks->chains)))
		return ret;
	for (int s = 0; s < SET_FIXED; s++) {
		if (kname_find(&ks->sets, nft_set_names[s]) &&
		    (ret = nft_set_dump(n, nft_set_names[s], elem_cb, &ks->elems[s])))
			return ret;
		etuples_sort(&ks->elems[s]);
	}
	return 0;
}

/* ---- elements --------------------------------------------------------- */

/* [lo, hi] as a start tuple and, unless hi is the last key, an end tuple. */
static int want_range(struct etuples *want, const uint8_t *lo, const uint8_t *hi,
		      size_t klen, uint32_t id, const struct nft_owner *own,
		      uint32_t item)
{
	struct etuple *t = etuple_push(want);
	uint8_t next[20];

	if (!t)
		return -ENOMEM;
	*t = (struct etuple){ .klen = (uint8_t)klen, .id = id, .own = *own,
			      .item = item };
	memcpy(t->key, lo, klen);
	memcpy(next, hi, klen);
	if (!nft_key_next(next, klen))
		return 0;
	if (!(t = etuple_push(want)))
		return -ENOMEM;
	*t = (struct etuple){ .klen = (uint8_t)klen, .end = 1, .own = *own,
			      .item = item };
	memcpy(t->key, next, klen);
	return 0;
}

/* Every customer prefix (with a filter) -> goto c<id>. */
static int want_dispatch(struct etuples *want, const struct gw_conf *c)
{
	int ret = 0;

	for (size_t i = 0; i < c->n_customers && !ret; i++) {
		const struct customer_conf *cu = &c->customers[i];
		const struct nft_owner own = { .kind = OWN_PREFIX, .a = (uint32_t)i };

		if (!cu->filter.present)
			continue;
		for (size_t j = 0; j < cu->n_prefixes && !ret; j++) {
			const struct gw_prefix *p = &cu->prefixes[j];
			size_t alen = gw_addr_len(p->addr.family);
			uint8_t lo[16], hi[16];

			if (!alen)
				continue;
			nft_prefix_range(p, lo, hi);
			ret = want_range(&want[SET_DISPATCH4 + (alen == 16)], lo, hi,
					 alen, cu->id, &own, (uint32_t)j);
		}
	}
	return ret;
}

/* One list of the config, keyed by id, into the source sets. */
static int want_list(struct etuples *want, uint32_t id, const struct gw_prefix *p,
		     size_t n, bool block, struct nft_owner own)
{
	int ret = 0;

	own.name = block ? "block" : "allow";
	for (size_t i = 0; i < n && !ret; i++) {
		uint8_t lo[20], hi[20];
		size_t klen;

		if (!gw_addr_len(p[i].addr.family))
			continue;
		klen = nft_src_key(id, &p[i], lo, hi);
		ret = want_range(&want[nft_src_set(id, block, false, p[i].addr.family)],
				 lo, hi, klen, 0, &own, (uint32_t)i);
	}
	return ret;
}

static int want_lists(struct etuples *want, uint32_t id,
		      const struct ip_sets_conf *s, const struct nft_owner *own)
{
	int ret = want_list(want, id, s->block, s->n_block, true, *own);

	return ret ? ret : want_list(want, id, s->allow, s->n_allow, false, *own);
}

static bool id_wanted(const uint32_t *ids, size_t n, uint32_t id)
{
	size_t lo = 0, hi = n;

	if (!id)
		return true;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ids[mid] == id)
			return true;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/*
 * What the fixed sets should hold.  Runtime sets: what they hold, the
 * customers' less the elements of customers that no longer have a filter.
 */
static int want_elems(struct etuples *want, const struct gw_conf *c,
		      const struct kstate *ks, const uint32_t *ids, size_t n_ids)
{
	const struct nft_owner site = { .kind = OWN_SITE_LIST };
	int ret = want_dispatch(want, c);

	for (size_t i = 0; i < c->n_customers && !ret; i++) {
		const struct nft_owner own = { .kind = OWN_CUST_LIST, .a = (uint32_t)i };

		if (c->customers[i].filter.present)
			ret = want_lists(want, c->customers[i].id,
					 &c->customers[i].filter.sets, &own);
	}
	if (!ret)
		ret = want_lists(want, 0, &c->site.filter, &site);
	for (int s = 0; s < SET_FIXED && !ret; s++) {
		bool keep = s < SET_C_BLOCK4;	/* the site's: all of them */

		if (!nft_set_is_runtime(s))
			continue;
		/* Sorted: an end belongs to the start before it (whose id it
		 * may not carry: the end of a prefix up to the last address
		 * is the next id's first key). */
		for (size_t i = 0; i < ks->elems[s].n && !ret; i++) {
			const struct etuple *have = &ks->elems[s].v[i];
			struct etuple *t;
			uint32_t id;

			if (!have->end && s >= SET_C_BLOCK4) {
				memcpy(&id, have->key, 4);
				keep = id_wanted(ids, n_ids, ntohl(id));
			}
			if (!keep)
				continue;
			if (!(t = etuple_push(&want[s])))
				ret = -ENOMEM;
			else
				*t = *have;
		}
	}
	for (int s = 0; s < SET_FIXED; s++)
		etuples_sort(&want[s]);
	return ret;
}

/*
 * Delete what set s has and should not (del), or add what it should have
 * and has not (!del), in messages of one owner each.
 */
static int elems_diff(struct nft_batch *b, enum nft_set_id s,
		      const struct etuples *have, const struct etuples *want,
		      bool del)
{
	const struct etuples *from = del ? have : want, *other = del ? want : have;
	const struct nft_owner stale = { .kind = OWN_STALE, .name = nft_set_names[s] };
	bool dispatch = s == SET_DISPATCH4 || s == SET_DISPATCH6;
	struct nft_elems e = { 0 };
	const struct etuple *last = NULL;
	size_t j = 0;
	int ret = 0;

	for (size_t i = 0; i < from->n && !ret; i++) {
		const struct etuple *t = &from->v[i];
		const struct nft_owner *own = del ? &stale : &t->own;
		char chain[NFT_NAME_MAX];
		int d = 1;

		while (j < other->n && (d = etuple_cmp(&other->v[j], t)) < 0)
			j++;
		if (j < other->n && !d)
			continue;
		/* The same prefix twice in a list: one element. */
		if (last && !etuple_cmp(last, t))
			continue;
		last = t;
		if (!e.set || e.own.kind != own->kind || e.own.a != own->a ||
		    e.own.name != own->name) {
			nft_elems_end(&e);
			nft_elems_start(&e, b, del ? NFT_MSG_DELSETELEM :
					NFT_MSG_NEWSETELEM, nft_set_names[s], 0, own);
		}
		snprintf(chain, sizeof(chain), "c%u", t->id);
		ret = nft_elems_add(&e, t->key, t->klen,
				    t->end ? NFT_SET_ELEM_INTERVAL_END : 0, 0,
				    dispatch && !del && !t->end ? chain : NULL,
				    t->item);
	}
	nft_elems_end(&e);
	return ret;
}

/* ---- the batch ------------------------------------------------------- */

struct apply {
	struct nft *n;
	const struct gw_conf *c;
	struct kstate ks;
	struct nft_batch *b;
	struct etuples want[SET_FIXED];
	uint32_t *ids;			/* customers with a filter, sorted */
	size_t n_ids;
	char *owner;
	size_t len;
};

static void set_owner(struct apply *a, const struct nft_owner *o, long item)
{
	if (a->owner && a->len)
		nft_owner_str(o, item, a->owner, a->len);
}

struct need {
	struct apply *a;
	const struct nft_cust *k;
};

static int need_cb(void *arg, const char *name, uint32_t type, size_t rule,
		   int family)
{
	struct need *nd = arg;
	struct kstate *ks = &nd->a->ks;
	const struct filter_rule *r = rule == SIZE_MAX ? NULL :
				      &nd->k->cu->filter.rules[rule];
	struct nft_owner own = { .kind = r ? OWN_RULE : OWN_CUSTOMER,
				 .a = nd->k->index, .b = (uint32_t)rule };

	if (!type) {
		if (kname_use(&ks->sets, name))
			return 0;
		return nft_set_add_meter(nd->a->b, name, family,
					 nft_meter_timeout(r), &own);
	}
	if (kname_use(&ks->objs, name))
		return 0;
	if (type == NFT_OBJECT_LIMIT)
		return nft_obj_add_limit(nd->a->b, name, r, &own);
	return nft_obj_add_counter(nd->a->b, name, &own);
}

/* A customer's objects, its chain (created, or emptied) and its rules. */
static int customer(struct apply *a, size_t i)
{
	const struct customer_conf *cu = &a->c->customers[i];
	const struct nft_owner own = { .kind = OWN_CUSTOMER, .a = (uint32_t)i };
	char chain[NFT_NAME_MAX];
	struct nft_cust k;
	struct need nd = { a, &k };
	size_t bad;
	int ret;

	if ((ret = nft_cust_init(&k, a->c, i)))
		return ret;
	if ((ret = nft_cust_check(&k, &bad))) {
		struct nft_owner r = { .kind = OWN_RULE, .a = (uint32_t)i,
				       .b = (uint32_t)bad };

		set_owner(a, &r, -1);
		goto out;
	}
	snprintf(chain, sizeof(chain), "c%u", cu->id);
	if ((ret = nft_cust_needs(&k, need_cb, &nd)))
		goto out;
	if (kname_use(&a->ks.chains, chain)) {
		const struct kname *have = kname_find(&a->ks.chains, chain);

		/* Unchanged: not rewritten (10,000 chains: 1 s). */
		if (have->has_fp && have->fp.rules == have->rules &&
		    have->fp.hash == nft_cust_hash(&k))
			goto out;
		ret = nft_chain_flush(a->b, chain, &own);
	} else {
		ret = nft_chain_add(a->b, chain, false, 0, &own);
	}
	if (!ret)
		ret = nft_rules_customer(a->b, &k);
out:
	nft_cust_free(&k);
	return ret;
}

static int base_chain(struct apply *a, const char *name, int prio)
{
	const struct nft_owner own = { .kind = OWN_SITE };
	bool had = kname_use(&a->ks.chains, name);
	int ret;

	/* Sent even when it is there: sets its policy back to accept. */
	ret = nft_chain_add(a->b, name, true, prio, &own);
	if (!ret && had)
		ret = nft_chain_flush(a->b, name, &own);
	return ret;
}

/* What the config no longer needs: chains first, then what they used. */
static int sweep(struct apply *a)
{
	struct kstate *ks = &a->ks;
	int ret = 0;

	for (size_t i = 0; i < ks->chains.n && !ret; i++) {
		const struct nft_owner own = { .kind = OWN_STALE,
					       .name = ks->chains.v[i].name };

		if (ks->chains.v[i].used)
			continue;
		ret = nft_chain_flush(a->b, own.name, &own);
		if (!ret)
			ret = nft_chain_del(a->b, own.name, &own);
	}
	for (size_t i = 0; i < ks->sets.n && !ret; i++) {
		const struct nft_owner own = { .kind = OWN_STALE,
					       .name = ks->sets.v[i].name };

		if (!ks->sets.v[i].used)
			ret = nft_set_del(a->b, own.name, &own);
	}
	for (size_t i = 0; i < ks->objs.n && !ret; i++) {
		const struct nft_owner own = { .kind = OWN_STALE,
					       .name = ks->objs.v[i].name };

		if (!ks->objs.v[i].used)
			ret = nft_obj_del(a->b, own.name, ks->objs.v[i].type, &own);
	}
	return ret;
}

static int id_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

static int build(struct apply *a)
{
	static const struct nft_owner table = { .kind = OWN_TABLE };
	const struct gw_conf *c = a->c;
	struct nlmsghdr *nlh;
	int ret = 0;

	nlh = nft_batch_msg(a->b, NFT_MSG_NEWTABLE, NLM_F_CREATE, &table);
	if (!nlh)
		return -ENOMEM;
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, NFT_TABLE);
	for (int s = 0; s < SET_FIXED && !ret; s++) {
		kname_use(&a->ks.sets, nft_set_names[s]);
		ret = nft_set_add_fixed(a->b, (enum nft_set_id)s);
	}
	/* Elements that go: before the chains a dispatch element points at. */
	for (int s = 0; s < SET_FIXED && !ret; s++)
		ret = elems_diff(a->b, s, &a->ks.elems[s], &a->want[s], true);
	if (!ret && !kname_use(&a->ks.objs, "site_allow"))
		ret = nft_obj_add_counter(a->b, "site_allow", &table);
	if (!ret && !kname_use(&a->ks.objs, "site_block"))
		ret = nft_obj_add_counter(a->b, "site_block", &table);
	if (!ret)
		ret = base_chain(a, "forward", 0);
	if (!ret)
		ret = base_chain(a, "mss", MSS_PRIO);
	for (size_t i = 0; i < c->n_customers && !ret; i++)
		if (c->customers[i].filter.present)
			ret = customer(a, i);
	if (!ret)
		ret = nft_rules_forward(a->b, c);
	if (!ret)
		ret = nft_rules_mss(a->b, c);
	/* Elements that come: after the chains they point at. */
	for (int s = 0; s < SET_FIXED && !ret; s++)
		ret = elems_diff(a->b, s, &a->ks.elems[s], &a->want[s], false);
	if (!ret)
		ret = sweep(a);
	return ret;
}

static int apply_once(struct apply *a)
{
	uint32_t genid;
	int ret;

	if ((ret = nft_genid(a->n, &genid)) || (ret = kstate_load(a->n, &a->ks)) ||
	    (ret = want_elems(a->want, a->c, &a->ks, a->ids, a->n_ids)))
		goto out;
	a->b = nft_batch_new(a->n, genid);
	if (!a->b) {
		ret = -ENOMEM;
		goto out;
	}
	ret = build(a);
	if (!ret)
		ret = nft_batch_commit(a->b, a->owner, a->len);
	if (!ret)
		a->n->last_msgs = nft_batch_count(a->b);
out:
	nft_batch_free(a->b);
	a->b = NULL;
	kstate_free(&a->ks);
	for (int s = 0; s < SET_FIXED; s++)
		free(a->want[s].v);
	memset(a->want, 0, sizeof(a->want));
	return ret;
}

int nft_apply(struct nft *n, const struct gw_conf *c, char *owner, size_t len)
{
	struct apply a = { .n = n, .c = c, .owner = owner, .len = len };
	int ret;

	if (owner && len)
		*owner = '\0';
	a.ids = calloc(c->n_customers + 1, sizeof(*a.ids));
	if (!a.ids)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_customers; i++)
		if (c->customers[i].filter.present)
			a.ids[a.n_ids++] = c->customers[i].id;
	qsort(a.ids, a.n_ids, sizeof(*a.ids), id_cmp);
	/* -ERESTART: the ruleset changed since the dumps; -EINTR: during one. */
	for (int t = 0;; t++) {
		ret = apply_once(&a);
		if ((ret != -ERESTART && ret != -EINTR) || t + 1 == APPLY_TRIES)
			break;
		if (owner && len)
			*owner = '\0';
	}
	if (!ret) {
		free(n->ids);
		n->ids = a.ids;
		n->n_ids = a.n_ids;
		n->applied = true;
		a.ids = NULL;
	}
	free(a.ids);
	return ret;
}
