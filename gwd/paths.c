// SPDX-License-Identifier: GPL-2.0
/*
 * Path state from link state.  Kernel events that touch gwd's objects, or a
 * link a path needs, schedule one re-apply shortly after, so that a burst (a
 * link deleted takes its addresses and routes along) costs one apply; the
 * apply's dump, not the events (which may be stale by then), updates the
 * link cache.
 */
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "gwd/gwd.h"
#include "gwd/log.h"
#include "netlink/msg.h"

#define RESYNC_DELAY_US 20000

const char *gwd_path_state(const struct gwd *g, const struct path_conf *p)
{
	const struct ks_link *l = kstate_link(&g->links, p->ifname);

	if (!l)
		return "missing";
	return l->oper_up ? "up" : "down";
}

/* A link gwd has not seen yet is about to be created up: usable. */
bool gwd_path_usable(void *arg, const struct customer_conf *cu,
		     const struct path_conf *p)
{
	const struct gwd *g = arg;
	const struct ks_link *l = kstate_link(&g->links, p->ifname);

	return !l || l->oper_up;
}

static int resync_cb(sd_event_source *s, uint64_t usec, void *arg)
{
	struct gwd *g = arg;

	gwd_apply(g, "kernel event", NULL);
	return 0;
}

static void schedule_resync(struct gwd *g)
{
	uint64_t now;

	if (g->resync) {
		int enabled = SD_EVENT_OFF;

		sd_event_source_get_enabled(g->resync, &enabled);
		if (enabled != SD_EVENT_OFF)
			return;
	}
	sd_event_now(g->ev, CLOCK_MONOTONIC, &now);
	if (!g->resync) {
		if (sd_event_add_time(g->ev, &g->resync, CLOCK_MONOTONIC,
				      now + RESYNC_DELAY_US, 0, resync_cb, g) < 0)
			log_err("cannot schedule a re-apply after kernel events");
		return;
	}
	sd_event_source_set_time(g->resync, now + RESYNC_DELAY_US);
	sd_event_source_set_enabled(g->resync, SD_EVENT_ONESHOT);
}

/*
 * Whether a link event concerns gwd: one of its links, a link it knows, or
 * one a path needs (its name, or a VLAN's parent).
 */
static bool link_relevant(const struct gwd *g, const struct ks_link *l)
{
	if (ks_link_owned(l) || kstate_link_by_index(&g->links, l->ifindex))
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
	struct kstate copy = { .n_links = ks->n_links };

	copy.links = malloc((ks->n_links ? ks->n_links : 1) * sizeof(*ks->links));
	if (copy.links)
		memcpy(copy.links, ks->links, ks->n_links * sizeof(*ks->links));
	if (!copy.links || kstate_index(&copy)) {
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
		schedule_resync(g);
		return;
	}
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK: {
		struct ks_link l;

		if (link_parse(nlh, &l) == 0 && link_relevant(g, &l))
			schedule_resync(g);
		break;
	}
	case RTM_NEWROUTE:
	case RTM_DELROUTE: {
		const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

		if (rtm->rtm_protocol == GWD_RTPROT)
			schedule_resync(g);
		break;
	}
	case RTM_NEWRULE:
	case RTM_DELRULE: {
		struct ks_rule r;

		if (rule_parse(nlh, &r) == 0)
			schedule_resync(g);
		break;
	}
	case RTM_NEWADDR:
	case RTM_DELADDR: {
		const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
		const struct ks_link *l = kstate_link_by_index(&g->links,
							      (int)ifa->ifa_index);

		if (l && ks_link_owned(l))
			schedule_resync(g);
		break;
	}
	}
}
