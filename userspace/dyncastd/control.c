// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: a unix stream socket where "dyncast agent show"
 * asks for the daemon's state.  A client sends one line, "show" or "show
 * KIND"; the daemon answers with a JSON array of objects, each with an
 * "object" key (agent, bgp, neighbor, peer, site, instance, learned,
 * plan), all of them or those of KIND, and closes.  The answer is
 * written one object at a time: it never holds more than one as JSON
 * values besides the text.  Times are in milliseconds (ages: how long
 * ago), RTT and cost in microseconds, loads in per mille.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <jansson.h>

#include "dyncastd.h"

#define DD_CTL_TIMEOUT_MS	2000

const char *const dd_counter_names[DD_C_COUNT] = {
	[DD_C_RX] = "rx",
	[DD_C_TX] = "tx",
	[DD_C_TX_ERRORS] = "tx-errors",
	[DD_C_ANNOUNCES] = "announcements",
	[DD_C_RECORDS] = "records",
	[DD_C_STALE] = "stale",
	[DD_C_DUPLICATES] = "duplicates",
	[DD_C_LOOPS] = "loops",
	[DD_C_UNKNOWN_SERVICE] = "unknown-service",
	[DD_C_TABLE_FULL] = "table-full",
	[DD_C_NOT_ROUTER] = "not-router",
	[DD_C_RELAYED] = "relayed",
	[DD_C_PROBES] = "probes-answered",
	[DD_C_PROBE_REPLIES] = "probe-replies",
	[DD_C_KERNEL_ERRORS] = "kernel-errors",
	[DD_C_REPORTS] = "reports",
	[DD_C_BAD_REPORTS] = "bad-reports",
	[DD_C_REFUSED_REPORTS] = "refused-reports",
	[DD_C_RX_NEXT_KEY] = "next-key",
	[DD_C_CT_READ] = "conntrack-read",
	[DD_C_SOCK_READ] = "sockets-read",
	[DD_C_SVCT_EVENTS] = "service-time-events",
	[DD_C_SVCT_LOST] = "service-time-lost",
	[DD_C_SVCT_UNTRACKED] = "service-time-untracked",
	[DD_C_BGP_COMMANDS] = "bgp-commands",
	[DD_C_BGP_REFUSED] = "bgp-refused",
	[DD_C_BGP_REFUSED_CONN] = "bgp-second-speaker",
	[DD_C_BGP_REFUSED_USER] = "bgp-refused-speakers",
	[DD_C_BGP_PATHS] = "bgp-paths",
	[DD_C_BGP_MALFORMED] = "bgp-malformed",
	[DD_C_WRONG_TRANSPORT] = "wrong-transport",
	[DD_C_KERNEL_REPAIRED] = "kernel-repaired",
	[DD_C_PASSIVE_RTT] = "passive-rtt-samples",
};

static const char *const dd_state_str[] = { "up", "drain", "down" };

static void dd_j_set(json_t *o, const char *key, json_t *v)
{
	if (v)
		json_object_set_new(o, key, v);
}

static json_t *dd_j_id(uint32_t id)
{
	struct in_addr in = { .s_addr = htonl(id) };
	char buf[INET_ADDRSTRLEN];

	return json_string(inet_ntop(AF_INET, &in, buf, sizeof(buf)));
}

static json_t *dd_j_addr(const struct dc_addr *a)
{
	char buf[DC_ADDR_STRLEN];

	return json_string(dc_addr_fmt(a->family, &a->u, buf, sizeof(buf)));
}

static json_t *dd_j_endpoint(const struct dc_addr *a, uint16_t port)
{
	char buf[DC_ADDR_STRLEN];

	dc_addr_fmt(a->family, &a->u, buf, sizeof(buf));
	return json_sprintf(a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", buf,
			    port);
}

static json_t *dd_j_ago(uint64_t now, uint64_t then)
{
	return then ? json_integer(now - then) : NULL;
}

