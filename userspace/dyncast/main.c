// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: configure the Dynamic-Anycast module over its generic netlink
 * family.  Global options, the object table, -batch, and the glue to the
 * kernel.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dyncast.h"

#define NETNS_RUN_DIR	"/run/netns"
#define DC_BATCH_ARGS	1024

static const struct dc_attr_desc top_attrs[DYNCAST_A_MAX + 1] = {
	[DYNCAST_A_SERVICE] = DC_ATTR_NESTED("service", &dc_service_set),
	[DYNCAST_A_INSTANCE] = DC_ATTR_NESTED("instance", &dc_instance_set),
	[DYNCAST_A_BINDING] = DC_ATTR_NESTED("binding", &dc_binding_set),
	[DYNCAST_A_STATS] = DC_ATTR_NESTED("stats", &dc_stats_set),
	[DYNCAST_A_REPLACE] = DC_ATTR("replace", DC_ATTR_FLAG, 0),
};

const struct dc_attr_set dc_top_set = { DYNCAST_A_MAX, top_attrs };

static const struct dc_object {
	const char *name;
	int (*run)(struct dc_ctx *ctx, int argc, char **argv);
	void (*usage)(FILE *fp);
} objects[] = {
	{ "service", dc_do_service, dc_service_usage },
	{ "instance", dc_do_instance, dc_instance_usage },
	{ "binding", dc_do_binding, dc_binding_usage },
	{ "stats", dc_do_stats, dc_stats_usage },
	{ "monitor", dc_do_monitor, dc_monitor_usage },
	{ "genkey", dc_do_genkey, dc_genkey_usage },
	{ "derivekey", dc_do_derivekey, dc_derivekey_usage },
	{ "agent", dc_do_agent, dc_agent_usage },
	{ "save", dc_do_save, dc_save_usage },
};

static void usage(FILE *fp)
{
	fputs("Usage: dyncast [ OPTIONS ] OBJECT { COMMAND | help }\n"
	      "       dyncast [ -force ] -batch FILENAME\n"
	      "OBJECT := { service | instance | binding | stats | monitor | genkey | derivekey | agent |\n"
	      "           save }\n"
	      "OPTIONS := { -V | -s | -d | -t | -j | -p | -n NETNS | -force | -batch FILENAME | -h }\n",
	      fp);
}

/* @buf holds DC_NL_REQ_SIZE bytes. */
struct nlmsghdr *dc_req_start(void *buf, uint8_t cmd, uint16_t flags)
{
	return dc_genl_start(buf, DC_NL_REQ_SIZE, cmd, DYNCAST_FAMILY_VERSION,
			     NLM_F_REQUEST | flags);
}

/*
 * Takes the command word off the arguments: returns its cmd, @dflt if
 * there are no arguments, or -1 after reporting an unknown word.
 */
int dc_verb(struct dc_ctx *ctx, const char *object,
	    const struct dc_verb *verbs, int *argc, char ***argv, int dflt)
{
	const struct dc_verb *v;

	if (!*argc)
		return dflt;
	for (v = verbs; v->name; v++) {
		if (!strcmp(v->name, **argv)) {
			(*argc)--;
			(*argv)++;
			return v->cmd;
		}
	}
	dc_err(ctx->err, "unknown command \"%s\", try \"dyncast %s help\"",
	       **argv, object);
	return -1;
}

/* A request answered by an ack; @req NULL if it could not be built. */
int dc_exec(struct dc_ctx *ctx, struct nlmsghdr *req)
{
	if (!req) {
		dc_err(ctx->err, "request too large");
		return -1;
	}
	return ctx->ops->talk(ctx, req, NULL, NULL) ? -1 : 0;
}

/*
 * A dump a command acts on (a flush's list): asked again while the kernel
 * says it was interrupted (what it lists changed under it), up to three
 * times, *@n set back to 0 each time for the callback to fill anew; then
 * an error, nothing acted on.
 */
int dc_dump_whole(struct dc_ctx *ctx, struct nlmsghdr *req, mnl_cb_t cb,
		  void *data, unsigned int *n)
{
	int i, ret = 0;

	for (i = 0; i < 3; i++) {
		*n = 0;
		ret = ctx->ops->talk(ctx, req, cb, data);
		if (ret <= 0)
			return ret;
	}
	dc_err(ctx->err, "the list kept changing while it was read: nothing deleted, try again");
	return -1;
}

/*
 * A request answered by objects to print: in JSON, an array of them if
 * @array, else the one object.  An interrupted dump is printed, and then
 * fails.
 */
