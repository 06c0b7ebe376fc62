// SPDX-License-Identifier: GPL-2.0
/*
 * udpgen: 64-byte UDP datagrams from a raw socket, the data-plane
 * benchmarks' generator.
 *
 *   udpgen -d DST [-p PORT] [-r RATE] [-c COUNT] [-s SRC] [-a ADDRS]
 *          [-P SPORT] [-f FLOWS] [-x] [-n] [-F] [-y] [-e FROM,TO]
 *
 * Each datagram is built here (IP_HDRINCL) and sent by sendmmsg() in
 * batches of a millisecond's worth, RATE a second (4000), or with -r 0
 * in batches of 128 as fast as the sender can; with -y it yields the CPU
 * after each batch, to a receiver's NAPI thread on the same CPU that
 * would not preempt it (SCHED_BATCH), which then takes the whole batch.  Its source is one of
 * ADDRS (1) addresses from SRC (10.1.0.2) and one of FLOWS (1000) ports
 * from SPORT (1000), the flows taken in turn (address by address, then
 * port by port), or with -x at random; with -n from a random address of
 * 10.128.0.0/9 and a random port each, every datagram practically a flow
 * of its own.  With -c it stops after COUNT datagrams, else it runs until
 * killed.  A paced batch that finds its time past is sent at once, the
 * next one a period later: a late batch is not made up for by a burst.
 * Datagrams carry DF, as a Linux socket's do (path MTU discovery,
 * IP_PMTUDISC_WANT) and TCP's and QUIC's; -F leaves it clear, which makes
 * a tunnel pick an identification for its outer header.
 * Unlike pktgen's, whose sender keeps a
 * reference to the buffer while the receiver processes it in the same
 * softirq (so that ip_rcv() copies it as shared and a router that writes
 * its header copies the head again), each datagram here is the stack's
 * own, as from a real sender.  With -e each goes in IPIP from FROM to TO,
 * whose decapsulation leaves the room of the outer headers in front of
 * it, as a network card's receive buffer has (a socket's datagram has 16
 * bytes, too few for an outer header of a router's own); SRC must then
 * be no address of TO's host, whose routing would take it for a martian
 * source.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#define FRAME		64	/* on the wire, as pktgen's pkt_size 64 */
#define PKT_LEN		(FRAME - 14)	/* IP datagram: no Ethernet header */
#define OUTER		20		/* -e: the IPIP header */
#define ROW		72		/* a datagram's room: 4-byte aligned */
#define MAX_BATCH	256
#define FAST_BATCH	128	/* -r 0: half of veth's ring */

static void usage(void)
{
	fprintf(stderr,
		"usage: udpgen -d DST [-p PORT] [-r RATE] [-c COUNT] [-s SRC] [-a ADDRS]\n"
		"              [-P SPORT] [-f FLOWS] [-x] [-n] [-F] [-y] [-e FROM,TO]\n");
	exit(2);
}

