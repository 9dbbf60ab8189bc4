/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading JSON text strictly.  json-c parses; this file adds what an operator
 * needs from a config reader and json-c does not give: a line and column for
 * syntax errors, and an error for a key given twice in one object, which
 * json-c resolves silently by keeping the last value ("priority": 10 ...
 * "priority": 30 must not mean 30 without a word).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "conf/internal.h"

/* Deeper than any config; also bounds the key scan below. */
#define JSON_DEPTH 16

static bool identifier(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      s[i] == '_' || (i && s[i] >= '0' && s[i] <= '9')))
			return false;
	return i > 0 && i <= 40;
}

/* Long keys are quoted too: quoting cuts them short. */
size_t conf_path_key(char *path, const char *key)
{
	size_t old = strlen(path);
	char q[CONF_QUOTE_MAX];

	if (identifier(key))
		snprintf(path + old, CONF_PATH_MAX - old, "%s%s",
			 old ? "." : "", key);
	else
		snprintf(path + old, CONF_PATH_MAX - old, "[%s]",
			 conf_quote(q, key, strlen(key)));
	return old;
}

size_t conf_path_index(char *path, size_t i)
{
	size_t old = strlen(path);

	snprintf(path + old, CONF_PATH_MAX - old, "[%zu]", i);
	return old;
}

static void at(struct conf_diag *d, const char *text, size_t off,
	       const char *what)
{
	size_t line = 1, col = 1, i;

	for (i = 0; i < off; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else if ((text[i] & 0xc0) != 0x80) {	/* characters, not bytes */
			col++;
		}
	}
	conf_diag_add(d, "line %zu, column %zu: %s", line, col, what);
}

/* One open object or array of the key scan. */
struct frame {
	struct json_object *keys;	/* objects: the keys seen so far */
	size_t index;			/* arrays: of the current element */
	size_t base;			/* length of the path to this container */
};

/*
 * The end of the string starting at text[i] (a quote), past the closing
 * quote.  The text has been accepted by json-c, so the string is closed.
 */
static size_t string_end(const char *text, size_t i)
{
	char q = text[i++];

	while (text[i] != q)
		i += text[i] == '\\' ? 2 : 1;
	return i + 1;
}

/*
 * The key s (n bytes, in quotes) of an object whose keys so far are in keys:
 * append it to path and report it if it is there already.  The key is
 * decoded by json-c itself, so that "\u0070riority" and "priority" are the
 * same key, as they are in the tree.
 */
static int scan_key(struct json_tokener *tok, struct json_object *keys,
		    char *path, const char *s, size_t n, struct conf_diag *d)
{
	struct json_object *k;
	char q[CONF_QUOTE_MAX];
	const char *key;
	size_t len, old;
	int ret = 0;

	json_tokener_reset(tok);
	k = json_tokener_parse_ex(tok, s, n);
	if (!k)
		return -ENOMEM;
	key = json_object_get_string(k);
	len = json_object_get_string_len(k);
	if (strlen(key) != len) {
		/* Quoted in full: json-c's tree has it cut at the NUL. */
		old = strlen(path);
		snprintf(path + old, CONF_PATH_MAX - old, "[%s]",
			 conf_quote(q, key, len));
		conf_diag_add(d, "%s: key contains a NUL character", path);
		ret = -EINVAL;
	} else {
		conf_path_key(path, key);
		if (json_object_object_get_ex(keys, key, NULL)) {
			conf_diag_add(d, "%s: key given twice", path);
			ret = -EINVAL;
		} else if (json_object_object_add(keys, key, NULL)) {
			ret = -ENOMEM;
		}
	}
	json_object_put(k);
	return ret;
}

/*
 * Walk text that json-c accepted and report bad keys by JSON path: -EINVAL
 * for what is not JSON after all, and *bad for keys.
 */
static int scan_keys(const char *text, size_t len, struct conf_diag *d,
		     bool *bad)
{
	struct frame st[JSON_DEPTH];
	struct json_tokener *tok;
	char path[CONF_PATH_MAX] = "";
	int depth = 0, ret = 0;
	bool want_key = false;
	size_t i = 0, e;

	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	while (i < len) {
		struct frame *f = depth ? &st[depth - 1] : NULL;
		int r;

		switch (text[i]) {
		case '{':
		case '[':
			if (depth == JSON_DEPTH) {	/* json-c stops first */
				at(d, text, i, "nesting too deep");
				ret = -EINVAL;
				goto out;
			}
			f = &st[depth++];
			f->base = strlen(path);
			f->index = 0;
			f->keys = NULL;
			if (text[i] == '{') {
				f->keys = json_object_new_object();
				if (!f->keys) {
					ret = -ENOMEM;
					goto out;
				}
				want_key = true;
			} else {
				conf_path_index(path, 0);
			}
			i++;
			break;
		case '}':
		case ']':
			json_object_put(f->keys);
			path[f->base] = '\0';
			depth--;
			want_key = false;
			i++;
			break;
		case ',':
			path[f->base] = '\0';
			if (f->keys)
				want_key = true;
			else
				conf_path_index(path, ++f->index);
			i++;
			break;
		case '\'':
			/* json-c accepts single quotes even when strict. */
			at(d, text, i, "strings must be in double quotes");
			ret = -EINVAL;
			goto out;
		case '"':
			e = string_end(text, i);
			if (!want_key) {
				i = e;
				break;
			}
			want_key = false;
			r = scan_key(tok, f->keys, path, text + i, e - i, d);
			if (r == -ENOMEM) {
				ret = r;
				goto out;
			}
			*bad |= r != 0;
			i = e;
			break;
		default:
			i++;
			break;
		}
	}
out:
	while (depth > 0)
		json_object_put(st[--depth].keys);
	json_tokener_free(tok);
	return ret;
}

int conf_json_read(const char *text, size_t len, struct json_object **out,
		   struct conf_diag *d)
{
	struct json_tokener *tok;
	struct json_object *o;
	const char *nul;
	bool bad = false;
	int ret;

	*out = NULL;
	/* json-c takes NUL for the end of its input, whatever len says. */
	nul = memchr(text, '\0', len);
	if (nul) {
		at(d, text, nul - text, "NUL byte in the text");
		return -EINVAL;
	}
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, len);
	if (!o && json_tokener_get_error(tok) == json_tokener_continue) {
		/* The end of the text, where json-c wants more: it may still
		 * complete a literal ("null") when told that this is the end. */
		o = json_tokener_parse_ex(tok, "", 1);
		if (!o && json_tokener_get_error(tok) != json_tokener_success) {
			at(d, text, len, "unexpected end of input");
			ret = -EINVAL;
			goto out;
		}
	} else if (!o && json_tokener_get_error(tok) != json_tokener_success) {
		at(d, text, json_tokener_get_parse_end(tok),
		   json_tokener_error_desc(json_tokener_get_error(tok)));
		ret = -EINVAL;
		goto out;
	}
	if (!o) {
		/* The text is "null": no tree, and no keys to scan. */
		ret = 0;
		goto out;
	}
	/* Bad keys fail the read but keep the tree: the caller goes on to find
	 * the other problems. */
	ret = scan_keys(text, len, d, &bad);
	if (ret) {
		json_object_put(o);
		goto out;
	}
	*out = o;
	ret = bad ? -EINVAL : 0;
out:
	json_tokener_free(tok);
	return ret;
}
