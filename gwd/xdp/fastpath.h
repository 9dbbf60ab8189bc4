/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The AF_XDP worker of the SYN fast path: one AF_XDP socket per
 * (interface, rx queue), bound next to the XDP program (syn.bpf.c), which
 * redirects unauthenticated SYNs to prefixes in mode on into it through
 * syn_xsks.  Each SYN is answered in place by a SYN-ACK whose ISN is a
 * cookie (cookie.h) and sent back out of the same queue's TX ring; the
 * client's ACK is judged by the XDP program.
 *
 * Never blocks: made for gwd's sd-event loop.  Poll fastpath_fd() for
 * EPOLLIN and call fastpath_process() until it returns less than its
 * budget.  The program is attached separately (libxdp's dispatcher):
 * opening a socket never loads or attaches one, it only puts the socket
 * into syn_xsks at its queue.
 */
#ifndef GWD_XDP_FASTPATH_H
#define GWD_XDP_FASTPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "gwd/xdp/cookie.h"

struct fastpath;

struct fastpath_stats {
	uint64_t rx;		/* frames taken from the RX ring */
	uint64_t syns;		/* well-formed SYNs seen (v4 + v6) */
	uint64_t syns_v6;
	uint64_t synacks;	/* SYN-ACKs put on the TX ring */
	uint64_t malformed;	/* frames dropped as not a parseable SYN */
	uint64_t tx_full;	/* SYN-ACKs dropped: TX ring or frame pool full */
	uint64_t no_key;	/* SYNs dropped: no current cookie key yet */
	uint64_t kicks;		/* sendto() wakeups of the TX path */
};

struct fastpath_config {
	const char *ifname;
	uint32_t queue;
	int xsks_map_fd;	/* syn_xsks; the socket goes in at [queue] */
	/* The keys the XDP program checks (syn_cookie_keys), owned by the
	 * caller, which rotates them in place: read at each SYN. */
	const struct syn_cookie_keys *keys;
	uint32_t frames;	/* UMEM frames, 0 = 4096 */
	uint32_t ring_size;	/* RX/TX/fill/completion, 0 = 2048 */
	bool force_copy;	/* XDP_COPY (else zero-copy when the driver can) */
};

/* 0 and *out, or -errno (nothing left open). */
int fastpath_open(const struct fastpath_config *cfg, struct fastpath **out);
/* Takes the socket out of syn_xsks (the program falls back at once). */
void fastpath_close(struct fastpath *fp);

/* Takes the socket out of syn_xsks (its queue's SYNs take the program's
 * fallback) or puts it back in.  0 or -errno. */
int fastpath_pause(struct fastpath *fp, bool paused);

int fastpath_fd(const struct fastpath *fp);
bool fastpath_zerocopy(const struct fastpath *fp);

/* Handles up to budget frames (RX batches of 64); returns how many, or
 * -errno on a socket error.  Never blocks. */
int fastpath_process(struct fastpath *fp, unsigned budget);

const struct fastpath_stats *fastpath_stats(const struct fastpath *fp);

/* The frame rewrite, for unit tests: turns the SYN in buf[0..len) into its
 * SYN-ACK in place (buf holds at least 2048 bytes); returns the new length,
 * 0 when the frame is not a SYN we answer (malformed), -1 without a key.
 * *v6 (may be NULL) tells the family. */
int fastpath_synack(uint8_t *buf, unsigned len, unsigned cap,
		    const struct syn_cookie_keys *keys, uint64_t now_ns, bool *v6);

#endif
