// SPDX-License-Identifier: GPL-2.0
/* SYN cookies, user space: see cookie.h and cookie-hash.h. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "gwd/xdp/cookie.h"

const uint16_t cookie_mss_table[COOKIE_MSS_MAX] = COOKIE_MSS_TABLE;

unsigned cookie_mss_index(unsigned client_mss)
{
	unsigned i = COOKIE_MSS_MAX - 1;

	while (i > 0 && cookie_mss_table[i] > client_mss)
		i--;
	return i;
}

uint32_t cookie_make(const struct syn_cookie_keys *keys, const struct cookie_tuple *t,
		     uint32_t client_isn, uint64_t now_ns, unsigned client_mss,
		     unsigned *mss_out)
{
	unsigned idx = cookie_mss_index(client_mss);

	if (mss_out)
		*mss_out = cookie_mss_table[idx];
	return cookie_value(&keys->cur, t, client_isn, now_ns >> COOKIE_SLOT_SHIFT, idx);
}

bool cookie_check(const struct syn_cookie_keys *keys, const struct cookie_tuple *t,
		  uint32_t client_isn, uint32_t ack_seq, uint64_t now_ns,
		  unsigned *mss_out)
{
	int idx = cookie_verify(keys, t, client_isn, ack_seq - 1, now_ns);

	if (idx < 0)
		return false;
	if (mss_out)
		*mss_out = cookie_mss_table[idx];
	return true;
}

int cookie_keys_rotate(struct syn_cookie_keys *keys)
{
	struct syn_cookie_key k;
	size_t got = 0;

	while (got < sizeof(k)) {
		ssize_t n = getrandom((char *)&k + got, sizeof(k) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += n;
	}
	keys->prev = keys->cur;
	keys->valid = (keys->valid & SYN_COOKIE_CUR_VALID ? SYN_COOKIE_PREV_VALID : 0) |
		      SYN_COOKIE_CUR_VALID;
	keys->cur = k;
	keys->generation++;
	return 0;
}

void cookie_addr_v4(uint8_t out[16], const void *v4)
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}
