// SPDX-License-Identifier: GPL-2.0
/* The control socket's commands: gwctl's view of the daemon. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gwd/bfd.h"
#include "gwd/ctl.h"
#include "gwd/desired.h"
#include "gwd/gwd.h"
#include "gwd/ipsec.h"
#include "gwd/log.h"
#include "netlink/nft.h"

static json_object *time_json(time_t t)
{
	char buf[32];
	struct tm tm;

	if (!t)
		return NULL;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_object_new_string(buf);
}

static void add_str(json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val));
}

static void add_int(json_object *o, const char *key, int64_t val)
{
	json_object_object_add(o, key, json_object_new_int64(val));
}

static void add_addr(json_object *o, const char *key, const struct gw_addr *a)
{
	char buf[GW_ADDRSTRLEN];

	add_str(o, key, gw_addr_str(a, buf, sizeof(buf)));
}

/* Whether path index i carries traffic for any of the customer's prefixes. */
static bool path_active(struct gwd *g, const struct customer_conf *cu, size_t i)
{
	static const int families[] = { AF_INET, AF_INET6 };

	for (size_t f = 0; f < 2; f++) {
		size_t sel[KS_MAX_NEXTHOPS], n;

		if (!desired_has_family(cu, families[f]))
			continue;
		n = desired_active_paths(cu, families[f], gwd_path_rank, g, sel, NULL);
		for (size_t k = 0; k < n; k++)
			if (sel[k] == i)
				return true;
	}
	return false;
}

/* The names of the customer's paths that carry traffic now. */
static json_object *active_json(struct gwd *g, const struct customer_conf *cu)
{
	json_object *act = json_object_new_array();

	for (size_t k = 0; k < cu->n_paths; k++)
		if (path_active(g, cu, k))
			json_object_array_add(act, json_object_new_string(cu->paths[k].name));
	return act;
}

static int cmd_status(void *ctx, int argc, const char *const *argv,
		      struct ctl_reply *r)
{
	struct gwd *g = ctx;
	json_object *o = json_object_new_object(), *a;
	size_t paths = 0, up = 0, drained = 0, undeliverable = 0;

	for (size_t i = 0; i < g->conf->n_customers; i++) {
		const struct customer_conf *cu = &g->conf->customers[i];

		paths += cu->n_paths;
		undeliverable += !gwd_customer_deliverable(g, cu);
		for (size_t j = 0; j < cu->n_paths; j++) {
			const char *st = gwd_path_state(g, cu, &cu->paths[j]);

			up += !strcmp(st, "up");
			drained += !strcmp(st, "drained");
		}
	}
	add_str(o, "site", g->conf->site.name);
	add_int(o, "pid", getpid());
	add_int(o, "uptime_s", time(NULL) - g->started);
	add_str(o, "config", g->conf_file);
	add_int(o, "customers", (int64_t)g->conf->n_customers);
	add_int(o, "paths", (int64_t)paths);
	add_int(o, "paths_up", (int64_t)up);
	add_int(o, "paths_drained", (int64_t)drained);
	add_int(o, "customers_undeliverable", (int64_t)undeliverable);
	a = json_object_new_object();
	json_object_object_add(a, "time", time_json(g->last_apply.time));
	json_object_object_add(a, "ok", json_object_new_boolean(g->last_apply.ok));
	add_int(a, "changes", (int64_t)g->last_apply.changes);
	add_int(a, "failed", (int64_t)g->last_apply.failed);
	json_object_object_add(o, "last_apply", a);
	if (g->last_reload.time) {
		a = json_object_new_object();
		json_object_object_add(a, "time", time_json(g->last_reload.time));
		json_object_object_add(a, "ok", json_object_new_boolean(g->last_reload.ok));
		add_str(a, "message", g->last_reload.message);
		json_object_object_add(o, "last_reload", a);
	}
	r->result = o;
	return 0;
}

static int cmd_customers(void *ctx, int argc, const char *const *argv,
			 struct ctl_reply *r)
{
	struct gwd *g = ctx;
	json_object *list = json_object_new_array();

