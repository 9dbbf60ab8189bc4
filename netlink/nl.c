// SPDX-License-Identifier: GPL-2.0
/*
 * The rtnetlink request socket.  Requests are queued into a batch and sent
 * many per sendmsg(); every request asks for an ACK, and ACKs are matched
 * back to their request by sequence number, so each object's error reaches
 * the code that asked for it.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "netlink/nl.h"

/* One sendmsg() carries at most this much; the kernel's default sndbuf is ~200k. */
#define NL_CHUNK	(32 * 1024)
/* Generous receive buffer: a dump chunk or a chunk's worth of ACKs. */
#define NL_RCVBUF	(4 * 1024 * 1024)
/* A kernel that does not answer within this long gets -ETIMEDOUT, not a hung daemon. */
#define NL_TIMEOUT_S	10

struct nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	char *rxbuf;
};

struct nl_req {
	uint32_t seq;
	size_t off;	/* start of this message in the batch buffer */
	nl_ack_cb cb;
	void *arg;
	bool done;
};

/* A growing buffer of complete messages plus one nl_req per message. */
struct nl_batch {
	struct nl *nl;
	char *buf;
	size_t len, cap;
	struct nl_req *reqs;
	size_t n, reqs_cap;
	size_t msg_len_open;	/* the request being filled is reqs[n-1] */
};

/* The kernel sends dumps in skbs of at most 32k; ACK batches are smaller. */
static const size_t rxbuf_len = 64 * 1024;

int nl_open(struct nl **out)
{
	struct nl *nl;
	struct timeval tv = { .tv_sec = NL_TIMEOUT_S };
	int one = 1, rcvbuf = NL_RCVBUF, ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->rxbuf = malloc(rxbuf_len);
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->rxbuf || !nl->sock) {
		ret = nl->rxbuf ? -errno : -ENOMEM;
		goto err;
	}
	/* Short ACKs (no echo of the request) and extended error messages. */
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	/* SO_RCVBUFFORCE works as root; SO_RCVBUF is the fallback. */
	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	*out = nl;
	return 0;
err:
	nl_close(nl);
	return ret;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->rxbuf);
	free(nl);
}

struct nl_batch *nl_batch_new(struct nl *nl)
{
	struct nl_batch *b = calloc(1, sizeof(*b));

	if (b)
		b->nl = nl;
	return b;
}

void nl_batch_free(struct nl_batch *b)
{
	if (!b)
		return;
	free(b->buf);
	free(b->reqs);
	free(b);
}

size_t nl_batch_count(const struct nl_batch *b)
{
	return b->n;
}

/*
 * Each message gets a fixed slab of MNL_SOCKET_BUFFER_SIZE while it is being
 * filled (mnl_attr_put* does no bounds checks against our buffer); the
 * buffer is compacted to the message's real length when the next one starts
 * or the batch is sent.
 */
static void batch_close_msg(struct nl_batch *b)
{
	struct nlmsghdr *nlh;

	if (!b->n || !b->msg_len_open)
		return;
	nlh = (struct nlmsghdr *)(b->buf + b->reqs[b->n - 1].off);
	b->len = b->reqs[b->n - 1].off + NLMSG_ALIGN(nlh->nlmsg_len);
	b->msg_len_open = 0;
}

