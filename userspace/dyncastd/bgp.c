// SPDX-License-Identifier: GPL-2.0
/*
 * The BGP transport.  ExaBGP runs "dyncastd --exabgp SOCKET" as its API
 * process: that relay joins ExaBGP's pipes to a unix stream socket of
 * ours.  Through it the D-MA role gives ExaBGP the commands that announce
 * and withdraw its instances, and the router role reads the routes
 * ExaBGP receives, as JSON lines, and learns the instances they carry.
 *
 * The D-MA sends a command only when what it announces changes, at the
 * times the update policy allows (dma.c's rounds): unchanged rounds make
 * no BGP UPDATE.  When the speaker (re)connects, everything is announced
 * again and the router asks for a route refresh.
 *
 * A router keeps every path (neighbour, prefix, path identifier) it
 * received; an instance is learnt from the latest path that carries it,
 * and unlearnt when no path carries it any more: withdrawn, its session
 * down, or the speaker gone for longer than the hold time.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "dyncastd.h"

#define DD_BGP_IN_MAX		(1024 * 1024)	/* one JSON line at most */
#define DD_BGP_OUT_MAX		(1024 * 1024)	/* commands not yet taken */
#define DD_BGP_NBRS_MAX		64

static struct dd_ratelimit dd_rl_second;

/* a path the router received */
struct dd_bgp_rpath {
	struct dd_hnode node;		/* by (neighbour, prefix, identifier) */
	struct dd_hnode knode;		/* by the instance it carries */
	struct dd_bgp_path p;
	uint64_t stale_at;		/* ms; 0: fresh.  Stale paths not
					 * announced again within a hold
					 * time are dropped (a speaker or a
					 * session that came back)
					 */
	bool unlearnt;			/* the router had no room for it:
					 * tried again every second
					 */
};

struct dd_bgp_nbr {
	struct dc_addr addr;
	bool up;
	uint64_t since;			/* ms */
	uint64_t updates;
};

struct dd_bgp {
	struct dd_ctx *ctx;
	struct dd_bgp_codec codec;
	char path[DD_SUN_PATH_MAX];
	int lsock, conn;
	struct dd_fd lwatch, cwatch;
	char *in;
	size_t in_len;
	bool in_skip;			/* the rest of a line too long */
	char *out;
	size_t out_len;
	uint64_t connected_at, lost_at;	/* ms */
	uint32_t agent_id;		/* the id our routes carry */
	struct dd_timer sweep, retry;
	/* router */
	struct dd_htab paths, by_key;	/* paths.n of them */
	uint64_t seq;
	struct dd_bgp_nbr nbrs[DD_BGP_NBRS_MAX];
	unsigned int n_nbrs;
};

static uint32_t dd_bgp_hash(const struct dd_bgp_path *p)
{
	uint8_t buf[2 * DD_HASH_ADDR_LEN + sizeof(p->path_id)];
	size_t n = dd_hash_put_addr(buf, &p->peer);

	n += dd_hash_put_addr(buf + n, &p->prefix);
	memcpy(buf + n, &p->path_id, sizeof(p->path_id));
	return dd_hash(buf, n + sizeof(p->path_id));
}

static bool dd_bgp_same_path(const struct dd_bgp_path *a,
			     const struct dd_bgp_path *b)
{
	return dd_addr_eq(&a->peer, &b->peer) &&
	       dd_addr_eq(&a->prefix, &b->prefix) && a->path_id == b->path_id;
}

static struct dd_bgp_rpath *dd_bgp_rpath_of(struct dd_hnode *n)
{
	return n ? dd_htab_entry(n, struct dd_bgp_rpath, node) : NULL;
}

static struct dd_bgp_rpath *dd_bgp_find(struct dd_bgp *b,
					const struct dd_bgp_path *p)
{
	uint32_t h = dd_bgp_hash(p);
	struct dd_hnode *n;

	for (n = dd_htab_chain(&b->paths, h); n; n = n->next)
		if (n->hash == h && dd_bgp_same_path(&dd_bgp_rpath_of(n)->p, p))
			return dd_bgp_rpath_of(n);
	return NULL;
}

/* the walk over every path: @r may be dropped once its successor was taken */
static struct dd_bgp_rpath *dd_bgp_first(struct dd_bgp *b, unsigned int *i)
{
	return dd_bgp_rpath_of(dd_htab_first(&b->paths, i));
}

static struct dd_bgp_rpath *dd_bgp_next(struct dd_bgp *b,
					struct dd_bgp_rpath *r, unsigned int *i)
{
	return dd_bgp_rpath_of(dd_htab_next(&b->paths, &r->node, i));
}

/* --- the router role: paths to instances ---------------------------------- */

#define DD_BGP_RETRY_MS	1000

/*
 * The router learns the instance of @r.  What it has no room for (its
 * sites or instances at their limit) is tried again every second while
 * the path stays, counted as table-full once: BGP says nothing again
 * until the path changes.
 */
static void dd_bgp_learn(struct dd_bgp *b, struct dd_bgp_rpath *r)
{
	struct dd_ctx *ctx = b->ctx;

	if (r->p.agent == ctx->id) {
		/* our own instances, back through a reflector */
		ctx->cnt.c[DD_C_LOOPS]++;
		r->unlearnt = false;
		return;
	}
	r->unlearnt = dd_router_bgp(ctx, &r->p.rec, r->p.agent, &r->p.probe,
				    ++b->seq, r->unlearnt) == -ENOSPC;
	if (r->unlearnt && !b->retry.armed)
		dd_timer_arm(&ctx->loop, &b->retry,
			     dd_now_ms() + DD_BGP_RETRY_MS);
}

