/* SYN cookies in user space (gwd/xdp/cookie.c, cookie-hash.h): the hash is
 * SipHash-2-4, a cookie round-trips, every input it covers breaks it, slots
 * expire, a rotation keeps the previous key for one more rotation, the MSS
 * index comes back. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "gwd/xdp/cookie.h"

#define SLOT (1ull << COOKIE_SLOT_SHIFT)

/* SipHash-2-4 as the paper writes it, any length, little endian. */
static uint64_t ref_siphash(const uint8_t key[16], const uint8_t *m, size_t len)
{
	uint64_t k0, k1, v0, v1, v2, v3, b = (uint64_t)len << 56;
	size_t i;

	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	v0 = 0x736f6d6570736575ull ^ k0;
	v1 = 0x646f72616e646f6dull ^ k1;
	v2 = 0x6c7967656e657261ull ^ k0;
	v3 = 0x7465646279746573ull ^ k1;
	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, m + i, 8);
		SIP_WORD(v0, v1, v2, v3, w);
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)m[i + j] << (8 * j);
	SIP_WORD(v0, v1, v2, v3, b);
	v2 ^= 0xff;
	for (int r = 0; r < 4; r++)
		SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

static void test_siphash(void **state)
{
	uint8_t key[16], msg[56];
	struct syn_cookie_key k;
	struct cookie_tuple t;
	uint32_t isn = 0x89abcdef;
	uint64_t slot = 0x0123456789abcdefull, mss = 5, w4;

	for (int i = 0; i < 16; i++)
		key[i] = i;
	for (int i = 0; i < 15; i++)
		msg[i] = i;
	/* The paper's vector: key 00..0f, message 00..0e. */
	assert_true(ref_siphash(key, msg, 15) == 0xa129ca6149be45e5ull);

	/* The unrolled one over a tuple = the reference over its 7 words. */
	memcpy(&k.k0, key, 8);
	memcpy(&k.k1, key + 8, 8);
	for (int i = 0; i < 16; i++) {
		t.saddr[i] = 0x10 + i;
		t.daddr[i] = 0x80 + i;
	}
	t.sport = htons(40000);
	t.dport = htons(443);
	w4 = (uint64_t)t.sport | (uint64_t)t.dport << 16 | (uint64_t)isn << 32;
	memcpy(msg, t.saddr, 16);
	memcpy(msg + 16, t.daddr, 16);
	memcpy(msg + 32, &w4, 8);
	memcpy(msg + 40, &slot, 8);
	memcpy(msg + 48, &mss, 8);
	assert_true(cookie_siphash(&k, &t, isn, slot, mss) == ref_siphash(key, msg, 56));
}

static struct cookie_tuple tuple4(const char *s, int sport, const char *d, int dport)
{
	struct cookie_tuple t = { 0 };
	uint8_t a[4];

	inet_pton(AF_INET, s, a);
	cookie_addr_v4(t.saddr, a);
	inet_pton(AF_INET, d, a);
	cookie_addr_v4(t.daddr, a);
	t.sport = htons(sport);
	t.dport = htons(dport);
	return t;
}

static struct syn_cookie_keys fresh_keys(void)
{
	struct syn_cookie_keys k = { 0 };

	assert_int_equal(cookie_keys_rotate(&k), 0);
	assert_int_equal(k.valid, SYN_COOKIE_CUR_VALID);
	return k;
}

static void test_round_trip(void **state)
{
	struct syn_cookie_keys k = fresh_keys();
	struct cookie_tuple t = tuple4("100.64.1.1", 40000, "203.0.113.10", 443);
	uint64_t now = 1000 * SLOT + 12345;
	unsigned adv, got;
	uint32_t c = cookie_make(&k, &t, 0x11223344, now, 1460, &adv);

	assert_int_equal(adv, 1460);
	assert_int_equal(c >> COOKIE_SLOTLO_SHIFT, 1000 & 3);
	assert_true(cookie_check(&k, &t, 0x11223344, c + 1, now, &got));
	assert_int_equal(got, 1460);
	/* ack_seq is the cookie + 1, not the cookie. */
	assert_false(cookie_check(&k, &t, 0x11223344, c, now, NULL));
}

/* Every field the hash covers, and every bit of the cookie, matters. */
static void test_fields(void **state)
{
	struct syn_cookie_keys k = fresh_keys();
	struct cookie_tuple t = tuple4("100.64.1.1", 40000, "203.0.113.10", 443), u;
	uint64_t now = 77 * SLOT;
	uint32_t isn = 7, c = cookie_make(&k, &t, isn, now, 1460, NULL);

	for (int i = 0; i < 16; i++) {
		u = t; u.saddr[i] ^= 1;
		assert_false(cookie_check(&k, &u, isn, c + 1, now, NULL));
		u = t; u.daddr[i] ^= 0x80;
		assert_false(cookie_check(&k, &u, isn, c + 1, now, NULL));
	}
	u = t; u.sport ^= htons(1);
	assert_false(cookie_check(&k, &u, isn, c + 1, now, NULL));
	u = t; u.dport = htons(80);
	assert_false(cookie_check(&k, &u, isn, c + 1, now, NULL));
	/* Ports swapped: not the same connection. */
	u = t; u.sport = t.dport; u.dport = t.sport;
	assert_false(cookie_check(&k, &u, isn, c + 1, now, NULL));
	assert_false(cookie_check(&k, &t, isn + 1, c + 1, now, NULL));
	for (int b = 0; b < 32; b++)
		assert_false(cookie_check(&k, &t, isn, (c ^ 1u << b) + 1, now, NULL));
	/* Another key. */
	struct syn_cookie_keys other = fresh_keys();

	assert_false(cookie_check(&other, &t, isn, c + 1, now, NULL));
	/* No valid key: nothing passes, not even under the all-zero key. */
	struct syn_cookie_keys none = { 0 };
	uint32_t zc = cookie_value(&none.cur, &t, isn, now >> COOKIE_SLOT_SHIFT, 7);

	assert_false(cookie_check(&none, &t, isn, zc + 1, now, NULL));
	assert_true(cookie_check(&k, &t, isn, c + 1, now, NULL));
}

