/* tests/support_pgnet.c: pg over fakenet, recorded upcalls, checkers/TRACE.md checker. See the
 * header. */
#include "support_pgnet.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pgnet_slot {
    struct pgnet *pn;
    unsigned i;
    struct pg *pg;
    uint64_t next_tag;
    size_t flush_done;
};

struct pgnet {
    struct fakenet *fn;
    unsigned n;
    struct pg_config cfg;
    struct pgnet_slot slots[FAKENET_MAX_NODES];
    struct pgnet_rec *recs;
    size_t n_recs;
    pgnet_deliver_hook hook;
    void *hook_ctx;
};

static struct pgnet_rec *rec_add(struct pgnet *pn, enum pgnet_kind kind, unsigned i, pg_gid gid)
{
    assert(pn->n_recs < PGNET_MAX_RECS);
    struct pgnet_rec *r = &pn->recs[pn->n_recs++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->node = fakenet_id(pn->fn, i);
    r->gid = gid;
    return r;
}

static void slot_start(struct pgnet *pn, unsigned i)
{
    struct pgnet_slot *s = &pn->slots[i];
    s->pn = pn;
    s->i = i;
    s->pg = pg_node_pg(fakenet_node(pn->fn, i)); /* the node's own group layer */
    assert(s->pg);
    s->next_tag = 0;
}

struct pgnet *pgnet_new(unsigned n, uint64_t seed, const struct pg_config *pcfg)
{
    struct pgnet *pn = calloc(1, sizeof *pn);
    assert(pn);
    struct phys_config phys_cfg;
    phys_config_default(&phys_cfg);
    if (pcfg && 2 * pcfg->max_groups + 1 > phys_cfg.max_groups)
        phys_cfg.max_groups = 2 * pcfg->max_groups + 1; /* a pg group and its client channels */
    pn->fn = fakenet_new_pg(n, seed, &phys_cfg, pcfg);
    pn->n = n;
    pn->recs = calloc(PGNET_MAX_RECS, sizeof *pn->recs);
    assert(pn->fn && pn->recs);
    if (pcfg)
        pn->cfg = *pcfg;
    else
        pg_config_default(&pn->cfg);
    for (unsigned i = 0; i < n; i++)
        slot_start(pn, i);
    return pn;
}

void pgnet_free(struct pgnet *pn)
{
    if (!pn)
        return;
    fakenet_free(pn->fn);
    free(pn->recs);
    free(pn);
}

struct fakenet *pgnet_fakenet(struct pgnet *pn)
{
    return pn->fn;
}

struct pg *pgnet_pg(struct pgnet *pn, unsigned i)
{
    assert(i < pn->n);
    return pn->slots[i].pg;
}

pg_node_id pgnet_id(struct pgnet *pn, unsigned i)
{
    return fakenet_id(pn->fn, i);
}

void pgnet_set_hook(struct pgnet *pn, pgnet_deliver_hook hook, void *ctx)
{
    pn->hook = hook;
    pn->hook_ctx = ctx;
}

int64_t pgnet_now(struct pgnet *pn)
{
    return fakenet_now(pn->fn);
}

/* ---- driving ---- */

/* The node routes PG_TIMER_PG to its group layer, so the fake network alone
 * drives everything. */
void pgnet_run_until(struct pgnet *pn, int64_t t_ns)
{
    fakenet_run_until(pn->fn, t_ns);
}

void pgnet_run_for(struct pgnet *pn, int64_t dt_ns)
{
    pgnet_run_until(pn, fakenet_now(pn->fn) + dt_ns);
}

/* ---- recording upcalls ---- */

static uint64_t get_tag(const uint8_t *p, size_t len)
{
    uint64_t t = 0;
    for (size_t k = 0; k < 8 && k < len; k++)
        t |= (uint64_t)p[k] << (8 * k);
    return t;
}

static void rec_entry(void *ctx, pg_gid gid, uint32_t view_id, pg_node_id from,
                      const uint8_t *payload, size_t len)
{
    struct pgnet_slot *s = ctx;
    struct pgnet_rec *r = rec_add(s->pn, PGNET_DELIVER, s->i, gid);
    r->view = view_id;
    r->tag = get_tag(payload, len);
    r->from = from;
    if (s->pn->hook)
        s->pn->hook(s->pn->hook_ctx, s->pn, s->i, gid, r->tag, from);
}

static void rec_monitor(void *ctx, const struct pg_view *v, bool excluded)
{
    struct pgnet_slot *s = ctx;
    struct pgnet_rec *r = rec_add(s->pn, excluded ? PGNET_EXCLUDED : PGNET_VIEW, s->i, v->gid);
    r->view = v->view_id;
    r->n_members = v->n_members;
    memcpy(r->members, v->members, v->n_members * sizeof(pg_node_id));
    r->client = true; /* a view that does not list this node: a client's cached view */
    for (uint32_t k = 0; k < v->n_members; k++)
        r->client &= v->members[k] != r->node;
}

static void rec_flush_done(void *ctx, pg_gid gid)
{
    struct pgnet_slot *s = ctx;
    rec_add(s->pn, PGNET_FLUSH_DONE, s->i, gid);
    s->flush_done++;
}

int pgnet_record(struct pgnet *pn, unsigned i, pg_gid gid)
{
    struct pgnet_slot *s = &pn->slots[i];
    int rc = pg_entry(s->pg, gid, rec_entry, s);
    if (rc == PG_OK)
        rc = pg_monitor(s->pg, gid, rec_monitor, s);
    return rc;
}

int pgnet_create(struct pgnet *pn, pg_gid gid, const unsigned *idx, size_t k)
{
    return pgnet_create_with_clients(pn, gid, idx, k, NULL, 0);
}

int pgnet_create_with_clients(struct pgnet *pn, pg_gid gid, const unsigned *idx, size_t k,
                              const unsigned *cidx, size_t kc)
{
    pg_node_id ids[PG_MAX_MEMBERS_CAP], cids[PG_MAX_CLIENTS_CAP];
    assert(k <= PG_MAX_MEMBERS_CAP && kc <= PG_MAX_CLIENTS_CAP);
    for (size_t j = 0; j < k; j++)
        ids[j] = fakenet_id(pn->fn, idx[j]);
    for (size_t j = 0; j < kc; j++)
        cids[j] = fakenet_id(pn->fn, cidx[j]);
    for (size_t j = 0; j < k; j++) {
        struct pgnet_slot *s = &pn->slots[idx[j]];
        int rc = pg_create_with_clients(s->pg, gid, ids, k, cids, kc);
        if (rc != PG_OK)
            return rc;
        rc = pgnet_record(pn, idx[j], gid);
        if (rc != PG_OK)
            return rc;
        struct pg_view v;
        rc = pg_getview(s->pg, gid, &v);
        if (rc != PG_OK)
            return rc;
        rec_monitor(s, &v, false); /* view 1: pg_monitor came after pg_create */
    }
    return PG_OK;
}

enum { MC_CB, MC_AB, MC_DIFF };

static int pgnet_mcast(struct pgnet *pn, unsigned i, pg_gid gid, size_t len, uint64_t *tag_out,
                       int kind)
{
    bool ab = kind == MC_AB;
    struct pgnet_slot *s = &pn->slots[i];
    uint8_t buf[PG_MAX_PAYLOAD];
    assert(len >= 8 && len <= sizeof buf);
    uint64_t tag = (uint64_t)fakenet_id(pn->fn, i) << 32 | (s->next_tag + 1);
    memset(buf, 0, len);
    for (int k = 0; k < 8; k++)
        buf[k] = (uint8_t)(tag >> (8 * k));
    uint32_t sv = 0;
    int rc = pg_send_view(s->pg, gid, &sv);
    if (rc != PG_OK)
        return rc;
    size_t at = pn->n_recs;
    struct pgnet_rec *r = rec_add(pn, PGNET_SEND, i, gid);
    r->tag = tag;
    r->view = sv;
    r->abcast = ab;
    r->diffusion = kind == MC_DIFF;
    r->client = pg_is_client(s->pg, gid);
    uint32_t view = 0;
    uint64_t cbid = 0;
    if (kind == MC_DIFF)
        rc = pg_diffuse(s->pg, gid, buf, len, &cbid, &view);
    else
        rc = ab ? abcast(s->pg, gid, buf, len, &cbid, &view)
                : cbcast(s->pg, gid, buf, len, &cbid, &view);
    if (rc != PG_OK) {
        assert(pn->n_recs == at + 1); /* nothing delivered */
        pn->n_recs = at;
        return rc;
    }
    assert(view == sv && cbid > 0);
    s->next_tag++;
    if (tag_out)
        *tag_out = tag;
    return PG_OK;
}

int pgnet_cbcast(struct pgnet *pn, unsigned i, pg_gid gid, size_t len, uint64_t *tag_out)
{
    return pgnet_mcast(pn, i, gid, len, tag_out, MC_CB);
}

int pgnet_diffuse(struct pgnet *pn, unsigned i, pg_gid gid, size_t len, uint64_t *tag_out)
{
    return pgnet_mcast(pn, i, gid, len, tag_out, MC_DIFF);
}

int pgnet_client(struct pgnet *pn, unsigned i, pg_gid gid, unsigned contact)
{
    struct pgnet_slot *s = &pn->slots[i];
    int rc = pg_client(s->pg, gid, fakenet_id(pn->fn, contact));
    return rc == PG_OK ? pgnet_record(pn, i, gid) : rc;
}

int pgnet_abcast(struct pgnet *pn, unsigned i, pg_gid gid, size_t len, uint64_t *tag_out)
{
    return pgnet_mcast(pn, i, gid, len, tag_out, MC_AB);
}

int pgnet_flush(struct pgnet *pn, unsigned i, pg_gid gid)
{
    struct pgnet_slot *s = &pn->slots[i];
    size_t at = pn->n_recs;
    rec_add(pn, PGNET_FLUSH_CALL, i, gid);
    int rc = pg_flush(s->pg, gid, rec_flush_done, s);
    if (rc != PG_OK)
        pn->n_recs = at;
    return rc;
}

size_t pgnet_flush_done_count(struct pgnet *pn, unsigned i)
{
    return pn->slots[i].flush_done;
}

void pgnet_crash(struct pgnet *pn, unsigned i)
{
    rec_add(pn, PGNET_CRASH, i, 0);
    fakenet_crash(pn->fn, i);
}

pg_node_id pgnet_restart(struct pgnet *pn, unsigned i)
{
    pn->slots[i].pg = NULL; /* freed with the old node */
    pg_node_id id = fakenet_restart(pn->fn, i);
    slot_start(pn, i);
    return id;
}

const struct pgnet_rec *pgnet_recs(struct pgnet *pn, size_t *n)
{
    *n = pn->n_recs;
    return pn->recs;
}

size_t pgnet_count(struct pgnet *pn, enum pgnet_kind kind, pg_node_id node, pg_gid gid)
{
    size_t c = 0;
    for (size_t k = 0; k < pn->n_recs; k++) {
        const struct pgnet_rec *r = &pn->recs[k];
        if (r->kind == kind && (node == PG_NODE_NONE || r->node == node) &&
            (gid == 0 || r->gid == gid))
            c++;
    }
    return c;
}

uint32_t pgnet_last_view(struct pgnet *pn, unsigned i, pg_gid gid, struct pgnet_rec *out)
{
    pg_node_id id = fakenet_id(pn->fn, i);
    for (size_t k = pn->n_recs; k-- > 0;) {
        const struct pgnet_rec *r = &pn->recs[k];
        if (r->kind == PGNET_VIEW && r->node == id && r->gid == gid) {
            if (out)
                *out = *r;
            return r->view;
        }
    }
    return 0;
}

bool pgnet_delivered(struct pgnet *pn, pg_node_id node, pg_gid gid, uint64_t tag)
{
    for (size_t k = 0; k < pn->n_recs; k++) {
        const struct pgnet_rec *r = &pn->recs[k];
        if (r->kind == PGNET_DELIVER && r->node == node && r->gid == gid && r->tag == tag)
            return true;
    }
    return false;
}

/* ---- checker ---- */

#define CK_NODES 160
#define CK_VIEWS 512

struct ck_msg {
    uint64_t tag;
    unsigned sender; /* dense node index */
    uint32_t view;
    size_t send_rec;
    uint32_t vc[CK_NODES];
    long deliv[CK_NODES]; /* record index of delivery at each node, -1 */
    uint32_t dview;       /* the view members delivered it in (0: none yet) */
    bool abcast, diffusion, client;
};

struct ck {
    struct pgnet *pn;
    pg_gid gid;
    pg_node_id ids[CK_NODES];
    unsigned n_ids;
    uint32_t vc[CK_NODES][CK_NODES];
    struct ck_msg *msgs;
    size_t n_msgs;
    bool installed[CK_NODES][CK_VIEWS];
    bool gone[CK_NODES];      /* crashed or excluded at some point */
    bool is_client[CK_NODES]; /* cached a client view */
    char *why;
    size_t cap;
};

static bool ck_fail(struct ck *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, c->cap, fmt, ap);
    va_end(ap);
    return false;
}

