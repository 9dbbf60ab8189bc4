/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SYN cookies in user space: what the AF_XDP workers put in their SYN-ACKs,
 * and the same check the XDP program makes on the client's ACK.  The
 * layout and the hash are in cookie-hash.h; time is CLOCK_MONOTONIC in
 * nanoseconds, the clock of bpf_ktime_get_ns().
 */
#ifndef GWD_XDP_COOKIE_H
#define GWD_XDP_COOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include "gwd/xdp/cookie-hash.h"

#define COOKIE_MSS_MAX	8

extern const uint16_t cookie_mss_table[COOKIE_MSS_MAX];

/* The index of the largest table MSS not above the client's (0 when the
 * client's is below them all, or absent: pass 0). */
unsigned cookie_mss_index(unsigned client_mss);

/* The ISN of our SYN-ACK for a SYN (client ISN = the SYN's seq) arriving at
 * now_ns; *mss_out (may be NULL) is the MSS to advertise.  Uses the current
 * key; keys->valid must have SYN_COOKIE_CUR_VALID. */
uint32_t cookie_make(const struct syn_cookie_keys *keys, const struct cookie_tuple *t,
		     uint32_t client_isn, uint64_t now_ns, unsigned client_mss,
		     unsigned *mss_out);

/* The client's ACK: seq = client_isn + 1, ack_seq = cookie + 1.  True when
 * valid; *mss_out (may be NULL) is the MSS the SYN-ACK advertised. */
bool cookie_check(const struct syn_cookie_keys *keys, const struct cookie_tuple *t,
		  uint32_t client_isn, uint32_t ack_seq, uint64_t now_ns,
		  unsigned *mss_out);

/* previous := current, current := getrandom().  Returns 0 or -errno (the
 * keys are unchanged then). */
int cookie_keys_rotate(struct syn_cookie_keys *keys);

/* An IPv4 address (network order, 4 bytes) as IPv4-mapped IPv6. */
void cookie_addr_v4(uint8_t out[16], const void *v4);

#endif
