/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BFD control packet (RFC 5880 §4.1), without the authentication
 * section: gwd does not authenticate, so a packet with the A bit is
 * refused rather than half understood.  Decoding applies every receive
 * check of §6.8.6 that needs no session; the rest (Your Discriminator
 * against the session's) is bfd_session_rx()'s.
 */
#ifndef GWD_BFD_PACKET_H
#define GWD_BFD_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BFD_VERSION	1
#define BFD_PACKET_LEN	24	/* the mandatory section: all gwd sends */

/* Wire values (the Sta field). */
enum bfd_state {
	BFD_ADMIN_DOWN,
	BFD_DOWN,
	BFD_INIT,
	BFD_UP,
};

/* Wire values (the Diag field, 5 bits; 9..31 are reserved). */
enum bfd_diag {
	BFD_DIAG_NONE,
	BFD_DIAG_TIME_EXPIRED,		/* control detection time expired */
	BFD_DIAG_ECHO_FAILED,
	BFD_DIAG_NEIGHBOR_DOWN,		/* neighbor signaled session down */
	BFD_DIAG_FWD_RESET,
	BFD_DIAG_PATH_DOWN,
	BFD_DIAG_CONCAT_DOWN,
	BFD_DIAG_ADMIN_DOWN,
	BFD_DIAG_REV_CONCAT_DOWN,
};

struct bfd_packet {
	enum bfd_diag diag;		/* any 0..31 when decoded */
	enum bfd_state state;
	bool poll, final;
	bool cpi;			/* control plane independent (C bit) */
	bool demand;			/* the sender asks for Demand mode (D bit) */
	uint8_t detect_mult;
	uint32_t my_discr, your_discr;
	/* Intervals in microseconds, as on the wire. */
	uint32_t desired_min_tx_us;
	uint32_t required_min_rx_us;
	uint32_t required_min_echo_rx_us;
};

/*
 * Write p as BFD_PACKET_LEN bytes: version 1, no authentication, no
 * multipoint.  The caller keeps the rules of §6.8.7 (never both Poll and
 * Final); the session's packets do.
 */
void bfd_packet_encode(const struct bfd_packet *p, uint8_t buf[BFD_PACKET_LEN]);

/*
 * Read the len bytes of a UDP payload into *p.  0, or a negative errno
 * and *why (may be NULL) set to a short reason for debug logs:
 * -EPROTONOSUPPORT a version other than 1, -EOPNOTSUPP authentication,
 * -EBADMSG anything else malformed.  The Length field may be less than len
 * (the rest is ignored), never more.  *p is written only on success.
 */
int bfd_packet_decode(const void *buf, size_t len, struct bfd_packet *p,
		      const char **why);

/* "admin-down", "down", "init", "up". */
const char *bfd_state_name(enum bfd_state s);
/* The diag as text, e.g. "control detection time expired"; "reserved" past 8. */
const char *bfd_diag_name(enum bfd_diag d);

#endif
