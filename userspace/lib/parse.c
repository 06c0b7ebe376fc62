// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing of command-line values, and the error messages naming the
 * argument that was wrong.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sodium.h>

#include "parse.h"

/* Plain decimal only: no sign, no blanks, no octal or hex surprises. */
int dc_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned int d;

		if (*s < '0' || *s > '9')
			return -1;
		d = *s - '0';
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/*
 * "37.5" -> 375: a decimal number with at most one digit after the point,
 * in tenths, at most @max.  Done by hand rather than with strtod() so that
 * neither the locale nor binary rounding can change the result.
 */
int dc_parse_tenths(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		if (v > max)
			return -1;
	}
	v *= 10;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		v += *s++ - '0';
	}
	if (*s || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * A signed decimal of at most three decimals, in thousandths: "-2.5" ->
 * -2500.  Fails beyond +-max.
 */
int dc_parse_milli(const char *s, int32_t max, int32_t *out)
{
	bool neg = *s == '-';
	int64_t v = 0, scale = 1000;

	if (neg)
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		if (v > max)
			return -1;
	}
	v *= 1000;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9') {
			scale /= 10;
			if (!scale)
				return -1;
			v += (*s++ - '0') * scale;
		}
	}
	if (*s || v > max)
		return -1;
	*out = neg ? -v : v;
	return 0;
}

/*
 * An address the kernel takes for a service or an instance: not 0.0.0.0/8,
 * multicast or 255.255.255.255; not :: or multicast.
 */
bool dc_addr_unicast(const struct dc_addr *a)
{
	uint32_t v4 = ntohl(a->u.in.s_addr);

	if (a->family == AF_INET)
		return (v4 >> 24) != 0 && !IN_MULTICAST(v4) &&
		       v4 != INADDR_BROADCAST;
	return a->family == AF_INET6 &&
	       !IN6_IS_ADDR_UNSPECIFIED(&a->u.in6) &&
	       !IN6_IS_ADDR_MULTICAST(&a->u.in6);
}

int dc_parse_addr(const char *s, struct dc_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->u.in) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, &a->u.in6) == 1)
		a->family = AF_INET6;
	else
		return -1;
	return 0;
}

int dc_parse_keyword(const char *s, const char *const *names, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(s, names[i]))
			return i;
	return -1;
}

const char *dc_addr_fmt(int family, const void *addr, char *buf, size_t len)
{
	if (!inet_ntop(family, addr, buf, len))
		return "?";
	return buf;
}

static void dc_verr(FILE *err, const char *fmt, va_list ap)
{
	fputs("Error: ", err);
	vfprintf(err, fmt, ap);
	fputs(".\n", err);
}

void dc_err(FILE *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dc_verr(err, fmt, ap);
	va_end(ap);
}

int dc_arg_unknown(FILE *err, const char *arg)
{
	dc_err(err, "unknown argument \"%s\"", arg);
	return -1;
}

int dc_arg_missing(FILE *err, const char *name)
{
	dc_err(err, "argument \"%s\" is required", name);
	return -1;
}

int dc_arg_novalue(FILE *err, const char *name)
{
	dc_err(err, "argument \"%s\" requires a value", name);
	return -1;
}

int dc_arg_twice(FILE *err, const char *name)
{
	dc_err(err, "argument \"%s\" is given more than once", name);
	return -1;
}

int dc_arg_u32(FILE *err, const char *name, const char *val,
	       uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (dc_parse_uint(val, max, &v) || v < min) {
		dc_err(err, "argument \"%s\" must be an integer between %u and %u, got \"%s\"",
		       name, min, max, val);
		return -1;
	}
	*out = v;
	return 0;
}

int dc_arg_port(FILE *err, const char *name, const char *val, uint16_t *out)
{
	uint32_t v;

	if (dc_arg_u32(err, name, val, 0, UINT16_MAX, &v))
		return -1;
	*out = v;
	return 0;
}

int dc_arg_percent(FILE *err, const char *name, const char *val,
		   uint32_t min, uint32_t max, uint32_t *permille)
{
	uint32_t v;

	if (dc_parse_tenths(val, max, &v) || v < min) {
		dc_err(err, "argument \"%s\" must be a percentage between %u and %u, got \"%s\"",
		       name, min / 10, max / 10, val);
		return -1;
	}
	*permille = v;
	return 0;
}

int dc_arg_milli(FILE *err, const char *name, const char *val, int32_t max,
		 int32_t *milli)
{
	if (dc_parse_milli(val, max, milli)) {
		dc_err(err, "argument \"%s\" must be a number between -%d and %d with at most 3 decimals, got \"%s\"",
		       name, max / 1000, max / 1000, val);
		return -1;
	}
	return 0;
}

