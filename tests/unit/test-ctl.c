// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket end to end: a ctl server with a test command table runs
 * its own sd-event loop in a thread; the test (the main thread, where cmocka
 * asserts) talks to it through the client API and through raw sockets for
 * what the client API would never send.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "gwd/ctl-client.h"
#include "gwd/ctl.h"

#define WAIT_MS		10000	/* generous: we assert behaviour, not speed */
#define SHORT_TIMEOUT_MS 1000
#define BIG_ITEMS	100000	/* a reply of some MB: more than a socket buffer */
#define BIG_ITEM	"0123456789abcdef0123456789abcdef"
/* {"ok":true,"result":["...","...",...]}\n */
#define BIG_REPLY_LEN	(21 + BIG_ITEMS * (sizeof(BIG_ITEM) - 1 + 3) - 1 + 3)

struct server {
	char dir[64];
	char path[108];
	uint64_t timeout_ms;	/* 0: the default */
	pthread_t thread;
	int stop_fd;		/* eventfd: the test asks the loop to exit */
	int ready[2];		/* pipe: the thread reports ctl_open()'s result */
	int open_result;
	sd_event *ev;		/* the server thread's loop, for deferred replies */
};

/* --- the test command table ------------------------------------------ */

static int cmd_echo(void *ctx, int argc, const char *const *argv, struct ctl_reply *r)
{
	int i;

	r->result = json_object_new_array();
	for (i = 0; i < argc; i++)
		json_object_array_add(r->result, json_object_new_string(argv[i]));
	return 0;
}

static int cmd_show_things(void *ctx, int argc, const char *const *argv,
			   struct ctl_reply *r)
{
	r->result = json_object_new_object();
	json_object_object_add(r->result, "things", json_object_new_int(3));
	return 0;
}

static int cmd_show_nothing(void *ctx, int argc, const char *const *argv,
			    struct ctl_reply *r)
{
	return 0;
}

static int cmd_fail(void *ctx, int argc, const char *const *argv, struct ctl_reply *r)
{
	/* A result left behind on failure must not leak (ASan checks). */
	r->result = json_object_new_string("ignored");
	ctl_reply_detail(r, "first problem");
	ctl_reply_detail(r, "second problem: %d", 2);
	return ctl_reply_error(r, -EBUSY, "busy with %s", argc ? argv[0] : "nothing");
}

static int cmd_fail_bare(void *ctx, int argc, const char *const *argv,
			 struct ctl_reply *r)
{
	return -ECHRNG;	/* in no table: the name falls back to E<num> */
}

static int cmd_fail_named(void *ctx, int argc, const char *const *argv,
			  struct ctl_reply *r)
{
	r->error = "ECUSTOM";
	return ctl_reply_error(r, -EIO, "custom");
}

static int cmd_big(void *ctx, int argc, const char *const *argv, struct ctl_reply *r)
{
	int i;

	r->result = json_object_new_array();
	for (i = 0; i < BIG_ITEMS; i++)
		json_object_array_add(r->result,
				      json_object_new_string(BIG_ITEM));
	return 0;
}

/* Deferred replies: answered from a timer, as gwd answers after charon. */
static int on_later(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ctl_deferred *d = userdata;
	struct ctl_reply r = { 0 };

	r.result = json_object_new_string("later");
	ctl_deferred_finish(d, 0, &r);
	sd_event_source_disable_unref(s);
	return 0;
}

static int defer_for(struct server *srv, struct ctl_reply *r, uint64_t ms)
{
	struct ctl_deferred *d = ctl_defer(r);
	sd_event_source *s;

	if (!d)
		return -ENOMEM;
	/* A second deferral of the same request is refused. */
	if (ctl_defer(r))
		abort();
	if (sd_event_add_time_relative(srv->ev, &s, CLOCK_MONOTONIC, ms * 1000, 1000,
				       on_later, d) < 0)
		return -ENOMEM;
	return CTL_DEFERRED;
}

static int cmd_later(void *ctx, int argc, const char *const *argv, struct ctl_reply *r)
{
	return defer_for(ctx, r, 50);
}

/* Answered after the client's timeout: the late reply is only freed. */
static int cmd_never(void *ctx, int argc, const char *const *argv, struct ctl_reply *r)
{
	return defer_for(ctx, r, 2 * SHORT_TIMEOUT_MS);
}

