/* core/pg_cbcast.c: cbcast with vector timestamps [BSS91], stability and
 * pg_flush (paper sections 3.2 and 5). See pg.h and pg_internal.h.
 *
 * VT(p)[k] counts the messages of rank k that p delivered in the current
 * view; a message m from j carries VT(m) = VT(j) at send with VT(m)[j] = its
 * sequence number. On the wire only the entries that changed since j's
 * previous message of the view are sent (always including j's own); phys
 * links are FIFO, so the receiver rebuilds VT(m) from the last VT it saw from
 * j. VT(m) is also j's delivered vector, so it doubles as j's stability
 * acknowledgement.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "pg_internal.h"

static uint32_t *row(uint32_t *mat, uint32_t r)
{
    return mat + (size_t)r * PG_CAP;
}

static struct pg_msg *msg_new(uint32_t n, const uint32_t *vt, const uint8_t *p, size_t len)
{
    struct pg_msg *m = malloc(sizeof *m + n * sizeof(uint32_t) + len);
    if (!m)
        return NULL;
    memset(m, 0, sizeof *m);
    m->vt = (uint32_t *)(m + 1);
    m->payload = (uint8_t *)(m->vt + n);
    memcpy(m->vt, vt, n * sizeof(uint32_t));
    if (len)
        memcpy(m->payload, p, len);
    m->len = (uint32_t)len;
    return m;
}

void pg_store_clear(struct pg_store *s)
{
    for (uint32_t k = 0; k < PG_CAP; k++) {
        while (s->head[k]) {
            struct pg_msg *m = s->head[k];
            s->head[k] = m->next;
            free(m);
        }
    }
    s->count = 0;
}

static bool store_has(const struct pg_store *s, uint32_t rank, uint32_t seq)
{
    for (const struct pg_msg *m = s->head[rank]; m && m->seq <= seq; m = m->next)
        if (m->seq == seq)
            return true;
    return false;
}

static void store_insert(struct pg_store *s, struct pg_msg *nm)
{
    struct pg_msg **pp = &s->head[nm->sender];
    while (*pp && (*pp)->seq < nm->seq)
        pp = &(*pp)->next;
    assert(!*pp || (*pp)->seq != nm->seq);
    nm->next = *pp;
    *pp = nm;
    s->count++;
}

void pg_cb_reset(struct pg *pg, struct pg_group *g, uint32_t view_id, uint32_t n)
{
    assert(n >= 1 && n <= PG_CAP);
    pg_store_clear(&g->prev);
    g->prev = g->cur;
    memset(&g->cur, 0, sizeof g->cur);
    g->cur.view_id = view_id;
    g->cur.n = n;
    memset(g->vt, 0, sizeof g->vt);
    memset(g->sent_vt, 0, sizeof g->sent_vt);
    memset(g->stable, 0, sizeof g->stable);
    memset(g->adv, 0, sizeof g->adv);
    memset(g->last_vt, 0, sizeof(uint32_t) * PG_CAP * PG_CAP);
    memset(g->ack, 0, sizeof(uint32_t) * PG_CAP * PG_CAP);
    g->my_seq = 0;
    g->heard = 0;
    g->adv_dirty = true; /* announce the install: others learn we are in the view */
    g->stable_due_ns = pg_now(pg) + pg->cfg.stable_delay_ns;
}

uint32_t pg_cb_unstable_own(const struct pg_group *g)
{
    assert(g->my_seq >= g->stable[g->my_rank]);
    return g->my_seq - g->stable[g->my_rank];
}

/* Builds the DATA message for the next own message (not yet committed). */
static void data_build(const struct pg_group *g, struct pg_wmsg *m, uint32_t *full)
{
    uint32_t n = g->view.n_members, me = g->my_rank;
    memcpy(full, g->vt, n * sizeof(uint32_t));
    full[me] = g->my_seq + 1;
    memset(m, 0, sizeof *m);
    m->type = PG_MT_DATA;
    m->view_id = g->view.view_id;
    m->rank = (uint8_t)me;
    for (uint32_t k = 0; k < n; k++) {
        assert(full[k] >= g->sent_vt[k]); /* VT monotonic */
        if (k == me || full[k] != g->sent_vt[k]) {
            m->vt_rank[m->n_vt] = (uint8_t)k;
            m->vt[m->n_vt++] = full[k];
        }
    }
}

/* Sends an own message. `may_queue`: held sends go through the outbox; a
 * direct cbcast instead fails with PG_E_FULL when a window is full. */