static unsigned ck_node(struct ck *c, pg_node_id id)
{
    for (unsigned k = 0; k < c->n_ids; k++)
        if (c->ids[k] == id)
            return k;
    assert(c->n_ids < CK_NODES);
    c->ids[c->n_ids] = id;
    return c->n_ids++;
}

static struct ck_msg *ck_msg(struct ck *c, uint64_t tag)
{
    for (size_t k = c->n_msgs; k-- > 0;)
        if (c->msgs[k].tag == tag)
            return &c->msgs[k];
    return NULL;
}

static void vc_merge(uint32_t *a, const uint32_t *b)
{
    for (unsigned k = 0; k < CK_NODES; k++)
        a[k] = b[k] > a[k] ? b[k] : a[k];
}

/* send(a) -> send(b) */
static bool hb(const struct ck_msg *a, const struct ck_msg *b)
{
    return a != b && b->vc[a->sender] >= a->vc[a->sender];
}

/* Rules 1, 3 and 6 at one delivery. */
static bool ck_deliver(struct ck *c, size_t ri, const struct pgnet_rec *r, unsigned q,
                       const uint32_t *cur_view)
{
    struct ck_msg *m = ck_msg(c, r->tag);
    if (!m)
        return ck_fail(c, "rule 1: %u delivered unsent %llx", r->node, (unsigned long long)r->tag);
    if (c->ids[m->sender] != r->from)
        return ck_fail(c, "rule 1: %llx from %u, sent by %u", (unsigned long long)r->tag, r->from,
                       c->ids[m->sender]);
    if (m->deliv[q] >= 0)
        return ck_fail(c, "rule 1: %u delivered %llx twice", r->node, (unsigned long long)r->tag);
    if (cur_view[q] == 0 || c->gone[q])
        return ck_fail(c, "rule 1: %u delivered while not a member", r->node);
    if (c->is_client[q]) { /* rule 1 for clients; rule 3; no rule 6 (not a member) */
        if (!m->diffusion)
            return ck_fail(c, "rule 1: client %u delivered %llx, not a diffusion", r->node,
                           (unsigned long long)r->tag);
        if (r->view != m->view)
            return ck_fail(c, "rule 3: client %u delivered %llx in view %u, sent in %u", r->node,
                           (unsigned long long)r->tag, r->view, m->view);
        m->deliv[q] = (long)ri;
        vc_merge(c->vc[q], m->vc);
        return true;
    }
    if (m->client && m->dview && r->view != m->dview)
        return ck_fail(c, "rule 4: client message %llx delivered in views %u and %u",
                       (unsigned long long)r->tag, m->dview, r->view);
    if (m->client)
        m->dview = r->view;
    if ((!m->client && r->view != m->view) || r->view != cur_view[q])
        return ck_fail(c, "rule 3: %llx sent in view %u delivered at %u in view %u (installed %u)",
                       (unsigned long long)r->tag, m->view, r->node, r->view, cur_view[q]);
    for (size_t k = 0; k < c->n_msgs; k++) {
        const struct ck_msg *m1 = &c->msgs[k];
        if (m1->view < CK_VIEWS && c->installed[q][m1->view] && hb(m1, m) && m1->deliv[q] < 0)
            return ck_fail(c, "rule 6: %u delivered %llx before its cause %llx", r->node,
                           (unsigned long long)m->tag, (unsigned long long)m1->tag);
    }
    m->deliv[q] = (long)ri;
    vc_merge(c->vc[q], m->vc);
    return true;
}

