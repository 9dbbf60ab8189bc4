/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel objects a config asks for: per customer a VRF, a link and an
 * address per path, routes for its prefixes through its best paths, an
 * unreachable default per family, and the rules that steer its prefixes
 * into its table.
 */
#ifndef GWD_DESIRED_H
#define GWD_DESIRED_H

#include "conf/model.h"
#include "netlink/kobj.h"

/* Metric of gwd's routes to customer prefixes (IPv6's default, spelled out). */
#define GWD_ROUTE_METRIC 1024

/* Whether a path may carry traffic now; NULL means every path may. */
typedef bool (*path_usable_fn)(void *arg, const struct customer_conf *cu,
			       const struct path_conf *p);

int desired_build(const struct gw_conf *c, path_usable_fn usable, void *arg,
		  struct kstate *out);

/*
 * The paths that carry a prefix of the given family: the best (lowest)
 * priority among the usable paths whose peer has that family; when none is
 * usable, the best among all of them, so that gwd never makes a black hole
 * of its own.  Fills sel[] (path indexes) and returns how many.
 */
size_t desired_active_paths(const struct customer_conf *cu, int family,
			    path_usable_fn usable, void *arg,
			    size_t sel[KS_MAX_NEXTHOPS]);

#endif
