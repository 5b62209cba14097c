/* core/tools/hier.c: hierarchical groups over pg.h: roles, the outbox, the root
 * and the client stub (see hier.h; subgroups in hier_sub.c). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "hier_internal.h"

void hier_config_default(struct hier_config *cfg)
{
    assert(cfg);
    memset(cfg, 0, sizeof *cfg);
    cfg->n_keys = 64;
    cfg->n_ranges = 8;
    cfg->max_clients = 16384;
    cfg->max_queue = 4096;
    cfg->bind_batch = 64;
    cfg->tick_ns = 10000000;
    cfg->retry_ns = 600000000;
    cfg->load_ns = 200000000;
    cfg->dead_ns = 3000000000;
}

void hier_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t hier_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void hier_put64(uint8_t *p, uint64_t v)
{
    hier_put32(p, (uint32_t)v);
    hier_put32(p + 4, (uint32_t)(v >> 32));
}

uint64_t hier_get64(const uint8_t *p)
{
    return hier_get32(p) | (uint64_t)hier_get32(p + 4) << 32;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint32_t get16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

uint32_t hier_gidx(const struct hier *h, pg_gid gid)
{
    if (gid == h->cfg.root_gid)
        return h->cfg.n_sub;
    for (uint32_t s = 0; s < h->cfg.n_sub; s++)
        if (h->cfg.sub_gid[s] == gid)
            return s;
    return HIER_NONE;
}

static pg_gid gid_of(const struct hier *h, uint32_t gidx)
{
    return gidx == h->cfg.n_sub ? h->cfg.root_gid : h->cfg.sub_gid[gidx];
}

bool hier_is_gid(const struct hier *h, pg_gid gid)
{
    return hier_gidx(h, gid) != HIER_NONE;
}

uint32_t hier_range_of(const struct hier *h, uint32_t key)
{
    assert(key < h->cfg.n_keys);
    return (uint32_t)((uint64_t)key * h->cfg.n_ranges / h->cfg.n_keys);
}

bool hier_is_seq(const struct hier *h)
{
    const struct hier_view *v = &h->views[h->sub];
    return h->role == HR_ROLE_MEMBER && v->have && !v->excluded && v->n > 0 && v->m[0] == h->self;
}

bool hier_is_coord(const struct hier *h)
{
    const struct hier_view *v = &h->views[h->cfg.n_sub];
    return h->role == HR_ROLE_ROOT && v->have && !v->excluded && v->n > 0 && v->m[0] == h->self;
}

int hier_bound(const struct hier *h)
{
    return h->bound;
}

const struct hier_stats *hier_stats(const struct hier *h)
{
    return &h->st;
}

/* ---- the outbox: records batched per (mode, gid), bounded by cfg.max_queue ---- */

int hier_out_rec(struct hier *h, uint8_t mode, pg_gid gid, uint8_t type, const uint8_t *body,
                 size_t len)
{
    assert(len + 4 <= HIER_MSG_MAX);
    h->urgent = true;
    if (h->out_n > 0) {
        struct hier_out *o = &h->out[(h->out_head + h->out_n - 1) % h->cfg.max_queue];
        if (o->mode == mode && o->gid == gid && o->len + 3 + len <= HIER_MSG_MAX) {
            o->buf[o->len] = type;
            put16(o->buf + o->len + 1, (uint32_t)len);
            memcpy(o->buf + o->len + 3, body, len);
            o->len = (uint16_t)(o->len + 3 + len);
            return PG_OK;
        }
    }
    if (h->out_n == h->cfg.max_queue)
        return PG_E_FULL;
    struct hier_out *o = &h->out[(h->out_head + h->out_n) % h->cfg.max_queue];
    if (!o->buf && !(o->buf = malloc(HIER_MSG_MAX)))
        return PG_E_FULL;
    h->out_n++;
    o->mode = mode;
    o->gid = gid;
    o->buf[0] = HIER_MAGIC;
    o->buf[1] = type;
    put16(o->buf + 2, (uint32_t)len);
    memcpy(o->buf + 4, body, len);
    o->len = (uint16_t)(4 + len);
    return PG_OK;
}

