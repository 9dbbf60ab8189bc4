// SPDX-License-Identifier: GPL-2.0
/*
 * Routes in a customer's table: each customer prefix via the peers of the
 * active paths (one next hop, or RTA_MULTIPATH with weights), and an
 * unreachable default that keeps a miss from leaking into the main table.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "netlink/msg.h"

static int put_nexthops(struct nlmsghdr *nlh, const struct ks_route *r,
			const struct kstate *links)
{
	size_t alen = gw_addr_len(r->dst.addr.family);
	struct nlattr *mp;

	for (size_t i = 0; i < r->n_nh; i++)
		if (!kstate_link(links, r->nh[i].ifname) ||
		    kstate_link(links, r->nh[i].ifname)->ifindex <= 0)
			return -ENODEV;
	if (r->n_nh == 1) {
		mnl_attr_put(nlh, RTA_GATEWAY, alen, r->nh[0].gw.raw);
		mnl_attr_put_u32(nlh, RTA_OIF,
				 (uint32_t)kstate_link(links, r->nh[0].ifname)->ifindex);
		return 0;
	}
	mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	for (size_t i = 0; i < r->n_nh; i++) {
		struct rtnexthop *rtnh = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtnh));

		rtnh->rtnh_hops = (uint8_t)(r->nh[i].weight - 1);
		rtnh->rtnh_ifindex = kstate_link(links, r->nh[i].ifname)->ifindex;
		mnl_attr_put(nlh, RTA_GATEWAY, alen, r->nh[i].gw.raw);
		rtnh->rtnh_len = (unsigned short)((char *)mnl_nlmsg_get_payload_tail(nlh) -
						  (char *)rtnh);
	}
	mnl_attr_nest_end(nlh, mp);
	return 0;
}

int route_msg(struct nlmsghdr *nlh, const struct ks_route *r,
	      const struct kstate *links)
{
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = (uint8_t)r->dst.addr.family;
	rtm->rtm_dst_len = r->dst.len;
	rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = GWD_RTPROT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = r->type == ROUTE_UNREACHABLE ? RTN_UNREACHABLE :
			r->type == ROUTE_THROW ? RTN_THROW : RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->dst.len)
		mnl_attr_put(nlh, RTA_DST, gw_addr_len(r->dst.addr.family),
			     r->dst.addr.raw);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	if (r->type != ROUTE_UNICAST || nlh->nlmsg_type == RTM_DELROUTE)
		return 0;
	return put_nexthops(nlh, r, links);
}

/* A gateway attribute of the right length, copied into *gw. */
static void get_gateway(const struct nlattr *attr, int family, struct gw_addr *gw)
{
	size_t alen = gw_addr_len(family);

	if (mnl_attr_get_payload_len(attr) != alen)
		return;
	gw->family = family;
	memcpy(gw->raw, mnl_attr_get_payload(attr), alen);
}

static void set_oif(struct ks_nexthop *nh, int ifindex, const struct kstate *links)
{
	const struct ks_link *l = kstate_link_by_index(links, ifindex);

	if (l)
		strcpy(nh->ifname, l->ifname);
}

static int parse_multipath(const struct nlattr *mp, int family,
			   struct ks_route *out, const struct kstate *links)
{
	const char *p = mnl_attr_get_payload(mp);
	size_t left = mnl_attr_get_payload_len(mp);

	while (left >= sizeof(struct rtnexthop)) {
		const struct rtnexthop *rtnh = (const void *)p;
		struct ks_nexthop *nh;
		const struct nlattr *attr;
		size_t step;

		if (rtnh->rtnh_len < sizeof(*rtnh) || rtnh->rtnh_len > left)
			return -EPROTO;
		if (out->n_nh == KS_MAX_NEXTHOPS)
			return -E2BIG;
		nh = &out->nh[out->n_nh++];
		nh->weight = rtnh->rtnh_hops + 1u;
		set_oif(nh, rtnh->rtnh_ifindex, links);
		mnl_attr_for_each_payload((const void *)(p + sizeof(*rtnh)),
					  rtnh->rtnh_len - sizeof(*rtnh))
			if (mnl_attr_get_type(attr) == RTA_GATEWAY)
				get_gateway(attr, family, &nh->gw);
		step = RTNH_ALIGN(rtnh->rtnh_len);
		p += step;
		left = left > step ? left - step : 0;
	}
	return 0;
}

int route_parse(const struct nlmsghdr *nlh, struct ks_route *out,
		const struct kstate *links)
{
	const struct rtmsg *rtm;
	const struct nlattr *attr;
	size_t alen;
	int ret = 0;

	if ((nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return -ENOENT;
	rtm = mnl_nlmsg_get_payload(nlh);
	alen = gw_addr_len(rtm->rtm_family);
	if (!alen || rtm->rtm_protocol != GWD_RTPROT ||
	    (rtm->rtm_type != RTN_UNICAST && rtm->rtm_type != RTN_UNREACHABLE &&
	     rtm->rtm_type != RTN_THROW))
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->table = rtm->rtm_table;
	out->type = rtm->rtm_type == RTN_UNREACHABLE ? ROUTE_UNREACHABLE :
		    rtm->rtm_type == RTN_THROW ? ROUTE_THROW : ROUTE_UNICAST;
	out->dst.addr.family = rtm->rtm_family;
	out->dst.len = rtm->rtm_dst_len;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(attr)) {
		case RTA_TABLE:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				out->table = mnl_attr_get_u32(attr);
			break;
		case RTA_DST:
			if (mnl_attr_get_payload_len(attr) == alen)
				memcpy(out->dst.addr.raw, mnl_attr_get_payload(attr), alen);
			break;
		case RTA_PRIORITY:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				out->metric = mnl_attr_get_u32(attr);
			break;
		case RTA_GATEWAY:
			if (out->n_nh == 0)
				out->n_nh = 1;
			get_gateway(attr, rtm->rtm_family, &out->nh[0].gw);
			out->nh[0].weight = 1;
			break;
		case RTA_OIF:
			/* An unreachable route reports dev lo: not a next hop. */
			if (out->type != ROUTE_UNICAST ||
			    mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				break;
			if (out->n_nh == 0)
				out->n_nh = 1;
			out->nh[0].weight = 1;
			set_oif(&out->nh[0], (int)mnl_attr_get_u32(attr), links);
			break;
		case RTA_MULTIPATH:
			out->n_nh = 0;
			ret = parse_multipath(attr, rtm->rtm_family, out, links);
			break;
		}
	}
	if (ret == 0)
		ks_route_sort_nexthops(out);
	return ret;
}
