/* SPDX-License-Identifier: GPL-2.0 */
/* For tests and benchmarks that build their world with ip(8) and friends. */
#ifndef GWD_TESTS_SHELL_H
#define GWD_TESTS_SHELL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

/* The command printf would make of fmt, run by sh; its exit status, or -1
 * when it did not exit (a signal). */
static inline int shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int shell(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

#endif