	for (size_t i = 0; i < g->conf->n_customers; i++) {
		const struct customer_conf *cu = &g->conf->customers[i];
		json_object *o = json_object_new_object();
		json_object *pf = json_object_new_array();

		for (size_t k = 0; k < cu->n_prefixes; k++) {
			char buf[GW_PREFIXSTRLEN];

			json_object_array_add(pf, json_object_new_string(
				gw_prefix_str(&cu->prefixes[k], buf, sizeof(buf))));
		}
		add_str(o, "customer", cu->name);
		add_int(o, "id", cu->id);
		add_int(o, "table", cu->table);
		add_str(o, "vrf", cu->vrf);
		json_object_object_add(o, "prefixes", pf);
		add_int(o, "paths", (int64_t)cu->n_paths);
		json_object_object_add(o, "active", active_json(g, cu));
		json_object_object_add(o, "deliverable",
				       json_object_new_boolean(gwd_customer_deliverable(g, cu)));
		json_object_array_add(list, o);
	}
	r->result = list;
	return 0;
}

/* The BFD session's state and negotiated timers, or NULL. */
static json_object *bfd_json(const struct path_rt *rt)
{
	struct bfd_status st;
	json_object *o;

	if (!watch_bfd_status(rt, &st))
		return NULL;
	o = json_object_new_object();
	add_str(o, "state", st.state);
	add_str(o, "remote_state", st.remote_state);
	add_str(o, "diag", st.diag);
	add_int(o, "local_discr", st.local_discr);
	add_int(o, "remote_discr", st.remote_discr);
	add_int(o, "tx_interval_ms", st.tx_interval_us / 1000);
	add_int(o, "detect_time_ms", st.detect_time_us / 1000);
	add_int(o, "rx_packets", (int64_t)st.rx_packets);
	add_int(o, "tx_packets", (int64_t)st.tx_packets);
	add_int(o, "rx_invalid", (int64_t)st.rx_invalid);
	return o;
}

static json_object *path_json(struct gwd *g, const struct customer_conf *cu,
			      size_t i)
{
	const struct path_conf *p = &cu->paths[i];
	const struct ks_link *l = kstate_link(&g->links, p->ifname);
	const struct path_rt *rt = gwd_path_rt(g, cu, p);
	json_object *o = json_object_new_object();

	add_str(o, "customer", cu->name);
	add_str(o, "path", p->name);
	add_str(o, "type", p->type == PATH_VLAN ? "vlan" :
			   p->type == PATH_IPSEC ? "ipsec" :
			   p->remote.family == AF_INET6 ? "ip6gre" : "gre");
	add_str(o, "ifname", p->ifname);
	add_str(o, "state", gwd_path_state(g, cu, p));
	if (rt) {
		const struct health *h = &rt->health;
		uint64_t now;

		sd_event_now(g->ev, CLOCK_MONOTONIC, &now);
		char num[32];

		/* Printed as measured: microseconds and per mille, not 17 digits. */
		snprintf(num, sizeof(num), "%.3f", h->rtt_us / 1000.0);
		json_object_object_add(o, "rtt_ms",
				       json_object_new_double_s(h->rtt_us / 1000.0, num));
		snprintf(num, sizeof(num), "%.1f", health_loss_permille(h) / 10.0);
		json_object_object_add(o, "loss_pct",
				       json_object_new_double_s(health_loss_permille(h) / 10.0, num));
		add_int(o, "transitions", h->transitions);
		add_int(o, "since_s", (int64_t)((now - h->last_change_us) / 1000000));
		if (h->reason[0])
			add_str(o, "reason", h->reason);
		add_str(o, "health", health_state_name(h->state));
		add_str(o, "probe", p->probe.kind == PROBE_BFD ? "bfd" : "icmp");
		if (p->probe.kind == PROBE_BFD)
			json_object_object_add(o, "bfd", bfd_json(rt));
	}
	json_object_object_add(o, "active", json_object_new_boolean(path_active(g, cu, i)));
	add_int(o, "priority", p->priority);
	add_int(o, "weight", p->weight);
	add_addr(o, "address", &p->address.addr);
	add_addr(o, "peer", &p->peer);
	if (p->type == PATH_VLAN) {
		add_str(o, "parent", p->parent);
		add_int(o, "vlan", p->vlan);
	} else {
		add_addr(o, "remote", &p->remote);
		if (p->has_key)
			add_int(o, "key", p->key);
	}
	if (p->type == PATH_IPSEC) {
		enum ipsec_sa_state sa = gwd_ipsec_sa(g, p);

		add_str(o, "ipsec_sa", gwd_ipsec_state_name(sa));
		if (sa != IPSEC_SA_UP && gwd_ipsec_why(g, p)[0])
			add_str(o, "ipsec_reason", gwd_ipsec_why(g, p));
	}
	if (p->mtu || l)
		add_int(o, "mtu", p->mtu ? p->mtu : l->mtu);
	if (l)
		add_int(o, "ifindex", l->ifindex);
	return o;
}

