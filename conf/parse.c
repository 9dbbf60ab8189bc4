/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gwd.json to struct gw_conf.  Each kind of JSON object has a table of its
 * keys: how to read the value, where it goes, whether it must be there.  One
 * walker applies a table to an object, so a new key is a new line.  Errors
 * are collected, each with its JSON path, and parsing goes on: the operator
 * sees every problem at once.
 *
 * This file checks what a value, or the object holding it, can tell on its
 * own; conf_validate() checks the relations between objects.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "conf/internal.h"

#define DEFAULT_TABLE_BASE 1000
#define DEFAULT_MTU        1476	/* 1500 less GRE over IPv4 */
/*
 * "priority" may be left out: with one path it means nothing, and paths
 * that all leave it out share the traffic, which is the least surprising
 * reading.  100 leaves room on both sides for the paths that do set one.
 */
#define DEFAULT_PRIORITY   100
#define DEFAULT_WEIGHT     1
/*
 * Above the 2 % of random loss that must not move traffic: a path at 2 %
 * stays up, one at 5 % over 10 s gives way to a clean one.
 */
#define DEFAULT_DEGRADED_LOSS_PCT 5
#define IPV6_MIN_MTU       1280
#define IP6GRE_DEFAULT_MTU 1452
#define MAX_MTU            9000
#define IPV4_TCP_HEADERS   40	/* without options */
#define MIN_MSS            536	/* RFC 879's default, which every host takes */

struct pctx {
	struct conf_diag *d;
	const struct gw_conf *c;	/* site and defaults, read before paths */
	char path[CONF_PATH_MAX];	/* of the value being read */
};

struct field;
/* Read v into obj; 0, -EINVAL once reported, or -ENOMEM. */
typedef int parse_fn(struct pctx *x, struct json_object *v, void *obj,
		     const struct field *f);

struct field {
	const char *key;
	parse_fn *parse;	/* NULL: read by the caller of the table */
	size_t off, size;	/* the destination in obj */
	size_t n_off;		/* lists: where their length goes in obj */
	bool required;
	int64_t min, max;	/* integers */
	bool or_zero;		/* integers: 0 as well, which turns a thing off */
	const void *arg;	/* a struct table, syntax, names or variants */
};

struct table {
	const struct field *f;
	size_t n;
};

/* How a name must look, and how to say so. */
struct syntax {
	bool (*valid)(const char *s, size_t len);
	const char *what;
};

/* The words a key takes, in the order of the enum they stand for. */
struct names {
	const char *what;	/* "a path type" */
	const char *const *name;
	size_t n;
};

/*
 * A key whose value brings more keys: a path's "type" those of its kind,
 * "auth" in "ike" those of the method.  The key itself is in the common
 * table with .parse NULL (pick() reads it), its enum and .arg = names.
 */
struct variants {
	const char *key;
	const struct names *names;
	const char *only;		/* "in a path of type", as in messages */
	const struct table *fields;	/* by value: the keys it adds */
};

#define N(a)        (sizeof(a) / sizeof((a)[0]))
#define TABLE(a)    { a, N(a) }
#define AT(type, m) .off = offsetof(type, m), .size = sizeof(((type *)0)->m)

