// SPDX-License-Identifier: GPL-2.0
/*
 * Policy rules "to PREFIX lookup TABLE": they steer clean traffic for a
 * customer's prefixes into the customer's table.  gwd's rules carry its
 * protocol number, so rules of other tools at the same priority are left
 * alone.
 */
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "netlink/msg.h"

void rule_msg(struct nlmsghdr *nlh, const struct ks_rule *r)
{
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));

	frh->family = (uint8_t)r->dst.addr.family;
	frh->dst_len = r->dst.len;
	frh->action = FR_ACT_TO_TBL;
	frh->table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	mnl_attr_put(nlh, FRA_DST, gw_addr_len(r->dst.addr.family), r->dst.addr.raw);
	mnl_attr_put_u32(nlh, FRA_TABLE, r->table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, r->priority);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, GWD_RTPROT);
}

int rule_parse(const struct nlmsghdr *nlh, struct ks_rule *out)
{
	const struct fib_rule_hdr *frh;
	const struct nlattr *attr, *dst = NULL;
	size_t alen;
	uint8_t proto = 0;

	if ((nlh->nlmsg_type != RTM_NEWRULE && nlh->nlmsg_type != RTM_DELRULE) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*frh))
		return -ENOENT;
	frh = mnl_nlmsg_get_payload(nlh);
	alen = gw_addr_len(frh->family);
	if (!alen || frh->action != FR_ACT_TO_TBL)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->table = frh->table;
	mnl_attr_for_each(attr, nlh, sizeof(*frh)) {
		switch (mnl_attr_get_type(attr)) {
		case FRA_DST:
			if (mnl_attr_get_payload_len(attr) == alen)
				dst = attr;
			break;
		case FRA_TABLE:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				out->table = mnl_attr_get_u32(attr);
			break;
		case FRA_PRIORITY:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				out->priority = mnl_attr_get_u32(attr);
			break;
		case FRA_PROTOCOL:
			if (mnl_attr_validate(attr, MNL_TYPE_U8) == 0)
				proto = mnl_attr_get_u8(attr);
			break;
		}
	}
	if (proto != GWD_RTPROT)
		return -ENOENT;
	out->dst.addr.family = frh->family;
	out->dst.len = frh->dst_len;
	if (dst)
		memcpy(out->dst.addr.raw, mnl_attr_get_payload(dst), alen);
	return 0;
}
