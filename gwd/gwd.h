/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's state.  One struct gwd lives for the whole run; it owns the
 * running config, the netlink sockets, the control socket and the link
 * cache that path states are read from.
 */
#ifndef GWD_GWD_H
#define GWD_GWD_H

#include <systemd/sd-event.h>
#include <time.h>

#include "conf/model.h"
#include "gwd/health.h"
#include "netlink/kobj.h"
#include "netlink/reconcile.h"

struct ctl;
struct nlmsghdr;
struct monitor;
struct nl;

struct apply_result {
	time_t time;
	bool ok;
	size_t changes;
	size_t failed;
};

struct reload_result {
	time_t time;
	bool ok;
	char message[256];
};

struct probe;
struct ipsec;
struct filter;
struct syn;

#define GWD_STATE_DIR	"/var/lib/gwd"

/* What gwd knows of a path at run time; survives reloads that keep the path. */
struct path_rt {
	struct gwd *g;
	char customer[GW_NAME_MAX];
	char path[GW_PATH_NAME_MAX];
	struct path_conf conf;		/* as probed: a change restarts the probe */
	struct health health;
	struct probe *probe;		/* icmp: the probes; or */
	struct bfd *bfd;		/* bfd: the session */
	sd_event_source *grace;		/* bfd: until the session first comes up */
	bool bfd_was_up;		/* since the session started */
	bool drained;			/* by the operator: carries no traffic */
	bool carried;			/* chosen the last time a path of its
					 * family was usable: kept if none is */
};

/* What gwd knows of a customer at run time, by name across reloads. */
struct customer_rt {
	char name[GW_NAME_MAX];
	bool undeliverable;		/* a family of its prefixes has no usable path */
};

struct gwd {
	sd_event *ev;
	char *conf_file;		/* absolute path */
	struct gw_conf *conf;		/* the running config */
	struct nl *nl;
	struct monitor *mon;
	struct ctl *ctl;
	struct kstate links;		/* every link, as of the last dump or event */
	char *state_dir;		/* drains.json lives here */
	struct path_rt *rt;		/* one per path, in config order */
	size_t *rt_base;		/* per customer: index of its first path in rt */
	struct customer_rt *crt;	/* one per customer, in config order */
	struct ipsec *ipsec;		/* charon and the IPsec paths; NULL without any */
	struct filter *filter;		/* table inet gwd; NULL until opened */
	struct syn *syn;		/* the SYN fast path; NULL unless configured */
	bool seeded;			/* path states taken from the kernel's routes */
	sd_event_source *resync;	/* pending re-apply after kernel events */
	uint64_t resync_delay_us;	/* grows while event-driven applies keep changing things */
	time_t started;
	struct apply_result last_apply;
	struct reload_result last_reload;
};

/* The event loop's time (CLOCK_MONOTONIC, microseconds): this turn's. */
static inline uint64_t gwd_now_us(const struct gwd *g)
{
	uint64_t now;

	sd_event_now(g->ev, CLOCK_MONOTONIC, &now);
	return now;
}

/*
 * Make the kernel match the running config.  Logs each change once, with
 * names; plan_out (optional) receives the operations.  0, -EIO when some
 * objects failed, other negative errno when nothing could be applied.
 */
int gwd_apply(struct gwd *g, const char *why, struct ks_plan *plan_out);

/*
 * A path state decision, quickly: replace the customer's prefix routes in
 * one batch, without a dump, then schedule the full apply.
 */
int gwd_apply_routes(struct gwd *g, const struct customer_conf *cu);

/*
 * Load the config file again; if it is valid, make it the running config
 * and apply it.  An invalid config changes nothing: d receives its errors
 * and -EINVAL is returned.  SIGHUP and `gwctl reload` both come here.
 */
int gwd_reload(struct gwd *g, struct conf_diag *d, struct ks_plan *plan_out);

/* What applying file would change, without changing anything. */
int gwd_plan(struct gwd *g, const char *file, struct conf_diag *d,
	     struct ks_plan *plan);

/*
 * Path state: "missing" or "down" from its link, else its probes' verdict
 * ("up", "degraded", "down").  The rank orders paths for the routes.
 */
const char *gwd_path_state(const struct gwd *g, const struct customer_conf *cu,
			   const struct path_conf *p);
int gwd_path_rank(void *g, const struct customer_conf *cu,
		  const struct path_conf *p);
const struct path_rt *gwd_path_rt(const struct gwd *g,
				  const struct customer_conf *cu,
				  const struct path_conf *p);
/*
 * Watching a path (watch.c): its probes or BFD session, by its probe kind,
 * feeding rt->health.  watch_move() hands a running watch to the rt that
 * replaces from at a reload; removed: the path is gone (BFD tells the peer).
 */
struct bfd_status;
int watch_start(struct path_rt *rt, uint16_t ident);
bool watch_running(const struct path_rt *rt);
void watch_move(struct path_rt *to, struct path_rt *from);
void watch_stop(struct path_rt *rt, bool removed);
bool watch_bfd_status(const struct path_rt *rt, struct bfd_status *st);
/* rt's health changed from was: log the transition, move the routes. */
void watch_judged(struct path_rt *rt, enum health_state was);

