// SPDX-License-Identifier: GPL-2.0
/* BFD: the control packet codec, the session state machine and timers, and the I/O over lo. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "gwd/bfd-packet.h"
#include "gwd/bfd-session.h"
#include "gwd/bfd.h"

#define LOCAL	0x11111111u
#define PEER	0x22222222u
#define T0	5000000ull	/* any start: sessions know nothing absolute */

/* interval 50 ms, required RX 50 ms, detect multiplier 3: the lab's timers. */
static const struct probe_conf pc = {
	.kind = PROBE_BFD, .interval_ms = 50, .fail = 3, .rise = 3,
};

/* A packet from the peer: 100 ms TX, 20 ms RX, multiplier 4, so that every
 * negotiated value shows which side it came from. */
static struct bfd_packet from_peer(enum bfd_state st, uint32_t your)
{
	return (struct bfd_packet){
		.state = st, .detect_mult = 4, .my_discr = PEER, .your_discr = your,
		.desired_min_tx_us = 100000, .required_min_rx_us = 20000,
	};
}

static void valid_bytes(uint8_t b[BFD_PACKET_LEN])
{
	struct bfd_packet p = from_peer(BFD_UP, LOCAL);

	bfd_packet_encode(&p, b);
}

/* ---- codec ---- */

static void test_encode_layout(void **state)
{
	struct bfd_packet p = {
		.diag = BFD_DIAG_NEIGHBOR_DOWN, .state = BFD_INIT, .poll = true,
		.demand = true, .detect_mult = 3, .my_discr = 0x01020304,
		.your_discr = 0xa0b0c0d0, .desired_min_tx_us = 1000000,
		.required_min_rx_us = 50000, .required_min_echo_rx_us = 7,
	};
	static const uint8_t want[BFD_PACKET_LEN] = {
		0x23,			/* version 1, diag 3 */
		0xa2,			/* Init (2 << 6), P, D */
		3, 24,
		0x01, 0x02, 0x03, 0x04,
		0xa0, 0xb0, 0xc0, 0xd0,
		0x00, 0x0f, 0x42, 0x40,	/* 1,000,000 */
		0x00, 0x00, 0xc3, 0x50,	/* 50,000 */
		0x00, 0x00, 0x00, 0x07,
	};
	uint8_t b[BFD_PACKET_LEN];

	bfd_packet_encode(&p, b);
	assert_memory_equal(b, want, sizeof(want));
	p.poll = p.demand = false;
	p.final = p.cpi = true;
	p.state = BFD_UP;
	bfd_packet_encode(&p, b);
	assert_int_equal(b[1], 0xc0 | 0x10 | 0x08);
}

static void assert_packet_equal(const struct bfd_packet *a, const struct bfd_packet *b)
{
	assert_int_equal(a->diag, b->diag);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->poll, b->poll);
	assert_int_equal(a->final, b->final);
	assert_int_equal(a->cpi, b->cpi);
	assert_int_equal(a->demand, b->demand);
	assert_int_equal(a->detect_mult, b->detect_mult);
	assert_int_equal(a->my_discr, b->my_discr);
	assert_int_equal(a->your_discr, b->your_discr);
	assert_int_equal(a->desired_min_tx_us, b->desired_min_tx_us);
	assert_int_equal(a->required_min_rx_us, b->required_min_rx_us);
	assert_int_equal(a->required_min_echo_rx_us, b->required_min_echo_rx_us);
}

static void test_round_trip(void **state)
{
	for (int st = BFD_ADMIN_DOWN; st <= BFD_UP; st++)
		for (int bits = 0; bits < 16; bits++)
			for (int diag = 0; diag < 32; diag += 5) {
				struct bfd_packet p = {
					.diag = diag, .state = st,
					.poll = bits & 1, .final = bits & 2,
					.cpi = bits & 4, .demand = bits & 8,
					.detect_mult = (uint8_t)(1 + diag * 8),
					.my_discr = 0xfffffffe - (uint32_t)bits,
					.your_discr = (uint32_t)(bits + st),
					.desired_min_tx_us = UINT32_MAX,
					.required_min_rx_us = (uint32_t)diag << 20,
					.required_min_echo_rx_us = 1,
				}, q;
				uint8_t b[BFD_PACKET_LEN];

				if (!p.your_discr && st != BFD_DOWN && st != BFD_ADMIN_DOWN)
					p.your_discr = 9;
				bfd_packet_encode(&p, b);
				assert_int_equal(bfd_packet_decode(b, sizeof(b), &q, NULL), 0);
				assert_packet_equal(&p, &q);
			}
}

/* Decode b with one byte changed; the error and the reason. */
static int decode_with(size_t at, uint8_t value, size_t len, const char **why)
{
	uint8_t b[64] = { 0 };
	struct bfd_packet p;

	valid_bytes(b);
	b[at] = value;
	*why = NULL;
	return bfd_packet_decode(b, len, &p, why);
}

