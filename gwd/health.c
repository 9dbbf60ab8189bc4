// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "gwd/health.h"

#define FLAP_MINUTE_US	60000000u
#define FLAPS_FREE	2	/* downs per minute before damping starts */
#define HOLD_MAX_US	60000000u

void health_init(struct health *h, uint64_t now_us)
{
	memset(h, 0, sizeof(*h));
	/* Optimistic: a (re)start must not move traffic before it knows better. */
	h->state = HEALTH_UP;
	h->last_change_us = now_us;
	h->downs_since_us = now_us;
}

void health_init_down(struct health *h, uint64_t now_us, const char *reason)
{
	health_init(h, now_us);
	h->state = HEALTH_DOWN;
	h->seeded = true;
	snprintf(h->reason, sizeof(h->reason), "%s", reason);
}

const char *health_state_name(enum health_state s)
{
	switch (s) {
	case HEALTH_UP:
		return "up";
	case HEALTH_DEGRADED:
		return "degraded";
	case HEALTH_DOWN:
		return "down";
	}
	return "?";
}

/* Probes that make up the loss window at this interval. */
static uint32_t window_len(const struct probe_conf *pc)
{
	uint32_t n = HEALTH_WINDOW_US / 1000 / (pc->interval_ms ? pc->interval_ms : 1);

	return n < 10 ? 10 : n > HEALTH_WINDOW ? HEALTH_WINDOW : n;
}

static void window_push(struct health *h, uint32_t len, bool lost)
{
	uint32_t i = h->head, byte = i / 8, bit = 1u << (i % 8);

	if (h->filled == len) {
		/* The oldest result (at head, the ring being full) drops out. */
		h->lost -= !!(h->window[byte] & bit);
	} else {
		h->filled++;
	}
	if (lost)
		h->window[byte] |= bit;
	else
		h->window[byte] &= ~bit;
	h->lost += lost;
	h->head = (i + 1) % len;
}

uint32_t health_loss_permille(const struct health *h)
{
	return h->filled ? h->lost * 1000 / h->filled : 0;
}

static bool change(struct health *h, enum health_state to, uint64_t now_us)
{
	if (to == HEALTH_DOWN) {
		if (now_us - h->downs_since_us > FLAP_MINUTE_US) {
			h->downs_since_us = now_us;
			h->downs = 0;
		}
		h->downs++;
		if (h->downs > FLAPS_FREE) {
			uint64_t hold = 1000000ull << (h->downs - FLAPS_FREE - 1 > 6 ? 6 :
						       h->downs - FLAPS_FREE - 1);

			h->hold_until_us = now_us + (hold > HOLD_MAX_US ? HOLD_MAX_US : hold);
		}
	}
	h->state = to;
	h->transitions++;
	h->last_change_us = now_us;
	return true;
}

/* Down paths come back after rise answers in a row, unless damped. */
static bool rise(struct health *h, const struct probe_conf *pc, const char *what,
		 uint64_t now_us)
{
	bool judge = h->seeded && pc->kind == PROBE_ICMP &&
		     (pc->degraded_loss_pct || pc->degraded_rtt_ms);

	if (h->ok_run < pc->rise || now_us < h->hold_until_us)
		return false;
	h->seeded = false;
	h->proving = judge;
	snprintf(h->reason, sizeof(h->reason), "%u %s%s", h->ok_run, what,
		 judge ? "; loss and RTT not judged yet since the start" : "");
	return change(h, judge ? HEALTH_DEGRADED : HEALTH_UP, now_us);
}

/* Why an up path is degraded, or NULL: judged on a window at least half full. */
static const char *degraded(struct health *h, const struct probe_conf *pc)
{
	uint32_t loss = health_loss_permille(h), threshold = pc->degraded_loss_pct * 10;

	if (h->filled * 2 < window_len(pc))
		return NULL;
	if (threshold && loss >= threshold) {
		snprintf(h->reason, sizeof(h->reason), "%u.%u%% loss over %u probes",
			 loss / 10, loss % 10, h->filled);
		return h->reason;
	}
	if (pc->degraded_rtt_ms && h->srtt_us >= pc->degraded_rtt_ms * 1000) {
		snprintf(h->reason, sizeof(h->reason), "smoothed RTT %u.%03u ms",
			 h->srtt_us / 1000, h->srtt_us % 1000);
		return h->reason;
	}
	return NULL;
}

/* Why a degraded path is up again, or NULL: both measures well below. */
static const char *recovered(struct health *h, const struct probe_conf *pc)
{
	uint32_t loss = health_loss_permille(h), threshold = pc->degraded_loss_pct * 10;

	if (h->filled * 2 < window_len(pc) || (threshold && loss * 2 >= threshold))
		return NULL;
	if (pc->degraded_rtt_ms && h->srtt_us * 5 >= pc->degraded_rtt_ms * 4000)
		return NULL;
	snprintf(h->reason, sizeof(h->reason), "loss %u.%u%%, smoothed RTT %u.%03u ms",
		 loss / 10, loss % 10, h->srtt_us / 1000, h->srtt_us % 1000);
	return h->reason;
}

bool health_record(struct health *h, const struct probe_conf *pc, bool ok,
		   uint32_t rtt_us, uint64_t now_us)
{
	window_push(h, window_len(pc), !ok);
	if (ok) {
		h->ok_run++;
		h->fail_run = 0;
		h->rtt_us = rtt_us;
		/* The first answer sets it; then 1/16 of each. */
		if (!h->srtt_us)
			h->srtt_us = rtt_us ? rtt_us : 1;
		else
			h->srtt_us = (uint32_t)(((uint64_t)h->srtt_us * 15 + rtt_us) / 16);
	} else {
		h->fail_run++;
		h->ok_run = 0;
	}

	if (h->state != HEALTH_DOWN && h->fail_run >= pc->fail) {
		h->proving = false;
		snprintf(h->reason, sizeof(h->reason), "%u probes in a row lost",
			 h->fail_run);
		return change(h, HEALTH_DOWN, now_us);
	}
	if (h->state == HEALTH_DOWN)
		return rise(h, pc, "probes in a row answered", now_us);
	/* Judged at last: up unless over the thresholds (not their band). */
	if (h->proving && h->filled * 2 >= window_len(pc)) {
		h->proving = false;
		if (!degraded(h, pc)) {
			snprintf(h->reason, sizeof(h->reason),
				 "loss and RTT judged since the start: within the thresholds");
			return change(h, HEALTH_UP, now_us);
		}
	}
	if (h->state == HEALTH_UP && degraded(h, pc))
		return change(h, HEALTH_DEGRADED, now_us);
	if (h->state == HEALTH_DEGRADED && recovered(h, pc))
		return change(h, HEALTH_UP, now_us);
	return false;
}

bool health_down(struct health *h, const char *reason, uint64_t now_us)
{
	h->ok_run = 0;
	if (h->state == HEALTH_DOWN)
		return false;
	snprintf(h->reason, sizeof(h->reason), "%s", reason);
	return change(h, HEALTH_DOWN, now_us);
}

bool health_session(struct health *h, const struct probe_conf *pc, bool up,
		    const char *reason, uint64_t now_us)
{
	char why[sizeof(h->reason)];

	if (!up) {
		snprintf(why, sizeof(why), "BFD: %s", reason);
		return health_down(h, why, now_us);
	}
	h->ok_run++;
	return h->state == HEALTH_DOWN && rise(h, pc, "BFD packets in a row with the session up", now_us);
}
