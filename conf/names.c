/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel interface names.  gwd's own links are named from the customer id,
 * never from the customer name, so that renaming a customer does not
 * recreate its links and a restart finds them again.  "gw<id>-<path>" cannot
 * collide across customers: the id ends at the first '-'.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conf/internal.h"

static int fit(char out[IF_NAMESIZE], int n)
{
	if (n < 0 || n >= IF_NAMESIZE) {
		out[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

int conf_vrf_ifname(uint32_t id, char out[IF_NAMESIZE])
{
	return fit(out, snprintf(out, IF_NAMESIZE, "gwvrf%" PRIu32, id));
}

int conf_path_ifname(uint32_t id, const char *path, char out[IF_NAMESIZE])
{
	return fit(out, snprintf(out, IF_NAMESIZE, "gw%" PRIu32 "-%s", id, path));
}

bool conf_ifname_valid(const char *s, size_t len)
{
	size_t i;

	if (!len || len >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		/* '/', ':' and white space as the kernel; NUL and other
		 * controls because no one can type them in `ip link`. */
		if (c <= ' ' || c == 0x7f || c == '/' || c == ':')
			return false;
	}
	return true;
}

bool conf_ifname_reserved(const char *s)
{
	return !strncmp(s, "gwvrf", 5) ||
	       (!strncmp(s, "gw", 2) && s[2] >= '0' && s[2] <= '9');
}

uint32_t conf_path_if_id(uint32_t id, const char *path)
{
	uint32_t h = 2166136261u;	/* FNV-1a, folded to 16 bits */

	for (; *path; path++)
		h = (h ^ (unsigned char)*path) * 16777619u;
	h = (h >> 16 ^ h) & 0xffff;
	return id << 16 | (h ? h : 1);
}
