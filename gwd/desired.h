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
 * How fit a path is to carry traffic now, worst first.  NULL means every
 * path is up.
 *   PATH_DRAINED   taken out by the operator: never carries traffic
 *   PATH_UNUSABLE  down
 *   PATH_LAST      down, but among the paths that carried the traffic when
 *                  a path last worked: kept when nothing is usable
 *   PATH_DEGRADED  up, with loss or RTT over the thresholds
 *   PATH_UP
 */
enum { PATH_DRAINED, PATH_UNUSABLE, PATH_LAST, PATH_DEGRADED, PATH_UP };
typedef int (*path_rank_fn)(void *arg, const struct customer_conf *cu,
			    const struct path_conf *p);

int desired_build(const struct gw_conf *c, path_rank_fn rank, void *arg,
		  struct kstate *out);

/*
 * The paths that carry a prefix of the given family: among the paths whose
 * peer has that family, those of the best rank tier (up, else degraded,
 * else the last that carried traffic, else any that is not drained), and of
 * those the best (lowest) priority.  Down paths are used only when nothing
 * is usable, so that gwd never makes a black hole of its own.  Fills sel[]
 * (path indexes) and returns how many; *tier (optional) receives the rank
 * they were chosen at, PATH_DRAINED when none was.
 */
/* Whether cu has a prefix of the family: only those families need a path. */
bool desired_has_family(const struct customer_conf *cu, int family);

size_t desired_active_paths(const struct customer_conf *cu, int family,
			    path_rank_fn rank, void *arg,
			    size_t sel[KS_MAX_NEXTHOPS], int *tier);

#endif
