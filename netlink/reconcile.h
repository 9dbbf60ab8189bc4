/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Apply = dump what the kernel has, diff it with what is wanted, and change
 * only the difference.  The plan is a list of operations, each naming one
 * object; reconcile_apply() sends them batched and records per operation
 * whether the kernel accepted it, so one failed object does not stop the
 * others.
 */
#ifndef GWD_NETLINK_RECONCILE_H
#define GWD_NETLINK_RECONCILE_H

#include "netlink/kobj.h"

struct nl;

enum ks_op_kind {
	OP_CREATE,
	OP_CHANGE,	/* in place */
	OP_RECREATE,	/* delete and create: an attribute the kernel cannot change */
	OP_DELETE,
};

enum ks_obj_type {
	OBJ_LINK,
	OBJ_ADDR,
	OBJ_ROUTE,
	OBJ_RULE,
};

struct ks_op {
	enum ks_op_kind kind;
	enum ks_obj_type type;
	char owner[GW_NAME_MAX];	/* customer the object belongs to, "" if unknown */
	char object[128];		/* e.g. "link gw17-gre1", "route 203.0.113.0/24 table 1017" */
	char detail[160];		/* what changes, e.g. "mtu 1400 -> 1476" */
	size_t want, have;		/* indexes into the kstates, SIZE_MAX: none */
	bool early;			/* a route change that needs no link change: sent first */
	int err;			/* 0, or negative errno from the kernel */
	char errmsg[160];		/* the kernel's extack message, if any */
};

struct ks_plan {
	struct ks_op *ops;
	size_t n;
	size_t n_failed;
};

void ks_plan_free(struct ks_plan *p);
const char *ks_op_kind_name(enum ks_op_kind k);

/* Diff only: the operations that would turn have into want. */
int reconcile_diff(const struct kstate *want, const struct kstate *have,
		   struct ks_plan *plan);

/* Dump the kernel into have (gwd's objects plus every link, for name lookups), indexed. */
int reconcile_dump(struct nl *nl, struct kstate *have);
/* Links only, indexed: the ifindexes of links created since a full dump. */
int reconcile_dump_links(struct nl *nl, struct kstate *links);

/*
 * Diff want with have (a fresh reconcile_dump()) and execute the plan.
 * Returns 0 when every operation succeeded, -EIO when some failed (see
 * plan->ops[i].err), other negative errno when the socket failed.  With
 * dry_run, nothing is sent.  When something was sent, links_out (if not
 * NULL) receives every link as the kernel has them afterwards; the caller
 * frees it.  Otherwise it is left untouched.
 */
int reconcile_apply(struct nl *nl, const struct kstate *want,
		    const struct kstate *have, bool dry_run, struct ks_plan *plan,
		    struct kstate *links_out);

#endif
