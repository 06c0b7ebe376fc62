// SPDX-License-Identifier: GPL-2.0
/*
 * The report socket: a unix datagram socket where a service reports
 * figures about itself, one datagram per report,
 *
 *	NAME KEY VALUE [KEY VALUE]...
 *
 * NAME an [instance NAME] of the configuration, KEY one of cpu, gpu
 * (per cent, one decimal), sessions, queue, capacity (integers),
 * service-time (microseconds), state (up, drain, down).  A reported
 * figure replaces the collector's for report-ttl; a load is smoothed
 * (dd_smooth_report()).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "dyncastd.h"

#define DD_REPORT_MAX	512

static struct dd_ratelimit dd_rl_report;

static void dd_report_rx(struct dd_fd *w, uint32_t events)
{
	struct dd_ctx *ctx = w->data;
	char buf[DD_REPORT_MAX + 1], name[DD_NAME_MAX], err[128];
	struct dd_figures f;
	int budget;
	ssize_t n;

	(void)events;
	for (budget = 64; budget; budget--) {
		n = recv(ctx->report_sock, buf, sizeof(buf), MSG_TRUNC);
		if (n < 0)
			break;
		if ((size_t)n > DD_REPORT_MAX) {
			snprintf(err, sizeof(err), "longer than %d bytes",
				 DD_REPORT_MAX);
		} else {
			buf[n] = '\0';
			if (!memchr(buf, '\0', n) &&
			    !dd_report_parse(buf, name, sizeof(name), &f, err,
					     sizeof(err))) {
				dd_dma_report(ctx, name, &f);
				continue;
			}
			if (memchr(buf, '\0', n))
				snprintf(err, sizeof(err), "holds a NUL byte");
		}
		ctx->cnt.c[DD_C_BAD_REPORTS]++;
		if (dd_ratelimit(&dd_rl_report, dd_now_ms()))
			dd_warn("report socket: bad report: %s", err);
	}
}

static socklen_t dd_sun(struct sockaddr_un *sun, const char *path)
{
	size_t n = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n);
	if (path[0] == '@')
		sun->sun_path[0] = '\0';
	else
		n++;
	return offsetof(struct sockaddr_un, sun_path) + n;
}

/* A unix socket at @path (or abstract, "@name"), mode 0660. */
int dd_unix_bind(const char *path, int type)
{
	struct sockaddr_un sun;
	socklen_t len = dd_sun(&sun, path);
	int fd, ret;

	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (path[0] != '@')
		unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, len)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (path[0] != '@')
		chmod(path, 0660);
	return fd;
}

int dd_report_init(struct dd_ctx *ctx)
{
	const char *path = ctx->cfg->report;
	int fd;

	ctx->report_sock = -1;
	if (!path[0])
		return 0;
	fd = dd_unix_bind(path, SOCK_DGRAM);
	if (fd < 0) {
		dd_err("cannot open the report socket %s: %s", path, strerror(-fd));
		return fd;
	}
	ctx->report_sock = fd;
	return dd_fd_add(&ctx->loop, &ctx->report_watch, fd, EPOLLIN,
			 dd_report_rx, ctx);
}

void dd_report_exit(struct dd_ctx *ctx)
{
	if (ctx->report_sock < 0)
		return;
	dd_fd_del(&ctx->loop, &ctx->report_watch);
	close(ctx->report_sock);
	ctx->report_sock = -1;
	if (ctx->cfg->report[0] && ctx->cfg->report[0] != '@')
		unlink(ctx->cfg->report);
}