static bool ck_view(struct ck *c, const struct pgnet_rec *r, unsigned q, uint32_t *cur_view,
                    const struct pgnet_rec **first)
{
    if (r->view >= CK_VIEWS)
        return ck_fail(c, "checker: view id too large");
    c->is_client[q] = r->client;
    if (r->client && r->view <= cur_view[q])
        return ck_fail(c, "rule 2: client %u went from view %u to %u", r->node, cur_view[q],
                       r->view);
    if (!r->client && cur_view[q] != 0 && r->view != cur_view[q] + 1)
        return ck_fail(c, "rule 2: %u went from view %u to %u", r->node, cur_view[q], r->view);
    const struct pgnet_rec *f = first[r->view];
    if (f && (f->n_members != r->n_members ||
              memcmp(f->members, r->members, r->n_members * sizeof(pg_node_id))))
        return ck_fail(c, "rule 2: view %u differs at %u and %u", r->view, f->node, r->node);
    if (!f)
        first[r->view] = r;
    cur_view[q] = r->view;
    c->installed[q][r->view] = !r->client;
    return true;
}

/* Pass 1: walks the records in order (rules 1, 2, 3, 6). */
static bool ck_walk(struct ck *c)
{
    size_t n;
    const struct pgnet_rec *recs = pgnet_recs(c->pn, &n);
    uint32_t cur_view[CK_NODES] = {0};
    const struct pgnet_rec *first[CK_VIEWS] = {0};
    for (size_t ri = 0; ri < n; ri++) {
        const struct pgnet_rec *r = &recs[ri];
        unsigned q = ck_node(c, r->node);
        if (r->kind == PGNET_CRASH) {
            c->gone[q] = true;
            continue;
        }
        if (r->gid != c->gid)
            continue;
        c->vc[q][q]++;
        bool ok = true;
        if (r->kind == PGNET_SEND) {
            struct ck_msg *m = &c->msgs[c->n_msgs++];
            memset(m, 0, sizeof *m);
            m->tag = r->tag;
            m->sender = q;
            m->view = r->view;
            m->send_rec = ri;
            m->abcast = r->abcast;
            m->diffusion = r->diffusion;
            m->client = r->client;
            memcpy(m->vc, c->vc[q], sizeof m->vc);
            for (unsigned k = 0; k < CK_NODES; k++)
                m->deliv[k] = -1;
        } else if (r->kind == PGNET_DELIVER) {
            ok = ck_deliver(c, ri, r, q, cur_view);
        } else if (r->kind == PGNET_VIEW) {
            ok = ck_view(c, r, q, cur_view, first);
        } else if (r->kind == PGNET_EXCLUDED) {
            c->gone[q] = true;
        }
        if (!ok)
            return false;
    }
    return true;
}

