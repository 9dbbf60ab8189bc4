// SPDX-License-Identifier: GPL-2.0
/*
 * The rtnetlink codecs (netlink/link*.c, addr.c, route.c, rule.c) without a
 * kernel.  Every builder's message is checked twice: attribute by attribute
 * on the wire (type, length, value, and nothing else present), and parsed
 * back with the matching parser.  The parsers also get messages shaped like
 * the kernel's dumps, malformed ones, and every truncation and byte
 * corruption of valid ones (run under SANITIZE=address to catch overreads).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>	/* before the linux/ headers: they defer to it */
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/ip6_tunnel.h>
#include <linux/rtnetlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netlink/msg.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif

/* ---- messages ------------------------------------------------------- */

static char msgbuf[8192];	/* MNL_SOCKET_BUFFER_SIZE is at most 8192 */

/* A zeroed buffer with a fresh header: what every builder starts from. */
static struct nlmsghdr *msg(uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	assert_true((size_t)MNL_SOCKET_BUFFER_SIZE <= sizeof(msgbuf));
	memset(msgbuf, 0, MNL_SOCKET_BUFFER_SIZE);
	nlh = mnl_nlmsg_put_header(msgbuf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
}

#define REQ (NLM_F_REQUEST | NLM_F_ACK)

/* ---- attribute tables --------------------------------------------------- */

#define MAXTYPE 64

/* The attributes of one level, by type: each at most once, none malformed. */
struct attrs {
	const struct nlattr *a[MAXTYPE + 1];
	int n;
};

static void index_region(struct attrs *t, const void *start, size_t len,
			 const char *file, int line)
{
	const struct nlattr *attr;
	size_t used = 0;

	memset(t, 0, sizeof(*t));
	mnl_attr_for_each_payload(start, len) {
		uint16_t type = mnl_attr_get_type(attr);

		_assert_true(type <= MAXTYPE, "attribute type <= MAXTYPE", file, line);
		_assert_true(!t->a[type], "attribute appears once", file, line);
		t->a[type] = attr;
		t->n++;
		used = (size_t)((const char *)attr - (const char *)start) +
		       MNL_ALIGN(attr->nla_len);
	}
	/* The attributes fill the region exactly: no garbage, no truncation. */
	_assert_int_equal(used, len, file, line);
}

static void index_msg(struct attrs *t, const struct nlmsghdr *nlh, size_t hdrlen,
		      const char *file, int line)
{
	size_t off = MNL_ALIGN(sizeof(*nlh)) + MNL_ALIGN(hdrlen);

	_assert_true(nlh->nlmsg_len >= off, "message holds its family header", file, line);
	index_region(t, (const char *)nlh + off, nlh->nlmsg_len - off, file, line);
}

static void index_nest(struct attrs *t, const struct attrs *parent, uint16_t type,
		       const char *file, int line)
{
	const struct nlattr *nest = parent->a[type];

	_assert_true(nest != NULL, "nest present", file, line);
	index_region(t, mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest),
		     file, line);
}

static const struct nlattr *get(const struct attrs *t, uint16_t type, size_t len,
				const char *name, const char *file, int line)
{
	const struct nlattr *a = t->a[type];

	_assert_true(a != NULL, name, file, line);
	_assert_int_equal(mnl_attr_get_payload_len(a), len, file, line);
	return a;
}

static void check_uint(const struct attrs *t, uint16_t type, size_t len, uint64_t want,
		       const char *name, const char *file, int line)
{
	const struct nlattr *a = get(t, type, len, name, file, line);
	uint64_t v = len == 1 ? mnl_attr_get_u8(a) :
		     len == 2 ? mnl_attr_get_u16(a) : mnl_attr_get_u32(a);

	_assert_int_equal(v, want, file, line);
}

static void check_str(const struct attrs *t, uint16_t type, const char *want,
		      const char *name, const char *file, int line)
{
	const struct nlattr *a = get(t, type, strlen(want) + 1, name, file, line);

	_assert_string_equal(mnl_attr_get_str(a), want, file, line);
}

static void check_bytes(const struct attrs *t, uint16_t type, const void *want,
			size_t len, const char *name, const char *file, int line)
{
	const struct nlattr *a = get(t, type, len, name, file, line);

	_assert_memory_equal(mnl_attr_get_payload(a), want, len, file, line);
}

#define HERE __FILE__, __LINE__
#define INDEX_MSG(t, nlh, hdr)	index_msg(t, nlh, sizeof(hdr), HERE)
#define INDEX_NEST(t, p, type)	index_nest(t, p, type, HERE)
#define A_U8(t, type, v)	check_uint(t, type, 1, v, #type, HERE)
#define A_U16(t, type, v)	check_uint(t, type, 2, v, #type, HERE)
#define A_U32(t, type, v)	check_uint(t, type, 4, v, #type, HERE)
#define A_STR(t, type, s)	check_str(t, type, s, #type, HERE)
#define A_BYTES(t, type, p, l)	check_bytes(t, type, p, l, #type, HERE)
#define A_ADDR(t, type, ga)	check_bytes(t, type, (ga).raw, gw_addr_len((ga).family), #type, HERE)
#define A_ABSENT(t, type)	_assert_true(!(t)->a[type], #type " absent", HERE)
#define A_COUNT(t, cnt)		_assert_int_equal((t)->n, (cnt), HERE)

/* ---- objects -------------------------------------------------------- */

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

enum {
	IDX_LO = 1, IDX_ETH1 = 2, IDX_VRF = 10, IDX_GRE = 11, IDX_VLAN = 12,
	IDX_GRE6 = 13, IDX_NEW = 14, IDX_VTI = 15,
};

static struct ks_link mklink(enum link_kind kind, const char *name, const char *alias,
			     const char *master, uint32_t mtu)
{
	struct ks_link l = { .kind = kind, .mtu = mtu, .up = true };

	strcpy(l.ifname, name);
	strcpy(l.alias, alias);
	strcpy(l.master, master);
	return l;
}

static struct ks_link vrf17(void)
{
	struct ks_link l = mklink(LINK_VRF, "gwvrf17", "gwd:acme", "", 0);

	l.vrf.table = 1017;
	return l;
}

static struct ks_link gre17(bool key)
{
	struct ks_link l = mklink(LINK_GRE, "gw17-gre1", "gwd:acme/gre1", "gwvrf17", 1476);

	l.gre.local = ip("198.51.100.1");
	l.gre.remote = ip("203.0.113.9");
	l.gre.has_key = key;
	l.gre.key = key ? 0x01020304 : 0;
	return l;
}

static struct ks_link gre6_17(void)
{
	struct ks_link l = mklink(LINK_IP6GRE, "gw17-gre6", "gwd:acme/gre6", "gwvrf17", 1448);

	l.gre.local = ip("2001:db8::1");
	l.gre.remote = ip("2001:db8:ffff::9");
	return l;
}

static struct ks_link xfrm17(void)
{
	struct ks_link l = mklink(LINK_XFRM, "gw17-sec1", "gwd:acme/sec1", "gwvrf17", 1438);

	l.xfrm.if_id = 0x115c6d;
	return l;
}

static struct ks_link vti17(void)
{
	struct ks_link l = mklink(LINK_VTI, "gw17-sec3", "gwd:acme/sec3", "gwvrf17", 1438);

	l.gre.local = ip("198.51.100.1");
	l.gre.remote = ip("192.0.2.117");
	l.gre.has_key = true;
	l.gre.key = 0x115c6d;
	return l;
}

static struct ks_link vlan17(void)
{
	struct ks_link l = mklink(LINK_VLAN, "gw17-v100", "gwd:acme/v100", "gwvrf17", 1500);

	strcpy(l.vlan.parent, "eth1");
	l.vlan.id = 100;
	return l;
}

/* The links as dumped from the kernel: what builders resolve names with. */
static struct kstate links;

static void add_have(const struct ks_link *want, int ifindex)
{
	struct ks_link l = *want;

	l.ifindex = ifindex;
	assert_int_equal(kstate_add_link(&links, &l), 0);
}

static int setup(void **state)
{
	struct ks_link lo = mklink(LINK_OTHER, "lo", "", "", 65536);
	struct ks_link eth1 = mklink(LINK_OTHER, "eth1", "", "", 1500);
	struct ks_link vrf = vrf17(), gre = gre17(true), gre6 = gre6_17(), vlan = vlan17();
	struct ks_link vti = vti17();
	/* Known by name but not created yet: no ifindex to point at. */
	struct ks_link pending = mklink(LINK_VRF, "gwvrf18", "gwd:bravo", "", 0);

	add_have(&lo, IDX_LO);
	add_have(&eth1, IDX_ETH1);
	add_have(&vrf, IDX_VRF);
	add_have(&gre, IDX_GRE);
	add_have(&vlan, IDX_VLAN);
	add_have(&gre6, IDX_GRE6);
	add_have(&vti, IDX_VTI);
	add_have(&pending, 0);
	return 0;
}

static int teardown(void **state)
{
	kstate_free(&links);
	return 0;
}

/* ---- damage: every truncation and many corruptions must parse safely ---- */

typedef int (*parse_fn)(const struct nlmsghdr *nlh);

static void check_parse_result(int ret, const char *file, int line)
{
	_assert_true(ret == 0 || ret == -ENOENT || ret == -EPROTO || ret == -E2BIG,
		     "0, -ENOENT, -EPROTO or -E2BIG", file, line);
}

/*
 * Copies of the message into buffers of exactly its (claimed) length, so
 * that AddressSanitizer sees any read past the end.  Rounded up to 4 bytes:
 * libmnl takes MNL_ALIGN(nlmsg_len) as the end of a message, and so does
 * a receive buffer.
 */
static void damage(const struct nlmsghdr *orig, parse_fn parse, const char *file,
		   int line)
{
	static const uint8_t junk[] = { 0x00, 0x01, 0x03, 0x7f, 0xff };
	size_t len = orig->nlmsg_len;

	_assert_int_equal(len % 4, 0, file, line);
	for (size_t cut = sizeof(struct nlmsghdr); cut <= len; cut++) {
		struct nlmsghdr *m = calloc(1, MNL_ALIGN(cut));

		memcpy(m, orig, cut);
		m->nlmsg_len = (uint32_t)cut;
		check_parse_result(parse(m), file, line);
		free(m);
	}
	for (size_t i = sizeof(struct nlmsghdr); i < len; i++)
		for (size_t j = 0; j < sizeof(junk); j++) {
			uint8_t *m = malloc(len);	/* builders keep it aligned */

			memcpy(m, orig, len);
			m[i] = junk[j];
			check_parse_result(parse((struct nlmsghdr *)m), file, line);
			free(m);
		}
}

