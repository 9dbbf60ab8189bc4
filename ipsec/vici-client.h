/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A nonblocking client of charon's vici socket on an sd-event loop.
 *
 * What charon does, and so what this client relies on (strongSwan 5.9.8,
 * src/libcharon/plugins/vici/):
 * - A connection's packets are processed one after the other, each to its
 *   end, by one job (vici_socket.c: on_read queues whole packets,
 *   process_queue takes them in order), and what charon sends goes out
 *   through one FIFO per connection.  Responses carry no sequence number
 *   (README.md, "Commands"), so one command at a time: this client keeps a
 *   FIFO and puts the next request on the wire only when the previous one
 *   is answered.
 * - A streamed command (list-sas: "list-sa" events; initiate and terminate
 *   with timeout >= 0: "control-log" events) sends its events to the
 *   requesting connection only, and only while it is registered for them;
 *   all of them come before the CMD_RESPONSE that ends the stream
 *   (vici_query.c list_sas, vici_control.c).  The client registers the
 *   stream's event before the request and unregisters it after the response.
 * - Registering twice for one event makes charon send it twice
 *   (vici_dispatcher.c register_event appends the connection again), so a
 *   stream that is also a subscription is not registered again.
 * - An event may arrive before the EVENT_CONFIRM of its registration: the
 *   connection is added before the confirm is queued (register_event).
 *
 * Nonblocking initiate: "timeout" = "-1" (any negative value) in the
 * request: charon starts the IKE_SA and answers at once, success "yes"
 * meaning only "started", with no control-log events (vici_control.c: no
 * log callback, controller.c initiate: the job runs without waiting).  The
 * outcome comes as ike-updown / child-updown events.  0, the default, waits
 * for the result without limit; N > 0 waits N ms, then answers "not
 * established after Nms" while the attempt goes on.  Same for terminate.
 *
 * No logging, no exit: errors are negative errno, with a reason where one
 * helps.  Every callback may call vici_request() and vici_client_free().
 */
#ifndef GWD_IPSEC_VICI_CLIENT_H
#define GWD_IPSEC_VICI_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "ipsec/vici-msg.h"

struct vici_client;

/*
 * The client's state as seen by its user.  connected true: the connection
 * is up and every subscription has been answered; err is 0, or -ENOENT when
 * charon refused a subscription (why names it; this is also how a refusal
 * of a subscription made while connected is told, connected staying true).
 * connected false: the connection is lost (or, once, the first attempt
 * after vici_client_new() failed): -ECONNRESET (charon closed it),
 * -EMSGSIZE (a frame over VICI_MSG_MAX), -EBADMSG (a malformed or
 * unexpected packet), -ETIMEDOUT (a request or a registration unanswered),
 * or a socket error (-ENOENT, -ECONNREFUSED while charon is down).  why is
 * a reason for a log line, valid during the call.  Failed reconnection
 * attempts are not reported here: see vici_client_status().
 */
typedef void (*vici_state_fn)(void *arg, bool connected, int err,
			      const char *why);
/* An event (or a stream's event); m and its bytes are valid during the call. */
typedef void (*vici_event_fn)(void *arg, const struct vici_msg *m);
/*
 * The end of a request.  err 0: m is the CMD_RESPONSE (valid during the
 * call); -ENOENT: charon answered CMD_UNKNOWN, or refused the stream's
 * event (the request is then not sent); -ETIMEDOUT: no answer in time (the
 * connection is dropped); -ECONNRESET: the connection was lost before the
 * answer; -ECANCELED: vici_client_free().  m is NULL when err != 0.
 * Every request queued gets exactly one call.
 */
typedef void (*vici_reply_fn)(void *arg, int err, const struct vici_msg *m);

/*
 * A client of the vici socket at socket_path (a file system path).  It
 * connects from the loop, not from here, and reconnects after every loss:
 * 100 ms after it, then doubling to 5 s, back to 100 ms once connected.
 * 0, -ENAMETOOLONG, -ENOMEM, or an sd-event error.  *out is the caller's
 * (vici_client_free()).
 */
int vici_client_new(sd_event *ev, const char *socket_path, vici_state_fn fn,
		    void *arg, struct vici_client **out);

/*
 * Receive the event named event: registered on every connection before
 * state_fn(connected) and at once if already connected.  0, -EINVAL (a bad
 * name), -EEXIST (already subscribed), -ENOMEM.
 */
int vici_client_subscribe(struct vici_client *c, const char *event,
			  vici_event_fn fn, void *arg);

/*
 * Queue a CMD_REQUEST built with vici_build_*(); pkt is the client's (zeroed,
 * since it may hold a secret, and freed by it) whatever the result.  stream: the event a streamed command sends,
 * or NULL; its events go to on_stream before on_reply.  on_reply may be
 * NULL.  timeout_us counts from the request's first packet on the wire to
 * its response (its turn in the FIFO is not counted; the one ahead has its
 * own timeout); 0 waits without limit.  0, -ENOTCONN (not connected:
 * nothing is queued), -ECANCELED (the client is being freed), -EINVAL (not
 * a valid CMD_REQUEST, a bad stream name).  The reply is never called from
 * here.
 */
int vici_request(struct vici_client *c, uint8_t *pkt, size_t len,
		 const char *stream, vici_event_fn on_stream,
		 vici_reply_fn on_reply, void *arg, uint64_t timeout_us);

bool vici_client_connected(const struct vici_client *c);

/*
 * Since the last connection (or the start): attempts made, and the last
 * error with its reason (0 and "" when none); for a status line while
 * charon is unreachable.  *why is valid until the client's next callback.
 */
unsigned vici_client_status(const struct vici_client *c, int *err,
			    const char **why);

/*
 * Close, fail every pending request with -ECANCELED (called from here), and
 * free; no state_fn call.  Safe inside any of the client's callbacks; NULL
 * is fine.
 */
void vici_client_free(struct vici_client *c);

#endif
