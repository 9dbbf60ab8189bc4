// SPDX-License-Identifier: GPL-2.0
/*
 * netlink/nft*.c against the running kernel, in a network namespace of the
 * test's own (unshare(CLONE_NEWNET) in main(): root and CAP_NET_ADMIN).
 * When that or nftables is missing: a loud SKIP line and exit 77, what
 * check.sh counts as skipped.
 *
 * What gwd built is read back with nft(8), run from the test (it inherits
 * the namespace): JSON for the objects, text for the rules.  Every test
 * starts from a ruleset holding two foreign tables, inet other and ip gwd,
 * and ends by checking they are byte-identical.  Traffic goes over veth
 * pairs into two more namespaces, each held by a child process.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "netlink/nft.h"
#include "tests/shell.h"

#define FOREIGN_IP \
	"table ip gwd {\n" \
	"  chain forward { type filter hook forward priority 0; }\n" \
	"  chain count { counter; }\n" \
	"}\n"
#define FOREIGN \
	"table inet other {\n" \
	"  counter c { }\n" \
	"  set s { type ipv4_addr; flags interval; elements = { 10.0.0.0/8 } }\n" \
	"  chain input { type filter hook input priority 0; policy accept; }\n" \
	"  chain count { counter name c; }\n" \
	"}\n" \
	FOREIGN_IP

/* ---- shell ------------------------------------------------------------ */

/* A command's standard output, NUL-terminated; the caller frees it. */
static char *sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh(const char *fmt, ...)
{
	char cmd[1024], *out = NULL;
	size_t len = 0, cap = 0, got;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	assert_non_null(f);
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 16384;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		got = fread(out + len, 1, cap - len - 1, f);
		len += got;
	} while (got);
	out[len] = '\0';
	pclose(f);
	return out;
}

static void assert_contains(const char *hay, const char *needle,
			    const char *file, int line)
{
	if (!strstr(hay, needle)) {
		fprintf(stderr, "%s:%d: missing \"%s\" in:\n%s\n", file, line,
			needle, hay);
		_fail(file, line);
	}
}
#define assert_contains(h, n) assert_contains(h, n, __FILE__, __LINE__)

static void assert_lacks(const char *hay, const char *needle, const char *file,
			 int line)
{
	if (strstr(hay, needle)) {
		fprintf(stderr, "%s:%d: unexpected \"%s\" in:\n%s\n", file, line,
			needle, hay);
		_fail(file, line);
	}
}
#define assert_lacks(h, n) assert_lacks(h, n, __FILE__, __LINE__)

/* ---- nft -j ------------------------------------------------------------ */

static json_object *nft_json(const char *what)
{
	char *out = sh("nft -j list %s 2>/dev/null", what);
	json_object *j = json_tokener_parse(out);

	free(out);
	assert_non_null(j);
	return j;
}

static json_object *jarray(json_object *root)
{
	json_object *a;

	assert_true(json_object_object_get_ex(root, "nftables", &a));
	return a;
}

/* The kind ("chain", "set", "map", "counter", ...) object named name. */
static json_object *jfind(json_object *root, const char *kind, const char *name)
{
	json_object *a = jarray(root), *o, *n;

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(a, i),
					       kind, &o))
			continue;
		if (json_object_object_get_ex(o, "name", &n) &&
		    !strcmp(json_object_get_string(n), name))
			return o;
	}
	return NULL;
}

/* Objects of kind; of chain (rules) if chain is not NULL. */
static int jcount(json_object *root, const char *kind, const char *chain)
{
	json_object *a = jarray(root), *o, *c;
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(a, i),
					       kind, &o))
			continue;
		if (chain && (!json_object_object_get_ex(o, "chain", &c) ||
			      strcmp(json_object_get_string(c), chain)))
			continue;
		n++;
	}
	return n;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_string(v);
}

static int64_t jint(json_object *o, const char *key)
{
	json_object *v;

	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_int64(v);
}

/* ---- the config -------------------------------------------------------- */

static struct gw_prefix pfx(const char *s)
{
	struct gw_prefix p;

	assert_int_equal(gw_prefix_parse(s, &p), 0);
	return p;
}

/*
 * Three customers: 17 with rules of every kind, both families, GRE, IPsec
 * and VLAN paths; 42 with default drop, IPv4 only; 99 without a filter.
 */
struct fixture {
	struct gw_conf c;
	struct customer_conf cu[3];
	struct gw_prefix pfx17[2], pfx42[1], pfx99[1];
	struct path_conf p17[3], p42[1], p99[1];
	struct filter_rule r17[8], r42[2];
	struct gw_prefix blk17[2], blk42[2], allow42[1], sblk[2], sallow[1];
	struct nft *n;
	char foreign[8192];
};

