// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/kobj.h"

static void drop_index(struct kstate *ks)
{
	free(ks->link_by_name);
	free(ks->link_by_ifindex);
	free(ks->addr_idx);
	free(ks->route_idx);
	free(ks->rule_idx);
	ks->link_by_name = ks->link_by_ifindex = NULL;
	ks->addr_idx = ks->route_idx = ks->rule_idx = NULL;
}

/* Grow *arr by one element of size sz and copy o into it; drop its index. */
static int append(void **arr, size_t *n, size_t sz, const void *o,
		  size_t **idx, size_t **idx2)
{
	void *p;

	free(*idx);
	*idx = NULL;
	if (idx2) {
		free(*idx2);
		*idx2 = NULL;
	}
	/* Double at powers of two: amortised O(1) without a capacity field. */
	if ((*n & (*n - 1)) == 0) {
		p = realloc(*arr, (*n ? *n * 2 : 1) * sz);
		if (!p)
			return -ENOMEM;
		*arr = p;
	}
	memcpy((char *)*arr + *n * sz, o, sz);
	(*n)++;
	return 0;
}

int kstate_add_link(struct kstate *ks, const struct ks_link *o)
{
	return append((void **)&ks->links, &ks->n_links, sizeof(*o), o,
		      &ks->link_by_name, &ks->link_by_ifindex);
}

int kstate_add_addr(struct kstate *ks, const struct ks_addr *o)
{
	return append((void **)&ks->addrs, &ks->n_addrs, sizeof(*o), o,
		      &ks->addr_idx, NULL);
}

int kstate_add_route(struct kstate *ks, const struct ks_route *o)
{
	return append((void **)&ks->routes, &ks->n_routes, sizeof(*o), o,
		      &ks->route_idx, NULL);
}

int kstate_add_rule(struct kstate *ks, const struct ks_rule *o)
{
	return append((void **)&ks->rules, &ks->n_rules, sizeof(*o), o,
		      &ks->rule_idx, NULL);
}

void kstate_free(struct kstate *ks)
{
	drop_index(ks);
	free(ks->links);
	free(ks->addrs);
	free(ks->routes);
	free(ks->rules);
	memset(ks, 0, sizeof(*ks));
}

/* ---- identities: the order the indexes sort by ---- */

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_prefix(const struct gw_prefix *a, const struct gw_prefix *b)
{
	int c = a->addr.family - b->addr.family;

	if (!c)
		c = memcmp(a->addr.raw, b->addr.raw, gw_addr_len(a->addr.family));
	return c ? c : a->len - b->len;
}

static int cmp_link_name(const void *a, const void *b)
{
	return strcmp(((const struct ks_link *)a)->ifname,
		      ((const struct ks_link *)b)->ifname);
}

static int cmp_link_ifindex(const void *a, const void *b)
{
	return cmp_u32((uint32_t)((const struct ks_link *)a)->ifindex,
		       (uint32_t)((const struct ks_link *)b)->ifindex);
}

static int cmp_addr(const void *x, const void *y)
{
	const struct ks_addr *a = x, *b = y;
	int c = strcmp(a->ifname, b->ifname);

	return c ? c : cmp_prefix(&a->prefix, &b->prefix);
}

static int cmp_route(const void *x, const void *y)
{
	const struct ks_route *a = x, *b = y;
	int c = cmp_u32(a->table, b->table);

	if (!c)
		c = cmp_u32(a->metric, b->metric);
	return c ? c : cmp_prefix(&a->dst, &b->dst);
}

static int cmp_rule(const void *x, const void *y)
{
	const struct ks_rule *a = x, *b = y;
	int c = cmp_u32(a->table, b->table);

	if (!c)
		c = cmp_u32(a->priority, b->priority);
	return c ? c : cmp_prefix(&a->dst, &b->dst);
}

/* ---- sorted indexes ---- */

struct sort_ctx {
	const char *base;
	size_t size;
	int (*cmp)(const void *, const void *);
};

static int cmp_idx(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *s = arg;

	return s->cmp(s->base + *(const size_t *)a * s->size,
		      s->base + *(const size_t *)b * s->size);
}

