/* core/group/pg_domain.c: causality domains, causality across groups and p2p
 * cbcast (paper sections 3.2 and 4; the multiple-group extension of [BSS91]).
 * The protocol is described at set_dflt_domain in pg.h; see also
 * pg_domain.h.
 *
 * Owns: per domain, the timestamp records this node knows (a chained hash
 * by key, and a list ordered by the epoch of their last change, newest
 * first, so that building a DATA message walks only the records changed
 * since the group's previous one); the groups waiting for a record; the p2p
 * messages received and not yet deliverable; the p2p counters per peer; the
 * index gid -> group slot that makes pg_group_find O(1).
 *
 * Record format on the wire: see pg_dom_valid in pg.h.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "pg_domain.h"

enum { DK_GROUP = PGW_DK_GROUP, DK_P2P = PGW_DK_P2P }; /* record kinds (pg_wire.h) */

/* Whether a record is satisfied here: yes, not yet, or never (it names a
 * message of a group this node left as failed that it may lack). */
enum rec_verdict { REC_OK, REC_WAIT, REC_NEVER };

struct pg_drec {
    uint8_t kind;
    uint32_t a, b;               /* group: gid, 0; p2p: sender, receiver */
    uint32_t view;               /* group: view id; p2p: 0 */
    uint32_t n, cap;             /* entries: group: view size; p2p: 1 */
    uint32_t *val;               /* group: messages per rank; p2p: messages sent */
    uint64_t *ep;                /* epoch of each entry's last change */
    uint64_t top;                /* epoch of the record's last change (its view change included) */
    struct pg_drec *prev, *next; /* the domain's list, by top, newest first */
    struct pg_drec *hnext;       /* hash chain */
};

struct pg_domain {
    uint32_t did;
    uint64_t epoch; /* bumped by every change of a record */
    struct pg_drec *head, *tail;
    struct pg_drec **hash; /* hcap buckets, hcap a power of two */
    uint32_t hcap, n_recs;
};

struct pg_p2pm {
    pg_node_id from;
    uint32_t did, seq, dep_len, len;
    uint8_t *buf; /* dep then payload */
    int64_t arrived_ns;
    bool delayed;
};

struct pg_peer {
    pg_node_id id;
    uint32_t sent, delivered; /* p2p messages to it / delivered from it */
};

struct pg_dstate {
    struct pg_domain *doms;
    uint32_t n_doms;
    struct pg_group **wait; /* groups with a message waiting for a record (max_groups) */
    uint32_t n_wait;
    struct pg_p2pm *pend; /* max_p2p */
    uint32_t n_pend;
    struct pg_peer *peers; /* max_p2p_peers */
    uint32_t n_peers;
    pg_p2p_fn fn;
    void *ctx;
    uint32_t *bucket, *chain; /* group index: bucket[h] = slot + 1, chain[slot] = next + 1 */
    uint32_t bmask;
};

/* ---- lifecycle and the group index ---- */

bool pg_dom_new(struct pg *pg)
{
    assert(pg->dom == NULL);
    assert(pg->cfg.max_groups > 0);
    const struct pg_config *c = &pg->cfg;
    struct pg_dstate *d = calloc(1, sizeof *d);
    if (!d)
        return false;
    pg->dom = d;
    uint32_t nb = 1;
    while (nb < c->max_groups)
        nb <<= 1;
    d->bmask = nb - 1;
    d->bucket = calloc(nb, sizeof *d->bucket);
    d->chain = calloc(c->max_groups, sizeof *d->chain);
    d->doms = calloc(c->max_domains, sizeof *d->doms);
    d->wait = calloc(c->max_groups, sizeof *d->wait);
    d->pend = calloc(c->max_p2p, sizeof *d->pend);
    d->peers = calloc(c->max_p2p_peers, sizeof *d->peers);
    return d->bucket && d->chain && d->doms && d->wait && d->pend && d->peers;
}

static void rec_free(struct pg_drec *r)
{
    free(r->val);
    free(r->ep);
    free(r);
}

void pg_dom_free(struct pg *pg)
{
    struct pg_dstate *d = pg->dom;
    if (!d)
        return;
    for (uint32_t i = 0; d->doms && i < d->n_doms; i++) {
        for (struct pg_drec *r = d->doms[i].head, *nx; r; r = nx) {
            nx = r->next;
            rec_free(r);
        }
        free(d->doms[i].hash);
    }
    for (uint32_t i = 0; d->pend && i < d->n_pend; i++)
        free(d->pend[i].buf);
    free(d->doms);
    free(d->wait);
    free(d->pend);
    free(d->peers);
    free(d->bucket);
    free(d->chain);
    free(d);
    pg->dom = NULL;
}

