/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The normalized config: what gwd understood, with every default spelled
 * out, keys in the order of the parse tables, addresses in their canonical
 * form.  It parses back to the same struct gw_conf, so printing that again
 * gives the same bytes; that makes it fit for diffs and for golden tests.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "conf/internal.h"

/* Builders that may fail for lack of memory remember it in *ok. */
static void put(struct json_object *o, const char *key, struct json_object *v,
		bool *ok)
{
	if (!v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		*ok = false;
	}
}

static void push(struct json_object *a, struct json_object *v, bool *ok)
{
	if (!v || json_object_array_add(a, v)) {
		json_object_put(v);
		*ok = false;
	}
}

static struct json_object *str(const char *s)
{
	return json_object_new_string(s);
}

static struct json_object *num(uint64_t n)
{
	return json_object_new_int64(n);
}

static struct json_object *addr(const struct gw_addr *a)
{
	char buf[GW_ADDRSTRLEN];

	return str(gw_addr_str(a, buf, sizeof(buf)));
}

static struct json_object *prefix(const struct gw_prefix *p)
{
	char buf[GW_PREFIXSTRLEN];

	return str(gw_prefix_str(p, buf, sizeof(buf)));
}

static struct json_object *prefixes(const struct gw_prefix *p, size_t n,
				     bool *ok)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a && i < n; i++)
		push(a, prefix(&p[i]), ok);
	return a;
}

/*
 * Into o, the lists that hold something.  An empty one has no default to
 * spell out, and json-c would print it on two lines.
 */
static void put_sets(struct json_object *o, const struct ip_sets_conf *s,
		     bool *ok)
{
	if (s->n_block)
		put(o, "block", prefixes(s->block, s->n_block, ok), ok);
	if (s->n_allow)
		put(o, "allow", prefixes(s->allow, s->n_allow, ok), ok);
}

/* A port or a length: the number alone, or "lo-hi". */
static struct json_object *range(uint16_t lo, uint16_t hi)
{
	char buf[16];

	if (lo == hi)
		return num(lo);
	snprintf(buf, sizeof(buf), "%u-%u", lo, hi);
	return str(buf);
}

static struct json_object *probe(const struct probe_conf *p, bool *ok)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	put(o, "kind", str(p->kind == PROBE_BFD ? "bfd" : "icmp"), ok);
	put(o, "interval_ms", num(p->interval_ms), ok);
	/* 0: the interval, which is the default. */
	if (p->min_rx_ms)
		put(o, "min_rx_ms", num(p->min_rx_ms), ok);
	put(o, "fail", num(p->fail), ok);
	put(o, "rise", num(p->rise), ok);
	if (p->timeout_ms)
		put(o, "timeout_ms", num(p->timeout_ms), ok);
	put(o, "degraded_loss_pct", num(p->degraded_loss_pct), ok);
	if (p->degraded_rtt_ms)
		put(o, "degraded_rtt_ms", num(p->degraded_rtt_ms), ok);
	return o;
}

static struct json_object *site(const struct site_conf *s, bool *ok)
{
	struct json_object *o = json_object_new_object(), *u, *a, *f;
	size_t i;

	if (!o)
		return NULL;
	put(o, "name", str(s->name), ok);
	/* No default to spell out; json-c prints an empty object on two lines. */
	if (s->underlay_v4.family || s->underlay_v6.family) {
		u = json_object_new_object();
		if (u && s->underlay_v4.family)
			put(u, "v4", addr(&s->underlay_v4), ok);
		if (u && s->underlay_v6.family)
			put(u, "v6", addr(&s->underlay_v6), ok);
		put(o, "underlay", u, ok);
	}
	a = json_object_new_array();
	for (i = 0; a && i < s->n_ingress; i++)
		push(a, str(s->ingress[i]), ok);
	put(o, "ingress", a, ok);
	put(o, "table_base", num(s->table_base), ok);
	put(o, "control_socket", str(s->control_socket), ok);
	put(o, "vici_socket", str(s->vici_socket), ok);
	/* Empty lists are no filter at all. */
	if (s->filter.n_block || s->filter.n_allow) {
		f = json_object_new_object();
		if (f)
			put_sets(f, &s->filter, ok);
		put(o, "filter", f, ok);
	}
	/* "syn": {} is kept as given, like a customer's "filter". */
	if (s->syn.present) {
		f = json_object_new_object();
		if (f)
			put(f, "fallback", str(s->syn.fallback == SYN_CONF_DROP ?
					       "drop" : "pass"), ok);
		put(o, "syn", f, ok);
	}
	return o;
}

/* A comma-joined list of proposals as the array it was written as. */
static struct json_object *proposals(const char *s, bool *ok)
{
	struct json_object *a = json_object_new_array();
	const char *comma;

	for (; a && *s; s = *comma ? comma + 1 : comma) {
		comma = strchrnul(s, ',');
		push(a, json_object_new_string_len(s, comma - s), ok);
	}
	return a;
}

