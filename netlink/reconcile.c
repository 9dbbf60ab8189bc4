// SPDX-License-Identifier: GPL-2.0
/*
 * Reconcile: dump → diff → change only the difference.
 *
 * The diff works on one dump taken before anything is sent.  Deleting or
 * recreating a link, or moving it into another VRF, makes the kernel drop
 * the addresses and routes on it; the diff predicts that (see flushed())
 * and plans them again.  Creations are sent as create-or-replace, and
 * deletions of objects that are already gone count as done, so a wrong
 * prediction costs one redundant request, never a missing object.
 *
 * Order, chosen so that traffic keeps flowing (make before break):
 *   1. link deletions (paths before VRFs), then VRF creations/changes
 *   2. path link creations/changes (they need the VRF's ifindex)
 *   3. address, route and rule creations/changes, then their deletions
 */
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/msg.h"
#include "netlink/nl.h"
#include "netlink/reconcile.h"

#define NONE SIZE_MAX
#define DUMP_RETRIES 5

void ks_plan_free(struct ks_plan *p)
{
	free(p->ops);
	memset(p, 0, sizeof(*p));
}

const char *ks_op_kind_name(enum ks_op_kind k)
{
	static const char *const names[] = {
		[OP_CREATE] = "create", [OP_CHANGE] = "change",
		[OP_RECREATE] = "recreate", [OP_DELETE] = "delete",
	};

	return names[k];
}

static bool owned(const struct ks_link *l)
{
	return !strncmp(l->alias, GWD_ALIAS_TAG, strlen(GWD_ALIAS_TAG));
}

/* "gwd:mailbox/gre1" → "mailbox". */
static void alias_owner(const char *alias, char *out)
{
	const char *s = alias + strlen(GWD_ALIAS_TAG);
	size_t n = strcspn(s, "/");

	if (n >= GW_NAME_MAX)
		n = GW_NAME_MAX - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

static void table_owner(const struct kstate *a, const struct kstate *b,
			uint32_t table, char *out)
{
	const struct kstate *ks[] = { a, b };

	out[0] = '\0';
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < ks[k]->n_links; i++) {
			const struct ks_link *l = &ks[k]->links[i];

			if (l->kind == LINK_VRF && l->vrf.table == table && owned(l)) {
				alias_owner(l->alias, out);
				return;
			}
		}
}

static struct ks_op *op_add(struct ks_plan *p, enum ks_op_kind kind,
			    enum ks_obj_type type, size_t want, size_t have)
{
	struct ks_op *op;

