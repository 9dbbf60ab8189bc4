// SPDX-License-Identifier: GPL-2.0
/*
 * gwctl: the operator's view of gwd.  Each command is one request over the
 * control socket (gwd/ctl-proto.h).  -j prints gwd's JSON as it came; without
 * it the result becomes a table.  The tables read only the keys they know and
 * show "-" for missing ones, so gwd may add keys without breaking gwctl.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gwd/ctl-client.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
		    JSON_C_TO_STRING_NOSLASHESCAPE)

static void die_oom(void)
{
	fputs("gwctl: out of memory\n", stderr);
	exit(1);
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die_oom();
	return p;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		die_oom();
	return s;
}

static void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_FLAGS));
}

/* Any JSON value as table text: "-" for null/absent, yes/no, a,b for arrays. */
static char *value_str(json_object *v)
{
	size_t i, n, len;
	char *buf = NULL, *e;
	FILE *f;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return xstrdup("-");
	case json_type_boolean:
		return xstrdup(json_object_get_boolean(v) ? "yes" : "no");
	case json_type_array:
		n = json_object_array_length(v);
		if (!n)
			return xstrdup("-");
		f = open_memstream(&buf, &len);
		if (!f)
			die_oom();
		for (i = 0; i < n; i++) {
			e = value_str(json_object_array_get_idx(v, i));
			fprintf(f, "%s%s", i ? "," : "", e);
			free(e);
		}
		if (fclose(f))
			die_oom();
		return buf;
	default:
		/* Strings as they are; numbers and objects as JSON text. */
		return xstrdup(json_object_get_string(v));
	}
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static char *field(json_object *o, const char *key)
{
	return value_str(get(o, key));
}

/* Aligned columns, like `ip -br`: two spaces apart, the last one ragged. */
#define TABLE_MAX_COLS 16

struct table {
	size_t ncols;
	size_t n, cap;
	char **cells;		/* owned, row after row */
};

static void table_cell(struct table *t, char *s /* owned */)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = realloc(t->cells, t->cap * sizeof(*t->cells));
		if (!t->cells)
			die_oom();
	}
	t->cells[t->n++] = s;
}

static void table_text(struct table *t, const char *s)
{
	table_cell(t, xstrdup(s));
}

static void table_field(struct table *t, json_object *o, const char *key)
{
	table_cell(t, field(o, key));
}

/* The header row, NULL-terminated; it sets the number of columns. */
static void table_header(struct table *t, ...)
{
	const char *s;
	va_list ap;

	va_start(ap, t);
	while ((s = va_arg(ap, const char *)) && t->n < TABLE_MAX_COLS)
		table_text(t, s);
	va_end(ap);
	t->ncols = t->n;
}

