/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SYN cookie, one definition for the XDP program (syn.bpf.c, which
 * checks the client's ACK) and user space (cookie.c: the AF_XDP workers
 * that answer SYNs, the tests).  Header only, 64-bit arithmetic, no loops:
 * clang -target bpf and gcc compile the same code, and both run on the same
 * host, so the words hashed are the same bytes in the same order.
 *
 * Cookie layout, the 32-bit ISN of our SYN-ACK (host order; on the wire it
 * is the TCP sequence number, big endian like any other):
 *
 *    31 30 29  27 26                                        0
 *   +-----+------+-------------------------------------------+
 *   |slot |  mss |  SipHash-2-4 (key, input below), low 27 bits |
 *   +-----+------+-------------------------------------------+
 *
 *   slot  the low 2 bits of the time slot the cookie was made in.  A slot is
 *         2^36 ns of bpf_ktime_get_ns() / CLOCK_MONOTONIC (68.7 s): a shift,
 *         never a division.  A cookie is accepted in its own slot and in the
 *         next, so it lives between one and two slot lengths (68.7..137 s).
 *   mss   index into cookie_mss_table[] (3 bits): the MSS our SYN-ACK
 *         advertised, the largest entry not above the client's.
 *   hash  SipHash-2-4 under a 128-bit key of 7 words:
 *           w0,w1  client address (saddr), 16 bytes, IPv4-mapped for IPv4
 *           w2,w3  server address (daddr), the same
 *           w4     sport | dport << 16 (network order, as in the header)
 *                  | client ISN << 32 (host order)
 *           w5     the full 64-bit slot number
 *           w6     the MSS index
 *         so every field, the whole slot and the MSS index are authenticated.
 *
 * Keys: struct syn_cookie_keys, map syn_cookie_keys (an array of one entry)
 * written by user space only: a current and a previous key.  Rotation is
 * previous := current, current := getrandom(); a cookie made under the
 * previous key stays valid for one rotation (rotate no more often than every
 * two slots, 137 s, or young cookies die early).  The map's value is copied
 * by the kernel without a lock: an ACK checked during the copy may see half
 * a key and be refused; its client's next SYN gets a fresh cookie.
 * A key whose valid bit is clear is never used: a cookie under an all-zero
 * key would be forgeable.
 */
#ifndef GWD_XDP_COOKIE_HASH_H
#define GWD_XDP_COOKIE_HASH_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define COOKIE_SLOT_SHIFT	36	/* 2^36 ns = 68.7 s */
#define COOKIE_SLOT_BITS	2
#define COOKIE_MSS_BITS		3
#define COOKIE_HASH_BITS	27
#define COOKIE_HASH_MASK	((1u << COOKIE_HASH_BITS) - 1)
#define COOKIE_MSS_SHIFT	COOKIE_HASH_BITS
#define COOKIE_SLOTLO_SHIFT	(COOKIE_HASH_BITS + COOKIE_MSS_BITS)

/* MSS values a SYN-ACK may advertise (Linux's syncookies keep 4 per family;
 * 8 here for both): 536 the IPv4 minimum, 1220 the IPv6 one, 1436 behind a
 * GRE return path of MTU 1476, 1460 plain Ethernet. */
#define COOKIE_MSS_TABLE { 536, 1220, 1280, 1360, 1400, 1420, 1436, 1460 }

struct syn_cookie_key {
	__u64 k0, k1;
};

#define SYN_COOKIE_CUR_VALID	1u
#define SYN_COOKIE_PREV_VALID	2u

/* syn_cookie_keys: BPF_MAP_TYPE_ARRAY, one entry at index 0. */
struct syn_cookie_keys {
	struct syn_cookie_key cur;
	struct syn_cookie_key prev;
	__u32 valid;		/* SYN_COOKIE_*_VALID */
	__u32 generation;	/* rotations so far: for gwctl and logs */
};

/* The connection as the client's SYN names it. */
struct cookie_tuple {
	__u8 saddr[16];		/* client: IPv6, or IPv4-mapped */
	__u8 daddr[16];		/* server (the protected address) */
	__be16 sport;		/* client port, network order */
	__be16 dport;
};

