/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The normalized config: what gwd understood, with every default spelled
 * out, keys in the order of the parse tables, addresses in their canonical
 * form.  It parses back to the same struct gw_conf, so printing that again
 * gives the same bytes; that makes it fit for diffs and for golden tests.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "conf/model.h"

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
	struct json_object *o = json_object_new_object(), *u, *a;
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
	put(o, "probe", probe(&p->probe, ok), ok);
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
	a = json_object_new_array();
	for (i = 0; a && i < cu->n_prefixes; i++)
		push(a, prefix(&cu->prefixes[i]), ok);
	put(o, "prefixes", a, ok);
	a = json_object_new_array();
	for (i = 0; a && i < cu->n_paths; i++)
		push(a, path(&cu->paths[i], ok), ok);
	put(o, "paths", a, ok);
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
