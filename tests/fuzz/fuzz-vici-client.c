// SPDX-License-Identifier: GPL-2.0
/*
 * The vici client's side of charon's socket: the input is everything
 * "charon" sends on one connection.  A fake charon accepts the client,
 * which registers two events and, once connected, queues four requests
 * (two streamed); the input goes to it one frame (as its length field
 * says) at a time, the loop running dry in between.  Whatever comes, no
 * crash, no leak, and every request gets exactly one reply.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipsec/vici-client.h"

static sd_event *ev;
static int lfd = -1;
static char dir[] = "/tmp/gwd-fuzz-vici-XXXXXX";
static char path[64];

struct ctx {
	struct vici_client *c;
	unsigned queued, replies;
};

static void on_reply(void *arg, int err, const struct vici_msg *m)
{
	struct ctx *x = arg;

	assert((err == 0) == (m != NULL));
	assert(!m || m->type == VICI_CMD_RESPONSE);
	x->replies++;
}

static void on_event(void *arg, const struct vici_msg *m)
{
	struct vici_iter it = vici_root(m);
	struct vici_elem e;

	assert(m->type == VICI_EVENT);
	while (vici_next(&it, &e))
		;
}

static void request(struct ctx *x, const char *cmd, const char *stream)
{
	struct vici_builder b;
	uint8_t *p;
	size_t len;

	vici_build_init(&b, VICI_CMD_REQUEST, cmd);
	vici_kv_str(&b, "timeout", "-1");
	assert(!vici_build_finish(&b, &p, &len));
	if (!vici_request(x->c, p, len, stream, on_event, on_reply, x, 5000000))
		x->queued++;
}

static void on_state(void *arg, bool connected, int err, const char *why)
{
	struct ctx *x = arg;

	assert(why);
	if (!connected)
		return;
	request(x, "list-sas", "list-sa");
	request(x, "version", NULL);
	request(x, "initiate", "control-log");
	request(x, "ping", "ike-updown");	/* a stream that is a subscription */
}

static void run_dry(void)
{
	while (sd_event_run(ev, 0) > 0)
		;
}

/* Close every connection waiting at the fake charon's door. */
static void drain_backlog(void)
{
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		close(fd);
}

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

static void setup(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	assert(sd_event_new(&ev) >= 0);
	assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/charon.vici", dir);
	strcpy(sa.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert(lfd >= 0);
	assert(!bind(lfd, (struct sockaddr *)&sa, sizeof(sa)));
	assert(!listen(lfd, 16));
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx x = { 0 };
	uint8_t scratch[4096];
	size_t off = 0, n;
	ssize_t sent;
	int fd;

	if (lfd < 0)
		setup();
	drain_backlog();
	assert(!vici_client_new(ev, path, on_state, &x, &x.c));
	assert(!vici_client_subscribe(x.c, "ike-updown", on_event, NULL));
	assert(!vici_client_subscribe(x.c, "child-updown", on_event, NULL));
	run_dry();
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert(fd >= 0);
	while (off < size) {
		n = size - off;
		if (n > VICI_HDR_LEN && !vici_frame_len(data + off, &n))
			n = VICI_HDR_LEN + n < size - off ? VICI_HDR_LEN + n : size - off;
		sent = send(fd, data + off, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (sent <= 0)
			break;
		off += sent;
		run_dry();
		while (recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0)
			;
	}
	vici_client_free(x.c);
	close(fd);
	run_dry();
	assert(x.replies == x.queued);
	return 0;
}