static uint32_t hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    return x ^ (x >> 16);
}

struct pg_group *pg_group_find(const struct pg *pg, pg_gid gid)
{
    const struct pg_dstate *d = pg->dom;
    for (uint32_t s = d->bucket[hash32(gid) & d->bmask]; s; s = d->chain[s - 1]) {
        struct pg_group *g = &pg->groups[s - 1];
        assert(g->st != PG_GS_FREE);
        if (g->gid == gid)
            return g;
    }
    return NULL;
}

/* Precondition: g is a slot of pg->groups, not yet indexed, with its gid set. */
bool pg_dom_index_add(struct pg *pg, struct pg_group *g)
{
    struct pg_dstate *d = pg->dom;
    uint32_t slot = (uint32_t)(g - pg->groups), h = hash32(g->gid) & d->bmask;
    assert(slot < pg->cfg.max_groups);
    assert(!pg_group_find(pg, g->gid));
    d->chain[slot] = d->bucket[h];
    d->bucket[h] = slot + 1;
    return true;
}

/* Removes g from the index (its slot is being released). */
void pg_dom_index_del(struct pg *pg, struct pg_group *g);
void pg_dom_index_del(struct pg *pg, struct pg_group *g)
{
    assert(g >= pg->groups);
    assert((uint32_t)(g - pg->groups) < pg->cfg.max_groups);
    struct pg_dstate *d = pg->dom;
    uint32_t slot = (uint32_t)(g - pg->groups);
    for (uint32_t *at = &d->bucket[hash32(g->gid) & d->bmask]; *at; at = &d->chain[*at - 1]) {
        if (*at == slot + 1) {
            *at = d->chain[slot];
            d->chain[slot] = 0;
            return;
        }
    }
}

/* ---- domains and records ---- */

static struct pg_domain *dom_get(struct pg *pg, uint32_t did, bool make)
{
    struct pg_dstate *d = pg->dom;
    for (uint32_t i = 0; i < d->n_doms; i++)
        if (d->doms[i].did == did)
            return &d->doms[i];
    if (!make || d->n_doms == pg->cfg.max_domains)
        return NULL;
    assert(d->n_doms < pg->cfg.max_domains); /* the slow path: a new domain */
    assert(d->doms != NULL);
    struct pg_domain *dm = &d->doms[d->n_doms];
    memset(dm, 0, sizeof *dm);
    dm->did = did;
    dm->hcap = 16;
    dm->hash = calloc(dm->hcap, sizeof *dm->hash);
    if (!dm->hash)
        return NULL;
    d->n_doms++;
    return dm;
}

static uint32_t rec_hash(uint8_t kind, uint32_t a, uint32_t b)
{
    return hash32(a * 31u + b * 0x9e3779b9u + kind);
}

static struct pg_drec *rec_find(const struct pg_domain *dm, uint8_t kind, uint32_t a, uint32_t b)
{
    assert(dm->hcap > 0);
    assert((dm->hcap & (dm->hcap - 1)) == 0); /* a power of two */
    for (struct pg_drec *r = dm->hash[rec_hash(kind, a, b) & (dm->hcap - 1)]; r; r = r->hnext)
        if (r->kind == kind && r->a == a && r->b == b)
            return r;
    return NULL;
}

static bool hash_grow(struct pg_domain *dm)
{
    assert(dm->hcap > 0);
    assert(dm->hcap * 2 > dm->hcap); /* no overflow */
    uint32_t cap = dm->hcap * 2;
    struct pg_drec **h = calloc(cap, sizeof *h);
    if (!h)
        return false;
    for (struct pg_drec *r = dm->head; r; r = r->next) {
        uint32_t i = rec_hash(r->kind, r->a, r->b) & (cap - 1);
        r->hnext = h[i];
        h[i] = r;
    }
    free(dm->hash);
    dm->hash = h;
    dm->hcap = cap;
    return true;
}

/* Moves r to the head of the list with a new epoch. */
static uint64_t rec_touch(struct pg_domain *dm, struct pg_drec *r)
{
    r->top = ++dm->epoch;
    assert(r->top != 0);
    if (dm->head == r)
        return r->top;
    if (r->prev)
        r->prev->next = r->next;
    if (r->next)
        r->next->prev = r->prev;
    if (dm->tail == r)
        dm->tail = r->prev;
    r->prev = NULL;
    r->next = dm->head;
    if (dm->head)
        dm->head->prev = r;
    dm->head = r;
    if (!dm->tail)
        dm->tail = r;
    return r->top;
}

