// SPDX-License-Identifier: GPL-2.0
/*
 * The SYN fast path at run time: syn.bpf.o attached to every site.ingress
 * interface while the config asks for it (a customer or the site has
 * "syn"), one AF_XDP worker per rx queue on gwd's event loop, the cookie
 * key rotated every SYN_ROTATE_US, and a tick that samples the counters.
 *
 * gwd stopping (or dying) leaves the program and its pinned maps in place:
 * the prefixes stay protected, authenticated sources stay authenticated,
 * and an unauthenticated SYN to a prefix in mode on takes the site's
 * fallback until a worker is back (a closed AF_XDP socket leaves syn_xsks
 * by itself).  The next start adopts all of it, the key included, so that
 * cookies sent before still check.
 *
 * The workers run at idle priority: BFD, probes and gwctl come first, and
 * a flood costs the control plane nothing but the leftover CPU.
 */
#include <dirent.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <linux/magic.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "gwd/gwd.h"
#include "gwd/log.h"
#include "gwd/syn.h"
#include "gwd/xdp/attach.h"
#include "gwd/xdp/cookie.h"
#include "gwd/xdp/fastpath.h"
#include "gwd/xdp/syn-shared.h"

#ifndef GWD_LIBDIR
#define GWD_LIBDIR	"/usr/local/lib/gwd"
#endif

#define SYN_TICK_US		(200 * 1000ULL)
/* Two slots (137 s) at least, or cookies still in flight die early. */
#define SYN_ROTATE_US		(300 * 1000000ULL)
#define SYN_RETRY_US		(5 * 1000000ULL)
#define SYN_BACKOFF_MIN_US	(1000000ULL)
#define SYN_BACKOFF_MAX_US	(30 * 1000000ULL)
#define SYN_WORKER_BUDGET	256	/* frames per dispatch: ~50 us */

/* The config has "syn" somewhere. */
static bool configured(const struct gw_conf *c)
{
	if (c->site.syn.present)
		return true;
	for (size_t i = 0; i < c->n_customers; i++)
		if (c->customers[i].syn.present)
			return true;
	return false;
}

/* syn.bpf.o: next to the binary in a build tree, else the installed one. */
static int find_object(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n > 0) {
		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			if (snprintf(out, len, "%s/xdp/syn.bpf.o", exe) < (int)len &&
			    !access(out, R_OK))
				return 0;
		}
	}
	snprintf(out, len, "%s/syn.bpf.o", GWD_LIBDIR);
	return access(out, R_OK) ? -errno : 0;
}

/* ---- workers -------------------------------------------------------- */

static void worker_close(struct syn_worker *w, const char *why)
{
	w->io = sd_event_source_disable_unref(w->io);
	fastpath_close(w->fp);
	w->fp = NULL;
	snprintf(w->error, sizeof(w->error), "%s", why);
}

static void worker_failed(struct syn_worker *w, const char *what, int err)
{
	char why[160];

	snprintf(why, sizeof(why), "%s: %s", what, strerror(-err));
	if (strcmp(why, w->error))
		log_err("syn: worker %s queue %u: %s; SYNs to prefixes in mode on "
			"take the fallback (%s) until it is back", w->ifname, w->queue,
			why, w->g->conf->site.syn.fallback == SYN_CONF_DROP ? "drop" : "pass");
	worker_close(w, why);
	w->backoff_us = w->backoff_us ? w->backoff_us * 2 : SYN_BACKOFF_MIN_US;
	if (w->backoff_us > SYN_BACKOFF_MAX_US)
		w->backoff_us = SYN_BACKOFF_MAX_US;
	w->retry_us = gwd_now_us(w->g) + w->backoff_us;
}