#define SIP_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIP_ROUND(v0, v1, v2, v3) do {				\
	v0 += v1; v1 = SIP_ROTL(v1, 13); v1 ^= v0; v0 = SIP_ROTL(v0, 32); \
	v2 += v3; v3 = SIP_ROTL(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = SIP_ROTL(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = SIP_ROTL(v1, 17); v1 ^= v2; v2 = SIP_ROTL(v2, 32); \
} while (0)
#define SIP_WORD(v0, v1, v2, v3, m) do {				\
	v3 ^= (m);							\
	SIP_ROUND(v0, v1, v2, v3);					\
	SIP_ROUND(v0, v1, v2, v3);					\
	v0 ^= (m);							\
} while (0)

static __always_inline __u64 cookie_word(const __u8 *b)
{
	__u64 w;

	__builtin_memcpy(&w, b, 8);
	return w;
}

/* SipHash-2-4 of the 7 words above (56 bytes: the final block is 56 << 56). */
static __always_inline __u64 cookie_siphash(const struct syn_cookie_key *k,
					    const struct cookie_tuple *t,
					    __u32 isn, __u64 slot, __u32 mss_idx)
{
	__u64 v0 = 0x736f6d6570736575ull ^ k->k0;
	__u64 v1 = 0x646f72616e646f6dull ^ k->k1;
	__u64 v2 = 0x6c7967656e657261ull ^ k->k0;
	__u64 v3 = 0x7465646279746573ull ^ k->k1;
	__u64 w4 = (__u64)t->sport | (__u64)t->dport << 16 | (__u64)isn << 32;

	SIP_WORD(v0, v1, v2, v3, cookie_word(t->saddr));
	SIP_WORD(v0, v1, v2, v3, cookie_word(t->saddr + 8));
	SIP_WORD(v0, v1, v2, v3, cookie_word(t->daddr));
	SIP_WORD(v0, v1, v2, v3, cookie_word(t->daddr + 8));
	SIP_WORD(v0, v1, v2, v3, w4);
	SIP_WORD(v0, v1, v2, v3, slot);
	SIP_WORD(v0, v1, v2, v3, (__u64)mss_idx);
	SIP_WORD(v0, v1, v2, v3, 56ull << 56);
	v2 ^= 0xff;
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The cookie for a SYN in slot `slot` with MSS index mss_idx (< 8). */
static __always_inline __u32 cookie_value(const struct syn_cookie_key *k,
					  const struct cookie_tuple *t,
					  __u32 isn, __u64 slot, __u32 mss_idx)
{
	__u32 h = (__u32)cookie_siphash(k, t, isn, slot, mss_idx & 7);

	return (__u32)(slot & 3) << COOKIE_SLOTLO_SHIFT |
	       (mss_idx & 7) << COOKIE_MSS_SHIFT | (h & COOKIE_HASH_MASK);
}

/*
 * Is `cookie` (the client's ack_seq - 1) one we made for this tuple and
 * client ISN (its seq - 1), in the current slot or the one before, under
 * the current or the previous key?  Returns the MSS index (0..7), or -1.
 * At most two hashes: the slot comes from the cookie, not from trying.
 */
static __always_inline int cookie_verify(const struct syn_cookie_keys *keys,
					 const struct cookie_tuple *t,
					 __u32 isn, __u32 cookie, __u64 now_ns)
{
	__u64 slot = now_ns >> COOKIE_SLOT_SHIFT;
	__u32 lo = cookie >> COOKIE_SLOTLO_SHIFT;
	__u32 mss_idx = (cookie >> COOKIE_MSS_SHIFT) & 7;

	if (lo != (slot & 3)) {
		if (slot == 0 || lo != ((slot - 1) & 3))
			return -1;
		slot--;
	}
	if ((keys->valid & SYN_COOKIE_CUR_VALID) &&
	    cookie_value(&keys->cur, t, isn, slot, mss_idx) == cookie)
		return mss_idx;
	if ((keys->valid & SYN_COOKIE_PREV_VALID) &&
	    cookie_value(&keys->prev, t, isn, slot, mss_idx) == cookie)
		return mss_idx;
	return -1;
}

#endif
