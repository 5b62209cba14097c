/* core/group/pg_cbcast.c: cbcast with vector timestamps [BSS91], stability and
 * pg_flush (paper sections 3.2 and 5). See pg.h and pg_cbcast.h.
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

#include "pg_cbcast.h"

/* Row r of a [stride][stride] matrix of g (last_vt, ack). */
static uint32_t *row(const struct pg_group *g, uint32_t *mat, uint32_t r)
{
    assert(r < g->cb.stride);
    return mat + (size_t)r * g->cb.stride;
}

/* The hooks of the per-message path are called without a NULL test: every
 * one is registered at pg_new (pg_cb_hooks_complete). */
static uint32_t app_count(const struct pg *pg, const struct pg_group *g, uint32_t rank)
{
    return pg->cbh.app_count(g, rank);
}

static void acks_changed(struct pg *pg, struct pg_group *g)
{
    pg->cbh.acks_changed(pg, g);
}

static bool ext_valid(const struct pg *pg, const struct pg_group *g, const struct pg_wmsg *m)
{
    return pg->cbh.ext_valid(g, m);
}

/* The size class of a block of `size` bytes: the least c with MIN << c >= size. */
static uint8_t msg_class(size_t size)
{
    uint8_t c = 0;
    while (((size_t)PG_MSG_BLOCK_MIN << c) < size)
        c++;
    assert(c < PG_MSG_CLASSES);
    return c;
}

static struct pg_msg *msg_alloc(struct pg *pg, size_t size)
{
    uint8_t c = msg_class(size);
    struct pg_msg_cache *mc = &pg->msg_cache;
    struct pg_msg *m = mc->free[c];
    if (m) {
        assert(mc->n_free[c] > 0);
        assert(m->size_class == c);
        mc->free[c] = m->next;
        mc->n_free[c]--;
    } else if (!(m = malloc((size_t)PG_MSG_BLOCK_MIN << c))) {
        return NULL;
    }
    memset(m, 0, sizeof *m);
    m->size_class = c;
    return m;
}

void pg_msg_free(struct pg *pg, struct pg_msg *m)
{
    struct pg_msg_cache *mc = &pg->msg_cache;
    uint8_t c = m->size_class;
    assert(c < PG_MSG_CLASSES);
    if (((size_t)mc->n_free[c] + 1) * ((size_t)PG_MSG_BLOCK_MIN << c) > PG_MSG_CACHE_BYTES) {
        free(m);
        return;
    }
    m->next = mc->free[c];
    mc->free[c] = m;
    mc->n_free[c]++;
}

void pg_msg_cache_drain(struct pg *pg)
{
    struct pg_msg_cache *mc = &pg->msg_cache;
    for (uint32_t c = 0; c < PG_MSG_CLASSES; c++) {
        while (mc->free[c]) {
            struct pg_msg *m = mc->free[c];
            mc->free[c] = m->next;
            free(m);
        }
        mc->n_free[c] = 0;
    }
}

static struct pg_msg *msg_new(struct pg *pg, uint32_t n, const uint32_t *vt,
                              const struct pg_wmsg *w)
{
    uint32_t x = pg->cbh.ext_words(w);
    struct pg_msg *m = msg_alloc(pg, sizeof *m + (n + x) * sizeof(uint32_t) + w->len + w->dep_len);
    if (!m)
        return NULL;
    m->vt = (uint32_t *)(m + 1);
    m->ab_x = m->vt + n;
    m->payload = (uint8_t *)(m->ab_x + x);
    m->dep = m->payload + w->len;
    m->dep_len = (uint32_t)w->dep_len;
    memcpy(m->vt, vt, n * sizeof(uint32_t));
    if (w->len)
        memcpy(m->payload, w->payload, w->len);
    if (w->dep_len)
        memcpy(m->dep, w->dep, w->dep_len);
    m->len = (uint32_t)w->len;
    pg->cbh.ext_save(m, w);
    return m;
}

void pg_store_clear(struct pg *pg, struct pg_store *s)
{
    for (uint32_t k = 0; k < PG_CAP; k++) {
        while (s->head[k]) {
            struct pg_msg *m = s->head[k];
            s->head[k] = m->next;
            pg_msg_free(pg, m);
        }
    }
    memset(s->top, 0, sizeof s->top);
    memset(s->last_dl, 0, sizeof s->last_dl);
    s->count = s->pending = 0;
}