static void test_rejections(void **state)
{
	const char *why;

	assert_int_equal(decode_with(0, 0x20, 24, &why), 0);
	assert_null(why);
	/* Version 0, 2 and 7, whatever the diag. */
	assert_int_equal(decode_with(0, 0x00, 24, &why), -EPROTONOSUPPORT);
	assert_string_equal(why, "version not 1");
	assert_int_equal(decode_with(0, 0x41, 24, &why), -EPROTONOSUPPORT);
	assert_int_equal(decode_with(0, 0xe0, 24, &why), -EPROTONOSUPPORT);
	/* Length field below 24, and beyond what arrived. */
	assert_int_equal(decode_with(3, 23, 24, &why), -EBADMSG);
	assert_string_equal(why, "length field too small");
	assert_int_equal(decode_with(3, 0, 24, &why), -EBADMSG);
	assert_int_equal(decode_with(3, 25, 24, &why), -EBADMSG);
	assert_string_equal(why, "length field beyond the payload");
	assert_int_equal(decode_with(3, 255, 64, &why), -EBADMSG);
	/* A Length shorter than the datagram: the rest is ignored. */
	assert_int_equal(decode_with(3, 24, 64, &why), 0);
	assert_int_equal(decode_with(3, 40, 64, &why), 0);
	assert_int_equal(decode_with(2, 0, 24, &why), -EBADMSG);
	assert_string_equal(why, "detect multiplier 0");
	/* Up (0xc0) with the M bit. */
	assert_int_equal(decode_with(1, 0xc1, 24, &why), -EBADMSG);
	assert_string_equal(why, "multipoint bit set");
	assert_int_equal(decode_with(7, 0, 24, &why), 0);	/* a low byte 0 is fine */
	/* The A bit: 24 bytes cannot hold an authentication section... */
	assert_int_equal(decode_with(1, 0xc4, 24, &why), -EBADMSG);
	assert_string_equal(why, "length field too small");
}

static void test_reject_discriminators_and_auth(void **state)
{
	struct bfd_packet p = from_peer(BFD_DOWN, 0), q;
	uint8_t b[32] = { 0 };
	const char *why;

	/* My Discriminator 0. */
	p.my_discr = 0;
	bfd_packet_encode(&p, b);
	assert_int_equal(bfd_packet_decode(b, 24, &q, &why), -EBADMSG);
	assert_string_equal(why, "my discriminator 0");
	/* Your Discriminator 0: only in Down and AdminDown. */
	for (int st = BFD_ADMIN_DOWN; st <= BFD_UP; st++) {
		int want = st == BFD_DOWN || st == BFD_ADMIN_DOWN ? 0 : -EBADMSG;

		p = from_peer(st, 0);
		bfd_packet_encode(&p, b);
		assert_int_equal(bfd_packet_decode(b, 24, &q, &why), want);
		if (want)
			assert_string_equal(why, "your discriminator 0 outside down");
	}
	/* ...and a well-formed authenticated packet is refused as such. */
	p = from_peer(BFD_UP, LOCAL);
	bfd_packet_encode(&p, b);
	b[1] |= 0x04;
	b[3] = 26;
	b[24] = 1;	/* simple password */
	b[25] = 2;
	assert_int_equal(bfd_packet_decode(b, 26, &q, &why), -EOPNOTSUPP);
	assert_string_equal(why, "authentication not supported");
}

static void test_truncated_and_garbage(void **state)
{
	uint8_t b[300];
	struct bfd_packet p, untouched;
	uint64_t rng = 42;

	valid_bytes(b);
	memset(&p, 0x5a, sizeof(p));
	untouched = p;
	/* Every prefix of a valid packet. */
	for (size_t len = 0; len < BFD_PACKET_LEN; len++) {
		assert_true(bfd_packet_decode(b, len, &p, NULL) < 0);
		assert_memory_equal(&p, &untouched, sizeof(p));
	}
	assert_int_equal(bfd_packet_decode(b, BFD_PACKET_LEN, &p, NULL), 0);
	/* Random bytes of random lengths: refused, or consistent when accepted. */
	for (int i = 0; i < 100000; i++) {
		size_t len;
		const char *why = NULL;
		int ret;

		for (size_t j = 0; j < sizeof(b); j++) {
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			b[j] = (uint8_t)(rng >> 56);
		}
		/* Often a plausible header, so that the later rules are reached. */
		if (i & 1) {
			b[0] = (uint8_t)(0x20 | (b[0] & 0x1f));
			b[1] &= (uint8_t)~0x05;
			b[3] = (uint8_t)(24 + b[3] % 8);
		}
		len = (size_t)(rng >> 8) % sizeof(b);
		ret = bfd_packet_decode(b, len, &p, &why);
		if (ret < 0) {
			assert_non_null(why);
			continue;
		}
		assert_true(len >= BFD_PACKET_LEN && b[3] <= len);
		assert_true(p.detect_mult && p.my_discr);
		assert_true(p.your_discr || p.state <= BFD_DOWN);
	}
}

static void test_names(void **state)
{
	assert_string_equal(bfd_state_name(BFD_ADMIN_DOWN), "admin-down");
	assert_string_equal(bfd_state_name(BFD_DOWN), "down");
	assert_string_equal(bfd_state_name(BFD_INIT), "init");
	assert_string_equal(bfd_state_name(BFD_UP), "up");
	assert_string_equal(bfd_diag_name(BFD_DIAG_NONE), "no diagnostic");
	assert_string_equal(bfd_diag_name(BFD_DIAG_TIME_EXPIRED), "control detection time expired");
	assert_string_equal(bfd_diag_name(BFD_DIAG_ADMIN_DOWN), "administratively down");
	assert_string_equal(bfd_diag_name(31), "reserved");
}

/* ---- the session ---- */

static void start(struct bfd_session *s, const struct probe_conf *c)
{
	assert_int_equal(bfd_session_init(s, c, LOCAL, 1, T0), 0);
}

