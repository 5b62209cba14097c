/* core/group/pg_state.c: state transfer to a joining member (paper sections 2.3
 * and 4: "a process that joins gets the application state from an existing
 * member"). See pg_state in pg.h for the API and the protocol.
 *
 * Owns: the registered encode/decode upcalls of a group, the members'
 * snapshot of the join instant, the provider choice, STATE chunks, the
 * joiner's assembly buffer, its timeout and its failure path.
 *
 * The instant: pg_view.c's install() calls pg_state_snapshot after
 * pg_cb_finish_view delivered every deliverable message of v and before
 * pg_view_install_first, which sends held messages and replays early ones of
 * v+1 only through the input queue: no message of v+1 has reached the
 * application yet. Every old member in v+1 takes the same snapshot (virtual
 * synchrony: they delivered the same messages of v), so any of them can
 * provide it. The joiner holds v+1's messages in its future queue until it
 * installs, so its first delivery of v+1 follows the decoded state.
 *
 * Provider: the lowest rank of v+1 that is an old member and that this node
 * still hears. pg_state_provide runs from pg_view_check, i.e. after the
 * install and after every suspicion or flush that marks a rank dead, so when
 * the provider fails the next old member sends its copy, unless the joiner
 * was already heard in v+1 (it installed, so it had the state). A snapshot
 * lives until the next view install.
 *
 * Memory: one buffer of cfg.max_state_bytes per group at a member once a
 * joiner came (the snapshot) and one at a joiner (the assembly), kept until
 * the group is released.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "pg_state.h"

struct pg_xfer {
    pg_state_encode_fn enc;
    pg_state_decode_fn dec;
    void *ctx;
    /* member: the snapshot of the install of snap_view (0: none) */
    uint8_t *snap;
    uint32_t snap_len;
    int snap_err; /* encode's error, sent instead of the state */
    uint32_t snap_view;
    bool snap_sent;
    pg_node_id to[PG_CAP]; /* the joiners of snap_view */
    uint32_t n_to;
    /* joiner: the assembly of the state of join view `view` from `from` */
    uint8_t *buf;
    uint32_t view, total, got;
    pg_node_id from;
    uint32_t done_view; /* join view whose state was decoded, 0 if none */
    int64_t due_ns;     /* PG_TIMER_NEVER: not waiting */
};

int pg_state_set(struct pg *pg, struct pg_group *g, pg_state_encode_fn enc, pg_state_decode_fn dec,
                 void *ctx)
{
    (void)pg;
    if (!g->xfer) {
        g->xfer = calloc(1, sizeof *g->xfer);
        if (!g->xfer)
            return PG_E_FULL;
        g->xfer->due_ns = PG_TIMER_NEVER;
    }
    g->xfer->enc = enc;
    g->xfer->dec = dec;
    g->xfer->ctx = ctx;
    return PG_OK;
}

void pg_state_free(struct pg_group *g)
{
    if (!g->xfer)
        return;
    free(g->xfer->snap);
    free(g->xfer->buf);
    free(g->xfer);
    g->xfer = NULL;
}

/* ---- member side ---- */

void pg_state_snapshot(struct pg *pg, struct pg_group *g, const struct pg_prop *p)
{
    struct pg_xfer *x = g->xfer;
    if (!x)
        return;
    x->snap_view = 0;
    x->snap_sent = false;
    x->n_to = 0;
    for (uint32_t i = 0; i < p->n_members; i++)
        if (pg_rank_of(g->view.members, g->view.n_members, p->members[i]) < 0)
            x->to[x->n_to++] = p->members[i];
    if (!x->enc || x->n_to == 0)
        return;
    uint32_t cap = pg->cfg.max_state_bytes;
    if (!x->snap)
        x->snap = malloc(cap ? cap : 1);
    int rc = x->snap ? x->enc(x->ctx, g->gid, x->snap, cap) : PG_E_FULL;
    assert(rc >= -127);
    assert((rc < 0 || (uint32_t)rc <= cap)); /* encode keeps within cap */
    x->snap_err = rc < 0 ? rc : PG_OK;
    x->snap_len = rc < 0 ? 0 : (uint32_t)rc;
    x->snap_view = g->view.view_id + 1;
    pg->stats.state_snapshots++;
}

