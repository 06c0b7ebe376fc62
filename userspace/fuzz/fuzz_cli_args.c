// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the dyncast CLI's command lines.
 *
 * The input is split into arguments at NUL bytes, blanks and newlines and
 * run through dc_main() against a kernel that takes every request and
 * answers nothing: argument parsing, its error messages and the building
 * of every request are fuzzed, under AddressSanitizer and UBSan.
 * Arguments that would make the CLI read files or standard input, enter a
 * network namespace or talk to dyncastd are left out: they fuzz the host,
 * not the CLI.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dyncast.h"

#define MAX_ARGS	64

static int talk(struct dc_ctx *ctx, struct nlmsghdr *req, mnl_cb_t cb,
		void *data)
{
	(void)ctx;
	(void)cb;
	(void)data;
	/* a request the CLI built must fit what it says it is */
	if (req->nlmsg_len < NLMSG_HDRLEN || req->nlmsg_len > DC_NL_REQ_SIZE)
		abort();
	return 0;
}

static int listen_none(struct dc_ctx *ctx, mnl_cb_t cb, void *data)
{
	(void)ctx;
	(void)cb;
	(void)data;
	return 0;
}

static const struct dc_ops ops = { .talk = talk, .listen = listen_none };

/*
 * -batch, -netns and key-file read files or enter a namespace; agent
 * talks to dyncastd's control socket, wherever "socket" points
 */
static bool harmful(const char *arg)
{
	if (!strcmp(arg, "key-file") || !strcmp(arg, "agent"))
		return true;
	if (arg[0] != '-')
		return false;
	while (*arg == '-')
		arg++;
	return *arg == 'b' || *arg == 'n';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	char *buf, *argv[MAX_ARGS + 1];
	struct dc_ctx ctx = { .ops = &ops };
	size_t i;
	int argc = 0;

	if (!null)
		null = fopen("/dev/null", "w");
	buf = malloc(size + 1);
	if (!buf || !null) {
		free(buf);
		return 0;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (i = 0; i < size; i++)
		if (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t')
			buf[i] = '\0';
	for (i = 0; i < size && argc < MAX_ARGS; i++) {
		if (buf[i] && (i == 0 || !buf[i - 1])) {
			if (harmful(buf + i))
				goto out;
			argv[argc++] = buf + i;
		}
	}
	argv[argc] = NULL;
	ctx.out = null;
	ctx.err = null;
	dc_main(&ctx, argc, argv);
out:
	free(buf);
	return 0;
}