	if ((p->n & (p->n - 1)) == 0) {
		struct ks_op *ops = realloc(p->ops, (p->n ? p->n * 2 : 1) * sizeof(*ops));

		if (!ops)
			return NULL;
		p->ops = ops;
	}
	op = &p->ops[p->n++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->type = type;
	op->want = want;
	op->have = have;
	return op;
}

static void appendf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 2 >= len)
		return;
	if (used) {
		strcpy(buf + used, ", ");
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void describe_link_diff(const struct ks_link *w, const struct ks_link *h,
			       char *buf, size_t len)
{
	char a[GW_ADDRSTRLEN], b[GW_ADDRSTRLEN];

	if (w->kind != h->kind) {
		appendf(buf, len, "kind %s -> %s", link_kind_name(h->kind),
			link_kind_name(w->kind));
		return;
	}
	switch (w->kind) {
	case LINK_VRF:
		if (w->vrf.table != h->vrf.table)
			appendf(buf, len, "table %u -> %u", h->vrf.table, w->vrf.table);
		break;
	case LINK_GRE:
	case LINK_IP6GRE:
		if (!gw_addr_eq(&w->gre.local, &h->gre.local))
			appendf(buf, len, "local %s -> %s",
				gw_addr_str(&h->gre.local, a, sizeof(a)),
				gw_addr_str(&w->gre.local, b, sizeof(b)));
		if (!gw_addr_eq(&w->gre.remote, &h->gre.remote))
			appendf(buf, len, "remote %s -> %s",
				gw_addr_str(&h->gre.remote, a, sizeof(a)),
				gw_addr_str(&w->gre.remote, b, sizeof(b)));
		if (w->gre.has_key != h->gre.has_key || w->gre.key != h->gre.key)
			appendf(buf, len, "key %s%u -> %s%u",
				h->gre.has_key ? "" : "none/", h->gre.key,
				w->gre.has_key ? "" : "none/", w->gre.key);
		break;
	case LINK_VLAN:
		if (w->vlan.id != h->vlan.id)
			appendf(buf, len, "vlan %u -> %u", h->vlan.id, w->vlan.id);
		if (strcmp(w->vlan.parent, h->vlan.parent))
			appendf(buf, len, "parent %s -> %s", h->vlan.parent,
				w->vlan.parent);
		break;
	case LINK_OTHER:
		break;
	}
	if (w->mtu && w->mtu != h->mtu)
		appendf(buf, len, "mtu %u -> %u", h->mtu, w->mtu);
	if (strcmp(w->master, h->master))
		appendf(buf, len, "master %s -> %s", h->master[0] ? h->master : "none",
			w->master[0] ? w->master : "none");
	if (strcmp(w->alias, h->alias))
		appendf(buf, len, "alias \"%s\" -> \"%s\"", h->alias, w->alias);
	if (w->up && !h->up)
		appendf(buf, len, "set up");
}

static bool link_changed(const struct ks_link *w, const struct ks_link *h)
{
	return (w->mtu && w->mtu != h->mtu) || strcmp(w->master, h->master) ||
	       strcmp(w->alias, h->alias) || (w->up && !h->up);
}

/*
 * Deleting a VRF releases its ports, so the ports of a VRF that is
 * recreated are recreated with it (and in it), with what sits on them.
 */
static bool master_recreated(const struct kstate *want, const struct kstate *have,
			     const struct ks_link *w)
{
	const struct ks_link *wm = w->master[0] ? kstate_link(want, w->master) : NULL;
	const struct ks_link *hm = w->master[0] ? kstate_link(have, w->master) : NULL;

	return wm && hm && owned(hm) && link_must_recreate(wm, hm);
}

static int diff_links(const struct kstate *want, const struct kstate *have,
		      struct ks_plan *p)
{
	for (size_t i = 0; i < want->n_links; i++) {
		const struct ks_link *w = &want->links[i], *h;
		struct ks_op *op = NULL;

		h = kstate_link(have, w->ifname);
		if (!h) {
			op = op_add(p, OP_CREATE, OBJ_LINK, i, NONE);
		} else if (!owned(h)) {
			op = op_add(p, OP_CREATE, OBJ_LINK, i, NONE);
			if (op) {
				op->err = -EEXIST;
				snprintf(op->errmsg, sizeof(op->errmsg),
					 "%s exists and is not gwd's (no \"%s\" alias); left alone",
					 w->ifname, GWD_ALIAS_TAG);
			}
		} else if (link_must_recreate(w, h) || master_recreated(want, have, w)) {
			op = op_add(p, OP_RECREATE, OBJ_LINK, i, (size_t)(h - have->links));
		} else if (link_changed(w, h)) {
			op = op_add(p, OP_CHANGE, OBJ_LINK, i, (size_t)(h - have->links));
		} else {
			continue;
		}
		if (!op)
			return -ENOMEM;
		snprintf(op->object, sizeof(op->object), "link %s (%s)", w->ifname,
			 link_kind_name(w->kind));
		alias_owner(w->alias, op->owner);
		if (op->kind == OP_CREATE && !op->err)
			snprintf(op->detail, sizeof(op->detail), "%s", w->alias);
		else if (h && !op->err)
			describe_link_diff(w, h, op->detail, sizeof(op->detail));
		if (op->kind == OP_RECREATE && master_recreated(want, have, w))
			appendf(op->detail, sizeof(op->detail), "master %s recreated",
				w->master);
	}
	for (size_t i = 0; i < have->n_links; i++) {
		const struct ks_link *h = &have->links[i];
		struct ks_op *op;

		if (!owned(h) || kstate_link(want, h->ifname))
			continue;
		op = op_add(p, OP_DELETE, OBJ_LINK, NONE, i);
		if (!op)
			return -ENOMEM;
		snprintf(op->object, sizeof(op->object), "link %s (%s)", h->ifname,
			 link_kind_name(h->kind));
		alias_owner(h->alias, op->owner);
	}
	return 0;
}

/*
 * Whether the plan makes the kernel drop what sits on link ifname: it is
 * deleted, recreated or moved into another VRF.
 */
static bool flushed(const struct ks_plan *p, const struct kstate *want,
		    const struct kstate *have, const char *ifname)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct ks_op *op = &p->ops[i];
		const struct ks_link *h;

		if (op->type != OBJ_LINK || op->have == NONE)
			continue;
		h = &have->links[op->have];
		if (strcmp(h->ifname, ifname))
			continue;
		return op->kind != OP_CHANGE ||
		       strcmp(want->links[op->want].master, h->master);
	}
	return false;
}