#define DAMAGE(nlh, fn) damage(nlh, fn, HERE)

static int parse_link_safely(const struct nlmsghdr *nlh)
{
	struct ks_link l;
	int ret = link_parse(nlh, &l);

	if (ret == 0) {
		assert_true(strnlen(l.ifname, sizeof(l.ifname)) < sizeof(l.ifname));
		assert_true(strnlen(l.alias, sizeof(l.alias)) < sizeof(l.alias));
		assert_true(l.ifname[0]);
	}
	return ret;
}

static int parse_addr_safely(const struct nlmsghdr *nlh)
{
	struct ks_addr a;
	int ret = addr_parse(nlh, &a, &links);

	if (ret == 0)
		assert_true(a.prefix.addr.family == AF_INET || a.prefix.addr.family == AF_INET6);
	return ret;
}

static int parse_route_safely(const struct nlmsghdr *nlh)
{
	struct ks_route r;
	int ret = route_parse(nlh, &r, &links);

	if (ret == 0) {
		assert_true(r.n_nh <= KS_MAX_NEXTHOPS);
		for (size_t i = 0; i < r.n_nh; i++)
			assert_true(strnlen(r.nh[i].ifname, IF_NAMESIZE) < IF_NAMESIZE);
	}
	return ret;
}

static int parse_rule_safely(const struct nlmsghdr *nlh)
{
	struct ks_rule r;

	return rule_parse(nlh, &r);
}

/* ---- links: create ---------------------------------------------------- */

static const struct ifinfomsg *ifinfo(const struct nlmsghdr *nlh)
{
	assert_true(mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct ifinfomsg));
	return mnl_nlmsg_get_payload(nlh);
}

/* IFLA_INFO_KIND as the kernel spells it. */
static const char *kernel_kind(enum link_kind k)
{
	return k == LINK_VRF ? "vrf" : k == LINK_GRE ? "gre" :
	       k == LINK_IP6GRE ? "ip6gre" : k == LINK_VLAN ? "vlan" :
	       k == LINK_XFRM ? "xfrm" : k == LINK_VTI ? "vti" : "?";
}

/* Create l, check the envelope every kind shares, return the IFLA_INFO_DATA table. */
static struct nlmsghdr *create_link(const struct ks_link *l, struct attrs *top,
				    struct attrs *data)
{
	struct nlmsghdr *nlh = msg(0, REQ);
	const struct ifinfomsg *ifi;
	struct attrs info;

	assert_int_equal(link_msg_create(nlh, l, &links), 0);
	assert_int_equal(nlh->nlmsg_type, RTM_NEWLINK);
	assert_int_equal(nlh->nlmsg_flags, REQ | NLM_F_CREATE | NLM_F_EXCL);
	ifi = ifinfo(nlh);
	assert_int_equal(ifi->ifi_family, AF_UNSPEC);
	assert_int_equal(ifi->ifi_index, 0);
	assert_int_equal(ifi->ifi_flags, l->up ? IFF_UP : 0);
	assert_int_equal(ifi->ifi_change, l->up ? IFF_UP : 0);

	INDEX_MSG(top, nlh, struct ifinfomsg);
	A_STR(top, IFLA_IFNAME, l->ifname);
	A_ABSENT(top, IFLA_IFALIAS);	/* ignored on create: link_msg_set_alias() */
	if (l->mtu)
		A_U32(top, IFLA_MTU, l->mtu);
	else
		A_ABSENT(top, IFLA_MTU);
	if (l->master[0])
		A_U32(top, IFLA_MASTER, (uint32_t)kstate_link(&links, l->master)->ifindex);
	else
		A_ABSENT(top, IFLA_MASTER);
	INDEX_NEST(&info, top, IFLA_LINKINFO);
	A_STR(&info, IFLA_INFO_KIND, kernel_kind(l->kind));
	A_COUNT(&info, 2);
	INDEX_NEST(data, &info, IFLA_INFO_DATA);
	return nlh;
}

/* Parse the create message back: the same link, masters as ifindexes. */
static void parses_back(const struct nlmsghdr *nlh, const struct ks_link *l)
{
	struct ks_link back;

	assert_int_equal(link_parse(nlh, &back), 0);
	assert_int_equal(back.kind, l->kind);
	assert_string_equal(back.ifname, l->ifname);
	assert_int_equal(back.mtu, l->mtu);
	assert_int_equal(back.up, l->up);
	assert_int_equal(back.master_ifindex,
			 l->master[0] ? kstate_link(&links, l->master)->ifindex : 0);
	if (l->kind != LINK_VLAN)	/* a VLAN's parent name is resolved later */
		assert_false(link_must_recreate(l, &back));
	switch (l->kind) {
	case LINK_VRF:
		assert_int_equal(back.vrf.table, l->vrf.table);
		break;
	case LINK_GRE:
	case LINK_IP6GRE:
	case LINK_VTI:
		assert_true(gw_addr_eq(&back.gre.local, &l->gre.local));
		assert_true(gw_addr_eq(&back.gre.remote, &l->gre.remote));
		assert_int_equal(back.gre.has_key, l->gre.has_key);
		assert_int_equal(back.gre.key, l->gre.key);
		break;
	case LINK_VLAN:
		/* The parent comes back as an ifindex; reconcile resolves the name. */
		assert_int_equal(back.parent_ifindex, kstate_link(&links, l->vlan.parent)->ifindex);
		assert_int_equal(back.vlan.id, l->vlan.id);
		break;
	case LINK_XFRM:
		assert_int_equal(back.xfrm.if_id, l->xfrm.if_id);
		break;
	case LINK_OTHER:
		fail();
	}
}

static void test_link_create_vrf(void **state)
{
	struct ks_link l = vrf17();
	struct attrs top, data;
	struct nlmsghdr *nlh = create_link(&l, &top, &data);

	A_COUNT(&top, 2);	/* ifname, linkinfo: no mtu, no master */
	A_U32(&data, IFLA_VRF_TABLE, 1017);
	A_COUNT(&data, 1);
	parses_back(nlh, &l);
}

static void test_link_create_gre_key(void **state)
{
	static const uint8_t key_be[] = { 0x01, 0x02, 0x03, 0x04 };
	static const uint8_t gre_key_be[] = { 0x20, 0x00 };	/* K bit, network order */
	struct ks_link l = gre17(true);
	struct attrs top, data;
	struct nlmsghdr *nlh = create_link(&l, &top, &data);

	A_COUNT(&top, 4);	/* ifname, mtu, master, linkinfo */
	A_U32(&top, IFLA_MASTER, IDX_VRF);
	A_ABSENT(&top, IFLA_LINK);
	A_BYTES(&data, IFLA_GRE_LOCAL, "\xc6\x33\x64\x01", 4);
	A_BYTES(&data, IFLA_GRE_REMOTE, "\xcb\x00\x71\x09", 4);
	A_BYTES(&data, IFLA_GRE_IKEY, key_be, 4);
	A_BYTES(&data, IFLA_GRE_OKEY, key_be, 4);
	A_BYTES(&data, IFLA_GRE_IFLAGS, gre_key_be, 2);
	A_BYTES(&data, IFLA_GRE_OFLAGS, gre_key_be, 2);
	A_U16(&data, IFLA_GRE_IFLAGS, GRE_KEY);
	A_ABSENT(&data, IFLA_GRE_FLAGS);	/* ip6gre only */
	A_ABSENT(&data, IFLA_GRE_LINK);		/* underlay in the main table */
	A_COUNT(&data, 6);
	parses_back(nlh, &l);
}

static void test_link_create_xfrm(void **state)
{
	struct ks_link l = xfrm17(), other = xfrm17();
	struct attrs top, data;
	struct nlmsghdr *nlh = create_link(&l, &top, &data);

	A_U32(&top, IFLA_MASTER, IDX_VRF);
	A_U32(&data, IFLA_XFRM_IF_ID, 0x115c6d);
	A_ABSENT(&data, IFLA_XFRM_LINK);	/* ESP leaves through the main table */
	A_COUNT(&data, 1);
	parses_back(nlh, &l);
	/* No changelink for the if_id of a live interface. */
	other.xfrm.if_id++;
	assert_true(link_must_recreate(&other, &l));
}

static void test_link_create_vti(void **state)
{
	static const uint8_t key_be[] = { 0x00, 0x11, 0x5c, 0x6d };
	struct ks_link l = vti17();
	struct attrs top, data;
	struct nlmsghdr *nlh = create_link(&l, &top, &data);

	A_BYTES(&data, IFLA_VTI_LOCAL, "\xc6\x33\x64\x01", 4);
	A_BYTES(&data, IFLA_VTI_REMOTE, "\xc0\x00\x02\x75", 4);
	A_BYTES(&data, IFLA_VTI_IKEY, key_be, 4);
	A_BYTES(&data, IFLA_VTI_OKEY, key_be, 4);
	A_COUNT(&data, 4);
	parses_back(nlh, &l);
}

/* disable_policy goes with the alias: the kernel takes it only for a link that exists. */
static void test_link_vti_setup(void **state)
{
	struct ks_link l = vti17();
	struct nlmsghdr *nlh = msg(0, REQ);
	const struct nlattr *spec, *inet, *conf;
	struct attrs t;

	assert_int_equal(link_msg_set_alias(nlh, &l, &links), 0);
	INDEX_MSG(&t, nlh, struct ifinfomsg);
	A_STR(&t, IFLA_IFALIAS, l.alias);
	A_COUNT(&t, 2);
	spec = t.a[IFLA_AF_SPEC];
	assert_non_null(spec);
	inet = mnl_attr_get_payload(spec);
	assert_int_equal(mnl_attr_get_type(inet), AF_INET);
	conf = mnl_attr_get_payload(inet);
	assert_int_equal(mnl_attr_get_type(conf), IFLA_INET_CONF);
	assert_int_equal(mnl_attr_get_type(mnl_attr_get_payload(conf)), IPV4_DEVCONF_NOPOLICY);
	assert_int_equal(mnl_attr_get_u32(mnl_attr_get_payload(conf)), 1);
}

