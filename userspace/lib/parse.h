/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DC_PARSE_H
#define DC_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#define DC_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct dc_addr {
	int family;		/* 0 (unset), AF_INET or AF_INET6 */
	union {
		struct in_addr in;
		struct in6_addr in6;
	} u;
};

/* INET6_ADDRSTRLEN, spelled out so that users need not include arpa/inet.h */
#define DC_ADDR_STRLEN		46

int dc_parse_uint(const char *s, uint64_t max, uint64_t *out);
int dc_parse_tenths(const char *s, uint32_t max, uint32_t *out);
int dc_parse_milli(const char *s, int32_t max, int32_t *out);
int dc_parse_addr(const char *s, struct dc_addr *a);
bool dc_addr_unicast(const struct dc_addr *a);
int dc_parse_keyword(const char *s, const char *const *names, unsigned int n);
const char *dc_addr_fmt(int family, const void *addr, char *buf, size_t len);

/*
 * Argument helpers: each prints "Error: ..." naming the argument to @err
 * and returns -1 on failure, 0 on success.
 */
void dc_err(FILE *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int dc_arg_unknown(FILE *err, const char *arg);
int dc_arg_missing(FILE *err, const char *name);
int dc_arg_novalue(FILE *err, const char *name);
int dc_arg_twice(FILE *err, const char *name);
int dc_arg_u32(FILE *err, const char *name, const char *val,
	       uint32_t min, uint32_t max, uint32_t *out);
int dc_arg_port(FILE *err, const char *name, const char *val, uint16_t *out);
int dc_arg_percent(FILE *err, const char *name, const char *val,
		   uint32_t min, uint32_t max, uint32_t *permille);
int dc_arg_milli(FILE *err, const char *name, const char *val, int32_t max,
		 int32_t *milli);
int dc_arg_addr(FILE *err, const char *name, const char *val, int family,
		struct dc_addr *a);
int dc_arg_keyword(FILE *err, const char *name, const char *val,
		   const char *const *names, unsigned int n);
int dc_parse_hex(const char *s, uint8_t *out, size_t len);
int dc_arg_hex(FILE *err, const char *name, const char *val, uint8_t *out,
	       size_t len);
int dc_parse_key(const char *s, uint8_t *out, size_t len);
int dc_arg_key(FILE *err, const char *name, const char *val, uint8_t *out,
	       size_t len);
/* dc_arg_key_file(): the file could not be read (not a mistake of the line) */
#define DC_ARG_IO	(-2)
int dc_arg_key_file(FILE *err, const char *name, const char *path,
		    uint8_t *out, size_t len);
bool dc_key_file_open(int fd);
void dc_key_out_warn(FILE *err, FILE *out);

#endif /* DC_PARSE_H */
