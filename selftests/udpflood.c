// SPDX-License-Identifier: GPL-2.0
/*
 * udpflood: send COUNT UDP datagrams to DST:PORT, each one a new flow.
 *
 * Flow i comes from source port PMIN + i % NPORTS of source address
 * number (i / NPORTS) of PREFIX, so that no two datagrams share a 5-tuple;
 * with -a the address varies fastest instead.  The datagrams are written
 * whole, IP header included, on a raw socket (IPPROTO_RAW): the source
 * addresses need not be local.  The count is bounded, and the run fails
 * when PREFIX and the port range hold fewer flows than asked for.
 *
 * Used by router_limits.sh to fill the binding table of the D-Router.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_COUNT	10000000UL
#define MAX_PAYLOAD	1400
#define BATCH		64

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: udpflood [ -n COUNT ] -s PREFIX [ -p PORT[-PORT] ] [ -o FIRST ]\n"
		"                [ -a ] [ -l LEN ] [ -r RATE ] [ -q ] DST PORT\n"
		"Sends COUNT UDP datagrams to DST:PORT, each one a new flow.\n"
		"  -n COUNT   datagrams, and flows, to send (default 1000, at most %lu)\n"
		"  -s PREFIX  source addresses: every address of ADDR/LEN, from ADDR on\n"
		"             (IPv4 or IPv6, the family of DST; no /LEN: ADDR alone)\n"
		"  -p PORTS   source ports, PORT or PMIN-PMAX (default 1024-65535)\n"
		"  -o FIRST   start at flow number FIRST (default 0), so that runs\n"
		"             after one another send other flows\n"
		"  -a         vary the source address fastest, the port slowest\n"
		"  -l LEN     UDP payload bytes (default 16, at most %d)\n"
		"  -r RATE    at most RATE datagrams per second (default: no limit)\n"
		"  -q         print nothing but errors\n"
		"Flow i comes from port PMIN + i %% NPORTS of address number\n"
		"i / NPORTS of PREFIX (with -a: address i %% NADDRS, port i / NADDRS).\n"
		"Needs CAP_NET_RAW.  Exits 0 when every datagram was sent, 1 if not,\n"
		"2 on a usage error.\n",
		MAX_COUNT, MAX_PAYLOAD);
}

static void __attribute__((noreturn)) die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "udpflood: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	exit(2);
}

static unsigned long parse_ul(const char *s, unsigned long max, const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || *s == '-')
		die_usage("invalid %s", what);
	return v;
}

struct addr {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t b[16];
	};
};

static bool parse_addr(const char *s, struct addr *a)
{
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, &a->v6) == 1) {
		a->family = AF_INET6;
		return true;
	}
	return false;
}

/* ADDR[/LEN]: the first address, and how many follow it in the prefix. */
static void parse_prefix(char *s, struct addr *a, uint64_t *naddrs)
{
	char *slash = strchr(s, '/');
	unsigned int bits, plen, host, i;
	uint64_t left = 0;

	if (slash)
		*slash = '\0';
	if (!parse_addr(s, a))
		die_usage("invalid source address \"%s\"", s);
	bits = a->family == AF_INET ? 32 : 128;
	plen = slash ? parse_ul(slash + 1, bits, "prefix length") : bits;
	host = bits - plen;
	if (host > 40)
		host = 40;	/* more flows than MAX_COUNT anyway */
	/* addresses from ADDR to the end of the prefix */
	for (i = 0; i < host; i++) {
		unsigned int bit = bits - 1 - i;

		if (!(a->b[bit / 8] & (0x80 >> (bit % 8))))
			left |= 1ULL << i;
	}
	*naddrs = left + 1;
}