static void dd_bgp_retry(struct dd_timer *t)
{
	struct dd_bgp *b = t->data;
	struct dd_bgp_rpath *r;
	unsigned int i;

	for (r = dd_bgp_first(b, &i); r; r = dd_bgp_next(b, r, &i))
		if (r->unlearnt)
			dd_bgp_learn(b, r);
}

/*
 * @old no longer carries its instance: another path may (not one of our
 * own, which the router does not learn), else it goes
 */
static void dd_bgp_unlearn(struct dd_bgp *b, const struct dd_bgp_path *old)
{
	uint32_t h = dd_inst_key_hash(&old->rec.key);
	struct dd_hnode *n;

	if (old->agent == b->ctx->id)
		return;
	for (n = dd_htab_chain(&b->by_key, h); n; n = n->next) {
		struct dd_bgp_rpath *r = dd_htab_entry(n, struct dd_bgp_rpath,
						       knode);

		if (n->hash == h && r->p.agent != b->ctx->id &&
		    dd_inst_key_eq(&r->p.rec.key, &old->rec.key)) {
			dd_bgp_learn(b, r);
			return;
		}
	}
	dd_router_bgp_withdraw(b->ctx, &old->rec.key, old->agent, ++b->seq);
}

/* Drops path @r; with @unlearn, the router hears of it. */
static void dd_bgp_remove(struct dd_bgp *b, struct dd_bgp_rpath *r,
			  bool unlearn)
{
	dd_htab_del(&b->paths, &r->node);
	dd_htab_del(&b->by_key, &r->knode);
	if (unlearn)
		dd_bgp_unlearn(b, &r->p);
	free(r);
}

static void dd_bgp_rx_path(void *data, const struct dd_bgp_path *p)
{
	struct dd_bgp *b = data;
	struct dd_ctx *ctx = b->ctx;
	struct dd_bgp_rpath *r;

	if (!ctx->cfg->router) {
		ctx->cnt.c[DD_C_NOT_ROUTER]++;
		return;
	}
	r = dd_bgp_find(b, p);
	if (p->withdrawn) {
		if (r)
			dd_bgp_remove(b, r, true);
		return;
	}
	ctx->cnt.c[DD_C_ANNOUNCES]++;
	if (r && (!dd_inst_key_eq(&r->p.rec.key, &p->rec.key) ||
		  (p->agent == ctx->id && r->p.agent != ctx->id))) {
		/*
		 * The identifier now names another instance, or one of
		 * ours: the router no longer learns it from this path
		 */
		dd_bgp_remove(b, r, true);
		r = NULL;
	}
	if (!r) {
		if (b->paths.n >= 2 * ctx->cfg->max_instances) {
			ctx->cnt.c[DD_C_TABLE_FULL]++;
			return;
		}
		r = calloc(1, sizeof(*r));
		if (!r)
			return;
		r->p = *p;
		if (dd_htab_add(&b->paths, &r->node, dd_bgp_hash(p))) {
			free(r);
			return;
		}
		if (dd_htab_add(&b->by_key, &r->knode,
				dd_inst_key_hash(&p->rec.key))) {
			dd_htab_del(&b->paths, &r->node);
			free(r);
			return;
		}
	}
	r->p = *p;
	r->stale_at = 0;
	dd_bgp_learn(b, r);
}

/*
 * Every path of @peer; NULL: every path that has been stale for a hold
 * time (all: every path, whatever its state).  The router hears of what
 * it loses when it has the role.
 */
static void dd_bgp_drop_paths(struct dd_bgp *b, const struct dc_addr *peer,
			      bool all)
{
	uint64_t now = dd_now_ms(), hold = b->ctx->cfg->hold_ms;
	bool unlearn = b->ctx->cfg->router;
	struct dd_bgp_rpath *r, *next;
	unsigned int i;

	for (r = dd_bgp_first(b, &i); r; r = next) {
		next = dd_bgp_next(b, r, &i);
		if (all || (peer && dd_addr_eq(&r->p.peer, peer)) ||
		    (!peer && r->stale_at && now - r->stale_at >= hold))
			dd_bgp_remove(b, r, unlearn);
	}
}

/*
 * The paths of @peer (NULL: of every neighbour) go stale: what comes again
 * within a hold time stays, the rest is dropped then.
 */
static void dd_bgp_stale(struct dd_bgp *b, const struct dc_addr *peer)
{
	uint64_t now = dd_now_ms();
	struct dd_bgp_rpath *r;
	unsigned int i;

	for (r = dd_bgp_first(b, &i); r; r = dd_bgp_next(b, r, &i))
		if (!peer || dd_addr_eq(&r->p.peer, peer))
			r->stale_at = now;
	dd_timer_arm(&b->ctx->loop, &b->sweep, now + b->ctx->cfg->hold_ms);
}

static struct dd_bgp_nbr *dd_bgp_nbr(struct dd_bgp *b, const struct dc_addr *a)
{
	unsigned int i;

