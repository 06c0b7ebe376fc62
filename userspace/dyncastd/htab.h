/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A chained hash table that grows with what it holds, for the router's
 * tables (learnt instances, BGP paths).  Its nodes sit in the objects
 * they index and keep their hash, so that growing needs no key.
 */
#ifndef DD_HTAB_H
#define DD_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct dd_hnode {
	struct dd_hnode *next;
	uint32_t hash;
};

/* All zero is an empty table; its buckets come with the first node. */
struct dd_htab {
	struct dd_hnode **b;
	unsigned int bits;
	unsigned int n;
};

#define DD_HTAB_MIN_BITS	6
#define DD_HTAB_MAX_BITS	22

int dd_htab_add(struct dd_htab *t, struct dd_hnode *node, uint32_t hash);
void dd_htab_del(struct dd_htab *t, struct dd_hnode *node);
/* The buckets; the nodes are their owners' */
void dd_htab_destroy(struct dd_htab *t);

/* The chain that holds @hash: its nodes with another hash are skipped */
static inline struct dd_hnode *dd_htab_chain(const struct dd_htab *t,
					     uint32_t hash)
{
	return t->b ? t->b[hash & ((1u << t->bits) - 1)] : NULL;
}

/*
 * A walk over every node, in no order: @node may be deleted once its
 * successor was taken; nothing may be added during the walk.
 */
struct dd_hnode *dd_htab_first(const struct dd_htab *t, unsigned int *bucket);
struct dd_hnode *dd_htab_next(const struct dd_htab *t,
			      const struct dd_hnode *node,
			      unsigned int *bucket);

#define dd_htab_entry(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#endif
