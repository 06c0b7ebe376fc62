// SPDX-License-Identifier: GPL-2.0
/*
 * The router's passive RTT: its demands' handshakes timed where a packet
 * socket taps them (prtt.h), for the TCP services in rewrite mode, as
 * samples of each instance's site's RTT beside the probes.
 *
 * One AF_PACKET socket of the namespace (CAP_NET_RAW), cooked, every
 * protocol, behind a classic BPF filter that lets through the TCP SYNs
 * going out and the SYN-ACKs coming in to this host (IPv4 not a later
 * fragment, IPv6 without extension headers), their first 128 bytes: each
 * is stamped by the kernel as it goes out (the SYN, rewritten to the
 * D-BID, at its transmit) and comes in (the SYN-ACK, at its receive).  A
 * SYN to an instance of such a service starts a pair; its SYN-ACK ends
 * it.  Without the capability, or with passive-rtt = no, the probes alone
 * measure.  The stamps are real time; the offset to monotonic time is
 * taken at each read, so that a pair across a clock step makes no sample.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "dyncastd.h"
#include "prtt.h"

#define DD_PASSIVE_SNAP		128
#define DD_PASSIVE_BATCH	64
#define DD_PASSIVE_RCVBUF	(1 << 20)

struct dd_passive {
	int fd;
	struct dd_fd watch;
	struct dd_prtt pairs;
	struct dd_ratelimit rl;
};

/*
 * TCP, IPv4 (not a later fragment) or IPv6 (no extension headers): a SYN
 * going out, or a SYN-ACK coming in to this host
 */
static struct sock_filter dd_passive_code[] = {
	/* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS,
			 SKF_AD_OFF + SKF_AD_PROTOCOL),
	/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 7),
	/* IPv4: the flags at 4 * IHL + 13 */
	/* 2 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
	/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 16),
	/* 4 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
	/* 5 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 14, 0),
	/* 6 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
	/* 7 */ BPF_STMT(BPF_LD | BPF_B | BPF_IND, 13),
	/* 8 */ BPF_JUMP(BPF_JMP | BPF_JA, 4, 0, 0),
	/* IPv6: the flags at 40 + 13 */
	/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 10),
	/* 10 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),
	/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 8),
	/* 12 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 40 + 13),
	/* 13: SYN set; with ACK, in to this host, else out */
	/* 13 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x02, 0, 6),
	/* 14 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x10, 0, 2),
	/* 15 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			  SKF_AD_OFF + SKF_AD_PKTTYPE),
	/* 16 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_HOST, 2, 3),
	/* 17 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			  SKF_AD_OFF + SKF_AD_PKTTYPE),
	/* 18 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1),
	/* 19 */ BPF_STMT(BPF_RET | BPF_K, DD_PASSIVE_SNAP),
	/* 20 */ BPF_STMT(BPF_RET | BPF_K, 0),
};

/* the kernel's stamp of a packet read into @m, microseconds; 0 none */
static uint64_t dd_passive_stamp(struct msghdr *m)
{
	struct cmsghdr *c;
	struct timespec ts;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	}
	return 0;
}

/* real time less monotonic time, microseconds: a step shows in it */
static int64_t dd_passive_offset(void)
{
	struct timespec r, m;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return ((int64_t)r.tv_sec - m.tv_sec) * 1000000 +
	       (r.tv_nsec - m.tv_nsec) / 1000;
}

static void dd_passive_packet(struct dd_ctx *ctx, const uint8_t *pkt,
			      size_t len, const struct sockaddr_ll *sll,
			      uint64_t t_us, int64_t off_us)
{
	struct dd_passive *p = ctx->passive;
	struct dd_prtt_seg s;
	struct dd_entry *e;
	int64_t rtt;

	if (dd_prtt_parse(pkt, len, &s))
		return;
	if (!s.ack_flag) {
		/* a SYN on its way to an instance, after the rewrite */
		if (sll->sll_pkttype == PACKET_OUTGOING &&
		    dd_router_rewrite_entry(ctx, &s.dst, s.dport))
			dd_prtt_syn(&p->pairs, &s, sll->sll_ifindex, t_us,
				    off_us);
		return;
	}
	/* its answer, to this host, before the rewrite back */
	if (sll->sll_pkttype != PACKET_HOST)
		return;
	rtt = dd_prtt_synack(&p->pairs, &s, sll->sll_ifindex, t_us, off_us);
	if (rtt < 0)
		return;
	e = dd_router_rewrite_entry(ctx, &s.src, s.sport);
	if (e)
		dd_router_passive_rtt(ctx, e, rtt > UINT32_MAX ? UINT32_MAX :
					      (uint32_t)rtt);
}

