// SPDX-License-Identifier: GPL-2.0
/* 802.1Q sub-interface on a cross-connect port. */
#include <errno.h>
#include <linux/if_link.h>
#include <string.h>

#include "netlink/msg.h"

static int vlan_put_link(struct nlmsghdr *nlh, const struct ks_link *l,
			 const struct kstate *links)
{
	const struct ks_link *parent = kstate_link(links, l->vlan.parent);

	if (!parent || parent->ifindex <= 0)
		return -ENODEV;
	mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)parent->ifindex);
	return 0;
}

static void vlan_put_data(struct nlmsghdr *nlh, const struct ks_link *l)
{
	mnl_attr_put_u16(nlh, IFLA_VLAN_ID, l->vlan.id);
}

static void vlan_parse_data(const struct nlattr *data, struct ks_link *l)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, data)
		if (mnl_attr_get_type(attr) == IFLA_VLAN_ID &&
		    mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
			l->vlan.id = mnl_attr_get_u16(attr);
}

/* The id cannot change in place, and the parent never can. */
static bool vlan_differs(const struct ks_link *a, const struct ks_link *b)
{
	return a->vlan.id != b->vlan.id || strcmp(a->vlan.parent, b->vlan.parent);
}

const struct link_ops link_vlan_ops = {
	.kind = "vlan",
	.type = LINK_VLAN,
	.put_link = vlan_put_link,
	.put_data = vlan_put_data,
	.parse_data = vlan_parse_data,
	.differs = vlan_differs,
};
