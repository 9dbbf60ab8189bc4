// SPDX-License-Identifier: GPL-2.0
/* The path health state machine: hysteresis, loss window, damping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "gwd/health.h"

static const struct probe_conf pc = {
	.kind = PROBE_ICMP, .interval_ms = 100, .fail = 3, .rise = 3,
	.degraded_loss_pct = 5,
};

struct run {
	struct health h;
	uint64_t now;
	unsigned changes;
};

/* Feed results: 'o' answered, 'x' lost, one per interval. */
static void feed(struct run *r, const char *pattern)
{
	for (const char *c = pattern; *c; c++) {
		r->now += pc.interval_ms * 1000ull;
		r->changes += health_record(&r->h, &pc, *c == 'o', 1000, r->now);
	}
}

static void start(struct run *r)
{
	r->now = 1000000;
	r->changes = 0;
	health_init(&r->h, r->now);
}

static void test_down_after_fail_up_after_rise(void **state)
{
	struct run r;

	start(&r);
	assert_int_equal(r.h.state, HEALTH_UP);
	feed(&r, "ooxxo");		/* two in a row are not three */
	assert_int_equal(r.h.state, HEALTH_UP);
	feed(&r, "xxx");
	assert_int_equal(r.h.state, HEALTH_DOWN);
	assert_string_equal(r.h.reason, "3 probes in a row lost");
	feed(&r, "ooxoo");		/* a loss restarts the count */
	assert_int_equal(r.h.state, HEALTH_DOWN);
	feed(&r, "o");
	assert_int_equal(r.h.state, HEALTH_UP);
	assert_string_equal(r.h.reason, "3 probes in a row answered");
	assert_int_equal(r.h.transitions, 2);
	assert_int_equal(r.changes, 2);
}

static void test_two_percent_loss_never_moves(void **state)
{
	struct run r;

	start(&r);
	/* 60 s at 100 ms, one probe in 50 lost, and a few lost in pairs. */
	for (int i = 0; i < 12; i++)
		feed(&r, "xooooooooooooooooooooooooooooooooooooooooooooooooo");
	feed(&r, "xxoooooooooooooooooooooooooooooooooooooooooooooooo");
	assert_int_equal(r.h.state, HEALTH_UP);
	assert_int_equal(r.changes, 0);
	assert_in_range(health_loss_permille(&r.h), 15, 30);
}

static void test_one_in_seven_lost_after_recovery(void **state)
{
	struct run r;

	start(&r);
	feed(&r, "xxx");
	assert_int_equal(r.h.state, HEALTH_DOWN);
	feed(&r, "ooo");
	assert_int_equal(r.h.state, HEALTH_UP);
	for (int i = 0; i < 6; i++)
		feed(&r, "ooooxoo");
	assert_int_equal(r.h.state, HEALTH_UP);
	assert_int_equal(r.h.transitions, 2);
	/* Kept up for long, 14 % loss is degraded, but never down. */
	for (int i = 0; i < 20; i++) {
		feed(&r, "ooooxoo");
		assert_int_not_equal(r.h.state, HEALTH_DOWN);
	}
	assert_int_equal(r.h.state, HEALTH_DEGRADED);
}

static void test_degraded_and_back(void **state)
{
	struct run r;

	start(&r);
	/* 10 % loss: degraded once the window is half full (50 probes). */
	for (int i = 0; i < 4; i++)
		feed(&r, "oooooooxoo");
	assert_int_equal(r.h.state, HEALTH_UP);
	for (int i = 0; i < 2; i++)
		feed(&r, "oooooooxoo");
	assert_int_equal(r.h.state, HEALTH_DEGRADED);
	assert_non_null(strstr(r.h.reason, "loss over"));
	/* Clean again: back up when the window's loss drops under 2.5 %. */
	for (int i = 0; i < 100 && r.h.state == HEALTH_DEGRADED; i++)
		feed(&r, "o");
	assert_int_equal(r.h.state, HEALTH_UP);
	assert_true(health_loss_permille(&r.h) < 25);
	/* Degraded paths still go down. */
	for (int i = 0; i < 8; i++)
		feed(&r, "oooooxxoo");
	assert_int_equal(r.h.state, HEALTH_DEGRADED);
	feed(&r, "xxx");
	assert_int_equal(r.h.state, HEALTH_DOWN);
}

static void test_flaps_are_damped(void **state)
{
	struct run r;
	uint64_t down_at;

	start(&r);
	feed(&r, "xxxooo" "xxxooo");	/* two flaps: free */
	assert_int_equal(r.h.state, HEALTH_UP);
	feed(&r, "xxx");		/* the third down within a minute */
	down_at = r.now;
	feed(&r, "ooo");
	assert_int_equal(r.h.state, HEALTH_DOWN);	/* held */
	while (r.h.state == HEALTH_DOWN)
		feed(&r, "o");
	assert_true(r.now - down_at >= 1000000);
	feed(&r, "xxx");		/* the fourth: held twice as long */
	down_at = r.now;
	while (r.h.state == HEALTH_DOWN)
		feed(&r, "o");
	assert_true(r.now - down_at >= 2000000);
	assert_true(r.now - down_at < 3000000);
}

static void test_degraded_disabled(void **state)
{
	struct probe_conf off = pc;
	struct health h;
	uint64_t now = 0;

	off.degraded_loss_pct = 0;
	health_init(&h, now);
	for (int i = 0; i < 200; i++)
		health_record(&h, &off, i % 3 != 0, 1000, now += 100000);
	assert_int_equal(h.state, HEALTH_UP);
}