static void table_print(struct table *t)
{
	size_t w[TABLE_MAX_COLS] = { 0 }, i, c, len;

	for (i = 0; i < t->n; i++) {
		len = strlen(t->cells[i]);
		if (len > w[i % t->ncols])
			w[i % t->ncols] = len;
	}
	for (i = 0; i < t->n; i++) {
		c = i % t->ncols;
		if (c == t->ncols - 1)
			printf("%s\n", t->cells[i]);
		else
			printf("%-*s  ", (int)w[c], t->cells[i]);
	}
	for (i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
}

static char *duration_str(long long s)
{
	if (s >= 86400)
		return xasprintf("%lldd %lldh", s / 86400, s % 86400 / 3600);
	if (s >= 3600)
		return xasprintf("%lldh %lldm", s / 3600, s % 3600 / 60);
	if (s >= 60)
		return xasprintf("%lldm %llds", s / 60, s % 60);
	return xasprintf("%llds", s);
}

/* {"time", "ok", "changes", "failed", "message"}, each optional, as
 * "2026-11-22T10:00:00Z ok, 12 changes, 0 failed". */
static char *outcome_str(json_object *o)
{
	json_object *v;
	char *buf = NULL, *s;
	size_t len;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		die_oom();
	s = field(o, "time");
	fputs(s, f);
	free(s);
	if ((v = get(o, "ok")))
		fputs(json_object_get_boolean(v) ? " ok" : " FAILED", f);
	if ((v = get(o, "changes")))
		fprintf(f, ", %s changes", json_object_get_string(v));
	if ((v = get(o, "failed")))
		fprintf(f, ", %s failed", json_object_get_string(v));
	if ((v = get(o, "message")) && json_object_get_string_len(v))
		fprintf(f, ": %s", json_object_get_string(v));
	if (fclose(f))
		die_oom();
	return buf;
}

static void print_status(json_object *res)
{
	struct table t = { .ncols = 2 };
	json_object *v;
	char *s;

	table_text(&t, "site");
	table_field(&t, res, "site");
	table_text(&t, "pid");
	table_field(&t, res, "pid");
	table_text(&t, "uptime");
	v = get(res, "uptime_s");
	table_cell(&t, v ? duration_str(json_object_get_int64(v)) : xstrdup("-"));
	table_text(&t, "config");
	table_field(&t, res, "config");
	table_text(&t, "customers");
	s = field(res, "customers");
	v = get(res, "customers_undeliverable");
	table_cell(&t, v && json_object_get_int64(v) ?
		       xasprintf("%s, %s NOT DELIVERABLE", s, json_object_get_string(v)) :
		       xstrdup(s));
	free(s);
	table_text(&t, "paths");
	s = field(res, "paths");
	v = get(res, "paths_up");
	table_cell(&t, v && get(res, "paths_drained") ?
		       xasprintf("%s, %s up, %s drained", s, json_object_get_string(v),
				 json_object_get_string(get(res, "paths_drained"))) :
		       xstrdup(s));
	free(s);
	if ((v = get(res, "last_apply"))) {
		table_text(&t, "last apply");
		table_cell(&t, outcome_str(v));
	}
	if ((v = get(res, "last_reload"))) {
		table_text(&t, "last reload");
		table_cell(&t, outcome_str(v));
	}
	table_print(&t);
}

/*
 * The rows of an array result; 0 after printing what stands for none (or
 * the JSON of a result that is no array).
 */
static size_t rows(json_object *res, const char *none)
{
	size_t n;

	if (!json_object_is_type(res, json_type_array)) {
		print_json(res);
		return 0;
	}
	n = json_object_array_length(res);
	if (!n)
		puts(none);
	return n;
}

static void print_customers(json_object *res)
{
	struct table t = { 0 };
	json_object *e;
	size_t i, n;

	n = rows(res, "no customers");
	if (!n)
		return;
	table_header(&t, "CUSTOMER", "ID", "TABLE", "VRF", "PATHS", "ACTIVE", "DELIVERABLE",
		     "PREFIXES", NULL);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(res, i);
		table_field(&t, e, "customer");
		table_field(&t, e, "id");
		table_field(&t, e, "table");
		table_field(&t, e, "vrf");
		table_field(&t, e, "paths");
		table_field(&t, e, "active");
		table_field(&t, e, "deliverable");
		table_field(&t, e, "prefixes");
	}
	table_print(&t);
}

/* Where a path goes: the tunnel's remote, or the VLAN's parent and id. */
static char *via_str(json_object *p)
{
	char *parent, *vlan, *s;

	if (get(p, "remote"))
		return field(p, "remote");
	if (!get(p, "parent"))
		return xstrdup("-");
	parent = field(p, "parent");
	vlan = field(p, "vlan");
	s = xasprintf("%s vlan %s", parent, vlan);
	free(parent);
	free(vlan);
	return s;
}

static void print_paths(json_object *res)
{
	struct table t = { 0 };
	json_object *e;
	size_t i, n;

	n = rows(res, "no paths");
	if (!n)
		return;
	table_header(&t, "CUSTOMER", "PATH", "TYPE", "IFNAME", "STATE", "ACTIVE", "PRIO",
		     "RTT_MS", "LOSS%", "CHANGES", "PEER", "VIA", NULL);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(res, i);
		table_field(&t, e, "customer");
		table_field(&t, e, "path");
		table_field(&t, e, "type");
		table_field(&t, e, "ifname");
		table_field(&t, e, "state");
		table_field(&t, e, "active");
		table_field(&t, e, "priority");
		table_field(&t, e, "rtt_ms");
		table_field(&t, e, "loss_pct");
		table_field(&t, e, "transitions");
		table_field(&t, e, "peer");
		table_cell(&t, via_str(e));
	}
	table_print(&t);
}

