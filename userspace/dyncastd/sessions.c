// SPDX-License-Identifier: GPL-2.0
/*
 * Active sessions of the local instances: conntrack entries whose reply
 * comes from the instance (libnetfilter_conntrack; what a D-MA on a
 * D-Router or an edge gateway sees), or established TCP sockets on the
 * instance's address (sock_diag; what a D-MA on the instance's host sees
 * where conntrack is off).  "auto" takes sockets when the D-BID is an
 * address of this host, conntrack otherwise.  One dump per collection
 * serves every instance.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
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

struct dd_sess_walk {
	struct dd_ctx *ctx;
	uint8_t src;
};

static int dd_ct_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
		    void *data)
{
	struct dd_sess_walk *w = data;
	struct dd_ctx *ctx = w->ctx;
	uint8_t proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);
	struct dc_addr a, peer;
	uint16_t port, pport;
	unsigned int i;
	int family;

	(void)type;
	if (proto == IPPROTO_TCP &&
	    nfct_get_attr_u8(ct, ATTR_TCP_STATE) != TCP_CONNTRACK_ESTABLISHED)
		return NFCT_CB_CONTINUE;
	/* the reply comes from the instance; the original from the client */
	family = nfct_get_attr_u8(ct, ATTR_L3PROTO);
	dd_sess_addr(&a, family, nfct_get_attr(ct, family == AF_INET ?
					       ATTR_REPL_IPV4_SRC :
					       ATTR_REPL_IPV6_SRC));
	dd_sess_addr(&peer, family, nfct_get_attr(ct, family == AF_INET ?
						  ATTR_ORIG_IPV4_SRC :
						  ATTR_ORIG_IPV6_SRC));
	port = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
	pport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC));
	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];

		if (in->sess_src == DD_SESS_CONNTRACK &&
		    dd_sess_match(in, &a, port, proto, &peer, pport))
			in->sessions++;
	}
	return NFCT_CB_CONTINUE;
}

static int dd_count_conntrack(struct dd_ctx *ctx)
{
	struct dd_sess_walk w = { .ctx = ctx };
	struct nfct_handle *h;
	uint32_t family;
	int ret = 0;

	h = nfct_open(CONNTRACK, 0);
	if (!h)
		return -errno;
	nfct_callback_register(h, NFCT_T_ALL, dd_ct_cb, &w);
	for (family = AF_INET; family <= AF_INET6 && !ret;
	     family += AF_INET6 - AF_INET)
		if (nfct_query(h, NFCT_Q_DUMP, &family) < 0)
			ret = -errno;
	nfct_close(h);
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
