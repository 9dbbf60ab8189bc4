// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket server.  Everything runs in gwd's single sd-event loop:
 * one io source for the listening socket, one io source and one timer per
 * client.  A client goes through two phases: reading its request (EPOLLIN,
 * up to the first newline or EOF) and writing the reply (EPOLLOUT, from a
 * buffer).  Either phase ends the connection on error or timeout without
 * touching the rest of the daemon.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "gwd/ctl.h"
#include "gwd/log.h"

#define CTL_BACKLOG		64
#define CTL_READ_CHUNK		4096
#define CTL_ACCEPT_PAUSE_USEC	(100 * 1000)

struct ctl_client {
	struct ctl *ctl;
	struct ctl_client *prev, *next;
	int fd;
	pid_t pid;			/* peer, for log messages; 0 if unknown */
	sd_event_source *io, *timer;
	char *in;			/* the request so far, owned */
	size_t in_len, in_cap;
	char *out;			/* the reply once known, owned */
	size_t out_len, out_off;
	struct ctl_deferred *deferred;	/* the handler answers later */
};

/* Owned by the handler that deferred; cl is NULL once the client is gone. */
struct ctl_deferred {
	struct ctl_client *cl;
};

struct ctl {
	sd_event *ev;			/* referenced */
	int fd;
	sd_event_source *listen, *pause;
	char *path;			/* owned */
	bool bound;
	dev_t dev;			/* the socket file we created: ctl_close */
	ino_t ino;			/* unlinks only that one */
	const struct ctl_command *cmds;	/* borrowed */
	size_t n_cmds;
	void *ctx;
	uint64_t timeout_usec;
	struct ctl_client *clients;
};