struct nlmsghdr *nl_batch_msg(struct nl_batch *b, uint16_t type, uint16_t flags,
			      nl_ack_cb cb, void *arg)
{
	const size_t slab = 8192;
	struct nlmsghdr *nlh;
	struct nl_req *r;

	batch_close_msg(b);
	if (b->len + slab > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64 * 1024;
		char *buf;

		while (cap < b->len + slab)
			cap *= 2;
		buf = realloc(b->buf, cap);
		if (!buf)
			return NULL;
		b->buf = buf;
		b->cap = cap;
	}
	if (b->n == b->reqs_cap) {
		size_t cap = b->reqs_cap ? b->reqs_cap * 2 : 64;
		struct nl_req *reqs = realloc(b->reqs, cap * sizeof(*reqs));

		if (!reqs)
			return NULL;
		b->reqs = reqs;
		b->reqs_cap = cap;
	}
	memset(b->buf + b->len, 0, slab);
	nlh = mnl_nlmsg_put_header(b->buf + b->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++b->nl->seq;
	r = &b->reqs[b->n++];
	*r = (struct nl_req){ .seq = nlh->nlmsg_seq, .off = b->len,
			      .cb = cb, .arg = arg };
	b->msg_len_open = slab;
	return nlh;
}

void nl_batch_drop_last(struct nl_batch *b)
{
	if (!b->n)
		return;
	b->len = b->reqs[--b->n].off;
	b->msg_len_open = 0;
}

static struct nl_req *batch_find(struct nl_batch *b, size_t from, size_t to,
				 uint32_t seq)
{
	for (size_t i = from; i < to; i++)
		if (b->reqs[i].seq == seq)
			return &b->reqs[i];
	return NULL;
}

static const char *extack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	/* Without NLM_F_CAPPED the original request follows the header. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (mnl_nlmsg_get_payload_len(nlh) < off)
		return NULL;
	mnl_attr_for_each_payload((const void *)((const char *)e + off),
				  mnl_nlmsg_get_payload_len(nlh) - off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(attr);
	}
	return NULL;
}

/* Read ACKs until every request in [from, to) has one. */
static int batch_collect(struct nl_batch *b, size_t from, size_t to)
{
	struct nl *nl = b->nl;
	size_t pending = to - from;
	int failed = 0;

	while (pending) {
		ssize_t len = mnl_socket_recvfrom(nl->sock, nl->rxbuf, rxbuf_len);
		const struct nlmsghdr *nlh;
		int left;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		nlh = (const struct nlmsghdr *)nl->rxbuf;
		left = (int)len;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *e;
			struct nl_req *r;

			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_pid != nl->portid)
				continue;
			r = batch_find(b, from, to, nlh->nlmsg_seq);
			if (!r || r->done)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			r->done = true;
			pending--;
			if (e->error)
				failed++;
			if (r->cb)
				r->cb(r->arg, e->error, e->error ? extack_msg(nlh) : NULL);
		}
	}
	return failed;
}

/* End of request i in the batch buffer. */
static size_t msg_end(const struct nl_batch *b, size_t i)
{
	return i + 1 < b->n ? b->reqs[i + 1].off : b->len;
}

int nl_batch_send(struct nl_batch *b)
{
	size_t first = 0;
	int failed = 0;

	batch_close_msg(b);
	while (first < b->n) {
		size_t start = b->reqs[first].off, last = first + 1;
		int ret;

		/* As many whole messages as fit one chunk, at least one. */
		while (last < b->n && msg_end(b, last) - start <= NL_CHUNK)
			last++;
		if (mnl_socket_sendto(b->nl->sock, b->buf + start,
				      msg_end(b, last - 1) - start) < 0)
			return -errno;
		ret = batch_collect(b, first, last);
		if (ret < 0)
			return ret;
		failed += ret;
		first = last;
	}
	return failed;
}

/*
 * One dump, to its NLMSG_DONE.  A dump during which the kernel's objects
 * changed (NLM_F_DUMP_INTR) may have missed or doubled objects: it is read
 * to the end and reported as -EINTR, and the caller starts over with an
 * empty result (nl_dump_retry()).
 */
int nl_dump(struct nl *nl, struct nlmsghdr *req, nl_dump_cb cb, void *arg)
{
	uint32_t seq = ++nl->seq;
	bool interrupted = false;
	int ret = 0;

	req->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t len = mnl_socket_recvfrom(nl->sock, nl->rxbuf, rxbuf_len);
		const struct nlmsghdr *nlh = (const void *)nl->rxbuf;
		int left = (int)len;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != nl->portid)
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				interrupted = true;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				const int *err = mnl_nlmsg_get_payload(nlh);

				/* The kernel may end a dump with an error in DONE. */
				if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(*err) && *err < 0)
					return *err;
				return interrupted ? -EINTR : ret;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				return e->error ? e->error : -EPROTO;
			}
			/* Keep reading to DONE after a callback error. */
			if (ret == 0 && !interrupted)
				ret = cb(nlh, arg);
		}
	}
}
