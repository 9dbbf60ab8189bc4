/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Semantic checks: what holds between values.  The parser has checked each
 * value on its own (types, ranges, syntax).
 *
 * Two phases.  First the relations that need every object, found by sorting
 * rather than by comparing all pairs, so that a thousand customers check as
 * fast as ten: for each object, the earliest other object it conflicts with.
 * Then one walk over the config in file order reports, so that diagnostics
 * come out in the order of the file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/internal.h"

#define NONE SIZE_MAX

/* One object in a sorted pass; key parts a pass does not use are zero. */
struct item {
	size_t id;		/* its index in file order, within its kind */
	size_t group;		/* items relate only within one group */
	const char *str;
	struct gw_addr addr;
	uint64_t num;
	uint8_t len;		/* addr/len is a prefix (nesting passes, */
	bool probe;		/* equal sets); probe: an address looked up */
};

struct vctx {
	const struct gw_conf *c;
	struct conf_diag *d;
	int ret;

	/* paths and prefixes numbered across customers, in file order */
	size_t np, nx;
	size_t *path_base, *prefix_base;	/* per customer */
	size_t *path_owner, *prefix_owner;	/* the customer of each */
	/* block and allow entries, numbered across scopes (scope_sets()) */
	size_t ns;
	size_t *set_base;			/* per scope */

	/* for each object, the earliest other one it conflicts with, or NONE */
	size_t *ingress_dup;
	size_t *name_dup, *id_dup;		/* customers */
	size_t *path_dup, *subnet_dup, *vlan_dup, *gre_dup, *remote_in;
	size_t *if_id_dup, *ike_dup, *psk_dup;	/* IPsec paths */
	size_t *gre_remote_dup, *vti_dup;	/* by remote alone */
	size_t *prefix_dup;
	size_t *set_dup, *set_over;		/* within one scope */
};

static void verr(struct vctx *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void verr(struct vctx *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_diag_vadd(v->d, fmt, ap);
	va_end(ap);
	v->ret = -EINVAL;
}

static int addr_cmp(const struct gw_addr *a, const struct gw_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->raw, b->raw, gw_addr_len(a->family));
}

static int key_cmp(const struct item *a, const struct item *b)
{
	int r;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	r = strcmp(a->str ? a->str : "", b->str ? b->str : "");
	if (r)
		return r;
	r = addr_cmp(&a->addr, &b->addr);
	if (r)
		return r;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	return 0;
}

static int id_cmp(const struct item *a, const struct item *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

static int dup_cmp(const void *pa, const void *pb)
{
	int r = key_cmp(pa, pb);

	return r ? r : id_cmp(pa, pb);
}

/* dup[id] becomes the id of the earliest item with the same key. */
static void find_dups(struct item *it, size_t n, size_t *dup)
{
	size_t i;

	qsort(it, n, sizeof(*it), dup_cmp);
	for (i = 1; i < n; i++) {
		const struct item *a = &it[i - 1];

		if (!key_cmp(a, &it[i]))
			dup[it[i].id] = dup[a->id] != NONE ? dup[a->id] : a->id;
	}
}

static int nest_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	int r;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	r = addr_cmp(&a->addr, &b->addr);
	if (r)
		return r;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (a->probe != b->probe)
		return a->probe ? 1 : -1;
	return id_cmp(a, b);
}

static bool nests(const struct item *outer, const struct item *in)
{
	struct gw_prefix p = { .addr = outer->addr, .len = outer->len };

	return outer->group == in->group && outer->len <= in->len &&
	       gw_prefix_contains(&p, &in->addr);
}

typedef void nest_fn(struct vctx *v, const struct item *outer,
		     const struct item *inner);

/*
 * Call fn for every pair of items where the prefix outer contains inner.
 * Sorted by address then length, the prefixes that contain an item come
 * before it; prefixes being nested or disjoint, the stack of those not yet
 * left behind holds exactly them.
 */
static int nest(struct vctx *v, struct item *it, size_t n, nest_fn *fn)
{
	const struct item **st;
	size_t i, k, depth = 0;

	if (!n)
		return 0;
	st = malloc(n * sizeof(*st));
	if (!st)
		return -ENOMEM;
	qsort(it, n, sizeof(*it), nest_cmp);
	for (i = 0; i < n; i++) {
		while (depth && !nests(st[depth - 1], &it[i]))
			depth--;
		for (k = 0; k < depth; k++)
			fn(v, st[k], &it[i]);
		if (!it[i].probe)
			st[depth++] = &it[i];
	}
	free(st);
	return 0;
}

static void keep_first(size_t *slot, size_t id)
{
	if (*slot == NONE || id < *slot)
		*slot = id;
}

/* Customer prefixes against each other, and tunnel remotes inside them. */
static void prefix_pair(struct vctx *v, const struct item *o,
			const struct item *in)
{
	size_t a = o->id, b = in->id;

	if (in->probe) {
		keep_first(&v->remote_in[b], a);
		return;
	}
	/* One customer may list a prefix and a more specific one. */
	if (v->prefix_owner[a] == v->prefix_owner[b] && o->len != in->len)
		return;
	keep_first(&v->prefix_dup[a > b ? a : b], a < b ? a : b);
}

/* The subnets of one customer's paths: one VRF, one routing table. */
static void subnet_pair(struct vctx *v, const struct item *o,
			const struct item *in)
{
	size_t a = o->id, b = in->id;

	keep_first(&v->subnet_dup[a > b ? a : b], a < b ? a : b);
}

