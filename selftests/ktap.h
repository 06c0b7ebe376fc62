/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Plain KTAP output for the C selftests, with the kselftest exit codes:
 * 0 pass, 1 fail, 4 skip.
 */
#ifndef DYNCAST_SELFTEST_KTAP_H
#define DYNCAST_SELFTEST_KTAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

static unsigned int ktap_num, ktap_pass, ktap_fail, ktap_skip;

static inline void ktap_plan(unsigned int n)
{
	printf("TAP version 13\n1..%u\n", n);
	fflush(stdout);
}

static inline void ktap_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
}

static inline void ktap_vresult(bool ok, const char *directive,
				const char *fmt, va_list ap)
{
	printf("%sok %u ", ok ? "" : "not ", ++ktap_num);
	vprintf(fmt, ap);
	if (directive)
		printf(" # %s", directive);
	putchar('\n');
	fflush(stdout);
}

/* Report one test: passed when @ok.  Returns @ok. */
static inline bool ktap_result(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_vresult(ok, NULL, fmt, ap);
	va_end(ap);
	if (ok)
		ktap_pass++;
	else
		ktap_fail++;
	return ok;
}

static inline void ktap_skipped(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_vresult(true, "SKIP", fmt, ap);
	va_end(ap);
	ktap_skip++;
}

/* The whole test does not apply here. */
static inline void __attribute__((noreturn)) ktap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(KSFT_SKIP);
}

static inline int __attribute__((noreturn)) ktap_finished(void)
{
	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:0\n",
	       ktap_pass, ktap_fail, ktap_skip);
	if (ktap_fail)
		exit(KSFT_FAIL);
	exit(ktap_pass || !ktap_skip ? KSFT_PASS : KSFT_SKIP);
}

#endif /* DYNCAST_SELFTEST_KTAP_H */
