// SPDX-License-Identifier: GPL-2.0
/*
 * The protected prefixes: every prefix of a customer with "syn", in
 * syn_prefix_v4/v6 with its customer's settings unless its mode is off.
 * Each has a counter slot in syn_prefix_stats that stays its own for as
 * long as the prefix is protected, across reloads and restarts (a start
 * reads the ids back from the maps), so counters and rates go on.
 *
 * Mode auto is decided here, per prefix, from its SYN rate sampled every
 * tick (gwd/xdp/auto.h): on is written as on, off as monitor, so that the
 * program keeps counting the SYNs auto needs.  gwctl's overrides (syn mode
 * PREFIX MODE) last until "config" or until a reload drops the prefix; they
 * are kept in the state directory (syn-modes.json), so that a restart in
 * the middle of an attack does not undo them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "gwd/gwd.h"
#include "gwd/log.h"
#include "gwd/statefile.h"
#include "gwd/syn.h"
#include "gwd/xdp/syn-shared.h"

#define NS_PER_S	1000000000ULL
#define SYN_MODES_FILE	"syn-modes.json"

static const char *const mode_names[] = { "off", "monitor", "on", "auto" };

const char *syn_conf_mode_name(int mode)
{
	return mode >= 0 && mode <= SYN_CONF_AUTO ? mode_names[mode] : "?";
}

int syn_conf_mode_parse(const char *s)
{
	for (int i = 0; i <= SYN_CONF_AUTO; i++)
		if (!strcmp(s, mode_names[i]))
			return i;
	return strcmp(s, "config") ? -EINVAL : -1;
}

static int mode_of(const struct syn_pfx *x)
{
	return x->override >= 0 ? x->override : (int)x->conf.mode;
}

/* What the program is to do for x now. */
static uint32_t map_mode(const struct syn_pfx *x)
{
	switch (mode_of(x)) {
	case SYN_CONF_MONITOR:
		return SYN_MODE_MONITOR;
	case SYN_CONF_ON:
		return SYN_MODE_ON;
	case SYN_CONF_AUTO:
		return x->au.on ? SYN_MODE_ON : SYN_MODE_MONITOR;
	default:
		return SYN_MODE_OFF;
	}
}

/* The rate is sampled for every prefix; transitions matter in auto only. */
static void auto_thresholds(struct syn_pfx *x)
{
	if (mode_of(x) == SYN_CONF_AUTO)
		syn_auto_set(&x->au, x->conf.on_pps, x->conf.off_pps, x->conf.hold_s);
	else
		syn_auto_set(&x->au, UINT64_MAX, 0, 0);
}

static void lpm_key(const struct gw_prefix *p, void *key)
{
	if (p->addr.family == AF_INET6) {
		struct syn_lpm_v6 *k = key;

		k->prefixlen = p->len;
		memcpy(k->addr, p->addr.raw, 16);
	} else {
		struct syn_lpm_v4 *k = key;

		k->prefixlen = p->len;
		memcpy(k->addr, p->addr.raw, 4);
	}
}

static int pfx_map(const struct syn *s, const struct gw_prefix *p)
{
	return p->addr.family == AF_INET6 ? s->m_pfx6 : s->m_pfx4;
}

/*
 * x into the map as mode, with its customer's settings.  Mode off too: the
 * program passes it untouched, and the entry keeps the prefix's counter
 * slot for a restart to find.
 */
static int pfx_write(struct syn *s, struct syn_pfx *x, uint32_t mode)
{
	struct syn_lpm_v6 key = { 0 };
	struct syn_prefix v = { .mode = mode, .id = x->id };

	lpm_key(&x->p, &key);
	if (x->conf.budget_pps) {
		v.budget_cost_ns = NS_PER_S / x->conf.budget_pps;
		v.budget_burst_ns = v.budget_cost_ns * x->conf.budget_burst;
	}
	v.auth_ttl_ns = x->conf.auth_s * NS_PER_S;
	if (bpf_map_update_elem(pfx_map(s, &x->p), &key, &v, BPF_ANY))
		return -errno;
	x->mode = mode;
	return 0;
}

