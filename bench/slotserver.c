// SPDX-License-Identifier: GPL-2.0
/*
 * slotserver: a service instance of limited concurrency and fixed service
 * time, for the steering benchmark.
 *
 * Each TCP connection carries one request: a line.  The server holds at
 * most SLOTS requests in service at once; each takes SERVICE_MS, after
 * which the answer (the server's NAME and a newline) is written and the
 * connection closed.  Requests beyond the slots wait in arrival order.
 * Waiting and service are timers, not work: the server's own CPU use does
 * not depend on the load, so that an emulated machine can run several.
 *
 * With -m, it reports its metrics every INTERVAL_MS in one UDP datagram to
 * ADDR:PORT, as "BID cpu sessions queue capacity": cpu is the busy share
 * of the slots since the last report, per mille; sessions the requests in
 * service, queue those waiting, capacity the slots (see nlmetrics relay).
 * With -u, it reports the same figures every INTERVAL_MS to dyncastd's
 * report socket PATH (a unix datagram socket; "@name" is abstract), as
 * "NAME cpu PERCENT sessions N queue N" (dyncastd(8), REPORTS).
 *
 * SIGUSR1 halves the slots (at least one is left), as a site that loses
 * half its servers; SIGUSR2 gives them back.  Requests in service go on;
 * the reports give the slots left as the capacity.
 *
 * On SIGTERM it prints how many requests it served and the longest queue.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS	256

struct conn {
	int fd;
	double deadline;	/* end of service */
};

/* A ring of connections: those in service, or those waiting. */
struct ring {
	struct conn *c;
	unsigned int head, len, cap;
};

static volatile sig_atomic_t stop, halved;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_usr(int sig)
{
	halved = sig == SIGUSR1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void ring_push(struct ring *r, struct conn c)
{
	if (r->len == r->cap) {
		unsigned int cap = r->cap ? 2 * r->cap : 64, i;
		struct conn *n = malloc(cap * sizeof(*n));

		if (!n) {
			perror("slotserver");
			exit(1);
		}
		for (i = 0; i < r->len; i++)
			n[i] = r->c[(r->head + i) % r->cap];
		free(r->c);
		r->c = n;
		r->head = 0;
		r->cap = cap;
	}
	r->c[(r->head + r->len++) % r->cap] = c;
}

static struct conn *ring_first(struct ring *r)
{
	return r->len ? &r->c[r->head] : NULL;
}

static struct conn ring_pop(struct ring *r)
{
	struct conn c = r->c[r->head];

	r->head = (r->head + 1) % r->cap;
	r->len--;
	return c;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: slotserver [ -s SLOTS ] [ -t SERVICE_MS ] [ -n NAME ]\n"
		"                  [ -m ADDR:PORT -b BID ] [ -u PATH ] [ -i INTERVAL_MS ]\n"
		"                  PORT\n"
		"Serves one request (a line) per TCP connection on PORT, SLOTS at once\n"
		"(default 1), each for SERVICE_MS (default 50), answering NAME; with\n"
		"-m, reports its metrics for instance BID to ADDR:PORT over UDP every\n"
		"INTERVAL_MS (default 100); with -u, to dyncastd's report socket PATH\n"
		"for its instance NAME.  SIGUSR1 halves the slots, SIGUSR2 gives them\n"
		"back.\n");
}

