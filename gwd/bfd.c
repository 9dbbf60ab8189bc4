// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gwd/bfd-session.h"
#include "gwd/bfd.h"
#include "gwd/log.h"

#define BFD_PORT	3784	/* RFC 5881 §4: single-hop control packets */
#define SRC_PORT_MIN	49152	/* §4: the source port range, to 65535 */
#define SRC_PORT_TRIES	64
#define HOP_LIMIT	255	/* §5: sent with, and only accepted with */
#define DSCP_CS6	0xc0	/* the TOS / traffic class byte */

struct bfd {
	sd_event *ev;
	sd_event_source *rx_io, *tx_timer, *detect_timer;
	int rx_fd, tx_fd;		/* -1: not made (yet) */
	int ifindex;			/* of the link the sockets are bound to */
	uint16_t src_port;		/* §4: one per session, kept when reopening */
	struct path_conf path;		/* a copy: the config may be replaced */
	struct bfd_session s;
	uint64_t rx_packets, tx_packets, rx_invalid;
	bfd_cb cb;
	void *arg;
	struct bfd *next;		/* all sessions, for unique discriminators */
};

static struct bfd *sessions;

union sa {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

static socklen_t make_sa(union sa *sa, const struct gw_addr *a, uint16_t port)
{
	memset(sa, 0, sizeof(*sa));
	if (a->family == AF_INET) {
		sa->v4.sin_family = AF_INET;
		sa->v4.sin_addr = a->v4;
		sa->v4.sin_port = htons(port);
		return sizeof(sa->v4);
	}
	sa->v6.sin6_family = AF_INET6;
	sa->v6.sin6_addr = a->v6;
	sa->v6.sin6_port = htons(port);
	return sizeof(sa->v6);
}

/*
 * Discriminators, ports and jitter need to be unpredictable to other hosts,
 * not secret: never block for entropy at boot.
 */
static uint64_t random64(void)
{
	static uint64_t fallback;
	struct timespec ts;
	uint64_t r;

	if (getrandom(&r, sizeof(r), GRND_INSECURE) == sizeof(r))
		return r;
	/* Kernels before 5.6 lack GRND_INSECURE. */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == sizeof(r))
		return r;
	/* Early at boot there: the clock, and a counter for calls within a tick. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fallback += 0x9e3779b97f4a7c15ull;
	return fallback ^ ((uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec) *
			  0xbf58476d1ce4e5b9ull;
}

static uint16_t random_port(void)
{
	return (uint16_t)(SRC_PORT_MIN + random64() % (65536 - SRC_PORT_MIN));
}

/* RFC 5880 §6.3: nonzero and unique within the system (gwd is its BFD speaker). */
static uint32_t new_discr(void)
{
	for (;;) {
		uint32_t d = (uint32_t)random64();
		const struct bfd *o = sessions;

		while (o && o->s.local_discr != d)
			o = o->next;
		if (d && !o)
			return d;
	}
}

static int set_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno : 0;
}

static bool is_v6(const struct path_conf *p)
{
	return p->address.addr.family == AF_INET6;
}

/*
 * A UDP socket on the path's link only, bound to the path's address and
 * port.  The address may not be on the link yet (the link is being made):
 * free bind.
 */
static int path_socket(const struct path_conf *p, uint16_t port, int *fdp)
{
	int fd = socket(p->address.addr.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			IPPROTO_UDP);
	union sa sa;
	socklen_t len = make_sa(&sa, &p->address.addr, port);
	int ret;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, p->ifname, strlen(p->ifname) + 1) < 0) {
		ret = -errno;
		goto out;
	}
	ret = is_v6(p) ? set_int(fd, SOL_IPV6, IPV6_FREEBIND, 1)
		       : set_int(fd, SOL_IP, IP_FREEBIND, 1);
	if (ret < 0)
		goto out;
	if (bind(fd, &sa.sa, len) < 0) {
		ret = -errno;
		goto out;
	}
	*fdp = fd;
	return 0;
out:
	close(fd);
	return ret;
}

/* Port 3784 on the path's address and link: another link may use the same address. */
static int open_rx(const struct path_conf *p, int *fdp)
{
	int fd, ret = path_socket(p, BFD_PORT, &fd);

	if (ret < 0)
		return ret;
	/* The hop limit of every packet, to accept 255 only (§5). */
	ret = is_v6(p) ? set_int(fd, SOL_IPV6, IPV6_RECVHOPLIMIT, 1)
		       : set_int(fd, SOL_IP, IP_RECVTTL, 1);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	*fdp = fd;
	return 0;
}