	for (i = 0; i < b->n_nbrs; i++)
		if (dd_addr_eq(&b->nbrs[i].addr, a))
			return &b->nbrs[i];
	if (b->n_nbrs == DD_BGP_NBRS_MAX)
		return NULL;
	b->nbrs[b->n_nbrs].addr = *a;
	return &b->nbrs[b->n_nbrs++];
}

static void dd_bgp_sweep(struct dd_timer *t)
{
	struct dd_bgp *b = t->data;
	uint64_t first = 0;
	struct dd_bgp_rpath *r;
	unsigned int i;

	dd_bgp_drop_paths(b, NULL, false);
	/* those gone stale since: at their own time */
	for (r = dd_bgp_first(b, &i); r; r = dd_bgp_next(b, r, &i))
		if (r->stale_at && (!first || r->stale_at < first))
			first = r->stale_at;
	if (first)
		dd_timer_arm(&b->ctx->loop, t, first + b->ctx->cfg->hold_ms);
}

/* --- the connection ------------------------------------------------------- */

static void dd_bgp_close(struct dd_bgp *b, const char *why)
{
	struct dd_ctx *ctx = b->ctx;
	unsigned int i;

	if (b->conn < 0)
		return;
	dd_warn("BGP speaker (ExaBGP) disconnected: %s", why);
	dd_fd_del(&ctx->loop, &b->cwatch);
	close(b->conn);
	b->conn = -1;
	b->in_len = b->out_len = 0;
	b->in_skip = false;
	b->lost_at = dd_now_ms();
	for (i = 0; i < b->n_nbrs; i++)
		b->nbrs[i].up = false;
	/*
	 * What the D-MA announced is said again to the next connection
	 * (withdrawals too, for what went meanwhile); what the router
	 * learnt lasts a hold time, unless the next connection brings it.
	 */
	for (i = 0; i < ctx->n_inst; i++)
		ctx->inst[i]->bgp_force = true;
	dd_bgp_stale(b, NULL);
}

static void dd_bgp_flush(struct dd_bgp *b)
{
	ssize_t n;

	while (b->out_len) {
		n = send(b->conn, b->out, b->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			dd_bgp_close(b, n ? strerror(errno) : "closed");
			return;
		}
		memmove(b->out, b->out + n, b->out_len - n);
		b->out_len -= n;
	}
	dd_fd_mod(&b->ctx->loop, &b->cwatch,
		  EPOLLIN | (b->out_len ? EPOLLOUT : 0));
}

/* Queues one command; false if it cannot be given to the speaker. */
static bool dd_bgp_send(struct dd_bgp *b, const char *cmd, size_t len)
{
	if (b->conn < 0)
		return false;
	if (b->out_len + len > DD_BGP_OUT_MAX) {
		b->ctx->cnt.c[DD_C_TX_ERRORS]++;
		dd_bgp_close(b, "it takes no more commands");
		return false;
	}
	memcpy(b->out + b->out_len, cmd, len);
	b->out_len += len;
	b->ctx->cnt.c[DD_C_BGP_COMMANDS]++;
	return true;
}

static void dd_bgp_line(struct dd_bgp *b, char *line)
{
	struct dd_ctx *ctx = b->ctx;
	struct dd_bgp_counts cnt = {};
	struct dd_bgp_nbr *nb;
	struct dc_addr peer;
	char buf[DC_ADDR_STRLEN];

	switch (dd_bgp_parse(&b->codec, line, &peer, dd_bgp_rx_path, b, &cnt)) {
	case DD_BGP_EV_UPDATE:
		ctx->cnt.c[DD_C_BGP_PATHS] += cnt.paths;
		ctx->cnt.c[DD_C_BGP_MALFORMED] += cnt.malformed;
		nb = dd_bgp_nbr(b, &peer);
		if (nb)
			nb->updates++;
		break;
	case DD_BGP_EV_UP:
		nb = dd_bgp_nbr(b, &peer);
		if (nb && !nb->up) {
			nb->up = true;
			nb->since = dd_now_ms();
		}
		/*
		 * A new session sends its whole table again: what it does not
		 * send goes (its "down" may have been lost, a line ExaBGP
		 * wrote that we could not read)
		 */
		dd_bgp_stale(b, &peer);
		dd_info("BGP neighbour %s is up",
			dc_addr_fmt(peer.family, &peer.u, buf, sizeof(buf)));
		break;
	case DD_BGP_EV_DOWN:
		nb = dd_bgp_nbr(b, &peer);
		if (nb && nb->up) {
			nb->up = false;
			nb->since = dd_now_ms();
		}
		dd_warn("BGP neighbour %s is down: its paths are withdrawn",
			dc_addr_fmt(peer.family, &peer.u, buf, sizeof(buf)));
		dd_bgp_drop_paths(b, &peer, false);
		break;
	case DD_BGP_EV_ERROR:
		ctx->cnt.c[DD_C_BGP_REFUSED]++;
		dd_warn("BGP speaker refused a command");
		break;
	case DD_BGP_EV_BAD:
		ctx->cnt.c[DD_C_BGP_MALFORMED]++;
		dd_dbg("BGP speaker: a line not understood: %.80s", line);
		break;
	default:
		break;
	}
}