static int cmd_paths(void *ctx, int argc, const char *const *argv,
		     struct ctl_reply *r)
{
	struct gwd *g = ctx;
	json_object *list = json_object_new_array();

	for (size_t i = 0; i < g->conf->n_customers; i++)
		for (size_t k = 0; k < g->conf->customers[i].n_paths; k++)
			json_object_array_add(list, path_json(g, &g->conf->customers[i], k));
	r->result = list;
	return 0;
}

/* Answered once charon has listed the SAs (gwd/ipsec.c). */
static int cmd_ipsec(void *ctx, int argc, const char *const *argv,
		     struct ctl_reply *r)
{
	struct gwd *g = ctx;
	struct ctl_deferred *d;
	int ret;

	if (argc && !conf_customer(g->conf, argv[0]))
		return ctl_reply_error(r, -ENOENT, "no customer %s", argv[0]);
	if (!gwd_ipsec_configured(g))
		return ctl_reply_error(r, -ENOENT, "no IPsec paths configured");
	d = ctl_defer(r);
	if (!d)
		return -ENOMEM;
	ret = gwd_ipsec_show(g, argc ? argv[0] : NULL, d);
	if (ret == 0)
		return CTL_DEFERRED;
	ctl_deferred_cancel(d);
	if (ret == -ENOTCONN)
		return ctl_reply_error(r, ret, "charon is not reachable at %s",
				       g->conf->site.vici_socket);
	return ret;
}

/*
 * block|allow add|del PREFIX [customer NAME] [timeout SECONDS] and
 * block|allow list [customer NAME]: runtime entries, site-wide or one
 * customer's; the ruleset is not touched.
 */
struct entry_args {
	const struct customer_conf *cu;		/* NULL: site-wide */
	uint32_t timeout_s;
	struct gw_prefix p;
};

static int entry_args(struct gwd *g, int argc, const char *const *argv, int first,
		      bool timeout_ok, struct entry_args *a, struct ctl_reply *r)
{
	char *end;
	unsigned long v;

	memset(a, 0, sizeof(*a));
	for (int i = first; i < argc; i += 2) {
		if (i + 1 == argc)
			return ctl_reply_error(r, -EINVAL, "%s: a value is missing", argv[i]);
		if (!strcmp(argv[i], "customer")) {
			a->cu = conf_customer(g->conf, argv[i + 1]);
			if (!a->cu)
				return ctl_reply_error(r, -ENOENT, "no customer %s", argv[i + 1]);
			if (!a->cu->filter.present)
				return ctl_reply_error(r, -ENOENT, "customer %s has no filter",
						       argv[i + 1]);
		} else if (!strcmp(argv[i], "timeout") && timeout_ok) {
			errno = 0;
			v = strtoul(argv[i + 1], &end, 10);
			if (errno || *end || !v || v > 365UL * 86400)
				return ctl_reply_error(r, -EINVAL, "timeout %s: not 1 to %lu seconds",
						       argv[i + 1], 365UL * 86400);
			a->timeout_s = (uint32_t)v;
		} else {
			return ctl_reply_error(r, -EINVAL, "unknown argument %s", argv[i]);
		}
	}
	return 0;
}