/* Sends the outbox in order; a full window stops it until the next tick. */
static void out_flush(struct hier *h)
{
    while (h->out_n > 0) {
        struct hier_out *o = &h->out[h->out_head];
        uint8_t buf[HIER_MSG_MAX];
        size_t len = o->len;
        memcpy(buf, o->buf, len);
        uint8_t mode = o->mode;
        pg_gid gid = o->gid;
        h->out_head = (h->out_head + 1) % h->cfg.max_queue;
        h->out_n--;
        uint64_t id;
        uint32_t vid;
        int rc = mode == HM_AB   ? abcast(h->pg, gid, buf, len, &id, &vid)
                 : mode == HM_DF ? pg_diffuse(h->pg, gid, buf, len, &id, &vid)
                                 : cbcast(h->pg, gid, buf, len, &id, &vid);
        if (rc == PG_E_FULL || rc == PG_E_BUSY) { /* back to the front, next tick */
            h->out_head = (h->out_head + h->cfg.max_queue - 1) % h->cfg.max_queue;
            h->out_n++;
            struct hier_out *f = &h->out[h->out_head];
            if (f != o) { /* the slot was reused meanwhile: cannot happen (ring order) */
                assert(!"outbox slot reused");
            }
            o->len = (uint16_t)len;
            memcpy(o->buf, buf, len);
            o->mode = mode;
            o->gid = gid;
            return;
        }
    }
}

/* ---- clienthood: pg_client is not called from an upcall ---- */

void hier_need_client(struct hier *h, uint32_t gidx)
{
    if (!h->client_dead[gidx] && !pg_is_client(h->pg, gid_of(h, gidx)) && !h->want_client[gidx])
        h->want_client[gidx] = h->urgent = true;
}

bool hier_client_ready(const struct hier *h, uint32_t gidx)
{
    return pg_is_client(h->pg, gid_of(h, gidx)) && h->views[gidx].have &&
           !h->views[gidx].excluded && h->views[gidx].n > 0;
}

static void clients_open(struct hier *h)
{
    for (uint32_t g = 0; g <= h->cfg.n_sub; g++) {
        if (!h->want_client[g] || h->client_dead[g])
            continue;
        h->want_client[g] = false;
        const pg_node_id *dir = g == h->cfg.n_sub ? h->cfg.root_dir : h->cfg.sub_dir[g];
        uint32_t n = g == h->cfg.n_sub ? h->cfg.n_root : h->cfg.sub_n[g];
        pg_node_id contact = dir[(h->self + h->contact_try[g]++) % n];
        (void)pg_client(h->pg, gid_of(h, g), contact); /* PG_E_EXISTS: already one */
    }
}

/* ---- root ---- */

static struct hier_cl_ent *cl_find(struct hier *h, pg_node_id c, bool add)
{
    uint32_t i = (uint32_t)((c * 2654435761u) % h->cl_cap);
    for (uint32_t k = 0; k < h->cl_cap; k++, i = (i + 1) % h->cl_cap) {
        if (h->cl[i].id == c)
            return &h->cl[i];
        if (h->cl[i].id == 0) {
            if (!add)
                return NULL;
            h->cl[i] = (struct hier_cl_ent){.id = c, .sub = 0xffff};
            return &h->cl[i];
        }
    }
    return NULL;
}

static uint32_t least_loaded(const struct hier *h, const uint32_t *load)
{
    uint32_t best = HIER_NONE;
    for (uint32_t s = 0; s < h->cfg.n_sub; s++)
        if (!h->dead[s] && (best == HIER_NONE || load[s] < load[best]))
            best = s;
    return best;
}

static uint32_t policy_pick(const struct hier *h, pg_node_id c, const uint32_t *load)
{
    if (h->cfg.policy == HIER_LEAST_LOADED)
        return least_loaded(h, load);
    for (uint32_t k = 0; k < h->cfg.n_sub; k++) {
        uint32_t s = (c + k) % h->cfg.n_sub;
        if (!h->dead[s])
            return s;
    }
    return HIER_NONE;
}