static void dd_bgp_rx(struct dd_bgp *b)
{
	char *nl, *start;
	ssize_t n;

	for (;;) {
		n = recv(b->conn, b->in + b->in_len, DD_BGP_IN_MAX - b->in_len,
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			dd_bgp_close(b, n ? strerror(errno) : "closed");
			return;
		}
		b->in_len += n;
		start = b->in;
		while ((nl = memchr(start, '\n', b->in + b->in_len - start))) {
			*nl = '\0';
			if (!b->in_skip)
				dd_bgp_line(b, start);
			b->in_skip = false;
			start = nl + 1;
			if (b->conn < 0)
				return;
		}
		b->in_len -= start - b->in;
		memmove(b->in, start, b->in_len);
		if (b->in_len == DD_BGP_IN_MAX) {
			/* a line longer than any update: not ExaBGP's */
			b->ctx->cnt.c[DD_C_BGP_MALFORMED]++;
			b->in_skip = true;
			b->in_len = 0;
		}
	}
}

static void dd_bgp_conn_event(struct dd_fd *w, uint32_t events)
{
	struct dd_bgp *b = w->data;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		dd_bgp_rx(b);
	if (b->conn >= 0 && (events & EPOLLOUT))
		dd_bgp_flush(b);
}

/*
 * What the router may have missed (a new speaker connection, the role
 * taken on): asked again of every neighbour; what does not come again
 * goes a hold time later.
 */
static void dd_bgp_refresh(struct dd_bgp *b)
{
	static const char refresh[] =
		"announce route-refresh ipv4 unicast\n"
		"announce route-refresh ipv6 unicast\n";

	dd_bgp_send(b, refresh, sizeof(refresh) - 1);
	dd_bgp_stale(b, NULL);
}

/*
 * Who may be the speaker on an abstract socket, which has no file mode:
 * root, dyncastd's own user, or a process of socket-group (its
 * credentials' group), as on the file the mode allows.
 */
static bool dd_bgp_peer_allowed(const struct dd_bgp *b, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	uint32_t gid = b->ctx->cfg->bgp_gid;

	if (b->path[0] != '@')
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) ||
	    len < sizeof(cr))
		return false;
	return cr.uid == 0 || cr.uid == geteuid() ||
	       (gid != UINT32_MAX && cr.gid == gid);
}

static void dd_bgp_refuse(struct dd_bgp *b, int fd, enum dd_counter c,
			  const char *who)
{
	close(fd);
	b->ctx->cnt.c[c]++;
	if (dd_ratelimit(&dd_rl_second, dd_now_ms()))
		dd_warn("BGP socket %s: %s refused", b->path, who);
}

static void dd_bgp_accept(struct dd_fd *w, uint32_t events)
{
	struct dd_bgp *b = w->data;
	struct dd_ctx *ctx = b->ctx;
	int fd;

	(void)events;
	fd = accept4(b->lsock, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (!dd_bgp_peer_allowed(b, fd)) {
		dd_bgp_refuse(b, fd, DD_C_BGP_REFUSED_USER,
			      "a speaker of a user not allowed (root, dyncastd's, or socket-group)");
		return;
	}
	/*
	 * One speaker: a second one is refused while the first is there
	 * (two relays on one socket would replace each other for ever); a
	 * speaker that dies closes its relay's connection at once.
	 */
	if (b->conn >= 0) {
		dd_bgp_refuse(b, fd, DD_C_BGP_REFUSED_CONN,
			      "a second speaker (one is connected)");
		return;
	}
	if (dd_fd_add(&ctx->loop, &b->cwatch, fd, EPOLLIN, dd_bgp_conn_event,
		      b)) {
		close(fd);
		return;
	}
	b->conn = fd;
	b->connected_at = dd_now_ms();
	dd_info("BGP speaker (ExaBGP) connected");
	if (ctx->cfg->router)
		dd_bgp_refresh(b);
	dd_bgp_announce(ctx);
}

/* --- the D-MA role: instances to commands --------------------------------- */

/*
 * The ADD-PATH identifier of @in: a hash of our id and the instance, so
 * that agents sharing a speaker do not collide and a restarted agent
 * replaces its own paths; the next free value if one of ours has it.
 */
static uint32_t dd_bgp_path_id(struct dd_ctx *ctx, const struct dd_inst *in)
{
	const struct dd_inst_key *k = &in->cfg.key;
	uint32_t id = DD_FNV_INIT;
	unsigned int i;

	id = dd_fnv(id, &ctx->id, sizeof(ctx->id));
	id = dd_fnv(id, &k->svc.proto, sizeof(k->svc.proto));
	id = dd_fnv(id, &k->svc.port, sizeof(k->svc.port));
	id = dd_addr_fnv(id, &k->bid);
	for (;; id++) {
		if (!id)
			continue;
		for (i = 0; i < ctx->n_inst; i++)
			if (ctx->inst[i] != in && ctx->inst[i]->bgp_path_id == id &&
			    dd_addr_eq(&ctx->inst[i]->cfg.key.svc.sid,
				       &k->svc.sid))
				break;
		if (i == ctx->n_inst)
			return id;
	}
}

/*
 * What dd_announce() decided to say, as BGP: an UPDATE for each instance
 * whose figures moved beyond the update policy's thresholds since the last
 * one (BGP needs no periodic refresh: the session says the route lives),
 * a withdrawal for each instance down or removed.
 */
void dd_bgp_announce(struct dd_ctx *ctx)
{
	struct dd_bgp *b = ctx->bgp;
	const struct dd_config *cfg = ctx->cfg;
	struct dd_bgp_probe probe = {
		.addr = cfg->bgp_probe, .port = cfg->bgp_probe_port,
	};
	char cmd[DD_BGP_CMD_MAX];
	unsigned int i;
	int n;

	if (!b || b->conn < 0)
		return;
	if (b->agent_id != ctx->id) {
		/* our routes carry our id: a new one, everything again */
		b->agent_id = ctx->id;
		for (i = 0; i < ctx->n_inst; i++)
			ctx->inst[i]->bgp_force = true;
	}
	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];

		if (!in->bgp_path_id)
			in->bgp_path_id = dd_bgp_path_id(ctx, in);
		if (in->stale || !in->ever_announced ||
		    in->announced.state == DD_STATE_DOWN) {
			if (!in->bgp_on)
				continue;
			n = dd_bgp_withdraw_cmd(&in->cfg.key, in->bgp_path_id,
						cmd, sizeof(cmd));
			if (n > 0 && dd_bgp_send(b, cmd, n))
				in->bgp_on = false;
			continue;
		}
		if (in->bgp_on && !in->bgp_force &&
		    in->bgp_rec.bid_port == in->announced.bid_port &&
		    !dd_policy_moved(&ctx->cfg->policy, &in->bgp_rec,
				     &in->announced))
			continue;
		n = dd_bgp_announce_cmd(&b->codec, &in->announced,
					in->bgp_path_id, ctx->id, &probe, cmd,
					sizeof(cmd));
		if (n < 0)
			continue;
		if (!dd_bgp_send(b, cmd, n))
			return;
		in->bgp_on = true;
		in->bgp_force = false;
		in->bgp_rec = in->announced;
	}
	if (b->conn >= 0)
		dd_bgp_flush(b);
}