static json_t *dd_j_counters(const struct dd_counters *c, bool all)
{
	json_t *o = json_object();
	unsigned int i;

	for (i = 0; o && i < DD_C_COUNT; i++)
		if (all || c->c[i])
			dd_j_set(o, dd_counter_names[i], json_integer(c->c[i]));
	for (i = 1; o && i < DD_DROP_COUNT; i++)
		if (all || c->drop[i])
			dd_j_set(o, dd_drop_names[i], json_integer(c->drop[i]));
	return o;
}

static void dd_j_service(json_t *o, const struct dd_svc_key *k)
{
	dd_j_set(o, "sid", dd_j_addr(&k->sid));
	dd_j_set(o, "proto", json_string(k->proto == IPPROTO_TCP ? "tcp" : "udp"));
	if (k->port)
		dd_j_set(o, "port", json_integer(k->port));
}

static void dd_j_metrics(json_t *o, const struct dd_record *r, bool with_cost)
{
	static const char *const names[DD_M_COUNT] = {
		[DD_M_WEIGHT] = "weight", [DD_M_CPU] = "cpu",
		[DD_M_GPU] = "gpu", [DD_M_SESSIONS] = "sessions",
		[DD_M_QUEUE] = "queue", [DD_M_CAPACITY] = "capacity",
		[DD_M_COST] = "cost", [DD_M_SITE] = "site",
		[DD_M_SERVICE_TIME] = "service-time",
	};
	unsigned int m;

	for (m = 0; m < DD_M_COUNT; m++)
		if ((r->present & (1u << m)) && (with_cost || m != DD_M_COST))
			dd_j_set(o, names[m], json_integer(r->m[m]));
}

/* a figure in thousandths, an integer */
static json_t *dd_j_milli(double v)
{
	return json_integer(isfinite(v) && fabs(v) < 1e15 ? llround(v * 1e3) : 0);
}

/* what the plan of its service pushes for a learnt instance */
static json_t *dd_j_plan(const struct dd_entry *e)
{
	json_t *o = json_object();

	dd_j_set(o, "weight", json_integer(e->plan.weight));
	dd_j_set(o, "load", json_integer(e->plan.load));
	/* the reported load, not the split's (see dd_plan()) */
	if (e->plan.raised)
		dd_j_set(o, "load-from", json_string("report"));
	dd_j_set(o, "inflight-adjust", json_integer(e->plan.adjust));
	dd_j_set(o, "own-rate", dd_j_milli(e->own_rate));
	if (e->plan.svc_us)
		dd_j_set(o, "service-time", json_integer(e->plan.svc_us));
	return o;
}

/* One object, written and freed: the answer never holds more than one */
void dd_show_put(struct dd_show_out *so, json_t *o)
{
	if (!o || (so->n++ && fputc(',', so->fp) == EOF) ||
	    json_dumpf(o, so->fp, JSON_COMPACT | JSON_PRESERVE_ORDER))
		so->err = true;
	json_decref(o);
}

static void dd_show_agent(struct dd_ctx *ctx, struct dd_show_out *so,
			  uint64_t now)
{
	const struct dd_config *cfg = ctx->cfg;
	json_t *o = json_object();

	dd_j_set(o, "object", json_string("agent"));
	dd_j_set(o, "id", dd_j_id(ctx->id));
	dd_j_set(o, "roles", json_string(cfg->router ?
					 (cfg->n_instances ? "dma router" : "router") :
					 "dma"));
	dd_j_set(o, "listen", dd_j_endpoint(&cfg->listen, cfg->port));
	dd_j_set(o, "uptime", json_integer(now - ctx->started));
	if (cfg->n_instances)
		dd_j_set(o, "last-announce", dd_j_ago(now, ctx->policy.last_sent));
	if (cfg->router) {
		dd_j_set(o, "kernel", json_string(ctx->nl_ready ? "yes" : "no"));
		dd_j_set(o, "learned",
			 json_integer(ctx->entries.n - ctx->n_gone));
	}
	dd_j_set(o, "counters", dd_j_counters(&ctx->cnt, true));
	dd_show_put(so, o);
}