static int on_worker(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct syn_worker *w = arg;
	int n;

	/* Level-triggered: what is left of a burst comes back next turn,
	 * after every source of a higher priority had its go. */
	n = fastpath_process(w->fp, SYN_WORKER_BUDGET);
	if (n < 0)
		worker_failed(w, "socket", n);
	else if (revents & (EPOLLERR | EPOLLHUP))
		worker_failed(w, "socket", -ENETDOWN);
	return 0;
}

static void worker_open(struct syn *s, struct syn_worker *w)
{
	struct fastpath_config cfg = {
		.ifname = w->ifname, .queue = w->queue, .keys = &s->keys,
	};
	int ret;

	cfg.xsks_map_fd = xdp_map_fd(s->att, w->ifname, "syn_xsks");
	ret = cfg.xsks_map_fd < 0 ? cfg.xsks_map_fd : fastpath_open(&cfg, &w->fp);
	if (ret < 0) {
		worker_failed(w, "opening its AF_XDP socket", ret);
		return;
	}
	ret = sd_event_add_io(w->g->ev, &w->io, fastpath_fd(w->fp), EPOLLIN,
			      on_worker, w);
	if (ret >= 0)
		ret = sd_event_source_set_priority(w->io, SD_EVENT_PRIORITY_IDLE);
	if (ret < 0) {
		worker_failed(w, "event loop", ret);
		return;
	}
	if (w->error[0])
		log_info("syn: worker %s queue %u is back", w->ifname, w->queue);
	w->error[0] = 0;
	w->backoff_us = 0;
	w->ring_full = 0;
	w->paused = false;
}

/* The rx queues of ifname (at least one). */
static unsigned rx_queues(const char *ifname)
{
	char dir[64 + IF_NAMESIZE];
	struct dirent *e;
	unsigned n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/sys/class/net/%s/queues", ifname);
	d = opendir(dir);
	if (!d)
		return 1;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "rx-", 3);
	closedir(d);
	if (n > SYN_MAX_QUEUES) {
		log_warn("syn: %s has %u rx queues, workers on the first %u only",
			 ifname, n, SYN_MAX_QUEUES);
		n = SYN_MAX_QUEUES;
	}
	return n ? n : 1;
}

static void workers_close(struct syn *s)
{
	for (size_t i = 0; i < s->n_w; i++)
		worker_close(&s->w[i], "");
	free(s->w);
	s->w = NULL;
	s->n_w = 0;
}

/* One worker per (attached interface, rx queue), all opened anew. */
static int workers_open(struct gwd *g, struct syn *s)
{
	size_t n = 0, k = 0;

	workers_close(s);
	for (size_t i = 0; i < s->n_if; i++)
		n += s->ifs[i].queues;
	s->w = calloc(n, sizeof(*s->w));
	if (!s->w)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_if; i++) {
		for (unsigned j = 0; j < s->ifs[i].queues; j++, k++) {
			s->w[k].g = g;
			s->w[k].queue = j;
			snprintf(s->w[k].ifname, IF_NAMESIZE, "%s", s->ifs[i].name);
			worker_open(s, &s->w[k]);
		}
	}
	s->n_w = n;
	return 0;
}

/* ---- the key -------------------------------------------------------- */

static int key_rotate(struct gwd *g, struct syn *s)
{
	struct syn_cookie_keys k = s->keys;
	uint32_t zero = 0;
	int ret;

	ret = cookie_keys_rotate(&k);
	if (ret < 0)
		return ret;
	/* The program first: it must accept what the workers start to send. */
	if (bpf_map_update_elem(s->m_keys, &zero, &k, BPF_ANY))
		return -errno;
	s->keys = k;
	s->rotated_us = gwd_now_us(g);
	explicit_bzero(&k, sizeof(k));
	return 0;
}

static int on_rotate(sd_event_source *src, uint64_t usec, void *arg)
{
	struct gwd *g = arg;
	int ret;

	sd_event_source_set_time(src, usec + SYN_ROTATE_US);
	if (!g->syn->att)
		return 0;
	/* On failure the old key stays in use; cookies are only older. */
	ret = key_rotate(g, g->syn);
	if (ret < 0)
		log_err("syn: rotating the cookie key: %s", strerror(-ret));
	return 0;
}

