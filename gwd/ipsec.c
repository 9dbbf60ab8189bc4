// SPDX-License-Identifier: GPL-2.0
/*
 * IPsec paths at run time; see ipsec.h.
 *
 * One conn per IPsec path of the running config, named like its link.  Each
 * has one timer, the check: it asks charon for the conn's SAs and, when
 * there is no CHILD_SA and no negotiation under way, initiates, then checks
 * again after a backoff that doubles up to IPSEC_RETRY_MAX_MS.  charon's events about a conn
 * (up, down, rekeyed) ask again at once, so the state follows charon within
 * a round trip; the answer, not the event, is the truth.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gwd/ctl.h"
#include "gwd/gwd.h"
#include "gwd/ipsec.h"
#include "gwd/log.h"
#include "ipsec/conn.h"
#include "ipsec/sa.h"
#include "ipsec/vici-client.h"

#define IPSEC_REQ_TIMEOUT_US	(4 * 1000000ULL)	/* below gwctl's 5 s */
#define IPSEC_RETRY_MIN_MS	1000
#define IPSEC_RETRY_MAX_MS	30000
/* Log lines of charon this soon after a failure are its consequences. */
#define IPSEC_CAUSE_US		(5 * 1000000ULL)
/* A negotiation charon is still retransmitting for: look again this soon. */
#define IPSEC_PENDING_MS	2000

struct ipsec_conn {
	struct ipsec *ip;
	char name[IF_NAMESIZE];		/* charon's conn and child name: the link's */
	char customer[GW_NAME_MAX];
	char path[GW_PATH_NAME_MAX];
	struct path_conf conf;		/* as loaded */
	uint8_t *want;			/* the load-conn of the running config */
	size_t want_len;
	bool loaded;			/* charon accepted want on this connection */
	bool listing, relist;		/* a list-sas in flight; another wanted */
	bool first_list;		/* not answered since the connect */
	enum ipsec_sa_state sa;
	struct ipsec_ike ike;		/* the IKE_SA carrying the CHILD_SA, if up */
	bool pending;			/* a negotiation is under way */
	char key_id[64];		/* charon's id of its private key, if loaded */
	char why[160];			/* why it is not up, in charon's words */
	uint64_t why_us;		/* when charon said so */
	sd_event_source *check;
	uint32_t backoff_ms;
	/* list-sas scratch: what the current answer says so far */
	bool seen_up, seen_pending;
	struct ipsec_ike seen;
};

struct ipsec {
	struct gwd *g;
	struct vici_client *vc;
	char socket[GW_SOCK_PATH_MAX];
	struct ipsec_conn **conns;	/* sorted by name */
	size_t n;
	bool connected;
	/*
	 * charon has answered for every conn once, or could not be reached:
	 * until then an SA state that is unknown is taken as the kernel's
	 * routes have it, so that a restart moves no traffic.
	 */
	bool settled;
	size_t unsettled;		/* conns whose first answer is awaited */
	bool incomplete;		/* a path's conn could not be built: no sweep */
};

/* A request's context: the conn by name, since a reload may free it. */
struct req {
	struct ipsec *ip;
	char name[IF_NAMESIZE];
	const char *what;		/* "load-conn", ... for the log */
};

static int conn_cmp(const void *a, const void *b)
{
	return strcmp((*(struct ipsec_conn *const *)a)->name,
		      (*(struct ipsec_conn *const *)b)->name);
}

static struct ipsec_conn *conn_find(const struct ipsec *ip, const char *name)
{
	struct ipsec_conn key, *k = &key, **c;

	/* Not cut to fit: a longer name is none of ours. */
	if (!ip || !ip->n || strlen(name) >= sizeof(key.name))
		return NULL;
	memcpy(key.name, name, strlen(name) + 1);
	c = bsearch(&k, ip->conns, ip->n, sizeof(*ip->conns), conn_cmp);
	return c ? *c : NULL;
}

const char *gwd_ipsec_state_name(enum ipsec_sa_state s)
{
	return s == IPSEC_SA_UP ? "up" : s == IPSEC_SA_DOWN ? "down" : "unknown";
}

enum ipsec_sa_state gwd_ipsec_sa(const struct gwd *g, const struct path_conf *p)
{
	const struct ipsec_conn *c = conn_find(g->ipsec, p->ifname);

	return c ? c->sa : IPSEC_SA_UNKNOWN;
}

bool gwd_ipsec_usable(const struct gwd *g, const struct path_conf *p,
		      bool carried)
{
	enum ipsec_sa_state s = gwd_ipsec_sa(g, p);

	if (s != IPSEC_SA_UNKNOWN)
		return s == IPSEC_SA_UP;
	return p->ipsec_mode != IPSEC_GRE ||
	       (carried && !(g->ipsec && g->ipsec->settled));
}

