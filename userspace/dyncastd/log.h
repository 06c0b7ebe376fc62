/* SPDX-License-Identifier: GPL-2.0 */
/* Logging to stderr (-f) or syslog, and rate limits for what peers cause. */
#ifndef DD_LOG_H
#define DD_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <syslog.h>

void dd_log_init(bool to_stderr, int max_level, bool both);
void dd_log_also_stderr(bool on);
void dd_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
FILE *dd_log_stream(int level);

/* at most burst messages per interval; the rest are counted, then said */
struct dd_ratelimit {
	uint64_t start;
	unsigned int printed;
	uint64_t missed;
};

#define DD_RL_INTERVAL_MS	10000
#define DD_RL_BURST		5

bool dd_ratelimit(struct dd_ratelimit *rl, uint64_t now_ms);

#define dd_err(...)	dd_log(LOG_ERR, __VA_ARGS__)
#define dd_warn(...)	dd_log(LOG_WARNING, __VA_ARGS__)
#define dd_info(...)	dd_log(LOG_INFO, __VA_ARGS__)
#define dd_dbg(...)	dd_log(LOG_DEBUG, __VA_ARGS__)

#endif /* DD_LOG_H */
