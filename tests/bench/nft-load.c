// SPDX-License-Identifier: GPL-2.0
/*
 * The nftables benchmark's driver (tests/bench/nft.sh runs it as root in a
 * network namespace of its own).
 *
 * 1. N customers with a filter (one /24 each, one rule) plus M prefixes in
 *    the site's block list, through nft_apply() into an empty ruleset; the
 *    same ruleset, listed by nft and loaded again with nft -f into an empty
 *    ruleset, in the same run; the ratio.  nft cannot parse the immediate
 *    customer id in "id . ip saddr" lookups nor the customers' integer
 *    keys: its text says "meta mark" there, one register load for another,
 *    and declares those (empty) sets "mark . address".  Then an unchanged
 *    apply, and an apply that changes one customer's rule.
 * 2. M /32s in the runtime block set (one batch), then one element added
 *    and deleted through nft_element() and through "nft add element".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "netlink/nft.h"

#include <linux/netfilter/nf_tables.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what, int err, const char *owner)
{
	fprintf(stderr, "nft-load: %s: %s%s%s\n", what, strerror(-err),
		owner && *owner ? " at " : "", owner ? owner : "");
	exit(1);
}

static double sh_ms(const char *cmd)
{
	double t0 = now_ms();
	int st = system(cmd);

	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "nft-load: %s failed\n", cmd);
		exit(1);
	}
	return now_ms() - t0;
}

static struct gw_prefix v4(uint32_t a, uint8_t len)
{
	struct gw_prefix p = { .addr.family = AF_INET, .len = len };

	p.addr.v4.s_addr = htonl(a);
	return p;
}

struct load {
	struct gw_conf c;
	struct customer_conf *cu;
	struct gw_prefix *pfx, *blk;
	struct filter_rule *rules;
};

/* Customer i: id i + 1, 10.(i / 256).(i % 256).0/24, udp dport 19 dropped. */
static void load_init(struct load *l, size_t n, size_t m)
{
	l->cu = calloc(n, sizeof(*l->cu));
	l->pfx = calloc(n, sizeof(*l->pfx));
	l->rules = calloc(n, sizeof(*l->rules));
	l->blk = calloc(m, sizeof(*l->blk));
	if (!l->cu || !l->pfx || !l->rules || !l->blk)
		die("calloc", -ENOMEM, NULL);
	for (size_t i = 0; i < n; i++) {
		l->pfx[i] = v4(0x0a000000u | (uint32_t)i << 8, 24);
		l->rules[i] = (struct filter_rule){ .proto = IPPROTO_UDP, .n_dport = 1,
						    .dport = { { 19, 19 } },
						    .action = FILTER_DROP };
		l->cu[i] = (struct customer_conf){
			.id = (uint32_t)i + 1, .prefixes = &l->pfx[i], .n_prefixes = 1,
			.filter = { .present = true, .def = FILTER_ACCEPT,
				    .rules = &l->rules[i], .n_rules = 1 } };
	}
	/* 100.64.0.0/10 host by host */
	for (size_t i = 0; i < m; i++)
		l->blk[i] = v4(0x64400000u + (uint32_t)i, 32);
	l->c = (struct gw_conf){ .customers = l->cu, .n_customers = n };
	l->c.site.filter = (struct ip_sets_conf){ .block = l->blk, .n_block = m };
}

static double apply_ms(struct nft *n, const struct gw_conf *c)
{
	char owner[NFT_OWNER_MAX];
	double t0 = now_ms();
	int ret = nft_apply(n, c, owner, sizeof(owner));

	if (ret)
		die("nft_apply", ret, owner);
	return now_ms() - t0;
}

