/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DC_OUTPUT_H
#define DC_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

/*
 * One output layer for text and JSON, in the manner of iproute2's
 * json_print: callers emit keyed values; text mode prints "key value" on
 * the current line, JSON mode builds a jansson tree that dc_out_flush()
 * dumps.
 *
 * Text layout: a top-level object is one line; a nested object starts a
 * new line, indented, beginning with its key.
 */
#define DC_OUT_DEPTH	4

struct dc_out {
	FILE *fp;
	bool json;
	size_t json_flags;
	json_t *root;
	json_t *stack[DC_OUT_DEPTH];
	unsigned int depth;
	bool fresh;		/* text: nothing printed on this line yet */
	bool stats;		/* print counters (DC_ATTR_STATS) too */
	bool details;		/* text: details (DC_ATTR_DETAIL) too */
	const char *time;	/* monitor -t: each event's time, or NULL */
	int err;		/* sticky: allocation failure or misuse */
};

void dc_out_init(struct dc_out *o, FILE *fp, bool json, bool pretty);
void dc_out_array(struct dc_out *o);
void dc_out_open(struct dc_out *o, const char *key);
void dc_out_close(struct dc_out *o);
void dc_out_str(struct dc_out *o, const char *key, const char *val, bool bare);
void dc_out_uint(struct dc_out *o, const char *key, uint64_t val);
void dc_out_tenths(struct dc_out *o, const char *key, uint64_t tenths);
void dc_out_milli(struct dc_out *o, const char *key, int64_t milli);
void dc_out_msecs(struct dc_out *o, const char *key, uint64_t ms);
void dc_out_flag(struct dc_out *o, const char *key);
int dc_out_flush(struct dc_out *o);
void dc_out_discard(struct dc_out *o);

#endif /* DC_OUTPUT_H */
