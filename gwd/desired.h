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

/*
 * How fit a path is to carry traffic now: PATH_UNUSABLE, PATH_DEGRADED or
 * PATH_UP.  NULL means every path is up.
 */
enum { PATH_UNUSABLE, PATH_DEGRADED, PATH_UP };
typedef int (*path_rank_fn)(void *arg, const struct customer_conf *cu,
			    const struct path_conf *p);

int desired_build(const struct gw_conf *c, path_rank_fn rank, void *arg,
		  struct kstate *out);

/*
 * The paths that carry a prefix of the given family: among the paths whose
 * peer has that family, the up ones if any, else the degraded ones, and of
 * those the best (lowest) priority; when none is usable, the best among all
 * of them, so that gwd never makes a black hole of its own.  Fills sel[] (path indexes) and returns how many.
 */
size_t desired_active_paths(const struct customer_conf *cu, int family,
			    path_rank_fn rank, void *arg,
			    size_t sel[KS_MAX_NEXTHOPS]);

#endif