/* From the session's source port, or a new one when another socket holds it. */
static int open_tx(struct bfd *b, int *fdp)
{
	const struct path_conf *p = &b->path;
	int fd, ret = -EADDRINUSE;

	for (int i = 0; i < SRC_PORT_TRIES && ret == -EADDRINUSE; i++) {
		if (i)
			b->src_port = random_port();
		ret = path_socket(p, b->src_port, &fd);
	}
	if (ret < 0)
		return ret;
	ret = is_v6(p) ? set_int(fd, SOL_IPV6, IPV6_UNICAST_HOPS, HOP_LIMIT)
		       : set_int(fd, SOL_IP, IP_TTL, HOP_LIMIT);
	/*
	 * Network control (CS6), as routers mark BFD: a return path loaded
	 * with clean traffic must not lose its liveness packets first.
	 */
	if (!ret)
		ret = is_v6(p) ? set_int(fd, SOL_IPV6, IPV6_TCLASS, DSCP_CS6)
			       : set_int(fd, SOL_IP, IP_TOS, DSCP_CS6);
	/*
	 * Nothing is read from this socket: what others send to its port
	 * should cost little memory until it overflows and is dropped.
	 */
	if (!ret)
		ret = set_int(fd, SOL_SOCKET, SO_RCVBUF, 1);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	*fdp = fd;
	return 0;
}

static void close_sockets(struct bfd *b)
{
	b->rx_io = sd_event_source_disable_unref(b->rx_io);
	if (b->rx_fd >= 0)
		close(b->rx_fd);
	if (b->tx_fd >= 0)
		close(b->tx_fd);
	b->rx_fd = b->tx_fd = -1;
}

static int on_rx(sd_event_source *src, int fd, uint32_t revents, void *arg);

static int open_sockets(struct bfd *b)
{
	socklen_t len = sizeof(b->ifindex);
	int ret;

	ret = open_rx(&b->path, &b->rx_fd);
	if (ret < 0)
		return ret;
	ret = open_tx(b, &b->tx_fd);
	if (ret < 0)
		goto err;
	if (getsockopt(b->tx_fd, SOL_SOCKET, SO_BINDTOIFINDEX, &b->ifindex, &len) < 0) {
		ret = -errno;
		goto err;
	}
	ret = sd_event_add_io(b->ev, &b->rx_io, b->rx_fd, EPOLLIN, on_rx, b);
	if (ret < 0)
		goto err;
	return 0;
err:
	close_sockets(b);
	return ret;
}

static int received_hop_limit(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		int v;

		if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_TTL) ||
		    (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v;
		}
	}
	return -1;
}

static bool from_peer(const struct bfd *b, const union sa *from)
{
	const struct gw_addr *peer = &b->path.peer;

	if (from->sa.sa_family != peer->family)
		return false;
	if (peer->family == AF_INET)
		return from->v4.sin_addr.s_addr == peer->v4.s_addr;
	return !memcmp(&from->v6.sin6_addr, &peer->v6, sizeof(peer->v6));
}

/* To the session (*ret: what it said), or why not. */
static const char *take_packet(struct bfd *b, struct msghdr *m, size_t len, uint64_t now,
			       int *ret)
{
	struct bfd_packet pkt;
	const char *why;

	if (!from_peer(b, m->msg_name))
		return "not from the peer";
	if (received_hop_limit(m) != HOP_LIMIT)
		return "hop limit not 255";
	if (bfd_packet_decode(m->msg_iov->iov_base, len, &pkt, &why) < 0)
		return why;
	*ret = bfd_session_rx(&b->s, &pkt, now);
	return *ret < 0 ? "your discriminator not ours" : NULL;
}

/* One received datagram: to the session, or dropped and counted. */
static void on_packet(struct bfd *b, struct msghdr *m, size_t len, uint64_t now)
{
	int ret = 0;
	const char *why = take_packet(b, m, len, now, &ret);

	if (why) {
		b->rx_invalid++;
		log_debug("bfd %s: packet dropped: %s", b->path.ifname, why);
		return;
	}
	b->rx_packets++;
	if (ret > 0)
		b->cb(b->arg, b->s.state == BFD_UP, b->s.reason);
	else if (b->s.state == BFD_UP)
		b->cb(b->arg, true, "control packet");
}

/* Everything pending: the loop may have been busy with other work. */
static void read_packets(struct bfd *b, uint64_t now)
{
	/* The Length field is one byte: nothing past 255 is ever read. */
	uint8_t buf[256];
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(int)) * 4];
	} ctl;

	while (b->rx_fd >= 0) {
		union sa from;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr m = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = &ctl, .msg_controllen = sizeof(ctl),
		};
		ssize_t n = recvmsg(b->rx_fd, &m, 0);

		if (n < 0)
			break;
		on_packet(b, &m, (size_t)n, now);
	}
}

