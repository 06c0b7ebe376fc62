// SPDX-License-Identifier: GPL-2.0
/*
 * The connections of the instances that measure their service time
 * (measure-service-time, svctime.h), followed where their sessions are
 * counted (sessions.c): on the instance's host, its sockets; elsewhere
 * conntrack's events.
 *
 * Conntrack (dd_svcw_*): each TCP connection whose reply comes from the
 * instance, from ESTABLISHED to its first FIN or RST (a completion), or to
 * its end (none: a table flushed, a timeout).  An open connection is a node
 * per instance it was opened on, by conntrack id, so that it ends on those
 * whatever changes meanwhile; DD_SVCT_MAX of them at most, those beyond
 * are not followed (and counted).
 *
 * Sockets (dd_svcs_*): the kernel tells of no socket's establishment, only
 * of a TCP socket's end, its destruction (sock_diag's destroy groups, any
 * user): each ended socket of an instance is a completion, and its slots'
 * busy time the established sockets counted at random times
 * DD_SVCS_SAMPLE_MS apart on average, each count held until the next.
 *
 * Either way a classic BPF filter on the events socket has the kernel
 * queue only the events of the measuring instances' ports.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <sodium.h>

#include "dyncastd.h"

/* Whether @in measures its service time from @src */
static bool dd_svc_measures(const struct dd_inst *in, uint8_t src)
{
	return in->svc_measuring && in->svc_src == src;
}

/* Where @in's service time is measured, its sessions counted in @sess */
static uint8_t dd_svc_source(uint8_t sess)
{
	return sess == DD_SESS_SOCKETS ? DD_SESS_SOCKETS : DD_SESS_CONNTRACK;
}

/* jeq's jump is one byte: with more ports, every event is read */
#define DD_SVC_MAX_PORTS	230

/* The ports of the instances measuring from a source, or counted there */
struct dd_svc_ports {
	unsigned int n;			/* 0: any (too many, or no port) */
	uint16_t port[DD_SVC_MAX_PORTS];
};

/*
 * The ports of the instances measuring from @src, or with @counted of
 * those whose sessions are counted there (sess_src, dd_sessions_count())
 */
static void dd_svc_ports(struct dd_ctx *ctx, uint8_t src, bool counted,
			 struct dd_svc_ports *p)
{
	unsigned int i, j;

	p->n = 0;
	for (i = 0; i < ctx->n_inst; i++) {
		const struct dd_inst *in = ctx->inst[i];
		uint16_t port = dd_inst_port(in);

		if (counted ? in->sess_src != src : !dd_svc_measures(in, src))
			continue;
		for (j = 0; j < p->n && p->port[j] != port; j++)
			;
		if (j < p->n)
			continue;
		if (!port || p->n == DD_SVC_MAX_PORTS) {
			p->n = 0;
			return;
		}
		p->port[p->n++] = port;
	}
}

/* Where the filters find the port of the instance's end */
#define DD_NLA_OFF		(sizeof(struct nlmsghdr) + \
				 sizeof(struct nfgenmsg))
#define DD_DIAG_SPORT_OFF	(sizeof(struct nlmsghdr) + \
				 offsetof(struct inet_diag_msg, id.idiag_sport))

/*
 * The filter of the events socket of @src: the port of the instance's end
 * loaded into A (an ended socket's source port; a conntrack entry's reply
 * source port, nested in CTA_TUPLE_REPLY and CTA_TUPLE_PROTO, found by the
 * netlink attribute extensions, TCP's only: an event without them
 * passes), then "jeq port, pass" for each.  No filter (every event read)
 * without ports, or where the kernel refuses it.
 */
