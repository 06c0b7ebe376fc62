// SPDX-License-Identifier: GPL-2.0
/*
 * The agents' UDP socket: what every message goes through on its way in
 * (checks, authentication, replay window, decoding) and out (sequence
 * number, MAC); the configured peers; round-trip probes.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sodium.h>

#include "dyncastd.h"

static struct dd_ratelimit dd_rl_drop[DD_DROP_COUNT];

void dd_sockaddr_from(struct sockaddr_storage *ss, socklen_t *len,
		      const struct dc_addr *a, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = a->u.in;
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = a->u.in6;
		*len = sizeof(*sin6);
	}
}

/* IPv4-mapped IPv6 addresses come back as IPv4. */
void dd_addr_from_sockaddr(const struct sockaddr_storage *ss,
			   struct dc_addr *a, uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		a->family = AF_INET;
		a->u.in = sin->sin_addr;
		*port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		*port = ntohs(sin6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			a->family = AF_INET;
			memcpy(&a->u.in, &sin6->sin6_addr.s6_addr[12], 4);
		} else {
			a->family = AF_INET6;
			a->u.in6 = sin6->sin6_addr;
		}
	}
}

/* An IPv4 destination on an IPv6 socket: as a mapped address. */
static void dd_sockaddr_for_sock(const struct dd_ctx *ctx,
				 struct sockaddr_storage *ss, socklen_t *len,
				 const struct dc_addr *a, uint16_t port)
{
	struct dc_addr mapped;

	if (ctx->cfg->listen.family == AF_INET6 && a->family == AF_INET) {
		memset(&mapped, 0, sizeof(mapped));
		mapped.family = AF_INET6;
		mapped.u.in6.s6_addr[10] = 0xff;
		mapped.u.in6.s6_addr[11] = 0xff;
		memcpy(&mapped.u.in6.s6_addr[12], &a->u.in, 4);
		a = &mapped;
	}
	dd_sockaddr_from(ss, len, a, port);
}

struct dd_peer *dd_peer_by_addr(struct dd_ctx *ctx, const struct dc_addr *a,
				uint16_t port)
{
	unsigned int i;

	for (i = 0; i < ctx->n_peers; i++)
		if (dd_addr_eq(&ctx->peers[i].cfg.addr, a) &&
		    ctx->peers[i].cfg.port == port)
			return &ctx->peers[i];
	return NULL;
}

int dd_send(struct dd_ctx *ctx, struct dd_msg *msg,
	    const struct sockaddr_storage *to, socklen_t tolen)
{
	uint8_t buf[DD_MSG_MAX];
	int len;

	msg->sender = ctx->id;
	msg->seq = ctx->seq++;
	len = dd_msg_encode(msg, ctx->cfg->key, buf, sizeof(buf));
	if (len < 0) {
		dd_err("cannot encode a message of type %u", msg->type);
		return -EMSGSIZE;
	}
	if (sendto(ctx->sock, buf, len, 0, (const struct sockaddr *)to,
		   tolen) < 0) {
		ctx->cnt.c[DD_C_TX_ERRORS]++;
		return -errno;
	}
	ctx->cnt.c[DD_C_TX]++;
	return 0;
}

/*
 * To @addr, a configured peer or an origin: a message names its receiver
 * (DD_T_TO) when its id is known, so that it cannot be played to another;
 * a peer's only while it was heard from within three probe intervals and
 * a second (one that restarted with a new id drops what names the old:
 * it is heard again, and named anew, once it answers a probe that names
 * no one).
 */
int dd_send_addr(struct dd_ctx *ctx, struct dd_msg *msg,
		 const struct dc_addr *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	struct dd_peer *peer;
	socklen_t len;
	int ret;

	peer = dd_peer_by_addr(ctx, addr, port);
	if (!msg->to && peer && peer->id &&
	    dd_now_ms() - peer->last_rx < 3 * (uint64_t)ctx->cfg->probe_ms + 1000)
		msg->to = peer->id;
	dd_sockaddr_for_sock(ctx, &ss, &len, addr, port);
	ret = dd_send(ctx, msg, &ss, len);
	if (peer && !ret) {
		peer->last_tx = dd_now_ms();
		peer->cnt.c[DD_C_TX]++;
	}
	return ret;
}

