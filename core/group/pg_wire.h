/* core/group/pg_wire.h: the byte codec of the process-group layer (private).
 *
 * Owns: the bounded reader and writer (pgw_*) that pg_encode / pg_decode
 * (pg.h) and the causality domains' records are built on, the decoder of one
 * record of a message's cross-group timestamps, and the search of a member
 * list. Implemented in pg_wire.c; the lowest file of the group layer.
 */
#ifndef PG_PG_WIRE_H
#define PG_PG_WIRE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg.h"

#define PG_CAP PG_MAX_MEMBERS_CAP
_Static_assert(PG_CAP <= 256u, "a rank is one byte (pg_msg.sender, vt_rank, pg_key)");
_Static_assert(PG_CAP % 64u == 0, "a rank set is whole 64-bit words");
_Static_assert(PG_RSET_WORDS * 64u == PG_CAP, "a rank set covers every rank");
_Static_assert(PG_HDR_MAX < PHYS_MAX_PAYLOAD, "a pg header leaves room for a payload");
_Static_assert(PG_CX_HDR_MAX == 1u + 4u + 4u, "client payload header: kind, client, cseq");
_Static_assert(PG_CX_HDR_MAX < PG_MAX_PAYLOAD, "a client message fits a pg payload");
_Static_assert(PG_STATE_CHUNK < PHYS_MAX_PAYLOAD, "a state chunk fits a datagram with its header");

/* A varint of 64 bits takes at most 10 bytes of 7 bits; 9 would not do. */
#define PGW_VAR_MAX_BYTES 10
_Static_assert(7 * PGW_VAR_MAX_BYTES >= 64, "10 varint bytes hold 64 bits");
_Static_assert(7 * (PGW_VAR_MAX_BYTES - 1) < 64, "9 varint bytes do not");
_Static_assert((1u << 14) - 1u == 0x3FFFu, "two varint bytes hold values below 16384");

/* ---- the byte codec of every pg message and record (pg_wire.c, pg_domain.c) ----
 * A writer or reader over a bounded buffer: a write past cap or a read past
 * len clears ok and does nothing, so callers check ok once at the end.
 * Varints are little-endian base 128 (pgw_in_var32: at most 2^32 - 1). */
struct pgw_out {
    uint8_t *p;
    size_t cap, len;
    bool ok;
};

struct pgw_in {
    const uint8_t *p;
    size_t len, pos;
    bool ok;
};

static inline void pgw_out_u8(struct pgw_out *o, uint32_t v)
{
    assert(v <= 0xFFu);
    if (o->len + 1 > o->cap) {
        o->ok = false;
        return;
    }
    o->p[o->len++] = (uint8_t)v;
}

static inline void pgw_out_var(struct pgw_out *o, uint64_t v)
{
    do {
        uint32_t b = v & 0x7Fu;
        v >>= 7;
        pgw_out_u8(o, b | (v ? 0x80u : 0u));
    } while (v);
}

static inline uint32_t pgw_in_u8(struct pgw_in *in)
{
    if (in->pos + 1 > in->len) {
        in->ok = false;
        return 0;
    }
    return in->p[in->pos++];
}

static inline uint64_t pgw_in_var(struct pgw_in *in)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 7 * PGW_VAR_MAX_BYTES; shift += 7) {
        uint32_t b = pgw_in_u8(in);
        if (!in->ok)
            return 0;
        if (shift == 63 && b > 1) { /* would overflow 64 bits */
            in->ok = false;
            return 0;
        }
        v |= (uint64_t)(b & 0x7Fu) << shift;
        if (!(b & 0x80u))
            return v;
    }
    in->ok = false;
    return 0;
}

static inline uint32_t pgw_in_var32(struct pgw_in *in)
{
    if (in->pos + 1 < in->len) { /* one or two bytes (values below 16384): most VT entries */
        uint32_t b0 = in->p[in->pos], b1 = in->p[in->pos + 1];
        if (b0 < 0x80u) {
            in->pos++;
            return b0;
        }
        if (b1 < 0x80u) {
            in->pos += 2;
            return (b0 & 0x7Fu) | b1 << 7;
        }
    }
    uint64_t v = pgw_in_var(in);
    if (v > UINT32_MAX)
        in->ok = false;
    return (uint32_t)v;
}

/* ---- one record of a DATA message's cross-group timestamps (pg_domain.c) ---- */
enum { PGW_DK_GROUP = 1, PGW_DK_P2P = 2 };
#define PGW_DREC_WIRE_MAX 65536u /* records in one message (decoder bound) */

/* One decoded record; entries point back into the reader (group kind). */
struct pgw_drec {
    uint8_t kind;
    uint32_t a, b, view, n;
    uint8_t rank[PG_CAP];
    uint32_t val[PG_CAP];
};

/* Reads one record; false (and r->ok false) if it is malformed. Inline: the
 * domains decode every record of every message they deliver. */
static inline bool pgw_drec_decode(struct pgw_in *r, struct pgw_drec *x)
{
    x->kind = (uint8_t)pgw_in_u8(r);
    x->a = pgw_in_var32(r);
    if (x->kind == PGW_DK_P2P) { /* sender, receiver, seq */
        x->b = pgw_in_var32(r);
        x->view = 0;
        x->n = 1;
        x->rank[0] = 0;
        x->val[0] = pgw_in_var32(r);
        return r->ok && x->val[0] > 0;
    }
    if (x->kind != PGW_DK_GROUP)
        return r->ok = false;
    x->b = 0; /* gid, view, n, n x (rank, value) */
    x->view = pgw_in_var32(r);
    x->n = pgw_in_var32(r);
    if (x->n > PG_CAP)
        return r->ok = false;
    for (uint32_t i = 0; i < x->n && r->ok; i++) {
        x->rank[i] = (uint8_t)pgw_in_u8(r);
        x->val[i] = pgw_in_var32(r);
        if (x->val[i] == 0 || (i > 0 && x->rank[i] <= x->rank[i - 1]))
            r->ok = false;
    }
    return r->ok;
}

/* The rank of pid in members[0..n), or -1. */
int pg_rank_of(const pg_node_id *members, uint32_t n, pg_node_id pid);

#endif