static int dd_svc_filter(int fd, uint8_t src, const struct dd_svc_ports *p)
{
	/*
	 * each search's result tested, "jeq #0, pass" (set below); the
	 * protocol's nest kept in M[0] between its two searches
	 */
	static const struct sock_filter ct_port[] = {
		BPF_STMT(BPF_LD | BPF_IMM, DD_NLA_OFF),
		BPF_STMT(BPF_LDX | BPF_IMM, CTA_TUPLE_REPLY),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_NLATTR),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0),
		BPF_STMT(BPF_LDX | BPF_IMM, CTA_TUPLE_PROTO),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 SKF_AD_OFF + SKF_AD_NLATTR_NEST),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0),
		BPF_STMT(BPF_ST, 0),
		BPF_STMT(BPF_LDX | BPF_IMM, CTA_PROTO_NUM),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 SKF_AD_OFF + SKF_AD_NLATTR_NEST),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_B | BPF_IND, sizeof(struct nlattr)),
		/* another protocol: to "ret 0", the first after the ports */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 0),
		BPF_STMT(BPF_LD | BPF_MEM, 0),
		BPF_STMT(BPF_LDX | BPF_IMM, CTA_PROTO_SRC_PORT),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 SKF_AD_OFF + SKF_AD_NLATTR_NEST),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, sizeof(struct nlattr)),
	};
	static const struct sock_filter sock_port[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, DD_DIAG_SPORT_OFF),
	};
	struct sock_filter f[DC_ARRAY_SIZE(ct_port) + DD_SVC_MAX_PORTS + 2];
	/* the longest jump, from the first search, fits jt's byte */
	_Static_assert(DC_ARRAY_SIZE(ct_port) + DD_SVC_MAX_PORTS - 3 <= 255,
		       "too many ports for a filter");
	struct sock_fprog prog = { .filter = f };
	unsigned int i, k, n = p->n, pass;
	int ret;

	if (!n)
		goto detach;
	if (src == DD_SESS_SOCKETS) {
		memcpy(f, sock_port, sizeof(sock_port));
		k = DC_ARRAY_SIZE(sock_port);
	} else {
		memcpy(f, ct_port, sizeof(ct_port));
		k = DC_ARRAY_SIZE(ct_port);
	}
	pass = k + n + 1;
	for (i = 0; i < k; i++) {
		if (BPF_CLASS(f[i].code) != BPF_JMP)
			continue;
		if (f[i].k)	/* jeq #IPPROTO_TCP: else drop */
			f[i].jf = pass - i - 2;
		else		/* jeq #0: not found, pass */
			f[i].jt = pass - i - 1;
	}
	for (i = 0; i < n; i++, k++)
		f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						    p->port[i], pass - k - 1,
						    0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffffffff);
	prog.len = k;
	if (!setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		return 0;
	ret = -errno;
	setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, NULL, 0);
	return ret;
detach:
	if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, NULL, 0) &&
	    errno != ENOENT)
		return -errno;
	return 0;
}

/* An events socket, conntrack's or sock_diag's */
struct dd_svc_events {
	struct mnl_socket *nl;
	struct dd_fd watch;
	bool draining;			/* events lost: until the queue is empty */
	uint8_t src;
	struct dd_ratelimit rl;
};

/* A buffer for bursts of new connections */
#define DD_SVC_RCVBUF	(4 << 20)

/* What @ev reads, for warnings */
static const char *dd_svc_events_name(const struct dd_svc_events *ev)
{
	return ev->src == DD_SESS_SOCKETS ? "ended sockets" :
					    "conntrack's events";
}

/* The filter of the measuring instances' ports, or a warning */
static void dd_svc_events_filter(struct dd_ctx *ctx, struct dd_svc_events *ev,
				 struct dd_svc_ports *ports)
{
	int ret;

	dd_svc_ports(ctx, ev->src, false, ports);
	ret = dd_svc_filter(mnl_socket_get_fd(ev->nl), ev->src, ports);
	if (ret && dd_ratelimit(&ev->rl, dd_now_ms()))
		dd_warn("cannot filter the %s, reading them all: %s",
			dd_svc_events_name(ev), strerror(-ret));
}

/*
 * Opens @ev on @bus, filtered before it joins @groups (so that no event
 * the filter keeps out is queued), @read called as events come
 */
static int dd_svc_events_open(struct dd_ctx *ctx, struct dd_svc_events *ev,
			      int bus, unsigned int groups,
			      struct dd_svc_ports *ports, dd_fd_fn read)
{
	int size = DD_SVC_RCVBUF, fd, ret;