/* Deferred, then the handler finds it can answer at once after all. */
static int cmd_not_now(void *ctx, int argc, const char *const *argv, struct ctl_reply *r)
{
	struct ctl_deferred *d = ctl_defer(r);

	if (d)
		ctl_deferred_cancel(d);
	return ctl_reply_error(r, -ENOTCONN, "not now");
}

static const struct ctl_command test_cmds[] = {
	{ "later", NULL, 0, 0, cmd_later, "later" },
	{ "never", NULL, 0, 0, cmd_never, "never" },
	{ "not-now", NULL, 0, 0, cmd_not_now, "not-now" },
	{ "echo", NULL, 0, CTL_MAX_ARGS, cmd_echo, "echo [WORD...]" },
	{ "show", "things", 0, 0, cmd_show_things, "show things" },
	{ "show", "nothing", 0, 0, cmd_show_nothing, "show nothing" },
	{ "plan", NULL, 1, 1, cmd_echo, "plan FILE" },
	{ "fail", NULL, 0, 1, cmd_fail, "fail [WHAT]" },
	{ "fail-bare", NULL, 0, 0, cmd_fail_bare, "fail-bare" },
	{ "fail-named", NULL, 0, 0, cmd_fail_named, "fail-named" },
	{ "big", NULL, 0, 0, cmd_big, "big" },
};

/* --- the server thread ------------------------------------------------- */

