// SPDX-License-Identifier: GPL-2.0
/* Reading charon's SA reports; see sa.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipsec/sa.h"

/* A value as a C string, cut to fit; a value with a NUL is refused. */
static int str(const struct vici_elem *e, char *buf, size_t size)
{
	size_t n = e->value_len < size - 1 ? e->value_len : size - 1;

	if (memchr(e->value, '\0', e->value_len))
		return -EBADMSG;
	memcpy(buf, e->value, n);
	buf[n] = '\0';
	return 0;
}

/* Decimal: charon's counters (unsigned 64 bits) and times (signed). */
static int num(const struct vici_elem *e, bool sign, int64_t *s, uint64_t *u)
{
	char buf[24], *end;

	if (!e->value_len || e->value_len >= sizeof(buf) ||
	    (!sign && (e->value[0] < '0' || e->value[0] > '9')))
		return -EBADMSG;
	memcpy(buf, e->value, e->value_len);
	buf[e->value_len] = '\0';
	errno = 0;
	if (sign)
		*s = strtoll(buf, &end, 10);
	else
		*u = strtoull(buf, &end, 10);
	return *end || errno ? -EBADMSG : 0;
}

struct field {
	const char *name;
	enum { F_STR, F_U32, F_U64, F_S64, F_YES } type;
	size_t off, size;
};

#define FS(s, key, m)	{ key, F_STR, offsetof(struct s, m), sizeof(((struct s *)0)->m) }
#define FN(s, key, m, t)	{ key, t, offsetof(struct s, m), 0 }

static const struct field child_fields[] = {
	FN(ipsec_child, "uniqueid", uniqueid, F_U32),
	FS(ipsec_child, "name", name),
	FS(ipsec_child, "state", state),
	FS(ipsec_child, "mode", mode),
	FS(ipsec_child, "spi-in", spi_in),
	FS(ipsec_child, "spi-out", spi_out),
	FS(ipsec_child, "encr-alg", encr),
	FN(ipsec_child, "bytes-in", bytes_in, F_U64),
	FN(ipsec_child, "packets-in", packets_in, F_U64),
	FN(ipsec_child, "bytes-out", bytes_out, F_U64),
	FN(ipsec_child, "packets-out", packets_out, F_U64),
	FN(ipsec_child, "rekey-time", rekey_s, F_S64),
	FN(ipsec_child, "life-time", life_s, F_S64),
	FN(ipsec_child, "install-time", install_s, F_S64),
};

static const struct field ike_fields[] = {
	FN(ipsec_ike, "uniqueid", uniqueid, F_U32),
	FS(ipsec_ike, "state", state),
	FS(ipsec_ike, "local-host", local_host),
	FS(ipsec_ike, "remote-host", remote_host),
	FS(ipsec_ike, "local-id", local_id),
	FS(ipsec_ike, "remote-id", remote_id),
	FS(ipsec_ike, "encr-alg", encr),
	FS(ipsec_ike, "prf-alg", prf),
	FS(ipsec_ike, "dh-group", dh),
	FN(ipsec_ike, "initiator", initiator, F_YES),
	FN(ipsec_ike, "established", established_s, F_S64),
	FN(ipsec_ike, "rekey-time", rekey_s, F_S64),
	FN(ipsec_ike, "reauth-time", reauth_s, F_S64),
};

static int set_field(const struct field *f, const struct vici_elem *e, void *obj)
{
	char *p = (char *)obj + f->off;
	uint64_t u;
	int ret;

	switch (f->type) {
	case F_STR:
		return str(e, p, f->size);
	case F_YES:
		*(bool *)p = e->value_len == 3 && !memcmp(e->value, "yes", 3);
		return 0;
	case F_S64:
		return num(e, true, (int64_t *)p, NULL);
	case F_U32:
		ret = num(e, false, NULL, &u);
		if (ret == 0 && u > UINT32_MAX)
			ret = -EBADMSG;
		if (ret == 0)
			*(uint32_t *)p = (uint32_t)u;
		return ret;
	case F_U64:
		return num(e, false, NULL, (uint64_t *)p);
	}
	return -EINVAL;
}

/* The key/values of a section into obj by table; other elements are skipped. */
static int fill(struct vici_iter it, const struct field *fields, size_t n,
		void *obj)
{
	struct vici_elem e;
	int ret;

	while (vici_next(&it, &e)) {
		if (e.type != VICI_KEY_VALUE)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (!vici_name_is(&e, fields[i].name))
				continue;
			ret = set_field(&fields[i], &e, obj);
			if (ret < 0)
				return ret;
			break;
		}
	}
	return 0;
}

int ipsec_ike_parse(const struct vici_elem *e, struct ipsec_ike *out)
{
	struct vici_elem sub, ch;
	struct vici_iter it;
	int ret;

	if (e->type != VICI_SECTION_START)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->established_s = out->rekey_s = out->reauth_s = -1;
	if (e->name_len >= sizeof(out->name))
		return -EBADMSG;
	memcpy(out->name, e->name, e->name_len);
	ret = fill(e->inner, ike_fields, sizeof(ike_fields) / sizeof(ike_fields[0]), out);
	if (ret < 0 || vici_get(&e->inner, "child-sas", &sub) < 0)
		return ret;
	if (sub.type != VICI_SECTION_START)
		return -EBADMSG;
	it = sub.inner;
	while (vici_next(&it, &ch)) {
		struct ipsec_child c = { .rekey_s = -1, .life_s = -1, .install_s = -1 };
		size_t slot = out->n_child;

		if (ch.type != VICI_SECTION_START)
			return -EBADMSG;
		ret = fill(ch.inner, child_fields,
			   sizeof(child_fields) / sizeof(child_fields[0]), &c);
		if (ret < 0)
			return ret;
		out->installed += ipsec_child_installed(&c);
		/*
		 * Rekeyed CHILD_SAs linger until deleted, more with collisions:
		 * when there is no room, one that carries traffic displaces
		 * one that does not.
		 */
		if (slot == IPSEC_CHILD_MAX) {
			out->children_dropped++;
			for (slot = 0; slot < IPSEC_CHILD_MAX; slot++)
				if (!ipsec_child_installed(&out->child[slot]))
					break;
			if (slot == IPSEC_CHILD_MAX || !ipsec_child_installed(&c))
				continue;
		} else {
			out->n_child++;
		}
		out->child[slot] = c;
	}
	return 0;
}

int ipsec_msg_ike(const struct vici_msg *m, struct ipsec_ike *out)
{
	struct vici_iter it = vici_root(m);
	struct vici_elem e;

	while (vici_next(&it, &e))
		if (e.type == VICI_SECTION_START)
			return ipsec_ike_parse(&e, out);
	return -ENOENT;
}

bool ipsec_child_installed(const struct ipsec_child *c)
{
	return !strcmp(c->state, "INSTALLED") || !strcmp(c->state, "REKEYING");
}
