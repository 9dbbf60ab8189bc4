/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One BFD session (RFC 5880), asynchronous mode, active role, no echo, no
 * authentication, never asking for Demand mode itself: the state machine,
 * the timer negotiation, Poll/Final and the detection time.  Pure logic on
 * CLOCK_MONOTONIC microseconds, no I/O, so it is tested without a network.
 *
 * The owner drives it:
 *   - every packet bfd_packet_decode() accepted goes to bfd_session_rx();
 *   - at bfd_session_next_tx() it sends what bfd_session_tx() builds;
 *   - at bfd_session_detect_deadline() it calls bfd_session_expire().
 * Every call may move both times: read them again after each.
 *
 *   down ── peer down ──▶ init ── peer init/up ──▶ up
 *   down ── peer init ──────────────────────────▶ up
 *   init/up ── peer admin-down, detection time ──▶ down;  up ── peer down ──▶ down
 *
 * While not Up, the DesiredMinTx announced and used is at least 1 s
 * (§6.8.3): a packet every 0.75..1 s after jitter.  Once Up, the configured
 * rate, announced with a Poll Sequence.  A new state and a Final go out at
 * once, outside the schedule.
 */
#ifndef GWD_BFD_SESSION_H
#define GWD_BFD_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/model.h"
#include "gwd/bfd-packet.h"

#define BFD_NEVER	UINT64_MAX	/* a time that does not come */
#define BFD_SLOW_TX_US	1000000u	/* the least DesiredMinTx while not Up */

struct bfd_session {
	enum bfd_state state;
	enum bfd_diag diag;		/* bfd.LocalDiag */
	const char *reason;		/* why the last state change happened */
	uint32_t local_discr, remote_discr;
	enum bfd_state remote_state;
	bool remote_demand;
	uint8_t detect_mult, remote_detect_mult;
	uint32_t desired_min_tx_us;	/* configured: in effect while Up */
	uint32_t required_min_rx_us;
	uint32_t remote_min_rx_us;	/* bfd.RemoteMinRxInterval */
	uint32_t remote_min_tx_us;	/* the Desired Min TX last received */
	bool heard;			/* the remote_* fields are current: a
					 * packet came within the detection time */
	bool poll;			/* a Poll Sequence is in progress */
	bool final_due;			/* a Poll received, not answered yet */
	uint64_t due_us;		/* a packet owed since (a Final, a new
					 * state); BFD_NEVER: none */
	uint64_t last_rx_us, last_tx_us;
	uint32_t jitter_ppm;		/* of the interval after last_tx_us */
	uint64_t rng;
};

/*
 * Start in Down.  pc gives interval_ms (DesiredMinTx once Up), min_rx_ms
 * (RequiredMinRx; 0: interval_ms) and fail (DetectMult, 1..255);
 * local_discr must be nonzero; seed feeds the jitter.  The first packet is
 * due at now.  -EINVAL for values out of range.
 */
int bfd_session_init(struct bfd_session *s, const struct probe_conf *pc,
		     uint32_t local_discr, uint64_t seed, uint64_t now);

/*
 * A packet that passed bfd_packet_decode(): -ESRCH when its Your
 * Discriminator is neither 0 nor ours (it belongs to no session here),
 * else 1 when the state changed (s->reason says why), 0 when not.
 */
int bfd_session_rx(struct bfd_session *s, const struct bfd_packet *p, uint64_t now);

/*
 * When the next packet is due: at once (a time at or before now) when a
 * Final or a new state is owed, else the periodic schedule; BFD_NEVER when
 * the peer wants no periodic packets (Required Min RX 0, or its Demand
 * mode while both are Up) and nothing is owed.
 */
uint64_t bfd_session_next_tx(const struct bfd_session *s);
/* Build the packet to send now; it counts as sent (the schedule moves on). */
void bfd_session_tx(struct bfd_session *s, uint64_t now, struct bfd_packet *out);

/* When the peer counts as gone; BFD_NEVER while nothing is heard from it. */
uint64_t bfd_session_detect_deadline(const struct bfd_session *s);
/*
 * At or after the deadline: forget the peer and, from Init or Up, go Down
 * with diag 1.  True when the state changed.
 */
bool bfd_session_expire(struct bfd_session *s, uint64_t now);

/* Take the session AdminDown with diag; a packet saying so is due at now. */
void bfd_session_admin_down(struct bfd_session *s, enum bfd_diag diag, uint64_t now);

/* The negotiated TX interval (before jitter) and detection time; 0 while nothing is heard. */
uint32_t bfd_session_tx_interval_us(const struct bfd_session *s);
uint64_t bfd_session_detect_time_us(const struct bfd_session *s);

#endif
