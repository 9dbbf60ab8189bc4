// SPDX-License-Identifier: GPL-2.0
/*
 * conf/: the address and name helpers, the parser and the validator one
 * behaviour at a time, then the golden configs of tests/conf/:
 *
 *   invalid/NN-name.json  must fail conf_parse() or conf_validate() with
 *                         exactly the lines of invalid/NN-name.err;
 *   valid/NN-name.json    must pass both, print as valid/NN-name.norm.json,
 *                         and that output must parse to the same model and
 *                         print to the same bytes.
 *
 * Not conf_load(): it also checks the files IPsec paths name, which would
 * tie the golden configs to this machine (test_check_files covers them).
 *
 * The directory is found from this file's path (make compiles it as
 * tests/unit/test-conf.c and check.sh runs it from the top of the tree), or
 * is $GWD_TEST_CONF_DIR.  GWD_BLESS=1 writes the expected files from the
 * actual output instead of comparing: review the diff before committing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/internal.h"

static char *conf_dir;	/* tests/conf of the source tree */

/* A config with every required key, and one path and prefix per family. */
#define BASE_SITE                                                          \
	"\"site\": { \"name\": \"t\", \"ingress\": [\"eth1\"],"            \
	" \"underlay\": { \"v4\": \"198.51.100.1\" } }"
#define BASE_PATH                                                          \
	"{ \"name\": \"g\", \"type\": \"gre\", \"remote\": \"192.0.2.1\","  \
	" \"address\": \"10.0.0.1/30\", \"peer\": \"10.0.0.2\" }"
#define BASE_CUSTOMER(paths)                                               \
	"{ \"name\": \"c\", \"id\": 7, \"prefixes\": [\"203.0.113.0/24\"],"   \
	" \"paths\": [" paths "] }"