/* --- start, reload, stop -------------------------------------------------- */

static void dd_bgp_free(struct dd_ctx *ctx)
{
	struct dd_bgp *b = ctx->bgp;
	struct dd_bgp_rpath *r, *next;
	unsigned int i;

	if (!b)
		return;
	if (b->conn >= 0) {
		dd_fd_del(&ctx->loop, &b->cwatch);
		close(b->conn);
	}
	if (b->lsock >= 0) {
		dd_fd_del(&ctx->loop, &b->lwatch);
		close(b->lsock);
		if (b->path[0] != '@')
			unlink(b->path);
	}
	dd_timer_cancel(&b->sweep);
	dd_timer_cancel(&b->retry);
	for (r = dd_bgp_first(b, &i); r; r = next) {
		next = dd_bgp_next(b, r, &i);
		free(r);
	}
	dd_htab_destroy(&b->paths);
	dd_htab_destroy(&b->by_key);
	for (i = 0; i < ctx->n_inst; i++)
		ctx->inst[i]->bgp_on = false;
	free(b->in);
	free(b->out);
	free(b);
	ctx->bgp = NULL;
}

static void dd_bgp_codec_of(const struct dd_config *cfg,
			    struct dd_bgp_codec *c)
{
	memset(c, 0, sizeof(*c));
	c->asn = cfg->bgp_asn;
	c->link_bandwidth = cfg->bgp_link_bandwidth;
}

/* The realtime in microseconds: above any sequence of an entry learnt
 * through the agent protocol, whose origins count from theirs.
 */
