// SPDX-License-Identifier: GPL-2.0
/*
 * Drains outlive gwd: a path taken out for maintenance must not come back
 * because the daemon restarted.  They live in the state directory
 * (statefile.h) as [{"customer": C, "path": P}, ...].
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "gwd/gwd.h"
#include "gwd/log.h"
#include "gwd/statefile.h"

#define DRAINS_FILE	"drains.json"

static struct path_rt *find(struct gwd *g, const char *customer, const char *path)
{
	for (size_t k = 0; g->rt && g->rt[k].g; k++)
		if (!strcmp(g->rt[k].customer, customer) && !strcmp(g->rt[k].path, path))
			return &g->rt[k];
	return NULL;
}

int gwd_drains_load(struct gwd *g)
{
	struct json_object *root = NULL;
	size_t n;
	int ret;

	ret = statefile_read(g, DRAINS_FILE, &root, "drains");
	if (ret < 0 || !root)
		return ret;
	n = json_object_array_length(root);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(root, i), *c, *p;
		struct path_rt *rt;

		if (!json_object_object_get_ex(e, "customer", &c) ||
		    !json_object_object_get_ex(e, "path", &p) ||
		    !json_object_is_type(c, json_type_string) ||
		    !json_object_is_type(p, json_type_string)) {
			log_err("%s: entry %zu is not {\"customer\": ..., \"path\": ...}; ignored",
				DRAINS_FILE, i);
			continue;
		}
		rt = find(g, json_object_get_string(c), json_object_get_string(p));
		if (!rt) {
			log_warn("%s: customer %.64s has no path %.64s any more; its drain is dropped",
				 DRAINS_FILE, json_object_get_string(c), json_object_get_string(p));
			continue;
		}
		rt->drained = true;
		log_info("customer %s: path %s: drained (kept from before the start)",
			 rt->customer, rt->path);
	}
	json_object_put(root);
	return 0;
}

int gwd_drains_save(const struct gwd *g)
{
	struct json_object *list = json_object_new_array();
	int ret = 0;

	if (!list)
		return -ENOMEM;
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
	ret = statefile_write(g, DRAINS_FILE, list);
out:
	json_object_put(list);
	return ret;
}