/* The key an earlier run left is kept: its cookies are still in flight. */
static int key_adopt(struct gwd *g, struct syn *s)
{
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(s->m_keys, &zero, &s->keys))
		return -errno;
	if (s->keys.valid & SYN_COOKIE_CUR_VALID) {
		s->rotated_us = gwd_now_us(g);
		return 0;
	}
	return key_rotate(g, s);
}

/* ---- attach --------------------------------------------------------- */

static int map_fds(struct syn *s)
{
	static const struct { const char *name; size_t off; } maps[] = {
		{ "syn_config", offsetof(struct syn, m_config) },
		{ "syn_cookie_keys", offsetof(struct syn, m_keys) },
		{ "syn_stats", offsetof(struct syn, m_stats) },
		{ "syn_prefix_v4", offsetof(struct syn, m_pfx4) },
		{ "syn_prefix_v6", offsetof(struct syn, m_pfx6) },
		{ "syn_prefix_stats", offsetof(struct syn, m_pstats) },
		{ "syn_blocked_v4", offsetof(struct syn, m_blk4) },
		{ "syn_blocked_v6", offsetof(struct syn, m_blk6) },
		{ "syn_allowed_v4", offsetof(struct syn, m_alw4) },
		{ "syn_allowed_v6", offsetof(struct syn, m_alw6) },
	};

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		int fd = xdp_map_fd(s->att, NULL, maps[i].name);

		if (fd < 0)
			return fd;
		*(int *)((char *)s + maps[i].off) = fd;
	}
	return 0;
}

static uint32_t xdp_prog_on(int ifindex)
{
	uint32_t id = 0;

	if (ifindex > 0)
		bpf_xdp_query_id(ifindex, 0, &id);
	return id;
}

static const char *xdp_mode_on(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (ifindex <= 0 || bpf_xdp_query(ifindex, 0, &q))
		return "?";
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	default:
		return "several";
	}
}

static void if_record(struct syn_if *i, const char *name)
{
	snprintf(i->name, sizeof(i->name), "%s", name);
	i->ifindex = (int)if_nametoindex(name);
	i->xdp_id = xdp_prog_on(i->ifindex);
	i->mode = xdp_mode_on(i->ifindex);
	i->queues = rx_queues(name);
}

/* The interface is not as it was attached (or is gone). */
static bool if_changed(const struct syn_if *i)
{
	int ifindex = (int)if_nametoindex(i->name);

	return ifindex != i->ifindex || xdp_prog_on(ifindex) != i->xdp_id ||
	       rx_queues(i->name) != i->queues;
}

static bool attached_to(const struct syn *s, const char *name)
{
	for (size_t i = 0; i < s->n_if; i++)
		if (!strcmp(s->ifs[i].name, name))
			return true;
	return false;
}

/* Once a second: anything to attach again? */
static bool ifs_changed(const struct syn *s, const struct gw_conf *c)
{
	for (size_t i = 0; i < s->n_if; i++)
		if (if_changed(&s->ifs[i]))
			return true;
	/* A missing ingress interface that appeared. */
	for (size_t i = 0; s->attach_partial && i < c->site.n_ingress; i++)
		if (!attached_to(s, c->site.ingress[i]) && if_nametoindex(c->site.ingress[i]))
			return true;
	return false;
}

static bool same_ifnames(const struct syn *s, const char *const *names, size_t n)
{
	if (s->n_if != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(s->ifs[i].name, names[i]))
			return false;
	return true;
}

