/* core/tools/hier_sub.c: a subgroup member's part of a hierarchical group
 * (hier.h): routing, forwarding, the apply order (abcast), dedup, replies,
 * range moves (FREEZE / STATE / ADOPT) and full-set multicast delivery. The
 * sequencer (rank 0 of the subgroup's view) does the sending; every member
 * applies in abcast order. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "hier_internal.h"

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint32_t get16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

void hier_req_put(const struct hier_req *q, uint8_t *b)
{
    hier_put32(b, q->client);
    hier_put32(b + 4, q->seq);
    hier_put32(b + 8, q->key);
    put16(b + 12, q->via);
    memcpy(b + 14, q->rep, REP_HDR_B);
}

void hier_req_get(struct hier_req *q, const uint8_t *b)
{
    q->client = hier_get32(b);
    q->seq = hier_get32(b + 4);
    q->key = hier_get32(b + 8);
    q->via = (uint16_t)get16(b + 12);
    memcpy(q->rep, b + 14, REP_HDR_B);
}

void hier_sub_init(struct hier *h)
{
    h->rd = calloc(h->cfg.n_ranges, sizeof *h->rd);
    h->wq = calloc(h->cfg.max_queue, sizeof *h->wq);
    assert(h->rd && h->wq);
    for (uint32_t r = 0; r < h->cfg.n_ranges; r++)
        if (h->map[r].owner == h->sub)
            h->rd[r] = (struct hier_rdata){.held = true, .epoch = 1};
}

void hier_sub_free(struct hier *h)
{
    for (uint32_t r = 0; h->rd && r < h->cfg.n_ranges; r++) {
        free(h->rd[r].dd);
        free(h->rd[r].st_dd);
    }
    free(h->rd);
    free(h->wq);
}

static uint32_t keys_per_range(const struct hier *h)
{
    return (h->cfg.n_keys + h->cfg.n_ranges - 1) / h->cfg.n_ranges;
}

static uint32_t key_slot(const struct hier *h, uint32_t key)
{
    uint32_t r = hier_range_of(h, key);
    uint32_t first =
        (uint32_t)(((uint64_t)r * h->cfg.n_keys + h->cfg.n_ranges - 1) / h->cfg.n_ranges);
    assert(key >= first && key - first < HIER_MAX_KEYS_PR);
    return key - first;
}

static struct hier_dd *dd_find(struct hier_rdata *d, pg_node_id c)
{
    for (uint32_t i = 0; i < d->n_dd; i++)
        if (d->dd[i].client == c)
            return &d->dd[i];
    return NULL;
}

static struct hier_dd *dd_add(struct hier *h, struct hier_rdata *d, pg_node_id c)
{
    if (d->n_dd == d->cap_dd) {
        if (d->cap_dd >= h->cfg.max_clients)
            return NULL;
        uint32_t cap = d->cap_dd ? 2 * d->cap_dd : 16;
        struct hier_dd *n = realloc(d->dd, cap * sizeof *n);
        if (!n)
            return NULL;
        d->dd = n;
        d->cap_dd = cap;
    }
    d->dd[d->n_dd] = (struct hier_dd){.client = c};
    return &d->dd[d->n_dd++];
}

/* Sequencer: the answer to q, through q's bound subgroup. */
static void reply(struct hier *h, const struct hier_req *q, uint64_t val)
{
    uint8_t b[REP_HDR_B + 16];
    struct rep_request rq;
    if (!rep_parse_request(q->rep, REP_HDR_B, &rq))
        return;
    rep_reply_header(&rq, b);
    hier_put32(b + REP_HDR_B, q->seq);
    hier_put32(b + REP_HDR_B + 4, q->key);
    hier_put64(b + REP_HDR_B + 8, val);
    if (q->via == h->sub) {
        (void)hier_out_rec(h, HM_DF, h->cfg.sub_gid[h->sub], HR_REPLY, b, sizeof b);
        return;
    }
    if (q->via >= h->cfg.n_sub || !hier_client_ready(h, q->via)) {
        hier_need_client(h, q->via < h->cfg.n_sub ? q->via : 0);
        return; /* the client retries; the retry finds the answer in the dedup table */
    }
    (void)hier_out_rec(h, HM_CB, h->cfg.sub_gid[q->via], HR_FREPLY, b, sizeof b);
}