bool gwd_ipsec_configured(const struct gwd *g)
{
	return g->ipsec && g->ipsec->n;
}

const char *gwd_ipsec_why(const struct gwd *g, const struct path_conf *p)
{
	const struct ipsec_conn *c = conn_find(g->ipsec, p->ifname);

	return c && c->sa != IPSEC_SA_UP ? c->why : "";
}

static struct req *req_new(struct ipsec *ip, const char *name, const char *what)
{
	struct req *r = calloc(1, sizeof(*r));

	if (r) {
		r->ip = ip;
		snprintf(r->name, sizeof(r->name), "%s", name);
		r->what = what;
	}
	return r;
}

static void set_why(struct ipsec_conn *c, const char *fmt, const char *arg)
{
	snprintf(c->why, sizeof(c->why), fmt, arg);
}

/* A path's SA state changed: say so and let the routes follow. */
static void sa_changed(struct ipsec_conn *c, enum ipsec_sa_state was)
{
	struct gwd *g = c->ip->g;
	const struct ipsec_child *ch = c->ike.n_child ? &c->ike.child[0] : NULL;

	if (c->sa == IPSEC_SA_UP)
		log_info("customer %s: path %s: IPsec SA up (SPIs %s/%s, %s)",
			 c->customer, c->path, ch ? ch->spi_in : "?",
			 ch ? ch->spi_out : "?", c->ike.remote_host);
	else if (c->sa == IPSEC_SA_DOWN && was == IPSEC_SA_UP)
		log_warn("customer %s: path %s: IPsec SA down%s%s", c->customer,
			 c->path, c->why[0] ? ": " : "", c->why);
	gwd_path_sa_changed(g, c->customer, c->path, c->sa == IPSEC_SA_DOWN,
			    c->why[0] ? c->why : "no CHILD_SA");
}

static void check_at(struct ipsec_conn *c, uint32_t ms)
{
	uint64_t now;

	sd_event_now(c->ip->g->ev, CLOCK_MONOTONIC, &now);
	sd_event_source_set_time(c->check, now + ms * 1000ULL);
	sd_event_source_set_enabled(c->check, SD_EVENT_ONESHOT);
}

/*
 * Queue a request about the conn name that built (0, or why not) into pkt,
 * which the client owns from here (and zeroes: it may hold a secret).
 */
static int request(struct ipsec *ip, const char *name, const char *what,
		   int built, uint8_t *pkt, size_t len, const char *stream,
		   vici_event_fn on_stream, vici_reply_fn on_reply)
{
	const struct ipsec_conn *c;
	struct req *r = NULL;
	int ret = built;

	if (ret == 0) {
		r = req_new(ip, name, what);
		if (!r) {
			explicit_bzero(pkt, len);
			free(pkt);
			ret = -ENOMEM;
		} else {
			ret = vici_request(ip->vc, pkt, len, stream, on_stream,
					   on_reply, r, IPSEC_REQ_TIMEOUT_US);
		}
	}
	if (ret < 0) {
		free(r);
		c = conn_find(ip, name);
		if (ret != -ENOTCONN && c)
			log_warn("customer %s: path %s: cannot send %s to charon: %s",
				 c->customer, c->path, what, strerror(-ret));
		else if (ret != -ENOTCONN)
			log_warn("charon connection %s: cannot send %s: %s", name,
				 what, strerror(-ret));
	}
	return ret;
}

/* Replies that say only success or errmsg. */
static bool reply_ok(const struct req *r, int err, const struct vici_msg *m,
		     struct ipsec_conn *c)
{
	char success[8] = "", errmsg[128] = "";
	struct vici_iter root;

	if (err == -ECANCELED)
		return false;
	if (err < 0) {
		if (c)
			log_debug("%s %s: %s", r->what, r->name, strerror(-err));
		return false;
	}
	root = vici_root(m);
	vici_get_str(&root, "success", success, sizeof(success));
	if (!strcmp(success, "yes"))
		return true;
	vici_get_str(&root, "errmsg", errmsg, sizeof(errmsg));
	if (c) {
		snprintf(c->why, sizeof(c->why), "charon refused %s: %s", r->what,
			 errmsg[0] ? errmsg : "no reason given");
		log_warn("customer %s: path %s: %s", c->customer, c->path, c->why);
	}
	return false;
}

static void on_loaded(void *arg, int err, const struct vici_msg *m)
{
	struct req *r = arg;
	struct ipsec_conn *c = err == -ECANCELED ? NULL : conn_find(r->ip, r->name);

	if (reply_ok(r, err, m, c) && c && !strcmp(r->what, "load-conn"))
		c->loaded = true;
	/* To unload the key with its path. */
	if (c && !err && !strcmp(r->what, "load-key")) {
		struct vici_iter root = vici_root(m);

		if (vici_get_str(&root, "id", c->key_id, sizeof(c->key_id)) < 0)
			c->key_id[0] = '\0';
	}
	free(r);
}