static void dd_status(struct dd_ctx *ctx, struct dd_show_out *so)
{
	uint64_t now = dd_now_ms();
	struct dd_entry *e;
	unsigned int i, b;
	json_t *o;

	if (dd_show_want(so, DC_SHOW_AGENT))
		dd_show_agent(ctx, so, now);
	dd_bgp_status(ctx, so);
	for (i = 0; dd_show_want(so, DC_SHOW_PEER) && i < ctx->n_peers; i++) {
		const struct dd_peer *p = &ctx->peers[i];

		o = json_object();
		dd_j_set(o, "object", json_string("peer"));
		dd_j_set(o, "name", json_string(p->cfg.name));
		dd_j_set(o, "endpoint", dd_j_endpoint(&p->cfg.addr, p->cfg.port));
		if (p->id)
			dd_j_set(o, "id", dd_j_id(p->id));
		dd_j_set(o, "last-rx", dd_j_ago(now, p->last_rx));
		dd_j_set(o, "last-tx", dd_j_ago(now, p->last_tx));
		if (p->rtt.has)
			dd_j_set(o, "rtt", json_integer(p->rtt.srtt_us));
		dd_j_set(o, "probes-lost", json_integer(p->rtt.lost));
		dd_j_set(o, "counters", dd_j_counters(&p->cnt, false));
		dd_show_put(so, o);
	}
	for (i = 0; dd_show_want(so, DC_SHOW_SITE) && i < ctx->n_sites; i++) {
		const struct dd_site *s = ctx->sites[i];

		o = json_object();
		dd_j_set(o, "object", json_string("site"));
		dd_j_set(o, "id", dd_j_id(s->id));
		dd_j_set(o, "address", dd_j_endpoint(&s->addr, s->port));
		if (s->via)
			dd_j_set(o, "via", dd_j_id(s->via));
		dd_j_set(o, "state", json_string(s->down ? "down" : "up"));
		dd_j_set(o, "last-update", dd_j_ago(now, s->last_update));
		dd_j_set(o, "hold", json_integer(s->hold_ms));
		if (s->rtt.has)
			dd_j_set(o, "rtt", json_integer(s->rtt.srtt_us));
		dd_j_set(o, "instances", json_integer(dd_site_instances(s)));
		dd_j_set(o, "updates", json_integer(s->updates));
		dd_show_put(so, o);
	}
	for (i = 0; dd_show_want(so, DC_SHOW_INSTANCE) && i < ctx->n_inst;
	     i++) {
		const struct dd_inst *in = ctx->inst[i];

		if (in->stale)
			continue;
		o = json_object();
		dd_j_set(o, "object", json_string("instance"));
		dd_j_set(o, "name", json_string(in->cfg.name));
		dd_j_service(o, &in->cfg.key.svc);
		dd_j_set(o, "bid", dd_j_addr(&in->cfg.key.bid));
		dd_j_set(o, "state", json_string(dd_state_str[in->now.state]));
		dd_j_set(o, "health", json_string(in->cfg.health == DD_HEALTH_OFF ?
						  "off" : in->healthy ? "up" : "down"));
		dd_j_metrics(o, &in->now, true);
		dd_show_put(so, o);
	}
	for (e = dd_show_want(so, DC_SHOW_LEARNED) ? dd_entry_first(ctx, &b) :
						      NULL;
	     e; e = dd_entry_next(ctx, e, &b)) {
		if (e->gone)
			continue;
		o = json_object();
		dd_j_set(o, "object", json_string("learned"));
		dd_j_service(o, &e->rec.key.svc);
		dd_j_set(o, "bid", dd_j_addr(&e->rec.key.bid));
		dd_j_set(o, "origin", dd_j_id(e->origin));
		dd_j_set(o, "state", json_string(dd_state_str[dd_entry_state(e)]));
		dd_j_metrics(o, &e->rec, false);
		dd_j_set(o, "cost", json_integer(dd_entry_cost(ctx, e)));
		dd_j_set(o, "age", dd_j_ago(now, e->refreshed));
		dd_j_set(o, "kernel", json_string(e->in_kernel ? "yes" : "no"));
		if (e->planned)
			dd_j_set(o, "plan", dd_j_plan(e));
		dd_show_put(so, o);
	}
	for (i = 0; dd_show_want(so, DC_SHOW_PLAN) && i < ctx->n_svc; i++) {
		const struct dd_svc_state *s = &ctx->svc[i];

		if (!s->planned)
			continue;
		o = json_object();
		dd_j_set(o, "object", json_string("plan"));
		dd_j_set(o, "name", json_string(s->cfg.name));
		dd_j_service(o, &s->cfg.key);
		dd_j_set(o, "total-rate", dd_j_milli(s->plan.total));
		dd_j_set(o, "own-share", dd_j_milli(s->plan.own_share));
		if (isfinite(s->plan.mean))
			dd_j_set(o, "mean", json_integer(llround(s->plan.mean * 1e6)));
		dd_j_set(o, "slack", json_integer(s->plan.slack));
		dd_show_put(so, o);
	}
}

