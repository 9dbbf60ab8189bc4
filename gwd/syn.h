/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SYN fast path at run time (issue 6), shared by gwd's syn*.c files:
 *   syn.c           attach on site.ingress, the cookie key and its
 *                   rotation, the AF_XDP workers, the 200 ms tick
 *   syn-prefixes.c  the protected prefixes in syn_prefix_v4/v6, their
 *                   counters, mode auto and gwctl's overrides
 *   syn-lists.c     the site's block and allow lists in syn_blocked and
 *                   syn_allowed (the filter's lists: one source of truth)
 *   syn-show.c      gwctl show syn
 * gwd.h has the interface the rest of gwd uses.
 */
#ifndef GWD_SYN_H
#define GWD_SYN_H

#include <net/if.h>
#include <systemd/sd-event.h>

#include "conf/model.h"
#include "gwd/xdp/auto.h"
#include "gwd/xdp/cookie-hash.h"

struct gwd;
struct fastpath;
struct xdp_attached;

/* One AF_XDP socket: an (ingress interface, rx queue). */
struct syn_worker {
	struct gwd *g;
	char ifname[IF_NAMESIZE];
	uint32_t queue;
	struct fastpath *fp;		/* NULL while closed */
	sd_event_source *io;
	uint64_t retry_us;		/* closed: open again at (CLOCK_MONOTONIC) */
	uint64_t backoff_us;
	char error[160];		/* why it is closed, "" when open */
	uint64_t ring_full;		/* the kernel's rx_ring_full at the last tick */
	bool paused;			/* behind: out of syn_xsks for a tick */
	uint64_t behind;		/* ticks it was found behind */
};

/* An interface the program is on, as it was when attached: when any of
 * it changes (the link recreated, its XDP program replaced, its queues
 * changed), attach and workers are done again. */
struct syn_if {
	char name[IF_NAMESIZE];
	int ifindex;
	uint32_t xdp_id;		/* the XDP program on it: ours or a dispatcher */
	const char *mode;		/* "native", "generic" */
	unsigned queues;		/* rx queues: one worker each */
};

/* One protected prefix: a prefix of a customer with "syn". */
struct syn_pfx {
	struct gw_prefix p;
	uint32_t id;			/* syn_prefix_stats index, stable */
	char customer[GW_NAME_MAX];
	struct syn_conf conf;		/* the customer's, as configured */
	int override;			/* -1, or an enum syn_conf_mode from gwctl */
	uint32_t mode;			/* enum syn_mode in the map (0: not in it) */
	struct syn_auto au;		/* the SYN rate of every prefix; mode auto's
					 * transitions for those in auto */
	uint64_t syns;			/* the counter at the last tick */
};

struct syn {
	char obj[4096];			/* syn.bpf.o */
	struct xdp_attached *att;	/* NULL until attached */
	struct syn_if *ifs;		/* attached to, in config order */
	size_t n_if;
	bool attach_failing;		/* said once; retried every SYN_RETRY_US */
	bool attach_partial;		/* some of site.ingress did not exist */
	bool resync;			/* the interfaces changed under us */
	uint64_t attach_retry_us;
	unsigned ticks;
	/* Map fds, owned by att. */
	int m_config, m_keys, m_stats, m_pfx4, m_pfx6, m_pstats;
	int m_blk4, m_blk6, m_alw4, m_alw6;

	struct syn_cookie_keys keys;	/* what the workers sign with; in m_keys */
	uint64_t rotated_us;
	struct syn_worker *w;
	size_t n_w;
	struct syn_pfx *pf;
	size_t n_pf;
	uint8_t used_ids[4096 / 8];	/* SYN_MAX_PREFIXES */
	bool adopted_prefixes;		/* the first sync read the maps */
	uint64_t lists_expire_us;	/* the next runtime entry to expire; 0: none */
	/* Reads of per-CPU maps, every tick for every prefix: allocated once. */
	int ncpus;
	struct syn_prefix_stats *pcpu;	/* ncpus of them */
	sd_event_source *tick, *rotate;
};

/* syn-prefixes.c */
int syn_prefixes_sync(struct gwd *g, const struct gw_conf *c);
void syn_prefixes_tick(struct gwd *g, uint64_t now_us);
void syn_prefixes_forget(struct gwd *g);
const char *syn_conf_mode_name(int mode);
struct syn_prefix_stats;
int syn_prefix_counters(struct syn *s, uint32_t id, struct syn_prefix_stats *sum);
int syn_conf_mode_parse(const char *s);	/* -1 for "config", -EINVAL */

/* syn-lists.c: the maps match the config's site lists and the runtime
 * entries the filter mirrors. */
int syn_lists_sync(struct gwd *g, const struct gw_conf *c);

#endif
