// SPDX-License-Identifier: GPL-2.0
/*
 * Dumps: every link (names and indexes of foreign links are needed too),
 * and of the rest only what is gwd's: addresses on its links, routes and
 * rules of its protocol.  A dump the kernel marks interrupted is redone.
 */
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "netlink/msg.h"
#include "netlink/nl.h"
#include "netlink/reconcile.h"

#define DUMP_RETRIES 5

static int link_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ks_link l;
	int ret = link_parse(nlh, &l);

	if (ret == -ENOENT)
		return 0;
	return ret ? ret : kstate_add_link(arg, &l);
}

static int addr_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct kstate *ks = arg;
	const struct ks_link *l;
	struct ks_addr a;
	int ret = addr_parse(nlh, &a, ks);

	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	l = kstate_link(ks, a.ifname);
	return l && ks_link_owned(l) ? kstate_add_addr(ks, &a) : 0;
}

static int route_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ks_route r;
	int ret = route_parse(nlh, &r, arg);

	/* More next hops than gwd ever makes: someone else's, whatever its protocol. */
	if (ret == -ENOENT || ret == -E2BIG)
		return 0;
	return ret ? ret : kstate_add_route(arg, &r);
}

static int rule_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ks_rule r;
	int ret = rule_parse(nlh, &r);

	if (ret == -ENOENT)
		return 0;
	return ret ? ret : kstate_add_rule(arg, &r);
}

static void resolve_link_names(struct kstate *ks)
{
	for (size_t i = 0; i < ks->n_links; i++) {
		struct ks_link *l = &ks->links[i];
		const struct ks_link *m;

		m = l->master_ifindex ? kstate_link_by_index(ks, l->master_ifindex) : NULL;
		if (m)
			strcpy(l->master, m->ifname);
		m = l->parent_ifindex ? kstate_link_by_index(ks, l->parent_ifindex) : NULL;
		if (m && l->kind == LINK_VLAN)
			strcpy(l->vlan.parent, m->ifname);
	}
}

static int dump_links(struct nl *nl, struct kstate *ks)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	int ret;

	nlh->nlmsg_type = RTM_GETLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ret = nl_dump(nl, nlh, link_cb, ks);
	if (!ret)
		resolve_link_names(ks);
	return ret;
}

static int dump_rest(struct nl *nl, struct kstate *ks)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct fib_rule_hdr *frh;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	((struct ifaddrmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifaddrmsg)))
		->ifa_family = AF_UNSPEC;
	ret = nl_dump(nl, nlh, addr_cb, ks);
	if (ret)
		return ret;

	/* Strict checking lets the kernel send gwd's routes only. */
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_UNSPEC;
	rtm->rtm_protocol = GWD_RTPROT;
	ret = nl_dump(nl, nlh, route_cb, ks);
	if (ret)
		return ret;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETRULE;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = AF_UNSPEC;
	return nl_dump(nl, nlh, rule_cb, ks);
}

int reconcile_dump(struct nl *nl, struct kstate *have)
{
	int ret = -EINTR;

	for (int i = 0; i < DUMP_RETRIES && ret == -EINTR; i++) {
		kstate_free(have);
		ret = dump_links(nl, have);
		/* Addresses and routes name links: look them up fast. */
		if (!ret)
			ret = kstate_index(have);
		if (!ret)
			ret = dump_rest(nl, have);
	}
	if (!ret)
		ret = kstate_index(have);
	if (ret)
		kstate_free(have);
	return ret;
}

int reconcile_dump_links(struct nl *nl, struct kstate *links)
{
	int ret = -EINTR;

	for (int i = 0; i < DUMP_RETRIES && ret == -EINTR; i++) {
		kstate_free(links);
		ret = dump_links(nl, links);
	}
	if (!ret)
		ret = kstate_index(links);
	return ret;
}