static char *read_all(const char *file, size_t *len)
{
	FILE *f = fopen(file, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void write_all(const char *file, const char *text)
{
	FILE *f = fopen(file, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *diag_text(const struct conf_diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	conf_diag_print(f, d);
	fclose(f);
	return buf;
}

static char *print_text(const struct gw_conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(conf_print(f, c), 0);
	fclose(f);
	return buf;
}

/* Parse and validate text; returns the diagnostics, "" when valid. */
static char *check_len(const char *text, size_t len, struct gw_conf **out)
{
	struct conf_diag d = { 0 };
	struct gw_conf *c = NULL;
	char *msg;
	int r;

	r = conf_parse(text, len, &c, &d);
	if (!r)
		r = conf_validate(c, &d);
	assert_true(r == 0 || r == -EINVAL);
	assert_int_equal(r == 0, d.n == 0);
	msg = diag_text(&d);
	conf_diag_free(&d);
	if (out && !r)
		*out = c;
	else
		conf_free(c);
	return msg;
}

static char *check(const char *text, struct gw_conf **out)
{
	return check_len(text, strlen(text), out);
}

/* A config file through check_len(): not conf_load(), see above. */
static char *check_file(const char *file, struct gw_conf **out)
{
	size_t len;
	char *text = read_all(file, &len), *msg;

	if (!text)
		fail_msg("%s: %s", file, strerror(errno));
	msg = check_len(text, len, out);
	free(text);
	return msg;
}

static void expect(const char *text, const char *diag)
{
	char *msg = check(text, NULL);

	assert_string_equal(msg, diag);
	free(msg);
}

static void test_addr_parse(void **state)
{
	struct gw_addr a;

	assert_int_equal(gw_addr_parse("192.0.2.1", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.raw[0], 192);
	assert_int_equal(a.raw[3], 1);
	assert_int_equal(gw_addr_parse("2001:DB8::1", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.raw[1], 0x01);
	assert_int_equal(a.raw[15], 1);
	assert_int_equal(gw_addr_parse("192.0.2", &a), -EINVAL);
	assert_int_equal(gw_addr_parse("", &a), -EINVAL);
	assert_int_equal(gw_addr_parse(" 192.0.2.1", &a), -EINVAL);
	assert_int_equal(gw_addr_parse("192.0.2.1/32", &a), -EINVAL);
	assert_int_equal(gw_addr_parse("fe80::1%eth0", &a), -EINVAL);
	assert_int_equal(gw_addr_parse("192.0.2.256", &a), -EINVAL);
}

static void test_prefix_parse(void **state)
{
	struct gw_prefix p;
	char buf[GW_PREFIXSTRLEN];

	assert_int_equal(gw_ifprefix_parse("10.17.0.1/30", &p), 0);
	assert_int_equal(p.len, 30);
	assert_string_equal(gw_prefix_str(&p, buf, sizeof(buf)), "10.17.0.1/30");
	assert_int_equal(gw_prefix_parse("10.17.0.1/30", &p), -EINVAL);
	assert_int_equal(gw_prefix_parse("10.17.0.0/30", &p), 0);
	assert_int_equal(gw_prefix_parse("0.0.0.0/0", &p), 0);
	assert_int_equal(gw_prefix_parse("2001:db8:17::/48", &p), 0);
	assert_int_equal(p.len, 48);
	assert_int_equal(gw_prefix_parse("2001:db8:17::1/128", &p), 0);
	assert_int_equal(gw_prefix_parse("2001:db8:17::1/129", &p), -EINVAL);
	assert_int_equal(gw_ifprefix_parse("10.0.0.0/33", &p), -EINVAL);
	assert_int_equal(gw_ifprefix_parse("10.0.0.0/", &p), -EINVAL);
	assert_int_equal(gw_ifprefix_parse("10.0.0.0/+8", &p), -EINVAL);
	assert_int_equal(gw_ifprefix_parse("10.0.0.0/ 8", &p), -EINVAL);
	assert_int_equal(gw_ifprefix_parse("10.0.0.0/8 ", &p), -EINVAL);
	assert_int_equal(gw_ifprefix_parse("10.0.0.0/0008", &p), -EINVAL);
	assert_int_equal(gw_ifprefix_parse("10.0.0.0/008", &p), 0);
	assert_int_equal(gw_ifprefix_parse("10.0.0.0", &p), -EINVAL);
	assert_int_equal(gw_ifprefix_parse("/8", &p), -EINVAL);
	assert_int_equal(gw_ifprefix_parse("10.0.0.0/8/8", &p), -EINVAL);
	assert_int_equal(gw_ifprefix_parse(
		"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128", &p), 0);
	assert_int_equal(gw_ifprefix_parse(
		"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255x/128", &p), -EINVAL);
}

static void test_prefix_mask(void **state)
{
	struct gw_prefix p;
	char buf[GW_PREFIXSTRLEN];

	assert_int_equal(gw_ifprefix_parse("10.17.0.3/30", &p), 0);
	gw_prefix_mask(&p);
	assert_string_equal(gw_prefix_str(&p, buf, sizeof(buf)), "10.17.0.0/30");
	assert_int_equal(gw_ifprefix_parse("203.0.113.77/0", &p), 0);
	gw_prefix_mask(&p);
	assert_string_equal(gw_prefix_str(&p, buf, sizeof(buf)), "0.0.0.0/0");
	assert_int_equal(gw_ifprefix_parse("2001:db8:ffff:ffff::1/35", &p), 0);
	gw_prefix_mask(&p);
	assert_string_equal(gw_prefix_str(&p, buf, sizeof(buf)), "2001:db8:e000::/35");
	assert_int_equal(gw_ifprefix_parse("2001:db8::1/128", &p), 0);
	gw_prefix_mask(&p);
	assert_string_equal(gw_prefix_str(&p, buf, sizeof(buf)), "2001:db8::1/128");
}

static void test_prefix_relations(void **state)
{
	struct gw_prefix a, b, c, v6;
	struct gw_addr x, y, none = { 0 };

	assert_int_equal(gw_prefix_parse("203.0.113.0/24", &a), 0);
	assert_int_equal(gw_prefix_parse("203.0.113.128/25", &b), 0);
	assert_int_equal(gw_prefix_parse("203.0.112.0/24", &c), 0);
	assert_int_equal(gw_prefix_parse("::/0", &v6), 0);
	assert_int_equal(gw_addr_parse("203.0.113.200", &x), 0);
	assert_int_equal(gw_addr_parse("::ffff:203.0.113.200", &y), 0);

	assert_true(gw_prefix_contains(&a, &x));
	assert_true(gw_prefix_contains(&b, &x));
	assert_false(gw_prefix_contains(&c, &x));
	assert_false(gw_prefix_contains(&a, &y));	/* families differ */
	assert_true(gw_prefix_contains(&v6, &y));
	assert_false(gw_prefix_contains(&v6, &none));

	assert_true(gw_prefix_overlap(&a, &b));
	assert_true(gw_prefix_overlap(&b, &a));
	assert_false(gw_prefix_overlap(&a, &c));
	assert_false(gw_prefix_overlap(&a, &v6));
	assert_true(gw_prefix_overlap(&a, &a));

	assert_true(gw_prefix_eq(&a, &a));
	assert_false(gw_prefix_eq(&a, &b));
	assert_false(gw_addr_eq(&x, &y));
	assert_true(gw_addr_eq(&none, &none));
	assert_int_equal(gw_addr_len(AF_INET), 4);
	assert_int_equal(gw_addr_len(AF_INET6), 16);
	assert_int_equal(gw_addr_len(0), 0);
}

static void test_addr_str(void **state)
{
	struct gw_addr a, none = { 0 };
	char buf[GW_ADDRSTRLEN], small[4];

	assert_int_equal(gw_addr_parse("2001:0DB8:0000::0001", &a), 0);
	assert_string_equal(gw_addr_str(&a, buf, sizeof(buf)), "2001:db8::1");
	assert_string_equal(gw_addr_str(&none, buf, sizeof(buf)), "unset");
	/* Too small a buffer gives an empty string, never a truncated one. */
	assert_string_equal(gw_addr_str(&a, small, sizeof(small)), "");
}

static void test_ifnames(void **state)
{
	char n[IF_NAMESIZE];

	assert_int_equal(conf_vrf_ifname(17, n), 0);
	assert_string_equal(n, "gwvrf17");
	assert_int_equal(conf_vrf_ifname(UINT32_MAX, n), 0);
	assert_string_equal(n, "gwvrf4294967295");
	assert_int_equal(conf_path_ifname(17, "bcix", n), 0);
	assert_string_equal(n, "gw17-bcix");
	assert_int_equal(conf_path_ifname(65535, "abcdefg", n), 0);
	assert_string_equal(n, "gw65535-abcdefg");
	assert_int_equal(conf_path_ifname(65535, "abcdefgh", n), -ENAMETOOLONG);
	assert_string_equal(n, "");
}

static void test_defaults(void **state)
{
	const struct customer_conf *cu;
	const struct path_conf *p;
	struct gw_conf *c = NULL;
	char *msg;

	msg = check("{" BASE_SITE ", \"customers\": [" BASE_CUSTOMER(BASE_PATH) "] }", &c);
	assert_string_equal(msg, "");
	free(msg);
	assert_string_equal(c->site.name, "t");
	assert_int_equal(c->site.table_base, 1000);
	assert_string_equal(c->site.control_socket, GW_DEFAULT_SOCK);
	assert_int_equal(c->site.underlay_v6.family, 0);
	assert_int_equal(c->defaults.mtu, 1476);
	assert_int_equal(c->defaults.probe.kind, PROBE_ICMP);
	assert_int_equal(c->defaults.probe.interval_ms, 100);
	assert_int_equal(c->defaults.probe.fail, 3);
	assert_int_equal(c->defaults.probe.rise, 3);

	cu = conf_customer(c, "c");
	assert_non_null(cu);
	assert_null(conf_customer(c, "d"));
	assert_int_equal(cu->table, 1007);
	assert_string_equal(cu->vrf, "gwvrf7");
	p = conf_path(cu, "g");
	assert_non_null(p);
	assert_null(conf_path(cu, "h"));
	assert_string_equal(p->ifname, "gw7-g");
	assert_int_equal(p->type, PATH_GRE);
	assert_false(p->has_key);
	assert_int_equal(p->priority, 100);
	assert_int_equal(p->weight, 1);
	assert_int_equal(p->mtu, 1476);
	assert_int_equal(p->mss, 0);
	assert_memory_equal(&p->probe, &c->defaults.probe, sizeof(p->probe));
	assert_false(cu->filter.present);
	assert_int_equal(cu->filter.n_rules, 0);
	assert_int_equal(c->site.filter.n_block + c->site.filter.n_allow, 0);
	assert_false(cu->syn.present);
	assert_int_equal(cu->syn.mode, SYN_CONF_OFF);
	assert_int_equal(cu->syn.hold_s, 60);
	assert_int_equal(cu->syn.auth_s, 300);
	assert_int_equal(cu->syn.budget_pps, 100);
	assert_int_equal(cu->syn.budget_burst, 200);
	assert_false(c->site.syn.present);
	assert_int_equal(c->site.syn.fallback, SYN_CONF_PASS);
	conf_free(c);
}

/* Each probe key overrides defaults.probe on its own, wherever defaults is. */
static void test_overrides(void **state)
{
	const struct path_conf *p;
	struct gw_conf *c = NULL;
	char *msg;

	msg = check("{" BASE_SITE ", \"customers\": [" BASE_CUSTOMER(
		"{ \"name\": \"g\", \"type\": \"gre\", \"remote\": \"192.0.2.1\","
		" \"key\": 0, \"address\": \"10.0.0.1/30\", \"peer\": \"10.0.0.2\","
		" \"mtu\": 1400, \"probe\": { \"fail\": 5 } }") "],"
		" \"defaults\": { \"mtu\": 1380, \"probe\": { \"interval_ms\": 250 } } }",
		&c);
	assert_string_equal(msg, "");
	free(msg);
	assert_int_equal(c->defaults.mtu, 1380);
	p = &c->customers[0].paths[0];
	assert_true(p->has_key);
	assert_int_equal(p->key, 0);
	assert_int_equal(p->mtu, 1400);
	assert_int_equal(p->probe.interval_ms, 250);
	assert_int_equal(p->probe.fail, 5);
	assert_int_equal(p->probe.rise, 3);
	conf_free(c);
}

#define IPSEC_PATH(name, net, remote, more)                                 \
	"{ \"name\": \"" name "\", \"type\": \"ipsec\", \"remote\": \"" remote "\","  \
	" \"address\": \"10.0." net ".1/30\", \"peer\": \"10.0." net ".2\"," more     \
	" \"ike\": { \"psk_file\": \"/etc/gwd/psk/c\","                          \
	" \"remote_id\": \"" name ".example\" } }"

/* An IPsec path's defaults, derived if_id, and MTU by mode and family. */
static void test_ipsec(void **state)
{
	static const char *const text =
		"{ \"site\": { \"name\": \"t\", \"ingress\": [\"eth1\"],"
		" \"underlay\": { \"v4\": \"198.51.100.1\", \"v6\": \"2001:db8::1\" } },"
		" %s \"customers\": [" BASE_CUSTOMER(
		IPSEC_PATH("x4", "1", "192.0.2.1", "") ","
		IPSEC_PATH("x6", "2", "2001:db8:1::1", "") ","
		IPSEC_PATH("g4", "3", "192.0.2.1", " \"mode\": \"gre\",") ","
		IPSEC_PATH("g6", "4", "2001:db8:1::1", " \"mode\": \"gre\", \"key\": 4,") ","
		IPSEC_PATH("v4", "5", "192.0.2.1", " \"mode\": \"vti\",")) "] }";
	static const uint32_t mtu[] = { 1438, 1418, 1400, 1380, 1438 };
	const struct path_conf *p;
	struct gw_conf *c = NULL;
	char *conf, *msg;
	size_t i;

	assert_true(asprintf(&conf, text, "") > 0);
	msg = check(conf, &c);
	assert_string_equal(msg, "");
	free(msg);
	free(conf);
	assert_string_equal(c->site.vici_socket, GW_DEFAULT_VICI);
	p = &c->customers[0].paths[0];
	assert_int_equal(p->type, PATH_IPSEC);
	assert_int_equal(p->ipsec_mode, IPSEC_XFRM);
	assert_false(p->has_key);
	assert_int_equal(p->if_id, conf_path_if_id(7, "x4"));
	assert_int_equal(p->if_id >> 16, 7);
	assert_int_equal(p->ike.auth, IKE_AUTH_PSK);
	assert_string_equal(p->ike.psk_file, "/etc/gwd/psk/c");
	assert_string_equal(p->ike.local_id, "");
	assert_string_equal(p->ike.remote_id, "x4.example");
	assert_string_equal(p->ike.proposals,
			    "aes256gcm16-prfsha384-x25519,aes256gcm16-prfsha384-ecp384");
	assert_string_equal(p->ike.esp_proposals,
			    "aes256gcm16-x25519,aes256gcm16-ecp384");
	assert_int_equal(p->ike.dpd_s, 10);
	assert_int_equal(p->ike.rekey_s, 14400);
	assert_int_equal(p->ike.reauth_s, 0);
	assert_int_equal(p->ike.child_rekey_s, 3600);
	assert_int_equal(p->ike.jitter_pct, 10);
	assert_int_equal(c->customers[0].paths[1].ipsec_mode, IPSEC_XFRM);
	assert_int_equal(c->customers[0].paths[2].ipsec_mode, IPSEC_GRE);
	assert_int_equal(c->customers[0].paths[3].key, 4);
	assert_int_equal(c->customers[0].paths[4].ipsec_mode, IPSEC_VTI);
	for (i = 0; i < sizeof(mtu) / sizeof(mtu[0]); i++)
		assert_int_equal(c->customers[0].paths[i].mtu, mtu[i]);
	conf_free(c);

	/* defaults.mtu is the most a tunnel gets, as for GRE. */
	assert_true(asprintf(&conf, text, "\"defaults\": { \"mtu\": 1410 },") > 0);
	msg = check(conf, &c);
	assert_string_equal(msg, "");
	free(msg);
	free(conf);
	for (i = 0; i < sizeof(mtu) / sizeof(mtu[0]); i++)
		assert_int_equal(c->customers[0].paths[i].mtu,
				 mtu[i] < 1410 ? mtu[i] : 1410);
	conf_free(c);
}

/* The MSS each path clamps to: its own, else its MTU less the headers. */
static void test_mss(void **state)
{
	static const char *const text =
		"{" BASE_SITE ", \"customers\": [" BASE_CUSTOMER(BASE_PATH ","
		"{ \"name\": \"h\", \"type\": \"gre\", \"remote\": \"192.0.2.2\","
		"  \"address\": \"10.0.1.1/30\", \"peer\": \"10.0.1.2\", \"mss\": 1300 },"
		"{ \"name\": \"m\", \"type\": \"gre\", \"remote\": \"192.0.2.3\","
		"  \"address\": \"10.0.2.1/30\", \"peer\": \"10.0.2.2\", \"mtu\": 1400 },"
		IPSEC_PATH("x4", "3", "192.0.2.4", "") ","
		"{ \"name\": \"v\", \"type\": \"vlan\", \"parent\": \"eth2\","
		"  \"vlan\": 117, \"address\": \"10.0.4.1/30\", \"peer\": \"10.0.4.2\" }")
		"] }";
	static const uint16_t mss[][2] = {
		{ 1436, 1416 }, { 1300, 1300 }, { 1360, 1340 }, { 1398, 1378 }, { 0, 0 },
	};
	struct gw_conf *c = NULL;
	char *msg;
	size_t i;

	msg = check(text, &c);
	assert_string_equal(msg, "");
	free(msg);
	for (i = 0; i < sizeof(mss) / sizeof(mss[0]); i++) {
		assert_int_equal(conf_path_mss(&c->customers[0].paths[i], AF_INET),
				 mss[i][0]);
		assert_int_equal(conf_path_mss(&c->customers[0].paths[i], AF_INET6),
				 mss[i][1]);
	}
	/* Given or not: derived values stay out of the model. */
	assert_int_equal(c->customers[0].paths[0].mss, 0);
	assert_int_equal(c->customers[0].paths[1].mss, 1300);
	conf_free(c);
}

/* A customer's filter and the site's, as the model holds them. */
static void test_filter(void **state)
{
	static const char *const text =
		"{ \"site\": { \"name\": \"t\", \"ingress\": [\"eth1\"],"
		" \"underlay\": { \"v4\": \"198.51.100.1\" },"
		" \"filter\": { \"block\": [\"192.0.2.66\", \"2001:db8::/32\"] } },"
		" \"customers\": [{ \"name\": \"c\", \"id\": 7,"
		" \"prefixes\": [\"203.0.113.0/24\", \"2001:db8:7::/48\"],"
		" \"paths\": [" BASE_PATH ", { \"name\": \"h\", \"type\": \"gre\","
		"  \"remote\": \"192.0.2.2\", \"address\": \"2001:db8:ff::1/64\","
		"  \"peer\": \"2001:db8:ff::2\" }],"
		" \"filter\": { \"default\": \"drop\", \"allow\": [\"2001:db8:1::1\"],"
		"  \"rules\": ["
		"  { \"proto\": \"udp\", \"dport\": [19, \"1900-1901\"], \"action\": \"drop\" },"
		"  { \"proto\": \"tcp\", \"dport\": [25], \"rate\": \"2000/second\","
		"    \"per\": \"source\" },"
		"  { \"proto\": 6, \"tcp_flags\": [\"syn\", \"!ack\"], \"length\": \"40-60\","
		"    \"rate\": \"3 kbytes/minute\", \"burst\": 6144, \"monitor\": true },"
		"  { \"proto\": 250, \"length\": 1500, \"rate\": \"10 mbytes/hour\" },"
		"  { \"saddr\": [\"192.0.2.0/24\"], \"daddr\": [\"203.0.113.7\"] } ] } },"
		" { \"name\": \"d\", \"id\": 8, \"prefixes\": [\"198.18.0.0/24\"],"
		"  \"paths\": [{ \"name\": \"g\", \"type\": \"gre\", \"remote\": \"192.0.2.9\","
		"  \"address\": \"10.0.0.1/30\", \"peer\": \"10.0.0.2\" }] }] }";
	const struct filter_conf *fc;
	const struct filter_rule *r;
	struct gw_conf *c = NULL;
	char *msg;

	msg = check(text, &c);
	assert_string_equal(msg, "");
	free(msg);
	assert_int_equal(c->site.filter.n_block, 2);
	assert_int_equal(c->site.filter.block[0].len, 32);
	assert_int_equal(c->site.filter.block[1].addr.family, AF_INET6);
	assert_int_equal(c->site.filter.n_allow, 0);
	assert_false(c->customers[1].filter.present);

	fc = &c->customers[0].filter;
	assert_true(fc->present);
	assert_int_equal(fc->def, FILTER_DROP);
	assert_int_equal(fc->sets.n_block, 0);
	assert_int_equal(fc->sets.n_allow, 1);
	assert_int_equal(fc->sets.allow[0].len, 128);
	assert_int_equal(fc->n_rules, 5);

	r = &fc->rules[0];
	assert_int_equal(r->proto, IPPROTO_UDP);
	assert_int_equal(r->n_dport, 2);
	assert_int_equal(r->dport[0].lo, 19);
	assert_int_equal(r->dport[0].hi, 19);
	assert_int_equal(r->dport[1].lo, 1900);
	assert_int_equal(r->dport[1].hi, 1901);
	assert_int_equal(r->action, FILTER_DROP);
	assert_false(r->has_rate);

	/* Accepted within the rate, dropped beyond it, one bucket per source. */
	r = &fc->rules[1];
	assert_int_equal(r->proto, IPPROTO_TCP);
	assert_int_equal(r->action, FILTER_ACCEPT);
	assert_true(r->has_rate);
	assert_int_equal(r->rate, 2000);
	assert_int_equal(r->rate_unit, RATE_PACKETS);
	assert_int_equal(r->rate_per_s, 1);
	assert_int_equal(r->burst, 0);
	assert_int_equal(r->per, RATE_PER_SOURCE);
	assert_false(r->monitor);

	r = &fc->rules[2];
	assert_int_equal(r->proto, IPPROTO_TCP);
	assert_int_equal(r->tcp_flags, 0x02);
	assert_int_equal(r->tcp_flags_mask, 0x12);
	assert_int_equal(r->len_lo, 40);
	assert_int_equal(r->len_hi, 60);
	assert_int_equal(r->rate, 3 * 1024);
	assert_int_equal(r->rate_unit, RATE_BYTES);
	assert_int_equal(r->rate_per_s, 60);
	assert_int_equal(r->burst, 6144);
	assert_int_equal(r->per, RATE_PER_RULE);
	assert_true(r->monitor);

	r = &fc->rules[3];
	assert_int_equal(r->proto, 250);
	assert_int_equal(r->len_lo, 1500);
	assert_int_equal(r->len_hi, 1500);
	assert_int_equal(r->rate, 10 * 1048576);
	assert_int_equal(r->rate_per_s, 3600);

	r = &fc->rules[4];
	assert_int_equal(r->proto, 0);
	assert_int_equal(r->n_saddr, 1);
	assert_int_equal(r->saddr[0].len, 24);
	assert_int_equal(r->daddr[0].len, 32);
	assert_int_equal(r->len_hi, 0);
	conf_free(c);
}

/* A filter's lists: the most, and one more. */
static void test_filter_limits(void **state)
{
	static const struct {
		const char *fmt;	/* a config, %s its filter's list */
		const char *item;	/* a member, from the high and low byte of its index */
		int most;
		const char *error;
	} t[] = {
		{ "{" BASE_SITE ", \"customers\": [{ \"name\": \"c\", \"id\": 7,"
		  " \"prefixes\": [\"203.0.113.0/24\"], \"paths\": [" BASE_PATH "],"
		  " \"filter\": { \"rules\": [%s] } }] }",
		  "{ \"action\": \"drop\" }", 256,
		  "customers[0].filter.rules: list at most 256 rules, not 257\n" },
		{ "{" BASE_SITE ", \"customers\": [{ \"name\": \"c\", \"id\": 7,"
		  " \"prefixes\": [\"203.0.113.0/24\"], \"paths\": [" BASE_PATH "],"
		  " \"filter\": { \"block\": [%s] } }] }",
		  "\"10.%d.%d.0/24\"", 4096,
		  "customers[0].filter.block: list at most 4096 prefixes, not 4097\n" },
		{ "{ \"site\": { \"name\": \"t\", \"ingress\": [\"eth1\"],"
		  " \"underlay\": { \"v4\": \"198.51.100.1\" }, \"filter\": { \"allow\": [%s] } },"
		  " \"customers\": [" BASE_CUSTOMER(BASE_PATH) "] }",
		  "\"2001:db8:%x:%x::/64\"", 65536,
		  "site.filter.allow: list at most 65536 prefixes, not 65537\n" },
	};
	char *list, *text, *msg;
	size_t i, len;
	int n, j;
	FILE *f;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (n = t[i].most; n <= t[i].most + 1; n++) {
			f = open_memstream(&list, &len);
			assert_non_null(f);
			for (j = 0; j < n; j++) {
				fputs(j ? ", " : "", f);
				fprintf(f, t[i].item, j >> 8, j & 0xff);
			}
			fclose(f);
			assert_true(asprintf(&text, t[i].fmt, list) > 0);
			msg = check(text, NULL);
			assert_string_equal(msg, n > t[i].most ? t[i].error : "");
			free(msg);
			free(text);
			free(list);
		}
	}
}

/* "syn" of a customer and of the site, as the model holds them. */
static void test_syn(void **state)
{
	const char *fmt =
		"{ \"site\": { \"name\": \"t\", \"ingress\": [\"eth1\"],"
		" \"underlay\": { \"v4\": \"198.51.100.1\" },"
		" \"syn\": { \"fallback\": \"drop\" } }, \"customers\": ["
		"{ \"name\": \"c\", \"id\": 7, \"prefixes\": [\"203.0.113.0/24\"],"
		" \"paths\": [" BASE_PATH "],"
		" \"syn\": { \"mode\": \"auto\", \"on_pps\": 20000, \"off_pps\": 5000,"
		"  \"budget_pps\": 40 } },"
		"{ \"name\": \"d\", \"id\": 8, \"prefixes\": [\"198.18.0.0/24\"],"
		" \"paths\": [{ \"name\": \"g\", \"type\": \"gre\", \"remote\": \"192.0.2.9\","
		"  \"address\": \"10.0.8.1/30\", \"peer\": \"10.0.8.2\" }],"
		" \"syn\": { \"mode\": \"on\"%s } }] }";
	const struct syn_conf *sc;
	struct gw_conf *c = NULL;
	char *text, *msg;

	/* Auto's own keys in another mode: most likely left from a change. */
	assert_true(asprintf(&text, fmt, ", \"hold_s\": 5") > 0);
	msg = check(text, &c);
	assert_string_equal(msg, "customers[1].syn.hold_s: only valid with "
			    "\"mode\": \"auto\"\n");
	assert_null(c);
	free(msg);
	free(text);

	assert_true(asprintf(&text, fmt, ", \"auth_s\": 10, \"budget_burst\": 7") > 0);
	msg = check(text, &c);
	assert_string_equal(msg, "");
	free(msg);
	free(text);
	assert_true(c->site.syn.present);
	assert_int_equal(c->site.syn.fallback, SYN_CONF_DROP);
	sc = &c->customers[0].syn;
	assert_true(sc->present);
	assert_int_equal(sc->mode, SYN_CONF_AUTO);
	assert_int_equal(sc->on_pps, 20000);
	assert_int_equal(sc->off_pps, 5000);
	assert_int_equal(sc->hold_s, 60);
	assert_int_equal(sc->auth_s, 300);
	assert_int_equal(sc->budget_pps, 40);
	assert_int_equal(sc->budget_burst, 80);	/* twice budget_pps */
	sc = &c->customers[1].syn;
	assert_int_equal(sc->mode, SYN_CONF_ON);
	assert_int_equal(sc->on_pps, 0);
	assert_int_equal(sc->off_pps, 0);
	assert_int_equal(sc->auth_s, 10);
	assert_int_equal(sc->budget_pps, 100);
	assert_int_equal(sc->budget_burst, 7);	/* below budget_pps is fine */
	conf_free(c);
}

/* The messages the config contract quotes, word for word. */
static void test_contract_messages(void **state)
{
	expect("{" BASE_SITE ", \"customers\": [" BASE_CUSTOMER(BASE_PATH) ","
	       "{ \"name\": \"d\", \"id\": 8, \"prefixes\": [\"198.18.0.0/24\"],"
	       "  \"paths\": [{ \"name\": \"v\", \"type\": \"vlan\", \"parent\": \"eth2\","
	       "    \"vlan\": 4095, \"address\": \"10.0.0.1/30\", \"peer\": \"10.0.0.2\" }] }] }",
	       "customers[1].paths[0].vlan: 4095 is out of range 1..4094\n");
	expect("{ \"site\": { \"name\": \"t\", \"ingress\": [\"eth1\"],"
	       " \"table_base\": \"1000\" }, \"customers\": [] }",
	       "site.table_base: expected an integer, got string\n");
	expect("{" BASE_SITE ", \"customers\": [" BASE_CUSTOMER(BASE_PATH ","
	       "{ \"name\": \"h\", \"type\": \"gre\", \"remote\": \"192.0.2.2\","
	       "  \"address\": \"10.0.1.1/30\" }") "] }",
	       "customers[0].paths[1]: missing required key \"peer\"\n");
	expect("{" BASE_SITE ", \"customers\": [{ \"name\": \"c\", \"id\": 7,"
	       " \"prefixes\": [\"203.0.113.0/24\", \"203.0.113.1/24\"],"
	       " \"paths\": [" BASE_PATH "] }] }",
	       "customers[0].prefixes[1]: 203.0.113.1/24 has host bits set "
	       "(did you mean 203.0.113.0/24?)\n");
	expect("{" BASE_SITE ", \"customers\": [{ \"name\": \"mailbox\", \"id\": 7,"
	       " \"prefixes\": [\"203.0.113.0/24\", \"2001:db8:17::/48\"],"
	       " \"paths\": [" BASE_PATH "] }] }",
	       "customers[0].prefixes[1]: no path of customer \"mailbox\" has an "
	       "IPv6 peer\n");
	/* The SYN fast path of the contract's example, as it is written there. */
	expect("{" BASE_SITE ", \"customers\": [{ \"name\": \"c\", \"id\": 7,"
	       " \"prefixes\": [\"203.0.113.0/24\"], \"paths\": [" BASE_PATH "],"
	       " \"syn\": { \"mode\": \"auto\", \"on_pps\": 20000, \"off_pps\": 5000 } }] }",
	       "");
	/* The filter of the contract's example, as it is written there. */
	expect("{" BASE_SITE ", \"customers\": [{ \"name\": \"c\", \"id\": 7,"
	       " \"prefixes\": [\"203.0.113.0/24\"], \"paths\": [" BASE_PATH "],"
	       " \"filter\": { \"default\": \"accept\","
	       "  \"rules\": [ { \"proto\": \"udp\", \"dport\": [19, 1900], \"action\": \"drop\" },"
	       "  { \"proto\": \"tcp\", \"dport\": [25], \"rate\": \"2000/second\","
	       "    \"per\": \"source\" } ] } }] }",
	       "");
	/* The IPsec path of the contract's example, as it is written there. */
	expect("{" BASE_SITE ", \"customers\": [" BASE_CUSTOMER(BASE_PATH ","
	       "{ \"name\": \"v\", \"type\": \"vlan\", \"parent\": \"eth2\","
	       "  \"vlan\": 117, \"address\": \"10.0.1.1/30\", \"peer\": \"10.0.1.2\" },"
	       "{ \"name\": \"sec1\", \"type\": \"ipsec\", \"remote\": \"192.0.2.18\","
	       "  \"address\": \"10.17.2.1/30\", \"peer\": \"10.17.2.2\", \"priority\": 30,"
	       "  \"ike\": { \"auth\": \"psk\", \"psk_file\": \"/etc/gwd/psk/mailbox\","
	       "  \"remote_id\": \"cpe.mailbox.example\" } }") "] }",
	       "");
}

static void test_syntax_position(void **state)
{
	expect("{\n  \"site\": {\n    \"name\": \"t\",\n  }\n}\n",
	       "line 4, column 3: unexpected character\n");
	expect("{\n  \"site\": ", "line 2, column 11: unexpected end of input\n");
	expect("", "line 1, column 1: unexpected end of input\n");
	expect("null", "top level: expected an object, got null\n");
	expect("{} []", "line 1, column 4: unexpected character\n");
}

static void test_nul_byte(void **state)
{
	static const char text[] = "{ \"site\": \0 }";
	struct conf_diag d = { 0 };
	struct gw_conf *c = (struct gw_conf *)1;
	char *msg;

	assert_int_equal(conf_parse(text, sizeof(text) - 1, &c, &d), -EINVAL);
	assert_null(c);
	msg = diag_text(&d);
	assert_string_equal(msg, "line 1, column 11: NUL byte in the text\n");
	free(msg);
	conf_diag_free(&d);
}

/* json-c keeps the last of two equal keys; gwd refuses, even when spelt
 * differently, and goes on to report the rest. */
static void test_duplicate_keys(void **state)
{
	expect("{" BASE_SITE ", \"customers\": [{ \"name\": \"c\", \"\\u0069d\": 7,"
	       " \"id\": 8, \"prefixes\": [\"203.0.113.0/24\"],"
	       " \"paths\": [" BASE_PATH "], \"nope\": 1 }] }",
	       "customers[0].id: key given twice\n"
	       "customers[0].nope: unknown key\n");
	expect("{ \"a\": { \"b\\u0000c\": 1 } }",
	       "a[\"b\\u0000c\"]: key contains a NUL character\n"
	       "top level: missing required key \"site\"\n"
	       "top level: missing required key \"customers\"\n"
	       "a: unknown key\n");
}

static void test_report_all(void **state)
{
	expect("{ \"site\": { \"name\": \"T\", \"ingress\": [\"a/b\", 7] },"
	       " \"customers\": [{ \"name\": \"c\", \"id\": 0, \"prefixes\": [],"
	       " \"paths\": [{ \"name\": \"x\", \"type\": \"vlan\", \"parent\": \"eth2\","
	       " \"vlan\": 0, \"address\": \"10.0.0.1/30\", \"peer\": \"10.0.0.2\","
	       " \"weight\": 0, \"remote\": \"192.0.2.1\" }] }] }",
	       "site.name: \"T\" is not a valid name (1 to 31 of a-z 0-9 _ . -, "
	       "starting with a letter or digit)\n"
	       "site.ingress[0]: \"a/b\" is not a valid interface name (1 to 15 "
	       "characters, no '/', ':' or white space)\n"
	       "site.ingress[1]: expected a string, got integer\n"
	       "customers[0].id: 0 is out of range 1..65535\n"
	       "customers[0].paths[0].weight: 0 is out of range 1..256\n"
	       "customers[0].paths[0].vlan: 0 is out of range 1..4094\n"
	       "customers[0].paths[0].remote: only valid in a path of type \"gre\" "
	       "or \"ipsec\"\n");
}

static void test_validate_table(void **state)
{
	struct gw_conf *c = NULL;
	struct conf_diag d = { 0 };
	char *msg;

	msg = check("{" BASE_SITE ", \"customers\": [" BASE_CUSTOMER(BASE_PATH) "] }", &c);
	assert_string_equal(msg, "");
	free(msg);
	c->site.table_base = 247;
	assert_int_equal(conf_validate(c, &d), -EINVAL);
	msg = diag_text(&d);
	assert_string_equal(msg, "customers[0].id: table 254 (site.table_base 247 "
			    "+ 7) is reserved for the kernel's default, main and "
			    "local tables\n");
	free(msg);
	conf_diag_free(&d);
	c->site.table_base = 249;
	assert_int_equal(conf_validate(c, &d), 0);
	assert_int_equal(d.n, 0);
	conf_free(c);
}

static void test_diag_cap(void **state)
{
	struct conf_diag d = { 0 };
	char *msg;
	int i;

	for (i = 0; i < 250; i++)
		conf_diag_add(&d, "line %d", i);
	assert_int_equal(d.n, 200);
	assert_int_equal(d.dropped, 50);
	msg = diag_text(&d);
	assert_non_null(strstr(msg, "line 199\n(and 50 more)\n"));
	free(msg);
	conf_diag_free(&d);
	assert_int_equal(d.n, 0);
	assert_null(d.msg);
}

static void test_load_errors(void **state)
{
	char file[] = "/tmp/test-conf-XXXXXX", *msg;
	struct conf_diag d = { 0 };
	struct gw_conf *c;
	int fd;

	assert_int_equal(conf_load("/nonexistent/gwd.json", &c, &d), -ENOENT);
	assert_null(c);
	msg = diag_text(&d);
	assert_string_equal(msg, "/nonexistent/gwd.json: No such file or directory\n");
	free(msg);
	conf_diag_free(&d);

	fd = mkstemp(file);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (16 << 20) + 1), 0);
	close(fd);
	assert_int_equal(conf_load(file, &c, &d), -EFBIG);
	unlink(file);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msg[0], ": larger than 16 MiB"));
	conf_diag_free(&d);
}

static void make_file(const char *dir, const char *name, mode_t mode)
{
	char file[256];
	int fd;

	snprintf(file, sizeof(file), "%s/%s", dir, name);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "secret\n", 7), 7);
	/* Modes as given, whatever the umask. */
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* An IPsec path: psk names dir/psk, or else cert, key and ca are used. */
struct file_path {
	int net;
	const char *psk, *cert, *key, *ca;
};