static int vperr(struct pctx *x, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static int perr(struct pctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int perr_key(struct pctx *x, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int vperr(struct pctx *x, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	conf_diag_add(x->d, "%s: %s", x->path[0] ? x->path : "top level", msg);
	return -EINVAL;
}

static int perr(struct pctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vperr(x, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An error about key of the object being read, found from the whole object. */
static int perr_key(struct pctx *x, const char *key, const char *fmt, ...)
{
	size_t old = conf_path_key(x->path, key);
	va_list ap;

	va_start(ap, fmt);
	vperr(x, fmt, ap);
	va_end(ap);
	x->path[old] = '\0';
	return -EINVAL;
}

static int want(struct pctx *x, struct json_object *v, enum json_type t,
		const char *what)
{
	static const char *const names[] = {
		[json_type_null] = "null",
		[json_type_boolean] = "boolean",
		[json_type_int] = "integer",
		[json_type_object] = "object",
		[json_type_array] = "array",
		[json_type_string] = "string",
	};
	enum json_type vt = json_object_get_type(v);

	if (vt == t)
		return 0;
	if (vt == json_type_double)	/* its text, as written: 1.5, 1e3 */
		return perr(x, "expected %s, got %.32s", what,
			    json_object_to_json_string(v));
	return perr(x, "expected %s, got %s", what, names[vt]);
}

static int get_int(struct pctx *x, struct json_object *v,
		   const struct field *f, int64_t *out)
{
	const char *zero = f->or_zero ? "0 or " : "";
	int64_t i;

	if (want(x, v, json_type_int, "an integer"))
		return -EINVAL;
	i = json_object_get_int64(v);
	/* json-c saturates what does not fit 64 bits: no value to show. */
	if (i == INT64_MIN || json_object_get_uint64(v) == UINT64_MAX)
		return perr(x, "out of range %s%" PRId64 "..%" PRId64, zero,
			    f->min, f->max);
	if (i == INT64_MAX && json_object_get_uint64(v) > INT64_MAX)
		return perr(x, "%" PRIu64 " is out of range %s%" PRId64 "..%" PRId64,
			    json_object_get_uint64(v), zero, f->min, f->max);
	if ((i < f->min || i > f->max) && (i || !f->or_zero))
		return perr(x, "%" PRId64 " is out of range %s%" PRId64 "..%" PRId64,
			    i, zero, f->min, f->max);
	*out = i;
	return 0;
}

static int get_str(struct pctx *x, struct json_object *v, const char **s,
		   size_t *len)
{
	char q[CONF_QUOTE_MAX];

	if (want(x, v, json_type_string, "a string"))
		return -EINVAL;
	*s = json_object_get_string(v);
	*len = json_object_get_string_len(v);
	if (strlen(*s) != *len)
		return perr(x, "%s contains a NUL character",
			    conf_quote(q, *s, *len));
	return 0;
}

static int p_uint(struct pctx *x, struct json_object *v, void *obj,
		  const struct field *f)
{
	void *dst = (char *)obj + f->off;
	int64_t i = 0;

	if (get_int(x, v, f, &i))
		return -EINVAL;
	if (f->size == sizeof(uint16_t))
		*(uint16_t *)dst = i;
	else
		*(uint32_t *)dst = i;
	return 0;
}

static int read_name(struct pctx *x, struct json_object *v, char *dst,
		     size_t size, const struct syntax *sy)
{
	char q[CONF_QUOTE_MAX];
	const char *s;
	size_t len;

	if (get_str(x, v, &s, &len))
		return -EINVAL;
	if (len >= size || !sy->valid(s, len))
		return perr(x, "%s is not a valid %s", conf_quote(q, s, len),
			    sy->what);
	memcpy(dst, s, len + 1);
	return 0;
}

static int p_name(struct pctx *x, struct json_object *v, void *obj,
		  const struct field *f)
{
	return read_name(x, v, (char *)obj + f->off, f->size, f->arg);
}

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool name_valid(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!lower_alnum(s[i]) &&
		    (!i || (s[i] != '_' && s[i] != '.' && s[i] != '-')))
			return false;
	return len > 0;
}

/* No '.': a path name ends up in an interface name. */
static bool path_name_valid(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!lower_alnum(s[i]) && (!i || (s[i] != '_' && s[i] != '-')))
			return false;
	return len > 0;
}

static const struct syntax name_syntax = {
	name_valid,
	"name (1 to 31 of a-z 0-9 _ . -, starting with a letter or digit)",
};
static const struct syntax path_name_syntax = {
	path_name_valid,
	"path name (1 to 15 of a-z 0-9 _ -, starting with a letter or digit)",
};
static const struct syntax ifname_syntax = {
	conf_ifname_valid,
	"interface name (1 to 15 characters, no '/', ':' or white space)",
};

/* No control characters: what a diagnostic or a log line shows stays one line. */
static bool printable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			return false;
	return true;
}

/* An absolute file name that fits f->size: the sockets, the IKE files. */
static int p_abspath(struct pctx *x, struct json_object *v, void *obj,
		     const struct field *f)
{
	char q[CONF_QUOTE_MAX];
	const char *s;
	size_t len;

	if (get_str(x, v, &s, &len))
		return -EINVAL;
	if (s[0] != '/')
		return perr(x, "%s is not an absolute path", conf_quote(q, s, len));
	if (len >= f->size)
		return perr(x, "%s is longer than %zu bytes",
			    conf_quote(q, s, len), f->size - 1);
	if (!printable(s, len))
		return perr(x, "%s contains a control character",
			    conf_quote(q, s, len));
	memcpy((char *)obj + f->off, s, len + 1);
	return 0;
}

static int read_addr(struct pctx *x, struct json_object *v,
		     struct gw_addr *a, int family)
{
	char q[CONF_QUOTE_MAX];
	struct gw_addr t;
	const char *s;
	size_t len;

	if (get_str(x, v, &s, &len))
		return -EINVAL;
	if (gw_addr_parse(s, &t) || (family && t.family != family))
		return perr(x, "%s is not an %s address", conf_quote(q, s, len),
			    family == AF_INET ? "IPv4" :
			    family == AF_INET6 ? "IPv6" : "IP");
	*a = t;
	return 0;
}

static int p_addr(struct pctx *x, struct json_object *v, void *obj,
		  const struct field *f)
{
	return read_addr(x, v, (struct gw_addr *)((char *)obj + f->off), 0);
}

static int p_addr4(struct pctx *x, struct json_object *v, void *obj,
		   const struct field *f)
{
	return read_addr(x, v, (struct gw_addr *)((char *)obj + f->off), AF_INET);
}

static int p_addr6(struct pctx *x, struct json_object *v, void *obj,
		   const struct field *f)
{
	return read_addr(x, v, (struct gw_addr *)((char *)obj + f->off), AF_INET6);
}

/* An interface address: host bits are the point. */
static int p_ifprefix(struct pctx *x, struct json_object *v, void *obj,
		      const struct field *f)
{
	char q[CONF_QUOTE_MAX];
	struct gw_prefix *p = (struct gw_prefix *)((char *)obj + f->off);
	const char *s;
	size_t len;

	if (get_str(x, v, &s, &len))
		return -EINVAL;
	if (gw_ifprefix_parse(s, p))
		return perr(x, "%s is not an address with a prefix length "
			    "(like 10.17.0.1/30)", conf_quote(q, s, len));
	return 0;
}

/* The names of e whose bit is in mask, as in `"a", "b" or "c"`. */
static const char *or_list(char *buf, size_t size, const struct names *e,
			   unsigned int mask)
{
	size_t i, o = 0, left = __builtin_popcount(mask);

	buf[0] = '\0';
	for (i = 0; i < e->n && o < size; i++) {
		if (!(mask & 1u << i))
			continue;
		left--;
		o += snprintf(buf + o, size - o, "%s\"%s\"",
			      !o ? "" : left ? ", " : " or ", e->name[i]);
	}
	return buf;
}

/* The index of the word s (len bytes, no NUL) in e; e->n if none. */
static size_t lookup(const struct names *e, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (strlen(e->name[i]) == len && !memcmp(s, e->name[i], len))
			break;
	return i;
}

/* One of the words f->arg lists, stored as its index: the enum it names. */
static int p_enum(struct pctx *x, struct json_object *v, void *obj,
		  const struct field *f)
{
	const struct names *e = f->arg;
	char q[CONF_QUOTE_MAX], list[128];
	const char *s;
	size_t len, i;

	if (get_str(x, v, &s, &len))
		return -EINVAL;
	i = lookup(e, s, len);
	if (i == e->n)
		return perr(x, "%s is not %s (%s)", conf_quote(q, s, len), e->what,
			    or_list(list, sizeof(list), e, (1u << e->n) - 1));
	*(int *)((char *)obj + f->off) = i;
	return 0;
}

static int p_bool(struct pctx *x, struct json_object *v, void *obj,
		  const struct field *f)
{
	if (want(x, v, json_type_boolean, "true or false"))
		return -EINVAL;
	*(bool *)((char *)obj + f->off) = json_object_get_boolean(v);
	return 0;
}

/*
 * A value written as a number or as a string: 1 with the integer in *n,
 * within f's range; 0 for a string, the caller's to read; or -EINVAL,
 * reported.
 */
static int read_number(struct pctx *x, struct json_object *v,
		       const struct field *f, int64_t *n)
{
	if (json_object_is_type(v, json_type_int))
		return get_int(x, v, f, n) ? -EINVAL : 1;
	return want(x, v, json_type_string, "an integer or a string");
}

static int p_gre_key(struct pctx *x, struct json_object *v, void *obj,
		     const struct field *f)
{
	if (p_uint(x, v, obj, f))
		return -EINVAL;
	((struct path_conf *)obj)->has_key = true;
	return 0;
}

static bool has_key(const struct table *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->f[i].key, key))
			return true;
	return false;
}

/* Apply table t to the object o: every key it lists, in its order. */
static int parse_fields(struct pctx *x, struct json_object *o,
			const struct table *t, void *obj)
{
	int ret = 0, r;
	size_t i, old;

	for (i = 0; i < t->n; i++) {
		const struct field *f = &t->f[i];
		struct json_object *v;

		if (!json_object_object_get_ex(o, f->key, &v)) {
			if (f->required)
				ret = perr(x, "missing required key \"%s\"", f->key);
			continue;
		}
		if (!f->parse)
			continue;
		old = conf_path_key(x->path, f->key);
		r = f->parse(x, v, obj, f);
		x->path[old] = '\0';
		if (r == -ENOMEM)
			return r;
		if (r)
			ret = r;
	}
	return ret;
}

/* The values of vs whose tables list key, as a bit mask. */
static unsigned int variants_with(const struct variants *vs, const char *key)
{
	unsigned int mask = 0;
	size_t i;

	for (i = 0; vs && i < vs->names->n; i++)
		if (has_key(&vs->fields[i], key))
			mask |= 1u << i;
	return mask;
}

/* Report the keys of o that neither t nor any value of vs knows. */
static int unknown_keys(struct pctx *x, struct json_object *o,
			const struct table *t, const struct variants *vs)
{
	struct json_object_iterator it = json_object_iter_begin(o);
	struct json_object_iterator end = json_object_iter_end(o);
	int ret = 0;

	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *key = json_object_iter_peek_name(&it);

		if (!has_key(t, key) && !variants_with(vs, key))
			ret = perr_key(x, key, "unknown key");
	}
	return ret;
}

/* Keys of other values than the one picked: the usual leftovers of a change. */
static int foreign_keys(struct pctx *x, struct json_object *o,
			const struct variants *vs, const struct table *picked)
{
	char list[128];
	unsigned int mask;
	size_t i, j;
	int ret = 0;

	for (i = 0; i < vs->names->n; i++) {
		for (j = 0; j < vs->fields[i].n; j++) {
			const char *key = vs->fields[i].f[j].key;

			if (!json_object_object_get_ex(o, key, NULL) ||
			    has_key(picked, key))
				continue;
			/* Once, at the first value that has it. */
			mask = variants_with(vs, key);
			if (mask & ((1u << i) - 1))
				continue;
			ret = perr_key(x, key, "only valid %s %s", vs->only,
				       or_list(list, sizeof(list), vs->names, mask));
		}
	}
	return ret;
}

