// SPDX-License-Identifier: GPL-2.0
/*
 * Route choice (gwd/desired.c): which paths carry a customer's prefixes for
 * every mix of path ranks, on a parsed config with four IPv4 paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gwd/desired.h"

static const char config[] =
	"{\"site\": {\"name\": \"t\", \"underlay\": {\"v4\": \"198.51.100.1\"},"
	" \"ingress\": [\"eth1\"]},"
	" \"customers\": [{\"name\": \"c\", \"id\": 17, \"prefixes\": [\"203.0.113.0/24\"],"
	"  \"paths\": ["
	"   {\"name\": \"a\", \"type\": \"gre\", \"remote\": \"192.0.2.1\", \"key\": 1,"
	"    \"address\": \"10.0.0.1/30\", \"peer\": \"10.0.0.2\", \"priority\": 10},"
	"   {\"name\": \"b\", \"type\": \"gre\", \"remote\": \"192.0.2.2\", \"key\": 2,"
	"    \"address\": \"10.0.1.1/30\", \"peer\": \"10.0.1.2\", \"priority\": 10},"
	"   {\"name\": \"c\", \"type\": \"gre\", \"remote\": \"192.0.2.3\", \"key\": 3,"
	"    \"address\": \"10.0.2.1/30\", \"peer\": \"10.0.2.2\", \"priority\": 20},"
	"   {\"name\": \"d\", \"type\": \"gre\", \"remote\": \"192.0.2.4\", \"key\": 4,"
	"    \"address\": \"10.0.3.1/30\", \"peer\": \"10.0.3.2\", \"priority\": 30}]}]}";

/* One rank letter per path: U up, G degraded, L last, X unusable, D drained. */
static int rank_of(void *arg, const struct customer_conf *cu, const struct path_conf *p)
{
	switch (((const char *)arg)[p - cu->paths]) {
	case 'U':
		return PATH_UP;
	case 'G':
		return PATH_DEGRADED;
	case 'L':
		return PATH_LAST;
	case 'X':
		return PATH_UNUSABLE;
	}
	return PATH_DRAINED;
}

/* The chosen paths' names, concatenated ("ab"), and the tier. */
static void choose(const char *ranks, char *names, int *tier)
{
	struct gw_conf *c = NULL;
	size_t sel[KS_MAX_NEXTHOPS], n;

	assert_int_equal(conf_parse(config, sizeof(config) - 1, &c, NULL), 0);
	n = desired_active_paths(&c->customers[0], AF_INET, rank_of, (void *)ranks, sel,
				 tier);
	for (size_t k = 0; k < n; k++)
		names[k] = c->customers[0].paths[sel[k]].name[0];
	names[n] = '\0';
	conf_free(c);
}

static void expect(const char *ranks, const char *names, int tier)
{
	char got[KS_MAX_NEXTHOPS + 1];
	int t;

	choose(ranks, got, &t);
	assert_string_equal(got, names);
	assert_int_equal(t, tier);
}

static void test_best_priority_up(void **state)
{
	expect("UUUU", "ab", PATH_UP);		/* equal priorities share */
	expect("XUUU", "b", PATH_UP);
	expect("XXUU", "c", PATH_UP);
	expect("XXXU", "d", PATH_UP);
}

static void test_degraded_after_every_up_path(void **state)
{
	expect("GGGU", "d", PATH_UP);
	expect("GGXX", "ab", PATH_DEGRADED);
	expect("XXGX", "c", PATH_DEGRADED);
	expect("LXGX", "c", PATH_DEGRADED);
}

static void test_all_down_keeps_the_last(void **state)
{
	expect("XXLX", "c", PATH_LAST);		/* not the better-priority a, b */
	expect("XLXL", "b", PATH_LAST);
	expect("XXXX", "ab", PATH_UNUSABLE);	/* nothing known: best priority */
}

static void test_drained_never(void **state)
{
	expect("DUUU", "b", PATH_UP);
	expect("DDGU", "d", PATH_UP);
	expect("DDXX", "c", PATH_UNUSABLE);
	expect("DDDD", "", PATH_DRAINED);
}

static void test_all_drained_leaves_the_unreachable_default(void **state)
{
	struct gw_conf *c = NULL;
	struct kstate ks;
	size_t unreachable = 0, unicast = 0;

	assert_int_equal(conf_parse(config, sizeof(config) - 1, &c, NULL), 0);
	assert_int_equal(desired_build(c, rank_of, (void *)"DDDD", &ks), 0);
	for (size_t i = 0; i < ks.n_routes; i++) {
		unreachable += ks.routes[i].type == ROUTE_UNREACHABLE;
		unicast += ks.routes[i].type == ROUTE_UNICAST;
	}
	assert_int_equal(unreachable, 2);
	assert_int_equal(unicast, 0);
	assert_int_equal(ks.n_rules, 1);	/* the prefix still enters the VRF */
	kstate_free(&ks);
	conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_best_priority_up),
		cmocka_unit_test(test_degraded_after_every_up_path),
		cmocka_unit_test(test_all_down_keeps_the_last),
		cmocka_unit_test(test_drained_never),
		cmocka_unit_test(test_all_drained_leaves_the_unreachable_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