static void fixture_conf(struct fixture *f)
{
	struct filter_rule *r = f->r17;

	f->pfx17[0] = pfx("203.0.113.0/24");
	f->pfx17[1] = pfx("2001:db8:17::/48");
	f->pfx42[0] = pfx("198.18.0.0/24");
	f->pfx99[0] = pfx("198.19.0.0/24");

	f->p17[0] = (struct path_conf){ .name = "gre1", .type = PATH_GRE, .mtu = 1476 };
	f->p17[1] = (struct path_conf){ .name = "sec1", .type = PATH_IPSEC,
					.mtu = 1400, .mss = 1300 };
	f->p17[2] = (struct path_conf){ .name = "bcix", .type = PATH_VLAN, .mtu = 1500 };
	f->p42[0] = (struct path_conf){ .name = "gre6", .type = PATH_GRE, .mtu = 1456 };
	f->p99[0] = (struct path_conf){ .name = "gre1", .type = PATH_GRE, .mtu = 1476 };

	/* 0: udp dport 19, 1900 drop */
	r[0] = (struct filter_rule){ .proto = IPPROTO_UDP, .n_dport = 2,
				     .dport = { { 19, 19 }, { 1900, 1900 } },
				     .action = FILTER_DROP };
	/* 1: tcp dport 25, 2000/s per source */
	r[1] = (struct filter_rule){ .proto = IPPROTO_TCP, .n_dport = 1,
				     .dport = { { 25, 25 } }, .has_rate = true,
				     .rate = 2000, .rate_per_s = 1,
				     .per = RATE_PER_SOURCE };
	/* 2: SYNs from two prefixes, 100/s burst 10, monitor */
	r[2] = (struct filter_rule){ .proto = IPPROTO_TCP, .n_saddr = 2,
				     .saddr = { pfx("10.0.0.0/8"), pfx("2001:db8:aa::/48") },
				     .tcp_flags = 0x02, .tcp_flags_mask = 0x12,
				     .has_rate = true, .rate = 100, .rate_per_s = 1,
				     .burst = 10, .monitor = true };
	/* 3: 1000..1500 bytes drop */
	r[3] = (struct filter_rule){ .len_lo = 1000, .len_hi = 1500,
				     .action = FILTER_DROP };
	/* 4: DNS answers, 1 MB/s */
	r[4] = (struct filter_rule){ .proto = IPPROTO_UDP, .n_sport = 1,
				     .sport = { { 53, 53 } }, .n_dport = 1,
				     .dport = { { 1024, 65535 } }, .has_rate = true,
				     .rate = 1000000, .rate_unit = RATE_BYTES,
				     .rate_per_s = 1, .burst = 100000 };
	/* 5: ICMP to one address, monitor drop */
	r[5] = (struct filter_rule){ .proto = IPPROTO_ICMP, .n_daddr = 1,
				     .daddr = { pfx("203.0.113.5/32") },
				     .action = FILTER_DROP, .monitor = true };
	/* 6: tcp dport 8000-8100, 8443 */
	r[6] = (struct filter_rule){ .proto = IPPROTO_TCP, .n_dport = 2,
				     .dport = { { 8000, 8100 }, { 8443, 8443 } } };
	/* 7: the same as 0: a counter of its own */
	r[7] = r[0];

	f->r42[0] = (struct filter_rule){ .proto = IPPROTO_TCP, .n_dport = 1,
					  .dport = { { 443, 443 } } };
	f->r42[1] = (struct filter_rule){ .proto = IPPROTO_UDP, .has_rate = true,
					  .rate = 500, .rate_per_s = 60 };

	f->blk17[0] = pfx("198.51.100.0/24");
	f->blk17[1] = pfx("2001:db8:bad::/48");
	f->blk42[0] = pfx("100.64.0.0/16");
	f->blk42[1] = pfx("100.65.0.0/16");
	f->allow42[0] = pfx("100.64.1.0/24");
	f->sblk[0] = pfx("192.0.2.0/25");
	f->sblk[1] = pfx("2001:db8:dead::/48");
	f->sallow[0] = pfx("192.0.2.10/32");

	f->cu[0] = (struct customer_conf){
		.name = "mailbox", .id = 17, .prefixes = f->pfx17, .n_prefixes = 2,
		.paths = f->p17, .n_paths = 3,
		.filter = { .present = true, .def = FILTER_ACCEPT, .rules = f->r17,
			    .n_rules = 8, .sets = { .block = f->blk17, .n_block = 2 } } };
	f->cu[1] = (struct customer_conf){
		.name = "shop", .id = 42, .prefixes = f->pfx42, .n_prefixes = 1,
		.paths = f->p42, .n_paths = 1,
		.filter = { .present = true, .def = FILTER_DROP, .rules = f->r42,
			    .n_rules = 2, .sets = { .block = f->blk42, .n_block = 2,
						    .allow = f->allow42, .n_allow = 1 } } };
	f->cu[2] = (struct customer_conf){
		.name = "plain", .id = 99, .prefixes = f->pfx99, .n_prefixes = 1,
		.paths = f->p99, .n_paths = 1 };
	for (size_t i = 0; i < 3; i++)
		for (size_t j = 0; j < f->cu[i].n_paths; j++)
			assert_int_equal(conf_path_ifname(f->cu[i].id, f->cu[i].paths[j].name,
							  f->cu[i].paths[j].ifname), 0);
	f->c = (struct gw_conf){ .customers = f->cu, .n_customers = 3 };
	f->c.site.filter = (struct ip_sets_conf){ .block = f->sblk, .n_block = 2,
						  .allow = f->sallow, .n_allow = 1 };
}

