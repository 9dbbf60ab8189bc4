/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel objects as gwd sees them: the links, addresses, routes and rules it
 * owns.  The same structs describe the desired state (built from the config)
 * and the current state (dumped from the kernel), so reconcile.c can diff
 * them field by field.  A struct kstate owns its arrays; kstate_free().
 */
#ifndef GWD_NETLINK_KOBJ_H
#define GWD_NETLINK_KOBJ_H

#include "conf/model.h"

/* rtm_protocol of gwd's routes and rules; see /etc/iproute2/rt_protos.d/gwd.conf. */
#define GWD_RTPROT		211
/* Priority of gwd's policy rules: after l3mdev (1000), before main (32766). */
#define GWD_RULE_PRIO		2000
/* IFLA_IFALIAS of every link gwd owns starts with this tag. */
#define GWD_ALIAS_TAG		"gwd:"
#define GWD_ALIAS_MAX		64
/* Metric of the unreachable default that closes each customer table. */
#define GWD_UNREACH_METRIC	4278198272u
#define KS_MAX_NEXTHOPS		GW_MAX_ECMP

enum link_kind {
	LINK_VRF,
	LINK_GRE,
	LINK_IP6GRE,
	LINK_VLAN,
	LINK_XFRM,
	LINK_VTI,	/* its local, remote and key (the mark) in gre */
	LINK_OTHER,	/* dumped only: not ours, kept for name/index lookups */
};

struct ks_link {
	char ifname[IF_NAMESIZE];
	char alias[GWD_ALIAS_MAX];	/* "gwd:<customer>" or "gwd:<customer>/<path>" */
	enum link_kind kind;
	int ifindex;			/* current state only */
	int master_ifindex;		/* current state only, resolved into master */
	int parent_ifindex;		/* current state only, resolved into vlan.parent */
	uint32_t mtu;			/* 0: leave the kernel's choice */
	bool up;			/* administratively up (IFF_UP) */
	bool oper_up;			/* current state only: IFF_RUNNING/IFF_LOWER_UP */
	char master[IF_NAMESIZE];	/* VRF this link is enslaved to, "" if none */
	union {
		struct { uint32_t table; } vrf;
		struct {
			struct gw_addr local, remote;
			bool has_key;
			uint32_t key;	/* same key both ways */
		} gre;
		struct {
			char parent[IF_NAMESIZE];
			uint16_t id;
		} vlan;
		struct { uint32_t if_id; } xfrm;
	};
};

struct ks_addr {
	char ifname[IF_NAMESIZE];
	struct gw_prefix prefix;	/* address with the subnet length */
};

struct ks_nexthop {
	struct gw_addr gw;
	char ifname[IF_NAMESIZE];
	uint32_t weight;		/* 1..256 */
};

enum route_type {
	ROUTE_UNICAST,
	ROUTE_UNREACHABLE,
	ROUTE_THROW,	/* the lookup goes on with the next rule: no next hops */
};

struct ks_route {
	uint32_t table;
	struct gw_prefix dst;
	enum route_type type;
	uint32_t metric;
	struct ks_nexthop nh[KS_MAX_NEXTHOPS];	/* sorted by ifname */
	size_t n_nh;
};

struct ks_rule {
	struct gw_prefix dst;
	uint32_t table;
	uint32_t priority;
};

struct kstate {
	struct ks_link *links;
	size_t n_links;
	struct ks_addr *addrs;
	size_t n_addrs;
	struct ks_route *routes;
	size_t n_routes;
	struct ks_rule *rules;
	size_t n_rules;
	/*
	 * Sorted indexes into the arrays, for lookups in O(log n) once a state
	 * is complete (kstate_index()); kstate_add_*() drops the index of the
	 * array it grows, and lookups there fall back to a scan.  The arrays
	 * keep their order.
	 */
	size_t *link_by_name, *link_by_ifindex, *addr_idx, *route_idx, *rule_idx;
};

/* Append helpers; they copy *o and return -ENOMEM on failure. */
int kstate_add_link(struct kstate *ks, const struct ks_link *o);
int kstate_add_addr(struct kstate *ks, const struct ks_addr *o);
int kstate_add_route(struct kstate *ks, const struct ks_route *o);
int kstate_add_rule(struct kstate *ks, const struct ks_rule *o);
void kstate_free(struct kstate *ks);

/* Build the lookup indexes: -ENOMEM, or 0. */
int kstate_index(struct kstate *ks);

const struct ks_link *kstate_link(const struct kstate *ks, const char *ifname);
const struct ks_link *kstate_link_by_index(const struct kstate *ks, int ifindex);
/* Index of the object with the same identity (not contents), or SIZE_MAX. */
size_t kstate_find_addr(const struct kstate *ks, const struct ks_addr *a);
size_t kstate_find_route(const struct kstate *ks, const struct ks_route *r);	/* table, dst, metric */
size_t kstate_find_rule(const struct kstate *ks, const struct ks_rule *r);

/* Whether a link carries gwd's alias tag: gwd changes no other link. */
bool ks_link_owned(const struct ks_link *l);

/* Sort the route's next hops into the canonical order used for comparison. */
void ks_route_sort_nexthops(struct ks_route *r);

const char *link_kind_name(enum link_kind k);

#endif
