/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the files of conf/ and by nothing else.
 */
#ifndef GWD_CONF_INTERNAL_H
#define GWD_CONF_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/model.h"

struct json_object;

/* Diagnostics kept; the rest are only counted (conf_diag.dropped). */
#define CONF_DIAG_MAX 200
void conf_diag_vadd(struct conf_diag *d, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * A string from the config as it appears in a message: in double quotes,
 * JSON-escaped so that a diagnostic stays one printable line, and cut short
 * with "..." to fit buf.
 */
#define CONF_QUOTE_MAX 72
const char *conf_quote(char buf[CONF_QUOTE_MAX], const char *s, size_t len);

/*
 * JSON paths as in diagnostics: `customers[1].paths[0].vlan`.  A key that is
 * not a plain identifier is written `["like this"]`.  Both append to path
 * (of size CONF_PATH_MAX, cut short when full) and return its old length, to
 * be restored with path[old] = '\0'.
 */
#define CONF_PATH_MAX 1024
size_t conf_path_key(char *path, const char *key);
size_t conf_path_index(char *path, size_t i);

/*
 * Text to a json-c tree, strictly: syntax errors with line and column, and
 * the keys json-c would silently merge (duplicates, NUL bytes) reported with
 * their JSON path.  Returns 0, -EINVAL (d filled) or -ENOMEM.  *out is the
 * tree, NULL for the text "null" and on syntax errors; it is also set when
 * only keys were wrong, so that the caller can report the rest.  The caller
 * puts it.
 */
int conf_json_read(const char *text, size_t len, struct json_object **out,
		   struct conf_diag *d);

/*
 * The files IPsec paths name: there, regular, openable, and the secrets
 * (psk_file, key) without group or other permissions.  -EINVAL with d
 * filled.  conf_load() calls it on a config that validated.
 */
int conf_check_files(const struct gw_conf *c, struct conf_diag *d);

/*
 * The words of filters (filter.c), for parse.c and print.c: the names, and
 * what each stands for at the same index.
 */
#define CONF_PROTOS       7
#define CONF_RATE_UNITS   3
#define CONF_RATE_PERIODS 3
extern const char *const conf_proto_names[CONF_PROTOS];	/* "tcp" ... */
extern const uint8_t conf_proto_numbers[CONF_PROTOS];	/* IPPROTO_TCP ... */
extern const char *const conf_tcp_flag_names[8];	/* bit i: 1 << i */
extern const char *const conf_rate_unit_names[CONF_RATE_UNITS];	/* bytes */
extern const uint32_t conf_rate_unit_bytes[CONF_RATE_UNITS];
extern const char *const conf_rate_period_names[CONF_RATE_PERIODS];
extern const uint32_t conf_rate_period_seconds[CONF_RATE_PERIODS];

/* Kernel interface names: what dev_valid_name() accepts, minus controls. */
bool conf_ifname_valid(const char *s, size_t len);
/* Names gwd creates itself ("gwvrf*", "gw<digit>*"), so never a parent. */
bool conf_ifname_reserved(const char *s);

#endif