static void arm(sd_event_source *t, uint64_t at)
{
	if (at == BFD_NEVER) {
		sd_event_source_set_enabled(t, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(t, at);
	sd_event_source_set_enabled(t, SD_EVENT_ONESHOT);
}

/* Both times move with every packet in or out. */
static void rearm(struct bfd *b)
{
	arm(b->tx_timer, bfd_session_next_tx(&b->s));
	arm(b->detect_timer, bfd_session_detect_deadline(&b->s));
}

static uint64_t loop_now(const struct bfd *b)
{
	uint64_t now;

	sd_event_now(b->ev, CLOCK_MONOTONIC, &now);
	return now;
}

static int on_rx(sd_event_source *src, int fd, uint32_t revents, void *arg)
{
	struct bfd *b = arg;

	read_packets(b, loop_now(b));
	rearm(b);
	return 0;
}

/* Is the link named ifname another one than the sockets are bound to (deleted, made anew)? */
static bool link_changed(const struct bfd *b)
{
	return (int)if_nametoindex(b->path.ifname) != b->ifindex;
}

/* The session's next packet; it counts as sent for the session even without a socket. */
static void transmit(struct bfd *b, uint64_t now)
{
	uint8_t buf[BFD_PACKET_LEN];
	struct bfd_packet pkt;
	union sa to;
	socklen_t len = make_sa(&to, &b->path.peer, BFD_PORT);
	int err;

	bfd_session_tx(&b->s, now, &pkt);
	if (b->tx_fd < 0)
		return;
	bfd_packet_encode(&pkt, buf);
	if (sendto(b->tx_fd, buf, sizeof(buf), 0, &to.sa, len) == (ssize_t)sizeof(buf)) {
		b->tx_packets++;
		return;
	}
	err = errno;
	log_debug("bfd %s: send: %s", b->path.ifname, strerror(err));
	/*
	 * The link was deleted (and maybe made again): the sockets are bound
	 * to its old index, which IPv6 reports as unreachable rather than
	 * ENODEV.  Bind to the link under that name at the next packet.
	 */
	if (err == ENODEV || err == ENXIO || link_changed(b))
		close_sockets(b);
}

static int on_tx(sd_event_source *src, uint64_t usec, void *arg)
{
	struct bfd *b = arg;
	int ret;

	if (b->rx_fd < 0) {
		ret = open_sockets(b);
		if (ret < 0)
			log_debug("bfd %s: no sockets yet: %s", b->path.ifname, strerror(-ret));
	}
	transmit(b, loop_now(b));
	rearm(b);
	return 0;
}

static int on_detect(sd_event_source *src, uint64_t usec, void *arg)
{
	struct bfd *b = arg;
	uint64_t now = loop_now(b);

	/* A packet may sit unread while the loop was busy: it still counts. */
	read_packets(b, now);
	if (bfd_session_expire(&b->s, now))
		b->cb(b->arg, false, b->s.reason);
	rearm(b);
	return 0;
}

static void destroy(struct bfd *b)
{
	struct bfd **pp = &sessions;

	while (*pp && *pp != b)
		pp = &(*pp)->next;
	if (*pp)
		*pp = b->next;
	close_sockets(b);
	sd_event_source_disable_unref(b->tx_timer);
	sd_event_source_disable_unref(b->detect_timer);
	free(b);
}

int bfd_start(sd_event *ev, const struct path_conf *p, bfd_cb cb, void *arg,
	      struct bfd **out)
{
	struct bfd *b;
	uint64_t now;
	int ret;

	if ((p->address.addr.family != AF_INET && p->address.addr.family != AF_INET6) ||
	    p->peer.family != p->address.addr.family)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->ev = ev;
	b->rx_fd = b->tx_fd = -1;
	b->path = *p;
	b->cb = cb;
	b->arg = arg;
	b->src_port = random_port();
	sd_event_now(ev, CLOCK_MONOTONIC, &now);
	ret = bfd_session_init(&b->s, &p->probe, new_discr(), random64(), now);
	if (ret < 0) {
		free(b);
		return ret;
	}
	b->next = sessions;
	sessions = b;
	/* A missing link is the link's business: the first tick tries again. */
	ret = open_sockets(b);
	if (ret < 0 && ret != -ENODEV)
		goto err;
	/* Accuracy 1 µs: sd-event's default would delay timers by up to 250 ms. */
	ret = sd_event_add_time(ev, &b->tx_timer, CLOCK_MONOTONIC, now, 1, on_tx, b);
	if (ret < 0)
		goto err;
	ret = sd_event_add_time(ev, &b->detect_timer, CLOCK_MONOTONIC, now, 1, on_detect, b);
	if (ret < 0)
		goto err;
	rearm(b);
	*out = b;
	return 0;
err:
	destroy(b);
	return ret;
}

void bfd_stop(struct bfd *b, bool admin_down)
{
	if (!b)
		return;
	if (admin_down) {
		uint64_t now = loop_now(b);

		bfd_session_admin_down(&b->s, BFD_DIAG_ADMIN_DOWN, now);
		transmit(b, now);
	}
	destroy(b);
}

void bfd_set_arg(struct bfd *b, void *arg)
{
	b->arg = arg;
}

void bfd_get_status(const struct bfd *b, struct bfd_status *st)
{
	uint64_t detect = bfd_session_detect_time_us(&b->s);

	*st = (struct bfd_status){
		.state = bfd_state_name(b->s.state),
		.remote_state = bfd_state_name(b->s.remote_state),
		.diag = bfd_diag_name(b->s.diag),
		.local_discr = b->s.local_discr,
		.remote_discr = b->s.remote_discr,
		.tx_interval_us = bfd_session_tx_interval_us(&b->s),
		.detect_time_us = detect > UINT32_MAX ? UINT32_MAX : (uint32_t)detect,
		.rx_packets = b->rx_packets,
		.tx_packets = b->tx_packets,
		.rx_invalid = b->rx_invalid,
	};
}
