/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vici wire format (strongSwan's src/libcharon/plugins/vici/README.md):
 * a packet is a 32-bit big-endian length, then that many bytes: a packet
 * type, a name for the named types, and for requests, responses and events
 * a message, a sequence of elements forming a tree of sections, key/values
 * and lists of items.  Values are blobs; charon sends strings, not
 * NUL-terminated.
 *
 * Pure: no I/O, no logging.  The builder encodes into a buffer it grows;
 * the parser validates a whole received packet before anything reads it,
 * and the iterators then walk the caller's bytes without copying them.
 */
#ifndef GWD_IPSEC_VICI_MSG_H
#define GWD_IPSEC_VICI_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most data after the length field, as charon's own limit. */
#define VICI_MSG_MAX		(512 * 1024)
#define VICI_HDR_LEN		4
/* Sections nested deeper than this are refused: charon never sends more than a handful. */
#define VICI_DEPTH_MAX		16
/* Elements in one message; a list-sas event for one IKE_SA has a few dozen. */
#define VICI_ELEMENTS_MAX	65536

enum vici_packet_type {
	VICI_CMD_REQUEST,	/* named, with a message */
	VICI_CMD_RESPONSE,	/* with a message */
	VICI_CMD_UNKNOWN,
	VICI_EVENT_REGISTER,	/* named */
	VICI_EVENT_UNREGISTER,	/* named */
	VICI_EVENT_CONFIRM,
	VICI_EVENT_UNKNOWN,
	VICI_EVENT,		/* named, with a message */
};

enum vici_elem_type {
	VICI_SECTION_START = 1,
	VICI_SECTION_END,
	VICI_KEY_VALUE,
	VICI_LIST_START,
	VICI_LIST_ITEM,
	VICI_LIST_END,
};

/* Whether packets of this type carry a name, a message. */
bool vici_type_named(enum vici_packet_type t);
bool vici_type_has_msg(enum vici_packet_type t);

/*
 * Builder.  Every call returns 0 or the builder's first error, which is
 * sticky: a sequence of calls may be checked once, at vici_build_finish().
 * -EINVAL: an empty name, a name over 255 bytes or with a NUL, a value over
 * 65535 bytes, an element where it may not stand (anything in a list but
 * items, an item outside a list, a section or list in a list, an end
 * without its start, deeper than VICI_DEPTH_MAX, any element in a packet
 * type without a message); -EMSGSIZE past VICI_MSG_MAX; -ENOMEM.
 */
struct vici_builder {
	uint8_t *buf;		/* owned until vici_build_finish() */
	size_t len, cap;
	unsigned depth;		/* open sections */
	bool in_list, has_msg;
	int err;
};

int vici_build_init(struct vici_builder *b, enum vici_packet_type type,
		    const char *name);
int vici_section_start(struct vici_builder *b, const char *name);
int vici_section_end(struct vici_builder *b);
int vici_kv(struct vici_builder *b, const char *name, const void *value,
	    size_t len);
int vici_kv_str(struct vici_builder *b, const char *name, const char *value);
int vici_list_start(struct vici_builder *b, const char *name);
int vici_list_item(struct vici_builder *b, const void *value, size_t len);
int vici_list_item_str(struct vici_builder *b, const char *value);
int vici_list_end(struct vici_builder *b);
/*
 * The framed packet, length field included, into *pkt (the caller frees
 * it) and *len; -EINVAL if a section or list is still open, or the first
 * error.  The builder is empty afterwards either way.
 */
int vici_build_finish(struct vici_builder *b, uint8_t **pkt, size_t *len);
/*
 * Drop a packet being built; safe after finish and twice.  The builder
 * zeroes every buffer it lets go of, so a request carrying a secret leaves
 * no copy behind; a finished packet with one is the caller's to zero.
 */
void vici_build_free(struct vici_builder *b);

/*
 * Parser.  A received packet, validated whole.  name is NUL-terminated
 * ("" for unnamed types); body points into the caller's buffer, which must
 * outlive the vici_msg.
 */
struct vici_msg {
	enum vici_packet_type type;
	char name[256];
	const uint8_t *body;
	size_t body_len;
};

/*
 * The length a packet header announces, into *len: 0, or -EMSGSIZE past
 * VICI_MSG_MAX, so a stream reader knows how much to read before it reads.
 */
int vici_frame_len(const uint8_t hdr[VICI_HDR_LEN], size_t *len);

/*
 * Validate the framed packet buf (length field included, nothing after)
 * into *m.  0, or -EMSGSIZE past VICI_MSG_MAX, -EBADMSG for anything else
 * malformed, with *why (may be NULL) a short static reason.  *m is written
 * only on success.
 */
int vici_parse(const void *buf, size_t len, struct vici_msg *m,
	       const char **why);

/*
 * Iteration over one section's children or one list's items, in order, of
 * a message vici_parse() accepted (nothing is checked again).
 */
struct vici_iter {
	const uint8_t *p, *end;
};

/*
 * One child: VICI_SECTION_START (a sub-section; inner walks its
 * children), VICI_KEY_VALUE, VICI_LIST_START (inner walks its items) or
 * VICI_LIST_ITEM.  name and value point into the message, unterminated.
 */
struct vici_elem {
	enum vici_elem_type type;
	const char *name;	/* NULL for items */
	size_t name_len;
	const uint8_t *value;	/* key/values and items */
	size_t value_len;
	struct vici_iter inner;	/* sections and lists */
};

/* The message's root section. */
struct vici_iter vici_root(const struct vici_msg *m);
/* The next child into *e: true, or false at the end of the section or list. */
bool vici_next(struct vici_iter *it, struct vici_elem *e);
/* Whether e's name is exactly name. */
bool vici_name_is(const struct vici_elem *e, const char *name);

/*
 * The element at path under a section: names separated by '/', e.g.
 * "gw-cust1/child-sas/net-7/state", each but the last a sub-section.  The
 * first match wins where a (malformed) section repeats a name.  0 or
 * -ENOENT.
 */
int vici_get(const struct vici_iter *section, const char *path,
	     struct vici_elem *e);
/*
 * The key/value at path as a string into buf: 0, -ENOENT (absent or not a
 * key/value), -EBADMSG (a NUL in the value), -ENOSPC (buf too small).
 */
int vici_get_str(const struct vici_iter *section, const char *path,
		 char *buf, size_t size);

#endif
