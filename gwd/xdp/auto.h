/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mode auto of the SYN fast path, for one protected prefix: fed samples of
 * the SYNs to it (the XDP program's counter summed over CPUs), it says when
 * to turn on and when to turn off.  No
 * I/O and no clock of its own: the caller samples, writes the mode into
 * the prefix map and logs the reason.
 *
 * The rate is taken over the last second: from the newest sample at least
 * 1 s old, or the oldest one kept when there is none (the interval between
 * two samples further apart, or the first second).  On: at once, at the
 * first sample whose rate is at or above on_pps.  Off: when every rate
 * since some sample at least hold_s ago was below off_pps.  A rate between
 * the two changes nothing, which is what keeps it from flapping.
 *
 * A total below the previous one is a counter that started again (the
 * program or its map was replaced, a CPU went away): the samples before it
 * are forgotten and the mode stays as it is until a second sample gives a
 * rate again.  So are samples whose time does not advance.
 */
#ifndef GWD_XDP_AUTO_H
#define GWD_XDP_AUTO_H

#include <stdbool.h>
#include <stdint.h>

#define SYN_AUTO_WINDOW_NS 1000000000ull
#define SYN_AUTO_SAMPLES   64	/* kept: sampled faster, the window is shorter */
#define SYN_AUTO_REASON_MAX 128

enum syn_auto_event {
	SYN_AUTO_NONE,
	SYN_AUTO_ON,
	SYN_AUTO_OFF,
};

struct syn_auto_sample {
	uint64_t ns;
	uint64_t total;
};

struct syn_auto {
	/* The config: syn_auto_init(), syn_auto_set(). */
	uint64_t on_pps;
	uint64_t off_pps;		/* < on_pps */
	uint64_t hold_ns;

	bool on;
	bool below;			/* on, and below off_pps since below_ns */
	uint64_t below_ns;
	bool have_rate;			/* rate_pps is valid */
	uint64_t rate_pps;		/* of the last sample that gave one */
	uint64_t restarts;		/* counters seen to start again */
	/* Samples, oldest first from head; n of them. */
	struct syn_auto_sample s[SYN_AUTO_SAMPLES];
	unsigned head, n;
	/* Why the last transition happened: "SYNs at 25000/s >= on_pps 20000". */
	char reason[SYN_AUTO_REASON_MAX];
};

/* Off (or on: a mode found in the prefix map after a restart), no samples. */
void syn_auto_init(struct syn_auto *a, uint64_t on_pps, uint64_t off_pps,
		   uint32_t hold_s, bool on);
/* New thresholds (a reload): the mode and the samples are kept, and the
 * next sample judges by the new ones. */
void syn_auto_set(struct syn_auto *a, uint64_t on_pps, uint64_t off_pps,
		  uint32_t hold_s);
/* One sample: the total of SYNs counted by now_ns (CLOCK_MONOTONIC).
 * SYN_AUTO_ON or _OFF when the mode changes, a->reason saying why. */
enum syn_auto_event syn_auto_feed(struct syn_auto *a, uint64_t now_ns,
				  uint64_t total);

#endif
