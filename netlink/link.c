// SPDX-License-Identifier: GPL-2.0
/*
 * Links: the generic envelope (name, alias, mtu, master, up) around the
 * kind-specific attributes that link-<kind>.c adds.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>

#include "netlink/msg.h"

/* From linux/if.h, which cannot be included next to net/if.h. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif

static const struct link_ops *const all_ops[] = {
	&link_vrf_ops, &link_gre_ops, &link_ip6gre_ops, &link_vlan_ops,
	&link_xfrm_ops, &link_vti_ops,
};

const struct link_ops *link_ops_by_type(enum link_kind type)
{
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++)
		if (all_ops[i]->type == type)
			return all_ops[i];
	return NULL;
}

static const struct link_ops *ops_by_kind(const char *kind)
{
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++)
		if (!strcmp(all_ops[i]->kind, kind))
			return all_ops[i];
	return NULL;
}

static int ifindex_of(const struct kstate *links, const char *name)
{
	const struct ks_link *l = kstate_link(links, name);

	return l && l->ifindex > 0 ? l->ifindex : -ENODEV;
}

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, int ifindex, bool up)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	return ifi;
}

static int put_master(struct nlmsghdr *nlh, const char *master,
		      const struct kstate *links)
{
	int idx = 0;

	if (master[0]) {
		idx = ifindex_of(links, master);
		if (idx < 0)
			return idx;
	}
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)idx);
	return 0;
}

int link_msg_create(struct nlmsghdr *nlh, const struct ks_link *l,
		    const struct kstate *links)
{
	const struct link_ops *ops = link_ops_by_type(l->kind);
	struct nlattr *info, *data;
	int ret;

	if (!ops)
		return -EOPNOTSUPP;
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	put_ifinfo(nlh, 0, l->up);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, l->ifname);
	if (l->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, l->mtu);
	if (l->master[0]) {
		ret = put_master(nlh, l->master, links);
		if (ret < 0)
			return ret;
	}
	if (ops->put_link) {
		ret = ops->put_link(nlh, l, links);
		if (ret < 0)
			return ret;
	}
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, ops->kind);
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	ops->put_data(nlh, l);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return 0;
}

/*
 * The kernel ignores IFLA_IFALIAS when it creates a link, so the alias that
 * marks the link as gwd's follows once the create succeeded, by ifindex,
 * with whatever else only an existing link takes.
 */
int link_msg_set_alias(struct nlmsghdr *nlh, const struct ks_link *l,
		       const struct kstate *links)
{
	const struct link_ops *ops = link_ops_by_type(l->kind);
	int idx = ifindex_of(links, l->ifname);

	if (idx < 0)
		return idx;
	nlh->nlmsg_type = RTM_NEWLINK;
	put_ifinfo(nlh, idx, false);
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, l->alias);
	if (ops && ops->put_setup)
		ops->put_setup(nlh, l);
	return 0;
}

/*
 * In place: only what differs, and no IFLA_LINKINFO (the kinds gwd uses have
 * no changelink for what it would set; differences there mean recreate).
 */
int link_msg_change(struct nlmsghdr *nlh, const struct ks_link *want,
		    const struct ks_link *have, const struct kstate *links)
{
	int ret;

	nlh->nlmsg_type = RTM_NEWLINK;
	put_ifinfo(nlh, have->ifindex, want->up && !have->up);
	if (strcmp(want->alias, have->alias))
		mnl_attr_put_strz(nlh, IFLA_IFALIAS, want->alias);
	if (want->mtu && want->mtu != have->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, want->mtu);
	if (strcmp(want->master, have->master)) {
		ret = put_master(nlh, want->master, links);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void link_msg_delete(struct nlmsghdr *nlh, int ifindex)
{
	nlh->nlmsg_type = RTM_DELLINK;
	put_ifinfo(nlh, ifindex, false);
}

bool link_must_recreate(const struct ks_link *want, const struct ks_link *have)
{
	const struct link_ops *ops = link_ops_by_type(want->kind);

	return want->kind != have->kind || !ops || ops->differs(want, have);
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFLA_MAX) > 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

static void parse_linkinfo(const struct nlattr *info, struct ks_link *l)
{
	const struct nlattr *tb[IFLA_INFO_MAX + 1] = { 0 };
	const struct nlattr *attr;
	const struct link_ops *ops;

	mnl_attr_for_each_nested(attr, info) {
		int type = mnl_attr_get_type(attr);

		if (type <= IFLA_INFO_MAX)
			tb[type] = attr;
	}
	if (!tb[IFLA_INFO_KIND] ||
	    mnl_attr_validate(tb[IFLA_INFO_KIND], MNL_TYPE_NUL_STRING) < 0)
		return;
	ops = ops_by_kind(mnl_attr_get_str(tb[IFLA_INFO_KIND]));
	if (!ops)
		return;
	l->kind = ops->type;
	if (tb[IFLA_INFO_DATA])
		ops->parse_data(tb[IFLA_INFO_DATA], l);
}

static void copy_str(char *dst, size_t len, const struct nlattr *attr)
{
	if (!attr || mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return;
	strncpy(dst, mnl_attr_get_str(attr), len - 1);
	dst[len - 1] = '\0';
}

/* Names of master and parent are resolved by the caller once all links are known. */
int link_parse(const struct nlmsghdr *nlh, struct ks_link *out)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
	const struct ifinfomsg *ifi;

	if ((nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -ENOENT;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*ifi), attr_cb, tb) < 0)
		return -EPROTO;
	memset(out, 0, sizeof(*out));
	out->kind = LINK_OTHER;
	out->ifindex = ifi->ifi_index;
	out->up = ifi->ifi_flags & IFF_UP;
	out->oper_up = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_LOWER_UP);
	copy_str(out->ifname, sizeof(out->ifname), tb[IFLA_IFNAME]);
	copy_str(out->alias, sizeof(out->alias), tb[IFLA_IFALIAS]);
	if (tb[IFLA_MTU] && mnl_attr_validate(tb[IFLA_MTU], MNL_TYPE_U32) == 0)
		out->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_MASTER] && mnl_attr_validate(tb[IFLA_MASTER], MNL_TYPE_U32) == 0)
		out->master_ifindex = (int)mnl_attr_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_LINK] && mnl_attr_validate(tb[IFLA_LINK], MNL_TYPE_U32) == 0)
		out->parent_ifindex = (int)mnl_attr_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_LINKINFO])
		parse_linkinfo(tb[IFLA_LINKINFO], out);
	if (!out->ifname[0])
		return -EPROTO;
	return 0;
}
