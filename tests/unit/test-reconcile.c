// SPDX-License-Identifier: GPL-2.0
/*
 * reconcile_diff(): the plan that turns what the kernel has into what is
 * wanted, on hand-built kernel states.  A customer here is what gwd builds
 * for it (gwd/desired.c): a VRF, a GRE and a VLAN path with an address
 * each (the VLAN one also IPv6), a multipath IPv4 route, a single-path
 * IPv6 route, the two unreachable defaults and a rule per prefix.  The
 * kernel's version ("have") carries ifindexes and what dumps report.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netlink/msg.h"
#include "netlink/reconcile.h"

#define NONE SIZE_MAX

/* ---- building states ---------------------------------------------------- */

static struct gw_addr ip(const char *s)
{
	struct gw_addr a;

	assert_int_equal(gw_addr_parse(s, &a), 0);
	return a;
}

static struct gw_prefix pfx(const char *s)
{
	struct gw_prefix p;

	assert_int_equal(gw_ifprefix_parse(s, &p), 0);
	return p;
}

static struct ks_link *add_link(struct kstate *ks, enum link_kind kind, const char *name,
				const char *alias, int ifindex)
{
	struct ks_link l = { .kind = kind, .ifindex = ifindex, .up = true,
			     .oper_up = ifindex > 0 };

	snprintf(l.ifname, sizeof(l.ifname), "%s", name);
	snprintf(l.alias, sizeof(l.alias), "%s", alias);
	assert_int_equal(kstate_add_link(ks, &l), 0);
	return &ks->links[ks->n_links - 1];
}

static void add_addr(struct kstate *ks, const char *ifname, const char *prefix)
{
	struct ks_addr a = { .prefix = pfx(prefix) };

	snprintf(a.ifname, sizeof(a.ifname), "%s", ifname);
	assert_int_equal(kstate_add_addr(ks, &a), 0);
}

static struct ks_route *add_route(struct kstate *ks, uint32_t table, const char *dst,
				  uint32_t metric)
{
	struct ks_route r = { .table = table, .dst = pfx(dst), .metric = metric };

	assert_int_equal(kstate_add_route(ks, &r), 0);
	return &ks->routes[ks->n_routes - 1];
}

static void add_nh(struct ks_route *r, const char *gw, const char *ifname, uint32_t weight)
{
	struct ks_nexthop *nh = &r->nh[r->n_nh++];

	nh->gw = ip(gw);
	snprintf(nh->ifname, sizeof(nh->ifname), "%s", ifname);
	nh->weight = weight;
	ks_route_sort_nexthops(r);
}

static void add_unreachable(struct kstate *ks, uint32_t table, const char *dst)
{
	add_route(ks, table, dst, GWD_UNREACH_METRIC)->type = ROUTE_UNREACHABLE;
}

static void add_rule(struct kstate *ks, const char *dst, uint32_t table)
{
	struct ks_rule r = { .dst = pfx(dst), .table = table, .priority = GWD_RULE_PRIO };

	assert_int_equal(kstate_add_rule(ks, &r), 0);
}

/* What a kernel dump always has besides gwd's objects. */
static void base(struct kstate *ks)
{
	add_link(ks, LINK_OTHER, "lo", "", 1)->mtu = 65536;
	add_link(ks, LINK_OTHER, "eth1", "", 2)->mtu = 1500;
}

/*
 * Customer `name` with id N: VRF gwvrfN (table 1000+N), paths gwN-gre1 and
 * gwN-v100.  With have, as the kernel shows it: ifindexes 10N, 10N+1,
 * 10N+2, the VRF's default MTU, and single next hops of weight 1.
 */