/* Sends the snapshot to joiner `to` in chunks (or encode's error). */
static void state_send(struct pg *pg, struct pg_group *g, const struct pg_xfer *x, pg_node_id to)
{
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_STATE;
    m.view_id = x->snap_view;
    m.st_status = (uint8_t)-x->snap_err;
    m.st_total = x->snap_len;
    uint32_t off = 0;
    pg->stats.state_sent++;
    do {
        m.st_off = off;
        m.len = x->snap_len - off < PG_STATE_CHUNK ? x->snap_len - off : PG_STATE_CHUNK;
        m.payload = x->snap_len ? x->snap + off : NULL;
        pg->stats.state_chunks++;
        if (pg_send_to_q(pg, g, to, &m) != PG_OK)
            return; /* `to` failed or left, or the outbox is full (then excluded) */
        off += (uint32_t)m.len;
    } while (off < x->snap_len);
    assert(off == x->snap_len);
}

/* Whether a joiner of the current view has not been heard in it yet (its
 * transfer may be under way). */
static bool state_pending(const struct pg_group *g, const struct pg_xfer *x)
{
    for (uint32_t i = 0; i < x->n_to; i++) {
        int j = pg_rank_of(g->view.members, g->view.n_members, x->to[i]);
        if (j >= 0 && !pg_rs_has(&g->vw.heard, (uint32_t)j) && !pg_rs_has(&g->vw.dead, (uint32_t)j))
            return true;
    }
    return false;
}

void pg_state_provide(struct pg *pg, struct pg_group *g)
{
    struct pg_xfer *x = g->xfer;
    if (x && x->snap_view == g->view.view_id && pg_view_flushing(g) && state_pending(g, x))
        pg_sometimes(pg, g->gid, PG_ST_XFER_VIEW, "view change during a state transfer");
    if (!x || x->snap_view != g->view.view_id || x->snap_sent)
        return;
    assert(g->st == PG_GS_MEMBER);
    assert(x->n_to > 0);
    uint32_t r = 0;
    while (pg_rs_has(&g->vw.dead, r) || pg_rank_of(x->to, x->n_to, g->view.members[r]) >= 0)
        r++; /* stops at my rank at the latest: this node is an old member it hears */
    assert(r <= g->my_rank);
    if (r != g->my_rank)
        return; /* a lower old member provides */
    x->snap_sent = true;
    for (uint32_t i = 0; i < x->n_to && g->st == PG_GS_MEMBER; i++) {
        int j = pg_rank_of(g->view.members, g->view.n_members, x->to[i]);
        assert(j >= 0);
        assert((uint32_t)j != g->my_rank);
        if (!pg_rs_has(&g->vw.heard, (uint32_t)j) && !pg_rs_has(&g->vw.dead, (uint32_t)j))
            state_send(pg, g, x, x->to[i]);
    }
}

/* ---- joiner side ---- */

/* The transfer failed: tells the application, tells the members of the join
 * view that this node is out (a FAILED request naming itself: they stop
 * waiting for it at once, pg_view.c), and leaves the group. */
static void state_fail(struct pg *pg, struct pg_group *g, int err, bool tell)
{
    struct pg_xfer *x = g->xfer;
    assert(g->st == PG_GS_JOINING);
    assert(err < 0);
    x->due_ns = PG_TIMER_NEVER;
    pg->stats.state_failed++;
    if (tell)
        (void)x->dec(x->ctx, g->gid, g->view.view_id + 1, err, NULL, 0);
    for (uint32_t i = 0; i < g->vw.dec.n_members; i++)
        if (g->vw.dec.members[i] != pg->self)
            (void)phys_add(pg->ph, g->gid, g->vw.dec.members[i]);
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_REQ;
    m.view_id = g->view.view_id + 1;
    m.op = PG_REQ_FAILED;
    m.pid = pg->self;
    pg->stats.control_sent++;
    (void)pg_send(pg, g, &m);
    pg_view_exclude_quiet(pg, g, "state transfer failed");
}