/* The IPsec paths with their SA state, then the SAs charon has. */
static void print_ipsec(json_object *res)
{
	json_object *paths = get(res, "paths"), *sas = get(res, "sas"), *e, *ch;
	struct table t = { 0 };
	size_t i, k, n;

	if (!json_object_is_type(paths, json_type_array) ||
	    !json_object_is_type(sas, json_type_array)) {
		print_json(res);
		return;
	}
	table_header(&t, "CUSTOMER", "PATH", "CONN", "MODE", "SA", "REASON", NULL);
	for (i = 0, n = json_object_array_length(paths); i < n; i++) {
		e = json_object_array_get_idx(paths, i);
		table_field(&t, e, "customer");
		table_field(&t, e, "path");
		table_field(&t, e, "conn");
		table_field(&t, e, "mode");
		table_field(&t, e, "sa");
		table_field(&t, e, "reason");
	}
	table_print(&t);
	n = json_object_array_length(sas);
	if (!n) {
		puts("\nno SAs");
		return;
	}
	putchar('\n');
	memset(&t, 0, sizeof(t));
	table_header(&t, "CONN", "IKE", "STATE", "REMOTE", "IKE_REKEY_S", "CHILD", "STATE",
		     "SPI_IN", "SPI_OUT", "BYTES_IN", "PKTS_IN", "BYTES_OUT", "PKTS_OUT",
		     "REKEY_S", NULL);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(sas, i);
		ch = get(e, "child_sas");
		for (k = 0; k == 0 || k < json_object_array_length(ch); k++) {
			json_object *c = json_object_array_get_idx(ch, k);

			table_field(&t, e, "conn");
			table_field(&t, e, "uniqueid");
			table_field(&t, e, "state");
			table_field(&t, e, "remote");
			table_field(&t, e, "rekey_in_s");
			table_field(&t, c, "uniqueid");
			table_field(&t, c, "state");
			table_field(&t, c, "spi_in");
			table_field(&t, c, "spi_out");
			table_field(&t, c, "bytes_in");
			table_field(&t, c, "packets_in");
			table_field(&t, c, "bytes_out");
			table_field(&t, c, "packets_out");
			table_field(&t, c, "rekey_in_s");
		}
	}
	table_print(&t);
}

/* A block or allow entry added or deleted. */
static void print_entry(json_object *res)
{
	char *p = field(res, "prefix"), *scope = field(res, "scope");

	printf("%s (%s)\n", p, scope);
	free(p);
	free(scope);
}

static void print_entries(json_object *res)
{
	struct table t = { 0 };
	size_t i, n;

	n = rows(res, "no entries");
	if (!n)
		return;
	table_header(&t, "PREFIX", "EXPIRES_S", NULL);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(res, i);

		table_field(&t, e, "prefix");
		table_field(&t, e, "expires_s");
	}
	table_print(&t);
}

/* A customer's rules in order with their counters, then the default. */
static void print_filter(json_object *res)
{
	json_object *rules = get(res, "rules");
	struct table t = { 0 };
	size_t i, n;

	if (!json_object_is_type(rules, json_type_array)) {
		print_json(res);
		return;
	}
	table_header(&t, "#", "RULE", "PACKETS", "BYTES", NULL);
	for (i = 0, n = json_object_array_length(rules); i < n; i++) {
		json_object *e = json_object_array_get_idx(rules, i);

		table_cell(&t, xasprintf("%zu", i));
		table_field(&t, e, "rule");
		table_field(&t, e, "packets");
		table_field(&t, e, "bytes");
	}
	table_text(&t, "-");
	table_cell(&t, xasprintf("default %s", json_object_get_string(get(res, "default"))));
	table_field(&t, res, "default_packets");
	table_field(&t, res, "default_bytes");
	table_print(&t);
}

