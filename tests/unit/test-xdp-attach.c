// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching the SYN fast path through libxdp's dispatcher (attach.[ch]), in
 * a network and mount namespace of its own (a veth pair a0/b0) with a
 * private bpffs under a temporary directory (LIBXDP_BPFFS for libxdp's own
 * pins, PIN/gwd for ours): the host's /sys/fs/bpf is never touched.
 *   1. another tool's program (xdp-foreign.bpf.o, through libxdp) on a0;
 *   2. attach: ours joins it in the dispatcher, the foreign one stays;
 *   3. a value written into the pinned syn_auth;
 *   4. "restart" (free the handle, attach again): adopted, the same program
 *      id, the same dispatcher (never replaced, so a0 never went without
 *      XDP), the value still there;
 *   5. another build (syn-v3.bpf.o: -mcpu=v3, the same maps): replaces ours
 *      (a new id), the value still there, the foreign one stays;
 *   6. a build whose syn_auth differs (syn-small.bpf.o): refused, naming
 *      the map, nothing changed;
 *   7. a slot held by a plain (non-dispatcher) XDP program on b0: refused;
 *   8. detach: ours goes, the foreign one stays; a0's own pins go.
 * Root only: otherwise SKIP (77).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "gwd/xdp/attach.h"
#include "gwd/xdp/syn-shared.h"

static int failures;
static char tmp[] = "/tmp/gwd-xdp-attach-XXXXXX", bpffs[PATH_MAX], pins[PATH_MAX + 8];

#define CHECK(cond, ...) do {						\
	printf("  %s: ", (cond) ? "ok" : "FAIL");			\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!(cond))							\
		failures++;						\
} while (0)

/* The id of the program in ifname's XDP slot (the dispatcher, or a single
 * program; 0: no XDP at all), and the ids of ours and the foreign one in it. */
static bool *legacy;

static uint32_t dispatcher(const char *ifname, uint32_t *ours, uint32_t *foreign)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(if_nametoindex(ifname));
	struct xdp_program *p;
	uint32_t id;

	*ours = *foreign = 0;
	if (libxdp_get_error(mp))
		return 0;
	p = xdp_multiprog__is_legacy(mp) ? xdp_multiprog__main_prog(mp)
					 : xdp_multiprog__next_prog(NULL, mp);
	for (; p; p = xdp_multiprog__is_legacy(mp) ? NULL : xdp_multiprog__next_prog(p, mp)) {
		if (!strcmp(xdp_program__name(p), XDP_PROG_NAME))
			*ours = xdp_program__id(p);
		else if (!strcmp(xdp_program__name(p), "foreign_pass"))
			*foreign = xdp_program__id(p);
	}
	if (legacy)
		*legacy = xdp_multiprog__is_legacy(mp);
	id = xdp_program__id(xdp_multiprog__main_prog(mp));
	xdp_multiprog__close(mp);
	return id;
}

