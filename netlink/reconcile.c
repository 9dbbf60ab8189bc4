// SPDX-License-Identifier: GPL-2.0
/*
 * Apply a plan (diff.c) in batches, in an order chosen so that traffic
 * keeps flowing (make before break):
 *   1. route changes whose next hops stay (traffic leaves a path before the
 *      path goes), link deletions (paths before VRFs), VRF creations/changes
 *   2. the VRFs' aliases, path link creations/changes (they need the VRF's
 *      ifindex, so a link dump comes first)
 *   3. the path links' aliases, then address, route and rule
 *      creations/changes, then their deletions
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "netlink/msg.h"
#include "netlink/nl.h"
#include "netlink/reconcile.h"

#define NONE SIZE_MAX

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
	else if (err == -EEXIST && op->type == OBJ_ROUTE)
		snprintf(op->errmsg, sizeof(op->errmsg),
			 "a route that is not gwd's has this destination and metric; left alone");
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
	ST_EARLY,	/* routes whose next hops stay: they move before links go */
	ST_DEL_PATH,	/* path links go before their VRF */
	ST_DEL_VRF,
	ST_SET_VRF,
	/*
	 * The kernel ignores IFLA_IFALIAS on creation; the alias that makes a
	 * link gwd's is set once the create has succeeded (so a link somebody
	 * else made in between is never tagged), by the ifindex it got.
	 */
	ST_ALIAS_VRF,
	ST_SET_PATH,	/* needs the VRF's ifindex: after a link refresh */
	ST_ALIAS_PATH,
	ST_REST,	/* addresses, routes, rules: need the links' ifindexes */
};

static bool in_stage(const struct ks_op *op, enum stage st,
		     const struct kstate *want, const struct kstate *have)
{
	bool vrf, del, create;

	if (op->err)
		return false;
	if (op->type != OBJ_LINK)
		return op->early ? st == ST_EARLY : st == ST_REST;
	vrf = (op->want != NONE ? want->links[op->want].kind :
				  have->links[op->have].kind) == LINK_VRF;
	del = op->kind == OP_DELETE || op->kind == OP_RECREATE;
	create = op->kind == OP_CREATE || op->kind == OP_RECREATE;
	switch (st) {
	case ST_DEL_PATH:
		return del && !vrf;
	case ST_DEL_VRF:
		return del && vrf;
	case ST_SET_VRF:
		return op->kind != OP_DELETE && vrf;
	case ST_SET_PATH:
		return op->kind != OP_DELETE && !vrf;
	case ST_ALIAS_VRF:
		return create && vrf;
	case ST_ALIAS_PATH:
		return create && !vrf;
	case ST_EARLY:
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
	/* Addresses on gwd's links are created as create-or-replace: idempotent. */
	uint16_t set = NLM_F_CREATE | NLM_F_REPLACE;
	/*
	 * The kernel names a route by table, destination and metric, not by
	 * protocol: replace only what the dump showed as gwd's, so that a
	 * foreign route in the same place fails the create instead.
	 */
	uint16_t set_route = op->have != NONE ? set : NLM_F_CREATE | NLM_F_EXCL;

	switch (op->type) {
	case OBJ_LINK:
		if (st == ST_ALIAS_VRF || st == ST_ALIAS_PATH)
			return link_msg_set_alias(nlh, &want->links[op->want], links);
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
		nlh->nlmsg_flags |= del ? 0 : set_route;
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

/*
 * The last link dump came before the path links' aliases were set: copy
 * them in for the links whose create succeeded, so the caller's view of
 * what is gwd's is current.
 */
static void tag_created(const struct ks_plan *p, const struct kstate *want,
			struct kstate *links)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct ks_op *op = &p->ops[i];
		const struct ks_link *l;

		if (op->type != OBJ_LINK || op->err || op->want == NONE)
			continue;
		l = kstate_link(links, want->links[op->want].ifname);
		if (l)
			strcpy(links->links[l - links->links].alias,
			       want->links[op->want].alias);
	}
}

int reconcile_apply(struct nl *nl, const struct kstate *want,
		    const struct kstate *have, bool dry_run, struct ks_plan *plan,
		    struct kstate *links_out)
{
	static const enum stage first[] = { ST_EARLY, ST_DEL_PATH, ST_DEL_VRF,
					    ST_SET_VRF };
	static const enum stage second[] = { ST_ALIAS_VRF, ST_SET_PATH };
	static const enum stage third[] = { ST_ALIAS_PATH, ST_REST };
	struct kstate links = { 0 };
	int ret;

	ret = reconcile_diff(want, have, plan);
	if (ret || dry_run || !plan->n)
		return ret;
	ret = send_stages(nl, plan, first, 4, want, have, have);
	if (!ret)
		ret = reconcile_dump_links(nl, &links);
	if (!ret)
		ret = send_stages(nl, plan, second, 2, want, have, &links);
	if (!ret)
		ret = reconcile_dump_links(nl, &links);
	if (!ret)
		ret = send_stages(nl, plan, third, 2, want, have, &links);
	for (size_t i = 0; i < plan->n; i++)
		if (plan->ops[i].err)
			plan->n_failed++;
	if (!ret && plan->n_failed)
		ret = -EIO;
	if (links_out && (ret == 0 || ret == -EIO)) {
		tag_created(plan, want, &links);
		*links_out = links;
		memset(&links, 0, sizeof(links));
	}
	kstate_free(&links);
	return ret;
}
