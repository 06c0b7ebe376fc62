// SPDX-License-Identifier: GPL-2.0
/*
 * The table doubles when it holds more nodes than buckets, up to
 * 2^DD_HTAB_MAX_BITS buckets; when memory for a larger one is missing it
 * stays as it is, with longer chains.  It does not shrink: a router keeps
 * the buckets of its busiest moment (8 bytes per bucket).
 */
#include <errno.h>
#include <stdlib.h>

#include "htab.h"

static void dd_htab_grow(struct dd_htab *t)
{
	unsigned int bits = t->b ? t->bits + 1 : DD_HTAB_MIN_BITS;
	unsigned int i, mask = (1u << bits) - 1;
	struct dd_hnode **b, *node, *next;

	b = calloc(1u << bits, sizeof(*b));
	if (!b)
		return;
	for (i = 0; t->b && i < (1u << t->bits); i++) {
		for (node = t->b[i]; node; node = next) {
			next = node->next;
			node->next = b[node->hash & mask];
			b[node->hash & mask] = node;
		}
	}
	free(t->b);
	t->b = b;
	t->bits = bits;
}

int dd_htab_add(struct dd_htab *t, struct dd_hnode *node, uint32_t hash)
{
	struct dd_hnode **head;

	if (!t->b || (t->n >= (1u << t->bits) && t->bits < DD_HTAB_MAX_BITS))
		dd_htab_grow(t);
	if (!t->b)
		return -ENOMEM;
	node->hash = hash;
	head = &t->b[hash & ((1u << t->bits) - 1)];
	node->next = *head;
	*head = node;
	t->n++;
	return 0;
}

void dd_htab_del(struct dd_htab *t, struct dd_hnode *node)
{
	struct dd_hnode **pp = &t->b[node->hash & ((1u << t->bits) - 1)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == node) {
			*pp = node->next;
			t->n--;
			return;
		}
	}
}

void dd_htab_destroy(struct dd_htab *t)
{
	free(t->b);
	t->b = NULL;
	t->bits = 0;
	t->n = 0;
}

static struct dd_hnode *dd_htab_from(const struct dd_htab *t,
				     unsigned int *bucket)
{
	for (; t->b && *bucket < (1u << t->bits); (*bucket)++)
		if (t->b[*bucket])
			return t->b[*bucket];
	return NULL;
}

struct dd_hnode *dd_htab_first(const struct dd_htab *t, unsigned int *bucket)
{
	*bucket = 0;
	return dd_htab_from(t, bucket);
}

struct dd_hnode *dd_htab_next(const struct dd_htab *t,
			      const struct dd_hnode *node,
			      unsigned int *bucket)
{
	if (node->next)
		return node->next;
	(*bucket)++;
	return dd_htab_from(t, bucket);
}