/* Where a search for `seq` in rank's list may start: after the delivered
 * prefix when seq lies beyond it (the common case: a new message). */
static struct pg_msg **store_from(struct pg_store *s, uint32_t rank, uint32_t seq)
{
    struct pg_msg *l = s->last_dl[rank];
    assert(!l || (l->delivered && (!l->next || !l->next->delivered)));
    return l && l->seq < seq ? &l->next : &s->head[rank];
}

static bool store_has(struct pg_store *s, uint32_t rank, uint32_t seq)
{
    if (seq > s->top[rank])
        return false;
    for (const struct pg_msg *m = *store_from(s, rank, seq); m && m->seq <= seq; m = m->next)
        if (m->seq == seq)
            return true;
    return false;
}

static void store_insert(struct pg_store *s, struct pg_msg *nm)
{
    struct pg_msg **pp = store_from(s, nm->sender, nm->seq);
    while (*pp && (*pp)->seq < nm->seq)
        pp = &(*pp)->next;
    assert(!*pp || (*pp)->seq != nm->seq);
    nm->next = *pp;
    *pp = nm;
    s->count++;
    s->pending++;
    if (nm->seq > s->top[nm->sender])
        s->top[nm->sender] = nm->seq;
}

void pg_cb_reset(struct pg *pg, struct pg_group *g, uint32_t view_id, uint32_t n)
{
    assert(n >= 1);
    assert(n <= g->cb.stride);
    assert(g->cb.stride <= PG_CAP);
    if (g->cb.cur.view_id != 0 && g->cb.cur.view_id < view_id) { /* keep the old view's final VT */
        struct pg_fin *f = &g->cb.fin[g->cb.fin_next++ % PG_FIN_VIEWS];
        f->view = g->cb.cur.view_id;
        f->n = g->cb.cur.n;
        memcpy(f->vt, g->cb.vt, f->n * sizeof(uint32_t));
    }
    pg_store_clear(pg, &g->cb.prev);
    g->cb.prev = g->cb.cur;
    memset(&g->cb.cur, 0, sizeof g->cb.cur);
    g->cb.cur.view_id = view_id;
    g->cb.cur.n = n;
    memset(g->cb.vt, 0, sizeof g->cb.vt);
    memset(g->cb.sent_vt, 0, sizeof g->cb.sent_vt);
    memset(g->cb.stable, 0, sizeof g->cb.stable);
    g->cb.stable_dirty = false;
    g->cb.since_compute = 0;
    memset(g->cb.adv, 0, sizeof g->cb.adv);
    memset(g->cb.ann_sent, 0, sizeof g->cb.ann_sent);
    memset(g->cb.last_vt, 0, sizeof(uint32_t) * g->cb.stride * g->cb.stride);
    memset(g->cb.ack, 0, sizeof(uint32_t) * g->cb.stride * g->cb.stride);
    for (uint32_t i = 0; i < pg->cbh.n_reset; i++)
        pg->cbh.reset[i](pg, g); /* abcast, domains */
    g->cb.my_seq = 0;
    g->vw.heard = pg_rs_none();
    g->cb.adv_dirty = true; /* tell the coordinator we installed (pg_cb_stable_tick) */
    g->cb.ann_dirty = g->cb.release_due = false;
    g->cb.stable_due_ns = pg_now(pg) + pg->cfg.stable_delay_ns;
}

bool pg_cb_majority_has(const struct pg_group *g, uint32_t j, uint32_t seq)
{
    uint32_t n = g->view.n_members, have = 0;
    assert(j < n);
    if (g->cb.stable[j] >= seq)
        return true;
    for (uint32_t r = 0; r < n; r++)
        have += (r == g->my_rank ? g->cb.vt[j] : row(g, g->cb.ack, r)[j]) >= seq;
    return have * 2 > n;
}

uint32_t pg_cb_unstable_own(const struct pg_group *g)
{
    assert(g->cb.my_seq >= g->cb.stable[g->my_rank]);
    return g->cb.my_seq - g->cb.stable[g->my_rank];
}