static void root_diffuse(struct hier *h, uint8_t type, const uint8_t *b, size_t len)
{
    (void)hier_out_rec(h, HM_DF, h->cfg.root_gid, type, b, len);
}

/* Coordinator: up to bind_batch decisions from the bind queue. */
static void root_binds(struct hier *h)
{
    if (h->bq_n == 0 || h->now_ns < h->next_bind_ns)
        return;
    h->next_bind_ns = h->now_ns + h->cfg.tick_ns;
    uint32_t *load = malloc(h->cfg.n_sub * sizeof *load);
    assert(load);
    memcpy(load, h->load, h->cfg.n_sub * sizeof *load);
    for (uint32_t k = 0; k < h->cfg.bind_batch && h->bq_n > 0; k++) {
        struct hier_q q = h->bq[h->bq_head];
        h->bq_head = (h->bq_head + 1) % h->cfg.max_queue;
        h->bq_n--;
        struct hier_cl_ent *e = cl_find(h, q.client, false);
        if (e)
            e->queued = false;
        uint32_t s =
            e && e->sub != 0xffff && !h->dead[e->sub] ? e->sub : policy_pick(h, q.client, load);
        if (s == HIER_NONE)
            continue;
        load[s]++;
        uint8_t b[8];
        hier_put32(b, q.client);
        put16(b + 4, s);
        put16(b + 6, q.gw);
        root_diffuse(h, HR_BOUND, b, 8);
        h->st.binds_decided++;
    }
    free(load);
}

static void root_map_rec(struct hier *h, uint32_t r, uint32_t sub, uint32_t epoch,
                         enum hier_map_kind kind)
{
    uint8_t b[9];
    put16(b, r);
    put16(b + 2, sub);
    hier_put32(b + 4, epoch);
    b[8] = (uint8_t)kind;
    root_diffuse(h, HR_MAP, b, 9);
}

/* Coordinator: a subgroup silent for dead_ns is dead; its ranges are lost. */
static void root_check(struct hier *h)
{
    if (h->now_ns < h->next_check_ns)
        return;
    h->next_check_ns = h->now_ns + h->cfg.load_ns;
    for (uint32_t s = 0; s < h->cfg.n_sub; s++) {
        if (h->dead[s] || h->now_ns - h->last_load_ns[s] <= h->cfg.dead_ns)
            continue;
        uint8_t b[2];
        put16(b, s);
        root_diffuse(h, HR_DEAD, b, 2);
        h->dead[s] = true; /* until the record comes back: picks avoid it */
        for (uint32_t r = 0; r < h->cfg.n_ranges; r++) {
            if (h->map[r].owner != s)
                continue;
            uint32_t to = least_loaded(h, h->load);
            if (to != HIER_NONE)
                root_map_rec(h, r, to, h->map[r].epoch + 1, HIER_MAP_LOST);
        }
    }
}

static void root_on_bound(struct hier *h, pg_node_id c, uint32_t s)
{
    struct hier_cl_ent *e = cl_find(h, c, true);
    if (!e || s >= h->cfg.n_sub)
        return;
    if (e->sub != 0xffff && h->load[e->sub] > 0)
        h->load[e->sub]--;
    e->sub = (uint16_t)s;
    h->load[s]++;
}

static void root_on_dead(struct hier *h, uint32_t s)
{
    h->dead[s] = true;
    h->load[s] = 0;
    for (uint32_t i = 0; i < h->cl_cap; i++)
        if (h->cl[i].id && h->cl[i].sub == s)
            h->cl[i].sub = 0xffff;
}