/*
 * The clients of both sockets: a request within DD_CTL_TIMEOUT_MS of the
 * connection, then the answer, sent without blocking as the client reads
 * it, within DD_CTL_SEND_MS; past its deadline a client is closed.  A
 * client that reads slowly or not at all costs a place, never the loop.
 */
#define DD_CTL_SEND_MS		5000
#define DD_CTL_DRAIN_MAX	65536

static void dd_ctl_close(struct dd_ctl_client *c)
{
	char junk[1024];
	size_t drained = 0;
	ssize_t n;

	if (c->fd < 0)
		return;
	dd_fd_del(&c->ctx->loop, &c->watch);
	/*
	 * What the client sent and we did not read would make close() send
	 * an RST, which discards what is still to be delivered of the answer
	 */
	shutdown(c->fd, SHUT_WR);
	while (drained < DD_CTL_DRAIN_MAX &&
	       (n = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT)) > 0)
		drained += n;
	close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
}

/* the earliest deadline of the open clients, and the timer armed for it */
static void dd_ctl_timer_arm(struct dd_ctx *ctx)
{
	uint64_t first = 0;
	unsigned int i;

	for (i = 0; i < DD_CTL_CLIENTS; i++) {
		if (ctx->ctl[i].fd >= 0 &&
		    (!first || ctx->ctl[i].deadline < first))
			first = ctx->ctl[i].deadline;
		if (ctx->http[i].fd >= 0 &&
		    (!first || ctx->http[i].deadline < first))
			first = ctx->http[i].deadline;
	}
	if (first)
		dd_timer_arm(&ctx->loop, &ctx->ctl_timer, first);
	else
		dd_timer_cancel(&ctx->ctl_timer);
}

static void dd_ctl_expire(struct dd_timer *t)
{
	struct dd_ctx *ctx = t->data;
	uint64_t now = dd_now_ms();
	unsigned int i;

	for (i = 0; i < DD_CTL_CLIENTS; i++) {
		if (ctx->ctl[i].fd >= 0 && now >= ctx->ctl[i].deadline)
			dd_ctl_close(&ctx->ctl[i]);
		if (ctx->http[i].fd >= 0 && now >= ctx->http[i].deadline)
			dd_ctl_close(&ctx->http[i]);
	}
	dd_ctl_timer_arm(ctx);
}

/* as much of the answer as the socket takes; closed once all is sent */
static void dd_ctl_flush(struct dd_ctl_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->out_off += n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			return;		/* EPOLLOUT brings us back */
		} else {
			break;
		}
	}
	dd_ctl_close(c);
}

