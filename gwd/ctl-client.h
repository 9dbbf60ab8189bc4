/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket, client side (gwctl): one blocking request/reply
 * exchange with a deadline.  Needs json-c only.
 */
#ifndef GWD_CTL_CLIENT_H
#define GWD_CTL_CLIENT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "gwd/ctl-proto.h"

/*
 * A reply from gwd, checked against the protocol.  root owns everything;
 * the other pointers borrow from it.
 */
struct ctl_response {
	json_object *root;		/* the whole {"ok": ...} object */
	bool ok;
	json_object *result;		/* ok: "result", NULL for null or absent */
	const char *error;		/* !ok: errno name, e.g. "EINVAL" */
	const char *message;		/* !ok: for people */
	json_object *details;		/* !ok: array of strings, or NULL */
};

/*
 * Sends {"command": command, "args": argv} to the socket at path and waits at
 * most timeout_ms for the reply.  0 when gwd replied (check resp->ok; free
 * with ctl_response_free()); otherwise a negative errno and a sentence in
 * err saying what went wrong ("gwd is not running? cannot connect to ...").
 */
int ctl_call(const char *path, const char *command, int argc,
	     const char *const *argv, int timeout_ms, struct ctl_response *resp,
	     char *err, size_t errlen);

/* The same with a request already encoded (len bytes, newline included). */
int ctl_transact(const char *path, const char *req, size_t len, int timeout_ms,
		 struct ctl_response *resp, char *err, size_t errlen);

void ctl_response_free(struct ctl_response *resp);

#endif
