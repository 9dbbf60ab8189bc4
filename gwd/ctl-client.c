// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket, client side.  Linked into gwctl with json-c alone, so
 * nothing here may use sd-event or the daemon's code.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "gwd/ctl-client.h"

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 0 once fd has one of events (or an error, which the next call reports). */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* A connected non-blocking socket, or a negative errno with err set. */
static int connect_to(const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(err, errlen, -ENAMETOOLONG, "socket path is too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, errlen, -errno, "cannot create a socket: %s", strerror(errno));
	/* Blocking, so that connect() waits up to SO_SNDTIMEO for room in a
	 * busy gwd's backlog rather than failing at once with EAGAIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0 &&
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    fcntl(fd, F_SETFL, O_NONBLOCK) == 0)
		return fd;
	r = -errno;
	close(fd);
	switch (-r) {
	case ENOENT:
	case ECONNREFUSED:
		return fail(err, errlen, r, "gwd is not running? cannot connect to %s: %s",
			    path, strerror(-r));
	case EACCES:
	case EPERM:
		return fail(err, errlen, r, "cannot connect to %s: %s (the socket is for "
			    "root and its group)", path, strerror(-r));
	case EAGAIN:
		return fail(err, errlen, -ETIMEDOUT, "cannot connect to %s: gwd did not "
			    "accept within %d ms", path, timeout_ms);
	default:
		return fail(err, errlen, r, "cannot connect to %s: %s", path, strerror(-r));
	}
}

static int send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	ssize_t n;
	int r;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0) {
			buf += n;
			len -= n;
		} else if (errno == EAGAIN) {
			r = wait_fd(fd, POLLOUT, deadline);
			if (r < 0)
				return r;
		} else if (errno != EINTR) {
			return -errno;
		}
	}
	return 0;
}

/*
 * Reads the reply line into *out (owned by the caller; the newline replaced
 * by NUL, *out_len excludes it).  -ECONNRESET: closed before a byte came;
 * -EPROTO: closed within the line; -EMSGSIZE, -ETIMEDOUT.
 */
static int recv_line(int fd, int64_t deadline, char **out, size_t *out_len)
{
	char *buf = NULL, *p, *nl = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int r = 0;

	while (!nl) {
		if (len == CTL_MAX_REPLY) {
			r = -EMSGSIZE;
			goto out;
		}
		/* Keep one byte spare for the terminating NUL. */
		if (len + 1 == cap || !buf) {
			cap = cap ? cap * 2 : 64 * 1024;
			if (cap > CTL_MAX_REPLY + 1)
				cap = CTL_MAX_REPLY + 1;
			p = realloc(buf, cap);
			if (!p) {
				r = -ENOMEM;
				goto out;
			}
			buf = p;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		/* gwd resets the connection if it closes with our request
		 * unread; what it sent before still comes first. */
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			r = len ? -EPROTO : -ECONNRESET;
			goto out;
		}
		if (n < 0 && errno == EAGAIN)
			r = wait_fd(fd, POLLIN, deadline);
		else if (n < 0 && errno != EINTR)
			r = -errno;
		if (r < 0)
			goto out;
		if (n > 0) {
			nl = memchr(buf + len, '\n', n);
			len += n;
		}
	}
	*nl = '\0';
	*out = buf;
	*out_len = nl - buf;
	buf = NULL;
out:
	free(buf);
	return r;
}

static int parse_reply(const char *buf, size_t len, struct ctl_response *resp,
		       char *err, size_t errlen)
{
	struct json_tokener *tok;
	json_object *o, *v;

	tok = json_tokener_new();
	if (!tok)
		return fail(err, errlen, -ENOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf, len + 1);
	if (!o) {
		fail(err, errlen, -EBADMSG, "malformed reply from gwd: %s",
		     json_tokener_error_desc(json_tokener_get_error(tok)));
		json_tokener_free(tok);
		return -EBADMSG;
	}
	json_tokener_free(tok);
	resp->root = o;
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, CTL_KEY_OK, &v) ||
	    !json_object_is_type(v, json_type_boolean)) {
		ctl_response_free(resp);
		return fail(err, errlen, -EBADMSG,
			    "malformed reply from gwd: no \"" CTL_KEY_OK "\" boolean");
	}
	resp->ok = json_object_get_boolean(v);
	if (resp->ok) {
		json_object_object_get_ex(o, CTL_KEY_RESULT, &resp->result);
		return 0;
	}
	if (!json_object_object_get_ex(o, CTL_KEY_ERROR, &v) ||
	    !json_object_is_type(v, json_type_string)) {
		ctl_response_free(resp);
		return fail(err, errlen, -EBADMSG,
			    "malformed reply from gwd: an error without \"" CTL_KEY_ERROR "\"");
	}
	resp->error = json_object_get_string(v);
	resp->message = resp->error;
	if (json_object_object_get_ex(o, CTL_KEY_MESSAGE, &v) &&
	    json_object_is_type(v, json_type_string))
		resp->message = json_object_get_string(v);
	if (json_object_object_get_ex(o, CTL_KEY_DETAILS, &v) &&
	    json_object_is_type(v, json_type_array))
		resp->details = v;
	return 0;
}