static const char *const errno_names[] = {
	[EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH",
	[EINTR] = "EINTR", [EIO] = "EIO", [ENXIO] = "ENXIO", [E2BIG] = "E2BIG",
	[EBADF] = "EBADF", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM",
	[EACCES] = "EACCES", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST",
	[ENODEV] = "ENODEV", [ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR",
	[EINVAL] = "EINVAL", [EMFILE] = "EMFILE", [ENOSPC] = "ENOSPC",
	[ERANGE] = "ERANGE", [ENAMETOOLONG] = "ENAMETOOLONG",
	[ENOSYS] = "ENOSYS", [ELOOP] = "ELOOP", [ENODATA] = "ENODATA",
	[EPROTO] = "EPROTO", [EBADMSG] = "EBADMSG", [EOVERFLOW] = "EOVERFLOW",
	[EMSGSIZE] = "EMSGSIZE", [ENOTSUP] = "ENOTSUP",
	[EAFNOSUPPORT] = "EAFNOSUPPORT", [EADDRINUSE] = "EADDRINUSE",
	[EADDRNOTAVAIL] = "EADDRNOTAVAIL", [ENETUNREACH] = "ENETUNREACH",
	[ENOBUFS] = "ENOBUFS", [ETIMEDOUT] = "ETIMEDOUT", [ENOTCONN] = "ENOTCONN",
	[ECONNRESET] = "ECONNRESET", [ESHUTDOWN] = "ESHUTDOWN",
	[ECONNREFUSED] = "ECONNREFUSED", [EHOSTUNREACH] = "EHOSTUNREACH",
	[EALREADY] = "EALREADY", [EINPROGRESS] = "EINPROGRESS",
	[ECANCELED] = "ECANCELED",
};

/* err is positive; buf holds the "E<num>" fallback. */
static const char *errno_name(int err, char buf[static 16])
{
	if (err > 0 && (size_t)err < sizeof(errno_names) / sizeof(errno_names[0]) &&
	    errno_names[err])
		return errno_names[err];
	snprintf(buf, 16, "E%d", err);
	return buf;
}

int ctl_reply_error(struct ctl_reply *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	return err;
}

int ctl_reply_detail(struct ctl_reply *r, const char *fmt, ...)
{
	json_object *s;
	char *line;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	if (!r->details)
		r->details = json_object_new_array();
	s = json_object_new_string_len(line, n);
	free(line);
	if (!r->details || !s || json_object_array_add(r->details, s) < 0) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

static void client_free(struct ctl_client *cl)
{
	struct ctl *c = cl->ctl;

	if (cl->deferred)
		cl->deferred->cl = NULL;

	if (cl->prev)
		cl->prev->next = cl->next;
	else
		c->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	/* Disabling removes the fd from epoll before we close it. */
	sd_event_source_disable_unref(cl->io);
	sd_event_source_disable_unref(cl->timer);
	close(cl->fd);
	free(cl->in);
	free(cl->out);
	free(cl);
}

static int add_key(json_object *o, const char *key, json_object *v)
{
	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* Builds {"ok": ...} from a handler's outcome; r's objects are consumed. */
static json_object *reply_build(int ret, struct ctl_reply *r)
{
	char buf[16];
	json_object *o;
	int err = 0;

	o = json_object_new_object();
	if (!o)
		goto out;
	if (ret >= 0) {
		err = add_key(o, CTL_KEY_OK, json_object_new_boolean(1));
		/* A NULL result is a legitimate null, so no add_key(). */
		if (!err && json_object_object_add(o, CTL_KEY_RESULT, r->result) < 0)
			err = -ENOMEM;
		else if (!err)
			r->result = NULL;
		goto out;
	}
	if (!r->message[0])
		snprintf(r->message, sizeof(r->message), "%s", strerror(-ret));
	err = add_key(o, CTL_KEY_OK, json_object_new_boolean(0));
	if (!err)
		err = add_key(o, CTL_KEY_ERROR, json_object_new_string(
				r->error ? r->error : errno_name(-ret, buf)));
	if (!err)
		err = add_key(o, CTL_KEY_MESSAGE, json_object_new_string(r->message));
	if (!err && r->details) {
		err = add_key(o, CTL_KEY_DETAILS, r->details);
		r->details = NULL;
	}
out:
	json_object_put(r->result);
	json_object_put(r->details);
	r->result = r->details = NULL;
	if (err < 0) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* Serializes the reply into cl->out, one line.  0 or -ENOMEM. */
static int client_set_reply(struct ctl_client *cl, int ret, struct ctl_reply *r)
{
	const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
	json_object *o;
	const char *s;
	size_t len;
	int err = -ENOMEM;

	o = reply_build(ret, r);
	if (!o)
		return -ENOMEM;
	s = json_object_to_json_string_length(o, flags, &len);
	if (s && len + 1 > CTL_MAX_REPLY) {
		/* gwctl would refuse it; tell it why instead. */
		struct ctl_reply big = { 0 };

		ctl_reply_error(&big, -EMSGSIZE, "reply is larger than %d bytes",
				CTL_MAX_REPLY);
		json_object_put(o);
		o = reply_build(-EMSGSIZE, &big);
		s = o ? json_object_to_json_string_length(o, flags, &len) : NULL;
	}
	if (!s)
		goto out;
	cl->out = malloc(len + 1);
	if (!cl->out)
		goto out;
	memcpy(cl->out, s, len);
	cl->out[len] = '\n';
	cl->out_len = len + 1;
	err = 0;
out:
	json_object_put(o);
	return err;
}

/*
 * Now plus the timeout.  Not sd_event_now() (as *_relative() use): that is
 * when the loop iteration began, and the handler that built the reply may
 * have run for long since (a reload).
 */
static uint64_t client_deadline(const struct ctl *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000 + c->timeout_usec;
}

/* Writes what the socket takes; frees the client when done or gone. */
static void client_send(struct ctl_client *cl)
{
	struct ctl *c = cl->ctl;
	bool progress = false;
	ssize_t n;

	while (cl->out_off < cl->out_len) {
		n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0) {
			/* EPIPE, ECONNRESET: it left without reading it all. */
			log_debug("control client pid %d: %s", (int)cl->pid, strerror(errno));
			client_free(cl);
			return;
		}
		cl->out_off += n;
		progress = true;
	}
	if (cl->out_off == cl->out_len) {
		client_free(cl);
		return;
	}
	/* A slow reader of a large reply is fine as long as it keeps reading. */
	if (progress)
		sd_event_source_set_time(cl->timer, client_deadline(c));
}

/* Ends the request phase: reply, then switch the io source to EPOLLOUT. */
static void client_finish(struct ctl_client *cl, int ret, struct ctl_reply *r)
{
	if (ret < 0 && r->message[0])
		log_debug("control client pid %d: %s", (int)cl->pid,
			r->message);
	if (client_set_reply(cl, ret, r) < 0 ||
	    sd_event_source_set_io_events(cl->io, EPOLLOUT) < 0) {
		log_warn("control client pid %d: cannot reply: out of memory",
			(int)cl->pid);
		client_free(cl);
		return;
	}
	free(cl->in);
	cl->in = NULL;
	client_send(cl);
}

/* A string without embedded NUL: json-c strings may hold "\u0000". */
static const char *get_string(json_object *v)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	return strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

/*
 * Parses the NUL-terminated request buf into *req (owned by the caller) and
 * points argv[0] at the command and argv[1..] at its arguments, inside *req.
 */
static int parse_request(const char *buf, size_t len, json_object **req,
			 const char **argv, int *argc, struct ctl_reply *r)
{
	struct json_tokener *tok;
	json_object *o, *v, *a;
	size_t i, n = 0;
	int err = 0;

	if (strlen(buf) != len)
		return ctl_reply_error(r, -EINVAL, "request contains a NUL byte");
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	/* Strict: no trailing data, no single quotes; len + 1 so json-c sees
	 * the end of the input and completes a bare number. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf, len + 1);
	if (!o)
		err = ctl_reply_error(r, -EINVAL, "request is not valid JSON: %s",
				      json_tokener_error_desc(json_tokener_get_error(tok)));
	json_tokener_free(tok);
	if (err < 0)
		return err;

	if (!json_object_is_type(o, json_type_object)) {
		err = ctl_reply_error(r, -EINVAL, "request is not a JSON object");
		goto out;
	}
	json_object_object_foreach(o, key, val) {
		(void)val;
		if (strcmp(key, CTL_KEY_COMMAND) && strcmp(key, CTL_KEY_ARGS)) {
			err = ctl_reply_error(r, -EINVAL, "unknown key \"%s\" in request", key);
			goto out;
		}
	}
	if (!json_object_object_get_ex(o, CTL_KEY_COMMAND, &v)) {
		err = ctl_reply_error(r, -EINVAL, "request has no \"" CTL_KEY_COMMAND "\"");
		goto out;
	}
	argv[0] = get_string(v);
	if (!argv[0]) {
		err = ctl_reply_error(r, -EINVAL, "\"" CTL_KEY_COMMAND "\" is not a string");
		goto out;
	}
	if (json_object_object_get_ex(o, CTL_KEY_ARGS, &v)) {
		if (!json_object_is_type(v, json_type_array)) {
			err = ctl_reply_error(r, -EINVAL, "\"" CTL_KEY_ARGS "\" is not an array");
			goto out;
		}
		n = json_object_array_length(v);
		if (n > CTL_MAX_ARGS) {
			err = ctl_reply_error(r, -EINVAL, "too many arguments: %zu, at most %d",
					      n, CTL_MAX_ARGS);
			goto out;
		}
		for (i = 0; i < n; i++) {
			a = json_object_array_get_idx(v, i);
			argv[i + 1] = get_string(a);
			if (!argv[i + 1]) {
				err = ctl_reply_error(r, -EINVAL, "args[%zu] is not a string", i);
				goto out;
			}
		}
	}
	*argc = n + 1;
out:
	if (err < 0)
		json_object_put(o);
	else
		*req = o;
	return err;
}

static const char *usage_of(const struct ctl_command *cmd)
{
	return cmd->usage ? cmd->usage : cmd->name;
}

/* Lists the usage of every command, or of every entry named name. */
static int add_usages(const struct ctl *c, const char *name, struct ctl_reply *r)
{
	size_t i;
	int err;

	for (i = 0; i < c->n_cmds; i++) {
		if (name && strcmp(c->cmds[i].name, name))
			continue;
		err = ctl_reply_detail(r, "%s", usage_of(&c->cmds[i]));
		if (err < 0)
			return err;
	}
	return 0;
}

/*
 * Finds the entry for argv[0] (and argv[1] if it names a subcommand); *skip
 * is how many of argv are the command's words.
 */
static int find_command(const struct ctl *c, int argc, const char *const *argv,
			const struct ctl_command **out, int *skip,
			struct ctl_reply *r)
{
	const struct ctl_command *cmd = NULL, *fallback = NULL;
	bool known = false;
	size_t i;
	int n, err;

	for (i = 0; i < c->n_cmds && !cmd; i++) {
		if (strcmp(c->cmds[i].name, argv[0]))
			continue;
		known = true;
		if (!c->cmds[i].sub)
			fallback = &c->cmds[i];
		else if (argc > 1 && !strcmp(c->cmds[i].sub, argv[1]))
			cmd = &c->cmds[i];
	}
	*skip = cmd ? 2 : 1;
	if (!cmd)
		cmd = fallback;
	if (!cmd) {
		if (!known)
			err = ctl_reply_error(r, -EINVAL, "unknown command \"%s\"", argv[0]);
		else if (argc == 1)
			err = ctl_reply_error(r, -EINVAL, "\"%s\" needs a subcommand", argv[0]);
		else
			err = ctl_reply_error(r, -EINVAL, "unknown subcommand \"%s\" of \"%s\"",
					      argv[1], argv[0]);
		return add_usages(c, known ? argv[0] : NULL, r) ?: err;
	}
	n = argc - *skip;
	if (n < cmd->min_args || n > cmd->max_args)
		return ctl_reply_error(r, -EINVAL, "usage: %s", usage_of(cmd));
	*out = cmd;
	return 0;
}

/* The request is cl->in[0..len): parse, dispatch, reply. */
static void client_handle(struct ctl_client *cl, size_t len)
{
	struct ctl *c = cl->ctl;
	const char *argv[CTL_MAX_ARGS + 1];
	const struct ctl_command *cmd = NULL;
	struct ctl_reply r = { 0 };
	json_object *req = NULL;
	int argc = 0, skip, ret;

	cl->in[len] = '\0';
	ret = parse_request(cl->in, len, &req, argv, &argc, &r);
	if (ret >= 0)
		ret = find_command(c, argc, argv, &cmd, &skip, &r);
	r.client = cl;
	if (ret >= 0)
		ret = cmd->fn(c->ctx, argc - skip, argv + skip, &r);
	json_object_put(req);
	if (ret == CTL_DEFERRED && cl->deferred) {
		/* Nothing more to read; the timer still bounds the wait. */
		sd_event_source_set_enabled(cl->io, SD_EVENT_OFF);
		return;
	}
	client_finish(cl, ret, &r);
}

struct ctl_deferred *ctl_defer(struct ctl_reply *r)
{
	struct ctl_client *cl = r->client;

	if (!cl || cl->deferred)
		return NULL;
	cl->deferred = calloc(1, sizeof(*cl->deferred));
	if (cl->deferred)
		cl->deferred->cl = cl;
	return cl->deferred;
}

void ctl_deferred_cancel(struct ctl_deferred *d)
{
	if (d->cl)
		d->cl->deferred = NULL;
	free(d);
}

void ctl_deferred_finish(struct ctl_deferred *d, int ret, struct ctl_reply *r)
{
	struct ctl_client *cl = d->cl;

	free(d);
	if (!cl) {
		json_object_put(r->result);
		json_object_put(r->details);
		return;
	}
	cl->deferred = NULL;
	sd_event_source_set_enabled(cl->io, SD_EVENT_ON);
	client_finish(cl, ret, r);
}

static void client_read(struct ctl_client *cl)
{
	struct ctl_reply r = { 0 };
	size_t cap;
	char *p, *nl;
	ssize_t n;

	/* Keep one byte spare for the terminating NUL. */
	if (cl->in_len + 1 == cl->in_cap || !cl->in) {
		cap = cl->in_cap ? cl->in_cap * 2 : CTL_READ_CHUNK;
		if (cap > CTL_MAX_REQUEST + 1)
			cap = CTL_MAX_REQUEST + 1;
		p = realloc(cl->in, cap);
		if (!p) {
			log_warn("control client pid %d: out of memory",
				(int)cl->pid);
			client_free(cl);
			return;
		}
		cl->in = p;
		cl->in_cap = cap;
	}
	n = recv(cl->fd, cl->in + cl->in_len, cl->in_cap - cl->in_len - 1, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		log_debug("control client pid %d: %s", (int)cl->pid, strerror(errno));
		client_free(cl);
		return;
	}
	if (n == 0) {
		/* A client that shuts down its side after the request needs no
		 * newline; one that leaves without a word gets no reply. */
		if (cl->in_len)
			client_handle(cl, cl->in_len);
		else
			client_free(cl);
		return;
	}
	nl = memchr(cl->in + cl->in_len, '\n', n);
	cl->in_len += n;
	if (nl)
		client_handle(cl, nl - cl->in);
	else if (cl->in_len == CTL_MAX_REQUEST)
		client_finish(cl, ctl_reply_error(&r, -EMSGSIZE,
						  "request is larger than %d bytes",
						  CTL_MAX_REQUEST), &r);
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ctl_client *cl = userdata;

	if (cl->out)
		client_send(cl);
	else
		client_read(cl);
	return 0;
}

static int on_client_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ctl_client *cl = userdata;
	struct ctl *c = cl->ctl;
	struct ctl_reply r = { 0 };

	log_debug("control client pid %d: timed out", (int)cl->pid);
	/* Still waiting for the request: say why we hang up, once and without
	 * waiting; a client that stalls in reading its reply just goes. */
	if (!cl->out) {
		ctl_reply_error(&r, -ETIMEDOUT, cl->deferred ?
				"no answer within %llu ms" :
				"no complete request within %llu ms",
				(unsigned long long)(c->timeout_usec / 1000));
		if (client_set_reply(cl, -ETIMEDOUT, &r) == 0)
			send(cl->fd, cl->out, cl->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	client_free(cl);
	return 0;
}

static void client_new(struct ctl *c, int fd)
{
	struct ctl_client *cl;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int r;

	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		log_warn("control socket: out of memory, dropping a client");
		close(fd);
		return;
	}
	cl->ctl = c;
	cl->fd = fd;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		cl->pid = cred.pid;
	cl->next = c->clients;
	if (c->clients)
		c->clients->prev = cl;
	c->clients = cl;
	r = sd_event_add_io(c->ev, &cl->io, fd, EPOLLIN, on_client_io, cl);
	if (r >= 0)
		r = sd_event_add_time(c->ev, &cl->timer, CLOCK_MONOTONIC,
				      client_deadline(c), 0, on_client_timeout, cl);
	if (r < 0) {
		log_warn("control socket: dropping a client: %s", strerror(-r));
		client_free(cl);
	}
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ctl *c = userdata;
	int cfd;

	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd >= 0) {
		client_new(c, cfd);
		return 0;
	}
	switch (errno) {
	case EAGAIN:
	case EINTR:
	case ECONNABORTED:
		break;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		/* The connection stays queued, so the level-triggered source
		 * would spin: stop accepting for a moment instead. */
		log_warn("control socket: accept: %s; pausing", strerror(errno));
		if (sd_event_source_set_time_relative(c->pause, CTL_ACCEPT_PAUSE_USEC) >= 0 &&
		    sd_event_source_set_enabled(c->pause, SD_EVENT_ONESHOT) >= 0)
			sd_event_source_set_enabled(c->listen, SD_EVENT_OFF);
		break;
	default:
		log_warn("control socket: accept: %s", strerror(errno));
	}
	/* Never return an error: sd-event would disable the source for good. */
	return 0;
}

static int on_pause_end(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ctl *c = userdata;

	sd_event_source_set_enabled(c->listen, SD_EVENT_ON);
	return 0;
}

/* mkdir -p of path's directory; a directory we create gets 0755 whatever the
 * umask, so that the socket's group can reach the socket. */
static int make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *p, save;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1;; p++) {
		if (*p && *p != '/')
			continue;
		save = *p;
		*p = '\0';
		if (mkdir(dir, 0755) == 0) {
			if (chmod(dir, 0755) < 0)
				return -errno;
		} else if (errno != EEXIST) {
			return -errno;
		}
		if (!save)
			return 0;
		*p = save;
	}
}

/* The socket is born with CTL_SOCKET_MODE: no window in which it is more
 * open.  umask is per process; gwd binds from its only thread. */
static int bind_with_mode(int fd, const struct sockaddr_un *sa)
{
	mode_t old = umask(~CTL_SOCKET_MODE & 0777);
	int r = bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ? -errno : 0;

	umask(old);
	return r;
}

/* 0 when nothing (alive) is left at the path: a dead socket is unlinked. */
static int remove_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Non-blocking: a daemon with a full backlog answers EAGAIN, which is
	 * just as alive. */
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 || errno == EAGAIN)
		r = -EADDRINUSE;
	else if (errno == ECONNREFUSED)
		r = unlink(sa->sun_path) < 0 && errno != ENOENT ? -errno : 0;
	else
		r = -errno;
	close(fd);
	return r;
}