static void foreign_listing(char *out, size_t len)
{
	char *a = sh("nft list table inet other; nft list table ip gwd");

	snprintf(out, len, "%s", a);
	free(a);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	FILE *p;

	assert_non_null(f);
	assert_int_equal(shell("nft flush ruleset"), 0);
	p = popen("nft -f -", "w");
	assert_non_null(p);
	fputs(FOREIGN, p);
	assert_int_equal(pclose(p), 0);
	foreign_listing(f->foreign, sizeof(f->foreign));
	assert_non_null(strstr(f->foreign, "table inet other"));
	fixture_conf(f);
	assert_int_equal(nft_open(&f->n), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char now[sizeof(f->foreign)];

	foreign_listing(now, sizeof(now));
	nft_close(f->n);
	shell("nft flush ruleset");
	/* Every operation of every test left the foreign tables alone. */
	if (strcmp(now, f->foreign)) {
		fprintf(stderr, "foreign tables changed:\n%s\nwas:\n%s\n", now,
			f->foreign);
		free(f);
		return -1;
	}
	free(f);
	return 0;
}

static void apply_ok(struct fixture *f)
{
	char owner[NFT_OWNER_MAX];
	int ret = nft_apply(f->n, &f->c, owner, sizeof(owner));

	if (ret)
		fprintf(stderr, "nft_apply: %s at %s\n", strerror(-ret), owner);
	assert_int_equal(ret, 0);
}

static void rule_counter(const struct fixture *f, size_t cu, size_t i, char *out)
{
	nft_rule_counter(f->cu[cu].id, &f->cu[cu].filter, i, out);
}

/* A rule's counter hash, for the limit and meter names. */
static const char *hash_of(const char *counter)
{
	return strstr(counter, "_r_") + 3;
}

/* ---- tests -------------------------------------------------------------- */

static void test_layout(void **state)
{
	struct fixture *f = *state;
	char name[NFT_NAME_MAX], other[NFT_NAME_MAX * 2];
	json_object *j, *o;
	char *txt;

	apply_ok(f);
	j = nft_json("table inet gwd");

	o = jfind(j, "chain", "forward");
	assert_string_equal(jstr(o, "hook"), "forward");
	assert_string_equal(jstr(o, "type"), "filter");
	assert_string_equal(jstr(o, "policy"), "accept");
	assert_int_equal(jint(o, "prio"), 0);
	o = jfind(j, "chain", "mss");
	assert_string_equal(jstr(o, "hook"), "forward");
	assert_int_equal(jint(o, "prio"), -150);
	assert_non_null(jfind(j, "chain", "c17"));
	assert_non_null(jfind(j, "chain", "c42"));
	assert_null(jfind(j, "chain", "c99"));	/* no filter, no chain */
	assert_int_equal(jcount(j, "chain", NULL), 4);

	for (int s = 0; s < SET_DISPATCH4; s++) {
		bool v6 = s & 1, cust = s >= SET_C_BLOCK4;

		o = jfind(j, "set", nft_set_names[s]);
		assert_non_null(o);
		assert_string_equal(jstr(o, "type"), cust ? "integer" :
				    v6 ? "ipv6_addr" : "ipv4_addr");
		txt = sh("nft list set inet gwd %s", nft_set_names[s]);
		assert_contains(txt, nft_set_is_runtime(s) ?
				"flags interval,timeout" : "flags interval\n");
		free(txt);
	}
	/* Config elements: the site's by address, the customers' by id . address. */
	txt = sh("nft list set inet gwd block4");
	assert_contains(txt, "192.0.2.0/25");
	free(txt);
	txt = sh("nft list set inet gwd allow4");
	assert_contains(txt, "192.0.2.10");
	free(txt);
	txt = sh("nft list set inet gwd block6");
	assert_contains(txt, "2001:db8:dead::/48");
	free(txt);
	txt = sh("nft list set inet gwd cust_block4");
	/* 17 . 198.51.100.0/24, 42 . 100.64.0.0/16, 42 . 100.65.0.0/16 */
	snprintf(other, sizeof(other), "%llu-%llu", 17ULL << 32 | 0xc6336400,
		 17ULL << 32 | 0xc63364ff);
	assert_contains(txt, other);
	snprintf(other, sizeof(other), "%llu-%llu", 42ULL << 32 | 0x64400000,
		 42ULL << 32 | 0x6440ffff);
	assert_contains(txt, other);
	snprintf(other, sizeof(other), "%llu-%llu", 42ULL << 32 | 0x64410000,
		 42ULL << 32 | 0x6441ffff);
	assert_contains(txt, other);
	free(txt);
	txt = sh("nft list set inet gwd cust_allow4");
	snprintf(other, sizeof(other), "%llu-%llu", 42ULL << 32 | 0x64400100,
		 42ULL << 32 | 0x644001ff);
	assert_contains(txt, other);
	free(txt);
	o = jfind(j, "set", "cust_block6");
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "elem", &o));
	assert_int_equal(json_object_array_length(o), 1);	/* 17 . 2001:db8:bad::/48 */

	/* Dispatch: the customers with a filter, nobody else. */
	txt = sh("nft list map inet gwd dispatch4");
	assert_contains(txt, "type ipv4_addr : verdict");
	assert_contains(txt, "203.0.113.0/24 : goto c17");
	assert_contains(txt, "198.18.0.0/24 : goto c42");
	assert_lacks(txt, "198.19.0.0");
	free(txt);
	txt = sh("nft list map inet gwd dispatch6");
	assert_contains(txt, "2001:db8:17::/48 : goto c17");
	free(txt);

	/* Counters, limits and meters. */
	assert_non_null(jfind(j, "counter", "site_allow"));
	assert_non_null(jfind(j, "counter", "site_block"));
	for (int i = 0; i < 2; i++) {
		static const char *const fixed[] = { "allow", "block", "default" };
		uint32_t id = f->cu[i].id;

		for (int k = 0; k < 3; k++) {
			snprintf(name, sizeof(name), "c%u_%s", id, fixed[k]);
			assert_non_null(jfind(j, "counter", name));
		}
		for (size_t r = 0; r < f->cu[i].filter.n_rules; r++) {
			rule_counter(f, i, r, name);
			assert_non_null(jfind(j, "counter", name));
		}
	}
	/* 2 site + 3 fixed and 8 rules of 17 + 3 and 2 of 42 */
	assert_int_equal(jcount(j, "counter", NULL), 2 + 11 + 5);
	rule_counter(f, 0, 0, name);
	rule_counter(f, 0, 7, other);
	assert_string_not_equal(name, other);	/* identical rules */
	rule_counter(f, 0, 2, name);
	snprintf(other, sizeof(other), "c17_l_%s", hash_of(name));
	o = jfind(j, "limit", other);
	assert_int_equal(jint(o, "rate"), 100);
	assert_int_equal(jint(o, "burst"), 10);
	rule_counter(f, 0, 4, name);
	snprintf(other, sizeof(other), "c17_l_%s", hash_of(name));
	o = jfind(j, "limit", other);
	assert_string_equal(jstr(o, "rate_unit"), "bytes");
	rule_counter(f, 1, 1, name);
	snprintf(other, sizeof(other), "c42_l_%s", hash_of(name));
	assert_string_equal(jstr(jfind(j, "limit", other), "per"), "minute");
	assert_int_equal(jcount(j, "limit", NULL), 3);
	rule_counter(f, 0, 1, name);
	snprintf(other, sizeof(other), "c17_m_%s4", hash_of(name));
	txt = sh("nft list set inet gwd %s", other);
	assert_contains(txt, "type ipv4_addr");
	assert_contains(txt, "flags dynamic,timeout");
	assert_contains(txt, "timeout 1m");
	free(txt);
	snprintf(other, sizeof(other), "c17_m_%s6", hash_of(name));
	assert_non_null(jfind(j, "set", other));

	/*
	 * c17: allow (runtime, both families), block (config and runtime,
	 * both), then the rules: 0: 1, 1: 2 per family, 2: monitor, 1 per
	 * family, 3: 1, 4: 2, 5: IPv4 only, 6: 1, 7: 1; the default.
	 */
	assert_int_equal(jcount(j, "rule", "c17"), 6 + 1 + 4 + 2 + 1 + 2 + 1 + 1 + 1 + 1);
	txt = sh("nft list chain inet gwd c17");
	assert_contains(txt, "0x11 [invalid type] . ip saddr @cust_rt_allow4 counter name \"c17_allow\" accept");
	assert_contains(txt, "ip6 saddr @cust_block6 counter name \"c17_block\" drop");
	assert_contains(txt, "udp dport { 19, 1900 } counter name");
	assert_contains(txt, "tcp dport 25 update @c17_m_");
	assert_contains(txt, "limit rate over 2000/second } counter name");
	assert_contains(txt, "meta nfproto ipv4 tcp dport 25 accept");
	assert_contains(txt, "tcp flags syn / syn,ack limit name \"c17_l_");
	assert_contains(txt, "meta length 1000-1500 counter name");
	assert_contains(txt, "udp sport 53 udp dport 1024-65535 limit name");
	assert_contains(txt, "ip daddr 203.0.113.5 meta l4proto icmp counter name");
	assert_contains(txt, "tcp dport { 8000-8100, 8443 } counter name");
	assert_contains(txt, "counter name \"c17_default\" accept");
	/* Monitor rules decide nothing. */
	assert_lacks(txt, "c17_l_" "\" counter name \"c17_r_0");
	free(txt);
	txt = sh("nft list chain inet gwd c42");
	assert_contains(txt, "ip saddr @cust_allow4 counter name \"c42_allow\" accept");
	assert_lacks(txt, "ip6 saddr");		/* 42 has no IPv6 prefix */
	assert_contains(txt, "counter name \"c42_default\" drop");
	free(txt);
	txt = sh("nft list chain inet gwd forward");
	assert_contains(txt, "ip saddr @allow4 counter name \"site_allow\" accept");
	assert_contains(txt, "ip6 saddr @block6 counter name \"site_block\" drop");
	assert_contains(txt, "ip daddr vmap @dispatch4");
	assert_contains(txt, "ip6 daddr vmap @dispatch6");
	free(txt);

	/* MSS: GRE and IPsec paths, each family; VLAN paths not. */
	txt = sh("nft list chain inet gwd mss");
	assert_contains(txt, "oifname \"gw17-gre1\" meta nfproto ipv4 tcp flags syn / syn,rst "
			"tcp option maxseg size > 1436 tcp option maxseg size set 1436");
	assert_contains(txt, "oifname \"gw17-gre1\" meta nfproto ipv6 tcp flags syn / syn,rst "
			"tcp option maxseg size > 1416 tcp option maxseg size set 1416");
	assert_contains(txt, "oifname \"gw17-sec1\" meta nfproto ipv6 tcp flags syn / syn,rst "
			"tcp option maxseg size > 1300");
	assert_contains(txt, "oifname \"gw42-gre6\" meta nfproto ipv4");
	assert_contains(txt, "oifname \"gw99-gre1\" meta nfproto ipv4");
	assert_lacks(txt, "bcix");
	free(txt);
	assert_int_equal(jcount(j, "rule", "mss"), 8);
	json_object_put(j);
}