/* Made in slot s: valid in s and s+1, not before, not in s+2 or later. */
static void test_slots(void **state)
{
	struct syn_cookie_keys k = fresh_keys();
	struct cookie_tuple t = tuple4("100.64.1.1", 40000, "203.0.113.10", 443);

	for (uint64_t s = 1; s < 12; s++) {
		uint64_t made = s * SLOT + SLOT - 1;	/* its last nanosecond */
		uint32_t c = cookie_make(&k, &t, 99, made, 1460, NULL);

		assert_true(cookie_check(&k, &t, 99, c + 1, made, NULL));
		assert_true(cookie_check(&k, &t, 99, c + 1, made + 1, NULL));
		assert_true(cookie_check(&k, &t, 99, c + 1, made + SLOT, NULL));
		assert_false(cookie_check(&k, &t, 99, c + 1, made + SLOT + 1, NULL));
		assert_false(cookie_check(&k, &t, 99, c + 1, made + 4 * SLOT, NULL));
		assert_false(cookie_check(&k, &t, 99, c + 1, made + 5 * SLOT, NULL));
		assert_false(cookie_check(&k, &t, 99, c + 1, made - SLOT, NULL));
	}
	/* Slot 0 has no slot before it. */
	uint32_t c = cookie_make(&k, &t, 99, 3 * SLOT, 1460, NULL);

	assert_false(cookie_check(&k, &t, 99, c + 1, 0, NULL));
}

static void test_rotation(void **state)
{
	struct syn_cookie_keys k = fresh_keys();
	struct cookie_tuple t = tuple4("100.64.1.1", 40000, "203.0.113.10", 443);
	uint64_t now = 5 * SLOT;
	uint32_t c = cookie_make(&k, &t, 1, now, 1460, NULL), c2;
	struct syn_cookie_key first = k.cur;

	assert_int_equal(cookie_keys_rotate(&k), 0);
	assert_int_equal(k.valid, SYN_COOKIE_CUR_VALID | SYN_COOKIE_PREV_VALID);
	assert_int_equal(k.generation, 2);
	assert_memory_equal(&k.prev, &first, sizeof(first));
	assert_memory_not_equal(&k.cur, &first, sizeof(first));
	assert_true(cookie_check(&k, &t, 1, c + 1, now, NULL));	/* previous key */
	c2 = cookie_make(&k, &t, 1, now, 1460, NULL);
	assert_true(c2 != c);
	assert_true(cookie_check(&k, &t, 1, c2 + 1, now, NULL));
	assert_int_equal(cookie_keys_rotate(&k), 0);
	assert_false(cookie_check(&k, &t, 1, c + 1, now, NULL));	/* two rotations */
	assert_true(cookie_check(&k, &t, 1, c2 + 1, now, NULL));
}

static void test_mss(void **state)
{
	struct syn_cookie_keys k = fresh_keys();
	struct cookie_tuple t = tuple4("100.64.1.1", 40000, "203.0.113.10", 443);
	static const struct { unsigned client, adv; } cases[] = {
		{ 0, 536 }, { 100, 536 }, { 536, 536 }, { 1219, 536 }, { 1220, 1220 },
		{ 1300, 1280 }, { 1436, 1436 }, { 1440, 1436 }, { 1460, 1460 },
		{ 8960, 1460 }, { 65535, 1460 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned adv, got;
		uint32_t c = cookie_make(&k, &t, 5, SLOT, cases[i].client, &adv);

		assert_int_equal(adv, cases[i].adv);
		assert_int_equal(cookie_mss_table[(c >> COOKIE_MSS_SHIFT) & 7], adv);
		assert_true(cookie_check(&k, &t, 5, c + 1, SLOT, &got));
		assert_int_equal(got, adv);
	}
	/* The MSS index is hashed: changing it breaks the cookie. */
	uint32_t c = cookie_make(&k, &t, 5, SLOT, 1460, NULL);

	for (uint32_t m = 0; m < 7; m++) {
		uint32_t f = (c & ~(7u << COOKIE_MSS_SHIFT)) | m << COOKIE_MSS_SHIFT;

		assert_false(cookie_check(&k, &t, 5, f + 1, SLOT, NULL));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_mss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
