/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An IPsec path as charon sees it: one connection (an IKE_SA config with one
 * CHILD_SA config), both named after the path's link ("gw17-sec1"), which is
 * fixed by the customer id and the path name and so survives restarts and
 * renames.  This file builds the vici requests gwd sends for a path; it
 * reads the path's key files but keeps nothing of them.
 *
 * The connection is initiated and re-initiated by gwd, never by charon on
 * its own (no start, DPD or close actions, one keying try), so that exactly
 * one owner decides when a path is negotiated again, with backoff.
 */
#ifndef GWD_IPSEC_CONN_H
#define GWD_IPSEC_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "conf/model.h"

/*
 * load-conn for p.  The certificates of a pubkey path are read from
 * their files into the request.  0 or -errno (-EINVAL for a path that is
 * not IPsec or a site without the underlay it needs, file errors with why
 * set to the file name's role: "cert", "ca").
 */
int ipsec_load_conn(const struct gw_conf *c, const struct path_conf *p,
		    uint8_t **pkt, size_t *len, const char **why);

/*
 * The path's secret: load-shared with its PSK, or load-key with its private
 * key, read from the file now.  The packet holds the secret: the caller
 * zeroes it (explicit_bzero) before freeing it.  -EINVAL for an empty PSK
 * file, -EFBIG for one past GW_PSK_FILE_MAX, -errno of the file otherwise.
 */
int ipsec_load_secret(const struct gw_conf *c, const struct path_conf *p,
		      uint8_t **pkt, size_t *len);

/* unload-conn, initiate (without waiting), terminate (without waiting). */
int ipsec_unload_conn(const char *name, uint8_t **pkt, size_t *len);
/*
 * The secret of the conn name, gone with its path: unload-shared of the PSK
 * (by the id ipsec_load_secret() gave it), unload-key of a private key (by
 * the id charon answered load-key with).
 */
int ipsec_unload_shared(const char *name, uint8_t **pkt, size_t *len);
int ipsec_unload_key(const char *key_id, uint8_t **pkt, size_t *len);
int ipsec_initiate(const char *name, uint8_t **pkt, size_t *len);
int ipsec_terminate(const char *name, uint8_t **pkt, size_t *len);
/* list-sas, of one connection, or of all when name is NULL. */
int ipsec_list_sas(const char *name, uint8_t **pkt, size_t *len);
/* list-conns: every connection charon has, as list-conn events. */
int ipsec_list_conns(uint8_t **pkt, size_t *len);

#endif
