// SPDX-License-Identifier: GPL-2.0
/*
 * The site's block and allow lists in the XDP program: blocked sources are
 * dropped before anything else looks at them, allowed ones pass first (as
 * in the filter, allow wins).  There is one source of truth, the filter's:
 * site.filter.block/allow in the config and the runtime entries gwctl block
 * and allow add, which the filter mirrors (gwd/filter.c).  These maps copy
 * them, whole at every config and entry by entry in between; a customer's
 * own lists only exist in nftables, where the destination is known.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "gwd/gwd.h"
#include "gwd/log.h"
#include "gwd/syn.h"
#include "gwd/xdp/syn-shared.h"

struct entry {
	bool block;
	int family;
	struct syn_lpm_v6 k;		/* the map's key (its head, for IPv4) */
	uint64_t expires_ns;		/* bpf_ktime_get_ns() time; 0: never */
};

struct want {
	struct entry *e;
	size_t n;
	uint64_t now_us, now_ns;
	uint64_t next_us;		/* the first runtime entry to expire */
};

static uint64_t ktime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int list_map(const struct syn *s, bool block, int family)
{
	if (family == AF_INET6)
		return block ? s->m_blk6 : s->m_alw6;
	return block ? s->m_blk4 : s->m_alw4;
}

static void key_of(const struct gw_prefix *p, struct syn_lpm_v6 *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = p->len;
	memcpy(k->addr, p->addr.raw, gw_addr_len(p->addr.family));
}

static int want_add(struct want *w, bool block, const struct gw_prefix *p,
		    uint64_t expires_ns)
{
	struct entry *e = realloc(w->e, (w->n + 1) * sizeof(*e));

	if (!e)
		return -ENOMEM;
	w->e = e;
	e = &e[w->n++];
	*e = (struct entry){ .block = block, .family = p->addr.family,
			     .expires_ns = expires_ns };
	key_of(p, &e->k);
	return 0;
}

static int on_runtime(void *arg, bool block, const struct gw_prefix *p,
		      uint64_t expires_us)
{
	struct want *w = arg;
	uint64_t exp = 0;

	if (expires_us) {
		if (expires_us <= w->now_us)
			return 0;
		exp = w->now_ns + (expires_us - w->now_us) * 1000;
		if (!w->next_us || expires_us < w->next_us)
			w->next_us = expires_us;
	}
	return want_add(w, block, p, exp);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->block != y->block)
		return x->block - y->block;
	if (x->family != y->family)
		return x->family - y->family;
	return memcmp(&x->k, &y->k, sizeof(x->k));
}

/* w->e sorted by entry_cmp: lists of many thousand entries stay cheap. */
static bool wanted_key(const struct want *w, bool block, int family,
		       const struct syn_lpm_v6 *k)
{
	struct entry key = { .block = block, .family = family };

	memcpy(&key.k, k, sizeof(key.k));
	if (family == AF_INET)		/* the map's key is 8 bytes: the rest 0 */
		memset((char *)&key.k + sizeof(struct syn_lpm_v4), 0,
		       sizeof(key.k) - sizeof(struct syn_lpm_v4));
	return bsearch(&key, w->e, w->n, sizeof(*w->e), entry_cmp) != NULL;
}

/* One entry per key (sorted): a config entry and a runtime one, or two
 * runtime ones, for the same prefix: the one that lasts longer wins. */
static void merge(struct want *w)
{
	size_t k = 0;

	for (size_t i = 0; i < w->n; i++) {
		struct entry *e = &w->e[i];

		if (k && !entry_cmp(&w->e[k - 1], e)) {
			struct entry *kept = &w->e[k - 1];

			if (!e->expires_ns || (kept->expires_ns && e->expires_ns > kept->expires_ns))
				kept->expires_ns = e->expires_ns;
			continue;
		}
		w->e[k++] = *e;
	}
	w->n = k;
}