static void print_message(json_object *res)
{
	char *msg = field(res, "message");

	printf("%s\n", msg);
	free(msg);
}

/* The SYN fast path: where it is, the workers, the prefixes, the verdicts. */
static void print_syn(json_object *res)
{
	json_object *att = get(res, "attached"), *w = get(res, "workers");
	json_object *pf = get(res, "prefixes"), *reasons = get(res, "reasons");
	struct table t = { 0 };
	size_t i, n;

	if (!json_object_is_type(att, json_type_array) ||
	    !json_object_is_type(pf, json_type_array)) {
		print_json(res);
		return;
	}
	for (i = 0, n = json_object_array_length(att); i < n; i++) {
		json_object *e = json_object_array_get_idx(att, i);
		char *ifn = field(e, "interface"), *id = field(e, "prog_id"), *how = field(e, "how");
		char *mode = field(e, "mode");

		printf("%s: program %s (%s, %s XDP)\n", ifn, id, how, mode);
		free(ifn);
		free(id);
		free(how);
		free(mode);
	}
	{
		char *fb = field(res, "fallback"), *gen = field(res, "key_generation");

		printf("fallback %s, cookie key generation %s\n\n", fb, gen);
		free(fb);
		free(gen);
	}
	table_header(&t, "INTERFACE", "QUEUE", "RX", "SYN-ACKS", "TX-FULL", "RING-FULL", "STATE", NULL);
	for (i = 0, n = json_object_array_length(w); i < n; i++) {
		json_object *e = json_object_array_get_idx(w, i);
		json_object *err = get(e, "error");

		table_field(&t, e, "interface");
		table_field(&t, e, "queue");
		table_field(&t, e, "rx");
		table_field(&t, e, "synacks");
		table_field(&t, e, "tx_full");
		table_field(&t, e, "rx_ring_full");
		table_cell(&t, err ? xasprintf("closed: %s", json_object_get_string(err)) :
			   xasprintf("%s", json_object_get_boolean(get(e, "zerocopy")) ?
				     "zero-copy" : "copy"));
	}
	table_print(&t);
	putchar('\n');
	memset(&t, 0, sizeof(t));
	table_header(&t, "PREFIX", "CUSTOMER", "MODE", "SYN/S", "SYNS", "CHALLENGED",
		     "COOKIES-OK", "COOKIES-BAD", "AUTH-PASSED", "BUDGET-DROPS",
		     "FALLBACK", NULL);
	for (i = 0, n = json_object_array_length(pf); i < n; i++) {
		json_object *e = json_object_array_get_idx(pf, i);
		const char *conf = json_object_get_string(get(e, "configured"));
		const char *mode = json_object_get_string(get(e, "mode"));

		table_field(&t, e, "prefix");
		table_field(&t, e, "customer");
		if (json_object_get_boolean(get(e, "override")))
			table_cell(&t, xasprintf("%s (gwctl; configured %s)",
				   json_object_get_string(get(e, "override_mode")), conf));
		else if (!strcmp(conf, "auto"))
			table_cell(&t, xasprintf("auto (%s)", mode));
		else
			table_cell(&t, xasprintf("%s", mode));
		table_field(&t, e, "syn_pps");
		table_field(&t, e, "syns");
		table_field(&t, e, "challenged");
		table_field(&t, e, "cookies_valid");
		table_field(&t, e, "cookies_bad");
		table_field(&t, e, "authenticated");
		table_field(&t, e, "budget_drops");
		table_field(&t, e, "fallback");
	}
	table_print(&t);
	putchar('\n');
	memset(&t, 0, sizeof(t));
	table_header(&t, "VERDICT", "PACKETS", "BYTES", NULL);
	json_object_object_foreach(reasons, name, v) {
		if (!json_object_get_int64(get(v, "packets")))
			continue;
		table_cell(&t, xasprintf("%s", name));
		table_field(&t, v, "packets");
		table_field(&t, v, "bytes");
	}
	table_print(&t);
}