static uint64_t dd_bgp_seq_start(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int dd_bgp_open(struct dd_ctx *ctx)
{
	const struct dd_config *cfg = ctx->cfg;
	struct dd_bgp *b;
	int ret;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->ctx = ctx;
	b->lsock = b->conn = -1;
	b->seq = dd_bgp_seq_start();
	b->in = malloc(DD_BGP_IN_MAX);
	b->out = malloc(DD_BGP_OUT_MAX);
	dd_timer_init(&b->sweep, dd_bgp_sweep, b);
	dd_timer_init(&b->retry, dd_bgp_retry, b);
	ctx->bgp = b;
	if (!b->in || !b->out) {
		dd_bgp_free(ctx);
		return -ENOMEM;
	}
	dd_bgp_codec_of(cfg, &b->codec);
	snprintf(b->path, sizeof(b->path), "%s", cfg->bgp_socket);
	ret = dd_unix_bind(b->path, SOCK_STREAM,
			   cfg->bgp_gid == UINT32_MAX ? 0600 : 0660,
			   cfg->bgp_gid == UINT32_MAX ? (gid_t)-1 : cfg->bgp_gid);
	if (ret < 0) {
		dd_err("cannot open the BGP socket %s: %s", b->path,
		       dd_unix_strerror(ret));
		b->path[0] = '@';	/* not ours to unlink */
		dd_bgp_free(ctx);
		return ret;
	}
	b->lsock = ret;
	if (listen(b->lsock, 4) ||
	    dd_fd_add(&ctx->loop, &b->lwatch, b->lsock, EPOLLIN,
		      dd_bgp_accept, b)) {
		ret = -errno;
		dd_bgp_free(ctx);
		return ret ? ret : -EINVAL;
	}
	return 0;
}

/*
 * After a (re)load: the socket as configured (a new path, a new socket;
 * a new group, the same socket's), everything said again if the encoding
 * changed, the router's paths asked again if it took the role on.
 */
int dd_bgp_apply(struct dd_ctx *ctx, const struct dd_config *old)
{
	const struct dd_config *cfg = ctx->cfg;
	struct dd_bgp *b = ctx->bgp;
	struct dd_bgp_codec c;
	unsigned int i;

	if (b && (!cfg->bgp || strcmp(cfg->bgp_socket, old->bgp_socket))) {
		dd_bgp_exit(ctx);
		b = NULL;
	}
	if (!cfg->bgp)
		return 0;
	if (!b)
		return dd_bgp_open(ctx);
	if (cfg->bgp_gid != old->bgp_gid && b->path[0] != '@' &&
	    (chown(b->path, (uid_t)-1, cfg->bgp_gid == UINT32_MAX ?
		   getgid() : cfg->bgp_gid) ||
	     chmod(b->path, cfg->bgp_gid == UINT32_MAX ? 0600 : 0660)))
		dd_warn("BGP socket %s: socket-group not changed: %s", b->path,
			strerror(errno));
	if (cfg->router != old->router) {
		/* the router's table was made anew or is gone */
		dd_bgp_drop_paths(b, NULL, true);
		if (cfg->router && b->conn >= 0)
			dd_bgp_refresh(b);
	}
	dd_bgp_codec_of(cfg, &c);
	if (c.asn != b->codec.asn || c.link_bandwidth != b->codec.link_bandwidth ||
	    !dd_addr_eq(&cfg->bgp_probe, &old->bgp_probe) ||
	    cfg->bgp_probe_port != old->bgp_probe_port) {
		b->codec = c;
		/* a changed command replaces the route it announced */
		for (i = 0; i < ctx->n_inst; i++)
			ctx->inst[i]->bgp_force = true;
		dd_bgp_announce(ctx);
	}
	return 0;
}

/* Stopping: our instances withdrawn, if the speaker takes it at once. */
void dd_bgp_exit(struct dd_ctx *ctx)
{
	struct dd_bgp *b = ctx->bgp;
	char cmd[DD_BGP_CMD_MAX];
	unsigned int i;
	int n;

	if (!b)
		return;
	for (i = 0; b->conn >= 0 && i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];

		if (!in->bgp_on)
			continue;
		n = dd_bgp_withdraw_cmd(&in->cfg.key, in->bgp_path_id, cmd,
					sizeof(cmd));
		if (n > 0)
			dd_bgp_send(b, cmd, n);
	}
	if (b->conn >= 0) {
		struct pollfd pfd = { .fd = b->conn, .events = POLLOUT };
		uint64_t until = dd_now_ms() + 1000;

		while (b->conn >= 0 && b->out_len && dd_now_ms() < until &&
		       poll(&pfd, 1, 100) >= 0)
			dd_bgp_flush(b);
	}
	/* what BGP taught the router goes with it (a reload without [bgp]) */
	dd_bgp_drop_paths(b, NULL, true);
	dd_bgp_free(ctx);
}

/* --- status --------------------------------------------------------------- */

void dd_bgp_status(struct dd_ctx *ctx, struct dd_show_out *so)
{
	struct dd_bgp *b = ctx->bgp;
	uint64_t now = dd_now_ms();
	char buf[DC_ADDR_STRLEN];
	unsigned int i;
	json_t *o;

	if (!b)
		return;
	if (dd_show_want(so, DC_SHOW_BGP)) {
		o = json_object();
		json_object_set_new(o, "object", json_string("bgp"));
		json_object_set_new(o, "socket", json_string(b->path));
		json_object_set_new(o, "speaker",
				    json_string(b->conn >= 0 ? "connected" :
						"none"));
		if (b->conn >= 0)
			json_object_set_new(o, "connected",
					    json_integer(now - b->connected_at));
		json_object_set_new(o, "asn", json_integer(b->codec.asn));
		if (ctx->cfg->router)
			json_object_set_new(o, "paths",
					    json_integer(b->paths.n));
		dd_show_put(so, o);
	}
	if (!dd_show_want(so, DC_SHOW_NEIGHBOR))
		return;
	for (i = 0; i < b->n_nbrs; i++) {
		const struct dd_bgp_nbr *nb = &b->nbrs[i];

		o = json_object();
		json_object_set_new(o, "object", json_string("neighbor"));
		json_object_set_new(o, "address",
				    json_string(dc_addr_fmt(nb->addr.family,
							    &nb->addr.u, buf,
							    sizeof(buf))));
		json_object_set_new(o, "state", json_string(nb->up ? "up" :
							     "down"));
		if (nb->since)
			json_object_set_new(o, "since",
					    json_integer(now - nb->since));
		json_object_set_new(o, "updates", json_integer(nb->updates));
		dd_show_put(so, o);
	}
}

/* --- the relay: ExaBGP's API process -------------------------------------- */

#define DD_RELAY_QUEUE_MAX	(4 * DD_BGP_IN_MAX)

/* bytes read, cut into whole lines; and whole lines not yet written */
struct dd_relay_buf {
	char *buf;
	size_t len;
	bool skip;			/* the rest of a line too long */
};

struct dd_relay_queue {
	char *buf;
	size_t len;
};

/* the routes dyncastd announced through the relay, to withdraw if it dies */
#define DD_RELAY_ROUTES_MAX	4096

struct dd_relay_routes {
	char *r[DD_RELAY_ROUTES_MAX];	/* "route P next-hop N path-information I" */
	bool again[DD_RELAY_ROUTES_MAX];	/* announced since it came back */
	unsigned int n;
	bool over;			/* more than that: clear adj-rib out */
};

