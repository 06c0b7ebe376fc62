// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast agent show: the state of dyncastd, asked on its control socket.
 *
 * The daemon answers "show" with a JSON array of objects, each naming its
 * kind in "object", and "show KIND" with those of KIND only; they are
 * printed through the output layer, one line per object in text (times
 * in seconds, loads in per cent), as they are with -j.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <jansson.h>

#include "control.h"
#include "dyncast.h"

#define DC_AGENT_REPLY_MAX	(16 << 20)
#define DC_AGENT_TIMEOUT	5	/* seconds */

/* keys of milliseconds, printed as seconds */
static const char *const agent_msecs[] = {
	"uptime", "last-rx", "last-tx", "last-update", "last-announce",
	"hold", "age", "connected", "since",
};

/* keys in per mille, printed as per cent */
static const char *const agent_permille[] = { "cpu", "gpu", "load" };

/* keys in thousandths, either sign, printed with three decimals */
static const char *const agent_milli[] = {
	"inflight-adjust", "own-rate", "total-rate", "own-share",
};

static bool agent_in(const char *key, const char *const *list, unsigned int n)
{
	return dc_parse_keyword(key, list, n) >= 0;
}

static void agent_print_obj(struct dc_out *o, json_t *obj, bool top)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		if (top && !strcmp(key, "object")) {
			if (json_is_string(v))
				dc_out_str(o, key, json_string_value(v), true);
		} else if (json_is_object(v)) {
			dc_out_open(o, key);
			agent_print_obj(o, v, false);
			dc_out_close(o);
		} else if (json_is_string(v)) {
			dc_out_str(o, key, json_string_value(v), false);
		} else if (json_is_integer(v) &&
			   agent_in(key, agent_milli, DC_ARRAY_SIZE(agent_milli))) {
			dc_out_milli(o, key, json_integer_value(v));
		} else if (json_is_integer(v) && json_integer_value(v) >= 0) {
			uint64_t n = json_integer_value(v);

			if (agent_in(key, agent_msecs, DC_ARRAY_SIZE(agent_msecs)))
				dc_out_msecs(o, key, n);
			else if (agent_in(key, agent_permille,
					  DC_ARRAY_SIZE(agent_permille)))
				dc_out_tenths(o, key, n);
			else
				dc_out_uint(o, key, n);
		}
	}
}

/*
 * Prints the daemon's answer @text: every object, or those of @kind.
 * Returns -1 after reporting an answer that is not what we expect.
 */
int dc_agent_print(struct dc_out *o, FILE *err, const char *text,
		   const char *kind)
{
	json_error_t jerr;
	json_t *all, *obj, *k;
	size_t i;

	all = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!all) {
		dc_err(err, "dyncastd answered something that is not JSON: %s",
		       jerr.text);
		return -1;
	}
	if (json_is_object(all) && json_is_string(json_object_get(all, "error"))) {
		dc_err(err, "dyncastd: %s",
		       json_string_value(json_object_get(all, "error")));
		json_decref(all);
		return -1;
	}
	if (!json_is_array(all)) {
		dc_err(err, "dyncastd answered something unexpected");
		json_decref(all);
		return -1;
	}
	json_array_foreach(all, i, obj) {
		k = json_object_get(obj, "object");
		if (!json_is_string(k) ||
		    (kind && strcmp(json_string_value(k), kind)))
			continue;
		dc_out_open(o, NULL);
		agent_print_obj(o, obj, true);
		dc_out_close(o);
	}
	json_decref(all);
	return 0;
}

/*
 * The whole answer to "show" (@kind NULL) or "show KIND", NUL-terminated,
 * or NULL after an error.
 */
