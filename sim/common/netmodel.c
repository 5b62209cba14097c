/* sim/common/netmodel.c: the network fault model. See netmodel.h. */
#include "netmodel.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

void nm_faults_init(struct nm_faults *f, uint32_t n)
{
    assert(n >= 1);
    *f = (struct nm_faults){.n = n};
    f->drop = calloc((size_t)n * n, 1);
    assert(f->drop);
}

void nm_faults_free(struct nm_faults *f)
{
    free(f->drop);
    f->drop = NULL;
}

void nm_set_drop(struct nm_faults *f, uint32_t from, uint32_t to, bool drop)
{
    assert(from < f->n && to < f->n);
    assert(f->drop);
    f->drop[(size_t)from * f->n + to] = drop;
    f->any_drop |= drop;
}

void nm_heal(struct nm_faults *f)
{
    assert(f->drop);
    memset(f->drop, 0, (size_t)f->n * f->n);
    f->any_drop = false;
}

/* Draws the fate of one copy of a `len`-byte datagram: jitter, then garbling. */
static void nm_copy_draw(const struct nm_faults *f, uint64_t *rng, size_t len, struct nm_copy *c)
{
    c->extra_delay_ns = f->delay_ns;
    if (f->jitter_ns > 0)
        c->extra_delay_ns += (int64_t)(sim_rng_unit(rng) * (double)f->jitter_ns);
    c->garbled = f->garble > 0 && len > 0 && sim_rng_unit(rng) < f->garble;
    c->at = 0;
    c->mask = 0;
    if (!c->garbled)
        return;
    c->at = sim_rng_next(rng) % len;
    c->mask = (uint8_t)(1u + sim_rng_next(rng) % 255u);
    assert(c->at < len && c->mask != 0);
}

enum nm_verdict nm_route(const struct nm_faults *f, uint64_t *rng, uint32_t from, uint32_t to,
                         bool to_alive, size_t len, nm_put_fn put, void *ctx)
{
    assert(from < f->n && to < f->n);
    assert(rng && put);
    if (!to_alive)
        return NM_DEAD;
    if (nm_cut(f, from, to))
        return NM_CUT;
    if (sim_rng_chance(rng, f->loss))
        return NM_LOST;
    struct nm_copy c;
    nm_copy_draw(f, rng, len, &c);
    put(ctx, &c);
    if (!sim_rng_chance(rng, f->dup))
        return NM_ONCE;
    nm_copy_draw(f, rng, len, &c);
    put(ctx, &c);
    return NM_TWICE;
}

void nm_garble(const struct nm_copy *c, uint8_t *bytes, size_t len)
{
    if (!c->garbled)
        return;
    assert(c->at < len && c->mask != 0);
    bytes[c->at] ^= c->mask;
}
