// SPDX-License-Identifier: GPL-2.0
/*
 * Active sessions of the local instances: conntrack entries whose reply
 * comes from the instance (libnetfilter_conntrack; what a D-MA on a
 * D-Router or an edge gateway sees), or established TCP sockets on the
 * instance's address (sock_diag; what a D-MA on the instance's host sees
 * where conntrack is off).  "auto" takes sockets when the D-BID is an
 * address of this host, conntrack otherwise.  Conntrack is dumped per
 * instance, filtered by the kernel to the instance's entries; one
 * sock_diag dump of established TCP sockets serves every instance.
 * The instances that measure their service time follow their connections
 * in conntrack's events (dd_svcw_*, at the end).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "dyncastd.h"

#define DD_TCP_ESTABLISHED	1	/* include/net/tcp_states.h */

static struct dd_ratelimit dd_rl_sess;

static uint16_t dd_inst_port(const struct dd_inst *in)
{
	return in->cfg.bid_port ? in->cfg.bid_port : in->cfg.key.svc.port;
}

/* Whether @a is an address of this host: binding to it works. */
static bool dd_addr_is_local(const struct dc_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t len;
	bool local;
	int fd;

	fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	dd_sockaddr_from(&ss, &len, a, 0);
	local = !bind(fd, (struct sockaddr *)&ss, len);
	close(fd);
	return local;
}

/*
 * Whether a connection to @a port @port from @peer port @pport is a
 * session of @in: the agent's own health check is not.
 */
static bool dd_sess_match(const struct dd_inst *in, const struct dc_addr *a,
			  uint16_t port, uint8_t proto,
			  const struct dc_addr *peer, uint16_t pport)
{
	uint16_t want = dd_inst_port(in);

	if (in->hc_port && in->hc_port == pport && dd_addr_eq(&in->hc_addr, peer))
		return false;
	return in->cfg.key.svc.proto == proto && dd_addr_eq(&in->cfg.key.bid, a) &&
	       (!want || want == port);
}

/* An address of a socket or conntrack tuple, IPv4-mapped ones as IPv4. */
static void dd_sess_addr(struct dc_addr *a, int family, const void *raw)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		a->family = AF_INET;
		memcpy(&a->u.in, raw, 4);
		return;
	}
	a->family = AF_INET6;
	memcpy(&a->u.in6, raw, 16);
	if (IN6_IS_ADDR_V4MAPPED(&a->u.in6)) {
		a->family = AF_INET;
		memcpy(&a->u.in, &a->u.in6.s6_addr[12], 4);
	}
}

/* a conntrack dump: for the instances of the same address, port, proto */
struct dd_sess_walk {
	struct dd_ctx *ctx;
	const struct dd_inst *in;
};

static bool dd_same_dump(const struct dd_inst *a, const struct dd_inst *b)
{
	return a->sess_src == DD_SESS_CONNTRACK &&
	       b->sess_src == DD_SESS_CONNTRACK &&
	       dd_addr_eq(&a->cfg.key.bid, &b->cfg.key.bid) &&
	       dd_inst_port(a) == dd_inst_port(b) &&
	       a->cfg.key.svc.proto == b->cfg.key.svc.proto;
}

/*
 * The two ends of a conntrack entry: the reply comes from the instance
 * (@a, @port), the original from the client (@peer, @pport); false when
 * the entry has no addresses
 */
static bool dd_ct_ends(const struct nf_conntrack *ct, struct dc_addr *a,
		       uint16_t *port, struct dc_addr *peer, uint16_t *pport)
{
	int family = nfct_get_attr_u8(ct, ATTR_L3PROTO);
	const void *ra, *oa;

	ra = nfct_get_attr(ct, family == AF_INET ? ATTR_REPL_IPV4_SRC :
						   ATTR_REPL_IPV6_SRC);
	oa = nfct_get_attr(ct, family == AF_INET ? ATTR_ORIG_IPV4_SRC :
						   ATTR_ORIG_IPV6_SRC);
	if (!ra || !oa)
		return false;
	dd_sess_addr(a, family, ra);
	dd_sess_addr(peer, family, oa);
	*port = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
	*pport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC));
	return true;
}

