// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "netlink/monitor.h"

#define MONITOR_RCVBUF (8 * 1024 * 1024)

struct monitor {
	struct mnl_socket *sock;
	char buf[64 * 1024];
};

int monitor_open(struct monitor **out)
{
	static const unsigned int groups[] = {
		RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
		RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE,
		RTNLGRP_IPV6_RULE,
	};
	struct monitor *m = calloc(1, sizeof(*m));
	int rcvbuf = MONITOR_RCVBUF, ret;

	if (!m)
		return -ENOMEM;
	m->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!m->sock) {
		ret = -errno;
		goto err;
	}
	if (setsockopt(mnl_socket_get_fd(m->sock), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(m->sock), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	if (mnl_socket_bind(m->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err;
	}
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		unsigned int group = groups[i];

		if (mnl_socket_setsockopt(m->sock, NETLINK_ADD_MEMBERSHIP,
					  &group, sizeof(group)) < 0) {
			ret = -errno;
			goto err;
		}
	}
	*out = m;
	return 0;
err:
	monitor_close(m);
	return ret;
}

void monitor_close(struct monitor *m)
{
	if (!m)
		return;
	if (m->sock)
		mnl_socket_close(m->sock);
	free(m);
}

int monitor_fd(const struct monitor *m)
{
	return mnl_socket_get_fd(m->sock);
}

int monitor_read(struct monitor *m, monitor_cb cb, void *arg)
{
	for (;;) {
		ssize_t len = mnl_socket_recvfrom(m->sock, m->buf, sizeof(m->buf));
		const struct nlmsghdr *nlh = (const void *)m->buf;
		int left = (int)len;

		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			if (errno == ENOBUFS) {
				cb(arg, NULL);
				continue;
			}
			return -errno;
		}
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			cb(arg, nlh);
	}
}