/* name -> handle of every counter and limit */
struct handles {
	char name[64][NFT_NAME_MAX];
	int64_t handle[64];
	int64_t packets[64];
	size_t n;
};

static void handles(struct handles *h)
{
	json_object *j = nft_json("table inet gwd"), *a = jarray(j), *o;

	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_object_get_ex(e, "counter", &o) &&
		    !json_object_object_get_ex(e, "limit", &o))
			continue;
		assert_true(h->n < 64);
		snprintf(h->name[h->n], NFT_NAME_MAX, "%s", jstr(o, "name"));
		h->handle[h->n] = jint(o, "handle");
		h->packets[h->n] = json_object_object_get_ex(o, "packets", NULL) ?
				   jint(o, "packets") : 0;
		h->n++;
	}
	json_object_put(j);
}

/* The handle of name, 0 if it is gone. */
static int64_t handle_of(const struct handles *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->name[i], name))
			return h->handle[i];
	return 0;
}

static void test_reapply_keeps_counters(void **state)
{
	struct fixture *f = *state;
	struct handles a, b;
	char old3[NFT_NAME_MAX], new3[NFT_NAME_MAX], ctr[NFT_NAME_MAX];
	char *txt, *c17, *c42;

	apply_ok(f);
	handles(&a);
	apply_ok(f);
	handles(&b);
	/* Unchanged: the same objects, not new ones of the same names. */
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++)
		assert_int_equal(handle_of(&b, a.name[i]), a.handle[i]);

	/* An unchanged chain is left alone: the same rule handles. */
	c42 = sh("nft -a list chain inet gwd c42");
	c17 = sh("nft -a list chain inet gwd c17");
	apply_ok(f);
	txt = sh("nft -a list chain inet gwd c17");
	assert_string_equal(c17, txt);
	free(txt);
	/* ... unless someone added a rule to it. */
	assert_int_equal(shell("nft add rule inet gwd c17 counter"), 0);
	apply_ok(f);
	txt = sh("nft -a list chain inet gwd c17");
	assert_lacks(txt, "counter packets");
	assert_string_not_equal(c17, txt);
	free(txt);
	free(c17);

	/* One rule of 17 changes, a prefix of 42 grows. */
	rule_counter(f, 0, 3, old3);
	f->r17[3].len_hi = 1400;
	rule_counter(f, 0, 3, new3);
	assert_string_not_equal(old3, new3);
	f->pfx42[0] = pfx("198.18.0.0/23");
	apply_ok(f);
	txt = sh("nft -a list chain inet gwd c42");
	assert_string_equal(c42, txt);	/* its rules did not change */
	free(txt);
	free(c42);
	handles(&b);
	assert_int_equal(handle_of(&b, old3), 0);
	assert_true(handle_of(&b, new3) > 0);
	for (size_t i = 0; i < a.n; i++)
		if (strcmp(a.name[i], old3))
			assert_int_equal(handle_of(&b, a.name[i]), a.handle[i]);
	txt = sh("nft list chain inet gwd c17");
	assert_contains(txt, "meta length 1000-1400");
	free(txt);
	txt = sh("nft list map inet gwd dispatch4");
	assert_contains(txt, "198.18.0.0/23 : goto c42");
	assert_contains(txt, "203.0.113.0/24 : goto c17");
	free(txt);

	/* A removed rule's counter goes, the others stay. */
	f->cu[0].filter.n_rules = 7;
	rule_counter(f, 0, 6, ctr);
	apply_ok(f);
	handles(&a);
	assert_true(handle_of(&a, ctr) > 0);
	assert_int_equal(a.n, b.n - 1);
}