static void pfx_delete(struct syn *s, const struct gw_prefix *p)
{
	struct syn_lpm_v6 key = { 0 };

	lpm_key(p, &key);
	bpf_map_delete_elem(pfx_map(s, p), &key);
}

/* The counters of slot id, summed over the CPUs. */
int syn_prefix_counters(struct syn *s, uint32_t id, struct syn_prefix_stats *sum)
{
	const struct syn_prefix_stats *v = s->pcpu;

	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(s->m_pstats, &id, s->pcpu))
		return -errno;
	for (int c = 0; c < s->ncpus; c++) {
		sum->syns += v[c].syns;
		sum->authenticated += v[c].authenticated;
		sum->budget_drops += v[c].budget_drops;
		sum->challenged += v[c].challenged;
		sum->fallback += v[c].fallback;
		sum->cookies_valid += v[c].cookies_valid;
		sum->cookies_bad += v[c].cookies_bad;
	}
	return 0;
}

/* A slot for a new prefix, its counters from zero. */
static int id_alloc(struct syn *s, uint32_t *id)
{
	for (uint32_t i = 0; i < SYN_MAX_PREFIXES; i++) {
		if (s->used_ids[i / 8] & (1u << (i % 8)))
			continue;
		memset(s->pcpu, 0, (size_t)s->ncpus * sizeof(*s->pcpu));
		if (bpf_map_update_elem(s->m_pstats, &i, s->pcpu, BPF_ANY))
			return -errno;
		s->used_ids[i / 8] |= 1u << (i % 8);
		*id = i;
		return 0;
	}
	return -ENOSPC;
}

static void id_free(struct syn *s, uint32_t id)
{
	if (id < SYN_MAX_PREFIXES)
		s->used_ids[id / 8] &= ~(1u << (id % 8));
}

/* What an earlier run left in the maps: the ids to keep, the modes. */
struct found {
	struct gw_prefix p;
	struct syn_prefix v;
	bool matched;
};

static int read_map(int fd, int family, struct found **out, size_t *n)
{
	struct syn_lpm_v6 key, next;
	void *prev = NULL;
	size_t klen = family == AF_INET6 ? 16 : 4;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct found *f = realloc(*out, (*n + 1) * sizeof(**out));

		if (!f)
			return -ENOMEM;
		*out = f;
		f = &f[(*n)++];
		memset(f, 0, sizeof(*f));
		f->p.addr.family = family;
		f->p.len = (uint8_t)next.prefixlen;
		memcpy(f->p.addr.raw, next.addr, klen);
		if (bpf_map_lookup_elem(fd, &next, &f->v))
			(*n)--;		/* deleted meanwhile: gone */
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}

static size_t wanted_count(const struct gw_conf *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_customers; i++)
		if (c->customers[i].syn.present)
			n += c->customers[i].n_prefixes;
	return n;
}

/* [{"prefix": P, "mode": M}, ...]: the overrides. */
static int overrides_save(const struct gwd *g)
{
	const struct syn *s = g->syn;
	json_object *list = json_object_new_array();
	char buf[GW_PREFIXSTRLEN];
	int ret;

	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_pf; i++) {
		json_object *e;

		if (s->pf[i].override < 0)
			continue;
		e = json_object_new_object();
		if (!e || json_object_array_add(list, e)) {
			json_object_put(e);
			json_object_put(list);
			return -ENOMEM;
		}
		json_object_object_add(e, "prefix", json_object_new_string(
			gw_prefix_str(&s->pf[i].p, buf, sizeof(buf))));
		json_object_object_add(e, "mode", json_object_new_string(
			syn_conf_mode_name(s->pf[i].override)));
	}
	ret = statefile_write(g, SYN_MODES_FILE, list);
	json_object_put(list);
	return ret;
}

