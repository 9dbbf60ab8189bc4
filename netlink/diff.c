// SPDX-License-Identifier: GPL-2.0
/*
 * The diff: what turns the kernel's state (have) into the wanted one.
 *
 * It works on one dump taken before anything is sent.  Deleting or
 * recreating a link, or moving it into another VRF, makes the kernel drop
 * the addresses and routes on it; the diff predicts that (index_gone()) and
 * plans them again.  Creations are sent as create-or-replace, and deletions
 * of objects that are already gone count as done (reconcile.c), so a wrong
 * prediction costs one redundant request, never a missing object.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/msg.h"
#include "netlink/reconcile.h"

#define NONE SIZE_MAX

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

/*
 * One diff.  Lookups that would otherwise scan whole states per object are
 * precomputed: the links whose dependents the kernel drops ("gone"), and
 * the VRF of each table (for the owner of routes and rules).
 */
struct diff {
	const struct kstate *want, *have;
	struct ks_plan *p;
	struct kstate gone;		/* links only, indexed by name */
	bool *addr_deleted;		/* per have address: its delete is planned */
	struct kstate vrfs;		/* gwd's VRFs in want and have; ifindex = table */
};

static void table_owner(const struct diff *d, uint32_t table, char *out)
{
	const struct ks_link *l = kstate_link_by_index(&d->vrfs, (int)table);

	out[0] = '\0';
	if (l)
		alias_owner(l->alias, out);
}

static int index_vrfs(struct diff *d)
{
	const struct kstate *ks[] = { d->want, d->have };

	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < ks[k]->n_links; i++) {
			struct ks_link l = ks[k]->links[i];

			if (l.kind != LINK_VRF || !ks_link_owned(&l))
				continue;
			/* The table as the key: link_by_ifindex finds it. */
			l.ifindex = (int)l.vrf.table;
			if (kstate_add_link(&d->vrfs, &l))
				return -ENOMEM;
		}
	return kstate_index(&d->vrfs);
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
	case LINK_VTI:
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
	case LINK_XFRM:
		if (w->xfrm.if_id != h->xfrm.if_id)
			appendf(buf, len, "if_id %#x -> %#x", h->xfrm.if_id,
				w->xfrm.if_id);
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

	return wm && hm && ks_link_owned(hm) && link_must_recreate(wm, hm);
}

