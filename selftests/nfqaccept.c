// SPDX-License-Identifier: GPL-2.0
/*
 * nfqaccept: take the packets of an NFQUEUE queue and give each one back
 * with NF_ACCEPT, from this process: the hooks after the queue's then run
 * in its context (nf_reinject()), not in softirq.
 *
 * Binds queue QUEUE, asks for the packets' metadata only, and answers
 * every packet with its verdict at once.  On SIGTERM or SIGINT it prints
 * how many packets it accepted and exits 0; with -n COUNT it exits once
 * it has accepted COUNT.  It prints "ready" once the queue is bound, so
 * that a script can wait for it.  With -H it holds the packets (up to
 * HOLD_MAX, the rest at once) until SIGUSR1, then gives them back in the
 * order they came, and every later one at once.
 *
 * Used by router_nfqueue.sh.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#define HOLD_MAX	256

static volatile sig_atomic_t stop, release;
static unsigned long accepted;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		release = 1;
	else
		stop = 1;
}

static struct nlmsghdr *nfq_hdr(char *buf, int type, uint16_t queue)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(queue);
	return nlh;
}

/* A setting of the queue, acknowledged: 0, or -1 with errno set. */
static int nfq_config(struct mnl_socket *nl, uint16_t queue, int attr,
		      size_t len, const void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(nl);
	struct nlmsghdr *nlh = nfq_hdr(buf, NFQNL_MSG_CONFIG, queue);
	ssize_t n;

	mnl_attr_put(nlh, attr, len, data);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -1;
	return mnl_cb_run(buf, n, nlh->nlmsg_seq, portid, NULL, NULL) < 0 ?
	       -1 : 0;
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, NFQA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

struct ctx {
	struct mnl_socket *nl;
	uint16_t queue;
	/* -H: the ids of the packets held, until SIGUSR1 */
	int hold;
	unsigned int held;
	uint32_t held_id[HOLD_MAX];
};

/* Give packet @id (network order) back with NF_ACCEPT: 0, or -1. */
static int accept_packet(const struct ctx *c, uint32_t id)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nfqnl_msg_verdict_hdr vh;
	struct nlmsghdr *v;

	v = nfq_hdr(buf, NFQNL_MSG_VERDICT, c->queue);
	vh.verdict = htonl(NF_ACCEPT);
	vh.id = id;
	mnl_attr_put(v, NFQA_VERDICT_HDR, sizeof(vh), &vh);
	if (mnl_socket_sendto(c->nl, v, v->nlmsg_len) < 0) {
		perror("nfqaccept: verdict");
		return -1;
	}
	accepted++;
	return 0;
}

/* After SIGUSR1: the held packets back, in order; no more held. */
static int release_held(struct ctx *c)
{
	unsigned int i;

	c->hold = 0;
	for (i = 0; i < c->held; i++)
		if (accept_packet(c, c->held_id[i]) < 0)
			return -1;
	c->held = 0;
	return 0;
}

static int packet_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFQA_MAX + 1] = {};
	struct nfqnl_msg_packet_hdr *ph;
	struct ctx *c = data;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) < 0 ||
	    !tb[NFQA_PACKET_HDR] ||
	    mnl_attr_get_payload_len(tb[NFQA_PACKET_HDR]) < sizeof(*ph))
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(tb[NFQA_PACKET_HDR]);
	if (c->hold && c->held < HOLD_MAX) {
		c->held_id[c->held++] = ph->packet_id;
		return MNL_CB_OK;
	}
	return accept_packet(c, ph->packet_id) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: nfqaccept [ -n COUNT ] [ -H ] QUEUE\n"
		   "Gives every packet of NFQUEUE queue QUEUE back with NF_ACCEPT;\n"
		   "prints how many on SIGTERM, or exits after COUNT (-n).\n"
		   "-H: holds the packets until SIGUSR1.\n");
}

int main(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nfqnl_msg_config_params params = {};
	struct nfqnl_msg_config_cmd cmd = {};
	unsigned long count = 0, q;
	struct timeval tick = { .tv_usec = 200000 };
	struct sigaction sa = {};
	struct ctx c = {};
	char *end;
	int opt;

	while ((opt = getopt(argc, argv, "n:Hh")) != -1) {
		switch (opt) {
		case 'n':
			count = strtoul(optarg, &end, 10);
			if (*end || !count) {
				fprintf(stderr, "nfqaccept: bad COUNT: %s\n", optarg);
				return 2;
			}
			break;
		case 'H':
			c.hold = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	q = strtoul(argv[optind], &end, 10);
	if (*end || q > 65535) {
		fprintf(stderr, "nfqaccept: bad QUEUE: %s\n", argv[optind]);
		return 2;
	}
	c.queue = q;

	sa.sa_handler = on_signal;	/* no SA_RESTART: recv returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	c.nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!c.nl || mnl_socket_bind(c.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nfqaccept: netlink");
		return 1;
	}
	/* a signal between the check of stop and recv is seen by the next */
	if (setsockopt(mnl_socket_get_fd(c.nl), SOL_SOCKET, SO_RCVTIMEO,
		       &tick, sizeof(tick)) < 0) {
		perror("nfqaccept: SO_RCVTIMEO");
		return 1;
	}
	cmd.command = NFQNL_CFG_CMD_BIND;
	if (nfq_config(c.nl, c.queue, NFQA_CFG_CMD, sizeof(cmd), &cmd) < 0) {
		perror("nfqaccept: bind");
		return 1;
	}
	params.copy_mode = NFQNL_COPY_META;
	if (nfq_config(c.nl, c.queue, NFQA_CFG_PARAMS, sizeof(params),
		       &params) < 0) {
		perror("nfqaccept: copy mode");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);

	while (!stop && (!count || accepted < count)) {
		ssize_t n;

		if (release && c.hold && release_held(&c) < 0)
			return 1;
		n = mnl_socket_recvfrom(c.nl, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ENOBUFS) {
				/* the queue overran us: those packets are lost */
				fprintf(stderr, "nfqaccept: ENOBUFS\n");
				continue;
			}
			perror("nfqaccept: recv");
			return 1;
		}
		if (mnl_cb_run(buf, n, 0, 0, packet_cb, &c) < 0 &&
		    errno != ENOENT) {
			perror("nfqaccept: message");
			return 1;
		}
	}
	printf("%lu\n", accepted);
	mnl_socket_close(c.nl);
	return 0;
}
