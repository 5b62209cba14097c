/* checkers/rules_causal.c: rule 6 of TRACE.md, causal order, gap free
 * (paper sections 3.2 and 4: cbcast, causality domains).
 *
 * Which msgs: every msg whose order is not `fifo` (cbcast, abcast, p2p and
 * orders the project adds). The project's fifo order promises per-sender
 * order only, so fifo msgs neither carry happens-before nor are owed by it.
 * A msg's domain is its send's `domain`, else its group's (`domain` events),
 * else "default". A p2p msg is in its sender's default domain, which its send
 * names in `domain` ("default" when the field is absent). The happens-before
 * relation is per domain (a clock per (node, domain)): a chain through msgs of
 * another domain creates no obligation (paper section 4).
 *
 * Algorithm (vector clocks per (node, domain) d, dense over node ids):
 *  - s's causal sends in d are numbered 1, 2, ...; VT_s[k] is the highest
 *    number of k's sends in d that happened before s's current point.
 *  - A send does not store VT(m) but its delta: the entries of VT_s that
 *    changed since s's previous send in d (kept in a dirty list as merges
 *    change them), plus s's own new number. So VT(m_i) is VT(m_j) updated by
 *    the deltas of s's sends j+1..i.
 *  - Deliver of m2 = s's i-th send at q: merged(q, s) is the highest number
 *    of s's sends whose VT q merged; VT_q >= VT(that send). So the entries
 *    where VT(m2) may exceed VT_q are in the deltas of s's sends
 *    merged+1..i, walked newest first (the first value of k met is
 *    VT(m2)[k]). For each such k, with need = VT(m2)[k] (i - 1 for k = s):
 *    if need > ok(q, k) the prefix is advanced: ok(q, k) is the highest n
 *    such that every send of k in d numbered <= n that q owes (q is in the
 *    reference members of the view it was sent in, or it is the `to` of a
 *    p2p msg) was delivered by q or already reported. A msg found owed and
 *    not delivered is one violation (each (q, m1) pair at most once).
 *    Then VT_q merges the walked entries and marks them dirty for q's
 *    next send.
 *  - Own msgs are judged alike: q owes its own group msgs to itself.
 * Complexity: a send costs O(|delta|), the entries changed since the
 * sender's previous send in d (<= nodes, usually the senders delivered
 * since); a deliver costs O(deltas walked) + O(prefix advanced), each
 * amortized: merged(q, s) and ok(q, k) only move forward, so over a run
 * each (q, s) walks s's deltas once and each (q, k) scans k's sends once
 * (one hash probe each, chk_delivered). When q delivers every msg of s
 * (one group per domain) the walk is just m2's delta. Not O(nodes) per
 * event except for nodes that deliver all senders between two own sends.
 * Memory: one clock of 16 bytes per node id per (node, domain) that sends
 * or delivers in it, plus 8 bytes per delta entry.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "chk_internal.h"

struct cz_ent {
    uint32_t seen;   /* VT_q[k] */
    uint32_t ok;     /* prefix of k's sends q owes that are judged */
    uint32_t merged; /* highest number of k's sends whose VT q merged */
    uint32_t dirty;  /* changed since q's last send: in the dirty list */
};

struct cz_clock { /* one node in one domain */
    struct cz_ent *ent;
    size_t n_ent;
    uint32_t *dirty;
    size_t n_dirty, dirty_cap;
    uint32_t *sent; /* its causal sends in the domain, by number - 1 */
    size_t n_sent, sent_cap;
};

struct cz_msg {
    uint32_t dom, num; /* num 0: not judged (fifo, or a second send of the id) */
    uint32_t n_delta;
    size_t delta;
};

struct cz_dent {
    uint32_t k, val;
};

struct cz_last {
    uint32_t dom, clock; /* clock index + 1, 0 = none */
};

struct cz_st {
    struct cz_msg *mv; /* by msg id */
    size_t mv_cap;
    struct cz_dent *dl;
    size_t n_dl, dl_cap;
    struct chk_map clock_map; /* (node, domain) -> index into clocks */
    struct cz_last *last;     /* by node id: its last used clock (saves a probe) */
    size_t last_cap;
    struct cz_clock *clocks;
    size_t n_clocks, clocks_cap;
};

static void *cz_init(struct chk *c)
{
    (void)c;
    return calloc(1, sizeof(struct cz_st));
}