/* Extends r to n entries (new ones zero), keeping its values. */
/* Makes room for n entries in r's arrays (contents kept). */
static bool rec_reserve(struct pg_drec *r, uint32_t n)
{
    if (n <= r->cap)
        return true;
    uint32_t *v = realloc(r->val, n * sizeof *v);
    if (v)
        r->val = v;
    uint64_t *e = realloc(r->ep, n * sizeof *e);
    if (e)
        r->ep = e;
    if (!v || !e)
        return false;
    r->cap = n;
    assert(r->n <= r->cap);
    return true;
}

static bool rec_grow(struct pg_drec *r, uint32_t n)
{
    assert(r->n <= r->cap);
    if (n <= r->n)
        return true;
    if (!rec_reserve(r, n))
        return false;
    memset(r->val + r->n, 0, (n - r->n) * sizeof *r->val);
    memset(r->ep + r->n, 0, (n - r->n) * sizeof *r->ep);
    r->n = n;
    assert(r->n <= r->cap);
    return true;
}

/* Resizes r to n zero entries of view `view`. */
static bool rec_reset(struct pg_drec *r, uint32_t view, uint32_t n)
{
    assert(r->n <= r->cap);
    if (!rec_reserve(r, n))
        return false;
    r->view = view;
    r->n = n;
    memset(r->val, 0, n * sizeof *r->val);
    memset(r->ep, 0, n * sizeof *r->ep);
    return true;
}

static struct pg_drec *rec_get(const struct pg *pg, struct pg_domain *dm, uint8_t kind, uint32_t a,
                               uint32_t b)
{
    struct pg_drec *r = rec_find(dm, kind, a, b);
    if (r)
        return r;
    if (dm->n_recs >= pg->cfg.max_dom_records)
        return NULL;
    if (dm->n_recs >= dm->hcap && !hash_grow(dm))
        return NULL;
    r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    assert(dm->head != NULL || dm->tail == NULL); /* the domain's list */
    assert(dm->n_recs < pg->cfg.max_dom_records);
    *r = (struct pg_drec){.kind = kind, .a = a, .b = b};
    if (!rec_reset(r, 0, 1)) {
        rec_free(r);
        return NULL;
    }
    uint32_t i = rec_hash(kind, a, b) & (dm->hcap - 1);
    r->hnext = dm->hash[i];
    dm->hash[i] = r;
    dm->n_recs++;
    r->prev = dm->tail; /* top 0: the list's end (it is ordered by top, newest first) */
    if (dm->tail)
        dm->tail->next = r;
    dm->tail = r;
    if (!dm->head)
        dm->head = r;
    return r;
}

bool pg_dom_reserve(struct pg *pg, uint32_t did, pg_gid gid)
{
    struct pg_domain *dm = dom_get(pg, did, true);
    return dm && rec_get(pg, dm, DK_GROUP, gid, 0);
}

void pg_dom_on_view(struct pg *pg, struct pg_group *g)
{
    assert(g->st == PG_GS_MEMBER);
    assert(g->view.n_members >= 1);
    g->dom_base = 0; /* the first DATA of a view carries every record */
    struct pg_domain *dm = dom_get(pg, g->domain, true);
    struct pg_drec *r = dm ? rec_get(pg, dm, DK_GROUP, g->gid, 0) : NULL;
    if (!r || !rec_reset(r, g->view.view_id, g->view.n_members)) {
        g->drec = NULL;
        pg->stats.dom_full++;
        pg_view_exclude(pg, g, "causality domain table full");
        return;
    }
    g->drec = r;
    rec_touch(dm, r); /* the view change itself is news: (gid, v) with no entries */
}

void pg_dom_note(struct pg *pg, struct pg_group *g, uint32_t k, uint32_t v)
{
    struct pg_drec *r = g->drec;
    assert(r);
    assert(r->view == g->view.view_id);
    assert(k < r->n);
    if (v <= r->val[k])
        return;
    struct pg_domain *dm = dom_get(pg, g->domain, false);
    assert(dm);
    r->val[k] = v;
    r->ep[k] = rec_touch(dm, r);
}

/* ---- building ---- */

