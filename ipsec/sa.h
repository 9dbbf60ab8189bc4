/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SAs charon reports: an IKE_SA section as list-sas streams it
 * ("list-sa" events) and as ike-updown and child-updown carry it, read
 * into fixed structs.  Only what gwd decides on or shows is kept; anything
 * missing stays empty or -1, anything too long is cut, and a section that
 * is not one at all is -EBADMSG.
 */
#ifndef GWD_IPSEC_SA_H
#define GWD_IPSEC_SA_H

#include <stdbool.h>
#include <stdint.h>

#include "ipsec/vici-msg.h"

#define IPSEC_CHILD_MAX	4	/* CHILD_SAs kept per IKE_SA: one, and its rekeying */

struct ipsec_child {
	uint32_t uniqueid;
	char name[64];
	char state[24];			/* INSTALLED, REKEYING, REKEYED, DELETING ... */
	char mode[16];			/* TUNNEL, TRANSPORT */
	char spi_in[12], spi_out[12];	/* hex, as charon prints them */
	char encr[32];
	uint64_t bytes_in, packets_in, bytes_out, packets_out;
	int64_t rekey_s, life_s, install_s;	/* -1: not reported */
};

struct ipsec_ike {
	char name[64];			/* the connection's */
	uint32_t uniqueid;
	char state[24];			/* ESTABLISHED, CONNECTING, DELETING ... */
	char local_host[48], remote_host[48];
	char local_id[128], remote_id[128];
	char encr[32], prf[32], dh[32];
	bool initiator;
	int64_t established_s, rekey_s, reauth_s;	/* -1: not reported */
	/* In the report's order; when full, an installed one displaces one that is not. */
	struct ipsec_child child[IPSEC_CHILD_MAX];
	size_t n_child;
	size_t children_dropped;	/* past IPSEC_CHILD_MAX */
	size_t installed;		/* of all, kept or dropped */
};

/* The IKE_SA section e (its name is the connection's) into *out. */
int ipsec_ike_parse(const struct vici_elem *e, struct ipsec_ike *out);

/*
 * The first IKE_SA section of a list-sa or updown message into *out:
 * 0, -ENOENT when there is none, -EBADMSG.
 */
int ipsec_msg_ike(const struct vici_msg *m, struct ipsec_ike *out);

/* Whether a CHILD_SA carries traffic: installed, or installed and rekeying. */
bool ipsec_child_installed(const struct ipsec_child *c);

#endif