static const char *prefix_s(const struct gw_prefix *pf, char *buf)
{
	return gw_prefix_str(pf, buf, GW_PREFIXSTRLEN);
}

static bool addr_eq(const struct ks_addr *a, const struct ks_addr *b)
{
	return !strcmp(a->ifname, b->ifname) && gw_prefix_eq(&a->prefix, &b->prefix);
}

static size_t find_addr(const struct kstate *ks, const struct ks_addr *a)
{
	for (size_t i = 0; i < ks->n_addrs; i++)
		if (addr_eq(&ks->addrs[i], a))
			return i;
	return NONE;
}

static void link_owner(const struct kstate *want, const struct kstate *have,
		       const char *ifname, char *out)
{
	const struct ks_link *l = kstate_link(want, ifname);

	if (!l)
		l = kstate_link(have, ifname);
	out[0] = '\0';
	if (l && owned(l))
		alias_owner(l->alias, out);
}

/* A link that exists but is not gwd's: nothing of gwd's goes on it. */
static bool foreign(const struct kstate *have, const char *ifname)
{
	const struct ks_link *l = kstate_link(have, ifname);

	return l && !owned(l);
}

static void foreign_fail(struct ks_op *op, const char *ifname)
{
	op->err = -EEXIST;
	snprintf(op->errmsg, sizeof(op->errmsg),
		 "link %s is not gwd's; left alone", ifname);
}

static int diff_addrs(const struct kstate *want, const struct kstate *have,
		      struct ks_plan *p, bool deletes)
{
	const struct kstate *from = deletes ? have : want, *to = deletes ? want : have;
	char buf[GW_PREFIXSTRLEN];

	for (size_t i = 0; i < from->n_addrs; i++) {
		const struct ks_addr *a = &from->addrs[i];
		size_t j = find_addr(to, a);
		struct ks_op *op;

		if (deletes ? j != NONE : j != NONE && !flushed(p, want, have, a->ifname))
			continue;
		if (deletes && flushed(p, want, have, a->ifname))
			continue;	/* goes with its link */
		op = deletes ? op_add(p, OP_DELETE, OBJ_ADDR, NONE, i) :
			       op_add(p, OP_CREATE, OBJ_ADDR, i, j);
		if (!op)
			return -ENOMEM;
		snprintf(op->object, sizeof(op->object), "address %s dev %s",
			 prefix_s(&a->prefix, buf), a->ifname);
		link_owner(want, have, a->ifname, op->owner);
		if (!deletes && foreign(have, a->ifname))
			foreign_fail(op, a->ifname);
	}
	return 0;
}

static bool route_key_eq(const struct ks_route *a, const struct ks_route *b)
{
	return a->table == b->table && a->metric == b->metric &&
	       gw_prefix_eq(&a->dst, &b->dst);
}

static bool route_eq(const struct ks_route *a, const struct ks_route *b)
{
	if (a->type != b->type || a->n_nh != b->n_nh)
		return false;
	/* A single next hop has no weight in the kernel: it dumps 1. */
	for (size_t i = 0; i < a->n_nh; i++)
		if (strcmp(a->nh[i].ifname, b->nh[i].ifname) ||
		    !gw_addr_eq(&a->nh[i].gw, &b->nh[i].gw) ||
		    (a->n_nh > 1 && a->nh[i].weight != b->nh[i].weight))
			return false;
	return true;
}

static size_t find_route(const struct kstate *ks, const struct ks_route *r)
{
	for (size_t i = 0; i < ks->n_routes; i++)
		if (route_key_eq(&ks->routes[i], r))
			return i;
	return NONE;
}

static void describe_nexthops(const struct ks_route *r, char *buf, size_t len)
{
	char a[GW_ADDRSTRLEN];

	if (r->type == ROUTE_UNREACHABLE) {
		appendf(buf, len, "unreachable");
		return;
	}
	for (size_t i = 0; i < r->n_nh; i++)
		appendf(buf, len, "via %s dev %s weight %u",
			gw_addr_str(&r->nh[i].gw, a, sizeof(a)), r->nh[i].ifname,
			r->nh[i].weight);
}