/* Rules 4 and 5: nodes that install v and v+1 agree on the messages of v. */
static bool ck_vsync(struct ck *c)
{
    for (size_t k = 0; k < c->n_msgs; k++) {
        const struct ck_msg *m = &c->msgs[k];
        uint32_t v = m->client ? m->dview : m->view; /* a client's: where members delivered it */
        if (v == 0 || v + 1 >= CK_VIEWS)
            continue;
        bool any = !m->client && c->installed[m->sender][v + 1];
        for (unsigned q = 0; q < c->n_ids; q++)
            if (c->installed[q][v] && c->installed[q][v + 1] && m->deliv[q] >= 0)
                any = true;
        if (!any)
            continue;
        for (unsigned q = 0; q < c->n_ids; q++)
            if (c->installed[q][v] && c->installed[q][v + 1] && m->deliv[q] < 0)
                return ck_fail(c, "rule 4/5: %u installed %u and %u without delivering %llx",
                               c->ids[q], v, v + 1, (unsigned long long)m->tag);
    }
    return true;
}

/* Rule 7: two nodes that both deliver abcasts a and b deliver them in the same order. */
static bool ck_total(struct ck *c)
{
    for (size_t i = 0; i < c->n_msgs; i++) {
        const struct ck_msg *a = &c->msgs[i];
        for (size_t j = i + 1; a->abcast && j < c->n_msgs; j++) {
            const struct ck_msg *b = &c->msgs[j];
            int order = 0; /* +1: a before b, -1: b before a, at the first node with both */
            unsigned first = 0;
            for (unsigned q = 0; b->abcast && q < c->n_ids; q++) {
                if (a->deliv[q] < 0 || b->deliv[q] < 0)
                    continue;
                int o = a->deliv[q] < b->deliv[q] ? 1 : -1;
                if (order == 0) {
                    order = o;
                    first = q;
                } else if (o != order) {
                    return ck_fail(c,
                                   "rule 7: %u and %u deliver abcasts %llx and %llx in "
                                   "different orders",
                                   c->ids[first], c->ids[q], (unsigned long long)a->tag,
                                   (unsigned long long)b->tag);
                }
            }
        }
    }
    return true;
}