static void customer(struct kstate *ks, const char *name, unsigned int n, bool have)
{
	char vrf[IF_NAMESIZE], gre[IF_NAMESIZE], vlan[IF_NAMESIZE], alias[GWD_ALIAS_MAX];
	char s[3][64];
	uint32_t table = 1000 + n;
	struct ks_link *l;
	struct ks_route *r;

	snprintf(vrf, sizeof(vrf), "gwvrf%u", n);
	snprintf(gre, sizeof(gre), "gw%u-gre1", n);
	snprintf(vlan, sizeof(vlan), "gw%u-v100", n);

	snprintf(alias, sizeof(alias), "gwd:%s", name);
	l = add_link(ks, LINK_VRF, vrf, alias, have ? (int)(10 * n) : 0);
	l->vrf.table = table;
	l->mtu = have ? 65575 : 0;

	snprintf(alias, sizeof(alias), "gwd:%s/gre1", name);
	l = add_link(ks, LINK_GRE, gre, alias, have ? (int)(10 * n + 1) : 0);
	strcpy(l->master, vrf);
	l->master_ifindex = have ? (int)(10 * n) : 0;
	l->mtu = 1476;
	l->gre.local = ip("198.51.100.1");
	snprintf(s[0], sizeof(s[0]), "203.0.113.%u", n);
	l->gre.remote = ip(s[0]);
	l->gre.has_key = true;
	l->gre.key = n;

	snprintf(alias, sizeof(alias), "gwd:%s/v100", name);
	l = add_link(ks, LINK_VLAN, vlan, alias, have ? (int)(10 * n + 2) : 0);
	strcpy(l->master, vrf);
	l->master_ifindex = have ? (int)(10 * n) : 0;
	l->parent_ifindex = have ? 2 : 0;
	l->mtu = 1500;
	strcpy(l->vlan.parent, "eth1");
	l->vlan.id = (uint16_t)(100 + n);

	snprintf(s[0], sizeof(s[0]), "10.%u.0.1/30", n);
	add_addr(ks, gre, s[0]);
	snprintf(s[0], sizeof(s[0]), "10.%u.1.1/30", n);
	add_addr(ks, vlan, s[0]);
	snprintf(s[0], sizeof(s[0]), "2001:db8:%u::1/64", n);
	add_addr(ks, vlan, s[0]);

	add_unreachable(ks, table, "0.0.0.0/0");
	add_unreachable(ks, table, "::/0");
	snprintf(s[0], sizeof(s[0]), "198.18.%u.0/24", n);
	snprintf(s[1], sizeof(s[1]), "10.%u.0.2", n);
	snprintf(s[2], sizeof(s[2]), "10.%u.1.2", n);
	r = add_route(ks, table, s[0], 1024);
	add_nh(r, s[1], gre, 1);
	add_nh(r, s[2], vlan, 3);
	add_rule(ks, s[0], table);
	snprintf(s[0], sizeof(s[0]), "2001:db8:%u:100::/56", n);
	snprintf(s[1], sizeof(s[1]), "2001:db8:%u::2", n);
	r = add_route(ks, table, s[0], 1024);
	add_nh(r, s[1], vlan, 1);
	add_rule(ks, s[0], table);
}

/* ---- looking at plans ------------------------------------------------------- */

static const char *const type_names[] = { "link", "addr", "route", "rule" };

static void print_plan(const struct ks_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct ks_op *op = &p->ops[i];

		print_message("  %-8s %-5s %-45s owner=%-6s err=%d %s%s%s\n",
			      ks_op_kind_name(op->kind), type_names[op->type], op->object,
			      op->owner, op->err, op->detail, op->errmsg[0] ? " / " : "",
			      op->errmsg);
	}
}

/* Diff, and check the plan has n operations (printing it if not). */
static void diff(const struct kstate *want, const struct kstate *have, struct ks_plan *p,
		 size_t n)
{
	assert_int_equal(reconcile_diff(want, have, p), 0);
	if (p->n != n) {
		print_message("plan of %zu operations, expected %zu:\n", p->n, n);
		print_plan(p);
	}
	assert_int_equal(p->n, n);
}

/* Operations of a kind (-1: any) and type (-1: any). */
static size_t count(const struct ks_plan *p, int kind, int type)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		n += (kind < 0 || p->ops[i].kind == (enum ks_op_kind)kind) &&
		     (type < 0 || p->ops[i].type == (enum ks_obj_type)type);
	return n;
}

/* The one operation of that kind on that object; fails if absent. */
static const struct ks_op *find(const struct ks_plan *p, enum ks_op_kind kind,
				const char *object)
{
	const struct ks_op *found = NULL;

	for (size_t i = 0; i < p->n; i++)
		if (p->ops[i].kind == kind && !strcmp(p->ops[i].object, object)) {
			assert_null(found);
			found = &p->ops[i];
		}
	if (!found) {
		print_message("no %s of \"%s\" in:\n", ks_op_kind_name(kind), object);
		print_plan(p);
	}
	assert_non_null(found);
	return found;
}

/* Every operation is the customer's, succeeded so far, and names its object. */
static void all_owned_by(const struct ks_plan *p, const char *owner)
{
	for (size_t i = 0; i < p->n; i++) {
		assert_string_equal(p->ops[i].owner, owner);
		assert_int_equal(p->ops[i].err, 0);
		assert_true(p->ops[i].object[0]);
	}
}

static bool mentions(const struct ks_plan *p, const char *s)
{
	for (size_t i = 0; i < p->n; i++)
		if (strstr(p->ops[i].object, s) || strstr(p->ops[i].detail, s))
			return true;
	return false;
}

struct world {
	struct kstate want, have;
	struct ks_plan plan;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	*state = w;
	return w ? 0 : -1;
}

static int teardown(void **state)
{
	struct world *w = *state;

	kstate_free(&w->want);
	kstate_free(&w->have);
	ks_plan_free(&w->plan);
	free(w);
	return 0;
}

static struct ks_link *link_of(struct kstate *ks, const char *name)
{
	struct ks_link *l = (struct ks_link *)kstate_link(ks, name);

	assert_non_null(l);
	return l;
}

static struct ks_route *route_of(struct kstate *ks, const char *dst)
{
	struct gw_prefix p = pfx(dst);

