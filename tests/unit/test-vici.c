// SPDX-License-Identifier: GPL-2.0
/* The vici wire codec: builder, parser, iteration, hostile input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipsec/vici-msg.h"

/* A packet in a buffer of exactly its size, so ASan sees any read past it. */
struct pkt {
	uint8_t *buf;
	size_t len;
};

static struct pkt frame(const void *data, size_t len)
{
	struct pkt p = { malloc(len + VICI_HDR_LEN), len + VICI_HDR_LEN };

	assert_non_null(p.buf);
	p.buf[0] = (uint8_t)(len >> 24);
	p.buf[1] = (uint8_t)(len >> 16);
	p.buf[2] = (uint8_t)(len >> 8);
	p.buf[3] = (uint8_t)len;
	memcpy(p.buf + VICI_HDR_LEN, data, len);
	return p;
}

static struct pkt finish(struct vici_builder *b)
{
	struct pkt p;

	assert_int_equal(vici_build_finish(b, &p.buf, &p.len), 0);
	return p;
}

static void parse_ok(const struct pkt *p, struct vici_msg *m)
{
	const char *why = NULL;
	int ret = vici_parse(p->buf, p->len, m, &why);

	if (ret)
		fail_msg("refused: %s", why);
}

static void assert_str_at(const struct vici_iter *it, const char *path,
			  const char *want)
{
	char buf[128];
	int ret = vici_get_str(it, path, buf, sizeof(buf));

	if (ret)
		fail_msg("%s: %d", path, ret);
	assert_string_equal(buf, want);
}

/* The encoding example of the vici README, byte for byte. */
static const uint8_t readme_body[] = {
	3, 4, 'k', 'e', 'y', '1', 0, 6, 'v', 'a', 'l', 'u', 'e', '1',
	1, 8, 's', 'e', 'c', 't', 'i', 'o', 'n', '1',
	1, 11, 's', 'u', 'b', '-', 's', 'e', 'c', 't', 'i', 'o', 'n',
	3, 4, 'k', 'e', 'y', '2', 0, 6, 'v', 'a', 'l', 'u', 'e', '2',
	2,
	4, 5, 'l', 'i', 's', 't', '1',
	5, 0, 5, 'i', 't', 'e', 'm', '1',
	5, 0, 5, 'i', 't', 'e', 'm', '2',
	6,
	2,
};

static void build_readme(struct vici_builder *b)
{
	vici_build_init(b, VICI_CMD_RESPONSE, NULL);
	vici_kv_str(b, "key1", "value1");
	vici_section_start(b, "section1");
	vici_section_start(b, "sub-section");
	vici_kv_str(b, "key2", "value2");
	vici_section_end(b);
	vici_list_start(b, "list1");
	vici_list_item_str(b, "item1");
	vici_list_item_str(b, "item2");
	vici_list_end(b);
	vici_section_end(b);
}

static void test_readme_example_bytes(void **state)
{
	struct vici_builder b;
	struct pkt p;

	build_readme(&b);
	p = finish(&b);
	assert_int_equal(p.len, VICI_HDR_LEN + 1 + sizeof(readme_body));
	assert_memory_equal(p.buf, ((const uint8_t[]){ 0, 0, 0, 1 + sizeof(readme_body), 1 }), 5);
	assert_memory_equal(p.buf + 5, readme_body, sizeof(readme_body));
	free(p.buf);
}

static void test_request_bytes(void **state)
{
	static const uint8_t want[] = {
		0, 0, 0, 26,
		0,	/* CMD_REQUEST */
		11, 'u', 'n', 'l', 'o', 'a', 'd', '-', 'c', 'o', 'n', 'n',
		3, 4, 'n', 'a', 'm', 'e', 0, 5, 'g', 'w', '-', 'c', '1',
	};
	struct vici_builder b;
	struct vici_msg m;
	struct pkt p;

	vici_build_init(&b, VICI_CMD_REQUEST, "unload-conn");
	vici_kv_str(&b, "name", "gw-c1");
	p = finish(&b);
	assert_int_equal(p.len, sizeof(want));
	assert_memory_equal(p.buf, want, sizeof(want));
	parse_ok(&p, &m);
	assert_int_equal(m.type, VICI_CMD_REQUEST);
	assert_string_equal(m.name, "unload-conn");
	free(p.buf);

	/* Packets without a message: the type and the name only. */
	vici_build_init(&b, VICI_EVENT_REGISTER, "child-updown");
	p = finish(&b);
	assert_int_equal(p.len, 4 + 2 + 12);
	assert_memory_equal(p.buf, "\0\0\0\x0e\x03\x0c" "child-updown", p.len);
	parse_ok(&p, &m);
	assert_int_equal(m.type, VICI_EVENT_REGISTER);
	assert_string_equal(m.name, "child-updown");
	assert_int_equal(m.body_len, 0);
	free(p.buf);

	vici_build_init(&b, VICI_EVENT_CONFIRM, NULL);
	p = finish(&b);
	assert_memory_equal(p.buf, "\0\0\0\x01\x05", 5);
	parse_ok(&p, &m);
	assert_string_equal(m.name, "");
	free(p.buf);
}