static void dd_passive_read(struct dd_fd *w, uint32_t events)
{
	struct dd_ctx *ctx = w->data;
	struct dd_passive *p = ctx->passive;
	int64_t off_us = dd_passive_offset();
	unsigned int i;

	(void)events;
	for (i = 0; i < DD_PASSIVE_BATCH; i++) {
		union {
			char buf[CMSG_SPACE(sizeof(struct timespec))];
			struct cmsghdr align;
		} cm;
		uint8_t pkt[DD_PASSIVE_SNAP];
		struct sockaddr_ll sll;
		struct iovec iov = { pkt, sizeof(pkt) };
		struct msghdr m = {
			.msg_name = &sll, .msg_namelen = sizeof(sll),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cm.buf, .msg_controllen = sizeof(cm.buf),
		};
		uint64_t t_us;
		ssize_t n;

		n = recvmsg(p->fd, &m, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    dd_ratelimit(&p->rl, dd_now_ms()))
				dd_warn("passive RTT: %s", strerror(errno));
			return;
		}
		t_us = dd_passive_stamp(&m);
		if (t_us)
			dd_passive_packet(ctx, pkt, (size_t)n, &sll, t_us,
					  off_us);
	}
}

static void dd_passive_close(struct dd_ctx *ctx)
{
	struct dd_passive *p = ctx->passive;

	if (!p)
		return;
	dd_fd_del(&ctx->loop, &p->watch);
	close(p->fd);
	free(p);
	ctx->passive = NULL;
}

static int dd_passive_open(struct dd_ctx *ctx)
{
	struct sock_fprog prog = {
		.len = sizeof(dd_passive_code) / sizeof(dd_passive_code[0]),
		.filter = dd_passive_code,
	};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	int one = 1, size = DD_PASSIVE_RCVBUF, ret;
	struct dd_passive *p;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	/* protocol 0: nothing queued before the filter is in place */
	p->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		ret = -errno;
		free(p);
		return ret;
	}
	if (setsockopt(p->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)) ||
	    setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ||
	    bind(p->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		ret = -errno;
		goto err;
	}
	if (setsockopt(p->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	ret = dd_fd_add(&ctx->loop, &p->watch, p->fd, EPOLLIN, dd_passive_read,
			ctx);
	if (ret)
		goto err;
	ctx->passive = p;
	return 0;
err:
	close(p->fd);
	free(p);
	return ret;
}

/* Whether any service of the configuration has its handshakes timed */
static bool dd_passive_wanted(const struct dd_ctx *ctx)
{
	const struct dd_config *cfg = ctx->cfg;
	unsigned int i;

	if (!cfg->router || !cfg->passive_rtt || !cfg->probe_cost)
		return false;
	for (i = 0; i < cfg->n_services; i++)
		if (dd_service_rewrite_tcp(&cfg->services[i]))
			return true;
	return false;
}

/* After a (re)load: the socket opened or closed as the configuration says */
void dd_passive_apply(struct dd_ctx *ctx)
{
	static struct dd_ratelimit rl;
	int ret;

	if (!dd_passive_wanted(ctx)) {
		dd_passive_close(ctx);
		return;
	}
	if (ctx->passive)
		return;
	ret = dd_passive_open(ctx);
	if (ret && dd_ratelimit(&rl, dd_now_ms()))
		dd_warn("passive RTT off, the probes alone measure: %s",
			strerror(-ret));
}

void dd_passive_exit(struct dd_ctx *ctx)
{
	dd_passive_close(ctx);
}