/*
 * The table of the value of vs->key in o, read as t lists it; when the key
 * is missing, that of the value already in obj, its default.  NULL when it
 * is wrong or missing and required (reported): then there is no telling
 * which keys are right.
 */
static const struct table *pick(struct pctx *x, struct json_object *o,
				const struct table *t,
				const struct variants *vs, void *obj)
{
	const struct field *f;
	struct json_object *v;
	size_t old;
	int r;

	for (f = t->f; strcmp(f->key, vs->key); f++)
		;
	if (!json_object_object_get_ex(o, f->key, &v)) {
		if (f->required)
			return NULL;
	} else {
		old = conf_path_key(x->path, f->key);
		r = p_enum(x, v, obj, f);
		x->path[old] = '\0';
		if (r)
			return NULL;
	}
	return &vs->fields[*(int *)((char *)obj + f->off)];
}

/*
 * The keys of the object o: those of t, and when vs is given those of the
 * value its key picks.  Every key o has must be known.
 */
static int parse_keys(struct pctx *x, struct json_object *o,
		      const struct table *t, const struct variants *vs,
		      void *obj)
{
	const struct table *picked;
	int ret, r;

	ret = parse_fields(x, o, t, obj);
	if (ret == -ENOMEM)
		return ret;
	if (vs) {
		picked = pick(x, o, t, vs, obj);
		if (!picked)
			return -EINVAL;
		r = parse_fields(x, o, picked, obj);
		if (r == -ENOMEM)
			return r;
		if (foreign_keys(x, o, vs, picked) || r)
			ret = -EINVAL;
	}
	return unknown_keys(x, o, t, vs) ? -EINVAL : ret;
}

static int parse_object(struct pctx *x, struct json_object *o,
			const struct table *t, void *obj)
{
	if (want(x, o, json_type_object, "an object"))
		return -EINVAL;
	return parse_keys(x, o, t, NULL, obj);
}

static int p_object(struct pctx *x, struct json_object *v, void *obj,
		    const struct field *f)
{
	return parse_object(x, v, f->arg, (char *)obj + f->off);
}

/* Read one member of an array into elem; returns as parse_fn. */
typedef int elem_fn(struct pctx *x, struct json_object *v, void *elem);

/* An array of min to max members; -EINVAL, reported, otherwise. */
static int count(struct pctx *x, struct json_object *v, size_t min, size_t max,
		 const char *what)
{
	size_t n;

	if (want(x, v, json_type_array, "an array"))
		return -EINVAL;
	n = json_object_array_length(v);
	if (n > max && !min)
		return perr(x, "list at most %zu %s, not %zu", max, what, n);
	if (n < min || n > max)
		return perr(x, "list %zu to %zu %s, not %zu", min, max, what, n);
	return 0;
}

/* Read each member of the array v into elems, an array of members of size. */
static int each(struct pctx *x, struct json_object *v, void *elems, size_t size,
		elem_fn *fn)
{
	size_t i, n = json_object_array_length(v), old;
	int ret = 0, r;

	for (i = 0; i < n; i++) {
		old = conf_path_index(x->path, i);
		r = fn(x, json_object_array_get_idx(v, i), (char *)elems + i * size);
		x->path[old] = '\0';
		if (r == -ENOMEM)
			return r;
		if (r)
			ret = r;
	}
	return ret;
}

/*
 * Read the JSON array v into a new array of members of size, each by fn.
 * The array is allocated before its members are read and hung on its
 * owner (*arr, *n) at once, so that conf_free() releases whatever was read
 * when a member fails.  An empty array is conf_validate()'s to judge.
 */
static int read_array(struct pctx *x, struct json_object *v, void **arr,
		      size_t *n, size_t size, elem_fn *fn)
{
	size_t len;

	if (want(x, v, json_type_array, "an array"))
		return -EINVAL;
	len = json_object_array_length(v);
	if (len && !(*arr = calloc(len, size)))
		return -ENOMEM;
	*n = len;
	return each(x, v, *arr, size, fn);
}

static int parse_ingress(struct pctx *x, struct json_object *v, void *elem)
{
	return read_name(x, v, elem, IF_NAMESIZE, &ifname_syntax);
}

static int p_ingress(struct pctx *x, struct json_object *v, void *obj,
		     const struct field *f)
{
	struct site_conf *s = obj;

	return read_array(x, v, (void **)&s->ingress, &s->n_ingress,
			  sizeof(*s->ingress), parse_ingress);
}

/*
 * A prefix without host bits.  hosts: a bare address too, as a prefix of
 * one host, the way an operator lists the sources of an attack.
 */
static int read_prefix(struct pctx *x, struct json_object *v,
		       struct gw_prefix *p, bool hosts)
{
	char q[CONF_QUOTE_MAX], a[GW_PREFIXSTRLEN], b[GW_PREFIXSTRLEN];
	struct gw_prefix net;
	const char *s;
	size_t len;

	if (get_str(x, v, &s, &len))
		return -EINVAL;
	if (hosts && !strchr(s, '/') && !gw_addr_parse(s, &p->addr)) {
		p->len = 8 * gw_addr_len(p->addr.family);
		return 0;
	}
	if (gw_ifprefix_parse(s, p))
		return perr(x, "%s is not an IP prefix%s", conf_quote(q, s, len),
			    hosts ? " or address (like 192.0.2.0/24 or 192.0.2.1)"
				  : " (like 203.0.113.0/24)");
	net = *p;
	gw_prefix_mask(&net);
	if (!gw_prefix_eq(p, &net))
		return perr(x, "%s has host bits set (did you mean %s?)",
			    gw_prefix_str(p, a, sizeof(a)),
			    gw_prefix_str(&net, b, sizeof(b)));
	return 0;
}

static int parse_prefix(struct pctx *x, struct json_object *v, void *elem)
{
	return read_prefix(x, v, elem, false);
}

/* In filters, where a host is as common as a network. */
static int parse_filter_prefix(struct pctx *x, struct json_object *v,
			       void *elem)
{
	return read_prefix(x, v, elem, true);
}

static int p_prefixes(struct pctx *x, struct json_object *v, void *obj,
		      const struct field *f)
{
	struct customer_conf *cu = obj;

	return read_array(x, v, (void **)&cu->prefixes, &cu->n_prefixes,
			  sizeof(*cu->prefixes), parse_prefix);
}

static const char *const probe_kind_names[] = {
	[PROBE_ICMP] = "icmp",
	[PROBE_BFD] = "bfd",
};
static const struct names probe_kinds = {
	"a probe kind", probe_kind_names, N(probe_kind_names),
};

static const struct field probe_fields[] = {
	{ .key = "kind", .parse = p_enum, AT(struct probe_conf, kind),
	  .arg = &probe_kinds },
	{ .key = "interval_ms", .parse = p_uint, AT(struct probe_conf, interval_ms),
	  .min = 10, .max = 60000 },
	{ .key = "min_rx_ms", .parse = p_uint, AT(struct probe_conf, min_rx_ms),
	  .min = 10, .max = 60000 },
	{ .key = "fail", .parse = p_uint, AT(struct probe_conf, fail),
	  .min = 1, .max = 100 },
	{ .key = "rise", .parse = p_uint, AT(struct probe_conf, rise),
	  .min = 1, .max = 100 },
	{ .key = "timeout_ms", .parse = p_uint, AT(struct probe_conf, timeout_ms),
	  .min = 1, .max = 60000 },
	{ .key = "degraded_loss_pct", .parse = p_uint,
	  AT(struct probe_conf, degraded_loss_pct), .min = 0, .max = 100 },
	{ .key = "degraded_rtt_ms", .parse = p_uint,
	  AT(struct probe_conf, degraded_rtt_ms), .min = 0, .max = 60000 },
};
static const struct table probe_table = TABLE(probe_fields);