/* dir/gwd.json, named in file, with one customer and these paths. */
static void write_conf(const char *dir, const struct file_path *p, size_t n,
		       char file[256])
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fprintf(f, "{" BASE_SITE ", \"customers\": [{ \"name\": \"c\", \"id\": 7,"
		" \"prefixes\": [\"203.0.113.0/24\"], \"paths\": [");
	for (i = 0; i < n; i++) {
		fprintf(f, "%s{ \"name\": \"s%d\", \"type\": \"ipsec\","
			" \"remote\": \"192.0.2.%d\", \"address\": \"10.0.%d.1/30\","
			" \"peer\": \"10.0.%d.2\", \"ike\": { \"remote_id\": \"r%d\", ",
			i ? ", " : "", p[i].net, p[i].net + 1, p[i].net, p[i].net, (int)i);
		if (p[i].psk)
			fprintf(f, "\"psk_file\": \"%s/%s\" } }", dir, p[i].psk);
		else
			fprintf(f, "\"auth\": \"pubkey\", \"cert\": \"%s/%s\","
				" \"key\": \"%s/%s\", \"ca\": \"%s/%s\" } }",
				dir, p[i].cert, dir, p[i].key, dir, p[i].ca);
	}
	fprintf(f, "] }] }");
	fclose(f);
	snprintf(file, 256, "%s/gwd.json", dir);
	write_all(file, text);
	free(text);
}

