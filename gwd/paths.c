// SPDX-License-Identifier: GPL-2.0
/*
 * Path state from link state.  Kernel events that touch gwd's objects, or a
 * link a path needs, schedule one re-apply shortly after, so that a burst (a
 * link deleted takes its addresses and routes along) costs one apply; the
 * apply's dump, not the events (which may be stale by then), updates the
 * link cache.
 */
#include <errno.h>
#include <linux/fib_rules.h>
#include <stdio.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "gwd/desired.h"
#include "gwd/gwd.h"
#include "gwd/ipsec.h"
#include "gwd/log.h"
#include "netlink/msg.h"

#define RESYNC_DELAY_US	20000
/* Event-driven applies that keep changing things back off up to this. */
#define RESYNC_MAX_US	5000000

const struct path_rt *gwd_path_rt(const struct gwd *g,
				  const struct customer_conf *cu,
				  const struct path_conf *p)
{
	const struct customer_conf *first = g->conf->customers;

	if (!g->rt)
		return NULL;
	if (cu >= first && cu < first + g->conf->n_customers)
		return &g->rt[g->rt_base[cu - first] + (size_t)(p - cu->paths)];
	/* A config that is not the running one (gwctl plan): by name. */
	for (size_t k = 0; g->rt[k].g; k++)
		if (!strcmp(g->rt[k].customer, cu->name) && !strcmp(g->rt[k].path, p->name))
			return &g->rt[k];
	return NULL;
}

/*
 * By its link: a link that is up, or that does not exist yet but will come
 * up when created (a GRE tunnel always does, a VLAN only on a parent that is
 * up).  A VLAN path on a missing or down port must not attract traffic.
 */
static bool link_usable(const struct gwd *g, const struct path_conf *p)
{
	const struct ks_link *l = kstate_link(&g->links, p->ifname), *parent;

	if (l)
		return l->oper_up;
	if (p->type != PATH_VLAN)
		return true;
	parent = kstate_link(&g->links, p->parent);
	return parent && parent->up && parent->oper_up;
}

const char *gwd_path_state(const struct gwd *g, const struct customer_conf *cu,
			   const struct path_conf *p)
{
	const struct ks_link *l = kstate_link(&g->links, p->ifname);
	const struct path_rt *rt = gwd_path_rt(g, cu, p);

	if (rt && rt->drained)
		return "drained";
	if (!l)
		return "missing";
	if (!l->oper_up)
		return "down";
	if (p->type == PATH_IPSEC && !gwd_ipsec_usable(g, p, rt && rt->carried))
		return "down";
	return rt ? health_state_name(rt->health.state) : "up";
}

int gwd_path_rank(void *arg, const struct customer_conf *cu,
		  const struct path_conf *p)
{
	const struct gwd *g = arg;
	const struct path_rt *rt = gwd_path_rt(g, cu, p);

	if (rt && rt->drained)
		return PATH_DRAINED;
	if (!link_usable(g, p))
		return PATH_UNUSABLE;
	/* Never kept as the last resort either: GRE mode would leave in clear. */
	if (p->type == PATH_IPSEC && !gwd_ipsec_usable(g, p, rt && rt->carried))
		return PATH_UNUSABLE;
	if (!rt || rt->health.state == HEALTH_UP)
		return PATH_UP;
	if (rt->health.state == HEALTH_DEGRADED)
		return PATH_DEGRADED;
	return rt->carried ? PATH_LAST : PATH_UNUSABLE;
}

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

static struct customer_rt *customer_rt(const struct gwd *g,
				       const struct customer_conf *cu)
{
	size_t i = (size_t)(cu - g->conf->customers);

	return g->crt && i < g->conf->n_customers ? &g->crt[i] : NULL;
}

/* Path j of cu, a customer of the running config: its run-time state. */
static struct path_rt *path_rt(struct gwd *g, const struct customer_conf *cu, size_t j)
{
	return &g->rt[g->rt_base[cu - g->conf->customers] + j];
}

bool gwd_customer_deliverable(const struct gwd *g, const struct customer_conf *cu)
{
	const struct customer_rt *c = customer_rt(g, cu);

	return !c || !c->undeliverable;
}

/* "gre1, gre2" for the log. */
static void path_names(const struct customer_conf *cu, const size_t *sel, size_t n,
		       char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < n && off < len; k++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", k ? ", " : "",
					cu->paths[sel[k]].name);
}