static void root_on_map(struct hier *h, uint32_t r, uint32_t s, uint32_t e, uint8_t kind)
{
    if (r >= h->cfg.n_ranges || s >= h->cfg.n_sub || e <= h->map[r].epoch)
        return;
    h->map[r] = (struct hier_map_ent){
        .owner = s, .epoch = e, .moving = kind == HIER_MAP_MOVE, .lost = kind == HIER_MAP_LOST};
    if (h->up.map)
        h->up.map(h->ctx, r, s, e, (enum hier_map_kind)kind);
}

/* A record the root group delivered (root member). */
static void root_rec(struct hier *h, uint8_t type, const uint8_t *b, size_t len)
{
    bool coord = hier_is_coord(h);
    uint8_t o[16];
    switch (type) {
    case HR_BINDQ: {
        if (len < 6 || !coord)
            return;
        pg_node_id c = hier_get32(b);
        struct hier_cl_ent *e = cl_find(h, c, true);
        if (!e || e->queued || h->bq_n == h->cfg.max_queue) {
            h->st.binds_dropped += !e || !e->queued;
            return;
        }
        e->queued = true;
        h->bq[(h->bq_head + h->bq_n++) % h->cfg.max_queue] =
            (struct hier_q){.client = c, .gw = get16(b + 4)};
        h->urgent = true;
        return;
    }
    case HR_LOAD:
        if (len >= 2 && get16(b) < h->cfg.n_sub)
            h->last_load_ns[get16(b)] = h->now_ns;
        return;
    case HR_GM:
        if (len < 9 || !coord)
            return;
        if (h->gseq_assigned < h->gseq_delivered)
            h->gseq_assigned = h->gseq_delivered;
        hier_put32(o, ++h->gseq_assigned);
        memcpy(o + 4, b, 9);
        root_diffuse(h, HR_GSEQ, o, 13);
        return;
    case HR_MOVED:
        if (len >= 6 && coord && get16(b) < h->cfg.n_ranges && h->map[get16(b)].moving &&
            h->map[get16(b)].epoch == hier_get32(b + 2))
            root_diffuse(h, HR_DONE, b, 6);
        return;
    case HR_BOUND:
        if (len >= 8)
            root_on_bound(h, hier_get32(b), get16(b + 4));
        return;
    case HR_MAP:
        if (len >= 9)
            root_on_map(h, get16(b), get16(b + 2), hier_get32(b + 4), b[8]);
        return;
    case HR_DEAD:
        if (len >= 2 && get16(b) < h->cfg.n_sub)
            root_on_dead(h, get16(b));
        return;
    case HR_GSEQ:
        if (len >= 4 && hier_get32(b) > h->gseq_delivered)
            h->gseq_delivered = hier_get32(b);
        return;
    case HR_DONE:
        if (len >= 6 && get16(b) < h->cfg.n_ranges && h->map[get16(b)].epoch == hier_get32(b + 2))
            h->map[get16(b)].moving = false;
        return;
    default:
        return; /* not for the root */
    }
}

int hier_move(struct hier *h, uint32_t range, uint32_t to)
{
    assert(h);
    if (!hier_is_coord(h))
        return PG_E_NOTMEMBER;
    if (range >= h->cfg.n_ranges || to >= h->cfg.n_sub || h->dead[to])
        return PG_E_INVAL;
    if (h->map[range].moving || h->map[range].owner == to)
        return PG_E_BUSY;
    root_map_rec(h, range, to, h->map[range].epoch + 1, HIER_MAP_MOVE);
    h->map[range].moving = true; /* until the record comes back */
    h->st.moves++;
    return PG_OK;
}

int hier_rebalance(struct hier *h)
{
    assert(h);
    if (!hier_is_coord(h))
        return PG_E_NOTMEMBER;
    uint32_t *load = malloc(h->cfg.n_sub * sizeof *load);
    assert(load);
    memcpy(load, h->load, h->cfg.n_sub * sizeof *load);
    for (uint32_t i = 0; i < h->cl_cap; i++) {
        struct hier_cl_ent *e = &h->cl[i];
        if (!e->id || e->sub == 0xffff)
            continue;
        uint32_t to = least_loaded(h, load);
        if (to == HIER_NONE || load[e->sub] <= load[to])
            continue;
        uint8_t b[8];
        hier_put32(b, e->id);
        put16(b + 4, to);
        put16(b + 6, e->sub); /* the subgroup the client listens on */
        load[e->sub]--;
        load[to]++;
        root_diffuse(h, HR_BOUND, b, 8);
    }
    free(load);
    return PG_OK;
}

