/* Mode auto of the SYN fast path (gwd/xdp/auto.c): on at the threshold and
 * at once, no flapping between off_pps and on_pps, hold_s respected, a
 * counter that starts again is no flood, irregular sample intervals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "gwd/xdp/auto.h"

#define S  1000000000ull
#define MS 1000000ull

/* A sampler: SYNs arrive at pps from t on, sampled every step. */
struct feed {
	struct syn_auto a;
	uint64_t t, total;
};

/* pps for dur ns, sampled every step ns; the last event that was not NONE
 * and the time of the first one, in *when (may be NULL). */
static enum syn_auto_event run(struct feed *f, uint64_t pps, uint64_t dur,
			       uint64_t step, uint64_t *when)
{
	enum syn_auto_event last = SYN_AUTO_NONE, e;
	uint64_t end = f->t + dur;
	int events = 0;

	while (f->t < end) {
		f->t += step;
		f->total += pps * step / S;
		e = syn_auto_feed(&f->a, f->t, f->total);
		if (e != SYN_AUTO_NONE) {
			if (!events++ && when)
				*when = f->t;
			last = e;
		}
	}
	return last;
}

static void start(struct feed *f, uint32_t hold_s)
{
	memset(f, 0, sizeof(*f));
	f->t = 1000 * S;	/* CLOCK_MONOTONIC is not 0 */
	syn_auto_init(&f->a, 20000, 5000, hold_s, false);
	assert_int_equal(syn_auto_feed(&f->a, f->t, 0), SYN_AUTO_NONE);
}

static void test_on_at_threshold(void **state)
{
	struct feed f;
	uint64_t when = 0;

	start(&f, 60);
	/* Just below: never on, however long. */
	assert_int_equal(run(&f, 19990, 30 * S, 100 * MS, NULL), SYN_AUTO_NONE);
	assert_false(f.a.on);
	assert_int_equal(f.a.rate_pps, 19990);
	/* Exactly on_pps: on, within the window of the step up. */
	assert_int_equal(run(&f, 20000, 2 * S, 100 * MS, &when), SYN_AUTO_ON);
	assert_true(f.a.on);
	assert_true(when - (f.t - 2 * S) <= S);
	assert_string_equal(f.a.reason, "SYNs at 20000/s >= on_pps 20000");

	/* A flood far above: on at the first sample that sees it. */
	start(&f, 60);
	run(&f, 100, 5 * S, 100 * MS, NULL);
	when = 0;
	assert_int_equal(run(&f, 1000000, 1 * S, 100 * MS, &when), SYN_AUTO_ON);
	assert_int_equal(when, f.t - S + 100 * MS);
	assert_true(f.a.on);
	assert_non_null(strstr(f.a.reason, ">= on_pps 20000"));
}

static void test_no_flapping(void **state)
{
	struct feed f;

	start(&f, 0);	/* even without a hold */
	assert_int_equal(run(&f, 25000, 2 * S, 100 * MS, NULL), SYN_AUTO_ON);
	assert_string_equal(f.a.reason, "SYNs at 25000/s >= on_pps 20000");
	/* Between the thresholds, for long, up and down: stays on. */
	for (int i = 0; i < 50; i++) {
		assert_int_equal(run(&f, 6000, S, 100 * MS, NULL), SYN_AUTO_NONE);
		assert_int_equal(run(&f, 19000, S, 100 * MS, NULL), SYN_AUTO_NONE);
	}
	assert_true(f.a.on);
	/* Below off_pps with hold 0: off, once. */
	assert_int_equal(run(&f, 1000, 2 * S, 100 * MS, NULL), SYN_AUTO_OFF);
	assert_false(f.a.on);
	/* Between the thresholds again: stays off. */
	for (int i = 0; i < 50; i++)
		assert_int_equal(run(&f, 19990, S, 100 * MS, NULL), SYN_AUTO_NONE);
	assert_false(f.a.on);
}

static void test_hold(void **state)
{
	struct feed f;
	uint64_t when = 0, fell;

	start(&f, 60);
	assert_int_equal(run(&f, 50000, 5 * S, 100 * MS, NULL), SYN_AUTO_ON);
	/* Below off_pps for 59 s: still on. */
	fell = f.t;
	assert_int_equal(run(&f, 100, 59 * S, 100 * MS, NULL), SYN_AUTO_NONE);
	assert_true(f.a.on);
	/* Back above off_pps (below on_pps) for a moment: the hold starts over. */
	assert_int_equal(run(&f, 10000, 2 * S, 100 * MS, NULL), SYN_AUTO_NONE);
	fell = f.t;
	assert_int_equal(run(&f, 100, 59 * S, 100 * MS, NULL), SYN_AUTO_NONE);
	assert_true(f.a.on);
	assert_int_equal(run(&f, 100, 5 * S, 100 * MS, &when), SYN_AUTO_OFF);
	assert_false(f.a.on);
	/* Off hold_s after the rate (over its 1 s window) fell below off_pps. */
	assert_true(when >= fell + 60 * S);
	assert_true(when <= fell + 62 * S);
	assert_non_null(strstr(f.a.reason, "below off_pps 5000 for 60 s"));
}

