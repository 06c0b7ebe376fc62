// SPDX-License-Identifier: GPL-2.0
/* Logging, and its rate limit (as the kernel's ___ratelimit()). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "log.h"

static bool dd_log_stderr = true, dd_log_both, dd_log_journal;
static int dd_log_level = LOG_INFO;

/*
 * Is stderr the journal's stream?  systemd says so in JOURNAL_STREAM
 * ("DEV:INODE" of the socket it gave as stdout and stderr), and the journal
 * then reads a "<N>" at the start of a line as its priority, as sd-daemon(3)
 * describes; a stderr redirected since is not the journal.
 */
static bool dd_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(2, &st))
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

/*
 * To stderr, or to syslog; with @both, to stderr as well until
 * dd_log_also_stderr(false) (a daemon's start, whose errors its starter
 * should see)
 */
void dd_log_init(bool to_stderr, int max_level, bool both)
{
	dd_log_stderr = to_stderr;
	dd_log_both = both && !to_stderr;
	dd_log_level = max_level;
	dd_log_journal = dd_stderr_is_journal();
	if (!to_stderr)
		openlog("dyncastd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void dd_log_also_stderr(bool on)
{
	dd_log_both = on && !dd_log_stderr;
}

static void dd_vlog(int level, const char *fmt, va_list ap)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "error", "warning", "notice",
		"info", "debug",
	};

	va_list ap2;

	if (level > dd_log_level)
		return;
	if (!dd_log_stderr) {
		va_copy(ap2, ap);
		vsyslog(level, fmt, ap2);
		va_end(ap2);
		/* only what went wrong: the starter waits for the outcome */
		if (!dd_log_both || level > LOG_WARNING)
			return;
	}
	if (dd_log_journal)
		fprintf(stderr, "<%d>", level & 7);
	fprintf(stderr, "dyncastd: %s: ", names[level & 7]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void dd_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dd_vlog(level, fmt, ap);
	va_end(ap);
}

/* A stream whose lines are logged: what library code prints goes to the log. */
static ssize_t dd_log_write(void *cookie, const char *buf, size_t size)
{
	int level = (int)(intptr_t)cookie;
	size_t n = size;

	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '.'))
		n--;
	/* what would have gone to stderr says who it is; the log does */
	if (n > 10 && !strncmp(buf, "dyncastd: ", 10)) {
		buf += 10;
		n -= 10;
	}
	if (n)
		dd_log(level, "%.*s", (int)n, buf);
	return size;
}

FILE *dd_log_stream(int level)
{
	cookie_io_functions_t io = { .write = dd_log_write };
	FILE *fp = fopencookie((void *)(intptr_t)level, "w", io);

	if (fp)
		setvbuf(fp, NULL, _IOLBF, 0);
	return fp;
}

bool dd_ratelimit(struct dd_ratelimit *rl, uint64_t now_ms)
{
	if (!rl->start || now_ms - rl->start >= DD_RL_INTERVAL_MS) {
		if (rl->missed)
			dd_log(LOG_WARNING, "%llu messages of this kind suppressed",
			       (unsigned long long)rl->missed);
		rl->start = now_ms;
		rl->printed = 0;
		rl->missed = 0;
	}
	if (rl->printed < DD_RL_BURST) {
		rl->printed++;
		return true;
	}
	rl->missed++;
	return false;
}
