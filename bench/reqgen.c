// SPDX-License-Identifier: GPL-2.0
/*
 * reqgen: clients at a fixed request rate, for the steering benchmark.
 *
 * Requests start as a Poisson process of RATE per second (open loop: a
 * request starts when it is due, whatever the others are doing).  Each is
 * one TCP connection to ADDR:PORT that sends a line and reads the answer
 * (the name of the instance that served it) until the server closes.
 *
 * Two times are taken per request: the response time, from connect() to
 * the end of the answer (what a client sees: a round trip for the
 * handshake, one for the request, the wait and the service), and the
 * request time, from sending the line to the end of the answer.  Requests
 * started in the first WARMUP seconds are not counted; a request not
 * answered within TIMEOUT seconds counts as failed.
 *
 * Prints one line of figures, then one line per instance name with how
 * many requests it answered.  With -e, the same figures per window of
 * request start, around an event EVENT seconds after the start (after the
 * warm-up): before it, then 0-2, 2-5, 5-10 and 10 s to the end after it,
 * one line each.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS	256
#define MAX_NAMES	16
#define NWIN		5

/* the windows of -e, seconds from the event; the first ends at it */
static const double win_edge[NWIN + 1] = { -1e9, 0, 2, 5, 10, 1e9 };
static const char *const win_name[NWIN] = {
	"before", "0-2", "2-5", "5-10", "10-end"
};

struct req {
	int fd;
	bool busy;
	bool sent;
	bool counted;
	double start, sent_at;
	char ans[64];
	unsigned int alen;
	struct req *next_free;
};

struct name_count {
	char name[64];
	unsigned long n;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static double unit(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((rng >> 11) + 0.5) / 9007199254740992.0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, unsigned long n, double p)
{
	unsigned long k = (unsigned long)(p * n);

	return n ? v[k < n ? k : n - 1] : NAN;
}

static double mean(const double *v, unsigned long n)
{
	double s = 0;
	unsigned long i;

	for (i = 0; i < n; i++)
		s += v[i];
	return n ? s / n : NAN;
}

static int window(double at)
{
	int w;

	for (w = 0; w < NWIN - 1 && at >= win_edge[w + 1]; w++)
		;
	return w;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: reqgen [ -r RATE ] [ -d SECONDS ] [ -w WARMUP ] [ -T TIMEOUT ]\n"
		"              [ -s SEED ] [ -e EVENT ] ADDR PORT\n"
		"Opens RATE connections per second (Poisson; default 100) to ADDR:PORT\n"
		"for SECONDS (default 30), one request each; counts those started after\n"
		"WARMUP seconds (default 5); a request unanswered after TIMEOUT seconds\n"
		"(default 10) fails.  -e: figures per window around an event EVENT\n"
		"seconds after the start.\n");
}