static size_t *nones(size_t n)
{
	size_t *a = malloc((n ? n : 1) * sizeof(*a)), i;

	for (i = 0; a && i < n; i++)
		a[i] = NONE;
	return a;
}

static const struct path_conf *path_at(const struct vctx *v, size_t g,
				       size_t *ci, size_t *pi)
{
	*ci = v->path_owner[g];
	*pi = g - v->path_base[*ci];
	return &v->c->customers[*ci].paths[*pi];
}

/* The block and allow lists of scope s: 0 the site's, 1 + ci a customer's. */
static const struct ip_sets_conf *scope_sets(const struct vctx *v, size_t s)
{
	return s ? &v->c->customers[s - 1].filter.sets : &v->c->site.filter;
}

/* Entry i of a scope's lists, the allow list first: list[*idx]. */
static const struct gw_prefix *set_entry(const struct ip_sets_conf *ss,
					 size_t i, const char **list,
					 size_t *idx)
{
	bool block = i >= ss->n_allow;

	*list = block ? "block" : "allow";
	*idx = block ? i - ss->n_allow : i;
	return block ? &ss->block[*idx] : &ss->allow[*idx];
}

/* Number paths and prefixes across customers, and make room for results. */
static int number(struct vctx *v)
{
	const struct gw_conf *c = v->c;
	size_t nc = c->n_customers, ci, i;

	v->path_base = nones(nc);
	v->prefix_base = nones(nc);
	v->set_base = nones(nc + 1);
	if (!v->path_base || !v->prefix_base || !v->set_base)
		return -ENOMEM;
	for (ci = 0; ci < nc; ci++) {
		v->path_base[ci] = v->np;
		v->prefix_base[ci] = v->nx;
		v->np += c->customers[ci].n_paths;
		v->nx += c->customers[ci].n_prefixes;
	}
	for (i = 0; i <= nc; i++) {
		v->set_base[i] = v->ns;
		v->ns += scope_sets(v, i)->n_allow + scope_sets(v, i)->n_block;
	}
	v->path_owner = nones(v->np);
	v->prefix_owner = nones(v->nx);
	v->ingress_dup = nones(c->site.n_ingress);
	v->name_dup = nones(nc);
	v->id_dup = nones(nc);
	v->path_dup = nones(v->np);
	v->subnet_dup = nones(v->np);
	v->vlan_dup = nones(v->np);
	v->gre_dup = nones(v->np);
	v->remote_in = nones(v->np);
	v->if_id_dup = nones(v->np);
	v->ike_dup = nones(v->np);
	v->psk_dup = nones(v->np);
	v->gre_remote_dup = nones(v->np);
	v->vti_dup = nones(v->np);
	v->prefix_dup = nones(v->nx);
	v->set_dup = nones(v->ns);
	v->set_over = nones(v->ns);
	if (!v->path_owner || !v->prefix_owner || !v->ingress_dup ||
	    !v->name_dup || !v->id_dup || !v->path_dup || !v->subnet_dup ||
	    !v->vlan_dup || !v->gre_dup || !v->remote_in || !v->if_id_dup ||
	    !v->ike_dup || !v->psk_dup || !v->gre_remote_dup || !v->vti_dup ||
	    !v->prefix_dup || !v->set_dup || !v->set_over)
		return -ENOMEM;
	for (ci = 0; ci < nc; ci++) {
		for (i = 0; i < c->customers[ci].n_paths; i++)
			v->path_owner[v->path_base[ci] + i] = ci;
		for (i = 0; i < c->customers[ci].n_prefixes; i++)
			v->prefix_owner[v->prefix_base[ci] + i] = ci;
	}
	return 0;
}

static bool gre_mode(const struct path_conf *p)
{
	return p->type == PATH_IPSEC && p->ipsec_mode == IPSEC_GRE;
}

/* The paths that make a GRE tunnel: GRE, and IPsec in mode gre. */
static bool gre_tunnel(const struct path_conf *p)
{
	return p->type == PATH_GRE || gre_mode(p);
}