/* Builds the DATA message for the next own message (not yet committed),
 * without the abcast extension. With `compress` false every VT entry is sent
 * (pg_config.vt_compress). */
static void data_build(const struct pg_group *g, bool compress, struct pg_wmsg *m, uint32_t *full)
{
    uint32_t n = g->view.n_members, me = g->my_rank;
    memcpy(full, g->cb.vt, n * sizeof(uint32_t));
    full[me] = g->cb.my_seq + 1;
    memset(m, 0, sizeof *m);
    m->type = PG_MT_DATA;
    m->view_id = g->view.view_id;
    m->rank = (uint8_t)me;
    for (uint32_t k = 0; k < n; k++) {
        assert(full[k] >= g->cb.sent_vt[k]); /* VT monotonic */
        if (k == me || !compress || full[k] != g->cb.sent_vt[k]) {
            m->vt_rank[m->n_vt] = (uint8_t)k;
            m->vt[m->n_vt++] = full[k];
        }
    }
}

/* Sends an own message. `may_queue`: held sends go through the outbox; a
 * direct cbcast instead fails with PG_E_FULL when a window is full. */
int pg_cb_send_ex(struct pg *pg, struct pg_group *g, const uint8_t *p, size_t len, bool may_queue,
                  uint8_t ab)
{
    assert(g->st == PG_GS_MEMBER);
    assert(len <= pg->cfg.max_payload);
    uint32_t full[PG_CAP];
    struct pg_wmsg m;
    data_build(g, pg->cfg.vt_compress, &m, full);
    m.payload = p;
    m.len = len;
    m.ab = ab;
    pg->cbh.build(pg, g, &m);
    uint8_t buf[PHYS_MAX_PAYLOAD], dep[PHYS_MAX_PAYLOAD];
    uint64_t dom_epoch = 0;
    m.dep_len = pg->cbh.dep_build(pg, g, dep, sizeof dep - len, &dom_epoch);
    m.dep = dep;
    if (m.dep_len == SIZE_MAX)
        return PG_E_TOOBIG; /* the cross-group timestamps do not fit with this payload */
    size_t n = pg_encode(&m, buf, sizeof buf);
    if (n == 0 && (m.ab & PG_AB_ORDER)) { /* no room for the records: they go in a carrier */
        m.ab = ab;
        n = pg_encode(&m, buf, sizeof buf);
    }
    if (n == 0)
        return PG_E_TOOBIG;
    assert(n > len);
    if (!may_queue) {
        if (g->outbox.count > 0)
            return PG_E_FULL;
        int rc = phys_mcast(pg->ph, g->gid, buf, n);
        if (rc != PG_OK)
            return rc;
    }
    g->cb.my_seq++;
    g->cb.ever_sent = true;
    pg->cbh.dep_sent(pg, g, dom_epoch);
    pg->stats.dom_header_bytes += m.dep_len;
    memcpy(g->cb.sent_vt, full, g->view.n_members * sizeof(uint32_t));
    memcpy(g->cb.adv, full, g->view.n_members * sizeof(uint32_t));
    g->cb.adv_dirty = false;
    pg->stats.data_sent++;
    pg->stats.header_bytes += n - len;
    pg->cbh.sent(pg, g, &m);
    if (may_queue)
        return pg_send(pg, g, &m);
    return PG_OK;
}

static bool stable_compute(struct pg_group *g);
static void stable_release(struct pg *pg, struct pg_group *g);

int pg_cb_send(struct pg *pg, struct pg_group *g, const uint8_t *p, size_t len)
{
    if (pg_cb_unstable_own(g) >= pg->cfg.max_unstable_own && g->cb.stable_dirty) {
        (void)stable_compute(g);
        stable_release(pg, g);
    }
    if (pg_cb_unstable_own(g) >= pg->cfg.max_unstable_own)
        return PG_E_FULL;
    return pg_cb_send_ex(pg, g, p, len, false, 0);
}

/* ---- stability ---- */

/* Raises stable[k] to s (messages of k up to seq s were delivered by every
 * member of the view) and schedules their release. */
