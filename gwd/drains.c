// SPDX-License-Identifier: GPL-2.0
/*
 * Drains outlive gwd: a path taken out for maintenance must not come back
 * because the daemon restarted.  They live in one small JSON file in the
 * state directory, [{"customer": C, "path": P}, ...], rewritten whole
 * (temporary file, fsync, rename) on every change, so that a crash leaves
 * the old list or the new one, never half of one.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gwd/gwd.h"
#include "gwd/log.h"

#define DRAINS_FILE	"drains.json"
#define DRAINS_MAX	(1 << 20)	/* bytes: far beyond any real list */

static char *drains_path(const struct gwd *g)
{
	char *p;

	return asprintf(&p, "%s/" DRAINS_FILE, g->state_dir) < 0 ? NULL : p;
}

static struct path_rt *find(struct gwd *g, const char *customer, const char *path)
{
	for (size_t k = 0; g->rt && g->rt[k].g; k++)
		if (!strcmp(g->rt[k].customer, customer) && !strcmp(g->rt[k].path, path))
			return &g->rt[k];
	return NULL;
}

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
	if (!S_ISREG(st.st_mode) || st.st_size > DRAINS_MAX) {
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

int gwd_drains_load(struct gwd *g)
{
	struct json_object *root = NULL;
	char *file = drains_path(g), *text = NULL, *bad = NULL;
	size_t n;
	int ret;

	if (!file)
		return -ENOMEM;
	ret = read_text(file, &text);
	if (ret == -ENOENT) {
		ret = 0;
		goto out;
	}
	if (ret) {
		log_err("%s: %s; starting without drains", file, strerror(-ret));
		goto aside;
	}
	root = json_tokener_parse(text);
	if (!root || !json_object_is_type(root, json_type_array)) {
		log_err("%s: not a JSON array of drains; starting without drains", file);
		ret = -EINVAL;
		goto aside;
	}
	n = json_object_array_length(root);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(root, i), *c, *p;
		struct path_rt *rt;

		if (!json_object_object_get_ex(e, "customer", &c) ||
		    !json_object_object_get_ex(e, "path", &p) ||
		    !json_object_is_type(c, json_type_string) ||
		    !json_object_is_type(p, json_type_string)) {
			log_err("%s: entry %zu is not {\"customer\": ..., \"path\": ...}; ignored",
				file, i);
			continue;
		}
		rt = find(g, json_object_get_string(c), json_object_get_string(p));
		if (!rt) {
			log_warn("%s: customer %.64s has no path %.64s any more; its drain is dropped",
				 file, json_object_get_string(c), json_object_get_string(p));
			continue;
		}
		rt->drained = true;
		log_info("customer %s: path %s: drained (kept from before the start)",
			 rt->customer, rt->path);
	}
	goto out;
aside:
	/* Kept for the operator: the next save must not overwrite it. */
	if (asprintf(&bad, "%s.bad", file) >= 0 && rename(file, bad) == 0)
		log_err("%s: moved to %s", file, bad);
out:
	json_object_put(root);
	free(text);
	free(file);
	free(bad);
	return ret;
}

int gwd_drains_save(const struct gwd *g)
{
	struct json_object *list = json_object_new_array();
	char *file = drains_path(g), *tmp = NULL;
	const char *text;
	size_t len;
	int fd = -1, dir, ret = 0;

	if (!list || !file || asprintf(&tmp, "%s.tmp", file) < 0) {
		tmp = NULL;
		ret = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; g->rt && g->rt[k].g; k++) {
		struct json_object *e;

		if (!g->rt[k].drained)
			continue;
		e = json_object_new_object();
		if (!e || json_object_array_add(list, e)) {
			json_object_put(e);
			ret = -ENOMEM;
			goto out;
		}
		json_object_object_add(e, "customer", json_object_new_string(g->rt[k].customer));
		json_object_object_add(e, "path", json_object_new_string(g->rt[k].path));
	}
	text = json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY);
	len = strlen(text);
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
	/* The rename itself must reach the disk before the drain is acknowledged. */
	dir = open(g->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0 || fsync(dir) < 0)
		ret = -errno;
	if (dir >= 0)
		close(dir);
out:
	if (fd >= 0)
		close(fd);
	json_object_put(list);
	free(tmp);
	free(file);
	return ret;
}