/* ---- the client stub ---- */

int hier_client_start(struct hier *h)
{
    assert(h);
    if (h->role != HR_ROLE_NONE)
        return PG_E_EXISTS;
    h->role = HR_ROLE_CLIENT;
    struct rep_config rc;
    rep_config_default(&rc);
    rc.max_pending = 4;
    h->rep = rep_new(&rc, h->self);
    h->rq_key = malloc(h->cfg.max_queue * sizeof *h->rq_key);
    if (!h->rep || !h->rq_key)
        return PG_E_FULL;
    h->gw = h->self % h->cfg.n_sub;
    h->bind_sent_ns = INT64_MIN / 2;
    hier_need_client(h, h->gw);
    return PG_OK;
}

int hier_request(struct hier *h, uint32_t key, uint64_t *id)
{
    assert(h && id);
    if (h->role != HR_ROLE_CLIENT)
        return PG_E_NOTMEMBER;
    if (key >= h->cfg.n_keys)
        return PG_E_INVAL;
    if (h->rq_n == h->cfg.max_queue)
        return PG_E_FULL;
    if (h->rq_n == 0)
        h->rq_first_id = h->next_id + 1;
    h->rq_key[(h->rq_head + h->rq_n++) % h->cfg.max_queue] = key;
    *id = ++h->next_id;
    h->st.requests++;
    h->urgent = true;
    return PG_OK;
}

static void client_done(void *ctx, uint64_t id, int status, const struct rep_reply *r, uint32_t n,
                        uint32_t left)
{
    struct hier *h = ctx;
    (void)left;
    if (!h->outstanding || id != h->rep_id)
        return;
    if (status != PG_OK || n < 1 || r[0].len < 16) {
        h->resend = h->urgent = true;
        return;
    }
    uint64_t rid = hier_get32(r[0].payload);
    uint32_t key = hier_get32(r[0].payload + 4);
    uint64_t val = hier_get64(r[0].payload + 8);
    if (rid != h->rq_first_id)
        return;
    h->outstanding = false;
    h->rq_head = (h->rq_head + 1) % h->cfg.max_queue;
    h->rq_n--;
    h->rq_first_id++;
    h->st.replies++;
    h->urgent = true;
    if (h->up.reply)
        h->up.reply(h->ctx, rid, key, val);
}

static void client_bind_to(struct hier *h, uint32_t s)
{
    if ((int)s == h->bound)
        return;
    if (h->bound >= 0 && h->up.bind)
        h->up.bind(h->ctx, (uint32_t)h->bound, false);
    h->st.rebinds += h->bound >= 0;
    h->bound = (int)s;
    if (h->up.bind)
        h->up.bind(h->ctx, s, true);
    hier_need_client(h, s);
    h->resend = h->urgent = true;
}

static void client_unbind(struct hier *h)
{
    if (h->bound >= 0 && h->up.bind)
        h->up.bind(h->ctx, (uint32_t)h->bound, false);
    h->bound = -1;
    h->bind_sent_ns = INT64_MIN / 2;
    h->resend = h->urgent = true;
}

static void client_rec(struct hier *h, uint32_t gidx, pg_node_id from, uint8_t type,
                       const uint8_t *b, size_t len)
{
    if (type == HR_BOUNDR && len >= 6 && hier_get32(b) == h->self && get16(b + 4) < h->cfg.n_sub) {
        uint32_t s = get16(b + 4);
        if (h->client_dead[s])
            client_unbind(h);
        else
            client_bind_to(h, s);
    } else if (type == HR_REPLY && len >= REP_HDR_B + 16) {
        (void)rep_on_deliver(h->rep, from, b, len);
    }
}

