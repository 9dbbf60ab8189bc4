/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket, server side: a unix stream socket served from gwd's
 * sd-event loop.  Each connection carries one request (see ctl-proto.h); ctl
 * parses and checks it, looks the command up in the caller's table, runs the
 * handler synchronously and writes the reply without blocking the loop.
 * Malformed requests, unknown commands and stalled clients get an error reply
 * and are dropped; they never disturb other clients or the daemon.
 */
#ifndef GWD_CTL_H
#define GWD_CTL_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "gwd/ctl-proto.h"

struct ctl;

/*
 * What a handler fills in.  ctl zeroes it before the call.
 * On success (handler returns >= 0): result is sent as "result" (NULL sends
 * null).  On failure (handler returns -errno): error, message and details are
 * sent; a result left behind is freed.  error defaults to the name of the
 * returned errno ("EINVAL"), message to strerror().  details, if set, is sent
 * only with an error.  ctl takes ownership of result and details.
 */
struct ctl_reply {
	json_object *result;
	const char *error;		/* static string, e.g. "EINVAL" */
	char message[256];
	json_object *details;		/* array of strings, one problem each */
	struct ctl_client *client;	/* ctl's own, for ctl_defer() */
};

/*
 * A handler that must wait for someone else (charon) calls ctl_defer() and
 * returns CTL_DEFERRED; the reply goes out when ctl_deferred_finish() is
 * called with the outcome and a reply filled as a handler would.  The
 * client's timeout still runs: a client that gave up or timed out leaves
 * the handle valid, and finishing it then only frees it.  ctl_defer()
 * returns NULL when out of memory.
 */
#define CTL_DEFERRED	1
struct ctl_deferred;
struct ctl_deferred *ctl_defer(struct ctl_reply *r);
void ctl_deferred_finish(struct ctl_deferred *d, int ret, struct ctl_reply *r);
/* Undo ctl_defer() before the handler returns: it answers at once after all. */
void ctl_deferred_cancel(struct ctl_deferred *d);

/*
 * argv holds the request's arguments after the command name and, for an
 * entry with a sub, after the subcommand: for {"show", "paths"} and the
 * request `show paths`, argc is 0.  The strings live until the handler
 * returns.  Returns 0 or a negative errno.
 */
typedef int (*ctl_handler)(void *ctx, int argc, const char *const *argv,
			   struct ctl_reply *r);

/*
 * One entry of the command table.  Entries sharing a name form a command with
 * subcommands ("show customers", "show paths").  sub == NULL makes the entry
 * take every argument itself, and serves as the fallback when no sub matches.
 * min_args/max_args bound argc as the handler sees it.  usage is the full
 * command line ("plan FILE"; NULL: the name), sent back when the argument
 * count is wrong and listed for an unknown command.
 */
struct ctl_command {
	const char *name;
	const char *sub;
	int min_args, max_args;
	ctl_handler fn;
	const char *usage;
};

/*
 * Listen on path: creates its parent directory (0755) if missing and the
 * socket with mode CTL_SOCKET_MODE.  A stale socket file is replaced; a socket
 * somebody still answers on gives -EADDRINUSE, any other file -EEXIST.
 * cmds and ctx must outlive the ctl; cmds is not copied.
 */
int ctl_open(sd_event *ev, const char *path, const struct ctl_command *cmds,
	     size_t n_cmds, void *ctx, struct ctl **out);

/* Drops every client, closes the socket and unlinks it (if it is still
 * ours).  c may be NULL. */
void ctl_close(struct ctl *c);

/* How long a client may take to send its request, or stall while reading
 * the reply (each write that makes progress restarts the clock).  Default
 * CTL_TIMEOUT_MS; the tests shorten it. */
void ctl_set_timeout(struct ctl *c, uint64_t timeout_ms);

/*
 * Handler helpers.  ctl_reply_error() sets the message and returns err (a
 * negative errno) so a handler can `return ctl_reply_error(r, -EINVAL, ...)`.
 * ctl_reply_detail() appends one line to details: 0 or -ENOMEM.
 */
int ctl_reply_error(struct ctl_reply *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ctl_reply_detail(struct ctl_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
