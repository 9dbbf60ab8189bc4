// SPDX-License-Identifier: GPL-2.0
/*
 * vici packets from charon's socket.  The input is a packet's data: it is
 * parsed as it stands (a length field of its own, usually wrong) and framed
 * with the right length field.  Whatever the parser accepts must walk
 * without trouble, and the builder must encode the walk back into exactly
 * the same bytes: the parser accepts nothing the builder would refuse, and
 * the iterators miss nothing.  It is also read as an SA report (list-sa,
 * ike-updown, child-updown), which must hold its own bounds.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipsec/sa.h"
#include "ipsec/vici-msg.h"

static void copy_name(char out[256], const struct vici_elem *e)
{
	memcpy(out, e->name, e->name_len);
	out[e->name_len] = '\0';
}

static void rebuild(struct vici_builder *b, struct vici_iter it)
{
	struct vici_elem e, item;
	char name[256];

	while (vici_next(&it, &e)) {
		if (e.type != VICI_LIST_ITEM)
			copy_name(name, &e);
		switch (e.type) {
		case VICI_SECTION_START:
			vici_section_start(b, name);
			rebuild(b, e.inner);
			vici_section_end(b);
			break;
		case VICI_KEY_VALUE:
			vici_kv(b, name, e.value, e.value_len);
			break;
		case VICI_LIST_START:
			vici_list_start(b, name);
			while (vici_next(&e.inner, &item)) {
				assert(item.type == VICI_LIST_ITEM);
				vici_list_item(b, item.value, item.value_len);
			}
			vici_list_end(b);
			break;
		default:
			assert(0);
		}
	}
}

static void check(const uint8_t *buf, size_t len)
{
	struct vici_builder b;
	struct vici_iter root, it;
	struct vici_elem e, found;
	struct vici_msg m;
	struct ipsec_ike ike;
	const char *why = NULL;
	char name[256];
	uint8_t *out;
	size_t out_len;

	if (vici_parse(buf, len, &m, &why)) {
		assert(why);	/* every refusal says why */
		return;
	}
	assert(vici_build_init(&b, m.type, vici_type_named(m.type) ? m.name : NULL) == 0);
	rebuild(&b, vici_root(&m));
	assert(vici_build_finish(&b, &out, &out_len) == 0);
	assert(out_len == len && !memcmp(out, buf, len));
	free(out);

	if (ipsec_msg_ike(&m, &ike) == 0) {
		assert(ike.n_child <= IPSEC_CHILD_MAX);
		assert(strlen(ike.name) < sizeof(ike.name));
		assert(ike.installed <= ike.n_child + ike.children_dropped);
		for (size_t i = 0; i < ike.n_child; i++)
			assert(strlen(ike.child[i].state) < sizeof(ike.child[i].state));
	}

	/* Every root child is found by its name (the first of a repeated name). */
	it = root = vici_root(&m);
	while (vici_next(&it, &e)) {
		copy_name(name, &e);
		if (strchr(name, '/'))
			continue;
		assert(vici_get(&root, name, &found) == 0);
		assert(found.name_len == e.name_len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *framed;

	check(data, size);
	if (size > VICI_MSG_MAX)
		return 0;
	/* An exact copy, so that a read past the end is ASan's. */
	framed = malloc(size + VICI_HDR_LEN);
	if (!framed)
		return 0;
	framed[0] = (uint8_t)(size >> 24);
	framed[1] = (uint8_t)(size >> 16);
	framed[2] = (uint8_t)(size >> 8);
	framed[3] = (uint8_t)size;
	memcpy(framed + VICI_HDR_LEN, data, size);
	check(framed, size + VICI_HDR_LEN);
	free(framed);
	return 0;
}