static void test_kernel_error_owner(void **state)
{
	struct fixture *f = *state;
	char owner[NFT_OWNER_MAX], *before, *after;
	int ret;

	/* From scratch: the table is not even created. */
	f->blk42[1] = pfx("100.64.128.0/24");	/* inside blk42[0] */
	before = sh("nft list ruleset");
	ret = nft_apply(f->n, &f->c, owner, sizeof(owner));
	assert_true(ret == -EEXIST || ret == -ENOTEMPTY);
	assert_string_equal(owner, "customers[1].filter.block[1]");
	after = sh("nft list ruleset");
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* Over a good apply: nothing of it changes. */
	f->blk42[1] = pfx("100.65.0.0/16");
	apply_ok(f);
	before = sh("nft list ruleset");
	f->blk42[1] = pfx("100.64.128.0/24");
	f->r17[3].len_hi = 1400;
	ret = nft_apply(f->n, &f->c, owner, sizeof(owner));
	assert_true(ret == -EEXIST || ret == -ENOTEMPTY);
	assert_string_equal(owner, "customers[1].filter.block[1]");
	after = sh("nft list ruleset");
	assert_string_equal(before, after);
	free(after);

	/* The site's lists, and a dispatch prefix two customers claim. */
	f->blk42[1] = pfx("100.65.0.0/16");
	f->sblk[1] = pfx("192.0.2.64/26");
	ret = nft_apply(f->n, &f->c, owner, sizeof(owner));
	assert_true(ret < 0);
	assert_string_equal(owner, "site.filter.block[1]");
	f->sblk[1] = pfx("2001:db8:dead::/48");
	f->pfx42[0] = pfx("203.0.113.128/25");
	ret = nft_apply(f->n, &f->c, owner, sizeof(owner));
	assert_true(ret < 0);
	assert_true(!strcmp(owner, "customers[1].prefixes[0]") ||
		    !strcmp(owner, "customers[0].prefixes[0]"));
	f->pfx42[0] = pfx("198.18.0.0/24");

	/* What gwd cannot write: ports without a protocol. */
	f->r17[6].proto = 0;
	ret = nft_apply(f->n, &f->c, owner, sizeof(owner));
	assert_int_equal(ret, -EINVAL);
	assert_string_equal(owner, "customers[0].filter.rules[6]");
	after = sh("nft list ruleset");
	assert_string_equal(before, after);
	free(before);
	free(after);
}

