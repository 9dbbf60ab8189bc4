// SPDX-License-Identifier: GPL-2.0
/* Attaching the SYN fast path through libxdp's dispatcher: see attach.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/if_link.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "gwd/xdp/attach.h"

#define MAX_OLD		8	/* our programs found in one dispatcher */

struct att_if {
	char name[IF_NAMESIZE];
	uint32_t prog_id;
	enum xdp_attach_how how;
};

struct att_map {
	char ifname[IF_NAMESIZE];	/* "" for a shared map */
	char name[BPF_OBJ_NAME_LEN * 4];
	int fd;
};

struct xdp_attached {
	char pin_dir[256];
	struct att_if *ifs;
	size_t nifs;
	struct att_map *maps;
	size_t nmaps;
	char notes[1024];
};

static void say(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static void note(struct xdp_attached *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct xdp_attached *a, const char *fmt, ...)
{
	size_t used = strlen(a->notes);
	va_list ap;

	if (used + 2 >= sizeof(a->notes))
		return;
	if (used)
		a->notes[used++] = ';', a->notes[used++] = ' ', a->notes[used] = 0;
	va_start(ap, fmt);
	vsnprintf(a->notes + used, sizeof(a->notes) - used, fmt, ap);
	va_end(ap);
}

/* syn_xsks takes only sockets of the interface it redirects from. */
static bool per_if_map(const char *name)
{
	return !strcmp(name, "syn_xsks");
}

static int pin_path(char *buf, size_t len, const char *pin_dir,
		    const char *ifname, const char *map)
{
	int n = per_if_map(map) ? snprintf(buf, len, "%s/%s/%s", pin_dir, ifname, map)
				: snprintf(buf, len, "%s/%s", pin_dir, map);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int make_dir(const char *path, bool bpffs, char *why, size_t len)
{
	struct statfs sfs;

	if (mkdir(path, 0700) && errno != EEXIST) {
		int err = -errno;

		say(why, len, "cannot create %s: %s", path, strerror(-err));
		return err;
	}
	if (bpffs && (statfs(path, &sfs) || sfs.f_type != BPF_FS_MAGIC)) {
		say(why, len, "%s is not on a bpf file system (mount -t bpf)", path);
		return -ENOTSUP;
	}
	return 0;
}

/* Opens the object with every map pinned (shared or ifname's own) and
 * checks each existing pin against the object's definition. */
static int open_obj(const char *obj_path, const char *pin_dir, const char *ifname,
		    struct bpf_object **out, char *why, size_t len)
{
	struct bpf_object *obj;
	struct bpf_map *map;
	char path[512];
	int err;

	obj = bpf_object__open_file(obj_path, NULL);
	err = libbpf_get_error(obj);
	if (err) {
		say(why, len, "cannot open %s: %s", obj_path, strerror(-err));
		return err;
	}
	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		struct bpf_map_info info = { 0 };
		__u32 ilen = sizeof(info);
		int fd;

		if (bpf_map__is_internal(map))
			continue;
		err = pin_path(path, sizeof(path), pin_dir, ifname, name);
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err) {
			say(why, len, "map %s: cannot pin at %s/: %s", name, pin_dir, strerror(-err));
			goto fail;
		}
		fd = bpf_obj_get(path);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			err = -errno;
			say(why, len, "map %s: pinned at %s but unreadable: %s", name, path, strerror(-err));
			goto fail;
		}
		err = bpf_obj_get_info_by_fd(fd, &info, &ilen);
		close(fd);
		if (err || info.type != bpf_map__type(map) ||
		    info.key_size != bpf_map__key_size(map) ||
		    info.value_size != bpf_map__value_size(map) ||
		    info.max_entries != bpf_map__max_entries(map) ||
		    info.map_flags != bpf_map__map_flags(map)) {
			say(why, len, "map %s pinned at %s differs from %s's definition "
			    "(type %u/%u, key %u/%u, value %u/%u, entries %u/%u, flags %#x/%#x): "
			    "not replacing it; remove the pin to start from empty maps",
			    name, path, obj_path, info.type, bpf_map__type(map),
			    info.key_size, bpf_map__key_size(map), info.value_size,
			    bpf_map__value_size(map), info.max_entries, bpf_map__max_entries(map),
			    info.map_flags, bpf_map__map_flags(map));
			err = -EEXIST;
			goto fail;
		}
	}
	*out = obj;
	return 0;
fail:
	bpf_object__close(obj);
	return err;
}

/* The BPF tag this object's program gets: loaded once as a plain XDP
 * program with one-entry, unpinned maps (the tag covers the instructions
 * with map references zeroed, not map sizes). */