int main(int argc, char **argv)
{
	struct ring serving = { 0 }, waiting = { 0 };
	struct sockaddr_in sin = { .sin_family = AF_INET }, to = { 0 };
	struct sockaddr_un uto = { .sun_family = AF_UNIX };
	socklen_t ulen = 0;
	struct epoll_event ev, events[MAX_EVENTS];
	unsigned int slots = 1, max_queue = 0, all_slots, want;
	double svc = 0.050, interval = 0.1, next_report = 0, busy_area = 0;
	double last_change, last_report;
	unsigned long served = 0;
	const char *name = "server", *bid = NULL;
	struct rlimit rl = { 65536, 65536 };
	int opt, lfd, efd, mfd = -1, ufd = -1, one = 1;
	char *colon;

	while ((opt = getopt(argc, argv, "s:t:n:m:b:u:i:h")) != -1) {
		switch (opt) {
		case 's':
			slots = strtoul(optarg, NULL, 10);
			break;
		case 't':
			svc = strtod(optarg, NULL) / 1e3;
			break;
		case 'n':
			name = optarg;
			break;
		case 'm':
			colon = strchr(optarg, ':');
			if (!colon)
				goto bad;
			*colon = '\0';
			to.sin_family = AF_INET;
			to.sin_port = htons(strtoul(colon + 1, NULL, 10));
			if (inet_pton(AF_INET, optarg, &to.sin_addr) != 1)
				goto bad;
			break;
		case 'b':
			bid = optarg;
			break;
		case 'u':
			if (!*optarg || strlen(optarg) >= sizeof(uto.sun_path))
				goto bad;
			memcpy(uto.sun_path, optarg, strlen(optarg));
			ulen = offsetof(struct sockaddr_un, sun_path) +
			       strlen(optarg);
			if (optarg[0] == '@')
				uto.sun_path[0] = '\0';
			else
				ulen++;
			break;
		case 'i':
			interval = strtod(optarg, NULL) / 1e3;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (argc - optind != 1 || !slots || svc <= 0 || interval <= 0 ||
	    (to.sin_family && !bid))
		goto bad;
	sin.sin_port = htons(strtoul(argv[optind], NULL, 10));
	all_slots = slots;

	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, on_usr);
	signal(SIGUSR2, on_usr);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(lfd, 4096)) {
		perror("slotserver: listen");
		return 1;
	}
	if (to.sin_family) {
		mfd = socket(AF_INET, SOCK_DGRAM, 0);
		if (mfd < 0) {
			perror("slotserver: metrics socket");
			return 1;
		}
	}
	if (ulen) {
		ufd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (ufd < 0) {
			perror("slotserver: report socket");
			return 1;
		}
	}
	efd = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	if (efd < 0 || epoll_ctl(efd, EPOLL_CTL_ADD, lfd, &ev)) {
		perror("slotserver: epoll");
		return 1;
	}

	last_change = last_report = next_report = now();
	while (!stop) {
		bool reporting = mfd >= 0 || ufd >= 0;
		double t = now(), wake = reporting ? next_report : t + 1;
		struct conn *first = ring_first(&serving);
		int n, i, timeout;

		if (first && first->deadline < wake)
			wake = first->deadline;
		timeout = wake > t ? (int)((wake - t) * 1e3) + 1 : 0;
		n = epoll_wait(efd, events, MAX_EVENTS, timeout);
		if (n < 0 && errno != EINTR) {
			perror("slotserver: epoll_wait");
			return 1;
		}
		t = now();
		want = halved && all_slots > 1 ? all_slots / 2 : all_slots;
		if (slots != want) {
			busy_area += serving.len * (t - last_change);
			last_change = t;
			slots = want;
			/* more slots: the waiting start at once */
			while (serving.len < slots && waiting.len) {
				struct conn c = ring_pop(&waiting);

				ring_push(&serving, (struct conn){ c.fd, t + svc });
			}
		}

		for (i = 0; i < n; i++) {
			int fd = events[i].data.fd;
			char req[512];
			ssize_t len;

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL,
						    SOCK_NONBLOCK)) >= 0) {
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(efd, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			len = read(fd, req, sizeof(req));
			if (len < 0 && errno == EAGAIN)
				continue;
			epoll_ctl(efd, EPOLL_CTL_DEL, fd, NULL);
			if (len <= 0 || !memchr(req, '\n', len)) {
				/* closed, or a request that is not a line */
				close(fd);
				continue;
			}
			busy_area += serving.len * (t - last_change);
			last_change = t;
			if (serving.len < slots) {
				ring_push(&serving, (struct conn){ fd, t + svc });
			} else {
				ring_push(&waiting, (struct conn){ fd, 0 });
				if (waiting.len > max_queue)
					max_queue = waiting.len;
			}
		}

		/* the service time is fixed: the first to start ends first */
		while ((first = ring_first(&serving)) && first->deadline <= t) {
			struct conn c = ring_pop(&serving);
			char ans[128];
			int len = snprintf(ans, sizeof(ans), "%s\n", name);

			if (write(c.fd, ans, len) != len)
				perror("slotserver: write");
			close(c.fd);
			served++;
			busy_area += (serving.len + 1) * (t - last_change);
			last_change = t;
			if (waiting.len && serving.len < slots) {
				c = ring_pop(&waiting);
				ring_push(&serving,
					  (struct conn){ c.fd, t + svc });
			}
		}

		if (reporting && t >= next_report) {
			char msg[128];
			long cpu;
			int len;

			busy_area += serving.len * (t - last_change);
			last_change = t;
			cpu = t > last_report ?
			      (long)(1000 * busy_area /
				     (slots * (t - last_report)) + 0.5) : 0;
			/* just after a halving, the old slots' work */
			if (cpu > 1000)
				cpu = 1000;
			if (mfd >= 0) {
				len = snprintf(msg, sizeof(msg),
					       "%s %ld %u %u %u\n", bid, cpu,
					       serving.len, waiting.len, slots);
				sendto(mfd, msg, len, 0,
				       (struct sockaddr *)&to, sizeof(to));
			}
			if (ufd >= 0) {
				len = snprintf(msg, sizeof(msg),
					       "%s cpu %ld.%ld sessions %u queue %u capacity %u\n",
					       name, cpu / 10, cpu % 10,
					       serving.len, waiting.len, slots);
				/* dyncastd not up yet, or restarting: next time */
				sendto(ufd, msg, len, 0,
				       (struct sockaddr *)&uto, ulen);
			}
			busy_area = 0;
			last_report = t;
			next_report += interval;
			if (next_report < t)
				next_report = t + interval;
		}
	}
	printf("%s: served %lu, longest queue %u\n", name, served, max_queue);
	return 0;

bad:
	usage(stderr);
	return 2;
}
