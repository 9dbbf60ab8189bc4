/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Addresses and prefixes of either family.  The text forms are exactly what
 * inet_pton(3) reads and inet_ntop(3) prints; a prefix is ADDRESS/LENGTH with
 * a decimal length: no netmasks, no zone ids, no bare addresses, so that a
 * config means one thing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf/model.h"

size_t gw_addr_len(int family)
{
	switch (family) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	default:
		return 0;
	}
}

int gw_addr_parse(const char *s, struct gw_addr *a)
{
	struct gw_addr t = { 0 };

	if (inet_pton(AF_INET, s, &t.v4) == 1)
		t.family = AF_INET;
	else if (inet_pton(AF_INET6, s, &t.v6) == 1)
		t.family = AF_INET6;
	else
		return -EINVAL;
	*a = t;
	return 0;
}

int gw_ifprefix_parse(const char *s, struct gw_prefix *p)
{
	char buf[GW_ADDRSTRLEN];
	const char *slash = strchr(s, '/'), *l;
	struct gw_prefix t = { 0 };
	unsigned int len = 0;

	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	if (gw_addr_parse(buf, &t.addr))
		return -EINVAL;
	/* At most three digits: no sign, no space, no overflow to think about. */
	for (l = slash + 1; *l >= '0' && *l <= '9' && l - slash <= 3; l++)
		len = len * 10 + (*l - '0');
	if (l == slash + 1 || *l || len > 8 * gw_addr_len(t.addr.family))
		return -EINVAL;
	t.len = len;
	*p = t;
	return 0;
}

void gw_prefix_mask(struct gw_prefix *p)
{
	size_t n = gw_addr_len(p->addr.family), i = p->len / 8;

	if (i >= n)
		return;
	p->addr.raw[i] &= (uint8_t)(0xff00 >> (p->len % 8));
	memset(p->addr.raw + i + 1, 0, n - i - 1);
}

int gw_prefix_parse(const char *s, struct gw_prefix *p)
{
	struct gw_prefix t, masked;

	if (gw_ifprefix_parse(s, &t))
		return -EINVAL;
	masked = t;
	gw_prefix_mask(&masked);
	if (!gw_prefix_eq(&t, &masked))
		return -EINVAL;
	*p = t;
	return 0;
}

const char *gw_addr_str(const struct gw_addr *a, char *buf, size_t len)
{
	if (!len)
		return buf;
	if (!a->family)
		snprintf(buf, len, "unset");
	else if (!inet_ntop(a->family, a->raw, buf, len))
		buf[0] = '\0';
	return buf;
}

const char *gw_prefix_str(const struct gw_prefix *p, char *buf, size_t len)
{
	char a[GW_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", gw_addr_str(&p->addr, a, sizeof(a)), p->len);
	return buf;
}

/* Whether the first bits bits of a and b are equal. */
static bool bits_eq(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int n = bits / 8;
	uint8_t mask = (uint8_t)(0xff00 >> (bits % 8));

	if (memcmp(a, b, n))
		return false;
	return !mask || !((a[n] ^ b[n]) & mask);
}

bool gw_addr_eq(const struct gw_addr *a, const struct gw_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->raw, b->raw, gw_addr_len(a->family));
}

bool gw_prefix_eq(const struct gw_prefix *a, const struct gw_prefix *b)
{
	return a->len == b->len && gw_addr_eq(&a->addr, &b->addr);
}

bool gw_prefix_contains(const struct gw_prefix *p, const struct gw_addr *a)
{
	return p->addr.family && p->addr.family == a->family &&
	       bits_eq(p->addr.raw, a->raw, p->len);
}

bool gw_prefix_overlap(const struct gw_prefix *a, const struct gw_prefix *b)
{
	return a->addr.family && a->addr.family == b->addr.family &&
	       bits_eq(a->addr.raw, b->addr.raw, a->len < b->len ? a->len : b->len);
}