/* A session brought to st by the peer's packets at T0 (AdminDown: locally). */
static void session_in(struct bfd_session *s, enum bfd_state st)
{
	struct bfd_packet p;

	start(s, &pc);
	if (st == BFD_INIT) {
		p = from_peer(BFD_DOWN, 0);
		assert_int_equal(bfd_session_rx(s, &p, T0), 1);
	} else if (st == BFD_UP) {
		p = from_peer(BFD_INIT, LOCAL);
		assert_int_equal(bfd_session_rx(s, &p, T0), 1);
	} else if (st == BFD_ADMIN_DOWN) {
		bfd_session_admin_down(s, BFD_DIAG_ADMIN_DOWN, T0);
	}
	assert_int_equal(s->state, st);
	/* The packet owed for the new state goes; the tests start after it. */
	if (st != BFD_DOWN)
		bfd_session_tx(s, T0, &p);
}

static void test_init_checks(void **state)
{
	struct bfd_session s;
	struct probe_conf c = pc;

	assert_int_equal(bfd_session_init(&s, &c, 0, 1, T0), -EINVAL);
	c.fail = 0;
	assert_int_equal(bfd_session_init(&s, &c, LOCAL, 1, T0), -EINVAL);
	c.fail = 256;
	assert_int_equal(bfd_session_init(&s, &c, LOCAL, 1, T0), -EINVAL);
	c.fail = 255;
	assert_int_equal(bfd_session_init(&s, &c, LOCAL, 1, T0), 0);
	assert_int_equal(s.state, BFD_DOWN);
	assert_int_equal(s.remote_state, BFD_DOWN);
	assert_int_equal(s.diag, BFD_DIAG_NONE);
	/* min_rx_ms 0 is the interval; given, it is its own. */
	assert_int_equal(s.required_min_rx_us, 50000);
	c.min_rx_ms = 300;
	assert_int_equal(bfd_session_init(&s, &c, LOCAL, 1, T0), 0);
	assert_int_equal(s.required_min_rx_us, 300000);
	assert_int_equal(s.desired_min_tx_us, 50000);
}

/* RFC 5880 §6.8.6: every local state against every received state. */
static void test_state_table(void **state)
{
	static const struct {
		enum bfd_state local, received, next;
		enum bfd_diag diag;
		const char *reason;	/* NULL: no change */
	} table[] = {
		{ BFD_DOWN, BFD_ADMIN_DOWN, BFD_DOWN, BFD_DIAG_NONE, NULL },
		{ BFD_DOWN, BFD_DOWN, BFD_INIT, BFD_DIAG_NONE, "session init" },
		{ BFD_DOWN, BFD_INIT, BFD_UP, BFD_DIAG_NONE, "session up" },
		{ BFD_DOWN, BFD_UP, BFD_DOWN, BFD_DIAG_NONE, NULL },
		{ BFD_INIT, BFD_ADMIN_DOWN, BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN, "peer admin down" },
		{ BFD_INIT, BFD_DOWN, BFD_INIT, BFD_DIAG_NONE, NULL },
		{ BFD_INIT, BFD_INIT, BFD_UP, BFD_DIAG_NONE, "session up" },
		{ BFD_INIT, BFD_UP, BFD_UP, BFD_DIAG_NONE, "session up" },
		{ BFD_UP, BFD_ADMIN_DOWN, BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN, "peer admin down" },
		{ BFD_UP, BFD_DOWN, BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN, "neighbor signaled down" },
		{ BFD_UP, BFD_INIT, BFD_UP, BFD_DIAG_NONE, NULL },
		{ BFD_UP, BFD_UP, BFD_UP, BFD_DIAG_NONE, NULL },
		{ BFD_ADMIN_DOWN, BFD_ADMIN_DOWN, BFD_ADMIN_DOWN, BFD_DIAG_ADMIN_DOWN, NULL },
		{ BFD_ADMIN_DOWN, BFD_DOWN, BFD_ADMIN_DOWN, BFD_DIAG_ADMIN_DOWN, NULL },
		{ BFD_ADMIN_DOWN, BFD_INIT, BFD_ADMIN_DOWN, BFD_DIAG_ADMIN_DOWN, NULL },
		{ BFD_ADMIN_DOWN, BFD_UP, BFD_ADMIN_DOWN, BFD_DIAG_ADMIN_DOWN, NULL },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct bfd_session s;
		struct bfd_packet p = from_peer(table[i].received, LOCAL);
		const char *before;
		int ret;

		session_in(&s, table[i].local);
		before = s.reason;
		ret = bfd_session_rx(&s, &p, T0 + 1000);
		print_message("%s + %s\n", bfd_state_name(table[i].local),
			      bfd_state_name(table[i].received));
		assert_int_equal(ret, table[i].local != table[i].next);
		assert_int_equal(s.state, table[i].next);
		assert_int_equal(s.diag, table[i].diag);
		if (ret)
			assert_string_equal(s.reason, table[i].reason);
		else
			assert_ptr_equal(s.reason, before);
		/* Whatever the state, the peer's values are taken. */
		assert_int_equal(s.remote_state, table[i].received);
		assert_int_equal(s.remote_discr, PEER);
	}
}

static void test_diag_kept_until_up(void **state)
{
	struct bfd_session s;
	struct bfd_packet p;

	session_in(&s, BFD_UP);
	p = from_peer(BFD_DOWN, LOCAL);
	assert_int_equal(bfd_session_rx(&s, &p, T0 + 1), 1);
	assert_int_equal(s.diag, BFD_DIAG_NEIGHBOR_DOWN);
	/* The last reason for going down stays on through Init... */
	assert_int_equal(bfd_session_rx(&s, &p, T0 + 2), 1);
	assert_int_equal(s.state, BFD_INIT);
	assert_int_equal(s.diag, BFD_DIAG_NEIGHBOR_DOWN);
	/* ...and clears once Up. */
	p = from_peer(BFD_UP, LOCAL);
	assert_int_equal(bfd_session_rx(&s, &p, T0 + 3), 1);
	assert_int_equal(s.diag, BFD_DIAG_NONE);
}

