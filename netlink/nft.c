// SPDX-License-Identifier: GPL-2.0
/*
 * The nf_tables socket: batches, their answers, requests and dumps, the
 * event socket and the counter dump.  A batch is one NFNL transaction sent
 * in one sendmsg(); the kernel handles it inside that call, so every answer
 * is queued by the time sendmsg() returns and is read without blocking.
 * Only the last message asks for an ACK (that is the proof the batch went
 * through); errors come for every failing message regardless, each with
 * its sequence number, which maps it back to the message's owner.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnftnl/common.h>
#include <libnftnl/object.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "netlink/nft.h"

/* Dumps come in skbs of at most 32 KiB; twice that leaves room. */
#define NFT_RXBUF	(64 * 1024)
/* Room a message being filled may use: mnl_attr_put*() checks no bounds. */
#define NFT_SLAB	(64 * 1024)
#define NFT_RCVBUF	(4 * 1024 * 1024)
/* A kernel that does not answer a request within this long: -ETIMEDOUT. */
#define NFT_TIMEOUT_S	10

/* A bound NETLINK_NETFILTER socket with a receive buffer of NFT_RCVBUF. */
static struct mnl_socket *nft_socket(int *err)
{
	struct mnl_socket *sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int rcvbuf = NFT_RCVBUF;

	if (!sock) {
		*err = -errno;
		return NULL;
	}
	/* SO_RCVBUFFORCE works as root; SO_RCVBUF is the fallback. */
	if (setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		*err = -errno;
		mnl_socket_close(sock);
		return NULL;
	}
	return sock;
}

