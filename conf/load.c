/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A config file from disk to a validated struct gw_conf: the one entry point
 * of `gwd -n`, startup and reload, so that a check and a reload never
 * disagree.  Also the life cycle and lookups of struct gw_conf.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/internal.h"

/* Far above any real config (1000 customers take about 600 KiB); the cap is
 * there so that a wrong path, such as a device, cannot exhaust memory. */
#define CONF_MAX_SIZE (16u << 20)

/* Read all of file into *text (the caller frees it); -errno on errors. */
static int slurp(const char *file, char **text, size_t *len,
		 struct conf_diag *d)
{
	size_t size = 0, cap = 0;
	char *buf = NULL, *b;
	struct stat st;
	ssize_t n;
	int fd, ret;

	/* Never block gwd's loop on a FIFO or a device named by `gwctl plan`. */
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		goto out;
	}
	for (;;) {
		if (size == cap) {
			/* Up to one byte past the cap: that tells a file at
			 * the cap from a larger one. */
			cap = cap ? 2 * cap : 64 << 10;
			if (cap > CONF_MAX_SIZE + 1)
				cap = CONF_MAX_SIZE + 1;
			b = realloc(buf, cap);
			if (!b) {
				ret = -ENOMEM;
				goto out;
			}
			buf = b;
		}
		n = read(fd, buf + size, cap - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (!n)
			break;
		size += n;
		if (size > CONF_MAX_SIZE) {
			conf_diag_add(d, "%s: larger than %u MiB", file,
				      CONF_MAX_SIZE >> 20);
			ret = -EFBIG;
			goto out;
		}
	}
	*text = buf;
	*len = size;
	buf = NULL;
	ret = 0;
out:
	if (ret == -EINVAL)
		conf_diag_add(d, "%s: not a regular file", file);
	else if (ret && ret != -EFBIG)
		conf_diag_add(d, "%s: %s", file, strerror(-ret));
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

int conf_load(const char *file, struct gw_conf **out, struct conf_diag *d)
{
	struct gw_conf *c = NULL;
	char *text = NULL;
	size_t len = 0;
	int ret;

	*out = NULL;
	ret = slurp(file, &text, &len, d);
	if (ret)
		return ret;
	ret = conf_parse(text, len, &c, d);
	free(text);
	if (ret)
		return ret;
	ret = conf_validate(c, d);
	if (!ret)
		ret = conf_check_files(c, d);
	if (ret) {
		conf_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

static void free_sets(const struct ip_sets_conf *s)
{
	free(s->block);
	free(s->allow);
}

void conf_free(struct gw_conf *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_customers; i++) {
		free(c->customers[i].prefixes);
		free(c->customers[i].paths);
		free(c->customers[i].filter.rules);
		free_sets(&c->customers[i].filter.sets);
	}
	free(c->customers);
	free(c->site.ingress);
	free_sets(&c->site.filter);
	free(c);
}

const struct customer_conf *conf_customer(const struct gw_conf *c,
					  const char *name)
{
	size_t i;

	for (i = 0; i < c->n_customers; i++)
		if (!strcmp(c->customers[i].name, name))
			return &c->customers[i];
	return NULL;
}

const struct path_conf *conf_path(const struct customer_conf *cu,
				  const char *name)
{
	size_t i;

	for (i = 0; i < cu->n_paths; i++)
		if (!strcmp(cu->paths[i].name, name))
			return &cu->paths[i];
	return NULL;
}