static void test_foreign_discriminator(void **state)
{
	struct bfd_session s;
	struct bfd_packet p = from_peer(BFD_DOWN, LOCAL + 1);

	session_in(&s, BFD_DOWN);
	assert_int_equal(bfd_session_rx(&s, &p, T0), -ESRCH);
	assert_int_equal(s.state, BFD_DOWN);
	assert_int_equal(s.remote_discr, 0);
	assert_int_equal(bfd_session_detect_deadline(&s), BFD_NEVER);
}

static void test_detection_time(void **state)
{
	struct bfd_session s;
	struct bfd_packet p = from_peer(BFD_UP, LOCAL);
	uint64_t t = T0 + 777;

	session_in(&s, BFD_UP);
	assert_int_equal(bfd_session_rx(&s, &p, t), 0);
	/* 4 (theirs) × max(50 ms ours, 100 ms theirs). */
	assert_int_equal(bfd_session_detect_time_us(&s), 400000);
	assert_int_equal(bfd_session_detect_deadline(&s), t + 400000);
	assert_false(bfd_session_expire(&s, t + 399999));
	assert_int_equal(s.state, BFD_UP);
	assert_true(bfd_session_expire(&s, t + 400000));
	assert_int_equal(s.state, BFD_DOWN);
	assert_int_equal(s.diag, BFD_DIAG_TIME_EXPIRED);
	assert_string_equal(s.reason, "control detection time expired");
	/* The peer is forgotten: no deadline, Your Discriminator 0 again. */
	assert_int_equal(s.remote_discr, 0);
	assert_int_equal(s.remote_state, BFD_DOWN);
	assert_int_equal(bfd_session_detect_deadline(&s), BFD_NEVER);
	assert_int_equal(bfd_session_detect_time_us(&s), 0);
	assert_int_equal(bfd_session_tx_interval_us(&s), 0);
	assert_false(bfd_session_expire(&s, t + 10000000));

	/* Our RequiredMinRx counts when it is the larger. */
	session_in(&s, BFD_UP);
	p.desired_min_tx_us = 10000;
	p.detect_mult = 2;
	bfd_session_rx(&s, &p, t);
	assert_int_equal(bfd_session_detect_deadline(&s), t + 100000);
	/* Each packet restarts it. */
	bfd_session_rx(&s, &p, t + 90000);
	assert_false(bfd_session_expire(&s, t + 150000));
	assert_true(bfd_session_expire(&s, t + 190000));
}

static void test_detection_from_init_and_down(void **state)
{
	struct bfd_session s;

	session_in(&s, BFD_INIT);
	assert_int_equal(bfd_session_detect_deadline(&s), T0 + 400000);
	assert_true(bfd_session_expire(&s, T0 + 400000));
	assert_int_equal(s.state, BFD_DOWN);
	assert_int_equal(s.diag, BFD_DIAG_TIME_EXPIRED);

	/* In Down it only forgets the peer (§6.8.1): no state change. */
	session_in(&s, BFD_DOWN);
	{
		struct bfd_packet p = from_peer(BFD_UP, LOCAL);

		bfd_session_rx(&s, &p, T0);
	}
	assert_int_equal(s.remote_discr, PEER);
	assert_false(bfd_session_expire(&s, T0 + 400000));
	assert_int_equal(s.state, BFD_DOWN);
	assert_int_equal(s.diag, BFD_DIAG_NONE);
	assert_int_equal(s.remote_discr, 0);
}

/* The interval the session waits after a packet sent at now, as a fraction in ppm. */
static uint64_t gap(struct bfd_session *s, uint64_t now, struct bfd_packet *out)
{
	bfd_session_tx(s, now, out);
	return bfd_session_next_tx(s) - now;
}

static void test_slow_while_not_up(void **state)
{
	struct bfd_session s;
	struct bfd_packet out, p;
	uint64_t now = T0;

	session_in(&s, BFD_DOWN);
	/* The first packet goes at once. */
	assert_int_equal(bfd_session_next_tx(&s), T0);
	for (int i = 0; i < 100; i++) {
		uint64_t g = gap(&s, now, &out);

		assert_int_equal(out.state, BFD_DOWN);
		assert_int_equal(out.desired_min_tx_us, 1000000);
		assert_int_equal(out.required_min_rx_us, 50000);
		assert_int_equal(out.detect_mult, 3);
		assert_int_equal(out.my_discr, LOCAL);
		assert_int_equal(out.your_discr, 0);
		assert_false(out.poll || out.final || out.demand || out.cpi);
		assert_int_equal(out.required_min_echo_rx_us, 0);
		assert_in_range(g, 750000, 1000000);
		now += g;
	}
	/* Init: still slow, though the peer wants 20 ms. */
	p = from_peer(BFD_DOWN, 0);
	bfd_session_rx(&s, &p, now);
	assert_int_equal(s.state, BFD_INIT);
	assert_int_equal(bfd_session_tx_interval_us(&s), 1000000);
	for (int i = 0; i < 100; i++) {
		uint64_t g = gap(&s, now, &out);

		assert_int_equal(out.state, BFD_INIT);
		assert_int_equal(out.your_discr, PEER);
		assert_int_equal(out.desired_min_tx_us, 1000000);
		assert_in_range(g, 750000, 1000000);
		now += g;
	}
	/* A configured interval above 1 s is kept. */
	{
		struct probe_conf c = pc;

		c.interval_ms = 3000;
		start(&s, &c);
		bfd_session_tx(&s, T0, &out);
		assert_int_equal(out.desired_min_tx_us, 3000000);
	}
}