struct listed {
	char s[8][GW_PREFIXSTRLEN];
	uint32_t expires[8];
	size_t n;
};

static int list_cb(void *arg, const struct gw_prefix *p, uint32_t expires_s)
{
	struct listed *l = arg;

	assert_true(l->n < 8);
	gw_prefix_str(p, l->s[l->n], sizeof(l->s[0]));
	l->expires[l->n++] = expires_s;
	return 0;
}

static struct listed *list(struct fixture *f, uint32_t id, bool block)
{
	static struct listed l;

	memset(&l, 0, sizeof(l));
	assert_int_equal(nft_elements(f->n, id, block, list_cb, &l), 0);
	return &l;
}

static void test_runtime_elements(void **state)
{
	struct fixture *f = *state;
	struct gw_prefix a = pfx("192.0.2.200/29"), b = pfx("2001:db8:bad:1::/64");
	struct gw_prefix c = pfx("10.9.0.0/16"), d = pfx("10.10.0.0/16");
	struct gw_prefix inside = pfx("2001:db8:bad:1:1::/80");
	struct listed *l;
	char *before, *after;

	/* Before any apply gwd does not know who has a filter. */
	assert_int_equal(nft_element(f->n, 17, true, true, &b, 0), -ENOENT);
	apply_ok(f);
	before = sh("nft -a list chain inet gwd c17; nft -a list chain inet gwd forward");
	assert_int_equal(nft_element(f->n, 0, true, true, &a, 60), 0);
	assert_int_equal(nft_element(f->n, 17, true, true, &b, 0), 0);
	assert_int_equal(nft_element(f->n, 42, false, true, &c, 30), 0);
	assert_int_equal(nft_element(f->n, 42, true, true, &d, 1), 0);
	/* Chains and rules untouched: the same handles. */
	after = sh("nft -a list chain inet gwd c17; nft -a list chain inet gwd forward");
	assert_string_equal(before, after);
	free(before);
	free(after);

	l = list(f, 0, true);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->s[0], "192.0.2.200/29");
	assert_true(l->expires[0] > 50 && l->expires[0] <= 60);
	l = list(f, 17, true);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->s[0], "2001:db8:bad:1::/64");
	assert_int_equal(l->expires[0], 0);
	l = list(f, 42, false);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->s[0], "10.9.0.0/16");
	assert_true(l->expires[0] > 20 && l->expires[0] <= 30);
	assert_int_equal(list(f, 17, false)->n, 0);

	/* 99 has no filter; overlapping; deleting what is not there. */
	assert_int_equal(nft_element(f->n, 99, true, true, &b, 0), -ENOENT);
	assert_true(nft_element(f->n, 17, true, true, &inside, 0) < 0);
	assert_int_equal(nft_element(f->n, 17, true, false, &b, 0), 0);
	assert_int_equal(list(f, 17, true)->n, 0);
	assert_int_equal(nft_element(f->n, 17, true, false, &b, 0), -ENOENT);

	/* A timeout expires, its interval's end with it. */
	usleep(1300 * 1000);
	l = list(f, 42, true);
	assert_int_equal(l->n, 0);
	assert_int_equal(nft_element(f->n, 42, true, true, &d, 0), 0);
	assert_int_equal(nft_element(f->n, 42, true, true, &d, 0), 0);	/* again: no error */
	assert_int_equal(list(f, 42, true)->n, 1);
	assert_int_equal(nft_element(f->n, 42, true, false, &d, 0), 0);

	/* An apply keeps runtime elements ... */
	assert_int_equal(nft_element(f->n, 17, true, true, &b, 0), 0);
	apply_ok(f);
	assert_int_equal(list(f, 0, true)->n, 1);
	assert_int_equal(list(f, 17, true)->n, 1);
	assert_int_equal(list(f, 42, false)->n, 1);
	/* ... except those of a customer whose filter went, with its chain. */
	f->cu[1].filter.present = false;
	apply_ok(f);
	assert_int_equal(list(f, 42, false)->n, 0);
	assert_int_equal(list(f, 17, true)->n, 1);
	assert_int_equal(nft_element(f->n, 42, false, true, &c, 0), -ENOENT);
	after = sh("nft list table inet gwd");
	assert_lacks(after, "c42");
	assert_lacks(after, "198.18.0.0");
	free(after);
}

