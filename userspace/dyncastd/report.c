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

/*
 * On an abstract socket, which has no file mode, a report is taken from
 * root, from dyncastd's own user, or from a process of report-group (its
 * credentials' group: its primary one, or one it names in them)
 */
static bool dd_report_allowed(const struct dd_ctx *ctx, struct msghdr *msg)
{
	struct cmsghdr *c;
	struct ucred cr;

	if (ctx->cfg->report[0] != '@')
		return true;
	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SCM_CREDENTIALS ||
		    c->cmsg_len < CMSG_LEN(sizeof(cr)))
			continue;
		memcpy(&cr, CMSG_DATA(c), sizeof(cr));
		return cr.uid == 0 || cr.uid == geteuid() ||
		       (ctx->cfg->has_report_gid && cr.gid == ctx->cfg->report_gid);
	}
	return false;
}

/* Descriptors a sender passed (SCM_RIGHTS) are closed: nothing wants them */
static void dd_report_drop_fds(struct msghdr *msg)
{
	struct cmsghdr *c;
	size_t i, n;
	int fd;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			close(fd);
		}
	}
}

static void dd_report_rx(struct dd_fd *w, uint32_t events)
{
	struct dd_ctx *ctx = w->data;
	char buf[DD_REPORT_MAX + 1], name[DD_NAME_MAX], err[128];
	union {
		/* credentials, and room for descriptors, to close them */
		char buf[CMSG_SPACE(sizeof(struct ucred)) +
			 CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct dd_figures f;
	int budget;
	ssize_t n;

	(void)events;
	for (budget = 64; budget; budget--) {
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		n = recvmsg(ctx->report_sock, &msg, MSG_TRUNC | MSG_CMSG_CLOEXEC);
		if (n < 0)
			break;
		dd_report_drop_fds(&msg);
		if (!dd_report_allowed(ctx, &msg)) {
			ctx->cnt.c[DD_C_REFUSED_REPORTS]++;
			if (dd_ratelimit(&dd_rl_report, dd_now_ms()))
				dd_warn("report socket: a report from a user not allowed (root, dyncastd's, or report-group)");
			continue;
		}
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

/*
 * Whether the socket file at @sun is another process's, still open: a
 * connection to it is anything but refused (taken, its queue full, another
 * user's, another type).  A file left behind refuses it.
 */
static bool dd_unix_live(const struct sockaddr_un *sun, socklen_t len,
			 int type)
{
	int fd, ret;

	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ret = connect(fd, (const struct sockaddr *)sun, len);
	/* only a refusal (or a file gone meanwhile) says nobody is there */
	if (ret)
		ret = errno == ECONNREFUSED || errno == ENOENT ? -errno : 0;
	close(fd);
	return !ret;
}

/*
 * A unix socket at @path (or abstract, "@name"), of @mode and @gid (-1:
 * ours).  A socket file that another process still serves, such as a
 * running dyncastd, is not taken over: -EADDRINUSE, as for an abstract
 * name in use; a file there that is not a socket is left too (-EEXIST).
 */
int dd_unix_bind(const char *path, int type, mode_t mode, gid_t gid)
{
	struct sockaddr_un sun;
	socklen_t len = dd_sun(&sun, path);
	struct stat st;
	int fd, ret;

	/* the unit's RuntimeDirectory=, when started otherwise */
	if (!strncmp(path, DD_RUN_DIR "/", strlen(DD_RUN_DIR) + 1)) {
		if (!mkdir(DD_RUN_DIR, 0755))
			chmod(DD_RUN_DIR, 0755);	/* whatever the umask */
		else if (errno != EEXIST)
			return -errno;
	}
	if (path[0] != '@' && !lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (dd_unix_live(&sun, len, type))
			return -EADDRINUSE;
		unlink(path);
	}
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, len)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (path[0] != '@' &&
	    ((gid != (gid_t)-1 && chown(path, (uid_t)-1, gid)) ||
	     chmod(path, mode))) {
		ret = -errno;
		unlink(path);
		close(fd);
		return ret;
	}
	return fd;
}

/* What a bind error means to the operator */
const char *dd_unix_strerror(int err)
{
	switch (err) {
	case -EADDRINUSE:
		return "in use by another program (a dyncastd running?)";
	case -EEXIST:
		return "a file that is not a socket is in the way";
	default:
		return strerror(-err);
	}
}

int dd_report_init(struct dd_ctx *ctx)
{
	const struct dd_config *cfg = ctx->cfg;
	const char *path = cfg->report;
	int fd, on = 1;

	ctx->report_sock = -1;
	if (!path[0])
		return 0;
	fd = dd_unix_bind(path, SOCK_DGRAM, cfg->report_mode,
			  cfg->has_report_gid ? cfg->report_gid : (gid_t)-1);
	if (fd < 0) {
		dd_err("cannot open the report socket %s: %s", path,
		       dd_unix_strerror(fd));
		return fd;
	}
	/* an abstract socket has no file mode: the sender's credentials */
	if (path[0] == '@' &&
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on))) {
		dd_err("report socket %s: SO_PASSCRED: %s", path, strerror(errno));
		close(fd);
		return -EINVAL;
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