static bool route_flushed(const struct ks_plan *p, const struct kstate *want,
			  const struct kstate *have, const struct ks_route *r)
{
	for (size_t i = 0; i < r->n_nh; i++)
		if (flushed(p, want, have, r->nh[i].ifname))
			return true;
	return false;
}

static bool all_flushed(const struct ks_plan *p, const struct kstate *want,
			const struct kstate *have, const struct ks_route *r)
{
	for (size_t i = 0; i < r->n_nh; i++)
		if (!flushed(p, want, have, r->nh[i].ifname))
			return false;
	return r->n_nh > 0;
}

static int diff_routes(const struct kstate *want, const struct kstate *have,
		       struct ks_plan *p, bool deletes)
{
	char buf[GW_PREFIXSTRLEN];

	if (deletes) {
		for (size_t i = 0; i < have->n_routes; i++) {
			const struct ks_route *h = &have->routes[i];
			struct ks_op *op;

			/* Kept, or gone with the links of all its next hops. */
			if (find_route(want, h) != NONE || all_flushed(p, want, have, h))
				continue;
			op = op_add(p, OP_DELETE, OBJ_ROUTE, NONE, i);
			if (!op)
				return -ENOMEM;
			snprintf(op->object, sizeof(op->object), "route %s table %u",
				 prefix_s(&h->dst, buf), h->table);
			table_owner(want, have, h->table, op->owner);
		}
		return 0;
	}
	for (size_t i = 0; i < want->n_routes; i++) {
		const struct ks_route *w = &want->routes[i], *h = NULL;
		size_t j = find_route(have, w);
		struct ks_op *op;

		if (j != NONE && !route_flushed(p, want, have, &have->routes[j]))
			h = &have->routes[j];
		if (h && route_eq(w, h))
			continue;
		op = op_add(p, h ? OP_CHANGE : OP_CREATE, OBJ_ROUTE, i, j);
		if (!op)
			return -ENOMEM;
		snprintf(op->object, sizeof(op->object), "route %s table %u",
			 prefix_s(&w->dst, buf), w->table);
		table_owner(want, have, w->table, op->owner);
		for (size_t k = 0; k < w->n_nh; k++)
			if (foreign(have, w->nh[k].ifname))
				foreign_fail(op, w->nh[k].ifname);
		if (h) {
			describe_nexthops(h, op->detail, sizeof(op->detail));
			appendf(op->detail, sizeof(op->detail), "->");
		}
		describe_nexthops(w, op->detail, sizeof(op->detail));
	}
	return 0;
}

static bool rule_eq(const struct ks_rule *a, const struct ks_rule *b)
{
	return a->table == b->table && a->priority == b->priority &&
	       gw_prefix_eq(&a->dst, &b->dst);
}

static bool rule_in(const struct kstate *ks, const struct ks_rule *r)
{
	for (size_t i = 0; i < ks->n_rules; i++)
		if (rule_eq(&ks->rules[i], r))
			return true;
	return false;
}

static int diff_rules(const struct kstate *want, const struct kstate *have,
		      struct ks_plan *p, bool deletes)
{
	const struct kstate *from = deletes ? have : want, *to = deletes ? want : have;
	char buf[GW_PREFIXSTRLEN];

	for (size_t i = 0; i < from->n_rules; i++) {
		const struct ks_rule *r = &from->rules[i];
		struct ks_op *op;

		if (rule_in(to, r))
			continue;
		op = deletes ? op_add(p, OP_DELETE, OBJ_RULE, NONE, i) :
			       op_add(p, OP_CREATE, OBJ_RULE, i, NONE);
		if (!op)
			return -ENOMEM;
		snprintf(op->object, sizeof(op->object), "rule to %s lookup %u pref %u",
			 prefix_s(&r->dst, buf), r->table, r->priority);
		table_owner(want, have, r->table, op->owner);
	}
	return 0;
}

int reconcile_diff(const struct kstate *want, const struct kstate *have,
		   struct ks_plan *plan)
{
	int ret;

