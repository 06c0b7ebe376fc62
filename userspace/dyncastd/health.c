// SPDX-License-Identifier: GPL-2.0
/*
 * Health checks of local instances: a TCP connection, or an HTTP GET whose
 * status must be 2xx or 3xx, within health-timeout, every health-interval.
 * A healthy instance is down after health-fall failures in a row; a down
 * one is up again after health-rise successes in a row.  A new instance
 * is down until its first check succeeds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "dyncastd.h"

static uint16_t dd_health_port(const struct dd_inst *in)
{
	if (in->cfg.health_port)
		return in->cfg.health_port;
	if (in->cfg.bid_port)
		return in->cfg.bid_port;
	return in->cfg.key.svc.port;
}

static void dd_health_close(struct dd_ctx *ctx, struct dd_inst *in)
{
	if (in->hc_fd < 0)
		return;
	dd_fd_del(&ctx->loop, &in->hc_watch);
	close(in->hc_fd);
	in->hc_fd = -1;
}

static void dd_health_result(struct dd_inst *in, bool ok, const char *why)
{
	struct dd_ctx *ctx = in->ctx;
	uint64_t started = in->hc_deadline - in->cfg.health_timeout_ms;

	dd_health_close(ctx, in);
	if (ok) {
		in->succ++;
		in->fail = 0;
		/*
		 * A new instance is up at its first check that passes: its
		 * first announcement, before any check ended, said it down,
		 * so that what was announced cannot tell
		 */
		if (!in->healthy && (in->succ >= in->cfg.health_rise ||
				     !in->hc_was_up ||
				     in->announced.state != DD_STATE_DOWN)) {
			in->healthy = true;
			in->hc_was_up = true;
			dd_info("instance %s: health check passes, up", in->cfg.name);
			dd_dma_update(ctx, in);
		}
	} else {
		in->fail++;
		in->succ = 0;
		if (in->healthy && in->fail >= in->cfg.health_fall) {
			in->healthy = false;
			dd_warn("instance %s: health check failed %u times (%s), down",
				in->cfg.name, in->fail, why);
			dd_dma_update(ctx, in);
		}
	}
	dd_timer_arm(&ctx->loop, &in->hc_timer,
		     started + in->cfg.health_interval_ms);
}

static void dd_health_io(struct dd_fd *w, uint32_t events)
{
	struct dd_inst *in = w->data;
	char req[DD_CMD_MAX + 128], host[DC_ADDR_STRLEN];
	socklen_t len = sizeof(int);
	int err = 0, n;
	ssize_t r;

	if (!in->hc_sent) {
		if (getsockopt(in->hc_fd, SOL_SOCKET, SO_ERROR, &err, &len) ||
		    err) {
			dd_health_result(in, false, strerror(err ? err : errno));
			return;
		}
		if (in->cfg.health == DD_HEALTH_TCP) {
			dd_health_result(in, true, NULL);
			return;
		}
		dc_addr_fmt(in->cfg.key.bid.family, &in->cfg.key.bid.u, host,
			    sizeof(host));
		n = snprintf(req, sizeof(req),
			     "GET %s HTTP/1.0\r\nHost: %s%s%s\r\nUser-Agent: dyncastd/%s\r\nConnection: close\r\n\r\n",
			     in->cfg.health_path,
			     in->cfg.key.bid.family == AF_INET6 ? "[" : "", host,
			     in->cfg.key.bid.family == AF_INET6 ? "]" : "",
			     DD_VERSION);
		if (n < 0 || (size_t)n >= sizeof(req) ||
		    send(in->hc_fd, req, n, MSG_NOSIGNAL) != n) {
			dd_health_result(in, false, "cannot send the request");
			return;
		}
		in->hc_sent = true;
		in->hc_len = 0;
		dd_fd_mod(&in->ctx->loop, &in->hc_watch, EPOLLIN);
		return;
	}
	r = recv(in->hc_fd, in->hc_buf + in->hc_len,
		 sizeof(in->hc_buf) - in->hc_len, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r > 0)
		in->hc_len += r;
	if (r > 0 && in->hc_len < sizeof(in->hc_buf) &&
	    !memchr(in->hc_buf, '\n', in->hc_len))
		return;
	n = dd_http_status(in->hc_buf, in->hc_len);
	if (n >= 200 && n < 400) {
		dd_health_result(in, true, NULL);
	} else {
		snprintf(req, sizeof(req), n < 0 ? "no HTTP status" : "HTTP status %d",
			 n);
		dd_health_result(in, false, req);
	}
	(void)events;
}

static void dd_health_timer(struct dd_timer *t)
{
	struct dd_inst *in = t->data;
	struct dd_ctx *ctx = in->ctx;
	struct sockaddr_storage ss;
	socklen_t len;
	uint16_t port;
	int fd;

	if (in->hc_fd >= 0) {
		dd_health_result(in, false, "timeout");
		return;
	}
	in->hc_deadline = dd_now_ms() + in->cfg.health_timeout_ms;
	in->hc_sent = false;
	fd = socket(in->cfg.key.bid.family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		dd_health_result(in, false, strerror(errno));
		return;
	}
	in->hc_fd = fd;
	dd_sockaddr_from(&ss, &len, &in->cfg.key.bid, dd_health_port(in));
	if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		dd_health_result(in, false, strerror(errno));
		return;
	}
	/*
	 * its end, bound by connect(): the check's connection is neither a
	 * session of the instance nor a demand of its service time
	 * (sessions.c), even from events read after the next checks
	 */
	len = sizeof(ss);
	if (!getsockname(fd, (struct sockaddr *)&ss, &len)) {
		dd_addr_from_sockaddr(&ss, &in->hc_addr, &port);
		in->hc_ports[in->hc_next++ % DD_HC_PORTS] = port;
	}
	if (dd_fd_add(&ctx->loop, &in->hc_watch, fd, EPOLLOUT, dd_health_io,
		      in)) {
		dd_health_result(in, false, "cannot watch the socket");
		return;
	}
	dd_timer_arm(&ctx->loop, &in->hc_timer, in->hc_deadline);
}

void dd_health_start(struct dd_ctx *ctx, struct dd_inst *in)
{
	if (in->cfg.health == DD_HEALTH_OFF)
		return;
	dd_timer_init(&in->hc_timer, dd_health_timer, in);
	dd_timer_arm(&ctx->loop, &in->hc_timer, dd_now_ms());
}

void dd_health_stop(struct dd_ctx *ctx, struct dd_inst *in)
{
	dd_timer_cancel(&in->hc_timer);
	dd_health_close(ctx, in);
}
