// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "gwd/bfd-packet.h"

/* The second byte: Sta(2) P F C A D M. */
#define BIT_POLL	0x20
#define BIT_FINAL	0x10
#define BIT_CPI		0x08
#define BIT_AUTH	0x04
#define BIT_DEMAND	0x02
#define BIT_MULTI	0x01

#define AUTH_MIN_LEN	26	/* with the smallest authentication section */

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void bfd_packet_encode(const struct bfd_packet *p, uint8_t buf[BFD_PACKET_LEN])
{
	buf[0] = (uint8_t)(BFD_VERSION << 5 | (p->diag & 0x1f));
	buf[1] = (uint8_t)((p->state & 3) << 6 | (p->poll ? BIT_POLL : 0) |
			   (p->final ? BIT_FINAL : 0) | (p->cpi ? BIT_CPI : 0) |
			   (p->demand ? BIT_DEMAND : 0));
	buf[2] = p->detect_mult;
	buf[3] = BFD_PACKET_LEN;
	put32(buf + 4, p->my_discr);
	put32(buf + 8, p->your_discr);
	put32(buf + 12, p->desired_min_tx_us);
	put32(buf + 16, p->required_min_rx_us);
	put32(buf + 20, p->required_min_echo_rx_us);
}

static int refuse(const char **why, const char *reason, int err)
{
	if (why)
		*why = reason;
	return err;
}

/* The checks in the order of RFC 5880 §6.8.6, so the first failing rule is the one named. */
int bfd_packet_decode(const void *buf, size_t len, struct bfd_packet *p,
		      const char **why)
{
	const uint8_t *b = buf;
	struct bfd_packet q;
	bool auth;

	if (len < 4)
		return refuse(why, "truncated", -EBADMSG);
	if (b[0] >> 5 != BFD_VERSION)
		return refuse(why, "version not 1", -EPROTONOSUPPORT);
	auth = b[1] & BIT_AUTH;
	if (b[3] < (auth ? AUTH_MIN_LEN : BFD_PACKET_LEN))
		return refuse(why, "length field too small", -EBADMSG);
	if (b[3] > len)
		return refuse(why, "length field beyond the payload", -EBADMSG);
	if (!b[2])
		return refuse(why, "detect multiplier 0", -EBADMSG);
	if (b[1] & BIT_MULTI)
		return refuse(why, "multipoint bit set", -EBADMSG);
	q = (struct bfd_packet){
		.diag = b[0] & 0x1f,
		.state = b[1] >> 6,
		.poll = b[1] & BIT_POLL,
		.final = b[1] & BIT_FINAL,
		.cpi = b[1] & BIT_CPI,
		.demand = b[1] & BIT_DEMAND,
		.detect_mult = b[2],
		.my_discr = get32(b + 4),
		.your_discr = get32(b + 8),
		.desired_min_tx_us = get32(b + 12),
		.required_min_rx_us = get32(b + 16),
		.required_min_echo_rx_us = get32(b + 20),
	};
	if (!q.my_discr)
		return refuse(why, "my discriminator 0", -EBADMSG);
	if (!q.your_discr && q.state != BFD_DOWN && q.state != BFD_ADMIN_DOWN)
		return refuse(why, "your discriminator 0 outside down", -EBADMSG);
	if (auth)
		return refuse(why, "authentication not supported", -EOPNOTSUPP);
	*p = q;
	return 0;
}

const char *bfd_state_name(enum bfd_state s)
{
	static const char *const names[] = {
		[BFD_ADMIN_DOWN] = "admin-down",
		[BFD_DOWN] = "down",
		[BFD_INIT] = "init",
		[BFD_UP] = "up",
	};

	return (unsigned)s < 4 ? names[s] : "?";
}

const char *bfd_diag_name(enum bfd_diag d)
{
	/* RFC 5880 §4.1's wording, which operators will search for. */
	static const char *const names[] = {
		[BFD_DIAG_NONE] = "no diagnostic",
		[BFD_DIAG_TIME_EXPIRED] = "control detection time expired",
		[BFD_DIAG_ECHO_FAILED] = "echo function failed",
		[BFD_DIAG_NEIGHBOR_DOWN] = "neighbor signaled session down",
		[BFD_DIAG_FWD_RESET] = "forwarding plane reset",
		[BFD_DIAG_PATH_DOWN] = "path down",
		[BFD_DIAG_CONCAT_DOWN] = "concatenated path down",
		[BFD_DIAG_ADMIN_DOWN] = "administratively down",
		[BFD_DIAG_REV_CONCAT_DOWN] = "reverse concatenated path down",
	};

	return (unsigned)d <= BFD_DIAG_REV_CONCAT_DOWN ? names[d] : "reserved";
}
