// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ipsec/vici-client.h"

#define BACKOFF_MIN_US	100000ULL
#define BACKOFF_MAX_US	5000000ULL
/*
 * For what charon answers without waiting for anything (a connect, an
 * event registration): only a hung charon takes this long.
 */
#define OP_TIMEOUT_US	5000000ULL
/* sd-event's accuracy 0 would mean 250 ms of slack. */
#define ACCURACY_US	1000ULL
#define RBUF_MIN	16384
/* Reads per wakeup, so that a chatty charon cannot starve the loop. */
#define READS_MAX	16
#define NAME_MAX_LEN	255
/* An EVENT_(UN)REGISTER: length, type, name. */
#define CTL_MAX		(VICI_HDR_LEN + 2 + NAME_MAX_LEN)

/* What the one packet on the wire waits for. */
enum wait {
	W_NONE,
	W_CONNECT,	/* a nonblocking connect */
	W_SUB,		/* the answer to a subscription's EVENT_REGISTER */
	W_REG,		/* the answer to the head request's stream EVENT_REGISTER */
	W_RESP,		/* the head request's response */
	W_UNREG,	/* the answer to the last stream's EVENT_UNREGISTER */
};

/* A subscription's registration on the current connection. */
enum sub_state { SUB_NEW, SUB_SENT, SUB_OK, SUB_REFUSED };

struct vici_sub {
	struct vici_sub *next;
	vici_event_fn fn;
	void *arg;
	enum sub_state state;
	char name[];
};

struct vici_req {
	struct vici_req *next;
	uint8_t *pkt;			/* owned */
	size_t len;
	vici_event_fn on_stream;
	vici_reply_fn on_reply;
	void *arg;
	uint64_t timeout_us, deadline;	/* deadline 0: none */
	bool own_stream;		/* registered for it (not a subscription) */
	char cmd[NAME_MAX_LEN + 1], stream[NAME_MAX_LEN + 1];
};

struct vici_client {
	sd_event *ev;
	sd_event_source *io, *op_timer, *retry_timer;
	struct sockaddr_un sa;
	vici_state_fn state_fn;
	void *arg;
	int fd;
	/* The client lives while a handler runs, so a callback may free it. */
	unsigned refs;
	/* Moves at every close: a handler stops touching a connection gone. */
	unsigned gen;
	bool up;		/* the socket is connected */
	bool connected;		/* as told to state_fn */
	bool told;		/* state_fn was called at all */
	bool dead;		/* vici_client_free() was called */
	enum wait wait;
	struct vici_sub *subs, *cur_sub, *refused;
	struct vici_req *head, **tail;
	char unreg[NAME_MAX_LEN + 1];	/* the stream being unregistered */
	/* The one packet being written: ctl or the head request's. */
	const uint8_t *out;
	size_t out_len, out_off;
	uint8_t ctl[CTL_MAX];
	uint8_t *rbuf;
	size_t rlen, rcap;
	uint64_t backoff;
	unsigned attempts;
	int last_err;
	char why[320];
};

static const char *const type_names[] = {
	[VICI_CMD_REQUEST] = "CMD_REQUEST",
	[VICI_CMD_RESPONSE] = "CMD_RESPONSE",
	[VICI_CMD_UNKNOWN] = "CMD_UNKNOWN",
	[VICI_EVENT_REGISTER] = "EVENT_REGISTER",
	[VICI_EVENT_UNREGISTER] = "EVENT_UNREGISTER",
	[VICI_EVENT_CONFIRM] = "EVENT_CONFIRM",
	[VICI_EVENT_UNKNOWN] = "EVENT_UNKNOWN",
	[VICI_EVENT] = "EVENT",
};