static void test_table_deleted(void **state)
{
	struct fixture *f = *state;
	char *txt;

	assert_int_equal(nft_table_exists(f->n), 0);
	apply_ok(f);
	assert_int_equal(nft_table_exists(f->n), 1);
	/* Other tables' changes are not ours. */
	assert_int_equal(shell("nft add table inet tmp && nft delete table inet tmp"), 0);
	assert_int_equal(shell("nft delete table ip gwd && nft -f - <<'EOF'\n"
			     FOREIGN_IP "EOF"), 0);
	assert_int_equal(nft_table_exists(f->n), 1);

	assert_int_equal(shell("nft delete table inet gwd"), 0);
	assert_int_equal(nft_table_exists(f->n), 0);
	apply_ok(f);
	assert_int_equal(nft_table_exists(f->n), 1);
	txt = sh("nft list chain inet gwd c17");
	assert_contains(txt, "counter name \"c17_default\" accept");
	free(txt);
	/* ip gwd was re-created by the test: the teardown's listing matches. */
}

struct seen {
	char names[64][NFT_NAME_MAX];
	size_t n;
};

static int counter_cb(void *arg, const char *name, uint64_t packets,
		      uint64_t bytes)
{
	struct seen *s = arg;

	assert_true(s->n < 64);
	assert_int_equal(packets, 0);
	assert_int_equal(bytes, 0);
	snprintf(s->names[s->n++], NFT_NAME_MAX, "%s", name);
	return 0;
}

static bool seen(const struct seen *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->names[i], name))
			return true;
	return false;
}

static void test_counters(void **state)
{
	struct fixture *f = *state;
	char name[NFT_NAME_MAX];
	struct seen s = { 0 };

	apply_ok(f);
	assert_int_equal(nft_counters(f->n, counter_cb, &s), 0);
	/* gwd's counters only: not inet other's "c". */
	assert_int_equal(s.n, 2 + 11 + 5);
	assert_false(seen(&s, "c"));
	assert_true(seen(&s, "site_block"));
	for (size_t i = 0; i < 2; i++)
		for (size_t r = 0; r < f->cu[i].filter.n_rules; r++) {
			rule_counter(f, i, r, name);
			assert_true(seen(&s, name));
		}
}

static void test_mss_only_tunnels(void **state)
{
	struct fixture *f = *state;
	json_object *j;

	/* VLAN paths only, no filter anywhere: an empty table, nearly. */
	f->p17[0].type = PATH_VLAN;
	f->p17[1].type = PATH_VLAN;
	f->cu[0].filter.present = false;
	f->cu[1].filter.present = false;
	f->cu[1].n_paths = 0;
	f->cu[2].n_paths = 0;
	apply_ok(f);
	j = nft_json("table inet gwd");
	assert_int_equal(jcount(j, "rule", "mss"), 0);
	assert_int_equal(jcount(j, "chain", NULL), 2);
	assert_int_equal(jcount(j, "counter", NULL), 2);
	json_object_put(j);
	f->p17[1].type = PATH_IPSEC;
	apply_ok(f);
	j = nft_json("chain inet gwd mss");
	assert_int_equal(jcount(j, "rule", "mss"), 2);
	json_object_put(j);
}

/* ---- traffic ------------------------------------------------------------ */

/* A child holding a network namespace of its own; its pid names it. */
static pid_t ns_spawn(void)
{
	int p[2];
	char c = 0;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		c = unshare(CLONE_NEWNET) ? 'n' : 'y';
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_int_equal(c, 'y');
	return pid;
}