static void stable_raise(struct pg_group *g, uint32_t k, uint32_t s)
{
    assert(s <= g->cb.vt[k]); /* delivered here too */
    if (s > g->cb.stable[k]) {
        g->cb.stable[k] = s;
        g->cb.release_due = true;
    }
}

/* Merges member r's delivered vector v into its row of ack (rows only grow).
 * Stability is computed from the rows later, in batches (stable_compute). */
static void ack_merge(struct pg_group *g, uint32_t r, const uint32_t *v)
{
    uint32_t *a = row(g, g->cb.ack, r);
    for (uint32_t k = 0; k < g->view.n_members; k++)
        a[k] = v[k] > a[k] ? v[k] : a[k];
    g->cb.stable_dirty = true;
}

/* stable[k] = min over the rows of column k (section 3.2: delivered by every
 * member), or more where the coordinator announced it. My own row is vt, so
 * the scan of a column starts at vt[k] and stops at the first entry not above
 * stable[k]. O(n^2) at most, run in batches (stable_due). Returns whether
 * anything became stable. */
static bool stable_compute(struct pg_group *g)
{
    uint32_t n = g->view.n_members;
    bool advanced = false;
    g->cb.stable_dirty = false;
    g->cb.since_compute = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t s = g->cb.vt[k];
        for (uint32_t r = 0; r < n && s > g->cb.stable[k]; r++) {
            uint32_t v = row(g, g->cb.ack, r)[k];
            s = v < s ? v : s;
        }
        /* below stable[k] only where the coordinator announced more (on_stable_vector) */
        s = s > g->cb.stable[k] ? s : g->cb.stable[k];
        assert(s <= g->cb.vt[k]);
        advanced |= s > g->cb.stable[k];
        stable_raise(g, k, s);
    }
    return advanced;
}

/* Whether to compute stability now: a batch of n received messages (O(n)
 * per message amortised), or someone waits for it (pg_flush, own messages at
 * the unstable limit). */
static bool stable_due(const struct pg *pg, const struct pg_group *g)
{
    return g->cb.stable_dirty && (g->cb.since_compute >= g->view.n_members || g->cb.fpending ||
                                  2 * pg_cb_unstable_own(g) >= pg->cfg.max_unstable_own);
}

/* Releases stable messages: delivered by every member (section 3.2). */
static void stable_release(struct pg *pg, struct pg_group *g)
{
    if (!g->cb.release_due)
        return;
    g->cb.release_due = false;
    for (uint32_t k = 0; k < g->view.n_members; k++) {
        while (g->cb.cur.head[k] && g->cb.cur.head[k]->seq <= g->cb.stable[k]) {
            struct pg_msg *m = g->cb.cur.head[k];
            assert(m->delivered);
            g->cb.cur.head[k] = m->next;
            if (g->cb.cur.last_dl[k] == m)
                g->cb.cur.last_dl[k] = NULL;
            g->cb.cur.count--;
            pg->stats.stable_released++;
            pg_msg_free(pg, m);
        }
    }
    pg_cb_check_flush(pg, g);
}

/* pg_flush (section 3.2, TRACE.md rule 8): done once every member handed
 * own messages 1..f_seq of view f_view to its application. An abcast, and a
 * cbcast that follows one, reach the application only once the ORDER record
 * positioning that abcast is here too: so the flush waits until this node
 * handed its own messages over (it then holds every record they need) and
 * snapshots its causal VT; once every member delivered that VT causally
 * (stability), each holds the same messages and records and hands them over
 * too. A view change delivers the messages of f_view, but each member at its
 * own install, which may come after this node's: when the view moved past
 * f_view, the flush waits likewise for an own message of the current view
 * (delivered by a member only after it installed this view): the held
 * messages just sent, else a carrier without payload (PG_AB_NOAPP). */
