/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One BFD session over one path (RFC 5881 single hop): UDP to the peer's
 * port 3784 through the path's own link only (so it tests that path, inside
 * the customer's VRF), from the path's address, TTL 255 both ways.  The
 * session logic is bfd-session.c's; this is its sockets and timers on the
 * sd-event loop (CLOCK_MONOTONIC only: a wall-clock jump changes nothing).
 *
 * The link or the address may not exist yet: the sockets are (re)made at
 * the next transmission until they can be, and a link deleted under a
 * session is noticed when a send fails; meanwhile the peer is silent and
 * the session goes Down on its own.
 */
#ifndef GWD_BFD_H
#define GWD_BFD_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "conf/model.h"

struct bfd;

/*
 * up: the session is Up.  Called on every state change, and, while the
 * session is Up, for every valid control packet received (the caller counts
 * these for its own hysteresis).  reason: a short human text for logs, e.g.
 * "session up", "control detection time expired", "neighbor signaled down",
 * "peer admin down"; never NULL.  ("control packet" for a packet that
 * changed nothing.)  The callback must not bfd_stop() the session it is
 * called for.
 */
typedef void (*bfd_cb)(void *arg, bool up, const char *reason);

/*
 * Start a session for p (ifname, address, peer; probe.interval_ms,
 * min_rx_ms, fail): Down, first packet at once.  *out is the caller's
 * until bfd_stop().  A missing link is no error (see above).  -EINVAL for
 * probe values out of range or addresses of different families; -errno
 * when the sockets cannot be made for another reason (-EADDRINUSE: a
 * session on that link and address already).
 */
int bfd_start(sd_event *ev, const struct path_conf *p, bfd_cb cb, void *arg,
	      struct bfd **out);
/*
 * Stop and free b (NULL: nothing).  admin_down: tell the peer first, with
 * one AdminDown packet, diag 7, so that it goes down at once rather than
 * after its detection time (the path was removed).  No callback.
 */
void bfd_stop(struct bfd *b, bool admin_down);
/* The callback goes to arg from now on (its owner moved). */
void bfd_set_arg(struct bfd *b, void *arg);

struct bfd_status {
	const char *state, *remote_state;	/* "admin-down", "down", "init", "up" */
	const char *diag;			/* the local diag, as text */
	uint32_t local_discr, remote_discr;
	uint32_t tx_interval_us, detect_time_us; /* negotiated, 0 while unknown */
	uint64_t rx_packets, tx_packets, rx_invalid;
};

/*
 * The strings are static.  rx_packets: accepted by the session;
 * rx_invalid: dropped (malformed, TTL not 255, not from the peer, another
 * session's discriminator); tx_packets: handed to the kernel.
 */
void bfd_get_status(const struct bfd *b, struct bfd_status *st);

#endif