static int attach(const char *obj, struct xdp_attached **a, char *why, size_t len)
{
	const char *ifs[] = { "a0" };

	return xdp_attach(obj, pins, ifs, 1, a, why, len);
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX], syn[PATH_MAX + 32], v3[PATH_MAX + 32], small[PATH_MAX + 32];
	char foreign_o[PATH_MAX + 32], path[PATH_MAX + 32], why[512];
	struct syn_src key = { .addr = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 7 } };
	uint64_t val = 0x1234567890abcdefULL, got = 0;
	uint32_t disp, disp2, ours, ours2, foreign, foreign2;
	struct xdp_program *fp = NULL;
	struct xdp_attached *a = NULL;
	bool nodisp = false;
	struct stat st;
	int rc, fd;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (geteuid() != 0 || unshare(CLONE_NEWNET | CLONE_NEWNS)) {
		printf("\n*** SKIP test-xdp-attach: needs root (netns, mount, BPF) ***\n\n");
		return 77;
	}
	char self[PATH_MAX];

	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(dir, sizeof(dir), "%s/../..", dirname(self));
	snprintf(syn, sizeof(syn), "%s/gwd/xdp/syn.bpf.o", dir);
	snprintf(v3, sizeof(v3), "%s/tests/unit/syn-v3.bpf.o", dir);
	snprintf(small, sizeof(small), "%s/tests/unit/syn-small.bpf.o", dir);
	snprintf(foreign_o, sizeof(foreign_o), "%s/tests/unit/xdp-foreign.bpf.o", dir);

	/* Mounts stay in this namespace; the bpffs is ours alone. */
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) || !mkdtemp(tmp)) {
		perror("test-xdp-attach: private mounts");
		return 1;
	}
	snprintf(bpffs, sizeof(bpffs), "%s/bpffs", tmp);
	snprintf(pins, sizeof(pins), "%s/gwd", bpffs);
	if (mkdir(bpffs, 0700) || mount("bpf", bpffs, "bpf", 0, "mode=0700")) {
		perror("test-xdp-attach: mount -t bpf");
		rmdir(bpffs), rmdir(tmp);
		return 1;
	}
	setenv("LIBXDP_BPFFS", bpffs, 1);
	rc = system("ip link add a0 type veth peer b0 && ip link set a0 up && ip link set b0 up");
	if (rc) {
		fprintf(stderr, "test-xdp-attach: veth: %d\n", rc);
		failures++;
		goto out;
	}

	printf("1. another tool's program on a0 (libxdp)\n");
	fp = xdp_program__open_file(foreign_o, "xdp", NULL);
	rc = libxdp_get_error(fp);
	if (!rc)
		rc = xdp_program__attach(fp, if_nametoindex("a0"), XDP_MODE_NATIVE, 0);
	CHECK(!rc, "foreign_pass attached (%d)", rc);
	legacy = &nodisp;
	disp = dispatcher("a0", &ours, &foreign);
	legacy = NULL;
	CHECK(disp && foreign && !ours, "slot %u holds foreign_pass %u only", disp, foreign);
	if (nodisp) {
		/* libxdp's dispatcher needs freplace (BPF_PROG_TYPE_EXT)
		 * programs; a kernel that refuses them (this one: lockdown)
		 * gets single programs, so nothing can sit next to ours. */
		printf("\n*** NOTE: libxdp fell back to a single program (no dispatcher: the kernel "
		       "refuses freplace programs); the checks with a foreign program next to ours "
		       "are skipped, ours runs alone ***\n\n");
		xdp_program__detach(fp, if_nametoindex("a0"), XDP_MODE_UNSPEC, 0);
		xdp_program__close(fp);
		fp = NULL;
		foreign = 0;
	}

	printf("2. attach\n");
	rc = attach(syn, &a, why, sizeof(why));
	CHECK(!rc, "xdp_attach: %s", rc ? why : "0");
	if (rc)
		goto out;
	CHECK(xdp_attached_how(a, "a0") == XDP_HOW_ATTACHED, "attached (not adopted)");
	disp = dispatcher("a0", &ours, &foreign2);
	CHECK(ours && ours == xdp_attached_prog_id(a, "a0"),
	      "dispatcher %u shows %s %u", disp, XDP_PROG_NAME, ours);
	CHECK(foreign2 == foreign, "foreign_pass %u still there", foreign2);
	snprintf(path, sizeof(path), "%s/syn_auth", pins);
	CHECK(!stat(path, &st), "syn_auth pinned at %s", path);
	snprintf(path, sizeof(path), "%s/a0/syn_xsks", pins);
	CHECK(!stat(path, &st), "syn_xsks pinned per interface at %s", path);
	CHECK(xdp_map_fd(a, "a0", "syn_xsks") >= 0, "xdp_map_fd(a0, syn_xsks)");
	if (*xdp_attached_notes(a))
		printf("  note: %s\n", xdp_attached_notes(a));

	printf("3. a value in the pinned syn_auth\n");
	fd = xdp_map_fd(a, NULL, "syn_auth");
	CHECK(fd >= 0 && !bpf_map_update_elem(fd, &key, &val, BPF_ANY), "syn_auth[192.0.2.7] written");
	xdp_attached_free(a);
	a = NULL;

	printf("4. restart: attach again from the same object\n");
	rc = attach(syn, &a, why, sizeof(why));
	CHECK(!rc, "xdp_attach: %s", rc ? why : "0");
	if (rc)
		goto out;
	disp2 = dispatcher("a0", &ours2, &foreign2);
	CHECK(xdp_attached_how(a, "a0") == XDP_HOW_ADOPTED, "adopted");
	CHECK(ours2 == ours, "the same program %u stays attached (now %u)", ours, ours2);
	CHECK(disp2 == disp, "the same dispatcher %u (now %u): a0 never went without XDP",
	      disp, disp2);
	CHECK(foreign2 == foreign, "foreign_pass %u still there", foreign2);
	fd = xdp_map_fd(a, NULL, "syn_auth");
	CHECK(fd >= 0 && !bpf_map_lookup_elem(fd, &key, &got) && got == val,
	      "syn_auth[192.0.2.7] survived (%#llx)", (unsigned long long)got);
	xdp_attached_free(a);
	a = NULL;

	printf("5. another build (-mcpu=v3, the same maps)\n");
	rc = attach(v3, &a, why, sizeof(why));
	CHECK(!rc, "xdp_attach: %s", rc ? why : "0");
	if (rc)
		goto out;
	disp2 = dispatcher("a0", &ours2, &foreign2);
	CHECK(xdp_attached_how(a, "a0") == XDP_HOW_REPLACED, "replaced");
	CHECK(ours2 && ours2 != ours && ours2 == xdp_attached_prog_id(a, "a0"),
	      "program %u replaced by %u", ours, ours2);
	CHECK(foreign2 == foreign, "foreign_pass %u still there", foreign2);
	fd = xdp_map_fd(a, NULL, "syn_auth");
	got = 0;
	CHECK(fd >= 0 && !bpf_map_lookup_elem(fd, &key, &got) && got == val,
	      "syn_auth[192.0.2.7] survived the swap (%#llx)", (unsigned long long)got);
	xdp_attached_free(a);
	a = NULL;
	ours = ours2;

	printf("6. a build whose syn_auth differs\n");
	rc = attach(small, &a, why, sizeof(why));
	CHECK(rc && strstr(why, "syn_auth"), "refused: %s", rc ? why : "(attached)");
	if (!rc)
		xdp_attached_free(a), a = NULL;
	dispatcher("a0", &ours2, &foreign2);
	CHECK(ours2 == ours && foreign2 == foreign, "nothing changed (%u, %u)", ours2, foreign2);

	printf("7. a slot held by a plain XDP program (b0)\n");
	{
		struct bpf_object *obj = bpf_object__open_file(foreign_o, NULL);
		const char *ifs[] = { "b0" };
		int pfd = -1;

		if (!libbpf_get_error(obj) && !bpf_object__load(obj))
			pfd = bpf_program__fd(bpf_object__find_program_by_name(obj, "foreign_pass"));
		rc = pfd >= 0 ? bpf_xdp_attach(if_nametoindex("b0"), pfd, XDP_FLAGS_DRV_MODE, NULL) : -1;
		CHECK(!rc, "foreign_pass attached to b0 without libxdp");
		rc = xdp_attach(syn, pins, ifs, 1, &a, why, sizeof(why));
		CHECK(rc == -EBUSY, "refused: %s", rc ? why : "(attached)");
		if (!rc)
			xdp_attached_free(a), a = NULL;
		CHECK(dispatcher("b0", &ours2, &foreign2) && foreign2 && !ours2,
		      "b0 still has only its own program");
		bpf_xdp_detach(if_nametoindex("b0"), 0, NULL);
		bpf_object__close(obj);
	}

	printf("8. detach\n");
	rc = xdp_detach_if(pins, "a0", why, sizeof(why));
	CHECK(!rc, "xdp_detach_if(a0): %s", rc ? why : "0");
	disp2 = dispatcher("a0", &ours2, &foreign2);
	CHECK(!ours2 && foreign2 == foreign, "ours gone, foreign_pass %u stays (dispatcher %u)",
	      foreign2, disp2);
	snprintf(path, sizeof(path), "%s/a0/syn_xsks", pins);
	CHECK(stat(path, &st) && errno == ENOENT, "a0's own pins gone");
	snprintf(path, sizeof(path), "%s/syn_auth", pins);
	CHECK(!stat(path, &st), "the shared pins stay");

out:
	xdp_attached_free(a);
	if (fp && !libxdp_get_error(fp)) {
		xdp_program__detach(fp, if_nametoindex("a0"), XDP_MODE_UNSPEC, 0);
		xdp_program__close(fp);
	}
	rc = system("ip link del a0 2>/dev/null");
	(void)rc;
	umount2(bpffs, MNT_DETACH);
	rmdir(bpffs);
	rmdir(tmp);
	printf("%s\n", failures ? "test-xdp-attach: FAILED" : "test-xdp-attach: all passed");
	return failures ? 1 : 0;
}