/* What a drain or undrain did, and where the customer's traffic goes now. */
static void print_drain(json_object *res)
{
	char *msg = field(res, "message"), *act = field(res, "active");

	printf("%s; traffic on: %s\n", msg, act);
	free(msg);
	free(act);
}

/* The ops of a plan or a reload; a reload's may carry an "error". */
static void print_ops(json_object *ops, bool applied)
{
	struct table t = { 0 };
	json_object *e, *err;
	size_t i, n = json_object_array_length(ops);

	if (applied)
		table_header(&t, "OP", "OBJECT", "CUSTOMER", "RESULT", "DETAIL", NULL);
	else
		table_header(&t, "OP", "OBJECT", "CUSTOMER", "DETAIL", NULL);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(ops, i);
		err = get(e, "error");
		table_field(&t, e, "op");
		table_field(&t, e, "object");
		table_field(&t, e, "customer");
		if (applied)
			table_text(&t, err ? "FAILED" : "ok");
		table_cell(&t, err ? value_str(err) : field(e, "detail"));
	}
	table_print(&t);
}

static long long count(json_object *o, const char *key)
{
	return json_object_get_int64(get(o, key));
}

static void print_plan(json_object *res)
{
	json_object *ops = get(res, "ops");

	if (!json_object_is_type(ops, json_type_array)) {
		print_json(res);
		return;
	}
	if (!json_object_array_length(ops)) {
		puts("no changes");
		return;
	}
	print_ops(ops, false);
	printf("\n%lld to create, %lld to change, %lld to recreate, %lld to delete\n",
	       count(res, "create"), count(res, "change"), count(res, "recreate"),
	       count(res, "delete"));
}

static void print_reload(json_object *res)
{
	json_object *ops = get(res, "ops");

	if (!json_object_is_type(ops, json_type_array)) {
		print_json(res);
		return;
	}
	if (!json_object_array_length(ops)) {
		puts("no changes");
		return;
	}
	print_ops(ops, true);
	printf("\n%lld changes applied, %lld failed\n", count(res, "changes"),
	       count(res, "failed"));
}

/* gwd applied the reload, but not all of it: a failure for scripts too. */
static int reload_status(json_object *res)
{
	long long failed = count(res, "failed");

	if (!failed)
		return 0;
	fprintf(stderr, "gwctl: reload: %lld change%s failed\n", failed,
		failed == 1 ? "" : "s");
	return 1;
}