static char *agent_ask(struct dc_ctx *ctx, const char *path, const char *kind)
{
	struct timeval tv = { .tv_sec = DC_AGENT_TIMEOUT };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(path), len = 0, cap = 0;
	char *buf = NULL, *tmp, req[32];
	int fd, rlen;
	ssize_t r;

	rlen = snprintf(req, sizeof(req), "show%s%s\n", kind ? " " : "",
			kind ? kind : "");

	if (!n || n >= sizeof(sun.sun_path)) {
		dc_err(ctx->err, "argument \"socket\" must be a path of at most %zu characters",
		       sizeof(sun.sun_path) - 1);
		return NULL;
	}
	memcpy(sun.sun_path, path, n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	/* what fails from here is not the command line's fault */
	ctx->syserr = true;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		dc_err(ctx->err, "cannot open a unix socket: %s", strerror(errno));
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun,
		    offsetof(struct sockaddr_un, sun_path) + n +
		    (path[0] != '@')) ||
	    send(fd, req, rlen, MSG_NOSIGNAL) != rlen) {
		dc_err(ctx->err, "cannot reach dyncastd at %s: %s", path,
		       strerror(errno));
		close(fd);
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 65536;
			tmp = cap <= DC_AGENT_REPLY_MAX ? realloc(buf, cap + 1) : NULL;
			if (!tmp) {
				dc_err(ctx->err, "the answer of dyncastd is too large");
				goto err;
			}
			buf = tmp;
		}
		r = recv(fd, buf + len, cap - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			dc_err(ctx->err, "cannot read the answer of dyncastd: %s",
			       strerror(errno));
			goto err;
		}
		if (!r)
			break;
		len += r;
	}
	close(fd);
	buf[len] = '\0';
	ctx->syserr = false;
	return buf;
err:
	free(buf);
	close(fd);
	return NULL;
}

/* The answer of a dyncastd older than "show KIND": it knows only "show" */
static bool agent_unknown_request(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	bool unknown;

	unknown = json_is_object(j) &&
		  json_is_string(json_object_get(j, "error")) &&
		  !strcmp(json_string_value(json_object_get(j, "error")),
			  "unknown request");
	json_decref(j);
	return unknown;
}

void dc_agent_usage(FILE *fp)
{
	fputs("Usage: dyncast agent show [ KIND ] [ socket PATH ]\n"
	      "KIND := { agent | bgp | neighbor | peer | site | instance | learned |\n"
	      "         plan }\n"
	      "PATH := dyncastd's control socket (default " DC_CONTROL_SOCKET ";\n"
	      "        @NAME for an abstract one)\n", fp);
}

int dc_do_agent(struct dc_ctx *ctx, int argc, char **argv)
{
	const char *path = DC_CONTROL_SOCKET, *kind = NULL;
	bool have_path = false;
	struct dc_out o;
	char *text;
	int ret;

	if (argc > 0 && !strcmp(*argv, "show")) {
		argc--;
		argv++;
	} else if (argc > 0) {
		dc_err(ctx->err, "unknown command \"%s\", try \"dyncast agent help\"",
		       *argv);
		return -1;
	}
	while (argc > 0) {
		if (!strcmp(*argv, "socket")) {
			if (argc < 2)
				return dc_arg_novalue(ctx->err, "socket");
			if (have_path)
				return dc_arg_twice(ctx->err, "socket");
			path = argv[1];
			have_path = true;
			argc -= 2;
			argv += 2;
		} else if (dc_parse_keyword(*argv, dc_show_kinds,
					    __DC_SHOW_MAX) >= 0) {
			if (kind)
				return dc_arg_twice(ctx->err, "KIND");
			kind = *argv;
			argc--;
			argv++;
		} else {
			return dc_arg_unknown(ctx->err, *argv);
		}
	}

	text = agent_ask(ctx, path, kind);
	/* everything, of which dc_agent_print() keeps the kind */
	if (text && kind && agent_unknown_request(text)) {
		free(text);
		text = agent_ask(ctx, path, NULL);
	}
	if (!text)
		return -1;
	dc_out_init(&o, ctx->out, ctx->json, ctx->pretty);
	dc_out_array(&o);
	ret = dc_agent_print(&o, ctx->err, text, kind);
	free(text);
	if (ret) {
		dc_out_discard(&o);
		ctx->syserr = true;
		return -1;
	}
	if (dc_out_flush(&o)) {
		dc_err(ctx->err, "cannot write the output");
		ctx->syserr = true;
		return -1;
	}
	return 0;
}
