/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Message builders and parsers, one pair per object type.  A builder fills
 * a message whose header (type, flags, seq) the caller set up; it resolves
 * interface names to indexes through `links` (a dumped kstate) and returns
 * -ENODEV naming nothing when a name is unknown, so the caller can say which
 * object needed it.  A parser returns -ENOENT for messages that are not
 * gwd's (a foreign route, a rule of another protocol) so dumps skip them.
 * Parsers take both the NEW and the DEL message of their type (events).
 */
#ifndef GWD_NETLINK_MSG_H
#define GWD_NETLINK_MSG_H

#include <libmnl/libmnl.h>

#include "netlink/kobj.h"

/* link.c: create (full), change (in place: mtu, master, alias, up), delete. */
int link_msg_create(struct nlmsghdr *nlh, const struct ks_link *l,
		    const struct kstate *links);
int link_msg_change(struct nlmsghdr *nlh, const struct ks_link *want,
		    const struct ks_link *have, const struct kstate *links);
void link_msg_delete(struct nlmsghdr *nlh, int ifindex);
/* Follows every successful create: the kernel drops the alias of a link it creates. */
int link_msg_set_alias(struct nlmsghdr *nlh, const struct ks_link *l,
		       const struct kstate *links);
int link_parse(const struct nlmsghdr *nlh, struct ks_link *out);
/* Whether the kernel can turn have into want in place. */
bool link_must_recreate(const struct ks_link *want, const struct ks_link *have);

/* addr.c */
int addr_msg(struct nlmsghdr *nlh, const struct ks_addr *a,
	     const struct kstate *links);
int addr_parse(const struct nlmsghdr *nlh, struct ks_addr *out,
	       const struct kstate *links);

/* route.c */
int route_msg(struct nlmsghdr *nlh, const struct ks_route *r,
	      const struct kstate *links);
int route_parse(const struct nlmsghdr *nlh, struct ks_route *out,
		const struct kstate *links);

/* rule.c */
void rule_msg(struct nlmsghdr *nlh, const struct ks_rule *r);
int rule_parse(const struct nlmsghdr *nlh, struct ks_rule *out);

/* The kind-specific part of a link, behind a small ops table (link-*.c). */
struct link_ops {
	const char *kind;	/* IFLA_INFO_KIND */
	enum link_kind type;
	/* Attributes outside IFLA_INFO_DATA, e.g. the VLAN's parent (IFLA_LINK). */
	int (*put_link)(struct nlmsghdr *nlh, const struct ks_link *l,
			const struct kstate *links);
	void (*put_data)(struct nlmsghdr *nlh, const struct ks_link *l);
	/* Settings the kernel takes only for a link that exists; sent with the alias after a create. */
	void (*put_setup)(struct nlmsghdr *nlh, const struct ks_link *l);
	void (*parse_data)(const struct nlattr *data, struct ks_link *l);
	/* Differences in kind-specific attributes; the kernel cannot change them. */
	bool (*differs)(const struct ks_link *a, const struct ks_link *b);
};

extern const struct link_ops link_vrf_ops, link_gre_ops, link_ip6gre_ops,
	link_vlan_ops, link_xfrm_ops, link_vti_ops;
const struct link_ops *link_ops_by_type(enum link_kind type);

#endif