	ev->nl = mnl_socket_open2(bus, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!ev->nl)
		return -errno;
	fd = mnl_socket_get_fd(ev->nl);
	dd_svc_events_filter(ctx, ev, ports);
	if (mnl_socket_bind(ev->nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	ret = dd_fd_add(&ctx->loop, &ev->watch, fd, EPOLLIN, read, ctx);
	if (!ret)
		return 0;
err:
	mnl_socket_close(ev->nl);
	ev->nl = NULL;
	return ret;
}

static void dd_svc_events_close(struct dd_ctx *ctx, struct dd_svc_events *ev)
{
	dd_fd_del(&ctx->loop, &ev->watch);
	mnl_socket_close(ev->nl);
}

/* At most this many datagrams a wake-up: the loop has other work */
#define DD_SVC_BATCH	64

/*
 * The kernel says once that it dropped events (ENOBUFS), and may drop
 * more without saying until the queue is empty: what is queued then is
 * thrown away, and @lost called once it is empty.
 */
static void dd_svc_events_read(struct dd_ctx *ctx, struct dd_svc_events *ev,
			       mnl_cb_t cb, void (*lost)(struct dd_ctx *ctx))
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int fd = mnl_socket_get_fd(ev->nl);
	unsigned int i;
	ssize_t n;

	for (i = 0; i < DD_SVC_BATCH || ev->draining; i++) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS) {
			if (!ev->draining)
				ctx->cnt.c[DD_C_SVCT_LOST]++;
			ev->draining = true;
			continue;
		}
		if (n < 0) {
			if (errno == EAGAIN && ev->draining) {
				ev->draining = false;
				lost(ctx);
			} else if (errno != EAGAIN && errno != EINTR &&
				   dd_ratelimit(&ev->rl, dd_now_ms())) {
				dd_warn("%s: %s", dd_svc_events_name(ev),
					strerror(errno));
			}
			return;
		}
		if (!ev->draining)
			mnl_cb_run(buf, n, 0, 0, cb, ctx);
	}
}

/* The measures of the instances on @src: an interval left out */
static void dd_svc_lost(struct dd_ctx *ctx, uint8_t src, bool forget_open)
{
	uint64_t now = dd_now_us();
	unsigned int i;

	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];

		if (!dd_svc_measures(in, src))
			continue;
		if (forget_open)
			dd_svct_lost(&in->svct, now);
		else
			dd_svct_skip(&in->svct);
	}
}

/* --- conntrack ----------------------------------------------------------- */

struct dd_svcw_conn {
	struct dd_hnode node;
	uint32_t id;
	struct dd_inst *in;
};

struct dd_svcw {
	struct dd_svc_events ev;
	struct dd_htab conns;
	struct nf_conntrack *ct;	/* each event parsed into it */
};

/*
 * Forgets the open connections of the instances that no longer measure
 * from conntrack (@all: of every instance, and the table's buckets)
 */