/*
 * A probe; with @tag >= 0, its identifier's low DD_SITE_HASH_BITS bits
 * are @tag, so that the answer finds its site at once (router.c)
 */
void dd_probe(struct dd_ctx *ctx, struct dd_rtt *r, const struct dc_addr *a,
	      uint16_t port, uint32_t to, int tag)
{
	const uint32_t mask = (1u << DD_SITE_HASH_BITS) - 1;
	struct dd_msg *msg;

	msg = calloc(1, sizeof(*msg));
	if (!msg)
		return;
	do {
		msg->probe_id = randombytes_random();
		if (tag >= 0)
			msg->probe_id = (msg->probe_id & ~mask) | (tag & mask);
	} while (!msg->probe_id);
	msg->probe_time = dd_now_us();
	msg->type = DD_MSG_PROBE;
	msg->to = to;
	dd_rtt_sent(r, msg->probe_id, msg->probe_time);
	dd_send_addr(ctx, msg, a, port);
	free(msg);
}

static void dd_probe_timer(struct dd_timer *t)
{
	struct dd_ctx *ctx = t->data;
	unsigned int i;

	for (i = 0; i < ctx->n_peers; i++)
		dd_probe(ctx, &ctx->peers[i].rtt, &ctx->peers[i].cfg.addr,
			 ctx->peers[i].cfg.port, 0, -1);
	if (ctx->cfg->router)
		for (i = 0; i < ctx->n_sites; i++)
			dd_site_probe(ctx, ctx->sites[i]);
	dd_timer_arm(&ctx->loop, t, dd_now_ms() + ctx->cfg->probe_ms);
}

static void dd_probe_answer(struct dd_ctx *ctx, const struct dd_msg *in,
			    const struct sockaddr_storage *from,
			    socklen_t fromlen)
{
	struct dd_msg *msg = calloc(1, sizeof(*msg));

	if (!msg)
		return;
	msg->type = DD_MSG_PROBE_REPLY;
	msg->to = in->sender;
	msg->probe_id = in->probe_id;
	msg->probe_time = in->probe_time;
	if (!dd_send(ctx, msg, from, fromlen))
		ctx->cnt.c[DD_C_PROBES]++;
	free(msg);
}

static void dd_probe_reply(struct dd_ctx *ctx, const struct dd_msg *msg)
{
	uint64_t now = dd_now_us();
	unsigned int i;

	for (i = 0; i < ctx->n_peers; i++)
		if (dd_rtt_answer(&ctx->peers[i].rtt, msg->probe_id,
				  msg->probe_time, now))
			ctx->cnt.c[DD_C_PROBE_REPLIES]++;
	if (ctx->cfg->router)
		dd_router_probe_reply(ctx, msg, now);
}

/* The replay window of @id; a new one replaces the longest silent. */
static struct dd_sender *dd_sender_get(struct dd_ctx *ctx, uint32_t id)
{
	struct dd_sender *s, *free_slot = NULL, *oldest = NULL;
	unsigned int i;

	for (i = 0; i < DD_SENDERS_MAX; i++) {
		s = &ctx->senders[i];
		if (!s->used) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (s->id == id)
			return s;
		if (!oldest || s->last < oldest->last)
			oldest = s;
	}
	s = free_slot ? free_slot : oldest;
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->id = id;
	return s;
}

/*
 * Sends @n records of origin @o to @addr, in as many messages as they
 * need.  Returns the number of messages that could not be sent.
 */