static void test_negotiated_intervals(void **state)
{
	struct bfd_session s;
	struct bfd_packet p = from_peer(BFD_UP, LOCAL), out;

	session_in(&s, BFD_UP);
	assert_int_equal(bfd_session_tx_interval_us(&s), 50000);
	/* The peer can receive only every 80 ms: slower, its way. */
	p.required_min_rx_us = 80000;
	bfd_session_rx(&s, &p, T0 + 10);
	assert_int_equal(bfd_session_tx_interval_us(&s), 80000);
	/* It can take 20 ms: ours, 50 ms, rules. */
	p.required_min_rx_us = 20000;
	bfd_session_rx(&s, &p, T0 + 20);
	assert_int_equal(bfd_session_tx_interval_us(&s), 50000);
	for (int i = 0; i < 50; i++)
		assert_in_range(gap(&s, T0 + 100, &out), 37500, 50000);
	assert_int_equal(out.desired_min_tx_us, 50000);
	assert_int_equal(bfd_session_detect_time_us(&s), 400000);
}

/* Going Up: the configured rate at once, announced by a Poll until the Final. */
static void test_poll_when_going_up(void **state)
{
	struct bfd_session s;
	struct bfd_packet p, out;
	uint64_t now = T0;

	session_in(&s, BFD_DOWN);
	bfd_session_tx(&s, now, &out);
	assert_false(out.poll);
	p = from_peer(BFD_INIT, LOCAL);
	now += 200000;
	assert_int_equal(bfd_session_rx(&s, &p, now), 1);
	assert_true(s.poll);
	/* 200 ms since the last packet, more than the 50 ms now in force: due. */
	assert_true(bfd_session_next_tx(&s) <= now);
	for (int i = 0; i < 3; i++) {
		uint64_t g = gap(&s, now, &out);

		assert_int_equal(out.state, BFD_UP);
		assert_true(out.poll);
		assert_false(out.final);
		assert_int_equal(out.desired_min_tx_us, 50000);
		assert_in_range(g, 37500, 50000);
		now += g;
	}
	/* The Final ends the sequence. */
	p = from_peer(BFD_UP, LOCAL);
	p.final = true;
	assert_int_equal(bfd_session_rx(&s, &p, now), 0);
	assert_false(s.poll);
	bfd_session_tx(&s, now, &out);
	assert_false(out.poll);
}

static void test_poll_when_going_down(void **state)
{
	struct bfd_session s;
	struct bfd_packet p = from_peer(BFD_UP, LOCAL), out;

	session_in(&s, BFD_UP);
	p.final = true;
	bfd_session_rx(&s, &p, T0);
	assert_false(s.poll);
	p = from_peer(BFD_DOWN, LOCAL);
	bfd_session_rx(&s, &p, T0 + 10);
	/* Back to 1 s, and it is said with a Poll. */
	bfd_session_tx(&s, T0 + 20, &out);
	assert_true(out.poll);
	assert_int_equal(out.desired_min_tx_us, 1000000);
	assert_int_equal(out.state, BFD_DOWN);
	assert_int_equal(out.diag, BFD_DIAG_NEIGHBOR_DOWN);
}

/* The peer changes its timers with a Poll: answered with a Final at once, values taken. */
static void test_final_answers_poll(void **state)
{
	struct bfd_session s;
	struct bfd_packet p = from_peer(BFD_UP, LOCAL), out;
	uint64_t now = T0 + 1000;

	session_in(&s, BFD_UP);
	p.final = true;
	bfd_session_rx(&s, &p, now);
	bfd_session_tx(&s, now, &out);
	assert_true(bfd_session_next_tx(&s) > now + 30000);
	now += 5000;
	p = from_peer(BFD_UP, LOCAL);
	p.poll = true;
	p.desired_min_tx_us = 300000;
	p.required_min_rx_us = 200000;
	assert_int_equal(bfd_session_rx(&s, &p, now), 0);
	/* Due now, though the last packet went 5 ms ago. */
	assert_true(bfd_session_next_tx(&s) <= now);
	assert_int_equal(bfd_session_tx_interval_us(&s), 200000);
	assert_int_equal(bfd_session_detect_time_us(&s), 4 * 300000);
	bfd_session_tx(&s, now, &out);
	assert_true(out.final);
	assert_false(out.poll);
	/* Then periodic again, at the new rate, without F. */
	assert_in_range(bfd_session_next_tx(&s) - now, 150000, 200000);
	bfd_session_tx(&s, bfd_session_next_tx(&s), &out);
	assert_false(out.final);
}

/* A Poll of ours and a Final owed: never both bits in one packet (§6.8.7). */
static void test_poll_and_final_apart(void **state)
{
	struct bfd_session s;
	struct bfd_packet p, out;

	session_in(&s, BFD_UP);
	assert_true(s.poll);
	p = from_peer(BFD_UP, LOCAL);
	p.poll = true;
	bfd_session_rx(&s, &p, T0 + 10);
	bfd_session_tx(&s, T0 + 10, &out);
	assert_true(out.final);
	assert_false(out.poll);
	bfd_session_tx(&s, bfd_session_next_tx(&s), &out);
	assert_true(out.poll);
	assert_false(out.final);
}