static uint32_t xorshift32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* The IPv4 header checksum of @ip */
static uint16_t ip_csum(const struct iphdr *ip)
{
	const uint16_t *p = (const uint16_t *)ip;
	uint32_t sum = 0;
	unsigned int i;

	for (i = 0; i < ip->ihl * 2; i++)
		sum += p[i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static unsigned long parse_ul(const char *arg, const char *name,
			      unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || end == arg || v < min || v > max) {
		fprintf(stderr, "udpgen: %s: \"%s\" is not a number from %lu to %lu\n",
			name, arg, min, max);
		exit(2);
	}
	return v;
}

static void parse_addr(const char *arg, const char *name, struct in_addr *a)
{
	if (inet_pton(AF_INET, arg, a) != 1) {
		fprintf(stderr, "udpgen: %s: \"%s\" is no IPv4 address\n",
			name, arg);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	static uint8_t pkts[MAX_BATCH][ROW] __attribute__((aligned(4)));
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	unsigned long rate = 4000, count = 0, flows = 1000, addrs = 1;
	unsigned long port = 9, sport = 1000;
	unsigned long long sent = 0, nflows;
	struct in_addr src = { htonl(0x0a010002) }, dst = { 0 };
	struct in_addr efrom = { 0 }, eto = { 0 };
	unsigned int off = 0;
	char *comma;
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint32_t seed = 0x2545f491;
	unsigned int batch, n, i;
	struct timespec next, now;
	int opt, fd, rnd = 0, pick = 0, df = 1, yield = 0;

	while ((opt = getopt(argc, argv, "d:p:r:c:s:a:P:f:xnFye:")) != -1) {
		switch (opt) {
		case 'd':
			parse_addr(optarg, "-d", &dst);
			break;
		case 'p':
			port = parse_ul(optarg, "-p", 1, 65535);
			break;
		case 'r':
			rate = parse_ul(optarg, "-r", 0, 10000000);
			break;
		case 'c':
			count = parse_ul(optarg, "-c", 1, 4294967295UL);
			break;
		case 's':
			parse_addr(optarg, "-s", &src);
			break;
		case 'a':
			addrs = parse_ul(optarg, "-a", 1, 1UL << 24);
			break;
		case 'P':
			sport = parse_ul(optarg, "-P", 1, 65535);
			break;
		case 'f':
			flows = parse_ul(optarg, "-f", 1, 65535);
			break;
		case 'x':
			pick = 1;
			break;
		case 'n':
			rnd = 1;
			break;
		case 'F':
			df = 0;
			break;
		case 'y':
			yield = 1;
			break;
		case 'e':
			comma = strchr(optarg, ',');
			if (comma)
				*comma++ = '\0';
			if (!comma) {
				fprintf(stderr, "udpgen: -e: FROM,TO: two IPv4 addresses\n");
				return 2;
			}
			parse_addr(optarg, "-e", &efrom);
			parse_addr(comma, "-e", &eto);
			off = OUTER;
			break;
		default:
			usage();
		}
	}
	if (!dst.s_addr || optind != argc)
		usage();
	if (sport + flows - 1 > 65535) {
		fprintf(stderr, "udpgen: -P %lu -f %lu: ports beyond 65535\n",
			sport, flows);
		return 2;
	}
	if ((unsigned long long)ntohl(src.s_addr) + addrs - 1 > 0xffffffffULL) {
		fprintf(stderr, "udpgen: -s, -a: addresses beyond 255.255.255.255\n");
		return 2;
	}
	nflows = (unsigned long long)addrs * flows;

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("udpgen: socket");
		return 1;
	}
	to.sin_addr = off ? eto : dst;
	/* a millisecond's worth each, at least one; unpaced: the most */
	batch = rate / 1000 ? rate / 1000 : 1;
	if (batch > MAX_BATCH)
		batch = MAX_BATCH;
	if (!rate)
		batch = FAST_BATCH;
	for (i = 0; i < batch; i++) {
		struct iphdr *ip = (struct iphdr *)(pkts[i] + off);
		struct udphdr *udp = (struct udphdr *)(ip + 1);

		if (off) {
			struct iphdr *o = (struct iphdr *)pkts[i];

			o->version = 4;
			o->ihl = 5;
			o->ttl = 64;
			o->protocol = IPPROTO_IPIP;
			o->tot_len = htons(OUTER + PKT_LEN);
			o->saddr = efrom.s_addr;
			o->daddr = eto.s_addr;
		}
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->tot_len = htons(PKT_LEN);	/* the kernel fills id, check */
		ip->frag_off = df ? htons(IP_DF) : 0;
		ip->daddr = dst.s_addr;
		udp->dest = htons(port);
		udp->len = htons(PKT_LEN - sizeof(*ip));
		iov[i].iov_base = pkts[i];
		iov[i].iov_len = off + PKT_LEN;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
	}

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!count || sent < count) {
		n = batch;
		if (count && count - sent < n)
			n = count - sent;
		for (i = 0; i < n; i++) {
			struct iphdr *ip = (struct iphdr *)(pkts[i] + off);
			struct udphdr *udp = (struct udphdr *)(ip + 1);
			unsigned long long f;

			if (rnd) {
				ip->saddr = htonl(0x0a800000 |
						  (xorshift32(&seed) & 0x7fffff));
				udp->source = htons(1024 + xorshift32(&seed) %
							   (65536 - 1024));
			} else {
				/* two draws: beyond 2^32 flows, and unbiased enough */
				f = pick ? (((unsigned long long)xorshift32(&seed) << 32) |
					    xorshift32(&seed)) % nflows
					 : sent % nflows;
				ip->saddr = htonl(ntohl(src.s_addr) + f % addrs);
				udp->source = htons(sport + f / addrs);
			}
			sent++;
			/* the kernel fills in the outer header's alone */
			if (off) {
				ip->check = 0;
				ip->check = ip_csum(ip);
			}
		}
		/* what sendmmsg() did not take is sent on, each datagram once */
		for (i = 0; i < n; ) {
			int r = sendmmsg(fd, msgs + i, n - i, 0);

			if (r > 0) {
				i += r;
			} else if (r == 0 || errno == ENOBUFS) {
				i++;	/* dropped on the way out: not sent */
			} else if (errno != EINTR) {
				perror("udpgen: sendmmsg");
				return 1;
			}
		}
		if (yield)
			sched_yield();
		if (!rate)
			continue;
		/* the next batch is due batch / rate seconds after this one */
		next.tv_nsec += (long)(1000000000ULL * batch / rate);
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec ||
		    (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec))
			next = now;	/* late: no burst to catch up */
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
	}
	return 0;
}