int dd_send_origin(struct dd_ctx *ctx, const struct dd_origin *o,
		   const struct dd_record *recs, unsigned int n,
		   const struct dc_addr *addr, uint16_t port)
{
	size_t head = dd_origin_size(o), room = 0;
	struct dd_msg *msg;
	unsigned int i = 0;
	int failed = 0;

	msg = calloc(1, sizeof(*msg));
	if (!msg)
		return 1;
	do {
		memset(msg, 0, sizeof(*msg));
		msg->type = DD_MSG_ANNOUNCE;
		msg->n_origins = 1;
		msg->origins[0] = *o;
		room = DD_MSG_ROOM - head;
		for (; i < n && msg->n_records < DD_RECORDS_MAX; i++) {
			size_t sz = dd_record_size(&recs[i]);

			if (sz > room)
				break;
			room -= sz;
			msg->records[msg->n_records++] = recs[i];
		}
		if (dd_send_addr(ctx, msg, addr, port))
			failed++;
	} while (i < n);
	free(msg);
	return failed;
}

static void dd_drop(struct dd_ctx *ctx, struct dd_peer *peer,
		    enum dd_drop why, const struct dc_addr *from,
		    uint16_t port, size_t len)
{
	char buf[DC_ADDR_STRLEN];

	ctx->cnt.drop[why]++;
	if (peer)
		peer->cnt.drop[why]++;
	if (dd_ratelimit(&dd_rl_drop[why], dd_now_ms()))
		dd_warn("dropped a message of %zu bytes from %s port %u: %s",
			len, dc_addr_fmt(from->family, &from->u, buf, sizeof(buf)),
			port, dd_drop_names[why]);
}