int ctl_open(sd_event *ev, const char *path, const struct ctl_command *cmds,
	     size_t n_cmds, void *ctx, struct ctl **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	struct ctl *c;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ev = sd_event_ref(ev);
	c->fd = -1;
	c->cmds = cmds;
	c->n_cmds = n_cmds;
	c->ctx = ctx;
	c->timeout_usec = CTL_TIMEOUT_MS * 1000ULL;
	c->path = strdup(path);
	if (!c->path) {
		r = -ENOMEM;
		goto out;
	}
	r = make_parent(path);
	if (r < 0)
		goto out;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		r = -errno;
		goto out;
	}
	r = bind_with_mode(c->fd, &sa);
	if (r == -EADDRINUSE) {
		r = remove_stale(&sa);
		if (r == 0)
			r = bind_with_mode(c->fd, &sa);
	}
	if (r < 0)
		goto out;
	if (stat(path, &st) < 0) {
		r = -errno;
		goto out;
	}
	c->bound = true;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	if (listen(c->fd, CTL_BACKLOG) < 0) {
		r = -errno;
		goto out;
	}
	r = sd_event_add_io(ev, &c->listen, c->fd, EPOLLIN, on_accept, c);
	if (r < 0)
		goto out;
	r = sd_event_add_time_relative(ev, &c->pause, CLOCK_MONOTONIC,
				       CTL_ACCEPT_PAUSE_USEC, 0, on_pause_end, c);
	if (r < 0)
		goto out;
	r = sd_event_source_set_enabled(c->pause, SD_EVENT_OFF);
out:
	if (r < 0)
		ctl_close(c);
	else
		*out = c;
	return r < 0 ? r : 0;
}

void ctl_close(struct ctl *c)
{
	struct stat st;

	if (!c)
		return;
	while (c->clients)
		client_free(c->clients);
	sd_event_source_disable_unref(c->listen);
	sd_event_source_disable_unref(c->pause);
	if (c->fd >= 0)
		close(c->fd);
	/* If ours was removed and another gwd bound the path since, leave it. */
	if (c->bound && lstat(c->path, &st) == 0 && st.st_dev == c->dev &&
	    st.st_ino == c->ino)
		unlink(c->path);
	sd_event_unref(c->ev);
	free(c->path);
	free(c);
}

void ctl_set_timeout(struct ctl *c, uint64_t timeout_ms)
{
	c->timeout_usec = timeout_ms * 1000;
}
