// SPDX-License-Identifier: GPL-2.0
/*
 * BFD control packets from the network, into a live session: the input is
 * a sequence of records (length byte, time step in ms, that many bytes of
 * packet), so that the fuzzer drives the state machine through time as
 * well as through the decoder.  Whatever arrives, what the session sends
 * back must be valid BFD: decodable, never Poll and Final together, the
 * slow rate while not Up, and a Your Discriminator once the peer is known.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "gwd/bfd-packet.h"
#include "gwd/bfd-session.h"

static void check_sent(const struct bfd_packet *out)
{
	uint8_t buf[BFD_PACKET_LEN];
	struct bfd_packet back;

	assert(!(out->poll && out->final));
	assert(out->state == BFD_UP || out->desired_min_tx_us >= 1000000);
	assert(out->your_discr || out->state <= BFD_DOWN);
	bfd_packet_encode(out, buf);
	assert(bfd_packet_decode(buf, sizeof(buf), &back, NULL) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct probe_conf pc = { .kind = PROBE_BFD, .interval_ms = 50, .fail = 3 };
	struct bfd_session s;
	uint64_t now = 1000000;
	size_t off = 0;

	bfd_session_init(&s, &pc, 0x1234, 1, now);
	while (off + 2 <= size) {
		size_t len = data[off];
		struct bfd_packet in, out;
		const char *why = NULL;

		now += data[off + 1] * 1000ull;
		off += 2;
		if (len > size - off)
			len = size - off;
		if (bfd_session_detect_deadline(&s) <= now)
			bfd_session_expire(&s, now);
		if (bfd_packet_decode(data + off, len, &in, &why) == 0)
			bfd_session_rx(&s, &in, now);
		else
			assert(why);	/* every rejection says why */
		off += len;
		if (bfd_session_next_tx(&s) <= now) {
			bfd_session_tx(&s, now, &out);
			check_sent(&out);
		}
	}
	return 0;
}