/* one conntrack entry: a session of the instances of the dump it matches */
static void dd_ct_count(const struct dd_sess_walk *w,
			const struct nf_conntrack *ct)
{
	struct dd_ctx *ctx = w->ctx;
	uint8_t proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);
	struct dc_addr a, peer;
	uint16_t port, pport;
	unsigned int i;

	ctx->cnt.c[DD_C_CT_READ]++;
	if (proto == IPPROTO_TCP &&
	    nfct_get_attr_u8(ct, ATTR_TCP_STATE) != TCP_CONNTRACK_ESTABLISHED)
		return;
	if (!dd_ct_ends(ct, &a, &port, &peer, &pport))
		return;
	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];

		if (dd_same_dump(in, w->in) &&
		    dd_sess_match(in, &a, port, proto, &peer, pport))
			in->sessions++;
	}
}

static int dd_ct_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dd_sess_walk *w = data;
	struct nf_conntrack *ct = nfct_new();

	if (!ct)
		return MNL_CB_ERROR;
	if (nfct_nlmsg_parse(nlh, ct) >= 0)
		dd_ct_count(w, ct);
	nfct_destroy(ct);
	return MNL_CB_OK;
}

/*
 * Which fields of a CTA_FILTER tuple a conntrack dump matches
 * (net/netfilter/nf_internals.h: part of the ABI since Linux 5.8, but not
 * of the uapi headers).
 */
#define DD_CTA_FILTER_IP_SRC		(1u << 0)
#define DD_CTA_FILTER_PROTO_NUM		(1u << 3)
#define DD_CTA_FILTER_PROTO_SRC_PORT	(1u << 4)

/*
 * The conntrack entries of one instance: those whose reply comes from its
 * address (and port), filtered by the kernel, so that a router's table of
 * a million entries costs the agent only the instance's own.  A kernel
 * without CTA_FILTER sends them all; dd_ct_count() still matches.
 */
static int dd_ct_dump(struct mnl_socket *nl, unsigned int portid,
		      unsigned int seq, struct dd_sess_walk *w)
{
	const struct dd_inst *in = w->in;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const struct dc_addr *bid = &in->cfg.key.bid;
	uint32_t flags = DD_CTA_FILTER_IP_SRC | DD_CTA_FILTER_PROTO_NUM;
	uint16_t port = dd_inst_port(in);
	struct nlattr *tuple, *nest;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = bid->family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_REPLY);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (bid->family == AF_INET)
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, &bid->u.in);
	else
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, &bid->u.in6);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, in->cfg.key.svc.proto);
	if (port) {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(port));
		flags |= DD_CTA_FILTER_PROTO_SRC_PORT;
	}
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, tuple);
	nest = mnl_attr_nest_start(nlh, CTA_FILTER);
	mnl_attr_put_u32(nlh, CTA_FILTER_REPLY_FLAGS, flags);
	mnl_attr_nest_end(nlh, nest);

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, n, seq, portid, dd_ct_msg_cb, w);
		if (ret <= MNL_CB_STOP)
			return ret < 0 ? -errno : 0;
	}
}

static int dd_count_conntrack(struct dd_ctx *ctx)
{
	struct dd_sess_walk w = { .ctx = ctx };
	struct mnl_socket *nl;
	unsigned int portid, seq = 1, i, j;
	int ret = 0;

	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	for (i = 0; i < ctx->n_inst && !ret; i++) {
		w.in = ctx->inst[i];
		if (w.in->sess_src != DD_SESS_CONNTRACK)
			continue;
		/* instances of one address, port and proto share a dump */
		for (j = 0; j < i; j++)
			if (dd_same_dump(ctx->inst[j], w.in))
				break;
		if (j < i)
			continue;
		ret = dd_ct_dump(nl, portid, ++seq, &w);
	}
out:
	mnl_socket_close(nl);
	return ret;
}

static int dd_diag_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct dd_ctx *ctx = data;
	struct dc_addr a, peer;
	unsigned int i;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	dd_sess_addr(&a, m->idiag_family, m->id.idiag_src);
	dd_sess_addr(&peer, m->idiag_family, m->id.idiag_dst);
	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];

		if (in->sess_src == DD_SESS_SOCKETS &&
		    dd_sess_match(in, &a, ntohs(m->id.idiag_sport), IPPROTO_TCP,
				  &peer, ntohs(m->id.idiag_dport)))
			in->sessions++;
	}
	return MNL_CB_OK;
}

