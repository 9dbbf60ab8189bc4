/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The desired state as written by the operator in gwd.json, after parsing and
 * validation.  Nothing here knows about the kernel: netlink/ and gwd/ derive
 * kernel objects from it.  A struct gw_conf owns every array it points to;
 * conf_free() releases all of it.
 */
#ifndef GWD_CONF_MODEL_H
#define GWD_CONF_MODEL_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GW_NAME_MAX      32	/* customer and site names, incl. NUL */
#define GW_PATH_NAME_MAX 16	/* path names, incl. NUL */
#define GW_SOCK_PATH_MAX 108	/* sizeof(sun_path) */
#define GW_DEFAULT_CONF  "/etc/gwd/gwd.json"
#define GW_DEFAULT_SOCK  "/run/gwd/gwd.sock"
#define GW_MAX_ECMP      16	/* equal-priority paths per family and customer */
#define GW_DEFAULT_VICI  "/var/run/charon.vici"
#define GW_FILE_MAX      128	/* ike file names, incl. NUL */
#define GW_IKE_ID_MAX    128	/* IKE identities, incl. NUL */
#define GW_PROPOSALS_MAX 256	/* comma-separated proposals, incl. NUL */
#define GW_PSK_FILE_MAX  1024	/* bytes in a PSK file, newline included */
#define GW_IKE_FILE_MAX  65535	/* in a certificate or key file: one vici value */

/* An address of either family; family is AF_INET or AF_INET6, 0 when unset. */
struct gw_addr {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t raw[16];
	};
};

struct gw_prefix {
	struct gw_addr addr;
	uint8_t len;
};

enum path_type {
	PATH_VLAN,
	PATH_GRE,	/* GRE over the v4 underlay, or ip6gre when remote is v6 */
	PATH_IPSEC,	/* IKEv2 by charon over vici, route-based */
};

enum ipsec_mode {
	IPSEC_XFRM,	/* tunnel-mode ESP into an xfrm interface (if_id) */
	IPSEC_GRE,	/* GRE to remote, carried in transport-mode ESP */
	IPSEC_VTI,	/* tunnel-mode ESP into a VTI (mark = if_id), for
			 * kernels without xfrm interfaces */
};

enum ike_auth {
	IKE_AUTH_PSK,
	IKE_AUTH_PUBKEY,	/* X.509: our cert and key, the customer's CA */
};

/*
 * IKE settings of an IPsec path.  Secrets are never held here: psk_file
 * and key are file names, read when the connection is loaded.
 */
struct ike_conf {
	enum ike_auth auth;
	char psk_file[GW_FILE_MAX];	/* psk: mode 0600 or stricter */
	char cert[GW_FILE_MAX];		/* pubkey: our certificate (PEM or DER) */
	char key[GW_FILE_MAX];		/* pubkey: its private key, mode 0600 */
	char ca[GW_FILE_MAX];		/* pubkey: CA the customer's cert chains to */
	char local_id[GW_IKE_ID_MAX];	/* "": our underlay address, or the
					 * certificate's subject */
	char remote_id[GW_IKE_ID_MAX];	/* required */
	char proposals[GW_PROPOSALS_MAX];	/* IKE, comma-separated */
	char esp_proposals[GW_PROPOSALS_MAX];	/* CHILD_SA, comma-separated */
	uint32_t dpd_s;			/* 0: no dead peer detection */
	uint32_t rekey_s;		/* IKE_SA rekeying */
	uint32_t reauth_s;		/* 0: no reauthentication */
	uint32_t child_rekey_s;		/* CHILD_SA rekeying */
	uint32_t jitter_pct;		/* rekeys happen up to this much earlier */
};

enum probe_kind {
	PROBE_ICMP,
	PROBE_BFD,	/* RFC 5880/5881 single hop, asynchronous mode */
};

struct probe_conf {
	enum probe_kind kind;
	uint32_t interval_ms;		/* bfd: desired min TX */
	uint32_t min_rx_ms;		/* bfd: required min RX; 0: interval_ms */
	uint32_t timeout_ms;		/* icmp: an answer later is a loss; 0: interval_ms */
	uint32_t fail;			/* icmp: consecutive losses: down;
					 * bfd: the detect multiplier */
	uint32_t rise;			/* consecutive answers (bfd: packets
					 * received with the session up): up again */
	uint32_t degraded_loss_pct;	/* icmp: loss over 10 s: degraded; 0: never */
	uint32_t degraded_rtt_ms;	/* icmp: mean RTT over 10 s: degraded; 0: never */
};

struct path_conf {
	char name[GW_PATH_NAME_MAX];
	enum path_type type;
	char ifname[IF_NAMESIZE];	/* derived: conf_path_ifname() */

	/* vlan */
	char parent[IF_NAMESIZE];
	uint16_t vlan;

	/* gre; ipsec: remote is the IKE peer, and the GRE remote in mode gre */
	struct gw_addr remote;
	bool has_key;
	uint32_t key;

	/* ipsec */
	enum ipsec_mode ipsec_mode;
	uint32_t if_id;			/* derived: conf_path_if_id() */
	struct ike_conf ike;