/* Identities go to charon and into logs: any text on one line. */
static bool ike_id_valid(const char *s, size_t len)
{
	return len > 0 && printable(s, len);
}

static const struct syntax ike_id_syntax = {
	ike_id_valid,
	"IKE identity (1 to 127 bytes, no control characters)",
};

/* strongSwan's syntax: algorithm names of a-z 0-9, each ended by '-' but the last. */
static bool proposal_valid(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!lower_alnum(s[i]) &&
		    (s[i] != '-' || !i || s[i - 1] == '-' || i + 1 == len))
			return false;
	return len > 0;
}

/* Whether tok is one of the '-' separated names of the proposal s. */
static bool has_token(const char *s, const char *tok)
{
	size_t n = strlen(tok);

	for (;;) {
		if (!strncmp(s, tok, n) && (s[n] == '-' || !s[n]))
			return true;
		s = strchr(s, '-');
		if (!s)
			return false;
		s++;
	}
}

#define MAX_PROPOSALS 8

/* A list of proposals, joined with commas as charon takes them. */
struct joined {
	char *buf;
	size_t size;
	size_t len;	/* of all of it, even past size */
};

static int parse_proposal(struct pctx *x, struct json_object *v, void *elem)
{
	char q[CONF_QUOTE_MAX];
	struct joined *j = elem;
	const char *s;
	size_t len;

	if (get_str(x, v, &s, &len))
		return -EINVAL;
	if (!proposal_valid(s, len))
		return perr(x, "%s is not a proposal (algorithms of a-z 0-9 "
			    "joined by '-', like \"aes256gcm16-x25519\")",
			    conf_quote(q, s, len));
	if (has_token(s, "null"))
		return perr(x, "%s has the cipher \"null\", which does not "
			    "encrypt", conf_quote(q, s, len));
	if (j->len + !!j->len + len < j->size)
		sprintf(j->buf + j->len, "%s%s", j->len ? "," : "", s);
	j->len += !!j->len + len;
	return 0;
}

static int p_proposals(struct pctx *x, struct json_object *v, void *obj,
		       const struct field *f)
{
	struct joined j = { .buf = (char *)obj + f->off, .size = f->size };
	int ret;

	if (count(x, v, 1, MAX_PROPOSALS, "proposals"))
		return -EINVAL;
	j.buf[0] = '\0';
	/* Every member appends to the one string: a stride of 0. */
	ret = each(x, v, &j, 0, parse_proposal);
	if (!ret && j.len >= j.size)
		return perr(x, "joined with commas, the proposals take %zu "
			    "bytes, more than %zu", j.len, j.size - 1);
	return ret;
}

static const char *const auth_names[] = {
	[IKE_AUTH_PSK] = "psk",
	[IKE_AUTH_PUBKEY] = "pubkey",
};
static const struct names ike_auths = {
	"an authentication method", auth_names, N(auth_names),
};

/* File names only: gwd reads the secrets when it loads a connection. */
static const struct field psk_fields[] = {
	{ .key = "psk_file", .parse = p_abspath, AT(struct ike_conf, psk_file),
	  .required = true },
};

static const struct field pubkey_fields[] = {
	{ .key = "cert", .parse = p_abspath, AT(struct ike_conf, cert),
	  .required = true },
	{ .key = "key", .parse = p_abspath, AT(struct ike_conf, key),
	  .required = true },
	{ .key = "ca", .parse = p_abspath, AT(struct ike_conf, ca),
	  .required = true },
};

static const struct table auth_fields[] = {
	[IKE_AUTH_PSK] = TABLE(psk_fields),
	[IKE_AUTH_PUBKEY] = TABLE(pubkey_fields),
};
static const struct variants auth_variants = {
	"auth", &ike_auths, "with \"auth\":", auth_fields,
};

/* "auth" picks one of auth_fields[] for the files. */
static const struct field ike_fields[] = {
	{ .key = "auth", AT(struct ike_conf, auth), .arg = &ike_auths },
	{ .key = "local_id", .parse = p_name, AT(struct ike_conf, local_id),
	  .arg = &ike_id_syntax },
	{ .key = "remote_id", .parse = p_name, AT(struct ike_conf, remote_id),
	  .required = true, .arg = &ike_id_syntax },
	{ .key = "proposals", .parse = p_proposals,
	  AT(struct ike_conf, proposals) },
	{ .key = "esp_proposals", .parse = p_proposals,
	  AT(struct ike_conf, esp_proposals) },
	{ .key = "dpd_s", .parse = p_uint, AT(struct ike_conf, dpd_s),
	  .min = 0, .max = 3600 },
	{ .key = "rekey_s", .parse = p_uint, AT(struct ike_conf, rekey_s),
	  .min = 60, .max = 604800 },
	{ .key = "reauth_s", .parse = p_uint, AT(struct ike_conf, reauth_s),
	  .min = 60, .max = 604800, .or_zero = true },
	{ .key = "child_rekey_s", .parse = p_uint,
	  AT(struct ike_conf, child_rekey_s), .min = 10, .max = 604800 },
	{ .key = "jitter_pct", .parse = p_uint, AT(struct ike_conf, jitter_pct),
	  .min = 0, .max = 50 },
};
static const struct table ike_table = TABLE(ike_fields);

/*
 * AEAD only, with a curve for perfect forward secrecy: what current
 * strongSwan, Linux, Juniper, Cisco and MikroTik all offer.
 */
static const struct ike_conf default_ike = {
	.auth = IKE_AUTH_PSK,
	.proposals = "aes256gcm16-prfsha384-x25519,aes256gcm16-prfsha384-ecp384",
	.esp_proposals = "aes256gcm16-x25519,aes256gcm16-ecp384",
	.dpd_s = 10,
	.rekey_s = 14400,
	.child_rekey_s = 3600,
	.jitter_pct = 10,
};

static int p_ike(struct pctx *x, struct json_object *v, void *obj,
		 const struct field *f)
{
	struct ike_conf *ike = (struct ike_conf *)((char *)obj + f->off);

	if (want(x, v, json_type_object, "an object"))
		return -EINVAL;
	*ike = default_ike;
	return parse_keys(x, v, &ike_table, &auth_variants, ike);
}

static const struct field vlan_fields[] = {
	{ .key = "parent", .parse = p_name, AT(struct path_conf, parent),
	  .required = true, .arg = &ifname_syntax },
	{ .key = "vlan", .parse = p_uint, AT(struct path_conf, vlan),
	  .required = true, .min = 1, .max = 4094 },
};

static const struct field gre_fields[] = {
	{ .key = "remote", .parse = p_addr, AT(struct path_conf, remote),
	  .required = true },
	{ .key = "key", .parse = p_gre_key, AT(struct path_conf, key),
	  .min = 0, .max = UINT32_MAX },
	{ .key = "mss", .parse = p_uint, AT(struct path_conf, mss),
	  .min = MIN_MSS, .max = MAX_MTU },
};

static const char *const ipsec_mode_names[] = {
	[IPSEC_XFRM] = "xfrm",
	[IPSEC_GRE] = "gre",
	[IPSEC_VTI] = "vti",
};
static const struct names ipsec_modes = {
	"an IPsec mode", ipsec_mode_names, N(ipsec_mode_names),
};

/* "mode" is xfrm (0) unless given; "key" only in mode gre (parse_path()). */
static const struct field ipsec_fields[] = {
	{ .key = "remote", .parse = p_addr, AT(struct path_conf, remote),
	  .required = true },
	{ .key = "mode", .parse = p_enum, AT(struct path_conf, ipsec_mode),
	  .arg = &ipsec_modes },
	{ .key = "key", .parse = p_gre_key, AT(struct path_conf, key),
	  .min = 0, .max = UINT32_MAX },
	{ .key = "ike", .parse = p_ike, AT(struct path_conf, ike),
	  .required = true },
	{ .key = "mss", .parse = p_uint, AT(struct path_conf, mss),
	  .min = MIN_MSS, .max = MAX_MTU },
};

