// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>

#include "output.h"

void dc_out_init(struct dc_out *o, FILE *fp, bool json, bool pretty)
{
	*o = (struct dc_out){
		.fp = fp,
		.json = json,
		.json_flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10) |
			      (pretty ? JSON_INDENT(4) : JSON_COMPACT),
		.fresh = true,
	};
}

/* JSON: the objects opened at the top level go into one array. */
void dc_out_array(struct dc_out *o)
{
	if (!o->json || o->root)
		return;
	o->root = json_array();
	if (!o->root)
		o->err = -ENOMEM;
}

static void dc_out_set(struct dc_out *o, const char *key, json_t *val)
{
	if (!val) {
		o->err = -ENOMEM;
		return;
	}
	if (!o->depth) {
		json_decref(val);
		o->err = -EINVAL;
		return;
	}
	if (json_object_set_new(o->stack[o->depth - 1], key, val))
		o->err = -ENOMEM;
}

static void dc_out_text_key(struct dc_out *o, const char *key, bool bare)
{
	if (!o->fresh)
		fputc(' ', o->fp);
	o->fresh = false;
	if (!bare)
		fprintf(o->fp, "%s ", key);
}

void dc_out_open(struct dc_out *o, const char *key)
{
	json_t *obj;

	if (o->depth == DC_OUT_DEPTH) {
		o->err = -EINVAL;
		return;
	}
	if (!o->json) {
		if (o->depth) {
			fprintf(o->fp, "\n%*s%s", 4 * o->depth, "", key);
			o->fresh = false;
		} else {
			o->fresh = true;
		}
		o->depth++;
		return;
	}

	obj = json_object();
	if (!obj) {
		o->err = -ENOMEM;
		obj = json_null();
	}
	if (o->depth) {
		if (json_object_set(o->stack[o->depth - 1], key, obj))
			o->err = -ENOMEM;
	} else if (json_is_array(o->root)) {
		if (json_array_append(o->root, obj))
			o->err = -ENOMEM;
	} else if (!o->root) {
		o->root = json_incref(obj);
	} else {
		o->err = -EINVAL;	/* a second top-level object */
	}
	o->stack[o->depth++] = obj;
}

void dc_out_close(struct dc_out *o)
{
	if (!o->depth) {
		o->err = -EINVAL;
		return;
	}
	o->depth--;
	if (o->json)
		json_decref(o->stack[o->depth]);
	else if (!o->depth)
		fputc('\n', o->fp);
}

void dc_out_str(struct dc_out *o, const char *key, const char *val, bool bare)
{
	if (o->json) {
		dc_out_set(o, key, json_string(val));
		return;
	}
	dc_out_text_key(o, key, bare);
	fputs(val, o->fp);
}

void dc_out_uint(struct dc_out *o, const char *key, uint64_t val)
{
	if (o->json) {
		/* json_int_t is signed; keep huge counters as reals */
		dc_out_set(o, key, val > INT64_MAX ?
			   json_real((double)val) : json_integer(val));
		return;
	}
	dc_out_text_key(o, key, false);
	fprintf(o->fp, "%" PRIu64, val);
}

/* Text: the key alone; JSON: "key": true. */
void dc_out_flag(struct dc_out *o, const char *key)
{
	if (o->json) {
		dc_out_set(o, key, json_true());
		return;
	}
	dc_out_text_key(o, key, true);
	fputs(key, o->fp);
}

/* Text "37.5", JSON 37.5. */
void dc_out_tenths(struct dc_out *o, const char *key, uint64_t tenths)
{
	if (o->json) {
		dc_out_set(o, key, json_real(tenths / 10.0));
		return;
	}
	dc_out_text_key(o, key, false);
	fprintf(o->fp, "%" PRIu64 ".%" PRIu64, tenths / 10, tenths % 10);
}

/* Text "-2.5", JSON -2.5: thousandths as a decimal, trailing zeros cut */
void dc_out_milli(struct dc_out *o, const char *key, int64_t milli)
{
	uint64_t a = milli < 0 ? -(uint64_t)milli : (uint64_t)milli;
	char frac[8];
	int n;

	if (o->json) {
		dc_out_set(o, key, json_real(milli / 1000.0));
		return;
	}
	dc_out_text_key(o, key, false);
	n = snprintf(frac, sizeof(frac), "%03u", (unsigned int)(a % 1000));
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = 0;
	fprintf(o->fp, "%s%" PRIu64 "%s%s", milli < 0 ? "-" : "", a / 1000,
		n ? "." : "", frac);
}

/* Text "12.345s", JSON 12345 (milliseconds). */
void dc_out_msecs(struct dc_out *o, const char *key, uint64_t ms)
{
	if (o->json) {
		dc_out_uint(o, key, ms);
		return;
	}
	dc_out_text_key(o, key, false);
	fprintf(o->fp, "%" PRIu64 ".%03" PRIu64 "s", ms / 1000, ms % 1000);
}

/*
 * JSON: dumps what was built, followed by a newline; text: nothing left to
 * do.  Returns the first error met since dc_out_init(), after which the
 * JSON output is dropped rather than printed incomplete.
 */
int dc_out_flush(struct dc_out *o)
{
	int err = o->err;

	if (o->json && o->root && !err) {
		if (json_dumpf(o->root, o->fp, o->json_flags))
			err = -EIO;
		else
			fputc('\n', o->fp);
	}
	if (fflush(o->fp) && !err)
		err = -errno;
	dc_out_discard(o);
	return err;
}

void dc_out_discard(struct dc_out *o)
{
	while (o->depth) {
		o->depth--;
		if (o->json)
			json_decref(o->stack[o->depth]);
	}
	json_decref(o->root);
	o->root = NULL;
	o->err = 0;
	o->fresh = true;
}
