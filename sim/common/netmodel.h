/* sim/common/netmodel.h: the network's faults, one model for every driver.
 *
 * Owns: the fault state of a network of n nodes (a directed drop matrix for
 * partitions, cuts and isolations; loss, duplication and garbling
 * probabilities; a delay and a uniform jitter added to each copy) and the
 * fate of one datagram under it (nm_route). The SimGrid driver (sim/driver/world.c),
 * the live driver (sim/live/live_net.c) and the unit tests' network
 * (tests/support_fakenet.c) all route their datagrams through nm_route, so a
 * fault means the same thing everywhere; a crashed destination is the
 * caller's to say (to_alive). Plain C: no SimGrid, no scenario, no I/O.
 *
 * Draws come from the stream the caller passes (the sender's network stream:
 * sim/common/rng.h) in a fixed order: loss; then for each copy its jitter
 * and garbling; duplication between the two copies. Same stream, same state:
 * same fate.
 */
#ifndef SIM_NETMODEL_H
#define SIM_NETMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nm_faults {
    uint32_t n;                  /* nodes */
    uint8_t *drop;               /* n x n: drop[from * n + to]: `to` drops what `from` sends */
    bool any_drop;               /* some drop was set since the last nm_heal */
    double loss, dup, garble;    /* probabilities in [0, 1] */
    int64_t delay_ns, jitter_ns; /* each copy: delay plus a uniform draw in [0, jitter) */
};

/* No fault, for n nodes (n >= 1). */
void nm_faults_init(struct nm_faults *f, uint32_t n);
void nm_faults_free(struct nm_faults *f);

/* Sets or clears the drop of what `from` sends to `to` (directed). */
void nm_set_drop(struct nm_faults *f, uint32_t from, uint32_t to, bool drop);
/* Clears every drop. */
void nm_heal(struct nm_faults *f);

/* Whether a partition, cut or isolation drops what `from` sends to `to`. */
static inline bool nm_cut(const struct nm_faults *f, uint32_t from, uint32_t to)
{
    return f->any_drop && f->drop[(size_t)from * f->n + to];
}

/* One copy of a datagram on its way: its extra delay and whether a byte of it is garbled. */
struct nm_copy {
    int64_t extra_delay_ns; /* delay plus a uniform draw in [0, jitter) */
    bool garbled;           /* then bytes[at] ^= mask (mask != 0) */
    size_t at;
    uint8_t mask;
};

/* What happened to a datagram. */
enum nm_verdict {
    NM_DEAD,  /* the destination is not alive: dropped */
    NM_CUT,   /* dropped by the drop matrix */
    NM_LOST,  /* dropped by loss */
    NM_ONCE,  /* one copy sent */
    NM_TWICE, /* two copies sent (duplication) */
};

/* Hands one copy to the driver (which applies c->garbled to its own bytes). */
typedef void (*nm_put_fn)(void *ctx, const struct nm_copy *c);

/* Routes one `len`-byte datagram from node `from` to node `to` (alive or
 * not), drawing from *rng: put is called once per copy, each copy's draws
 * made just before its put. Returns the verdict; the caller counts it. */
enum nm_verdict nm_route(const struct nm_faults *f, uint64_t *rng, uint32_t from, uint32_t to,
                         bool to_alive, size_t len, nm_put_fn put, void *ctx);

/* Flips the garbled byte of a copy (no-op unless c->garbled). Precondition: at < len. */
void nm_garble(const struct nm_copy *c, uint8_t *bytes, size_t len);

#endif
