// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gwd/probe.h"

struct probe {
	sd_event *ev;
	sd_event_source *io, *timer;
	int fd;
	int family;
	struct path_conf path;		/* a copy: the config may be replaced */
	uint16_t ident, seq;
	uint64_t sent_us;		/* of the probe in flight */
	uint64_t next_send_us;
	bool answered;			/* the probe in flight was */
	bool judging;			/* the timer's next step is the timeout */
	bool unjudged;			/* no socket for the probe in flight */
	probe_cb cb;
	void *arg;
};

uint32_t probe_timeout_ms(const struct probe_conf *pc)
{
	/* By default an answer counts until the next probe goes out: a busy
	 * host or a slow customer router must not look like loss. */
	uint32_t t = pc->timeout_ms ? pc->timeout_ms : pc->interval_ms;

	/* Judged before the next probe goes: never longer than the interval. */
	return t > pc->interval_ms ? pc->interval_ms : t ? t : 1;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
}

static uint16_t csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* A socket that sends through the path's link only, from its address. */
static int open_socket(const struct path_conf *p)
{
	int family = p->address.addr.family;
	int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} sa = { 0 };
	socklen_t salen;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, p->ifname,
		       strlen(p->ifname) + 1) < 0)
		goto err;
	if (family == AF_INET) {
		sa.v4.sin_family = AF_INET;
		sa.v4.sin_addr = p->address.addr.v4;
		salen = sizeof(sa.v4);
	} else {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0)
			goto err;
		sa.v6.sin6_family = AF_INET6;
		sa.v6.sin6_addr = p->address.addr.v6;
		salen = sizeof(sa.v6);
	}
	/* IP_FREEBIND: the address may not be on the link yet (it is being made). */
	setsockopt(fd, SOL_IP, IP_FREEBIND, &(int){ 1 }, sizeof(int));
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0)
		goto err;
	return fd;
err:
	{
		int ret = -errno;

		close(fd);
		return ret;
	}
}

/*
 * Read what the socket holds.  An answer to the probe in flight counts
 * whenever the loop gets to it before the judging step (which reads first):
 * a late loop must not turn answers into losses.  The round trip is
 * measured at reading, so it errs long when the loop is busy.
 */
static void read_replies(struct probe *pr)
{
	uint8_t buf[512];
	ssize_t n;

	while ((n = recv(pr->fd, buf, sizeof(buf), 0)) > 0) {
		const uint8_t *icmp = buf;
		size_t len = (size_t)n;
		uint16_t id, seq;
		uint64_t rtt;

		if (pr->family == AF_INET) {
			size_t ihl = (buf[0] & 0x0f) * 4u;

			/* IPv4 raw sockets see the IP header. */
			if (len < ihl + 8)
				continue;
			icmp += ihl;
			len -= ihl;
			if (icmp[0] != ICMP_ECHOREPLY)
				continue;
		} else if (len < 8 || icmp[0] != ICMP6_ECHO_REPLY) {
			continue;
		}
		id = (uint16_t)(icmp[4] << 8 | icmp[5]);
		seq = (uint16_t)(icmp[6] << 8 | icmp[7]);
		if (id != pr->ident || seq != pr->seq || pr->answered || !pr->judging)
			continue;
		rtt = now_us() - pr->sent_us;
		pr->answered = true;
		pr->cb(pr->arg, true, (uint32_t)rtt);
	}
}

static int on_reply(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	read_replies(arg);
	return 0;
}

static void send_probe(struct probe *pr)
{
	struct {
		struct icmphdr h;	/* same layout as struct icmp6_hdr's start */
		uint64_t stamp;
	} msg = { 0 };
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} to = { 0 };
	socklen_t tolen;

	if (pr->fd < 0) {
		pr->fd = open_socket(&pr->path);
		if (pr->fd >= 0 &&
		    sd_event_add_io(pr->ev, &pr->io, pr->fd, EPOLLIN, on_reply, pr) < 0) {
			close(pr->fd);
			pr->fd = -1;
		}
	}
	pr->seq++;
	pr->sent_us = now_us();
	pr->answered = false;
	/*
	 * No socket: the link does not exist (yet).  That is the link state's
	 * to report, not loss: this round is not judged.
	 */
	pr->unjudged = pr->fd < 0;
	if (pr->fd < 0)
		return;
	msg.h.type = pr->family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	msg.h.un.echo.id = htons(pr->ident);
	msg.h.un.echo.sequence = htons(pr->seq);
	msg.stamp = pr->sent_us;
	if (pr->family == AF_INET) {
		msg.h.checksum = csum(&msg, sizeof(msg));
		to.v4.sin_family = AF_INET;
		to.v4.sin_addr = pr->path.peer.v4;
		tolen = sizeof(to.v4);
	} else {
		/* The kernel computes the ICMPv6 checksum (pseudo-header). */
		to.v6.sin6_family = AF_INET6;
		to.v6.sin6_addr = pr->path.peer.v6;
		tolen = sizeof(to.v6);
	}
	if (sendto(pr->fd, &msg, sizeof(msg), 0, (struct sockaddr *)&to, tolen) < 0 &&
	    (errno == ENODEV || errno == ENXIO)) {
		/* The link was deleted or recreated: bind to the new one next time. */
		sd_event_source_disable_unref(pr->io);
		pr->io = NULL;
		close(pr->fd);
		pr->fd = -1;
	}
}

/*
 * Two steps per interval: send (and arm the timeout), then judge at the
 * timeout: unanswered is lost.  The next send is due one interval after
 * the last, whatever the judging took.
 */
static int on_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	struct probe *pr = arg;
	uint64_t at;

	if (pr->judging) {
		/*
		 * An answer may sit unread while the loop was busy (an apply):
		 * read it before calling the probe lost.
		 */
		if (!pr->answered && pr->fd >= 0)
			read_replies(pr);
		if (!pr->answered && !pr->unjudged)
			pr->cb(pr->arg, false, 0);
		pr->judging = false;
		at = pr->next_send_us;
	} else {
		send_probe(pr);
		pr->next_send_us = usec + pr->path.probe.interval_ms * 1000ull;
		pr->judging = true;
		at = usec + probe_timeout_ms(&pr->path.probe) * 1000ull;
	}
	sd_event_source_set_time(s, at);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

int probe_start(sd_event *ev, const struct path_conf *p, uint16_t ident,
		probe_cb cb, void *arg, struct probe **out)
{
	struct probe *pr = calloc(1, sizeof(*pr));
	uint64_t now;
	int ret;

	if (!pr)
		return -ENOMEM;
	pr->ev = ev;
	pr->fd = -1;
	pr->family = p->address.addr.family;
	pr->path = *p;
	pr->ident = ident;
	pr->cb = cb;
	pr->arg = arg;
	sd_event_now(ev, CLOCK_MONOTONIC, &now);
	/* Timers of many paths started together spread over one interval. */
	now += (uint64_t)ident * 7919 % (p->probe.interval_ms * 1000ull);
	/* Accuracy 1 us: 0 would mean sd-event's default of 250 ms of slack. */
	ret = sd_event_add_time(ev, &pr->timer, CLOCK_MONOTONIC, now, 1, on_timer, pr);
	if (ret < 0) {
		free(pr);
		return ret;
	}
	*out = pr;
	return 0;
}

void probe_set_arg(struct probe *pr, void *arg)
{
	pr->arg = arg;
}

void probe_stop(struct probe *pr)
{
	if (!pr)
		return;
	sd_event_source_disable_unref(pr->io);
	sd_event_source_disable_unref(pr->timer);
	if (pr->fd >= 0)
		close(pr->fd);
	free(pr);
}