	for (size_t i = 0; i < ks->n_routes; i++)
		if (gw_prefix_eq(&ks->routes[i].dst, &p))
			return &ks->routes[i];
	fail_msg("no route %s", dst);
	return NULL;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_equal(void **state)
{
	struct world *w = *state;

	customer(&w->want, "alpha", 17, false);
	customer(&w->want, "bravo", 18, false);
	base(&w->have);
	customer(&w->have, "alpha", 17, true);
	customer(&w->have, "bravo", 18, true);
	diff(&w->want, &w->have, &w->plan, 0);

	/* Nothing wanted, nothing of gwd's there. */
	ks_plan_free(&w->plan);
	kstate_free(&w->want);
	kstate_free(&w->have);
	base(&w->have);
	diff(&w->want, &w->have, &w->plan, 0);
}

static void test_new_customer(void **state)
{
	static const char *const objects[][2] = {
		{ "link", "link gwvrf18 (vrf)" },
		{ "link", "link gw18-gre1 (gre)" },
		{ "link", "link gw18-v100 (vlan)" },
		{ "addr", "address 10.18.0.1/30 dev gw18-gre1" },
		{ "addr", "address 10.18.1.1/30 dev gw18-v100" },
		{ "addr", "address 2001:db8:18::1/64 dev gw18-v100" },
		{ "route", "route 0.0.0.0/0 table 1018" },
		{ "route", "route ::/0 table 1018" },
		{ "route", "route 198.18.18.0/24 table 1018" },
		{ "route", "route 2001:db8:18:100::/56 table 1018" },
		{ "rule", "rule to 198.18.18.0/24 lookup 1018 pref 2000" },
		{ "rule", "rule to 2001:db8:18:100::/56 lookup 1018 pref 2000" },
	};
	struct world *w = *state;
	const struct ks_op *op;

	customer(&w->want, "alpha", 17, false);
	customer(&w->want, "bravo", 18, false);
	base(&w->have);
	customer(&w->have, "alpha", 17, true);
	diff(&w->want, &w->have, &w->plan, 12);
	assert_int_equal(count(&w->plan, OP_CREATE, -1), 12);
	assert_int_equal(count(&w->plan, -1, OBJ_LINK), 3);
	assert_int_equal(count(&w->plan, -1, OBJ_ADDR), 3);
	assert_int_equal(count(&w->plan, -1, OBJ_ROUTE), 4);
	assert_int_equal(count(&w->plan, -1, OBJ_RULE), 2);
	all_owned_by(&w->plan, "bravo");
	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		op = find(&w->plan, OP_CREATE, objects[i][1]);
		assert_string_equal(type_names[op->type], objects[i][0]);
		assert_int_not_equal(op->want, NONE);
		assert_int_equal(op->have, NONE);
	}
	/* Indexes point at the right wanted objects. */
	op = find(&w->plan, OP_CREATE, "link gw18-v100 (vlan)");
	assert_string_equal(w->want.links[op->want].ifname, "gw18-v100");
	assert_string_equal(op->detail, "gwd:bravo/v100");
	op = find(&w->plan, OP_CREATE, "route ::/0 table 1018");
	assert_int_equal(w->want.routes[op->want].type, ROUTE_UNREACHABLE);
	assert_int_equal(w->want.routes[op->want].table, 1018);
	assert_string_equal(op->detail, "unreachable");
	op = find(&w->plan, OP_CREATE, "route 198.18.18.0/24 table 1018");
	assert_non_null(strstr(op->detail, "via 10.18.0.2 dev gw18-gre1 weight 1"));
	assert_non_null(strstr(op->detail, "via 10.18.1.2 dev gw18-v100 weight 3"));
	op = find(&w->plan, OP_CREATE, "address 2001:db8:18::1/64 dev gw18-v100");
	assert_string_equal(w->want.addrs[op->want].ifname, "gw18-v100");

	/* From nothing: the same, for both customers. */
	ks_plan_free(&w->plan);
	kstate_free(&w->have);
	base(&w->have);
	diff(&w->want, &w->have, &w->plan, 24);
	assert_int_equal(count(&w->plan, OP_CREATE, -1), 24);
}

static void test_removed_customer(void **state)
{
	struct world *w = *state;
	const struct ks_op *op;
	struct ks_link *l;

	customer(&w->want, "alpha", 17, false);
	base(&w->have);
	customer(&w->have, "alpha", 17, true);
	/* Not gwd's, even if named like it, or tagged by someone else. */
	l = add_link(&w->have, LINK_GRE, "gw18-x", "", 99);
	l->gre.remote = ip("192.0.2.1");
	add_link(&w->have, LINK_VLAN, "gw18-y", "uplink to gwd", 98);
	/* Someone else's VRF on bravo's table does not own its routes. */
	add_link(&w->have, LINK_VRF, "gwvrf19", "gwd", 97)->vrf.table = 1018;
	customer(&w->have, "bravo", 18, true);

	diff(&w->want, &w->have, &w->plan, 7);
	assert_int_equal(count(&w->plan, OP_DELETE, -1), 7);
	assert_int_equal(count(&w->plan, -1, OBJ_LINK), 3);
	assert_int_equal(count(&w->plan, -1, OBJ_ROUTE), 2);
	assert_int_equal(count(&w->plan, -1, OBJ_RULE), 2);
	/* Addresses, and routes whose next hops all leave, go with their links. */
	assert_int_equal(count(&w->plan, -1, OBJ_ADDR), 0);
	all_owned_by(&w->plan, "bravo");
	op = find(&w->plan, OP_DELETE, "link gwvrf18 (vrf)");
	assert_string_equal(w->have.links[op->have].ifname, "gwvrf18");
	assert_int_equal(op->want, NONE);
	find(&w->plan, OP_DELETE, "link gw18-gre1 (gre)");
	find(&w->plan, OP_DELETE, "link gw18-v100 (vlan)");
	op = find(&w->plan, OP_DELETE, "route 0.0.0.0/0 table 1018");
	assert_int_equal(w->have.routes[op->have].table, 1018);
	find(&w->plan, OP_DELETE, "route ::/0 table 1018");
	find(&w->plan, OP_DELETE, "rule to 198.18.18.0/24 lookup 1018 pref 2000");
	find(&w->plan, OP_DELETE, "rule to 2001:db8:18:100::/56 lookup 1018 pref 2000");
	assert_false(mentions(&w->plan, "gw18-x"));
	assert_false(mentions(&w->plan, "gw18-y"));
	assert_false(mentions(&w->plan, "gwvrf19"));
	assert_false(mentions(&w->plan, "gw17"));
	assert_false(mentions(&w->plan, "1017"));
}