static const char *const path_type_names[] = {
	[PATH_VLAN] = "vlan",
	[PATH_GRE] = "gre",
	[PATH_IPSEC] = "ipsec",
};
static const struct names path_types = {
	"a path type", path_type_names, N(path_type_names),
};

static const struct table kind_fields[] = {
	[PATH_VLAN] = TABLE(vlan_fields),
	[PATH_GRE] = TABLE(gre_fields),
	[PATH_IPSEC] = TABLE(ipsec_fields),
};
static const struct variants path_kinds = {
	"type", &path_types, "in a path of type", kind_fields,
};

/* The keys every path has; "type" picks one of kind_fields[] for the rest. */
static const struct field path_fields[] = {
	{ .key = "name", .parse = p_name, AT(struct path_conf, name),
	  .required = true, .arg = &path_name_syntax },
	{ .key = "type", .required = true, AT(struct path_conf, type),
	  .arg = &path_types },
	{ .key = "address", .parse = p_ifprefix, AT(struct path_conf, address),
	  .required = true },
	{ .key = "peer", .parse = p_addr, AT(struct path_conf, peer),
	  .required = true },
	{ .key = "priority", .parse = p_uint, AT(struct path_conf, priority),
	  .min = 0, .max = 65535 },
	{ .key = "weight", .parse = p_uint, AT(struct path_conf, weight),
	  .min = 1, .max = 256 },
	{ .key = "mtu", .parse = p_uint, AT(struct path_conf, mtu),
	  .min = 68, .max = MAX_MTU },
	{ .key = "probe", .parse = p_object, AT(struct path_conf, probe),
	  .arg = &probe_table },
};
static const struct table path_table = TABLE(path_fields);

/*
 * The ESP-GCM overhead.  Tunnel mode costs the outer IP header (20, over
 * IPv6 40), UDP (8: charon encapsulates as soon as it finds a NAT), the ESP
 * header and IV (16), the trailer (2) and the ICV (16): 1500 less 62, or
 * 82.  GRE in transport-mode ESP takes the 1400 usual for GRE over IPsec,
 * which has room for the GRE header with a key and for ESP padding besides;
 * 20 less over IPv6.  Indexed by mode, then by an IPv6 underlay.
 */
static const uint32_t ipsec_mtu[][2] = {
	[IPSEC_XFRM] = { 1438, 1418 },
	[IPSEC_GRE] = { 1400, 1380 },
	[IPSEC_VTI] = { 1438, 1418 },
};

/*
 * A path without its own "mtu": GRE over IPv4 takes defaults.mtu, the other
 * tunnels as much of it as their encapsulation leaves of 1500: ip6gre 1452
 * (1500 less the IPv6, GRE and key headers), IPsec ipsec_mtu[].  A VLAN
 * keeps its parent's (0: the kernel's choice; defaults.mtu is about
 * tunnels).
 */
static uint32_t default_mtu(const struct gw_conf *c, const struct path_conf *p)
{
	uint32_t most = MAX_MTU;

	if (p->type == PATH_VLAN)
		return 0;
	if (p->type == PATH_IPSEC)
		most = ipsec_mtu[p->ipsec_mode][p->remote.family == AF_INET6];
	else if (p->remote.family == AF_INET6)
		most = IP6GRE_DEFAULT_MTU;
	return c->defaults.mtu < most ? c->defaults.mtu : most;
}

static int parse_path(struct pctx *x, struct json_object *o, void *elem)
{
	struct path_conf *p = elem;
	int ret;

	if (want(x, o, json_type_object, "an object"))
		return -EINVAL;
	p->priority = DEFAULT_PRIORITY;
	p->weight = DEFAULT_WEIGHT;
	p->probe = x->c->defaults.probe;
	p->type = N(kind_fields);	/* none until "type" is read */
	ret = parse_keys(x, o, &path_table, &path_kinds, p);
	/* Without a type there is no telling which MTU is right either. */
	if (ret == -ENOMEM || p->type == N(kind_fields))
		return ret;
	/* Only GRE has a header to put a key in. */
	if (p->type == PATH_IPSEC && p->has_key && p->ipsec_mode != IPSEC_GRE)
		ret = perr_key(x, "key", "only valid with \"mode\": \"gre\"");

	/*
	 * The IPv6 minimum depends on the family of the path, and the message
	 * on whether the MTU was inherited, which only this function knows.
	 */
	if (!json_object_object_get_ex(o, "mtu", NULL)) {
		p->mtu = default_mtu(x->c, p);
		if (p->mtu && p->address.addr.family == AF_INET6 && p->mtu < IPV6_MIN_MTU)
			ret = perr(x, "defaults.mtu %" PRIu32 " is below %d, the "
				   "IPv6 minimum: give this path an \"mtu\"",
				   p->mtu, IPV6_MIN_MTU);
	} else if (p->address.addr.family == AF_INET6 && p->mtu &&
		   p->mtu < IPV6_MIN_MTU) {
		ret = perr_key(x, "mtu", "%" PRIu32 " is out of range %d..%d for "
			       "an IPv6 path", p->mtu, IPV6_MIN_MTU, MAX_MTU);
	}
	/*
	 * A clamp above what the link carries would not spare a packet its
	 * fragmentation.  The IPv4 headers: "mss" is one value for both
	 * families.  No MTU: "mtu" was wrong, and said so.
	 */
	if (p->mss && p->mtu && p->mss > p->mtu - IPV4_TCP_HEADERS)
		ret = perr_key(x, "mss", "%u is more than %" PRIu32 ", the path's "
			       "MTU %" PRIu32 " less %d bytes of IPv4 and TCP "
			       "headers", p->mss, p->mtu - IPV4_TCP_HEADERS,
			       p->mtu, IPV4_TCP_HEADERS);
	return ret;
}

static int p_paths(struct pctx *x, struct json_object *v, void *obj,
		   const struct field *f)
{
	struct customer_conf *cu = obj;

	return read_array(x, v, (void **)&cu->paths, &cu->n_paths, sizeof(*cu->paths),
			  parse_path);
}

/*
 * Filters.  The limits are the contract's: far above what is written by
 * hand, they stop a generated list gone wrong before it reaches nftables.
 */
#define MAX_RULES          256
#define MAX_CUSTOMER_SET   4096
#define MAX_SITE_SET       65536
#define MAX_BURST          1000000000
#define MAX_RATE_COUNT     (1ULL << 40)	/* in mbytes 2^60 bytes: fits 64 bits */
#define MIN_IP_LENGTH      20		/* the IPv4 header alone */
#define MAX_IP_LENGTH      65535

/* What a rule's list holds: how to read one member, its size, its name. */
struct list_kind {
	elem_fn *fn;
	size_t size;
	const char *what;	/* "prefixes" */
};

/*
 * A list of a rule: 1 to f->max members into the array at f->off, and its
 * length at f->n_off.  An empty one is refused: it would read as "any" to
 * some and as "none" to others.
 */
static int p_rule_list(struct pctx *x, struct json_object *v, void *obj,
		       const struct field *f)
{
	const struct list_kind *k = f->arg;

	if (count(x, v, 1, f->max, k->what))
		return -EINVAL;
	*(size_t *)((char *)obj + f->n_off) = json_object_array_length(v);
	return each(x, v, (char *)obj + f->off, k->size, k->fn);
}

