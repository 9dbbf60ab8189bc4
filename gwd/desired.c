// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gwd/desired.h"

/* The best-priority paths of the family whose rank is exactly r. */
static size_t select_paths(const struct customer_conf *cu, int family,
			   path_rank_fn rank, void *arg, int r,
			   size_t sel[KS_MAX_NEXTHOPS])
{
	uint32_t best = UINT32_MAX;
	size_t n = 0;

	for (size_t i = 0; i < cu->n_paths; i++) {
		const struct path_conf *p = &cu->paths[i];

		if (p->peer.family != family || (rank ? rank(arg, cu, p) : PATH_UP) != r)
			continue;
		if (p->priority < best) {
			best = p->priority;
			n = 0;
		}
		if (p->priority == best && n < KS_MAX_NEXTHOPS)
			sel[n++] = i;
	}
	return n;
}

bool desired_has_family(const struct customer_conf *cu, int family)
{
	for (size_t k = 0; k < cu->n_prefixes; k++)
		if (cu->prefixes[k].addr.family == family)
			return true;
	return false;
}

size_t desired_active_paths(const struct customer_conf *cu, int family,
			    path_rank_fn rank, void *arg,
			    size_t sel[KS_MAX_NEXTHOPS], int *tier)
{
	size_t n = 0;
	int r;

	for (r = PATH_UP; r > PATH_DRAINED && !n; r--)
		n = select_paths(cu, family, rank, arg, r, sel);
	if (tier)
		*tier = n ? r + 1 : PATH_DRAINED;
	return n;
}

static int add_links(const struct gw_conf *c, const struct customer_conf *cu,
		     struct kstate *out)
{
	struct ks_link l = { .kind = LINK_VRF, .up = true };
	int ret;

	strcpy(l.ifname, cu->vrf);
	snprintf(l.alias, sizeof(l.alias), GWD_ALIAS_TAG "%s", cu->name);
	l.vrf.table = cu->table;
	ret = kstate_add_link(out, &l);
	for (size_t i = 0; i < cu->n_paths && !ret; i++) {
		const struct path_conf *p = &cu->paths[i];
		struct ks_addr a = { .prefix = p->address };

		memset(&l, 0, sizeof(l));
		strcpy(l.ifname, p->ifname);
		snprintf(l.alias, sizeof(l.alias), GWD_ALIAS_TAG "%s/%s", cu->name,
			 p->name);
		strcpy(l.master, cu->vrf);
		l.up = true;
		l.mtu = p->mtu;	/* 0: the kernel's choice */
		if (p->type == PATH_VLAN) {
			l.kind = LINK_VLAN;
			strcpy(l.vlan.parent, p->parent);
			l.vlan.id = p->vlan;
		} else if (p->type == PATH_IPSEC && p->ipsec_mode == IPSEC_XFRM) {
			l.kind = LINK_XFRM;
			l.xfrm.if_id = p->if_id;
		} else if (p->type == PATH_IPSEC && p->ipsec_mode == IPSEC_VTI) {
			l.kind = LINK_VTI;
			l.gre.local = c->site.underlay_v4;
			l.gre.remote = p->remote;
			l.gre.has_key = true;
			l.gre.key = p->if_id;
		} else {
			/* gre, or ipsec mode gre: ESP then carries the GRE packets */
			l.kind = p->remote.family == AF_INET6 ? LINK_IP6GRE : LINK_GRE;
			l.gre.local = p->remote.family == AF_INET6 ?
				      c->site.underlay_v6 : c->site.underlay_v4;
			l.gre.remote = p->remote;
			l.gre.has_key = p->has_key;
			l.gre.key = p->key;
		}
		ret = kstate_add_link(out, &l);
		/*
		 * A VTI in a VRF routes its ESP packets in the VRF's table (the
		 * kernel takes the VTI's own index as the outer lookup's oif):
		 * a throw for the peer sends that lookup on to the main table.
		 */
		if (!ret && l.kind == LINK_VTI) {
			struct ks_route t = { .table = cu->table, .type = ROUTE_THROW,
					      .dst = { .addr = p->remote, .len = 32 },
					      .metric = GWD_ROUTE_METRIC };

			ret = kstate_add_route(out, &t);
		}
		strcpy(a.ifname, p->ifname);
		if (!ret)
			ret = kstate_add_addr(out, &a);
	}
	return ret;
}

static int add_routes(const struct customer_conf *cu, path_rank_fn rank,
		      void *arg, struct kstate *out)
{
	static const int families[] = { AF_INET, AF_INET6 };
	int ret = 0;

	for (size_t f = 0; f < 2 && !ret; f++) {
		struct ks_route u = { .table = cu->table, .type = ROUTE_UNREACHABLE,
				      .metric = GWD_UNREACH_METRIC };

		u.dst.addr.family = families[f];
		ret = kstate_add_route(out, &u);
	}
	for (size_t i = 0; i < cu->n_prefixes && !ret; i++) {
		const struct gw_prefix *pf = &cu->prefixes[i];
		struct ks_route r = { .table = cu->table, .dst = *pf,
				      .metric = GWD_ROUTE_METRIC };
		struct ks_rule rule = { .dst = *pf, .table = cu->table,
					.priority = GWD_RULE_PRIO };
		size_t sel[KS_MAX_NEXTHOPS];

		r.n_nh = desired_active_paths(cu, pf->addr.family, rank, arg, sel, NULL);
		for (size_t k = 0; k < r.n_nh; k++) {
			const struct path_conf *p = &cu->paths[sel[k]];

			r.nh[k].gw = p->peer;
			strcpy(r.nh[k].ifname, p->ifname);
			r.nh[k].weight = p->weight;
		}
		ks_route_sort_nexthops(&r);
		/*
		 * Validation guarantees a path per prefix family; with all of
		 * them drained, the table's unreachable default answers.
		 */
		if (r.n_nh)
			ret = kstate_add_route(out, &r);
		if (!ret)
			ret = kstate_add_rule(out, &rule);
	}
	return ret;
}

int desired_build(const struct gw_conf *c, path_rank_fn rank, void *arg,
		  struct kstate *out)
{
	int ret = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < c->n_customers && !ret; i++) {
		ret = add_links(c, &c->customers[i], out);
		if (!ret)
			ret = add_routes(&c->customers[i], rank, arg, out);
	}
	if (!ret)
		ret = kstate_index(out);
	if (ret)
		kstate_free(out);
	return ret;
}