/* Interfaces of the last attach not in names lose the program. */
static void detach_removed(struct syn *s, const char *const *names, size_t n)
{
	char why[256];

	for (size_t i = 0; i < s->n_if; i++) {
		bool kept = false;

		for (size_t k = 0; k < n && !kept; k++)
			kept = !strcmp(s->ifs[i].name, names[k]);
		if (kept)
			continue;
		if (xdp_detach_if(NULL, s->ifs[i].name, why, sizeof(why)) < 0)
			log_err("syn: detaching from %s: %s", s->ifs[i].name, why);
		else
			log_info("syn: detached from %s (not in site.ingress, or gone)",
				 s->ifs[i].name);
	}
}

/*
 * Attach to those of c's ingress interfaces that exist (adopting what is
 * there; one missing must not cost the others their protection), unless
 * that is done and nothing changed since.  The workers open anew on a new
 * handle: their sockets go into the new syn_xsks pins.
 */
static int attach(struct gwd *g, struct syn *s, const struct gw_conf *c)
{
	const char *names[c->site.n_ingress];
	struct xdp_attached *att = NULL;
	struct syn_if *ifs;
	size_t n = 0;
	char why[512];
	bool first = !s->att;
	int ret;

	for (size_t i = 0; i < c->site.n_ingress; i++)
		if (if_nametoindex(c->site.ingress[i]))
			names[n++] = c->site.ingress[i];
	if (s->att && !s->attach_failing && !s->resync && n == c->site.n_ingress &&
	    same_ifnames(s, names, n))
		return 0;
	if (n < c->site.n_ingress && !s->attach_partial)
		log_err("syn: %zu of site.ingress do not exist; attached to the "
			"others, watching for them", c->site.n_ingress - n);
	s->attach_partial = n < c->site.n_ingress;
	ret = n ? xdp_attach(s->obj, NULL, names, n, &att, why, sizeof(why)) : -ENODEV;
	if (ret < 0) {
		if (!n)
			snprintf(why, sizeof(why), "none of site.ingress exists");
		if (!s->attach_failing)
			log_err("syn: cannot attach %s: %s; trying again every %llu s",
				s->obj, why, SYN_RETRY_US / 1000000);
		s->attach_failing = true;
		s->attach_retry_us = gwd_now_us(g) + SYN_RETRY_US;
		return ret;
	}
	ifs = calloc(n, sizeof(*ifs));
	if (!ifs) {
		xdp_attached_free(att);
		return -ENOMEM;
	}
	if (s->att)
		detach_removed(s, names, n);
	workers_close(s);
	xdp_attached_free(s->att);
	s->att = att;
	free(s->ifs);
	s->ifs = ifs;
	s->n_if = n;
	for (size_t i = 0; i < n; i++) {
		static const char *const how[] = { "attached", "adopted", "replaced" };
		int h = xdp_attached_how(att, names[i]);

		if_record(&s->ifs[i], names[i]);
		log_info("syn: %s: program %s (id %u)", names[i],
			 h >= 0 && h <= 2 ? how[h] : "?", xdp_attached_prog_id(att, names[i]));
	}
	if (xdp_attached_notes(att)[0])
		log_warn("syn: %s", xdp_attached_notes(att));
	if (s->attach_failing)
		log_info("syn: attached");
	s->attach_failing = false;
	s->resync = false;
	ret = map_fds(s);
	if (!ret && first)
		ret = key_adopt(g, s);
	if (!ret)
		ret = workers_open(g, s);
	return ret;
}

/*
 * A worker falls behind when the kernel drops SYNs for its full RX ring.
 * With fallback drop that is what the fallback would do anyway; with
 * fallback pass its queue takes the fallback for the next tick, and the
 * worker, relieved, catches up meanwhile.
 */