/* A start takes the overrides back onto the prefixes that still exist;
 * true when some were dropped (the file is to be written again). */
static bool overrides_load(struct gwd *g, struct syn_pfx *pf, size_t n)
{
	json_object *root;
	bool dropped = false;
	size_t len;

	if (statefile_read(g, SYN_MODES_FILE, &root, "SYN mode overrides") < 0 || !root)
		return false;
	len = json_object_array_length(root);
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(root, i), *jp, *jm;
		struct gw_prefix p;
		struct syn_pfx *x = NULL;
		int m = -EINVAL;

		if (json_object_object_get_ex(e, "prefix", &jp) &&
		    json_object_object_get_ex(e, "mode", &jm) &&
		    json_object_is_type(jp, json_type_string) &&
		    json_object_is_type(jm, json_type_string) &&
		    !gw_prefix_parse(json_object_get_string(jp), &p))
			m = syn_conf_mode_parse(json_object_get_string(jm));
		if (m < 0) {
			log_err("%s: entry %zu is not {\"prefix\": ..., \"mode\": ...}; ignored",
				SYN_MODES_FILE, i);
			dropped = true;
			continue;
		}
		for (size_t k = 0; k < n && !x; k++)
			if (gw_prefix_eq(&pf[k].p, &p))
				x = &pf[k];
		if (!x || (m == SYN_CONF_AUTO && x->conf.mode != SYN_CONF_AUTO)) {
			log_warn("%s: %.64s is not protected%s any more; its mode %s is dropped",
				 SYN_MODES_FILE, json_object_get_string(jp),
				 x ? " with auto's thresholds" : "", syn_conf_mode_name(m));
			dropped = true;
			continue;
		}
		x->override = m == (int)x->conf.mode ? -1 : m;
		log_info("syn: %s %s: mode %s by gwctl (kept from before the start)",
			 x->customer, json_object_get_string(jp), syn_conf_mode_name(m));
	}
	json_object_put(root);
	return dropped;
}

/* Into auto from whatever it was doing: on stays on until calm. */
static void enter_auto(struct syn_pfx *x)
{
	x->au.on = x->mode == SYN_MODE_ON;
	x->au.below = false;
}

static struct syn_pfx *find_old(struct syn *s, const bool *taken, const char *customer,
				const struct gw_prefix *p)
{
	for (size_t i = 0; i < s->n_pf; i++)
		if (!taken[i] && !strcmp(s->pf[i].customer, customer) &&
		    gw_prefix_eq(&s->pf[i].p, p))
			return &s->pf[i];
	return NULL;
}

/* A new prefix: the slot an earlier run gave it (the maps), else none yet. */
static void adopt_slot(struct syn *s, struct syn_pfx *x, struct found *found, size_t n)
{
	x->id = UINT32_MAX;
	for (size_t f = 0; f < n; f++) {
		uint32_t id = found[f].v.id;

		if (found[f].matched || !gw_prefix_eq(&found[f].p, &x->p) ||
		    id >= SYN_MAX_PREFIXES || (s->used_ids[id / 8] & (1u << (id % 8))))
			continue;
		found[f].matched = true;
		x->id = id;
		x->mode = found[f].v.mode;
		s->used_ids[id / 8] |= 1u << (id % 8);
		return;
	}
}

/*
 * The prefixes of c, each keeping its slot, override and auto state when it
 * was there before.  Nothing fails half-way: a prefix that cannot get a slot
 * or be written is logged and left out, the others are protected.
 */