/* the answer @text (taken), sent from now on */
static void dd_ctl_reply(struct dd_ctl_client *c, char *text, size_t len)
{
	if (!text) {
		dd_ctl_close(c);
		return;
	}
	c->out = text;
	c->out_len = len;
	c->out_off = 0;
	c->deadline = dd_now_ms() + DD_CTL_SEND_MS;
	if (dd_fd_mod(&c->ctx->loop, &c->watch, EPOLLOUT)) {
		dd_ctl_close(c);
		return;
	}
	dd_ctl_flush(c);
	if (c->fd >= 0)
		dd_ctl_timer_arm(c->ctx);
}

/*
 * The metrics endpoint: GET (or HEAD) /metrics, HTTP/1.0 or 1.1, one
 * request per connection.  Anything else gets its status and no body.
 */
static void dd_http_answer(struct dd_ctl_client *c, bool whole)
{
	char method[8], path[128], version[16], *body = NULL, *text = NULL;
	const char *status = "200 OK";
	size_t blen = 0, len = 0;
	FILE *fp;
	int n = 0;

	c->buf[c->len] = '\0';
	if (!whole) {
		status = "431 Request Header Fields Too Large";
	} else if (sscanf(c->buf, "%7s %127s %15s%n", method, path, version,
			  &n) != 3 || !n ||
		   (strcmp(version, "HTTP/1.0") && strcmp(version, "HTTP/1.1")) ||
		   (c->buf[n] != '\r' && c->buf[n] != '\n')) {
		status = "400 Bad Request";
	} else if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		status = "405 Method Not Allowed";
	} else {
		path[strcspn(path, "?")] = '\0';
		if (strcmp(path, "/metrics"))
			status = "404 Not Found";
	}
	if (status[0] == '2') {
		body = dd_metrics_text(c->ctx, &blen);
		if (!body)
			status = "503 Service Unavailable";
	}
	fp = open_memstream(&text, &len);
	if (fp) {
		fprintf(fp, "HTTP/1.1 %s\r\n"
			"Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
			"Content-Length: %zu\r\n"
			"%s"
			"Connection: close\r\n\r\n",
			status, body ? blen : 0,
			!strncmp(status, "405", 3) ? "Allow: GET, HEAD\r\n" : "");
		if (body && strcmp(method, "HEAD"))
			fwrite(body, 1, blen, fp);
		if (fclose(fp)) {
			free(text);
			text = NULL;
		}
	}
	free(body);
	dd_ctl_reply(c, text, len);
}

/* "show" or "show KIND": the kinds asked for, 0 if neither */
static unsigned int dd_show_parse(const char *req)
{
	unsigned int k;

	if (!strcmp(req, "show"))
		return (1u << __DC_SHOW_MAX) - 1;
	if (strncmp(req, "show ", 5))
		return 0;
	for (k = 0; k < __DC_SHOW_MAX; k++)
		if (!strcmp(req + 5, dc_show_kinds[k]))
			return 1u << k;
	return 0;
}

static void dd_ctl_answer(struct dd_ctl_client *c, bool whole)
{
	struct dd_show_out so = {};
	char *text = NULL;
	size_t len = 0;

	if (c->http) {
		dd_http_answer(c, whole);
		return;
	}
	c->buf[c->len] = '\0';
	c->buf[strcspn(c->buf, "\r\n")] = '\0';
	so.kinds = dd_show_parse(c->buf);
	if (!so.kinds) {
		text = strdup("{\"error\":\"unknown request\"}\n");
		dd_ctl_reply(c, text, text ? strlen(text) : 0);
		return;
	}
	so.fp = open_memstream(&text, &len);
	if (!so.fp) {
		dd_ctl_reply(c, NULL, 0);
		return;
	}
	if (fputc('[', so.fp) == EOF)
		so.err = true;
	dd_status(c->ctx, &so);
	if (fputc(']', so.fp) == EOF)
		so.err = true;
	if (fclose(so.fp) || so.err) {
		free(text);
		text = NULL;
	}
	dd_ctl_reply(c, text, len);
}

