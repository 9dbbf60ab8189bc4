/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The files an IPsec path names, checked when a config is loaded: an
 * operator should hear of a missing key or a world-readable secret from
 * `gwd -n`, not from charon when the tunnel comes up.  Apart from
 * validation so that the golden tests do not depend on the file system.
 * Nothing here reads a file: the contents are secrets, never shown.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/internal.h"

/*
 * One file of customers[ci].paths[pi].ike.<key>: a regular file, after
 * symlinks, that gwd can open; with secret, one no one but its owner can
 * read or write.
 */
static int check_file(struct conf_diag *d, size_t ci, size_t pi,
		      const char *key, const char *file, bool secret, off_t max)
{
	struct stat st;
	int fd;

	/* stat() before open(): opening a FIFO or a device can have effects. */
	if (stat(file, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		conf_diag_add(d, "customers[%zu].paths[%zu].ike.%s: %s is not a "
			      "regular file", ci, pi, key, file);
		return -EINVAL;
	}
	if (!st.st_size || st.st_size > max) {
		conf_diag_add(d, "customers[%zu].paths[%zu].ike.%s: %s is %lld bytes, "
			      "must be 1 to %lld", ci, pi, key, file,
			      (long long)st.st_size, (long long)max);
		return -EINVAL;
	}
	if (secret && (st.st_mode & 077)) {
		conf_diag_add(d, "customers[%zu].paths[%zu].ike.%s: %s is mode "
			      "%04o, must be 0600 or stricter (it holds a secret)",
			      ci, pi, key, file, (unsigned int)(st.st_mode & 07777));
		return -EINVAL;
	}
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		goto fail;
	close(fd);
	return 0;
fail:
	conf_diag_add(d, "customers[%zu].paths[%zu].ike.%s: %s: %s", ci, pi, key,
		      file, strerror(errno));
	return -EINVAL;
}

int conf_check_files(const struct gw_conf *c, struct conf_diag *d)
{
	size_t ci, pi;
	int ret = 0;

	for (ci = 0; ci < c->n_customers; ci++) {
		for (pi = 0; pi < c->customers[ci].n_paths; pi++) {
			const struct path_conf *p = &c->customers[ci].paths[pi];
			const struct ike_conf *k = &p->ike;

			if (p->type != PATH_IPSEC)
				continue;
			if (k->auth == IKE_AUTH_PSK) {
				if (check_file(d, ci, pi, "psk_file", k->psk_file, true,
					       GW_PSK_FILE_MAX))
					ret = -EINVAL;
				continue;
			}
			if (check_file(d, ci, pi, "cert", k->cert, false, GW_IKE_FILE_MAX) |
			    check_file(d, ci, pi, "key", k->key, true, GW_IKE_FILE_MAX) |
			    check_file(d, ci, pi, "ca", k->ca, false, GW_IKE_FILE_MAX))
				ret = -EINVAL;
		}
	}
	return ret;
}