/* Unloading what may not be there (a pubkey path has no PSK): quietly. */
static void on_gone(void *arg, int err, const struct vici_msg *m)
{
	free(arg);
}

static void on_done(void *arg, int err, const struct vici_msg *m)
{
	struct req *r = arg;

	reply_ok(r, err, m, err == -ECANCELED ? NULL : conn_find(r->ip, r->name));
	free(r);
}

/* The secret is read from its file each time: a PSK changed in place counts. */
static int load_secret(struct ipsec *ip, struct ipsec_conn *c)
{
	uint8_t *pkt;
	size_t len;
	int ret;

	ret = ipsec_load_secret(ip->g->conf, &c->conf, &pkt, &len);
	if (ret < 0) {
		snprintf(c->why, sizeof(c->why), "cannot read %s: %s",
			 c->conf.ike.auth == IKE_AUTH_PSK ? "psk_file" : "key",
			 strerror(-ret));
		log_warn("customer %s: path %s: %s", c->customer, c->path, c->why);
		return ret;
	}
	request(ip, c->name, c->conf.ike.auth == IKE_AUTH_PSK ? "load-shared" : "load-key",
		0, pkt, len, NULL, NULL, on_loaded);
	return 0;
}

static void load(struct ipsec *ip, struct ipsec_conn *c)
{
	uint8_t *copy;

	if (load_secret(ip, c) < 0)
		return;
	copy = malloc(c->want_len);
	if (copy)
		memcpy(copy, c->want, c->want_len);
	request(ip, c->name, "load-conn", copy ? 0 : -ENOMEM, copy, c->want_len, NULL,
		NULL, on_loaded);
}

static void on_list_sa(void *arg, const struct vici_msg *m)
{
	struct req *r = arg;
	struct ipsec_conn *c = conn_find(r->ip, r->name);
	struct ipsec_ike ike;

	if (!c || ipsec_msg_ike(m, &ike) < 0 || strcmp(ike.name, c->name))
		return;
	for (size_t i = 0; i < ike.n_child; i++)
		if (ipsec_child_installed(&ike.child[i]) && !c->seen_up) {
			c->seen_up = true;
			c->seen = ike;
			/* the installed one first, for the log and show */
			c->seen.child[0] = ike.child[i];
		}
	/*
	 * A negotiation under way: charon's retransmits decide.  An IKE_SA
	 * that is up without a CHILD_SA is not: initiating again creates the
	 * CHILD_SA in it.
	 */
	if (!strcmp(ike.state, "CONNECTING"))
		c->seen_pending = true;
	for (size_t i = 0; i < ike.n_child; i++)
		if (!strcmp(ike.child[i].state, "CREATED") ||
		    !strcmp(ike.child[i].state, "INSTALLING"))
			c->seen_pending = true;
}

static void list(struct ipsec *ip, struct ipsec_conn *c);
static void initiate(struct ipsec *ip, struct ipsec_conn *c);

static void settled(struct ipsec *ip)
{
	if (ip->settled)
		return;
	ip->settled = true;
	gwd_schedule_apply(ip->g);
}

/* c's first answer since the connect is in. */
static void settle(struct ipsec *ip, struct ipsec_conn *c)
{
	if (!c->first_list)
		return;
	c->first_list = false;
	if (ip->unsettled && !--ip->unsettled)
		settled(ip);
}

static void on_listed(void *arg, int err, const struct vici_msg *m)
{
	struct req *r = arg;
	struct ipsec_conn *c = err == -ECANCELED ? NULL : conn_find(r->ip, r->name);
	enum ipsec_sa_state was;

	free(r);
	if (!c)
		return;
	c->listing = false;
	/* A lost connection starts all over; anything else is tried again. */
	if (err < 0 && err != -ECONNRESET && err != -ETIMEDOUT)
		check_at(c, c->backoff_ms);
	if (err < 0)
		return;
	was = c->sa;
	c->sa = c->seen_up ? IPSEC_SA_UP : IPSEC_SA_DOWN;
	c->pending = !c->seen_up && c->seen_pending;
	if (c->seen_up) {
		c->ike = c->seen;
		c->why[0] = '\0';
		c->backoff_ms = IPSEC_RETRY_MIN_MS;
	}
	if (c->sa != was)
		sa_changed(c, was);
	settle(c->ip, c);
	if (c->relist) {
		c->relist = false;
		list(c->ip, c);
	} else if (c->sa == IPSEC_SA_DOWN &&
		   sd_event_source_get_enabled(c->check, NULL) <= 0) {
		/* The check timer, when armed, decides; otherwise now. */
		if (c->pending)
			check_at(c, IPSEC_PENDING_MS);
		else
			initiate(c->ip, c);
	}
}

