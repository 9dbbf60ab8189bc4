// SPDX-License-Identifier: GPL-2.0
/*
 * The vici codec's speed: messages per second building and parsing a
 * load-conn request (byte for byte what swanctl sent a real charon) and a
 * list-sa event (the shape of a real one, with two installed CHILD_SAs
 * written as charon's vici_query.c lists them), against json-c parsing the
 * equivalent JSON text, in the same run.  "parse" is vici_parse() (the
 * whole packet validated); "parse+walk" also visits every element, as
 * json-c's parser builds every object.  Each figure is the best of three
 * runs of about 0.15 s.  Run it with tests/bench/vici.sh.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipsec/vici-msg.h"
#include "tests/bench/vici-captured.h"

#define RUN_NS		150000000ULL
#define RUNS		3

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Keeps the optimizer from dropping work whose result nobody reads. */
static volatile size_t sink;

/* Operations per second of fn(arg): the best of RUNS timed runs. */
static double rate(void (*fn)(const void *), const void *arg)
{
	double best = 0;

	for (int r = 0; r < RUNS; r++) {
		uint64_t t0 = now_ns(), t;
		unsigned long n = 0;

		do {
			for (int i = 0; i < 256; i++)
				fn(arg);
			n += 256;
			t = now_ns() - t0;
		} while (t < RUN_NS);
		if (n * 1e9 / t > best)
			best = n * 1e9 / t;
	}
	return best;
}

static void kv_list(struct vici_builder *b, const char *name, const char *const *items)
{
	vici_list_start(b, name);
	while (*items)
		vici_list_item_str(b, *items++);
	vici_list_end(b);
}

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* What gwd will send for a customer's IPsec path; the same bytes as swanctl's. */
static void build_load_conn(struct vici_builder *b)
{
	vici_build_init(b, VICI_CMD_REQUEST, "load-conn");
	vici_section_start(b, "gw-mailbox");
	vici_kv_str(b, "version", "2");
	kv_list(b, "local_addrs", L("10.0.0.1"));
	kv_list(b, "remote_addrs", L("10.0.0.2"));
	kv_list(b, "proposals", L("aes256gcm16-prfsha384-ecp384"));
	vici_kv_str(b, "childless", "force");
	vici_kv_str(b, "dpd_delay", "10s");
	vici_section_start(b, "local");
	vici_kv_str(b, "auth", "psk");
	vici_kv_str(b, "id", "gw.example");
	vici_section_end(b);
	vici_section_start(b, "remote");
	vici_kv_str(b, "auth", "psk");
	vici_kv_str(b, "id", "cpe.mailbox.example");
	vici_section_end(b);
	vici_section_start(b, "children");
	vici_section_start(b, "net");
	kv_list(b, "local_ts", L("0.0.0.0/0"));
	kv_list(b, "remote_ts", L("198.51.100.0/24", "203.0.113.0/24"));
	kv_list(b, "esp_proposals", L("aes256gcm16"));
	vici_kv_str(b, "if_id_in", "17");
	vici_kv_str(b, "if_id_out", "17");
	vici_kv_str(b, "start_action", "none");
	vici_section_end(b);
	vici_section_end(b);
	vici_section_end(b);
}

static void add_kvs(struct vici_builder *b, const char *const *kv)
{
	for (; *kv; kv += 2)
		vici_kv_str(b, kv[0], kv[1]);
}

/* The captured event's IKE_SA, with the CHILD_SAs a route-based path has. */
static void build_list_sa(struct vici_builder *b)
{
	static const char *const child_kv[] = {
		"name", "net", "reqid", "1", "state", "INSTALLED",
		"mode", "TUNNEL", "protocol", "ESP", "if-id-in", "00000011",
		"if-id-out", "00000011", "encr-alg", "AES_GCM_16",
		"encr-keysize", "256", "bytes-in", "183724512",
		"packets-in", "142203", "use-in", "0", "bytes-out", "9310240",
		"packets-out", "98311", "use-out", "0", "rekey-time", "2873",
		"life-time", "3323", "install-time", "487", NULL,
	};
	static const char *const spis[2][3] = {
		{ "net-1", "c1d2e3f4", "ca0b9e11" },
		{ "net-2", "0a0b0c0d", "d00dfeed" },
	};

	vici_build_init(b, VICI_EVENT, "list-sa");
	vici_section_start(b, "gw-mailbox");
	add_kvs(b, L("uniqueid", "3", "version", "2", "state", "ESTABLISHED",
		     "local-host", "10.0.0.1", "local-port", "4500",
		     "local-id", "gw.example", "remote-host", "10.0.0.2",
		     "remote-port", "4500", "remote-id", "cpe.mailbox.example",
		     "initiator", "yes", "initiator-spi", "da8e9d7cc7b684b5",
		     "responder-spi", "3c324a7d258fdfd6", "encr-alg", "AES_GCM_16",
		     "encr-keysize", "256", "prf-alg", "PRF_HMAC_SHA2_384",
		     "dh-group", "ECP_384", "established", "487",
		     "rekey-time", "13168"));
	vici_section_start(b, "child-sas");
	for (int i = 0; i < 2; i++) {
		vici_section_start(b, spis[i][0]);
		vici_kv_str(b, "uniqueid", i ? "2" : "1");
		add_kvs(b, child_kv);
		vici_kv_str(b, "spi-in", spis[i][1]);
		vici_kv_str(b, "spi-out", spis[i][2]);
		kv_list(b, "local-ts", L("0.0.0.0/0"));
		kv_list(b, "remote-ts", L("198.51.100.0/24", "203.0.113.0/24"));
		vici_section_end(b);
	}
	vici_section_end(b);
	vici_section_end(b);
}