	memset(plan, 0, sizeof(*plan));
	ret = diff_links(want, have, plan);
	if (!ret)
		ret = diff_addrs(want, have, plan, false);
	if (!ret)
		ret = diff_routes(want, have, plan, false);
	if (!ret)
		ret = diff_rules(want, have, plan, false);
	if (!ret)
		ret = diff_routes(want, have, plan, true);
	if (!ret)
		ret = diff_rules(want, have, plan, true);
	if (!ret)
		ret = diff_addrs(want, have, plan, true);
	if (ret)
		ks_plan_free(plan);
	return ret;
}

/* ---- dump ---- */

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
	return l && owned(l) ? kstate_add_addr(ks, &a) : 0;
}

static int route_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ks_route r;
	int ret = route_parse(nlh, &r, arg);

	if (ret == -ENOENT)
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
		if (!ret)
			ret = dump_rest(nl, have);
	}
	if (ret)
		kstate_free(have);
	return ret;
}

/* The links alone, with the ifindexes of links created since the first dump. */
static int refresh_links(struct nl *nl, struct kstate *links)
{
	int ret = -EINTR;

	for (int i = 0; i < DUMP_RETRIES && ret == -EINTR; i++) {
		kstate_free(links);
		ret = dump_links(nl, links);
	}
	return ret;
}

/* ---- apply ---- */

static void ack_cb(void *arg, int err, const char *msg)
{
	struct ks_op *op = arg;

	/* Already gone is what a deletion wanted (it went with its link). */
	if (op->kind == OP_DELETE && (err == -ESRCH || err == -ENOENT ||
				      err == -EADDRNOTAVAIL || err == -ENODEV))
		err = 0;
	/* The delete half of a recreate is acked first; keep the first error. */
	if (op->err)
		return;
	op->err = err;
	if (msg)
		snprintf(op->errmsg, sizeof(op->errmsg), "%s", msg);
}

static void op_fail(struct ks_op *op, int err, const char *why)
{
	op->err = err;
	snprintf(op->errmsg, sizeof(op->errmsg), "%s", why);
}

/*
 * The stages of an apply, in order.  A recreate appears twice: its delete
 * half in one of the deletion stages, its create half later.
 */
enum stage {
	ST_DEL_PATH,	/* path links go before their VRF */
	ST_DEL_VRF,
	ST_SET_VRF,
	ST_SET_PATH,	/* needs the VRF's ifindex: after a link refresh */
	ST_REST,	/* addresses, routes, rules: need the links' ifindexes */
};

static bool in_stage(const struct ks_op *op, enum stage st,
		     const struct kstate *want, const struct kstate *have)
{
	bool vrf, del;

	if (op->err)
		return false;
	if (op->type != OBJ_LINK)
		return st == ST_REST;
	vrf = (op->want != NONE ? want->links[op->want].kind :
				  have->links[op->have].kind) == LINK_VRF;
	del = op->kind == OP_DELETE || op->kind == OP_RECREATE;
	switch (st) {
	case ST_DEL_PATH:
		return del && !vrf;
	case ST_DEL_VRF:
		return del && vrf;
	case ST_SET_VRF:
		return op->kind != OP_DELETE && vrf;
	case ST_SET_PATH:
		return op->kind != OP_DELETE && !vrf;
	case ST_REST:
		break;
	}
	return false;
}

static const char *missing_link_msg(const struct ks_op *op, const struct kstate *want)
{
	if (op->type == OBJ_LINK && want->links[op->want].kind == LINK_VLAN)
		return "parent link does not exist";
	if (op->type == OBJ_LINK)
		return "master VRF does not exist";
	return "its link does not exist";
}

/*
 * Fill one request for op in stage st; -ENODEV when a link it names is
 * missing.  Objects come from want and have (the first dump, which the
 * plan's indexes refer to); interface names resolve through links.
 */