static void list(struct ipsec *ip, struct ipsec_conn *c)
{
	uint8_t *pkt = NULL;
	size_t len = 0;
	int ret;

	if (c->listing) {
		c->relist = true;
		return;
	}
	c->listing = true;
	c->seen_up = c->seen_pending = false;
	ret = ipsec_list_sas(c->name, &pkt, &len);
	ret = request(ip, c->name, "list-sas", ret, pkt, len, "list-sa", on_list_sa,
		      on_listed);
	if (ret < 0) {
		c->listing = false;
		if (ret != -ENOTCONN)
			check_at(c, c->backoff_ms);
	}
}

static void initiate(struct ipsec *ip, struct ipsec_conn *c)
{
	uint8_t *pkt = NULL;
	size_t len = 0;
	int ret;

	if (!c->loaded)
		load(ip, c);
	log_debug("customer %s: path %s: initiating", c->customer, c->path);
	ret = ipsec_initiate(c->name, &pkt, &len);
	request(ip, c->name, "initiate", ret, pkt, len, NULL, NULL, on_done);
	check_at(c, c->backoff_ms);
	c->backoff_ms = c->backoff_ms * 2 < IPSEC_RETRY_MAX_MS ?
			c->backoff_ms * 2 : IPSEC_RETRY_MAX_MS;
}

/* The check: the SAs, then maybe an initiate (on_listed). */
static int on_check(sd_event_source *s, uint64_t usec, void *arg)
{
	struct ipsec_conn *c = arg;

	if (c->ip->connected)
		list(c->ip, c);
	return 0;
}

/* A section named like a conn (an IKE_SA's, a listed conn's) into name. */
static bool section_name(const struct vici_elem *e, char name[IF_NAMESIZE])
{
	if (e->type != VICI_SECTION_START || e->name_len >= IF_NAMESIZE)
		return false;
	memcpy(name, e->name, e->name_len);
	name[e->name_len] = '\0';
	return true;
}

/* Events: every one about a conn of ours makes us look at that conn again. */
static void on_sa_event(void *arg, const struct vici_msg *m)
{
	struct ipsec *ip = arg;
	struct vici_iter it = vici_root(m);
	struct vici_elem e;
	struct ipsec_conn *c;
	char name[IF_NAMESIZE];

	while (vici_next(&it, &e)) {
		if (!section_name(&e, name))
			continue;
		c = conn_find(ip, name);
		if (c) {
			log_debug("customer %s: path %s: charon: %s", c->customer,
				  c->path, m->name);
			list(ip, c);
		}
	}
}

/*
 * charon's log, at its control level: the lines that say why a negotiation
 * of one of our conns failed, whichever side started it, or why its SA
 * ended, are kept as the path's reason; an answer with the SA up clears it.
 */
static void on_log(void *arg, const struct vici_msg *m)
{
	static const char *const failures[] = {
		"fail", "error", "unacceptable", "no proposal", "no matching",
		"no shared key", "not found", "giving up", "no trusted",
		"constraint", "timeout", "retransmit", "unreachable",
	};
	struct ipsec *ip = arg;
	struct vici_iter root = vici_root(m);
	char name[IF_NAMESIZE], msg[sizeof(((struct ipsec_conn *)0)->why)];
	struct ipsec_conn *c;
	struct vici_elem e;
	uint64_t now;
	size_t n;

	if (vici_get_str(&root, "ikesa-name", name, sizeof(name)) < 0 ||
	    !(c = conn_find(ip, name)) || vici_get(&root, "msg", &e) < 0 ||
	    e.type != VICI_KEY_VALUE)
		return;
	n = e.value_len < sizeof(msg) - 1 ? e.value_len : sizeof(msg) - 1;
	memcpy(msg, e.value, n);
	msg[n] = '\0';
	/* Protocol chatter about a failure, not why it failed. */
	if (!strncmp(msg, "generating ", 11) || !strncmp(msg, "sending ", 8) ||
	    !strncmp(msg, "parsed ", 7) || !strncmp(msg, "received packet", 15) ||
	    strlen(msg) != n)
		return;
	/*
	 * The first failure of a negotiation is its cause; the lines that
	 * follow within seconds are its consequences.
	 */
	sd_event_now(ip->g->ev, CLOCK_MONOTONIC, &now);
	if (c->why[0] && now - c->why_us < IPSEC_CAUSE_US)
		return;
	/* Kept while up too: dead peer detection speaks before the SA goes. */
	for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
		if (strcasestr(msg, failures[i])) {
			if (strcmp(c->why, msg) && c->sa != IPSEC_SA_UP)
				log_info("customer %s: path %s: charon: %s",
					 c->customer, c->path, msg);
			memcpy(c->why, msg, sizeof(c->why));
			c->why_us = now;
			return;
		}
	}
}