static size_t *build(const void *base, size_t n, size_t size,
		     int (*cmp)(const void *, const void *))
{
	struct sort_ctx s = { base, size, cmp };
	size_t *idx = malloc((n ? n : 1) * sizeof(*idx));

	if (!idx)
		return NULL;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_idx, &s);
	return idx;
}

int kstate_index(struct kstate *ks)
{
	drop_index(ks);
	ks->link_by_name = build(ks->links, ks->n_links, sizeof(*ks->links), cmp_link_name);
	ks->link_by_ifindex = build(ks->links, ks->n_links, sizeof(*ks->links),
				    cmp_link_ifindex);
	ks->addr_idx = build(ks->addrs, ks->n_addrs, sizeof(*ks->addrs), cmp_addr);
	ks->route_idx = build(ks->routes, ks->n_routes, sizeof(*ks->routes), cmp_route);
	ks->rule_idx = build(ks->rules, ks->n_rules, sizeof(*ks->rules), cmp_rule);
	if (!ks->link_by_name || !ks->link_by_ifindex || !ks->addr_idx ||
	    !ks->route_idx || !ks->rule_idx) {
		drop_index(ks);
		return -ENOMEM;
	}
	return 0;
}

/* Position of key among base[0..n) through idx (binary search) or by a scan. */
static size_t find(const void *base, size_t n, size_t size, const size_t *idx,
		   int (*cmp)(const void *, const void *), const void *key)
{
	const char *b = base;
	size_t lo = 0, hi = n;

	if (!idx) {
		for (size_t i = 0; i < n; i++)
			if (!cmp(b + i * size, key))
				return i;
		return SIZE_MAX;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp(b + idx[mid] * size, key);

		if (!c)
			return idx[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

const struct ks_link *kstate_link(const struct kstate *ks, const char *ifname)
{
	struct ks_link key;
	size_t i;

	strncpy(key.ifname, ifname, sizeof(key.ifname) - 1);
	key.ifname[sizeof(key.ifname) - 1] = '\0';
	i = find(ks->links, ks->n_links, sizeof(key), ks->link_by_name,
		 cmp_link_name, &key);
	return i == SIZE_MAX ? NULL : &ks->links[i];
}

const struct ks_link *kstate_link_by_index(const struct kstate *ks, int ifindex)
{
	struct ks_link key = { .ifindex = ifindex };
	size_t i = find(ks->links, ks->n_links, sizeof(key), ks->link_by_ifindex,
			cmp_link_ifindex, &key);

	return i == SIZE_MAX ? NULL : &ks->links[i];
}

size_t kstate_find_addr(const struct kstate *ks, const struct ks_addr *a)
{
	return find(ks->addrs, ks->n_addrs, sizeof(*a), ks->addr_idx, cmp_addr, a);
}

size_t kstate_find_route(const struct kstate *ks, const struct ks_route *r)
{
	return find(ks->routes, ks->n_routes, sizeof(*r), ks->route_idx, cmp_route, r);
}

size_t kstate_find_rule(const struct kstate *ks, const struct ks_rule *r)
{
	return find(ks->rules, ks->n_rules, sizeof(*r), ks->rule_idx, cmp_rule, r);
}

bool ks_link_owned(const struct ks_link *l)
{
	return !strncmp(l->alias, GWD_ALIAS_TAG, strlen(GWD_ALIAS_TAG));
}

static int nh_cmp(const void *a, const void *b)
{
	const struct ks_nexthop *x = a, *y = b;
	int c = strcmp(x->ifname, y->ifname);

	return c ? c : memcmp(x->gw.raw, y->gw.raw, sizeof(x->gw.raw));
}

void ks_route_sort_nexthops(struct ks_route *r)
{
	qsort(r->nh, r->n_nh, sizeof(r->nh[0]), nh_cmp);
}

const char *link_kind_name(enum link_kind k)
{
	switch (k) {
	case LINK_VRF:
		return "vrf";
	case LINK_GRE:
		return "gre";
	case LINK_IP6GRE:
		return "ip6gre";
	case LINK_VLAN:
		return "vlan";
	case LINK_XFRM:
		return "xfrm";
	case LINK_VTI:
		return "vti";
	case LINK_OTHER:
		break;
	}
	return "other";
}