bool pg_state_joiner_ready(struct pg *pg, struct pg_group *g)
{
    struct pg_xfer *x = g->xfer;
    assert(g->st == PG_GS_JOINING);
    if (!x || !x->dec || x->done_view == g->view.view_id + 1)
        return true;
    if (x->due_ns == PG_TIMER_NEVER)
        x->due_ns = pg_now(pg) + pg->cfg.state_timeout_ns;
    return false;
}

/* Whether STATE message m continues (or restarts) the assembly. */
static bool chunk_fits(const struct pg_xfer *x, pg_node_id from, const struct pg_wmsg *m)
{
    return m->st_off == 0 || (from == x->from && m->view_id == x->view && m->st_total == x->total &&
                              m->st_off == x->got);
}

/* Decodes the assembled state and installs the join view if it may. */
static void state_complete(struct pg *pg, struct pg_group *g)
{
    struct pg_xfer *x = g->xfer;
    assert(x->got == x->total);
    int rc = x->dec(x->ctx, g->gid, x->view, PG_OK, x->buf, x->total);
    if (rc != PG_OK) {
        state_fail(pg, g, rc < 0 ? rc : PG_E_INVAL, false);
        return;
    }
    x->done_view = x->view;
    x->due_ns = PG_TIMER_NEVER;
    pg->stats.state_received++;
    pg_view_joiner_install(pg, g);
}

void pg_state_on_msg(struct pg *pg, struct pg_group *g, pg_node_id from, const struct pg_wmsg *m)
{
    struct pg_xfer *x = g->xfer;
    if (g->st != PG_GS_JOINING || !x || !x->dec || g->vw.dec.key == 0 ||
        m->view_id != g->view.view_id + 1 || x->done_view == m->view_id ||
        !chunk_fits(x, from, m)) {
        pg->stats.stale_dropped++; /* a backup's copy, or not for this join */
        return;
    }
    if (m->st_status != 0 || m->st_total > pg->cfg.max_state_bytes) {
        state_fail(pg, g, m->st_status ? -(int)m->st_status : PG_E_TOOBIG, true);
        return;
    }
    if (m->st_off == 0) { /* the first chunk, or a backup provider starts over */
        x->from = from;
        x->view = m->view_id;
        x->total = m->st_total;
        x->got = 0;
    }
    if (!x->buf && !(x->buf = malloc(pg->cfg.max_state_bytes ? pg->cfg.max_state_bytes : 1))) {
        state_fail(pg, g, PG_E_FULL, true);
        return;
    }
    assert(x->got + m->len <= x->total);
    assert(x->total <= pg->cfg.max_state_bytes);
    if (m->len)
        memcpy(x->buf + x->got, m->payload, m->len);
    x->got += (uint32_t)m->len;
    x->due_ns = pg_now(pg) + pg->cfg.state_timeout_ns; /* progress */
    if (x->got == x->total)
        state_complete(pg, g);
}

int64_t pg_state_due(const struct pg_group *g)
{
    return g->st == PG_GS_JOINING && g->xfer ? g->xfer->due_ns : PG_TIMER_NEVER;
}

void pg_state_tick(struct pg *pg, struct pg_group *g, int64_t now_ns)
{
    if (pg_state_due(g) <= now_ns)
        state_fail(pg, g, PG_E_TIMEOUT, true);
}

/* ---- the view layer's hooks ---- */

void pg_state_register(struct pg *pg)
{
    pg->vh.check = pg_state_provide;
    pg->vh.snapshot = pg_state_snapshot;
    pg->vh.joiner_ready = pg_state_joiner_ready;
}