static void dd_relay_forget(struct dd_relay_routes *rt, unsigned int i)
{
	free(rt->r[i]);
	rt->n--;
	rt->r[i] = rt->r[rt->n];
	rt->again[i] = rt->again[rt->n];
}

/* One of dyncastd's commands (@line, @len bytes, no newline) goes by. */
static void dd_relay_track(struct dd_relay_routes *rt, const char *line,
			   size_t len)
{
	char copy[2 * DD_BGP_CMD_MAX], key[2 * DD_BGP_CMD_MAX];
	char *verb, *word, *prefix = NULL, *hop = NULL, *pid = NULL, *save;
	unsigned int i;

	if (len >= sizeof(copy))
		return;		/* not a command of ours */
	memcpy(copy, line, len);
	copy[len] = '\0';
	verb = strtok_r(copy, " ", &save);
	word = strtok_r(NULL, " ", &save);
	if (!verb || !word || strcmp(word, "route") ||
	    (strcmp(verb, "announce") && strcmp(verb, "withdraw")))
		return;
	prefix = strtok_r(NULL, " ", &save);
	while ((word = strtok_r(NULL, " ", &save))) {
		if (!strcmp(word, "next-hop"))
			hop = strtok_r(NULL, " ", &save);
		else if (!strcmp(word, "path-information"))
			pid = strtok_r(NULL, " ", &save);
	}
	if (!prefix || !hop || !pid)
		return;
	snprintf(key, sizeof(key), "route %s next-hop %s path-information %s",
		 prefix, hop, pid);
	for (i = 0; i < rt->n; i++) {
		/* the same path: its prefix and identifier */
		const char *p = rt->r[i] + strlen("route ");

		if (!strncmp(p, prefix, strlen(prefix)) &&
		    p[strlen(prefix)] == ' ' &&
		    !strcmp(strrchr(rt->r[i], ' ') + 1, pid))
			break;
	}
	if (!strcmp(verb, "withdraw")) {
		if (i < rt->n)
			dd_relay_forget(rt, i);
		return;
	}
	if (i < rt->n) {
		free(rt->r[i]);
	} else if (rt->n == DD_RELAY_ROUTES_MAX) {
		rt->over = true;
		return;
	} else {
		i = rt->n++;
	}
	rt->again[i] = true;
	rt->r[i] = strdup(key);
	if (!rt->r[i]) {
		dd_relay_forget(rt, i);
		rt->over = true;
	}
}

static bool dd_relay_queue_add(struct dd_relay_queue *q, const char *p,
			       size_t len)
{
	if (q->len + len > DD_RELAY_QUEUE_MAX)
		return false;
	memcpy(q->buf + q->len, p, len);
	q->len += len;
	return true;
}

/*
 * What dyncastd announced and did not announce again since it came back
 * (@all: everything, it is gone), withdrawn; queued for ExaBGP.
 */
static void dd_relay_withdraw(struct dd_relay_routes *rt,
			      struct dd_relay_queue *q, bool all)
{
	static const char clear[] = "clear adj-rib out\n";
	char line[2 * DD_BGP_CMD_MAX + 16];
	unsigned int i = 0;

	while (i < rt->n) {
		int n;

		if (!all && rt->again[i]) {
			i++;
			continue;
		}
		n = snprintf(line, sizeof(line), "withdraw %s\n", rt->r[i]);
		if (n > 0 && (size_t)n < sizeof(line))
			dd_relay_queue_add(q, line, n);
		dd_relay_forget(rt, i);
	}
	if (all && rt->over)
		dd_relay_queue_add(q, clear, sizeof(clear) - 1);
	if (all)
		rt->over = false;
}

/*
 * Reads what @fd has; each whole line goes to @q (dropped when @q is NULL
 * or full: the return then says so), and to @rt's tracking.  Returns -1
 * at the end of @fd or on its error (errno 0 for the end), 1 if a line
 * found no room, 0 otherwise.
 */
static int dd_relay_read(int fd, struct dd_relay_buf *rb,
			 struct dd_relay_queue *q, struct dd_relay_routes *rt)
{
	char *nl, *start;
	int ret = 0;
	ssize_t n;

	n = read(fd, rb->buf + rb->len, DD_BGP_IN_MAX - rb->len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		if (!n)
			errno = 0;
		return -1;
	}
	rb->len += n;
	start = rb->buf;
	while ((nl = memchr(start, '\n', rb->buf + rb->len - start))) {
		size_t len = nl + 1 - start;

		if (!rb->skip && q) {
			if (rt)
				dd_relay_track(rt, start, len - 1);
			if (!dd_relay_queue_add(q, start, len))
				ret = 1;
		}
		rb->skip = false;
		start = nl + 1;
	}
	rb->len -= start - rb->buf;
	memmove(rb->buf, start, rb->len);
	if (rb->len == DD_BGP_IN_MAX) {
		rb->skip = true;
		rb->len = 0;
	}
	return ret;
}

