// SPDX-License-Identifier: GPL-2.0
/*
 * The D-MA's instances across a reload (dma.c), against stand-ins for the
 * health checks, commands and the network: those that stay keep running
 * with their new settings, new ones start, removed ones are withdrawn;
 * short of memory, nothing changes.  calloc fails where a test says.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dyncastd.h"

void *__real_calloc(size_t n, size_t size);
static size_t calloc_fail_size;	/* calloc(1, this) fails; 0 none ... */
static unsigned int calloc_fail_after;	/* ... once this many have not */

void *__wrap_calloc(size_t n, size_t size)
{
	if (calloc_fail_size && n == 1 && size == calloc_fail_size) {
		if (!calloc_fail_after)
			return NULL;
		calloc_fail_after--;
	}
	return __real_calloc(n, size);
}

uint64_t dd_now_ms(void)
{
	return 1000000;
}

uint64_t dd_now_us(void)
{
	return 1000000000;
}

/* what runs for each instance: its health check and its command */
#define RUN_MAX	8

static struct run {
	const struct dd_inst *in;
	bool health, command;
} runs[RUN_MAX];

static struct run *run_of(const struct dd_inst *in)
{
	unsigned int i;

	for (i = 0; i < RUN_MAX; i++)
		if (runs[i].in == in)
			return &runs[i];
	for (i = 0; i < RUN_MAX; i++)
		if (!runs[i].in) {
			runs[i].in = in;
			return &runs[i];
		}
	fail();
	return NULL;
}

void dd_health_start(struct dd_ctx *ctx, struct dd_inst *in)
{
	(void)ctx;
	run_of(in)->health = true;
}

void dd_health_stop(struct dd_ctx *ctx, struct dd_inst *in)
{
	(void)ctx;
	run_of(in)->health = false;
}

void dd_command_start(struct dd_ctx *ctx, struct dd_inst *in)
{
	(void)ctx;
	run_of(in)->command = true;
}

void dd_command_stop(struct dd_ctx *ctx, struct dd_inst *in)
{
	(void)ctx;
	run_of(in)->command = false;
}

int dd_send_origin(struct dd_ctx *ctx, const struct dd_origin *o,
		   const struct dd_record *recs, unsigned int n,
		   const struct dc_addr *to, uint16_t port)
{
	(void)ctx, (void)o, (void)recs, (void)n, (void)to, (void)port;
	return 0;
}

void dd_router_local(struct dd_ctx *ctx, const struct dd_record *recs,
		     unsigned int n)
{
	(void)ctx, (void)recs, (void)n;
}

void dd_bgp_announce(struct dd_ctx *ctx)
{
	(void)ctx;
}

int dd_sessions_count(struct dd_ctx *ctx)
{
	(void)ctx;
	return 0;
}

void dd_svc_sync(struct dd_ctx *ctx)
{
	(void)ctx;
}

void dd_svc_stop(struct dd_ctx *ctx)
{
	(void)ctx;
}

bool dd_svc_followed(const struct dd_ctx *ctx, const struct dd_inst *in)
{
	(void)ctx, (void)in;
	return false;
}

#define KEY "key = lmKv2p0fOqO7BFMSYhPHhZF4Cg8n7m+f+8o9oI6cCNE=\n"
#define INST(name, bid, weight) \
	"[instance " name "]\nsid = 192.0.2.1\nproto = tcp\nport = 80\n" \
	"bid = " bid "\nweight = " weight "\n"

static struct dd_config *config(const char *text)
{
	struct dd_config *cfg = dd_config_parse_string(text, "t.conf", stderr);

	assert_non_null(cfg);
	return cfg;
}

static struct dd_inst *inst_named(struct dd_ctx *ctx, const char *name)
{
	unsigned int i;

	for (i = 0; i < ctx->n_inst; i++)
		if (!strcmp(ctx->inst[i]->cfg.name, name))
			return ctx->inst[i];
	return NULL;
}

static void reload(void **state)
{
	struct dd_config *one, *two;
	struct dd_ctx ctx = {};
	struct dd_inst *a, *b;
	unsigned int i;

	(void)state;
	memset(runs, 0, sizeof(runs));
	assert_int_equal(dd_loop_init(&ctx.loop), 0);
	one = config("[agent]\n" KEY INST("a", "192.0.2.11", "1")
		     INST("b", "192.0.2.12", "1"));
	ctx.cfg = one;
	assert_int_equal(dd_dma_apply(&ctx), 0);
	assert_int_equal(ctx.n_inst, 2);
	a = inst_named(&ctx, "a");
	b = inst_named(&ctx, "b");
	assert_true(run_of(a)->health && run_of(a)->command);
	assert_true(run_of(b)->health && run_of(b)->command);

	/*
	 * a stays with a new weight, b goes, c and d come: short of memory
	 * for c, then for d once c was made (freed again)
	 */
	two = config("[agent]\n" KEY INST("a", "192.0.2.11", "5")
		     INST("c", "192.0.2.13", "1") INST("d", "192.0.2.14", "1"));
	ctx.cfg = two;
	for (i = 0; i < 2; i++) {
		calloc_fail_size = sizeof(struct dd_inst);
		calloc_fail_after = i;
		assert_int_equal(dd_dma_apply(&ctx), -ENOMEM);
		calloc_fail_size = 0;
		assert_int_equal(ctx.n_inst, 2);
		assert_ptr_equal(inst_named(&ctx, "a"), a);
		assert_ptr_equal(inst_named(&ctx, "b"), b);
		assert_int_equal(a->cfg.weight, 1);
		assert_false(a->stale || b->stale);
		assert_true(run_of(a)->health && run_of(a)->command);
		assert_true(run_of(b)->health && run_of(b)->command);
	}

	/* and with memory: as the configuration says */
	assert_int_equal(dd_dma_apply(&ctx), 0);
	assert_int_equal(ctx.n_inst, 4);
	assert_ptr_equal(inst_named(&ctx, "a"), a);
	assert_int_equal(a->cfg.weight, 5);
	assert_true(run_of(a)->health && run_of(a)->command);
	assert_true(b->stale);
	assert_false(run_of(b)->health || run_of(b)->command);
	assert_true(run_of(inst_named(&ctx, "c"))->health);

	ctx.n_peers = 0;
	dd_dma_exit(&ctx);
	assert_int_equal(ctx.n_inst, 0);
	dd_loop_exit(&ctx.loop);
	dd_config_free(one);
	dd_config_free(two);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