static void client_send(struct hier *h)
{
    if (h->bound < 0 || h->rq_n == 0 || !hier_client_ready(h, (uint32_t)h->bound))
        return;
    if (h->outstanding && !h->resend && h->now_ns - h->sent_ns < h->cfg.retry_ns)
        return;
    if (h->outstanding) {
        (void)rep_cancel(h->rep, h->rep_id);
        h->st.retries++;
    }
    struct pg_view *v = calloc(1, sizeof *v);
    assert(v);
    const struct hier_view *hv = &h->views[h->bound];
    v->gid = h->cfg.sub_gid[h->bound];
    v->view_id = hv->view_id;
    v->n_members = hv->n;
    memcpy(v->members, hv->m, hv->n * sizeof *hv->m);
    struct hier_req q = {.client = h->self,
                         .seq = (uint32_t)h->rq_first_id,
                         .key = h->rq_key[h->rq_head],
                         .via = (uint16_t)h->bound};
    int rc = rep_start(h->rep, v, REP_ONE, 1, client_done, h, q.rep, &h->rep_id);
    free(v);
    if (rc != PG_OK)
        return;
    uint8_t b[HIER_REQ_B];
    hier_req_put(&q, b);
    h->outstanding = true;
    h->resend = false;
    h->sent_ns = h->now_ns;
    (void)hier_out_rec(h, HM_CB, h->cfg.sub_gid[h->bound], HR_REQ, b, HIER_REQ_B);
}

static void client_run(struct hier *h)
{
    if (h->bound < 0 && hier_client_ready(h, h->gw) &&
        h->now_ns - h->bind_sent_ns >= h->cfg.retry_ns) {
        uint8_t b[6];
        hier_put32(b, h->self);
        put16(b + 4, h->gw);
        h->bind_sent_ns = h->now_ns;
        h->st.binds_sent++;
        (void)hier_out_rec(h, HM_CB, h->cfg.sub_gid[h->gw], HR_BIND, b, 6);
    }
    client_send(h);
}

static void client_wake(struct hier *h)
{
    if (h->bound < 0 && h->bind_sent_ns + h->cfg.retry_ns < h->wake_ns)
        h->wake_ns = h->bind_sent_ns + h->cfg.retry_ns;
    if (h->outstanding && h->sent_ns + h->cfg.retry_ns < h->wake_ns)
        h->wake_ns = h->sent_ns + h->cfg.retry_ns;
}

/* The client's gateway or bound subgroup has no member left. */
static void client_lost(struct hier *h, uint32_t s)
{
    h->client_dead[s] = true;
    if ((int)s == h->bound)
        client_unbind(h);
    if (s == h->gw || h->client_dead[h->gw]) {
        for (uint32_t k = 1; k <= h->cfg.n_sub; k++) {
            uint32_t g = (h->gw + k) % h->cfg.n_sub;
            if (!h->client_dead[g]) {
                h->gw = g;
                break;
            }
        }
        hier_need_client(h, h->gw);
    }
}

/* ---- life cycle and inputs ---- */