static void test_link_create_gre_nokey(void **state)
{
	struct ks_link l = gre17(false);
	struct attrs top, data;
	struct nlmsghdr *nlh = create_link(&l, &top, &data);

	A_ADDR(&data, IFLA_GRE_LOCAL, l.gre.local);
	A_ADDR(&data, IFLA_GRE_REMOTE, l.gre.remote);
	A_ABSENT(&data, IFLA_GRE_IKEY);
	A_ABSENT(&data, IFLA_GRE_OKEY);
	A_ABSENT(&data, IFLA_GRE_IFLAGS);
	A_ABSENT(&data, IFLA_GRE_OFLAGS);
	A_COUNT(&data, 2);
	parses_back(nlh, &l);
}

static void test_link_create_ip6gre(void **state)
{
	struct ks_link l = gre6_17();
	struct attrs top, data;
	struct nlmsghdr *nlh;

	nlh = create_link(&l, &top, &data);
	A_U32(&top, IFLA_MTU, 1448);
	A_ADDR(&data, IFLA_GRE_LOCAL, l.gre.local);
	A_ADDR(&data, IFLA_GRE_REMOTE, l.gre.remote);
	A_U32(&data, IFLA_GRE_FLAGS, IP6_TNL_F_IGN_ENCAP_LIMIT);
	A_COUNT(&data, 3);
	parses_back(nlh, &l);

	/* With a key: the same key attributes as gre. */
	l.gre.has_key = true;
	l.gre.key = 7;
	nlh = create_link(&l, &top, &data);
	A_BYTES(&data, IFLA_GRE_IKEY, "\0\0\0\7", 4);
	A_BYTES(&data, IFLA_GRE_OKEY, "\0\0\0\7", 4);
	A_U16(&data, IFLA_GRE_IFLAGS, GRE_KEY);
	A_U16(&data, IFLA_GRE_OFLAGS, GRE_KEY);
	A_U32(&data, IFLA_GRE_FLAGS, IP6_TNL_F_IGN_ENCAP_LIMIT);
	A_COUNT(&data, 7);
	parses_back(nlh, &l);
}

static void test_link_create_vlan(void **state)
{
	struct ks_link l = vlan17();
	struct attrs top, data;
	struct nlmsghdr *nlh = create_link(&l, &top, &data);

	A_U32(&top, IFLA_LINK, IDX_ETH1);
	A_U32(&top, IFLA_MASTER, IDX_VRF);
	A_U32(&top, IFLA_MTU, 1500);
	A_COUNT(&top, 5);
	A_U16(&data, IFLA_VLAN_ID, 100);
	A_COUNT(&data, 1);
	parses_back(nlh, &l);
}

static void test_link_create_down_no_mtu(void **state)
{
	struct ks_link l = gre17(false);
	struct attrs top, data;

	l.up = false;
	l.mtu = 0;
	create_link(&l, &top, &data);	/* checks ifi_flags/ifi_change == 0 */
	A_ABSENT(&top, IFLA_MTU);
	A_COUNT(&top, 3);
}

static void test_link_create_missing(void **state)
{
	struct ks_link l;

	l = gre17(true);
	strcpy(l.master, "gwvrf99");			/* unknown master */
	assert_int_equal(link_msg_create(msg(0, REQ), &l, &links), -ENODEV);
	strcpy(l.master, "gwvrf18");			/* known, not created yet */
	assert_int_equal(link_msg_create(msg(0, REQ), &l, &links), -ENODEV);

	l = vlan17();
	strcpy(l.vlan.parent, "eth9");			/* unknown parent */
	assert_int_equal(link_msg_create(msg(0, REQ), &l, &links), -ENODEV);
	strcpy(l.vlan.parent, "gwvrf18");		/* parent without ifindex */
	assert_int_equal(link_msg_create(msg(0, REQ), &l, &links), -ENODEV);
	l.master[0] = '\0';
	strcpy(l.vlan.parent, "eth9");			/* no master, still no parent */
	assert_int_equal(link_msg_create(msg(0, REQ), &l, &links), -ENODEV);

	l = mklink(LINK_OTHER, "dummy0", "gwd:x", "", 0);
	assert_int_equal(link_msg_create(msg(0, REQ), &l, &links), -EOPNOTSUPP);
}

/* The kernel drops IFLA_IFALIAS on create: a change by ifindex follows. */
static void test_link_set_alias(void **state)
{
	struct ks_link ls[] = { vrf17(), gre17(true), gre6_17(), vlan17() };
	struct ks_link back;
	struct attrs t;

	for (size_t i = 0; i < sizeof(ls) / sizeof(ls[0]); i++) {
		struct nlmsghdr *nlh = msg(0, REQ);
		const struct ks_link *known = kstate_link(&links, ls[i].ifname);
		const struct ifinfomsg *ifi;

		if (!known) {
			assert_int_equal(link_msg_set_alias(nlh, &ls[i], &links), -ENODEV);
			continue;
		}
		assert_int_equal(link_msg_set_alias(nlh, &ls[i], &links), 0);
		assert_int_equal(nlh->nlmsg_type, RTM_NEWLINK);
		/* Not CREATE (it would make a link), not EXCL (it would fail). */
		assert_int_equal(nlh->nlmsg_flags, REQ);
		ifi = ifinfo(nlh);
		assert_int_equal(ifi->ifi_index, known->ifindex);
		assert_int_equal(ifi->ifi_flags, 0);
		assert_int_equal(ifi->ifi_change, 0);
		INDEX_MSG(&t, nlh, struct ifinfomsg);
		A_STR(&t, IFLA_IFALIAS, ls[i].alias);
		A_COUNT(&t, 1);
		assert_int_equal(link_parse(nlh, &back), -EPROTO);	/* no name: not a dump */
	}
	assert_int_equal(link_msg_set_alias(msg(0, REQ), &(struct ks_link){ .ifname = "nope" },
					    &links), -ENODEV);
}

/* ---- links: change, delete ------------------------------------------------ */

static const struct ifinfomsg *change(const struct ks_link *w, const struct ks_link *h,
				      struct attrs *top)
{
	struct nlmsghdr *nlh = msg(0, REQ);
	const struct ifinfomsg *ifi;

	assert_int_equal(link_msg_change(nlh, w, h, &links), 0);
	assert_int_equal(nlh->nlmsg_type, RTM_NEWLINK);
	assert_int_equal(nlh->nlmsg_flags, REQ);	/* no CREATE, EXCL or REPLACE */
	ifi = ifinfo(nlh);
	assert_int_equal(ifi->ifi_index, h->ifindex);
	INDEX_MSG(top, nlh, struct ifinfomsg);
	A_ABSENT(top, IFLA_IFNAME);	/* would rename */
	A_ABSENT(top, IFLA_LINKINFO);	/* kind attributes are recreated, not changed */
	return ifi;
}

static void test_link_change(void **state)
{
	struct ks_link w = gre17(true), h = w;
	const struct ifinfomsg *ifi;
	struct attrs t;

	h.ifindex = IDX_GRE;

	/* Nothing differs: an empty request. */
	ifi = change(&w, &h, &t);
	A_COUNT(&t, 0);
	assert_int_equal(ifi->ifi_flags, 0);
	assert_int_equal(ifi->ifi_change, 0);

	/* MTU only. */
	h.mtu = 1400;
	ifi = change(&w, &h, &t);
	A_U32(&t, IFLA_MTU, 1476);
	A_COUNT(&t, 1);
	assert_int_equal(ifi->ifi_change, 0);
	w.mtu = 0;			/* "the kernel's choice": leave it */
	change(&w, &h, &t);
	A_COUNT(&t, 0);
	w.mtu = h.mtu = 1476;

	/* Master only: into the VRF, and out of it. */
	h.master[0] = '\0';
	change(&w, &h, &t);
	A_U32(&t, IFLA_MASTER, IDX_VRF);
	A_COUNT(&t, 1);
	strcpy(h.master, w.master);
	w.master[0] = '\0';
	change(&w, &h, &t);
	A_U32(&t, IFLA_MASTER, 0);
	A_COUNT(&t, 1);
	strcpy(w.master, h.master);

	/* Alias only. */
	strcpy(h.alias, "gwd:old/gre1");
	change(&w, &h, &t);
	A_STR(&t, IFLA_IFALIAS, "gwd:acme/gre1");
	A_COUNT(&t, 1);
	strcpy(h.alias, w.alias);

	/* Up only: a flag, no attribute. */
	h.up = false;
	ifi = change(&w, &h, &t);
	A_COUNT(&t, 0);
	assert_int_equal(ifi->ifi_flags, IFF_UP);
	assert_int_equal(ifi->ifi_change, IFF_UP);
	/* Wanted down while up: gwd never takes a link down in place. */
	w.up = false;
	h.up = true;
	ifi = change(&w, &h, &t);
	assert_int_equal(ifi->ifi_change, 0);
	A_COUNT(&t, 0);
	w.up = true;

	/* Kind attributes are not a change's business. */
	h.gre.remote = ip("203.0.113.99");
	h.oper_up = true;
	change(&w, &h, &t);
	A_COUNT(&t, 0);

	/* Everything at once. */
	h.mtu = 9000;
	h.master[0] = '\0';
	h.alias[0] = '\0';
	h.up = false;
	ifi = change(&w, &h, &t);
	A_U32(&t, IFLA_MTU, 1476);
	A_U32(&t, IFLA_MASTER, IDX_VRF);
	A_STR(&t, IFLA_IFALIAS, "gwd:acme/gre1");
	A_COUNT(&t, 3);
	assert_int_equal(ifi->ifi_flags, IFF_UP);

	/* Moving into a VRF that has no ifindex. */
	strcpy(w.master, "gwvrf99");
	assert_int_equal(link_msg_change(msg(0, REQ), &w, &h, &links), -ENODEV);
	strcpy(w.master, "gwvrf18");
	assert_int_equal(link_msg_change(msg(0, REQ), &w, &h, &links), -ENODEV);
}

static void test_link_delete(void **state)
{
	struct nlmsghdr *nlh = msg(0, REQ);
	const struct ifinfomsg *ifi;
	struct attrs t;
	struct ks_link back;

	link_msg_delete(nlh, IDX_GRE);
	assert_int_equal(nlh->nlmsg_type, RTM_DELLINK);
	assert_int_equal(nlh->nlmsg_flags, REQ);
	ifi = ifinfo(nlh);
	assert_int_equal(ifi->ifi_index, IDX_GRE);
	assert_int_equal(ifi->ifi_flags, 0);
	assert_int_equal(ifi->ifi_change, 0);
	INDEX_MSG(&t, nlh, struct ifinfomsg);
	A_COUNT(&t, 0);
	/* Nameless: not a link the parser can report. */
	assert_int_equal(link_parse(nlh, &back), -EPROTO);
}

