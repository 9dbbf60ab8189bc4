/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gwd's nftables table, "inet gwd", built from the filter parts of a
 * struct gw_conf with libnftnl and libmnl.  Nothing outside that table is
 * ever read for a change, changed or deleted.
 *
 * Layout (names are fixed: a restart finds everything again):
 *
 *   source sets (flags interval), the site's keyed by the source address
 *   (type ipv4_addr / ipv6_addr), the customers' by "customer id . source
 *   address" as one 8 or 20 byte number (nft(8) shows it as an integer):
 *     block4 block6 allow4 allow6          site.filter block/allow
 *     cust_block4 ... cust_allow6          customers[].filter block/allow
 *                                          both changed element by element
 *                                          to match the config at every apply
 *     rt_block4 ... rt_allow6              flags interval,timeout: runtime
 *     cust_rt_block4 ... cust_rt_allow6    only (nft_element()); an apply
 *                                          keeps their elements, except
 *                                          those of customers that no longer
 *                                          have a filter
 *   Shared sets, not one per customer: the kernel looks sets up by name in
 *   a list, so N named sets cost O(N^2) to load (20,000 sets: 14 s here).
 *   The customer key is not a concatenation, which would go to the kernel's
 *   pipapo backend (100,000 elements: 19 s to load, any deletion ~50 ms),
 *   but one number, so an rbtree holds it (0.5 s); a customer's chain
 *   loads its id into the register before the source address.
 *
 *   dispatch4 dispatch6   type ipv4_addr : verdict, flags interval: every
 *                         customer prefix (of a customer with a filter) ->
 *                         goto c<id>; changed element by element
 *
 *   chain forward   hook forward priority 0, policy accept:
 *                   site allow (config, runtime) -> counter site_allow, accept
 *                   site block (config, runtime) -> counter site_block, drop
 *                   ip daddr vmap @dispatch4, ip6 daddr vmap @dispatch6
 *   chain c<id>     per customer with a filter, reached only by dispatch:
 *                   allow -> counter c<id>_allow, accept
 *                   block -> counter c<id>_block, drop
 *                   the rules in order (a rule with addresses of both
 *                   families becomes one nft rule per family)
 *                   counter c<id>_default, then the default verdict; this
 *                   last rule's userdata holds a fingerprint of the
 *                   customer's filter and the chain's rule count, and an
 *                   apply leaves a chain that matches both alone
 *   chain mss       hook forward priority -150: per GRE and IPsec path and
 *                   family, oifname + SYN: tcp option maxseg size > X -> set X
 *
 *   counters   site_allow site_block c<id>_allow c<id>_block c<id>_default
 *              c<id>_r_<hash>: one per rule, <hash> (16 hex digits) from the
 *              rule's content, its customer id and its rank among identical
 *              rules, so an unchanged rule keeps its counter across applies
 *   limits     c<id>_l_<hash>: a rate per rule, same name scheme; the bucket
 *              survives applies too
 *   meters     c<id>_m_<hash>4 / 6: a rate per source: a dynamic set keyed by
 *              the source address, a limit per element, entries expire after
 *              max(60 s, the rate's period) without packets
 *
 * A rule's counter counts what the rule decides: with a rate, what it drops
 * (over the rate; everything if its action is drop); a monitor rule counts
 * what it would drop and decides nothing.
 *
 * Every change is one NFNL batch (atomic: on any error the kernel changes
 * nothing).  Each message carries its own sequence number and an owner, the
 * JSON path of what it builds ("customers[3].filter.rules[2]",
 * "site.filter.block[4]", "customers[0].paths[1] (mss)"); a kernel error is
 * mapped back to that owner, down to the element of a list (extack).  An
 * apply's batch carries the generation of the ruleset it was computed
 * from; the kernel refuses it if the ruleset changed meanwhile, and the
 * apply starts over (three times at most).
 *
 * Functions return 0 or negative errno and never log.
 */
#ifndef GWD_NETLINK_NFT_H
#define GWD_NETLINK_NFT_H

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/model.h"

#define NFT_TABLE	"gwd"
#define NFT_NAME_MAX	32	/* names gwd gives sets, chains, objects; incl. NUL */
#define NFT_OWNER_MAX	96	/* what nft_apply() writes to owner, incl. NUL */

struct nft;

int nft_open(struct nft **out);
void nft_close(struct nft *n);

/*
 * Make table inet gwd match c, creating it when it is missing (also after
 * someone deleted it).  On a kernel error, owner (len bytes, may be NULL)
 * names what the failing message built; the kernel then changed nothing.
 * -EINVAL with owner for a rule gwd cannot express (ports without a
 * protocol, TCP flags with another protocol).
 */
int nft_apply(struct nft *n, const struct gw_conf *c, char *owner, size_t len);

/*
 * Add or delete one prefix in a runtime set: block or allow, site-wide
 * (customer_id 0) or for one customer with a filter at the last apply
 * (-ENOENT otherwise, also before the first apply).  timeout_s 0: no
 * expiry.  One small batch that touches no chain and no rule.  Adding a
 * prefix that overlaps another one of the same customer fails (-EEXIST or
 * -ENOTEMPTY from the kernel); deleting one that is not there: -ENOENT.
 */
int nft_element(struct nft *n, uint32_t customer_id, bool block, bool add,
		const struct gw_prefix *p, uint32_t timeout_s);

/* expires_s: seconds left, rounded up; 0 for an element without timeout. */
typedef int (*nft_element_cb)(void *arg, const struct gw_prefix *p,
			      uint32_t expires_s);
/* The runtime elements of one customer (0: site), both families. */
int nft_elements(struct nft *n, uint32_t customer_id, bool block,
		 nft_element_cb cb, void *arg);

/* Every named counter of table inet gwd, in one dump. */
typedef int (*nft_counter_cb)(void *arg, const char *name, uint64_t packets,
			      uint64_t bytes);
int nft_counters(struct nft *n, nft_counter_cb cb, void *arg);

/*
 * The counter of f->rules[i] of customer id: what nft_counters() reports
 * for it ("c17_r_0123456789abcdef"); "" if there is no such rule.  The
 * other counters' names are fixed (see above).
 */
void nft_rule_counter(uint32_t id, const struct filter_conf *f, size_t i,
		      char out[NFT_NAME_MAX]);

/* 1 if table inet gwd exists, 0 if not, negative errno. */
int nft_table_exists(struct nft *n);

/* ---- shared by netlink/nft*.c only ---------------------------------- */

struct nft {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	char *rx;
	size_t sndbuf;		/* what SO_SNDBUF(FORCE) was last set to */
	/* Customers with a filter at the last apply, sorted; nft_element()
	 * refuses the others. */
	uint32_t *ids;
	size_t n_ids;
	bool applied;
	size_t last_msgs;	/* messages the last successful apply sent */
};

/* What a message builds: formatted as a JSON path only on an error. */
enum nft_own_kind {
	OWN_TABLE,		/* "table inet gwd" */
	OWN_SITE,		/* "site.filter" */
	OWN_SITE_LIST,		/* "site.filter.<name>[item]" */
	OWN_CUSTOMER,		/* "customers[a].filter" */
	OWN_CUST_LIST,		/* "customers[a].filter.<name>[item]" */
	OWN_RULE,		/* "customers[a].filter.rules[b]" (.<name>[item]) */
	OWN_DEFAULT,		/* "customers[a].filter.default" */
	OWN_PREFIX,		/* "customers[a].prefixes[item]" */
	OWN_MSS,		/* "customers[a].paths[b] (mss)" */
	OWN_STALE,		/* "table inet gwd: <name>", an old object */
	OWN_RUNTIME,		/* "<name>", a runtime set */
};

struct nft_owner {
	enum nft_own_kind kind;
	uint32_t a, b;
	const char *name;	/* NULL, or alive until the batch is freed */
};

/* Messages of one NFNL batch, sent together by nft_batch_commit(). */
struct nft_batch;

/* Starts with BATCH_BEGIN; genid 0: no generation check. */
struct nft_batch *nft_batch_new(struct nft *n, uint32_t genid);
void nft_batch_free(struct nft_batch *b);
/*
 * Start a message (type NFT_MSG_*, family inet); the caller fills it before
 * the next call.  NULL when out of memory: the batch remembers it and
 * nft_batch_commit() returns -ENOMEM.
 */
struct nlmsghdr *nft_batch_msg(struct nft_batch *b, uint16_t type,
			       uint16_t flags, const struct nft_owner *own);
/* The current message's next set element stands for item (error mapping). */
void nft_batch_item(struct nft_batch *b, uint32_t item);
/* Bytes filled in the current message so far. */
size_t nft_batch_msg_len(const struct nft_batch *b);
size_t nft_batch_count(const struct nft_batch *b);
/* NEWRULE messages in the batch so far. */
size_t nft_batch_rules(const struct nft_batch *b);
/* A fresh id for an anonymous set of this batch. */
uint32_t nft_batch_set_id(struct nft_batch *b);
/* Send, read every answer; owner as for nft_apply(). */
int nft_batch_commit(struct nft_batch *b, char *owner, size_t len);

void nft_owner_str(const struct nft_owner *o, long item, char *buf,
		   size_t len);

/*
 * A request (dump if NLM_F_DUMP is in flags) of the given type for table
 * gwd; attr/val: an extra string attribute (e.g. the set name), 0/NULL for
 * none.  cb per answer; -EINTR when the kernel says the dump was
 * interrupted.
 */
typedef int (*nft_dump_cb)(const struct nlmsghdr *nlh, void *arg);
int nft_request(struct nft *n, uint16_t type, uint16_t flags, uint16_t tattr,
		uint16_t attr, const char *val, nft_dump_cb cb, void *arg);
int nft_genid(struct nft *n, uint32_t *genid);

/* nft-set.c */

enum nft_set_id {	/* the fixed sets, in this order */
	SET_BLOCK4, SET_BLOCK6, SET_ALLOW4, SET_ALLOW6,
	SET_RT_BLOCK4, SET_RT_BLOCK6, SET_RT_ALLOW4, SET_RT_ALLOW6,
	SET_C_BLOCK4, SET_C_BLOCK6, SET_C_ALLOW4, SET_C_ALLOW6,
	SET_C_RT_BLOCK4, SET_C_RT_BLOCK6, SET_C_RT_ALLOW4, SET_C_RT_ALLOW6,
	SET_DISPATCH4, SET_DISPATCH6,
	SET_FIXED,
};

extern const char *const nft_set_names[SET_FIXED];

/* rt_* and cust_rt_*: elements only nft_element() adds. */
static inline bool nft_set_is_runtime(enum nft_set_id s)
{
	return s < SET_DISPATCH4 && s % SET_C_BLOCK4 >= SET_RT_BLOCK4;
}

/* The source set of id (0: the site's), block or allow, runtime or not. */
enum nft_set_id nft_src_set(uint32_t id, bool block, bool runtime, int family);
int nft_set_add_fixed(struct nft_batch *b, enum nft_set_id s);
int nft_set_add_meter(struct nft_batch *b, const char *name, int family,
		      uint32_t timeout_s, const struct nft_owner *own);
int nft_set_del(struct nft_batch *b, const char *name,
		const struct nft_owner *own);

/*
 * Elements of one set, in as many messages as they need (a message's
 * element list must stay below 64 KiB).  nft_elems_end() closes the last.
 */
struct nft_elems {
	struct nft_batch *b;
	uint16_t type;			/* NFT_MSG_NEWSETELEM, _DELSETELEM */
	const char *set;
	uint32_t set_id;		/* anonymous sets; 0 for named ones */
	struct nft_owner own;
	struct nlmsghdr *nlh;		/* open message, or NULL */
	struct nlattr *list;
};

void nft_elems_start(struct nft_elems *e, struct nft_batch *b, uint16_t type,
		     const char *set, uint32_t set_id,
		     const struct nft_owner *own);
int nft_elems_add(struct nft_elems *e, const void *key, size_t klen,
		  uint32_t flags, uint64_t timeout_ms, const char *goto_chain,
		  uint32_t item);
void nft_elems_end(struct nft_elems *e);

/* [lo, hi] of a prefix, in network order, 4 or 16 bytes each. */
void nft_prefix_range(const struct gw_prefix *p, uint8_t lo[16],
		      uint8_t hi[16]);
/*
 * [lo, hi] of a prefix in the source sets of id: the address (id 0), or id
 * then address; returns the key's length.
 */
size_t nft_src_key(uint32_t id, const struct gw_prefix *p, uint8_t lo[20],
		   uint8_t hi[20]);
/* key + 1 in place; false when it wraps to zero. */
bool nft_key_next(uint8_t *key, size_t klen);
/* A prefix into a source set of id. */
int nft_elems_add_src(struct nft_elems *e, uint32_t id,
		      const struct gw_prefix *p, uint64_t timeout_ms,
		      uint32_t item);
/* An interval [lo, hi]: its start, and its end unless hi is the last key. */
int nft_elems_add_range(struct nft_elems *e, const uint8_t *lo,
			const uint8_t *hi, size_t klen, const char *goto_chain,
			uint64_t timeout_ms, uint32_t item);

/* One element as a dump reports it. */
struct nft_elem {
	uint8_t key[20];
	uint32_t klen;
	uint32_t flags;
	uint64_t expires_ms;		/* 0: no expiry */
	char chain[NFT_NAME_MAX];	/* goto/jump target of a verdict map */
};

typedef int (*nft_elem_cb)(void *arg, const struct nft_elem *el);
/* Dump a set of table gwd; -ENOENT if there is no such set. */
int nft_set_dump(struct nft *n, const char *set, nft_elem_cb cb, void *arg);

/* nft-rule.c */

struct nftnl_rule;

/* What one customer's chain needs, computed once per apply. */
struct nft_cust {
	const struct customer_conf *cu;
	uint32_t index;			/* in gw_conf.customers */
	unsigned fams;			/* 1: has IPv4 prefixes, 2: IPv6 */
	char (*hash)[17];		/* per rule: 16 hex digits */
};

int nft_cust_init(struct nft_cust *k, const struct gw_conf *c, size_t i);
/*
 * A customer chain's last rule carries, in its userdata, a fingerprint of
 * everything its rules come from and how many rules it has: an apply that
 * finds both unchanged leaves the chain alone.
 */
#define NFT_UDATA_CHAIN	0xe7	/* a TLV type nft(8) does not use */
struct nft_fingerprint {
	uint64_t hash;
	uint32_t rules;
};
uint64_t nft_cust_hash(const struct nft_cust *k);
void nft_cust_free(struct nft_cust *k);
/* -EINVAL and *rule for a rule gwd cannot express. */
int nft_cust_check(const struct nft_cust *k, size_t *rule);

/*
 * Object names a customer needs; cb once per name, with its kind:
 * NFT_OBJECT_COUNTER, NFT_OBJECT_LIMIT (+ rule index), or 0 for a meter
 * set (+ rule index and family).
 */
typedef int (*nft_need_cb)(void *arg, const char *name, uint32_t type,
			   size_t rule, int family);
int nft_cust_needs(const struct nft_cust *k, nft_need_cb cb, void *arg);

int nft_obj_add_counter(struct nft_batch *b, const char *name,
			const struct nft_owner *own);
int nft_obj_add_limit(struct nft_batch *b, const char *name,
		      const struct filter_rule *r, const struct nft_owner *own);
int nft_obj_del(struct nft_batch *b, const char *name, uint32_t type,
		const struct nft_owner *own);

int nft_chain_add(struct nft_batch *b, const char *name, bool base,
		  int prio, const struct nft_owner *own);
int nft_chain_flush(struct nft_batch *b, const char *name,
		    const struct nft_owner *own);
int nft_chain_del(struct nft_batch *b, const char *name,
		  const struct nft_owner *own);

/* The rules of chain forward, of c<id> (fingerprinted), of mss. */
int nft_rules_forward(struct nft_batch *b, const struct gw_conf *c);
int nft_rules_customer(struct nft_batch *b, const struct nft_cust *k);
int nft_rules_mss(struct nft_batch *b, const struct gw_conf *c);

/* How long a per-source meter keeps an idle source: max(60 s, the period). */
uint32_t nft_meter_timeout(const struct filter_rule *r);

/* Do the config lists hold a prefix of family? */
bool nft_list_has(const struct gw_prefix *p, size_t n, int family);

#endif