void gwd_paths_decided(struct gwd *g, const struct customer_conf *cu)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct customer_rt *c = customer_rt(g, cu);
	bool undeliverable = false;
	char why[256] = "", names[96];
	size_t off;

	if (!c || !g->rt)
		return;
	for (size_t f = 0; f < 2; f++) {
		size_t sel[KS_MAX_NEXTHOPS], n;
		int tier;

		if (!desired_has_family(cu, families[f]))
			continue;
		n = desired_active_paths(cu, families[f], gwd_path_rank, g, sel, &tier);
		if (tier >= PATH_DEGRADED) {
			for (size_t j = 0; j < cu->n_paths; j++)
				if (cu->paths[j].peer.family == families[f])
					path_rt(g, cu, j)->carried = false;
			for (size_t k = 0; k < n; k++)
				path_rt(g, cu, sel[k])->carried = true;
			continue;
		}
		undeliverable = true;
		path_names(cu, sel, n, names, sizeof(names));
		off = strlen(why);
		if (!n)
			snprintf(why + off, sizeof(why) - off,
				 "%sno %s path that is not drained: unreachable",
				 off ? "; " : "", family_name(families[f]));
		else
			snprintf(why + off, sizeof(why) - off, "%sno usable %s path; %s via %s",
				 off ? "; " : "", family_name(families[f]),
				 tier == PATH_LAST ? "keeping the routes of the last that worked" :
				 "routing", names);
	}
	if (undeliverable && !c->undeliverable)
		log_err("ALARM customer %s: not deliverable: %s", cu->name, why);
	else if (!undeliverable && c->undeliverable)
		log_info("customer %s: deliverable again", cu->name);
	c->undeliverable = undeliverable;
}

void gwd_paths_seed(struct gwd *g, const struct kstate *have)
{
	uint64_t now;

	if (g->seeded || !g->rt)
		return;
	g->seeded = true;
	sd_event_now(g->ev, CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < g->conf->n_customers; i++) {
		const struct customer_conf *cu = &g->conf->customers[i];

		for (size_t k = 0; k < cu->n_prefixes; k++) {
			struct ks_route key = { .table = cu->table, .dst = cu->prefixes[k],
						.metric = GWD_ROUTE_METRIC };
			size_t r = kstate_find_route(have, &key);
			uint32_t best = UINT32_MAX;

			if (r == SIZE_MAX)
				continue;
			/* The paths the route uses carried the traffic. */
			for (size_t j = 0; j < cu->n_paths; j++) {
				struct path_rt *rt = path_rt(g, cu, j);

				for (size_t h = 0; h < have->routes[r].n_nh; h++)
					if (!strcmp(have->routes[r].nh[h].ifname, cu->paths[j].ifname)) {
						rt->carried = true;
						if (cu->paths[j].priority < best)
							best = cu->paths[j].priority;
					}
			}
			/* Left out although as good: it was not usable then. */
			for (size_t j = 0; j < cu->n_paths; j++) {
				struct path_rt *rt = path_rt(g, cu, j);

				if (cu->paths[j].peer.family != cu->prefixes[k].addr.family ||
				    rt->carried || rt->drained || cu->paths[j].priority > best ||
				    rt->health.state == HEALTH_DOWN)
					continue;
				health_init_down(&rt->health, now,
						 "not carrying traffic before the start");
				log_info("customer %s: path %s: starts down: the kernel's routes did not use it before the start",
					 cu->name, cu->paths[j].name);
			}
		}
	}
}

/* The probe depends on these; anything else may change under a running probe. */
static bool same_probe(const struct path_conf *a, const struct path_conf *b)
{
	return !strcmp(a->ifname, b->ifname) && gw_prefix_eq(&a->address, &b->address) &&
	       gw_addr_eq(&a->peer, &b->peer) && !memcmp(&a->probe, &b->probe, sizeof(a->probe));
}

static bool customer_known(const struct path_rt *rt, size_t n, const char *name)
{
	for (size_t m = 0; m < n; m++)
		if (!strcmp(rt[m].customer, name))
			return true;
	return false;
}

/*
 * A GRE-mode IPsec path is probed only while its SA is known to be up:
 * without the SA's policies, the probes would leave as GRE in clear.
 */
static bool watch_held(const struct gwd *g, const struct path_conf *p)
{
	return p->type == PATH_IPSEC && p->ipsec_mode == IPSEC_GRE &&
	       gwd_ipsec_sa(g, p) != IPSEC_SA_UP;
}