int dc_show(struct dc_ctx *ctx, struct nlmsghdr *req, mnl_cb_t cb,
	    bool array)
{
	struct dc_out o;
	int ret;

	if (!req) {
		dc_err(ctx->err, "request too large");
		return -1;
	}
	dc_out_init(&o, ctx->out, ctx->json, ctx->pretty);
	o.stats = ctx->stats;
	o.details = ctx->details;
	if (array)
		dc_out_array(&o);
	ret = ctx->ops->talk(ctx, req, cb, &o);
	if (ret < 0) {
		dc_out_discard(&o);
		return -1;
	}
	if (dc_out_flush(&o)) {
		dc_err(ctx->err, "cannot write the output");
		ctx->syserr = true;
		return -1;
	}
	if (ret)		/* an interrupted dump */
		ctx->syserr = true;
	return ret ? -1 : 0;
}

static int dc_run(struct dc_ctx *ctx, int argc, char **argv)
{
	const struct dc_object *obj = NULL;
	unsigned int i;
	int j;

	if (!strcmp(*argv, "help")) {
		usage(ctx->out);
		return 0;
	}
	for (i = 0; i < DC_ARRAY_SIZE(objects) && !obj; i++)
		if (!strcmp(*argv, objects[i].name))
			obj = &objects[i];
	if (!obj) {
		dc_err(ctx->err, "unknown object \"%s\", try \"dyncast help\"",
		       *argv);
		return -1;
	}
	/* no value of any argument can be "help" */
	for (j = 1; j < argc; j++) {
		if (!strcmp(argv[j], "help")) {
			obj->usage(ctx->out);
			return 0;
		}
	}
	return obj->run(ctx, argc - 1, argv + 1);
}

void dc_save_usage(FILE *fp)
{
	fputs("Usage: dyncast save\n"
	      "Prints the services and instances of the namespace as the commands that\n"
	      "make them again: dyncast -batch reads them back (keys and hash seeds,\n"
	      "which the kernel never shows, are named in comments).\n", fp);
}

/* "dyncast save": services first, then their instances */
int dc_do_save(struct dc_ctx *ctx, int argc, char **argv)
{
	if (argc > 0)
		return dc_arg_unknown(ctx->err, *argv);
	if (ctx->json) {
		dc_err(ctx->err, "save prints commands, not JSON: drop -j");
		return -1;
	}
	fputs("# dyncast save\n", ctx->out);
	if (dc_service_save(ctx) || dc_instance_save(ctx))
		return -1;
	if (fflush(ctx->out)) {
		dc_err(ctx->err, "cannot write the output");
		ctx->syserr = true;
		return -1;
	}
	return 0;
}

/*
 * Splits @line into words, in place, as iproute2's batch mode does: blanks
 * separate them; '...' and "..." quote (a backslash escapes the next
 * character outside single quotes); '#' at the start of a word starts a
 * comment.  -1 if there are more than @max words, -2 on a quote left open.
 */
int dc_split(char *line, char **argv, int max)
{
	char *p = line, *w, quote;
	int argc = 0;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			return argc;
		if (argc == max)
			return -1;
		argv[argc++] = w = p;
		quote = 0;
		while (*p && (quote || !isspace((unsigned char)*p))) {
			if (quote && *p == quote) {
				quote = 0;
				p++;
			} else if (!quote && (*p == '\'' || *p == '"')) {
				quote = *p++;
			} else if (*p == '\\' && quote != '\'' && p[1]) {
				*w++ = p[1];
				p += 2;
			} else {
				*w++ = *p++;
			}
		}
		if (quote)
			return -2;
		if (*p)
			p++;
		*w = '\0';
	}
}

/*
 * The exit status of a command that returned @ret: what the kernel said
 * (not found, or another refusal), a failure to reach it or read a file,
 * else the command line's fault.  Of a batch, its first failed line's.
 */
int dc_exit_status(const struct dc_ctx *ctx, int ret)
{
	if (!ret)
		return DC_EXIT_OK;
	if (ctx->batch_status)
		return ctx->batch_status;
	if (ctx->kerr == -ENOENT)
		return DC_EXIT_NOT_FOUND;
	if (ctx->kerr || ctx->syserr)
		return DC_EXIT_KERNEL;
	return DC_EXIT_USAGE;
}

/*
 * Where the comment of @s starts, as dc_split() reads it: a '#' that
 * starts a word outside quotes; -1 when it has none
 */
static ssize_t dc_comment(const char *s)
{
	bool word = false;
	const char *p;
	char quote = 0;

	for (p = s; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			else if (*p == '\\' && quote == '"' && p[1])
				p++;
		} else if (isspace((unsigned char)*p)) {
			word = false;
		} else if (!word && *p == '#') {
			return p - s;
		} else {
			word = true;
			if (*p == '\'' || *p == '"')
				quote = *p;
			else if (*p == '\\' && p[1])
				p++;
		}
	}
	return -1;
}