int main(int argc, char **argv)
{
	double rate = 100, dur = 30, warm = 5, tmo = 10, t0, t, next, ev_at = -1;
	unsigned long wstarted[NWIN] = { 0 }, wfailed[NWIN] = { 0 };
	double last_scan = 0;
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct epoll_event ev, events[MAX_EVENTS];
	struct name_count names[MAX_NAMES];
	unsigned long started = 0, ok = 0, failed = 0, cap, nresp = 0;
	unsigned long i;
	unsigned int nnames = 0, j;
	struct rlimit rl = { 65536, 65536 };
	double *resp, *reqt, *at, *sel;
	struct req *pool, *free_list = NULL;
	unsigned long inflight = 0, npool;
	int opt, efd;

	while ((opt = getopt(argc, argv, "r:d:w:T:s:e:h")) != -1) {
		switch (opt) {
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		case 'd':
			dur = strtod(optarg, NULL);
			break;
		case 'w':
			warm = strtod(optarg, NULL);
			break;
		case 'T':
			tmo = strtod(optarg, NULL);
			break;
		case 's':
			rng ^= strtoull(optarg, NULL, 0) * 0xbf58476d1ce4e5b9ULL;
			break;
		case 'e':
			ev_at = strtod(optarg, NULL);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2 || rate <= 0 || dur <= warm || tmo <= 0 ||
	    (ev_at >= 0 && (ev_at < warm || ev_at >= dur)) ||
	    inet_pton(AF_INET, argv[optind], &dst.sin_addr) != 1) {
		usage(stderr);
		return 2;
	}
	dst.sin_port = htons(strtoul(argv[optind + 1], NULL, 10));
	setrlimit(RLIMIT_NOFILE, &rl);

	cap = (unsigned long)(rate * dur * 1.5) + 1000;
	npool = (unsigned long)(rate * tmo * 2) + 1000;
	if (npool > 60000)
		npool = 60000;
	resp = malloc(cap * sizeof(*resp));
	reqt = malloc(cap * sizeof(*reqt));
	at = malloc(cap * sizeof(*at));
	sel = malloc(cap * sizeof(*sel));
	pool = calloc(npool, sizeof(*pool));
	efd = epoll_create1(0);
	if (!resp || !reqt || !at || !sel || !pool || efd < 0) {
		perror("reqgen");
		return 1;
	}
	for (i = 0; i < npool; i++) {
		pool[i].next_free = free_list;
		free_list = &pool[i];
	}

	t0 = now();
	next = t0;
	for (;;) {
		int n, k, timeout;

		t = now();
		/* start what is due */
		while (next <= t && next < t0 + dur) {
			struct req *r = free_list;

			next += -log(unit()) / rate;
			if (!r) {
				if (t - t0 >= warm) {
					started++;
					failed++;
					wstarted[window(t - t0 - ev_at)]++;
					wfailed[window(t - t0 - ev_at)]++;
				}
				continue;
			}
			free_list = r->next_free;
			memset(r, 0, sizeof(*r));
			r->busy = true;
			r->start = t;
			r->counted = t - t0 >= warm;
			started += r->counted;
			wstarted[window(t - t0 - ev_at)] += r->counted;
			r->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (r->fd < 0 ||
			    (connect(r->fd, (struct sockaddr *)&dst, sizeof(dst)) &&
			     errno != EINPROGRESS)) {
				failed += r->counted;
				wfailed[window(r->start - t0 - ev_at)] += r->counted;
				if (r->fd >= 0)
					close(r->fd);
				r->busy = false;
				r->next_free = free_list;
				free_list = r;
				continue;
			}
			ev.events = EPOLLOUT | EPOLLIN;
			ev.data.ptr = r;
			epoll_ctl(efd, EPOLL_CTL_ADD, r->fd, &ev);
			inflight++;
		}
		if (t >= t0 + dur && !inflight)
			break;
		if (t >= t0 + dur + tmo)
			break;

		timeout = next < t0 + dur ? (int)((next - t) * 1e3) : 100;
		n = epoll_wait(efd, events, MAX_EVENTS, timeout < 0 ? 0 : timeout);
		t = now();
		for (k = 0; k < n; k++) {
			struct req *r = events[k].data.ptr;
			bool done = false, bad = false;
			ssize_t len;

			if (!r->sent && (events[k].events & EPOLLOUT)) {
				int err = 0;
				socklen_t el = sizeof(err);

				getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err || write(r->fd, "GET\n", 4) != 4) {
					bad = true;
				} else {
					r->sent = true;
					r->sent_at = t;
					ev.events = EPOLLIN;
					ev.data.ptr = r;
					epoll_ctl(efd, EPOLL_CTL_MOD, r->fd, &ev);
				}
			} else if (events[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
				len = read(r->fd, r->ans + r->alen,
					   sizeof(r->ans) - 1 - r->alen);
				if (len > 0)
					r->alen += len;
				else if (len == 0 && r->alen)
					done = true;
				else if (len == 0 || errno != EAGAIN)
					bad = true;
			}
			if (!done && !bad)
				continue;
			if (done && r->counted && nresp < cap) {
				char *nl = memchr(r->ans, '\n', r->alen);

				if (nl)
					*nl = '\0';
				r->ans[r->alen] = '\0';
				at[nresp] = r->start - t0 - ev_at;
				resp[nresp] = t - r->start;
				reqt[nresp++] = t - r->sent_at;
				ok++;
				for (j = 0; j < nnames; j++)
					if (!strcmp(names[j].name, r->ans))
						break;
				if (j == nnames && nnames < MAX_NAMES) {
					snprintf(names[j].name, sizeof(names[j].name),
						 "%s", r->ans);
					names[j].n = 0;
					nnames++;
				}
				if (j < nnames)
					names[j].n++;
			} else if (bad) {
				failed += r->counted;
				wfailed[window(r->start - t0 - ev_at)] += r->counted;
			}
			close(r->fd);
			inflight--;
			r->busy = false;
			r->next_free = free_list;
			free_list = r;
		}
		/* requests past their time, looked for every 100 ms */
		if (t < last_scan + 0.1)
			continue;
		last_scan = t;
		for (i = 0; i < npool; i++) {
			struct req *r = &pool[i];

			if (!r->busy || t - r->start <= tmo)
				continue;
			failed += r->counted;
			wfailed[window(r->start - t0 - ev_at)] += r->counted;
			close(r->fd);
			inflight--;
			r->busy = false;
			r->next_free = free_list;
			free_list = r;
		}
	}

	for (j = 0; ev_at >= 0 && j < NWIN; j++) {
		unsigned long m = 0;

		for (i = 0; i < nresp; i++)
			if (window(at[i]) == (int)j)
				sel[m++] = resp[i];
		qsort(sel, m, sizeof(*sel), cmp_double);
		printf("window %s started %lu ok %lu failed %lu resp_mean_ms %.2f resp_p99_ms %.2f\n",
		       win_name[j], wstarted[j], m, wfailed[j],
		       mean(sel, m) * 1e3, pct(sel, m, 0.99) * 1e3);
	}
	qsort(resp, nresp, sizeof(*resp), cmp_double);
	qsort(reqt, nresp, sizeof(*reqt), cmp_double);
	printf("started %lu ok %lu failed %lu rate %.1f resp_mean_ms %.2f resp_p50_ms %.2f resp_p99_ms %.2f req_mean_ms %.2f req_p99_ms %.2f\n",
	       started, ok, failed, started / (dur - warm),
	       mean(resp, nresp) * 1e3, pct(resp, nresp, 0.5) * 1e3,
	       pct(resp, nresp, 0.99) * 1e3, mean(reqt, nresp) * 1e3,
	       pct(reqt, nresp, 0.99) * 1e3);
	for (j = 0; j < nnames; j++)
		printf("answered %s %lu\n", names[j].name, names[j].n);
	return 0;
}