/* What gwd will send for a customer's IPsec path. */
static struct pkt build_load_conn(void)
{
	static const uint8_t psk_bin[] = { 's', 0, 'c', 0xff };
	struct vici_builder b;

	vici_build_init(&b, VICI_CMD_REQUEST, "load-conn");
	vici_section_start(&b, "gw-mailbox");
	vici_kv_str(&b, "version", "2");
	vici_list_start(&b, "local_addrs");
	vici_list_item_str(&b, "192.0.2.1");
	vici_list_end(&b);
	vici_list_start(&b, "remote_addrs");
	vici_list_item_str(&b, "192.0.2.18");
	vici_list_end(&b);
	vici_list_start(&b, "proposals");
	vici_list_item_str(&b, "aes256gcm16-prfsha384-ecp384");
	vici_list_item_str(&b, "aes256gcm16-prfsha256-curve25519");
	vici_list_end(&b);
	vici_kv_str(&b, "dpd_delay", "10s");
	vici_section_start(&b, "local");
	vici_kv_str(&b, "auth", "psk");
	vici_kv_str(&b, "id", "gw.example");
	vici_section_end(&b);
	vici_section_start(&b, "remote");
	vici_kv_str(&b, "auth", "psk");
	vici_kv_str(&b, "id", "cpe.mailbox.example");
	vici_section_end(&b);
	vici_section_start(&b, "children");
	vici_section_start(&b, "net");
	vici_list_start(&b, "local_ts");
	vici_list_item_str(&b, "0.0.0.0/0");
	vici_list_end(&b);
	vici_list_start(&b, "remote_ts");
	vici_list_end(&b);	/* empty lists are allowed */
	vici_kv_str(&b, "if_id_in", "17");
	vici_kv(&b, "opaque", psk_bin, sizeof(psk_bin));
	vici_kv(&b, "empty", NULL, 0);
	vici_section_end(&b);
	vici_section_end(&b);
	vici_section_end(&b);
	return finish(&b);
}

static void test_load_conn_round_trip(void **state)
{
	struct pkt p = build_load_conn();
	struct vici_iter root, it;
	struct vici_elem e, item;
	struct vici_msg m;
	char buf[64];
	int n = 0;

	parse_ok(&p, &m);
	assert_int_equal(m.type, VICI_CMD_REQUEST);
	assert_string_equal(m.name, "load-conn");
	root = vici_root(&m);
	assert_str_at(&root, "gw-mailbox/version", "2");
	assert_str_at(&root, "gw-mailbox/remote/id", "cpe.mailbox.example");
	assert_str_at(&root, "gw-mailbox/children/net/if_id_in", "17");
	assert_str_at(&root, "gw-mailbox/children/net/empty", "");

	assert_int_equal(vici_get(&root, "gw-mailbox/proposals", &e), 0);
	assert_int_equal(e.type, VICI_LIST_START);
	it = e.inner;
	while (vici_next(&it, &item)) {
		assert_int_equal(item.type, VICI_LIST_ITEM);
		assert_null(item.name);
		assert_memory_equal(item.value, "aes256gcm16-prf", 15);
		n++;
	}
	assert_int_equal(n, 2);

	assert_int_equal(vici_get(&root, "gw-mailbox/children/net/remote_ts", &e), 0);
	assert_int_equal(e.type, VICI_LIST_START);
	assert_false(vici_next(&e.inner, &item));

	/* Binary values come back as they went, but not as strings. */
	assert_int_equal(vici_get(&root, "gw-mailbox/children/net/opaque", &e), 0);
	assert_int_equal(e.value_len, 4);
	assert_memory_equal(e.value, "s\0c\xff", 4);
	assert_int_equal(vici_get_str(&root, "gw-mailbox/children/net/opaque",
				      buf, sizeof(buf)), -EBADMSG);

	/* The root's children in order: one section. */
	it = root;
	assert_true(vici_next(&it, &e));
	assert_int_equal(e.type, VICI_SECTION_START);
	assert_true(vici_name_is(&e, "gw-mailbox"));
	assert_false(vici_name_is(&e, "gw-mailbo"));
	assert_false(vici_next(&it, &e));
	free(p.buf);
}