static const char *const wait_names[] = {
	[W_NONE] = "with nothing in flight",
	[W_CONNECT] = "while connecting",
	[W_SUB] = "awaiting an event registration's answer",
	[W_REG] = "awaiting a stream registration's answer",
	[W_RESP] = "awaiting a response",
	[W_UNREG] = "awaiting a stream unregistration's answer",
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

__attribute__((format(printf, 2, 3)))
static void set_why(struct vici_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

static void destroy(struct vici_client *c)
{
	struct vici_sub *s;

	while ((s = c->subs)) {
		c->subs = s->next;
		free(s);
	}
	free(c->rbuf);
	sd_event_unref(c->ev);
	free(c);
}

static void unref(struct vici_client *c)
{
	if (!--c->refs)
		destroy(c);
}

static bool stale(const struct vici_client *c, unsigned gen)
{
	return c->dead || c->gen != gen;
}

/*
 * Arm a oneshot timer at usec (0: disarm).  Enabling fails only without
 * memory; the op timer's absence then shows as a hang, the retry timer's
 * as no reconnection.
 */
static void arm(sd_event_source *s, uint64_t usec)
{
	if (!s)
		return;
	if (!usec) {
		sd_event_source_set_enabled(s, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(s, usec);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static struct vici_sub *find_sub(const struct vici_client *c, const char *name)
{
	struct vici_sub *s;

	for (s = c->subs; s; s = s->next)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

static struct vici_req *pop_head(struct vici_client *c)
{
	struct vici_req *r = c->head;

	if (r) {
		c->head = r->next;
		if (!c->head)
			c->tail = &c->head;
	}
	return r;
}

/* The one call a request gets; frees it. */
static void reply(struct vici_req *r, int err, const struct vici_msg *m)
{
	if (r->on_reply)
		r->on_reply(r->arg, err, m);
	/* It may have carried a secret (load-shared, load-key). */
	explicit_bzero(r->pkt, r->len);
	free(r->pkt);
	free(r);
}

static void set_io(struct vici_client *c)
{
	uint32_t events = EPOLLIN;

	if (c->wait == W_CONNECT)
		events = EPOLLOUT;
	else if (c->out_off < c->out_len)
		events |= EPOLLOUT;
	if (c->io)
		sd_event_source_set_io_events(c->io, events);
}

/* The socket does the writing, from the loop: never a callback from here. */
static void send_bytes(struct vici_client *c, const uint8_t *p, size_t len)
{
	c->out = p;
	c->out_len = len;
	c->out_off = 0;
	set_io(c);
}

static void send_named(struct vici_client *c, enum vici_packet_type type,
		       const char *name)
{
	size_t n = strlen(name), len = 2 + n;

	c->ctl[0] = 0;
	c->ctl[1] = 0;
	c->ctl[2] = (uint8_t)(len >> 8);
	c->ctl[3] = (uint8_t)len;
	c->ctl[4] = type;
	c->ctl[5] = (uint8_t)n;
	memcpy(c->ctl + 6, name, n);
	send_bytes(c, c->ctl, VICI_HDR_LEN + len);
}

/* Forget the connection; the subscriptions are registered again on the next. */
static void close_conn(struct vici_client *c)
{
	struct vici_sub *s;

	c->io = sd_event_source_disable_unref(c->io);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->up = false;
	c->wait = W_NONE;
	c->out = NULL;
	c->out_len = c->out_off = 0;
	c->rlen = 0;
	c->unreg[0] = '\0';
	c->cur_sub = c->refused = NULL;
	for (s = c->subs; s; s = s->next)
		s->state = SUB_NEW;
	c->gen++;
	arm(c->op_timer, 0);
}

/*
 * The connection (or an attempt at one) is gone, c->why says why: tell
 * state_fn once per loss, fail every request (the head with head_err, as
 * it may be the cause), retry after the backoff.
 */
static void conn_lost(struct vici_client *c, int err, int head_err)
{
	bool was = c->connected;
	struct vici_req *r;

	close_conn(c);
	c->connected = false;
	c->last_err = err;
	arm(c->retry_timer, now_us() + c->backoff);
	c->backoff = c->backoff * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : c->backoff * 2;
	if ((was || !c->told) && c->state_fn) {
		c->told = true;
		c->state_fn(c->arg, false, err, c->why);
	}
	/* A callback that frees the client cancels the rest. */
	while ((r = pop_head(c))) {
		reply(r, head_err, NULL);
		head_err = -ECONNRESET;
	}
}

static void start_head(struct vici_client *c)
{
	struct vici_req *r = c->head;

	if (!r)
		return;
	if (r->timeout_us)
		r->deadline = now_us() + r->timeout_us;
	r->own_stream = r->stream[0] && !find_sub(c, r->stream);
	if (r->own_stream) {
		send_named(c, VICI_EVENT_REGISTER, r->stream);
		c->wait = W_REG;
	} else {
		send_bytes(c, r->pkt, r->len);
		c->wait = W_RESP;
	}
	arm(c->op_timer, r->deadline);
}

/*
 * Put the next packet on the wire when nothing is: subscriptions first,
 * then the head request.  tell: whether state_fn may be called (not from
 * the API functions, which never call back).
 */
static void advance(struct vici_client *c, bool tell)
{
	struct vici_sub *s;
	int err = 0;

	if (c->dead || !c->up || c->wait != W_NONE)
		return;
	for (s = c->subs; s; s = s->next) {
		if (s->state != SUB_NEW)
			continue;
		s->state = SUB_SENT;
		c->cur_sub = s;
		c->wait = W_SUB;
		send_named(c, VICI_EVENT_REGISTER, s->name);
		arm(c->op_timer, now_us() + OP_TIMEOUT_US);
		return;
	}
	if (!c->connected) {
		if (!tell)
			return;
		c->connected = c->told = true;
		c->backoff = BACKOFF_MIN_US;
		c->attempts = 0;
		c->last_err = 0;
		c->why[0] = '\0';
		if (c->refused) {
			err = -ENOENT;
			set_why(c, "charon has no event '%s'", c->refused->name);
		}
		if (c->state_fn)
			c->state_fn(c->arg, true, err, c->why);
		/* It may have queued a request, and started it. */
		if (c->dead || !c->up || c->wait != W_NONE)
			return;
	}
	start_head(c);
}

static void unexpected(struct vici_client *c, const struct vici_msg *m)
{
	set_why(c, "unexpected %s%s%s%s from charon %s", type_names[m->type],
		m->name[0] ? " '" : "", m->name, m->name[0] ? "'" : "",
		c->out_off < c->out_len ? "before the request was sent" :
		wait_names[c->wait]);
	conn_lost(c, -EBADMSG, -ECONNRESET);
}

static void on_event(struct vici_client *c, const struct vici_msg *m)
{
	struct vici_req *r = c->head;
	struct vici_sub *s;

	if (r && (c->wait == W_REG || c->wait == W_RESP) && r->stream[0] &&
	    !strcmp(m->name, r->stream)) {
		r->on_stream(r->arg, m);
		return;
	}
	/* A stream's straggler: harmless, and nobody to give it to. */
	if (c->unreg[0] && !strcmp(m->name, c->unreg))
		return;
	s = find_sub(c, m->name);
	/* SENT too: charon may send an event before confirming its registration. */
	if (s && (s->state == SUB_SENT || s->state == SUB_OK)) {
		s->fn(s->arg, m);
		return;
	}
	set_why(c, "charon sent event '%s', not subscribed", m->name);
	conn_lost(c, -EBADMSG, -ECONNRESET);
}

static void on_sub_answer(struct vici_client *c, const struct vici_msg *m)
{
	struct vici_sub *s = c->cur_sub;

	c->cur_sub = NULL;
	c->wait = W_NONE;
	arm(c->op_timer, 0);
	if (m->type == VICI_EVENT_CONFIRM) {
		s->state = SUB_OK;
		return;
	}
	s->state = SUB_REFUSED;
	if (!c->connected) {
		if (!c->refused)
			c->refused = s;
		return;
	}
	set_why(c, "charon has no event '%s'", s->name);
	if (c->state_fn)
		c->state_fn(c->arg, true, -ENOENT, c->why);
}

static void on_reg_answer(struct vici_client *c, const struct vici_msg *m)
{
	struct vici_req *r = c->head;

	if (m->type == VICI_EVENT_CONFIRM) {
		send_bytes(c, r->pkt, r->len);
		c->wait = W_RESP;
		return;
	}
	/* Without its events the command would answer incomplete. */
	pop_head(c);
	c->wait = W_NONE;
	arm(c->op_timer, 0);
	reply(r, -ENOENT, NULL);
}

static void on_response(struct vici_client *c, const struct vici_msg *m)
{
	struct vici_req *r = pop_head(c);

	arm(c->op_timer, 0);
	c->wait = W_NONE;
	if (r->own_stream) {
		strcpy(c->unreg, r->stream);
		send_named(c, VICI_EVENT_UNREGISTER, r->stream);
		c->wait = W_UNREG;
		arm(c->op_timer, now_us() + OP_TIMEOUT_US);
	}
	if (m->type == VICI_CMD_UNKNOWN)
		reply(r, -ENOENT, NULL);
	else
		reply(r, 0, m);
}

/* One whole frame, checked against what is in flight. */
static void handle_frame(struct vici_client *c, const uint8_t *buf, size_t len)
{
	const char *why = NULL;
	struct vici_msg m;

	if (vici_parse(buf, len, &m, &why)) {
		set_why(c, "malformed packet from charon: %s", why);
		conn_lost(c, -EBADMSG, -ECONNRESET);
		return;
	}
	if (m.type == VICI_EVENT) {
		on_event(c, &m);
		return;
	}
	/* No answer before the whole question: the stream would be out of step. */
	if (c->out_off < c->out_len) {
		unexpected(c, &m);
		return;
	}
	switch (m.type) {
	case VICI_CMD_RESPONSE:
	case VICI_CMD_UNKNOWN:
		if (c->wait != W_RESP)
			break;
		on_response(c, &m);
		return;
	case VICI_EVENT_CONFIRM:
	case VICI_EVENT_UNKNOWN:
		if (c->wait == W_SUB)
			on_sub_answer(c, &m);
		else if (c->wait == W_REG)
			on_reg_answer(c, &m);
		else if (c->wait == W_UNREG) {
			/* UNKNOWN too: nothing more of that stream either way. */
			c->unreg[0] = '\0';
			c->wait = W_NONE;
			arm(c->op_timer, 0);
		} else
			break;
		return;
	default:
		break;
	}
	unexpected(c, &m);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Handle the whole frames read so far, keep the rest, and make room for
 * the frame begun.  A length over the limit is refused as soon as its
 * header is in.  -1 when the connection or the client is gone.
 */
static int dispatch(struct vici_client *c, unsigned gen)
{
	size_t off = 0, n, need = RBUF_MIN;
	uint8_t *nb;

	while (c->rlen - off >= VICI_HDR_LEN) {
		if (vici_frame_len(c->rbuf + off, &n)) {
			set_why(c, "frame of %u bytes from charon, over the %u limit",
				be32(c->rbuf + off), VICI_MSG_MAX);
			conn_lost(c, -EMSGSIZE, -ECONNRESET);
			return -1;
		}
		if (c->rlen - off - VICI_HDR_LEN < n)
			break;
		handle_frame(c, c->rbuf + off, VICI_HDR_LEN + n);
		if (stale(c, gen))
			return -1;
		off += VICI_HDR_LEN + n;
	}
	if (off) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	if (c->rlen >= VICI_HDR_LEN && VICI_HDR_LEN + be32(c->rbuf) > need)
		need = VICI_HDR_LEN + be32(c->rbuf);
	if (need <= c->rcap)
		return 0;
	nb = realloc(c->rbuf, need);
	if (!nb) {
		set_why(c, "no memory for a frame of %zu bytes", need);
		conn_lost(c, -ENOMEM, -ECONNRESET);
		return -1;
	}
	c->rbuf = nb;
	c->rcap = need;
	return 0;
}

static void do_read(struct vici_client *c)
{
	unsigned gen = c->gen, i;
	ssize_t n;
	int err;

	if (!c->rbuf && dispatch(c, gen))
		return;
	for (i = 0; i < READS_MAX; i++) {
		n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			err = errno;
			set_why(c, "read: %s", strerror(err));
			conn_lost(c, -err, -ECONNRESET);
			return;
		}
		if (!n) {
			set_why(c, "charon closed the connection");
			conn_lost(c, -ECONNRESET, -ECONNRESET);
			return;
		}
		c->rlen += n;
		if (dispatch(c, gen))
			return;
	}
}

static void do_write(struct vici_client *c)
{
	ssize_t n;
	int err;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			err = errno == EPIPE ? ECONNRESET : errno;
			set_why(c, "write: %s", strerror(errno));
			conn_lost(c, -err, -ECONNRESET);
			return;
		}
		c->out_off += n;
	}
	set_io(c);
}

static void on_up(struct vici_client *c)
{
	c->up = true;
	c->wait = W_NONE;
	arm(c->op_timer, 0);
	set_io(c);
	advance(c, true);
}

static void finish_connect(struct vici_client *c)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (!err) {
		on_up(c);
		return;
	}
	set_why(c, "connect %s: %s", c->sa.sun_path, strerror(err));
	conn_lost(c, -err, -ECONNRESET);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct vici_client *c = userdata;
	unsigned gen = c->gen;

	c->refs++;
	if (c->wait == W_CONNECT) {
		finish_connect(c);
		goto out;
	}
	/* Read first: what charon said before it closed still counts. */
	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		do_read(c);
	if (!stale(c, gen) && (revents & EPOLLOUT))
		do_write(c);
	if (!stale(c, gen))
		advance(c, true);
out:
	unref(c);
	return 0;
}

static void try_connect(struct vici_client *c)
{
	int fd, ret, err;

	c->attempts++;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		set_why(c, "socket: %s", strerror(err));
		conn_lost(c, -err, -ECONNRESET);
		return;
	}
	c->fd = fd;
	ret = sd_event_add_io(c->ev, &c->io, fd, EPOLLIN, on_io, c);
	if (ret < 0) {
		set_why(c, "sd_event_add_io: %s", strerror(-ret));
		conn_lost(c, ret, -ECONNRESET);
		return;
	}
	if (!connect(fd, (struct sockaddr *)&c->sa, sizeof(c->sa))) {
		on_up(c);
		return;
	}
	/*
	 * EINPROGRESS: wait for writability.  AF_UNIX gives EAGAIN instead
	 * when charon's backlog is full, and nothing is pending then: an
	 * attempt failed like the others.
	 */
	err = errno;
	if (err == EINPROGRESS) {
		c->wait = W_CONNECT;
		set_io(c);
		arm(c->op_timer, now_us() + OP_TIMEOUT_US);
		return;
	}
	set_why(c, "connect %s: %s", c->sa.sun_path, strerror(err));
	conn_lost(c, -err, -ECONNRESET);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct vici_client *c = userdata;

	c->refs++;
	try_connect(c);
	unref(c);
	return 0;
}

static int on_op_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct vici_client *c = userdata;
	int head_err = -ECONNRESET;

	c->refs++;
	switch (c->wait) {
	case W_CONNECT:
		set_why(c, "connect %s: no answer in %llu ms", c->sa.sun_path,
			OP_TIMEOUT_US / 1000);
		break;
	case W_SUB:
		set_why(c, "charon did not answer the registration for '%s'",
			c->cur_sub->name);
		break;
	case W_REG:
	case W_RESP:
		set_why(c, "request '%s' unanswered after %llu ms", c->head->cmd,
			(unsigned long long)c->head->timeout_us / 1000);
		head_err = -ETIMEDOUT;
		break;
	case W_UNREG:
		set_why(c, "charon did not answer the unregistration of '%s'",
			c->unreg);
		break;
	default:
		goto out;
	}
	/* The stream may be out of step now: only a new connection is sure. */
	conn_lost(c, -ETIMEDOUT, head_err);
out:
	unref(c);
	return 0;
}

int vici_client_new(sd_event *ev, const char *socket_path, vici_state_fn fn,
		    void *arg, struct vici_client **out)
{
	struct vici_client *c;
	int ret;

	if (!ev || !socket_path || !*socket_path || !out)
		return -EINVAL;
	if (strlen(socket_path) >= sizeof(c->sa.sun_path))
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ev = sd_event_ref(ev);
	c->sa.sun_family = AF_UNIX;
	strcpy(c->sa.sun_path, socket_path);
	c->state_fn = fn;
	c->arg = arg;
	c->fd = -1;
	c->refs = 1;
	c->tail = &c->head;
	c->backoff = BACKOFF_MIN_US;
	/* The first attempt from the loop: a subscription made now counts. */
	ret = sd_event_add_time(ev, &c->retry_timer, CLOCK_MONOTONIC, 1,
				ACCURACY_US, on_retry, c);
	if (ret < 0)
		goto err;
	sd_event_source_set_enabled(c->retry_timer, SD_EVENT_ONESHOT);
	ret = sd_event_add_time(ev, &c->op_timer, CLOCK_MONOTONIC, UINT64_MAX,
				ACCURACY_US, on_op_timeout, c);
	if (ret < 0)
		goto err;
	arm(c->op_timer, 0);
	*out = c;
	return 0;
err:
	vici_client_free(c);
	return ret;
}

int vici_client_subscribe(struct vici_client *c, const char *event,
			  vici_event_fn fn, void *arg)
{
	struct vici_sub *s, **p;
	size_t n = event ? strlen(event) : 0;

	if (!n || n > NAME_MAX_LEN || !fn || c->dead)
		return -EINVAL;
	if (find_sub(c, event))
		return -EEXIST;
	s = calloc(1, sizeof(*s) + n + 1);
	if (!s)
		return -ENOMEM;
	s->fn = fn;
	s->arg = arg;
	memcpy(s->name, event, n + 1);
	/* In the order made: registered in that order. */
	for (p = &c->subs; *p; p = &(*p)->next)
		;
	*p = s;
	advance(c, false);
	return 0;
}

int vici_request(struct vici_client *c, uint8_t *pkt, size_t len,
		 const char *stream, vici_event_fn on_stream,
		 vici_reply_fn on_reply, void *arg, uint64_t timeout_us)
{
	struct vici_req *r;
	struct vici_msg m;
	int ret;

	if (c->dead) {
		ret = -ECANCELED;
		goto out;
	}
	if (!c->connected) {
		ret = -ENOTCONN;
		goto out;
	}
	ret = -EINVAL;
	if (!pkt || vici_parse(pkt, len, &m, NULL) || m.type != VICI_CMD_REQUEST)
		goto out;
	if (stream && (!*stream || strlen(stream) > NAME_MAX_LEN || !on_stream))
		goto out;
	ret = -ENOMEM;
	r = calloc(1, sizeof(*r));
	if (!r)
		goto out;
	r->pkt = pkt;
	r->len = len;
	r->on_stream = on_stream;
	r->on_reply = on_reply;
	r->arg = arg;
	r->timeout_us = timeout_us;
	strcpy(r->cmd, m.name);
	if (stream)
		strcpy(r->stream, stream);
	*c->tail = r;
	c->tail = &r->next;
	advance(c, false);
	return 0;
out:
	if (pkt)
		explicit_bzero(pkt, len);
	free(pkt);
	return ret;
}

bool vici_client_connected(const struct vici_client *c)
{
	return c->connected;
}

unsigned vici_client_status(const struct vici_client *c, int *err,
			    const char **why)
{
	if (err)
		*err = c->last_err;
	if (why)
		*why = c->last_err ? c->why : "";
	return c->attempts;
}

void vici_client_free(struct vici_client *c)
{
	struct vici_req *r;

	if (!c || c->dead)
		return;
	c->dead = true;
	close_conn(c);
	c->op_timer = sd_event_source_disable_unref(c->op_timer);
	c->retry_timer = sd_event_source_disable_unref(c->retry_timer);
	c->connected = false;
	while ((r = pop_head(c)))
		reply(r, -ECANCELED, NULL);
	unref(c);
}
