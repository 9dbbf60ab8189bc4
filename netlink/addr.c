// SPDX-License-Identifier: GPL-2.0
/* Addresses on gwd's links: the gateway's side of each path's subnet. */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "netlink/msg.h"

int addr_msg(struct nlmsghdr *nlh, const struct ks_addr *a,
	     const struct kstate *links)
{
	const struct ks_link *l = kstate_link(links, a->ifname);
	size_t alen = gw_addr_len(a->prefix.addr.family);
	struct ifaddrmsg *ifa;

	if (!l || l->ifindex <= 0)
		return -ENODEV;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)a->prefix.addr.family;
	ifa->ifa_prefixlen = a->prefix.len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)l->ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, alen, a->prefix.addr.raw);
	/* Point-to-point style addresses (IFA_ADDRESS != IFA_LOCAL) are not used. */
	mnl_attr_put(nlh, IFA_ADDRESS, alen, a->prefix.addr.raw);
	/* No DAD on tunnels and cross-connects: the subnet is ours by contract. */
	if (a->prefix.addr.family == AF_INET6)
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	return 0;
}

int addr_parse(const struct nlmsghdr *nlh, struct ks_addr *out,
	       const struct kstate *links)
{
	const struct ifaddrmsg *ifa;
	const struct nlattr *attr, *local = NULL, *address = NULL;
	const struct ks_link *l;
	size_t alen;

	if ((nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return -ENOENT;
	ifa = mnl_nlmsg_get_payload(nlh);
	alen = gw_addr_len(ifa->ifa_family);
	l = kstate_link_by_index(links, (int)ifa->ifa_index);
	/* Link-local IPv6 addresses belong to the kernel, not to gwd. */
	if (!alen || !l || ifa->ifa_scope == RT_SCOPE_LINK)
		return -ENOENT;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_payload_len(attr) != alen)
			continue;
		if (mnl_attr_get_type(attr) == IFA_LOCAL)
			local = attr;
		else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
			address = attr;
	}
	if (!local)
		local = address;
	if (!local)
		return -EPROTO;
	memset(out, 0, sizeof(*out));
	strcpy(out->ifname, l->ifname);
	out->prefix.addr.family = ifa->ifa_family;
	memcpy(out->prefix.addr.raw, mnl_attr_get_payload(local), alen);
	out->prefix.len = ifa->ifa_prefixlen;
	return 0;
}