static void dd_net_rx(struct dd_fd *w, uint32_t events)
{
	struct dd_ctx *ctx = w->data;
	uint8_t buf[DD_MSG_MAX + 1];
	struct sockaddr_storage from;
	struct dd_sender *snd;
	struct dd_peer *peer;
	enum dd_drop why;
	struct dd_msg *msg;
	struct dc_addr a;
	socklen_t fromlen;
	uint16_t port;
	uint32_t sender;
	uint64_t seq;
	bool by_next;
	ssize_t n;
	int budget;

	(void)events;
	msg = malloc(sizeof(*msg));
	if (!msg)
		return;
	for (budget = 64; budget; budget--) {
		fromlen = sizeof(from);
		n = recvfrom(ctx->sock, buf, sizeof(buf), MSG_TRUNC,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			break;
		dd_addr_from_sockaddr(&from, &a, &port);
		peer = dd_peer_by_addr(ctx, &a, port);
		ctx->cnt.c[DD_C_RX]++;
		if (peer)
			peer->cnt.c[DD_C_RX]++;

		why = dd_msg_check_keys(buf, n, ctx->cfg->key,
					ctx->cfg->has_next_key ? ctx->cfg->next_key : NULL,
					&sender, &seq, &by_next);
		if (why) {
			dd_drop(ctx, peer, why, &a, port, n);
			continue;
		}
		if (by_next) {
			ctx->cnt.c[DD_C_RX_NEXT_KEY]++;
			if (peer)
				peer->cnt.c[DD_C_RX_NEXT_KEY]++;
		}
		why = dd_msg_decode(buf, n, msg);
		if (why) {
			dd_drop(ctx, peer, why, &a, port, n);
			continue;
		}
		/*
		 * One sent to another agent, played to us, is a replay too
		 * (the sender numbers all its messages from one counter):
		 * told before it can move the sender's window.
		 */
		if (sender == ctx->id || (msg->to && msg->to != ctx->id)) {
			dd_drop(ctx, peer, DD_DROP_REPLAY, &a, port, n);
			continue;
		}
		snd = dd_sender_get(ctx, sender);
		if (!dd_replay_check(&snd->win, seq)) {
			dd_drop(ctx, peer, DD_DROP_REPLAY, &a, port, n);
			continue;
		}
		dd_replay_update(&snd->win, seq);
		snd->last = dd_now_ms();
		if (peer) {
			peer->id = sender;
			peer->last_rx = dd_now_ms();
		}
		switch (msg->type) {
		case DD_MSG_ANNOUNCE:
			if (ctx->cfg->bgp) {
				ctx->cnt.c[DD_C_WRONG_TRANSPORT]++;
				break;
			}
			if (!ctx->cfg->router) {
				ctx->cnt.c[DD_C_NOT_ROUTER]++;
				break;
			}
			ctx->cnt.c[DD_C_ANNOUNCES]++;
			if (peer)
				peer->cnt.c[DD_C_ANNOUNCES]++;
			dd_router_announce(ctx, msg, &a, port);
			break;
		case DD_MSG_PROBE:
			dd_probe_answer(ctx, msg, &from, fromlen);
			break;
		case DD_MSG_PROBE_REPLY:
			dd_probe_reply(ctx, msg);
			break;
		}
	}
	free(msg);
}

int dd_net_init(struct dd_ctx *ctx)
{
	struct sockaddr_storage ss;
	char buf[DC_ADDR_STRLEN];
	socklen_t len;
	int zero = 0, ret;

	ctx->sock = socket(ctx->cfg->listen.family,
			   SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctx->sock < 0) {
		ret = -errno;
		dd_err("cannot open the UDP socket: %s", strerror(errno));
		return ret;
	}
	if (ctx->cfg->listen.family == AF_INET6)
		setsockopt(ctx->sock, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
			   sizeof(zero));
	dd_sockaddr_from(&ss, &len, &ctx->cfg->listen, ctx->cfg->port);
	if (bind(ctx->sock, (struct sockaddr *)&ss, len)) {
		ret = -errno;
		dd_err("cannot listen on %s port %u: %s",
		       dc_addr_fmt(ctx->cfg->listen.family, &ctx->cfg->listen.u,
				   buf, sizeof(buf)),
		       ctx->cfg->port, strerror(errno));
		close(ctx->sock);
		ctx->sock = -1;
		return ret;
	}
	ret = dd_fd_add(&ctx->loop, &ctx->sock_watch, ctx->sock, EPOLLIN,
			dd_net_rx, ctx);
	if (ret)
		return ret;
	/*
	 * Once only: a reload that opens the socket anew finds the timer
	 * armed, in the loop's list, which its init would wipe over.
	 */
	if (!ctx->probe_timer.cb)
		dd_timer_init(&ctx->probe_timer, dd_probe_timer, ctx);
	dd_timer_arm(&ctx->loop, &ctx->probe_timer, dd_now_ms() + 100);
	return 0;
}

void dd_net_exit(struct dd_ctx *ctx)
{
	dd_timer_cancel(&ctx->probe_timer);
	if (ctx->sock >= 0) {
		dd_fd_del(&ctx->loop, &ctx->sock_watch);
		close(ctx->sock);
	}
	ctx->sock = -1;
	free(ctx->peers);
	ctx->peers = NULL;
	ctx->n_peers = 0;
}

/*
 * The peers of the configuration, keeping the state (id, RTT, counters)
 * of those that stay: a reload loses nothing of a peer it keeps.
 */
int dd_peers_apply(struct dd_ctx *ctx)
{
	const struct dd_config *cfg = ctx->cfg;
	struct dd_peer *peers;
	unsigned int i, j;

	peers = calloc(cfg->n_peers ? cfg->n_peers : 1, sizeof(*peers));
	if (!peers)
		return -ENOMEM;
	for (i = 0; i < cfg->n_peers; i++) {
		const struct dd_peer_cfg *pc = &cfg->peers[i];

		for (j = 0; j < ctx->n_peers; j++) {
			if (!strcmp(ctx->peers[j].cfg.name, pc->name) &&
			    dd_addr_eq(&ctx->peers[j].cfg.addr, &pc->addr) &&
			    ctx->peers[j].cfg.port == pc->port) {
				peers[i] = ctx->peers[j];
				break;
			}
		}
		peers[i].cfg = *pc;
	}
	free(ctx->peers);
	ctx->peers = peers;
	ctx->n_peers = cfg->n_peers;
	return 0;
}