static void dd_svcw_forget(struct dd_svcw *w, bool all)
{
	struct dd_hnode *n, *next;
	unsigned int b;

	for (n = dd_htab_first(&w->conns, &b); n; n = next) {
		struct dd_svcw_conn *c = dd_htab_entry(n, struct dd_svcw_conn,
						       node);

		next = dd_htab_next(&w->conns, n, &b);
		if (!all && dd_svc_measures(c->in, DD_SESS_CONNTRACK))
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
	dd_svcw_forget(ctx->svcw, true);
	dd_svc_lost(ctx, DD_SESS_CONNTRACK, true);
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

		if (!dd_svc_measures(in, DD_SESS_CONNTRACK) ||
		    !dd_sess_match(in, &a, port, IPPROTO_TCP, &peer, pport))
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

static void dd_svcw_read(struct dd_fd *fdw, uint32_t events)
{
	struct dd_ctx *ctx = fdw->data;

	(void)events;
	dd_svc_events_read(ctx, &ctx->svcw->ev, dd_svcw_cb, dd_svcw_lost);
}

static void dd_svcw_stop(struct dd_ctx *ctx)
{
	struct dd_svcw *w = ctx->svcw;

	if (!w)
		return;
	dd_svc_events_close(ctx, &w->ev);
	dd_svcw_forget(w, true);
	nfct_destroy(w->ct);
	free(w);
	ctx->svcw = NULL;
}

/* CAP_NET_ADMIN: the groups of conntrack's events */
static int dd_svcw_open(struct dd_ctx *ctx)
{
	struct dd_svc_ports ports;
	struct dd_svcw *w;
	int ret;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ct = nfct_new();
	if (!w->ct) {
		free(w);
		return -ENOMEM;
	}
	w->ev.src = DD_SESS_CONNTRACK;
	ctx->svcw = w;
	ret = dd_svc_events_open(ctx, &w->ev, NETLINK_NETFILTER,
				 NF_NETLINK_CONNTRACK_NEW |
				 NF_NETLINK_CONNTRACK_UPDATE |
				 NF_NETLINK_CONNTRACK_DESTROY,
				 &ports, dd_svcw_read);
	if (!ret)
		return 0;
	ctx->svcw = NULL;
	nfct_destroy(w->ct);
	free(w);
	return ret;
}

/* --- sockets ------------------------------------------------------------- */

/* The mean time between two counts, ms */
#define DD_SVCS_SAMPLE_MS	50

/* inet_diag's bytecode for DD_SVC_MAX_PORTS ports (dd_svcs_bytecode()) */
#define DD_SVCS_BC_OPS		(3 * DD_SVC_MAX_PORTS + 1)

struct dd_svcs {
	struct dd_svc_events ev;	/* ended sockets */
	struct mnl_socket *dump;	/* counts, NULL until the next one */
	unsigned int seq;
	struct dd_timer sample;
	struct inet_diag_bc_op bc[DD_SVCS_BC_OPS];
	size_t bc_len;			/* 0: every socket */
};

/*
 * The counts' filter, inet_diag's bytecode for "sport is one of the
 * ports": per port, S_EQ (yes: the next op, no: past it) and JMP (no: to
 * the end, accepted); a last JMP past the end, rejected.  The kernel
 * checks that every jump lands on an op of the "yes" chain.
 */
static size_t dd_svcs_bytecode(const struct dd_svc_ports *p,
			       struct inet_diag_bc_op *bc)
{
	const uint16_t op = sizeof(*bc);
	uint16_t len = (3 * p->n + 1) * op, left = len;
	unsigned int i, k = 0;

	for (i = 0; i < p->n; i++) {
		bc[k++] = (struct inet_diag_bc_op){
			.code = INET_DIAG_BC_S_EQ, .yes = 2 * op, .no = 3 * op,
		};
		bc[k++] = (struct inet_diag_bc_op){ .no = p->port[i] };
		left -= 2 * op;
		bc[k++] = (struct inet_diag_bc_op){
			.code = INET_DIAG_BC_JMP, .yes = op, .no = left,
		};
		left -= op;
	}
	bc[k] = (struct inet_diag_bc_op){
		.code = INET_DIAG_BC_JMP, .yes = op, .no = 2 * op,
	};
	return len;
}

/*
 * The sessions count's filter (dd_count_sockets()): the sockets of the
 * ports of the instances counted on sockets; 0 (every socket) for more
 * than DD_SVC_MAX_PORTS or an instance without a port.  A count runs at
 * each collection: without it every established socket of the namespace
 * would come up to be matched.
 */
size_t dd_sess_bytecode(struct dd_ctx *ctx, const void **bc)
{
	static struct inet_diag_bc_op ops[DD_SVCS_BC_OPS];
	struct dd_svc_ports ports;

	dd_svc_ports(ctx, DD_SESS_SOCKETS, true, &ports);
	*bc = ops;
	return ports.n ? dd_svcs_bytecode(&ports, ops) : 0;
}

/* One ended socket: a completion of the instances it was a demand of */
static int dd_svcs_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dd_ctx *ctx = data;
	struct dc_addr a, peer;
	uint16_t port, pport;
	unsigned int i;

	ctx->cnt.c[DD_C_SVCT_EVENTS]++;
	/* a listener has no peer */
	if (!dd_diag_ends(nlh, &a, &port, &peer, &pport) || !pport)
		return MNL_CB_OK;
	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];

		if (dd_svc_measures(in, DD_SESS_SOCKETS) &&
		    dd_sess_match(in, &a, port, IPPROTO_TCP, &peer, pport))
			dd_svct_done(&in->svct);
	}
	return MNL_CB_OK;
}