/* The address @n after @a (n fits in the host part: see parse_prefix). */
static void addr_add(const struct addr *a, uint64_t n, struct addr *out)
{
	int i = a->family == AF_INET ? 3 : 15;
	unsigned int carry = 0;

	*out = *a;
	for (; i >= 0 && (n || carry); i--) {
		unsigned int v = out->b[i] + (n & 0xff) + carry;

		out->b[i] = v & 0xff;
		carry = v >> 8;
		n >>= 8;
	}
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += (p[0] << 8) | p[1];
	if (len)
		sum += p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Build one datagram in @buf; returns its length. */
static size_t build(uint8_t *buf, const struct addr *src, const struct addr *dst,
		    uint16_t sport, uint16_t dport, size_t plen)
{
	size_t ulen = sizeof(struct udphdr) + plen, iplen;
	struct udphdr *uh;
	uint32_t sum;

	if (src->family == AF_INET) {
		struct iphdr *ip = (struct iphdr *)buf;

		iplen = sizeof(*ip);
		memset(ip, 0, sizeof(*ip));
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->tot_len = htons(iplen + ulen);	/* the kernel fills id, check */
		ip->saddr = src->v4.s_addr;
		ip->daddr = dst->v4.s_addr;
		sum = csum_add(0, &ip->saddr, 8);
	} else {
		struct ip6_hdr *ip6 = (struct ip6_hdr *)buf;

		iplen = sizeof(*ip6);
		memset(ip6, 0, sizeof(*ip6));
		ip6->ip6_flow = htonl(6 << 28);
		ip6->ip6_plen = htons(ulen);
		ip6->ip6_nxt = IPPROTO_UDP;
		ip6->ip6_hlim = 64;
		ip6->ip6_src = src->v6;
		ip6->ip6_dst = dst->v6;
		sum = csum_add(0, &ip6->ip6_src, 32);
	}
	uh = (struct udphdr *)(buf + iplen);
	uh->source = htons(sport);
	uh->dest = htons(dport);
	uh->len = htons(ulen);
	uh->check = 0;
	memset(uh + 1, 'x', plen);
	sum += IPPROTO_UDP + ulen;
	sum = csum_add(sum, uh, ulen);
	uh->check = htons(csum_fold(sum) ?: 0xffff);
	return iplen + ulen;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static uint8_t bufs[BATCH][sizeof(struct ip6_hdr) + sizeof(struct udphdr) +
				  MAX_PAYLOAD];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	unsigned long count = 1000, first = 0, rate = 0, plen = 16;
	unsigned long pmin = 1024, pmax = 65535, sent = 0, failed = 0;
	uint64_t naddrs = 0, nports, flows;
	struct sockaddr_storage to = {};
	struct addr src = {}, dst;
	bool quiet = false, addr_fast = false;
	char *srcarg = NULL, *dash;
	double t0, t;
	socklen_t tolen;
	int opt, fd, last_err = 0;
	uint16_t dport;

	while ((opt = getopt(argc, argv, "n:s:p:o:al:r:qh")) != -1) {
		switch (opt) {
		case 'n':
			count = parse_ul(optarg, MAX_COUNT, "count");
			break;
		case 's':
			srcarg = optarg;
			break;
		case 'p':
			dash = strchr(optarg, '-');
			if (dash) {
				*dash = '\0';
				pmin = parse_ul(optarg, 65535, "port");
				pmax = parse_ul(dash + 1, 65535, "port");
			} else {
				pmin = pmax = parse_ul(optarg, 65535, "port");
			}
			if (!pmin || pmin > pmax)
				die_usage("invalid port range%s", "");
			break;
		case 'o':
			first = parse_ul(optarg, MAX_COUNT, "first flow");
			break;
		case 'a':
			addr_fast = true;
			break;
		case 'l':
			plen = parse_ul(optarg, MAX_PAYLOAD, "length");
			break;
		case 'r':
			rate = parse_ul(optarg, 100000000, "rate");
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2)
		die_usage("give DST and PORT%s", "");
	if (!parse_addr(argv[optind], &dst))
		die_usage("invalid destination \"%s\"", argv[optind]);
	dport = parse_ul(argv[optind + 1], 65535, "port");
	if (!srcarg)
		die_usage("give the source addresses (-s PREFIX)%s", "");
	parse_prefix(srcarg, &src, &naddrs);
	if (src.family != dst.family)
		die_usage("source and destination of different families%s", "");

	nports = pmax - pmin + 1;
	flows = naddrs * nports;
	if (first + count > flows) {
		fprintf(stderr, "udpflood: flows %lu to %lu asked, but PREFIX and the "
			"ports hold only %llu\n", first, first + count,
			(unsigned long long)flows);
		return 2;
	}

	fd = socket(dst.family, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("udpflood: raw socket");
		return 1;
	}
	if (dst.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&to;

		sin->sin_family = AF_INET;
		sin->sin_addr = dst.v4;
		tolen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to;

		/* sin6_port must stay 0: it would name the protocol */
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = dst.v6;
		tolen = sizeof(*sin6);
	}

	t0 = now();
	while (sent + failed < count) {
		unsigned int n = 0;
		int ret;

		for (; n < BATCH && sent + failed + n < count; n++) {
			uint64_t f = first + sent + failed + n, a, p;
			struct addr s;

			if (addr_fast) {
				a = f % naddrs;
				p = f / naddrs;
			} else {
				a = f / nports;
				p = f % nports;
			}
			addr_add(&src, a, &s);
			iov[n].iov_base = bufs[n];
			iov[n].iov_len = build(bufs[n], &s, &dst, pmin + p,
					       dport, plen);
			memset(&msgs[n], 0, sizeof(msgs[n]));
			msgs[n].msg_hdr.msg_name = &to;
			msgs[n].msg_hdr.msg_namelen = tolen;
			msgs[n].msg_hdr.msg_iov = &iov[n];
			msgs[n].msg_hdr.msg_iovlen = 1;
		}
		ret = sendmmsg(fd, msgs, n, 0);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			/* skip the one that failed and go on */
			last_err = errno;
			failed++;
			continue;
		}
		sent += ret;
		if (rate) {
			double due = t0 + (double)(sent + failed) / rate;

			while ((t = now()) < due)
				usleep((due - t) * 1e6 > 1000 ? 1000 : 100);
		}
	}
	t = now() - t0;
	close(fd);

	if (!quiet)
		printf("udpflood: sent %lu of %lu datagrams (flows %lu to %lu) in %.2f s\n",
		       sent, count, first, first + count - 1, t);
	if (failed) {
		fprintf(stderr, "udpflood: %lu datagrams not sent: %s\n", failed,
			strerror(last_err));
		return 1;
	}
	return 0;
}