/* A conn name of gwd's scheme: "gw<id>-<path>", like its links. */
static bool gwd_name(const char *name)
{
	size_t digits;

	if (strncmp(name, "gw", 2))
		return false;
	digits = strspn(name + 2, "0123456789");
	return digits && name[2 + digits] == '-' && name[3 + digits];
}

/*
 * A conn goes: its SAs end, charon forgets it and its PSK (by the id gwd
 * gave it, whatever the path's auth was) and, if known, its private key.
 */
static void unload(struct ipsec *ip, const char *name, const char *key_id)
{
	uint8_t *pkt = NULL;
	size_t len = 0;
	int ret;

	ret = ipsec_terminate(name, &pkt, &len);
	request(ip, name, "terminate", ret, pkt, len, NULL, NULL, on_done);
	ret = ipsec_unload_conn(name, &pkt, &len);
	request(ip, name, "unload-conn", ret, pkt, len, NULL, NULL, on_done);
	ret = ipsec_unload_shared(name, &pkt, &len);
	request(ip, name, "unload-shared", ret, pkt, len, NULL, NULL, on_gone);
	if (key_id && key_id[0]) {
		ret = ipsec_unload_key(key_id, &pkt, &len);
		request(ip, name, "unload-key", ret, pkt, len, NULL, NULL, on_gone);
	}
}

/*
 * A conn of gwd's scheme that charon has and the config does not: its path
 * was removed while gwd was not running.  Its SAs end, charon forgets it.
 */
static void on_conn_listed(void *arg, const struct vici_msg *m)
{
	struct ipsec *ip = arg;
	struct vici_iter it = vici_root(m);
	struct vici_elem e;
	char name[IF_NAMESIZE];

	while (vici_next(&it, &e)) {
		if (!section_name(&e, name) || !gwd_name(name) || conn_find(ip, name))
			continue;
		log_info("charon: connection %s is gwd's but no path's: removing it", name);
		unload(ip, name, NULL);
	}
}

static void unload_strays(struct ipsec *ip)
{
	uint8_t *pkt;
	size_t len;

	if (ipsec_list_conns(&pkt, &len) == 0)
		vici_request(ip->vc, pkt, len, "list-conn", on_conn_listed, NULL, ip,
			     IPSEC_REQ_TIMEOUT_US);
}

/*
 * Connected: charon may be a new one, so everything is loaded again (an
 * unchanged conn keeps its SAs), then each conn's SAs are looked at.  Lost:
 * nothing is known until it is back.
 */
static void on_state(void *arg, bool connected, int err, const char *why)
{
	struct ipsec *ip = arg;

	if (connected && err)
		log_warn("charon: %s", why ? why : strerror(-err));
	if (connected && ip->connected)
		return;		/* a subscription refused while connected */
	ip->connected = connected;
	if (connected) {
		log_info("charon: connected at %s", ip->socket);
		ip->unsettled = ip->n;
		if (!ip->n)
			settled(ip);
		if (!ip->incomplete)
			unload_strays(ip);
	} else {
		log_warn("charon: %s: %s%s%s", ip->socket, strerror(-err),
			 why ? ": " : "", why ? why : "");
		settled(ip);
	}
	for (size_t i = 0; i < ip->n; i++) {
		struct ipsec_conn *c = ip->conns[i];
		enum ipsec_sa_state was = c->sa;

		c->loaded = c->listing = c->relist = false;
		c->first_list = connected;
		c->backoff_ms = IPSEC_RETRY_MIN_MS;
		sd_event_source_set_enabled(c->check, SD_EVENT_OFF);
		if (connected) {
			load(ip, c);
			list(ip, c);
			continue;
		}
		/*
		 * An answer that did not come (charon held an IKE_SA too long)
		 * says nothing about the SAs: they stay as last known until the
		 * connection is back.  A charon gone may have taken them along.
		 */
		if (err == -ETIMEDOUT)
			continue;
		c->sa = IPSEC_SA_UNKNOWN;
		set_why(c, "charon not reachable at %s", ip->socket);
		if (was != c->sa)
			sa_changed(c, was);
	}
}

static void conn_free(struct ipsec_conn *c)
{
	if (!c)
		return;
	sd_event_source_disable_unref(c->check);
	free(c->want);
	free(c);
}

