/* sim/common/dheap.c: the bounded delay heap. See dheap.h. */
#include "dheap.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static bool key_before(const void *a, const void *b)
{
    const struct dheap_key *x = a, *y = b;
    return x->t_ns < y->t_ns || (x->t_ns == y->t_ns && x->order < y->order);
}

bool dheap_init(struct dheap *h, size_t item_b, size_t cap)
{
    assert(item_b >= sizeof(struct dheap_key) && item_b <= DHEAP_ITEM_MAX);
    assert(cap >= 1);
    *h = (struct dheap){.item_b = item_b, .cap = cap};
    h->items = malloc(item_b * cap);
    return h->items != NULL;
}

void dheap_free(struct dheap *h)
{
    free(h->items);
    h->items = NULL;
    h->n = 0;
}

bool dheap_push(struct dheap *h, void *item)
{
    assert(h->items && h->n <= h->cap);
    if (h->n == h->cap)
        return false;
    ((struct dheap_key *)item)->order = h->next_order++;
    size_t i = h->n++; /* the hole moves up to where item belongs */
    while (i > 0 && key_before(item, dheap_at(h, (i - 1) / 2))) {
        memcpy(dheap_at(h, i), dheap_at(h, (i - 1) / 2), h->item_b);
        i = (i - 1) / 2;
    }
    memcpy(dheap_at(h, i), item, h->item_b);
    return true;
}

void dheap_pop(struct dheap *h, void *out)
{
    assert(h->n > 0);
    assert(h->items);
    memcpy(out, dheap_at(h, 0), h->item_b);
    uint8_t last[DHEAP_ITEM_MAX];
    memcpy(last, dheap_at(h, --h->n), h->item_b);
    size_t i = 0; /* the hole moves down to where the last item belongs */
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = l;
        if (l >= h->n)
            break;
        if (r < h->n && key_before(dheap_at(h, r), dheap_at(h, l)))
            m = r;
        if (!key_before(dheap_at(h, m), last))
            break;
        memcpy(dheap_at(h, i), dheap_at(h, m), h->item_b);
        i = m;
    }
    if (h->n > 0)
        memcpy(dheap_at(h, i), last, h->item_b);
}