static const struct command {
	const char *name, *sub;
	int min_args, max_args;	/* after name and sub */
	const char *args;	/* for usage */
	const char *help;
	bool file_args;		/* sent absolute: gwd has its own cwd */
	void (*print)(json_object *result);
	int (*status)(json_object *result);	/* NULL: success is 0 */
} commands[] = {
	{ "status", NULL, 0, 0, "", "site, uptime, config, last apply and reload",
	  false, print_status, NULL },
	{ "show", "customers", 0, 0, "", "customers with their VRF and active paths",
	  false, print_customers, NULL },
	{ "show", "paths", 0, 0, "", "return paths with state, priority and peer",
	  false, print_paths, NULL },
	{ "show", "ipsec", 0, 1, "[CUSTOMER]", "IPsec paths with their IKE and CHILD SAs, SPIs, rekey times, counters",
	  false, print_ipsec, NULL },
	{ "show", "filter", 1, 1, "CUSTOMER", "a customer's filter rules with their counters",
	  false, print_filter, NULL },
	{ "show", "syn", 0, 0, "", "the SYN fast path: workers, protected prefixes, verdicts",
	  false, print_syn, NULL },
	{ "syn", "mode", 2, 2, "PREFIX MODE", "off, monitor, on or auto for one prefix; config: as configured",
	  false, print_message, NULL },
	{ "block", "add", 1, 1, "PREFIX", "drop a source (-c: a customer's only; -t: for a while)",
	  false, print_entry, NULL },
	{ "block", "del", 1, 1, "PREFIX", "take a source off the block list (-c: a customer's)",
	  false, print_entry, NULL },
	{ "block", "list", 0, 0, "", "the runtime block list (-c: a customer's)",
	  false, print_entries, NULL },
	{ "allow", "add", 1, 1, "PREFIX", "let a source past every filter (-c, -t as for block)",
	  false, print_entry, NULL },
	{ "allow", "del", 1, 1, "PREFIX", "take a source off the allow list (-c: a customer's)",
	  false, print_entry, NULL },
	{ "allow", "list", 0, 0, "", "the runtime allow list (-c: a customer's)",
	  false, print_entries, NULL },
	{ "plan", NULL, 1, 1, "FILE", "what a reload with FILE would change; applies nothing",
	  true, print_plan, NULL },
	{ "reload", NULL, 0, 0, "", "re-read gwd's config file and apply the difference",
	  false, print_reload, reload_status },
	{ "drain", NULL, 2, 2, "CUSTOMER PATH", "move traffic off a path (-f: even the last usable one)",
	  false, print_drain, NULL },
	{ "undrain", NULL, 2, 2, "CUSTOMER PATH", "let a drained path carry traffic again",
	  false, print_drain, NULL },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static char *command_line(const struct command *c)
{
	return xasprintf("%s%s%s%s%s", c->name, c->sub ? " " : "", c->sub ? c->sub : "",
			 c->args[0] ? " " : "", c->args);
}

static void usage(FILE *f)
{
	char *line;
	size_t i;

	fputs("Usage: gwctl [-j] [-s SOCKET] COMMAND [ARGS...]\n\nCommands:\n", f);
	for (i = 0; i < N_COMMANDS; i++) {
		line = command_line(&commands[i]);
		fprintf(f, "  %-16s  %s\n", line, commands[i].help);
		free(line);
	}
	fputs("\nOptions:\n"
	      "  -j, --json           print gwd's JSON reply instead of a table\n"
	      "  -s, --socket SOCKET  gwd's control socket (default " CTL_DEFAULT_SOCKET ")\n"
	      "  -f, --force          drain: even a customer's last usable path\n"
	      "  -c, --customer NAME  block, allow: one customer's list, not the site's\n"
	      "  -t, --timeout TIME   block add, allow add: expire after TIME (30s, 10m, 2h, 1d)\n"
	      "  -h, --help           print this help\n"
	      "\nExit status: 0 success, 1 the command failed, 2 usage error.\n", f);
}

/* The entry for argv (one or two words, *skip of them), or NULL after
 * saying what is wrong. */
static const struct command *find_command(int argc, char **argv, int *skip)
{
	bool known = false;
	size_t i, n;

	for (i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i].name, argv[0]))
			continue;
		known = true;
		*skip = commands[i].sub ? 2 : 1;
		if (!commands[i].sub || (argc > 1 && !strcmp(commands[i].sub, argv[1])))
			return &commands[i];
	}
	if (!known) {
		fprintf(stderr, "gwctl: unknown command \"%s\"; see gwctl --help\n", argv[0]);
		return NULL;
	}
	if (argc > 1)
		fprintf(stderr, "gwctl: unknown subcommand \"%s\" of \"%s\"; one of:",
			argv[1], argv[0]);
	else
		fprintf(stderr, "gwctl: \"%s\" needs one of:", argv[0]);
	for (i = 0, n = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, argv[0]))
			fprintf(stderr, "%s %s", n++ ? "," : "", commands[i].sub);
	fputc('\n', stderr);
	return NULL;
}

/* "90", "30s", "10m", "2h", "1d" into seconds, as text for the request. */
static int parse_duration(const char *s, char *out, size_t len)
{
	static const struct { char unit; unsigned long secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	unsigned long v, mult = 1;
	char *end;
	size_t i;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end) {
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (end[0] == units[i].unit && !end[1])
				mult = units[i].secs;
		if (mult == 1 && strcmp(end, "s"))
			return -EINVAL;
	}
	if (!v || v > 365UL * 86400 / mult)
		return -EINVAL;
	snprintf(out, len, "%lu", v * mult);
	return 0;
}