static void put_rec(struct pgw_out *w, const struct pg_drec *r, uint64_t base)
{
    pgw_out_u8(w, r->kind);
    pgw_out_var(w, r->a);
    if (r->kind == DK_P2P) {
        pgw_out_var(w, r->b);
        pgw_out_var(w, r->val[0]);
        return;
    }
    pgw_out_var(w, r->view);
    uint32_t n = 0;
    for (uint32_t k = 0; k < r->n; k++)
        n += r->val[k] > 0 && r->ep[k] > base;
    pgw_out_var(w, n);
    for (uint32_t k = 0; k < r->n; k++) {
        if (r->val[k] > 0 && r->ep[k] > base) {
            pgw_out_u8(w, k);
            pgw_out_var(w, r->val[k]);
        }
    }
}

/* Writes the records of dm changed after `base`, except `skip`. */
static size_t put_recs(const struct pg_domain *dm, const struct pg_drec *skip, uint64_t base,
                       uint8_t *buf, size_t cap)
{
    uint32_t n = 0;
    for (const struct pg_drec *r = dm ? dm->head : NULL; r && r->top > base; r = r->next)
        n += r != skip && !(r->kind == DK_P2P && r->val[0] == 0);
    if (n == 0)
        return 0;
    struct pgw_out w = {.p = buf, .cap = cap, .ok = true};
    pgw_out_var(&w, n);
    for (const struct pg_drec *r = dm->head; r && r->top > base; r = r->next)
        if (r != skip && !(r->kind == DK_P2P && r->val[0] == 0))
            put_rec(&w, r, base);
    assert(!w.ok || pg_dom_valid(buf, w.len));
    return w.ok ? w.len : SIZE_MAX;
}

size_t pg_dom_build(struct pg *pg, struct pg_group *g, uint8_t *buf, size_t cap, uint64_t *epoch)
{
    assert(g->st == PG_GS_MEMBER);
    assert(cap <= PHYS_MAX_PAYLOAD);
    struct pg_domain *dm = dom_get(pg, g->domain, false);
    *epoch = dm ? dm->epoch : 0;
    return put_recs(dm, g->drec, g->dom_base, buf, cap);
}

void pg_dom_sent(struct pg *pg, struct pg_group *g, uint64_t epoch)
{
    assert(epoch >= g->dom_base);
    assert(!pg->dom->n_doms || dom_get(pg, g->domain, false) || epoch == 0);
    g->dom_base = epoch;
}

/* ---- the delivery rule ---- */

static struct pg_peer *peer_get(struct pg *pg, pg_node_id id, bool make)
{
    struct pg_dstate *d = pg->dom;
    for (uint32_t i = 0; i < d->n_peers; i++)
        if (d->peers[i].id == id)
            return &d->peers[i];
    if (!make || d->n_peers == pg->cfg.max_p2p_peers)
        return NULL;
    d->peers[d->n_peers] = (struct pg_peer){.id = id};
    return &d->peers[d->n_peers++];
}

static bool p2p_held(const struct pg *pg, pg_node_id from, uint32_t seq)
{
    const struct pg_dstate *d = pg->dom;
    for (uint32_t i = 0; i < d->n_pend; i++)
        if (d->pend[i].from == from && d->pend[i].seq == seq)
            return true;
    return false;
}

static void note_lost(struct pg *pg, pg_gid gid)
{
    pg_sometimes(pg, gid, PG_ST_DOM_LOST, "cross-group timestamp entry lost with its holders");
}

/* Whether entry k of G (view of the record) reaching value v is satisfied at
 * this node, G being a member group in that very view. Once G's flush
 * committed, every message of the view a survivor holds is here: one that is
 * not was lost with every process that held it (the paper's stability
 * limit, section 3.2), and the message that names it can never be delivered
 * here in causal order (TRACE.md rule 6). */
static enum rec_verdict entry_ok(struct pg *pg, const struct pg_group *G, uint32_t k, uint32_t v)
{
    if (k >= G->view.n_members || G->cb.vt[k] >= v || (k == G->my_rank && G->cb.my_seq >= v))
        return REC_OK;
    if (!G->vw.committed)
        return REC_WAIT;
    for (const struct pg_msg *m = G->cb.cur.head[k]; m; m = m->next)
        if (m->seq == G->cb.vt[k] + 1)
            return REC_WAIT; /* held: G's install delivers or discards it */
    note_lost(pg, G->gid);
    return REC_NEVER;
}

/* A record naming view x->view of G, which this node left by installing a
 * later one. The flush of that view delivered here every message of it that
 * a survivor held; one it did not deliver was lost with every holder (the
 * paper's stability limit), and the message that names it can never be
 * delivered here in causal order. Views older than the PG_FIN_VIEWS kept, or
 * before this node joined, are taken as satisfied. */