static int entry_change(struct gwd *g, bool block, bool add, int argc,
			const char *const *argv, struct ctl_reply *r)
{
	struct entry_args a;
	char buf[GW_PREFIXSTRLEN];
	int ret;

	ret = entry_args(g, argc, argv, 1, add, &a, r);
	if (ret < 0)
		return ret;
	if (gw_prefix_parse(argv[0], &a.p) < 0) {
		if (gw_addr_parse(argv[0], &a.p.addr) < 0)
			return ctl_reply_error(r, -EINVAL, "%s is not a prefix or an address "
					       "(host bits must be 0)", argv[0]);
		a.p.len = (uint8_t)(gw_addr_len(a.p.addr.family) * 8);
	}
	ret = gwd_filter_element(g, a.cu ? a.cu->id : 0, block, add, &a.p, a.timeout_s);
	gw_prefix_str(&a.p, buf, sizeof(buf));
	if (ret == -ENOTCONN)
		return ctl_reply_error(r, ret, "nftables is not available to gwd");
	if (ret == -ENOENT && add)
		return ctl_reply_error(r, ret, "the filters are not in force yet");
	if (ret == -EEXIST || ret == -ENOTEMPTY)
		return ctl_reply_error(r, -EEXIST, "%s overlaps an entry of the %s list",
				       buf, block ? "block" : "allow");
	if (ret == -ENOENT && !add)
		return ctl_reply_error(r, -ENOENT, "%s is not in the %s list", buf,
				       block ? "block" : "allow");
	if (ret < 0)
		return ctl_reply_error(r, ret, "%s %s: %s", add ? "adding" : "deleting",
				       buf, strerror(-ret));
	log_info("%s%s: %s %s%s", a.cu ? "customer " : "site", a.cu ? a.cu->name : "",
		 block ? "block" : "allow", add ? "add " : "del ", buf);
	r->result = json_object_new_object();
	add_str(r->result, "prefix", buf);
	add_str(r->result, "scope", a.cu ? a.cu->name : "site");
	if (a.timeout_s)
		add_int(r->result, "timeout_s", a.timeout_s);
	return 0;
}

static int on_entry(void *arg, const struct gw_prefix *p, uint32_t expires_s)
{
	json_object *o = json_object_new_object();
	char buf[GW_PREFIXSTRLEN];

	if (!o)
		return -ENOMEM;
	add_str(o, "prefix", gw_prefix_str(p, buf, sizeof(buf)));
	if (expires_s)
		add_int(o, "expires_s", expires_s);
	if (json_object_array_add(arg, o) < 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	return 0;
}

static int entry_list(struct gwd *g, bool block, int argc, const char *const *argv,
		      struct ctl_reply *r)
{
	struct entry_args a;
	json_object *list;
	int ret;

	ret = entry_args(g, argc, argv, 0, false, &a, r);
	if (ret < 0)
		return ret;
	list = json_object_new_array();
	ret = gwd_filter_elements(g, a.cu ? a.cu->id : 0, block, on_entry, list);
	if (ret < 0) {
		json_object_put(list);
		return ctl_reply_error(r, ret, "cannot list: %s", strerror(-ret));
	}
	r->result = list;
	return 0;
}

static int cmd_block_add(void *ctx, int argc, const char *const *argv, struct ctl_reply *r)
{
	return entry_change(ctx, true, true, argc, argv, r);
}

static int cmd_block_del(void *ctx, int argc, const char *const *argv, struct ctl_reply *r)
{
	return entry_change(ctx, true, false, argc, argv, r);
}

static int cmd_block_list(void *ctx, int argc, const char *const *argv, struct ctl_reply *r)
{
	return entry_list(ctx, true, argc, argv, r);
}

static int cmd_allow_add(void *ctx, int argc, const char *const *argv, struct ctl_reply *r)
{
	return entry_change(ctx, false, true, argc, argv, r);
}

static int cmd_allow_del(void *ctx, int argc, const char *const *argv, struct ctl_reply *r)
{
	return entry_change(ctx, false, false, argc, argv, r);
}

static int cmd_allow_list(void *ctx, int argc, const char *const *argv, struct ctl_reply *r)
{
	return entry_list(ctx, false, argc, argv, r);
}

/* show filter CUSTOMER: the rules in order, each with its counter. */
struct counters {
	const char **names;
	json_object **rules;
	size_t n;
};

static int on_counter(void *arg, const char *name, uint64_t packets, uint64_t bytes)
{
	struct counters *c = arg;

	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->names[i], name))
			continue;
		add_int(c->rules[i], "packets", (int64_t)packets);
		add_int(c->rules[i], "bytes", (int64_t)bytes);
	}
	return 0;
}

