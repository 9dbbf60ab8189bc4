// SPDX-License-Identifier: GPL-2.0
/*
 * GRE over the IPv4 underlay ("gre") and over the IPv6 underlay ("ip6gre").
 * The tunnel device sits in the customer's VRF; its underlay lookups stay in
 * the main table because no IFLA_GRE_LINK is set.
 */
#include <arpa/inet.h>
#include <net/if.h>	/* before the linux/ headers: they defer to it */
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/ip6_tunnel.h>
#include <string.h>

#include "netlink/msg.h"

static void gre_put_data(struct nlmsghdr *nlh, const struct ks_link *l)
{
	size_t alen = gw_addr_len(l->gre.remote.family);

	mnl_attr_put(nlh, IFLA_GRE_LOCAL, alen, l->gre.local.raw);
	mnl_attr_put(nlh, IFLA_GRE_REMOTE, alen, l->gre.remote.raw);
	if (l->gre.has_key) {
		mnl_attr_put_u16(nlh, IFLA_GRE_IFLAGS, GRE_KEY);
		mnl_attr_put_u16(nlh, IFLA_GRE_OFLAGS, GRE_KEY);
		mnl_attr_put_u32(nlh, IFLA_GRE_IKEY, htonl(l->gre.key));
		mnl_attr_put_u32(nlh, IFLA_GRE_OKEY, htonl(l->gre.key));
	}
	/*
	 * No tunnel encapsulation limit option: Juniper and Cisco routers do
	 * not send it either, and some drop packets that carry it.
	 */
	if (l->kind == LINK_IP6GRE)
		mnl_attr_put_u32(nlh, IFLA_GRE_FLAGS, IP6_TNL_F_IGN_ENCAP_LIMIT);
}

static void get_addr(struct gw_addr *a, const struct nlattr *attr, int family)
{
	size_t alen = gw_addr_len(family);

	if (mnl_attr_get_payload_len(attr) != alen)
		return;
	a->family = family;
	memcpy(a->raw, mnl_attr_get_payload(attr), alen);
}

static void gre_parse(const struct nlattr *data, struct ks_link *l, int family)
{
	const struct nlattr *attr;
	uint16_t iflags = 0;

	mnl_attr_for_each_nested(attr, data) {
		switch (mnl_attr_get_type(attr)) {
		case IFLA_GRE_LOCAL:
			get_addr(&l->gre.local, attr, family);
			break;
		case IFLA_GRE_REMOTE:
			get_addr(&l->gre.remote, attr, family);
			break;
		case IFLA_GRE_IFLAGS:
			if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
				iflags = mnl_attr_get_u16(attr);
			break;
		case IFLA_GRE_IKEY:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				l->gre.key = ntohl(mnl_attr_get_u32(attr));
			break;
		}
	}
	l->gre.has_key = iflags & GRE_KEY;
	if (!l->gre.has_key)
		l->gre.key = 0;
}

static void gre4_parse_data(const struct nlattr *data, struct ks_link *l)
{
	gre_parse(data, l, AF_INET);
}

static void gre6_parse_data(const struct nlattr *data, struct ks_link *l)
{
	gre_parse(data, l, AF_INET6);
}

/* Endpoints and keys are recreated rather than changed: see reconcile.c. */
static bool gre_differs(const struct ks_link *a, const struct ks_link *b)
{
	return !gw_addr_eq(&a->gre.local, &b->gre.local) ||
	       !gw_addr_eq(&a->gre.remote, &b->gre.remote) ||
	       a->gre.has_key != b->gre.has_key || a->gre.key != b->gre.key;
}

const struct link_ops link_gre_ops = {
	.kind = "gre",
	.type = LINK_GRE,
	.put_data = gre_put_data,
	.parse_data = gre4_parse_data,
	.differs = gre_differs,
};

const struct link_ops link_ip6gre_ops = {
	.kind = "ip6gre",
	.type = LINK_IP6GRE,
	.put_data = gre_put_data,
	.parse_data = gre6_parse_data,
	.differs = gre_differs,
};
