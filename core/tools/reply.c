/* core/tools/reply.c: reply collection over pg.h (see reply.h). */
#include "reply.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define REP_MAGIC 0xA7u
#define REP_REQ   1u
#define REP_REP   2u

struct rep_pend {
    bool used;
    bool toobig;
    enum rep_want want;
    uint64_t id;
    uint32_t k;         /* replies wanted (REP_ALL: the servers) */
    uint32_t n_servers; /* servers[], replied[], gone[] */
    pg_node_id *servers;
    bool *replied, *gone;
    uint32_t n_replies, n_gone;
    struct rep_reply *replies; /* n_servers slots, payloads owned */
    rep_done_fn fn;
    void *ctx;
};

struct rep {
    struct rep_config cfg;
    pg_node_id self;
    uint64_t next_id;
    struct rep_pend *pend;
    uint32_t n_pend;
};

void rep_config_default(struct rep_config *cfg)
{
    assert(cfg);
    *cfg = (struct rep_config){.max_pending = 64, .max_reply_len = 1024};
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_hdr(uint8_t *h, uint8_t kind, pg_node_id requester, uint64_t id)
{
    h[0] = REP_MAGIC;
    h[1] = kind;
    put_u32(h + 2, requester);
    put_u32(h + 6, (uint32_t)id);
    put_u32(h + 10, (uint32_t)(id >> 32));
}

/* Parses a header of `kind`; false if p is not one. */
static bool get_hdr(const uint8_t *p, size_t len, uint8_t kind, pg_node_id *requester, uint64_t *id)
{
    if (len < REP_HDR_B || p[0] != REP_MAGIC || p[1] != kind)
        return false;
    *requester = (pg_node_id)get_le(p + 2, 4);
    *id = get_le(p + 6, 8);
    return *requester != PG_NODE_NONE;
}

struct rep *rep_new(const struct rep_config *cfg, pg_node_id self)
{
    assert(cfg);
    assert(cfg->max_pending > 0);
    assert(cfg->max_reply_len > 0);
    assert(self != PG_NODE_NONE);
    struct rep *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cfg = *cfg;
    r->self = self;
    r->pend = calloc(cfg->max_pending, sizeof *r->pend);
    if (!r->pend) {
        free(r);
        return NULL;
    }
    return r;
}

static void pend_release(struct rep_pend *p)
{
    for (uint32_t i = 0; p->replies && i < p->n_replies; i++)
        free((void *)p->replies[i].payload);
    free(p->servers);
    free(p->replied);
    free(p->gone);
    free(p->replies);
}

void rep_free(struct rep *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->cfg.max_pending; i++)
        if (r->pend[i].used)
            pend_release(&r->pend[i]);
    free(r->pend);
    free(r);
}

uint32_t rep_pending(const struct rep *r)
{
    assert(r);
    return r->n_pend;
}

static struct rep_pend *pend_find(struct rep *r, uint64_t id)
{
    for (uint32_t i = 0; i < r->cfg.max_pending; i++)
        if (r->pend[i].used && r->pend[i].id == id)
            return &r->pend[i];
    return NULL;
}

int rep_start(struct rep *r, const struct pg_view *servers, enum rep_want want, uint32_t k,
              rep_done_fn fn, void *ctx, uint8_t hdr[REP_HDR_B], uint64_t *id)
{
    assert(r);
    assert(servers);
    assert(hdr);
    assert(id);
    uint32_t n = servers->n_members;
    if (!fn || n == 0 || (want != REP_ONE && want != REP_K && want != REP_ALL) ||
        (want == REP_K && (k == 0 || k > n)))
        return PG_E_INVAL;
    struct rep_pend *p = NULL;
    for (uint32_t i = 0; i < r->cfg.max_pending && !p; i++)
        if (!r->pend[i].used)
            p = &r->pend[i];
    if (!p)
        return PG_E_FULL;
    *p = (struct rep_pend){.want = want, .k = want == REP_ONE ? 1 : want == REP_K ? k : n};
    p->servers = malloc(n * sizeof *p->servers);
    p->replied = calloc(n, sizeof *p->replied);
    p->gone = calloc(n, sizeof *p->gone);
    p->replies = calloc(n, sizeof *p->replies);
    if (!p->servers || !p->replied || !p->gone || !p->replies) {
        pend_release(p);
        memset(p, 0, sizeof *p);
        return PG_E_FULL;
    }
    memcpy(p->servers, servers->members, n * sizeof *p->servers);
    p->n_servers = n;
    p->used = true;
    p->id = ++r->next_id;
    p->fn = fn;
    p->ctx = ctx;
    r->n_pend++;
    put_hdr(hdr, REP_REQ, r->self, p->id);
    *id = p->id;
    return PG_OK;
}