/* A block or allow list: up to f->max prefixes, at f->off and f->n_off. */
static int p_set(struct pctx *x, struct json_object *v, void *obj,
		 const struct field *f)
{
	if (count(x, v, 0, f->max, "prefixes"))
		return -EINVAL;
	return read_array(x, v, (void **)((char *)obj + f->off),
			  (size_t *)((char *)obj + f->n_off),
			  sizeof(struct gw_prefix), parse_filter_prefix);
}

/* The digits at s, at most 6 of them, as a number; NULL if there are none. */
static const char *read_digits(const char *s, int64_t *n)
{
	const char *p;

	*n = 0;
	for (p = s; *p >= '0' && *p <= '9' && p - s < 6; p++)
		*n = *n * 10 + (*p - '0');
	return p == s ? NULL : p;
}

/* An integer, or a string "lo-hi", within f->min..f->max: ports, lengths. */
static int read_range(struct pctx *x, struct json_object *v,
		      const struct field *f, uint16_t *lo, uint16_t *hi)
{
	char q[CONF_QUOTE_MAX];
	const char *s, *p;
	int64_t a, b;
	size_t len;
	int r;

	r = read_number(x, v, f, &a);
	if (r < 0)
		return r;
	if (r) {
		*lo = *hi = a;
		return 0;
	}
	if (get_str(x, v, &s, &len))
		return -EINVAL;
	p = read_digits(s, &a);
	if (!p || *p != '-' || !(p = read_digits(p + 1, &b)) || *p)
		return perr(x, "%s is not a range (like \"%" PRId64 "-%" PRId64
			    "\")", conf_quote(q, s, len), f->min, f->max);
	if (a < f->min || b > f->max)
		return perr(x, "%s is out of range %" PRId64 "..%" PRId64,
			    conf_quote(q, s, len), f->min, f->max);
	if (a > b)
		return perr(x, "%s starts above its end", conf_quote(q, s, len));
	*lo = a;
	*hi = b;
	return 0;
}

static int parse_port(struct pctx *x, struct json_object *v, void *elem)
{
	static const struct field ports = { .min = 1, .max = 65535 };
	struct port_range *r = elem;

	return read_range(x, v, &ports, &r->lo, &r->hi);
}

static const struct list_kind prefix_list = {
	parse_filter_prefix, sizeof(struct gw_prefix), "prefixes",
};
static const struct list_kind port_list = {
	parse_port, sizeof(struct port_range), "ports",
};

static int p_length(struct pctx *x, struct json_object *v, void *obj,
		    const struct field *f)
{
	struct filter_rule *r = obj;

	return read_range(x, v, f, &r->len_lo, &r->len_hi);
}

static const struct names protos = {
	"a protocol", conf_proto_names, CONF_PROTOS,
};

/* A name for the common ones, any other by its number. */
static int p_proto(struct pctx *x, struct json_object *v, void *obj,
		   const struct field *f)
{
	struct filter_rule *r = obj;
	char q[CONF_QUOTE_MAX], list[128];
	const char *s;
	size_t len, i;
	int64_t n;
	int ret;

	ret = read_number(x, v, f, &n);
	if (ret < 0)
		return ret;
	if (ret) {
		r->proto = n;
		return 0;
	}
	if (get_str(x, v, &s, &len))
		return -EINVAL;
	i = lookup(&protos, s, len);
	if (i == CONF_PROTOS)
		return perr(x, "%s is not a protocol (%s) or a number %" PRId64
			    "..%" PRId64, conf_quote(q, s, len),
			    or_list(list, sizeof(list), &protos,
				    (1u << CONF_PROTOS) - 1), f->min, f->max);
	r->proto = conf_proto_numbers[i];
	return 0;
}

static const struct names tcp_flags = {
	"a TCP flag", conf_tcp_flag_names, 8,
};

/* "syn": set; "!ack": clear. */
static int parse_tcp_flag(struct pctx *x, struct json_object *v, void *elem)
{
	struct filter_rule *r = elem;
	char q[CONF_QUOTE_MAX], list[128];
	const char *s;
	size_t len, i;
	bool clear;

	if (get_str(x, v, &s, &len))
		return -EINVAL;
	clear = s[0] == '!';
	i = lookup(&tcp_flags, s + clear, len - clear);
	if (i == tcp_flags.n)
		return perr(x, "%s is not a TCP flag (%s; \"!\" before one: "
			    "clear)", conf_quote(q, s, len),
			    or_list(list, sizeof(list), &tcp_flags, 0xff));
	if (r->tcp_flags_mask & 1u << i)
		return perr(x, "%s: \"%s\" is already listed",
			    conf_quote(q, s, len), tcp_flags.name[i]);
	r->tcp_flags_mask |= 1u << i;
	if (!clear)
		r->tcp_flags |= 1u << i;
	return 0;
}

static int p_tcp_flags(struct pctx *x, struct json_object *v, void *obj,
		       const struct field *f)
{
	if (count(x, v, 1, tcp_flags.n, "flags"))
		return -EINVAL;
	/* Every member sets bits of the one rule: a stride of 0. */
	return each(x, v, obj, 0, parse_tcp_flag);
}

static const struct names rate_units = {
	"a unit", conf_rate_unit_names, CONF_RATE_UNITS,
};
static const struct names rate_periods = {
	"a period", conf_rate_period_names, CONF_RATE_PERIODS,
};

/* nftables' own syntax: "2000/second", "10 mbytes/second". */
static int p_rate(struct pctx *x, struct json_object *v, void *obj,
		  const struct field *f)
{
	struct filter_rule *r = obj;
	char q[CONF_QUOTE_MAX];
	const char *s, *p, *slash;
	size_t len, unit = 0, per;
	uint64_t n = 0;

	if (get_str(x, v, &s, &len))
		return -EINVAL;
	/* Past the most, only whether there are more digits matters. */
	for (p = s; *p >= '0' && *p <= '9'; p++)
		if (n <= MAX_RATE_COUNT)
			n = n * 10 + (*p - '0');
	slash = strchr(p, '/');
	if (p == s || !slash)
		goto bad;
	if (*p == ' ') {
		unit = lookup(&rate_units, p + 1, slash - p - 1);
		if (unit == CONF_RATE_UNITS)
			goto bad;
	} else if (p != slash) {
		goto bad;
	}
	per = lookup(&rate_periods, slash + 1, strlen(slash + 1));
	if (per == CONF_RATE_PERIODS)
		goto bad;
	if (!n || n > MAX_RATE_COUNT)
		return perr(x, "%s is out of range: the count must be 1..%llu",
			    conf_quote(q, s, len), MAX_RATE_COUNT);
	r->has_rate = true;
	r->rate_unit = *p == ' ' ? RATE_BYTES : RATE_PACKETS;
	r->rate = n * conf_rate_unit_bytes[unit];
	r->rate_per_s = conf_rate_period_seconds[per];
	return 0;
bad:
	return perr(x, "%s is not a rate (like \"2000/second\" or "
		    "\"10 mbytes/second\")", conf_quote(q, s, len));
}

static const char *const action_names[] = {
	[FILTER_ACCEPT] = "accept",
	[FILTER_DROP] = "drop",
};
static const struct names actions = {
	"an action", action_names, N(action_names),
};

static const char *const per_names[] = {
	[RATE_PER_RULE] = "rule",
	[RATE_PER_SOURCE] = "source",
};
static const struct names pers = {
	"a rate bucket", per_names, N(per_names),
};