static int dd_count_sockets(struct dd_ctx *ctx)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 4];
	struct inet_diag_req_v2 *req;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	uint8_t family;
	unsigned int portid, seq = 1;
	int ret = 0;

	nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	for (family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		nlh->nlmsg_seq = ++seq;
		req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
		memset(req, 0, sizeof(*req));
		req->sdiag_family = family;
		req->sdiag_protocol = IPPROTO_TCP;
		req->idiag_states = 1u << DD_TCP_ESTABLISHED;
		if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
			ret = -errno;
			break;
		}
		for (;;) {
			ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

			if (n < 0) {
				ret = -errno;
				break;
			}
			ret = mnl_cb_run(buf, n, seq, portid, dd_diag_cb, ctx);
			if (ret <= MNL_CB_STOP)
				break;
		}
		if (ret < 0)
			break;
		ret = 0;
	}
out:
	mnl_socket_close(nl);
	return ret;
}

/* Counts the sessions of every instance; sessions_ok says which could. */
int dd_sessions_count(struct dd_ctx *ctx)
{
	bool want_ct = false, want_sock = false;
	int ct = 0, sock = 0;
	unsigned int i;

	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];

		in->sessions = 0;
		in->sess_src = in->cfg.sessions;
		if (in->sess_src == DD_SESS_AUTO)
			in->sess_src = dd_addr_is_local(&in->cfg.key.bid) ?
				       DD_SESS_SOCKETS : DD_SESS_CONNTRACK;
		/* no socket of a UDP service is a session */
		if (in->sess_src == DD_SESS_SOCKETS &&
		    in->cfg.key.svc.proto != IPPROTO_TCP)
			in->sess_src = DD_SESS_OFF;
		want_ct |= in->sess_src == DD_SESS_CONNTRACK;
		want_sock |= in->sess_src == DD_SESS_SOCKETS;
	}
	if (want_ct)
		ct = dd_count_conntrack(ctx);
	if (want_sock)
		sock = dd_count_sockets(ctx);
	if ((ct || sock) && dd_ratelimit(&dd_rl_sess, dd_now_ms()))
		dd_warn("cannot count sessions: %s", strerror(-(ct ? ct : sock)));
	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];

		in->sessions_ok = (in->sess_src == DD_SESS_CONNTRACK && !ct) ||
				  (in->sess_src == DD_SESS_SOCKETS && !sock);
	}
	return ct ? ct : sock;
}

/*
 * The service time of the instances that measure it (measure-service-time,
 * svctime.h): conntrack's events follow each TCP connection of theirs from
 * ESTABLISHED to its first FIN or RST (a completion), or to its end (none:
 * a table flushed, a timeout).  An open connection is a node per instance
 * it was opened on, by conntrack id, so that it ends on those whatever
 * changes meanwhile; DD_SVCT_MAX of them at most, those beyond are not
 * followed (and counted).  Every event of the namespace is read.
 */
struct dd_svcw_conn {
	struct dd_hnode node;
	uint32_t id;
	struct dd_inst *in;
};

struct dd_svcw {
	struct mnl_socket *nl;
	struct dd_fd watch;
	struct dd_htab conns;
	struct nf_conntrack *ct;	/* each event parsed into it */
	bool draining;			/* events lost: until the queue is empty */
};

static struct dd_ratelimit dd_rl_svcw;

/*
 * Forgets the open connections of the instances that no longer measure
 * (@all: of every instance, and the table's buckets)
 */
static void dd_svcw_forget(struct dd_svcw *w, bool all)
{
	struct dd_hnode *n, *next;
	unsigned int b;

	for (n = dd_htab_first(&w->conns, &b); n; n = next) {
		struct dd_svcw_conn *c = dd_htab_entry(n, struct dd_svcw_conn,
						       node);

		next = dd_htab_next(&w->conns, n, &b);
		if (!all && c->in->svc_measuring)
			continue;
		dd_htab_del(&w->conns, n);
		free(c);
	}
	if (all)
		dd_htab_destroy(&w->conns);
}

/*
 * Events were lost: no connection is known open any more, and the
 * interval is left out of every measure
 */
