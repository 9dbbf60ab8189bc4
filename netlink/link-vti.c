// SPDX-License-Identifier: GPL-2.0
/*
 * VTI: the route-based end of an IPsec path on kernels without xfrm
 * interfaces.  Packets routed into it carry its key as their mark, which
 * selects the policies and SAs charon installed with that mark (the path's
 * if_id).  IPv4 only: the IPv6 flavour's policy switch below cannot be set
 * over netlink.
 */
#include <arpa/inet.h>
#include <net/if.h>	/* before the linux/ headers: they defer to it */
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/ip.h>
#include <string.h>

#include "netlink/msg.h"

static void vti_put_data(struct nlmsghdr *nlh, const struct ks_link *l)
{
	mnl_attr_put(nlh, IFLA_VTI_LOCAL, 4, l->gre.local.raw);
	mnl_attr_put(nlh, IFLA_VTI_REMOTE, 4, l->gre.remote.raw);
	mnl_attr_put_u32(nlh, IFLA_VTI_IKEY, htonl(l->gre.key));
	mnl_attr_put_u32(nlh, IFLA_VTI_OKEY, htonl(l->gre.key));
}

/*
 * disable_policy: what arrives through the VTI was decrypted by an SA its
 * mark selected, but the forwarding and input policy checks run without
 * that mark and would drop it.  The kernel takes this only for a link that
 * exists, so it goes with the alias after the create.
 */
static void vti_put_setup(struct nlmsghdr *nlh, const struct ks_link *l)
{
	struct nlattr *spec, *inet, *conf;

	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet = mnl_attr_nest_start(nlh, AF_INET);
	conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
	mnl_attr_put_u32(nlh, IPV4_DEVCONF_NOPOLICY, 1);
	mnl_attr_nest_end(nlh, conf);
	mnl_attr_nest_end(nlh, inet);
	mnl_attr_nest_end(nlh, spec);
}

static void get_addr(struct gw_addr *a, const struct nlattr *attr)
{
	if (mnl_attr_get_payload_len(attr) != 4)
		return;
	a->family = AF_INET;
	memcpy(a->raw, mnl_attr_get_payload(attr), 4);
}

static void vti_parse_data(const struct nlattr *data, struct ks_link *l)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, data) {
		switch (mnl_attr_get_type(attr)) {
		case IFLA_VTI_LOCAL:
			get_addr(&l->gre.local, attr);
			break;
		case IFLA_VTI_REMOTE:
			get_addr(&l->gre.remote, attr);
			break;
		case IFLA_VTI_IKEY:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
				l->gre.has_key = true;
				l->gre.key = ntohl(mnl_attr_get_u32(attr));
			}
			break;
		}
	}
}

static bool vti_differs(const struct ks_link *a, const struct ks_link *b)
{
	return !gw_addr_eq(&a->gre.local, &b->gre.local) ||
	       !gw_addr_eq(&a->gre.remote, &b->gre.remote) ||
	       a->gre.key != b->gre.key;
}

const struct link_ops link_vti_ops = {
	.kind = "vti",
	.type = LINK_VTI,
	.put_data = vti_put_data,
	.put_setup = vti_put_setup,
	.parse_data = vti_parse_data,
	.differs = vti_differs,
};