static bool ck_later_gone(struct ck *c, pg_node_id id, size_t from)
{
    size_t n;
    const struct pgnet_rec *recs = pgnet_recs(c->pn, &n);
    for (size_t k = from; k < n; k++)
        if (recs[k].node == id && (recs[k].kind == PGNET_CRASH ||
                                   (recs[k].kind == PGNET_EXCLUDED && recs[k].gid == c->gid)))
            return true;
    return false;
}

/* Rule 8: at flush_done, every message sent before flush_call is delivered by the view. */
static bool ck_flush(struct ck *c)
{
    size_t n;
    const struct pgnet_rec *recs = pgnet_recs(c->pn, &n);
    for (size_t ri = 0; ri < n; ri++) {
        const struct pgnet_rec *r = &recs[ri];
        if (r->kind != PGNET_FLUSH_DONE || r->gid != c->gid)
            continue;
        size_t call = ri, view_at = SIZE_MAX;
        while (call-- > 0)
            if (recs[call].node == r->node && recs[call].kind == PGNET_FLUSH_CALL &&
                recs[call].gid == c->gid)
                break;
        for (size_t k = ri; k-- > 0;)
            if (recs[k].node == r->node && recs[k].kind == PGNET_VIEW && recs[k].gid == c->gid) {
                view_at = k;
                break;
            }
        if (call == SIZE_MAX || view_at == SIZE_MAX)
            return ck_fail(c, "rule 8: flush_done without call or view at %u", r->node);
        for (size_t k = 0; k < c->n_msgs; k++) {
            const struct ck_msg *m = &c->msgs[k];
            if (c->ids[m->sender] != r->node || m->send_rec > call)
                continue;
            for (uint32_t j = 0; j < recs[view_at].n_members; j++) {
                pg_node_id q = recs[view_at].members[j];
                unsigned qi = ck_node(c, q);
                if ((m->deliv[qi] < 0 || (size_t)m->deliv[qi] > ri) && !ck_later_gone(c, q, ri))
                    return ck_fail(c, "rule 8: flush_done at %u before %u delivered %llx", r->node,
                                   q, (unsigned long long)m->tag);
            }
        }
    }
    return true;
}