static void worker_check(struct gwd *g, struct syn_worker *w)
{
	struct xdp_statistics xs = { 0 };
	socklen_t len = sizeof(xs);
	bool behind;

	if (w->paused) {
		if (fastpath_pause(w->fp, false) == 0)
			w->paused = false;
		return;
	}
	if (getsockopt(fastpath_fd(w->fp), SOL_XDP, XDP_STATISTICS, &xs, &len))
		return;
	behind = xs.rx_ring_full > w->ring_full;
	w->ring_full = xs.rx_ring_full;
	if (!behind || g->conf->site.syn.fallback == SYN_CONF_DROP)
		return;
	if (!w->behind++)
		log_warn("syn: worker %s queue %u fell behind (SYNs lost to its full "
			 "ring): its SYNs take the fallback (pass) a tick at a time "
			 "while it does", w->ifname, w->queue);
	if (fastpath_pause(w->fp, true) == 0)
		w->paused = true;
}

/* ---- the tick ------------------------------------------------------- */

static int on_tick(sd_event_source *src, uint64_t usec, void *arg)
{
	struct gwd *g = arg;
	struct syn *s = g->syn;
	uint64_t now = gwd_now_us(g);

	/* From now, not from when it was due: a stalled loop must not make
	 * the SYNs of the stall look like a burst (auto would turn on). */
	sd_event_source_set_time(src, now + SYN_TICK_US);
	if (s->att && ++s->ticks % (1000000 / SYN_TICK_US) == 0 &&
	    ifs_changed(s, g->conf)) {
		log_warn("syn: an ingress interface changed (recreated, its XDP "
			 "program replaced, its queues changed); attaching again");
		s->resync = true;
		gwd_syn_sync(g);
	} else if (s->attach_failing && now >= s->attach_retry_us) {
		gwd_syn_sync(g);
	}
	if (!s->att)
		return 0;
	for (size_t i = 0; i < s->n_w; i++) {
		if (s->w[i].fp)
			worker_check(g, &s->w[i]);
		else if (now >= s->w[i].retry_us)
			worker_open(s, &s->w[i]);
	}
	syn_prefixes_tick(g, now);
	if (s->lists_expire_us && now >= s->lists_expire_us)
		syn_lists_sync(g, g->conf);
	return 0;
}

/* ---- life ----------------------------------------------------------- */

/* libbpf and libxdp narrate (a dispatcher refused, a fallback taken);
 * what matters reaches the log as gwd's own error.  Their words: -d. */
static int lib_print(const char *lib, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	if (log_max_level < LOG_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = 0;
	log_debug("%s: %s", lib, line);
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return lib_print("libbpf", fmt, ap);
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return lib_print("libxdp", fmt, ap);
}

static int syn_open(struct gwd *g)
{
	struct syn *s = calloc(1, sizeof(*s));
	struct statfs fs;
	int ret;

	if (!s)
		return -ENOMEM;
	g->syn = s;
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		ret = s->ncpus < 0 ? s->ncpus : -EINVAL;
		goto fail;
	}
	s->pcpu = calloc((size_t)s->ncpus, sizeof(*s->pcpu));
	if (!s->pcpu) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = find_object(s->obj, sizeof(s->obj));
	if (ret < 0) {
		log_err("syn: no syn.bpf.o next to gwd or in %s: %s", GWD_LIBDIR,
			strerror(-ret));
		goto fail;
	}
	/* systemd mounts it; a shell in a fresh mount namespace may not. */
	if (statfs("/sys/fs/bpf", &fs) < 0 || fs.f_type != BPF_FS_MAGIC) {
		log_err("syn: /sys/fs/bpf is not a bpf file system: the SYN fast "
			"path pins its maps there (mount -t bpf bpf /sys/fs/bpf)");
		ret = -ENOTDIR;
		goto fail;
	}
	ret = sd_event_add_time_relative(g->ev, &s->tick, CLOCK_MONOTONIC,
					 SYN_TICK_US, 10000, on_tick, g);
	if (ret >= 0)
		ret = sd_event_add_time_relative(g->ev, &s->rotate, CLOCK_MONOTONIC,
						 SYN_ROTATE_US, 1000000, on_rotate, g);
	if (ret < 0)
		goto fail;
	/* Timers are one-shot unless told otherwise; these rearm themselves. */
	sd_event_source_set_enabled(s->tick, SD_EVENT_ON);
	sd_event_source_set_enabled(s->rotate, SD_EVENT_ON);
	return 0;
fail:
	gwd_syn_close(g);
	return ret;
}