int ctl_transact(const char *path, const char *req, size_t len, int timeout_ms,
		 struct ctl_response *resp, char *err, size_t errlen)
{
	int64_t deadline = now_ms() + timeout_ms;
	char *line = NULL;
	size_t line_len;
	int fd, sent, r;

	memset(resp, 0, sizeof(*resp));
	fd = connect_to(path, timeout_ms, err, errlen);
	if (fd < 0)
		return fd;
	sent = send_all(fd, req, len, deadline);
	/* gwd hangs up on a request it refuses before reading all of it
	 * (too large), after saying why: read that rather than EPIPE. */
	if (sent == -ETIMEDOUT) {
		r = fail(err, errlen, sent, "gwd did not take the request within %d ms",
			 timeout_ms);
		goto out;
	}
	if (sent < 0 && sent != -EPIPE && sent != -ECONNRESET) {
		r = fail(err, errlen, sent, "cannot send the request to gwd: %s",
			 strerror(-sent));
		goto out;
	}
	r = recv_line(fd, deadline, &line, &line_len);
	switch (-r) {
	case 0:
		r = parse_reply(line, line_len, resp, err, errlen);
		break;
	case ECONNRESET:
		if (sent < 0)
			r = fail(err, errlen, sent, "cannot send the request to gwd: %s",
				 strerror(-sent));
		else
			r = fail(err, errlen, r, "gwd closed the connection without replying");
		break;
	case EPROTO:
		fail(err, errlen, r, "gwd closed the connection in the middle of its reply");
		break;
	case ETIMEDOUT:
		fail(err, errlen, r, "no reply from gwd within %d ms", timeout_ms);
		break;
	case EMSGSIZE:
		fail(err, errlen, r, "the reply from gwd is larger than %d bytes",
		     CTL_MAX_REPLY);
		break;
	default:
		fail(err, errlen, r, "cannot read the reply from gwd: %s", strerror(-r));
	}
out:
	free(line);
	close(fd);
	return r;
}

/* On failure json-c leaves the value to us. */
static int add_string(json_object *o, const char *key, const char *str)
{
	json_object *v = json_object_new_string(str);
	int r = !v ? -1 : key ? json_object_object_add(o, key, v)
			     : json_object_array_add(o, v);

	if (r < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

int ctl_call(const char *path, const char *command, int argc,
	     const char *const *argv, int timeout_ms, struct ctl_response *resp,
	     char *err, size_t errlen)
{
	json_object *req, *args;
	const char *s;
	char *line = NULL;
	size_t len;
	int i, r = -ENOMEM;

	memset(resp, 0, sizeof(*resp));
	/* Until ctl_transact() takes over, memory is all that can fail. */
	fail(err, errlen, 0, "out of memory");
	req = json_object_new_object();
	args = json_object_new_array();
	if (!req || !args || add_string(req, CTL_KEY_COMMAND, command) < 0)
		goto out;
	for (i = 0; i < argc; i++)
		if (add_string(args, NULL, argv[i]) < 0)
			goto out;
	if (json_object_object_add(req, CTL_KEY_ARGS, args) < 0)
		goto out;
	args = NULL;	/* now req's */
	s = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	line = s ? malloc(len + 1) : NULL;
	if (!line)
		goto out;
	memcpy(line, s, len);
	line[len] = '\n';
	r = ctl_transact(path, line, len + 1, timeout_ms, resp, err, errlen);
out:
	free(line);
	json_object_put(args);
	json_object_put(req);
	return r;
}

void ctl_response_free(struct ctl_response *resp)
{
	json_object_put(resp->root);
	memset(resp, 0, sizeof(*resp));
}
