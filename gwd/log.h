/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging to stderr.  Under systemd (JOURNAL_STREAM set) each line carries
 * a <N> syslog priority prefix, which journald turns into the priority;
 * otherwise lines read "gwd: warning: ...".
 */
#ifndef GWD_LOG_H
#define GWD_LOG_H

#include <syslog.h>

extern int log_max_level;	/* LOG_INFO by default; -d raises to LOG_DEBUG */

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)

#endif