static void bench_apply(struct nft *n, size_t cust, size_t blk)
{
	char cmd[512], dir[] = "/tmp/gwd-nft-bench.XXXXXX";
	double t_apply, t_nft, t_again, t_one;
	size_t m_apply, m_again, m_one;
	struct load l;

	if (!mkdtemp(dir))
		die("mkdtemp", -errno, NULL);
	load_init(&l, cust, blk);
	sh_ms("nft flush ruleset");
	t_apply = apply_ms(n, &l.c);
	m_apply = n->last_msgs;
	/* nft cannot read back an immediate in a lookup key, nor its own
	 * "type 0" (an integer key of 8 or 20 bytes): the customers' source
	 * sets become "mark . address" (empty here: no element differs). */
	snprintf(cmd, sizeof(cmd),
		 "nft list ruleset | sed 's/0x[0-9a-f]* \\[invalid type\\] \\./meta mark ./' | "
		 "awk '/set cust_.*4 {/ { t = \"mark . ipv4_addr\" } "
		 "/set cust_.*6 {/ { t = \"mark . ipv6_addr\" } "
		 "$1 == \"type\" && $2 == \"0\" { sub(/type 0/, \"type \" t) } { print }' "
		 "> %s/ruleset.nft", dir);
	sh_ms(cmd);
	sh_ms("nft flush ruleset");
	snprintf(cmd, sizeof(cmd), "nft -f %s/ruleset.nft", dir);
	t_nft = sh_ms(cmd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	sh_ms(cmd);

	sh_ms("nft flush ruleset");
	apply_ms(n, &l.c);
	t_again = apply_ms(n, &l.c);
	m_again = n->last_msgs;
	l.rules[cust / 2].dport[0] = (struct port_range){ 17, 17 };
	t_one = apply_ms(n, &l.c);
	m_one = n->last_msgs;

	printf("nft apply: %zu customers + %zu block prefixes\n", cust, blk);
	printf("  nft_apply, empty ruleset    %9.1f ms  (%zu messages)\n", t_apply,
	       m_apply);
	printf("  nft -f, same ruleset        %9.1f ms\n", t_nft);
	printf("  ratio nft_apply / nft -f    %9.2f\n", t_apply / t_nft);
	printf("  nft_apply, unchanged        %9.1f ms  (%zu messages)\n", t_again,
	       m_again);
	printf("  nft_apply, one rule changed %9.1f ms  (%zu messages)\n", t_one,
	       m_one);
	free(l.cu);
	free(l.pfx);
	free(l.rules);
	free(l.blk);
}

/* m /32s into rt_block4 as one batch, site-wide */
static double fill_runtime(struct nft *n, size_t m)
{
	const struct nft_owner own = { .kind = OWN_RUNTIME, .name = "rt_block4" };
	/* The site's runtime block set, as nft_element() would fill it. */
	struct nft_batch *b = nft_batch_new(n, 0);
	struct nft_elems e;
	double t0 = now_ms();
	int ret = 0;

	if (!b)
		die("nft_batch_new", -ENOMEM, NULL);
	nft_elems_start(&e, b, NFT_MSG_NEWSETELEM, "rt_block4", 0, &own);
	for (size_t i = 0; i < m && !ret; i++) {
		struct gw_prefix p = v4(0x64400000u + (uint32_t)i, 32);

		ret = nft_elems_add_src(&e, 0, &p, 0, (uint32_t)i);
	}
	nft_elems_end(&e);
	if (!ret)
		ret = nft_batch_commit(b, NULL, 0);
	nft_batch_free(b);
	if (ret)
		die("filling rt_block4", ret, NULL);
	return now_ms() - t0;
}

static void bench_element(struct nft *n, size_t m)
{
	enum { REPS = 20 };
	struct gw_prefix one = v4(0xc6336400u + 77, 32);	/* 198.51.100.77 */
	double t_fill, t0, t_add = 0, t_del = 0, t_nft_add = 0, t_nft_del = 0;
	struct load l;
	int ret;

	load_init(&l, 1, 0);
	sh_ms("nft flush ruleset");
	apply_ms(n, &l.c);
	t_fill = fill_runtime(n, m);
	for (int i = 0; i < REPS; i++) {
		t0 = now_ms();
		if ((ret = nft_element(n, 0, true, true, &one, 0)))
			die("nft_element add", ret, NULL);
		t_add += now_ms() - t0;
		t0 = now_ms();
		if ((ret = nft_element(n, 0, true, false, &one, 0)))
			die("nft_element del", ret, NULL);
		t_del += now_ms() - t0;
		t_nft_add += sh_ms("nft add element inet gwd rt_block4 '{ 198.51.100.77 }'");
		t_nft_del += sh_ms("nft delete element inet gwd rt_block4 '{ 198.51.100.77 }'");
	}
	printf("runtime element: one /32 in a set of %zu (filled in one batch: %.1f ms)\n",
	       m, t_fill);
	printf("  nft_element add / del     %7.2f / %.2f ms (mean of %d)\n",
	       t_add / REPS, t_del / REPS, REPS);
	printf("  nft add / delete element  %7.2f / %.2f ms (mean of %d, incl. exec)\n",
	       t_nft_add / REPS, t_nft_del / REPS, REPS);
	free(l.cu);
	free(l.pfx);
	free(l.rules);
	free(l.blk);
}

int main(int argc, char **argv)
{
	size_t cust = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	size_t blk = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	struct nft *n;
	int ret;

	if (!cust || cust > 65535) {
		fprintf(stderr, "usage: nft-load [CUSTOMERS (1..65535) [BLOCK_PREFIXES]]\n");
		return 2;
	}
	if ((ret = nft_open(&n)))
		die("nft_open", ret, NULL);
	bench_apply(n, cust, blk);
	bench_element(n, blk);
	nft_close(n);
	return 0;
}