/*
 * The next command of a batch into *@line: a line, joined with the next
 * while it ends with a backslash (not one in a comment: a comment ends
 * the command, as in iproute2).  Its length, -1 at the end, or -2 when
 * the joined line does not fit in memory (the command is not run cut).
 */
static ssize_t dc_batch_line(FILE *fp, char **line, size_t *cap,
			     unsigned int *lineno)
{
	char *more = NULL, *tmp;
	size_t mcap = 0, len;
	ssize_t n, m;

	n = getline(line, cap, fp);
	if (n < 0)
		return -1;
	++*lineno;
	len = n;
	for (;;) {
		ssize_t c;

		if (len && (*line)[len - 1] == '\n')
			(*line)[--len] = '\0';
		c = dc_comment(*line);
		if (c >= 0) {
			(*line)[c] = '\0';
			len = c;
			break;
		}
		if (!len || (*line)[len - 1] != '\\')
			break;
		(*line)[--len] = '\0';
		m = getline(&more, &mcap, fp);
		if (m < 0)
			break;
		++*lineno;
		if (len + m + 1 > *cap) {
			tmp = realloc(*line, len + m + 1);
			if (!tmp) {
				free(more);
				return -2;
			}
			*line = tmp;
			*cap = len + m + 1;
		}
		memcpy(*line + len, more, m + 1);
		len += m;
	}
	free(more);
	return len;
}

static int dc_batch(struct dc_ctx *ctx, const char *name, bool force)
{
	char *argv[DC_BATCH_ARGS];
	unsigned int lineno = 0, first;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;
	FILE *fp;

	fp = strcmp(name, "-") ? fopen(name, "re") : stdin;
	if (!fp) {
		dc_err(ctx->err, "cannot open \"%s\": %s", name,
		       strerror(errno));
		ctx->syserr = true;
		return -1;
	}
	for (first = 1; (len = dc_batch_line(fp, &line, &cap, &lineno)) != -1;
	     first = lineno + 1) {
		int argc = len < 0 ? -3 : dc_split(line, argv, DC_ARRAY_SIZE(argv));

		if (!argc)
			continue;
		if (argc == -1)
			dc_err(ctx->err, "too many arguments, at most %d",
			       DC_BATCH_ARGS);
		else if (argc == -2)
			dc_err(ctx->err, "a quote is not closed");
		else if (argc < 0)
			dc_err(ctx->err, "out of memory for a continued line");
		ctx->kerr = 0;
		ctx->syserr = false;
		if (argc < 0 || dc_run(ctx, argc, argv)) {
			fflush(ctx->out);
			fprintf(ctx->err, "Command failed %s:%u\n", name, first);
			if (!ctx->batch_status)
				ctx->batch_status = dc_exit_status(ctx, -1);
			ret = -1;
			if (!force)
				break;
		}
	}
	if (ferror(fp)) {
		dc_err(ctx->err, "cannot read \"%s\"", name);
		ctx->syserr = true;
		if (!ctx->batch_status)
			ctx->batch_status = DC_EXIT_KERNEL;
		ret = -1;
	}
	free(line);
	if (fp != stdin)
		fclose(fp);
	return ret;
}

/*
 * Like "ip -n": netlink sockets opened from now on belong to @name.  A
 * name that cannot be one is the command line's fault (ctx->syserr stays
 * clear); one that cannot be entered is the system's.
 */