void pg_cb_check_flush(struct pg *pg, struct pg_group *g)
{
    if (!g->cb.fpending || g->st != PG_GS_MEMBER)
        return;
    if (g->view.view_id > g->cb.f_view) {
        if (g->cb.my_seq == 0 &&
            (pg_view_flushing(g) || pg_cb_send_ex(pg, g, NULL, 0, true, PG_AB_NOAPP) != PG_OK))
            return; /* not sent: the next install tries again */
        assert(g->cb.my_seq > 0);
        g->cb.f_view = g->view.view_id;
        g->cb.f_seq = g->cb.my_seq;
        g->cb.f_snap_ok = false;
        pg->stats.flush_carriers++;
    }
    if (g->view.view_id != g->cb.f_view)
        return;
    uint32_t n = g->view.n_members;
    if (!g->cb.f_snap_ok) {
        if (app_count(pg, g, g->my_rank) < g->cb.f_seq)
            return; /* an own abcast (or what follows one) still waits for its position */
        if (pg_view_flushing(g))
            return; /* handed over by the view change (pg_ab_finish_view), which the
                       others run at their own install: wait for an own message of
                       the next view (the check at the install above) */
        memcpy(g->cb.f_snap, g->cb.vt, n * sizeof(uint32_t));
        /* every own message sent so far, those not looped back yet included: an
         * abcast holder hands over right after its SAFE mark leaves, and the
         * others hand over once they deliver that mark (pg_abcast.c) */
        assert(g->cb.my_seq >= g->cb.f_snap[g->my_rank]);
        g->cb.f_snap[g->my_rank] = g->cb.my_seq;
        g->cb.f_snap_ok = true;
    }
    for (uint32_t k = 0; k < n; k++)
        if (g->cb.stable[k] < g->cb.f_snap[k])
            return;
    g->cb.fpending = false;
    g->cb.fdone(g->cb.fctx, g->gid);
}

/* A coordinator's announcement: every member delivered m->vt. */
static void on_stable_vector(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m)
{
    for (uint32_t k = 0; k < g->view.n_members; k++) {
        if (m->vt[k] > g->cb.vt[k]) { /* we would be among "every member" */
            pg->stats.malformed_dropped++;
            return;
        }
    }
    for (uint32_t k = 0; k < g->view.n_members; k++)
        stable_raise(g, k, m->vt[k]);
}

void pg_cb_on_stable(struct pg *pg, struct pg_group *g, uint32_t rank, const struct pg_wmsg *m)
{
    if (m->n_vt != g->view.n_members) {
        pg->stats.malformed_dropped++;
        return;
    }
    if (m->full) {
        on_stable_vector(pg, g, m);
        acks_changed(pg, g);
    } else {
        ack_merge(g, rank, m->vt);
        acks_changed(pg, g);
        bool advanced = stable_compute(g);
        if (advanced && pg_view_coord(g) == g->my_rank && !g->cb.ann_dirty) {
            g->cb.ann_dirty = true; /* others may lack what rank told only me */
            g->cb.ann_due_ns = pg_now(pg) + pg->cfg.stable_delay_ns;
        }
    }
    stable_release(pg, g);
}

static void stable_send(struct pg *pg, struct pg_group *g, bool full, const uint32_t *v,
                        pg_node_id to)
{
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_STABLE;
    m.view_id = g->view.view_id;
    m.full = full;
    m.n_vt = g->view.n_members;
    memcpy(m.vt, v, m.n_vt * sizeof(uint32_t));
    pg->stats.stable_msgs_sent++;
    if (to == PG_NODE_NONE)
        (void)pg_send(pg, g, &m);
    else
        (void)pg_send_to(pg, g, to, &m); /* soft state: a lost one is superseded */
}

void pg_cb_ack_to(struct pg *pg, struct pg_group *g, pg_node_id to)
{
    assert(g->st == PG_GS_MEMBER);
    assert(to != g->view.members[g->my_rank]);
    stable_send(pg, g, false, g->cb.vt, to);
}

/* Idle for stable_delay with news to tell: the advertisement (our delivered
 * vector) goes to the coordinator only, which announces the stable vector
 * when it learned something the others cannot see in the traffic: O(n)
 * messages per round instead of O(n^2). The first one of a view too: were it
 * multicast, every install would cost n^2 datagrams at once (65,280 at 256
 * members), and the members learn of each other's install from the traffic
 * and the view change itself (every member multicasts its ACK). */