/* Events lost: the interval is left out, the counts still stand */
static void dd_svcs_lost(struct dd_ctx *ctx)
{
	dd_svc_lost(ctx, DD_SESS_SOCKETS, false);
}

static void dd_svcs_read(struct dd_fd *fdw, uint32_t events)
{
	struct dd_ctx *ctx = fdw->data;

	(void)events;
	dd_svc_events_read(ctx, &ctx->svcs->ev, dd_svcs_cb, dd_svcs_lost);
}

/* One socket of a count: open on the instances it is a demand of */
static int dd_svcs_count_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dd_ctx *ctx = data;
	struct dc_addr a, peer;
	uint16_t port, pport;
	unsigned int i;

	if (!dd_diag_ends(nlh, &a, &port, &peer, &pport))
		return MNL_CB_OK;
	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];

		if (dd_svc_measures(in, DD_SESS_SOCKETS) &&
		    dd_sess_match(in, &a, port, IPPROTO_TCP, &peer, pport))
			in->svc_open++;
	}
	return MNL_CB_OK;
}

/* The open demands counted, each count held until the next */
static void dd_svcs_sample(struct dd_timer *t)
{
	struct dd_ctx *ctx = t->data;
	struct dd_svcs *w = ctx->svcs;
	uint64_t now = dd_now_us();
	unsigned int i;
	int ret = 0;

	for (i = 0; i < ctx->n_inst; i++)
		ctx->inst[i]->svc_open = 0;
	if (!w->dump) {
		w->dump = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
		if (!w->dump ||
		    mnl_socket_bind(w->dump, 0, MNL_SOCKET_AUTOPID) < 0)
			ret = -errno;
	}
	if (!ret)
		ret = dd_diag_dump(w->dump, &w->seq, w->bc, w->bc_len,
				   dd_svcs_count_cb, ctx);
	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];

		if (!dd_svc_measures(in, DD_SESS_SOCKETS))
			continue;
		/* a count that failed: the last one stands, left out */
		if (ret)
			dd_svct_skip(&in->svct);
		else
			dd_svct_sample(&in->svct, dd_inst_capacity(in),
				       in->svc_open, now);
	}
	if (ret) {
		/* anew: nothing of a broken dump left in the socket */
		if (w->dump)
			mnl_socket_close(w->dump);
		w->dump = NULL;
		ctx->cnt.c[DD_C_SVCT_LOST]++;
		if (dd_ratelimit(&w->ev.rl, dd_now_ms()))
			dd_warn("cannot count the established sockets: %s",
				strerror(-ret));
	}
	/* uniform over 0.5 to 1.5 means: no rhythm of the demands' */
	dd_timer_arm(&ctx->loop, t, dd_now_ms() + DD_SVCS_SAMPLE_MS / 2 +
		     randombytes_uniform(DD_SVCS_SAMPLE_MS + 1));
}

static void dd_svcs_ports(struct dd_ctx *ctx, struct dd_svcs *w,
			  struct dd_svc_ports *ports)
{
	dd_svc_events_filter(ctx, &w->ev, ports);
	w->bc_len = ports->n ? dd_svcs_bytecode(ports, w->bc) : 0;
}

static void dd_svcs_stop(struct dd_ctx *ctx)
{
	struct dd_svcs *w = ctx->svcs;

	if (!w)
		return;
	dd_timer_cancel(&w->sample);
	dd_svc_events_close(ctx, &w->ev);
	if (w->dump)
		mnl_socket_close(w->dump);
	free(w);
	ctx->svcs = NULL;
}

