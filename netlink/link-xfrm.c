// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm interface: the route-based end of an IPsec path.  Packets routed into
 * it are matched against the policies and SAs charon installed with the
 * same if_id, whatever their addresses, so the traffic selectors can be
 * 0.0.0.0/0 and ::/0 and every customer may reuse the same inner addresses.
 * No IFLA_XFRM_LINK: the ESP packets find their way out through the main
 * table like GRE's do.
 */
#include <linux/if_link.h>

#include "netlink/msg.h"

static void xfrm_put_data(struct nlmsghdr *nlh, const struct ks_link *l)
{
	mnl_attr_put_u32(nlh, IFLA_XFRM_IF_ID, l->xfrm.if_id);
}

static void xfrm_parse_data(const struct nlattr *data, struct ks_link *l)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, data)
		if (mnl_attr_get_type(attr) == IFLA_XFRM_IF_ID &&
		    mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			l->xfrm.if_id = mnl_attr_get_u32(attr);
}

/* The kernel has no changelink for the if_id of a live interface. */
static bool xfrm_differs(const struct ks_link *a, const struct ks_link *b)
{
	return a->xfrm.if_id != b->xfrm.if_id;
}

const struct link_ops link_xfrm_ops = {
	.kind = "xfrm",
	.type = LINK_XFRM,
	.put_data = xfrm_put_data,
	.parse_data = xfrm_parse_data,
	.differs = xfrm_differs,
};
