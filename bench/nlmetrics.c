// SPDX-License-Identifier: GPL-2.0
/*
 * nlmetrics: instance metrics into the dyncast module, as a metric agent
 * pushes them: one DYNCAST_CMD_INSTANCE_SET per message, each message
 * acknowledged before the next is sent.
 *
 *   nlmetrics flood [ -t SECONDS ] [ -k K ] [ -r RATE ] SID PORT BID COUNT
 *	Updates the metrics of COUNT instances (BID and the addresses after
 *	it) of the UDP service SID:PORT, K instances per message, for SECONDS,
 *	as fast as the acknowledgements come or at RATE messages per second.
 *	Message m updates instances m*K ... m*K+K-1 (modulo COUNT) with
 *	figures that change from message to message.  Prints the messages and
 *	instance updates sent, the errors and the rates.
 *
 *   nlmetrics relay [ -t SECONDS ] LISTEN_PORT SID PROTO PORT
 *	Receives metric reports over UDP, one per datagram,
 *	"BID cpu sessions queue capacity" (cpu per mille), and sets them on
 *	that instance of the service SID PROTO PORT: the router side of a
 *	metric agent, for the steering benchmark.  Runs until SECONDS pass or
 *	SIGTERM comes; then prints the reports relayed.
 *
 * IPv4 only.  Used by bench/vm/bench.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/dyncast.h>

/* Room for a request of 256 instances, and for an error echoing it. */
#define BUF_SIZE	32768
#define MAX_K		256

static struct mnl_socket *nl;
static unsigned int seq, portid;
static uint16_t family;
static char buf[BUF_SIZE];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID)
		*(uint16_t *)data = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb,
			      data);
}

/* Send the request built in buf and wait for its answer: 0 or -errno. */
static int talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	int ret;

	nlh->nlmsg_seq = ++seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0)
			return -errno;
		ret = mnl_cb_run(buf, ret, seq, portid, cb, data);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

static struct nlmsghdr *genl_start(uint16_t type, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

static int nl_open(void)
{
	struct nlmsghdr *nlh;

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nlmetrics: netlink");
		return -1;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = genl_start(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, DYNCAST_FAMILY_NAME);
	if (talk(nlh, family_cb, &family) || !family) {
		fprintf(stderr, "nlmetrics: no dyncast family (module loaded?)\n");
		return -1;
	}
	return 0;
}

/* An INSTANCE_SET request for the service, its instances to be added. */
static struct nlmsghdr *instance_set_start(struct in_addr sid, uint8_t proto,
					   uint16_t port)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	nlh = genl_start(family, DYNCAST_CMD_INSTANCE_SET,
			 DYNCAST_FAMILY_VERSION);
	nest = mnl_attr_nest_start(nlh, DYNCAST_A_SERVICE);
	mnl_attr_put(nlh, DYNCAST_A_SERVICE_ADDR4, 4, &sid);
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_PROTO, proto);
	if (port)
		mnl_attr_put_u16(nlh, DYNCAST_A_SERVICE_PORT, htons(port));
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

static void put_instance(struct nlmsghdr *nlh, uint32_t addr, uint32_t cpu,
			 uint32_t sessions, uint32_t queue, uint32_t capacity)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, DYNCAST_A_INSTANCE);

	mnl_attr_put(nlh, DYNCAST_A_INSTANCE_ADDR4, 4, &addr);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_CPU, cpu);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_SESSIONS, sessions);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_QUEUE, queue);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_CAPACITY, capacity);
	mnl_attr_nest_end(nlh, nest);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nlmetrics flood [ -t SECONDS ] [ -k K ] [ -r RATE ] SID PORT BID COUNT\n"
		"       nlmetrics relay [ -t SECONDS ] LISTEN_PORT SID { tcp | udp } PORT\n"
		"flood: update the metrics of COUNT instances (BID and the addresses\n"
		"       after it) of the UDP service SID:PORT, K per message (at most\n"
		"       %d), for SECONDS (default 5), at most RATE messages per second\n"
		"       (default: as fast as the acknowledgements come)\n"
		"relay: set the metrics received in UDP datagrams\n"
		"       \"BID cpu sessions queue capacity\" on the service's instances\n",
		MAX_K);
}

