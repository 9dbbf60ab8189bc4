// SPDX-License-Identifier: GPL-2.0
/* VRF: one per customer; its table is the customer's routing table. */
#include <linux/if_link.h>

#include "netlink/msg.h"

static void vrf_put_data(struct nlmsghdr *nlh, const struct ks_link *l)
{
	mnl_attr_put_u32(nlh, IFLA_VRF_TABLE, l->vrf.table);
}

static void vrf_parse_data(const struct nlattr *data, struct ks_link *l)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, data)
		if (mnl_attr_get_type(attr) == IFLA_VRF_TABLE &&
		    mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			l->vrf.table = mnl_attr_get_u32(attr);
}

/* The kernel refuses to change a VRF's table. */
static bool vrf_differs(const struct ks_link *a, const struct ks_link *b)
{
	return a->vrf.table != b->vrf.table;
}

const struct link_ops link_vrf_ops = {
	.kind = "vrf",
	.type = LINK_VRF,
	.put_data = vrf_put_data,
	.parse_data = vrf_parse_data,
	.differs = vrf_differs,
};