/* A rule as one line, in the config's words: what gwctl shows. */
static json_object *rule_json(const struct filter_rule *ru, size_t i)
{
	json_object *o = json_object_new_object();
	char buf[256];
	size_t off = 0;

	off += snprintf(buf + off, sizeof(buf) - off, "%s", ru->monitor ? "monitor " : "");
	if (ru->proto)
		off += snprintf(buf + off, sizeof(buf) - off, "proto %u ", ru->proto);
	if (ru->n_saddr)
		off += snprintf(buf + off, sizeof(buf) - off, "saddr(%zu) ", ru->n_saddr);
	if (ru->n_daddr)
		off += snprintf(buf + off, sizeof(buf) - off, "daddr(%zu) ", ru->n_daddr);
	for (size_t k = 0; k < ru->n_dport && off < sizeof(buf); k++) {
		const struct port_range *d = &ru->dport[k];

		if (d->lo == d->hi)
			off += snprintf(buf + off, sizeof(buf) - off, "dport %u ", d->lo);
		else
			off += snprintf(buf + off, sizeof(buf) - off, "dport %u-%u ",
					d->lo, d->hi);
	}
	if (ru->has_rate && off < sizeof(buf))
		off += snprintf(buf + off, sizeof(buf) - off, "rate %llu%s/%us%s ",
				(unsigned long long)ru->rate,
				ru->rate_unit == RATE_BYTES ? " bytes" : "", ru->rate_per_s,
				ru->per == RATE_PER_SOURCE ? " per source" : "");
	if (off < sizeof(buf))
		snprintf(buf + off, sizeof(buf) - off, "%s",
			 ru->action == FILTER_DROP ? "drop" : "accept");
	add_int(o, "index", (int64_t)i);
	add_str(o, "rule", buf);
	add_int(o, "packets", 0);
	add_int(o, "bytes", 0);
	return o;
}

static int cmd_filter(void *ctx, int argc, const char *const *argv,
		      struct ctl_reply *r)
{
	struct gwd *g = ctx;
	const struct customer_conf *cu = conf_customer(g->conf, argv[0]);
	struct counters c = { 0 };
	json_object *rules, *dflt = NULL;
	char (*names)[NFT_NAME_MAX] = NULL;
	int ret = -ENOMEM;

	if (!cu)
		return ctl_reply_error(r, -ENOENT, "no customer %s", argv[0]);
	if (!cu->filter.present)
		return ctl_reply_error(r, -ENOENT, "customer %s has no filter", argv[0]);
	/* The rules, then the default's counter (netlink/nft.h names it). */
	c.n = cu->filter.n_rules + 1;
	names = calloc(c.n, sizeof(*names));
	c.names = calloc(c.n, sizeof(*c.names));
	c.rules = calloc(c.n, sizeof(*c.rules));
	rules = json_object_new_array();
	dflt = json_object_new_object();
	if (!names || !c.names || !c.rules || !rules || !dflt)
		goto out;
	for (size_t i = 0; i + 1 < c.n; i++) {
		nft_rule_counter(cu->id, &cu->filter, i, names[i]);
		c.names[i] = names[i];
		c.rules[i] = rule_json(&cu->filter.rules[i], i);
		json_object_array_add(rules, c.rules[i]);
	}
	snprintf(names[c.n - 1], NFT_NAME_MAX, "c%u_default", cu->id);
	c.names[c.n - 1] = names[c.n - 1];
	c.rules[c.n - 1] = dflt;
	add_int(dflt, "packets", 0);
	add_int(dflt, "bytes", 0);
	ret = gwd_filter_counters(g, on_counter, &c);
	if (ret < 0) {
		ret = ctl_reply_error(r, ret, "cannot read the counters: %s", strerror(-ret));
		goto out;
	}
	r->result = json_object_new_object();
	add_str(r->result, "customer", cu->name);
	add_str(r->result, "default", cu->filter.def == FILTER_DROP ? "drop" : "accept");
	json_object_object_add(r->result, "default_packets",
			       json_object_get(json_object_object_get(dflt, "packets")));
	json_object_object_add(r->result, "default_bytes",
			       json_object_get(json_object_object_get(dflt, "bytes")));
	json_object_object_add(r->result, "rules", rules);
	rules = NULL;
	ret = 0;
out:
	json_object_put(rules);
	json_object_put(dflt);
	free(names);
	free(c.names);
	free(c.rules);
	return ret;
}