/* Names, ids, VLANs, GRE tunnels and IPsec connections that must be unique. */
static void relate_unique(struct vctx *v, struct item *it)
{
	const struct gw_conf *c = v->c;
	size_t nc = c->n_customers, ci, i, g, n;

	for (i = 0; i < c->site.n_ingress; i++)
		it[i] = (struct item){ .id = i, .str = c->site.ingress[i] };
	find_dups(it, c->site.n_ingress, v->ingress_dup);

	for (ci = 0; ci < nc; ci++)
		it[ci] = (struct item){ .id = ci, .str = c->customers[ci].name };
	find_dups(it, nc, v->name_dup);
	for (ci = 0; ci < nc; ci++)
		it[ci] = (struct item){ .id = ci, .num = c->customers[ci].id };
	find_dups(it, nc, v->id_dup);

	for (g = 0; g < v->np; g++) {
		const struct path_conf *p = path_at(v, g, &ci, &i);

		it[g] = (struct item){ .id = g, .group = ci, .str = p->name };
	}
	find_dups(it, v->np, v->path_dup);

	for (g = n = 0; g < v->np; g++) {
		const struct path_conf *p = path_at(v, g, &ci, &i);

		if (p->type == PATH_VLAN)
			it[n++] = (struct item){ .id = g, .str = p->parent,
						 .num = p->vlan };
	}
	find_dups(it, n, v->vlan_dup);

	/* One tunnel per remote and key; no key is a key of its own. */
	for (g = n = 0; g < v->np; g++) {
		const struct path_conf *p = path_at(v, g, &ci, &i);

		if (gre_tunnel(p))
			it[n++] = (struct item){
				.id = g, .addr = p->remote,
				.num = p->has_key ? (1ULL << 32) | p->key : 0,
			};
	}
	find_dups(it, n, v->gre_dup);

	/* The if_id holds the customer id: only one customer's can collide. */
	for (g = n = 0; g < v->np; g++) {
		const struct path_conf *p = path_at(v, g, &ci, &i);

		if (p->type == PATH_IPSEC)
			it[n++] = (struct item){ .id = g, .num = p->if_id };
	}
	find_dups(it, n, v->if_id_dup);

	/* charon tells connections apart by the peer and its identity. */
	for (g = n = 0; g < v->np; g++) {
		const struct path_conf *p = path_at(v, g, &ci, &i);

		if (p->type == PATH_IPSEC)
			it[n++] = (struct item){ .id = g, .addr = p->remote,
						 .str = p->ike.remote_id };
	}
	find_dups(it, n, v->ike_dup);

	/*
	 * It finds a PSK by the peer's identity alone: one owned by gwd's own
	 * identity too would be tried for every peer, so that one customer
	 * could authenticate with another's key.
	 */
	for (g = n = 0; g < v->np; g++) {
		const struct path_conf *p = path_at(v, g, &ci, &i);

		if (p->type == PATH_IPSEC && p->ike.auth == IKE_AUTH_PSK)
			it[n++] = (struct item){ .id = g, .str = p->ike.remote_id };
	}
	find_dups(it, n, v->psk_dup);

	/*
	 * By remote alone: a GRE-mode path's ESP policies take every GRE
	 * packet between the two addresses, whatever its key; the kernel
	 * tells VTIs apart by their addresses alone.
	 */
	for (g = n = 0; g < v->np; g++) {
		const struct path_conf *p = path_at(v, g, &ci, &i);

		if (gre_tunnel(p))
			it[n++] = (struct item){ .id = g, .addr = p->remote };
	}
	find_dups(it, n, v->gre_remote_dup);
	for (g = n = 0; g < v->np; g++) {
		const struct path_conf *p = path_at(v, g, &ci, &i);

		if (p->type == PATH_IPSEC && p->ipsec_mode == IPSEC_VTI)
			it[n++] = (struct item){ .id = g, .addr = p->remote };
	}
	find_dups(it, n, v->vti_dup);
}

/* Path subnets within a customer, prefixes across customers. */
static int relate_nested(struct vctx *v, struct item *it)
{
	const struct gw_conf *c = v->c;
	size_t ci, i, g, n;
	int ret;

	for (g = 0; g < v->np; g++) {
		const struct path_conf *p = path_at(v, g, &ci, &i);
		struct gw_prefix s = p->address;

		gw_prefix_mask(&s);
		it[g] = (struct item){ .id = g, .group = ci, .addr = s.addr,
				       .len = s.len };
	}
	ret = nest(v, it, v->np, subnet_pair);
	if (ret)
		return ret;

	for (ci = n = 0; ci < c->n_customers; ci++) {
		for (i = 0; i < c->customers[ci].n_prefixes; i++) {
			struct gw_prefix s = c->customers[ci].prefixes[i];

			gw_prefix_mask(&s);
			it[n] = (struct item){ .id = n, .addr = s.addr,
					       .len = s.len };
			n++;
		}
	}
	for (g = 0; g < v->np; g++) {
		const struct path_conf *p = path_at(v, g, &ci, &i);

		if (p->type != PATH_VLAN)
			it[n++] = (struct item){
				.id = g, .addr = p->remote, .probe = true,
				.len = 8 * gw_addr_len(p->remote.family),
			};
	}
	return nest(v, it, n, prefix_pair);
}

/*
 * Two entries of one scope's block and allow lists, outer containing
 * inner (num: 1 in block).  nftables refuses overlapping intervals in one
 * set; a block inside an allow, which is checked first, would never block.
 */
static void set_pair(struct vctx *v, const struct item *o,
		     const struct item *in)
{
	size_t a = o->id, b = in->id;

	/* An allow inside a block is an exception to it: what allow is for. */
	if (o->num && !in->num)
		return;
	keep_first(&v->set_over[a > b ? a : b], a < b ? a : b);
}

/* Every scope's entries as items: all, or those equal to none before them. */
static size_t set_items(const struct vctx *v, struct item *it, bool all)
{
	const struct ip_sets_conf *ss;
	const struct gw_prefix *p;
	const char *list;
	size_t s, i, g, idx, n = 0;

	for (s = 0; s <= v->c->n_customers; s++) {
		ss = scope_sets(v, s);
		for (i = 0; i < ss->n_allow + ss->n_block; i++) {
			g = v->set_base[s] + i;
			if (!all && v->set_dup[g] != NONE)
				continue;
			p = set_entry(ss, i, &list, &idx);
			it[n++] = (struct item){ .id = g, .group = s, .addr = p->addr,
						 .len = p->len, .num = i >= ss->n_allow };
		}
	}
	return n;
}

/*
 * The block and allow lists of each scope: equal entries in one list,
 * then overlaps among the others.  Equal entries stay out of the second
 * pass, so that a list of one prefix many times costs no more than once.
 */
static int relate_sets(struct vctx *v, struct item *it)
{
	find_dups(it, set_items(v, it, true), v->set_dup);
	return nest(v, it, set_items(v, it, false), set_pair);
}