static struct json_object *ike(const struct ike_conf *k, bool *ok)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	switch (k->auth) {
	case IKE_AUTH_PSK:
		put(o, "auth", str("psk"), ok);
		put(o, "psk_file", str(k->psk_file), ok);
		break;
	case IKE_AUTH_PUBKEY:
		put(o, "auth", str("pubkey"), ok);
		put(o, "cert", str(k->cert), ok);
		put(o, "key", str(k->key), ok);
		put(o, "ca", str(k->ca), ok);
		break;
	}
	/* "": ours by default, which cannot be written as a value. */
	if (k->local_id[0])
		put(o, "local_id", str(k->local_id), ok);
	put(o, "remote_id", str(k->remote_id), ok);
	put(o, "proposals", proposals(k->proposals, ok), ok);
	put(o, "esp_proposals", proposals(k->esp_proposals, ok), ok);
	put(o, "dpd_s", num(k->dpd_s), ok);
	put(o, "rekey_s", num(k->rekey_s), ok);
	put(o, "reauth_s", num(k->reauth_s), ok);
	put(o, "child_rekey_s", num(k->child_rekey_s), ok);
	put(o, "jitter_pct", num(k->jitter_pct), ok);
	return o;
}

static struct json_object *path(const struct path_conf *p, bool *ok)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	put(o, "name", str(p->name), ok);
	switch (p->type) {
	case PATH_VLAN:
		put(o, "type", str("vlan"), ok);
		put(o, "parent", str(p->parent), ok);
		put(o, "vlan", num(p->vlan), ok);
		break;
	case PATH_GRE:
		put(o, "type", str("gre"), ok);
		put(o, "remote", addr(&p->remote), ok);
		if (p->has_key)
			put(o, "key", num(p->key), ok);
		break;
	case PATH_IPSEC:
		put(o, "type", str("ipsec"), ok);
		put(o, "remote", addr(&p->remote), ok);
		put(o, "mode", str(p->ipsec_mode == IPSEC_GRE ? "gre" :
				   p->ipsec_mode == IPSEC_VTI ? "vti" : "xfrm"), ok);
		if (p->has_key)
			put(o, "key", num(p->key), ok);
		put(o, "ike", ike(&p->ike, ok), ok);
		break;
	}
	put(o, "address", prefix(&p->address), ok);
	put(o, "peer", addr(&p->peer), ok);
	put(o, "priority", num(p->priority), ok);
	put(o, "weight", num(p->weight), ok);
	/* 0: a VLAN that keeps its parent's MTU. */
	if (p->mtu)
		put(o, "mtu", num(p->mtu), ok);
	/* 0: derived, and for each family its own (conf_path_mss()). */
	if (p->mss)
		put(o, "mss", num(p->mss), ok);
	put(o, "probe", probe(&p->probe, ok), ok);
	return o;
}

static struct json_object *ports(const struct port_range *r, size_t n,
				 bool *ok)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a && i < n; i++)
		push(a, range(r[i].lo, r[i].hi), ok);
	return a;
}

/* A name where there is one: what the rule was most likely written with. */
static struct json_object *proto(uint8_t p)
{
	size_t i;

	for (i = 0; i < CONF_PROTOS; i++)
		if (conf_proto_numbers[i] == p)
			return str(conf_proto_names[i]);
	return num(p);
}

static struct json_object *tcp_flags(const struct filter_rule *r, bool *ok)
{
	struct json_object *a = json_object_new_array();
	char buf[8];
	int i;

	for (i = 0; a && i < 8; i++) {
		if (!(r->tcp_flags_mask & 1u << i))
			continue;
		snprintf(buf, sizeof(buf), "%s%s", r->tcp_flags & 1u << i ? "" : "!",
			 conf_tcp_flag_names[i]);
		push(a, str(buf), ok);
	}
	return a;
}

/* The largest unit that divides it: "10 mbytes/second", "1500 bytes/hour". */
static struct json_object *rate(const struct filter_rule *r)
{
	const char *per = "";
	char buf[64];
	size_t i, u = 0;

	for (i = 0; i < CONF_RATE_PERIODS; i++)
		if (conf_rate_period_seconds[i] == r->rate_per_s)
			per = conf_rate_period_names[i];
	if (r->rate_unit == RATE_PACKETS) {
		snprintf(buf, sizeof(buf), "%" PRIu64 "/%s", r->rate, per);
		return str(buf);
	}
	for (i = 1; i < CONF_RATE_UNITS; i++)
		if (!(r->rate % conf_rate_unit_bytes[i]))
			u = i;
	snprintf(buf, sizeof(buf), "%" PRIu64 " %s/%s",
		 r->rate / conf_rate_unit_bytes[u], conf_rate_unit_names[u], per);
	return str(buf);
}