static void wait_req(struct hier *h, const struct hier_req *q)
{
    for (uint32_t i = 0; i < h->wq_n; i++)
        if (h->wq[i].client == q->client && h->wq[i].seq == q->seq)
            return;
    if (h->wq_n == h->cfg.max_queue) {
        h->st.waits_dropped++; /* the client retries */
        return;
    }
    h->wq[h->wq_n++] = *q; /* tried again each tick */
}

/* Sequencer: a request reached this subgroup (from a client or forwarded). */
void hier_sub_route(struct hier *h, const struct hier_req *q)
{
    if (q->key >= h->cfg.n_keys)
        return;
    uint32_t r = hier_range_of(h, q->key), owner = h->map[r].owner;
    const struct hier_rdata *d = &h->rd[r];
    uint8_t b[HIER_REQ_B];
    hier_req_put(q, b);
    if (owner == h->sub) {
        if (d->held && !d->frozen && d->epoch == h->map[r].epoch)
            (void)hier_out_rec(h, HM_AB, h->cfg.sub_gid[h->sub], HR_ORD, b, sizeof b);
        else
            wait_req(h, q); /* its state is on the way */
        return;
    }
    if (!hier_client_ready(h, owner)) {
        hier_need_client(h, owner);
        wait_req(h, q);
        return;
    }
    h->st.forwarded++;
    (void)hier_out_rec(h, HM_CB, h->cfg.sub_gid[owner], HR_REQ, b, sizeof b);
}

/* Every member, in abcast order: applies q unless applied already. */
static void on_ord(struct hier *h, const struct hier_req *q)
{
    bool seq = hier_is_seq(h);
    if (q->key >= h->cfg.n_keys)
        return;
    uint32_t r = hier_range_of(h, q->key);
    struct hier_rdata *d = &h->rd[r];
    if (!d->held || d->frozen) { /* moved away in between: route again */
        if (seq)
            hier_sub_route(h, q);
        return;
    }
    struct hier_dd *e = dd_find(d, q->client);
    if (e && q->seq <= e->last) {
        h->st.dups++;
        if (seq && q->seq == e->last)
            reply(h, q, e->val);
        return;
    }
    if (!e && !(e = dd_add(h, d, q->client)))
        return; /* dedup table full: not applied, the client retries */
    uint64_t v = ++d->val[key_slot(h, q->key)];
    e->last = q->seq;
    e->val = v;
    h->st.applied++;
    if (h->up.apply)
        h->up.apply(h->ctx, h->sub, q->client, q->seq, q->key, d->epoch);
    if (seq)
        reply(h, q, v);
}

static void on_map(struct hier *h, uint32_t r, uint32_t s, uint32_t e, uint8_t kind)
{
    if (r >= h->cfg.n_ranges || s >= h->cfg.n_sub || e <= h->map[r].epoch)
        return;
    h->map[r] = (struct hier_map_ent){.owner = s, .epoch = e, .lost = kind == HIER_MAP_LOST};
    h->urgent = true;
}

static size_t state_encode(struct hier *h, uint32_t r, uint8_t *b)
{
    const struct hier_rdata *d = &h->rd[r];
    uint32_t kpr = keys_per_range(h), n = d->n_dd < HIER_DD_MOVE ? d->n_dd : HIER_DD_MOVE;
    put16(b, r);
    hier_put32(b + 2, d->epoch);
    size_t o = 6;
    for (uint32_t k = 0; k < kpr; k++, o += 8)
        hier_put64(b + o, d->val[k]);
    put16(b + o, n);
    o += 2;
    for (uint32_t i = 0; i < n; i++, o += 16) {
        hier_put32(b + o, d->dd[i].client);
        hier_put32(b + o + 4, d->dd[i].last);
        hier_put64(b + o + 8, d->dd[i].val);
    }
    return o;
}

static void on_state(struct hier *h, const uint8_t *b, size_t len)
{
    uint32_t kpr = keys_per_range(h);
    if (len < 8 + 8 * kpr)
        return;
    uint32_t r = get16(b), e = hier_get32(b + 2);
    if (r >= h->cfg.n_ranges)
        return;
    struct hier_rdata *d = &h->rd[r];
    if ((d->held && d->epoch >= e) || (d->st_have && d->st_epoch >= e))
        return;
    uint32_t n = get16(b + 6 + 8 * kpr);
    if (len < 8 + 8 * kpr + 16 * (size_t)n)
        return;
    struct hier_dd *dd = n ? malloc(n * sizeof *dd) : NULL;
    if (n && !dd)
        return;
    const uint8_t *p = b + 8 + 8 * kpr;
    for (uint32_t i = 0; i < n; i++, p += 16)
        dd[i] = (struct hier_dd){hier_get32(p), hier_get32(p + 4), hier_get64(p + 8)};
    free(d->st_dd);
    d->st_dd = dd;
    d->st_n = n;
    d->st_have = true;
    d->st_epoch = e;
    for (uint32_t k = 0; k < kpr; k++)
        d->st_val[k] = hier_get64(b + 6 + 8 * k);
    h->urgent = true;
}