/* ---- links: parsing what the kernel sends ------------------------------ */

/* A link as RTM_NEWLINK dumps show it, with the noise the kernel adds. */
struct klink {
	uint16_t type;		/* 0: RTM_NEWLINK */
	int ifindex;
	unsigned int flags;
	const char *name, *alias, *kind;
	uint32_t mtu, master, link;
	void (*data)(struct nlmsghdr *nlh);
};

static struct nlmsghdr *kernel_link(const struct klink *k)
{
	struct nlmsghdr *nlh = msg(k->type ? k->type : RTM_NEWLINK, NLM_F_MULTI);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *info, *nest;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_type = 778;	/* ARPHRD_IPGRE, say: ignored */
	ifi->ifi_index = k->ifindex;
	ifi->ifi_flags = k->flags;
	if (k->name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, k->name);
	mnl_attr_put_u32(nlh, IFLA_TXQLEN, 1000);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, 6);
	mnl_attr_put_u32(nlh, IFLA_MTU, k->mtu);
	mnl_attr_put_u32(nlh, IFLA_MIN_MTU, 68);
	if (k->master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, k->master);
	if (k->link)
		mnl_attr_put_u32(nlh, IFLA_LINK, k->link);
	if (k->alias)
		mnl_attr_put_strz(nlh, IFLA_IFALIAS, k->alias);
	mnl_attr_put_u32(nlh, IFLA_MAX + 7, 0xdeadbeef);	/* newer than our headers */
	if (k->kind) {
		info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, k->kind);
		if (k->data) {
			nest = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
			k->data(nlh);
			mnl_attr_nest_end(nlh, nest);
		}
		if (k->master) {	/* a VRF port says so */
			mnl_attr_put_strz(nlh, IFLA_INFO_SLAVE_KIND, "vrf");
			nest = mnl_attr_nest_start(nlh, IFLA_INFO_SLAVE_DATA);
			mnl_attr_put_u32(nlh, IFLA_VRF_PORT_TABLE, 1017);
			mnl_attr_nest_end(nlh, nest);
		}
		mnl_attr_nest_end(nlh, info);
	}
	nest = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	mnl_attr_put_u32(nlh, 1, 2);
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

#define UP_RUNNING (IFF_UP | IFF_RUNNING | IFF_LOWER_UP)

static void k_vrf(struct nlmsghdr *nlh)
{
	mnl_attr_put_u32(nlh, IFLA_VRF_TABLE, 1017);
}

static void k_gre_common(struct nlmsghdr *nlh)
{
	mnl_attr_put_u32(nlh, IFLA_GRE_LINK, 0);
	mnl_attr_put_u8(nlh, IFLA_GRE_TTL, 0);
	mnl_attr_put_u8(nlh, IFLA_GRE_TOS, 0);
	mnl_attr_put_u8(nlh, IFLA_GRE_PMTUDISC, 1);
	mnl_attr_put_u16(nlh, IFLA_GRE_ENCAP_TYPE, 0);
	mnl_attr_put_u16(nlh, IFLA_GRE_ENCAP_SPORT, 0);
}

static void k_gre_key(struct nlmsghdr *nlh)
{
	k_gre_common(nlh);
	mnl_attr_put_u16(nlh, IFLA_GRE_IFLAGS, GRE_KEY);
	mnl_attr_put_u16(nlh, IFLA_GRE_OFLAGS, GRE_KEY);
	mnl_attr_put_u32(nlh, IFLA_GRE_IKEY, htonl(0x01020304));
	mnl_attr_put_u32(nlh, IFLA_GRE_OKEY, htonl(0x01020304));
	mnl_attr_put(nlh, IFLA_GRE_LOCAL, 4, ip("198.51.100.1").raw);
	mnl_attr_put(nlh, IFLA_GRE_REMOTE, 4, ip("203.0.113.9").raw);
}

/* No key: the kernel still reports the flags and keys, as zeros. */
static void k_gre_nokey(struct nlmsghdr *nlh)
{
	k_gre_common(nlh);
	mnl_attr_put_u16(nlh, IFLA_GRE_IFLAGS, 0);
	mnl_attr_put_u16(nlh, IFLA_GRE_OFLAGS, 0);
	mnl_attr_put_u32(nlh, IFLA_GRE_IKEY, 0);
	mnl_attr_put_u32(nlh, IFLA_GRE_OKEY, 0);
	mnl_attr_put(nlh, IFLA_GRE_LOCAL, 4, ip("198.51.100.1").raw);
	mnl_attr_put(nlh, IFLA_GRE_REMOTE, 4, ip("203.0.113.9").raw);
}

/* A key value without the K flag is no key. */
static void k_gre_stale_key(struct nlmsghdr *nlh)
{
	mnl_attr_put_u32(nlh, IFLA_GRE_IKEY, htonl(99));
	mnl_attr_put_u16(nlh, IFLA_GRE_IFLAGS, 0);
	mnl_attr_put(nlh, IFLA_GRE_REMOTE, 4, ip("203.0.113.9").raw);
}

static void k_ip6gre(struct nlmsghdr *nlh)
{
	k_gre_common(nlh);
	mnl_attr_put_u16(nlh, IFLA_GRE_IFLAGS, 0);
	mnl_attr_put_u16(nlh, IFLA_GRE_OFLAGS, 0);
	mnl_attr_put(nlh, IFLA_GRE_LOCAL, 16, ip("2001:db8::1").raw);
	mnl_attr_put(nlh, IFLA_GRE_REMOTE, 16, ip("2001:db8:ffff::9").raw);
	mnl_attr_put_u8(nlh, IFLA_GRE_ENCAP_LIMIT, 4);
	mnl_attr_put_u32(nlh, IFLA_GRE_FLOWINFO, 0);
	mnl_attr_put_u32(nlh, IFLA_GRE_FLAGS, IP6_TNL_F_IGN_ENCAP_LIMIT);
}

/* ip6gre endpoints of the wrong size are not taken as addresses. */
static void k_ip6gre_v4_sized(struct nlmsghdr *nlh)
{
	mnl_attr_put(nlh, IFLA_GRE_LOCAL, 4, ip("198.51.100.1").raw);
	mnl_attr_put(nlh, IFLA_GRE_REMOTE, 4, ip("203.0.113.9").raw);
}

static void k_vlan(struct nlmsghdr *nlh)
{
	struct ifla_vlan_flags f = { .flags = 1, .mask = 0xffffffff };

	mnl_attr_put_u16(nlh, IFLA_VLAN_PROTOCOL, htons(0x8100));
	mnl_attr_put_u16(nlh, IFLA_VLAN_ID, 100);
	mnl_attr_put(nlh, IFLA_VLAN_FLAGS, sizeof(f), &f);
}

static struct ks_link parse_ok(const struct nlmsghdr *nlh)
{
	struct ks_link l;

	memset(&l, 0xa5, sizeof(l));	/* the parser must set every field */
	assert_int_equal(link_parse(nlh, &l), 0);
	return l;
}

static void test_link_parse_vrf(void **state)
{
	const struct klink k = { .ifindex = IDX_VRF, .flags = UP_RUNNING, .name = "gwvrf17",
				 .alias = "gwd:acme", .kind = "vrf", .mtu = 65575,
				 .data = k_vrf };
	struct nlmsghdr *nlh = kernel_link(&k);
	struct ks_link l = parse_ok(nlh);

	assert_int_equal(l.kind, LINK_VRF);
	assert_string_equal(l.ifname, "gwvrf17");
	assert_string_equal(l.alias, "gwd:acme");
	assert_int_equal(l.ifindex, IDX_VRF);
	assert_int_equal(l.mtu, 65575);
	assert_true(l.up);
	assert_true(l.oper_up);
	assert_int_equal(l.master_ifindex, 0);
	assert_int_equal(l.parent_ifindex, 0);
	assert_string_equal(l.master, "");	/* names are resolved by the caller */
	assert_int_equal(l.vrf.table, 1017);
	DAMAGE(nlh, parse_link_safely);
}

static void test_link_parse_gre(void **state)
{
	struct klink k = { .ifindex = IDX_GRE, .flags = UP_RUNNING, .name = "gw17-gre1",
			   .alias = "gwd:acme/gre1", .kind = "gre", .mtu = 1476,
			   .master = IDX_VRF, .data = k_gre_key };
	struct nlmsghdr *nlh = kernel_link(&k);
	struct ks_link l = parse_ok(nlh), want = gre17(true);

	assert_int_equal(l.kind, LINK_GRE);
	assert_int_equal(l.master_ifindex, IDX_VRF);
	assert_int_equal(l.mtu, 1476);
	assert_true(gw_addr_eq(&l.gre.local, &want.gre.local));
	assert_true(gw_addr_eq(&l.gre.remote, &want.gre.remote));
	assert_true(l.gre.has_key);
	assert_int_equal(l.gre.key, 0x01020304);	/* host order */
	assert_false(link_must_recreate(&want, &l));
	DAMAGE(nlh, parse_link_safely);

	k.data = k_gre_nokey;
	l = parse_ok(kernel_link(&k));
	assert_false(l.gre.has_key);
	assert_int_equal(l.gre.key, 0);
	want = gre17(false);
	assert_false(link_must_recreate(&want, &l));

	k.data = k_gre_stale_key;
	l = parse_ok(kernel_link(&k));
	assert_false(l.gre.has_key);
	assert_int_equal(l.gre.key, 0);
	assert_int_equal(l.gre.local.family, 0);
	assert_int_equal(l.gre.remote.family, AF_INET);

	/* Down, or up without carrier: not operational. */
	k.flags = IFF_UP;
	l = parse_ok(kernel_link(&k));
	assert_true(l.up);
	assert_false(l.oper_up);
	k.flags = IFF_LOWER_UP | IFF_RUNNING;
	l = parse_ok(kernel_link(&k));
	assert_false(l.up);
	assert_false(l.oper_up);
	k.flags = IFF_UP | IFF_LOWER_UP;
	l = parse_ok(kernel_link(&k));
	assert_true(l.oper_up);
}