static int on_stop(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void *server_main(void *arg)
{
	struct server *srv = arg;
	struct ctl *c = NULL;
	sd_event *ev;
	int r;

	r = sd_event_new(&ev);
	if (r >= 0)
		r = sd_event_add_io(ev, NULL, srv->stop_fd, EPOLLIN, on_stop, NULL);
	if (r >= 0)
		srv->ev = ev;
	if (r >= 0)
		r = ctl_open(ev, srv->path, test_cmds,
			     sizeof(test_cmds) / sizeof(test_cmds[0]), srv, &c);
	if (r >= 0 && srv->timeout_ms)
		ctl_set_timeout(c, srv->timeout_ms);
	srv->open_result = r;
	if (write(srv->ready[1], "x", 1) != 1)
		abort();
	if (r >= 0)
		sd_event_loop(ev);
	ctl_close(c);
	sd_event_unref(ev);
	return NULL;
}

static void server_start(struct server *srv)
{
	char buf;

	srv->stop_fd = eventfd(0, EFD_CLOEXEC);
	assert_true(srv->stop_fd >= 0);
	assert_int_equal(pipe2(srv->ready, O_CLOEXEC), 0);
	assert_int_equal(pthread_create(&srv->thread, NULL, server_main, srv), 0);
	assert_int_equal(read(srv->ready[0], &buf, 1), 1);
	assert_int_equal(srv->open_result, 0);
}

static void server_stop(struct server *srv)
{
	uint64_t one = 1;

	assert_int_equal(write(srv->stop_fd, &one, sizeof(one)), sizeof(one));
	pthread_join(srv->thread, NULL);
	close(srv->stop_fd);
	close(srv->ready[0]);
	close(srv->ready[1]);
}

/* A temporary directory; the socket goes into a subdirectory ctl creates. */
static int setup_dir(void **state)
{
	struct server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return -1;
	snprintf(srv->dir, sizeof(srv->dir), "/tmp/test-ctl.XXXXXX");
	if (!mkdtemp(srv->dir))
		return -1;
	snprintf(srv->path, sizeof(srv->path), "%s/run/gwd.sock", srv->dir);
	*state = srv;
	return 0;
}

static int teardown_dir(void **state)
{
	struct server *srv = *state;
	char run[128];

	snprintf(run, sizeof(run), "%s/run", srv->dir);
	unlink(srv->path);
	rmdir(run);
	rmdir(srv->dir);
	free(srv);
	return 0;
}

static int setup_server(void **state)
{
	if (setup_dir(state) < 0)
		return -1;
	server_start(*state);
	return 0;
}

static int setup_server_short(void **state)
{
	struct server *srv;

	if (setup_dir(state) < 0)
		return -1;
	srv = *state;
	srv->timeout_ms = SHORT_TIMEOUT_MS;
	server_start(srv);
	return 0;
}

static int teardown_server(void **state)
{
	server_stop(*state);
	return teardown_dir(state);
}

/* --- helpers ----------------------------------------------------------- */

static int call(const struct server *srv, const char *command, int argc,
		const char *const *argv, struct ctl_response *resp)
{
	char err[256];
	int r;

	r = ctl_call(srv->path, command, argc, argv, WAIT_MS, resp, err, sizeof(err));
	if (r < 0)
		print_error("ctl_call %s: %s\n", command, err);
	return r;
}

/* Sends a raw request and expects an error reply with message prefix msg. */
static void expect_raw_error(const struct server *srv, const char *req,
			     const char *error, const char *msg)
{
	struct ctl_response resp;
	char err[256];

	assert_int_equal(ctl_transact(srv->path, req, strlen(req), WAIT_MS, &resp,
				      err, sizeof(err)), 0);
	assert_false(resp.ok);
	assert_string_equal(resp.error, error);
	if (strncmp(resp.message, msg, strlen(msg)))
		fail_msg("request %s: message \"%s\", expected \"%s...\"", req,
			 resp.message, msg);
	ctl_response_free(&resp);
}

static void expect_error(const struct server *srv, const char *command, int argc,
			 const char *const *argv, const char *error, const char *msg)
{
	struct ctl_response resp;

	assert_int_equal(call(srv, command, argc, argv, &resp), 0);
	assert_false(resp.ok);
	assert_string_equal(resp.error, error);
	assert_string_equal(resp.message, msg);
	ctl_response_free(&resp);
}

static int raw_connect(const struct server *srv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	strcpy(sa.sun_path, srv->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Reads until EOF (or WAIT_MS); returns what came, NUL-terminated. */
static char *raw_read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	assert_non_null(buf);
	for (;;) {
		assert_int_equal(poll(&p, 1, WAIT_MS), 1);
		if (len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == ECONNRESET)
			break;
		assert_true(n >= 0);
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	return buf;
}

static void assert_alive(const struct server *srv)
{
	struct ctl_response resp;
	const char *argv[] = { "still", "here" };

	assert_int_equal(call(srv, "echo", 2, argv, &resp), 0);
	assert_true(resp.ok);
	assert_int_equal(json_object_array_length(resp.result), 2);
	ctl_response_free(&resp);
}

/* --- the tests --------------------------------------------------------- */

static void test_commands(void **state)
{
	struct server *srv = *state;
	struct ctl_response resp;
	const char *argv[] = { "things" };
	const char *words[] = { "a", "b c", "\"quoted\"/slash" };
	json_object *v;
	int i;

	assert_int_equal(call(srv, "echo", 3, words, &resp), 0);
	assert_true(resp.ok);
	assert_int_equal(json_object_array_length(resp.result), 3);
	for (i = 0; i < 3; i++)
		assert_string_equal(json_object_get_string(
				json_object_array_get_idx(resp.result, i)), words[i]);
	ctl_response_free(&resp);

	assert_int_equal(call(srv, "show", 1, argv, &resp), 0);
	assert_true(resp.ok);
	assert_true(json_object_object_get_ex(resp.result, "things", &v));
	assert_int_equal(json_object_get_int(v), 3);
	ctl_response_free(&resp);

	/* A handler that sets no result sends null. */
	argv[0] = "nothing";
	assert_int_equal(call(srv, "show", 1, argv, &resp), 0);
	assert_true(resp.ok);
	assert_null(resp.result);
	ctl_response_free(&resp);

	/* Half-closing after the request stands in for the newline. */
	{
		static const char req[] = "{\"command\": \"echo\", \"args\": [\"x\"]}";
		int fd = raw_connect(srv);
		char *reply;

		assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
		assert_int_equal(shutdown(fd, SHUT_WR), 0);
		reply = raw_read_all(fd);
		assert_string_equal(reply, "{\"ok\":true,\"result\":[\"x\"]}\n");
		free(reply);
		close(fd);
	}
}

static void test_handler_errors(void **state)
{
	struct server *srv = *state;
	struct ctl_response resp;
	const char *argv[] = { "stuff" };

	assert_int_equal(call(srv, "fail", 1, argv, &resp), 0);
	assert_false(resp.ok);
	assert_null(resp.result);
	assert_string_equal(resp.error, "EBUSY");
	assert_string_equal(resp.message, "busy with stuff");
	assert_non_null(resp.details);
	assert_int_equal(json_object_array_length(resp.details), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(resp.details, 1)),
			    "second problem: 2");
	ctl_response_free(&resp);

	assert_int_equal(call(srv, "fail-bare", 0, NULL, &resp), 0);
	assert_false(resp.ok);
	assert_string_equal(resp.message, strerror(ECHRNG));
	assert_int_equal(strncmp(resp.error, "E", 1), 0);
	assert_int_equal(atoi(resp.error + 1), ECHRNG);
	ctl_response_free(&resp);

	expect_error(srv, "fail-named", 0, NULL, "ECUSTOM", "custom");
}

static void test_deferred(void **state)
{
	struct server *srv = *state;
	struct ctl_response resp;

	assert_int_equal(call(srv, "later", 0, NULL, &resp), 0);
	assert_true(resp.ok);
	assert_string_equal(json_object_get_string(resp.result), "later");
	ctl_response_free(&resp);
	expect_error(srv, "not-now", 0, NULL, "ENOTCONN", "not now");
	assert_alive(srv);
}

static void test_deferred_timeout(void **state)
{
	struct server *srv = *state;
	char msg[64];

	snprintf(msg, sizeof(msg), "no answer within %d ms", SHORT_TIMEOUT_MS);
	expect_error(srv, "never", 0, NULL, "ETIMEDOUT", msg);
	/* The handler's late answer finds the client gone (ASan: no use after free). */
	usleep(2 * SHORT_TIMEOUT_MS * 1000);
	assert_alive(srv);
}

static void test_unknown_command(void **state)
{
	struct server *srv = *state;
	struct ctl_response resp;
	const char *nope[] = { "nope" };
	const char *two[] = { "a", "b" };

	assert_int_equal(call(srv, "shwo", 0, NULL, &resp), 0);
	assert_false(resp.ok);
	assert_string_equal(resp.error, "EINVAL");
	assert_string_equal(resp.message, "unknown command \"shwo\"");
	/* The details list what there is. */
	assert_int_equal(json_object_array_length(resp.details),
			 sizeof(test_cmds) / sizeof(test_cmds[0]));
	ctl_response_free(&resp);

	expect_error(srv, "show", 0, NULL, "EINVAL", "\"show\" needs a subcommand");
	expect_error(srv, "show", 1, nope, "EINVAL", "unknown subcommand \"nope\" of \"show\"");
	expect_error(srv, "plan", 0, NULL, "EINVAL", "usage: plan FILE");
	expect_error(srv, "plan", 2, two, "EINVAL", "usage: plan FILE");
	expect_error(srv, "fail", 2, two, "EINVAL", "usage: fail [WHAT]");
	assert_alive(srv);
}

static void test_bad_requests(void **state)
{
	struct server *srv = *state;
	char req[512];
	int i, n;

	expect_raw_error(srv, "{nope\n", "EINVAL", "request is not valid JSON: ");
	expect_raw_error(srv, "\n", "EINVAL", "request is not valid JSON: ");
	expect_raw_error(srv, "{\"command\": \"echo\"} trailing\n", "EINVAL",
			 "request is not valid JSON: ");
	expect_raw_error(srv, "{'command': 'echo'}\n", "EINVAL", "request is not valid JSON: ");
	expect_raw_error(srv, "[\"echo\"]\n", "EINVAL", "request is not a JSON object");
	expect_raw_error(srv, "42\n", "EINVAL", "request is not a JSON object");
	expect_raw_error(srv, "{}\n", "EINVAL", "request has no \"command\"");
	expect_raw_error(srv, "{\"command\": 1}\n", "EINVAL", "\"command\" is not a string");
	expect_raw_error(srv, "{\"command\": \"ec\\u0000ho\"}\n", "EINVAL",
			 "\"command\" is not a string");
	expect_raw_error(srv, "{\"command\": \"echo\", \"args\": \"x\"}\n", "EINVAL",
			 "\"args\" is not an array");
	expect_raw_error(srv, "{\"command\": \"echo\", \"args\": [\"x\", 2]}\n", "EINVAL",
			 "args[1] is not a string");
	expect_raw_error(srv, "{\"command\": \"echo\", \"verbose\": true}\n", "EINVAL",
			 "unknown key \"verbose\" in request");

	n = snprintf(req, sizeof(req), "{\"command\": \"echo\", \"args\": [\"0\"");
	for (i = 1; i <= CTL_MAX_ARGS; i++)
		n += snprintf(req + n, sizeof(req) - n, ", \"%d\"", i);
	snprintf(req + n, sizeof(req) - n, "]}\n");
	expect_raw_error(srv, req, "EINVAL", "too many arguments: 17, at most 16");

	/* A NUL byte before the newline. */
	{
		static const char nul[] = "{\"command\": \"echo\"}\0\n";
		struct ctl_response resp;
		char err[256];

		assert_int_equal(ctl_transact(srv->path, nul, sizeof(nul) - 1, WAIT_MS,
					      &resp, err, sizeof(err)), 0);
		assert_false(resp.ok);
		assert_string_equal(resp.message, "request contains a NUL byte");
		ctl_response_free(&resp);
	}
	assert_alive(srv);
}

static void test_oversized_request(void **state)
{
	struct server *srv = *state;
	struct ctl_response resp;
	const char *argv[1];
	char *arg, msg[64];
	size_t sizes[] = { CTL_MAX_REQUEST, 4 * 1024 * 1024 };
	size_t i;

	/* The second size does not fit in the socket buffers: gwd hangs up
	 * while the client is still sending, and the client must still
	 * read why. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		arg = malloc(sizes[i] + 1);
		assert_non_null(arg);
		memset(arg, 'x', sizes[i]);
		arg[sizes[i]] = '\0';
		argv[0] = arg;
		snprintf(msg, sizeof(msg), "request is larger than %d bytes", CTL_MAX_REQUEST);
		expect_error(srv, "echo", 1, argv, "EMSGSIZE", msg);
		free(arg);
	}

	/* Just below the limit is fine. */
	arg = malloc(CTL_MAX_REQUEST);
	assert_non_null(arg);
	memset(arg, 'y', CTL_MAX_REQUEST - 64);
	arg[CTL_MAX_REQUEST - 64] = '\0';
	argv[0] = arg;
	assert_int_equal(call(srv, "echo", 1, argv, &resp), 0);
	assert_true(resp.ok);
	ctl_response_free(&resp);
	free(arg);
	assert_alive(srv);
}

static void test_stalled_client(void **state)
{
	struct server *srv = *state;
	static const char partial[] = "{\"command\": \"ec";
	char *reply, msg[64];
	int fd, fd2;

	/* One that sends nothing and one that stops halfway: both get told
	 * and dropped, while others are served meanwhile. */
	fd = raw_connect(srv);
	fd2 = raw_connect(srv);
	assert_int_equal(send(fd2, partial, strlen(partial), 0), (ssize_t)strlen(partial));
	assert_alive(srv);

	reply = raw_read_all(fd);
	assert_non_null(strstr(reply, "\"error\":\"ETIMEDOUT\""));
	snprintf(msg, sizeof(msg), "no complete request within %d ms", SHORT_TIMEOUT_MS);
	assert_non_null(strstr(reply, msg));
	free(reply);
	reply = raw_read_all(fd2);
	assert_non_null(strstr(reply, "\"error\":\"ETIMEDOUT\""));
	free(reply);
	close(fd);
	close(fd2);
	assert_alive(srv);
}

static void test_big_reply(void **state)
{
	struct server *srv = *state;
	static const char req[] = "{\"command\": \"big\"}\n";
	struct ctl_response resp;
	char buf[1000];
	int fd;

	/* Whole, through the buffered EPOLLOUT path. */
	assert_int_equal(call(srv, "big", 0, NULL, &resp), 0);
	assert_true(resp.ok);
	assert_int_equal(json_object_array_length(resp.result), BIG_ITEMS);
	ctl_response_free(&resp);

	/* Gone before reading a byte, and gone after reading a little: gwd
	 * gets EPIPE/ECONNRESET, not SIGPIPE, and carries on. */
	fd = raw_connect(srv);
	assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	close(fd);
	fd = raw_connect(srv);
	assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	assert_true(recv(fd, buf, sizeof(buf), MSG_WAITALL) > 0);
	close(fd);
	assert_alive(srv);
}

static void test_slow_reader(void **state)
{
	struct server *srv = *state;
	static const char req[] = "{\"command\": \"big\"}\n";
	struct ctl_response resp;
	char err[256], *reply, buf[64 * 1024];
	size_t len = 0;
	int fd, i;

	/* Pauses shorter than the timeout, adding up to several of them, each
	 * followed by draining what is there: the clock restarts whenever the
	 * reply moves, so it arrives whole. */
	fd = raw_connect(srv);
	assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	for (i = 0; i < 4; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		assert_int_equal(poll(&p, 1, WAIT_MS), 1);
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			len += n;
		usleep(SHORT_TIMEOUT_MS * 1000 / 2);
	}
	reply = raw_read_all(fd);
	close(fd);
	len += strlen(reply);
	/* The whole of it, however it was split between drains and the end. */
	assert_int_equal(len, BIG_REPLY_LEN);
	free(reply);

	/* A reply stuck for longer than the timeout: that client is dropped,
	 * the server carries on. */
	fd = raw_connect(srv);
	assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	usleep(SHORT_TIMEOUT_MS * 1000 * 2);
	assert_int_equal(ctl_transact(srv->path, req, strlen(req), WAIT_MS, &resp, err,
				      sizeof(err)), 0);
	ctl_response_free(&resp);
	reply = raw_read_all(fd);
	close(fd);
	assert_true(strlen(reply) < BIG_REPLY_LEN);
	free(reply);
}

static void test_concurrent_clients(void **state)
{
	struct server *srv = *state;
	enum { N = 32 };
	static const char head[] = "{\"command\": \"echo\", ";
	char tail[64], *reply, want[64];
	int fds[N], i;

	/* N clients each halfway through a request; the (N+1)th is served. */
	for (i = 0; i < N; i++) {
		fds[i] = raw_connect(srv);
		assert_int_equal(send(fds[i], head, strlen(head), 0), (ssize_t)strlen(head));
	}
	assert_alive(srv);
	for (i = N - 1; i >= 0; i--) {
		snprintf(tail, sizeof(tail), "\"args\": [\"%d\"]}\n", i);
		assert_int_equal(send(fds[i], tail, strlen(tail), 0), (ssize_t)strlen(tail));
	}
	for (i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "{\"ok\":true,\"result\":[\"%d\"]}\n", i);
		reply = raw_read_all(fds[i]);
		assert_string_equal(reply, want);
		free(reply);
		close(fds[i]);
	}
}

static void test_socket_mode(void **state)
{
	struct server *srv = *state;
	char run[128];
	struct stat st;

	assert_int_equal(lstat(srv->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, CTL_SOCKET_MODE);
	snprintf(run, sizeof(run), "%s/run", srv->dir);
	assert_int_equal(stat(run, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
}

static void test_live_socket(void **state)
{
	struct server *srv = *state;
	struct ctl *c = NULL;
	sd_event *ev;

	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(ctl_open(ev, srv->path, test_cmds, 1, NULL, &c), -EADDRINUSE);
	assert_null(c);
	sd_event_unref(ev);
	/* The running server kept its socket. */
	assert_alive(srv);
}

static void test_stale_socket(void **state)
{
	struct server *srv = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char run[128];
	struct stat st;
	int fd;

	/* What a gwd killed with -9 leaves behind. */
	snprintf(run, sizeof(run), "%s/run", srv->dir);
	assert_int_equal(mkdir(run, 0755), 0);
	strcpy(sa.sun_path, srv->path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(lstat(srv->path, &st), 0);

	server_start(srv);
	assert_alive(srv);
	server_stop(srv);
	/* ctl_close() removes the socket. */
	assert_int_equal(lstat(srv->path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_not_a_socket(void **state)
{
	struct server *srv = *state;
	struct ctl *c = NULL;
	char run[128];
	struct stat st;
	sd_event *ev;
	int fd;

	snprintf(run, sizeof(run), "%s/run", srv->dir);
	assert_int_equal(mkdir(run, 0755), 0);
	fd = open(srv->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);

	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(ctl_open(ev, srv->path, test_cmds, 1, NULL, &c), -EEXIST);
	sd_event_unref(ev);
	assert_int_equal(lstat(srv->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

/* A fake gwd for the client's sake: accepts one connection, reads the
 * request, sends reply (if any) and hangs up. */
struct fake {
	int fd;
	const char *reply;
};

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	char buf[4096];
	int fd;

	fd = accept(f->fd, NULL, NULL);
	if (fd < 0)
		return NULL;
	if (recv(fd, buf, sizeof(buf), 0) > 0 && f->reply)
		send(fd, f->reply, strlen(f->reply), MSG_NOSIGNAL);
	close(fd);
	return NULL;
}

static int fake_listen(const struct server *srv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char run[128];
	int fd;

	snprintf(run, sizeof(run), "%s/run", srv->dir);
	mkdir(run, 0755);
	unlink(srv->path);
	strcpy(sa.sun_path, srv->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void expect_client_error(const struct server *srv, const char *reply,
				int error, const char *msg)
{
	struct fake f = { .fd = fake_listen(srv), .reply = reply };
	struct ctl_response resp;
	pthread_t t;
	char err[256];

	assert_int_equal(pthread_create(&t, NULL, fake_main, &f), 0);
	assert_int_equal(ctl_call(srv->path, "status", 0, NULL, WAIT_MS, &resp, err,
				  sizeof(err)), error);
	pthread_join(t, NULL);
	close(f.fd);
	if (strncmp(err, msg, strlen(msg)))
		fail_msg("reply \"%s\": error \"%s\", expected \"%s...\"",
			 reply ? reply : "(none)", err, msg);
	assert_null(resp.root);
}

static void test_client_errors(void **state)
{
	struct server *srv = *state;
	struct ctl_response resp;
	char err[256], want[256];
	int fd;

	/* No gwd: the socket is missing, or nobody listens on it. */
	assert_int_equal(ctl_call(srv->path, "status", 0, NULL, WAIT_MS, &resp, err,
				  sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "gwd is not running? cannot connect to %s: %s",
		 srv->path, strerror(ENOENT));
	assert_string_equal(err, want);
	assert_null(resp.root);
	fd = fake_listen(srv);
	close(fd);
	assert_int_equal(ctl_call(srv->path, "status", 0, NULL, WAIT_MS, &resp, err,
				  sizeof(err)), -ECONNREFUSED);
	assert_non_null(strstr(err, "gwd is not running? "));

	/* A gwd that never answers. */
	fd = fake_listen(srv);
	assert_int_equal(ctl_call(srv->path, "status", 0, NULL, 300, &resp, err,
				  sizeof(err)), -ETIMEDOUT);
	assert_string_equal(err, "no reply from gwd within 300 ms");
	close(fd);

	expect_client_error(srv, NULL, -ECONNRESET,
			    "gwd closed the connection without replying");
	expect_client_error(srv, "{\"ok\": true", -EPROTO,
			    "gwd closed the connection in the middle of its reply");
	expect_client_error(srv, "ok\n", -EBADMSG, "malformed reply from gwd: ");
	expect_client_error(srv, "{\"ok\": 1}\n", -EBADMSG,
			    "malformed reply from gwd: no \"ok\" boolean");
	expect_client_error(srv, "{\"ok\": false}\n", -EBADMSG,
			    "malformed reply from gwd: an error without \"error\"");

	/* Tolerated: an error without message, extra keys. */
	{
		struct fake f = { .fd = fake_listen(srv),
				  .reply = "{\"ok\": false, \"error\": \"EIO\", \"x\": 1}\n" };
		pthread_t t;

		assert_int_equal(pthread_create(&t, NULL, fake_main, &f), 0);
		assert_int_equal(ctl_call(srv->path, "status", 0, NULL, WAIT_MS, &resp,
					  err, sizeof(err)), 0);
		pthread_join(t, NULL);
		close(f.fd);
		assert_false(resp.ok);
		assert_string_equal(resp.message, "EIO");
		assert_null(resp.details);
		ctl_response_free(&resp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commands, setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_handler_errors, setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_deferred, setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_deferred_timeout, setup_server_short,
						teardown_server),
		cmocka_unit_test_setup_teardown(test_unknown_command, setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_oversized_request, setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_stalled_client, setup_server_short,
						teardown_server),
		cmocka_unit_test_setup_teardown(test_big_reply, setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_slow_reader, setup_server_short,
						teardown_server),
		cmocka_unit_test_setup_teardown(test_concurrent_clients, setup_server,
						teardown_server),
		cmocka_unit_test_setup_teardown(test_socket_mode, setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_live_socket, setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_stale_socket, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_not_a_socket, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_client_errors, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
