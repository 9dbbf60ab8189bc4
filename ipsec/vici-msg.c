// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipsec/vici-msg.h"

#define NAME_MAX_LEN	255
#define VALUE_MAX_LEN	65535

bool vici_type_named(enum vici_packet_type t)
{
	return t == VICI_CMD_REQUEST || t == VICI_EVENT_REGISTER ||
	       t == VICI_EVENT_UNREGISTER || t == VICI_EVENT;
}

bool vici_type_has_msg(enum vici_packet_type t)
{
	return t == VICI_CMD_REQUEST || t == VICI_CMD_RESPONSE || t == VICI_EVENT;
}

/* Builder */

static int fail(struct vici_builder *b, int err)
{
	if (!b->err)
		b->err = err;
	return b->err;
}

static int put(struct vici_builder *b, const void *p, size_t n)
{
	size_t cap;
	uint8_t *nb;

	if (b->err)
		return b->err;
	if (n > VICI_HDR_LEN + VICI_MSG_MAX - b->len)
		return fail(b, -EMSGSIZE);
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		/* Not realloc(): a request may carry a secret (load-shared,
		 * load-key), and no copy of it may stay behind in freed memory. */
		nb = malloc(cap);
		if (!nb)
			return fail(b, -ENOMEM);
		if (b->buf) {
			memcpy(nb, b->buf, b->len);
			explicit_bzero(b->buf, b->cap);
			free(b->buf);
		}
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

static int put_u8(struct vici_builder *b, unsigned v)
{
	uint8_t c = (uint8_t)v;

	return put(b, &c, 1);
}

static int put_name(struct vici_builder *b, const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (!n || n > NAME_MAX_LEN)
		return fail(b, -EINVAL);
	put_u8(b, n);
	return put(b, name, n);
}

static int put_value(struct vici_builder *b, const void *v, size_t n)
{
	uint8_t be[2] = { (uint8_t)(n >> 8), (uint8_t)n };

	if (n > VALUE_MAX_LEN || (n && !v))
		return fail(b, -EINVAL);
	put(b, be, sizeof(be));
	return n ? put(b, v, n) : b->err;
}

/* Whether an element may start here; in_list says whether it belongs in a list. */
static int may_add(struct vici_builder *b, bool in_list)
{
	if (!b->has_msg || b->in_list != in_list)
		return fail(b, -EINVAL);
	return b->err;
}

int vici_build_init(struct vici_builder *b, enum vici_packet_type type,
		    const char *name)
{
	static const uint8_t hdr[VICI_HDR_LEN];

	*b = (struct vici_builder){ .has_msg = vici_type_has_msg(type) };
	if ((unsigned)type > VICI_EVENT || vici_type_named(type) != !!name)
		return fail(b, -EINVAL);
	/* The length is written at finish. */
	put(b, hdr, sizeof(hdr));
	put_u8(b, type);
	return name ? put_name(b, name) : b->err;
}

int vici_section_start(struct vici_builder *b, const char *name)
{
	if (may_add(b, false))
		return b->err;
	if (b->depth == VICI_DEPTH_MAX)
		return fail(b, -EINVAL);
	b->depth++;
	put_u8(b, VICI_SECTION_START);
	return put_name(b, name);
}

int vici_section_end(struct vici_builder *b)
{
	if (may_add(b, false))
		return b->err;
	if (!b->depth)
		return fail(b, -EINVAL);
	b->depth--;
	return put_u8(b, VICI_SECTION_END);
}

int vici_kv(struct vici_builder *b, const char *name, const void *value,
	    size_t len)
{
	if (may_add(b, false))
		return b->err;
	put_u8(b, VICI_KEY_VALUE);
	put_name(b, name);
	return put_value(b, value, len);
}

int vici_kv_str(struct vici_builder *b, const char *name, const char *value)
{
	if (!value)
		return fail(b, -EINVAL);
	return vici_kv(b, name, value, strlen(value));
}

int vici_list_start(struct vici_builder *b, const char *name)
{
	if (may_add(b, false))
		return b->err;
	b->in_list = true;
	put_u8(b, VICI_LIST_START);
	return put_name(b, name);
}

int vici_list_item(struct vici_builder *b, const void *value, size_t len)
{
	if (may_add(b, true))
		return b->err;
	put_u8(b, VICI_LIST_ITEM);
	return put_value(b, value, len);
}

int vici_list_item_str(struct vici_builder *b, const char *value)
{
	if (!value)
		return fail(b, -EINVAL);
	return vici_list_item(b, value, strlen(value));
}

int vici_list_end(struct vici_builder *b)
{
	if (may_add(b, true))
		return b->err;
	b->in_list = false;
	return put_u8(b, VICI_LIST_END);
}

int vici_build_finish(struct vici_builder *b, uint8_t **pkt, size_t *len)
{
	size_t n;
	int ret;

	if (b->depth || b->in_list)
		fail(b, -EINVAL);
	ret = b->err;
	if (ret)
		goto out;
	n = b->len - VICI_HDR_LEN;
	b->buf[0] = (uint8_t)(n >> 24);
	b->buf[1] = (uint8_t)(n >> 16);
	b->buf[2] = (uint8_t)(n >> 8);
	b->buf[3] = (uint8_t)n;
	*pkt = b->buf;
	*len = b->len;
	b->buf = NULL;
out:
	vici_build_free(b);
	return ret;
}

void vici_build_free(struct vici_builder *b)
{
	if (b->buf)
		explicit_bzero(b->buf, b->cap);
	free(b->buf);
	*b = (struct vici_builder){ 0 };
}

/* Parser */

struct reader {
	const uint8_t *p, *end;
};

static int refuse(const char **why, const char *reason, int err)
{
	if (why)
		*why = reason;
	return err;
}

/* A name: non-empty, within the packet, no NUL (it becomes a C string). */
static const char *read_name(struct reader *r)
{
	size_t n;

	if (r->p == r->end)
		return "truncated name";
	n = *r->p++;
	if (!n)
		return "empty name";
	if (n > (size_t)(r->end - r->p))
		return "name past the end";
	if (memchr(r->p, 0, n))
		return "NUL in a name";
	r->p += n;
	return NULL;
}

static const char *read_value(struct reader *r)
{
	size_t n;

	if (r->end - r->p < 2)
		return "truncated value length";
	n = (size_t)r->p[0] << 8 | r->p[1];
	r->p += 2;
	if (n > (size_t)(r->end - r->p))
		return "value past the end";
	r->p += n;
	return NULL;
}

/* The element rules of the README's "Message format", in one pass. */
static const char *check_body(struct reader *r)
{
	unsigned depth = 0, count = 0;
	bool in_list = false;
	const char *bad;

	while (r->p < r->end) {
		if (++count > VICI_ELEMENTS_MAX)
			return "too many elements";
		switch (*r->p++) {
		case VICI_SECTION_START:
			if (in_list)
				return "section inside a list";
			if (++depth > VICI_DEPTH_MAX)
				return "sections nested too deep";
			bad = read_name(r);
			break;
		case VICI_SECTION_END:
			if (in_list)
				return "section end inside a list";
			if (!depth)
				return "section end without start";
			depth--;
			bad = NULL;
			break;
		case VICI_KEY_VALUE:
			if (in_list)
				return "key/value inside a list";
			bad = read_name(r);
			if (!bad)
				bad = read_value(r);
			break;
		case VICI_LIST_START:
			if (in_list)
				return "list inside a list";
			in_list = true;
			bad = read_name(r);
			break;
		case VICI_LIST_ITEM:
			if (!in_list)
				return "list item outside a list";
			bad = read_value(r);
			break;
		case VICI_LIST_END:
			if (!in_list)
				return "list end without start";
			in_list = false;
			bad = NULL;
			break;
		default:
			return "unknown element type";
		}
		if (bad)
			return bad;
	}
	if (in_list)
		return "list not ended";
	if (depth)
		return "section not ended";
	return NULL;
}

int vici_frame_len(const uint8_t hdr[VICI_HDR_LEN], size_t *len)
{
	size_t n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
		   (size_t)hdr[2] << 8 | hdr[3];

	if (n > VICI_MSG_MAX)
		return -EMSGSIZE;
	*len = n;
	return 0;
}

int vici_parse(const void *buf, size_t len, struct vici_msg *m,
	       const char **why)
{
	struct reader r = { buf, (const uint8_t *)buf + len };
	const uint8_t *name = NULL, *body;
	enum vici_packet_type type;
	const char *bad;
	size_t n;

	if (len < VICI_HDR_LEN)
		return refuse(why, "truncated length field", -EBADMSG);
	if (vici_frame_len(buf, &n))
		return refuse(why, "packet over 512 KiB", -EMSGSIZE);
	if (n != len - VICI_HDR_LEN)
		return refuse(why, "length field not the packet's length", -EBADMSG);
	r.p += VICI_HDR_LEN;
	if (r.p == r.end)
		return refuse(why, "no packet type", -EBADMSG);
	type = *r.p++;
	if ((unsigned)type > VICI_EVENT)
		return refuse(why, "unknown packet type", -EBADMSG);
	if (vici_type_named(type)) {
		name = r.p;
		bad = read_name(&r);
		if (bad)
			return refuse(why, bad, -EBADMSG);
	}
	if (!vici_type_has_msg(type) && r.p != r.end)
		return refuse(why, "a message in a packet type without one", -EBADMSG);
	body = r.p;
	bad = check_body(&r);
	if (bad)
		return refuse(why, bad, -EBADMSG);
	m->type = type;
	m->body = body;
	m->body_len = (size_t)(r.end - body);
	m->name[0] = '\0';
	if (name) {
		memcpy(m->name, name + 1, name[0]);
		m->name[name[0]] = '\0';
	}
	return 0;
}

/* Iteration: the message is valid, so lengths are trusted from here on. */

static const uint8_t *skip_name(const uint8_t *p)
{
	return p + 1 + p[0];
}

static const uint8_t *skip_value(const uint8_t *p)
{
	return p + 2 + ((size_t)p[0] << 8 | p[1]);
}

/* Past the one element at p; a start element is passed alone, not with its contents. */
static const uint8_t *skip_elem(const uint8_t *p)
{
	switch (*p++) {
	case VICI_SECTION_START:
	case VICI_LIST_START:
		return skip_name(p);
	case VICI_KEY_VALUE:
		return skip_value(skip_name(p));
	case VICI_LIST_ITEM:
		return skip_value(p);
	default:
		return p;
	}
}

/* The end element closing the section or list whose contents start at p. */
static const uint8_t *find_end(const uint8_t *p)
{
	unsigned depth = 0;

	for (;; p = skip_elem(p)) {
		if (*p == VICI_SECTION_START || *p == VICI_LIST_START)
			depth++;
		else if (*p == VICI_SECTION_END || *p == VICI_LIST_END) {
			if (!depth)
				return p;
			depth--;
		}
	}
}

struct vici_iter vici_root(const struct vici_msg *m)
{
	return (struct vici_iter){ m->body, m->body + m->body_len };
}

bool vici_next(struct vici_iter *it, struct vici_elem *e)
{
	const uint8_t *p = it->p;

	if (p >= it->end)
		return false;
	*e = (struct vici_elem){ .type = *p++ };
	if (e->type != VICI_LIST_ITEM) {
		e->name = (const char *)p + 1;
		e->name_len = p[0];
		p = skip_name(p);
	}
	switch (e->type) {
	case VICI_SECTION_START:
	case VICI_LIST_START:
		e->inner.p = p;
		e->inner.end = find_end(p);
		p = e->inner.end + 1;
		break;
	default:
		e->value = p + 2;
		e->value_len = (size_t)p[0] << 8 | p[1];
		p = skip_value(p);
		break;
	}
	it->p = p;
	return true;
}

static bool name_is(const struct vici_elem *e, const char *name, size_t n)
{
	return e->name && e->name_len == n && !memcmp(e->name, name, n);
}

bool vici_name_is(const struct vici_elem *e, const char *name)
{
	return name_is(e, name, strlen(name));
}

int vici_get(const struct vici_iter *section, const char *path,
	     struct vici_elem *e)
{
	struct vici_iter it = *section;
	const char *slash;
	size_t n;

	for (;;) {
		slash = strchr(path, '/');
		n = slash ? (size_t)(slash - path) : strlen(path);
		do {
			if (!vici_next(&it, e))
				return -ENOENT;
		} while (!name_is(e, path, n));
		if (!slash)
			return 0;
		if (e->type != VICI_SECTION_START)
			return -ENOENT;
		it = e->inner;
		path = slash + 1;
	}
}

int vici_get_str(const struct vici_iter *section, const char *path,
		 char *buf, size_t size)
{
	struct vici_elem e;

	if (vici_get(section, path, &e) || e.type != VICI_KEY_VALUE)
		return -ENOENT;
	if (memchr(e.value, 0, e.value_len))
		return -EBADMSG;
	if (e.value_len >= size)
		return -ENOSPC;
	memcpy(buf, e.value, e.value_len);
	buf[e.value_len] = '\0';
	return 0;
}