/* A new state goes out at once, the periodic schedule restarting from it. */
static void test_state_change_sent_at_once(void **state)
{
	struct bfd_session s;
	struct bfd_packet p = from_peer(BFD_DOWN, 0), out;
	uint64_t now = T0 + 100;

	session_in(&s, BFD_DOWN);
	bfd_session_tx(&s, T0, &out);
	assert_true(bfd_session_next_tx(&s) >= T0 + 750000);
	bfd_session_rx(&s, &p, now);
	assert_int_equal(s.state, BFD_INIT);
	assert_int_equal(bfd_session_next_tx(&s), now);
	bfd_session_tx(&s, now, &out);
	assert_int_equal(out.state, BFD_INIT);
	assert_in_range(bfd_session_next_tx(&s) - now, 750000, 1000000);
	/* No change, nothing owed: the schedule stands. */
	bfd_session_rx(&s, &p, now + 10);
	assert_true(bfd_session_next_tx(&s) >= now + 750000);
	/* A timeout: the same. */
	now += 10 + 400000;
	bfd_session_tx(&s, now - 1, &out);
	assert_true(bfd_session_expire(&s, now));
	assert_int_equal(bfd_session_next_tx(&s), now);
}

static void test_remote_min_rx_zero(void **state)
{
	struct bfd_session s;
	struct bfd_packet p = from_peer(BFD_UP, LOCAL), out;

	session_in(&s, BFD_UP);
	p.required_min_rx_us = 0;
	bfd_session_rx(&s, &p, T0 + 10);
	assert_int_equal(bfd_session_next_tx(&s), BFD_NEVER);
	/* Its detection still runs on its packets. */
	assert_int_equal(bfd_session_detect_deadline(&s), T0 + 10 + 400000);
	/* A Poll is still answered. */
	p.poll = true;
	bfd_session_rx(&s, &p, T0 + 20);
	assert_int_equal(bfd_session_next_tx(&s), T0 + 20);
	bfd_session_tx(&s, T0 + 20, &out);
	assert_true(out.final);
	assert_int_equal(bfd_session_next_tx(&s), BFD_NEVER);
	/* It wants packets again. */
	p.poll = false;
	p.required_min_rx_us = 20000;
	bfd_session_rx(&s, &p, T0 + 30);
	assert_true(bfd_session_next_tx(&s) <= T0 + 20 + 50000);
	/* When the peer is forgotten, packets go again (slowly) to find it. */
	p.required_min_rx_us = 0;
	bfd_session_rx(&s, &p, T0 + 40);
	assert_true(bfd_session_expire(&s, T0 + 40 + 400000));
	assert_true(bfd_session_next_tx(&s) <= T0 + 20 + 1000000);
}

static void test_remote_demand(void **state)
{
	struct bfd_session s;
	struct bfd_packet p = from_peer(BFD_UP, LOCAL), out;

	session_in(&s, BFD_UP);
	p.demand = true;
	bfd_session_rx(&s, &p, T0 + 10);
	/* Our Poll sequence still runs... */
	assert_true(s.poll);
	assert_true(bfd_session_next_tx(&s) != BFD_NEVER);
	/* ...and once it ended, the peer in Demand mode gets no periodic packets. */
	p.final = true;
	bfd_session_rx(&s, &p, T0 + 20);
	assert_int_equal(bfd_session_next_tx(&s), BFD_NEVER);
	/* Not while the peer is not Up. */
	p = from_peer(BFD_INIT, LOCAL);
	p.demand = true;
	bfd_session_rx(&s, &p, T0 + 30);
	assert_true(bfd_session_next_tx(&s) != BFD_NEVER);
	bfd_session_tx(&s, T0 + 40, &out);
	assert_false(out.demand);
}

static void test_admin_down(void **state)
{
	struct bfd_session s;
	struct bfd_packet out;

	session_in(&s, BFD_UP);
	bfd_session_admin_down(&s, BFD_DIAG_ADMIN_DOWN, T0 + 10);
	bfd_session_tx(&s, T0 + 10, &out);
	assert_int_equal(out.state, BFD_ADMIN_DOWN);
	assert_int_equal(out.diag, BFD_DIAG_ADMIN_DOWN);
	assert_int_equal(out.your_discr, PEER);
	assert_int_equal(bfd_session_detect_deadline(&s), BFD_NEVER);
	assert_false(bfd_session_expire(&s, T0 + 100000000));
}

static void draws(uint8_t mult, uint32_t lo_ppm, uint32_t hi_ppm)
{
	struct probe_conf c = pc;
	struct bfd_session s;
	struct bfd_packet p = from_peer(BFD_INIT, LOCAL), out;
	uint64_t now = T0, min = UINT64_MAX, max = 0;

	c.fail = mult;
	start(&s, &c);
	bfd_session_rx(&s, &p, now);
	assert_int_equal(s.state, BFD_UP);
	for (int i = 0; i < 20000; i++) {
		uint64_t g = gap(&s, now, &out);

		min = g < min ? g : min;
		max = g > max ? g : max;
		now += g;
	}
	/* Within the bounds, and reaching close to both ends. */
	assert_true(min >= 50000ull * lo_ppm / 1000000);
	assert_true(max <= 50000ull * hi_ppm / 1000000);
	assert_true(min < 50000ull * (lo_ppm + 5000) / 1000000);
	assert_true(max > 50000ull * (hi_ppm - 5000) / 1000000);
}

static void test_jitter_bounds(void **state)
{
	draws(3, 750000, 1000000);
	draws(1, 750000, 900000);
}