static void cz_fini(void *st)
{
    struct cz_st *s = st;
    for (size_t i = 0; i < s->n_clocks; i++) {
        free(s->clocks[i].ent);
        free(s->clocks[i].dirty);
        free(s->clocks[i].sent);
    }
    free(s->clocks);
    chk_map_free(&s->clock_map);
    free(s->last);
    free(s->mv);
    free(s->dl);
    free(s);
}

/* Finds the clock index of (node, dom), creating it when `make`; CHK_NONE if absent or full. */
static uint32_t cz_clock_index(struct cz_st *s, uint32_t node, uint32_t dom, bool make)
{
    if (node < s->last_cap && s->last[node].clock && s->last[node].dom == dom)
        return s->last[node].clock - 1;
    bool created = false;
    uint64_t *at = make ? chk_map_upsert(&s->clock_map, node, dom, s->n_clocks, &created)
                        : chk_map_get(&s->clock_map, node, dom);
    if (!at)
        return CHK_NONE;
    if (created) {
        if (!chk_vec_reserve((void **)&s->clocks, &s->clocks_cap, s->n_clocks + 1,
                             sizeof *s->clocks))
            return CHK_NONE;
        memset(&s->clocks[s->n_clocks++], 0, sizeof *s->clocks);
    }
    size_t old = s->last_cap;
    if (chk_vec_reserve((void **)&s->last, &s->last_cap, (size_t)node + 1, sizeof *s->last)) {
        memset(&s->last[old], 0, (s->last_cap - old) * sizeof *s->last);
        s->last[node] = (struct cz_last){.dom = dom, .clock = (uint32_t)*at + 1};
    }
    return (uint32_t)*at;
}

/* The clock of (node, dom), created when `make`; its entries then cover every node id. */
static struct cz_clock *cz_clock(struct chk *c, struct cz_st *s, uint32_t node, uint32_t dom,
                                 bool make)
{
    uint32_t i = cz_clock_index(s, node, dom, make);
    if (i == CHK_NONE)
        return NULL;
    struct cz_clock *k = &s->clocks[i];
    size_t old = k->n_ent, cap = old;
    if (make && old < c->nodes.n) {
        if (!chk_vec_reserve((void **)&k->ent, &cap, c->nodes.n, sizeof *k->ent))
            return NULL;
        memset(&k->ent[old], 0, (cap - old) * sizeof *k->ent);
        k->n_ent = cap;
    }
    return k;
}

/* A causal send: numbers it and stores its delta. */
static bool cz_send(struct chk *c, struct cz_st *s, const struct chk_cur *cur)
{
    if (cur->m)
        return true; /* a second send of one msg id: the first one stands */
    if (!chk_vec_reserve((void **)&s->mv, &s->mv_cap, (size_t)cur->msg + 1, sizeof *s->mv))
        return false;
    s->mv[cur->msg] = (struct cz_msg){0};
    if (cur->order == c->order_fifo)
        return true;
    uint32_t dom = chk_domain_of(c, cur);
    struct cz_clock *k = dom == CHK_NONE ? NULL : cz_clock(c, s, cur->node, dom, true);
    if (!k || !chk_vec_reserve((void **)&k->sent, &k->sent_cap, k->n_sent + 1, sizeof *k->sent) ||
        !chk_vec_reserve((void **)&s->dl, &s->dl_cap, s->n_dl + k->n_dirty + 1, sizeof *s->dl))
        return false;
    k->sent[k->n_sent++] = cur->msg;
    uint32_t num = (uint32_t)k->n_sent;
    struct cz_msg *m = &s->mv[cur->msg];
    *m = (struct cz_msg){.dom = dom, .num = num, .delta = s->n_dl};
    for (size_t i = 0; i < k->n_dirty; i++) {
        struct cz_ent *e = &k->ent[k->dirty[i]];
        e->dirty = 0;
        s->dl[s->n_dl++] = (struct cz_dent){.k = k->dirty[i], .val = e->seen};
    }
    k->n_dirty = 0;
    s->dl[s->n_dl++] = (struct cz_dent){.k = cur->node, .val = num};
    k->ent[cur->node].seen = num;
    m->n_delta = (uint32_t)(s->n_dl - m->delta);
    return true;
}