int gwd_paths_sync(struct gwd *g)
{
	size_t n = 0, k = 0, n_old = 0, n_cust = g->conf->n_customers;
	bool drains_gone = false;
	struct path_rt *rt, *old = g->rt;
	struct customer_rt *crt;
	size_t *base;
	uint64_t now;

	for (size_t i = 0; i < n_cust; i++)
		n += g->conf->customers[i].n_paths;
	rt = calloc(n + 1, sizeof(*rt));
	base = calloc(n_cust + 1, sizeof(*base));
	crt = calloc(n_cust + 1, sizeof(*crt));
	if (!rt || !base || !crt) {
		free(rt);
		free(base);
		free(crt);
		/* Never leave state indexed by another config's layout. */
		gwd_paths_free(g);
		return -ENOMEM;
	}
	if (old)
		while (old[n_old].g)
			n_old++;
	sd_event_now(g->ev, CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < n_cust; i++) {
		const struct customer_conf *cu = &g->conf->customers[i];

		snprintf(crt[i].name, sizeof(crt[i].name), "%s", cu->name);
		for (size_t m = 0; g->crt && g->crt[m].name[0]; m++)
			if (!strcmp(g->crt[m].name, cu->name))
				crt[i] = g->crt[m];
		base[i] = k;
		for (size_t j = 0; j < cu->n_paths; j++, k++) {
			struct path_rt *r = &rt[k], *o = NULL;

			for (size_t m = 0; m < n_old && !o; m++)
				if (!strcmp(old[m].customer, cu->name) &&
				    !strcmp(old[m].path, cu->paths[j].name))
					o = &old[m];
			r->g = g;
			snprintf(r->customer, sizeof(r->customer), "%s", cu->name);
			snprintf(r->path, sizeof(r->path), "%s", cu->paths[j].name);
			r->conf = cu->paths[j];
			/* A drain outlives any change but the path's removal. */
			if (o) {
				r->drained = o->drained;
				r->carried = o->carried;
				o->drained = false;	/* moved: not a removed path's */
			}
			if (o && watch_running(o) && same_probe(&o->conf, &r->conf)) {
				r->health = o->health;
				watch_move(r, o);
			} else if (o) {
				/* New probe settings: new probes, the verdict so far. */
				r->health = o->health;
			} else if (old && customer_known(old, n_old, cu->name)) {
				/* Added to a running customer: proven before it is used. */
				health_init_down(&r->health, now, "added at a reload");
			} else {
				/* At the start (seeded by the first apply), or a new customer. */
				health_init(&r->health, now);
			}
		}
	}
	/* Probes of removed or changed paths stop; new ones start. */
	for (size_t m = 0; m < n_old; m++) {
		watch_stop(&old[m], true);
		if (old[m].drained) {
			log_info("customer %s: path %s removed; so is its drain",
				 old[m].customer, old[m].path);
			drains_gone = true;
		}
	}
	free(old);
	free(g->rt_base);
	free(g->crt);
	g->rt = rt;
	g->rt_base = base;
	g->crt = crt;
	for (k = 0; k < n; k++) {
		int ret = watch_running(&rt[k]) || watch_held(g, &rt[k].conf) ? 0 :
			  watch_start(&rt[k], (uint16_t)(k + 1));

		if (ret < 0)
			log_err("customer %s: path %s: cannot start its %s: %s", rt[k].customer,
				rt[k].path, rt[k].conf.probe.kind == PROBE_BFD ? "BFD session" :
				"probes", strerror(-ret));
	}
	if (drains_gone && gwd_drains_save(g) < 0)
		log_err("cannot save the drains to %s", g->state_dir);
	return 0;
}

static const struct path_conf *find_path(const struct customer_conf *cu,
					 const char *name)
{
	for (size_t j = 0; j < cu->n_paths; j++)
		if (!strcmp(cu->paths[j].name, name))
			return &cu->paths[j];
	return NULL;
}

/* The tier the family's traffic is routed at (PATH_DRAINED: not at all). */
static int family_tier(struct gwd *g, const struct customer_conf *cu, int family)
{
	size_t sel[KS_MAX_NEXTHOPS];
	int tier;

	desired_active_paths(cu, family, gwd_path_rank, g, sel, &tier);
	return tier;
}