/* Rule 10: live members end in one view and delivered what live members sent. */
static bool ck_quiet(struct ck *c, const uint32_t *last)
{
    uint32_t v = 0;
    for (unsigned q = 0; q < c->n_ids; q++) {
        if (c->gone[q] || last[q] == 0)
            continue;
        if (v && last[q] != v)
            return ck_fail(c, "rule 10: live members in views %u and %u", v, last[q]);
        v = last[q];
    }
    for (size_t k = 0; k < c->n_msgs; k++) {
        const struct ck_msg *m = &c->msgs[k];
        if (c->gone[m->sender])
            continue;
        for (unsigned q = 0; q < c->n_ids; q++)
            if (!c->gone[q] && last[q] && m->view < CK_VIEWS && c->installed[q][m->view] &&
                m->deliv[q] < 0)
                return ck_fail(c, "rule 10: live %u never delivered %llx", c->ids[q],
                               (unsigned long long)m->tag);
    }
    return true;
}

bool pgnet_check(struct pgnet *pn, pg_gid gid, bool quiet, char *why, size_t cap)
{
    struct ck *c = calloc(1, sizeof *c);
    assert(c);
    c->pn = pn;
    c->gid = gid;
    c->why = why;
    c->cap = cap;
    c->msgs = calloc(pgnet_count(pn, PGNET_SEND, PG_NODE_NONE, gid) + 1, sizeof *c->msgs);
    assert(c->msgs);
    snprintf(why, cap, "ok");
    bool ok = ck_walk(c) && ck_vsync(c) && ck_total(c) && ck_flush(c);
    if (ok && quiet) {
        uint32_t last[CK_NODES] = {0};
        for (unsigned q = 0; q < c->n_ids; q++)
            for (uint32_t v = 0; v < CK_VIEWS; v++)
                if (c->installed[q][v])
                    last[q] = v;
        ok = ck_quiet(c, last);
    }
    free(c->msgs);
    free(c);
    return ok;
}