static enum rec_verdict rec_past_view(struct pg *pg, const struct pg_group *G,
                                      const struct pgw_drec *x)
{
    for (uint32_t i = 0; i < PG_FIN_VIEWS; i++) {
        const struct pg_fin *f = &G->cb.fin[i];
        if (f->view != x->view || f->n == 0)
            continue;
        for (uint32_t e = 0; e < x->n; e++) {
            if (x->rank[e] < f->n && f->vt[x->rank[e]] < x->val[e]) {
                note_lost(pg, G->gid);
                return REC_NEVER;
            }
        }
        return REC_OK;
    }
    return REC_OK;
}

/* A record about G, a group this node is no longer in (EXCLUDED). A member
 * that left at its request took part in the last flush: it delivered every
 * message of its last view that a survivor delivered, so it owes nothing of
 * later views (as a member whose flush committed). One excluded as failed
 * left without that flush: it owes the messages of its last view it did not
 * deliver, and may lack some of that view's messages that a later view of
 * G implies (TRACE.md rule 6 makes no exemption for an excluded member), so
 * such a record can never be satisfied here. */
static enum rec_verdict rec_after_exit(struct pg *pg, const struct pg_group *G,
                                       const struct pgw_drec *x)
{
    assert(G->st == PG_GS_EXCLUDED);
    if (G->view.view_id == 0)
        return REC_OK; /* never a member */
    if (x->view < G->view.view_id)
        return rec_past_view(pg, G, x);
    if (x->view > G->view.view_id)
        return G->vw.left_clean ? REC_OK : REC_NEVER;
    for (uint32_t i = 0; i < x->n; i++) { /* what its application got: it gets no more */
        uint32_t k = x->rank[i], v = x->val[i];
        if (k < G->view.n_members && k < pg_ab_n(G) && pg_ab_app_count(G, k) < v)
            return REC_NEVER; /* (a client's cached view has no abcast state: k >= n) */
    }
    return REC_OK;
}

/* Whether record x (domain did) is satisfied at this node. */
static enum rec_verdict rec_ok(struct pg *pg, uint32_t did, const struct pgw_drec *x)
{
    if (x->kind == DK_P2P) {
        if (x->b != pg->self)
            return REC_OK; /* owed by its receiver only */
        struct pg_peer *p = peer_get(pg, x->a, false);
        if (p && p->delivered >= x->val[0])
            return REC_OK;
        if (phys_is_faulty(pg->ph, x->a) && !p2p_held(pg, x->a, p ? p->delivered + 1 : 1)) {
            note_lost(pg, 0); /* lost with its sender: never deliverable here in causal order */
            return REC_NEVER;
        }
        return REC_WAIT;
    }
    const struct pg_group *G = pg_group_find(pg, x->a);
    if (!G || G->domain != did)
        return REC_OK;
    if (G->st == PG_GS_EXCLUDED)
        return rec_after_exit(pg, G, x);
    if (G->st == PG_GS_JOINING) /* it will owe the messages of its join view and later */
        return G->vw.dec.key != 0 && x->view <= G->view.view_id ? REC_OK : REC_WAIT;
    if (G->st != PG_GS_MEMBER)
        return REC_OK; /* a client: it owes nothing */
    if (G->view.view_id < x->view)
        return REC_WAIT;
    if (G->view.view_id > x->view)
        return rec_past_view(pg, G, x);
    enum rec_verdict worst = REC_OK;
    for (uint32_t i = 0; i < x->n && worst != REC_NEVER; i++) {
        enum rec_verdict v = entry_ok(pg, G, x->rank[i], x->val[i]);
        worst = v > worst ? v : worst;
    }
    return worst;
}

static enum rec_verdict recs_ok(struct pg *pg, uint32_t did, const uint8_t *dep, size_t len)
{
    if (len == 0)
        return REC_OK;
    struct pgw_in r = {.p = dep, .len = len, .ok = true};
    uint32_t n = pgw_in_var32(&r);
    struct pgw_drec x;
    enum rec_verdict worst = REC_OK;
    for (uint32_t i = 0; i < n && worst != REC_NEVER; i++) {
        bool ok = pgw_drec_decode(&r, &x);
        assert(ok); /* validated when decoded */
        enum rec_verdict v = rec_ok(pg, did, &x);
        worst = v > worst ? v : worst;
    }
    return worst;
}

static void wait_add(struct pg *pg, struct pg_group *g)
{
    struct pg_dstate *d = pg->dom;
    if (g->dom_wait)
        return;
    assert(d->n_wait < pg->cfg.max_groups);
    g->dom_wait = true;
    d->wait[d->n_wait++] = g;
}