static struct ipsec_conn *conn_new(struct ipsec *ip, const struct customer_conf *cu,
				   const struct path_conf *p)
{
	struct ipsec_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ip = ip;
	snprintf(c->name, sizeof(c->name), "%s", p->ifname);
	snprintf(c->customer, sizeof(c->customer), "%s", cu->name);
	snprintf(c->path, sizeof(c->path), "%s", p->name);
	c->backoff_ms = IPSEC_RETRY_MIN_MS;
	if (sd_event_add_time(ip->g->ev, &c->check, CLOCK_MONOTONIC, 0, 1000,
			      on_check, c) < 0) {
		free(c);
		return NULL;
	}
	sd_event_source_set_enabled(c->check, SD_EVENT_OFF);
	return c;
}

/* A conn gone from the config: its SAs end, then charon forgets it. */
static void conn_remove(struct ipsec *ip, struct ipsec_conn *c)
{
	log_info("customer %s: path %s: IPsec connection removed", c->customer,
		 c->path);
	settle(ip, c);
	if (ip->connected)
		unload(ip, c->name, c->key_id);
}

static int open_client(struct gwd *g, struct ipsec *ip)
{
	static const char *const events[] = {
		"ike-updown", "child-updown", "ike-rekey", "child-rekey",
	};
	int ret;

	snprintf(ip->socket, sizeof(ip->socket), "%s", g->conf->site.vici_socket);
	ret = vici_client_new(g->ev, ip->socket, on_state, ip, &ip->vc);
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]) && ret == 0; i++)
		ret = vici_client_subscribe(ip->vc, events[i], on_sa_event, ip);
	if (ret == 0)
		ret = vici_client_subscribe(ip->vc, "log", on_log, ip);
	return ret;
}

/*
 * What the running conn knew passes to the one that replaces it at a
 * reload: the SA state, a list-sas in flight (its events and reply find
 * the new one by name), the pending check.  Loaded only if unchanged.
 */
static void conn_take(struct ipsec_conn *c, const struct ipsec_conn *old,
		      const uint8_t *want, size_t len)
{
	uint64_t at;

	c->sa = old->sa;
	c->ike = old->ike;
	c->pending = old->pending;
	c->backoff_ms = old->backoff_ms;
	memcpy(c->why, old->why, sizeof(c->why));
	c->listing = old->listing;
	c->relist = old->relist;
	c->first_list = old->first_list;
	c->seen_up = old->seen_up;
	c->seen_pending = old->seen_pending;
	c->seen = old->seen;
	memcpy(c->key_id, old->key_id, sizeof(c->key_id));
	c->loaded = old->loaded && old->want_len == len && !memcmp(old->want, want, len);
	if (sd_event_source_get_enabled(old->check, NULL) > 0 &&
	    sd_event_source_get_time(old->check, &at) >= 0) {
		sd_event_source_set_time(c->check, at);
		sd_event_source_set_enabled(c->check, SD_EVENT_ONESHOT);
	}
}

/* The new conn table, in config order, before sorting: reuse what is known. */
static int build(struct gwd *g, struct ipsec *ip, struct ipsec_conn ***out,
		 size_t *n_out)
{
	struct ipsec_conn **v = NULL, **nv;
	size_t n = 0;
	int ret = 0;

	for (size_t i = 0; i < g->conf->n_customers && !ret; i++) {
		const struct customer_conf *cu = &g->conf->customers[i];

		for (size_t j = 0; j < cu->n_paths && !ret; j++) {
			const struct path_conf *p = &cu->paths[j];
			struct ipsec_conn *c, *old;
			const char *why;
			uint8_t *want;
			size_t len;

			if (p->type != PATH_IPSEC)
				continue;
			old = conn_find(ip, p->ifname);
			ret = ipsec_load_conn(g->conf, p, &want, &len, &why);
			/*
			 * One path's unreadable certificate must not cost the
			 * others theirs: it keeps what it had, if anything, and
			 * charon's connections are not swept meanwhile.
			 */
			if (ret < 0 && ret != -ENOMEM) {
				log_err("customer %s: path %s: cannot build its IPsec connection: %s%s%s",
					cu->name, p->name, why ? why : "",
					why ? ": " : "", strerror(-ret));
				ip->incomplete = true;
				ret = 0;
				if (!old || !(want = malloc(old->want_len)))
					continue;
				memcpy(want, old->want, old->want_len);
				len = old->want_len;
			} else if (ret < 0) {
				break;
			}
			c = conn_new(ip, cu, p);
			nv = c ? realloc(v, (n + 1) * sizeof(*v)) : NULL;
			if (!nv) {
				conn_free(c);
				free(want);
				ret = -ENOMEM;
				break;
			}
			v = nv;
			v[n++] = c;
			c->conf = *p;
			c->want = want;
			c->want_len = len;
			if (old)
				conn_take(c, old, want, len);
		}
	}
	if (ret < 0) {
		while (n)
			conn_free(v[--n]);
		free(v);
		return ret;
	}
	*out = v;
	*n_out = n;
	return 0;
}