struct hier *hier_new(const struct hier_config *cfg, struct pg *pg, pg_node_id self,
                      const struct hier_upcalls *up, void *ctx)
{
    assert(cfg && pg && up);
    if (cfg->n_sub == 0 || cfg->n_sub > HIER_MAX_SUB || cfg->n_root == 0 ||
        cfg->n_root > HIER_MAX_DIR || cfg->n_ranges == 0 || cfg->n_ranges > HIER_MAX_RANGES ||
        cfg->n_keys < cfg->n_ranges ||
        (cfg->n_keys + cfg->n_ranges - 1) / cfg->n_ranges > HIER_MAX_KEYS_PR ||
        cfg->max_queue == 0 || cfg->max_clients == 0 || cfg->bind_batch == 0 || cfg->tick_ns <= 0)
        return NULL;
    struct hier *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->cfg = *cfg;
    h->pg = pg;
    h->self = self;
    h->up = *up;
    h->ctx = ctx;
    h->bound = -1;
    h->sub = HIER_NONE;
    uint32_t ng = cfg->n_sub + 1;
    h->out = calloc(cfg->max_queue, sizeof *h->out);
    h->views = calloc(ng, sizeof *h->views);
    h->want_client = calloc(ng, sizeof *h->want_client);
    h->client_dead = calloc(ng, sizeof *h->client_dead);
    h->contact_try = calloc(ng, sizeof *h->contact_try);
    if (!h->out || !h->views || !h->want_client || !h->client_dead || !h->contact_try) {
        hier_free(h);
        return NULL;
    }
    for (uint32_t r = 0; r < cfg->n_ranges; r++)
        h->map[r] = (struct hier_map_ent){.owner = r % cfg->n_sub, .epoch = 1};
    for (uint32_t i = 0; i < cfg->n_root; i++)
        if (cfg->root_dir[i] == self)
            h->role = HR_ROLE_ROOT;
    for (uint32_t s = 0; s < cfg->n_sub && h->role == HR_ROLE_NONE; s++)
        for (uint32_t i = 0; i < cfg->sub_n[s]; i++)
            if (cfg->sub_dir[s][i] == self) {
                h->role = HR_ROLE_MEMBER;
                h->sub = s;
            }
    if (h->role == HR_ROLE_ROOT) {
        h->cl_cap = 2 * cfg->max_clients;
        h->cl = calloc(h->cl_cap, sizeof *h->cl);
        h->load = calloc(cfg->n_sub, sizeof *h->load);
        h->dead = calloc(cfg->n_sub, sizeof *h->dead);
        h->last_load_ns = calloc(cfg->n_sub, sizeof *h->last_load_ns);
        h->bq = calloc(cfg->max_queue, sizeof *h->bq);
        if (!h->cl || !h->load || !h->dead || !h->last_load_ns || !h->bq) {
            hier_free(h);
            return NULL;
        }
    }
    if (h->role == HR_ROLE_MEMBER)
        hier_sub_init(h);
    return h;
}

void hier_free(struct hier *h)
{
    if (!h)
        return;
    for (uint32_t i = 0; h->out && i < h->cfg.max_queue; i++)
        free(h->out[i].buf);
    free(h->out);
    free(h->views);
    free(h->want_client);
    free(h->client_dead);
    free(h->contact_try);
    free(h->cl);
    free(h->load);
    free(h->dead);
    free(h->last_load_ns);
    free(h->bq);
    hier_sub_free(h);
    rep_free(h->rep);
    free(h->rq_key);
    free(h);
}

void hier_on_entry(struct hier *h, pg_gid gid, pg_node_id from, const uint8_t *p, size_t len)
{
    assert(h && (p || len == 0));
    uint32_t gidx = hier_gidx(h, gid);
    if (gidx == HIER_NONE || len < 1 || p[0] != HIER_MAGIC)
        return;
    for (size_t i = 1; i + 3 <= len;) {
        uint8_t type = p[i];
        size_t rl = get16(p + i + 1);
        if (i + 3 + rl > len)
            return; /* malformed: the rest is dropped */
        const uint8_t *b = p + i + 3;
        if (h->role == HR_ROLE_ROOT && gidx == h->cfg.n_sub)
            root_rec(h, type, b, rl);
        else if (h->role == HR_ROLE_MEMBER)
            hier_sub_rec(h, gidx, type, b, rl);
        else if (h->role == HR_ROLE_CLIENT)
            client_rec(h, gidx, from, type, b, rl);
        i += 3 + rl;
    }
}

