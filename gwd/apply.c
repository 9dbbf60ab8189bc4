// SPDX-License-Identifier: GPL-2.0
/* Apply, reload and plan: the one path from a config to the kernel. */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "gwd/desired.h"
#include "gwd/gwd.h"
#include "gwd/ipsec.h"
#include "gwd/log.h"
#include "netlink/msg.h"
#include "netlink/nl.h"

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void log_op(const struct ks_op *op)
{
	const char *sep = op->detail[0] ? ": " : "";
	const char *who = op->owner[0] ? op->owner : "-";

	if (op->err) {
		log_err("customer %s: %s %s failed: %s%s%s", who,
			ks_op_kind_name(op->kind), op->object, strerror(-op->err),
			op->errmsg[0] ? ": " : "", op->errmsg);
	} else if (op->kind == OP_RECREATE) {
		log_info("customer %s: recreate %s%s%s (the kernel cannot change this in place)",
			 who, op->object, sep, op->detail);
	} else {
		log_info("customer %s: %s %s%s%s", who, ks_op_kind_name(op->kind),
			 op->object, sep, op->detail);
	}
}

int gwd_apply(struct gwd *g, const char *why, struct ks_plan *plan_out)
{
	struct kstate have = { 0 }, want = { 0 }, links = { 0 };
	struct ks_plan plan = { 0 };
	struct timespec t0;
	double dump_ms;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = reconcile_dump(g->nl, &have);
	dump_ms = ms_since(&t0);
	if (ret) {
		log_err("apply (%s): cannot read the kernel's state: %s; trying again",
			why, strerror(-ret));
		g->last_apply.ok = false;
		gwd_schedule_apply(g);
		goto out;
	}
	/* Path states first: they decide which paths the routes use. */
	gwd_links_update(g, &have);
	gwd_paths_seed(g, &have);
	ret = desired_build(g->conf, gwd_path_rank, g, &want);
	if (!ret)
		ret = reconcile_apply(g->nl, &want, &have, false, &plan, &links);
	if (ret && ret != -EIO) {
		log_err("apply (%s): %s; trying again", why, strerror(-ret));
		g->last_apply.ok = false;
		gwd_schedule_apply(g);
		goto out;
	}
	for (size_t i = 0; i < plan.n; i++)
		log_op(&plan.ops[i]);
	if (plan.n)
		log_info("apply (%s): %zu changes, %zu failed", why,
			 plan.n - plan.n_failed, plan.n_failed);
	log_debug("apply (%s): %zu ops; dump %.1f ms, total %.1f ms", why, plan.n,
		  dump_ms, ms_since(&t0));
	if (links.n_links)
		gwd_links_update(g, &links);
	for (size_t i = 0; i < g->conf->n_customers; i++)
		gwd_paths_decided(g, &g->conf->customers[i]);
	g->last_apply = (struct apply_result){
		.time = time(NULL), .ok = !plan.n_failed,
		.changes = plan.n - plan.n_failed, .failed = plan.n_failed,
	};
out:
	kstate_free(&have);
	kstate_free(&want);
	kstate_free(&links);
	if (plan_out)
		*plan_out = plan;
	else
		ks_plan_free(&plan);
	return ret;
}

/* Route replacements are ACKed here; failures leave it to the full apply. */
static void route_ack(void *arg, int err, const char *msg)
{
	if (err)
		log_warn("quick route change failed: %s%s%s", strerror(-err),
			 msg ? ": " : "", msg ? msg : "");
}

int gwd_apply_routes(struct gwd *g, const struct customer_conf *cu)
{
	struct gw_conf one = *g->conf;
	struct kstate want = { 0 };
	struct nl_batch *b = NULL;
	int ret;

	one.customers = (struct customer_conf *)cu;
	one.n_customers = 1;
	ret = desired_build(&one, gwd_path_rank, g, &want);
	if (ret)
		goto out;
	gwd_paths_decided(g, cu);
	b = nl_batch_new(g->nl);
	if (!b) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < want.n_routes; i++) {
		struct nlmsghdr *nlh;

		if (want.routes[i].type != ROUTE_UNICAST)
			continue;
		/* gwd's own routes: the full apply made them, EXCL against others. */
		nlh = nl_batch_msg(b, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
				   route_ack, NULL);
		if (!nlh) {
			ret = -ENOMEM;
			goto out;
		}
		if (route_msg(nlh, &want.routes[i], &g->links) < 0)
			nl_batch_drop_last(b);
	}
	ret = nl_batch_send(b);
out:
	nl_batch_free(b);
	kstate_free(&want);
	/* The full reconcile follows, for whatever else the decision implies. */
	gwd_schedule_apply(g);
	return ret < 0 ? ret : 0;
}

/* After the links: IPsec failures are logged per path; delivery goes on. */
static void ipsec_sync(struct gwd *g)
{
	int ret = gwd_ipsec_sync(g);

	if (ret < 0)
		log_err("IPsec connections: %s", strerror(-ret));
}

int gwd_reload(struct gwd *g, struct conf_diag *d, struct ks_plan *plan_out)
{
	struct gw_conf *c = NULL;
	char why[160];
	int ret;

	g->last_reload.time = time(NULL);
	ret = conf_load(g->conf_file, &c, d);
	if (ret) {
		log_err("%s has errors, not reloading:", g->conf_file);
		for (size_t i = 0; i < d->n; i++)
			log_err("  %s", d->msg[i]);
		g->last_reload.ok = false;
		snprintf(g->last_reload.message, sizeof(g->last_reload.message),
			 "%s has errors, not reloading", g->conf_file);
		return ret;
	}
	/* The kernel may still refuse the filters: then nothing changes. */
	ret = gwd_filter_apply(g, c, why, sizeof(why));
	if (ret < 0) {
		log_err("%s: the kernel refused the filters, not reloading: %s",
			g->conf_file, why);
		conf_diag_add(d, "%s", why);
		conf_free(c);
		g->last_reload.ok = false;
		snprintf(g->last_reload.message, sizeof(g->last_reload.message),
			 "the kernel refused the filters: %s", why);
		return -EINVAL;
	}
	conf_free(g->conf);
	g->conf = c;
	ret = gwd_paths_sync(g);
	if (ret)
		log_err("path probes: %s", strerror(-ret));
	log_info("reloading %s", g->conf_file);
	ret = gwd_apply(g, "reload", plan_out);
	ipsec_sync(g);
	/* Failures are logged and retried; delivery does not wait for them. */
	gwd_syn_sync(g);
	g->last_reload.ok = ret == 0;
	snprintf(g->last_reload.message, sizeof(g->last_reload.message), "%s",
		 ret == 0 ? "applied" : ret == -EIO ? "applied with errors" :
		 "could not apply");
	return ret;
}

int gwd_plan(struct gwd *g, const char *file, struct conf_diag *d,
	     struct ks_plan *plan)
{
	struct kstate want = { 0 }, have = { 0 };
	struct gw_conf *c = NULL;
	int ret;

	memset(plan, 0, sizeof(*plan));
	ret = conf_load(file, &c, d);
	if (ret)
		return ret;
	ret = reconcile_dump(g->nl, &have);
	if (!ret)
		ret = desired_build(c, gwd_path_rank, g, &want);
	if (!ret)
		ret = reconcile_apply(g->nl, &want, &have, true, plan, NULL);
	kstate_free(&have);
	kstate_free(&want);
	conf_free(c);
	return ret;
}