int pg_cb_send_ex(struct pg *pg, struct pg_group *g, const uint8_t *p, size_t len, bool may_queue)
{
    assert(g->st == PG_GS_MEMBER && len <= pg->cfg.max_payload);
    uint32_t full[PG_CAP];
    struct pg_wmsg m;
    data_build(g, &m, full);
    m.payload = p;
    m.len = len;
    uint8_t buf[PHYS_MAX_PAYLOAD];
    size_t n = pg_encode(&m, buf, sizeof buf);
    assert(n > len);
    if (!may_queue) {
        if (g->outbox.count > 0)
            return PG_E_FULL;
        int rc = phys_mcast(pg->ph, g->gid, buf, n);
        if (rc != PG_OK)
            return rc;
    }
    g->my_seq++;
    memcpy(g->sent_vt, full, g->view.n_members * sizeof(uint32_t));
    memcpy(g->adv, full, g->view.n_members * sizeof(uint32_t));
    g->adv_dirty = false;
    pg->stats.data_sent++;
    pg->stats.header_bytes += n - len;
    if (may_queue)
        return pg_send(pg, g, &m);
    return PG_OK;
}

int pg_cb_send(struct pg *pg, struct pg_group *g, const uint8_t *p, size_t len)
{
    if (pg_cb_unstable_own(g) >= pg->cfg.max_unstable_own)
        return PG_E_FULL;
    return pg_cb_send_ex(pg, g, p, len, false);
}

/* ---- stability ---- */

static void ack_merge(struct pg_group *g, uint32_t r, const uint32_t *v)
{
    uint32_t *a = row(g->ack, r);
    for (uint32_t k = 0; k < g->view.n_members; k++)
        if (v[k] > a[k])
            a[k] = v[k];
}

/* Releases stable messages: delivered by every member (section 3.2).
 * stable[k] is the minimum of column k of ack. Rows only grow, so no entry is
 * below stable[k]: the scan of a column starts from own VT (an upper bound)
 * and stops at the first row still at stable[k] (run per received message). */
static void stable_update(struct pg *pg, struct pg_group *g)
{
    uint32_t n = g->view.n_members;
    memcpy(row(g->ack, g->my_rank), g->vt, n * sizeof(uint32_t));
    for (uint32_t k = 0; k < n; k++) {
        uint32_t s = g->vt[k];
        for (uint32_t r = 0; r < n && s > g->stable[k]; r++)
            s = row(g->ack, r)[k] < s ? row(g->ack, r)[k] : s;
        assert(s >= g->stable[k] && s <= g->vt[k]);
        g->stable[k] = s;
        while (g->cur.head[k] && g->cur.head[k]->seq <= s) {
            struct pg_msg *m = g->cur.head[k];
            assert(m->delivered);
            g->cur.head[k] = m->next;
            g->cur.count--;
            pg->stats.stable_released++;
            free(m);
        }
    }
    pg_cb_check_flush(pg, g);
}

void pg_cb_check_flush(struct pg *pg, struct pg_group *g)
{
    if (!g->fpending || g->st != PG_GS_MEMBER)
        return;
    bool done = g->view.view_id > g->f_view ||
                (g->view.view_id == g->f_view && g->stable[g->my_rank] >= g->f_seq);
    if (!done)
        return;
    g->fpending = false;
    g->fdone(g->fctx, g->gid);
}

void pg_cb_on_stable(struct pg *pg, struct pg_group *g, uint32_t rank, const struct pg_wmsg *m)
{
    if (m->n_vt != g->view.n_members) {
        pg->stats.malformed_dropped++;
        return;
    }
    ack_merge(g, rank, m->vt);
    stable_update(pg, g);
}

void pg_cb_stable_tick(struct pg *pg, struct pg_group *g)
{
    if (g->st != PG_GS_MEMBER || !g->adv_dirty || pg_now(pg) < g->stable_due_ns)
        return;
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_STABLE;
    m.view_id = g->view.view_id;
    m.n_vt = g->view.n_members;
    memcpy(m.vt, g->vt, m.n_vt * sizeof(uint32_t));
    memcpy(g->adv, g->vt, m.n_vt * sizeof(uint32_t));
    g->adv_dirty = false;
    pg->stats.stable_msgs_sent++;
    pg_send(pg, g, &m);
}

/* ---- receiving ---- */

/* Stores a message of the current view unless it is a duplicate. */
static void store_msg(struct pg *pg, struct pg_group *g, uint32_t j, const uint32_t *vt,
                      const struct pg_wmsg *m)
{
    uint32_t seq = vt[j];
    if (seq <= g->vt[j] || store_has(&g->cur, j, seq))
        return; /* delivered already (maybe released), or held */
    if (g->cur.count >= pg->cfg.max_msgs) {
        pg_view_exclude(pg, g, "pg message store full");
        return;
    }
    struct pg_msg *nm = msg_new(g->view.n_members, vt, m->payload, m->len);
    if (!nm) {
        pg_view_exclude(pg, g, "out of memory");
        return;
    }
    nm->seq = seq;
    nm->sender = (uint8_t)j;
    store_insert(&g->cur, nm);
}

