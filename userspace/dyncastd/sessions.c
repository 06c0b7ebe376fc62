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
 * from the same source (svcwatch.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "dyncastd.h"
#include "nl.h"

#define DD_TCP_ESTABLISHED	1	/* include/net/tcp_states.h */

static struct dd_ratelimit dd_rl_sess;

uint16_t dd_inst_port(const struct dd_inst *in)
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

/* Whether @peer port @pport is our end of one of the last checks */
static bool dd_sess_check(const struct dd_ctx *ctx, const struct dc_addr *peer,
			  uint16_t pport)
{
	unsigned int i, j;

	if (!pport)
		return false;
	for (i = 0; i < ctx->n_inst; i++) {
		const struct dd_inst *in = ctx->inst[i];

		if (!dd_addr_eq(&in->hc_addr, peer))
			continue;
		for (j = 0; j < DD_HC_PORTS; j++)
			if (in->hc_ports[j] == pport)
				return true;
	}
	return false;
}

/*
 * Whether a connection to @a port @port from @peer port @pport is a
 * session of @in: the agent's own health checks, of any instance, are not.
 */
bool dd_sess_match(const struct dd_inst *in, const struct dc_addr *a,
		   uint16_t port, uint8_t proto, const struct dc_addr *peer,
		   uint16_t pport)
{
	uint16_t want = dd_inst_port(in);

	return in->cfg.key.svc.proto == proto && dd_addr_eq(&in->cfg.key.bid, a) &&
	       (!want || want == port) && !dd_sess_check(in->ctx, peer, pport);
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
bool dd_ct_ends(const struct nf_conntrack *ct, struct dc_addr *a,
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
		ret = dc_mnl_dump_run(buf, n, seq, portid, dd_ct_msg_cb, w);
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

/*
 * The two ends of a socket in a sock_diag message: its own (@a, @port),
 * its peer's (@peer, @pport); false when the message is too short
 */
bool dd_diag_ends(const struct nlmsghdr *nlh, struct dc_addr *a,
		  uint16_t *port, struct dc_addr *peer, uint16_t *pport)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return false;
	dd_sess_addr(a, m->idiag_family, m->id.idiag_src);
	dd_sess_addr(peer, m->idiag_family, m->id.idiag_dst);
	*port = ntohs(m->id.idiag_sport);
	*pport = ntohs(m->id.idiag_dport);
	return true;
}

static int dd_diag_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dd_ctx *ctx = data;
	struct dc_addr a, peer;
	uint16_t port, pport;
	unsigned int i;

	ctx->cnt.c[DD_C_SOCK_READ]++;
	if (!dd_diag_ends(nlh, &a, &port, &peer, &pport))
		return MNL_CB_OK;
	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];

		if (in->sess_src == DD_SESS_SOCKETS &&
		    dd_sess_match(in, &a, port, IPPROTO_TCP, &peer, pport))
			in->sessions++;
	}
	return MNL_CB_OK;
}

/*
 * Dumps the established TCP sockets of both families on @nl, through
 * @bc (inet_diag's bytecode, @bc_len bytes; none: every one), each to
 * @cb; 0 or a negative errno
 */
int dd_diag_dump(struct mnl_socket *nl, unsigned int *seq, const void *bc,
		 size_t bc_len, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 4];
	unsigned int portid = mnl_socket_get_portid(nl);
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;
	uint8_t family;
	int ret = 0;

	for (family = AF_INET; family;
	     family = family == AF_INET ? AF_INET6 : 0) {
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		nlh->nlmsg_seq = ++*seq;
		req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
		memset(req, 0, sizeof(*req));
		req->sdiag_family = family;
		req->sdiag_protocol = IPPROTO_TCP;
		req->idiag_states = 1u << DD_TCP_ESTABLISHED;
		if (bc_len)
			mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, bc_len, bc);
		if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
			return -errno;
		do {
			ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

			if (n < 0)
				return -errno;
			ret = dc_mnl_dump_run(buf, n, *seq, portid, cb, data);
		} while (ret > MNL_CB_STOP);
		/* an error message or a dump cut short: errno is set */
		if (ret < 0)
			return errno ? -errno : -EPROTO;
	}
	return 0;
}

static int dd_count_sockets(struct dd_ctx *ctx)
{
	unsigned int seq = 0;
	struct mnl_socket *nl;
	size_t bc_len;
	const void *bc;
	int ret;

	nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	bc_len = dd_sess_bytecode(ctx, &bc);
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		ret = -errno;
	else
		ret = dd_diag_dump(nl, &seq, bc, bc_len, dd_diag_cb, ctx);
	mnl_socket_close(nl);
	return ret;
}

/* Where @in's sessions are counted: its setting, "auto" resolved */
uint8_t dd_sess_source(const struct dd_inst *in)
{
	if (in->cfg.sessions != DD_SESS_AUTO)
		return in->cfg.sessions;
	return dd_addr_is_local(&in->cfg.key.bid) ? DD_SESS_SOCKETS :
						     DD_SESS_CONNTRACK;
}

/* Counts the sessions of every instance; sessions_ok says which could. */
int dd_sessions_count(struct dd_ctx *ctx)
{
	bool want_ct = false, want_sock = false, moved = false;
	int ct = 0, sock = 0;
	unsigned int i;

	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];

		in->sessions = 0;
		in->sess_src = dd_sess_source(in);
		moved |= dd_svc_resync(ctx, in, in->sess_src);
		/* no socket of a UDP service is a session */
		if (in->sess_src == DD_SESS_SOCKETS &&
		    in->cfg.key.svc.proto != IPPROTO_TCP)
			in->sess_src = DD_SESS_OFF;
		want_ct |= in->sess_src == DD_SESS_CONNTRACK;
		want_sock |= in->sess_src == DD_SESS_SOCKETS;
	}
	if (moved)
		dd_svc_sync(ctx);
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