static int cmd_syn(void *ctx, int argc, const char *const *argv,
		   struct ctl_reply *r)
{
	char why[160];
	int ret = gwd_syn_show(ctx, &r->result, why, sizeof(why));

	return ret < 0 ? ctl_reply_error(r, ret, "%s", why) : 0;
}

static int cmd_syn_mode(void *ctx, int argc, const char *const *argv,
			struct ctl_reply *r)
{
	char msg[256];
	int ret = gwd_syn_mode(ctx, argv[0], argv[1], msg, sizeof(msg));

	if (ret < 0)
		return ctl_reply_error(r, ret, "%s", msg);
	r->result = json_object_new_object();
	add_str(r->result, "message", msg);
	return 0;
}

/* {"ops": [...], "create": N, ...} for plan and reload. */
static json_object *plan_json(const struct ks_plan *p)
{
	json_object *o = json_object_new_object(), *ops = json_object_new_array();
	size_t count[OP_DELETE + 1] = { 0 };

	for (size_t i = 0; i < p->n; i++) {
		const struct ks_op *op = &p->ops[i];
		json_object *e = json_object_new_object();

		count[op->kind]++;
		add_str(e, "op", ks_op_kind_name(op->kind));
		add_str(e, "object", op->object);
		if (op->owner[0])
			add_str(e, "customer", op->owner);
		if (op->detail[0])
			add_str(e, "detail", op->detail);
		if (op->err) {
			char buf[256];

			snprintf(buf, sizeof(buf), "%s%s%s", strerror(-op->err),
				 op->errmsg[0] ? ": " : "", op->errmsg);
			add_str(e, "error", buf);
		}
		json_object_array_add(ops, e);
	}
	json_object_object_add(o, "ops", ops);
	for (int k = OP_CREATE; k <= OP_DELETE; k++)
		add_int(o, ks_op_kind_name(k), (int64_t)count[k]);
	add_int(o, "changes", (int64_t)(p->n - p->n_failed));
	add_int(o, "failed", (int64_t)p->n_failed);
	return o;
}

static int diag_error(struct ctl_reply *r, const struct conf_diag *d,
		      const char *file)
{
	for (size_t i = 0; i < d->n; i++)
		ctl_reply_detail(r, "%s", d->msg[i]);
	if (d->dropped)
		ctl_reply_detail(r, "(and %zu more)", d->dropped);
	return ctl_reply_error(r, -EINVAL, "%s has errors, not reloading", file);
}

static int cmd_plan(void *ctx, int argc, const char *const *argv,
		    struct ctl_reply *r)
{
	struct gwd *g = ctx;
	struct conf_diag d = { 0 };
	struct ks_plan p;
	int ret;

	ret = gwd_plan(g, argv[0], &d, &p);
	if (ret && d.n) {
		/* The file: unreadable, too large or invalid; d says which. */
		diag_error(r, &d, argv[0]);
		snprintf(r->message, sizeof(r->message), "%s has errors", argv[0]);
	} else if (ret) {
		ret = ctl_reply_error(r, ret, "cannot read the kernel's state: %s",
				      strerror(-ret));
	} else {
		r->result = plan_json(&p);
	}
	conf_diag_free(&d);
	ks_plan_free(&p);
	return ret;
}