static void test_removed_path(void **state)
{
	struct world *w = *state;
	struct ks_route *r;
	const struct ks_op *op;

	/* Bravo's VLAN path goes: its v4 route falls back to GRE alone. */
	customer(&w->want, "bravo", 18, false);
	w->want.n_links--;			/* gw18-v100 is last */
	w->want.n_addrs -= 2;			/* its two addresses too */
	r = route_of(&w->want, "198.18.18.0/24");
	r->n_nh = 1;				/* gw18-gre1 sorts first */
	w->want.n_routes--;			/* the v6 route via the VLAN */
	w->want.n_rules--;
	base(&w->have);
	customer(&w->have, "bravo", 18, true);

	diff(&w->want, &w->have, &w->plan, 3);
	all_owned_by(&w->plan, "bravo");
	find(&w->plan, OP_DELETE, "link gw18-v100 (vlan)");
	/* The kernel drops a multipath route with the link of one hop: created again. */
	op = find(&w->plan, OP_CREATE, "route 198.18.18.0/24 table 1018");
	assert_string_equal(op->detail, "via 10.18.0.2 dev gw18-gre1 weight 1");
	/* The v6 route went with the VLAN; its rule is deleted. */
	find(&w->plan, OP_DELETE, "rule to 2001:db8:18:100::/56 lookup 1018 pref 2000");
	assert_int_equal(count(&w->plan, -1, OBJ_ADDR), 0);
}

/* Nothing is sent that touches ifname: every operation naming it has failed. */
static void left_alone(const struct ks_plan *p, const char *ifname)
{
	for (size_t i = 0; i < p->n; i++)
		if (strstr(p->ops[i].object, ifname) || strstr(p->ops[i].detail, ifname)) {
			if (!p->ops[i].err)
				print_plan(p);
			assert_int_equal(p->ops[i].err, -EEXIST);
		}
}

static void test_foreign_same_name(void **state)
{
	struct world *w = *state;
	const struct ks_op *op;
	struct ks_link *l;
	size_t j = 0;

	customer(&w->want, "alpha", 17, false);
	base(&w->have);
	customer(&w->have, "alpha", 17, true);
	/* Someone else's tunnel of that name; dumps skip addresses on it. */
	l = link_of(&w->have, "gw17-gre1");
	l->alias[0] = '\0';
	l->gre.remote = ip("192.0.2.1");
	l->mtu = 1400;
	for (size_t i = 0; i < w->have.n_addrs; i++)
		if (strcmp(w->have.addrs[i].ifname, "gw17-gre1"))
			w->have.addrs[j++] = w->have.addrs[i];
	w->have.n_addrs = j;

	assert_int_equal(reconcile_diff(&w->want, &w->have, &w->plan), 0);
	assert_int_equal(count(&w->plan, -1, OBJ_LINK), 1);
	op = find(&w->plan, OP_CREATE, "link gw17-gre1 (gre)");
	assert_int_equal(op->err, -EEXIST);
	assert_string_equal(op->owner, "alpha");
	assert_non_null(strstr(op->errmsg, "gw17-gre1"));
	assert_string_equal(w->want.links[op->want].ifname, "gw17-gre1");
	/* Not deleted, not changed, and nothing of gwd's put on it. */
	left_alone(&w->plan, "gw17-gre1");
	assert_int_equal(count(&w->plan, OP_DELETE, -1), 0);
	for (size_t i = 0; i < w->plan.n; i++)
		assert_int_not_equal(w->plan.ops[i].err, 0);

	/* Nor a route through it. */
	ks_plan_free(&w->plan);
	route_of(&w->have, "198.18.17.0/24")->metric = 7;	/* not there */
	assert_int_equal(reconcile_diff(&w->want, &w->have, &w->plan), 0);
	left_alone(&w->plan, "gw17-gre1");
	op = find(&w->plan, OP_DELETE, "route 198.18.17.0/24 table 1017");
	assert_int_equal(op->err, 0);	/* gwd's own, wherever it points */

	/* A foreign VRF of a wanted name and another table: the same, and its ports stay. */
	ks_plan_free(&w->plan);
	kstate_free(&w->have);
	base(&w->have);
	customer(&w->have, "alpha", 17, true);
	link_of(&w->have, "gwvrf17")->alias[0] = '\0';
	link_of(&w->have, "gwvrf17")->vrf.table = 5000;
	diff(&w->want, &w->have, &w->plan, 1);
	op = find(&w->plan, OP_CREATE, "link gwvrf17 (vrf)");
	assert_int_equal(op->err, -EEXIST);
	assert_string_equal(op->owner, "alpha");
}