static void test_link_parse_ip6gre(void **state)
{
	struct klink k = { .ifindex = IDX_GRE6, .flags = UP_RUNNING, .name = "gw17-gre6",
			   .alias = "gwd:acme/gre6", .kind = "ip6gre", .mtu = 1448,
			   .master = IDX_VRF, .data = k_ip6gre };
	struct nlmsghdr *nlh = kernel_link(&k);
	struct ks_link l = parse_ok(nlh), want = gre6_17();

	assert_int_equal(l.kind, LINK_IP6GRE);
	assert_int_equal(l.master_ifindex, IDX_VRF);
	assert_int_equal(l.gre.local.family, AF_INET6);
	assert_true(gw_addr_eq(&l.gre.local, &want.gre.local));
	assert_true(gw_addr_eq(&l.gre.remote, &want.gre.remote));
	assert_false(l.gre.has_key);
	assert_false(link_must_recreate(&want, &l));
	DAMAGE(nlh, parse_link_safely);

	k.data = k_ip6gre_v4_sized;
	l = parse_ok(kernel_link(&k));
	assert_int_equal(l.gre.local.family, 0);
	assert_int_equal(l.gre.remote.family, 0);
	assert_true(link_must_recreate(&want, &l));
}

static void test_link_parse_vlan(void **state)
{
	const struct klink k = { .ifindex = IDX_VLAN, .flags = UP_RUNNING, .name = "gw17-v100",
				 .alias = "gwd:acme/v100", .kind = "vlan", .mtu = 1500,
				 .master = IDX_VRF, .link = IDX_ETH1, .data = k_vlan };
	struct nlmsghdr *nlh = kernel_link(&k);
	struct ks_link l = parse_ok(nlh);

	assert_int_equal(l.kind, LINK_VLAN);
	assert_int_equal(l.master_ifindex, IDX_VRF);
	assert_int_equal(l.parent_ifindex, IDX_ETH1);
	assert_int_equal(l.vlan.id, 100);
	assert_string_equal(l.vlan.parent, "");	/* resolved by the caller */
	DAMAGE(nlh, parse_link_safely);
}

static void test_link_parse_other(void **state)
{
	/* Not gwd's kinds, or no kind at all: kept for name lookups. */
	struct klink k = { .ifindex = IDX_ETH1, .flags = UP_RUNNING, .name = "eth1",
			   .mtu = 1500 };
	struct ks_link l = parse_ok(kernel_link(&k));

	assert_int_equal(l.kind, LINK_OTHER);
	assert_string_equal(l.ifname, "eth1");
	assert_string_equal(l.alias, "");
	assert_int_equal(l.ifindex, IDX_ETH1);

	k.kind = "bridge";
	k.data = k_vrf;
	l = parse_ok(kernel_link(&k));
	assert_int_equal(l.kind, LINK_OTHER);

	/* Events: a deleted link parses too. */
	k.type = RTM_DELLINK;
	l = parse_ok(kernel_link(&k));
	assert_string_equal(l.ifname, "eth1");

	/* Not a link message, or too short for its header. */
	k.type = RTM_NEWADDR;
	assert_int_equal(link_parse(kernel_link(&k), &l), -ENOENT);
	assert_int_equal(link_parse(msg(RTM_NEWLINK, 0), &l), -ENOENT);
}

/* Raw attributes, for messages the kernel would never send. */
static void put_raw(struct nlmsghdr *nlh, uint16_t type, const void *p, size_t len)
{
	mnl_attr_put(nlh, type, len, p);
}

static struct nlmsghdr *ifmsg(int ifindex)
{
	struct nlmsghdr *nlh = msg(RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	return nlh;
}

static void test_link_parse_garbage(void **state)
{
	char longname[64], longalias[200];
	struct nlmsghdr *nlh;
	struct nlattr *nest, *data;
	struct ks_link l;

	/* A name without its NUL: no name, so no link. */
	nlh = ifmsg(5);
	put_raw(nlh, IFLA_IFNAME, "gw17-gre1", 9);
	assert_int_equal(link_parse(nlh, &l), -EPROTO);

	/* No name at all. */
	nlh = ifmsg(5);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	assert_int_equal(link_parse(nlh, &l), -EPROTO);

	/* Too long name and alias: cut, terminated. */
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memset(longalias, 'a', sizeof(longalias) - 1);
	longalias[sizeof(longalias) - 1] = '\0';
	nlh = ifmsg(5);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, longname);
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, longalias);
	l = parse_ok(nlh);
	assert_int_equal(strlen(l.ifname), IF_NAMESIZE - 1);
	assert_int_equal(strlen(l.alias), GWD_ALIAS_MAX - 1);

	/* Numbers of the wrong size are ignored; the rest still parses. */
	nlh = ifmsg(5);
	put_raw(nlh, IFLA_MTU, "\x05\xdc", 2);
	put_raw(nlh, IFLA_MASTER, "\x0a", 1);
	put_raw(nlh, IFLA_LINK, "\x02\0", 2);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "x0");
	l = parse_ok(nlh);
	assert_string_equal(l.ifname, "x0");
	assert_int_equal(l.mtu, 0);
	assert_int_equal(l.master_ifindex, 0);
	assert_int_equal(l.parent_ifindex, 0);

	/* Link info that is noise, a kind without NUL, data of the wrong shape. */
	nlh = ifmsg(5);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "x1");
	put_raw(nlh, IFLA_LINKINFO, "\xff\xff\x01\x00garbage!", 12);
	assert_int_equal(parse_ok(nlh).kind, LINK_OTHER);

	nlh = ifmsg(5);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "x2");
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	put_raw(nlh, IFLA_INFO_KIND, "vlan", 4);
	mnl_attr_nest_end(nlh, nest);
	assert_int_equal(parse_ok(nlh).kind, LINK_OTHER);

	nlh = ifmsg(5);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "x3");
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vlan");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	put_raw(nlh, IFLA_VLAN_ID, "\x64", 1);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, nest);
	l = parse_ok(nlh);
	assert_int_equal(l.kind, LINK_VLAN);
	assert_int_equal(l.vlan.id, 0);

	nlh = ifmsg(5);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "x4");
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vrf");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	put_raw(nlh, IFLA_VRF_TABLE, "\x01", 1);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, nest);
	l = parse_ok(nlh);
	assert_int_equal(l.kind, LINK_VRF);
	assert_int_equal(l.vrf.table, 0);

	/* An attribute claiming more than the message holds: ignored, no overread. */
	nlh = ifmsg(5);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "x5");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	((struct nlattr *)((char *)nlh + nlh->nlmsg_len - 8))->nla_len = 200;
	l = parse_ok(nlh);
	assert_string_equal(l.ifname, "x5");
	assert_int_equal(l.mtu, 0);
	DAMAGE(nlh, parse_link_safely);

	/* An attribute shorter than its own header. */
	nlh = ifmsg(5);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "x6");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	((struct nlattr *)((char *)nlh + nlh->nlmsg_len - 8))->nla_len = 2;
	assert_int_equal(parse_ok(nlh).mtu, 0);
}

/* ---- links: recreate or change -------------------------------------- */

static void test_link_must_recreate(void **state)
{
	struct ks_link a, b;

	a = gre17(true);
	b = a;
	assert_false(link_must_recreate(&a, &b));
	b.mtu = 1400;			/* in place */
	strcpy(b.alias, "gwd:other/x");
	b.master[0] = '\0';
	b.up = false;
	b.ifindex = 42;
	assert_false(link_must_recreate(&a, &b));
	b = a;
	b.gre.remote = ip("203.0.113.10");
	assert_true(link_must_recreate(&a, &b));
	b = a;
	b.gre.local = ip("198.51.100.2");
	assert_true(link_must_recreate(&a, &b));
	b = a;
	b.gre.key = 5;
	assert_true(link_must_recreate(&a, &b));
	b = a;
	b.gre.has_key = false;
	b.gre.key = 0;
	assert_true(link_must_recreate(&a, &b));
	b = a;
	b.kind = LINK_IP6GRE;		/* same endpoints, other kind */
	assert_true(link_must_recreate(&a, &b));

	a = gre6_17();
	b = a;
	assert_false(link_must_recreate(&a, &b));
	b.gre.remote = ip("2001:db8:ffff::10");
	assert_true(link_must_recreate(&a, &b));

	a = vlan17();
	b = a;
	b.mtu = 9000;
	assert_false(link_must_recreate(&a, &b));
	b.vlan.id = 101;
	assert_true(link_must_recreate(&a, &b));
	b = a;
	strcpy(b.vlan.parent, "eth2");
	assert_true(link_must_recreate(&a, &b));
	b = a;
	b.kind = LINK_GRE;
	assert_true(link_must_recreate(&a, &b));

	a = vrf17();
	b = a;
	b.mtu = 1500;
	assert_false(link_must_recreate(&a, &b));
	b.vrf.table = 1117;
	assert_true(link_must_recreate(&a, &b));
	b = a;
	b.kind = LINK_OTHER;		/* e.g. a gwd-tagged bridge of that name */
	assert_true(link_must_recreate(&a, &b));
}

/* ---- addresses -------------------------------------------------------- */

static const struct ifaddrmsg *ifaddr(const struct nlmsghdr *nlh)
{
	assert_true(mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct ifaddrmsg));
	return mnl_nlmsg_get_payload(nlh);
}

static struct ks_addr mkaddr(const char *ifname, const char *prefix)
{
	struct ks_addr a = { .prefix = pfx(prefix) };

	strcpy(a.ifname, ifname);
	return a;
}