/*
 * conf_load() checks the files IPsec paths name, after validation: the
 * secrets private to their owner, every file a regular file it can open.
 */
static void test_check_files(void **state)
{
	static const char *const made[] = {
		"dir" /* first: rmdir() */, "fifo", "psk0600", "psk0400",
		"psk0640", "psk0644", "psk0604", "cert", "link", "gwd.json",
	};
	static const struct file_path broken[] = {
		{ 0, .psk = "psk0600" }, { 1, .psk = "psk0400" },
		{ 2, .psk = "psk0640" }, { 3, .psk = "psk0644" },
		{ 4, .psk = "psk0604" }, { 5, .psk = "missing" },
		{ 6, .psk = "dir" }, { 7, .psk = "fifo" },
		{ 8, NULL, "cert", "psk0600", "cert" },
		{ 9, NULL, "dir", "cert", "missing" },
		{ 10, NULL, "fifo", "psk0640", "psk0600" },
	}, good[] = {
		{ 0, .psk = "psk0600" }, { 1, .psk = "link" },
		{ 8, NULL, "cert", "psk0400", "cert" },
	};
	char dir[] = "/tmp/test-conf-XXXXXX", file[256], *want, *msg;
	struct conf_diag d = { 0 };
	struct gw_conf *c;
	size_t i;

	assert_non_null(mkdtemp(dir));
	make_file(dir, "psk0600", 0600);
	make_file(dir, "psk0400", 0400);
	make_file(dir, "psk0640", 0640);
	make_file(dir, "psk0644", 0644);
	make_file(dir, "psk0604", 0604);
	make_file(dir, "cert", 0644);
	snprintf(file, sizeof(file), "%s/dir", dir);
	assert_int_equal(mkdir(file, 0700), 0);
	snprintf(file, sizeof(file), "%s/fifo", dir);
	assert_int_equal(mkfifo(file, 0600), 0);

	write_conf(dir, broken, sizeof(broken) / sizeof(broken[0]), file);
	assert_int_equal(conf_load(file, &c, &d), -EINVAL);
	assert_null(c);
	msg = diag_text(&d);
	conf_diag_free(&d);
	assert_true(asprintf(&want,
		"customers[0].paths[2].ike.psk_file: %1$s/psk0640 is mode 0640, must be 0600 or stricter (it holds a secret)\n"
		"customers[0].paths[3].ike.psk_file: %1$s/psk0644 is mode 0644, must be 0600 or stricter (it holds a secret)\n"
		"customers[0].paths[4].ike.psk_file: %1$s/psk0604 is mode 0604, must be 0600 or stricter (it holds a secret)\n"
		"customers[0].paths[5].ike.psk_file: %1$s/missing: No such file or directory\n"
		"customers[0].paths[6].ike.psk_file: %1$s/dir is not a regular file\n"
		"customers[0].paths[7].ike.psk_file: %1$s/fifo is not a regular file\n"
		"customers[0].paths[9].ike.cert: %1$s/dir is not a regular file\n"
		"customers[0].paths[9].ike.key: %1$s/cert is mode 0644, must be 0600 or stricter (it holds a secret)\n"
		"customers[0].paths[9].ike.ca: %1$s/missing: No such file or directory\n"
		"customers[0].paths[10].ike.cert: %1$s/fifo is not a regular file\n"
		"customers[0].paths[10].ike.key: %1$s/psk0640 is mode 0640, must be 0600 or stricter (it holds a secret)\n",
		dir) > 0);
	assert_string_equal(msg, want);
	free(want);
	free(msg);

	/* The same config without the broken paths loads; so does a symlink. */
	snprintf(file, sizeof(file), "%s/link", dir);
	assert_int_equal(symlink("psk0600", file), 0);
	write_conf(dir, good, sizeof(good) / sizeof(good[0]), file);
	assert_int_equal(conf_load(file, &c, &d), 0);
	assert_int_equal(d.n, 0);
	/* conf_check_files() on its own says the same. */
	assert_int_equal(conf_check_files(c, &d), 0);
	conf_free(c);

	for (i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		snprintf(file, sizeof(file), "%s/%s", dir, made[i]);
		assert_int_equal(i ? unlink(file) : rmdir(file), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void test_example(void **state)
{
	struct conf_diag d = { 0 };
	struct gw_conf *c;
	char file[4096], *msg;

	snprintf(file, sizeof(file), "%s/../../examples/gwd.json", conf_dir);
	assert_int_equal(conf_load(file, &c, &d), 0);
	assert_int_equal(c->n_customers, 2);
	assert_int_equal(c->customers[0].syn.mode, SYN_CONF_AUTO);
	assert_int_equal(c->customers[0].syn.on_pps, 20000);
	assert_int_equal(c->customers[1].syn.mode, SYN_CONF_MONITOR);
	assert_true(c->site.syn.present);
	conf_free(c);

	/* Valid; conf_load() would want the key files it names. */
	snprintf(file, sizeof(file), "%s/../../examples/gwd-ipsec.json", conf_dir);
	msg = check_file(file, &c);
	assert_string_equal(msg, "");
	free(msg);
	assert_int_equal(c->customers[1].paths[0].ipsec_mode, IPSEC_GRE);
	conf_free(c);
}

/* Show both texts in full: a golden diff is read by a human. */
static void same_text(const char *what, const char *want, const char *got)
{
	if (!strcmp(want, got))
		return;
	print_error("%s differs.\n--- expected\n%s--- got\n%s---\n", what, want, got);
	fail();
}

static bool bless(void)
{
	const char *b = getenv("GWD_BLESS");

	return b && *b && strcmp(b, "0");
}

static char *with_suffix(const char *json, const char *suffix)
{
	char *s;

	assert_true(asprintf(&s, "%.*s%s", (int)(strlen(json) - 5), json, suffix) > 0);
	return s;
}

static void golden_invalid(void **state)
{
	const char *json = *state;
	char *errf = with_suffix(json, ".err"), *want, *got;

	got = check_file(json, NULL);
	assert_true(got[0]);
	if (bless()) {
		write_all(errf, got);
	} else {
		want = read_all(errf, NULL);
		if (!want)
			fail_msg("%s: %s", errf, strerror(errno));
		same_text(errf, want, got);
		free(want);
	}
	free(got);
	free(errf);
}

/* Field by field: padding is no part of the model. */
static void same_path(const struct path_conf *a, const struct path_conf *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->type, b->type);
	assert_string_equal(a->ifname, b->ifname);
	assert_string_equal(a->parent, b->parent);
	assert_int_equal(a->vlan, b->vlan);
	assert_true(gw_addr_eq(&a->remote, &b->remote));
	assert_int_equal(a->has_key, b->has_key);
	assert_int_equal(a->key, b->key);
	assert_int_equal(a->ipsec_mode, b->ipsec_mode);
	assert_int_equal(a->if_id, b->if_id);
	/* Strings zero-filled and 32-bit members only: no padding. */
	assert_memory_equal(&a->ike, &b->ike, sizeof(a->ike));
	assert_true(gw_prefix_eq(&a->address, &b->address));
	assert_true(gw_addr_eq(&a->peer, &b->peer));
	assert_int_equal(a->priority, b->priority);
	assert_int_equal(a->weight, b->weight);
	assert_int_equal(a->mtu, b->mtu);
	assert_int_equal(a->mss, b->mss);
	assert_memory_equal(&a->probe, &b->probe, sizeof(a->probe));
}

static void same_prefixes(const struct gw_prefix *a, size_t na,
			  const struct gw_prefix *b, size_t nb)
{
	size_t i;

	assert_int_equal(na, nb);
	for (i = 0; i < na; i++)
		assert_true(gw_prefix_eq(&a[i], &b[i]));
}

static void same_sets(const struct ip_sets_conf *a, const struct ip_sets_conf *b)
{
	same_prefixes(a->block, a->n_block, b->block, b->n_block);
	same_prefixes(a->allow, a->n_allow, b->allow, b->n_allow);
}

static void same_rule(const struct filter_rule *a, const struct filter_rule *b)
{
	assert_int_equal(a->proto, b->proto);
	same_prefixes(a->saddr, a->n_saddr, b->saddr, b->n_saddr);
	same_prefixes(a->daddr, a->n_daddr, b->daddr, b->n_daddr);
	/* Two 16-bit members: no padding. */
	assert_int_equal(a->n_sport, b->n_sport);
	assert_memory_equal(a->sport, b->sport, a->n_sport * sizeof(*a->sport));
	assert_int_equal(a->n_dport, b->n_dport);
	assert_memory_equal(a->dport, b->dport, a->n_dport * sizeof(*a->dport));
	assert_int_equal(a->tcp_flags, b->tcp_flags);
	assert_int_equal(a->tcp_flags_mask, b->tcp_flags_mask);
	assert_int_equal(a->len_lo, b->len_lo);
	assert_int_equal(a->len_hi, b->len_hi);
	assert_int_equal(a->action, b->action);
	assert_int_equal(a->has_rate, b->has_rate);
	assert_int_equal(a->rate, b->rate);
	assert_int_equal(a->rate_unit, b->rate_unit);
	assert_int_equal(a->rate_per_s, b->rate_per_s);
	assert_int_equal(a->burst, b->burst);
	assert_int_equal(a->per, b->per);
	assert_int_equal(a->monitor, b->monitor);
}

static void same_filter(const struct filter_conf *a, const struct filter_conf *b)
{
	size_t i;

	assert_int_equal(a->present, b->present);
	assert_int_equal(a->def, b->def);
	assert_int_equal(a->n_rules, b->n_rules);
	for (i = 0; i < a->n_rules; i++)
		same_rule(&a->rules[i], &b->rules[i]);
	same_sets(&a->sets, &b->sets);
}

static void same_syn(const struct syn_conf *a, const struct syn_conf *b)
{
	assert_int_equal(a->present, b->present);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->on_pps, b->on_pps);
	assert_int_equal(a->off_pps, b->off_pps);
	assert_int_equal(a->hold_s, b->hold_s);
	assert_int_equal(a->auth_s, b->auth_s);
	assert_int_equal(a->budget_pps, b->budget_pps);
	assert_int_equal(a->budget_burst, b->budget_burst);
}

/* What a printed config means is what the printed one meant. */
static void same_conf(const struct gw_conf *a, const struct gw_conf *b)
{
	size_t i, j;

	assert_string_equal(a->site.name, b->site.name);
	assert_true(gw_addr_eq(&a->site.underlay_v4, &b->site.underlay_v4));
	assert_true(gw_addr_eq(&a->site.underlay_v6, &b->site.underlay_v6));
	assert_int_equal(a->site.n_ingress, b->site.n_ingress);
	for (i = 0; i < a->site.n_ingress; i++)
		assert_string_equal(a->site.ingress[i], b->site.ingress[i]);
	assert_int_equal(a->site.table_base, b->site.table_base);
	assert_string_equal(a->site.control_socket, b->site.control_socket);
	assert_string_equal(a->site.vici_socket, b->site.vici_socket);
	same_sets(&a->site.filter, &b->site.filter);
	assert_int_equal(a->site.syn.present, b->site.syn.present);
	assert_int_equal(a->site.syn.fallback, b->site.syn.fallback);
	assert_int_equal(a->defaults.mtu, b->defaults.mtu);
	assert_memory_equal(&a->defaults.probe, &b->defaults.probe,
			    sizeof(a->defaults.probe));
	assert_int_equal(a->n_customers, b->n_customers);
	for (i = 0; i < a->n_customers; i++) {
		const struct customer_conf *x = &a->customers[i], *y = &b->customers[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->id, y->id);
		assert_int_equal(x->table, y->table);
		assert_string_equal(x->vrf, y->vrf);
		same_prefixes(x->prefixes, x->n_prefixes, y->prefixes, y->n_prefixes);
		assert_int_equal(x->n_paths, y->n_paths);
		for (j = 0; j < x->n_paths; j++)
			same_path(&x->paths[j], &y->paths[j]);
		same_filter(&x->filter, &y->filter);
		same_syn(&x->syn, &y->syn);
	}
}

static void golden_valid(void **state)
{
	const char *json = *state;
	char *normf = with_suffix(json, ".norm.json"), *want, *got, *again, *msg;
	struct gw_conf *c = NULL, *c2 = NULL;

	msg = check_file(json, &c);
	if (msg[0])
		fail_msg("%s is not valid:\n%s", json, msg);
	free(msg);
	got = print_text(c);
	if (bless()) {
		write_all(normf, got);
	} else {
		want = read_all(normf, NULL);
		if (!want)
			fail_msg("%s: %s", normf, strerror(errno));
		same_text(normf, want, got);
		free(want);
	}
	/* The normalized form means the same: the same model, the same text. */
	msg = check(got, &c2);
	same_text("diagnostics of the normalized config", "", msg);
	same_conf(c, c2);
	again = print_text(c2);
	same_text("print of the normalized config", got, again);
	conf_free(c);
	conf_free(c2);
	free(msg);
	free(again);
	free(got);
	free(normf);
}

static int is_input(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 5 && !strcmp(e->d_name + n - 5, ".json") &&
	       (n < 10 || strcmp(e->d_name + n - 10, ".norm.json"));
}

/* One cmocka test per file of tests/conf/<sub>, in name order. */
static int run_golden(const char *sub, CMUnitTestFunction fn, size_t min)
{
	struct CMUnitTest *t;
	struct dirent **e;
	char dir[4096], group[64];
	int n, i, ret;

	snprintf(dir, sizeof(dir), "%s/%s", conf_dir, sub);
	n = scandir(dir, &e, is_input, alphasort);
	if (n < 0 || (size_t)n < min) {
		fprintf(stderr, "%s: %d configs, want at least %zu\n", dir, n, min);
		return 1;
	}
	t = calloc(n, sizeof(*t));
	for (i = 0; t && i < n; i++) {
		t[i].name = e[i]->d_name;
		t[i].test_func = fn;
		if (asprintf((char **)&t[i].initial_state, "%s/%s", dir,
			     e[i]->d_name) < 0)
			return 1;
	}
	if (!t)
		return 1;
	snprintf(group, sizeof(group), "golden %s", sub);
	ret = _cmocka_run_group_tests(group, t, n, NULL, NULL);
	for (i = 0; i < n; i++) {
		free(t[i].initial_state);
		free(e[i]);
	}
	free(e);
	free(t);
	return ret;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_prefix_mask),
		cmocka_unit_test(test_prefix_relations),
		cmocka_unit_test(test_addr_str),
		cmocka_unit_test(test_ifnames),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_ipsec),
		cmocka_unit_test(test_mss),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_filter_limits),
		cmocka_unit_test(test_syn),
		cmocka_unit_test(test_contract_messages),
		cmocka_unit_test(test_syntax_position),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_report_all),
		cmocka_unit_test(test_validate_table),
		cmocka_unit_test(test_diag_cap),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_check_files),
		cmocka_unit_test(test_example),
	};
	const char *env = getenv("GWD_TEST_CONF_DIR");
	int ret;

	if (env) {
		conf_dir = strdup(env);
	} else {
		/* tests/unit/test-conf.c to tests/unit/../conf */
		const char *slash = strrchr(__FILE__, '/');
		int n = slash ? (int)(slash - __FILE__) : 1;

		if (asprintf(&conf_dir, "%.*s/../conf", n, slash ? __FILE__ : ".") < 0)
			conf_dir = NULL;
	}
	if (!conf_dir)
		return 1;
	ret = cmocka_run_group_tests_name("conf", tests, NULL, NULL);
	ret |= run_golden("invalid", golden_invalid, 45);
	ret |= run_golden("valid", golden_valid, 5);
	free(conf_dir);
	return ret ? 1 : 0;
}
