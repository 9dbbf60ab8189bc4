// SPDX-License-Identifier: GPL-2.0
/*
 * gwd: the clean-traffic return gateway.  Runs in the foreground under
 * systemd (Type=notify), logs to stderr.  SIGHUP reloads; SIGTERM and
 * SIGINT stop the daemon and leave the kernel's state in place, so that the
 * next start adopts it without a flap.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "gwd/ctl.h"
#include "gwd/gwd.h"
#include "gwd/ipsec.h"
#include "gwd/log.h"
#include "netlink/monitor.h"
#include "netlink/nl.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwd [-c FILE] [-S DIR] [-d]  run the gateway\n"
		   "       gwd -n [-v] [-c FILE]        check a config (-v: print it normalized)\n"
		   "  -c FILE  config file (default " GW_DEFAULT_CONF ")\n"
		   "  -S DIR   state directory: drains, SYN mode overrides (default " GWD_STATE_DIR ")\n"
		   "  -d       log debug messages\n");
}

/* gwd -n [-v]: the same parser and checks the daemon uses. */
static int check_config(const char *file, bool print)
{
	struct conf_diag d = { 0 };
	struct gw_conf *c = NULL;
	int ret;

	ret = conf_load(file, &c, &d);
	if (ret) {
		fprintf(stderr, "%s: ", file);
		if (d.n) {
			size_t n = d.n + d.dropped;

			fprintf(stderr, "%zu error%s\n", n, n == 1 ? "" : "s");
			conf_diag_print(stderr, &d);
		} else {
			fprintf(stderr, "%s\n", strerror(-ret));
		}
	} else if (print) {
		conf_print(stdout, c);
	}
	conf_diag_free(&d);
	conf_free(c);
	return ret ? 1 : 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si,
		     void *arg)
{
	struct gwd *g = arg;
	struct conf_diag d = { 0 };

	if (si->ssi_signo == SIGHUP) {
		sd_notify(0, "RELOADING=1");
		gwd_reload(g, &d, NULL);
		conf_diag_free(&d);
		sd_notify(0, "READY=1");
		return 0;
	}
	log_info("%s: stopping; kernel state stays in place",
		 si->ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
	sd_notify(0, "STOPPING=1");
	sd_event_exit(g->ev, 0);
	return 0;
}

static int on_monitor(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct gwd *g = arg;
	int ret = monitor_read(g->mon, gwd_kernel_event, g);

	if (ret)
		log_err("reading kernel events: %s", strerror(-ret));
	return 0;
}

static int setup(struct gwd *g)
{
	static const int sigs[] = { SIGHUP, SIGTERM, SIGINT };
	sigset_t mask;
	int ret;

	sigemptyset(&mask);
	for (size_t i = 0; i < 3; i++)
		sigaddset(&mask, sigs[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	ret = sd_event_default(&g->ev);
	for (size_t i = 0; i < 3 && ret >= 0; i++)
		ret = sd_event_add_signal(g->ev, NULL, sigs[i], on_signal, g);
	if (ret < 0) {
		log_err("event loop: %s", strerror(-ret));
		return ret;
	}
	/* Subscribe before the first dump, so that nothing falls between. */
	ret = monitor_open(&g->mon);
	if (!ret)
		ret = sd_event_add_io(g->ev, NULL, monitor_fd(g->mon), EPOLLIN,
				      on_monitor, g);
	if (ret < 0) {
		log_err("netlink event socket: %s", strerror(-ret));
		return ret;
	}
	ret = nl_open(&g->nl);
	if (ret) {
		log_err("netlink socket: %s", strerror(-ret));
		return ret;
	}
	/* The socket first: a second gwd must stop before it changes anything. */
	ret = gwd_ctl_open(g);
	if (ret) {
		log_err("control socket %s: %s", g->conf->site.control_socket,
			ret == -EADDRINUSE ? "another gwd is running there" :
			strerror(-ret));
		return ret;
	}
	ret = gwd_paths_sync(g);
	if (ret) {
		log_err("path probes: %s", strerror(-ret));
		return ret;
	}
	/* Unreadable drains are logged; gwd must deliver all the same. */
	gwd_drains_load(g);
	/* A failed apply schedules its own retry; the daemon runs on. */
	gwd_apply(g, "start", NULL);
	ret = gwd_ipsec_sync(g);
	if (ret < 0)
		log_err("IPsec connections: %s", strerror(-ret));
	/* Unusable nftables costs the filters, not the delivery. */
	ret = gwd_filter_open(g);
	if (ret < 0)
		log_err("filter: nftables: %s", strerror(-ret));
	/* After the filter: the block and allow lists come from its mirror.
	 * A fast path that cannot attach costs SYN protection, not delivery;
	 * it logs why and tries again. */
	gwd_syn_start(g);
	return 0;
}

static void teardown(struct gwd *g)
{
	ctl_close(g->ctl);
	gwd_ipsec_free(g);
	gwd_syn_close(g);
	gwd_filter_close(g);
	gwd_paths_free(g);
	sd_event_source_unref(g->resync);
	monitor_close(g->mon);
	nl_close(g->nl);
	kstate_free(&g->links);
	conf_free(g->conf);
	free(g->conf_file);
	free(g->state_dir);
	sd_event_unref(g->ev);
}

int main(int argc, char **argv)
{
	const char *file = GW_DEFAULT_CONF, *state_dir = GWD_STATE_DIR;
	bool check = false, print = false;
	struct conf_diag d = { 0 };
	struct gwd g = { 0 };
	int opt, ret;

	while ((opt = getopt(argc, argv, "c:S:dnvh")) != -1) {
		switch (opt) {
		case 'c':
			file = optarg;
			break;
		case 'S':
			state_dir = optarg;
			break;
		case 'd':
			log_max_level = LOG_DEBUG;
			break;
		case 'n':
			check = true;
			break;
		case 'v':
			print = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (print && !check)) {
		usage(stderr);
		return 2;
	}
	if (check)
		return check_config(file, print);

	g.conf_file = realpath(file, NULL);
	if (!g.conf_file) {
		log_err("%s: %s", file, strerror(errno));
		return 1;
	}
	g.state_dir = strdup(state_dir);
	if (!g.state_dir) {
		log_err("out of memory");
		free(g.conf_file);
		return 1;
	}
	ret = conf_load(g.conf_file, &g.conf, &d);
	if (ret) {
		log_err("%s has errors, not starting:", g.conf_file);
		for (size_t i = 0; i < d.n; i++)
			log_err("  %s", d.msg[i]);
		conf_diag_free(&d);
		free(g.conf_file);
		free(g.state_dir);
		return 1;
	}
	g.started = time(NULL);
	ret = setup(&g);
	if (!ret) {
		log_info("site %s: %zu customers, control socket %s", g.conf->site.name,
			 g.conf->n_customers, g.conf->site.control_socket);
		sd_notify(0, "READY=1");
		ret = sd_event_loop(g.ev);
	}
	teardown(&g);
	return ret < 0 ? 1 : 0;
}