static void ns_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A UDP socket in pid's namespace, bound to port (0: any). */
static int ns_udp(pid_t pid, uint16_t port)
{
	char path[64];
	int self, ns, s;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(self >= 0 && ns >= 0);
	assert_int_equal(setns(ns, CLONE_NEWNET), 0);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(setns(self, CLONE_NEWNET), 0);
	close(ns);
	close(self);
	assert_true(s >= 0);
	if (port)
		assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return s;
}

/* Does a datagram from tx reach rx (listening on port at 203.0.113.1)? */
static bool passes(int tx, int rx, uint16_t port)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct pollfd pfd = { .fd = rx, .events = POLLIN };
	char buf[64];

	inet_pton(AF_INET, "203.0.113.1", &to.sin_addr);
	assert_int_equal(sendto(tx, "gwd", 3, 0, (struct sockaddr *)&to,
				sizeof(to)), 3);
	if (poll(&pfd, 1, 300) != 1)
		return false;
	return recv(rx, buf, sizeof(buf), 0) == 3;
}

static int64_t packets_of(const char *name)
{
	struct handles h;

	handles(&h);
	for (size_t i = 0; i < h.n; i++)
		if (!strcmp(h.name[i], name))
			return h.packets[i];
	return -1;
}

static void test_traffic(void **state)
{
	struct fixture *f = *state;
	struct gw_prefix client = pfx("10.1.1.0/24");
	char r0[NFT_NAME_MAX];
	pid_t a = ns_spawn(), b = ns_spawn();
	int tx, rx19, rx5000;

	/* client (a) -- 10.1.1.0/24 -- us -- 203.0.113.0/24 -- customer (b) */
	assert_int_equal(shell("ip link add va type veth peer name eth0 netns %d && "
			     "ip link add vb type veth peer name eth0 netns %d && "
			     "ip addr add 10.1.1.1/24 dev va && ip link set va up && "
			     "ip addr add 203.0.113.254/24 dev vb && ip link set vb up && "
			     "echo 1 > /proc/sys/net/ipv4/ip_forward", (int)a, (int)b), 0);
	assert_int_equal(shell("nsenter -t %d -n sh -c 'ip addr add 10.1.1.2/24 dev eth0 && "
			     "ip link set eth0 up && ip route add default via 10.1.1.1'",
			     (int)a), 0);
	assert_int_equal(shell("nsenter -t %d -n sh -c 'ip addr add 203.0.113.1/24 dev eth0 && "
			     "ip link set eth0 up && ip route add default via 203.0.113.254'",
			     (int)b), 0);
	tx = ns_udp(a, 0);
	rx19 = ns_udp(b, 19);
	rx5000 = ns_udp(b, 5000);

	apply_ok(f);
	rule_counter(f, 0, 0, r0);
	assert_true(passes(tx, rx5000, 5000));	/* the default: accept */
	assert_false(passes(tx, rx19, 19));	/* rule 0: drop */
	assert_false(passes(tx, rx19, 19));
	assert_int_equal(packets_of(r0), 2);
	assert_true(packets_of("c17_default") >= 1);

	/* Counters keep their values across an apply. */
	apply_ok(f);
	assert_int_equal(packets_of(r0), 2);

	/* A runtime block, then its removal. */
	assert_int_equal(nft_element(f->n, 17, true, true, &client, 0), 0);
	assert_false(passes(tx, rx5000, 5000));
	assert_int_equal(packets_of("c17_block"), 1);
	assert_int_equal(nft_element(f->n, 17, true, false, &client, 0), 0);
	assert_true(passes(tx, rx5000, 5000));

	/* The site's block applies before any customer's rules. */
	f->sblk[0] = client;
	apply_ok(f);
	assert_false(passes(tx, rx5000, 5000));
	assert_int_equal(packets_of("site_block"), 1);

	close(tx);
	close(rx19);
	close(rx5000);
	ns_kill(a);
	ns_kill(b);
	shell("ip link del va 2>/dev/null; ip link del vb 2>/dev/null");
}

/* ---- main ----------------------------------------------------------------- */

static int skip_all(const char *why)
{
	printf("SKIP: test-nft: %s *** not run ***\n", why);
	fprintf(stderr, "SKIP: test-nft: %s *** not run ***\n", why);
	return 77;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_layout),
		T(test_reapply_keeps_counters),
		T(test_kernel_error_owner),
		T(test_runtime_elements),
		T(test_table_deleted),
		T(test_counters),
		T(test_mss_only_tunnels),
		T(test_traffic),
#undef T
	};

	if (unshare(CLONE_NEWNET))
		return skip_all("unshare(CLONE_NEWNET) refused: needs root and CAP_NET_ADMIN");
	if (shell("nft --version >/dev/null 2>&1"))
		return skip_all("nft(8) is not installed");
	if (shell("nft add table inet probe 2>/dev/null && nft delete table inet probe"))
		return skip_all("the kernel has no nftables inet family");
	shell("ip link set lo up");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