int syn_prefixes_sync(struct gwd *g, const struct gw_conf *c)
{
	struct syn *s = g->syn;
	struct found *found = NULL;
	size_t n_found = 0, n = wanted_count(c), k = 0, failed = 0;
	struct syn_pfx *pf;
	bool *taken, dropped_override = false;
	int ret = 0;

	if (n > SYN_MAX_PREFIXES) {
		log_err("syn: %zu protected prefixes, the program holds %u: "
			"the last %zu stay unprotected", n, SYN_MAX_PREFIXES,
			n - SYN_MAX_PREFIXES);
		n = SYN_MAX_PREFIXES;
	}
	pf = calloc(n ? n : 1, sizeof(*pf));
	taken = calloc(s->n_pf ? s->n_pf : 1, sizeof(*taken));
	if (!pf || !taken) {
		ret = -ENOMEM;
		goto out;
	}
	if (!s->adopted_prefixes) {
		ret = read_map(s->m_pfx4, AF_INET, &found, &n_found);
		if (!ret)
			ret = read_map(s->m_pfx6, AF_INET6, &found, &n_found);
		if (ret < 0)
			goto out;
	}

	for (size_t i = 0; i < c->n_customers; i++) {
		const struct customer_conf *cu = &c->customers[i];

		for (size_t j = 0; cu->syn.present && j < cu->n_prefixes && k < n; j++, k++) {
			struct syn_pfx *x = &pf[k];
			struct syn_pfx *old = find_old(s, taken, cu->name, &cu->prefixes[j]);

			if (old) {
				bool was_auto = mode_of(old) == SYN_CONF_AUTO;

				*x = *old;
				taken[old - s->pf] = true;
				x->conf = cu->syn;
				if (!was_auto && mode_of(x) == SYN_CONF_AUTO)
					enter_auto(x);
				continue;
			}
			x->p = cu->prefixes[j];
			x->override = -1;
			x->conf = cu->syn;
			snprintf(x->customer, sizeof(x->customer), "%s", cu->name);
			adopt_slot(s, x, found, n_found);
			/* In mode auto and on when gwd stopped: it stays on. */
			syn_auto_init(&x->au, UINT64_MAX, 0, 0, x->mode == SYN_MODE_ON);
		}
	}
	if (!s->adopted_prefixes)
		dropped_override = overrides_load(g, pf, k);
	/* Gone from the config: out of the maps, their slots free. */
	for (size_t i = 0; i < s->n_pf; i++) {
		if (taken[i])
			continue;
		pfx_delete(s, &s->pf[i].p);
		id_free(s, s->pf[i].id);
		dropped_override |= s->pf[i].override >= 0;
	}
	for (size_t f = 0; f < n_found; f++)
		if (!found[f].matched)
			pfx_delete(s, &found[f].p);
	/* New ones get a slot; then everyone's mode and settings. */
	for (size_t i = 0; i < k;) {
		struct syn_pfx *x = &pf[i];

		if (x->id == UINT32_MAX)
			ret = id_alloc(s, &x->id);
		if (!ret) {
			auto_thresholds(x);
			ret = pfx_write(s, x, map_mode(x));
		}
		if (!ret) {
			i++;
			continue;
		}
		failed++;
		if (x->id != UINT32_MAX)
			id_free(s, x->id);
		pf[i] = pf[--k];
		ret = 0;
	}
	if (failed)
		log_err("syn: %zu protected prefixes could not be written: unprotected",
			failed);
	free(s->pf);
	s->pf = pf;
	s->n_pf = k;
	pf = NULL;
	s->adopted_prefixes = true;
	if (dropped_override && overrides_save(g) < 0)
		log_err("syn: cannot save the overrides to %s", SYN_MODES_FILE);
out:
	if (ret < 0)
		log_err("syn: protected prefixes: %s", strerror(-ret));
	free(pf);
	free(taken);
	free(found);
	return ret;
}

/* The fast path goes: its overrides with it (the file too). */
void syn_prefixes_forget(struct gwd *g)
{
	struct syn *s = g->syn;
	bool had = false;

	for (size_t i = 0; i < s->n_pf; i++) {
		had |= s->pf[i].override >= 0;
		s->pf[i].override = -1;
	}
	if (had && overrides_save(g) < 0)
		log_err("syn: cannot save the overrides to %s", SYN_MODES_FILE);
}