#define RULE_LIST(m, kind)                                              \
	AT(struct filter_rule, m), .n_off = offsetof(struct filter_rule, n_##m), \
	.max = GW_RULE_LIST_MAX, .arg = &kind

/* "action" accept and "per" rule unless given: both 0. */
static const struct field rule_fields[] = {
	{ .key = "proto", .parse = p_proto, .min = 1, .max = 255 },
	{ .key = "saddr", .parse = p_rule_list, RULE_LIST(saddr, prefix_list) },
	{ .key = "daddr", .parse = p_rule_list, RULE_LIST(daddr, prefix_list) },
	{ .key = "sport", .parse = p_rule_list, RULE_LIST(sport, port_list) },
	{ .key = "dport", .parse = p_rule_list, RULE_LIST(dport, port_list) },
	{ .key = "tcp_flags", .parse = p_tcp_flags },
	{ .key = "length", .parse = p_length, .min = MIN_IP_LENGTH,
	  .max = MAX_IP_LENGTH },
	{ .key = "action", .parse = p_enum, AT(struct filter_rule, action),
	  .arg = &actions },
	{ .key = "rate", .parse = p_rate },
	{ .key = "burst", .parse = p_uint, AT(struct filter_rule, burst),
	  .min = 0, .max = MAX_BURST },
	{ .key = "per", .parse = p_enum, AT(struct filter_rule, per),
	  .arg = &pers },
	{ .key = "monitor", .parse = p_bool, AT(struct filter_rule, monitor) },
};
static const struct table rule_table = TABLE(rule_fields);

/* What one rule's keys say about each other. */
static int parse_rule(struct pctx *x, struct json_object *o, void *elem)
{
	static const char *const ports[] = { "sport", "dport" };
	static const char *const with_rate[] = { "burst", "per" };
	struct filter_rule *r = elem;
	bool has_ports;
	size_t i;
	int ret;

	ret = parse_object(x, o, &rule_table, r);
	/* A key that was wrong would make the rest look wrong too. */
	if (ret)
		return ret;
	/* The protocols whose header starts with the ports. */
	has_ports = r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP ||
		    r->proto == IPPROTO_SCTP;
	for (i = 0; !has_ports && i < N(ports); i++)
		if (json_object_object_get_ex(o, ports[i], NULL))
			ret = perr_key(x, ports[i], "only valid with \"proto\": "
				       "\"tcp\", \"udp\" or \"sctp\"");
	if (r->tcp_flags_mask && r->proto != IPPROTO_TCP)
		ret = perr_key(x, "tcp_flags", "only valid with \"proto\": \"tcp\"");
	/*
	 * Beyond the rate is dropped and the rest gets the action: with drop,
	 * everything is dropped.  Refused, since whoever writes it most likely
	 * means nftables' "limit rate over ... drop", which drops less.
	 */
	if (r->has_rate && r->action == FILTER_DROP)
		ret = perr_key(x, "rate", "with \"action\": \"drop\", all that "
			       "matches is dropped, within the rate or beyond it; "
			       "\"accept\" lets the rate through");
	for (i = 0; !r->has_rate && i < N(with_rate); i++)
		if (json_object_object_get_ex(o, with_rate[i], NULL))
			ret = perr_key(x, with_rate[i], "only valid with \"rate\"");
	if (r->monitor && !r->has_rate && r->action == FILTER_ACCEPT)
		ret = perr_key(x, "monitor", "a rule that accepts without a "
			       "\"rate\" drops nothing: there is nothing to "
			       "monitor");
	return ret;
}

static int p_rules(struct pctx *x, struct json_object *v, void *obj,
		   const struct field *f)
{
	struct filter_conf *fc = obj;

	if (count(x, v, 0, MAX_RULES, "rules"))
		return -EINVAL;
	return read_array(x, v, (void **)&fc->rules, &fc->n_rules,
			  sizeof(*fc->rules), parse_rule);
}

/* A list of struct ip_sets_conf, which starts at sets in the object. */
#define SET(sets, m, most)                                              \
	.parse = p_set, .off = (sets) + offsetof(struct ip_sets_conf, m), \
	.n_off = (sets) + offsetof(struct ip_sets_conf, n_##m), .max = most

/* "default" accept unless given: 0. */
static const struct field filter_fields[] = {
	{ .key = "default", .parse = p_enum, AT(struct filter_conf, def),
	  .arg = &actions },
	{ .key = "rules", .parse = p_rules },
	{ .key = "block", SET(offsetof(struct filter_conf, sets), block,
			      MAX_CUSTOMER_SET) },
	{ .key = "allow", SET(offsetof(struct filter_conf, sets), allow,
			      MAX_CUSTOMER_SET) },
};
static const struct table filter_table = TABLE(filter_fields);

static int p_filter(struct pctx *x, struct json_object *v, void *obj,
		    const struct field *f)
{
	struct filter_conf *fc = (struct filter_conf *)((char *)obj + f->off);

	fc->present = true;
	return parse_object(x, v, &filter_table, fc);
}

/*
 * The SYN fast path.  The rates are SYNs per second to all the prefixes of
 * a customer; the most is far above the 278 million of the largest SYN
 * flood on record per gateway, which is what it must never wrap at.
 */
#define MAX_SYN_PPS        100000000
#define MAX_SYN_HOLD_S     86400
#define MAX_SYN_AUTH_S     86400
#define MAX_SYN_BUDGET_PPS 1000000
#define DEFAULT_SYN_HOLD_S 60
#define DEFAULT_SYN_AUTH_S 300	/* syn-shared.h SYN_AUTH_TTL_DEFAULT_NS */
#define DEFAULT_SYN_BUDGET 100

static const char *const syn_mode_names[] = {
	[SYN_CONF_OFF] = "off",
	[SYN_CONF_MONITOR] = "monitor",
	[SYN_CONF_ON] = "on",
	[SYN_CONF_AUTO] = "auto",
};
static const struct names syn_modes = {
	"a SYN mode", syn_mode_names, N(syn_mode_names),
};

/* Only auto has thresholds: both required, no default fits every site. */
static const struct field syn_auto_fields[] = {
	{ .key = "on_pps", .parse = p_uint, AT(struct syn_conf, on_pps),
	  .required = true, .min = 1, .max = MAX_SYN_PPS },
	{ .key = "off_pps", .parse = p_uint, AT(struct syn_conf, off_pps),
	  .required = true, .min = 1, .max = MAX_SYN_PPS },
	{ .key = "hold_s", .parse = p_uint, AT(struct syn_conf, hold_s),
	  .min = 0, .max = MAX_SYN_HOLD_S },
};

static const struct table syn_mode_fields[] = {
	[SYN_CONF_OFF] = { NULL, 0 },
	[SYN_CONF_MONITOR] = { NULL, 0 },
	[SYN_CONF_ON] = { NULL, 0 },
	[SYN_CONF_AUTO] = TABLE(syn_auto_fields),
};
static const struct variants syn_variants = {
	"mode", &syn_modes, "with \"mode\":", syn_mode_fields,
};

/*
 * "mode" picks one of syn_mode_fields[].  The source's keys are valid in
 * every mode: gwctl syn mode may turn on a customer the file has off.
 */
static const struct field syn_fields[] = {
	{ .key = "mode", AT(struct syn_conf, mode), .arg = &syn_modes },
	{ .key = "auth_s", .parse = p_uint, AT(struct syn_conf, auth_s),
	  .min = 10, .max = MAX_SYN_AUTH_S },
	{ .key = "budget_pps", .parse = p_uint, AT(struct syn_conf, budget_pps),
	  .min = 1, .max = MAX_SYN_BUDGET_PPS },
	{ .key = "budget_burst", .parse = p_uint, AT(struct syn_conf, budget_burst),
	  .min = 1, .max = 2 * MAX_SYN_BUDGET_PPS },
};
static const struct table syn_table = TABLE(syn_fields);

/* What a customer without "syn" has too: parse_customer() sets it. */
static const struct syn_conf default_syn = {
	.mode = SYN_CONF_OFF,
	.hold_s = DEFAULT_SYN_HOLD_S,
	.auth_s = DEFAULT_SYN_AUTH_S,
	.budget_pps = DEFAULT_SYN_BUDGET,
	.budget_burst = 2 * DEFAULT_SYN_BUDGET,
};

static int p_syn(struct pctx *x, struct json_object *v, void *obj,
		 const struct field *f)
{
	struct syn_conf *sc = (struct syn_conf *)((char *)obj + f->off);
	int ret;

	if (want(x, v, json_type_object, "an object"))
		return -EINVAL;
	sc->present = true;
	ret = parse_keys(x, v, &syn_table, &syn_variants, sc);
	if (ret)
		return ret;
	if (!json_object_object_get_ex(v, "budget_burst", NULL))
		sc->budget_burst = 2 * sc->budget_pps;
	/*
	 * Equal thresholds would turn it off the moment it turned on, and
	 * on again at the next sample: the gap is what keeps it from flapping.
	 */
	if (sc->mode == SYN_CONF_AUTO && sc->off_pps >= sc->on_pps)
		return perr_key(x, "off_pps", "%" PRIu32 " is not below on_pps "
				"%" PRIu32 ": the gap between them keeps the "
				"mode from flapping", sc->off_pps, sc->on_pps);
	return 0;
}

static const struct field customer_fields[] = {
	{ .key = "name", .parse = p_name, AT(struct customer_conf, name),
	  .required = true, .arg = &name_syntax },
	{ .key = "id", .parse = p_uint, AT(struct customer_conf, id),
	  .required = true, .min = 1, .max = 65535 },
	{ .key = "prefixes", .parse = p_prefixes, .required = true },
	{ .key = "paths", .parse = p_paths, .required = true },
	{ .key = "filter", .parse = p_filter, AT(struct customer_conf, filter) },
	{ .key = "syn", .parse = p_syn, AT(struct customer_conf, syn) },
};
static const struct table customer_table = TABLE(customer_fields);

static int parse_customer(struct pctx *x, struct json_object *v, void *elem)
{
	struct customer_conf *cu = elem;

	cu->syn = default_syn;
	return parse_object(x, v, &customer_table, elem);
}

static int p_customers(struct pctx *x, struct json_object *v, void *obj,
		       const struct field *f)
{
	struct gw_conf *c = obj;

	return read_array(x, v, (void **)&c->customers, &c->n_customers,
			  sizeof(*c->customers), parse_customer);
}

static const struct field underlay_fields[] = {
	{ .key = "v4", .parse = p_addr4, AT(struct site_conf, underlay_v4) },
	{ .key = "v6", .parse = p_addr6, AT(struct site_conf, underlay_v6) },
};
static const struct table underlay_table = TABLE(underlay_fields);

/* Site-wide: what every customer's traffic passes first. */
static const struct field site_filter_fields[] = {
	{ .key = "block", SET(0, block, MAX_SITE_SET) },
	{ .key = "allow", SET(0, allow, MAX_SITE_SET) },
};
static const struct table site_filter_table = TABLE(site_filter_fields);

static const char *const syn_fallback_names[] = {
	[SYN_CONF_PASS] = "pass",
	[SYN_CONF_DROP] = "drop",
};
static const struct names syn_fallbacks = {
	"a fallback", syn_fallback_names, N(syn_fallback_names),
};

/* "fallback" pass unless given: 0. */
static const struct field site_syn_fields[] = {
	{ .key = "fallback", .parse = p_enum, AT(struct syn_site_conf, fallback),
	  .arg = &syn_fallbacks },
};
static const struct table site_syn_table = TABLE(site_syn_fields);

static int p_site_syn(struct pctx *x, struct json_object *v, void *obj,
		      const struct field *f)
{
	struct syn_site_conf *ss = (struct syn_site_conf *)((char *)obj + f->off);

	ss->present = true;
	return parse_object(x, v, &site_syn_table, ss);
}

static const struct field site_fields[] = {
	{ .key = "name", .parse = p_name, AT(struct site_conf, name),
	  .required = true, .arg = &name_syntax },
	/* underlay_v4 and _v6 are members of site_conf itself */
	{ .key = "underlay", .parse = p_object, .arg = &underlay_table },
	{ .key = "ingress", .parse = p_ingress, .required = true },
	{ .key = "table_base", .parse = p_uint, AT(struct site_conf, table_base),
	  .min = 0, .max = UINT32_MAX },
	{ .key = "control_socket", .parse = p_abspath,
	  AT(struct site_conf, control_socket) },
	{ .key = "vici_socket", .parse = p_abspath,
	  AT(struct site_conf, vici_socket) },
	{ .key = "filter", .parse = p_object, AT(struct site_conf, filter),
	  .arg = &site_filter_table },
	{ .key = "syn", .parse = p_site_syn, AT(struct site_conf, syn) },
};
static const struct table site_table = TABLE(site_fields);

static const struct field defaults_fields[] = {
	{ .key = "mtu", .parse = p_uint, AT(struct defaults_conf, mtu),
	  .min = 68, .max = MAX_MTU },
	{ .key = "probe", .parse = p_object, AT(struct defaults_conf, probe),
	  .arg = &probe_table },
};
static const struct table defaults_table = TABLE(defaults_fields);

/* In this order: paths inherit from defaults. */
static const struct field top_fields[] = {
	{ .key = "site", .parse = p_object, AT(struct gw_conf, site),
	  .required = true, .arg = &site_table },
	{ .key = "defaults", .parse = p_object, AT(struct gw_conf, defaults),
	  .arg = &defaults_table },
	{ .key = "customers", .parse = p_customers, .required = true },
};
static const struct table top_table = TABLE(top_fields);

/*
 * The fields named after others.  Names that do not fit, and tables past
 * 2^32 - 1, are left empty and 0 for conf_validate() to report.
 */
static void derive(struct gw_conf *c)
{
	size_t i, j;

	for (i = 0; i < c->n_customers; i++) {
		struct customer_conf *cu = &c->customers[i];
		uint64_t table = (uint64_t)c->site.table_base + cu->id;

		cu->table = table <= UINT32_MAX ? table : 0;
		conf_vrf_ifname(cu->id, cu->vrf);
		for (j = 0; j < cu->n_paths; j++) {
			struct path_conf *p = &cu->paths[j];

			conf_path_ifname(cu->id, p->name, p->ifname);
			if (p->type == PATH_IPSEC)
				p->if_id = conf_path_if_id(cu->id, p->name);
		}
	}
}

int conf_parse(const char *text, size_t len, struct gw_conf **out,
	       struct conf_diag *d)
{
	struct pctx x = { .d = d };
	struct json_object *root = NULL;
	struct gw_conf *c;
	int ret, r;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->site.table_base = DEFAULT_TABLE_BASE;
	snprintf(c->site.control_socket, sizeof(c->site.control_socket), "%s",
		 GW_DEFAULT_SOCK);
	snprintf(c->site.vici_socket, sizeof(c->site.vici_socket), "%s",
		 GW_DEFAULT_VICI);
	c->defaults.mtu = DEFAULT_MTU;
	c->defaults.probe = (struct probe_conf){
		.kind = PROBE_ICMP, .interval_ms = 100, .fail = 3, .rise = 3,
		.degraded_loss_pct = DEFAULT_DEGRADED_LOSS_PCT,
	};
	x.c = c;

	ret = conf_json_read(text, len, &root, d);
	if (ret == -ENOMEM || (ret && !root))
		goto out;
	r = parse_object(&x, root, &top_table, c);
	if (r == -ENOMEM || !ret)
		ret = r;
	if (!ret)
		derive(c);
out:
	json_object_put(root);
	if (ret)
		conf_free(c);
	else
		*out = c;
	return ret;
}
