// SPDX-License-Identifier: GPL-2.0
/*
 * An instance's command, run by /bin/sh every command-interval: what it
 * prints (at most 511 bytes, "KEY VALUE..." as on the report socket) gives
 * figures the collectors cannot, a GPU's utilisation for one.  A command
 * that outlives command-timeout is killed; one that fails gives nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "dyncastd.h"

static struct dd_ratelimit dd_rl_cmd;

static void dd_command_close(struct dd_ctx *ctx, struct dd_inst *in)
{
	if (in->cmd_fd < 0)
		return;
	dd_fd_del(&ctx->loop, &in->cmd_watch);
	close(in->cmd_fd);
	in->cmd_fd = -1;
}

/* Both the output and the exit status are in: use the output, or not. */
static void dd_command_done(struct dd_ctx *ctx, struct dd_inst *in)
{
	struct dd_figures f;
	char err[128];

	if (!in->cmd_running || !in->cmd_eof || !in->cmd_exited)
		return;
	in->cmd_running = false;
	in->cmd_buf[in->cmd_len] = '\0';
	if (!WIFEXITED(in->cmd_status) || WEXITSTATUS(in->cmd_status)) {
		if (dd_ratelimit(&dd_rl_cmd, dd_now_ms()))
			dd_warn("instance %s: command failed (%s %d)", in->cfg.name,
				WIFEXITED(in->cmd_status) ? "exit" : "signal",
				WIFEXITED(in->cmd_status) ?
				WEXITSTATUS(in->cmd_status) :
				WTERMSIG(in->cmd_status));
		return;
	}
	if (in->cmd_over) {
		if (dd_ratelimit(&dd_rl_cmd, dd_now_ms()))
			dd_warn("instance %s: command output longer than %zu bytes: not used",
				in->cfg.name, sizeof(in->cmd_buf) - 1);
		return;
	}
	if (dd_figures_parse(in->cmd_buf, &f, err, sizeof(err))) {
		if (dd_ratelimit(&dd_rl_cmd, dd_now_ms()))
			dd_warn("instance %s: command output: %s", in->cfg.name, err);
		return;
	}
	in->command = f;
	in->command_at = dd_now_ms();
	dd_dma_update(ctx, in);
}

static void dd_command_io(struct dd_fd *w, uint32_t events)
{
	struct dd_inst *in = w->data;
	char sink[256];
	ssize_t n;

	(void)events;
	if (in->cmd_len < sizeof(in->cmd_buf) - 1)
		n = read(in->cmd_fd, in->cmd_buf + in->cmd_len,
			 sizeof(in->cmd_buf) - 1 - in->cmd_len);
	else
		n = read(in->cmd_fd, sink, sizeof(sink));	/* too long: dropped */
	if (n > 0 && in->cmd_len >= sizeof(in->cmd_buf) - 1)
		in->cmd_over = true;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		if (in->cmd_len < sizeof(in->cmd_buf) - 1)
			in->cmd_len += n;
		return;
	}
	dd_command_close(in->ctx, in);
	in->cmd_eof = true;
	dd_command_done(in->ctx, in);
}

/*
 * A run past its timeout: its process group killed (the shell, its
 * pipeline, whatever it started in the background), and its output no
 * longer waited for (something that left the group may hold the pipe).
 */
static void dd_command_kill(struct dd_ctx *ctx, struct dd_inst *in)
{
	kill(-in->cmd_pgid, SIGKILL);
	dd_command_close(ctx, in);
	in->cmd_eof = true;
	dd_command_done(ctx, in);
}

static void dd_command_run(struct dd_ctx *ctx, struct dd_inst *in,
			   uint64_t now)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK))
		return;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (!pid) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		sigset_t all;

		/* a group of its own, for the timeout to kill it all */
		setpgid(0, 0);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		signal(SIGPIPE, SIG_DFL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		execl("/bin/sh", "sh", "-c", in->cfg.command, (char *)NULL);
		_exit(127);
	}
	/* as the child does: whichever runs first, the group is there */
	setpgid(pid, pid);
	close(fds[1]);
	in->cmd_running = true;
	in->cmd_pid = in->cmd_pgid = pid;
	in->cmd_fd = fds[0];
	in->cmd_len = 0;
	in->cmd_eof = in->cmd_exited = in->cmd_over = false;
	in->cmd_deadline = now + in->cfg.command_timeout_ms;
	if (dd_fd_add(&ctx->loop, &in->cmd_watch, fds[0], EPOLLIN,
		      dd_command_io, in)) {
		close(fds[0]);
		in->cmd_fd = -1;
		in->cmd_eof = true;
	}
}

/*
 * Runs the command every command-interval (a run not ended by then is
 * skipped), and kills a run at its command-timeout: the timer is due at
 * whichever comes first.
 */
static void dd_command_timer(struct dd_timer *t)
{
	struct dd_inst *in = t->data;
	struct dd_ctx *ctx = in->ctx;
	uint64_t now = dd_now_ms(), when;

	if (in->cmd_running && now >= in->cmd_deadline && in->cmd_fd >= 0) {
		if (dd_ratelimit(&dd_rl_cmd, now))
			dd_warn("instance %s: command timed out, killed",
				in->cfg.name);
		dd_command_kill(ctx, in);
	}
	if (now >= in->cmd_next) {
		in->cmd_next = now + in->cfg.command_interval_ms;
		if (!in->cmd_running)
			dd_command_run(ctx, in, now);
	}
	when = in->cmd_next;
	if (in->cmd_running && in->cmd_fd >= 0 && in->cmd_deadline < when)
		when = in->cmd_deadline;
	dd_timer_arm(&ctx->loop, t, when);
}

void dd_command_start(struct dd_ctx *ctx, struct dd_inst *in)
{
	if (!in->cfg.command[0])
		return;
	dd_timer_init(&in->cmd_timer, dd_command_timer, in);
	in->cmd_next = dd_now_ms();
	dd_timer_arm(&ctx->loop, &in->cmd_timer, in->cmd_next);
}

void dd_command_stop(struct dd_ctx *ctx, struct dd_inst *in)
{
	dd_timer_cancel(&in->cmd_timer);
	dd_command_close(ctx, in);
	if (in->cmd_running)
		kill(-in->cmd_pgid, SIGKILL);
	/* not reaped yet, so still ours: killed, it ends at once */
	if (in->cmd_pid)
		waitpid(in->cmd_pid, NULL, 0);
	in->cmd_pid = 0;
	in->cmd_running = false;
}

/* SIGCHLD: collect the commands that ended. */
void dd_command_reap(struct dd_ctx *ctx)
{
	unsigned int i;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < ctx->n_inst; i++) {
			struct dd_inst *in = ctx->inst[i];

			if (!in->cmd_pid || in->cmd_pid != pid)
				continue;
			in->cmd_pid = 0;
			in->cmd_exited = true;
			in->cmd_status = status;
			dd_command_done(ctx, in);
		}
	}
}