struct load {
	const char *name;
	void (*build)(struct vici_builder *b);
	uint8_t *pkt;
	size_t len;
	char *json;
};

static void bench_build(const void *arg)
{
	const struct load *l = arg;
	struct vici_builder b;
	uint8_t *p;
	size_t len;

	l->build(&b);
	if (vici_build_finish(&b, &p, &len))
		abort();
	sink += len;
	free(p);
}

static void bench_parse(const void *arg)
{
	const struct load *l = arg;
	struct vici_msg m;

	if (vici_parse(l->pkt, l->len, &m, NULL))
		abort();
	sink += m.body_len;
}

static size_t walk(struct vici_iter it)
{
	struct vici_elem e;
	size_t n = 0;

	while (vici_next(&it, &e)) {
		n += e.name_len + e.value_len;
		if (e.type == VICI_SECTION_START || e.type == VICI_LIST_START)
			n += walk(e.inner);
	}
	return n;
}

static void bench_parse_walk(const void *arg)
{
	const struct load *l = arg;
	struct vici_msg m;

	if (vici_parse(l->pkt, l->len, &m, NULL))
		abort();
	sink += walk(vici_root(&m));
}

static void bench_json(const void *arg)
{
	const struct load *l = arg;
	json_object *o = json_tokener_parse(l->json);

	if (!o)
		abort();
	sink += json_object_object_length(o);
	json_object_put(o);
}

/* The same tree as JSON: sections are objects, lists arrays, values strings. */
static json_object *to_json(struct vici_iter it, bool list)
{
	json_object *o = list ? json_object_new_array() : json_object_new_object();
	struct vici_elem e;
	json_object *v;
	char name[256];

	while (vici_next(&it, &e)) {
		if (e.type == VICI_SECTION_START || e.type == VICI_LIST_START)
			v = to_json(e.inner, e.type == VICI_LIST_START);
		else
			v = json_object_new_string_len((const char *)e.value, e.value_len);
		if (list) {
			json_object_array_add(o, v);
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)e.name_len, e.name);
		json_object_object_add(o, name, v);
	}
	return o;
}

static int prepare(struct load *l)
{
	struct vici_builder b;
	struct vici_msg m;
	json_object *o;

	l->build(&b);
	if (vici_build_finish(&b, &l->pkt, &l->len) ||
	    vici_parse(l->pkt, l->len, &m, NULL))
		return -1;
	o = to_json(vici_root(&m), false);
	l->json = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return l->json ? 0 : -1;
}

int main(void)
{
	struct load loads[] = {
		{ .name = "load-conn request", .build = build_load_conn },
		{ .name = "list-sa event", .build = build_list_sa },
	};

	printf("vici codec, messages per second (best of %d x %.2f s)\n", RUNS,
	       RUN_NS / 1e9);
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		struct load *l = &loads[i];
		double build, parse, walked, json;

		if (prepare(l)) {
			fprintf(stderr, "%s: cannot build\n", l->name);
			return 1;
		}
		build = rate(bench_build, l);
		parse = rate(bench_parse, l);
		walked = rate(bench_parse_walk, l);
		json = rate(bench_json, l);
		printf("\n%s: %zu bytes vici, %zu bytes JSON\n", l->name, l->len,
		       strlen(l->json));
		printf("  vici build       %10.0f/s\n", build);
		printf("  vici parse       %10.0f/s\n", parse);
		printf("  vici parse+walk  %10.0f/s\n", walked);
		printf("  json-c parse     %10.0f/s (baseline)\n", json);
		printf("  ratio vici parse+walk / json-c parse: %.1f\n", walked / json);
		printf("  ratio vici build / json-c parse:      %.1f\n", build / json);
	}
	/* The builder's load-conn is what swanctl sends: same bytes. */
	printf("\nload-conn built == swanctl's captured bytes: %s\n",
	       loads[0].len == sizeof(vici_cap_load_conn) &&
	       !memcmp(loads[0].pkt, vici_cap_load_conn, loads[0].len) ? "yes" : "NO");
	printf("captured list-sa (childless, %zu bytes): parse %.0f/s\n",
	       sizeof(vici_cap_list_sa),
	       rate(bench_parse, &(struct load){ .pkt = (uint8_t *)vici_cap_list_sa,
						 .len = sizeof(vici_cap_list_sa) }));
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		free(loads[i].pkt);
		free(loads[i].json);
	}
	return 0;
}