static void addr_roundtrip(const struct ks_addr *a, int ifindex, int n_attrs)
{
	struct nlmsghdr *nlh = msg(RTM_NEWADDR, REQ | NLM_F_CREATE | NLM_F_REPLACE);
	const struct ifaddrmsg *ifa;
	struct ks_addr back;
	struct attrs t;

	assert_int_equal(addr_msg(nlh, a, &links), 0);
	assert_int_equal(nlh->nlmsg_type, RTM_NEWADDR);
	assert_int_equal(nlh->nlmsg_flags, REQ | NLM_F_CREATE | NLM_F_REPLACE);
	ifa = ifaddr(nlh);
	assert_int_equal(ifa->ifa_family, a->prefix.addr.family);
	assert_int_equal(ifa->ifa_prefixlen, a->prefix.len);
	assert_int_equal(ifa->ifa_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(ifa->ifa_index, ifindex);
	INDEX_MSG(&t, nlh, struct ifaddrmsg);
	A_ADDR(&t, IFA_LOCAL, a->prefix.addr);
	A_ADDR(&t, IFA_ADDRESS, a->prefix.addr);
	if (a->prefix.addr.family == AF_INET6)
		A_U32(&t, IFA_FLAGS, IFA_F_NODAD);
	else
		A_ABSENT(&t, IFA_FLAGS);
	A_COUNT(&t, n_attrs);

	memset(&back, 0xa5, sizeof(back));
	assert_int_equal(addr_parse(nlh, &back, &links), 0);
	assert_string_equal(back.ifname, a->ifname);
	assert_true(gw_prefix_eq(&back.prefix, &a->prefix));
	DAMAGE(nlh, parse_addr_safely);

	/* The delete message carries the same and parses the same. */
	nlh = msg(RTM_DELADDR, REQ);
	assert_int_equal(addr_msg(nlh, a, &links), 0);
	assert_int_equal(nlh->nlmsg_type, RTM_DELADDR);
	assert_int_equal(addr_parse(nlh, &back, &links), 0);
	assert_true(gw_prefix_eq(&back.prefix, &a->prefix));
}

static void test_addr_v4(void **state)
{
	struct ks_addr a = mkaddr("gw17-gre1", "10.17.0.1/30");	/* host bits kept */

	addr_roundtrip(&a, IDX_GRE, 2);
}

static void test_addr_v6(void **state)
{
	struct ks_addr a = mkaddr("gw17-v100", "2001:db8:17::1/64");

	addr_roundtrip(&a, IDX_VLAN, 3);
}

static struct nlmsghdr *kernel_addr(int family, uint8_t len, uint8_t scope, int ifindex)
{
	struct nlmsghdr *nlh = msg(RTM_NEWADDR, NLM_F_MULTI);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = len;
	ifa->ifa_scope = scope;
	ifa->ifa_index = (uint32_t)ifindex;
	return nlh;
}

static void test_addr_errors(void **state)
{
	struct ks_addr a = mkaddr("gw17-gre9", "10.17.0.1/30"), back;
	struct gw_addr v4 = ip("10.17.0.1"), v4peer = ip("10.17.0.2"), v6 = ip("2001:db8:17::1");
	struct ifa_cacheinfo ci = { 0 };
	struct nlmsghdr *nlh;

	assert_int_equal(addr_msg(msg(RTM_NEWADDR, REQ), &a, &links), -ENODEV);
	strcpy(a.ifname, "gwvrf18");		/* no ifindex yet */
	assert_int_equal(addr_msg(msg(RTM_NEWADDR, REQ), &a, &links), -ENODEV);

	/* IPv6 as dumped: IFA_ADDRESS only, plus cache info of 16 bytes. */
	nlh = kernel_addr(AF_INET6, 64, RT_SCOPE_UNIVERSE, IDX_VLAN);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, v6.raw);
	mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_PERMANENT | IFA_F_NODAD);
	assert_int_equal(addr_parse(nlh, &back, &links), 0);
	assert_string_equal(back.ifname, "gw17-v100");
	assert_true(gw_addr_eq(&back.prefix.addr, &v6));
	assert_int_equal(back.prefix.len, 64);
	DAMAGE(nlh, parse_addr_safely);

	/* IPv4 as dumped: the local address wins over a peer address, a label is noise. */
	nlh = kernel_addr(AF_INET, 30, RT_SCOPE_UNIVERSE, IDX_GRE);
	mnl_attr_put(nlh, IFA_ADDRESS, 4, v4peer.raw);
	mnl_attr_put(nlh, IFA_LOCAL, 4, v4.raw);
	mnl_attr_put_strz(nlh, IFA_LABEL, "gw1");	/* 4 bytes, like an address */
	assert_int_equal(addr_parse(nlh, &back, &links), 0);
	assert_true(gw_addr_eq(&back.prefix.addr, &v4));

	/* Link-local scope belongs to the kernel. */
	nlh = kernel_addr(AF_INET6, 64, RT_SCOPE_LINK, IDX_VLAN);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, ip("fe80::1").raw);
	assert_int_equal(addr_parse(nlh, &back, &links), -ENOENT);

	/* Unknown link, unknown family, another message type. */
	nlh = kernel_addr(AF_INET, 30, RT_SCOPE_UNIVERSE, 99);
	mnl_attr_put(nlh, IFA_LOCAL, 4, v4.raw);
	assert_int_equal(addr_parse(nlh, &back, &links), -ENOENT);
	nlh = kernel_addr(AF_PACKET, 30, RT_SCOPE_UNIVERSE, IDX_GRE);
	mnl_attr_put(nlh, IFA_LOCAL, 4, v4.raw);
	assert_int_equal(addr_parse(nlh, &back, &links), -ENOENT);
	nlh->nlmsg_type = RTM_NEWROUTE;
	assert_int_equal(addr_parse(nlh, &back, &links), -ENOENT);
	assert_int_equal(addr_parse(msg(RTM_NEWADDR, 0), &back, &links), -ENOENT);

	/* No address of the family's size: malformed. */
	nlh = kernel_addr(AF_INET, 30, RT_SCOPE_UNIVERSE, IDX_GRE);
	mnl_attr_put(nlh, IFA_LOCAL, 16, v6.raw);
	assert_int_equal(addr_parse(nlh, &back, &links), -EPROTO);
	nlh = kernel_addr(AF_INET, 30, RT_SCOPE_UNIVERSE, IDX_GRE);
	assert_int_equal(addr_parse(nlh, &back, &links), -EPROTO);
}

/* ---- routes ------------------------------------------------------------ */

static struct ks_route mkroute(uint32_t table, const char *dst, uint32_t metric)
{
	struct ks_route r = { .table = table, .dst = pfx(dst), .metric = metric };

	return r;
}

static void add_nh(struct ks_route *r, const char *gw, const char *ifname, uint32_t weight)
{
	struct ks_nexthop *nh = &r->nh[r->n_nh++];

	nh->gw = ip(gw);
	strcpy(nh->ifname, ifname);
	nh->weight = weight;
}

static const struct rtmsg *rtmsg_of(const struct nlmsghdr *nlh)
{
	assert_true(mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct rtmsg));
	return mnl_nlmsg_get_payload(nlh);
}

/* Build r, check the header and the attributes every route has. */
static struct nlmsghdr *build_route(const struct ks_route *r, uint16_t type, struct attrs *t)
{
	struct nlmsghdr *nlh = msg(type, REQ);
	const struct rtmsg *rtm;

	assert_int_equal(route_msg(nlh, r, &links), 0);
	assert_int_equal(nlh->nlmsg_type, type);
	rtm = rtmsg_of(nlh);
	assert_int_equal(rtm->rtm_family, r->dst.addr.family);
	assert_int_equal(rtm->rtm_dst_len, r->dst.len);
	assert_int_equal(rtm->rtm_src_len, 0);
	assert_int_equal(rtm->rtm_table, r->table < 256 ? r->table : RT_TABLE_UNSPEC);
	assert_int_equal(rtm->rtm_protocol, 211);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(rtm->rtm_type,
			 r->type == ROUTE_UNREACHABLE ? RTN_UNREACHABLE :
			 r->type == ROUTE_THROW ? RTN_THROW : RTN_UNICAST);
	assert_int_equal(rtm->rtm_flags, 0);
	INDEX_MSG(t, nlh, struct rtmsg);
	A_U32(t, RTA_TABLE, r->table);
	A_U32(t, RTA_PRIORITY, r->metric);
	if (r->dst.len)
		A_ADDR(t, RTA_DST, r->dst.addr);
	else
		A_ABSENT(t, RTA_DST);
	A_ABSENT(t, RTA_SRC);
	A_ABSENT(t, RTA_PREFSRC);
	return nlh;
}

static void route_parses_back(const struct nlmsghdr *nlh, const struct ks_route *r)
{
	struct ks_route back;

	memset(&back, 0xa5, sizeof(back));
	assert_int_equal(route_parse(nlh, &back, &links), 0);
	assert_int_equal(back.table, r->table);
	assert_true(gw_prefix_eq(&back.dst, &r->dst));
	assert_int_equal(back.type, r->type);
	assert_int_equal(back.metric, r->metric);
	assert_int_equal(back.n_nh, r->n_nh);
	for (size_t i = 0; i < r->n_nh; i++) {
		assert_string_equal(back.nh[i].ifname, r->nh[i].ifname);
		assert_true(gw_addr_eq(&back.nh[i].gw, &r->nh[i].gw));
		/* The kernel keeps no weight for a single next hop. */
		assert_int_equal(back.nh[i].weight, r->n_nh > 1 ? r->nh[i].weight : 1);
	}
}

static void test_route_single_v4(void **state)
{
	struct ks_route r = mkroute(1017, "198.18.17.0/24", 1024);
	struct nlmsghdr *nlh;
	struct attrs t;

	add_nh(&r, "10.17.0.2", "gw17-gre1", 3);
	nlh = build_route(&r, RTM_NEWROUTE, &t);
	A_ADDR(&t, RTA_GATEWAY, r.nh[0].gw);
	A_U32(&t, RTA_OIF, IDX_GRE);
	A_ABSENT(&t, RTA_MULTIPATH);
	A_COUNT(&t, 5);
	route_parses_back(nlh, &r);
	DAMAGE(nlh, parse_route_safely);

	/* A table that fits the header is in both places. */
	r.table = 200;
	nlh = build_route(&r, RTM_NEWROUTE, &t);
	assert_int_equal(rtmsg_of(nlh)->rtm_table, 200);
	route_parses_back(nlh, &r);
}

static void test_route_single_v6(void **state)
{
	struct ks_route r = mkroute(1017, "2001:db8:17:100::/56", 1024);
	struct nlmsghdr *nlh;
	struct attrs t;

	add_nh(&r, "2001:db8:17::2", "gw17-v100", 1);
	nlh = build_route(&r, RTM_NEWROUTE, &t);
	A_BYTES(&t, RTA_GATEWAY, r.nh[0].gw.raw, 16);
	A_U32(&t, RTA_OIF, IDX_VLAN);
	A_COUNT(&t, 5);
	route_parses_back(nlh, &r);
	DAMAGE(nlh, parse_route_safely);
}

