// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "gwd/bfd-session.h"

static uint32_t max32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* splitmix64: enough to spread packets; nothing here needs to be secret. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * §6.8.7: each interval is 75..100 % of the negotiated one, so that
 * sessions do not synchronise; with a detect multiplier of 1 at most 90 %,
 * so that a single packet still lands within the peer's detection time.
 */
static uint32_t draw_jitter(struct bfd_session *s)
{
	uint32_t span = s->detect_mult == 1 ? 150000 : 250000;

	return 750000 + (uint32_t)(rng_next(&s->rng) % (span + 1));
}

/* bfd.DesiredMinTxInterval as it stands: at least 1 s while not Up (§6.8.3). */
static uint32_t desired_tx(const struct bfd_session *s)
{
	return s->state == BFD_UP ? s->desired_min_tx_us
				  : max32(s->desired_min_tx_us, BFD_SLOW_TX_US);
}

static uint32_t tx_interval(const struct bfd_session *s)
{
	return max32(desired_tx(s), s->remote_min_rx_us);
}

int bfd_session_init(struct bfd_session *s, const struct probe_conf *pc,
		     uint32_t local_discr, uint64_t seed, uint64_t now)
{
	uint32_t rx_ms = pc->min_rx_ms ? pc->min_rx_ms : pc->interval_ms;

	if (!local_discr || !pc->interval_ms || pc->fail < 1 || pc->fail > 255 ||
	    pc->interval_ms > UINT32_MAX / 1000 || rx_ms > UINT32_MAX / 1000)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->state = BFD_DOWN;
	s->remote_state = BFD_DOWN;
	s->local_discr = local_discr;
	s->detect_mult = (uint8_t)pc->fail;
	s->desired_min_tx_us = pc->interval_ms * 1000;
	s->required_min_rx_us = rx_ms * 1000;
	/* §6.8.1: 1 until the peer says otherwise, so the slow rate applies. */
	s->remote_min_rx_us = 1;
	s->rng = seed;
	/* No jitter before the first packet: it goes at once. */
	s->last_tx_us = now;
	s->jitter_ppm = 0;
	s->due_us = BFD_NEVER;
	return 0;
}

/* Something to tell the peer at once, not at the next periodic packet. */
static void due_now(struct bfd_session *s, uint64_t now)
{
	if (now < s->due_us)
		s->due_us = now;
}

/*
 * Every change of the DesiredMinTx we announce (entering or leaving Up) is
 * a parameter change, which §6.8.3 wants announced with a Poll Sequence.
 * Leaving Up, the slower rate applies at once: the rule that holds back an
 * increase until the Final is for a session that stays Up.
 *
 * A new state goes out at once, as FRR and BIRD do: waiting for the next
 * periodic packet, up to a second while not Up, would let a peer that is
 * Up time out (diag 1) instead of learning that we went Down (diag 3), and
 * would slow the three-way handshake.
 */
static void set_state(struct bfd_session *s, enum bfd_state state,
		      enum bfd_diag diag, const char *reason, uint64_t now)
{
	uint32_t before = desired_tx(s);

	s->state = state;
	s->diag = diag;
	s->reason = reason;
	if (desired_tx(s) != before)
		s->poll = true;
	due_now(s, now);
}