static void dd_svcw_lost(struct dd_ctx *ctx)
{
	uint64_t now = dd_now_us();
	unsigned int i;

	dd_svcw_forget(ctx->svcw, true);
	for (i = 0; i < ctx->n_inst; i++)
		if (ctx->inst[i]->svc_measuring)
			dd_svct_lost(&ctx->inst[i]->svct, now);
}

/* Whether @in measures and the connection is one of its demands */
static bool dd_svcw_match(const struct dd_inst *in, const struct dc_addr *a,
			  uint16_t port, const struct dc_addr *peer,
			  uint16_t pport)
{
	return !in->stale && in->cfg.measure_svc &&
	       dd_sess_match(in, a, port, IPPROTO_TCP, peer, pport);
}

/* The connection @id of @ct starts on the instances it is a demand of */
static void dd_svcw_start(struct dd_ctx *ctx, const struct nf_conntrack *ct,
			  uint32_t id)
{
	struct dd_svcw *w = ctx->svcw;
	uint64_t now = dd_now_us();
	struct dc_addr a, peer;
	uint16_t port, pport;
	struct dd_hnode *n;
	unsigned int i;

	for (n = dd_htab_chain(&w->conns, id); n; n = n->next)
		if (n->hash == id &&
		    dd_htab_entry(n, struct dd_svcw_conn, node)->id == id)
			return;		/* known open */
	if (!dd_ct_ends(ct, &a, &port, &peer, &pport))
		return;
	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];
		struct dd_svcw_conn *c;

		if (!dd_svcw_match(in, &a, port, &peer, pport))
			continue;
		c = w->conns.n < DD_SVCT_MAX ? calloc(1, sizeof(*c)) : NULL;
		if (!c || dd_htab_add(&w->conns, &c->node, id)) {
			free(c);
			ctx->cnt.c[DD_C_SVCT_UNTRACKED]++;
			continue;
		}
		c->id = id;
		c->in = in;
		dd_svct_open(&in->svct, dd_inst_capacity(in), now);
	}
}

/* The connection @id ends (@done: a completion) where it was opened */
static void dd_svcw_end(struct dd_ctx *ctx, uint32_t id, bool done)
{
	struct dd_svcw *w = ctx->svcw;
	uint64_t now = dd_now_us();
	struct dd_hnode *n, *next;

	for (n = dd_htab_chain(&w->conns, id); n; n = next) {
		struct dd_svcw_conn *c = dd_htab_entry(n, struct dd_svcw_conn,
						       node);

		next = n->next;
		if (n->hash != id || c->id != id)
			continue;
		dd_svct_close(&c->in->svct, dd_inst_capacity(c->in), now, done);
		dd_htab_del(&w->conns, n);
		free(c);
	}
}

static int dd_svcw_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dd_ctx *ctx = data;
	struct nf_conntrack *ct = ctx->svcw->ct;
	uint32_t id;
	uint8_t st;

	ctx->cnt.c[DD_C_SVCT_EVENTS]++;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK)
		return MNL_CB_OK;
	nfct_set_attr_u8(ct, ATTR_L4PROTO, 0);
	nfct_attr_unset(ct, ATTR_TCP_STATE);
	nfct_attr_unset(ct, ATTR_ID);
	if (nfct_nlmsg_parse(nlh, ct) < 0 ||
	    nfct_get_attr_u8(ct, ATTR_L4PROTO) != IPPROTO_TCP ||
	    !nfct_attr_is_set(ct, ATTR_ID))
		return MNL_CB_OK;
	id = nfct_get_attr_u32(ct, ATTR_ID);
	/* gone while still established: a flush, a timeout; no completion */
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) == IPCTNL_MSG_CT_DELETE) {
		dd_svcw_end(ctx, id, false);
		return MNL_CB_OK;
	}
	if (!nfct_attr_is_set(ct, ATTR_TCP_STATE))
		return MNL_CB_OK;
	st = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
	if (st == TCP_CONNTRACK_ESTABLISHED)
		dd_svcw_start(ctx, ct, id);
	else if (st > TCP_CONNTRACK_ESTABLISHED && st <= TCP_CONNTRACK_CLOSE)
		dd_svcw_end(ctx, id, true);
	return MNL_CB_OK;
}