/*
 * A new IPv4 address in the subnet of the one it replaces: the old one (the
 * primary) is deleted first, else its deletion would take the new one along.
 */
static void test_addr_renumber_same_subnet(void **state)
{
	struct world *w = *state;
	const struct ks_op *del, *add;

	customer(&w->want, "alpha", 17, false);
	base(&w->have);
	customer(&w->have, "alpha", 17, true);
	for (size_t i = 0; i < w->want.n_addrs; i++)
		if (!strcmp(w->want.addrs[i].ifname, "gw17-gre1"))
			w->want.addrs[i].prefix = pfx("10.17.0.2/30");
	kstate_index(&w->want);
	diff(&w->want, &w->have, &w->plan, 2);
	del = find(&w->plan, OP_DELETE, "address 10.17.0.1/30 dev gw17-gre1");
	add = find(&w->plan, OP_CREATE, "address 10.17.0.2/30 dev gw17-gre1");
	assert_true(del < add);
}

/*
 * A link without the alias but otherwise exactly what gwd would make is one
 * gwd created and did not get to tag (killed between create and alias):
 * adopted by setting the alias, nothing else.
 */
static void test_untagged_identical_adopted(void **state)
{
	struct world *w = *state;
	const struct ks_op *op;

	customer(&w->want, "alpha", 17, false);
	base(&w->have);
	customer(&w->have, "alpha", 17, true);
	link_of(&w->have, "gw17-gre1")->alias[0] = '\0';
	diff(&w->want, &w->have, &w->plan, 1);
	op = find(&w->plan, OP_CHANGE, "link gw17-gre1 (gre)");
	assert_int_equal(op->err, 0);
	assert_string_equal(op->detail, "alias \"\" -> \"gwd:alpha/gre1\"");
}

static void test_gre_remote_change(void **state)
{
	struct world *w = *state;
	const struct ks_op *op;

	customer(&w->want, "alpha", 17, false);
	base(&w->have);
	customer(&w->have, "alpha", 17, true);
	link_of(&w->want, "gw17-gre1")->gre.remote = ip("203.0.113.99");

	/* The kernel drops the address and the routes on a deleted link: made again. */
	diff(&w->want, &w->have, &w->plan, 3);
	all_owned_by(&w->plan, "alpha");
	op = find(&w->plan, OP_RECREATE, "link gw17-gre1 (gre)");
	assert_string_equal(op->detail, "remote 203.0.113.17 -> 203.0.113.99");
	assert_string_equal(w->want.links[op->want].ifname, "gw17-gre1");
	assert_string_equal(w->have.links[op->have].ifname, "gw17-gre1");
	find(&w->plan, OP_CREATE, "address 10.17.0.1/30 dev gw17-gre1");
	find(&w->plan, OP_CREATE, "route 198.18.17.0/24 table 1017");
	assert_int_equal(count(&w->plan, OP_DELETE, -1), 0);

	/* A key change is a recreate too. */
	ks_plan_free(&w->plan);
	link_of(&w->want, "gw17-gre1")->gre.remote = ip("203.0.113.17");
	link_of(&w->want, "gw17-gre1")->gre.key = 4242;
	diff(&w->want, &w->have, &w->plan, 3);
	op = find(&w->plan, OP_RECREATE, "link gw17-gre1 (gre)");
	assert_string_equal(op->detail, "key 17 -> 4242");
}

static void test_vlan_id_change(void **state)
{
	struct world *w = *state;
	const struct ks_op *op;

	customer(&w->want, "alpha", 17, false);
	base(&w->have);
	customer(&w->have, "alpha", 17, true);
	link_of(&w->want, "gw17-v100")->vlan.id = 200;

	/* Both addresses, the v4 route through both paths, the v6 route through it. */
	diff(&w->want, &w->have, &w->plan, 5);
	all_owned_by(&w->plan, "alpha");
	op = find(&w->plan, OP_RECREATE, "link gw17-v100 (vlan)");
	assert_string_equal(op->detail, "vlan 117 -> 200");
	find(&w->plan, OP_CREATE, "address 10.17.1.1/30 dev gw17-v100");
	find(&w->plan, OP_CREATE, "address 2001:db8:17::1/64 dev gw17-v100");
	find(&w->plan, OP_CREATE, "route 198.18.17.0/24 table 1017");
	find(&w->plan, OP_CREATE, "route 2001:db8:17:100::/56 table 1017");
}