void pg_cb_on_data(struct pg *pg, struct pg_group *g, uint32_t j, const struct pg_wmsg *m)
{
    uint32_t n = g->view.n_members;
    uint32_t *base = row(g->last_vt, j);
    uint32_t full[PG_CAP];
    memcpy(full, base, n * sizeof(uint32_t));
    for (uint32_t i = 0; i < m->n_vt; i++) {
        if (m->vt_rank[i] >= n) {
            pg->stats.malformed_dropped++;
            return;
        }
        full[m->vt_rank[i]] = m->vt[i];
    }
    for (uint32_t k = 0; k < n; k++) {
        if (full[k] < base[k] || (k == j && full[k] != base[k] + 1)) {
            pg->stats.malformed_dropped++; /* breaks FIFO or VT monotonicity */
            return;
        }
    }
    memcpy(base, full, n * sizeof(uint32_t));
    ack_merge(g, j, full); /* VT(m) is j's delivered vector */
    store_msg(pg, g, j, full, m);
    if (g->st != PG_GS_MEMBER)
        return;
    pg_cb_deliver(pg, g);
}

void pg_cb_on_fwd(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m)
{
    if (m->rank >= g->view.n_members || m->n_vt != g->view.n_members || m->vt[m->rank] == 0) {
        pg->stats.malformed_dropped++;
        return;
    }
    store_msg(pg, g, m->rank, m->vt, m);
    if (g->st != PG_GS_MEMBER)
        return;
    pg_cb_deliver(pg, g);
}

/* ---- delivery ---- */

static bool deliverable(const struct pg_group *g, const struct pg_msg *m)
{
    uint32_t j = m->sender;
    if (m->vt[j] != g->vt[j] + 1)
        return false;
    for (uint32_t k = 0; k < g->view.n_members; k++)
        if (k != j && m->vt[k] > g->vt[k])
            return false;
    return true;
}

static struct pg_msg *first_undelivered(const struct pg_group *g, uint32_t j)
{
    struct pg_msg *m = g->cur.head[j];
    while (m && m->delivered)
        m = m->next;
    return m;
}

/* Delivers one message: VT(p)[j]++, upcall. False if the view changed under it. */
static bool deliver_one(struct pg *pg, struct pg_group *g, struct pg_msg *m)
{
    uint32_t j = m->sender, view_id = g->view.view_id;
    assert(g->cur.view_id == view_id && deliverable(g, m));
    m->delivered = true;
    g->vt[j]++;
    pg->stats.delivered++;
    if (!g->adv_dirty && memcmp(g->vt, g->adv, g->view.n_members * sizeof(uint32_t)) != 0) {
        g->adv_dirty = true;
        g->stable_due_ns = pg_now(pg) + pg->cfg.stable_delay_ns;
    }
    if (g->entry)
        g->entry(g->entry_ctx, g->gid, view_id, g->view.members[j], m->payload, m->len);
    return g->st == PG_GS_MEMBER && g->view.view_id == view_id;
}

void pg_cb_deliver(struct pg *pg, struct pg_group *g)
{
    bool progress = true;
    while (progress && g->st == PG_GS_MEMBER) {
        progress = false;
        for (uint32_t j = 0; j < g->view.n_members; j++) {
            struct pg_msg *m = first_undelivered(g, j);
            if (!m)
                continue;
            if (deliverable(g, m)) {
                if (!deliver_one(pg, g, m))
                    return;
                progress = true;
            } else if (!m->delayed) {
                m->delayed = true;
                pg->stats.delayed_causal++;
                pg_sometimes(pg, g->gid, PG_ST_DELAYED, "delayed by causal rule");
            }
        }
    }
    stable_update(pg, g);
}

void pg_cb_finish_view(struct pg *pg, struct pg_group *g)
{
    pg_cb_deliver(pg, g);
    if (g->st != PG_GS_MEMBER)
        return;
    bool inflight = g->cur.count > 0;
    for (uint32_t j = 0; j < g->view.n_members; j++) {
        struct pg_msg **pp = &g->cur.head[j];
        while (*pp) {
            struct pg_msg *m = *pp;
            if (m->delivered) {
                pp = &m->next;
                continue;
            }
            *pp = m->next;
            g->cur.count--;
            pg->stats.discarded_flush++;
            pg_sometimes(pg, g->gid, PG_ST_DISCARDED, "undeliverable message discarded at flush");
            free(m);
        }
    }
    if (inflight) {
        pg->stats.inflight_at_change++;
        pg_sometimes(pg, g->gid, PG_ST_INFLIGHT, "view change with messages in flight");
    }
}

void pg_cb_forward(struct pg *pg, struct pg_group *g, const struct pg_store *s, uint64_t mask)
{
    for (uint32_t k = 0; k < s->n; k++) {
        if (!(mask >> k & 1u))
            continue;
        for (const struct pg_msg *m = s->head[k]; m; m = m->next) {
            struct pg_wmsg w;
            memset(&w, 0, sizeof w);
            w.type = PG_MT_FWD;
            w.view_id = s->view_id;
            w.rank = (uint8_t)k;
            w.n_vt = s->n;
            memcpy(w.vt, m->vt, s->n * sizeof(uint32_t));
            w.payload = m->payload;
            w.len = m->len;
            pg->stats.forwarded++;
            pg_sometimes(pg, g->gid, PG_ST_FORWARDED, "message forwarded during flush");
            if (pg_send(pg, g, &w) != PG_OK)
                return;
        }
    }
}
