// SPDX-License-Identifier: GPL-2.0
/*
 * dyncastd: the Dynamic-Anycast metric agent (D-MA) and D-Router control
 * plane.  Command line, start, SIGHUP reload, SIGTERM exit, the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <linux/capability.h>
#include <sodium.h>
#include <systemd/sd-daemon.h>

#include "dyncastd.h"

#define DD_CONFIG_DEFAULT	"/etc/dyncast/dyncastd.conf"

struct dd_main {
	struct dd_ctx ctx;
	int sigfd;
	struct dd_fd sig_watch;
	bool reload, stop;
	struct dd_timer watchdog_timer;	/* and the status */
	uint64_t watchdog_ms, status_at;
	bool watchdog;
};

uint64_t dd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t dd_now_ms(void)
{
	return dd_now_us() / 1000;
}

/* The sequence numbers start from the clock, so that they grow across
 * restarts: receivers drop what is not newer than what they hold.
 */
static uint64_t dd_seq_start(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * systemd's service notifications (sd_notify(3)), when it runs us with
 * NOTIFY_SOCKET: readiness, reloads, a one-line status, and the watchdog
 * when WatchdogSec= is set (WATCHDOG=1 at half its period, from the event
 * loop, so that a loop that stops turning is restarted).
 */
#define DD_STATUS_MS	10000

static void dd_status(struct dd_main *m)
{
	const struct dd_ctx *ctx = &m->ctx;

	sd_notifyf(0, "STATUS=%s%u local instances, %u learnt, %u peers",
		   ctx->cfg->router ? "D-Router: " : "D-MA: ", ctx->n_inst,
		   ctx->entries.n - ctx->n_gone, ctx->n_peers);
}

static void dd_watchdog(struct dd_timer *t)
{
	struct dd_main *m = t->data;
	uint64_t now = dd_now_ms();

	if (m->watchdog)
		sd_notify(0, "WATCHDOG=1");
	if (now >= m->status_at) {
		dd_status(m);
		m->status_at = now + DD_STATUS_MS;
	}
	dd_timer_arm(&m->ctx.loop, t, now + m->watchdog_ms);
}

static void dd_notify_start(struct dd_main *m)
{
	uint64_t usec = 0;

	sd_notify(0, "READY=1");
	dd_status(m);
	m->status_at = dd_now_ms() + DD_STATUS_MS;
	/* the status follows the watchdog's pace, else every DD_STATUS_MS */
	m->watchdog = sd_watchdog_enabled(0, &usec) > 0 && usec;
	m->watchdog_ms = m->watchdog ? (usec / 2000 ? usec / 2000 : 1) :
			 DD_STATUS_MS;
	if (!getenv("NOTIFY_SOCKET"))
		return;
	dd_timer_init(&m->watchdog_timer, dd_watchdog, m);
	dd_timer_arm(&m->ctx.loop, &m->watchdog_timer,
		     dd_now_ms() + m->watchdog_ms);
}

static void dd_signal(struct dd_fd *w, uint32_t events)
{
	struct dd_main *m = w->data;
	struct signalfd_siginfo si;

	(void)events;
	while (read(m->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			m->reload = true;
			break;
		case SIGCHLD:
			dd_command_reap(&m->ctx);
			break;
		default:
			m->stop = true;
			m->ctx.loop.stop = true;
			break;
		}
	}
}

static int dd_roles_apply(struct dd_ctx *ctx, bool was_router)
{
	int ret;

	ret = dd_peers_apply(ctx);
	if (!ret && was_router && !ctx->cfg->router) {
		dd_router_flush(ctx);
		dd_router_exit(ctx);
	}
	if (!ret && ctx->cfg->router)
		ret = dd_router_apply(ctx);
	if (!ret)
		ret = dd_dma_apply(ctx);
	return ret;
}

static bool dd_addr_cfg_same(const struct dd_config *a,
			     const struct dd_config *b)
{
	return dd_addr_eq(&a->listen, &b->listen) && a->port == b->port;
}

/*
 * Does this process hold CAP_NET_ADMIN, which the module's commands take
 * (in the user namespace that owns the network namespace)?  Asked once at
 * the start: without it the router role could only log refusals.
 */
static bool dd_has_net_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &hdr, data))
		return true;	/* cannot tell: the kernel will */
	return data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &
	       CAP_TO_MASK(CAP_NET_ADMIN);
}