int gwd_drain(struct gwd *g, const char *customer, const char *path, bool drain,
	      bool force, char *msg, size_t msg_len)
{
	const struct customer_conf *cu = conf_customer(g->conf, customer);
	const struct path_conf *p = cu ? find_path(cu, path) : NULL;
	struct path_rt *rt = p && g->rt ? path_rt(g, cu, (size_t)(p - cu->paths)) : NULL;
	int family, ret, before, after;

	if (!cu) {
		snprintf(msg, msg_len, "no customer %.64s", customer);
		return -ENOENT;
	}
	if (!rt) {
		snprintf(msg, msg_len, "customer %s has no path %.64s", cu->name, path);
		return -ENOENT;
	}
	if (rt->drained == drain) {
		snprintf(msg, msg_len, "customer %s: path %s is %s", cu->name, p->name,
			 drain ? "already drained" : "not drained");
		return 0;
	}
	family = p->peer.family;
	before = family_tier(g, cu, family);
	rt->drained = drain;
	after = family_tier(g, cu, family);
	/* A drain moves traffic; it never drops it unless forced to. */
	if (drain && !force && desired_has_family(cu, family) &&
	    (after == PATH_DRAINED || (before >= PATH_DEGRADED && after < PATH_DEGRADED))) {
		rt->drained = false;
		snprintf(msg, msg_len,
			 "customer %s: draining %s would leave no %s %s path; not drained (--force drains anyway)",
			 cu->name, p->name, after == PATH_DRAINED ? "undrained" : "usable",
			 family_name(family));
		return -EBUSY;
	}
	ret = gwd_drains_save(g);
	if (ret < 0) {
		rt->drained = !drain;
		snprintf(msg, msg_len, "cannot save the drains to %s: %s; nothing changed",
			 g->state_dir, strerror(-ret));
		return ret;
	}
	log_info("customer %s: path %s: %s by the operator%s", cu->name, p->name,
		 drain ? "drained" : "undrained", force ? " (forced)" : "");
	/*
	 * Make before break: one route replacement moves the traffic over.  A
	 * family left without paths loses its routes, which only the full
	 * apply deletes: now, not after its delay.
	 */
	ret = after == PATH_DRAINED ? gwd_apply(g, "drain", NULL) : gwd_apply_routes(g, cu);
	/* Done all the same: the full apply that follows retries the routes. */
	snprintf(msg, msg_len, "customer %s: path %s %s%s%s%s", cu->name, p->name,
		 drain ? "drained" : "undrained",
		 ret < 0 ? "; the route change failed (" : "",
		 ret < 0 ? strerror(-ret) : "", ret < 0 ? "), retrying" : "");
	return 0;
}

void gwd_paths_free(struct gwd *g)
{
	for (size_t k = 0; g->rt && g->rt[k].g; k++)
		watch_stop(&g->rt[k], false);
	free(g->rt);
	free(g->rt_base);
	free(g->crt);
	g->rt = NULL;
	g->rt_base = NULL;
	g->crt = NULL;
}

static int resync_cb(sd_event_source *s, uint64_t usec, void *arg)
{
	struct gwd *g = arg;

	gwd_apply(g, "kernel event", NULL);
	/*
	 * An apply caused by events that had to change something may cause
	 * events again: fine once, a loop if it never ends (something else
	 * fights over gwd's objects).  Back off while it goes on.
	 */
	if (g->last_apply.changes || !g->last_apply.ok) {
		g->resync_delay_us *= 2;
		if (g->resync_delay_us >= RESYNC_MAX_US) {
			if (g->resync_delay_us / 2 < RESYNC_MAX_US)
				log_warn("gwd's objects keep changing under it; re-applying at most every %d s",
					 RESYNC_MAX_US / 1000000);
			g->resync_delay_us = RESYNC_MAX_US;
		}
	} else {
		g->resync_delay_us = RESYNC_DELAY_US;
	}
	return 0;
}

void gwd_schedule_apply(struct gwd *g)
{
	uint64_t now, at;

	if (g->resync) {
		int enabled = SD_EVENT_OFF;

		sd_event_source_get_enabled(g->resync, &enabled);
		if (enabled != SD_EVENT_OFF)
			return;
	}
	if (!g->resync_delay_us)
		g->resync_delay_us = RESYNC_DELAY_US;
	sd_event_now(g->ev, CLOCK_MONOTONIC, &now);
	at = now + g->resync_delay_us;
	if (!g->resync) {
		/* 1 ms of slack, not sd-event's default 250 ms (accuracy 0). */
		if (sd_event_add_time(g->ev, &g->resync, CLOCK_MONOTONIC, at, 1000,
				      resync_cb, g) < 0)
			log_err("cannot schedule a re-apply");
		return;
	}
	sd_event_source_set_time(g->resync, at);
	sd_event_source_set_enabled(g->resync, SD_EVENT_ONESHOT);
}