static void test_mtu_change(void **state)
{
	struct world *w = *state;
	const struct ks_op *op;

	customer(&w->want, "alpha", 17, false);
	base(&w->have);
	customer(&w->have, "alpha", 17, true);
	link_of(&w->want, "gw17-gre1")->mtu = 1400;

	diff(&w->want, &w->have, &w->plan, 1);
	op = &w->plan.ops[0];
	assert_int_equal(op->kind, OP_CHANGE);
	assert_int_equal(op->type, OBJ_LINK);
	assert_string_equal(op->object, "link gw17-gre1 (gre)");
	assert_string_equal(op->detail, "mtu 1476 -> 1400");
	assert_string_equal(op->owner, "alpha");
	assert_string_equal(w->want.links[op->want].ifname, "gw17-gre1");
	assert_string_equal(w->have.links[op->have].ifname, "gw17-gre1");

	/* Down in the kernel: brought up in place, nothing else. */
	ks_plan_free(&w->plan);
	link_of(&w->want, "gw17-gre1")->mtu = 1476;
	link_of(&w->have, "gw17-gre1")->up = false;
	diff(&w->want, &w->have, &w->plan, 1);
	assert_int_equal(w->plan.ops[0].kind, OP_CHANGE);
	assert_string_equal(w->plan.ops[0].detail, "set up");
}

static void test_master_change(void **state)
{
	struct world *w = *state;
	const struct ks_op *op;

	/* A path out of its VRF (as after its VRF was deleted): moved back. */
	customer(&w->want, "alpha", 17, false);
	base(&w->have);
	customer(&w->have, "alpha", 17, true);
	link_of(&w->have, "gw17-gre1")->master[0] = '\0';

	/* Moving a link between VRFs drops its addresses and routes. */
	diff(&w->want, &w->have, &w->plan, 3);
	op = find(&w->plan, OP_CHANGE, "link gw17-gre1 (gre)");
	assert_string_equal(op->detail, "master none -> gwvrf17");
	find(&w->plan, OP_CREATE, "address 10.17.0.1/30 dev gw17-gre1");
	find(&w->plan, OP_CREATE, "route 198.18.17.0/24 table 1017");
}

static void test_route_nexthops_change(void **state)
{
	struct world *w = *state;
	const struct ks_op *op;
	struct ks_route *r;

	customer(&w->want, "alpha", 17, false);
	base(&w->have);
	customer(&w->have, "alpha", 17, true);
	r = route_of(&w->want, "198.18.17.0/24");
	r->nh[1].weight = 5;			/* gw17-v100 */
	r->nh[0].gw = ip("10.17.0.3");		/* gw17-gre1 */

	diff(&w->want, &w->have, &w->plan, 1);
	op = &w->plan.ops[0];
	assert_int_equal(op->kind, OP_CHANGE);
	assert_int_equal(op->type, OBJ_ROUTE);
	assert_string_equal(op->object, "route 198.18.17.0/24 table 1017");
	assert_string_equal(op->owner, "alpha");
	assert_string_equal(w->want.routes[op->want].nh[1].ifname, "gw17-v100");
	assert_true(gw_prefix_eq(&w->have.routes[op->have].dst, &r->dst));
	/* Old and new next hops, in that order. */
	assert_non_null(strstr(op->detail, "via 10.17.0.2 dev gw17-gre1 weight 1"));
	assert_non_null(strstr(op->detail, "via 10.17.1.2 dev gw17-v100 weight 3"));
	assert_non_null(strstr(op->detail, "via 10.17.0.3 dev gw17-gre1 weight 1"));
	assert_non_null(strstr(op->detail, "via 10.17.1.2 dev gw17-v100 weight 5"));
	/* The new next hops, then the old ones: "... (was ...)". */
	assert_non_null(strstr(op->detail, " (was "));
	assert_true(strstr(op->detail, "weight 5") < strstr(op->detail, " (was "));
	assert_true(strstr(op->detail, " (was ") < strstr(op->detail, "weight 3"));

	/* One hop fewer: a change as well. */
	ks_plan_free(&w->plan);
	*r = *route_of(&w->have, "198.18.17.0/24");
	r->n_nh = 1;
	diff(&w->want, &w->have, &w->plan, 1);
	assert_int_equal(w->plan.ops[0].kind, OP_CHANGE);

	/* Another metric is another route: create one, delete the other. */
	ks_plan_free(&w->plan);
	*r = *route_of(&w->have, "198.18.17.0/24");
	r->metric = 100;
	diff(&w->want, &w->have, &w->plan, 2);
	assert_int_equal(count(&w->plan, OP_CREATE, OBJ_ROUTE), 1);
	assert_int_equal(count(&w->plan, OP_DELETE, OBJ_ROUTE), 1);
}

/*
 * The kernel keeps no weight for a single next hop (no RTA_MULTIPATH), so it
 * dumps weight 1 whatever gwd asked for; that is no difference.
 */
