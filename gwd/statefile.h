/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What outlives gwd in its state directory (-S): small JSON files, each an
 * array, rewritten whole (temporary file, fsync, rename, fsync of the
 * directory) on every change, so that a crash leaves the old contents or
 * the new, never half of them.
 */
#ifndef GWD_STATEFILE_H
#define GWD_STATEFILE_H

#include <json-c/json.h>

struct gwd;

/*
 * The array in the state directory's file name: 0 and *out (NULL when
 * there is no file).  A file that cannot be read or is not a JSON array is
 * logged ("starting without <what>"), moved aside to name.bad for the
 * operator, and -errno returned.
 */
int statefile_read(const struct gwd *g, const char *name, json_object **out,
		   const char *what);
int statefile_write(const struct gwd *g, const char *name, json_object *array);

#endif