static void test_seed_decides_jitter(void **state)
{
	struct bfd_session a, b, c;
	struct bfd_packet out;
	bool differ = false;

	assert_int_equal(bfd_session_init(&a, &pc, LOCAL, 7, T0), 0);
	assert_int_equal(bfd_session_init(&b, &pc, LOCAL, 7, T0), 0);
	assert_int_equal(bfd_session_init(&c, &pc, LOCAL, 8, T0), 0);
	for (int i = 0; i < 10; i++) {
		uint64_t ga = gap(&a, T0, &out), gb = gap(&b, T0, &out);

		assert_int_equal(ga, gb);
		differ |= gap(&c, T0, &out) != ga;
	}
	assert_true(differ);
}

/*
 * Two sessions talking, packets delivered after 1 ms unless cut: the
 * three-way handshake, the fast rate after the Polls, a one-way loss
 * detected on time, and recovery.
 */
struct end {
	struct bfd_session s;
	bool cut;		/* its packets are lost */
	uint64_t in_flight_at;	/* arrival at the other end; 0: none */
	struct bfd_packet in_flight;
	unsigned changes;
};

static void step(struct end *e, uint64_t *now)
{
	uint64_t next = UINT64_MAX;

	for (int i = 0; i < 2; i++) {
		uint64_t t[] = { bfd_session_next_tx(&e[i].s), bfd_session_detect_deadline(&e[i].s),
				 e[i].in_flight_at ? e[i].in_flight_at : UINT64_MAX };

		for (int k = 0; k < 3; k++)
			next = t[k] < next ? t[k] : next;
	}
	assert_true(next != UINT64_MAX);
	*now = next > *now ? next : *now;
	for (int i = 0; i < 2; i++) {
		struct end *me = &e[i], *other = &e[1 - i];

		if (me->in_flight_at && me->in_flight_at <= *now) {
			me->in_flight_at = 0;
			other->changes += bfd_session_rx(&other->s, &me->in_flight, *now) == 1;
		}
		if (bfd_session_detect_deadline(&me->s) <= *now)
			me->changes += bfd_session_expire(&me->s, *now);
		if (bfd_session_next_tx(&me->s) <= *now) {
			bfd_session_tx(&me->s, *now, &me->in_flight);
			me->in_flight_at = me->cut ? 0 : *now + 1000;
		}
	}
}

static uint64_t run_until(struct end *e, uint64_t *now, enum bfd_state a, enum bfd_state b,
			  uint64_t limit)
{
	uint64_t from = *now;

	while (e[0].s.state != a || e[1].s.state != b) {
		step(e, now);
		assert_true(*now - from <= limit);
	}
	return *now - from;
}

static void test_two_sessions(void **state)
{
	struct end e[2] = { 0 };
	uint64_t now = T0, took, down_at, last_rx;

	assert_int_equal(bfd_session_init(&e[0].s, &pc, LOCAL, 1, T0), 0);
	assert_int_equal(bfd_session_init(&e[1].s, &pc, PEER, 2, T0 + 300000), 0);
	/* Up within two slow intervals or so, after Down -> Init -> Up. */
	took = run_until(e, &now, BFD_UP, BFD_UP, 3000000);
	print_message("up after %llu ms\n", (unsigned long long)took / 1000);
	assert_int_equal(e[0].changes + e[1].changes, 3);
	/* The Polls end, then 50 ms (less jitter) between packets. */
	while (e[0].s.poll || e[1].s.poll) {
		step(e, &now);
		assert_true(now - T0 - took < 200000);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(bfd_session_tx_interval_us(&e[i].s), 50000);
		assert_int_equal(bfd_session_detect_time_us(&e[i].s), 150000);
		assert_in_range(bfd_session_next_tx(&e[i].s) - e[i].s.last_tx_us, 37500, 50000);
	}
	/* 0 -> 1 cut: 1 goes Down exactly at its detection time, then tells 0. */
	e[0].cut = true;
	e[0].in_flight_at = 0;
	last_rx = e[1].s.last_rx_us;
	run_until(e, &now, e[0].s.state, BFD_DOWN, 200000);
	assert_int_equal(now, last_rx + 150000);
	assert_int_equal(e[1].s.diag, BFD_DIAG_TIME_EXPIRED);
	/* It says so at once: 0 learns it one transit (1 ms) later. */
	down_at = now;
	run_until(e, &now, BFD_DOWN, BFD_DOWN, 100000);
	assert_int_equal(e[0].s.diag, BFD_DIAG_NEIGHBOR_DOWN);
	assert_int_equal(now - down_at, 1000);
	/* Healed: Up again. */
	e[0].cut = false;
	run_until(e, &now, BFD_UP, BFD_UP, 4000000);
	assert_int_equal(e[0].s.diag, BFD_DIAG_NONE);
}

/* ---- the I/O, over lo: two sessions on 127.0.0.2 and 127.0.0.3 ---- */

struct watch {
	int calls;
	bool up;
	const char *reason;
};

static void on_change(void *arg, bool up, const char *reason)
{
	struct watch *w = arg;

	assert_non_null(reason);
	w->calls++;
	w->up = up;
	w->reason = reason;
}

static struct path_conf lo_path(const char *addr, const char *peer)
{
	struct path_conf p = { .probe = pc };

	strcpy(p.ifname, "lo");
	assert_int_equal(gw_ifprefix_parse(addr, &p.address), 0);
	assert_int_equal(gw_addr_parse(peer, &p.peer), 0);
	return p;
}