static void test_single_nexthop_weight(void **state)
{
	struct world *w = *state;

	customer(&w->want, "alpha", 17, false);
	base(&w->have);
	customer(&w->have, "alpha", 17, true);
	route_of(&w->want, "2001:db8:17:100::/56")->nh[0].weight = 3;
	diff(&w->want, &w->have, &w->plan, 0);

	/* Among several next hops, weights count. */
	route_of(&w->want, "198.18.17.0/24")->nh[0].weight = 2;
	ks_plan_free(&w->plan);
	diff(&w->want, &w->have, &w->plan, 1);
}

static void test_rule_change(void **state)
{
	struct world *w = *state;
	const struct ks_op *op;

	customer(&w->want, "alpha", 17, false);
	customer(&w->want, "bravo", 18, false);
	base(&w->have);
	customer(&w->have, "alpha", 17, true);
	customer(&w->have, "bravo", 18, true);
	/* Alpha's v4 prefix moves to bravo's table. */
	w->want.rules[0].table = 1018;
	assert_int_equal(w->want.rules[0].dst.addr.family, AF_INET);

	diff(&w->want, &w->have, &w->plan, 2);
	op = find(&w->plan, OP_CREATE, "rule to 198.18.17.0/24 lookup 1018 pref 2000");
	assert_int_equal(op->type, OBJ_RULE);
	assert_string_equal(op->owner, "bravo");	/* the table's customer */
	assert_int_equal(w->want.rules[op->want].table, 1018);
	op = find(&w->plan, OP_DELETE, "rule to 198.18.17.0/24 lookup 1017 pref 2000");
	assert_int_equal(op->type, OBJ_RULE);
	assert_string_equal(op->owner, "alpha");
	assert_int_equal(w->have.rules[op->have].table, 1017);

	/* A priority change likewise. */
	ks_plan_free(&w->plan);
	w->want.rules[0].table = 1017;
	w->want.rules[0].priority = 1500;
	diff(&w->want, &w->have, &w->plan, 2);
	find(&w->plan, OP_CREATE, "rule to 198.18.17.0/24 lookup 1017 pref 1500");
	find(&w->plan, OP_DELETE, "rule to 198.18.17.0/24 lookup 1017 pref 2000");
	all_owned_by(&w->plan, "alpha");
}

/*
 * A new table base: the VRF is recreated with the new table, which releases
 * its ports, so they are recreated in it with their addresses; routes and
 * rules move from the old table to the new one (the old routes through the
 * ports go with them; the unreachable defaults are deleted).
 */
static void test_vrf_table_change(void **state)
{
	struct world *w = *state;
	const struct ks_op *op;

	customer(&w->want, "alpha", 17, false);
	link_of(&w->want, "gwvrf17")->vrf.table = 1117;
	for (size_t i = 0; i < w->want.n_routes; i++)
		w->want.routes[i].table = 1117;
	for (size_t i = 0; i < w->want.n_rules; i++)
		w->want.rules[i].table = 1117;
	base(&w->have);
	customer(&w->have, "alpha", 17, true);

	diff(&w->want, &w->have, &w->plan, 3 + 3 + 6 + 4);
	all_owned_by(&w->plan, "alpha");
	op = find(&w->plan, OP_RECREATE, "link gwvrf17 (vrf)");
	assert_string_equal(op->detail, "table 1017 -> 1117");
	assert_int_equal(count(&w->plan, OP_CREATE, OBJ_ROUTE), 4);
	assert_int_equal(count(&w->plan, OP_DELETE, OBJ_ROUTE), 2);
	assert_int_equal(count(&w->plan, OP_CREATE, OBJ_RULE), 2);
	assert_int_equal(count(&w->plan, OP_DELETE, OBJ_RULE), 2);
	find(&w->plan, OP_CREATE, "route 198.18.17.0/24 table 1117");
	find(&w->plan, OP_DELETE, "route 0.0.0.0/0 table 1017");
	find(&w->plan, OP_DELETE, "route ::/0 table 1017");
	find(&w->plan, OP_CREATE, "rule to 2001:db8:17:100::/56 lookup 1117 pref 2000");
	find(&w->plan, OP_DELETE, "rule to 2001:db8:17:100::/56 lookup 1017 pref 2000");
	/* The ports: back into the new VRF, with their addresses. */
	assert_int_equal(count(&w->plan, -1, OBJ_LINK), 3);
	assert_int_equal(count(&w->plan, OP_RECREATE, OBJ_LINK), 3);
	op = find(&w->plan, OP_RECREATE, "link gw17-gre1 (gre)");
	assert_string_equal(op->detail, "master gwvrf17 recreated");
	find(&w->plan, OP_RECREATE, "link gw17-v100 (vlan)");
	assert_int_equal(count(&w->plan, OP_CREATE, OBJ_ADDR), 3);
	assert_int_equal(count(&w->plan, OP_DELETE, OBJ_ADDR), 0);
}

/* Ops name their objects readably whatever the kind. */
static void test_op_strings(void **state)
{
	assert_string_equal(ks_op_kind_name(OP_CREATE), "create");
	assert_string_equal(ks_op_kind_name(OP_CHANGE), "change");
	assert_string_equal(ks_op_kind_name(OP_RECREATE), "recreate");
	assert_string_equal(ks_op_kind_name(OP_DELETE), "delete");
}

/*
 * The codecs and the diff agree: every wanted object, built into a message
 * and parsed back as a dump would, makes a state with nothing to do.
 */