/* Walk RTA_MULTIPATH: one rtnexthop per next hop, the gateway inside. */
static void check_multipath(const struct attrs *t, const struct ks_route *r)
{
	const struct nlattr *mp = t->a[RTA_MULTIPATH];
	size_t alen = gw_addr_len(r->dst.addr.family), left, i;
	const char *p;

	assert_non_null(mp);
	p = mnl_attr_get_payload(mp);
	left = mnl_attr_get_payload_len(mp);
	for (i = 0; left; i++) {
		const struct rtnexthop *rtnh = (const void *)p;
		const struct ks_link *l;
		struct attrs in;

		assert_true(i < r->n_nh);
		assert_true(left >= sizeof(*rtnh));
		assert_int_equal(rtnh->rtnh_len, sizeof(*rtnh) + MNL_ATTR_HDRLEN + alen);
		assert_int_equal(rtnh->rtnh_hops, r->nh[i].weight - 1);
		assert_int_equal(rtnh->rtnh_flags, 0);
		l = kstate_link(&links, r->nh[i].ifname);
		assert_int_equal(rtnh->rtnh_ifindex, l->ifindex);
		index_region(&in, p + sizeof(*rtnh), rtnh->rtnh_len - sizeof(*rtnh), HERE);
		A_ADDR(&in, RTA_GATEWAY, r->nh[i].gw);
		A_COUNT(&in, 1);
		assert_true(left >= (size_t)RTNH_ALIGN(rtnh->rtnh_len));
		left -= RTNH_ALIGN(rtnh->rtnh_len);
		p += RTNH_ALIGN(rtnh->rtnh_len);
	}
	assert_int_equal(i, r->n_nh);
}

static void test_route_multipath(void **state)
{
	struct ks_route r = mkroute(1017, "198.18.17.0/24", 1024), r6;
	struct nlmsghdr *nlh;
	struct attrs t;

	/* Sorted by ifname, as reconcile keeps them. */
	add_nh(&r, "10.17.0.2", "gw17-gre1", 1);
	add_nh(&r, "10.17.2.2", "gw17-gre6", 256);
	add_nh(&r, "10.17.1.2", "gw17-v100", 5);
	nlh = build_route(&r, RTM_NEWROUTE, &t);
	A_ABSENT(&t, RTA_GATEWAY);
	A_ABSENT(&t, RTA_OIF);
	A_COUNT(&t, 4);
	check_multipath(&t, &r);
	route_parses_back(nlh, &r);
	DAMAGE(nlh, parse_route_safely);

	r6 = mkroute(1017, "2001:db8:17:100::/56", 1024);
	add_nh(&r6, "2001:db8:17::2", "gw17-gre1", 2);
	add_nh(&r6, "2001:db8:17:1::2", "gw17-v100", 2);
	nlh = build_route(&r6, RTM_NEWROUTE, &t);
	check_multipath(&t, &r6);
	route_parses_back(nlh, &r6);

	/* Given in another order, they come back sorted. */
	r = mkroute(1017, "198.18.17.0/24", 1024);
	add_nh(&r, "10.17.1.2", "gw17-v100", 5);
	add_nh(&r, "10.17.0.2", "gw17-gre1", 1);
	nlh = build_route(&r, RTM_NEWROUTE, &t);
	ks_route_sort_nexthops(&r);
	route_parses_back(nlh, &r);
}

static void test_route_unreachable(void **state)
{
	static const char *const dsts[] = { "0.0.0.0/0", "::/0" };

	for (size_t i = 0; i < 2; i++) {
		struct ks_route r = mkroute(1017, dsts[i], GWD_UNREACH_METRIC);
		struct nlmsghdr *nlh;
		struct attrs t;

		r.type = ROUTE_UNREACHABLE;
		nlh = build_route(&r, RTM_NEWROUTE, &t);
		A_ABSENT(&t, RTA_DST);
		A_ABSENT(&t, RTA_GATEWAY);
		A_ABSENT(&t, RTA_OIF);
		A_ABSENT(&t, RTA_MULTIPATH);
		A_COUNT(&t, 2);
		route_parses_back(nlh, &r);

		/* The kernel reports an unreachable route on lo: not a next hop. */
		mnl_attr_put_u32(nlh, RTA_OIF, IDX_LO);
		route_parses_back(nlh, &r);
		DAMAGE(nlh, parse_route_safely);
	}
}

/* A VTI peer's throw in the customer's table: a type, no next hops. */
static void test_route_throw(void **state)
{
	struct ks_route r = mkroute(1017, "192.0.2.117/32", 1024);
	struct nlmsghdr *nlh;
	struct attrs t;

	r.type = ROUTE_THROW;
	nlh = build_route(&r, RTM_NEWROUTE, &t);
	A_ABSENT(&t, RTA_GATEWAY);
	A_ABSENT(&t, RTA_OIF);
	A_ABSENT(&t, RTA_MULTIPATH);
	A_COUNT(&t, 3);
	route_parses_back(nlh, &r);
	DAMAGE(nlh, parse_route_safely);
}

static void test_route_delete(void **state)
{
	struct ks_route r = mkroute(1017, "198.18.17.0/24", 1024);
	struct nlmsghdr *nlh;
	struct attrs t;

	add_nh(&r, "10.17.0.2", "gw17-gre1", 1);
	add_nh(&r, "10.17.1.2", "gw17-v100", 1);
	/* The key (table, prefix, metric) is enough; no next hops to resolve. */
	strcpy(r.nh[1].ifname, "gone0");
	nlh = build_route(&r, RTM_DELROUTE, &t);
	A_ABSENT(&t, RTA_MULTIPATH);
	A_ABSENT(&t, RTA_GATEWAY);
	A_COUNT(&t, 3);
	r.n_nh = 0;
	route_parses_back(nlh, &r);	/* events: a DELROUTE parses */
}

static void test_route_missing_link(void **state)
{
	struct ks_route r = mkroute(1017, "198.18.17.0/24", 1024);

	add_nh(&r, "10.17.0.2", "gw17-gre9", 1);
	assert_int_equal(route_msg(msg(RTM_NEWROUTE, REQ), &r, &links), -ENODEV);
	r.n_nh = 0;
	add_nh(&r, "10.17.0.2", "gw17-gre1", 1);
	add_nh(&r, "10.17.1.2", "gwvrf18", 1);	/* known, no ifindex */
	assert_int_equal(route_msg(msg(RTM_NEWROUTE, REQ), &r, &links), -ENODEV);
}

/* A route message as the kernel would send it, attributes added by the caller. */
static struct nlmsghdr *kernel_route(int family, uint8_t proto, uint8_t type,
				     uint8_t dst_len)
{
	struct nlmsghdr *nlh = msg(RTM_NEWROUTE, NLM_F_MULTI);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = dst_len;
	rtm->rtm_table = RT_TABLE_COMPAT;	/* what dumps say for tables > 255 */
	rtm->rtm_protocol = proto;
	rtm->rtm_type = type;
	mnl_attr_put_u32(nlh, RTA_TABLE, 1017);
	return nlh;
}

/* One rtnexthop with a gateway; len 0: the honest length. */
static void put_hop(struct nlmsghdr *nlh, int ifindex, uint8_t hops,
		    const struct gw_addr *gw, unsigned short len)
{
	struct rtnexthop *rtnh = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtnh));

	rtnh->rtnh_hops = hops;
	rtnh->rtnh_ifindex = ifindex;
	if (gw)
		mnl_attr_put(nlh, RTA_GATEWAY, gw_addr_len(gw->family), gw->raw);
	rtnh->rtnh_len = len ? len : (unsigned short)((char *)mnl_nlmsg_get_payload_tail(nlh) -
						      (char *)rtnh);
}

static void test_route_parse_kernel(void **state)
{
	struct gw_addr a = ip("10.17.0.2"), b = ip("10.17.1.2"), v6 = ip("2001:db8::2");
	struct nlmsghdr *nlh;
	struct nlattr *mp;
	struct ks_route r;

	/* Table from RTA_TABLE; unknown oif: a next hop without a name. */
	nlh = kernel_route(AF_INET, 211, RTN_UNICAST, 24);
	mnl_attr_put(nlh, RTA_DST, 4, ip("198.18.17.0").raw);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, 1024);
	mnl_attr_put(nlh, RTA_GATEWAY, 4, a.raw);
	mnl_attr_put_u32(nlh, RTA_OIF, 77);
	assert_int_equal(route_parse(nlh, &r, &links), 0);
	assert_int_equal(r.table, 1017);
	assert_int_equal(r.n_nh, 1);
	assert_string_equal(r.nh[0].ifname, "");
	assert_true(gw_addr_eq(&r.nh[0].gw, &a));

	/* Multipath as dumped: flags, and a gateway of the wrong family ignored. */
	nlh = kernel_route(AF_INET, 211, RTN_UNICAST, 24);
	mnl_attr_put(nlh, RTA_DST, 4, ip("198.18.17.0").raw);
	mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	put_hop(nlh, IDX_VLAN, 4, &b, 0);
	put_hop(nlh, IDX_GRE, 0, &v6, 0);
	mnl_attr_nest_end(nlh, mp);
	assert_int_equal(route_parse(nlh, &r, &links), 0);
	assert_int_equal(r.n_nh, 2);
	assert_string_equal(r.nh[0].ifname, "gw17-gre1");	/* sorted */
	assert_int_equal(r.nh[0].weight, 1);
	assert_int_equal(r.nh[0].gw.family, 0);
	assert_string_equal(r.nh[1].ifname, "gw17-v100");
	assert_int_equal(r.nh[1].weight, 5);
	assert_true(gw_addr_eq(&r.nh[1].gw, &b));
	DAMAGE(nlh, parse_route_safely);

	/* Not gwd's: another protocol, another type, another family, another message. */
	nlh = kernel_route(AF_INET, RTPROT_STATIC, RTN_UNICAST, 24);
	assert_int_equal(route_parse(nlh, &r, &links), -ENOENT);
	nlh = kernel_route(AF_INET, RTPROT_BOOT, RTN_UNREACHABLE, 0);
	assert_int_equal(route_parse(nlh, &r, &links), -ENOENT);
	nlh = kernel_route(AF_INET, 211, RTN_LOCAL, 32);
	assert_int_equal(route_parse(nlh, &r, &links), -ENOENT);
	nlh = kernel_route(AF_INET, 211, RTN_BLACKHOLE, 0);
	assert_int_equal(route_parse(nlh, &r, &links), -ENOENT);
	nlh = kernel_route(AF_MPLS, 211, RTN_UNICAST, 20);
	assert_int_equal(route_parse(nlh, &r, &links), -ENOENT);
	nlh->nlmsg_type = RTM_NEWRULE;
	assert_int_equal(route_parse(nlh, &r, &links), -ENOENT);
	assert_int_equal(route_parse(msg(RTM_NEWROUTE, 0), &r, &links), -ENOENT);

	/* A destination of the wrong size is not taken. */
	nlh = kernel_route(AF_INET, 211, RTN_UNICAST, 24);
	mnl_attr_put(nlh, RTA_DST, 16, v6.raw);
	assert_int_equal(route_parse(nlh, &r, &links), 0);
	assert_int_equal(r.dst.addr.v4.s_addr, 0);
}