static void test_degraded_by_rtt(void **state)
{
	struct probe_conf slow = pc;
	struct health h;
	uint64_t now = 0;
	int i;

	slow.degraded_loss_pct = 0;
	slow.degraded_rtt_ms = 50;
	health_init(&h, now);
	/* 20 ms answers for 10 s, then 80 ms: degraded once smoothed over 50 ms. */
	for (i = 0; i < 100; i++)
		assert_false(health_record(&h, &slow, true, 20000, now += 100000));
	for (i = 0; i < 100 && h.state == HEALTH_UP; i++)
		health_record(&h, &slow, true, 80000, now += 100000);
	assert_int_equal(h.state, HEALTH_DEGRADED);
	assert_in_range(i, 5, 30);	/* neither the first slow answer nor never */
	assert_non_null(strstr(h.reason, "smoothed RTT"));
	/* 45 ms is under the threshold but not under 80 % of it: stays. */
	for (i = 0; i < 100; i++)
		health_record(&h, &slow, true, 45000, now += 100000);
	assert_int_equal(h.state, HEALTH_DEGRADED);
	for (i = 0; i < 100 && h.state == HEALTH_DEGRADED; i++)
		health_record(&h, &slow, true, 20000, now += 100000);
	assert_int_equal(h.state, HEALTH_UP);
	assert_true(h.srtt_us < 40000);
}

static void test_starts_down_when_seeded(void **state)
{
	struct probe_conf off = pc;
	struct health h;
	uint64_t now = 0;
	struct run r;
	int i;

	start(&r);
	health_init_down(&r.h, r.now, "not in use before the restart");
	assert_int_equal(r.h.state, HEALTH_DOWN);
	assert_int_equal(r.h.transitions, 0);
	feed(&r, "oo");
	assert_int_equal(r.h.state, HEALTH_DOWN);
	/* Answering, but its loss is not known yet: degraded, then up. */
	feed(&r, "o");
	assert_int_equal(r.h.state, HEALTH_DEGRADED);
	for (i = 0; i < 100 && r.h.state == HEALTH_DEGRADED; i++)
		feed(&r, "o");
	assert_int_equal(r.h.state, HEALTH_UP);
	assert_in_range(i, 40, 50);	/* half of the 10 s window */
	/* Still lossy after the restart: stays degraded. */
	start(&r);
	health_init_down(&r.h, r.now, "not in use before the restart");
	for (i = 0; i < 20; i++)
		feed(&r, "oooooooxoo");
	assert_int_equal(r.h.state, HEALTH_DEGRADED);
	/* 3 % loss against 5 %: under the threshold, so up, band or not. */
	start(&r);
	health_init_down(&r.h, r.now, "not in use before the restart");
	feed(&r, "ooo");
	for (i = 0; i < 10 && r.h.state == HEALTH_DEGRADED; i++)
		feed(&r, "ooooooooooooooooooooooooooooooooxo");
	assert_int_equal(r.h.state, HEALTH_UP);
	/* Without thresholds there is nothing to judge: up after rise. */
	off.degraded_loss_pct = 0;
	health_init_down(&h, now, "x");
	for (i = 0; i < 3; i++)
		health_record(&h, &off, true, 1000, now += 100000);
	assert_int_equal(h.state, HEALTH_UP);
	assert_int_equal(h.transitions, 1);
}

static void test_bfd_session(void **state)
{
	struct probe_conf bfd = { .kind = PROBE_BFD, .interval_ms = 50, .fail = 3,
				  .rise = 3 };
	struct health h;
	uint64_t now = 0;

	health_init(&h, now);
	assert_false(health_session(&h, &bfd, true, "session up", now += 50000));
	assert_true(health_session(&h, &bfd, false, "control detection time expired",
				   now += 50000));
	assert_int_equal(h.state, HEALTH_DOWN);
	assert_string_equal(h.reason, "BFD: control detection time expired");
	assert_false(health_session(&h, &bfd, false, "neighbor signaled down", now));
	/* Up again after rise packets with the session up. */
	assert_false(health_session(&h, &bfd, true, "session up", now += 50000));
	assert_false(health_session(&h, &bfd, true, "session up", now += 50000));
	assert_true(health_session(&h, &bfd, true, "session up", now += 50000));
	assert_int_equal(h.state, HEALTH_UP);
	assert_int_equal(h.transitions, 2);
	/* A session that drops before rise restarts the count. */
	health_session(&h, &bfd, false, "x", now += 50000);
	health_session(&h, &bfd, true, "session up", now += 50000);
	health_session(&h, &bfd, true, "session up", now += 50000);
	health_session(&h, &bfd, false, "x", now += 50000);
	health_session(&h, &bfd, true, "session up", now += 50000);
	health_session(&h, &bfd, true, "session up", now += 50000);
	assert_int_equal(h.state, HEALTH_DOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_down_after_fail_up_after_rise),
		cmocka_unit_test(test_two_percent_loss_never_moves),
		cmocka_unit_test(test_one_in_seven_lost_after_recovery),
		cmocka_unit_test(test_degraded_and_back),
		cmocka_unit_test(test_flaps_are_damped),
		cmocka_unit_test(test_degraded_disabled),
		cmocka_unit_test(test_degraded_by_rtt),
		cmocka_unit_test(test_starts_down_when_seeded),
		cmocka_unit_test(test_bfd_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