/* No capability: the destroy groups are open to every user */
static int dd_svcs_open(struct dd_ctx *ctx)
{
	struct dd_svc_ports ports;
	struct dd_svcs *w;
	int ret;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ev.src = DD_SESS_SOCKETS;
	ctx->svcs = w;
	ret = dd_svc_events_open(ctx, &w->ev, NETLINK_SOCK_DIAG,
				 1u << (SKNLGRP_INET_TCP_DESTROY - 1) |
				 1u << (SKNLGRP_INET6_TCP_DESTROY - 1),
				 &ports, dd_svcs_read);
	if (ret) {
		ctx->svcs = NULL;
		free(w);
		return ret;
	}
	w->bc_len = ports.n ? dd_svcs_bytecode(&ports, w->bc) : 0;
	dd_timer_init(&w->sample, dd_svcs_sample, ctx);
	dd_timer_arm(&ctx->loop, &w->sample, dd_now_ms());
	return 0;
}

/* --- both ---------------------------------------------------------------- */

void dd_svc_stop(struct dd_ctx *ctx)
{
	dd_svcs_stop(ctx);
	dd_svcw_stop(ctx);
}

static struct dd_ratelimit dd_rl_svc_open;

/*
 * After the instances changed, or their source: conntrack's events, or
 * the ended sockets and the counts, while an instance measures its
 * service time from them.  An instance that goes on measuring from the
 * same source (the same name, address and port: the same connections)
 * keeps its measure (and, on conntrack, its open connections), the socket
 * staying open; one that starts measuring, or changes source, starts
 * anew; the connections of one that stops (or is removed, and freed
 * later) are forgotten.  A socket that cannot be opened is tried again
 * at the next collection (dd_sessions_count()).
 */
void dd_svc_sync(struct dd_ctx *ctx)
{
	uint64_t now = dd_now_us();
	/* no socket: nothing was followed, every measure starts anew */
	bool had_ct = ctx->svcw, had_sock = ctx->svcs;
	bool want_ct = false, want_sock = false;
	struct dd_svc_ports ports;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];
		bool m = !in->stale && in->cfg.measure_svc;
		uint8_t src = m ? dd_svc_source(dd_sess_source(in)) : 0;
		bool had = src == DD_SESS_SOCKETS ? had_sock : had_ct;

		if (!m || !had || !in->svc_measuring || in->svc_src != src) {
			in->svc_measured = 0;
			if (m)
				dd_svct_reset(&in->svct, now);
		}
		in->svc_measuring = m;
		in->svc_src = src;
		want_ct |= m && src == DD_SESS_CONNTRACK;
		want_sock |= m && src == DD_SESS_SOCKETS;
	}
	if (!want_sock)
		dd_svcs_stop(ctx);
	else if (ctx->svcs)
		dd_svcs_ports(ctx, ctx->svcs, &ports);
	else
		ret = dd_svcs_open(ctx);
	if (ret && dd_ratelimit(&dd_rl_svc_open, dd_now_ms()))
		dd_warn("cannot follow the ended sockets to measure service times: %s",
			strerror(-ret));
	ret = 0;
	if (!want_ct) {
		dd_svcw_stop(ctx);
	} else if (ctx->svcw) {
		dd_svcw_forget(ctx->svcw, false);
		dd_svc_events_filter(ctx, &ctx->svcw->ev, &ports);
	} else {
		ret = dd_svcw_open(ctx);
	}
	if (ret && dd_ratelimit(&dd_rl_svc_open, dd_now_ms()))
		dd_warn("cannot follow conntrack's events to measure service times: %s",
			strerror(-ret));
}

/* Whether @in measures, from a source followed */
bool dd_svc_followed(const struct dd_ctx *ctx, const struct dd_inst *in)
{
	if (!in->svc_measuring)
		return false;
	if (in->svc_src == DD_SESS_SOCKETS)
		return ctx->svcs;
	return ctx->svcw;
}

/*
 * Whether @in's measure is to be followed anew: its sessions' source
 * (@sess) moved ("auto": the D-BID became an address of this host, or
 * left), or its socket could not be opened
 */
bool dd_svc_resync(const struct dd_ctx *ctx, const struct dd_inst *in,
		   uint8_t sess)
{
	return in->svc_measuring &&
	       (in->svc_src != dd_svc_source(sess) || !dd_svc_followed(ctx, in));
}