static int diff_links(struct diff *d)
{
	const struct kstate *want = d->want, *have = d->have;
	struct ks_plan *p = d->p;

	for (size_t i = 0; i < want->n_links; i++) {
		const struct ks_link *w = &want->links[i], *h;
		struct ks_op *op = NULL;

		h = kstate_link(have, w->ifname);
		if (!h) {
			op = op_add(p, OP_CREATE, OBJ_LINK, i, NONE);
		} else if (!ks_link_owned(h) && link_must_recreate(w, h)) {
			op = op_add(p, OP_CREATE, OBJ_LINK, i, NONE);
			if (op) {
				op->err = -EEXIST;
				snprintf(op->errmsg, sizeof(op->errmsg),
					 "%s exists and is not gwd's (no \"%s\" alias); left alone",
					 w->ifname, GWD_ALIAS_TAG);
			}
		} else if (ks_link_owned(h) &&
			   (link_must_recreate(w, h) || master_recreated(want, have, w))) {
			op = op_add(p, OP_RECREATE, OBJ_LINK, i, (size_t)(h - have->links));
			if (op && w->kind == LINK_VLAN && !kstate_link(have, w->vlan.parent)) {
				op->err = -ENODEV;
				snprintf(op->errmsg, sizeof(op->errmsg),
					 "parent %s does not exist; the link stays as it is",
					 w->vlan.parent);
			}
		} else if (link_changed(w, h)) {
			/*
			 * Without the alias but otherwise exactly what gwd would
			 * make: gwd made it and stopped before tagging it (the
			 * alias follows a create); adopt it.
			 */
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

		if (!ks_link_owned(h) || kstate_link(want, h->ifname))
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
 * The links the plan makes the kernel drop everything on: deleted,
 * recreated or moved into another VRF.
 */
static int index_gone(struct diff *d)
{
	for (size_t i = 0; i < d->p->n; i++) {
		const struct ks_op *op = &d->p->ops[i];
		const struct ks_link *h;

		if (op->type != OBJ_LINK || op->have == NONE || op->err)
			continue;
		h = &d->have->links[op->have];
		if ((op->kind != OP_CHANGE ||
		     strcmp(d->want->links[op->want].master, h->master)) &&
		    kstate_add_link(&d->gone, h))
			return -ENOMEM;
	}
	return kstate_index(&d->gone);
}

static bool flushed(const struct diff *d, const char *ifname)
{
	return kstate_link(&d->gone, ifname) != NULL;
}

static const char *prefix_s(const struct gw_prefix *pf, char *buf)
{
	return gw_prefix_str(pf, buf, GW_PREFIXSTRLEN);
}

static void link_owner(const struct kstate *want, const struct kstate *have,
		       const char *ifname, char *out)
{
	const struct ks_link *l = kstate_link(want, ifname);

	if (!l)
		l = kstate_link(have, ifname);
	out[0] = '\0';
	if (l && ks_link_owned(l))
		alias_owner(l->alias, out);
}

/* A link that exists but is not gwd's: nothing of gwd's goes on it. */
static bool foreign(const struct kstate *have, const char *ifname)
{
	const struct ks_link *l = kstate_link(have, ifname);

	return l && !ks_link_owned(l);
}

static void foreign_fail(struct ks_op *op, const char *ifname)
{
	op->err = -EEXIST;
	snprintf(op->errmsg, sizeof(op->errmsg),
		 "link %s is not gwd's; left alone", ifname);
}

static struct ks_op *addr_op(struct diff *d, enum ks_op_kind kind,
			     const struct ks_addr *a, size_t want, size_t have)
{
	char buf[GW_PREFIXSTRLEN];
	struct ks_op *op = op_add(d->p, kind, OBJ_ADDR, want, have);

	if (!op)
		return NULL;
	snprintf(op->object, sizeof(op->object), "address %s dev %s",
		 prefix_s(&a->prefix, buf), a->ifname);
	link_owner(d->want, d->have, a->ifname, op->owner);
	return op;
}

/*
 * An IPv4 address that a new one replaces in the same subnet of a link
 * goes first: it is the primary, and deleting a primary after a secondary
 * was added takes the secondary along (promote_secondaries is off by
 * default), with the routes through it.
 */
static int delete_replaced(struct diff *d, const struct ks_addr *w)
{
	const struct kstate *have = d->have;
	struct gw_prefix net = w->prefix;

	if (w->prefix.addr.family != AF_INET || !kstate_link(have, w->ifname) ||
	    flushed(d, w->ifname))
		return 0;
	gw_prefix_mask(&net);
	for (size_t i = 0; i < have->n_addrs; i++) {
		const struct ks_addr *h = &have->addrs[i];

		if (d->addr_deleted[i] || strcmp(h->ifname, w->ifname) ||
		    h->prefix.len != w->prefix.len || !gw_prefix_contains(&net, &h->prefix.addr) ||
		    kstate_find_addr(d->want, h) != NONE)
			continue;
		if (!addr_op(d, OP_DELETE, h, NONE, i))
			return -ENOMEM;
		d->addr_deleted[i] = true;
	}
	return 0;
}

static int diff_addrs(struct diff *d, bool deletes)
{
	const struct kstate *want = d->want, *have = d->have;
	const struct kstate *from = deletes ? have : want, *to = deletes ? want : have;

	for (size_t i = 0; i < from->n_addrs; i++) {
		const struct ks_addr *a = &from->addrs[i];
		size_t j = kstate_find_addr(to, a);
		struct ks_op *op;

		if (deletes) {
			/* Kept, gone with its link, or deleted before its successor. */
			if (j != NONE || flushed(d, a->ifname) || d->addr_deleted[i])
				continue;
			if (!addr_op(d, OP_DELETE, a, NONE, i))
				return -ENOMEM;
			continue;
		}
		if (j != NONE && !flushed(d, a->ifname))
			continue;
		if (j == NONE && delete_replaced(d, a))
			return -ENOMEM;
		op = addr_op(d, OP_CREATE, a, i, j);
		if (!op)
			return -ENOMEM;
		if (foreign(have, a->ifname))
			foreign_fail(op, a->ifname);
	}
	return 0;
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

static void describe_nexthops(const struct ks_route *r, char *buf, size_t len)
{
	char a[GW_ADDRSTRLEN];

	if (r->type != ROUTE_UNICAST) {
		appendf(buf, len, r->type == ROUTE_THROW ? "throw" : "unreachable");
		return;
	}
	for (size_t i = 0; i < r->n_nh; i++)
		appendf(buf, len, "via %s dev %s weight %u",
			gw_addr_str(&r->nh[i].gw, a, sizeof(a)), r->nh[i].ifname,
			r->nh[i].weight);
}

static bool route_flushed(const struct diff *d, const struct ks_route *r)
{
	for (size_t i = 0; i < r->n_nh; i++)
		if (flushed(d, r->nh[i].ifname))
			return true;
	return false;
}

static bool all_flushed(const struct diff *d, const struct ks_route *r)
{
	for (size_t i = 0; i < r->n_nh; i++)
		if (!flushed(d, r->nh[i].ifname))
			return false;
	return r->n_nh > 0;
}

/*
 * Whether the kernel takes a next hop before this apply changes anything:
 * its link exists and already has an address whose subnet holds the gateway.
 */
static bool on_link(const struct kstate *have, const struct ks_nexthop *nh)
{
	if (!kstate_link(have, nh->ifname))
		return false;
	for (size_t i = 0; i < have->n_addrs; i++)
		if (!strcmp(have->addrs[i].ifname, nh->ifname) &&
		    gw_prefix_contains(&have->addrs[i].prefix, &nh->gw))
			return true;
	return false;
}

static int diff_routes(struct diff *d, bool deletes)
{
	const struct kstate *want = d->want, *have = d->have;
	struct ks_plan *p = d->p;
	char buf[GW_PREFIXSTRLEN];

	if (deletes) {
		for (size_t i = 0; i < have->n_routes; i++) {
			const struct ks_route *h = &have->routes[i];
			struct ks_op *op;

			/* Kept, or gone with the links of all its next hops. */
			if (kstate_find_route(want, h) != NONE || all_flushed(d, h))
				continue;
			op = op_add(p, OP_DELETE, OBJ_ROUTE, NONE, i);
			if (!op)
				return -ENOMEM;
			snprintf(op->object, sizeof(op->object), "route %s table %u",
				 prefix_s(&h->dst, buf), h->table);
			table_owner(d, h->table, op->owner);
		}
		return 0;
	}
	for (size_t i = 0; i < want->n_routes; i++) {
		const struct ks_route *w = &want->routes[i], *h = NULL;
		size_t j = kstate_find_route(have, w);
		struct ks_op *op;

		if (j != NONE && !route_flushed(d, &have->routes[j]))
			h = &have->routes[j];
		if (h && route_eq(w, h))
			continue;
		op = op_add(p, h ? OP_CHANGE : OP_CREATE, OBJ_ROUTE, i, j);
		if (!op)
			return -ENOMEM;
		snprintf(op->object, sizeof(op->object), "route %s table %u",
			 prefix_s(&w->dst, buf), w->table);
		table_owner(d, w->table, op->owner);
		op->early = true;
		for (size_t k = 0; k < w->n_nh; k++) {
			if (foreign(have, w->nh[k].ifname))
				foreign_fail(op, w->nh[k].ifname);
			if (!on_link(have, &w->nh[k]) || flushed(d, w->nh[k].ifname))
				op->early = false;
		}
		describe_nexthops(w, op->detail, sizeof(op->detail));
		if (h) {
			char old[sizeof(op->detail)] = "";

			describe_nexthops(h, old, sizeof(old));
			snprintf(op->detail + strlen(op->detail),
				 sizeof(op->detail) - strlen(op->detail), " (was %s)", old);
		}
	}
	return 0;
}

static int diff_rules(struct diff *d, bool deletes)
{
	const struct kstate *want = d->want, *have = d->have;
	struct ks_plan *p = d->p;
	const struct kstate *from = deletes ? have : want, *to = deletes ? want : have;
	char buf[GW_PREFIXSTRLEN];

	for (size_t i = 0; i < from->n_rules; i++) {
		const struct ks_rule *r = &from->rules[i];
		struct ks_op *op;

		if (kstate_find_rule(to, r) != NONE)
			continue;
		op = deletes ? op_add(p, OP_DELETE, OBJ_RULE, NONE, i) :
			       op_add(p, OP_CREATE, OBJ_RULE, i, NONE);
		if (!op)
			return -ENOMEM;
		snprintf(op->object, sizeof(op->object), "rule to %s lookup %u pref %u",
			 prefix_s(&r->dst, buf), r->table, r->priority);
		table_owner(d, r->table, op->owner);
	}
	return 0;
}

int reconcile_diff(const struct kstate *want, const struct kstate *have,
		   struct ks_plan *plan)
{
	struct diff d = { .want = want, .have = have, .p = plan };
	int ret;

	memset(plan, 0, sizeof(*plan));
	d.addr_deleted = calloc(have->n_addrs + 1, sizeof(*d.addr_deleted));
	ret = d.addr_deleted ? index_vrfs(&d) : -ENOMEM;
	if (!ret)
		ret = diff_links(&d);
	if (!ret)
		ret = index_gone(&d);
	if (!ret)
		ret = diff_addrs(&d, false);
	if (!ret)
		ret = diff_routes(&d, false);
	if (!ret)
		ret = diff_rules(&d, false);
	if (!ret)
		ret = diff_routes(&d, true);
	if (!ret)
		ret = diff_rules(&d, true);
	if (!ret)
		ret = diff_addrs(&d, true);
	if (ret)
		ks_plan_free(plan);
	kstate_free(&d.gone);
	kstate_free(&d.vrfs);
	free(d.addr_deleted);
	return ret;
}