static void run_loop(sd_event *ev, struct watch *w, bool until_up, uint64_t limit_us)
{
	uint64_t start, now;

	sd_event_now(ev, CLOCK_MONOTONIC, &start);
	do {
		assert_true(sd_event_run(ev, 100000) >= 0);
		sd_event_now(ev, CLOCK_MONOTONIC, &now);
		assert_true(now - start < limit_us);
	} while (w->up != until_up);
}

static void test_io_loopback(void **state)
{
	struct path_conf pa = lo_path("127.0.0.2/8", "127.0.0.3");
	struct path_conf pb = lo_path("127.0.0.3/8", "127.0.0.2");
	struct watch wa = { 0 }, wb = { 0 };
	struct bfd *a, *b;
	struct bfd_status sa, sb;
	sd_event *ev;

	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(bfd_start(ev, &pa, on_change, &wa, &a), 0);
	assert_int_equal(bfd_start(ev, &pb, on_change, &wb, &b), 0);
	run_loop(ev, &wa, true, 5000000);
	run_loop(ev, &wb, true, 5000000);
	assert_string_equal(wa.reason, "session up");
	/* Packets while Up are reported too. */
	wa.calls = 0;
	while (wa.calls < 5)
		assert_true(sd_event_run(ev, 1000000) >= 0);
	assert_true(wa.up);
	assert_string_equal(wa.reason, "control packet");
	bfd_get_status(a, &sa);
	bfd_get_status(b, &sb);
	assert_string_equal(sa.state, "up");
	assert_string_equal(sa.remote_state, "up");
	assert_string_equal(sa.diag, "no diagnostic");
	assert_int_equal(sa.remote_discr, sb.local_discr);
	assert_int_equal(sb.remote_discr, sa.local_discr);
	assert_true(sa.local_discr && sa.local_discr != sb.local_discr);
	assert_int_equal(sa.tx_interval_us, 50000);
	assert_int_equal(sa.detect_time_us, 150000);
	assert_true(sa.rx_packets >= 5 && sa.tx_packets >= 5);
	assert_int_equal(sa.rx_invalid, 0);
	/* A stops and says so: B goes down at once, not after its detection time. */
	bfd_stop(a, true);
	run_loop(ev, &wb, false, 100000);
	assert_string_equal(wb.reason, "peer admin down");
	bfd_get_status(b, &sb);
	assert_string_equal(sb.diag, "neighbor signaled session down");
	assert_string_equal(sb.remote_state, "admin-down");
	bfd_stop(b, false);
	sd_event_unref(ev);
}

/* Another session on the same link and address cannot take port 3784 too. */
static void test_io_same_link_refused(void **state)
{
	struct path_conf p = lo_path("127.0.0.4/8", "127.0.0.5");
	struct watch w = { 0 };
	struct bfd *a, *b = NULL;
	sd_event *ev;

	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(bfd_start(ev, &p, on_change, &w, &a), 0);
	assert_int_equal(bfd_start(ev, &p, on_change, &w, &b), -EADDRINUSE);
	bfd_stop(a, false);
	sd_event_unref(ev);
}

static void test_io_bad_paths(void **state)
{
	struct path_conf p = lo_path("127.0.0.6/8", "::1");
	struct watch w = { 0 };
	struct bfd *b = NULL;
	sd_event *ev;

	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(bfd_start(ev, &p, on_change, &w, &b), -EINVAL);
	p = lo_path("127.0.0.6/8", "127.0.0.7");
	p.probe.fail = 0;
	assert_int_equal(bfd_start(ev, &p, on_change, &w, &b), -EINVAL);
	assert_null(b);
	sd_event_unref(ev);
}

/* No link yet: started anyway, nothing sent, and the session ticks on. */
static void test_io_missing_link(void **state)
{
	struct path_conf p = lo_path("10.99.0.1/30", "10.99.0.2");
	struct watch w = { 0 };
	struct bfd_status st;
	struct bfd *b;
	sd_event *ev;

	strcpy(p.ifname, "gwbfd-none0");
	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(bfd_start(ev, &p, on_change, &w, &b), 0);
	assert_true(sd_event_run(ev, 100000) >= 0);
	bfd_get_status(b, &st);
	assert_string_equal(st.state, "down");
	assert_int_equal(st.tx_packets, 0);
	assert_int_equal(st.tx_interval_us, 0);
	assert_int_equal(w.calls, 0);
	bfd_stop(b, true);
	sd_event_unref(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_reject_discriminators_and_auth),
		cmocka_unit_test(test_truncated_and_garbage),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_init_checks),
		cmocka_unit_test(test_state_table),
		cmocka_unit_test(test_diag_kept_until_up),
		cmocka_unit_test(test_foreign_discriminator),
		cmocka_unit_test(test_detection_time),
		cmocka_unit_test(test_detection_from_init_and_down),
		cmocka_unit_test(test_slow_while_not_up),
		cmocka_unit_test(test_negotiated_intervals),
		cmocka_unit_test(test_poll_when_going_up),
		cmocka_unit_test(test_poll_when_going_down),
		cmocka_unit_test(test_final_answers_poll),
		cmocka_unit_test(test_poll_and_final_apart),
		cmocka_unit_test(test_state_change_sent_at_once),
		cmocka_unit_test(test_remote_min_rx_zero),
		cmocka_unit_test(test_remote_demand),
		cmocka_unit_test(test_admin_down),
		cmocka_unit_test(test_jitter_bounds),
		cmocka_unit_test(test_seed_decides_jitter),
		cmocka_unit_test(test_two_sessions),
		cmocka_unit_test(test_io_loopback),
		cmocka_unit_test(test_io_same_link_refused),
		cmocka_unit_test(test_io_bad_paths),
		cmocka_unit_test(test_io_missing_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
