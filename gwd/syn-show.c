// SPDX-License-Identifier: GPL-2.0
/*
 * gwctl show syn: where the program is attached, the workers, every
 * protected prefix with its mode, SYN rate and counters, and the verdicts
 * of every packet the program saw, by reason.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_xdp.h>

#include <bpf/bpf.h>

#include "gwd/gwd.h"
#include "gwd/syn.h"
#include "gwd/xdp/attach.h"
#include "gwd/xdp/fastpath.h"
#include "gwd/xdp/syn-shared.h"

static const char *const reason_names[SYN_R_MAX] = SYN_REASON_NAMES;

static void put_int(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static void put_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *attached_json(const struct syn *s)
{
	static const char *const how[] = { "attached", "adopted", "replaced" };
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->n_if; i++) {
		json_object *o = json_object_new_object();
		int h = xdp_attached_how(s->att, s->ifs[i].name);

		put_str(o, "interface", s->ifs[i].name);
		put_int(o, "prog_id", xdp_attached_prog_id(s->att, s->ifs[i].name));
		put_str(o, "how", h >= 0 && h <= 2 ? how[h] : "?");
		put_str(o, "mode", s->ifs[i].mode);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *workers_json(const struct syn *s)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->n_w; i++) {
		const struct syn_worker *w = &s->w[i];
		json_object *o = json_object_new_object();

		put_str(o, "interface", w->ifname);
		put_int(o, "queue", w->queue);
		if (w->fp) {
			const struct fastpath_stats *st = fastpath_stats(w->fp);
			struct xdp_statistics xs = { 0 };
			socklen_t len = sizeof(xs);

			json_object_object_add(o, "zerocopy",
					       json_object_new_boolean(fastpath_zerocopy(w->fp)));
			put_int(o, "rx", st->rx);
			put_int(o, "syns", st->syns);
			put_int(o, "synacks", st->synacks);
			put_int(o, "malformed", st->malformed);
			put_int(o, "tx_full", st->tx_full);
			put_int(o, "no_key", st->no_key);
			/* The kernel's: SYNs lost because the worker fell behind. */
			if (!getsockopt(fastpath_fd(w->fp), SOL_XDP, XDP_STATISTICS, &xs, &len)) {
				put_int(o, "rx_dropped", xs.rx_dropped);
				put_int(o, "rx_ring_full", xs.rx_ring_full);
			}
			put_int(o, "behind_ticks", w->behind);
		} else {
			put_str(o, "error", w->error);
		}
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *prefixes_json(struct syn *s)
{
	static const char *const map_modes[] = { "off", "monitor", "on" };
	json_object *a = json_object_new_array();
	char buf[GW_PREFIXSTRLEN];

	for (size_t i = 0; i < s->n_pf; i++) {
		const struct syn_pfx *x = &s->pf[i];
		json_object *o = json_object_new_object();
		struct syn_prefix_stats st;

		put_str(o, "prefix", gw_prefix_str(&x->p, buf, sizeof(buf)));
		put_str(o, "customer", x->customer);
		put_str(o, "configured", syn_conf_mode_name(x->conf.mode));
		put_str(o, "mode", x->mode <= SYN_MODE_ON ? map_modes[x->mode] : "?");
		json_object_object_add(o, "override", json_object_new_boolean(x->override >= 0));
		if (x->override >= 0)
			put_str(o, "override_mode", syn_conf_mode_name(x->override));
		put_int(o, "syn_pps", x->au.have_rate ? x->au.rate_pps : 0);
		if (!syn_prefix_counters(s, x->id, &st)) {
			put_int(o, "syns", st.syns);
			put_int(o, "challenged", st.challenged);
			put_int(o, "authenticated", st.authenticated);
			put_int(o, "cookies_valid", st.cookies_valid);
			put_int(o, "cookies_bad", st.cookies_bad);
			put_int(o, "budget_drops", st.budget_drops);
			put_int(o, "fallback", st.fallback);
		}
		json_object_array_add(a, o);
	}
	return a;
}

static int reasons_json(const struct syn *s, json_object **out)
{
	int ncpus = s->ncpus;
	struct syn_counter *v;
	json_object *o;

	v = calloc((size_t)ncpus, sizeof(*v));
	o = json_object_new_object();
	if (!v || !o) {
		free(v);
		json_object_put(o);
		return -ENOMEM;
	}
	for (uint32_t r = 0; r < SYN_R_MAX; r++) {
		json_object *c = json_object_new_object();
		uint64_t pk = 0, by = 0;

		if (bpf_map_lookup_elem(s->m_stats, &r, v) == 0) {
			for (int i = 0; i < ncpus; i++) {
				pk += v[i].packets;
				by += v[i].bytes;
			}
		}
		put_int(c, "packets", pk);
		put_int(c, "bytes", by);
		json_object_object_add(o, reason_names[r], c);
	}
	free(v);
	*out = o;
	return 0;
}

int gwd_syn_show(struct gwd *g, json_object **out, char *why, size_t len)
{
	struct syn *s = g->syn;
	json_object *o, *reasons;
	int ret;

	if (!s) {
		snprintf(why, len, "the SYN fast path is not configured "
			 "(no \"syn\" and site.ingress in the config)");
		return -ENOENT;
	}
	if (!s->att) {
		snprintf(why, len, "the SYN fast path is not attached yet (see the log)");
		return -EAGAIN;
	}
	ret = reasons_json(s, &reasons);
	if (ret < 0) {
		snprintf(why, len, "reading syn_stats: %s", strerror(-ret));
		return ret;
	}
	o = json_object_new_object();
	json_object_object_add(o, "attached", attached_json(s));
	put_str(o, "fallback", g->conf->site.syn.fallback == SYN_CONF_DROP ? "drop" : "pass");
	put_int(o, "key_generation", s->keys.generation);
	put_int(o, "key_age_s", (gwd_now_us(g) - s->rotated_us) / 1000000);
	json_object_object_add(o, "workers", workers_json(s));
	json_object_object_add(o, "prefixes", prefixes_json(s));
	json_object_object_add(o, "reasons", reasons);
	*out = o;
	return 0;
}