bool rep_parse_request(const uint8_t *p, size_t len, struct rep_request *req)
{
    assert(req);
    assert((p || len == 0));
    if (!get_hdr(p, len, REP_REQ, &req->requester, &req->id))
        return false;
    req->body = p + REP_HDR_B;
    req->len = len - REP_HDR_B;
    return true;
}

void rep_reply_header(const struct rep_request *req, uint8_t hdr[REP_HDR_B])
{
    assert(req);
    assert(hdr);
    assert(req->requester != PG_NODE_NONE);
    put_hdr(hdr, REP_REP, req->requester, req->id);
}

/* Completes p with `status` (detached first: the upcall may start requests). */
static void pend_done(struct rep *r, struct rep_pend *p, int status)
{
    struct rep_pend done = *p;
    memset(p, 0, sizeof *p);
    assert(r->n_pend > 0);
    r->n_pend--;
    if (status == PG_OK && done.toobig)
        status = PG_E_TOOBIG;
    done.fn(done.ctx, done.id, status, done.replies, done.n_replies, done.n_gone);
    pend_release(&done);
}

/* Completes p if it has what it wants, or can no longer get it. */
static void pend_check(struct rep *r, struct rep_pend *p)
{
    uint32_t waiting = p->n_servers - p->n_replies - p->n_gone; /* present, not replied */
    if (p->want == REP_ALL) {
        if (waiting == 0)
            pend_done(r, p, p->n_replies ? PG_OK : PG_E_SUSPECTED);
        return;
    }
    if (p->n_replies >= p->k)
        pend_done(r, p, PG_OK);
    else if (p->n_replies + waiting < p->k)
        pend_done(r, p, PG_E_SUSPECTED);
}

static int server_index(const struct rep_pend *p, pg_node_id id)
{
    for (uint32_t i = 0; i < p->n_servers; i++)
        if (p->servers[i] == id)
            return (int)i;
    return -1;
}

bool rep_on_deliver(struct rep *r, pg_node_id from, const uint8_t *p, size_t len)
{
    assert(r);
    assert((p || len == 0));
    pg_node_id requester;
    uint64_t id;
    if (!get_hdr(p, len, REP_REP, &requester, &id) || requester != r->self)
        return false;
    struct rep_pend *q = pend_find(r, id);
    if (!q)
        return false; /* completed already, or cancelled */
    int s = server_index(q, from);
    if (s < 0 || q->replied[s] || q->gone[s])
        return true; /* not a server of it, or a second reply */
    q->replied[s] = true;
    size_t body = len - REP_HDR_B;
    uint8_t *copy = NULL;
    if (body > r->cfg.max_reply_len)
        q->toobig = true;
    else if ((copy = malloc(body ? body : 1)) != NULL && body)
        memcpy(copy, p + REP_HDR_B, body);
    if (!copy)
        q->toobig = true; /* kept as a count only */
    q->replies[q->n_replies++] =
        (struct rep_reply){.from = from, .payload = copy, .len = copy ? body : 0};
    pend_check(r, q);
    return true;
}

void rep_on_view(struct rep *r, const struct pg_view *view, bool excluded)
{
    assert(r);
    assert(view);
    for (uint32_t i = 0; i < r->cfg.max_pending; i++) {
        struct rep_pend *p = &r->pend[i];
        if (!p->used)
            continue;
        if (excluded) {
            pend_done(r, p, PG_E_CRASHED);
            continue;
        }
        for (uint32_t s = 0; s < p->n_servers; s++) {
            bool present = false;
            for (uint32_t m = 0; m < view->n_members && !present; m++)
                present = view->members[m] == p->servers[s];
            if (!present && !p->replied[s] && !p->gone[s]) {
                p->gone[s] = true;
                p->n_gone++;
            }
        }
        pend_check(r, p);
    }
}

int rep_cancel(struct rep *r, uint64_t id)
{
    assert(r);
    struct rep_pend *p = pend_find(r, id);
    if (!p)
        return PG_E_INVAL;
    pend_release(p);
    memset(p, 0, sizeof *p);
    r->n_pend--;
    return PG_OK;
}