static void test_route_parse_bad_multipath(void **state)
{
	static const unsigned short bad_len[] = { 0, 1, 7, 17, 400 };
	struct gw_addr a = ip("10.17.0.2");
	struct nlmsghdr *nlh;
	struct nlattr *mp;
	struct ks_route r;

	/* rtnh_len past the attribute, or shorter than struct rtnexthop. */
	for (size_t i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
		nlh = kernel_route(AF_INET, 211, RTN_UNICAST, 0);
		mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
		put_hop(nlh, IDX_GRE, 0, &a, 0);
		put_hop(nlh, IDX_VLAN, 0, &a, bad_len[i] ? bad_len[i] : 1);
		if (!bad_len[i])	/* rtnh_len 0: a loop that never advances */
			((struct rtnexthop *)((char *)mnl_nlmsg_get_payload_tail(nlh) -
					      16))->rtnh_len = 0;
		mnl_attr_nest_end(nlh, mp);
		assert_int_equal(route_parse(nlh, &r, &links), -EPROTO);
	}

	/* Trailing bytes shorter than a rtnexthop are ignored. */
	nlh = kernel_route(AF_INET, 211, RTN_UNICAST, 0);
	mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	put_hop(nlh, IDX_GRE, 0, &a, 0);
	mnl_attr_put(nlh, 0, 0, "");	/* 4 bytes of junk */
	mnl_attr_nest_end(nlh, mp);
	assert_int_equal(route_parse(nlh, &r, &links), 0);
	assert_int_equal(r.n_nh, 1);

	/*
	 * A hop whose gateway runs past its rtnh_len (12 of 16 bytes): the hop
	 * stays, without a gateway; the 4 bytes left are too few for another.
	 */
	nlh = kernel_route(AF_INET, 211, RTN_UNICAST, 0);
	mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	put_hop(nlh, IDX_GRE, 2, &a, 12);
	mnl_attr_nest_end(nlh, mp);
	assert_int_equal(route_parse(nlh, &r, &links), 0);
	assert_int_equal(r.n_nh, 1);
	assert_string_equal(r.nh[0].ifname, "gw17-gre1");
	assert_int_equal(r.nh[0].weight, 3);
	assert_int_equal(r.nh[0].gw.family, 0);
}

static void test_route_parse_too_many(void **state)
{
	struct gw_addr a = ip("10.17.0.2");

	for (int n = KS_MAX_NEXTHOPS; n <= KS_MAX_NEXTHOPS + 1; n++) {
		struct nlmsghdr *nlh = kernel_route(AF_INET, 211, RTN_UNICAST, 0);
		struct nlattr *mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
		struct ks_route r;

		for (int i = 0; i < n; i++)
			put_hop(nlh, IDX_GRE, (uint8_t)i, &a, 0);
		mnl_attr_nest_end(nlh, mp);
		assert_int_equal(route_parse(nlh, &r, &links),
				 n > KS_MAX_NEXTHOPS ? -E2BIG : 0);
		if (n == KS_MAX_NEXTHOPS)
			assert_int_equal(r.n_nh, KS_MAX_NEXTHOPS);
	}
}

/* ---- rules ------------------------------------------------------------- */

static void rule_roundtrip(const struct ks_rule *r)
{
	struct nlmsghdr *nlh = msg(RTM_NEWRULE, REQ | NLM_F_CREATE | NLM_F_EXCL);
	const struct fib_rule_hdr *frh;
	struct ks_rule back;
	struct attrs t;

	rule_msg(nlh, r);
	assert_int_equal(nlh->nlmsg_type, RTM_NEWRULE);
	assert_int_equal(nlh->nlmsg_flags, REQ | NLM_F_CREATE | NLM_F_EXCL);
	assert_true(mnl_nlmsg_get_payload_len(nlh) >= sizeof(*frh));
	frh = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(frh->family, r->dst.addr.family);
	assert_int_equal(frh->dst_len, r->dst.len);
	assert_int_equal(frh->src_len, 0);
	assert_int_equal(frh->action, FR_ACT_TO_TBL);
	assert_int_equal(frh->table, r->table < 256 ? r->table : RT_TABLE_UNSPEC);
	assert_int_equal(frh->flags, 0);
	INDEX_MSG(&t, nlh, struct fib_rule_hdr);
	A_ADDR(&t, FRA_DST, r->dst.addr);
	A_U32(&t, FRA_TABLE, r->table);
	A_U32(&t, FRA_PRIORITY, r->priority);
	A_U8(&t, FRA_PROTOCOL, 211);
	A_COUNT(&t, 4);

	memset(&back, 0xa5, sizeof(back));
	assert_int_equal(rule_parse(nlh, &back), 0);
	assert_true(gw_prefix_eq(&back.dst, &r->dst));
	assert_int_equal(back.table, r->table);
	assert_int_equal(back.priority, r->priority);
	DAMAGE(nlh, parse_rule_safely);

	nlh->nlmsg_type = RTM_DELRULE;
	assert_int_equal(rule_parse(nlh, &back), 0);
}

static void test_rule_v4(void **state)
{
	struct ks_rule r = { .dst = pfx("198.18.17.0/24"), .table = 1017,
			     .priority = GWD_RULE_PRIO };

	rule_roundtrip(&r);
	r.table = 17;
	rule_roundtrip(&r);
}

static void test_rule_v6(void **state)
{
	struct ks_rule r = { .dst = pfx("2001:db8:17:100::/56"), .table = 1017,
			     .priority = GWD_RULE_PRIO };

	rule_roundtrip(&r);
}

static void test_rule_parse_foreign(void **state)
{
	struct ks_rule r = { .dst = pfx("198.18.17.0/24"), .table = 1017,
			     .priority = GWD_RULE_PRIO }, back;
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *frh;

	/* Without FRA_PROTOCOL (an old kernel, or ip rule without "protocol"). */
	nlh = msg(RTM_NEWRULE, NLM_F_MULTI);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = AF_INET;
	frh->dst_len = 24;
	frh->action = FR_ACT_TO_TBL;
	mnl_attr_put(nlh, FRA_DST, 4, r.dst.addr.raw);
	mnl_attr_put_u32(nlh, FRA_TABLE, 1017);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, GWD_RULE_PRIO);
	assert_int_equal(rule_parse(nlh, &back), -ENOENT);
	/* Another protocol. */
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, RTPROT_KERNEL);
	assert_int_equal(rule_parse(nlh, &back), -ENOENT);

	/* Ours, but another action. */
	nlh = msg(RTM_NEWRULE, REQ);
	rule_msg(nlh, &r);
	((struct fib_rule_hdr *)mnl_nlmsg_get_payload(nlh))->action = FR_ACT_GOTO;
	assert_int_equal(rule_parse(nlh, &back), -ENOENT);
	((struct fib_rule_hdr *)mnl_nlmsg_get_payload(nlh))->action = FR_ACT_TO_TBL;
	((struct fib_rule_hdr *)mnl_nlmsg_get_payload(nlh))->family = AF_UNSPEC;
	assert_int_equal(rule_parse(nlh, &back), -ENOENT);

	/* Another message type; too short. */
	nlh = msg(RTM_NEWROUTE, REQ);
	rule_msg(nlh, &r);
	assert_int_equal(rule_parse(nlh, &back), -ENOENT);
	assert_int_equal(rule_parse(msg(RTM_NEWRULE, 0), &back), -ENOENT);

	/* An empty FRA_PROTOCOL does not count. */
	nlh = msg(RTM_NEWRULE, NLM_F_MULTI);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = AF_INET;
	frh->action = FR_ACT_TO_TBL;
	mnl_attr_put(nlh, FRA_PROTOCOL, 0, "");
	assert_int_equal(rule_parse(nlh, &back), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_create_vrf),
		cmocka_unit_test(test_link_create_gre_key),
		cmocka_unit_test(test_link_create_gre_nokey),
		cmocka_unit_test(test_link_create_xfrm),
		cmocka_unit_test(test_link_create_vti),
		cmocka_unit_test(test_link_vti_setup),
		cmocka_unit_test(test_link_create_ip6gre),
		cmocka_unit_test(test_link_create_vlan),
		cmocka_unit_test(test_link_create_down_no_mtu),
		cmocka_unit_test(test_link_create_missing),
		cmocka_unit_test(test_link_set_alias),
		cmocka_unit_test(test_link_change),
		cmocka_unit_test(test_link_delete),
		cmocka_unit_test(test_link_parse_vrf),
		cmocka_unit_test(test_link_parse_gre),
		cmocka_unit_test(test_link_parse_ip6gre),
		cmocka_unit_test(test_link_parse_vlan),
		cmocka_unit_test(test_link_parse_other),
		cmocka_unit_test(test_link_parse_garbage),
		cmocka_unit_test(test_link_must_recreate),
		cmocka_unit_test(test_addr_v4),
		cmocka_unit_test(test_addr_v6),
		cmocka_unit_test(test_addr_errors),
		cmocka_unit_test(test_route_single_v4),
		cmocka_unit_test(test_route_single_v6),
		cmocka_unit_test(test_route_multipath),
		cmocka_unit_test(test_route_throw),
		cmocka_unit_test(test_route_unreachable),
		cmocka_unit_test(test_route_delete),
		cmocka_unit_test(test_route_missing_link),
		cmocka_unit_test(test_route_parse_kernel),
		cmocka_unit_test(test_route_parse_bad_multipath),
		cmocka_unit_test(test_route_parse_too_many),
		cmocka_unit_test(test_rule_v4),
		cmocka_unit_test(test_rule_v6),
		cmocka_unit_test(test_rule_parse_foreign),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
