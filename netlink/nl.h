/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A rtnetlink request socket: sequence numbers, batches of requests sent in
 * one sendmsg with every ACK matched back to its request, and dumps that are
 * retried when the kernel reports them interrupted.  Events arrive on a
 * separate socket (monitor.h), never on this one.
 */
#ifndef GWD_NETLINK_NL_H
#define GWD_NETLINK_NL_H

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl;

int nl_open(struct nl **out);
void nl_close(struct nl *nl);

/* Messages queued for one batch; nl_batch_send() flushes them. */
struct nl_batch;

/*
 * Called once per queued request with its ACK: err is 0 or negative errno,
 * msg the kernel's extack text or NULL.
 */
typedef void (*nl_ack_cb)(void *arg, int err, const char *msg);

struct nl_batch *nl_batch_new(struct nl *nl);
/* Start a request in the batch; the caller fills it with mnl_attr_put*(). */
struct nlmsghdr *nl_batch_msg(struct nl_batch *b, uint16_t type, uint16_t flags,
			      nl_ack_cb cb, void *arg);
size_t nl_batch_count(const struct nl_batch *b);
/* Forget the request started last (its builder found it cannot be sent). */
void nl_batch_drop_last(struct nl_batch *b);
/* Send everything, collect every ACK; returns the number of failed requests. */
int nl_batch_send(struct nl_batch *b);
void nl_batch_free(struct nl_batch *b);

/*
 * Dump: req is a complete request; nl_dump sets its flags and sequence.
 * cb returns 0 or negative errno (the dump is still read to its end).
 * -EINTR means the kernel's objects changed during the dump: start over.
 */
typedef int (*nl_dump_cb)(const struct nlmsghdr *nlh, void *arg);
int nl_dump(struct nl *nl, struct nlmsghdr *req, nl_dump_cb cb, void *arg);

#endif