static const char *action(enum filter_action a)
{
	return a == FILTER_DROP ? "drop" : "accept";
}

/* The keys it was given, and those with a default that means something. */
static struct json_object *rule(const struct filter_rule *r, bool *ok)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (r->proto)
		put(o, "proto", proto(r->proto), ok);
	if (r->n_saddr)
		put(o, "saddr", prefixes(r->saddr, r->n_saddr, ok), ok);
	if (r->n_daddr)
		put(o, "daddr", prefixes(r->daddr, r->n_daddr, ok), ok);
	if (r->n_sport)
		put(o, "sport", ports(r->sport, r->n_sport, ok), ok);
	if (r->n_dport)
		put(o, "dport", ports(r->dport, r->n_dport, ok), ok);
	if (r->tcp_flags_mask)
		put(o, "tcp_flags", tcp_flags(r, ok), ok);
	if (r->len_hi)
		put(o, "length", range(r->len_lo, r->len_hi), ok);
	put(o, "action", str(action(r->action)), ok);
	/* burst and per mean nothing without a rate, and are refused there. */
	if (r->has_rate) {
		put(o, "rate", rate(r), ok);
		put(o, "burst", num(r->burst), ok);
		put(o, "per", str(r->per == RATE_PER_SOURCE ? "source" : "rule"), ok);
	}
	put(o, "monitor", json_object_new_boolean(r->monitor), ok);
	return o;
}

static struct json_object *filter(const struct filter_conf *fc, bool *ok)
{
	struct json_object *o = json_object_new_object(), *a;
	size_t i;

	if (!o)
		return NULL;
	put(o, "default", str(action(fc->def)), ok);
	if (fc->n_rules) {
		a = json_object_new_array();
		for (i = 0; a && i < fc->n_rules; i++)
			push(a, rule(&fc->rules[i], ok), ok);
		put(o, "rules", a, ok);
	}
	put_sets(o, &fc->sets, ok);
	return o;
}

static struct json_object *syn(const struct syn_conf *sc, bool *ok)
{
	static const char *const modes[] = {
		[SYN_CONF_OFF] = "off",
		[SYN_CONF_MONITOR] = "monitor",
		[SYN_CONF_ON] = "on",
		[SYN_CONF_AUTO] = "auto",
	};
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	put(o, "mode", str(modes[sc->mode]), ok);
	/* The keys only auto takes, after "mode" as parse.c reads them. */
	if (sc->mode == SYN_CONF_AUTO) {
		put(o, "on_pps", num(sc->on_pps), ok);
		put(o, "off_pps", num(sc->off_pps), ok);
		put(o, "hold_s", num(sc->hold_s), ok);
	}
	put(o, "auth_s", num(sc->auth_s), ok);
	put(o, "budget_pps", num(sc->budget_pps), ok);
	put(o, "budget_burst", num(sc->budget_burst), ok);
	return o;
}

static struct json_object *customer(const struct customer_conf *cu, bool *ok)
{
	struct json_object *o = json_object_new_object(), *a;
	size_t i;

	if (!o)
		return NULL;
	put(o, "name", str(cu->name), ok);
	put(o, "id", num(cu->id), ok);
	put(o, "prefixes", prefixes(cu->prefixes, cu->n_prefixes, ok), ok);
	a = json_object_new_array();
	for (i = 0; a && i < cu->n_paths; i++)
		push(a, path(&cu->paths[i], ok), ok);
	put(o, "paths", a, ok);
	/* "filter": {} is kept as given: present is part of the model. */
	if (cu->filter.present)
		put(o, "filter", filter(&cu->filter, ok), ok);
	/* Likewise "syn": every default spelled out, absent when absent. */
	if (cu->syn.present)
		put(o, "syn", syn(&cu->syn, ok), ok);
	return o;
}

int conf_print(FILE *f, const struct gw_conf *c)
{
	struct json_object *o = json_object_new_object(), *d, *a;
	const char *text;
	bool ok = true;
	size_t i;
	int ret;

	if (!o)
		return -ENOMEM;
	put(o, "site", site(&c->site, &ok), &ok);
	d = json_object_new_object();
	if (d) {
		put(d, "mtu", num(c->defaults.mtu), &ok);
		put(d, "probe", probe(&c->defaults.probe, &ok), &ok);
	}
	put(o, "defaults", d, &ok);
	a = json_object_new_array();
	for (i = 0; a && i < c->n_customers; i++)
		push(a, customer(&c->customers[i], &ok), &ok);
	put(o, "customers", a, &ok);
	text = ok ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_SPACED |
						   JSON_C_TO_STRING_NOSLASHESCAPE)
		  : NULL;
	if (!text) {
		ret = -ENOMEM;
		goto out;
	}
	ret = fprintf(f, "%s\n", text) < 0 || ferror(f) ? -EIO : 0;
out:
	json_object_put(o);
	return ret;
}