static int cmd_reload(void *ctx, int argc, const char *const *argv,
		      struct ctl_reply *r)
{
	struct gwd *g = ctx;
	struct conf_diag d = { 0 };
	struct ks_plan p = { 0 };
	int ret;

	ret = gwd_reload(g, &d, &p);
	if (ret && d.n) {
		ret = diag_error(r, &d, g->conf_file);
	} else if (ret && ret != -EIO) {
		ret = ctl_reply_error(r, ret, "reload failed: %s", strerror(-ret));
	} else {
		/* Objects that failed are in the result; the reload itself took effect. */
		r->result = plan_json(&p);
		ret = 0;
	}
	conf_diag_free(&d);
	ks_plan_free(&p);
	return ret;
}

/* drain CUSTOMER PATH [force], undrain CUSTOMER PATH */
static int drain(struct gwd *g, int argc, const char *const *argv, bool on,
		 struct ctl_reply *r)
{
	const struct customer_conf *cu;
	json_object *o;
	char msg[256];
	bool force = false;
	int ret;

	if (argc == 3) {
		if (strcmp(argv[2], "force"))
			return ctl_reply_error(r, -EINVAL, "\"%.32s\" is not \"force\"", argv[2]);
		force = true;
	}
	ret = gwd_drain(g, argv[0], argv[1], on, force, msg, sizeof(msg));
	if (ret < 0)
		return ctl_reply_error(r, ret, "%s", msg);
	cu = conf_customer(g->conf, argv[0]);
	o = json_object_new_object();
	add_str(o, "message", msg);
	add_str(o, "customer", cu->name);
	add_str(o, "path", argv[1]);
	json_object_object_add(o, "drained", json_object_new_boolean(on));
	json_object_object_add(o, "active", active_json(g, cu));
	r->result = o;
	return 0;
}

static int cmd_drain(void *ctx, int argc, const char *const *argv,
		     struct ctl_reply *r)
{
	return drain(ctx, argc, argv, true, r);
}

static int cmd_undrain(void *ctx, int argc, const char *const *argv,
		       struct ctl_reply *r)
{
	return drain(ctx, argc, argv, false, r);
}

static const struct ctl_command commands[] = {
	{ "status", NULL, 0, 0, cmd_status, "status" },
	{ "show", "customers", 0, 0, cmd_customers, "show customers" },
	{ "show", "paths", 0, 0, cmd_paths, "show paths" },
	{ "show", "ipsec", 0, 1, cmd_ipsec, "show ipsec [CUSTOMER]" },
	{ "show", "filter", 1, 1, cmd_filter, "show filter CUSTOMER" },
	{ "show", "syn", 0, 0, cmd_syn, "show syn" },
	{ "syn", "mode", 2, 2, cmd_syn_mode, "syn mode PREFIX off|monitor|on|auto|config" },
	{ "block", "add", 1, 5, cmd_block_add, "block add PREFIX [customer NAME] [timeout SECONDS]" },
	{ "block", "del", 1, 3, cmd_block_del, "block del PREFIX [customer NAME]" },
	{ "block", "list", 0, 2, cmd_block_list, "block list [customer NAME]" },
	{ "allow", "add", 1, 5, cmd_allow_add, "allow add PREFIX [customer NAME] [timeout SECONDS]" },
	{ "allow", "del", 1, 3, cmd_allow_del, "allow del PREFIX [customer NAME]" },
	{ "allow", "list", 0, 2, cmd_allow_list, "allow list [customer NAME]" },
	{ "plan", NULL, 1, 1, cmd_plan, "plan FILE" },
	{ "reload", NULL, 0, 0, cmd_reload, "reload" },
	{ "drain", NULL, 2, 3, cmd_drain, "drain CUSTOMER PATH [force]" },
	{ "undrain", NULL, 2, 2, cmd_undrain, "undrain CUSTOMER PATH" },
};

int gwd_ctl_open(struct gwd *g)
{
	return ctl_open(g->ev, g->conf->site.control_socket, commands,
			sizeof(commands) / sizeof(commands[0]), g, &g->ctl);
}
