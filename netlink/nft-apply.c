// SPDX-License-Identifier: GPL-2.0
/*
 * nft_apply(): dump what table inet gwd holds, then one batch that makes it
 * match the config.  Mark and sweep: every chain, set and object the config
 * needs is marked (created only when missing, so counters, limits and meters
 * keep their state), and what stays unmarked in the table is deleted at the
 * end of the batch, after the rules that used it.  Chains are flushed and
 * refilled, the config's source sets too; dispatch elements and runtime
 * elements change one by one.  The batch carries the ruleset generation the
 * dumps saw: if anything changed in between, the kernel refuses it and the
 * apply starts over.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
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
};

struct knames {
	struct kname *v;
	size_t n, cap;
};

/* One element of a dispatch map: a start (with its chain's id) or an end. */
struct dtuple {
	uint8_t key[16];
	uint8_t end;
	uint32_t id;
	uint32_t cust, item;	/* owner: customers[cust].prefixes[item] */
};

struct dtuples {
	struct dtuple *v;
	size_t n, cap;
};

struct elems {
	struct nft_elem *v;
	size_t n, cap;
};

struct kstate {
	bool table;
	struct knames chains, sets, objs;
	struct dtuples disp[2];		/* dispatch4, dispatch6 */
	struct elems rt[4];		/* SET_RT_BLOCK4 .. SET_RT_ALLOW6 */
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
	for (size_t i = 0; i < 2; i++)
		free(ks->disp[i].v);
	for (size_t i = 0; i < 4; i++)
		free(ks->rt[i].v);
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

static int dtuple_cmp(const void *a, const void *b)
{
	const struct dtuple *x = a, *y = b;
	int d = memcmp(x->key, y->key, sizeof(x->key));

	if (d)
		return d;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

struct disp_dump {
	struct dtuples *t;
	size_t klen;
};

static int disp_cb(void *arg, const struct nft_elem *el)
{
	struct disp_dump *d = arg;
	struct dtuple *t;

	if (el->klen != d->klen)
		return 0;
	t = push((void **)&d->t->v, &d->t->n, &d->t->cap, sizeof(*t));
	if (!t)
		return -ENOMEM;
	memset(t, 0, sizeof(*t));
	memcpy(t->key, el->key, el->klen);
	t->end = !!(el->flags & NFT_SET_ELEM_INTERVAL_END);
	t->id = t->end ? 0 : chain_id(el->chain);
	return 0;
}

static int rt_cb(void *arg, const struct nft_elem *el)
{
	struct elems *e = arg;
	struct nft_elem *p = push((void **)&e->v, &e->n, &e->cap, sizeof(*p));

	if (!p)
		return -ENOMEM;
	*p = *el;
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
	for (int f = 0; f < 2; f++) {
		const char *name = nft_set_names[SET_DISPATCH4 + f];
		struct disp_dump d = { &ks->disp[f], f ? 16 : 4 };

		if (kname_find(&ks->sets, name) &&
		    (ret = nft_set_dump(n, name, disp_cb, &d)))
			return ret;
		if (d.t->n)
			qsort(d.t->v, d.t->n, sizeof(struct dtuple), dtuple_cmp);
	}
	for (int i = 0; i < 4; i++) {
		const char *name = nft_set_names[SET_RT_BLOCK4 + i];

		if (kname_find(&ks->sets, name) &&
		    (ret = nft_set_dump(n, name, rt_cb, &ks->rt[i])))
			return ret;
	}
	return 0;
}

/* ---- dispatch -------------------------------------------------------- */

static int disp_want(struct dtuples *want, const struct gw_conf *c)
{
	for (size_t i = 0; i < c->n_customers; i++) {
		const struct customer_conf *cu = &c->customers[i];

		if (!cu->filter.present)
			continue;
		for (size_t j = 0; j < cu->n_prefixes; j++) {
			const struct gw_prefix *p = &cu->prefixes[j];
			size_t alen = gw_addr_len(p->addr.family);
			struct dtuples *d = &want[p->addr.family == AF_INET6];
			uint8_t lo[16], hi[16];
			struct dtuple *t;
			bool wraps = true;

			if (!alen)
				continue;
			nft_prefix_range(p, lo, hi);
			t = push((void **)&d->v, &d->n, &d->cap, sizeof(*t));
			if (!t)
				return -ENOMEM;
			*t = (struct dtuple){ .id = cu->id, .cust = (uint32_t)i,
					      .item = (uint32_t)j };
			memcpy(t->key, lo, alen);
			for (size_t k = alen; k-- > 0;)
				if (++hi[k]) {
					wraps = false;
					break;
				}
			if (wraps)
				continue;
			t = push((void **)&d->v, &d->n, &d->cap, sizeof(*t));
			if (!t)
				return -ENOMEM;
			*t = (struct dtuple){ .end = 1, .cust = (uint32_t)i,
					      .item = (uint32_t)j };
			memcpy(t->key, hi, alen);
		}
	}
	for (int f = 0; f < 2; f++)
		if (want[f].n)
			qsort(want[f].v, want[f].n, sizeof(struct dtuple), dtuple_cmp);
	return 0;
}

/*
 * Delete what the kernel has and the config does not (del), or add what
 * the config has and the kernel does not (!del).
 */
static int disp_diff(struct nft_batch *b, const struct dtuples *have,
		     const struct dtuples *want, int f, bool del)
{
	const struct dtuples *from = del ? have : want, *other = del ? want : have;
	const char *set = nft_set_names[SET_DISPATCH4 + f];
	size_t klen = f ? 16 : 4, j = 0;
	struct nft_elems e = { 0 };
	const struct dtuple *last = NULL;
	int ret = 0;

	for (size_t i = 0; i < from->n && !ret; i++) {
		const struct dtuple *t = &from->v[i];
		struct nft_owner own = { .kind = OWN_PREFIX, .a = t->cust };
		char chain[NFT_NAME_MAX];
		int d = 1;

		while (j < other->n && (d = dtuple_cmp(&other->v[j], t)) < 0)
			j++;
		if (j < other->n && !d)
			continue;
		/* Two equal prefixes in the config: one element. */
		if (last && !dtuple_cmp(last, t))
			continue;
		last = t;
		if (del)
			own = (struct nft_owner){ .kind = OWN_STALE, .name = set };
		if (e.set == NULL || e.own.a != own.a || e.own.kind != own.kind) {
			nft_elems_end(&e);
			nft_elems_start(&e, b, del ? NFT_MSG_DELSETELEM :
					NFT_MSG_NEWSETELEM, set, 0, &own);
		}
		snprintf(chain, sizeof(chain), "c%u", t->id);
		ret = nft_elems_add(&e, t->key, NULL, klen,
				    t->end ? NFT_SET_ELEM_INTERVAL_END : 0, 0,
				    del || t->end ? NULL : chain, t->item);
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
	struct dtuples want[2];
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

/* The config's prefixes of one list, keyed by id, into the source sets. */
static int src_elems(struct nft_batch *b, uint32_t id, const struct gw_prefix *p,
		     size_t n, bool block, const struct nft_owner *own)
{
	int ret = 0;

	for (int f = 0; f < 2 && !ret; f++) {
		int family = f ? AF_INET6 : AF_INET;
		struct nft_elems e;

		nft_elems_start(&e, b, NFT_MSG_NEWSETELEM,
				nft_set_names[nft_src_set(block, false, family)],
				0, own);
		for (size_t i = 0; i < n && !ret; i++)
			if (p[i].addr.family == family)
				ret = nft_elems_add_src(&e, id, &p[i], 0, (uint32_t)i);
		nft_elems_end(&e);
	}
	return ret;
}

static int sets_elems(struct nft_batch *b, uint32_t id,
		      const struct ip_sets_conf *s, struct nft_owner own)
{
	int ret;

	own.name = "block";
	ret = src_elems(b, id, s->block, s->n_block, true, &own);
	own.name = "allow";
	if (!ret)
		ret = src_elems(b, id, s->allow, s->n_allow, false, &own);
	return ret;
}

static int customer(struct apply *a, size_t i)
{
	const struct customer_conf *cu = &a->c->customers[i];
	const struct nft_owner own = { .kind = OWN_CUSTOMER, .a = (uint32_t)i };
	const struct nft_owner lists = { .kind = OWN_CUST_LIST, .a = (uint32_t)i };
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
	if (kname_use(&a->ks.chains, chain))
		ret = nft_chain_flush(a->b, chain, &own);
	else
		ret = nft_chain_add(a->b, chain, false, 0, &own);
	if (!ret)
		ret = sets_elems(a->b, cu->id, &cu->filter.sets, lists);
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

static bool id_wanted(const struct apply *a, uint32_t id)
{
	size_t lo = 0, hi = a->n_ids;

	if (!id)
		return true;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (a->ids[mid] == id)
			return true;
		if (a->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Runtime elements of customers that no longer have a filter. */
static int rt_sweep(struct apply *a)
{
	int ret = 0;

	for (int s = 0; s < 4 && !ret; s++) {
		const char *set = nft_set_names[SET_RT_BLOCK4 + s];
		const struct nft_owner own = { .kind = OWN_STALE, .name = set };
		const struct elems *el = &a->ks.rt[s];
		struct nft_elems e;

		nft_elems_start(&e, a->b, NFT_MSG_DELSETELEM, set, 0, &own);
		for (size_t i = 0; i < el->n && !ret; i++) {
			uint32_t id;

			if (el->v[i].klen < 4 || el->v[i].klen_end != el->v[i].klen)
				continue;
			memcpy(&id, el->v[i].key, 4);
			if (!id_wanted(a, ntohl(id)))
				ret = nft_elems_add(&e, el->v[i].key, el->v[i].key_end,
						    el->v[i].klen, 0, 0, NULL, 0);
		}
		nft_elems_end(&e);
	}
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
	const struct nft_owner site = { .kind = OWN_SITE_LIST };
	struct nlmsghdr *nlh;
	int ret = 0;

	nlh = nft_batch_msg(a->b, NFT_MSG_NEWTABLE, NLM_F_CREATE, &table);
	if (!nlh)
		return -ENOMEM;
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, NFT_TABLE);
	/* Elements that point at chains must go before those chains. */
	for (int f = 0; f < 2 && !ret; f++)
		ret = disp_diff(a->b, &a->ks.disp[f], &a->want[f], f, true);
	for (int s = 0; s < SET_FIXED && !ret; s++) {
		bool had = kname_use(&a->ks.sets, nft_set_names[s]);

		ret = nft_set_add_fixed(a->b, (enum nft_set_id)s);
		if (!ret && had && s < SET_RT_BLOCK4)
			ret = nft_set_flush(a->b, nft_set_names[s], &table);
	}
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
		ret = sets_elems(a->b, 0, &c->site.filter, site);
	if (!ret)
		ret = nft_rules_forward(a->b, c);
	if (!ret)
		ret = nft_rules_mss(a->b, c);
	for (int f = 0; f < 2 && !ret; f++)
		ret = disp_diff(a->b, &a->ks.disp[f], &a->want[f], f, false);
	if (!ret)
		ret = rt_sweep(a);
	if (!ret)
		ret = sweep(a);
	return ret;
}

static int apply_once(struct apply *a)
{
	uint32_t genid;
	int ret;

	if ((ret = nft_genid(a->n, &genid)) || (ret = kstate_load(a->n, &a->ks)))
		goto out;
	a->b = nft_batch_new(a->n, genid);
	if (!a->b) {
		ret = -ENOMEM;
		goto out;
	}
	ret = build(a);
	if (!ret)
		ret = nft_batch_commit(a->b, a->owner, a->len);
out:
	nft_batch_free(a->b);
	a->b = NULL;
	kstate_free(&a->ks);
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
	ret = disp_want(a.want, c);
	/* -ERESTART: the ruleset changed since the dumps; -EINTR: during one. */
	for (int t = 0; !ret; t++) {
		ret = apply_once(&a);
		if ((ret != -ERESTART && ret != -EINTR) || t + 1 == APPLY_TRIES)
			break;
		ret = 0;
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
	for (int f = 0; f < 2; f++)
		free(a.want[f].v);
	return ret;
}