void pg_cb_stable_tick(struct pg *pg, struct pg_group *g)
{
    if (g->st != PG_GS_MEMBER)
        return;
    if (g->cb.stable_dirty) { /* idle: the batch will not fill up */
        (void)stable_compute(g);
        stable_release(pg, g);
    }
    int64_t now = pg_now(pg);
    uint32_t n = g->view.n_members, coord = pg_view_coord(g);
    if (g->cb.adv_dirty && now >= g->cb.stable_due_ns) {
        memcpy(g->cb.adv, g->cb.vt, n * sizeof(uint32_t));
        g->cb.adv_dirty = false;
        if (coord != g->my_rank)
            stable_send(pg, g, false, g->cb.vt, g->view.members[coord]);
    }
    if (g->cb.ann_dirty && now >= g->cb.ann_due_ns && coord == g->my_rank) {
        g->cb.ann_dirty = false;
        if (memcmp(g->cb.ann_sent, g->cb.stable, n * sizeof(uint32_t)) != 0) {
            memcpy(g->cb.ann_sent, g->cb.stable, n * sizeof(uint32_t));
            stable_send(pg, g, true, g->cb.stable, PG_NODE_NONE);
        }
    }
}

/* ---- receiving ---- */

/* Stores a message of the current view unless it is a duplicate. */
static void store_msg(struct pg *pg, struct pg_group *g, uint32_t j, const uint32_t *vt,
                      const struct pg_wmsg *m)
{
    uint32_t seq = vt[j];
    if (seq <= g->cb.vt[j] || store_has(&g->cb.cur, j, seq))
        return; /* delivered already (maybe released), or held */
    if (g->cb.cur.count >= pg->cfg.max_msgs) {
        pg_view_exclude(pg, g, "pg message store full");
        return;
    }
    struct pg_msg *nm = msg_new(pg, g->view.n_members, vt, m);
    if (!nm) {
        pg_view_exclude(pg, g, "out of memory");
        return;
    }
    nm->seq = seq;
    nm->sender = (uint8_t)j;
    nm->arrived_ns = pg_now(pg);
    store_insert(&g->cb.cur, nm);
}

/* Whether the sparse VT of m (ranks ascending, decoded) may follow j's last
 * one, base: every listed entry at least base's, j's own exactly one more
 * (FIFO), and j's own listed (an unlisted entry keeps base's value). */
static bool vt_follows(const struct pg_group *g, uint32_t j, const uint32_t *base,
                       const struct pg_wmsg *m)
{
    bool own = false;
    for (uint32_t i = 0; i < m->n_vt; i++) {
        uint32_t k = m->vt_rank[i], v = m->vt[i];
        if (k >= g->view.n_members || v < base[k] || (k == j && v != base[k] + 1))
            return false;
        own |= k == j;
    }
    return own;
}

/* DATA from rank j (section 3.2, BSS91). Only the entries m lists change:
 * j's row of last_vt becomes VT(m), and VT(m) is j's delivered vector, so
 * the same entries are merged into j's row of ack (a row only grows, and it
 * already covers j's previous VT). */
void pg_cb_on_data(struct pg *pg, struct pg_group *g, uint32_t j, const struct pg_wmsg *m)
{
    uint32_t *base = row(g, g->cb.last_vt, j);
    if (!ext_valid(pg, g, m) || !vt_follows(g, j, base, m)) {
        pg->stats.malformed_dropped++; /* breaks FIFO or VT monotonicity */
        return;
    }
    uint32_t *a = j != g->my_rank ? row(g, g->cb.ack, j) : NULL; /* my row follows my deliveries */
    for (uint32_t i = 0; i < m->n_vt; i++) {
        uint32_t k = m->vt_rank[i], v = m->vt[i];
        base[k] = v;
        if (a && v > a[k])
            a[k] = v;
    }
    if (a) {
        g->cb.stable_dirty = true;
        if ((base[j] & 63u) ==
            0) /* now and then: the row covers all of VT(m), not just m's entries */
            for (uint32_t k = 0; k < g->view.n_members; k++)
                assert(a[k] >= base[k]);
    }
    g->cb.since_compute++;
    store_msg(pg, g, j, base, m);
    if (g->st != PG_GS_MEMBER)
        return;
    pg_cb_deliver(pg, g);
    if (g->st == PG_GS_MEMBER && a)
        acks_changed(pg, g); /* j's VT acknowledges what it delivered */
}