static bool has_ipsec(const struct gw_conf *conf)
{
	for (size_t i = 0; i < conf->n_customers; i++)
		for (size_t j = 0; j < conf->customers[i].n_paths; j++)
			if (conf->customers[i].paths[j].type == PATH_IPSEC)
				return true;
	return false;
}

int gwd_ipsec_sync(struct gwd *g)
{
	struct ipsec *ip = g->ipsec;
	struct ipsec_conn **v;
	size_t n;
	int ret;

	if (ip && strcmp(ip->socket, g->conf->site.vici_socket)) {
		log_info("charon: moving to %s", g->conf->site.vici_socket);
		gwd_ipsec_free(g);
		ip = NULL;
	}
	if (!ip) {
		if (!has_ipsec(g->conf))
			return 0;
		ip = calloc(1, sizeof(*ip));
		if (!ip)
			return -ENOMEM;
		ip->g = g;
		g->ipsec = ip;
		ret = open_client(g, ip);
		if (ret < 0) {
			gwd_ipsec_free(g);
			return ret;
		}
	}
	ip->incomplete = false;
	ret = build(g, ip, &v, &n);
	if (ret < 0)
		return ret;
	qsort(v, n, sizeof(*v), conn_cmp);
	/* Old conns: removed ones end; changed ones end to come back changed. */
	for (size_t i = 0; i < ip->n; i++) {
		struct ipsec_conn *o = ip->conns[i], key, *k = &key, **c;

		memcpy(key.name, o->name, sizeof(key.name));
		c = n ? bsearch(&k, v, n, sizeof(*v), conn_cmp) : NULL;
		if (!c)
			conn_remove(ip, o);
		else if (!(*c)->loaded && o->loaded && ip->connected)
			log_info("customer %s: path %s: IPsec settings changed; negotiating again",
				 o->customer, o->path);
		conn_free(o);
	}
	free(ip->conns);
	ip->conns = v;
	ip->n = n;
	if (!ip->connected)
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct ipsec_conn *c = v[i];
		uint8_t *pkt;
		size_t len;

		if (c->loaded) {
			load_secret(ip, c);
			continue;
		}
		load(ip, c);
		/*
		 * A changed conn: its SAs were made with the old settings.  Its
		 * path is down before they end, so that no route sends into it
		 * meanwhile (in mode gre, in clear).
		 */
		if (c->sa != IPSEC_SA_UNKNOWN) {
			enum ipsec_sa_state was = c->sa;

			c->sa = IPSEC_SA_DOWN;
			set_why(c, "%s", "settings changed: negotiating again");
			if (was != c->sa)
				sa_changed(c, was);
			ret = ipsec_terminate(c->name, &pkt, &len);
			request(ip, c->name, "terminate", ret, pkt, len, NULL, NULL, on_done);
		}
		list(ip, c);
	}
	return 0;
}

void gwd_ipsec_free(struct gwd *g)
{
	struct ipsec *ip = g->ipsec;

	if (!ip)
		return;
	/* The client first: its pending requests end with -ECANCELED. */
	vici_client_free(ip->vc);
	for (size_t i = 0; i < ip->n; i++)
		conn_free(ip->conns[i]);
	free(ip->conns);
	free(ip);
	g->ipsec = NULL;
}

/* show ipsec: one list-sas for all, kept to the conns asked about. */
struct show {
	struct ipsec *ip;
	char customer[GW_NAME_MAX];	/* "" for all */
	struct ctl_deferred *d;
	json_object *sas;
};

static void add_s(json_object *o, const char *k, const char *v)
{
	if (v[0])
		json_object_object_add(o, k, json_object_new_string(v));
}

static void add_i(json_object *o, const char *k, int64_t v)
{
	if (v >= 0)
		json_object_object_add(o, k, json_object_new_int64(v));
}

static json_object *child_json(const struct ipsec_child *ch)
{
	json_object *o = json_object_new_object();

	add_i(o, "uniqueid", ch->uniqueid);
	add_s(o, "state", ch->state);
	add_s(o, "mode", ch->mode);
	add_s(o, "spi_in", ch->spi_in);
	add_s(o, "spi_out", ch->spi_out);
	add_s(o, "encr", ch->encr);
	add_i(o, "bytes_in", (int64_t)ch->bytes_in);
	add_i(o, "packets_in", (int64_t)ch->packets_in);
	add_i(o, "bytes_out", (int64_t)ch->bytes_out);
	add_i(o, "packets_out", (int64_t)ch->packets_out);
	add_i(o, "rekey_in_s", ch->rekey_s);
	add_i(o, "life_in_s", ch->life_s);
	add_i(o, "installed_s", ch->install_s);
	return o;
}