static void count_delay(struct pg *pg, pg_gid gid)
{
    pg->stats.dom_delayed++;
    pg_sometimes(pg, gid, PG_ST_DOM_DELAYED, "delayed by a cross-group timestamp");
}

bool pg_dom_ready(struct pg *pg, struct pg_group *g, struct pg_msg *m)
{
    assert(m->dep_len > 0); /* cbcast asks only then */
    assert(g->st == PG_GS_MEMBER);
    enum rec_verdict v = recs_ok(pg, g->domain, m->dep, m->dep_len);
    if (v == REC_OK)
        return true;
    if (v == REC_NEVER) { /* g's members deliver m; this node never can: it leaves g as failed */
        pg_sometimes(pg, g->gid, PG_ST_DOM_NEVER,
                     "a message depends on one of a group this node was excluded from");
        pg_view_exclude(pg, g, "a message of it depends on one this node can no longer get");
        return false;
    }
    wait_add(pg, g);
    if (!m->dom_delayed) {
        m->dom_delayed = true;
        m->dom_since_ns = pg_now(pg);
        count_delay(pg, g->gid);
    }
    return false;
}

/* ---- merging ---- */

static bool merge_rec(struct pg *pg, struct pg_domain *dm, const struct pgw_drec *x)
{
    if (x->kind == DK_P2P && x->b == pg->self)
        return true; /* delivered (or lost) here already */
    if (x->kind == DK_GROUP) {
        const struct pg_group *G = pg_group_find(pg, x->a);
        if (G && G->st == PG_GS_MEMBER && G->domain == dm->did && G->drec)
            return true; /* my own record dominates it (the delivery rule held) */
    }
    struct pg_drec *r = rec_get(pg, dm, x->kind, x->a, x->b);
    if (!r)
        return false;
    if (x->kind == DK_GROUP && x->view < r->view)
        return true; /* older view: implied */
    if (x->kind == DK_GROUP && x->view > r->view) {
        if (!rec_reset(r, x->view, 0))
            return false;
        rec_touch(dm, r); /* the view change is news even without entries */
    }
    if (x->n > 0 && !rec_grow(r, (uint32_t)x->rank[x->n - 1] + 1u))
        return false;
    bool changed = false;
    for (uint32_t i = 0; i < x->n; i++) {
        uint32_t k = x->rank[i];
        if (k < r->n && x->val[i] > r->val[k]) {
            r->val[k] = x->val[i];
            r->ep[k] = dm->epoch + 1;
            changed = true;
        }
    }
    if (changed)
        rec_touch(dm, r);
    return true;
}

static bool merge_recs(struct pg *pg, uint32_t did, const uint8_t *dep, size_t len)
{
    if (len == 0)
        return true;
    struct pg_domain *dm = dom_get(pg, did, true);
    if (!dm)
        return false;
    struct pgw_in r = {.p = dep, .len = len, .ok = true};
    uint32_t n = pgw_in_var32(&r);
    struct pgw_drec x;
    for (uint32_t i = 0; i < n; i++) {
        bool ok = pgw_drec_decode(&r, &x);
        assert(ok);
        if (!merge_rec(pg, dm, &x))
            return false;
    }
    return true;
}

bool pg_dom_merge_msg(struct pg *pg, struct pg_group *g, const struct pg_msg *m)
{
    assert(m->dep_len == 0 || m->dep != NULL);
    if (merge_recs(pg, g->domain, m->dep, m->dep_len))
        return true;
    pg->stats.dom_full++;
    return false;
}

/* ---- waiting groups ---- */

bool pg_dom_hold_install(struct pg *pg, struct pg_group *g)
{
    assert(g->st == PG_GS_MEMBER);
    assert(g->vw.committed); /* try_install */
    if (!pg_cb_dom_blocked(pg, g))
        return false;
    pg->stats.installs_held++;
    pg_sometimes(pg, g->gid, PG_ST_DOM_HELD, "view install postponed by a cross-group timestamp");
    wait_add(pg, g);
    return true;
}

static bool p2p_deliver_all(struct pg *pg);

