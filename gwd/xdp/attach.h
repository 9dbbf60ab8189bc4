/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attaching the SYN fast path's XDP program (syn.bpf.o, program gwd_syn)
 * to the site.ingress interfaces through libxdp's dispatcher, with its maps
 * pinned in a bpffs directory of gwd's own (XDP_PIN_DIR by default).
 *
 * Pins: the shared maps (authenticated sources, budgets, blocks, prefixes,
 * cookie keys, counters) at PIN_DIR/NAME, one set for every interface; the
 * per-interface ones (syn_xsks: an XSKMAP only takes sockets bound to the
 * interface it redirects from) at PIN_DIR/IFNAME/NAME.
 *
 * Per interface, xdp_attach():
 *   - nothing attached: attach (native mode; generic "skb" mode with a note
 *     when native fails), run priority XDP_RUN_PRIO in the dispatcher;
 *   - our program attached (same name in the dispatcher), same build (the
 *     BPF tag of this object's program equals the attached one's) and using
 *     the pinned maps: adopt it, touch nothing: the interface never goes
 *     without it, authenticated sources, budgets, keys and counters stay;
 *   - our program attached but a different build (or its maps are not the
 *     pinned ones): attach the new one next to it in the dispatcher, then
 *     detach the old one (each a single atomic dispatcher replacement), the
 *     new one reusing the pinned maps;
 *   - a pinned map whose definition (type, key, value, size, flags) differs
 *     from the object's: refused, naming the map; nothing changed;
 *   - other programs in the dispatcher are never touched; an XDP slot held
 *     by a program not loaded through libxdp's dispatcher is refused.
 * libxdp pins the dispatcher itself under its own bpffs directory
 * (LIBXDP_BPFFS, default /sys/fs/bpf/xdp): the program stays attached when
 * gwd exits, by design.
 */
#ifndef GWD_XDP_ATTACH_H
#define GWD_XDP_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#define XDP_PIN_DIR	"/sys/fs/bpf/gwd"
#define XDP_PROG_NAME	"gwd_syn"
#define XDP_RUN_PRIO	10	/* DESIGN.md: the SYN filter runs first */

enum xdp_attach_how {
	XDP_HOW_ATTACHED,	/* was not there */
	XDP_HOW_ADOPTED,	/* the same build was there: left alone */
	XDP_HOW_REPLACED,	/* another build was there: swapped */
};

struct xdp_attached;

/* Attaches obj_path's program to each of ifnames (see above), pins under
 * pin_dir (NULL: XDP_PIN_DIR; must be on a bpffs).  0 and *out, or -errno
 * and a sentence in why (interfaces done before the failing one stay
 * attached: call again once fixed). */
int xdp_attach(const char *obj_path, const char *pin_dir,
	       const char *const *ifnames, size_t n,
	       struct xdp_attached **out, char *why, size_t len);

/* A map's fd (owned by the handle): a shared map (ifname NULL) or an
 * interface's own (syn_xsks).  -ENOENT when there is no such map. */
int xdp_map_fd(struct xdp_attached *a, const char *ifname, const char *map_name);
/* The id of our program in ifname's dispatcher (0 when not one of ours). */
uint32_t xdp_attached_prog_id(const struct xdp_attached *a, const char *ifname);
/* What xdp_attach() did on ifname, -ENOENT when not one of ours. */
int xdp_attached_how(const struct xdp_attached *a, const char *ifname);
/* Notes worth a log line (generic mode, repaired pins), "" when none. */
const char *xdp_attached_notes(const struct xdp_attached *a);
/* Closes the handle; never detaches anything. */
void xdp_attached_free(struct xdp_attached *a);

/* Detaches our program(s) from ifname's dispatcher (other programs stay;
 * libxdp removes the dispatcher with its last program) and unpins the
 * interface's own maps.  0 also when none was attached. */
int xdp_detach_if(const char *pin_dir, const char *ifname, char *why, size_t len);

#endif
