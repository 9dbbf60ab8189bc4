/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-band ICMP echo probes through one path: a raw socket bound to the
 * path's own link (so the probe leaves through that path and nothing else,
 * inside the customer's VRF), from the path's address, to its peer.
 * Every interval a probe goes out; an answer within the timeout counts as
 * answered, anything else as lost.  Results go to a callback.
 */
#ifndef GWD_PROBE_H
#define GWD_PROBE_H

#include <systemd/sd-event.h>

#include "conf/model.h"

struct probe;

/* ok: answered in time; rtt_us: its round trip. */
typedef void (*probe_cb)(void *arg, bool ok, uint32_t rtt_us);

/*
 * Start probing p (ifname, address, peer, probe settings), first probe at
 * once.  The link may not exist yet: sends then fail and count as lost.
 */
int probe_start(sd_event *ev, const struct path_conf *p, uint16_t ident,
		probe_cb cb, void *arg, struct probe **out);
void probe_stop(struct probe *pr);
/* Results go to arg from now on (its owner moved). */
void probe_set_arg(struct probe *pr, void *arg);

/* The timeout in effect: timeout_ms, or the interval. */
uint32_t probe_timeout_ms(const struct probe_conf *pc);

#endif