/* gwd resolves paths in its own working directory.  A file gwctl cannot
 * resolve goes as it is, made absolute: gwd says what is wrong with it. */
static char *absolute(const char *path)
{
	char *abs = realpath(path, NULL), *cwd;

	if (abs)
		return abs;
	if (path[0] == '/' || !(cwd = getcwd(NULL, 0)))
		return xstrdup(path);
	abs = xasprintf("%s/%s", cwd, path);
	free(cwd);
	return abs;
}

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "customer", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *sock = CTL_DEFAULT_SOCKET;
	const char *args[CTL_MAX_ARGS];
	char *owned[CTL_MAX_ARGS] = { 0 };	/* absolute paths for args */
	const struct command *cmd;
	struct ctl_response resp;
	bool json = false, force = false;
	const char *customer = NULL;
	char err[512], *line, timeout[16] = "";
	int c, i, n, nargs, skip, ret;

	while ((c = getopt_long(argc, argv, "js:fc:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			customer = optarg;
			break;
		case 't':
			if (parse_duration(optarg, timeout, sizeof(timeout)) < 0) {
				fprintf(stderr, "gwctl: --timeout %s: a number of seconds, "
					"or with s, m, h or d, up to 365d\n", optarg);
				return 2;
			}
			break;
		case 'f':
			force = true;
			break;
		case 'j':
			json = true;
			break;
		case 's':
			sock = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			/* getopt said what is wrong. */
			fputs("see gwctl --help\n", stderr);
			return 2;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return 2;
	}
	cmd = find_command(argc - optind, argv + optind, &skip);
	if (!cmd)
		return 2;
	nargs = argc - optind - skip;
	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		line = command_line(cmd);
		fprintf(stderr, "usage: gwctl [-j] [-s SOCKET] %s\n", line);
		free(line);
		return 2;
	}

	if (force && strcmp(cmd->name, "drain")) {
		fprintf(stderr, "gwctl: --force is for drain only\n");
		return 2;
	}
	if (customer && strcmp(cmd->name, "block") && strcmp(cmd->name, "allow")) {
		fprintf(stderr, "gwctl: --customer is for block and allow only\n");
		return 2;
	}
	if (timeout[0] && (!cmd->sub || strcmp(cmd->sub, "add") ||
			   (strcmp(cmd->name, "block") && strcmp(cmd->name, "allow")))) {
		fprintf(stderr, "gwctl: --timeout is for block add and allow add only\n");
		return 2;
	}

	/* The request's args: the subcommand, then the command's own. */
	n = 0;
	if (cmd->sub)
		args[n++] = cmd->sub;
	for (i = 0; i < nargs; i++) {
		const char *a = argv[optind + skip + i];

		if (cmd->file_args)
			a = owned[i] = absolute(a);
		args[n++] = a;
	}
	if (force)
		args[n++] = "force";
	if (customer) {
		args[n++] = "customer";
		args[n++] = customer;
	}
	if (timeout[0]) {
		args[n++] = "timeout";
		args[n++] = timeout;
	}
	ret = ctl_call(sock, cmd->name, n, args, CTL_CALL_TIMEOUT_MS, &resp, err,
		       sizeof(err));
	for (i = 0; i < nargs; i++)
		free(owned[i]);
	if (ret < 0) {
		fprintf(stderr, "gwctl: %s\n", err);
		return 1;
	}

	if (resp.ok) {
		if (json)
			print_json(resp.result);
		else
			cmd->print(resp.result);
		ret = cmd->status ? cmd->status(resp.result) : 0;
	} else {
		if (json)
			print_json(resp.root);
		fprintf(stderr, "gwctl: %s\n", resp.message);
		n = resp.details ? (int)json_object_array_length(resp.details) : 0;
		for (i = 0; i < n; i++)
			fprintf(stderr, "  %s\n", json_object_get_string(
					json_object_array_get_idx(resp.details, i)));
		ret = 1;
	}
	ctl_response_free(&resp);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "gwctl: cannot write the output\n");
		return 1;
	}
	return ret;
}