bool pg_dom_kick(struct pg *pg)
{
    struct pg_dstate *d = pg->dom;
    if (d->n_wait == 0 && d->n_pend == 0)
        return false;
    uint64_t before = pg->stats.delivered + pg->stats.views_installed + pg->stats.p2p_delivered;
    uint32_t n = d->n_wait;
    struct pg_group *batch[64];
    while (n > 0) { /* groups re-added during the pass wait for the next kick */
        uint32_t take = n < 64 ? n : 64;
        memcpy(batch, d->wait, take * sizeof *batch);
        memmove(d->wait, d->wait + take, (d->n_wait - take) * sizeof *d->wait);
        d->n_wait -= take;
        n -= take;
        for (uint32_t i = 0; i < take; i++) {
            struct pg_group *g = batch[i];
            g->dom_wait = false;
            if (g->st != PG_GS_MEMBER)
                continue;
            pg_cb_deliver(pg, g);
            pg_view_retry_install(pg, g);
        }
    }
    p2p_deliver_all(pg);
    return pg->stats.delivered + pg->stats.views_installed + pg->stats.p2p_delivered != before;
}

/* An own message of h that its application has not got yet: held for a
 * flush, or sent but waiting here for its abcast position (or behind one).
 * A send to another group of the domain would follow it in the sender's
 * causal past (TRACE.md rule 6: local order), yet its timestamp would name
 * it only at the pg layer, where it is delivered before its position is
 * known; so a member of both groups could hand the later message to its
 * application first. */
static bool own_pending(const struct pg_group *h)
{
    return h->held.count > 0 || pg_ab_app_count(h, h->my_rank) < h->cb.my_seq;
}

/* Whether h is a group this node was excluded from with own messages that
 * its application never got: sent in its last view (excluded as failed), or
 * accepted for the next view and dropped at the exclusion. Its members owe
 * them (TRACE.md rule 6), so it must not send anything later in the domain,
 * which would follow them. */
static bool own_lost(const struct pg_group *h)
{
    if (h->st != PG_GS_EXCLUDED || h->my_rank >= pg_ab_n(h))
        return false; /* an excluded client owes nothing: it never sent as a member */
    return h->vw.held_lost > 0 || (!h->vw.left_clean && h->view.view_id != 0 &&
                                   pg_ab_app_count(h, h->my_rank) < h->cb.my_seq);
}

bool pg_dom_held_elsewhere(const struct pg *pg, uint32_t did, const struct pg_group *g)
{
    for (uint32_t i = 0; i < pg->cfg.max_groups; i++) {
        const struct pg_group *h = &pg->groups[i];
        if (h == g || h->domain != did)
            continue;
        if ((h->st == PG_GS_MEMBER && own_pending(h)) || own_lost(h))
            return true;
    }
    return false;
}

/* ---- p2p ---- */

void pg_p2p_entry(struct pg *pg, pg_p2p_fn fn, void *ctx)
{
    assert(pg);
    pg->dom->fn = fn;
    pg->dom->ctx = ctx;
}

/* A group of which both this node and `to` are members: the p2p carrier. */
static const struct pg_group *carrier(const struct pg *pg, pg_node_id to)
{
    for (uint32_t i = 0; i < pg->cfg.max_groups; i++) {
        const struct pg_group *g = &pg->groups[i];
        if (g->st == PG_GS_MEMBER && pg_rank_of(g->view.members, g->view.n_members, to) >= 0)
            return g;
    }
    return NULL;
}

static int p2p_send(struct pg *pg, pg_node_id to, const uint8_t *payload, size_t len)
{
    const struct pg_group *c = carrier(pg, to);
    if (!c)
        return PG_E_NOTMEMBER;
    if (pg_dom_held_elsewhere(pg, pg->domain, NULL))
        return PG_E_BUSY; /* it would overtake a message held for a flush */
    struct pg_peer *p = peer_get(pg, to, true);
    struct pg_domain *dm = dom_get(pg, pg->domain, true);
    struct pg_drec *r = dm ? rec_get(pg, dm, DK_P2P, pg->self, to) : NULL;
    if (!p || !r)
        return PG_E_FULL; /* peer table, domain table, or the domain's records */
    uint8_t dep[PHYS_MAX_PAYLOAD], buf[PHYS_MAX_PAYLOAD];
    size_t dl = put_recs(dm, NULL, 0, dep, sizeof dep);
    if (dl == SIZE_MAX)
        return PG_E_TOOBIG;
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_P2P;
    m.view_id = c->view.view_id;
    m.p2p_domain = pg->domain;
    m.p2p_seq = p->sent + 1;
    m.dep = dep;
    m.dep_len = dl;
    m.payload = payload;
    m.len = len;
    size_t n = pg_encode(&m, buf, sizeof buf);
    if (n == 0)
        return PG_E_TOOBIG;
    int rc = phys_send(pg->ph, c->gid, to, buf, n);
    if (rc != PG_OK)
        return rc;
    p->sent++;
    pg->stats.p2p_sent++;
    pg->stats.dom_header_bytes += dl;
    r->val[0] = p->sent;
    r->ep[0] = rec_touch(dm, r);
    return PG_OK;
}

