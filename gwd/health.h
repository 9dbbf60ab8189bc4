/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The health of one path from its probe results: a state machine with
 * hysteresis.  Pure logic on CLOCK_MONOTONIC microseconds, so it is tested
 * without a network.
 *
 *   up ── fail consecutive losses ──▶ down ── rise consecutive answers ──▶ up
 *   up ◀──▶ degraded: loss over the window at or above degraded_loss_pct
 *                     (back below half of it to return), while not down
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
	char reason[96];		/* why the last transition happened */
};

void health_init(struct health *h, uint64_t now_us);
/*
 * Record one probe: answered (ok, with its round trip) or lost.  Returns
 * true when the state changed; h->reason says why.
 */
bool health_record(struct health *h, const struct probe_conf *pc, bool ok,
		   uint32_t rtt_us, uint64_t now_us);
/* Loss over the window, in per mille. */
uint32_t health_loss_permille(const struct health *h);
const char *health_state_name(enum health_state s);

#endif
