/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPsec paths at run time: gwd drives charon over its vici socket.  It loads
 * one connection per IPsec path (ipsec/conn.h), initiates it and initiates it
 * again with backoff whenever it has no CHILD_SA, and follows the SAs through
 * charon's events.  A path whose CHILD_SA is gone is down at once; when it
 * is back, the path's probes must still prove it.  A rekey is not a flap.
 *
 * charon is the operator's: gwd never starts or stops it.  When it cannot be
 * reached, gwd connects again with backoff and loads everything anew; the
 * SAs the kernel still has keep carrying traffic meanwhile (for a GRE-mode
 * path, only once gwd knows again that its SA is there: GRE would otherwise
 * leave unencrypted).
 */
#ifndef GWD_IPSEC_H
#define GWD_IPSEC_H

#include <stdbool.h>

#include "conf/model.h"

struct gwd;
struct ctl_deferred;

enum ipsec_sa_state {
	IPSEC_SA_UNKNOWN,	/* charon not reachable, or not asked yet */
	IPSEC_SA_DOWN,
	IPSEC_SA_UP,		/* a CHILD_SA is installed */
};

/*
 * Match the connections to the running config: load new and changed ones
 * (terminating the SAs of a changed one, so they come back with the new
 * settings), unload removed ones, leave the others and their SAs alone.
 * Connects to site.vici_socket the first time there is an IPsec path.
 */
int gwd_ipsec_sync(struct gwd *g);
void gwd_ipsec_free(struct gwd *g);

enum ipsec_sa_state gwd_ipsec_sa(const struct gwd *g, const struct path_conf *p);
/* Whether the running config has IPsec paths. */
bool gwd_ipsec_configured(const struct gwd *g);
/*
 * Whether the SA state lets p carry traffic (see above for GRE mode).
 * carried: p carried traffic before, as the kernel's routes had it at the
 * start; until charon has answered once, that is taken for an SA up.
 */
bool gwd_ipsec_usable(const struct gwd *g, const struct path_conf *p,
		      bool carried);
/* "up", "down", "unknown", and why it is not up: charon's own words. */
const char *gwd_ipsec_state_name(enum ipsec_sa_state s);
const char *gwd_ipsec_why(const struct gwd *g, const struct path_conf *p);

/*
 * `show ipsec [CUSTOMER]`: asks charon for the SAs of the customer's paths
 * (all with customer NULL) and answers d when it has them.
 */
int gwd_ipsec_show(struct gwd *g, const char *customer, struct ctl_deferred *d);

#endif
