/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtnetlink events, on their own socket: links, addresses, routes and rules.
 * The owner polls monitor_fd() and calls monitor_read() when it is readable.
 */
#ifndef GWD_NETLINK_MONITOR_H
#define GWD_NETLINK_MONITOR_H

#include <libmnl/libmnl.h>

struct monitor;

/*
 * Called per event message; nlh == NULL means events were lost (ENOBUFS)
 * and everything must be dumped again.
 */
typedef void (*monitor_cb)(void *arg, const struct nlmsghdr *nlh);

int monitor_open(struct monitor **out);
void monitor_close(struct monitor *m);
int monitor_fd(const struct monitor *m);
/* Read what is queued, without blocking; 0 or negative errno. */
int monitor_read(struct monitor *m, monitor_cb cb, void *arg);

#endif
