// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast genkey: a new random key for a service's D-Router
 * dyncast derivekey: the key of one of its forwarders
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <sodium.h>

#include "dyncast.h"

void dc_genkey_usage(FILE *fp)
{
	fputs("Usage: dyncast genkey\n"
	      "Prints a new random key (64 hexadecimal digits) for \"service ... key-file\".\n",
	      fp);
}

void dc_derivekey_usage(FILE *fp)
{
	fputs("Usage: dyncast derivekey ADDR [ key-file FILE ] (default: the key on standard input)\n"
	      "Prints the key of the forwarder at ADDR, from its D-Router's key.\n"
	      "ADDR := the address the forwarder sends its messages from\n",
	      fp);
}

static int dc_print_key(struct dc_ctx *ctx, const uint8_t *key, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fprintf(ctx->out, "%02x", key[i]);
	fputc('\n', ctx->out);
	if (fflush(ctx->out) || ferror(ctx->out)) {
		dc_err(ctx->err, "cannot write the output");
		ctx->syserr = true;
		return -1;
	}
	return 0;
}

int dc_do_genkey(struct dc_ctx *ctx, int argc, char **argv)
{
	uint8_t key[DYNCAST_KEY_LEN];
	int ret;

	if (argc > 0)
		return dc_arg_unknown(ctx->err, *argv);
	if (getrandom(key, sizeof(key), 0) != sizeof(key)) {
		dc_err(ctx->err, "cannot get random bytes: %s", strerror(errno));
		ctx->syserr = true;
		return -1;
	}
	dc_key_out_warn(ctx->err, ctx->out);
	ret = dc_print_key(ctx, key, sizeof(key));
	explicit_bzero(key, sizeof(key));
	return ret;
}

/*
 * The forwarder's key: HKDF-Expand(master, "dyncast forwarder" || 4 or 6 ||
 * address, 32), one HMAC-SHA256 (Documentation/dyncast-protocol.rst, "Keys").
 */
int dc_derive_forwarder_key(const uint8_t *master, const struct dc_addr *a,
			    uint8_t *out)
{
	static const char info[] = "dyncast forwarder";
	crypto_auth_hmacsha256_state st;
	uint8_t fam = a->family == AF_INET ? 4 : 6;
	static const uint8_t one = 1;

	if (crypto_auth_hmacsha256_init(&st, master, DYNCAST_KEY_LEN) ||
	    crypto_auth_hmacsha256_update(&st, (const uint8_t *)info,
					  strlen(info)) ||
	    crypto_auth_hmacsha256_update(&st, &fam, 1) ||
	    crypto_auth_hmacsha256_update(&st, (const uint8_t *)&a->u,
					  fam == 4 ? 4 : 16) ||
	    crypto_auth_hmacsha256_update(&st, &one, 1) ||
	    crypto_auth_hmacsha256_final(&st, out))
		return -1;
	sodium_memzero(&st, sizeof(st));
	return 0;
}

int dc_do_derivekey(struct dc_ctx *ctx, int argc, char **argv)
{
	uint8_t master[DYNCAST_KEY_LEN], key[DYNCAST_KEY_LEN];
	const char *file = "/dev/stdin";
	struct dc_addr a;
	int ret;

	if (argc < 1) {
		dc_err(ctx->err, "derivekey: the forwarder's address is missing");
		return -1;
	}
	if (dc_arg_addr(ctx->err, "ADDR", argv[0], 0, &a))
		return -1;
	argc--;
	argv++;
	if (argc > 2 && !strcmp(argv[2], "key-file"))
		return dc_arg_twice(ctx->err, "key-file");
	if (argc > 0 && !strcmp(*argv, "key-file")) {
		if (argc < 2)
			return dc_arg_novalue(ctx->err, *argv);
		file = argv[1];
		argc -= 2;
		argv += 2;
	}
	if (argc > 0)
		return dc_arg_unknown(ctx->err, *argv);
	ret = dc_arg_key_file(ctx->err, "key-file", file, master,
			      sizeof(master));
	if (ret) {
		ctx->syserr = ret == DC_ARG_IO;
		return -1;
	}
	ret = dc_derive_forwarder_key(master, &a, key);
	if (ret)
		dc_err(ctx->err, "cannot compute HMAC-SHA256");
	else
		dc_key_out_warn(ctx->err, ctx->out);
	if (!ret)
		ret = dc_print_key(ctx, key, sizeof(key));
	explicit_bzero(master, sizeof(master));
	explicit_bzero(key, sizeof(key));
	return ret;
}
