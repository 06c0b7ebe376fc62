// SPDX-License-Identifier: GPL-2.0
/* dyncast genkey: a new random key for a service's forwarders */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "dyncast.h"

void dc_genkey_usage(FILE *fp)
{
	fputs("Usage: dyncast genkey\n"
	      "Prints a new random key (64 hexadecimal digits) for \"service ... key-file\".\n",
	      fp);
}

int dc_do_genkey(struct dc_ctx *ctx, int argc, char **argv)
{
	uint8_t key[DYNCAST_KEY_LEN];
	size_t i;

	if (argc > 0)
		return dc_arg_unknown(ctx->err, *argv);
	if (getrandom(key, sizeof(key), 0) != sizeof(key)) {
		dc_err(ctx->err, "cannot get random bytes: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(key); i++)
		fprintf(ctx->out, "%02x", key[i]);
	fputc('\n', ctx->out);
	explicit_bzero(key, sizeof(key));
	return fflush(ctx->out) ? -1 : 0;
}
