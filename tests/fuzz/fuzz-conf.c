// SPDX-License-Identifier: GPL-2.0
/*
 * The config reader on arbitrary bytes: conf_parse(), conf_validate() and
 * conf_print() must neither crash nor leak, and must keep their promises:
 *  - a failure comes with at least one diagnostic, success with none;
 *  - each diagnostic is one line of printable text;
 *  - what parses prints to a config that parses again and prints to the
 *    same bytes (the round trip `gwd -nv` and the golden tests rely on).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_diag(int ret, const struct conf_diag *d)
{
	size_t i;
	const char *s;

	if (ret == -ENOMEM)
		return;
	if (ret != 0 && ret != -EINVAL)
		abort();
	if ((ret == 0) != (d->n + d->dropped == 0))
		abort();
	for (i = 0; i < d->n; i++)
		for (s = d->msg[i]; *s; s++)
			if ((unsigned char)*s < ' ' || *s == 0x7f)
				abort();
}

static char *print(const struct gw_conf *c, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	if (conf_print(f, c)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_diag d = { 0 };
	struct gw_conf *c = NULL, *c2 = NULL;
	char *text = NULL, *again = NULL;
	size_t len, len2;
	int ret;

	ret = conf_parse((const char *)data, size, &c, &d);
	check_diag(ret, &d);
	if (ret)
		goto out;
	ret = conf_validate(c, &d);
	check_diag(ret, &d);
	conf_diag_free(&d);

	text = print(c, &len);
	if (!text)
		goto out;
	if (conf_parse(text, len, &c2, &d))
		abort();
	again = print(c2, &len2);
	if (again && (len != len2 || memcmp(text, again, len)))
		abort();
out:
	conf_diag_free(&d);
	conf_free(c);
	conf_free(c2);
	free(text);
	free(again);
	return 0;
}