int nft_open(struct nft **out)
{
	struct timeval tv = { .tv_sec = NFT_TIMEOUT_S };
	int one = 1, ret = -ENOMEM;
	struct nft *n;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->rx = malloc(NFT_RXBUF);
	if (!n->rx || !(n->sock = nft_socket(&ret)))
		goto err;
	/* Short ACKs, and extack: the offset of the attribute that failed. */
	mnl_socket_setsockopt(n->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(n->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(n->sock), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
	n->portid = mnl_socket_get_portid(n->sock);
	n->seq = (uint32_t)time(NULL);
	*out = n;
	return 0;
err:
	nft_close(n);
	return ret;
}

void nft_close(struct nft *n)
{
	if (!n)
		return;
	if (n->sock)
		mnl_socket_close(n->sock);
	free(n->rx);
	free(n->ids);
	free(n);
}

/* ---- owners ---------------------------------------------------------- */

void nft_owner_str(const struct nft_owner *o, long item, char *buf, size_t len)
{
	const char *name = o->name ? o->name : "";
	char idx[24] = "";

	if (item >= 0)
		snprintf(idx, sizeof(idx), "[%ld]", item);
	switch (o->kind) {
	case OWN_TABLE:
		snprintf(buf, len, "table inet " NFT_TABLE);
		break;
	case OWN_SITE:
		snprintf(buf, len, "site.filter");
		break;
	case OWN_SITE_LIST:
		snprintf(buf, len, "site.filter.%s%s", name, idx);
		break;
	case OWN_CUSTOMER:
		snprintf(buf, len, "customers[%u].filter", o->a);
		break;
	case OWN_CUST_LIST:
		snprintf(buf, len, "customers[%u].filter.%s%s", o->a, name, idx);
		break;
	case OWN_RULE:
		snprintf(buf, len, "customers[%u].filter.rules[%u]%s%s%s",
			     o->a, o->b, *name ? "." : "", name, idx);
		break;
	case OWN_DEFAULT:
		snprintf(buf, len, "customers[%u].filter.default", o->a);
		break;
	case OWN_PREFIX:
		snprintf(buf, len, "customers[%u].prefixes%s", o->a, idx);
		break;
	case OWN_MSS:
		snprintf(buf, len, "customers[%u].paths[%u] (mss)", o->a, o->b);
		break;
	case OWN_STALE:
		snprintf(buf, len, "table inet " NFT_TABLE ": %s", name);
		break;
	case OWN_RUNTIME:
		snprintf(buf, len, "%s%s", name, idx);
		break;
	}
}

/* ---- batches --------------------------------------------------------- */

struct nft_msg {
	uint32_t seq;
	size_t off;		/* in the batch buffer */
	struct nft_owner own;
	size_t item0;		/* its first element's entry in items[] */
	bool elems;		/* elements were mapped to items */
};

struct nft_batch {
	struct nft *nft;
	char *buf;
	size_t len, cap;
	bool open;		/* msgs[n - 1] is being filled */
	struct nft_msg *msgs;
	size_t n, msgs_cap;
	uint32_t *items;	/* per set element sent: the item it stands for */
	size_t n_items, items_cap;
	uint32_t set_id;
	size_t rules;		/* NEWRULE messages */
	int err;		/* a build failure, reported by commit */
};

static int grow(void **p, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t c = *cap ? *cap : first;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

static void batch_close(struct nft_batch *b)
{
	const struct nlmsghdr *nlh;

	if (!b->open)
		return;
	nlh = (const void *)(b->buf + b->msgs[b->n - 1].off);
	b->len = b->msgs[b->n - 1].off + NLMSG_ALIGN(nlh->nlmsg_len);
	b->open = false;
}

/* Room for one more message of any kind, and its bookkeeping. */
static struct nlmsghdr *batch_reserve(struct nft_batch *b,
				      const struct nft_owner *own)
{
	struct nft_msg *m;

	batch_close(b);
	if (b->err)
		return NULL;
	if (grow((void **)&b->buf, &b->cap, b->len + NFT_SLAB, 1, 256 * 1024) ||
	    grow((void **)&b->msgs, &b->msgs_cap, b->n + 1, sizeof(*m), 256)) {
		b->err = -ENOMEM;
		return NULL;
	}
	m = &b->msgs[b->n++];
	*m = (struct nft_msg){ .seq = ++b->nft->seq, .off = b->len,
			       .item0 = b->n_items };
	if (own)
		m->own = *own;
	b->open = true;
	return (struct nlmsghdr *)(b->buf + b->len);
}

/* BATCH_BEGIN and _END: nfnetlink's, addressed to the nf_tables subsystem. */
static struct nlmsghdr *batch_mark(struct nft_batch *b, uint16_t type)
{
	static const struct nft_owner table = { .kind = OWN_TABLE };
	struct nlmsghdr *nlh = batch_reserve(b, &table);
	struct nfgenmsg *g;

	if (!nlh)
		return NULL;
	nlh = mnl_nlmsg_put_header(nlh);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = b->msgs[b->n - 1].seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(NFNL_SUBSYS_NFTABLES);
	return nlh;
}

struct nft_batch *nft_batch_new(struct nft *n, uint32_t genid)
{
	struct nft_batch *b = calloc(1, sizeof(*b));
	struct nlmsghdr *nlh;

	if (!b)
		return NULL;
	b->nft = n;
	nlh = batch_mark(b, NFNL_MSG_BATCH_BEGIN);
	if (!nlh) {
		nft_batch_free(b);
		return NULL;
	}
	/* The kernel refuses the batch (-ERESTART) if the ruleset changed
	 * since the dumps it was computed from. */
	if (genid)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
	return b;
}

void nft_batch_free(struct nft_batch *b)
{
	if (!b)
		return;
	free(b->buf);
	free(b->msgs);
	free(b->items);
	free(b);
}

struct nlmsghdr *nft_batch_msg(struct nft_batch *b, uint16_t type,
			       uint16_t flags, const struct nft_owner *own)
{
	struct nlmsghdr *nlh = batch_reserve(b, own);

	if (!nlh)
		return NULL;
	b->rules += type == NFT_MSG_NEWRULE;
	return nftnl_nlmsg_build_hdr((char *)nlh, type, NFPROTO_INET, flags,
				     b->msgs[b->n - 1].seq);
}

void nft_batch_item(struct nft_batch *b, uint32_t item)
{
	if (b->err)
		return;
	if (grow((void **)&b->items, &b->items_cap, b->n_items + 1,
		 sizeof(*b->items), 1024)) {
		b->err = -ENOMEM;
		return;
	}
	b->items[b->n_items++] = item;
	b->msgs[b->n - 1].elems = true;
}

size_t nft_batch_msg_len(const struct nft_batch *b)
{
	const struct nlmsghdr *nlh;

	if (!b->open)
		return 0;
	nlh = (const void *)(b->buf + b->msgs[b->n - 1].off);
	return nlh->nlmsg_len;
}

size_t nft_batch_count(const struct nft_batch *b)
{
	return b->n;
}

size_t nft_batch_rules(const struct nft_batch *b)
{
	return b->rules;
}

uint32_t nft_batch_set_id(struct nft_batch *b)
{
	return ++b->set_id;
}

/* extack: the kernel's offset of the attribute that failed, or 0. */
static uint32_t ack_offset(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (mnl_nlmsg_get_payload_len(nlh) < off)
		return 0;
	mnl_attr_for_each_payload((const void *)((const char *)e + off),
				  mnl_nlmsg_get_payload_len(nlh) - off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_OFFS &&
		    mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			return mnl_attr_get_u32(attr);
	}
	return 0;
}

/*
 * The item of the element at byte offset off of message m: its rank in
 * the message's element list, looked up in items[].  -1 if off is not
 * inside an element.
 */
static long elem_item(const struct nft_batch *b, const struct nft_msg *m,
		      uint32_t off)
{
	const struct nlmsghdr *nlh = (const void *)(b->buf + m->off);
	const struct nlattr *attr, *el;
	size_t k = 0;

	if (!m->elems || !off)
		return -1;
	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, attr) {
			size_t start = (size_t)((const char *)el - (const char *)nlh);

			if (off >= start && off < start + el->nla_len)
				return m->item0 + k < b->n_items ?
				       (long)b->items[m->item0 + k] : -1;
			k++;
		}
	}
	return -1;
}

/* Let the socket take the whole batch in one sendmsg(): it is atomic only so. */
static void batch_sndbuf(struct nft *n, size_t len)
{
	int v;

	if (len + 4096 <= n->sndbuf || len > INT32_MAX / 2)
		return;
	v = (int)(len + 4096);
	if (setsockopt(mnl_socket_get_fd(n->sock), SOL_SOCKET, SO_SNDBUFFORCE,
		       &v, sizeof(v)) < 0 &&
	    setsockopt(mnl_socket_get_fd(n->sock), SOL_SOCKET, SO_SNDBUF,
		       &v, sizeof(v)) < 0)
		return;
	n->sndbuf = len + 4096;
}

int nft_batch_commit(struct nft_batch *b, char *owner, size_t len)
{
	struct nft *n = b->nft;
	size_t last, err_idx = 0;
	uint32_t err_off = 0;
	bool acked = false, lost = false;
	int err = 0;

	if (owner && len)
		*owner = '\0';
	batch_close(b);
	if (b->err)
		return b->err;
	if (b->n < 2)		/* BEGIN alone: nothing to change */
		return 0;
	last = b->n - 1;
	((struct nlmsghdr *)(b->buf + b->msgs[last].off))->nlmsg_flags |= NLM_F_ACK;
	if (!batch_mark(b, NFNL_MSG_BATCH_END))
		return b->err;
	batch_close(b);

	batch_sndbuf(n, b->len);
	if (mnl_socket_sendto(n->sock, b->buf, b->len) < 0)
		return -errno;
	for (;;) {
		ssize_t got = recv(mnl_socket_get_fd(n->sock), n->rx, NFT_RXBUF,
				   MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const void *)n->rx;
		int left = (int)got;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {	/* answers lost: not a success */
				lost = true;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *e;
			size_t i;

			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
				continue;
			i = nlh->nlmsg_seq - b->msgs[0].seq;
			if (i >= b->n)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			if (!e->error) {
				acked |= i == last;
				continue;
			}
			/* The first failing message is the cause; later ones
			 * often fail only because of it. */
			if (!err || i < err_idx) {
				err = e->error;
				err_idx = i;
				err_off = ack_offset(nlh);
			}
		}
	}
	if (err) {
		if (owner && len)
			nft_owner_str(&b->msgs[err_idx].own,
				      elem_item(b, &b->msgs[err_idx], err_off),
				      owner, len);
		return err;
	}
	if (lost)
		return -ENOBUFS;
	return acked ? 0 : -EPROTO;
}

/* ---- requests and dumps ---------------------------------------------- */

int nft_request(struct nft *n, uint16_t type, uint16_t flags, uint16_t tattr,
		uint16_t attr, const char *val, nft_dump_cb cb, void *arg)
{
	char buf[512];
	struct nlmsghdr *nlh;
	bool interrupted = false;
	uint32_t seq = ++n->seq;
	int ret = 0;

	nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, flags | NLM_F_ACK,
				    seq);
	if (tattr)
		mnl_attr_put_strz(nlh, tattr, NFT_TABLE);
	if (attr && val)
		mnl_attr_put_strz(nlh, attr, val);
	if (mnl_socket_sendto(n->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t got = mnl_socket_recvfrom(n->sock, n->rx, NFT_RXBUF);
		const struct nlmsghdr *m = (const void *)n->rx;
		int left = (int)got;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		for (; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
			if (m->nlmsg_seq != seq || m->nlmsg_pid != n->portid)
				continue;
			if (m->nlmsg_flags & NLM_F_DUMP_INTR)
				interrupted = true;
			if (m->nlmsg_type == NLMSG_DONE) {
				const int *e = mnl_nlmsg_get_payload(m);

				if (mnl_nlmsg_get_payload_len(m) >= sizeof(*e) && *e < 0)
					return *e;
				return interrupted ? -EINTR : ret;
			}
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

				/* A dump ends with DONE; an ACK ends a get. */
				if (e->error || !(flags & NLM_F_DUMP))
					return e->error ? e->error : ret;
				continue;
			}
			/* Keep reading to the end after a callback error. */
			if (!ret && cb)
				ret = cb(m, arg);
		}
	}
}