/* Whether q owes msg: a member of the reference view it was sent in, or its p2p `to`. */
static bool cz_owed(const struct chk *c, uint32_t q, uint32_t msg, const struct chk_view **w,
                    const struct chk_msg **wm)
{
    const struct chk_msg *m = &c->msgv[msg];
    if (m->group == CHK_NONE)
        return m->to == q;
    if (!*wm || (*wm)->group != m->group || (*wm)->view != m->view ||
        (*wm)->sender_view != m->sender_view || (*wm)->by_member != m->by_member ||
        (*wm)->dl_view != m->dl_view) {
        *w = chk_msg_view(c, m);
        *wm = m;
    }
    return *w && chk_view_has(c, *w, q);
}

static void cz_report(struct chk *c, const struct chk_cur *cur, uint32_t m1)
{
    const struct chk_event *e = cur->e;
    const char *name = chk_msg_name(c, m1);
    struct chk_vio *v = chk_violation(c, CHK_R_CAUSAL,
                                      "%s delivered %s before %s, whose send happened before "
                                      "the send of %s",
                                      e->node, e->msg, name, e->msg);
    chk_vio_send(c, v, m1);
    chk_vio_send(c, v, cur->msg);
    chk_vio_event(v, e);
}

/* Judges k's sends numbered ok+1..need that q owes: each must be delivered already. */
static void cz_advance(struct chk *c, struct cz_st *s, const struct chk_cur *cur, uint32_t k,
                       uint32_t dom, struct cz_ent *e, uint32_t need)
{
    const struct cz_clock *kc = cz_clock(c, s, k, dom, false);
    const struct chk_view *w = NULL;
    const struct chk_msg *wm = NULL;
    assert(kc && need <= kc->n_sent); /* values in deltas count k's sends in dom */
    for (uint32_t n = e->ok + 1; n <= need; n++) {
        if (n == e->merged)
            continue; /* q delivered k's n-th send: it merged it */
        uint32_t m1 = kc->sent[n - 1];
        if (cz_owed(c, cur->node, m1, &w, &wm) && !chk_delivered(c, cur->node, m1))
            cz_report(c, cur, m1);
    }
    e->ok = need;
}

/* A causal deliver of s's num-th send m2 at q: see the module comment. */
static bool cz_deliver(struct chk *c, struct cz_st *s, const struct chk_cur *cur)
{
    if (!cur->m || cur->first_delivery || cur->msg >= s->mv_cap || !s->mv[cur->msg].num)
        return true;
    const struct cz_msg m2 = s->mv[cur->msg];
    uint32_t sender = cur->m->sender;
    struct cz_clock *q = cz_clock(c, s, cur->node, m2.dom, true);
    if (!q)
        return false;
    const struct cz_clock *sc = cz_clock(c, s, sender, m2.dom, false);
    assert(sc && sc->n_sent >= m2.num && sc->sent[m2.num - 1] == cur->msg);
    struct cz_ent *es = &q->ent[sender];
    for (uint32_t j = m2.num; j > es->merged; j--) {
        const struct cz_msg *mj = &s->mv[sc->sent[j - 1]];
        for (uint32_t i = 0; i < mj->n_delta; i++) {
            struct cz_dent d = s->dl[mj->delta + i];
            assert(d.k < q->n_ent && d.val > 0);
            struct cz_ent *e = &q->ent[d.k];
            uint32_t need = d.k == sender && d.val >= m2.num ? m2.num - 1 : d.val;
            if (need > e->ok)
                cz_advance(c, s, cur, d.k, m2.dom, e, need);
            if (d.val > e->seen) {
                e->seen = d.val;
                if (!e->dirty && d.k != cur->node) {
                    if (!chk_vec_reserve((void **)&q->dirty, &q->dirty_cap, q->n_dirty + 1,
                                         sizeof *q->dirty))
                        return false;
                    e->dirty = 1;
                    q->dirty[q->n_dirty++] = d.k;
                }
            }
        }
    }
    if (m2.num > es->merged)
        es->merged = m2.num;
    return true;
}

static void cz_on_event(struct chk *c, void *st, const struct chk_cur *cur)
{
    bool ok = true;
    switch (cur->e->ev) {
    case CHK_EV_SEND:
        ok = cz_send(c, st, cur);
        break;
    case CHK_EV_DELIVER:
        ok = cz_deliver(c, st, cur);
        break;
    default: /* other events neither send nor deliver */
        break;
    }
    if (!ok)
        chk_set_full(c, "causal-order: a table limit was reached or memory ran out");
}

const struct chk_module chk_mod_causal = {
    .rule = CHK_R_CAUSAL,
    .init = cz_init,
    .fini = cz_fini,
    .on_event = cz_on_event,
};