/*
 * Whether a link event concerns gwd: one of its links, a link it knows, or
 * one a path needs (its name, or a VLAN's parent).
 */
static bool link_relevant(const struct gwd *g, const struct ks_link *l)
{
	const struct ks_link *known = kstate_link_by_index(&g->links, l->ifindex);

	/* A deleted link's message may lack its alias: the cache has it. */
	if (ks_link_owned(l) || (known && ks_link_owned(known)))
		return true;
	for (size_t i = 0; i < g->conf->n_customers; i++) {
		const struct customer_conf *cu = &g->conf->customers[i];

		for (size_t j = 0; j < cu->n_paths; j++)
			if (!strcmp(cu->paths[j].ifname, l->ifname) ||
			    !strcmp(cu->paths[j].parent, l->ifname))
				return true;
	}
	return false;
}

/*
 * Take a copy of ks's links as the cache, and log each path whose link
 * went up or down since the last one.
 */
void gwd_links_update(struct gwd *g, const struct kstate *ks)
{
	struct kstate copy = { 0 };
	int ret = 0;

	for (size_t i = 0; i < ks->n_links && !ret; i++)
		ret = kstate_add_link(&copy, &ks->links[i]);
	if (ret || kstate_index(&copy)) {
		log_err("out of memory; path states not updated");
		kstate_free(&copy);
		return;
	}
	for (size_t i = 0; i < g->conf->n_customers; i++) {
		const struct customer_conf *cu = &g->conf->customers[i];

		for (size_t j = 0; j < cu->n_paths; j++) {
			const struct path_conf *p = &cu->paths[j];
			const struct ks_link *old = kstate_link(&g->links, p->ifname);
			const struct ks_link *l = kstate_link(&copy, p->ifname);

			if (old && l && old->oper_up != l->oper_up)
				log_info("customer %s: path %s (%s): link %s", cu->name,
					 p->name, p->ifname, l->oper_up ? "up" : "down");
		}
	}
	kstate_free(&g->links);
	g->links = copy;
}

void gwd_kernel_event(void *arg, const struct nlmsghdr *nlh)
{
	struct gwd *g = arg;

	if (!nlh) {
		log_warn("kernel events were lost; dumping again");
		gwd_schedule_apply(g);
		return;
	}
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK: {
		struct ks_link l;

		if (link_parse(nlh, &l) == 0 && link_relevant(g, &l))
			gwd_schedule_apply(g);
		break;
	}
	case RTM_NEWROUTE:
	case RTM_DELROUTE: {
		const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

		if (rtm->rtm_protocol == GWD_RTPROT)
			gwd_schedule_apply(g);
		break;
	}
	case RTM_NEWRULE:
	case RTM_DELRULE: {
		struct ks_rule r;

		if (rule_parse(nlh, &r) == 0)
			gwd_schedule_apply(g);
		break;
	}
	case RTM_NEWADDR:
	case RTM_DELADDR: {
		const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
		const struct ks_link *l = kstate_link_by_index(&g->links,
							      (int)ifa->ifa_index);

		if (l && ks_link_owned(l))
			gwd_schedule_apply(g);
		break;
	}
	}
}

void gwd_path_sa_changed(struct gwd *g, const char *customer, const char *path,
			 bool down, const char *why)
{
	const struct customer_conf *cu = conf_customer(g->conf, customer);
	const struct path_conf *p = cu ? conf_path(cu, path) : NULL;
	struct path_rt *rt = p ? path_rt(g, cu, (size_t)(p - cu->paths)) : NULL;
	enum health_state was;
	char reason[sizeof(rt->health.reason)];
	uint64_t now;

	if (!rt)
		return;
	if (watch_held(g, p)) {
		watch_stop(rt, false);
	} else if (!watch_running(rt)) {
		int ret = watch_start(rt, (uint16_t)(rt - g->rt + 1));

		if (ret < 0)
			log_err("customer %s: path %s: cannot start its probes: %s",
				customer, path, strerror(-ret));
	}
	was = rt->health.state;
	sd_event_now(g->ev, CLOCK_MONOTONIC, &now);
	snprintf(reason, sizeof(reason), "IPsec: %s", why);
	if (down && health_down(&rt->health, reason, now))
		watch_judged(rt, was);
	else
		gwd_apply_routes(g, cu);
}