static void test_lookup_refusals(void **state)
{
	struct pkt p = build_load_conn();
	struct vici_iter root;
	struct vici_elem e;
	struct vici_msg m;
	char buf[8];

	parse_ok(&p, &m);
	root = vici_root(&m);
	assert_int_equal(vici_get(&root, "gw-mailbox/nothing", &e), -ENOENT);
	assert_int_equal(vici_get(&root, "nothing/version", &e), -ENOENT);
	assert_int_equal(vici_get(&root, "gw-mailbox/version/x", &e), -ENOENT);
	assert_int_equal(vici_get(&root, "gw-mailbox/", &e), -ENOENT);
	assert_int_equal(vici_get(&root, "", &e), -ENOENT);
	/* A list or a section is not a string; a key is not found past its section. */
	assert_int_equal(vici_get_str(&root, "gw-mailbox/proposals", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(vici_get_str(&root, "gw-mailbox/local", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(vici_get_str(&root, "gw-mailbox/auth", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(vici_get_str(&root, "gw-mailbox/remote/id", buf, sizeof(buf)), -ENOSPC);
	assert_int_equal(vici_get_str(&root, "gw-mailbox/local/auth", buf, 3), -ENOSPC);
	assert_int_equal(vici_get_str(&root, "gw-mailbox/local/auth", buf, 4), 0);
	assert_string_equal(buf, "psk");
	free(p.buf);
}

/* A list-sa event as charon streams it for list-sas: one IKE_SA, two CHILD_SAs. */
static void test_list_sa_event(void **state)
{
	static const char *const children[][3] = {
		{ "net-7", "INSTALLED", "c1d2e3f4" },
		{ "net-8", "REKEYED", "0a0b0c0d" },
	};
	struct vici_iter root, it;
	struct vici_builder b;
	struct vici_elem ike, e;
	struct vici_msg m;
	char state_buf[32];
	struct pkt p;
	unsigned i;

	vici_build_init(&b, VICI_EVENT, "list-sa");
	vici_section_start(&b, "gw-mailbox");
	vici_kv_str(&b, "uniqueid", "3");
	vici_kv_str(&b, "version", "2");
	vici_kv_str(&b, "state", "ESTABLISHED");
	vici_kv_str(&b, "local-host", "192.0.2.1");
	vici_kv_str(&b, "remote-host", "192.0.2.18");
	vici_section_start(&b, "child-sas");
	for (i = 0; i < 2; i++) {
		vici_section_start(&b, children[i][0]);
		vici_kv_str(&b, "name", "net");
		vici_kv_str(&b, "state", children[i][1]);
		vici_kv_str(&b, "spi-in", children[i][2]);
		vici_kv_str(&b, "bytes-in", "123456");
		vici_list_start(&b, "local-ts");
		vici_list_item_str(&b, "0.0.0.0/0");
		vici_list_end(&b);
		vici_list_start(&b, "remote-ts");
		vici_list_item_str(&b, "198.51.100.0/24");
		vici_list_item_str(&b, "203.0.113.0/24");
		vici_list_end(&b);
		vici_section_end(&b);
	}
	vici_section_end(&b);
	vici_section_end(&b);
	p = finish(&b);

	parse_ok(&p, &m);
	assert_int_equal(m.type, VICI_EVENT);
	assert_string_equal(m.name, "list-sa");
	root = vici_root(&m);
	/* The IKE_SA's name is not known in advance: iterate, then look up under it. */
	assert_true(vici_next(&root, &ike));
	assert_int_equal(ike.type, VICI_SECTION_START);
	assert_true(vici_name_is(&ike, "gw-mailbox"));
	assert_str_at(&ike.inner, "state", "ESTABLISHED");
	assert_int_equal(vici_get(&ike.inner, "child-sas", &e), 0);
	it = e.inner;
	for (i = 0; vici_next(&it, &e); i++) {
		assert_true(i < 2);
		assert_int_equal(e.type, VICI_SECTION_START);
		assert_true(vici_name_is(&e, children[i][0]));
		assert_int_equal(vici_get_str(&e.inner, "state", state_buf,
					      sizeof(state_buf)), 0);
		assert_string_equal(state_buf, children[i][1]);
		assert_str_at(&e.inner, "spi-in", children[i][2]);
	}
	assert_int_equal(i, 2);
	assert_false(vici_next(&root, &ike));
	free(p.buf);
}

static void test_responses(void **state)
{
	struct vici_builder b;
	struct vici_iter root;
	struct vici_msg m;
	char buf[64];
	struct pkt p;

	vici_build_init(&b, VICI_CMD_RESPONSE, NULL);
	vici_kv_str(&b, "success", "yes");
	p = finish(&b);
	parse_ok(&p, &m);
	root = vici_root(&m);
	assert_str_at(&root, "success", "yes");
	assert_int_equal(vici_get_str(&root, "errmsg", buf, sizeof(buf)), -ENOENT);
	free(p.buf);

	vici_build_init(&b, VICI_CMD_RESPONSE, NULL);
	vici_kv_str(&b, "success", "no");
	vici_kv_str(&b, "errmsg", "config 'gw-x' not found");
	p = finish(&b);
	parse_ok(&p, &m);
	root = vici_root(&m);
	assert_str_at(&root, "success", "no");
	assert_str_at(&root, "errmsg", "config 'gw-x' not found");
	free(p.buf);

	/* An unknown command: no message. */
	vici_build_init(&b, VICI_CMD_UNKNOWN, NULL);
	p = finish(&b);
	parse_ok(&p, &m);
	assert_int_equal(m.type, VICI_CMD_UNKNOWN);
	free(p.buf);
}

/*
 * Every prefix of a valid packet, as it stands (the length field then
 * disagrees) and with its length field made to agree: refused with a
 * reason, or one of the two prefixes given that are whole packets themselves.
 */
static void check_truncations(const struct pkt *full, size_t whole1, size_t whole2)
{
	struct vici_msg m;
	const char *why;
	size_t cut;

	for (cut = 0; cut < full->len; cut++) {
		struct pkt p = { malloc(cut ? cut : 1), cut };
		int ret;

		memcpy(p.buf, full->buf, cut);
		why = NULL;
		assert_int_equal(vici_parse(p.buf, p.len, &m, &why), -EBADMSG);
		assert_non_null(why);
		free(p.buf);

		if (cut < VICI_HDR_LEN)
			continue;
		p = frame(full->buf + VICI_HDR_LEN, cut - VICI_HDR_LEN);
		why = NULL;
		ret = vici_parse(p.buf, p.len, &m, &why);
		if (cut == whole1 || cut == whole2)
			assert_int_equal(ret, 0);
		else {
			assert_int_equal(ret, -EBADMSG);
			assert_non_null(why);
		}
		free(p.buf);
	}
}

static void test_every_truncation_refused(void **state)
{
	struct pkt p = build_load_conn();
	struct vici_builder b;

	/* The request's name without a message is a valid empty request. */
	check_truncations(&p, VICI_HDR_LEN + 1 + 1 + strlen("load-conn"), 0);
	free(p.buf);
	build_readme(&b);
	p = finish(&b);
	/* An empty response, and one of key1 alone. */
	check_truncations(&p, VICI_HDR_LEN + 1, VICI_HDR_LEN + 1 + 14);
	free(p.buf);
}

struct bad {
	const char *data;
	size_t len;
	const char *why;
};

#define BAD(lit, reason) { lit, sizeof(lit) - 1, reason }

/* Bodies of CMD_RESPONSE packets (type byte included), each with its reason. */
static const struct bad bad_msgs[] = {
	BAD("", "no packet type"),
	BAD("\x08", "unknown packet type"),
	BAD("\xff", "unknown packet type"),
	BAD("\x00", "truncated name"),
	BAD("\x00\x00", "empty name"),
	BAD("\x00\x05" "abc", "name past the end"),
	BAD("\x00\x03" "a\0c", "NUL in a name"),
	BAD("\x03\x01xy", "a message in a packet type without one"),
	BAD("\x05\x03", "a message in a packet type without one"),
	BAD("\x01\x00", "unknown element type"),
	BAD("\x01\x07", "unknown element type"),
	BAD("\x01\x01", "truncated name"),
	BAD("\x01\x01\x00\x02", "empty name"),
	BAD("\x01\x01\xff" "abc", "name past the end"),
	BAD("\x01\x01\x01x", "section not ended"),
	BAD("\x01\x02", "section end without start"),
	BAD("\x01\x01\x01x\x02\x02", "section end without start"),
	BAD("\x01\x03\x01k", "truncated value length"),
	BAD("\x01\x03\x01k\x00", "truncated value length"),
	BAD("\x01\x03\x01k\x00\x02v", "value past the end"),
	BAD("\x01\x03\x01k\xff\xffv", "value past the end"),
	BAD("\x01\x03\x00\x00\x00", "empty name"),
	BAD("\x01\x05\x00\x00", "list item outside a list"),
	BAD("\x01\x06", "list end without start"),
	BAD("\x01\x04\x01l", "list not ended"),
	BAD("\x01\x04\x01l\x05\x00\x01", "value past the end"),
	BAD("\x01\x04\x01l\x04\x01m\x06\x06", "list inside a list"),
	BAD("\x01\x04\x01l\x01\x01s\x02\x06", "section inside a list"),
	BAD("\x01\x01\x01s\x04\x01l\x02\x06\x02", "section end inside a list"),
	BAD("\x01\x04\x01l\x03\x01k\x00\x00\x06", "key/value inside a list"),
	BAD("\x01\x01\x01s\x04\x01l\x06", "section not ended"),
	BAD("\x01\x03\x02k\0\x00\x00", "NUL in a name"),
};

static void test_hostile_messages(void **state)
{
	struct vici_msg m = { .type = 99 };
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad_msgs) / sizeof(bad_msgs[0]); i++) {
		struct pkt p = frame(bad_msgs[i].data, bad_msgs[i].len);

		why = NULL;
		if (vici_parse(p.buf, p.len, &m, &why) != -EBADMSG || !why ||
		    strcmp(why, bad_msgs[i].why))
			fail_msg("case %zu: '%s', want '%s'", i, why, bad_msgs[i].why);
		assert_int_equal(m.type, 99);	/* untouched on failure */
		free(p.buf);
	}
}

static void test_length_field(void **state)
{
	static const uint8_t over[] = { 0, 8, 0, 1, 1 };
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 1 };
	static const uint8_t longer[] = { 0, 0, 0, 2, 1 };
	static const uint8_t shorter[] = { 0, 0, 0, 1, 1, 2 };
	struct vici_msg m;
	const char *why;
	size_t n;

	assert_int_equal(vici_parse(over, sizeof(over), &m, &why), -EMSGSIZE);
	assert_string_equal(why, "packet over 512 KiB");
	assert_int_equal(vici_parse(huge, sizeof(huge), &m, &why), -EMSGSIZE);
	assert_int_equal(vici_parse(longer, sizeof(longer), &m, &why), -EBADMSG);
	assert_string_equal(why, "length field not the packet's length");
	assert_int_equal(vici_parse(shorter, sizeof(shorter), &m, &why), -EBADMSG);
	assert_int_equal(vici_parse(over, 0, &m, NULL), -EBADMSG);

	assert_int_equal(vici_frame_len(over, &n), -EMSGSIZE);
	assert_int_equal(vici_frame_len(huge, &n), -EMSGSIZE);
	assert_int_equal(vici_frame_len((const uint8_t *)"\0\x08\0\0", &n), 0);
	assert_int_equal(n, VICI_MSG_MAX);
}

/* A response nesting n sections, each holding one key. */
static struct pkt nested(unsigned n)
{
	size_t len = 1 + n * 4 + 8 + n;
	uint8_t *body = malloc(len), *q = body;
	struct pkt p;
	unsigned i;

	*q++ = VICI_CMD_RESPONSE;
	for (i = 0; i < n; i++) {
		memcpy(q, "\x01\x02s", 3);
		q[3] = (uint8_t)('a' + i % 26);
		q += 4;
	}
	memcpy(q, "\x03\x01k\x00\x03val", 8);
	q += 8;
	memset(q, VICI_SECTION_END, n);
	p = frame(body, len);
	free(body);
	return p;
}

static void test_depth_and_count_limits(void **state)
{
	struct vici_iter root;
	struct vici_msg m;
	const char *why;
	char path[128] = "";
	struct pkt p;
	uint8_t *body;
	size_t len, i;

	p = nested(VICI_DEPTH_MAX);
	parse_ok(&p, &m);
	for (i = 0; i < VICI_DEPTH_MAX; i++)
		sprintf(path + strlen(path), "s%c/", (char)('a' + i));
	strcat(path, "k");
	root = vici_root(&m);
	assert_str_at(&root, path, "val");
	free(p.buf);

	p = nested(VICI_DEPTH_MAX + 1);
	assert_int_equal(vici_parse(p.buf, p.len, &m, &why), -EBADMSG);
	assert_string_equal(why, "sections nested too deep");
	free(p.buf);

	/* A depth bomb: section starts only, as far as the size allows. */
	len = VICI_MSG_MAX;
	body = malloc(len);
	body[0] = VICI_CMD_RESPONSE;
	for (i = 1; i + 3 <= len; i += 3)
		memcpy(body + i, "\x01\x01x", 3);
	p = frame(body, i);
	assert_int_equal(vici_parse(p.buf, p.len, &m, &why), -EBADMSG);
	assert_string_equal(why, "sections nested too deep");
	free(p.buf);

	/* One list of empty items: the limit accepted, one more refused. */
	for (len = 0; len <= 1; len++) {
		size_t items = VICI_ELEMENTS_MAX - 2 + len;

		i = 0;
		body[i++] = VICI_CMD_RESPONSE;
		memcpy(body + i, "\x04\x01l", 3);
		i += 3;
		while (items--) {
			memcpy(body + i, "\x05\x00\x00", 3);
			i += 3;
		}
		body[i++] = VICI_LIST_END;
		p = frame(body, i);
		why = NULL;
		if (!len)
			parse_ok(&p, &m);
		else {
			assert_int_equal(vici_parse(p.buf, p.len, &m, &why), -EBADMSG);
			assert_string_equal(why, "too many elements");
		}
		free(p.buf);
	}
	free(body);
}

static void test_builder_refusals(void **state)
{
	static char big[70000];
	struct vici_builder b;
	uint8_t *out = NULL;
	char name[300];
	size_t len;
	int i;

	memset(name, 'n', sizeof(name));
	name[256] = '\0';
	memset(big, 'v', sizeof(big));

	/* Names: the packet's and the elements'. */
	assert_int_equal(vici_build_init(&b, VICI_CMD_REQUEST, NULL), -EINVAL);
	vici_build_free(&b);
	assert_int_equal(vici_build_init(&b, VICI_CMD_REQUEST, ""), -EINVAL);
	vici_build_free(&b);
	assert_int_equal(vici_build_init(&b, VICI_CMD_REQUEST, name), -EINVAL);
	vici_build_free(&b);
	assert_int_equal(vici_build_init(&b, VICI_CMD_RESPONSE, "x"), -EINVAL);
	vici_build_free(&b);
	assert_int_equal(vici_build_init(&b, 8, NULL), -EINVAL);
	vici_build_free(&b);
	name[255] = '\0';
	assert_int_equal(vici_build_init(&b, VICI_EVENT, name), 0);
	assert_int_equal(vici_kv_str(&b, name, "255 is the most"), 0);
	assert_int_equal(vici_kv_str(&b, "", "v"), -EINVAL);
	/* Sticky: later calls report the first failure, finish too. */
	assert_int_equal(vici_kv_str(&b, "fine", "v"), -EINVAL);
	assert_int_equal(vici_build_finish(&b, &out, &len), -EINVAL);
	assert_null(out);

	/* Values. */
	vici_build_init(&b, VICI_CMD_RESPONSE, NULL);
	assert_int_equal(vici_kv(&b, "k", big, 65535), 0);
	assert_int_equal(vici_kv(&b, "k", big, 65536), -EINVAL);
	vici_build_free(&b);
	vici_build_init(&b, VICI_CMD_RESPONSE, NULL);
	assert_int_equal(vici_kv_str(&b, "k", NULL), -EINVAL);
	vici_build_free(&b);

	/* Placement. */
	vici_build_init(&b, VICI_CMD_RESPONSE, NULL);
	assert_int_equal(vici_section_end(&b), -EINVAL);
	vici_build_free(&b);
	vici_build_init(&b, VICI_CMD_RESPONSE, NULL);
	assert_int_equal(vici_list_item_str(&b, "x"), -EINVAL);
	vici_build_free(&b);
	vici_build_init(&b, VICI_CMD_RESPONSE, NULL);
	assert_int_equal(vici_list_end(&b), -EINVAL);
	vici_build_free(&b);
	vici_build_init(&b, VICI_CMD_RESPONSE, NULL);
	vici_list_start(&b, "l");
	assert_int_equal(vici_kv_str(&b, "k", "v"), -EINVAL);
	vici_build_free(&b);
	vici_build_init(&b, VICI_CMD_RESPONSE, NULL);
	vici_list_start(&b, "l");
	assert_int_equal(vici_list_start(&b, "m"), -EINVAL);
	vici_build_free(&b);
	vici_build_init(&b, VICI_CMD_RESPONSE, NULL);
	vici_list_start(&b, "l");
	assert_int_equal(vici_section_start(&b, "s"), -EINVAL);
	vici_build_free(&b);
	vici_build_init(&b, VICI_EVENT_CONFIRM, NULL);
	assert_int_equal(vici_kv_str(&b, "k", "v"), -EINVAL);
	vici_build_free(&b);

	/* Unbalanced at finish. */
	vici_build_init(&b, VICI_CMD_RESPONSE, NULL);
	vici_section_start(&b, "s");
	assert_int_equal(vici_build_finish(&b, &out, &len), -EINVAL);
	vici_build_init(&b, VICI_CMD_RESPONSE, NULL);
	vici_list_start(&b, "l");
	assert_int_equal(vici_build_finish(&b, &out, &len), -EINVAL);
	assert_null(out);

	/* Depth: as deep as the parser accepts, no deeper. */
	vici_build_init(&b, VICI_CMD_RESPONSE, NULL);
	for (i = 0; i < VICI_DEPTH_MAX; i++)
		assert_int_equal(vici_section_start(&b, "s"), 0);
	assert_int_equal(vici_section_start(&b, "s"), -EINVAL);
	vici_build_free(&b);
	vici_build_free(&b);	/* twice is harmless */
}

static void test_builder_size_limit(void **state)
{
	static char big[65535];
	struct vici_builder b;
	struct vici_msg m;
	struct pkt p;
	size_t room;

	/* Fill to the byte: 1 type byte, then key/values of 65535 + 5 bytes. */
	vici_build_init(&b, VICI_CMD_RESPONSE, NULL);
	room = VICI_MSG_MAX - 1;
	for (; room >= sizeof(big) + 5; room -= sizeof(big) + 5)
		assert_int_equal(vici_kv(&b, "k", big, sizeof(big)), 0);
	assert_int_equal(vici_kv(&b, "k", big, room - 5), 0);
	p = finish(&b);
	assert_int_equal(p.len, VICI_HDR_LEN + VICI_MSG_MAX);
	parse_ok(&p, &m);
	free(p.buf);

	/* One byte more is refused, and stays refused. */
	vici_build_init(&b, VICI_CMD_RESPONSE, NULL);
	room = VICI_MSG_MAX - 1;
	for (; room >= sizeof(big) + 5; room -= sizeof(big) + 5)
		vici_kv(&b, "k", big, sizeof(big));
	assert_int_equal(vici_kv(&b, "k", big, room - 4), -EMSGSIZE);
	assert_int_equal(vici_section_end(&b), -EMSGSIZE);
	assert_int_equal(vici_build_finish(&b, &p.buf, &p.len), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_example_bytes),
		cmocka_unit_test(test_request_bytes),
		cmocka_unit_test(test_load_conn_round_trip),
		cmocka_unit_test(test_lookup_refusals),
		cmocka_unit_test(test_list_sa_event),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_every_truncation_refused),
		cmocka_unit_test(test_hostile_messages),
		cmocka_unit_test(test_length_field),
		cmocka_unit_test(test_depth_and_count_limits),
		cmocka_unit_test(test_builder_refusals),
		cmocka_unit_test(test_builder_size_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