void gwd_syn_close(struct gwd *g)
{
	struct syn *s = g->syn;

	if (!s)
		return;
	workers_close(s);
	sd_event_source_disable_unref(s->tick);
	sd_event_source_disable_unref(s->rotate);
	xdp_attached_free(s->att);
	explicit_bzero(&s->keys, sizeof(s->keys));
	free(s->ifs);
	free(s->pf);
	free(s->pcpu);
	free(s);
	g->syn = NULL;
}

/* Not wanted any more: the program leaves the interfaces it was on. */
static void syn_remove(struct gwd *g)
{
	struct syn *s = g->syn;
	char why[256];

	for (size_t i = 0; i < s->n_if; i++) {
		if (xdp_detach_if(NULL, s->ifs[i].name, why, sizeof(why)) < 0)
			log_err("syn: detaching from %s: %s", s->ifs[i].name, why);
		else
			log_info("syn: detached from %s (no \"syn\" in the config)",
				 s->ifs[i].name);
	}
	/* Overrides end with the fast path: a later "syn" starts afresh. */
	syn_prefixes_forget(g);
	gwd_syn_close(g);
}

static int site_config(struct syn *s, const struct gw_conf *c)
{
	struct syn_config v = {
		.fallback = c->site.syn.fallback == SYN_CONF_DROP ?
			    SYN_FALLBACK_DROP : SYN_FALLBACK_PASS,
	};
	uint32_t zero = 0;

	return bpf_map_update_elem(s->m_config, &zero, &v, BPF_ANY) ? -errno : 0;
}

/*
 * A start whose config has no "syn" takes the program off the ingress
 * interfaces where an earlier run left it (its per-interface pins say so).
 */
static void detach_leftovers(const struct gw_conf *c)
{
	char path[sizeof(XDP_PIN_DIR) + IF_NAMESIZE + 1], why[256];

	for (size_t i = 0; i < c->site.n_ingress; i++) {
		snprintf(path, sizeof(path), "%s/%s", XDP_PIN_DIR, c->site.ingress[i]);
		if (access(path, F_OK))
			continue;
		if (xdp_detach_if(NULL, c->site.ingress[i], why, sizeof(why)) < 0)
			log_err("syn: detaching from %s: %s", c->site.ingress[i], why);
		else
			log_info("syn: detached from %s (no \"syn\" in the config)",
				 c->site.ingress[i]);
	}
}

int gwd_syn_start(struct gwd *g)
{
	const struct gw_conf *c = g->conf;

	if (!configured(c) || !c->site.n_ingress)
		detach_leftovers(c);
	return gwd_syn_sync(g);
}

int gwd_syn_sync(struct gwd *g)
{
	const struct gw_conf *c = g->conf;
	struct syn *s;
	int ret;

	if (configured(c) && !c->site.n_ingress)
		log_warn("syn: \"syn\" is configured but site.ingress is empty: "
			 "nothing to attach to");
	if (!configured(c) || !c->site.n_ingress) {
		if (g->syn)
			syn_remove(g);
		return 0;
	}
	if (!g->syn) {
		ret = syn_open(g);
		if (ret < 0)
			return ret;
	}
	s = g->syn;
	/* A failed attach to a changed ingress list keeps the old one's maps
	 * working; a first one has none yet, and the tick tries again. */
	ret = attach(g, s, c);
	if (ret < 0 && !s->att)
		return ret;
	ret = site_config(s, c);
	if (ret < 0) {
		log_err("syn: writing syn_config: %s", strerror(-ret));
		return ret;
	}
	ret = syn_prefixes_sync(g, c);
	if (ret < 0)
		return ret;
	return syn_lists_sync(g, c);
}