static int build_tag(const char *obj_path, unsigned char tag[BPF_TAG_SIZE],
		     char *why, size_t len)
{
	struct bpf_prog_info info = { 0 };
	__u32 ilen = sizeof(info);
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct bpf_map *map;
	int err;

	obj = bpf_object__open_file(obj_path, NULL);
	err = libbpf_get_error(obj);
	if (err) {
		say(why, len, "cannot open %s: %s", obj_path, strerror(-err));
		return err;
	}
	bpf_object__for_each_map(map, obj)
		if (!bpf_map__is_internal(map))
			bpf_map__set_max_entries(map, 1);
	prog = bpf_object__find_program_by_name(obj, XDP_PROG_NAME);
	err = prog ? bpf_object__load(obj) : -ENOENT;
	if (!err)
		err = bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &ilen);
	if (err)
		say(why, len, "%s: cannot load %s to read its tag: %s", obj_path,
		    XDP_PROG_NAME, strerror(-err));
	else
		memcpy(tag, info.tag, BPF_TAG_SIZE);
	bpf_object__close(obj);
	return err;
}

/* Whether the attached program prog_fd uses the pinned maps.  A pin that
 * is missing is put back from the program's own map (a note). */
static int maps_are_pinned(struct xdp_attached *a, int prog_fd, struct bpf_object *obj,
			   const char *ifname)
{
	struct bpf_prog_info pinfo = { 0 };
	__u32 ids[64], plen = sizeof(pinfo), i;
	struct bpf_map *map;
	int match = 1;

	pinfo.nr_map_ids = 64;
	pinfo.map_ids = (uintptr_t)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &pinfo, &plen))
		return 0;
	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		const char *path = bpf_map__pin_path(map);
		struct bpf_map_info info;
		__u32 ilen, found = 0;
		int fd = -1, pfd;

		if (bpf_map__is_internal(map) || !path)
			continue;
		for (i = 0; i < pinfo.nr_map_ids && i < 64 && !found; i++) {
			fd = bpf_map_get_fd_by_id(ids[i]);
			if (fd < 0)
				continue;
			memset(&info, 0, sizeof(info));
			ilen = sizeof(info);
			/* kernel names stop at BPF_OBJ_NAME_LEN - 1 */
			if (!bpf_obj_get_info_by_fd(fd, &info, &ilen) &&
			    !strncmp(info.name, name, BPF_OBJ_NAME_LEN - 1))
				found = info.id;
			else
				close(fd);
		}
		if (!found) {
			match = 0;
			break;
		}
		pfd = bpf_obj_get(path);
		if (pfd < 0 && errno == ENOENT) {
			if (!bpf_obj_pin(fd, path))
				note(a, "%s: pin %s was missing, put back from the attached program",
				     ifname, path);
			else
				match = 0;
		} else if (pfd < 0) {
			match = 0;
		} else {
			memset(&info, 0, sizeof(info));
			ilen = sizeof(info);
			if (bpf_obj_get_info_by_fd(pfd, &info, &ilen) || info.id != found)
				match = 0;
			close(pfd);
		}
		close(fd);
		if (!match)
			break;
	}
	return match;
}

static uint32_t prog_id_of(struct bpf_object *obj)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, XDP_PROG_NAME);
	struct bpf_prog_info info = { 0 };
	__u32 ilen = sizeof(info);

	if (!prog || bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &ilen))
		return 0;
	return info.id;
}

/* Our single (non-dispatcher) program swapped for this build in one
 * netlink request (XDP_FLAGS_REPLACE): the slot is never empty. */
static int replace_single(struct bpf_object *obj, int ifindex, enum xdp_attach_mode mode,
			  int old_fd, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old_fd);
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, XDP_PROG_NAME);
	__u32 flags = XDP_FLAGS_REPLACE | (mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE
								: XDP_FLAGS_DRV_MODE);
	int err;

	err = prog ? bpf_object__load(obj) : -ENOENT;
	if (!err)
		err = bpf_xdp_attach(ifindex, bpf_program__fd(prog), flags, &opts);
	if (err)
		say(why, len, "cannot replace the single %s program: %s", XDP_PROG_NAME,
		    strerror(-err));
	return err;
}