	struct gw_prefix address;	/* gwd's side, with the subnet length */
	struct gw_addr peer;		/* the customer's side: the next hop */
	uint32_t priority;		/* 0..65535, lower wins; 100 if not given */
	uint32_t weight;		/* 1..256, among equal priorities; 1 */
	uint32_t mtu;			/* "mtu", else by kind (parse.c default_mtu());
					 * 0: a VLAN keeping its parent's MTU */
	uint16_t mss;			/* GRE and IPsec: TCP MSS clamp; "mss", else
					 * derived: conf_path_mss() */
	struct probe_conf probe;	/* defaults.probe unless overridden */
};

/* Filtering (nftables, table inet gwd). */
#define GW_RULE_LIST_MAX 16	/* prefixes or ports in one list of a rule */

enum filter_action {
	FILTER_ACCEPT,
	FILTER_DROP,
};

struct port_range {
	uint16_t lo, hi;		/* lo == hi: one port */
};

enum rate_unit {
	RATE_PACKETS,
	RATE_BYTES,
};

enum rate_per {
	RATE_PER_RULE,			/* one bucket for the rule */
	RATE_PER_SOURCE,		/* one bucket per source address */
};

/*
 * One rule of a customer's filter.  Every match given must hold; lists
 * match any of their entries.  Without a rate, the rule's action applies
 * to what matches.  With a rate, what matches beyond the rate is dropped
 * and the rest gets the action.  A monitor rule counts what it would drop
 * and drops nothing (its packets go on to the next rule).
 */
struct filter_rule {
	uint8_t proto;			/* IPPROTO_*; 0: any */
	struct gw_prefix saddr[GW_RULE_LIST_MAX];
	size_t n_saddr;
	struct gw_prefix daddr[GW_RULE_LIST_MAX];	/* within the customer's prefixes */
	size_t n_daddr;
	struct port_range sport[GW_RULE_LIST_MAX];	/* tcp, udp, sctp */
	size_t n_sport;
	struct port_range dport[GW_RULE_LIST_MAX];
	size_t n_dport;
	uint8_t tcp_flags;		/* these flags set ... */
	uint8_t tcp_flags_mask;		/* ... of these ("syn", "!ack"); 0: any */
	uint16_t len_lo, len_hi;	/* IP packet length; 0 and 0: any */
	enum filter_action action;	/* accept unless given */
	bool has_rate;
	uint64_t rate;			/* packets or bytes ... */
	enum rate_unit rate_unit;
	uint32_t rate_per_s;		/* ... per this many seconds (1, 60, 3600) */
	uint32_t burst;			/* packets or bytes; 0: the kernel's default */
	enum rate_per per;
	bool monitor;
};

/* Sources dropped (block) or let through before any rule (allow). */
struct ip_sets_conf {
	struct gw_prefix *block;
	size_t n_block;
	struct gw_prefix *allow;
	size_t n_allow;
};

struct filter_conf {
	bool present;			/* "filter" given: else everything passes */
	enum filter_action def;		/* what no rule decided */
	struct filter_rule *rules;
	size_t n_rules;
	struct ip_sets_conf sets;
};

/*
 * The SYN fast path (XDP and AF_XDP workers, gwd/xdp/).  Per customer, and
 * so per prefix of the customer, a mode: off passes SYNs untouched, monitor
 * counts them, on challenges the SYNs of unauthenticated sources with a
 * cookie SYN-ACK, auto is off until the SYNs to the customer's prefixes
 * reach on_pps per second, then on until they stayed below off_pps for
 * hold_s (gwd/xdp/auto.h).
 */
enum syn_conf_mode {
	SYN_CONF_OFF,
	SYN_CONF_MONITOR,
	SYN_CONF_ON,
	SYN_CONF_AUTO,
};

struct syn_conf {
	bool present;			/* "syn" given: printed back */
	enum syn_conf_mode mode;	/* off unless given */
	uint32_t on_pps;		/* auto: on at or above; else 0 */
	uint32_t off_pps;		/* auto: off below, < on_pps; else 0 */
	uint32_t hold_s;		/* auto: below off_pps this long: off; 60 */
	uint32_t auth_s;		/* a valid cookie ACK authenticates for; 300 */
	uint32_t budget_pps;		/* per-source SYNs/s while on; 100 */
	uint32_t budget_burst;		/* and the bucket; 2 * budget_pps */
};

/* What an unauthenticated SYN to a prefix in mode on gets when no AF_XDP
 * worker answers on its queue. */
enum syn_conf_fallback {
	SYN_CONF_PASS,
	SYN_CONF_DROP,
};

struct syn_site_conf {
	bool present;			/* "syn" given: printed back */
	enum syn_conf_fallback fallback;	/* pass unless given */
};

struct customer_conf {
	char name[GW_NAME_MAX];
	uint32_t id;			/* 1..65535, unique */
	uint32_t table;			/* derived: site.table_base + id */
	char vrf[IF_NAMESIZE];		/* derived: conf_vrf_ifname() */
	struct gw_prefix *prefixes;
	size_t n_prefixes;
	struct path_conf *paths;
	size_t n_paths;
	struct filter_conf filter;
	struct syn_conf syn;
};