static int build(struct nlmsghdr *nlh, const struct ks_op *op, enum stage st,
		 const struct kstate *want, const struct kstate *have,
		 const struct kstate *links)
{
	bool del = op->kind == OP_DELETE;
	/* Routes and addresses are created as create-or-replace: idempotent. */
	uint16_t set = NLM_F_CREATE | NLM_F_REPLACE;

	switch (op->type) {
	case OBJ_LINK:
		if (st == ST_DEL_PATH || st == ST_DEL_VRF) {
			link_msg_delete(nlh, have->links[op->have].ifindex);
			return 0;
		}
		if (op->kind == OP_CHANGE)
			return link_msg_change(nlh, &want->links[op->want],
					       &have->links[op->have], links);
		return link_msg_create(nlh, &want->links[op->want], links);
	case OBJ_ADDR:
		nlh->nlmsg_type = del ? RTM_DELADDR : RTM_NEWADDR;
		nlh->nlmsg_flags |= del ? 0 : set;
		return addr_msg(nlh, del ? &have->addrs[op->have] : &want->addrs[op->want],
				links);
	case OBJ_ROUTE:
		nlh->nlmsg_type = del ? RTM_DELROUTE : RTM_NEWROUTE;
		nlh->nlmsg_flags |= del ? 0 : set;
		return route_msg(nlh, del ? &have->routes[op->have] :
				 &want->routes[op->want], links);
	case OBJ_RULE:
		nlh->nlmsg_type = del ? RTM_DELRULE : RTM_NEWRULE;
		nlh->nlmsg_flags |= del ? 0 : NLM_F_CREATE | NLM_F_EXCL;
		rule_msg(nlh, del ? &have->rules[op->have] : &want->rules[op->want]);
		return 0;
	}
	return -EINVAL;
}

static bool creates_link(const struct ks_op *op, enum stage st)
{
	return op->type == OBJ_LINK && (st == ST_SET_VRF || st == ST_SET_PATH) &&
	       (op->kind == OP_CREATE || op->kind == OP_RECREATE);
}

/* Queue every operation of the given stages, in plan order. */
static int queue(struct nl_batch *b, struct ks_plan *p, const enum stage *st,
		 size_t n_st, const struct kstate *want, const struct kstate *have,
		 const struct kstate *links)
{
	for (size_t s = 0; s < n_st; s++)
		for (size_t i = 0; i < p->n; i++) {
			struct ks_op *op = &p->ops[i];
			struct nlmsghdr *nlh;
			int ret;

			if (!in_stage(op, st[s], want, have))
				continue;
			nlh = nl_batch_msg(b, 0, 0, ack_cb, op);
			if (!nlh)
				return -ENOMEM;
			ret = build(nlh, op, st[s], want, have, links);
			if (ret == -ENODEV) {
				nl_batch_drop_last(b);
				op_fail(op, ret, missing_link_msg(op, want));
				continue;
			}
			if (ret < 0)
				return ret;
			if (creates_link(op, st[s])) {
				nlh = nl_batch_msg(b, 0, 0, ack_cb, op);
				if (!nlh)
					return -ENOMEM;
				link_msg_set_alias(nlh, &want->links[op->want]);
			}
		}
	return 0;
}

/* Send one batch; -errno only when the socket itself failed. */
static int send_stages(struct nl *nl, struct ks_plan *p, const enum stage *st,
		       size_t n_st, const struct kstate *want,
		       const struct kstate *have, const struct kstate *links)
{
	struct nl_batch *b = nl_batch_new(nl);
	int ret;

	if (!b)
		return -ENOMEM;
	ret = queue(b, p, st, n_st, want, have, links);
	if (!ret && nl_batch_count(b))
		ret = nl_batch_send(b);
	nl_batch_free(b);
	return ret < 0 ? ret : 0;
}

int reconcile_apply(struct nl *nl, const struct kstate *want,
		    const struct kstate *have, bool dry_run, struct ks_plan *plan,
		    struct kstate *links_out)
{
	static const enum stage first[] = { ST_DEL_PATH, ST_DEL_VRF, ST_SET_VRF };
	static const enum stage second[] = { ST_SET_PATH };
	static const enum stage third[] = { ST_REST };
	struct kstate links = { 0 };
	int ret;

	ret = reconcile_diff(want, have, plan);
	if (ret || dry_run || !plan->n)
		return ret;
	ret = send_stages(nl, plan, first, 3, want, have, have);
	if (!ret)
		ret = refresh_links(nl, &links);
	if (!ret)
		ret = send_stages(nl, plan, second, 1, want, have, &links);
	if (!ret)
		ret = refresh_links(nl, &links);
	if (!ret)
		ret = send_stages(nl, plan, third, 1, want, have, &links);
	for (size_t i = 0; i < plan->n; i++)
		if (plan->ops[i].err)
			plan->n_failed++;
	if (!ret && plan->n_failed)
		ret = -EIO;
	if (links_out && (ret == 0 || ret == -EIO)) {
		*links_out = links;
		memset(&links, 0, sizeof(links));
	}
	kstate_free(&links);
	return ret;
}
