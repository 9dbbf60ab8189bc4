// SPDX-License-Identifier: GPL-2.0
/*
 * gwd's nftables table at run time (netlink/nft.h has its layout): applied
 * with every config, checked five times a second and restored when someone
 * deleted it, and the runtime block and allow entries, which gwd mirrors
 * so that a restore brings them back with what is left of their timeouts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gwd/gwd.h"
#include "gwd/log.h"
#include "netlink/nft.h"

/* A deleted table is back within a second, its apply included. */
#define FILTER_CHECK_US	(200 * 1000ULL)
#define FILTER_RETRY_US	(5 * 1000000ULL)	/* after a restore that failed */

/* A runtime entry, as gwctl block/allow made it. */
struct rt_elem {
	uint32_t id;			/* customer id; 0: site-wide */
	bool block;
	struct gw_prefix p;
	uint64_t expires_us;		/* CLOCK_MONOTONIC; 0: never */
	uint64_t added_us;		/* CLOCK_MONOTONIC */
};

struct filter {
	struct nft *nft;
	sd_event_source *check;
	bool failing;			/* the last restore failed: said once */
	bool applied;			/* a config is in force */
	struct rt_elem *elems;
	size_t n, cap;
};

static struct rt_elem *elem_find(struct filter *f, uint32_t id, bool block,
				 const struct gw_prefix *p)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->elems[i].id == id && f->elems[i].block == block &&
		    gw_prefix_eq(&f->elems[i].p, p))
			return &f->elems[i];
	return NULL;
}