/* Writes what @fd takes of @q; -1 on an error. */
static int dd_relay_write(int fd, struct dd_relay_queue *q)
{
	ssize_t n;

	while (q->len) {
		n = write(fd, q->buf, q->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		memmove(q->buf, q->buf + n, q->len - n);
		q->len -= n;
	}
	return 0;
}

static int dd_relay_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	int fd;

	memcpy(sun.sun_path, path, strlen(path));
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	else
		len++;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, len) ||
	    fcntl(fd, F_SETFL, O_NONBLOCK)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * "dyncastd --exabgp SOCKET": run by ExaBGP as its API process.  Lines
 * from ExaBGP go to dyncastd's socket, lines from there to ExaBGP.  Nothing
 * blocks: ExaBGP writes to its API process with a blocking write and
 * reads from it only between writes, so the relay always reads ExaBGP,
 * and queues (bounded) what the other side does not take yet.  While
 * dyncastd is not there, or takes nothing for a queue's worth, ExaBGP's
 * lines are dropped (and the connection closed: dyncastd asks for a route
 * refresh when it connects again); the relay connects again each second.
 * If dyncastd stays away for @grace_ms, the relay withdraws the routes
 * dyncastd announced through it (it keeps their list, up to 4096 routes;
 * beyond, "clear adj-rib out"), so that the routes of an agent that died
 * do not stay; when it comes back, what it has not announced again
 * within @grace_ms (an instance no longer configured) is withdrawn.  Ends
 * when ExaBGP closes its end.
 *
 * Not "clear adj-rib out" alone: ExaBGP 4.2 holds that command's
 * withdrawals back for ever when the session has route-refresh, which a
 * router's speaker needs; and it would withdraw the operator's own routes
 * too.
 */
int dd_exabgp_relay(const char *path, uint32_t grace_ms)
{
	static struct dd_relay_routes routes;
	struct dd_relay_buf up = {}, down = {};
	struct dd_relay_queue to_dd = {}, to_exa = {};
	uint64_t lost = dd_now_ms(), tried = 0, back = 0;
	bool cleared = true;
	int sock = -1, ret = 1;

	if (!*path || strlen(path) >= DD_SUN_PATH_MAX) {
		fprintf(stderr, "dyncastd: --exabgp: socket path \"%s\" is not valid\n",
			path);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (fcntl(STDIN_FILENO, F_SETFL, O_NONBLOCK) ||
	    fcntl(STDOUT_FILENO, F_SETFL, O_NONBLOCK)) {
		perror("dyncastd: --exabgp: standard input and output");
		return 1;
	}
	up.buf = malloc(DD_BGP_IN_MAX);
	down.buf = malloc(DD_BGP_IN_MAX);
	to_dd.buf = malloc(DD_RELAY_QUEUE_MAX);
	to_exa.buf = malloc(DD_RELAY_QUEUE_MAX);
	if (!up.buf || !down.buf || !to_dd.buf || !to_exa.buf)
		goto out;
	for (;;) {
		/* dyncastd is read only while ExaBGP's queue has room */
		bool room = to_exa.len + DD_BGP_IN_MAX <= DD_RELAY_QUEUE_MAX;
		struct pollfd pfd[3] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = STDOUT_FILENO,
			  .events = to_exa.len ? POLLOUT : 0 },
			{ .fd = sock,
			  .events = (room ? POLLIN : 0) |
				    (to_dd.len ? POLLOUT : 0) },
		};
		uint64_t now = dd_now_ms();
		int r;

		if (sock < 0 && now - tried >= 1000) {
			tried = now;
			sock = dd_relay_connect(path);
			if (sock >= 0) {
				unsigned int i;

				down.len = 0;
				down.skip = false;
				to_dd.len = 0;
				cleared = false;
				back = now;
				for (i = 0; i < routes.n; i++)
					routes.again[i] = false;
				/* a line ExaBGP was in the middle of is not
				 * dyncastd's to see
				 */
				up.skip = up.len > 0;
				up.len = 0;
				continue;
			}
		}
		if (sock < 0 && !cleared && now - lost >= grace_ms) {
			dd_relay_withdraw(&routes, &to_exa, true);
			cleared = true;
		}
		if (sock >= 0 && back && now - back >= grace_ms) {
			dd_relay_withdraw(&routes, &to_exa, false);
			back = 0;
		}
		if (poll(pfd, 3, to_exa.len ? 100 : 1000) < 0 && errno != EINTR)
			goto out;
		if (pfd[0].revents) {
			r = dd_relay_read(STDIN_FILENO, &up,
					  sock >= 0 ? &to_dd : NULL, NULL);
			if (r < 0) {
				ret = errno ? 1 : 0;	/* ExaBGP is gone */
				goto out;
			}
			if (r > 0) {
				/* dyncastd takes nothing: it will ask again */
				close(sock);
				sock = -1;
				lost = dd_now_ms();
				to_dd.len = 0;
			}
		}
		if (pfd[1].revents && dd_relay_write(STDOUT_FILENO, &to_exa))
			goto out;	/* ExaBGP takes no more */
		if (sock >= 0 && pfd[2].revents) {
			r = 0;
			if (pfd[2].revents & POLLOUT)
				r = dd_relay_write(sock, &to_dd);
			if (!r && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)))
				r = dd_relay_read(sock, &down, &to_exa, &routes);
			if (r) {
				close(sock);
				sock = -1;
				lost = dd_now_ms();
				to_dd.len = 0;
			}
		}
	}
out:
	if (sock >= 0)
		close(sock);
	free(up.buf);
	free(down.buf);
	free(to_dd.buf);
	free(to_exa.buf);
	return ret;
}