/* Every sorted pass, over one scratch array big enough for each. */
static int relate(struct vctx *v)
{
	size_t n = v->c->n_customers;
	struct item *it;
	int ret;

	ret = number(v);
	if (ret)
		return ret;
	if (n < v->c->site.n_ingress)
		n = v->c->site.n_ingress;
	if (n < v->np + v->nx)
		n = v->np + v->nx;
	if (n < v->ns)
		n = v->ns;
	it = calloc(n ? n : 1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	relate_unique(v, it);
	ret = relate_nested(v, it);
	if (!ret)
		ret = relate_sets(v, it);
	free(it);
	return ret;
}

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* Addresses that cannot be a tunnel end or a next hop. */
static bool unicast(const struct gw_addr *a)
{
	static const uint8_t loop6[16] = { [15] = 1 }, any6[16];

	if (a->family == AF_INET)
		return a->raw[0] != 0 && a->raw[0] != 127 && a->raw[0] < 224;
	return a->raw[0] != 0xff && memcmp(a->raw, any6, 16) &&
	       memcmp(a->raw, loop6, 16);
}

/* "network" or "broadcast" when a is one in p, else NULL. */
static const char *special(const struct gw_prefix *p, const struct gw_addr *a)
{
	unsigned int bits = 8 * gw_addr_len(a->family), i;
	bool zeros = true, ones = true;

	/* RFC 3021 and RFC 6164: on /31 and /127 both addresses are hosts. */
	if (p->len + 1u >= bits)
		return NULL;
	for (i = p->len; i < bits; i++) {
		if ((a->raw[i / 8] >> (7 - i % 8)) & 1)
			zeros = false;
		else
			ones = false;
	}
	if (zeros)
		return "network";
	return ones && a->family == AF_INET ? "broadcast" : NULL;
}

static void check_unicast(struct vctx *v, const char *where,
			  const struct gw_addr *a)
{
	char s[GW_ADDRSTRLEN];

	if (a->family && !unicast(a))
		verr(v, "%s: %s is not a unicast address", where,
		     gw_addr_str(a, s, sizeof(s)));
}

/*
 * Entry j of list overlaps its entry i; a and b are their canonical texts,
 * equal exactly when the entries are.
 */
static void overlap_err(struct vctx *v, const char *list, size_t j,
			const char *a, size_t i, const char *b)
{
	if (!strcmp(a, b))
		verr(v, "%s[%zu]: %s is already listed as %s[%zu]", list, j, a,
		     list, i);
	else
		verr(v, "%s[%zu]: %s overlaps %s (%s[%zu]): nftables refuses "
		     "overlapping intervals in one set", list, j, a, b, list, i);
}

/* The block and allow lists of scope s, named where ("site.filter"). */
static void check_sets(struct vctx *v, const char *where, size_t s)
{
	const struct ip_sets_conf *ss = scope_sets(v, s);
	char a[GW_PREFIXSTRLEN], b[GW_PREFIXSTRLEN], list[64];
	const struct gw_prefix *p, *q;
	size_t n = ss->n_allow + ss->n_block, k, i, o, idx, oidx, g;
	const char *l, *ol;

	/* In the order of the file, block first: past the allow list, then it. */
	for (k = 0; k < n; k++) {
		i = (ss->n_allow + k) % n;
		g = v->set_base[s] + i;
		o = v->set_dup[g] != NONE ? v->set_dup[g] : v->set_over[g];
		if (o == NONE)
			continue;
		p = set_entry(ss, i, &l, &idx);
		q = set_entry(ss, o - v->set_base[s], &ol, &oidx);
		gw_prefix_str(p, a, sizeof(a));
		gw_prefix_str(q, b, sizeof(b));
		snprintf(list, sizeof(list), "%s.%s", where, l);
		if (l == ol)
			overlap_err(v, list, idx, a, oidx, b);
		else if (gw_prefix_eq(p, q))
			verr(v, "%s[%zu]: %s is also in %s.allow[%zu], which is "
			     "checked first: it would never be blocked", list, idx,
			     a, where, oidx);
		else
			verr(v, "%s[%zu]: %s is inside %s (%s.allow[%zu]), which is "
			     "checked first: it would never be blocked", list, idx,
			     a, b, where, oidx);
	}
}

static void check_site(struct vctx *v)
{
	const struct site_conf *s = &v->c->site;
	char q[CONF_QUOTE_MAX];
	size_t i;

	check_unicast(v, "site.underlay.v4", &s->underlay_v4);
	check_unicast(v, "site.underlay.v6", &s->underlay_v6);
	if (!s->n_ingress)
		verr(v, "site.ingress: list at least one interface");
	for (i = 0; i < s->n_ingress; i++) {
		const char *name = s->ingress[i];

		if (conf_ifname_reserved(name))
			verr(v, "site.ingress[%zu]: %s is a name gwd gives its "
			     "own interfaces", i, conf_quote(q, name, strlen(name)));
		if (v->ingress_dup[i] != NONE)
			verr(v, "site.ingress[%zu]: %s is already listed as "
			     "site.ingress[%zu]", i, conf_quote(q, name, strlen(name)),
			     v->ingress_dup[i]);
	}
	check_sets(v, "site.filter", 0);
}

static void check_table(struct vctx *v, size_t ci)
{
	const struct customer_conf *cu = &v->c->customers[ci];
	uint32_t base = v->c->site.table_base;
	uint64_t t = (uint64_t)base + cu->id;

	if (t > UINT32_MAX)
		verr(v, "customers[%zu].id: table %" PRIu64 " (site.table_base %"
		     PRIu32 " + %" PRIu32 ") is above 4294967295", ci, t, base,
		     cu->id);
	else if (t >= 253 && t <= 255)
		verr(v, "customers[%zu].id: table %" PRIu64 " (site.table_base %"
		     PRIu32 " + %" PRIu32 ") is reserved for the kernel's "
		     "default, main and local tables", ci, t, base, cu->id);
}

static void check_prefixes(struct vctx *v, size_t ci)
{
	const struct customer_conf *cu = &v->c->customers[ci];
	const struct site_conf *s = &v->c->site;
	char a[GW_PREFIXSTRLEN], b[GW_PREFIXSTRLEN];
	bool peer4 = false, peer6 = false, told4, told6;
	size_t i;

	for (i = 0; i < cu->n_paths; i++) {
		peer4 |= cu->paths[i].peer.family == AF_INET;
		peer6 |= cu->paths[i].peer.family == AF_INET6;
	}
	if (!cu->n_prefixes)
		verr(v, "customers[%zu].prefixes: list at least one prefix", ci);
	/* Without paths, the error is that; not one per family. */
	told4 = told6 = !cu->n_paths;
	for (i = 0; i < cu->n_prefixes; i++) {
		const struct gw_prefix *p = &cu->prefixes[i];
		size_t o = v->prefix_dup[v->prefix_base[ci] + i], oc, oi;
		const struct gw_addr *u;

		gw_prefix_str(p, a, sizeof(a));
		if (o != NONE) {
			oc = v->prefix_owner[o];
			oi = o - v->prefix_base[oc];
			if (oc == ci)
				verr(v, "customers[%zu].prefixes[%zu]: %s is already "
				     "listed as customers[%zu].prefixes[%zu]",
				     ci, i, a, oc, oi);
			else
				verr(v, "customers[%zu].prefixes[%zu]: %s overlaps "
				     "%s of customer \"%s\" (customers[%zu].prefixes[%zu])",
				     ci, i, a,
				     gw_prefix_str(&v->c->customers[oc].prefixes[oi],
						   b, sizeof(b)),
				     v->c->customers[oc].name, oc, oi);
		}
		/* Traffic to gwd itself would be steered into the VRF. */
		u = p->addr.family == AF_INET ? &s->underlay_v4 : &s->underlay_v6;
		if (gw_prefix_contains(p, u))
			verr(v, "customers[%zu].prefixes[%zu]: %s contains "
			     "site.underlay.%s %s", ci, i, a,
			     u == &s->underlay_v4 ? "v4" : "v6",
			     gw_addr_str(u, b, sizeof(b)));
		if ((p->addr.family == AF_INET && !peer4 && !told4) ||
		    (p->addr.family == AF_INET6 && !peer6 && !told6)) {
			verr(v, "customers[%zu].prefixes[%zu]: no path of customer "
			     "\"%s\" has an %s peer", ci, i, cu->name,
			     family_name(p->addr.family));
			told4 |= p->addr.family == AF_INET;
			told6 |= p->addr.family == AF_INET6;
		}
	}
}

/* address and peer: one family, one subnet, two distinct hosts. */
static void check_ends(struct vctx *v, size_t ci, size_t pi)
{
	const struct path_conf *p = &v->c->customers[ci].paths[pi];
	char a[GW_PREFIXSTRLEN], b[GW_PREFIXSTRLEN], where[64];
	struct gw_prefix net = p->address;
	const char *what;

	gw_prefix_mask(&net);
	gw_prefix_str(&p->address, a, sizeof(a));
	gw_addr_str(&p->peer, b, sizeof(b));
	snprintf(where, sizeof(where), "customers[%zu].paths[%zu]", ci, pi);
	if (p->address.addr.family != p->peer.family) {
		verr(v, "%s.peer: %s is %s but the address %s is %s", where, b,
		     family_name(p->peer.family), a,
		     family_name(p->address.addr.family));
		return;
	}
	if (!unicast(&p->address.addr))
		verr(v, "%s.address: %s is not a unicast address", where, a);
	else if (p->address.addr.family == AF_INET6 &&
		 p->address.addr.raw[0] == 0xfe && (p->address.addr.raw[1] & 0xc0) == 0x80)
		verr(v, "%s.address: %s is link-local; the kernel gives each link "
		     "its own, use a global or ULA subnet", where, a);
	what = special(&p->address, &p->address.addr);
	if (what)
		verr(v, "%s.address: %s is the %s address of its subnet", where,
		     a, what);
	if (!unicast(&p->peer)) {
		verr(v, "%s.peer: %s is not a unicast address", where, b);
	} else if (!gw_prefix_contains(&net, &p->peer)) {
		verr(v, "%s.peer: %s is outside %s, the subnet of the address",
		     where, b, gw_prefix_str(&net, a, sizeof(a)));
	} else if (gw_addr_eq(&p->peer, &p->address.addr)) {
		verr(v, "%s.peer: %s is the path's own address", where, b);
	} else if ((what = special(&p->address, &p->peer))) {
		verr(v, "%s.peer: %s is the %s address of %s", where, b, what,
		     gw_prefix_str(&net, a, sizeof(a)));
	}
}

/* The far end of a GRE or IPsec tunnel, and the GRE tunnel it makes. */
static void check_tunnel(struct vctx *v, size_t ci, size_t pi, size_t g)
{
	const struct path_conf *p = &v->c->customers[ci].paths[pi];
	const struct site_conf *s = &v->c->site;
	const struct gw_addr *u;
	char a[GW_ADDRSTRLEN], b[GW_PREFIXSTRLEN];
	size_t oc, oi;

	gw_addr_str(&p->remote, a, sizeof(a));
	u = p->remote.family == AF_INET ? &s->underlay_v4 : &s->underlay_v6;
	if (!u->family)
		verr(v, "customers[%zu].paths[%zu].remote: %s is %s, but "
		     "site.underlay.%s is not set", ci, pi, a,
		     family_name(p->remote.family),
		     u == &s->underlay_v4 ? "v4" : "v6");
	else if (gw_addr_eq(u, &p->remote))
		verr(v, "customers[%zu].paths[%zu].remote: %s is site.underlay.%s "
		     "itself", ci, pi, a, u == &s->underlay_v4 ? "v4" : "v6");
	else if (!unicast(&p->remote))
		verr(v, "customers[%zu].paths[%zu].remote: %s is not a unicast "
		     "address", ci, pi, a);
	if (v->gre_dup[g] != NONE) {
		path_at(v, v->gre_dup[g], &oc, &oi);
		if (p->has_key)
			verr(v, "customers[%zu].paths[%zu].key: %s with key %"
			     PRIu32 " is already used by customers[%zu].paths[%zu]",
			     ci, pi, a, p->key, oc, oi);
		else
			verr(v, "customers[%zu].paths[%zu].remote: %s without a "
			     "key is already used by customers[%zu].paths[%zu]",
			     ci, pi, a, oc, oi);
	} else if (v->gre_remote_dup[g] != NONE) {
		const struct path_conf *o = path_at(v, v->gre_remote_dup[g], &oc, &oi);

		if (gre_mode(p) || gre_mode(o))
			verr(v, "customers[%zu].paths[%zu].remote: %s is also the "
			     "remote of customers[%zu].paths[%zu]: the ESP of a path "
			     "in mode \"gre\" takes every GRE packet between the two "
			     "addresses, whatever the key", ci, pi, a, oc, oi);
	}
	if (v->remote_in[g] != NONE) {
		oc = v->prefix_owner[v->remote_in[g]];
		oi = v->remote_in[g] - v->prefix_base[oc];
		verr(v, "customers[%zu].paths[%zu].remote: %s is inside %s of "
		     "customer \"%s\" (customers[%zu].prefixes[%zu]): the tunnel "
		     "would route into itself", ci, pi, a,
		     gw_prefix_str(&v->c->customers[oc].prefixes[oi], b, sizeof(b)),
		     v->c->customers[oc].name, oc, oi);
	}
}

static void check_ipsec(struct vctx *v, size_t ci, size_t pi, size_t g)
{
	const struct path_conf *p = &v->c->customers[ci].paths[pi], *o;
	char q[CONF_QUOTE_MAX], a[GW_ADDRSTRLEN];
	size_t oc, oi;

	/* Equal names are an error of their own, and so are their if_ids. */
	if (v->if_id_dup[g] != NONE && v->path_dup[g] == NONE) {
		o = path_at(v, v->if_id_dup[g], &oc, &oi);
		verr(v, "customers[%zu].paths[%zu].name: \"%s\" has the if_id of "
		     "\"%s\" (customers[%zu].paths[%zu]), 0x%08" PRIx32 ", a hash "
		     "of the name: rename one of them", ci, pi, p->name, o->name,
		     oc, oi, p->if_id);
	}
	/* Both would say the same about the same pair: the first one only. */
	if (v->ike_dup[g] == NONE && v->psk_dup[g] != NONE) {
		path_at(v, v->psk_dup[g], &oc, &oi);
		verr(v, "customers[%zu].paths[%zu].ike.remote_id: %s is already "
		     "used by customers[%zu].paths[%zu]: charon finds a PSK by the "
		     "peer's identity, so each PSK path needs its own", ci, pi,
		     conf_quote(q, p->ike.remote_id, strlen(p->ike.remote_id)),
		     oc, oi);
	} else if (v->ike_dup[g] != NONE) {
		path_at(v, v->ike_dup[g], &oc, &oi);
		verr(v, "customers[%zu].paths[%zu].ike.remote_id: %s at %s is "
		     "already used by customers[%zu].paths[%zu]: charon could not "
		     "tell the two connections apart", ci, pi,
		     conf_quote(q, p->ike.remote_id, strlen(p->ike.remote_id)),
		     gw_addr_str(&p->remote, a, sizeof(a)), oc, oi);
	}
	if (v->vti_dup[g] != NONE) {
		path_at(v, v->vti_dup[g], &oc, &oi);
		verr(v, "customers[%zu].paths[%zu].remote: %s already has a VTI, "
		     "customers[%zu].paths[%zu]: the kernel tells VTIs apart by "
		     "their addresses alone; use mode \"xfrm\"", ci, pi,
		     gw_addr_str(&p->remote, a, sizeof(a)), oc, oi);
	}
	/* ip6_vti's disable_policy cannot be set over netlink; ip_vti carries IPv4 only. */
	if (p->ipsec_mode == IPSEC_VTI && p->remote.family != AF_INET)
		verr(v, "customers[%zu].paths[%zu].remote: mode \"vti\" needs an "
		     "IPv4 remote; use mode \"xfrm\" over IPv6", ci, pi);
	if (p->ipsec_mode == IPSEC_VTI && p->address.addr.family != AF_INET)
		verr(v, "customers[%zu].paths[%zu].address: mode \"vti\" carries "
		     "IPv4 only; use mode \"xfrm\" for IPv6", ci, pi);
}

static void check_path(struct vctx *v, size_t ci, size_t pi)
{
	const struct customer_conf *cu = &v->c->customers[ci];
	const struct path_conf *p = &cu->paths[pi];
	size_t g = v->path_base[ci] + pi, oc, oi;
	char q[CONF_QUOTE_MAX], ifname[64], a[GW_PREFIXSTRLEN];

	if (v->path_dup[g] != NONE)
		verr(v, "customers[%zu].paths[%zu].name: \"%s\" is already used "
		     "by customers[%zu].paths[%zu]", ci, pi, p->name, ci,
		     v->path_dup[g] - v->path_base[ci]);
	if (conf_path_ifname(cu->id, p->name, ifname) < 0) {
		snprintf(ifname, sizeof(ifname), "gw%" PRIu32 "-%s", cu->id, p->name);
		verr(v, "customers[%zu].paths[%zu].name: interface name \"%s\" "
		     "is longer than %d characters", ci, pi, ifname,
		     IF_NAMESIZE - 1);
	}
	check_ends(v, ci, pi);
	if (v->subnet_dup[g] != NONE) {
		const struct path_conf *o = path_at(v, v->subnet_dup[g], &oc, &oi);

		verr(v, "customers[%zu].paths[%zu].address: %s overlaps the "
		     "subnet of customers[%zu].paths[%zu] (%s)", ci, pi,
		     gw_prefix_str(&p->address, ifname, sizeof(ifname)), oc, oi,
		     gw_prefix_str(&o->address, a, sizeof(a)));
	}
	switch (p->type) {
	case PATH_VLAN:
		if (conf_ifname_reserved(p->parent))
			verr(v, "customers[%zu].paths[%zu].parent: %s is a name "
			     "gwd gives its own interfaces", ci, pi,
			     conf_quote(q, p->parent, strlen(p->parent)));
		if (v->vlan_dup[g] != NONE) {
			path_at(v, v->vlan_dup[g], &oc, &oi);
			verr(v, "customers[%zu].paths[%zu].vlan: VLAN %u on %s is "
			     "already used by customers[%zu].paths[%zu]", ci, pi,
			     p->vlan, conf_quote(q, p->parent, strlen(p->parent)),
			     oc, oi);
		}
		break;
	case PATH_GRE:
		check_tunnel(v, ci, pi, g);
		break;
	case PATH_IPSEC:
		check_tunnel(v, ci, pi, g);
		check_ipsec(v, ci, pi, g);
		break;
	}
}

/* One multipath route holds GW_MAX_ECMP next hops: no more equal paths per family. */
static void check_ecmp(struct vctx *v, size_t ci)
{
	const struct customer_conf *cu = &v->c->customers[ci];

	for (size_t pi = 0; pi < cu->n_paths; pi++) {
		const struct path_conf *p = &cu->paths[pi];
		size_t n = 0;

		for (size_t pj = 0; pj <= pi; pj++)
			n += cu->paths[pj].priority == p->priority &&
			     cu->paths[pj].peer.family == p->peer.family;
		if (n == GW_MAX_ECMP + 1)
			verr(v, "customers[%zu].paths[%zu].priority: more than %d paths "
			     "with %s peers have priority %" PRIu32 "; a multipath "
			     "route takes %d", ci, pi, GW_MAX_ECMP,
			     family_name(p->peer.family), p->priority, GW_MAX_ECMP);
	}
}

/* The families a rule can match: bit 1 IPv4, bit 2 IPv6. */
#define FAMILY_ANY 3u

static unsigned int family_bit(int family)
{
	return family == AF_INET ? 1 : 2;
}

static const char *bit_name(unsigned int bit)
{
	return bit == 1 ? "IPv4" : "IPv6";
}

static unsigned int families(const struct gw_prefix *p, size_t n)
{
	unsigned int m = n ? 0 : FAMILY_ANY;

	while (n--)
		m |= family_bit(p[n].addr.family);
	return m;
}

/* What limits the families of a rule, each part on its own. */
struct rule_families {
	unsigned int proto, saddr, daddr, customer;
};

/* ICMP is of one family: the protocol of the other is ICMPv6. */
static const char *icmp_name(unsigned int bit)
{
	return bit == 1 ? "icmp" : "icmpv6";
}

/* Entry j of a rule's saddr (src) or daddr, list, against the rest of it. */
static void check_family(struct vctx *v, const char *list, size_t j,
			 const struct gw_prefix *p, bool src,
			 const struct rule_families *f, const char *customer)
{
	unsigned int bit = family_bit(p->addr.family);
	unsigned int other = src ? f->daddr : f->saddr;
	char a[GW_PREFIXSTRLEN], why[GW_NAME_MAX + 64];

	if (!(bit & f->proto))
		snprintf(why, sizeof(why), "\"%s\" is %s only",
			 icmp_name(f->proto), bit_name(f->proto));
	else if (!(bit & other))
		snprintf(why, sizeof(why), "every %s is %s", src ? "daddr" : "saddr",
			 bit_name(other));
	else if (!(bit & f->customer))
		snprintf(why, sizeof(why), "customer \"%s\" has no %s prefix",
			 customer, bit_name(bit));
	else
		return;
	verr(v, "%s[%zu]: %s is %s, but %s: the rule would never match it",
	     list, j, gw_prefix_str(p, a, sizeof(a)), bit_name(bit), why);
}

/* Within one of the customer's prefixes. */
static bool in_prefixes(const struct customer_conf *cu,
			const struct gw_prefix *p)
{
	size_t i;

	for (i = 0; i < cu->n_prefixes; i++)
		if (cu->prefixes[i].len <= p->len &&
		    gw_prefix_contains(&cu->prefixes[i], &p->addr))
			return true;
	return false;
}

/* A rule's saddr (src) or daddr: overlaps within it, each entry's place. */
static void check_rule_prefixes(struct vctx *v, const char *list,
				const struct gw_prefix *p, size_t n, bool src,
				const struct rule_families *f,
				const struct customer_conf *cu)
{
	char a[GW_PREFIXSTRLEN], b[GW_PREFIXSTRLEN];
	size_t i, j;

	for (j = 0; j < n; j++) {
		gw_prefix_str(&p[j], a, sizeof(a));
		for (i = 0; i < j && !gw_prefix_overlap(&p[i], &p[j]); i++)
			;
		if (i < j)
			overlap_err(v, list, j, a, i,
				    gw_prefix_str(&p[i], b, sizeof(b)));
		/* The customer's chain sees only traffic to its prefixes. */
		if (!src && cu->n_prefixes && !in_prefixes(cu, &p[j]))
			verr(v, "%s[%zu]: %s is outside the prefixes of customer "
			     "\"%s\": traffic to it never reaches this customer's "
			     "chain", list, j, a, cu->name);
		else
			check_family(v, list, j, &p[j], src, f, cu->name);
	}
}

static const char *port_str(const struct port_range *r, char buf[16])
{
	if (r->lo == r->hi)
		snprintf(buf, 16, "%u", r->lo);
	else
		snprintf(buf, 16, "%u-%u", r->lo, r->hi);
	return buf;
}

static void check_rule_ports(struct vctx *v, const char *list,
			     const struct port_range *r, size_t n)
{
	char a[16], b[16];
	size_t i, j;

	for (j = 0; j < n; j++) {
		for (i = 0; i < j && (r[i].lo > r[j].hi || r[j].lo > r[i].hi); i++)
			;
		if (i < j)
			overlap_err(v, list, j, port_str(&r[j], a), i,
				    port_str(&r[i], b));
	}
}

static void check_rule(struct vctx *v, size_t ci, size_t ri)
{
	const struct customer_conf *cu = &v->c->customers[ci];
	const struct filter_rule *r = &cu->filter.rules[ri];
	const struct rule_families f = {
		.proto = r->proto == IPPROTO_ICMP ? 1 :
			 r->proto == IPPROTO_ICMPV6 ? 2 : FAMILY_ANY,
		.saddr = families(r->saddr, r->n_saddr),
		.daddr = families(r->daddr, r->n_daddr),
		.customer = families(cu->prefixes, cu->n_prefixes),
	};
	char where[72], list[80];

	snprintf(where, sizeof(where), "customers[%zu].filter.rules[%zu]", ci, ri);
	if (!(f.proto & f.customer))
		verr(v, "%s.proto: \"%s\" is %s only, but customer \"%s\" has no "
		     "%s prefix: the rule would never match", where,
		     icmp_name(f.proto), bit_name(f.proto), cu->name,
		     bit_name(f.proto));
	snprintf(list, sizeof(list), "%s.saddr", where);
	check_rule_prefixes(v, list, r->saddr, r->n_saddr, true, &f, cu);
	snprintf(list, sizeof(list), "%s.daddr", where);
	check_rule_prefixes(v, list, r->daddr, r->n_daddr, false, &f, cu);
	snprintf(list, sizeof(list), "%s.sport", where);
	check_rule_ports(v, list, r->sport, r->n_sport);
	snprintf(list, sizeof(list), "%s.dport", where);
	check_rule_ports(v, list, r->dport, r->n_dport);
}

static void check_filter(struct vctx *v, size_t ci)
{
	const struct filter_conf *fc = &v->c->customers[ci].filter;
	char where[48];
	size_t ri;

	for (ri = 0; ri < fc->n_rules; ri++)
		check_rule(v, ci, ri);
	snprintf(where, sizeof(where), "customers[%zu].filter", ci);
	check_sets(v, where, 1 + ci);
}

static void check_customer(struct vctx *v, size_t ci)
{
	const struct customer_conf *cu = &v->c->customers[ci];
	size_t pi;

	if (v->name_dup[ci] != NONE)
		verr(v, "customers[%zu].name: \"%s\" is already used by "
		     "customers[%zu]", ci, cu->name, v->name_dup[ci]);
	if (v->id_dup[ci] != NONE)
		verr(v, "customers[%zu].id: %" PRIu32 " is already used by "
		     "customers[%zu] (\"%s\")", ci, cu->id, v->id_dup[ci],
		     v->c->customers[v->id_dup[ci]].name);
	check_table(v, ci);
	check_prefixes(v, ci);
	if (!cu->n_paths)
		verr(v, "customers[%zu].paths: list at least one path", ci);
	for (pi = 0; pi < cu->n_paths; pi++)
		check_path(v, ci, pi);
	check_ecmp(v, ci);
	check_filter(v, ci);
}

int conf_validate(const struct gw_conf *c, struct conf_diag *d)
{
	struct vctx v = { .c = c, .d = d };
	size_t ci;
	int ret;

	ret = relate(&v);
	if (ret)
		goto out;
	check_site(&v);
	for (ci = 0; ci < c->n_customers; ci++)
		check_customer(&v, ci);
	ret = v.ret;
out:
	free(v.path_base);
	free(v.prefix_base);
	free(v.path_owner);
	free(v.prefix_owner);
	free(v.ingress_dup);
	free(v.name_dup);
	free(v.id_dup);
	free(v.path_dup);
	free(v.subnet_dup);
	free(v.vlan_dup);
	free(v.gre_dup);
	free(v.remote_in);
	free(v.if_id_dup);
	free(v.ike_dup);
	free(v.psk_dup);
	free(v.gre_remote_dup);
	free(v.vti_dup);
	free(v.prefix_dup);
	free(v.set_base);
	free(v.set_dup);
	free(v.set_over);
	return ret;
}