/* a request is whole: a line (control), or the end of the headers (HTTP) */
static bool dd_ctl_whole(const struct dd_ctl_client *c)
{
	if (!c->http)
		return memchr(c->buf, '\n', c->len);
	return memmem(c->buf, c->len, "\r\n\r\n", 4) ||
	       memmem(c->buf, c->len, "\n\n", 2);
}

static void dd_ctl_io(struct dd_fd *w, uint32_t events)
{
	struct dd_ctl_client *c = w->data;
	ssize_t n;

	if (c->fd < 0)
		return;
	if (c->out) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			dd_ctl_flush(c);
		return;
	}
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		c->len += n;
	if (n > 0 && dd_ctl_whole(c))
		dd_ctl_answer(c, true);
	else if (c->len == sizeof(c->buf) - 1)
		dd_ctl_answer(c, false);
	else if (n <= 0)
		dd_ctl_answer(c, true);		/* what came before the end */
}

/*
 * The clients of each listener have places of their own: idle
 * connections to the metrics port do not keep "dyncast agent show" out.
 * When all are taken, the one waiting longest for its request makes room.
 */
static void dd_ctl_accept_on(struct dd_ctx *ctx, int sock,
			     struct dd_ctl_client *tbl, bool http)
{
	unsigned int i, idle;
	int fd;

	while ((fd = accept4(sock, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < DD_CTL_CLIENTS; i++)
			if (tbl[i].fd < 0)
				break;
		if (i == DD_CTL_CLIENTS) {
			idle = DD_CTL_CLIENTS;
			for (i = 0; i < DD_CTL_CLIENTS; i++)
				if (!tbl[i].out && (idle == DD_CTL_CLIENTS ||
						    tbl[i].deadline < tbl[idle].deadline))
					idle = i;
			if (idle == DD_CTL_CLIENTS) {
				close(fd);	/* all answering: try again */
				continue;
			}
			dd_ctl_close(&tbl[idle]);
			i = idle;
		}
		tbl[i] = (struct dd_ctl_client){
			.fd = fd, .ctx = ctx,
			.deadline = dd_now_ms() + DD_CTL_TIMEOUT_MS,
			.http = http,
		};
		if (dd_fd_add(&ctx->loop, &tbl[i].watch, fd, EPOLLIN,
			      dd_ctl_io, &tbl[i])) {
			close(fd);
			tbl[i].fd = -1;
		}
	}
	dd_ctl_timer_arm(ctx);
}

static void dd_ctl_accept(struct dd_fd *w, uint32_t events)
{
	struct dd_ctx *ctx = w->data;

	(void)events;
	dd_ctl_accept_on(ctx, ctx->ctl_sock, ctx->ctl, false);
}

static void dd_metrics_accept(struct dd_fd *w, uint32_t events)
{
	struct dd_ctx *ctx = w->data;

	(void)events;
	dd_ctl_accept_on(ctx, ctx->metrics_sock, ctx->http, true);
}

int dd_control_init(struct dd_ctx *ctx)
{
	unsigned int i;
	int fd;

	for (i = 0; i < DD_CTL_CLIENTS; i++)
		ctx->ctl[i].fd = -1;
	ctx->ctl_sock = -1;
	if (!ctx->ctl_timer.cb)
		dd_timer_init(&ctx->ctl_timer, dd_ctl_expire, ctx);
	fd = dd_unix_bind(ctx->cfg->control, SOCK_STREAM, 0660, (gid_t)-1);
	if (fd < 0) {
		dd_err("cannot open the control socket %s: %s", ctx->cfg->control,
		       dd_unix_strerror(fd));
		return fd;
	}
	if (listen(fd, DD_CTL_CLIENTS)) {
		close(fd);
		return -errno;
	}
	ctx->ctl_sock = fd;
	return dd_fd_add(&ctx->loop, &ctx->ctl_watch, fd, EPOLLIN,
			 dd_ctl_accept, ctx);
}

void dd_control_exit(struct dd_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < DD_CTL_CLIENTS; i++)
		if (ctx->ctl[i].fd >= 0)
			dd_ctl_close(&ctx->ctl[i]);
	if (ctx->ctl_sock < 0)
		return;
	dd_fd_del(&ctx->loop, &ctx->ctl_watch);
	close(ctx->ctl_sock);
	ctx->ctl_sock = -1;
	if (ctx->cfg->control[0] != '@')
		unlink(ctx->cfg->control);
}