/*
 * SIGHUP: read the configuration again.  A bad one is refused and the old
 * one stays.  Learnt instances, sites, RTTs, counters, replay windows and
 * the health of instances that stay are kept.
 */
static void dd_reload(struct dd_main *m)
{
	struct dd_ctx *ctx = &m->ctx;
	struct dd_config *cfg, *old = ctx->cfg;
	FILE *err = dd_log_stream(LOG_ERR);

	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)dd_now_us());
	cfg = dd_config_load(old->path, err ? err : stderr);
	if (err)
		fclose(err);
	if (!cfg) {
		dd_err("configuration not reloaded, the old one stays");
		sd_notify(0, "READY=1\nSTATUS=configuration not reloaded (errors in the log), the old one stays");
		return;
	}
	if (cfg->router && !old->router && !dd_has_net_admin()) {
		dd_err("configuration not reloaded: the router role takes CAP_NET_ADMIN, which dyncastd has not; the old one stays");
		dd_config_free(cfg);
		sd_notify(0, "READY=1\nSTATUS=configuration not reloaded (errors in the log), the old one stays");
		return;
	}
	if (!dd_addr_cfg_same(old, cfg) || strcmp(old->control, cfg->control) ||
	    strcmp(old->report, cfg->report) ||
	    old->report_mode != cfg->report_mode ||
	    old->has_report_gid != cfg->has_report_gid ||
	    old->report_gid != cfg->report_gid) {
		/* sockets: closed under the old names, opened under the new */
		dd_control_exit(ctx);
		dd_report_exit(ctx);
		if (!dd_addr_cfg_same(old, cfg)) {
			dd_fd_del(&ctx->loop, &ctx->sock_watch);
			close(ctx->sock);
			ctx->sock = -1;
		}
		ctx->cfg = cfg;
		if (ctx->sock < 0 && dd_net_init(ctx))
			dd_err("the agent socket could not be opened anew");
		dd_control_init(ctx);
		dd_report_init(ctx);
	}
	ctx->cfg = cfg;
	dd_metrics_reload(ctx, old);
	if (cfg->has_id && cfg->id != ctx->id) {
		dd_info("agent id changes");
		ctx->id = cfg->id;
	}
	if (dd_roles_apply(ctx, old->router))
		dd_err("reload: out of memory");
	if (dd_bgp_apply(ctx, old))
		dd_err("reload: the BGP transport could not be set up");
	dd_config_free(old);
	dd_info("configuration reloaded");
	sd_notify(0, "READY=1");
	dd_status(m);
}

static int dd_run(struct dd_main *m)
{
	struct dd_ctx *ctx = &m->ctx;
	int ret = 0;

	while (!m->stop) {
		ret = dd_loop_once(&ctx->loop, dd_now_ms());
		if (ret) {
			dd_err("event loop: %s", strerror(-ret));
			break;
		}
		if (m->reload && !m->stop) {
			m->reload = false;
			dd_reload(m);
		}
	}
	return ret;
}