int bfd_session_rx(struct bfd_session *s, const struct bfd_packet *p, uint64_t now)
{
	enum bfd_state was = s->state;

	/* One session per link: a nonzero Your Discriminator must be ours. */
	if (p->your_discr && p->your_discr != s->local_discr)
		return -ESRCH;
	s->remote_discr = p->my_discr;
	s->remote_state = p->state;
	s->remote_demand = p->demand;
	s->remote_min_rx_us = p->required_min_rx_us;
	s->remote_min_tx_us = p->desired_min_tx_us;
	s->remote_detect_mult = p->detect_mult;
	s->heard = true;
	s->last_rx_us = now;
	if (p->final)
		s->poll = false;
	if (p->poll) {
		s->final_due = true;
		/* As soon as possible, whatever the timers (§6.8.7). */
		due_now(s, now);
	}
	if (s->state == BFD_ADMIN_DOWN)
		return 0;
	if (p->state == BFD_ADMIN_DOWN) {
		if (s->state != BFD_DOWN)
			set_state(s, BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN, "peer admin down", now);
	} else if (s->state == BFD_DOWN) {
		if (p->state == BFD_DOWN)
			set_state(s, BFD_INIT, s->diag, "session init", now);
		else if (p->state == BFD_INIT)
			set_state(s, BFD_UP, BFD_DIAG_NONE, "session up", now);
	} else if (s->state == BFD_INIT) {
		if (p->state == BFD_INIT || p->state == BFD_UP)
			set_state(s, BFD_UP, BFD_DIAG_NONE, "session up", now);
	} else if (p->state == BFD_DOWN) {
		set_state(s, BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN, "neighbor signaled down", now);
	}
	return s->state != was;
}

/* §6.8.7: no periodic packets to a peer that asked for none. */
static bool periodic(const struct bfd_session *s)
{
	if (!s->remote_min_rx_us)
		return false;
	return !(s->remote_demand && s->state == BFD_UP && s->remote_state == BFD_UP &&
		 !s->poll);
}

uint64_t bfd_session_next_tx(const struct bfd_session *s)
{
	uint64_t next;

	if (!periodic(s))
		return s->due_us;
	/* From the interval in force now, so that a change applies at once. */
	next = s->last_tx_us + (uint64_t)tx_interval(s) * s->jitter_ppm / 1000000;
	return next < s->due_us ? next : s->due_us;
}

void bfd_session_tx(struct bfd_session *s, uint64_t now, struct bfd_packet *out)
{
	*out = (struct bfd_packet){
		.diag = s->diag,
		.state = s->state,
		/* Never both (§6.8.7): the Poll goes on in the next packet. */
		.poll = s->poll && !s->final_due,
		.final = s->final_due,
		.detect_mult = s->detect_mult,
		.my_discr = s->local_discr,
		.your_discr = s->remote_discr,
		.desired_min_tx_us = desired_tx(s),
		.required_min_rx_us = s->required_min_rx_us,
		/* 0: no Echo packets wanted. */
		.required_min_echo_rx_us = 0,
	};
	s->final_due = false;
	s->due_us = BFD_NEVER;
	s->last_tx_us = now;
	s->jitter_ppm = draw_jitter(s);
}

uint64_t bfd_session_detect_time_us(const struct bfd_session *s)
{
	if (!s->heard)
		return 0;
	return (uint64_t)s->remote_detect_mult *
	       max32(s->required_min_rx_us, s->remote_min_tx_us);
}

uint32_t bfd_session_tx_interval_us(const struct bfd_session *s)
{
	return s->heard ? tx_interval(s) : 0;
}

uint64_t bfd_session_detect_deadline(const struct bfd_session *s)
{
	if (!s->heard || s->state == BFD_ADMIN_DOWN)
		return BFD_NEVER;
	return s->last_rx_us + bfd_session_detect_time_us(s);
}

bool bfd_session_expire(struct bfd_session *s, uint64_t now)
{
	if (now < bfd_session_detect_deadline(s))
		return false;
	/* §6.8.1: the peer's values are void once the detection time passed. */
	s->heard = false;
	s->remote_discr = 0;
	s->remote_state = BFD_DOWN;
	s->remote_demand = false;
	s->remote_min_rx_us = 1;
	if (s->state != BFD_INIT && s->state != BFD_UP)
		return false;
	set_state(s, BFD_DOWN, BFD_DIAG_TIME_EXPIRED, "control detection time expired",
		  now);
	return true;
}

void bfd_session_admin_down(struct bfd_session *s, enum bfd_diag diag, uint64_t now)
{
	set_state(s, BFD_ADMIN_DOWN, diag, "admin down", now);
}
