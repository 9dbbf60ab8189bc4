/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The health of one path from its probe results: a state machine with
 * hysteresis.  Pure logic on CLOCK_MONOTONIC microseconds, so it is tested
 * without a network.
 *
 *   up ── fail consecutive losses ──▶ down ── rise consecutive answers ──▶ up
 *   up ◀──▶ degraded: loss over the window at or above degraded_loss_pct
 *                     (back below half of it to return), or the smoothed
 *                     RTT at or above degraded_rtt_ms (back below 80 % of
 *                     it), while not down
 *
 * A BFD path feeds session states instead (health_session()): the session
 * going down is down at once (BFD has done the counting), and rise packets
 * received with the session up bring the path back.
 *
 * A path that goes down again and again is damped: from the third down
 * within a minute, coming back also waits a hold-down that doubles with each
 * further flap (1 s, 2 s, ... up to 60 s).
 */
#ifndef GWD_HEALTH_H
#define GWD_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/model.h"

enum health_state {
	HEALTH_UP,
	HEALTH_DEGRADED,
	HEALTH_DOWN,
};

#define HEALTH_WINDOW		1024	/* results kept for the loss ratio */
#define HEALTH_WINDOW_US	10000000u	/* the window: 10 s of probes */

struct health {
	enum health_state state;
	uint32_t ok_run, fail_run;	/* consecutive answers / losses */
	uint32_t transitions;
	uint64_t last_change_us;
	uint64_t hold_until_us;		/* damping: no up before this */
	uint64_t downs_since_us;	/* start of the flap count's minute */
	uint32_t downs;			/* downs within that minute */
	/* The last results, newest at head: 1 bit per probe. */
	uint8_t window[HEALTH_WINDOW / 8];
	uint32_t head, filled, lost;
	uint32_t rtt_us;		/* last answer's round trip */
	uint32_t srtt_us;		/* smoothed: 1/16 of each new answer */
	bool seeded;			/* started down by health_init_down() */
	bool proving;			/* degraded after a seeded rise, until judged */
	char reason[96];		/* why the last transition happened */
};

void health_init(struct health *h, uint64_t now_us);
/*
 * Start down instead, for a path that must first prove itself, e.g. one the
 * kernel's routes show was not in use before a restart: it may have been
 * down or degraded.  After rise answers it is degraded until its loss and
 * RTT were judged over a window at least half full (up at once when both
 * thresholds are off, and for BFD).  Not counted as a transition.
 */
void health_init_down(struct health *h, uint64_t now_us, const char *reason);
/*
 * Record one probe: answered (ok, with its round trip) or lost.  Returns
 * true when the state changed; h->reason says why.
 */
bool health_record(struct health *h, const struct probe_conf *pc, bool ok,
		   uint32_t rtt_us, uint64_t now_us);
/*
 * Record a BFD session state: called on each change and for each packet
 * received while the session is up.  reason: the session's words for a
 * change.  Returns true when the state changed.
 */
bool health_session(struct health *h, const struct probe_conf *pc, bool up,
		    const char *reason, uint64_t now_us);
/*
 * Down at once, whatever the probes said, e.g. the path's IPsec SA is gone:
 * it must then rise through its probes.  true when the state changed.
 */
bool health_down(struct health *h, const char *reason, uint64_t now_us);
/* Loss over the window, in per mille. */
uint32_t health_loss_permille(const struct health *h);
const char *health_state_name(enum health_state s);

#endif