int dc_arg_addr(FILE *err, const char *name, const char *val, int family,
		struct dc_addr *a)
{
	if (dc_parse_addr(val, a)) {
		dc_err(err, "argument \"%s\" must be an IPv4 or IPv6 address, got \"%s\"",
		       name, val);
		return -1;
	}
	if (family && a->family != family) {
		dc_err(err, "argument \"%s\" must be an %s address like the service, got \"%s\"",
		       name, family == AF_INET ? "IPv4" : "IPv6", val);
		return -1;
	}
	return 0;
}

int dc_arg_keyword(FILE *err, const char *name, const char *val,
		   const char *const *names, unsigned int n)
{
	unsigned int i, left;
	int k;

	k = dc_parse_keyword(val, names, n);
	if (k >= 0)
		return k;

	for (i = 0, left = 0; i < n; i++)
		left += names[i] != NULL;
	fprintf(err, "Error: argument \"%s\" must be ", name);
	for (i = 0; i < n; i++) {
		if (!names[i])
			continue;
		left--;
		fprintf(err, "%s%s", names[i],
			left > 1 ? ", " : left == 1 ? " or " : "");
	}
	fprintf(err, ", got \"%s\".\n", val);
	return -1;
}

/* Exactly 2 * @len hexadecimal digits. */
int dc_parse_hex(const char *s, uint8_t *out, size_t len)
{
	size_t i;

	if (strlen(s) != 2 * len)
		return -1;
	for (i = 0; i < 2 * len; i++) {
		int c = s[i], v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -1;
		if (i % 2)
			out[i / 2] |= v;
		else
			out[i / 2] = v << 4;
	}
	return 0;
}

int dc_arg_hex(FILE *err, const char *name, const char *val, uint8_t *out,
	       size_t len)
{
	if (dc_parse_hex(val, out, len)) {
		dc_err(err, "argument \"%s\" must be %zu hexadecimal digits",
		       name, 2 * len);
		return -1;
	}
	return 0;
}

/*
 * A key of @len bytes, as dyncast genkey prints it (2 * @len hexadecimal
 * digits) or as dyncastd --genkey does (base64)
 */
int dc_parse_key(const char *s, uint8_t *out, size_t len)
{
	size_t n = 0;

	if (!dc_parse_hex(s, out, len))
		return 0;
	if (sodium_base642bin(out, len, s, strlen(s), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) || n != len) {
		sodium_memzero(out, len);
		return -1;
	}
	return 0;
}

int dc_arg_key(FILE *err, const char *name, const char *val, uint8_t *out,
	       size_t len)
{
	if (dc_parse_key(val, out, len)) {
		dc_err(err, "argument \"%s\" must be a key: %zu hexadecimal digits, or %zu bytes in base64",
		       name, 2 * len, len);
		return -1;
	}
	return 0;
}

/* Whether @fd is a file that others than its owner and group may read */
bool dc_key_file_open(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISREG(st.st_mode) && (st.st_mode & S_IRWXO);
}

/*
 * The same, read from the file @path: its first line, surrounding blanks
 * ignored, so that a key need not show on a command line.  A file others
 * may read is taken, with a warning.  DC_ARG_IO when it cannot be opened.
 */
int dc_arg_key_file(FILE *err, const char *name, const char *path,
		    uint8_t *out, size_t len)
{
	char line[256], *s, *e;
	FILE *fp;
	int ret;

	fp = fopen(path, "re");
	if (!fp) {
		dc_err(err, "argument \"%s\": cannot read \"%s\": %s", name,
		       path, strerror(errno));
		return DC_ARG_IO;
	}
	if (dc_key_file_open(fileno(fp)))
		fprintf(err, "Warning: key file \"%s\" is readable by others; chmod 600 it\n",
			path);
	s = fgets(line, sizeof(line), fp);
	fclose(fp);
	if (s) {
		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
	}
	ret = s ? dc_parse_key(s, out, len) : -1;
	explicit_bzero(line, sizeof(line));
	if (ret) {
		dc_err(err, "argument \"%s\": \"%s\" must hold a key: %zu hexadecimal digits, or %zu bytes in base64",
		       name, path, 2 * len, len);
		return -1;
	}
	return 0;
}

/*
 * wg's warning: a key printed to a file that others may read (set the
 * umask to 077 first)
 */
void dc_key_out_warn(FILE *err, FILE *out)
{
	struct stat st;

	if (!fstat(fileno(out), &st) && S_ISREG(st.st_mode) &&
	    (st.st_mode & S_IRWXO))
		fputs("Warning: writing a key to a file others may read; set the umask to 077 and try again\n",
		      err);
}
