/* SPDX-License-Identifier: GPL-2.0 */
/* Mode auto of the SYN fast path: see auto.h. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gwd/xdp/auto.h"

#define NS_PER_S 1000000000ull

void syn_auto_set(struct syn_auto *a, uint64_t on_pps, uint64_t off_pps,
		  uint32_t hold_s)
{
	a->on_pps = on_pps;
	a->off_pps = off_pps;
	a->hold_ns = (uint64_t)hold_s * NS_PER_S;
}

void syn_auto_init(struct syn_auto *a, uint64_t on_pps, uint64_t off_pps,
		   uint32_t hold_s, bool on)
{
	memset(a, 0, sizeof(*a));
	syn_auto_set(a, on_pps, off_pps, hold_s);
	a->on = on;
}

static const struct syn_auto_sample *sample(const struct syn_auto *a, unsigned i)
{
	return &a->s[(a->head + i) % SYN_AUTO_SAMPLES];
}

static void push(struct syn_auto *a, uint64_t now_ns, uint64_t total)
{
	if (a->n == SYN_AUTO_SAMPLES) {
		a->head = (a->head + 1) % SYN_AUTO_SAMPLES;
		a->n--;
	}
	a->s[(a->head + a->n) % SYN_AUTO_SAMPLES] =
		(struct syn_auto_sample){ now_ns, total };
	a->n++;
}

/* Drop the samples the window no longer needs: all but the newest one at
 * least a window older than now. */
static void trim(struct syn_auto *a, uint64_t now_ns)
{
	while (a->n > 1 && now_ns - sample(a, 1)->ns >= SYN_AUTO_WINDOW_NS) {
		a->head = (a->head + 1) % SYN_AUTO_SAMPLES;
		a->n--;
	}
}

/* SYNs per second from the oldest kept sample to (now_ns, total). */
static uint64_t rate(const struct syn_auto *a, uint64_t now_ns, uint64_t total)
{
	const struct syn_auto_sample *o = sample(a, 0);
	unsigned __int128 r;

	r = (unsigned __int128)(total - o->total) * NS_PER_S / (now_ns - o->ns);
	return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}

enum syn_auto_event syn_auto_feed(struct syn_auto *a, uint64_t now_ns,
				  uint64_t total)
{
	const struct syn_auto_sample *last;

	if (a->n) {
		last = sample(a, a->n - 1);
		if (now_ns <= last->ns && total >= last->total)
			return SYN_AUTO_NONE;	/* no time passed: nothing to judge */
		if (now_ns <= last->ns || total < last->total) {
			/* Started again: what was counted before is no base. */
			a->restarts++;
			a->n = 0;
			a->have_rate = false;
		}
	}
	if (!a->n) {
		push(a, now_ns, total);
		return SYN_AUTO_NONE;
	}
	trim(a, now_ns);
	a->rate_pps = rate(a, now_ns, total);
	a->have_rate = true;
	push(a, now_ns, total);

	if (!a->on) {
		if (a->rate_pps < a->on_pps)
			return SYN_AUTO_NONE;
		a->on = true;
		a->below = false;
		snprintf(a->reason, sizeof(a->reason),
			 "SYNs at %" PRIu64 "/s >= on_pps %" PRIu64,
			 a->rate_pps, a->on_pps);
		return SYN_AUTO_ON;
	}
	if (a->rate_pps >= a->off_pps) {
		a->below = false;
		return SYN_AUTO_NONE;
	}
	if (!a->below) {
		a->below = true;
		a->below_ns = now_ns;
	}
	if (now_ns - a->below_ns < a->hold_ns)
		return SYN_AUTO_NONE;
	a->on = false;
	a->below = false;
	snprintf(a->reason, sizeof(a->reason),
		 "SYNs at %" PRIu64 "/s, below off_pps %" PRIu64 " for %" PRIu64
		 " s (hold_s)", a->rate_pps, a->off_pps,
		 (uint64_t)((now_ns - a->below_ns) / NS_PER_S));
	return SYN_AUTO_OFF;
}
