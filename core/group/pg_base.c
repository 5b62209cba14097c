/* core/group/pg_base.c: the bottom of the group layer: bounded queues, the
 * clock and trace of the environment, and the way out to phys (multicast and
 * send, through a group's outbox when a window is full). See pg_base.h. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "pg_base.h"

/* ---- bounded queues ---- */

bool pg_queue_init(struct pg_queue *q, uint32_t cap)
{
    assert(cap >= 1);
    q->size = cap < 8 ? cap : 8;
    q->b = calloc(q->size, sizeof *q->b);
    q->cap = cap;
    q->head = q->count = 0;
    return q->b != NULL;
}

/* Doubles a full ring (up to cap), keeping the order. */
static bool queue_grow(struct pg_queue *q)
{
    assert(q->count == q->size);
    assert(q->size < q->cap);
    uint32_t nsize = 2 * q->size < q->cap ? 2 * q->size : q->cap;
    struct pg_blob *nb = calloc(nsize, sizeof *nb);
    if (!nb)
        return false;
    for (uint32_t i = 0; i < q->count; i++)
        nb[i] = q->b[(q->head + i) % q->size];
    free(q->b);
    q->b = nb;
    q->size = nsize;
    q->head = 0;
    return true;
}

bool pg_queue_push(struct pg_queue *q, const uint8_t *buf, size_t len, pg_node_id from, pg_gid gid,
                   uint8_t kind)
{
    if (q->count == q->cap || (q->count == q->size && !queue_grow(q)))
        return false;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return false;
    if (len)
        memcpy(copy, buf, len);
    q->b[(q->head + q->count) % q->size] =
        (struct pg_blob){.buf = copy, .len = (uint32_t)len, .from = from, .gid = gid, .kind = kind};
    q->count++;
    return true;
}

static const struct pg_blob *queue_peek(const struct pg_queue *q)
{
    return q->count ? &q->b[q->head] : NULL;
}

void pg_queue_clear(struct pg_queue *q)
{
    struct pg_blob b;
    while (pg_queue_pop(q, &b))
        free(b.buf);
}

void pg_queue_free(struct pg_queue *q)
{
    if (q->b)
        pg_queue_clear(q);
    free(q->b);
    q->b = NULL;
}

/* ---- environment ---- */

int64_t pg_now(const struct pg *pg)
{
    return pg->env->now_ns(pg->env->ctx);
}

void pg_trace(struct pg *pg, enum env_trace_kind kind, pg_node_id peer, pg_gid gid,
              const char *detail)
{
    if (!pg->env->trace)
        return;
    struct env_trace ev = {.kind = kind, .peer = peer, .group = gid, .detail = detail};
    pg->env->trace(pg->env->ctx, &ev);
}

void pg_sometimes(struct pg *pg, pg_gid gid, enum pg_sometimes what, const char *detail)
{
    if (pg->sometimes & what)
        return;
    pg->sometimes |= what;
    pg_trace(pg, PG_TR_SOMETIMES, PG_NODE_NONE, gid, detail);
}

/* ---- outbox ---- */

void pg_outbox_flush(struct pg *pg, struct pg_group *g)
{
    const struct pg_blob *b;
    while ((b = queue_peek(&g->outbox)) != NULL) {
        int rc = b->kind == 2 ? phys_send(pg->ph, g->gid, b->from, b->buf, b->len)
                              : phys_mcast(pg->ph, g->gid, b->buf, b->len);
        if (rc == PG_E_FULL) {
            g->retry_due_ns = pg_now(pg) + pg->cfg.retry_ns;
            return;
        }
        struct pg_blob done = {0};
        pg_queue_pop(&g->outbox, &done);
        free(done.buf);
    }
}

/* pg_send and pg_send_to_q: to every member (to == PG_NODE_NONE) or to one. */
static int send_queued(struct pg *pg, struct pg_group *g, pg_node_id to, const struct pg_wmsg *m)
{
    uint8_t buf[PHYS_MAX_PAYLOAD];
    size_t n = pg_encode(m, buf, sizeof buf);
    assert(n > 0);
    assert(to != pg->self);
    if (g->outbox.count == 0) {
        int rc = to == PG_NODE_NONE ? phys_mcast(pg->ph, g->gid, buf, n)
                                    : phys_send(pg->ph, g->gid, to, buf, n);
        if (rc != PG_E_FULL)
            return rc;
    }
    pg->stats.outbox_queued++;
    bool one = to != PG_NODE_NONE;
    if (!pg_queue_push(&g->outbox, buf, n, one ? to : pg->self, g->gid, one ? 2 : 0)) {
        pg->overflow(pg, g, "pg outbox full");
        return PG_E_FULL;
    }
    if (g->outbox.count == 1)
        g->retry_due_ns = pg_now(pg) + pg->cfg.retry_ns;
    return PG_OK;
}

int pg_send(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m)
{
    return send_queued(pg, g, PG_NODE_NONE, m);
}

int pg_send_to_q(struct pg *pg, struct pg_group *g, pg_node_id to, const struct pg_wmsg *m)
{
    assert(to != PG_NODE_NONE);
    return send_queued(pg, g, to, m);
}

int pg_send_to(struct pg *pg, struct pg_group *g, pg_node_id to, const struct pg_wmsg *m)
{
    uint8_t buf[PHYS_MAX_PAYLOAD];
    size_t n = pg_encode(m, buf, sizeof buf);
    assert(n > 0);
    assert(to != pg->self);
    return phys_send(pg->ph, g->gid, to, buf, n);
}

int pg_phys_open(struct pg *pg, phys_gid gid, const pg_node_id *members, size_t n)
{
    int rc = phys_create(pg->ph, gid, members, n);
    if (rc != PG_OK)
        return rc;
    (void)phys_entry(pg->ph, gid, pg->on_entry, pg);
    (void)phys_monitor(pg->ph, gid, pg->on_monitor, pg);
    return PG_OK;
}