int pg_p2p(struct pg *pg, pg_node_id to, const uint8_t *payload, size_t len, uint64_t *id)
{
    assert(pg);
    assert((payload || len == 0));
    if (to == PG_NODE_NONE || to == pg->self)
        return PG_E_INVAL;
    if (len > pg->cfg.max_payload)
        return PG_E_TOOBIG;
    pg->depth++;
    int rc = p2p_send(pg, to, payload, len);
    pg->depth--;
    if (rc == PG_OK && id)
        *id = ++pg->next_cbid;
    return rc;
}

/* Delivers pending p2p messages that are next from their sender and whose
 * records are satisfied; true if any was delivered. */
static bool p2p_deliver_all(struct pg *pg)
{
    struct pg_dstate *d = pg->dom;
    bool any = false, progress = true;
    while (progress) {
        progress = false;
        for (uint32_t i = 0; i < d->n_pend; i++) {
            struct pg_p2pm *pm = &d->pend[i];
            struct pg_peer *p = peer_get(pg, pm->from, false);
            assert(p);
            if (pm->seq != p->delivered + 1)
                continue;
            if (recs_ok(pg, pm->did, pm->buf, pm->dep_len) != REC_OK) { /* never: blocks */
                if (!pm->delayed) {
                    pm->delayed = true;
                    pm->arrived_ns = pg_now(pg);
                    count_delay(pg, 0);
                }
                continue;
            }
            if (!merge_recs(pg, pm->did, pm->buf, pm->dep_len)) {
                pg->stats.dom_full++; /* delivered: later sends cannot carry its past */
            }
            struct pg_p2pm x = *pm;
            d->pend[i] = d->pend[--d->n_pend];
            p->delivered++;
            pg->stats.p2p_delivered++;
            if (x.delayed) {
                uint64_t w = (uint64_t)(pg_now(pg) - x.arrived_ns);
                pg->stats.dom_delayed_ns += w;
                if (w > pg->stats.dom_delayed_max_ns)
                    pg->stats.dom_delayed_max_ns = w;
            }
            if (d->fn)
                d->fn(d->ctx, x.from, x.did, x.buf + x.dep_len, x.len);
            free(x.buf);
            any = progress = true;
            break; /* the upcall may have changed the table */
        }
    }
    return any;
}

void pg_dom_on_p2p(struct pg *pg, pg_node_id from, const struct pg_wmsg *m)
{
    struct pg_dstate *d = pg->dom;
    struct pg_peer *p = peer_get(pg, from, true);
    if (!p || d->n_pend == pg->cfg.max_p2p) {
        pg->stats.p2p_dropped++;
        return;
    }
    if (m->p2p_seq <= p->delivered || p2p_held(pg, from, m->p2p_seq))
        return; /* a duplicate */
    uint8_t *buf = malloc(m->dep_len + m->len + 1);
    if (!buf) {
        pg->stats.p2p_dropped++;
        return;
    }
    if (m->dep_len)
        memcpy(buf, m->dep, m->dep_len);
    if (m->len)
        memcpy(buf + m->dep_len, m->payload, m->len);
    d->pend[d->n_pend++] = (struct pg_p2pm){.from = from,
                                            .did = m->p2p_domain,
                                            .seq = m->p2p_seq,
                                            .dep_len = (uint32_t)m->dep_len,
                                            .len = (uint32_t)m->len,
                                            .buf = buf,
                                            .arrived_ns = pg_now(pg)};
    p2p_deliver_all(pg);
}

/* ---- cbcast's and the view layer's hooks ---- */

/* An own DATA message went out: its base epoch, then the own entry. */
static void dom_on_sent(struct pg *pg, struct pg_group *g, uint64_t epoch)
{
    assert(g->st == PG_GS_MEMBER);
    assert(g->cb.my_seq > 0); /* the message is counted */
    pg_dom_sent(pg, g, epoch);
    pg_dom_note(pg, g, g->my_rank, g->cb.my_seq);
}

void pg_dom_register(struct pg *pg)
{
    struct pg_cb_hooks *h = &pg->cbh;
    assert(h->n_reset < PG_HOOKS_MAX);
    h->reset[h->n_reset++] = pg_dom_on_view;
    h->dep_build = pg_dom_build;
    h->dep_sent = dom_on_sent;
    h->ready = pg_dom_ready;
    h->pre_deliver = pg_dom_merge_msg;
    h->noted = pg_dom_note;
    pg->vh.hold_install = pg_dom_hold_install;
}
