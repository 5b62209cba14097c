/* sim/common/dheap.h: a bounded min-heap of timed items, the one delay queue.
 *
 * Owns: up to `cap` items of one size, each starting with a struct
 * dheap_key, ordered by (t_ns, order), where order is the push count, so
 * that items due at the same instant come out in the order they went in.
 * Used for the datagrams that delay and jitter hold back (sim/driver/world.c,
 * sim/live/live_net.c) and for the test network's events (tests/support_fakenet.c).
 * Plain C, no I/O.
 */
#ifndef SIM_DHEAP_H
#define SIM_DHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHEAP_ITEM_MAX 128u /* bytes of one item */

struct dheap_key {
    int64_t t_ns;
    uint64_t order; /* set by dheap_push */
};

struct dheap {
    uint8_t *items;
    size_t item_b, n, cap;
    uint64_t next_order;
};

/* An empty heap of at most cap items of item_b bytes (each starts with a
 * struct dheap_key). False if the allocation fails. */
bool dheap_init(struct dheap *h, size_t item_b, size_t cap);
void dheap_free(struct dheap *h);

static inline size_t dheap_len(const struct dheap *h)
{
    return h->n;
}

/* The i-th item in heap order (0: the first due), i < dheap_len. */
static inline void *dheap_at(const struct dheap *h, size_t i)
{
    return h->items + i * h->item_b;
}

/* The first item's key, or NULL when empty. */
static inline const struct dheap_key *dheap_top(const struct dheap *h)
{
    return h->n ? (const struct dheap_key *)h->items : NULL;
}

/* Copies `item` in, with its key's order set to the next push count.
 * Returns false (and changes nothing) when the heap holds cap items. */
bool dheap_push(struct dheap *h, void *item);

/* Moves the first item out into `out`. Precondition: not empty. */
void dheap_pop(struct dheap *h, void *out);

#endif