static int attach_one(struct xdp_attached *a, const char *obj_path, const char *ifname,
		      unsigned char *tag, bool *have_tag, char *why, size_t len)
{
	struct xdp_program *prog = NULL, *p, *mine = NULL;
	struct xdp_multiprog *mp = NULL;
	struct bpf_object *obj = NULL;
	enum xdp_attach_mode mode = XDP_MODE_NATIVE;
	uint32_t old[MAX_OLD];
	size_t nold = 0, i;
	bool legacy = false;
	struct att_if *ai = &a->ifs[a->nifs];
	char path[512];
	int ifindex, err;

	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		err = -errno;
		say(why, len, "%s: no such interface", ifname);
		return err;
	}
	snprintf(path, sizeof(path), "%s/%s", a->pin_dir, ifname);
	err = make_dir(path, false, why, len);
	if (err)
		return err;
	err = open_obj(obj_path, a->pin_dir, ifname, &obj, why, len);
	if (err)
		return err;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err == -ENOENT) {
		mp = NULL;
	} else if (err) {
		mp = NULL;
		say(why, len, "%s: cannot read its XDP programs: %s", ifname, strerror(-err));
		goto out;
	} else if (xdp_multiprog__is_legacy(mp)) {
		/* Ours alone, when libxdp could not build a dispatcher (the
		 * kernel refused freplace programs) and fell back to a single
		 * program: adopt or swap it; anything else is not ours. */
		p = xdp_multiprog__main_prog(mp);
		if (!p || strcmp(xdp_program__name(p), XDP_PROG_NAME)) {
			say(why, len, "%s: its XDP slot holds program %u (%s), not loaded through "
			    "libxdp's dispatcher: not touching it", ifname,
			    p ? xdp_program__id(p) : 0, p ? xdp_program__name(p) : "?");
			err = -EBUSY;
			goto out;
		}
		legacy = true;
		mode = xdp_multiprog__attach_mode(mp);
		old[nold++] = xdp_program__id(p);
		mine = p;
	} else {
		mode = xdp_multiprog__attach_mode(mp);
		for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp)) {
			if (strcmp(xdp_program__name(p), XDP_PROG_NAME) || nold == MAX_OLD)
				continue;
			old[nold++] = xdp_program__id(p);
			if (!mine)
				mine = p;
		}
	}

	snprintf(ai->name, sizeof(ai->name), "%s", ifname);
	if (mine) {
		if (!*have_tag) {
			err = build_tag(obj_path, tag, why, len);
			if (err)
				goto out;
			*have_tag = true;
		}
		if (!memcmp(tag, xdp_program__tag(mine), BPF_TAG_SIZE) &&
		    maps_are_pinned(a, xdp_program__fd(mine), obj, ifname)) {
			ai->prog_id = xdp_program__id(mine);
			ai->how = XDP_HOW_ADOPTED;
			a->nifs++;
			err = 0;
			goto out;
		}
	}

	prog = xdp_program__from_bpf_obj(obj, NULL);
	err = libxdp_get_error(prog);
	if (err) {
		prog = NULL;
		say(why, len, "%s: %s", obj_path, strerror(-err));
		goto out;
	}
	if (strcmp(xdp_program__name(prog), XDP_PROG_NAME)) {
		say(why, len, "%s: its program is %s, not %s", obj_path,
		    xdp_program__name(prog), XDP_PROG_NAME);
		err = -EINVAL;
		goto out;
	}
	xdp_program__set_run_prio(prog, XDP_RUN_PRIO);
	if (legacy) {
		err = replace_single(obj, ifindex, mode, xdp_program__fd(mine), why, len);
		if (err)
			goto out;
		ai->prog_id = prog_id_of(obj);
		ai->how = XDP_HOW_REPLACED;
		a->nifs++;
		note(a, "%s: program %u replaced by %u in place (no dispatcher)", ifname,
		     old[0], ai->prog_id);
		goto out;
	}
	err = xdp_program__attach(prog, ifindex, mode, 0);
	if (err && !mp && mode == XDP_MODE_NATIVE) {
		char buf[128];

		libxdp_strerror(err, buf, sizeof(buf));
		err = xdp_program__attach(prog, ifindex, XDP_MODE_SKB, 0);
		if (!err)
			note(a, "%s: native XDP failed (%s), attached in generic (skb) mode",
			     ifname, buf);
	}
	if (err) {
		char buf[128];

		libxdp_strerror(err, buf, sizeof(buf));
		say(why, len, "%s: cannot attach %s through libxdp's dispatcher: %s",
		    ifname, XDP_PROG_NAME, buf);
		goto out;
	}
	ai->prog_id = xdp_program__id(prog);
	ai->how = nold ? XDP_HOW_REPLACED : XDP_HOW_ATTACHED;
	a->nifs++;

	/* The new one runs; now the old build(s) go, one dispatcher swap each. */
	for (i = 0; i < nold; i++) {
		struct xdp_program *o = xdp_program__from_id(old[i]);

		if (libxdp_get_error(o)) {
			note(a, "%s: old program %u gone before its detach", ifname, old[i]);
			continue;
		}
		err = xdp_program__detach(o, ifindex, XDP_MODE_UNSPEC, 0);
		if (err)
			note(a, "%s: cannot detach the old program %u: %s", ifname, old[i],
			     strerror(-err));
		xdp_program__close(o);
	}
	err = 0;
out:
	xdp_multiprog__close(mp);
	xdp_program__close(prog);
	bpf_object__close(obj);
	return err;
}