static int dd_start(struct dd_main *m, struct dd_config *cfg)
{
	struct dd_ctx *ctx = &m->ctx;
	sigset_t set;
	int ret;

	ctx->cfg = cfg;
	ctx->sock = ctx->ctl_sock = ctx->report_sock = ctx->metrics_sock = -1;
	for (unsigned int i = 0; i < DD_CTL_CLIENTS; i++)
		ctx->ctl[i].fd = ctx->http[i].fd = -1;
	ctx->started = dd_now_ms();
	ctx->ncpu = sysconf(_SC_NPROCESSORS_ONLN) > 0 ?
		    sysconf(_SC_NPROCESSORS_ONLN) : 1;
	ctx->seq = ctx->origin_seq = dd_seq_start();
	if (cfg->has_id) {
		ctx->id = cfg->id;
	} else {
		do
			ctx->id = randombytes_random();
		while (!ctx->id);
	}
	ret = dd_loop_init(&ctx->loop);
	if (ret)
		return ret;
	if (cfg->router && !dd_has_net_admin()) {
		dd_err("the router role drives the dyncast module, which takes CAP_NET_ADMIN (Operation not permitted): run dyncastd as root or with that capability, as the unit does (AmbientCapabilities=)");
		return -EPERM;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	m->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (m->sigfd < 0)
		return -errno;
	ret = dd_fd_add(&ctx->loop, &m->sig_watch, m->sigfd, EPOLLIN,
			dd_signal, m);
	if (ret)
		return ret;

	ret = dd_net_init(ctx);
	if (!ret)
		ret = dd_control_init(ctx);
	if (!ret)
		ret = dd_report_init(ctx);
	if (!ret)
		ret = dd_metrics_init(ctx);
	if (!ret)
		ret = dd_roles_apply(ctx, false);
	if (!ret)
		ret = dd_bgp_apply(ctx, cfg);
	return ret;
}

static void dd_stop(struct dd_main *m)
{
	struct dd_ctx *ctx = &m->ctx;

	sd_notify(0, "STOPPING=1");
	dd_timer_cancel(&m->watchdog_timer);
	if (ctx->cfg->router)
		dd_router_flush(ctx);
	dd_bgp_exit(ctx);
	dd_dma_exit(ctx);
	if (ctx->cfg->router)
		dd_router_exit(ctx);
	dd_kernel_close(ctx);
	dd_metrics_exit(ctx);
	dd_metrics_free(ctx);
	dd_control_exit(ctx);
	dd_report_exit(ctx);
	dd_net_exit(ctx);
	if (m->sigfd >= 0) {
		dd_fd_del(&ctx->loop, &m->sig_watch);
		close(m->sigfd);
	}
	dd_loop_exit(&ctx->loop);
}

/*
 * Into the background, but with the start's outcome: the parent waits on
 * a pipe for the child to say it started (its sockets open, its roles
 * set up), and exits 0 then, or 1 if the child fails or dies first.  The
 * child keeps stderr, where start-up errors go, until it has started.
 * Returns the pipe's write end in the child.
 */
static int dd_daemon_begin(void)
{
	int fds[2], devnull;
	char c = 1;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC)) {
		perror("dyncastd: pipe");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		perror("dyncastd: fork");
		return -1;
	}
	if (pid > 0) {
		close(fds[1]);
		while (read(fds[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(c == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
	}
	close(fds[0]);
	setsid();
	if (chdir("/"))
		perror("dyncastd: chdir /");
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}
	return fds[1];
}

/* The daemon started: its parent exits 0, stderr goes */
static void dd_daemon_end(int fd)
{
	char c = 0;
	int devnull;

	if (fd < 0)
		return;
	if (write(fd, &c, 1) != 1)
		dd_warn("cannot tell the starting process: %s", strerror(errno));
	close(fd);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, STDERR_FILENO);
		close(devnull);
	}
}

static void dd_usage(FILE *fp)
{
	fputs("Usage: dyncastd [ -f ] [ -d ] [ -c FILE ]\n"
	      "       dyncastd { -t | -T } [ -c FILE ]\n"
	      "       dyncastd --genkey\n"
	      "       dyncastd --exabgp SOCKET [ --grace SECONDS ]\n"
	      "  -c, --config FILE   configuration (default " DD_CONFIG_DEFAULT ")\n"
	      "  -f, --foreground    stay in the foreground, log to stderr\n"
	      "  -d, --debug         log debug messages too\n"
	      "  -t, --test          check the configuration and exit\n"
	      "  -T, --test-print    check it, print it as in effect, and exit\n"
	      "      --genkey        print a new random key, base64\n"
	      "      --exabgp SOCKET relay ExaBGP's API process to dyncastd's BGP socket\n"
	      "      --grace SECONDS how long before ExaBGP withdraws the routes of a\n"
	      "                      dyncastd gone away (default 15)\n"
	      "  -V, --version       print the version\n", fp);
}