static json_object *ike_json(const struct ipsec_conn *c, const struct ipsec_ike *ike)
{
	json_object *o = json_object_new_object(), *children = json_object_new_array();

	add_s(o, "customer", c->customer);
	add_s(o, "path", c->path);
	add_s(o, "conn", c->name);
	add_i(o, "uniqueid", ike->uniqueid);
	add_s(o, "state", ike->state);
	add_s(o, "local", ike->local_host);
	add_s(o, "remote", ike->remote_host);
	add_s(o, "local_id", ike->local_id);
	add_s(o, "remote_id", ike->remote_id);
	add_s(o, "encr", ike->encr);
	add_s(o, "prf", ike->prf);
	add_s(o, "dh", ike->dh);
	json_object_object_add(o, "initiator", json_object_new_boolean(ike->initiator));
	add_i(o, "established_s", ike->established_s);
	add_i(o, "rekey_in_s", ike->rekey_s);
	add_i(o, "reauth_in_s", ike->reauth_s);
	for (size_t i = 0; i < ike->n_child; i++)
		json_object_array_add(children, child_json(&ike->child[i]));
	json_object_object_add(o, "child_sas", children);
	return o;
}

static bool show_wants(const struct show *sh, const struct ipsec_conn *c)
{
	return c && (!sh->customer[0] || !strcmp(sh->customer, c->customer));
}

static void on_show_sa(void *arg, const struct vici_msg *m)
{
	struct show *sh = arg;
	struct ipsec_conn *c;
	struct ipsec_ike ike;

	if (ipsec_msg_ike(m, &ike) < 0)
		return;
	c = conn_find(sh->ip, ike.name);
	if (show_wants(sh, c))
		json_object_array_add(sh->sas, ike_json(c, &ike));
}

/* The paths with their SA state and reason, and the SAs charon listed. */
static void on_show(void *arg, int err, const struct vici_msg *m)
{
	struct show *sh = arg;
	struct ctl_reply r = { 0 };
	json_object *paths;
	int ret = 0;

	if (err == -ECANCELED) {
		ctl_deferred_finish(sh->d, ctl_reply_error(&r, -ESHUTDOWN,
				    "gwd is stopping"), &r);
		json_object_put(sh->sas);
		free(sh);
		return;
	}
	if (err < 0) {
		ret = ctl_reply_error(&r, err, "charon at %s did not answer: %s",
				      sh->ip->socket, strerror(-err));
		json_object_put(sh->sas);
	} else {
		r.result = json_object_new_object();
		paths = json_object_new_array();
		for (size_t i = 0; i < sh->ip->n; i++) {
			const struct ipsec_conn *c = sh->ip->conns[i];
			json_object *o;

			if (!show_wants(sh, c))
				continue;
			o = json_object_new_object();
			add_s(o, "customer", c->customer);
			add_s(o, "path", c->path);
			add_s(o, "conn", c->name);
			add_s(o, "mode", c->conf.ipsec_mode == IPSEC_XFRM ? "xfrm" :
					 c->conf.ipsec_mode == IPSEC_GRE ? "gre" : "vti");
			add_s(o, "sa", gwd_ipsec_state_name(c->sa));
			if (c->sa != IPSEC_SA_UP)
				add_s(o, "reason", c->why);
			json_object_array_add(paths, o);
		}
		json_object_object_add(r.result, "paths", paths);
		json_object_object_add(r.result, "sas", sh->sas);
	}
	ctl_deferred_finish(sh->d, ret, &r);
	free(sh);
}

int gwd_ipsec_show(struct gwd *g, const char *customer, struct ctl_deferred *d)
{
	struct ipsec *ip = g->ipsec;
	struct show *sh;
	uint8_t *pkt;
	size_t len;
	int ret;

	if (!ip || !ip->connected)
		return -ENOTCONN;
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return -ENOMEM;
	sh->ip = ip;
	sh->d = d;
	snprintf(sh->customer, sizeof(sh->customer), "%s", customer ? customer : "");
	sh->sas = json_object_new_array();
	ret = sh->sas ? ipsec_list_sas(NULL, &pkt, &len) : -ENOMEM;
	if (ret == 0) {
		/* pkt is the client's from here, whatever the outcome */
		ret = vici_request(ip->vc, pkt, len, "list-sa", on_show_sa, on_show,
				   sh, IPSEC_REQ_TIMEOUT_US);
	}
	if (ret < 0) {
		json_object_put(sh->sas);
		free(sh);
	}
	return ret;
}
