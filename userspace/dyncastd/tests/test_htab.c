// SPDX-License-Identifier: GPL-2.0
/*
 * The growing hash table: every node found after growing, a walk that
 * frees what it visits, and a table that cannot grow (calloc fails)
 * keeps every node at its old size.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "htab.h"

/* linked with -Wl,--wrap=calloc: fails while calloc_fail is set */
void *__real_calloc(size_t n, size_t size);
static bool calloc_fail;

void *__wrap_calloc(size_t n, size_t size)
{
	return calloc_fail ? NULL : __real_calloc(n, size);
}

struct item {
	struct dd_hnode node;
	unsigned int key;
	bool seen;
};

/* a poor hash on purpose: equal low bits for many keys */
static uint32_t item_hash(unsigned int key)
{
	return key * 64;
}

static struct item *find(struct dd_htab *t, unsigned int key)
{
	uint32_t h = item_hash(key);
	struct dd_hnode *n;

	for (n = dd_htab_chain(t, h); n; n = n->next) {
		struct item *it = dd_htab_entry(n, struct item, node);

		if (n->hash == h && it->key == key)
			return it;
	}
	return NULL;
}

#define N 20000

static void grows(void **state)
{
	static struct item items[N];
	struct dd_htab t = { 0 };
	struct dd_hnode *n;
	unsigned int i, b, walked = 0;

	(void)state;
	assert_null(dd_htab_chain(&t, 1));
	assert_null(dd_htab_first(&t, &b));
	for (i = 0; i < N; i++) {
		items[i].key = i;
		assert_int_equal(dd_htab_add(&t, &items[i].node,
					     item_hash(i)), 0);
	}
	assert_int_equal(t.n, N);
	/* more buckets than nodes after each doubling: 2^15 for 20000 */
	assert_int_equal(t.bits, 15);
	for (i = 0; i < N; i++)
		assert_ptr_equal(find(&t, i), &items[i]);
	assert_null(find(&t, N));
	for (i = 0; i < N; i += 2)
		dd_htab_del(&t, &items[i].node);
	assert_int_equal(t.n, N / 2);
	for (i = 0; i < N; i++)
		assert_ptr_equal(find(&t, i), i % 2 ? &items[i] : NULL);
	for (n = dd_htab_first(&t, &b); n; n = dd_htab_next(&t, n, &b)) {
		struct item *it = dd_htab_entry(n, struct item, node);

		assert_false(it->seen);
		it->seen = true;
		walked++;
	}
	assert_int_equal(walked, N / 2);
	dd_htab_destroy(&t);
	assert_int_equal(t.n, 0);
	assert_null(dd_htab_first(&t, &b));
}

/* a walk that frees each node it visits, every other one */
static void walk_frees(void **state)
{
	struct dd_htab t = { 0 };
	struct dd_hnode *n, *next;
	struct item *it;
	unsigned int i, b, walked = 0;

	(void)state;
	for (i = 0; i < 1000; i++) {
		it = __real_calloc(1, sizeof(*it));
		assert_non_null(it);
		it->key = i;
		assert_int_equal(dd_htab_add(&t, &it->node, item_hash(i)), 0);
	}
	for (n = dd_htab_first(&t, &b); n; n = next) {
		next = dd_htab_next(&t, n, &b);
		it = dd_htab_entry(n, struct item, node);
		walked++;
		if (it->key % 2) {
			dd_htab_del(&t, n);
			free(it);
		}
	}
	assert_int_equal(walked, 1000);
	assert_int_equal(t.n, 500);
	for (i = 0; i < 1000; i++)
		assert_true((find(&t, i) == NULL) == (i % 2 == 1));
	for (n = dd_htab_first(&t, &b); n; n = next) {
		next = dd_htab_next(&t, n, &b);
		dd_htab_del(&t, n);
		free(dd_htab_entry(n, struct item, node));
	}
	assert_int_equal(t.n, 0);
	dd_htab_destroy(&t);
}

/* no memory for larger buckets: it stays as it is and keeps working */
static void no_memory(void **state)
{
	static struct item items[1000];
	struct dd_htab t = { 0 };
	unsigned int i, bits;

	(void)state;
	calloc_fail = true;
	assert_int_equal(dd_htab_add(&t, &items[0].node, 0), -12);
	assert_int_equal(t.n, 0);
	calloc_fail = false;
	for (i = 0; i < 100; i++) {
		items[i].key = i;
		assert_int_equal(dd_htab_add(&t, &items[i].node,
					     item_hash(i)), 0);
	}
	bits = t.bits;
	calloc_fail = true;
	for (; i < 1000; i++) {
		items[i].key = i;
		assert_int_equal(dd_htab_add(&t, &items[i].node,
					     item_hash(i)), 0);
	}
	calloc_fail = false;
	assert_int_equal(t.bits, bits);
	assert_int_equal(t.n, 1000);
	for (i = 0; i < 1000; i++)
		assert_ptr_equal(find(&t, i), &items[i]);
	/* memory back: the next node grows it */
	items[0].key = 5000;
	dd_htab_del(&t, &items[0].node);
	assert_int_equal(dd_htab_add(&t, &items[0].node, item_hash(5000)), 0);
	assert_true(t.bits > bits);
	assert_ptr_equal(find(&t, 5000), &items[0]);
	for (i = 1; i < 1000; i++)
		assert_ptr_equal(find(&t, i), &items[i]);
	dd_htab_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grows),
		cmocka_unit_test(walk_frees),
		cmocka_unit_test(no_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
