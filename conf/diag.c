/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Diagnostics: the list of problems found in a config, one line each.
 * Adding never fails from the caller's point of view: without memory, or past
 * CONF_DIAG_MAX lines, a message is counted instead of kept, so that a
 * broken file cannot make gwd print or hold without bound.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "conf/internal.h"

void conf_diag_vadd(struct conf_diag *d, const char *fmt, va_list ap)
{
	char **msg, *m;

	if (d->n >= CONF_DIAG_MAX || vasprintf(&m, fmt, ap) < 0)
		goto drop;
	msg = realloc(d->msg, (d->n + 1) * sizeof(*msg));
	if (!msg) {
		free(m);
		goto drop;
	}
	msg[d->n++] = m;
	d->msg = msg;
	return;
drop:
	d->dropped++;
}

void conf_diag_add(struct conf_diag *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_diag_vadd(d, fmt, ap);
	va_end(ap);
}

void conf_diag_print(FILE *f, const struct conf_diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		fprintf(f, "%s\n", d->msg[i]);
	if (d->dropped)
		fprintf(f, "(and %zu more)\n", d->dropped);
}

void conf_diag_free(struct conf_diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->msg[i]);
	free(d->msg);
	d->msg = NULL;
	d->n = d->dropped = 0;
}

const char *conf_quote(char buf[CONF_QUOTE_MAX], const char *s, size_t len)
{
	/* Room for the longest escape, "..." and the closing quote. */
	const size_t stop = CONF_QUOTE_MAX - 6 - 5;
	size_t i, o = 0;

	buf[o++] = '"';
	for (i = 0; i < len && o < stop; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = c;
		} else if (c == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (c == '\t') {
			buf[o++] = '\\';
			buf[o++] = 't';
		} else if (c < ' ' || c == 0x7f) {
			o += sprintf(buf + o, "\\u%04x", c);
		} else {
			buf[o++] = c;
		}
	}
	if (i < len) {
		/* Do not leave half a UTF-8 sequence before the ellipsis. */
		size_t k = o;

		while (k > 1 && (buf[k - 1] & 0xc0) == 0x80)
			k--;
		if (k > 1 && (buf[k - 1] & 0x80))
			o = k - 1;
		o += sprintf(buf + o, "...");
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}