/*
 * Sample every prefix's SYN counter.  The map is written whenever the mode
 * the program has is not the one wanted: an auto turn, and any write that
 * failed before, is tried again every tick.
 */
void syn_prefixes_tick(struct gwd *g, uint64_t now_us)
{
	struct syn *s = g->syn;
	char buf[GW_PREFIXSTRLEN];

	for (size_t i = 0; i < s->n_pf; i++) {
		struct syn_pfx *x = &s->pf[i];
		struct syn_prefix_stats st;
		enum syn_auto_event ev = SYN_AUTO_NONE;
		int ret;

		if (syn_prefix_counters(s, x->id, &st) == 0) {
			x->syns = st.syns;
			ev = syn_auto_feed(&x->au, now_us * 1000, st.syns);
		}
		if (map_mode(x) == x->mode)
			continue;
		ret = pfx_write(s, x, map_mode(x));
		gw_prefix_str(&x->p, buf, sizeof(buf));
		if (ret < 0)
			log_err("syn: %s %s: cannot write mode %u: %s", x->customer, buf,
				map_mode(x), strerror(-ret));
		else if (ev != SYN_AUTO_NONE)
			log_warn("syn: %s %s: auto turned %s (%s)", x->customer, buf,
				 ev == SYN_AUTO_ON ? "on" : "off", x->au.reason);
	}
}

int gwd_syn_mode(struct gwd *g, const char *prefix, const char *mode,
		 char *msg, size_t len)
{
	struct syn *s = g->syn;
	struct gw_prefix p;
	char buf[GW_PREFIXSTRLEN];
	struct syn_pfx *x = NULL;
	bool was_auto;
	int m, ret;

	if (gw_prefix_parse(prefix, &p) < 0) {
		snprintf(msg, len, "%s is not a prefix (host bits must be 0)", prefix);
		return -EINVAL;
	}
	m = syn_conf_mode_parse(mode);
	if (m == -EINVAL) {
		snprintf(msg, len, "mode %s: not off, monitor, on, auto or config", mode);
		return -EINVAL;
	}
	for (size_t i = 0; s && i < s->n_pf && !x; i++)
		if (gw_prefix_eq(&s->pf[i].p, &p))
			x = &s->pf[i];
	if (!x) {
		snprintf(msg, len, "%s is not a prefix of a customer with \"syn\"%s", prefix,
			 s && !s->att ? " (the fast path is not attached)" : "");
		return -ENOENT;
	}
	if (m == SYN_CONF_AUTO && x->conf.mode != SYN_CONF_AUTO) {
		snprintf(msg, len, "customer %s has no on_pps and off_pps for auto",
			 x->customer);
		return -EINVAL;
	}
	was_auto = mode_of(x) == SYN_CONF_AUTO;
	x->override = m == -1 || m == (int)x->conf.mode ? -1 : m;
	if (!was_auto && mode_of(x) == SYN_CONF_AUTO)
		enter_auto(x);
	auto_thresholds(x);
	ret = pfx_write(s, x, map_mode(x));
	gw_prefix_str(&x->p, buf, sizeof(buf));
	if (ret < 0) {
		snprintf(msg, len, "%s: writing syn_prefix: %s", buf, strerror(-ret));
		return ret;
	}
	ret = overrides_save(g);
	snprintf(msg, len, "%s %s: mode %s%s (configured %s)%s%s", x->customer, buf,
		 syn_conf_mode_name(mode_of(x)),
		 x->override >= 0 ? " by gwctl" : "", syn_conf_mode_name(x->conf.mode),
		 ret < 0 ? "; not saved, a restart forgets it: " : "",
		 ret < 0 ? strerror(-ret) : "");
	log_info("syn: %s", msg);
	return 0;
}