/* Every member, in abcast order: this subgroup holds range r from epoch e. */
static void on_adopt(struct hier *h, uint32_t r, uint32_t e, bool lost)
{
    if (r >= h->cfg.n_ranges)
        return;
    struct hier_rdata *d = &h->rd[r];
    if (d->held && d->epoch >= e)
        return;
    if (!lost && !(d->st_have && d->st_epoch + 1 == e))
        return; /* cannot happen: the sequencer adopts after the STATE it delivered */
    free(d->dd);
    struct hier_rdata n = {.held = true, .epoch = e};
    if (!lost) {
        n.dd = d->st_dd;
        n.n_dd = n.cap_dd = d->st_n;
        memcpy(n.val, d->st_val, sizeof n.val);
    } else {
        free(d->st_dd);
    }
    *d = n;
    if (hier_is_seq(h)) {
        uint8_t b[6];
        put16(b, r);
        hier_put32(b + 2, e);
        (void)hier_out_rec(h, HM_CB, h->cfg.root_gid, HR_MOVED, b, 6);
    }
    h->urgent = true;
}

static void on_freeze(struct hier *h, uint32_t r, uint32_t e, uint32_t to)
{
    if (r >= h->cfg.n_ranges || to >= h->cfg.n_sub)
        return;
    struct hier_rdata *d = &h->rd[r];
    if (!d->held || d->frozen || d->epoch >= e)
        return;
    d->frozen = true;
    d->to = to;
    d->st_sent_ns = INT64_MIN / 2;
    h->urgent = true;
}

static void on_gseq(struct hier *h, const uint8_t *b)
{
    uint32_t g = hier_get32(b);
    pg_node_id origin = hier_get32(b + 4);
    uint32_t mseq = hier_get32(b + 8);
    if (b[12] == HIER_MC_GLOBAL) {
        if (g <= h->last_g)
            return;
        h->last_g = g;
        h->st.mdelivered++;
        if (h->up.mdeliver)
            h->up.mdeliver(h->ctx, origin, mseq, HIER_MC_GLOBAL);
    } else if (hier_is_seq(h)) {
        (void)hier_out_rec(h, HM_AB, h->cfg.sub_gid[h->sub], HR_LGM, b + 4, 8);
    }
}

/* Records from the root (diffusions, as a client of the root). */
static void root_rec(struct hier *h, uint8_t type, const uint8_t *b, size_t len)
{
    uint8_t o[6];
    switch (type) {
    case HR_BOUND:
        if (len >= 8 && get16(b + 6) == h->sub && hier_is_seq(h)) {
            memcpy(o, b, 6);
            (void)hier_out_rec(h, HM_DF, h->cfg.sub_gid[h->sub], HR_BOUNDR, o, 6);
        }
        return;
    case HR_MAP:
        if (len >= 9)
            on_map(h, get16(b), get16(b + 2), hier_get32(b + 4), b[8]);
        return;
    case HR_GSEQ:
        if (len >= 13)
            on_gseq(h, b);
        return;
    case HR_DONE:
        if (len >= 6 && get16(b) < h->cfg.n_ranges && h->rd[get16(b)].frozen &&
            h->rd[get16(b)].epoch < hier_get32(b + 2)) {
            free(h->rd[get16(b)].dd);
            free(h->rd[get16(b)].st_dd);
            memset(&h->rd[get16(b)], 0, sizeof h->rd[0]);
        }
        return;
    default:
        return; /* DEAD and the rest: nothing to do here */
    }
}