static int dc_netns_enter(struct dc_ctx *ctx, const char *name)
{
	char path[PATH_MAX];
	int fd, n;

	if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, "..")) {
		dc_err(ctx->err, "invalid network namespace name \"%s\"", name);
		return -1;
	}
	n = snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		dc_err(ctx->err, "network namespace name too long");
		return -1;
	}
	ctx->syserr = true;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		dc_err(ctx->err, "cannot open network namespace \"%s\": %s",
		       name, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET)) {
		dc_err(ctx->err, "cannot enter network namespace \"%s\": %s",
		       name, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	ctx->syserr = false;
	return 0;
}

static bool dc_opt_is(const char *opt, const char *s, const char *l)
{
	/* "--json" is "-json", as in iproute2 */
	if (opt[1] == '-')
		opt++;
	return !strcmp(opt, s) || (l && !strcmp(opt, l));
}

/* Everything after the program name; 0 on success, -1 on failure. */
int dc_main(struct dc_ctx *ctx, int argc, char **argv)
{
	const char *batch = NULL, *netns = NULL;
	bool force = false;

	ctx->kerr = 0;
	ctx->syserr = false;
	ctx->batch_status = 0;
	for (; argc > 0 && argv[0][0] == '-'; argc--, argv++) {
		const char *opt = argv[0];

		if (dc_opt_is(opt, "-j", "-json")) {
			ctx->json = true;
		} else if (dc_opt_is(opt, "-p", "-pretty")) {
			ctx->json = true;
			ctx->pretty = true;
		} else if (dc_opt_is(opt, "-s", "-stats")) {
			ctx->stats = true;
		} else if (dc_opt_is(opt, "-d", "-details")) {
			ctx->details = true;
		} else if (dc_opt_is(opt, "-t", "-timestamp")) {
			ctx->timestamp = true;
		} else if (dc_opt_is(opt, "-force", NULL)) {
			force = true;
		} else if (dc_opt_is(opt, "-V", "-Version") ||
			   dc_opt_is(opt, "-version", NULL)) {
			fprintf(ctx->out, "dyncast utility, version %s\n",
				DC_VERSION);
			return 0;
		} else if (dc_opt_is(opt, "-h", "-help")) {
			usage(ctx->out);
			return 0;
		} else if (dc_opt_is(opt, "-n", "-netns") ||
			   dc_opt_is(opt, "-b", "-batch")) {
			if (argc < 2) {
				dc_err(ctx->err, "option \"%s\" requires a value",
				       opt);
				return -1;
			}
			if (dc_opt_is(opt, "-n", "-netns"))
				netns = argv[1];
			else
				batch = argv[1];
			argc--;
			argv++;
		} else {
			dc_err(ctx->err, "unknown option \"%s\", try \"dyncast help\"",
			       opt);
			return -1;
		}
	}

	if (netns && dc_netns_enter(ctx, netns))
		return -1;
	if (batch) {
		if (argc > 0)
			return dc_arg_unknown(ctx->err, *argv);
		return dc_batch(ctx, batch, force);
	}
	if (!argc) {
		usage(ctx->err);
		return -1;
	}
	return dc_run(ctx, argc, argv);
}

#ifndef DC_UNIT_TEST
struct dc_kernel {
	struct dc_nl nl;
	bool ready;
};

/* The socket is opened on first use: bad arguments never reach it. */
static struct dc_nl *dc_kernel_nl(struct dc_ctx *ctx)
{
	struct dc_kernel *k = ctx->priv;
	int ret;

	if (k->ready)
		return &k->nl;
	ctx->syserr = true;	/* until it is reached */
	if (dc_nl_open(&k->nl, ctx->err))
		return NULL;
	ret = dc_nl_resolve(&k->nl, DYNCAST_FAMILY_NAME, DYNCAST_MCGRP_EVENTS);
	if (ret) {
		if (ret == -ENOENT)
			dc_err(ctx->err, "dyncast module is not loaded (generic netlink family \"%s\" not found)",
			       DYNCAST_FAMILY_NAME);
		dc_nl_close(&k->nl);
		return NULL;
	}
	k->ready = true;
	ctx->syserr = false;
	return &k->nl;
}

static int dc_kernel_talk(struct dc_ctx *ctx, struct nlmsghdr *req,
			  mnl_cb_t cb, void *data)
{
	struct dc_nl *nl = dc_kernel_nl(ctx);
	int ret;

	if (!nl)
		return -1;
	req->nlmsg_type = nl->family;
	nl->kerr = 0;
	ret = dc_nl_talk(nl, req, &dc_top_set, cb, data);
	if (ret < 0) {
		ctx->kerr = nl->kerr;
		ctx->syserr = !nl->kerr;
	} else if (ret > 0) {
		ctx->syserr = true;	/* an interrupted dump */
	}
	return ret;
}

static int dc_kernel_listen(struct dc_ctx *ctx, mnl_cb_t cb, void *data)
{
	struct dc_nl *nl = dc_kernel_nl(ctx);

	if (!nl)
		return -1;
	/* whatever ends a monitor but a signal is the system's */
	ctx->syserr = true;
	if (!nl->mcgrp) {
		dc_err(ctx->err, "generic netlink family \"%s\" has no \"%s\" multicast group",
		       DYNCAST_FAMILY_NAME, DYNCAST_MCGRP_EVENTS);
		return -1;
	}
	return dc_nl_listen(nl, cb, data);
}

static const struct dc_ops dc_kernel_ops = {
	.talk = dc_kernel_talk,
	.listen = dc_kernel_listen,
};

int main(int argc, char **argv)
{
	struct dc_kernel k = {};
	struct dc_ctx ctx = {
		.out = stdout,
		.err = stderr,
		.ops = &dc_kernel_ops,
		.priv = &k,
	};
	int ret;

	ret = dc_main(&ctx, argc - 1, argv + 1);
	if (k.ready)
		dc_nl_close(&k.nl);
	return dc_exit_status(&ctx, ret);
}
#endif /* DC_UNIT_TEST */