static int dd_genkey(void)
{
	uint8_t key[DD_KEY_LEN];
	char b64[sodium_base64_ENCODED_LEN(DD_KEY_LEN,
					   sodium_base64_VARIANT_ORIGINAL)];

	randombytes_buf(key, sizeof(key));
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key),
			  sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(key, sizeof(key));
	dc_key_out_warn(stderr, stdout);
	puts(b64);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "test", no_argument, NULL, 't' },
		{ "test-print", no_argument, NULL, 'T' },
		{ "genkey", no_argument, NULL, 'g' },
		{ "exabgp", required_argument, NULL, 'x' },
		{ "grace", required_argument, NULL, 'G' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *path = DD_CONFIG_DEFAULT, *exabgp = NULL;
	uint32_t grace_ms = 15000;
	bool fg = false, debug = false, test = false, print = false;
	char *abs = NULL;
	struct dd_config *cfg;
	struct dd_main *m;
	int c, ret, ready = -1;

	while ((c = getopt_long(argc, argv, "c:fdtTVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			fg = true;
			break;
		case 'd':
			debug = true;
			break;
		case 'T':
			print = true;
			/* fall through */
		case 't':
			test = true;
			break;
		case 'g':
			if (sodium_init() < 0)
				return EXIT_FAILURE;
			return dd_genkey();
		case 'x':
			exabgp = optarg;
			break;
		case 'G':
			if (dd_parse_duration(optarg, 0, 3600000, &grace_ms)) {
				fprintf(stderr, "dyncastd: --grace: \"%s\" is not a duration of 0 to 3600 s\n",
					optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'V':
			printf("dyncastd, version %s\n", DD_VERSION);
			return EXIT_SUCCESS;
		case 'h':
			dd_usage(stdout);
			return EXIT_SUCCESS;
		default:
			dd_usage(stderr);
			return EXIT_FAILURE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dyncastd: unexpected argument \"%s\"\n", argv[optind]);
		dd_usage(stderr);
		return EXIT_FAILURE;
	}
	if (exabgp)
		return dd_exabgp_relay(exabgp, grace_ms) ? EXIT_FAILURE :
		       EXIT_SUCCESS;
	if (sodium_init() < 0) {
		fputs("dyncastd: cannot initialise libsodium\n", stderr);
		return EXIT_FAILURE;
	}
	dd_hash_init();
	/* a reload reads it again, from / once in the background */
	abs = realpath(path, NULL);
	cfg = dd_config_load(abs ? abs : path, stderr);
	free(abs);
	if (!cfg)
		return EXIT_FAILURE;
	if (print) {
		dd_config_print(cfg, stdout);
		dd_config_free(cfg);
		return EXIT_SUCCESS;
	}
	if (test) {
		printf("dyncastd: %s: configuration OK\n", path);
		dd_config_free(cfg);
		return EXIT_SUCCESS;
	}
	if (!fg) {
		ready = dd_daemon_begin();
		if (ready < 0) {
			dd_config_free(cfg);
			return EXIT_FAILURE;
		}
	}
	/* until it started, errors go to stderr too */
	dd_log_init(fg, debug ? LOG_DEBUG : LOG_INFO, !fg);

	m = calloc(1, sizeof(*m));
	if (!m) {
		dd_config_free(cfg);
		return EXIT_FAILURE;
	}
	m->sigfd = -1;
	ret = dd_start(m, cfg);
	if (!ret) {
		dd_info("started, agent id %u.%u.%u.%u, %s%s%s", m->ctx.id >> 24,
			(m->ctx.id >> 16) & 255, (m->ctx.id >> 8) & 255,
			m->ctx.id & 255, cfg->n_instances ? "D-MA" : "",
			cfg->n_instances && cfg->router ? " and " : "",
			cfg->router ? "D-Router" : "");
		dd_notify_start(m);
		dd_log_also_stderr(false);
		dd_daemon_end(ready);
		ret = dd_run(m);
	}
	dd_stop(m);
	dd_config_free(m->ctx.cfg);
	free(m);
	dd_info("stopped");
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}