static int genid_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) == NFTA_GEN_ID &&
		    mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			*(uint32_t *)arg = ntohl(mnl_attr_get_u32(attr));
	}
	return 0;
}

int nft_genid(struct nft *n, uint32_t *genid)
{
	*genid = 0;
	return nft_request(n, NFT_MSG_GETGEN, 0, 0, 0, NULL, genid_cb, genid);
}

int nft_table_exists(struct nft *n)
{
	int ret = nft_request(n, NFT_MSG_GETTABLE, 0, NFTA_TABLE_NAME, 0, NULL,
			      NULL, NULL);

	if (ret == -ENOENT)
		return 0;
	return ret < 0 ? ret : 1;
}

/* ---- counters -------------------------------------------------------- */

struct counters {
	nft_counter_cb cb;
	void *arg;
};

static int counter_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct counters *c = arg;
	struct nftnl_obj *o = nftnl_obj_alloc();
	int ret = 0;

	if (!o)
		return -ENOMEM;
	if (nftnl_obj_nlmsg_parse(nlh, o) < 0) {
		ret = -EPROTO;
		goto out;
	}
	if (!nftnl_obj_is_set(o, NFTNL_OBJ_NAME) ||
	    nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) != NFT_OBJECT_COUNTER ||
	    strcmp(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE), NFT_TABLE))
		goto out;
	ret = c->cb(c->arg, nftnl_obj_get_str(o, NFTNL_OBJ_NAME),
		    nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS),
		    nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES));
out:
	nftnl_obj_free(o);
	return ret;
}

int nft_counters(struct nft *n, nft_counter_cb cb, void *arg)
{
	struct counters c = { cb, arg };

	return nft_request(n, NFT_MSG_GETOBJ, NLM_F_DUMP, NFTA_OBJ_TABLE, 0,
			   NULL, counter_cb, &c);
}