/* Entries of one map that nothing wants any more. */
static int prune(struct syn *s, const struct want *w, bool block, int family)
{
	int fd = list_map(s, block, family);
	struct syn_lpm_v6 key, next, *gone = NULL;
	size_t n_gone = 0;
	void *prev = NULL;
	int ret = 0;

	memset(&next, 0, sizeof(next));
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!wanted_key(w, block, family, &next)) {
			struct syn_lpm_v6 *g = realloc(gone, (n_gone + 1) * sizeof(*g));

			if (!g) {
				ret = -ENOMEM;
				break;
			}
			gone = g;
			gone[n_gone++] = next;
		}
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < n_gone; i++)
		bpf_map_delete_elem(fd, &gone[i]);
	free(gone);
	return ret;
}

static int put(struct syn *s, const struct entry *e)
{
	struct syn_block v = { .expires_ns = e->expires_ns };

	return bpf_map_update_elem(list_map(s, e->block, e->family), &e->k, &v,
				   BPF_ANY) ? -errno : 0;
}

int syn_lists_sync(struct gwd *g, const struct gw_conf *c)
{
	const struct ip_sets_conf *site = &c->site.filter;
	struct syn *s = g->syn;
	struct want w = { .now_us = gwd_now_us(g), .now_ns = ktime_ns() };
	size_t failed = 0;
	int ret = 0;

	for (size_t i = 0; i < site->n_block && !ret; i++)
		ret = want_add(&w, true, &site->block[i], 0);
	for (size_t i = 0; i < site->n_allow && !ret; i++)
		ret = want_add(&w, false, &site->allow[i], 0);
	if (!ret)
		ret = gwd_filter_site_entries(g, on_runtime, &w);
	if (ret == -ENOTCONN)		/* no nftables: the config's lists only */
		ret = 0;
	if (w.n)
		qsort(w.e, w.n, sizeof(*w.e), entry_cmp);
	merge(&w);
	s->lists_expire_us = w.next_us;
	for (int b = 0; b < 2 && !ret; b++) {
		ret = prune(s, &w, b, AF_INET);
		if (!ret)
			ret = prune(s, &w, b, AF_INET6);
	}
	for (size_t i = 0; i < w.n && !ret; i++)
		failed += put(s, &w.e[i]) < 0;
	if (failed)
		log_err("syn: %zu block or allow entries could not be written "
			"(at most %u per list and family)", failed, SYN_MAX_BLOCKED);
	if (ret < 0)
		log_err("syn: block and allow lists: %s", strerror(-ret));
	free(w.e);
	return ret;
}

void gwd_syn_list_entry(struct gwd *g, bool block, bool add,
			const struct gw_prefix *p, uint32_t timeout_s)
{
	const struct ip_sets_conf *site = &g->conf->site.filter;
	const struct gw_prefix *list = block ? site->block : site->allow;
	size_t n = block ? site->n_block : site->n_allow;
	struct syn *s = g->syn;
	struct entry e = { .block = block, .family = p->addr.family };
	int ret;

	if (!s || !s->att)
		return;
	key_of(p, &e.k);
	/* The config's entry stays, without an expiry, whatever gwctl does. */
	for (size_t i = 0; i < n; i++)
		if (gw_prefix_eq(&list[i], p))
			return;
	if (!add) {
		bpf_map_delete_elem(list_map(s, block, p->addr.family), &e.k);
		return;
	}
	if (timeout_s) {
		uint64_t at = gwd_now_us(g) + timeout_s * 1000000ULL;

		e.expires_ns = ktime_ns() + timeout_s * 1000000000ULL;
		/* Out of the map when it expires: an expired /32 would hide a
		 * shorter entry that still holds (the longest prefix matches). */
		if (!s->lists_expire_us || at < s->lists_expire_us)
			s->lists_expire_us = at;
	}
	ret = put(s, &e);
	if (ret < 0)
		log_err("syn: the %s entry is in nftables but not in the XDP "
			"program: %s", block ? "block" : "allow", strerror(-ret));
}
