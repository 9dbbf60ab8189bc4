/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control protocol, shared by gwd and gwctl.  One request per
 * connection over a unix stream socket:
 *
 *   request:  {"command": "show", "args": ["paths"]}\n
 *   reply:    {"ok": true, "result": ...}\n
 *         or  {"ok": false, "error": "EINVAL", "message": "...",
 *              "details": ["customers[0].vlan: ...", ...]}\n
 *
 * The request is one strict JSON object with the keys "command" (a string)
 * and optionally "args" (an array of at most CTL_MAX_ARGS strings), nothing
 * else.  It ends at the first newline, or where the client shuts down its
 * sending side; it is at most CTL_MAX_REQUEST bytes including the newline.
 * The reply is one line; gwd closes the connection after it.
 *
 * "error" is the errno name, so scripts can branch on it; "message" is for
 * people; "details" (optional, errors only) lists one problem per line.
 */
#ifndef GWD_CTL_PROTO_H
#define GWD_CTL_PROTO_H

#define CTL_DEFAULT_SOCKET	"/run/gwd/gwd.sock"
#define CTL_SOCKET_MODE		0660
#define CTL_MAX_REQUEST		(64 * 1024)
#define CTL_MAX_REPLY		(64 * 1024 * 1024)
#define CTL_TIMEOUT_MS		5000	/* a client that stalls longer is dropped */
#define CTL_CALL_TIMEOUT_MS	60000	/* gwctl's patience: gwd replies to a
					 * reload only once it has applied it */
#define CTL_MAX_ARGS		16

#define CTL_KEY_COMMAND		"command"
#define CTL_KEY_ARGS		"args"
#define CTL_KEY_OK		"ok"
#define CTL_KEY_RESULT		"result"
#define CTL_KEY_ERROR		"error"
#define CTL_KEY_MESSAGE		"message"
#define CTL_KEY_DETAILS		"details"

#endif