/* Records delivered in this member's own subgroup (cbcast, abcast, client messages). */
static void own_rec(struct hier *h, uint8_t type, const uint8_t *b, size_t len)
{
    struct hier_req q;
    bool seq = hier_is_seq(h);
    switch (type) {
    case HR_BIND:
        if (len >= 6 && seq) {
            uint8_t o[6];
            memcpy(o, b, 6);
            put16(o + 4, h->sub);
            (void)hier_out_rec(h, HM_CB, h->cfg.root_gid, HR_BINDQ, o, 6);
        }
        return;
    case HR_REQ:
        if (len >= HIER_REQ_B && seq) {
            hier_req_get(&q, b);
            hier_sub_route(h, &q);
        }
        return;
    case HR_ORD:
        if (len >= HIER_REQ_B) {
            hier_req_get(&q, b);
            on_ord(h, &q);
        }
        return;
    case HR_FREPLY:
        if (len >= REP_HDR_B + 16 && seq)
            (void)hier_out_rec(h, HM_DF, h->cfg.sub_gid[h->sub], HR_REPLY, b, len);
        return;
    case HR_FREEZE:
        if (len >= 8)
            on_freeze(h, get16(b), hier_get32(b + 2), get16(b + 6));
        return;
    case HR_STATE:
        on_state(h, b, len);
        return;
    case HR_ADOPT:
        if (len >= 7)
            on_adopt(h, get16(b), hier_get32(b + 2), b[6] != 0);
        return;
    case HR_LGM:
        if (len >= 8) {
            h->st.mdelivered++;
            if (h->up.mdeliver)
                h->up.mdeliver(h->ctx, hier_get32(b), hier_get32(b + 4), HIER_MC_LOCAL);
        }
        return;
    default:
        return; /* REPLY, BOUNDR: for clients */
    }
}

void hier_sub_rec(struct hier *h, uint32_t gidx, uint8_t type, const uint8_t *b, size_t len)
{
    if (gidx == h->cfg.n_sub)
        root_rec(h, type, b, len);
    else if (gidx == h->sub)
        own_rec(h, type, b, len);
    /* another subgroup: this member is its client to forward; nothing comes back but
     * diffusions for its clients */
}

/* Sequencer: FREEZE, STATE and ADOPT of the ranges whose map changed. */
static void moves_run(struct hier *h)
{
    for (uint32_t r = 0; r < h->cfg.n_ranges; r++) {
        struct hier_rdata *d = &h->rd[r];
        const struct hier_map_ent *m = &h->map[r];
        uint8_t b[HIER_MSG_MAX];
        if (d->held && !d->frozen && m->owner != h->sub && m->epoch > d->epoch && !d->freeze_sent) {
            put16(b, r);
            hier_put32(b + 2, m->epoch);
            put16(b + 6, m->owner);
            d->freeze_sent = true;
            (void)hier_out_rec(h, HM_AB, h->cfg.sub_gid[h->sub], HR_FREEZE, b, 8);
        }
        if (d->frozen && h->now_ns - d->st_sent_ns >= h->cfg.retry_ns) {
            d->st_sent_ns = h->now_ns;
            if (!hier_client_ready(h, d->to)) {
                hier_need_client(h, d->to);
            } else {
                size_t n = state_encode(h, r, b);
                h->st.states_sent++;
                (void)hier_out_rec(h, HM_CB, h->cfg.sub_gid[d->to], HR_STATE, b, n);
            }
        }
        bool want = m->owner == h->sub && !(d->held && d->epoch >= m->epoch);
        if (want && !d->adopt_sent && (m->lost || (d->st_have && d->st_epoch + 1 == m->epoch))) {
            put16(b, r);
            hier_put32(b + 2, m->epoch);
            b[6] = m->lost && !(d->st_have && d->st_epoch + 1 == m->epoch);
            d->adopt_sent = true;
            h->st.lost_ranges += b[6];
            (void)hier_out_rec(h, HM_AB, h->cfg.sub_gid[h->sub], HR_ADOPT, b, 7);
        }
    }
}

void hier_sub_run(struct hier *h)
{
    if (!hier_is_seq(h)) {
        for (uint32_t r = 0; r < h->cfg.n_ranges; r++) /* a new sequencer sends them again */
            h->rd[r].freeze_sent = h->rd[r].adopt_sent = false;
        h->wq_n = 0;
        return;
    }
    if (h->now_ns >= h->next_load_ns) {
        uint8_t b[2];
        put16(b, h->sub);
        h->next_load_ns = h->now_ns + h->cfg.load_ns;
        if (hier_client_ready(h, h->cfg.n_sub))
            (void)hier_out_rec(h, HM_CB, h->cfg.root_gid, HR_LOAD, b, 2);
    }
    moves_run(h);
    uint32_t n = h->wq_n;
    struct hier_req *w = malloc((n ? n : 1) * sizeof *w);
    assert(w);
    memcpy(w, h->wq, n * sizeof *w);
    h->wq_n = 0;
    for (uint32_t i = 0; i < n; i++)
        hier_sub_route(h, &w[i]);
    free(w);
}