static void test_counter_restart(void **state)
{
	struct feed f;

	start(&f, 60);
	assert_int_equal(run(&f, 1000, 10 * S, 100 * MS, NULL), SYN_AUTO_NONE);
	/* The counters start again from 0: far below, no flood of 2^64. */
	f.t += 100 * MS;
	f.total = 0;
	assert_int_equal(syn_auto_feed(&f.a, f.t, f.total), SYN_AUTO_NONE);
	assert_int_equal(f.a.restarts, 1);
	assert_false(f.a.have_rate);
	assert_int_equal(run(&f, 1000, 10 * S, 100 * MS, NULL), SYN_AUTO_NONE);
	assert_false(f.a.on);
	assert_int_equal(f.a.rate_pps, 1000);
	/* Started again from a small number, not 0 (a CPU gone, a new map). */
	f.t += 100 * MS;
	f.total = 7;
	assert_int_equal(syn_auto_feed(&f.a, f.t, f.total), SYN_AUTO_NONE);
	assert_int_equal(f.a.restarts, 2);
	assert_false(f.a.on);

	/* While on: a restart keeps it on, and the hold goes on from there. */
	assert_int_equal(run(&f, 30000, 2 * S, 100 * MS, NULL), SYN_AUTO_ON);
	f.t += 100 * MS;
	f.total = 3;
	assert_int_equal(syn_auto_feed(&f.a, f.t, f.total), SYN_AUTO_NONE);
	assert_true(f.a.on);
	assert_int_equal(run(&f, 30000, 10 * S, 100 * MS, NULL), SYN_AUTO_NONE);
	assert_true(f.a.on);

	/* Near 2^64 and past it: a wrap looks like a restart, and is one. */
	syn_auto_init(&f.a, 20000, 5000, 0, false);
	f.total = UINT64_MAX - 5000;
	assert_int_equal(syn_auto_feed(&f.a, f.t, f.total), SYN_AUTO_NONE);
	assert_int_equal(run(&f, 1000, 3 * S, 100 * MS, NULL), SYN_AUTO_NONE);
	assert_int_equal(f.a.rate_pps, 1000);
	f.t += S;
	f.total += 3000;	/* wraps to 999 */
	assert_int_equal(syn_auto_feed(&f.a, f.t, f.total), SYN_AUTO_NONE);
	assert_int_equal(f.a.restarts, 1);
	assert_int_equal(run(&f, 1000, 3 * S, 100 * MS, NULL), SYN_AUTO_NONE);
	assert_false(f.a.on);
}

static void test_irregular_samples(void **state)
{
	static const uint64_t steps[] = {
		7 * MS, 300 * MS, 1 * MS, 2500 * MS, 50 * MS, 999 * MS, 1001 * MS, 3 * MS,
	};
	struct feed f;
	size_t i;

	/* 15000/s sampled at any interval: one rate, never on. */
	start(&f, 60);
	for (i = 0; i < 200; i++) {
		uint64_t step = steps[i % 8];

		f.t += step;
		f.total += 15000 * step / MS / 1000;
		assert_int_equal(syn_auto_feed(&f.a, f.t, f.total), SYN_AUTO_NONE);
		assert_true(f.a.rate_pps >= 14900 && f.a.rate_pps <= 15100);
	}
	/* A sample after a 10 s gap: the rate over the gap. */
	f.t += 10 * S;
	f.total += 10 * 25000;
	assert_int_equal(syn_auto_feed(&f.a, f.t, f.total), SYN_AUTO_ON);
	assert_string_equal(f.a.reason, "SYNs at 25000/s >= on_pps 20000");
	/* A burst of 10000 in 1 ms: with a sample a second old, the window
	 * is that second and sees 10000/s, not 10 million. */
	start(&f, 60);
	f.t += S;
	assert_int_equal(syn_auto_feed(&f.a, f.t, 0), SYN_AUTO_NONE);
	f.t += MS;
	assert_int_equal(syn_auto_feed(&f.a, f.t, 10000), SYN_AUTO_NONE);
	assert_int_equal(f.a.rate_pps, 10000ull * S / (S + MS));
	assert_false(f.a.on);
	/* Without one (the first interval), the interval between samples is
	 * the window. */
	start(&f, 60);
	f.t += MS;
	assert_int_equal(syn_auto_feed(&f.a, f.t, 10000), SYN_AUTO_ON);
	assert_int_equal(f.a.rate_pps, 10000000);

	/* Many fast samples: the window stays about 1 s (or 64 samples). */
	start(&f, 60);
	assert_int_equal(run(&f, 10000, 5 * S, 5 * MS, NULL), SYN_AUTO_NONE);
	assert_int_equal(f.a.rate_pps, 10000);
	/* The same time twice: ignored. */
	assert_int_equal(syn_auto_feed(&f.a, f.t, f.total + 1000000), SYN_AUTO_NONE);
	assert_false(f.a.on);
}

static void test_set(void **state)
{
	struct feed f;

	start(&f, 60);
	assert_int_equal(run(&f, 15000, 3 * S, 100 * MS, NULL), SYN_AUTO_NONE);
	/* A reload lowers on_pps: the next sample judges by it. */
	syn_auto_set(&f.a, 10000, 2000, 0);
	assert_int_equal(run(&f, 15000, 100 * MS, 100 * MS, NULL), SYN_AUTO_ON);
	assert_string_equal(f.a.reason, "SYNs at 15000/s >= on_pps 10000");
	/* Started on (found on after a restart): off by the hold. */
	syn_auto_init(&f.a, 20000, 5000, 1, true);
	assert_int_equal(syn_auto_feed(&f.a, f.t, f.total), SYN_AUTO_NONE);
	assert_int_equal(run(&f, 0, 3 * S, 100 * MS, NULL), SYN_AUTO_OFF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_on_at_threshold),
		cmocka_unit_test(test_no_flapping),
		cmocka_unit_test(test_hold),
		cmocka_unit_test(test_counter_restart),
		cmocka_unit_test(test_irregular_samples),
		cmocka_unit_test(test_set),
	};

	return cmocka_run_group_tests_name("xdp-auto", tests, NULL, NULL);
}