/* The IFLA_IFALIAS of a link request. */
static void alias_of(const struct nlmsghdr *nlh, char *out, size_t len)
{
	const struct nlattr *attr;

	out[0] = '\0';
	mnl_attr_for_each(attr, nlh, sizeof(struct ifinfomsg))
		if (mnl_attr_get_type(attr) == IFLA_IFALIAS)
			snprintf(out, len, "%s", mnl_attr_get_str(attr));
}

static void test_codec_roundtrip_is_stable(void **state)
{
	static char buf[8192];
	struct world *w = *state;
	struct kstate links = { 0 };
	struct ks_link *l;
	struct ks_route *r;

	customer(&w->want, "alpha", 17, false);
	customer(&w->want, "bravo", 18, false);
	l = add_link(&w->want, LINK_IP6GRE, "gw18-gre6", "gwd:bravo/gre6", 0);
	strcpy(l->master, "gwvrf18");
	l->gre.local = ip("2001:db8::1");
	l->gre.remote = ip("2001:db8:ffff::18");
	l->mtu = 1448;
	add_addr(&w->want, "gw18-gre6", "2001:db8:18:6::1/64");
	r = route_of(&w->want, "2001:db8:18:100::/56");
	r->nh[0].weight = 7;			/* single hop, any weight */
	add_nh(route_of(&w->want, "2001:db8:17:100::/56"), "2001:db8:17:1::2",
	       "gw17-gre1", 2);			/* multipath v6 */

	/* The kernel's links: the wanted ones with ifindexes, plus the base. */
	base(&links);
	for (size_t i = 0; i < w->want.n_links; i++) {
		struct ks_link k = w->want.links[i];

		k.ifindex = (int)(100 + i);
		assert_int_equal(kstate_add_link(&links, &k), 0);
	}
	base(&w->have);
	for (size_t i = 0; i < w->want.n_links; i++) {
		struct nlmsghdr *nlh;
		struct ks_link k;
		const struct ks_link *m;

		memset(buf, 0, sizeof(buf));
		nlh = mnl_nlmsg_put_header(buf);
		assert_int_equal(link_msg_create(nlh, &w->want.links[i], &links), 0);
		assert_int_equal(link_parse(nlh, &k), 0);
		memset(buf, 0, sizeof(buf));
		nlh = mnl_nlmsg_put_header(buf);
		/* The alias request carries no name: read IFLA_IFALIAS back. */
		assert_int_equal(link_msg_set_alias(nlh, &w->want.links[i], &links), 0);
		alias_of(nlh, k.alias, sizeof(k.alias));
		/* What the kernel assigns and reconcile_dump resolves. */
		k.ifindex = (int)(100 + i);
		m = kstate_link_by_index(&links, k.master_ifindex);
		if (k.master_ifindex && m)
			strcpy(k.master, m->ifname);
		m = kstate_link_by_index(&links, k.parent_ifindex);
		if (k.kind == LINK_VLAN && m)
			strcpy(k.vlan.parent, m->ifname);
		assert_int_equal(kstate_add_link(&w->have, &k), 0);
	}
	for (size_t i = 0; i < w->want.n_addrs; i++) {
		struct nlmsghdr *nlh;
		struct ks_addr a;

		memset(buf, 0, sizeof(buf));
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = RTM_NEWADDR;
		assert_int_equal(addr_msg(nlh, &w->want.addrs[i], &links), 0);
		assert_int_equal(addr_parse(nlh, &a, &links), 0);
		assert_int_equal(kstate_add_addr(&w->have, &a), 0);
	}
	for (size_t i = 0; i < w->want.n_routes; i++) {
		struct nlmsghdr *nlh;
		struct ks_route rt;

		memset(buf, 0, sizeof(buf));
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = RTM_NEWROUTE;
		assert_int_equal(route_msg(nlh, &w->want.routes[i], &links), 0);
		assert_int_equal(route_parse(nlh, &rt, &links), 0);
		assert_int_equal(kstate_add_route(&w->have, &rt), 0);
	}
	for (size_t i = 0; i < w->want.n_rules; i++) {
		struct nlmsghdr *nlh;
		struct ks_rule ru;

		memset(buf, 0, sizeof(buf));
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = RTM_NEWRULE;
		rule_msg(nlh, &w->want.rules[i]);
		assert_int_equal(rule_parse(nlh, &ru), 0);
		assert_int_equal(kstate_add_rule(&w->have, &ru), 0);
	}
	kstate_free(&links);
	diff(&w->want, &w->have, &w->plan, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_equal),
		T(test_new_customer),
		T(test_removed_customer),
		T(test_removed_path),
		T(test_foreign_same_name),
		T(test_untagged_identical_adopted),
		T(test_addr_renumber_same_subnet),
		T(test_gre_remote_change),
		T(test_vlan_id_change),
		T(test_mtu_change),
		T(test_master_change),
		T(test_route_nexthops_change),
		T(test_single_nexthop_weight),
		T(test_rule_change),
		T(test_vrf_table_change),
		T(test_op_strings),
		T(test_codec_roundtrip_is_stable),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
