// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/kobj.h"

/* Grow *arr by one element of size sz and copy o into it. */
static int append(void **arr, size_t *n, size_t sz, const void *o)
{
	void *p;

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
	return append((void **)&ks->links, &ks->n_links, sizeof(*o), o);
}

int kstate_add_addr(struct kstate *ks, const struct ks_addr *o)
{
	return append((void **)&ks->addrs, &ks->n_addrs, sizeof(*o), o);
}

int kstate_add_route(struct kstate *ks, const struct ks_route *o)
{
	return append((void **)&ks->routes, &ks->n_routes, sizeof(*o), o);
}

int kstate_add_rule(struct kstate *ks, const struct ks_rule *o)
{
	return append((void **)&ks->rules, &ks->n_rules, sizeof(*o), o);
}

void kstate_free(struct kstate *ks)
{
	free(ks->links);
	free(ks->addrs);
	free(ks->routes);
	free(ks->rules);
	memset(ks, 0, sizeof(*ks));
}

const struct ks_link *kstate_link(const struct kstate *ks, const char *ifname)
{
	for (size_t i = 0; i < ks->n_links; i++)
		if (!strcmp(ks->links[i].ifname, ifname))
			return &ks->links[i];
	return NULL;
}

const struct ks_link *kstate_link_by_index(const struct kstate *ks, int ifindex)
{
	for (size_t i = 0; i < ks->n_links; i++)
		if (ks->links[i].ifindex == ifindex)
			return &ks->links[i];
	return NULL;
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
	case LINK_OTHER:
		break;
	}
	return "other";
}