/* At most this many datagrams a wake-up: the loop has other work */
#define DD_SVCW_BATCH	64

/*
 * The kernel says once that it dropped events (ENOBUFS), and may drop
 * more without saying until the queue is empty: what is queued then is
 * thrown away, and what was open is forgotten once it is empty.
 */
static void dd_svcw_read(struct dd_fd *fdw, uint32_t events)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct dd_ctx *ctx = fdw->data;
	struct dd_svcw *w = ctx->svcw;
	unsigned int i;
	ssize_t n;

	(void)events;
	for (i = 0; i < DD_SVCW_BATCH || w->draining; i++) {
		n = recv(fdw->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS) {
			if (!w->draining)
				ctx->cnt.c[DD_C_SVCT_LOST]++;
			w->draining = true;
			continue;
		}
		if (n < 0) {
			if (errno == EAGAIN && w->draining) {
				w->draining = false;
				dd_svcw_lost(ctx);
			} else if (errno != EAGAIN && errno != EINTR &&
				   dd_ratelimit(&dd_rl_svcw, dd_now_ms())) {
				dd_warn("conntrack events: %s", strerror(errno));
			}
			return;
		}
		if (!w->draining)
			mnl_cb_run(buf, n, 0, 0, dd_svcw_cb, ctx);
	}
}

void dd_svcw_stop(struct dd_ctx *ctx)
{
	struct dd_svcw *w = ctx->svcw;

	if (!w)
		return;
	dd_fd_del(&ctx->loop, &w->watch);
	mnl_socket_close(w->nl);
	dd_svcw_forget(w, true);
	nfct_destroy(w->ct);
	free(w);
	ctx->svcw = NULL;
}

/* Conntrack's events: a buffer for bursts of new connections */
#define DD_SVCW_RCVBUF	(4 << 20)

static int dd_svcw_open(struct dd_ctx *ctx)
{
	int size = DD_SVCW_RCVBUF, ret = -ENOMEM;
	struct dd_svcw *w;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ct = nfct_new();
	if (!w->ct)
		goto err_free;
	w->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!w->nl) {
		ret = -errno;
		goto err_free;
	}
	/* CAP_NET_ADMIN: the groups of conntrack's events */
	if (mnl_socket_bind(w->nl, NF_NETLINK_CONNTRACK_NEW |
			    NF_NETLINK_CONNTRACK_UPDATE |
			    NF_NETLINK_CONNTRACK_DESTROY,
			    MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err;
	}
	if (setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &size, sizeof(size)))
		setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUF,
			   &size, sizeof(size));
	ctx->svcw = w;
	ret = dd_fd_add(&ctx->loop, &w->watch, mnl_socket_get_fd(w->nl),
			EPOLLIN, dd_svcw_read, ctx);
	if (!ret)
		return 0;
	ctx->svcw = NULL;
err:
	mnl_socket_close(w->nl);
err_free:
	if (w->ct)
		nfct_destroy(w->ct);
	free(w);
	return ret;
}

/*
 * After the instances changed: conntrack's events while an instance
 * measures its service time.  An instance that goes on measuring (the
 * same name, address and port: the same connections) keeps its measure
 * and its open connections, the socket staying open; one that starts
 * measuring starts anew; the connections of one that stops (or is
 * removed, and freed later) are forgotten.
 */
void dd_svcw_sync(struct dd_ctx *ctx)
{
	uint64_t now = dd_now_us();
	/* no socket: nothing was followed, every measure starts anew */
	bool anew = !ctx->svcw, want = false;
	unsigned int i;
	int ret;

	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];
		bool m = !in->stale && in->cfg.measure_svc;

		if (!m || anew || !in->svc_measuring) {
			in->svc_measured = 0;
			if (m)
				dd_svct_reset(&in->svct, now);
		}
		in->svc_measuring = m;
		want |= m;
	}
	if (!want) {
		dd_svcw_stop(ctx);
		return;
	}
	if (ctx->svcw) {
		dd_svcw_forget(ctx->svcw, false);
		return;
	}
	ret = dd_svcw_open(ctx);
	if (ret)
		dd_warn("cannot follow conntrack's events to measure service times: %s",
			strerror(-ret));
}