void hier_on_view(struct hier *h, const struct pg_view *v, bool excluded)
{
    assert(h && v);
    uint32_t g = hier_gidx(h, v->gid);
    if (g == HIER_NONE)
        return;
    struct hier_view *hv = &h->views[g];
    hv->have = true;
    hv->excluded = excluded;
    hv->view_id = v->view_id;
    hv->n = v->n_members < HIER_VIEW_MAX ? v->n_members : HIER_VIEW_MAX;
    memcpy(hv->m, v->members, hv->n * sizeof *hv->m);
    h->urgent = true;
    if (h->role == HR_ROLE_CLIENT) {
        if ((int)g == h->bound)
            rep_on_view(h->rep, v, excluded);
        if (excluded)
            client_lost(h, g);
    } else if (excluded && g != h->sub && pg_is_client(h->pg, v->gid) == false) {
        h->client_dead[g] = true;
    }
}

static void root_run(struct hier *h)
{
    if (!h->started) {
        for (uint32_t s = 0; s < h->cfg.n_sub; s++)
            h->last_load_ns[s] = h->now_ns;
        for (uint32_t r = 0; r < h->cfg.n_ranges && h->up.map; r++)
            h->up.map(h->ctx, r, h->map[r].owner, 1, HIER_MAP_ASSIGN);
        h->next_check_ns = h->now_ns + h->cfg.dead_ns;
    }
    if (!hier_is_coord(h))
        return;
    root_binds(h);
    root_check(h);
}

void hier_run(struct hier *h, int64_t now_ns)
{
    assert(h);
    h->now_ns = now_ns;
    h->urgent = false;
    if (h->role == HR_ROLE_MEMBER && !h->started)
        hier_need_client(h, h->cfg.n_sub);
    if (h->role == HR_ROLE_ROOT)
        root_run(h);
    h->started = true;
    clients_open(h);
    if (h->role == HR_ROLE_MEMBER)
        hier_sub_run(h);
    if (h->role == HR_ROLE_CLIENT)
        client_run(h);
    out_flush(h);
    h->urgent = false; /* the outbox is empty or waits for a full window (next tick) */
    for (uint32_t g = 0; g <= h->cfg.n_sub; g++)
        h->urgent |= h->want_client[g];
    h->wake_ns = PG_TIMER_NEVER;
    if (h->out_n > 0)
        h->wake_ns = now_ns + h->cfg.tick_ns; /* a full window: try again */
    if (h->role == HR_ROLE_ROOT) {
        int64_t w = h->bq_n ? h->next_bind_ns : h->next_check_ns;
        h->wake_ns = w < h->wake_ns ? w : h->wake_ns;
        if (h->next_check_ns < h->wake_ns)
            h->wake_ns = h->next_check_ns;
    }
    if (h->role == HR_ROLE_MEMBER) {
        int64_t w = h->wq_n ? now_ns + h->cfg.tick_ns : h->next_load_ns;
        h->wake_ns = w < h->wake_ns ? w : h->wake_ns;
        if (h->next_load_ns < h->wake_ns)
            h->wake_ns = h->next_load_ns;
        for (uint32_t r = 0; r < h->cfg.n_ranges; r++)
            if (h->rd[r].frozen && h->rd[r].st_sent_ns + h->cfg.retry_ns < h->wake_ns)
                h->wake_ns = h->rd[r].st_sent_ns + h->cfg.retry_ns;
    }
    if (h->role == HR_ROLE_CLIENT)
        client_wake(h);
    if (h->wake_ns <= now_ns) /* a deadline passed, waiting for a view: poll each tick */
        h->wake_ns = now_ns + h->cfg.tick_ns;
}

int64_t hier_next_ns(const struct hier *h, int64_t now_ns)
{
    assert(h);
    if (!h->started)
        return now_ns;
    return h->urgent ? now_ns : h->wake_ns;
}

int hier_mcast(struct hier *h, enum hier_mc_kind kind, uint64_t *mseq)
{
    assert(h && mseq);
    if (h->role != HR_ROLE_MEMBER)
        return PG_E_NOTMEMBER;
    uint8_t b[9];
    *mseq = ++h->next_mseq;
    hier_put32(b, h->self);
    hier_put32(b + 4, (uint32_t)*mseq);
    b[8] = (uint8_t)kind;
    h->st.mcasts++;
    return hier_out_rec(h, HM_CB, h->cfg.root_gid, HR_GM, b, 9);
}
