// SPDX-License-Identifier: GPL-2.0
/* Files of the state directory: see statefile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gwd/gwd.h"
#include "gwd/log.h"
#include "gwd/statefile.h"

#define STATEFILE_MAX	(1 << 20)	/* bytes: far beyond any real list */

/* The file's text, NUL-terminated, in *out (the caller frees it). */
static int read_text(const char *file, char **out)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd, ret = 0;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > STATEFILE_MAX) {
		ret = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	n = read(fd, buf, (size_t)st.st_size);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return ret;
}

int statefile_read(const struct gwd *g, const char *name, json_object **out,
		   const char *what)
{
	char *file = NULL, *text = NULL, *bad = NULL;
	json_object *root = NULL;
	int ret;

	*out = NULL;
	if (asprintf(&file, "%s/%s", g->state_dir, name) < 0)
		return -ENOMEM;
	ret = read_text(file, &text);
	if (ret == -ENOENT) {
		ret = 0;
		goto out;
	}
	if (ret) {
		log_err("%s: %s; starting without %s", file, strerror(-ret), what);
		goto aside;
	}
	root = json_tokener_parse(text);
	if (!root || !json_object_is_type(root, json_type_array)) {
		log_err("%s: not a JSON array of %s; starting without %s", file, what, what);
		json_object_put(root);
		root = NULL;
		ret = -EINVAL;
		goto aside;
	}
	*out = root;
	goto out;
aside:
	/* Kept for the operator: the next save must not overwrite it. */
	if (asprintf(&bad, "%s.bad", file) >= 0 && rename(file, bad) == 0)
		log_err("%s: moved to %s", file, bad);
out:
	free(text);
	free(file);
	free(bad);
	return ret;
}

int statefile_write(const struct gwd *g, const char *name, json_object *array)
{
	const char *text = json_object_to_json_string_ext(array, JSON_C_TO_STRING_PRETTY);
	char *file = NULL, *tmp = NULL;
	size_t len = strlen(text);
	int fd = -1, dir, ret = 0;

	if (asprintf(&file, "%s/%s", g->state_dir, name) < 0)
		return -ENOMEM;
	if (asprintf(&tmp, "%s.tmp", file) < 0) {
		tmp = NULL;
		ret = -ENOMEM;
		goto out;
	}
	if (mkdir(g->state_dir, 0755) < 0 && errno != EEXIST) {
		ret = -errno;
		goto out;
	}
	errno = 0;	/* a short write sets none */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) < 0 || rename(tmp, file) < 0) {
		ret = errno ? -errno : -EIO;
		unlink(tmp);
		goto out;
	}
	/* The rename itself must reach the disk before the change is acknowledged. */
	dir = open(g->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0 || fsync(dir) < 0)
		ret = -errno;
	if (dir >= 0)
		close(dir);
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	free(file);
	return ret;
}