int xdp_attach(const char *obj_path, const char *pin_dir,
	       const char *const *ifnames, size_t n,
	       struct xdp_attached **out, char *why, size_t len)
{
	unsigned char tag[BPF_TAG_SIZE];
	bool have_tag = false;
	struct xdp_attached *a;
	size_t i;
	int err;

	a = calloc(1, sizeof(*a));
	if (!a || !(a->ifs = calloc(n ? n : 1, sizeof(*a->ifs)))) {
		free(a);
		say(why, len, "out of memory");
		return -ENOMEM;
	}
	snprintf(a->pin_dir, sizeof(a->pin_dir), "%s", pin_dir ? pin_dir : XDP_PIN_DIR);
	err = make_dir(a->pin_dir, true, why, len);
	for (i = 0; !err && i < n; i++)
		err = attach_one(a, obj_path, ifnames[i], tag, &have_tag, why, len);
	if (err) {
		xdp_attached_free(a);
		return err;
	}
	*out = a;
	return 0;
}

int xdp_map_fd(struct xdp_attached *a, const char *ifname, const char *map_name)
{
	struct att_map *m;
	char path[512];
	size_t i;
	int fd;

	if (!ifname || !per_if_map(map_name))
		ifname = "";
	for (i = 0; i < a->nmaps; i++)
		if (!strcmp(a->maps[i].ifname, ifname) && !strcmp(a->maps[i].name, map_name))
			return a->maps[i].fd;
	if (per_if_map(map_name) && !*ifname)
		return -EINVAL;
	if (pin_path(path, sizeof(path), a->pin_dir, ifname, map_name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	m = realloc(a->maps, (a->nmaps + 1) * sizeof(*m));
	if (!m) {
		close(fd);
		return -ENOMEM;
	}
	a->maps = m;
	m = &a->maps[a->nmaps++];
	snprintf(m->ifname, sizeof(m->ifname), "%s", ifname);
	snprintf(m->name, sizeof(m->name), "%s", map_name);
	m->fd = fd;
	return fd;
}

static const struct att_if *find_if(const struct xdp_attached *a, const char *ifname)
{
	size_t i;

	for (i = 0; i < a->nifs; i++)
		if (!strcmp(a->ifs[i].name, ifname))
			return &a->ifs[i];
	return NULL;
}

uint32_t xdp_attached_prog_id(const struct xdp_attached *a, const char *ifname)
{
	const struct att_if *ai = find_if(a, ifname);

	return ai ? ai->prog_id : 0;
}

int xdp_attached_how(const struct xdp_attached *a, const char *ifname)
{
	const struct att_if *ai = find_if(a, ifname);

	return ai ? (int)ai->how : -ENOENT;
}

const char *xdp_attached_notes(const struct xdp_attached *a)
{
	return a->notes;
}

void xdp_attached_free(struct xdp_attached *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->nmaps; i++)
		close(a->maps[i].fd);
	free(a->maps);
	free(a->ifs);
	free(a);
}

int xdp_detach_if(const char *pin_dir, const char *ifname, char *why, size_t len)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	uint32_t ids[MAX_OLD];
	size_t n = 0, i;
	char path[512];
	int ifindex, err = 0;

	pin_dir = pin_dir ? pin_dir : XDP_PIN_DIR;
	ifindex = if_nametoindex(ifname);
	if (ifindex) {
		mp = xdp_multiprog__get_from_ifindex(ifindex);
		if (!libxdp_get_error(mp)) {
			p = xdp_multiprog__main_prog(mp);
			if (xdp_multiprog__is_legacy(mp) && p &&
			    !strcmp(xdp_program__name(p), XDP_PROG_NAME))
				ids[n++] = xdp_program__id(p);
			else if (!xdp_multiprog__is_legacy(mp))
				for (p = xdp_multiprog__next_prog(NULL, mp); p && n < MAX_OLD;
				     p = xdp_multiprog__next_prog(p, mp))
					if (!strcmp(xdp_program__name(p), XDP_PROG_NAME))
						ids[n++] = xdp_program__id(p);
			xdp_multiprog__close(mp);
		}
	}
	for (i = 0; i < n && !err; i++) {
		p = xdp_program__from_id(ids[i]);
		err = libxdp_get_error(p);
		if (!err) {
			err = xdp_program__detach(p, ifindex, XDP_MODE_UNSPEC, 0);
			xdp_program__close(p);
		}
		if (err) {
			char buf[128];

			libxdp_strerror(err, buf, sizeof(buf));
			say(why, len, "%s: cannot detach %s (program %u): %s", ifname,
			    XDP_PROG_NAME, ids[i], buf);
			return err;
		}
	}
	/* The interface's own maps go with it. */
	if (!pin_path(path, sizeof(path), pin_dir, ifname, "syn_xsks"))
		unlink(path);
	snprintf(path, sizeof(path), "%s/%s", pin_dir, ifname);
	rmdir(path);
	return 0;
}