void pg_cb_on_fwd(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m)
{
    if (m->rank >= g->view.n_members || m->n_vt != g->view.n_members || m->vt[m->rank] == 0 ||
        !ext_valid(pg, g, m)) {
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
    if (m->vt[j] != g->cb.vt[j] + 1)
        return false;
    for (uint32_t k = 0; k < g->view.n_members; k++)
        if (k != j && m->vt[k] > g->cb.vt[k])
            return false;
    return true;
}

static struct pg_msg *first_undelivered(const struct pg_group *g, uint32_t j)
{
    const struct pg_msg *l = g->cb.cur.last_dl[j];
    struct pg_msg *m = l ? l->next : g->cb.cur.head[j];
    assert(!m || (!m->delivered && m->seq > g->cb.vt[j]));
    return m;
}

/* Delivers one message: VT(p)[j]++, upcall. False if the view changed under it. */
static bool deliver_one(struct pg *pg, struct pg_group *g, struct pg_msg *m)
{
    uint32_t j = m->sender, view_id = g->view.view_id;
    assert(g->cb.cur.view_id == view_id);
    assert(deliverable(g, m));
    if (!pg->cbh.pre_deliver(pg, g, m)) {
        pg_view_exclude(pg, g, "causality domain table full");
        return false;
    }
    assert(m == first_undelivered(g, j));
    m->delivered = true;
    g->cb.cur.last_dl[j] = m;
    assert(g->cb.cur.pending > 0);
    assert(g->cb.cur.pending <= g->cb.cur.count);
    g->cb.cur.pending--;
    g->cb.vt[j]++;
    if (j != g->my_rank)
        pg->cbh.noted(pg, g, j, g->cb.vt[j]);
    if (m->dom_delayed) {
        uint64_t w = (uint64_t)(pg_now(pg) - m->dom_since_ns);
        pg->stats.dom_delayed_ns += w;
        if (w > pg->stats.dom_delayed_max_ns)
            pg->stats.dom_delayed_max_ns = w;
    }
    row(g, g->cb.ack, g->my_rank)[j] = g->cb.vt[j]; /* my row is my delivered vector */
    g->cb.stable_dirty = true;
    pg->stats.delivered++;
    if (m->delayed) {
        int64_t waited_ns = pg_now(pg) - m->arrived_ns;
        assert(waited_ns >= 0);
        pg->stats.delayed_causal_ns += (uint64_t)waited_ns;
        if ((uint64_t)waited_ns > pg->stats.delayed_causal_max_ns)
            pg->stats.delayed_causal_max_ns = (uint64_t)waited_ns;
    }
    if (!g->cb.adv_dirty &&
        memcmp(g->cb.vt, g->cb.adv, g->view.n_members * sizeof(uint32_t)) != 0) {
        g->cb.adv_dirty = true;
        g->cb.stable_due_ns = pg_now(pg) + pg->cfg.stable_delay_ns;
    }
    pg->cbh.deliver(pg, g, m); /* to the application (abcast: in causal and total order) */
    return g->st == PG_GS_MEMBER && g->view.view_id == view_id;
}

void pg_cb_deliver(struct pg *pg, struct pg_group *g)
{
    bool progress = true;
    while (progress && g->st == PG_GS_MEMBER && g->cb.cur.pending > 0) {
        progress = false;
        for (uint32_t j = 0; j < g->view.n_members; j++) {
            if (g->cb.cur.top[j] <= g->cb.vt[j])
                continue; /* every message stored from j is delivered */
            struct pg_msg *m = first_undelivered(g, j);
            if (!m)
                continue;
            if (deliverable(g, m)) {
                if (m->dep_len && !pg->cbh.ready(pg, g, m)) {
                    if (g->st != PG_GS_MEMBER)
                        return; /* it can never be delivered here (pg_domain.c) */
                    continue;   /* waits for a record of another group */
                }
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
    if (g->st == PG_GS_MEMBER)
        pg->cbh.pass_end(pg, g);
    if (stable_due(pg, g))
        (void)stable_compute(g);
    stable_release(pg, g);
}

bool pg_cb_dom_blocked(struct pg *pg, struct pg_group *g)
{
    pg_cb_deliver(pg, g);
    for (uint32_t j = 0; j < g->view.n_members && g->st == PG_GS_MEMBER; j++) {
        struct pg_msg *m = first_undelivered(g, j);
        if (m && m->dep_len && deliverable(g, m) && !pg->cbh.ready(pg, g, m))
            return g->st == PG_GS_MEMBER;
    }
    return false;
}

void pg_cb_finish_view(struct pg *pg, struct pg_group *g)
{
    pg_cb_deliver(pg, g);
    if (g->st == PG_GS_MEMBER)
        pg->cbh.finish(pg, g);
    if (g->st != PG_GS_MEMBER)
        return;
    bool inflight = g->cb.cur.count > 0;
    for (uint32_t j = 0; j < g->view.n_members; j++) {
        struct pg_msg **pp = &g->cb.cur.head[j];
        while (*pp) {
            struct pg_msg *m = *pp;
            if (m->delivered) {
                pp = &m->next;
                continue;
            }
            *pp = m->next;
            g->cb.cur.count--;
            assert(g->cb.cur.pending > 0);
            g->cb.cur.pending--;
            pg->stats.discarded_flush++;
            pg_sometimes(pg, g->gid, PG_ST_DISCARDED, "undeliverable message discarded at flush");
            pg_msg_free(pg, m);
        }
    }
    assert(g->cb.cur.pending == 0);
    if (inflight) {
        pg->stats.inflight_at_change++;
        pg_sometimes(pg, g->gid, PG_ST_INFLIGHT, "view change with messages in flight");
    }
}

void pg_cb_forward(struct pg *pg, struct pg_group *g, const struct pg_store *s,
                   const struct pg_rset *senders, pg_node_id to)
{
    for (uint32_t k = 0; k < s->n; k++) {
        if (!pg_rs_has(senders, k))
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
            w.dep = m->dep;
            w.dep_len = m->dep_len;
            pg->cbh.ext_load(&w, m);
            pg->stats.forwarded++;
            pg_sometimes(pg, g->gid, PG_ST_FORWARDED, "message forwarded during flush");
            int rc = to == PG_NODE_NONE ? pg_send(pg, g, &w) : pg_send_to_q(pg, g, to, &w);
            if (rc != PG_OK)
                return;
        }
    }
}

/* ---- the view layer's hooks (pg_view.c) ---- */

static int cb_send_held(struct pg *pg, struct pg_group *g, const struct pg_blob *b)
{
    return pg_cb_send_ex(pg, g, b->buf, b->len, true, b->kind); /* kind: the abcast flags */
}

static void cb_excluded(struct pg *pg, struct pg_group *g)
{
    (void)pg;
    g->cb.fpending = false; /* a pg_flush never completes in a group left as failed */
}

static void cb_forward(struct pg *pg, struct pg_group *g, bool prev, const struct pg_rset *senders,
                       pg_node_id to)
{
    const struct pg_store *s = prev ? &g->cb.prev : &g->cb.cur;
    struct pg_rset all = pg_rs_all(s->n);
    pg_cb_forward(pg, g, s, senders ? senders : &all, to);
}

static uint32_t cb_stored_view(const struct pg_group *g, bool prev)
{
    return prev ? g->cb.prev.view_id : g->cb.cur.view_id;
}

void pg_cb_register(struct pg *pg)
{
    struct pg_view_hooks *h = &pg->vh;
    assert(h->n_excluded < PG_HOOKS_MAX);
    h->finish = pg_cb_finish_view;
    h->reset = pg_cb_reset;
    h->send_held = cb_send_held;
    h->reported = pg_cb_check_flush;
    h->excluded[h->n_excluded++] = cb_excluded;
    h->forward = cb_forward;
    h->stored_view = cb_stored_view;
}

bool pg_cb_hooks_complete(const struct pg *pg)
{
    const struct pg_cb_hooks *h = &pg->cbh;
    return h->ext_words && h->ext_save && h->ext_load && h->ext_valid && h->build && h->dep_build &&
           h->dep_sent && h->sent && h->acks_changed && h->app_count && h->ready &&
           h->pre_deliver && h->noted && h->deliver && h->pass_end && h->finish;
}