static int flood(int argc, char **argv)
{
	unsigned long msgs = 0, errors = 0, count, k = 1, i;
	double secs = 5, rate = 0, t0, t;
	struct in_addr sid, bid;
	int opt, ret, last_err = 0;
	uint16_t port;

	while ((opt = getopt(argc, argv, "t:k:r:")) != -1) {
		switch (opt) {
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'k':
			k = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 4 || inet_pton(AF_INET, argv[optind], &sid) != 1 ||
	    inet_pton(AF_INET, argv[optind + 2], &bid) != 1 || secs <= 0 ||
	    !k || k > MAX_K) {
		usage(stderr);
		return 2;
	}
	port = strtoul(argv[optind + 1], NULL, 10);
	count = strtoul(argv[optind + 3], NULL, 10);
	if (!count || count > DYNCAST_MAX_INSTANCES) {
		usage(stderr);
		return 2;
	}
	if (nl_open())
		return 1;

	t0 = now();
	do {
		struct nlmsghdr *nlh = instance_set_start(sid, IPPROTO_UDP, port);

		for (i = 0; i < k; i++) {
			unsigned long n = (msgs * k + i) % count;

			put_instance(nlh, htonl(ntohl(bid.s_addr) + n),
				     (msgs * 7 + n * 13) % 1000,
				     (msgs + n) % 100, msgs % 10, 100);
		}
		ret = talk(nlh, NULL, NULL);
		if (ret) {
			errors++;
			last_err = -ret;
		}
		msgs++;
		t = now();
		if (rate > 0) {
			double due = t0 + msgs / rate;

			while ((t = now()) < due)
				usleep((due - t) * 1e6 > 1000 ? 1000 : 100);
		}
	} while (t - t0 < secs);

	printf("messages %lu updates %lu errors %lu seconds %.3f msgs_per_s %.1f updates_per_s %.1f\n",
	       msgs, msgs * k, errors, t - t0, msgs / (t - t0),
	       msgs * k / (t - t0));
	if (errors)
		fprintf(stderr, "nlmetrics: %lu errors, the last: %s\n", errors,
			strerror(last_err));
	return errors ? 1 : 0;
}

static int relay(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	unsigned long relayed = 0, errors = 0;
	double secs = 0, t0;
	struct in_addr sid;
	uint16_t port;
	uint8_t proto;
	int opt, fd;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		switch (opt) {
		case 't':
			secs = strtod(optarg, NULL);
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 4 || inet_pton(AF_INET, argv[optind + 1], &sid) != 1) {
		usage(stderr);
		return 2;
	}
	sin.sin_port = htons(strtoul(argv[optind], NULL, 10));
	proto = !strcmp(argv[optind + 2], "tcp") ? IPPROTO_TCP : IPPROTO_UDP;
	port = strtoul(argv[optind + 3], NULL, 10);
	if (nl_open())
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("nlmetrics: relay socket");
		return 1;
	}

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	t0 = now();
	while (!stop && (!secs || now() - t0 < secs)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		unsigned int cpu, sessions, queue, capacity;
		char msg[256], addr[INET_ADDRSTRLEN];
		struct in_addr bid;
		struct nlmsghdr *nlh;
		ssize_t len;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		len = recv(fd, msg, sizeof(msg) - 1, 0);
		if (len <= 0)
			continue;
		msg[len] = '\0';
		if (sscanf(msg, "%15s %u %u %u %u", addr, &cpu, &sessions,
			   &queue, &capacity) != 5 ||
		    inet_pton(AF_INET, addr, &bid) != 1) {
			errors++;
			continue;
		}
		nlh = instance_set_start(sid, proto, port);
		put_instance(nlh, bid.s_addr, cpu > 1000 ? 1000 : cpu, sessions,
			     queue, capacity);
		if (talk(nlh, NULL, NULL))
			errors++;
		else
			relayed++;
	}
	printf("relayed %lu errors %lu\n", relayed, errors);
	return 0;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "flood")) {
		ret = flood(argc - 1, argv + 1);
	} else if (!strcmp(argv[1], "relay")) {
		ret = relay(argc - 1, argv + 1);
	} else {
		usage(!strcmp(argv[1], "-h") ? stdout : stderr);
		return strcmp(argv[1], "-h") ? 2 : 0;
	}
	if (nl)
		mnl_socket_close(nl);
	return ret;
}