/* Match run-time path state to the running config: keep, start, stop probes. */
int gwd_paths_sync(struct gwd *g);
void gwd_paths_free(struct gwd *g);

/*
 * At the first apply after a start, before anything changes: paths the
 * kernel's routes left out although they would have been chosen were not
 * usable before the restart, so they start down and must prove themselves;
 * the paths the routes use are the ones that last carried traffic.
 */
void gwd_paths_seed(struct gwd *g, const struct kstate *have);

/*
 * The routes of cu were just decided: remember which paths carried its
 * traffic, and raise or clear the not-deliverable alarm.
 */
void gwd_paths_decided(struct gwd *g, const struct customer_conf *cu);
bool gwd_customer_deliverable(const struct gwd *g, const struct customer_conf *cu);

/*
 * An IPsec path's SA came or went (ipsec.c).  down: its CHILD_SA is gone,
 * so the path is down at once, with why, and must prove itself again
 * through its probes; otherwise the routes only follow what the SA state
 * now allows.
 */
void gwd_path_sa_changed(struct gwd *g, const char *customer, const char *path,
			 bool down, const char *why);

/*
 * Drain or undrain a path: its traffic moves to the customer's other paths
 * in one route replacement, and the drain is saved to the state directory.
 * Refuses (-EBUSY, with why in msg) to leave a family of the customer's
 * prefixes without a usable path, unless force.
 */
int gwd_drain(struct gwd *g, const char *customer, const char *path, bool drain,
	      bool force, char *msg, size_t msg_len);

/* The drains of the state directory onto the running paths; write them back. */
int gwd_drains_load(struct gwd *g);
int gwd_drains_save(const struct gwd *g);

/* Replace the link cache with a copy of ks's links; log path links going up or down. */
void gwd_links_update(struct gwd *g, const struct kstate *ks);

/* Apply again soon: after kernel events, or to retry an apply that failed. */
void gwd_schedule_apply(struct gwd *g);

/* Kernel events: schedule a re-apply when gwd's objects or a link it needs moved. */
void gwd_kernel_event(void *g, const struct nlmsghdr *nlh);

/*
 * gwd's nftables table (filter.c): opened with the first config, applied
 * with every valid config before it becomes the running one (a kernel
 * refusal refuses the reload: why names the config's JSON path), checked
 * five times a second and restored with the runtime entries when deleted.
 */
int gwd_filter_open(struct gwd *g);
void gwd_filter_close(struct gwd *g);
int gwd_filter_apply(struct gwd *g, const struct gw_conf *c, char *why, size_t len);
/* A runtime block or allow entry; id 0: site-wide; timeout_s 0: none. */
int gwd_filter_element(struct gwd *g, uint32_t id, bool block, bool add,
		       const struct gw_prefix *p, uint32_t timeout_s);
int gwd_filter_elements(struct gwd *g, uint32_t id, bool block,
			int (*cb)(void *, const struct gw_prefix *, uint32_t),
			void *arg);
int gwd_filter_counters(struct gwd *g,
			int (*cb)(void *, const char *, uint64_t, uint64_t),
			void *arg);
/* The site-wide runtime entries gwd mirrors: cb(arg, block, prefix,
 * expires_us (CLOCK_MONOTONIC, 0: never)).  -ENOTCONN without nftables. */
int gwd_filter_site_entries(struct gwd *g,
			    int (*cb)(void *, bool, const struct gw_prefix *, uint64_t),
			    void *arg);

/*
 * The SYN fast path (syn*.c, gwd/syn.h): attached to site.ingress while
 * the config has "syn" (a customer's or the site's), matched to every
 * running config by gwd_syn_sync(); detached when no config wants it any
 * more.  gwd_syn_close() leaves it attached: it protects while gwd is
 * away, and the next start adopts it.
 */
int gwd_syn_sync(struct gwd *g);
/* At a start: gwd_syn_sync(), and without "syn", the program taken off the
 * ingress interfaces where an earlier run left it. */
int gwd_syn_start(struct gwd *g);
void gwd_syn_close(struct gwd *g);
/* A site-wide runtime block or allow entry was added or deleted. */
void gwd_syn_list_entry(struct gwd *g, bool block, bool add,
			const struct gw_prefix *p, uint32_t timeout_s);
/* gwctl syn mode PREFIX MODE: 0 or -errno, msg saying what was done or why not. */
int gwd_syn_mode(struct gwd *g, const char *prefix, const char *mode,
		 char *msg, size_t len);
/* gwctl show syn: a JSON object in *out (the caller puts it). */
struct json_object;
int gwd_syn_show(struct gwd *g, struct json_object **out, char *why, size_t len);

/* Control socket commands (commands.c). */
int gwd_ctl_open(struct gwd *g);

#endif