static int elem_add(struct filter *f, const struct rt_elem *e)
{
	struct rt_elem *v = elem_find(f, e->id, e->block, &e->p);

	if (v) {
		*v = *e;
		return 0;
	}
	/* Before growing, forget what expired: timed entries come and go. */
	for (size_t i = 0; f->n == f->cap && i < f->n;) {
		if (f->elems[i].expires_us && f->elems[i].expires_us <= e->added_us)
			f->elems[i] = f->elems[--f->n];
		else
			i++;
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;

		v = realloc(f->elems, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		f->elems = v;
		f->cap = cap;
	}
	f->elems[f->n++] = *e;
	return 0;
}

static void elem_del(struct filter *f, struct rt_elem *e)
{
	*e = f->elems[--f->n];
}

/* Entries of customers gone from the config went with their filter. */
static void elems_prune(struct gwd *g, struct filter *f, const struct gw_conf *c)
{
	uint64_t now = gwd_now_us(g);

	for (size_t i = 0; i < f->n;) {
		const struct rt_elem *e = &f->elems[i];
		bool keep = !e->expires_us || e->expires_us > now;

		if (keep && e->id) {
			keep = false;
			for (size_t k = 0; k < c->n_customers && !keep; k++)
				keep = c->customers[k].id == e->id &&
				       c->customers[k].filter.present;
		}
		if (keep)
			i++;
		else
			elem_del(f, &f->elems[i]);
	}
}

struct adopt {
	struct gwd *g;
	uint32_t id;
	bool block;
};

static int on_adopt(void *arg, const struct gw_prefix *p, uint32_t expires_s)
{
	struct adopt *a = arg;
	struct rt_elem e = { .id = a->id, .block = a->block, .p = *p };

	if (expires_s)
		e.expires_us = gwd_now_us(a->g) + expires_s * 1000000ULL;
	return elem_add(a->g->filter, &e);
}

/* What an earlier run left in the runtime sets is ours to keep. */
static void elems_adopt(struct gwd *g)
{
	const struct gw_conf *c = g->conf;
	struct filter *f = g->filter;

	for (size_t k = 0; k <= c->n_customers; k++) {
		uint32_t id = k ? c->customers[k - 1].id : 0;

		if (k && !c->customers[k - 1].filter.present)
			continue;
		for (int block = 0; block < 2; block++) {
			struct adopt a = { .g = g, .id = id, .block = block };
			int ret = nft_elements(f->nft, id, block, on_adopt, &a);

			if (ret < 0)
				log_warn("filter: cannot read the runtime %s entries%s: %s",
					 block ? "block" : "allow", id ? " of a customer" : "",
					 strerror(-ret));
		}
	}
}

/* Put the mirror back into a table that lost it (restored after a delete). */
static void elems_restore(struct gwd *g)
{
	struct filter *f = g->filter;
	uint64_t now = gwd_now_us(g);
	size_t failed = 0;

	for (size_t i = 0; i < f->n; i++) {
		const struct rt_elem *e = &f->elems[i];
		uint32_t left = 0;

		if (e->expires_us && e->expires_us <= now)
			continue;
		if (e->expires_us)
			left = (uint32_t)((e->expires_us - now + 999999) / 1000000);
		if (nft_element(f->nft, e->id, e->block, true, &e->p, left) < 0)
			failed++;
	}
	if (failed)
		log_err("filter: %zu runtime entries could not be restored", failed);
}

/*
 * Whenever the table was gone, whoever applies (a reload, the check) puts
 * the runtime entries back: the mirror must not claim what the kernel lost.
 */
int gwd_filter_apply(struct gwd *g, const struct gw_conf *c, char *why, size_t len)
{
	struct filter *f = g->filter;
	char owner[NFT_OWNER_MAX] = "";
	int existed, ret;

	if (!f)
		return 0;
	existed = nft_table_exists(f->nft);
	ret = nft_apply(f->nft, c, owner, sizeof(owner));
	if (ret < 0) {
		snprintf(why, len, "%s%s%s", owner, owner[0] ? ": " : "",
			 strerror(-ret));
		return ret;
	}
	f->failing = false;
	elems_prune(g, f, c);
	/* The first apply of this run adopts what an earlier one left. */
	if (!f->applied && existed > 0)
		elems_adopt(g);
	else if (existed == 0)
		elems_restore(g);
	f->applied = true;
	return 0;
}

/* Five times a second: is the table still there?  If not, all of it again. */
static int on_check(sd_event_source *s, uint64_t usec, void *arg)
{
	struct gwd *g = arg;
	char why[160];
	int ret;

	struct filter *f = g->filter;

	sd_event_source_set_time(s, usec + FILTER_CHECK_US);
	ret = nft_table_exists(f->nft);
	/* There (and in force), or cannot tell: look again. */
	if (ret < 0 || (ret > 0 && f->applied))
		return 0;
	if (!f->failing)
		log_warn("filter: table inet gwd is %s; applying it",
			 ret ? "not in force" : "gone");
	ret = gwd_filter_apply(g, g->conf, why, sizeof(why));
	if (ret < 0) {
		/* Said once; tried again less often until it works. */
		if (!f->failing)
			log_err("filter: cannot restore table inet gwd: %s", why);
		f->failing = true;
		sd_event_source_set_time(s, usec + FILTER_RETRY_US);
		return 0;
	}
	log_info("filter: table inet gwd in force, %zu runtime entries", f->n);
	return 0;
}

int gwd_filter_open(struct gwd *g)
{
	struct filter *f;
	char why[160];
	int ret;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	g->filter = f;
	ret = nft_open(&f->nft);
	if (ret < 0)
		goto fail;
	ret = gwd_filter_apply(g, g->conf, why, sizeof(why));
	if (ret < 0) {
		/* The daemon delivers all the same; the check tries again. */
		log_err("filter: cannot apply table inet gwd: %s", why);
		f->failing = true;
	}
	ret = sd_event_add_time_relative(g->ev, &f->check, CLOCK_MONOTONIC,
					 FILTER_CHECK_US, 1000, on_check, g);
	if (ret < 0)
		goto fail;
	sd_event_source_set_enabled(f->check, SD_EVENT_ON);
	return 0;
fail:
	gwd_filter_close(g);
	return ret;
}

void gwd_filter_close(struct gwd *g)
{
	struct filter *f = g->filter;

	if (!f)
		return;
	sd_event_source_disable_unref(f->check);
	nft_close(f->nft);
	free(f->elems);
	free(f);
	g->filter = NULL;
}

int gwd_filter_element(struct gwd *g, uint32_t id, bool block, bool add,
		       const struct gw_prefix *p, uint32_t timeout_s)
{
	struct filter *f = g->filter;
	struct rt_elem e = { .id = id, .block = block, .p = *p };
	struct rt_elem *have;
	int ret;

	if (!f)
		return -ENOTCONN;
	have = elem_find(f, id, block, p);
	/*
	 * The kernel keeps an entry's timeout when it is added again, so an
	 * entry added anew is deleted first (for the length of one request,
	 * the entry is not in force).
	 */
	if (add && have)
		nft_element(f->nft, id, block, false, p, 0);
	ret = nft_element(f->nft, id, block, add, p, timeout_s);
	if (!add) {
		/* Gone either way: the next restore must not bring it back. */
		if (have)
			elem_del(f, have);
		if (!id)
			gwd_syn_list_entry(g, block, false, p, 0);
		return ret;
	}
	if (ret < 0)
		return ret;
	if (!id)
		gwd_syn_list_entry(g, block, true, p, timeout_s);
	e.added_us = gwd_now_us(g);
	if (timeout_s)
		e.expires_us = e.added_us + timeout_s * 1000000ULL;
	if (elem_add(f, &e) < 0)
		log_err("filter: out of memory: a restore would miss %s entry",
			block ? "a block" : "an allow");
	return 0;
}

int gwd_filter_site_entries(struct gwd *g,
			    int (*cb)(void *, bool, const struct gw_prefix *, uint64_t),
			    void *arg)
{
	struct filter *f = g->filter;
	int ret;

	if (!f)
		return -ENOTCONN;
	for (size_t i = 0; i < f->n; i++) {
		if (f->elems[i].id)
			continue;
		ret = cb(arg, f->elems[i].block, &f->elems[i].p, f->elems[i].expires_us);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int gwd_filter_elements(struct gwd *g, uint32_t id, bool block,
			int (*cb)(void *, const struct gw_prefix *, uint32_t),
			void *arg)
{
	if (!g->filter)
		return -ENOTCONN;
	return nft_elements(g->filter->nft, id, block, cb, arg);
}

int gwd_filter_counters(struct gwd *g,
			int (*cb)(void *, const char *, uint64_t, uint64_t),
			void *arg)
{
	if (!g->filter)
		return -ENOTCONN;
	return nft_counters(g->filter->nft, cb, arg);
}
