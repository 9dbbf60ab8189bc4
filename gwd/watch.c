// SPDX-License-Identifier: GPL-2.0
/*
 * Watching a path: ICMP probes or a BFD session, whichever its config asks
 * for, feeding the path's health; a change of health reaches the kernel at
 * once as one batch of route changes for the customer.
 *
 * A BFD session needs a few seconds to come up (its packets go out once a
 * second until it is Up, RFC 5880 6.8.3).  Until it has been up once, its
 * being down is no news: the path keeps the state it started with, and only
 * a session still not up after BFD_GRACE_US takes the path down.
 */
#include <errno.h>
#include <string.h>

#include "gwd/bfd.h"
#include "gwd/gwd.h"
#include "gwd/log.h"
#include "gwd/probe.h"

#define BFD_GRACE_US	3000000

/* Log a transition and make it reach the kernel. */
void watch_judged(struct path_rt *rt, enum health_state was)
{
	const struct customer_conf *cu;

	log_info("customer %s: path %s: %s -> %s (%s)", rt->customer, rt->path,
		 health_state_name(was), health_state_name(rt->health.state),
		 rt->health.reason);
	cu = conf_customer(rt->g->conf, rt->customer);
	if (cu)
		gwd_apply_routes(rt->g, cu);
}

static void on_probe(void *arg, bool ok, uint32_t rtt_us)
{
	struct path_rt *rt = arg;
	enum health_state was = rt->health.state;

	if (health_record(&rt->health, &rt->conf.probe, ok, rtt_us, gwd_now_us(rt->g)))
		watch_judged(rt, was);
}

static void on_bfd(void *arg, bool up, const char *reason)
{
	struct path_rt *rt = arg;
	enum health_state was = rt->health.state;

	if (up)
		rt->bfd_was_up = true;
	else if (!rt->bfd_was_up)
		return;		/* still coming up: the grace timer judges */
	if (health_session(&rt->health, &rt->conf.probe, up, reason, gwd_now_us(rt->g)))
		watch_judged(rt, was);
}

static int on_grace(sd_event_source *s, uint64_t usec, void *arg)
{
	struct path_rt *rt = arg;
	enum health_state was = rt->health.state;

	rt->grace = sd_event_source_disable_unref(rt->grace);
	if (!rt->bfd_was_up &&
	    health_session(&rt->health, &rt->conf.probe, false,
			   "session not up 3 s after it started", usec))
		watch_judged(rt, was);
	return 0;
}

int watch_start(struct path_rt *rt, uint16_t ident)
{
	int ret;

	if (rt->conf.probe.kind == PROBE_ICMP)
		return probe_start(rt->g->ev, &rt->conf, ident, on_probe, rt, &rt->probe);
	rt->bfd_was_up = false;
	ret = sd_event_add_time_relative(rt->g->ev, &rt->grace, CLOCK_MONOTONIC,
					 BFD_GRACE_US, 0, on_grace, rt);
	if (ret < 0)
		return ret;
	ret = bfd_start(rt->g->ev, &rt->conf, on_bfd, rt, &rt->bfd);
	if (ret < 0)
		rt->grace = sd_event_source_disable_unref(rt->grace);
	return ret;
}

bool watch_running(const struct path_rt *rt)
{
	return rt->probe || rt->bfd;
}

void watch_move(struct path_rt *to, struct path_rt *from)
{
	to->probe = from->probe;
	to->bfd = from->bfd;
	to->grace = from->grace;
	to->bfd_was_up = from->bfd_was_up;
	from->probe = NULL;
	from->bfd = NULL;
	from->grace = NULL;
	if (to->probe)
		probe_set_arg(to->probe, to);
	if (to->bfd)
		bfd_set_arg(to->bfd, to);
	if (to->grace)
		sd_event_source_set_userdata(to->grace, to);
}

void watch_stop(struct path_rt *rt, bool removed)
{
	probe_stop(rt->probe);
	/* A removed path's peer hears it at once rather than after its detection time. */
	bfd_stop(rt->bfd, removed);
	rt->grace = sd_event_source_disable_unref(rt->grace);
	rt->probe = NULL;
	rt->bfd = NULL;
}

bool watch_bfd_status(const struct path_rt *rt, struct bfd_status *st)
{
	if (!rt->bfd)
		return false;
	bfd_get_status(rt->bfd, st);
	return true;
}