struct site_conf {
	char name[GW_NAME_MAX];
	struct gw_addr underlay_v4;	/* family 0 when absent */
	struct gw_addr underlay_v6;
	char (*ingress)[IF_NAMESIZE];
	size_t n_ingress;
	uint32_t table_base;
	char control_socket[GW_SOCK_PATH_MAX];
	char vici_socket[GW_SOCK_PATH_MAX];	/* charon's; GW_DEFAULT_VICI */
	struct ip_sets_conf filter;	/* "filter": site-wide block and allow */
	struct syn_site_conf syn;
};

struct defaults_conf {
	uint32_t mtu;
	struct probe_conf probe;
};

struct gw_conf {
	struct site_conf site;
	struct defaults_conf defaults;
	struct customer_conf *customers;
	size_t n_customers;
};

/*
 * Diagnostics: every problem found, in order, each one line of the form
 * "JSON.PATH: reason".  Parsing and validation go on after an error so that
 * an operator sees all of them at once.
 */
struct conf_diag {
	char **msg;
	size_t n;
	size_t dropped;		/* not kept: past the first 200, or no memory */
};

void conf_diag_add(struct conf_diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void conf_diag_print(FILE *f, const struct conf_diag *d);
void conf_diag_free(struct conf_diag *d);

/*
 * Parse text (not NUL-terminated) into *out; -EINVAL with d filled on errors,
 * -ENOMEM; *out is NULL on failure.  Values are checked one by one (types,
 * ranges, syntax), relations are conf_validate()'s.
 */
int conf_parse(const char *text, size_t len, struct gw_conf **out,
	       struct conf_diag *d);
/* Semantic checks across the whole config; -EINVAL with d filled. */
int conf_validate(const struct gw_conf *c, struct conf_diag *d);
/*
 * Read, parse and validate a file: what gwd -n, startup and reload all use.
 * -EINVAL for a wrong config or a file that is not a regular file (gwd
 * never blocks on a FIFO), -errno when the file cannot be read (-EFBIG
 * above 16 MiB); d says why in every case.  Validation runs only on a
 * config that parsed.
 */
int conf_load(const char *file, struct gw_conf **out, struct conf_diag *d);
void conf_free(struct gw_conf *c);

/* Normalized JSON: every default spelled out, stable order; re-parses equal. */
int conf_print(FILE *f, const struct gw_conf *c);

/*
 * Kernel names, fixed by the customer id so that a restart finds them again:
 * the VRF is "gwvrf<id>", a path's link "gw<id>-<path>".  Both must fit
 * IFNAMSIZ; -ENAMETOOLONG otherwise (validation reports it with the path).
 */
int conf_vrf_ifname(uint32_t id, char out[IF_NAMESIZE]);
int conf_path_ifname(uint32_t id, const char *path, char out[IF_NAMESIZE]);
/*
 * The xfrm interface id (VTI: the mark) of an IPsec path, also fixed by the
 * customer id and path name: id << 16 | a 16-bit hash of the name, never 0.
 * Validation refuses two paths of one customer whose hashes collide.
 */
uint32_t conf_path_if_id(uint32_t id, const char *path);
/*
 * The TCP MSS a GRE or IPsec path clamps SYNs to, for IPv4 and IPv6: its
 * "mss", else its MTU less the IP and TCP headers (40 and 60 bytes).  0 for
 * a VLAN path, which is not clamped.
 */
uint16_t conf_path_mss(const struct path_conf *p, int family);

/* Lookup helpers. */
const struct customer_conf *conf_customer(const struct gw_conf *c,
					  const char *name);
const struct path_conf *conf_path(const struct customer_conf *cu,
				  const char *name);

/* Address helpers shared by conf/, netlink/ and gwd/. */
int gw_addr_parse(const char *s, struct gw_addr *a);
int gw_prefix_parse(const char *s, struct gw_prefix *p);	/* host bits must be 0 */
int gw_ifprefix_parse(const char *s, struct gw_prefix *p);	/* host bits allowed */
void gw_prefix_mask(struct gw_prefix *p);			/* clear the host bits */
const char *gw_addr_str(const struct gw_addr *a, char *buf, size_t len);
const char *gw_prefix_str(const struct gw_prefix *p, char *buf, size_t len);
bool gw_addr_eq(const struct gw_addr *a, const struct gw_addr *b);
bool gw_prefix_eq(const struct gw_prefix *a, const struct gw_prefix *b);
bool gw_prefix_contains(const struct gw_prefix *p, const struct gw_addr *a);
bool gw_prefix_overlap(const struct gw_prefix *a, const struct gw_prefix *b);
size_t gw_addr_len(int family);	/* 4, 16, or 0 */

#define GW_ADDRSTRLEN INET6_ADDRSTRLEN
#define GW_PREFIXSTRLEN (INET6_ADDRSTRLEN + 4)

#endif
