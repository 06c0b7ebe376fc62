// SPDX-License-Identifier: GPL-2.0
/*
 * Log lines on stderr carry their priority when stderr is the journal's
 * stream (JOURNAL_STREAM names it), and only then.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "log.h"

/* Log two lines with stderr on a temporary file; JOURNAL_STREAM names that
 * file when @same, another one otherwise.  Returns what was written.
 */
static char *logged(bool same)
{
	static char buf[256];
	char name[] = "/tmp/test_log.XXXXXX", env[64];
	struct stat st;
	int fd, saved;
	ssize_t n;

	fd = mkstemp(name);
	assert_true(fd >= 0);
	unlink(name);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + (same ? 0 : 1));
	setenv("JOURNAL_STREAM", env, 1);

	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	dd_log_init(true, LOG_INFO, false);
	dd_log(LOG_ERR, "cannot %s", "bind");
	dd_log(LOG_WARNING, "slow");
	dd_log(LOG_INFO, "started");
	dd_log(LOG_DEBUG, "not shown");
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	unsetenv("JOURNAL_STREAM");

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static void journal_priorities(void **state)
{
	(void)state;
	assert_string_equal(logged(true),
			    "<3>dyncastd: error: cannot bind\n"
			    "<4>dyncastd: warning: slow\n"
			    "<6>dyncastd: info: started\n");
}

static void plain_stderr(void **state)
{
	(void)state;
	assert_string_equal(logged(false),
			    "dyncastd: error: cannot bind\n"
			    "dyncastd: warning: slow\n"
			    "dyncastd: info: started\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(journal_priorities),
		cmocka_unit_test(plain_stderr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