/* the listener of @cfg's metrics-listen, or -errno (said) */
static int dd_metrics_open(const struct dd_config *cfg)
{
	char buf[DC_ADDR_STRLEN];
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 1, ret;

	dd_sockaddr_from(&ss, &len, &cfg->metrics_addr, cfg->metrics_port);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (!bind(fd, (struct sockaddr *)&ss, len) && !listen(fd, DD_CTL_CLIENTS))
		return fd;
	ret = -errno;
	dd_err("cannot open the metrics endpoint %s port %u (metrics-listen): %s",
	       dc_addr_fmt(cfg->metrics_addr.family, &cfg->metrics_addr.u, buf,
			   sizeof(buf)),
	       cfg->metrics_port, strerror(-ret));
	close(fd);
	return ret;
}

static int dd_metrics_start(struct dd_ctx *ctx, int fd)
{
	int ret;

	ctx->metrics_sock = fd;
	ret = dd_fd_add(&ctx->loop, &ctx->metrics_watch, fd, EPOLLIN,
			dd_metrics_accept, ctx);
	if (ret) {
		close(fd);
		ctx->metrics_sock = -1;
	}
	return ret;
}

/* metrics-listen: a TCP listener for Prometheus, none by default */
int dd_metrics_init(struct dd_ctx *ctx)
{
	unsigned int i;
	int fd;

	ctx->metrics_sock = -1;
	for (i = 0; i < DD_CTL_CLIENTS; i++)
		ctx->http[i].fd = -1;
	if (!ctx->cfg->has_metrics)
		return 0;
	fd = dd_metrics_open(ctx->cfg);
	return fd < 0 ? fd : dd_metrics_start(ctx, fd);
}

/*
 * A reload, ctx->cfg the new configuration: the endpoint moves, comes or
 * goes, or is tried again if it could not be opened before.  The old one
 * stays until the new one is open, unless the new one needs its port.
 */
void dd_metrics_reload(struct dd_ctx *ctx, const struct dd_config *old)
{
	const struct dd_config *cfg = ctx->cfg;
	int fd;

	if (!cfg->has_metrics) {
		dd_metrics_exit(ctx);
		return;
	}
	if (ctx->metrics_sock >= 0 && old->has_metrics &&
	    dd_addr_eq(&old->metrics_addr, &cfg->metrics_addr) &&
	    old->metrics_port == cfg->metrics_port)
		return;
	fd = dd_metrics_open(cfg);
	if (fd == -EADDRINUSE && ctx->metrics_sock >= 0) {
		dd_metrics_exit(ctx);
		fd = dd_metrics_open(cfg);
		if (fd < 0 && old->has_metrics) {
			int ofd = dd_metrics_open(old);

			if (ofd >= 0)
				dd_metrics_start(ctx, ofd);
		}
	}
	if (fd < 0) {
		dd_err("metrics-listen: %s", ctx->metrics_sock >= 0 ?
		       "the old endpoint stays" : "no endpoint; a reload tries again");
		return;
	}
	dd_metrics_exit(ctx);
	dd_metrics_start(ctx, fd);
}

void dd_metrics_exit(struct dd_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < DD_CTL_CLIENTS; i++)
		if (ctx->http[i].fd >= 0)
			dd_ctl_close(&ctx->http[i]);
	if (ctx->metrics_sock < 0)
		return;
	dd_fd_del(&ctx->loop, &ctx->metrics_watch);
	close(ctx->metrics_sock);
	ctx->metrics_sock = -1;
}
