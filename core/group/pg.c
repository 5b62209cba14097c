/* core/group/pg.c: the process-group API (Table 1), input dispatch, the queue of
 * nested inputs, the outbox and the timer. See pg.h.
 *
 * Every input (a phys upcall, the timer, an API call) runs at depth 1. An
 * input that arrives while one runs (phys delivers our own multicasts
 * synchronously, an upcall may cbcast) is copied to `inbox` and processed
 * right after, in order, before the outer input returns. So handlers never
 * run nested and the sender still delivers its own message before cbcast
 * returns.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "pg_abcast.h"
#include "pg_base.h"
#include "pg_cbcast.h"
#include "pg_client.h"
#include "pg_domain.h"
#include "pg_state.h"
#include "pg_view.h"

/* Takes a free group slot for gid (allocated, state FREE, gid set). */
static int pg_group_take(struct pg *pg, pg_gid gid, struct pg_group **out);
static void pg_group_drop(struct pg *pg, struct pg_group *g);

static void pg_arm_timer(struct pg *pg);
static void pg_group_process(struct pg *pg, struct pg_group *g, pg_node_id from, const uint8_t *buf,
                             size_t len);

void pg_config_default(struct pg_config *cfg)
{
    assert(cfg);
    *cfg = (struct pg_config){
        .max_groups = 8,
        .max_members = PG_MAX_MEMBERS_CAP,
        .max_clients = PG_MAX_CLIENTS_CAP,
        .max_msgs = 4096,
        .max_unstable_own = 256,
        .max_held = 256,
        .max_future = 1024,
        .max_outbox = 8192,
        .max_requests = 32,
        .max_payload = PG_MAX_PAYLOAD,
        .stable_delay_ns = 20000000, /* stability gossip: n members x 50/s at most */
        .retry_ns = 1000000,
        .report_wait_ns = 1000000000,
        .join_timeout_ns = 10000000000,
        .max_abcast_unordered = 256,
        .abcast_token_follow = true,
        .abcast_token_streak = 8,
        .vt_compress = true,
        .max_state_bytes = 64u << 10,
        .state_timeout_ns = 5000000000,
        .max_domains = 16,
        .max_dom_records = 4096,
        .max_p2p = 1024,
        .max_p2p_peers = 256,
        .max_client_unacked = 64,
        .max_client_pending = 256,
        .max_diffusion_history = 1024,
        .client_retry_ns = 200000000,
    };
}

static struct pg_group *group_find(const struct pg *pg, pg_gid gid)
{
    return pg_group_find(pg, gid); /* hashed (pg_domain.c) */
}

/* ---- timer ---- */

static void pg_arm_timer(struct pg *pg)
{
    int64_t d = PG_TIMER_NEVER;
    for (uint32_t i = 0; i < pg->cfg.max_groups; i++) {
        const struct pg_group *g = &pg->groups[i];
        if (g->outbox.count && g->retry_due_ns < d) /* an excluded group's last report too */
            d = g->retry_due_ns;
        if (g->st == PG_GS_FREE || g->st == PG_GS_EXCLUDED)
            continue;
        if (pg_view_due(g) < d)
            d = pg_view_due(g);
        if (g->st == PG_GS_MEMBER && g->cb.adv_dirty && g->cb.stable_due_ns < d)
            d = g->cb.stable_due_ns;
        if (g->st == PG_GS_MEMBER && g->cb.ann_dirty && g->cb.ann_due_ns < d)
            d = g->cb.ann_due_ns;
        if (pg_state_due(g) < d)
            d = pg_state_due(g);
        int64_t c = pg_cl_deadline(g);
        d = c < d ? c : d;
    }
    if (d != pg->deadline_ns) {
        pg->deadline_ns = d;
        pg->env->timer_set(pg->env->ctx, PG_TIMER_PG, d);
    }
}

/* ---- inputs ---- */

/* One input of phys group `pgid` (a pg group or its client channels). */
static void dispatch(struct pg *pg, struct pg_group *g, phys_gid pgid, bool suspect,
                     pg_node_id from, const uint8_t *p, size_t len)
{
    bool cl = (pgid & PG_CL_PHYS_BIT) != 0;
    if (suspect && cl)
        pg_cl_on_suspect(pg, g, from);
    else if (suspect)
        pg_view_on_suspect(pg, g, from);
    else if (cl)
        pg_cl_on_msg(pg, g, from, p, len);
    else
        pg_group_process(pg, g, from, p, len);
}

static void drain(struct pg *pg)
{
    struct pg_blob b;
    while (pg_queue_pop(&pg->inbox, &b)) {
        struct pg_group *g = group_find(pg, b.gid & ~PG_CL_PHYS_BIT);
        if (g)
            dispatch(pg, g, b.gid, b.kind == 1, b.from, b.buf, b.len);
        free(b.buf);
    }
}

/* Client work that waits for stability (pg_client.c), after every input. */
static void pump(struct pg *pg)
{
    for (uint32_t i = 0; i < pg->cfg.max_groups; i++)
        if (pg->groups[i].cl)
            pg_cl_pump(pg, &pg->groups[i]);
}

static void enter(struct pg *pg)
{
    pg->depth++;
}

static void leave(struct pg *pg)
{
    assert(pg->depth > 0);
    for (int k = 0; pg->depth == 1 && k < 4; k++) {
        drain(pg);
        pump(pg);
        if (pg->inbox.count == 0)
            break;
    }
    if (pg->depth == 1) {
        drain(pg);
        while (pg_dom_kick(pg)) /* messages waiting for a record of another group */
            drain(pg);
    }
    pg->depth--;
    if (pg->depth == 0)
        pg_arm_timer(pg);
}

/* Our own FWD, STABLE and NEED change nothing here: not queued. */
static bool self_noop(const uint8_t *p, size_t len)
{
    return len >= 2 && (p[1] == PG_MT_FWD || p[1] == PG_MT_STABLE || p[1] == PG_MT_NEED);
}

static void on_phys_entry(void *ctx, phys_gid gid, pg_node_id from, const uint8_t *p, size_t len)
{
    struct pg *pg = ctx;
    struct pg_group *g = group_find(pg, gid & ~PG_CL_PHYS_BIT);
    if (!g)
        return;
    if (pg->depth > 0) {
        if (from == pg->self && self_noop(p, len))
            return;
        if (!pg_queue_push(&pg->inbox, p, len, from, gid, 0))
            pg_view_exclude(pg, g, "input queue full");
        return;
    }
    enter(pg);
    dispatch(pg, g, gid, false, from, p, len);
    leave(pg);
}

static void on_phys_monitor(void *ctx, phys_gid gid, pg_node_id failed)
{
    struct pg *pg = ctx;
    struct pg_group *g = group_find(pg, gid & ~PG_CL_PHYS_BIT);
    if (!g)
        return;
    if (pg->depth > 0) {
        if (!pg_queue_push(&pg->inbox, NULL, 0, failed, gid, 1))
            pg_view_exclude(pg, g, "input queue full");
        return;
    }
    enter(pg);
    dispatch(pg, g, gid, true, failed, NULL, 0);
    leave(pg);
}

void pg_on_timer(struct pg *pg)
{
    assert(pg);
    assert(pg->depth == 0);
    enter(pg);
    pg->deadline_ns = PG_TIMER_NEVER; /* it fired */
    int64_t now = pg_now(pg);
    for (uint32_t i = 0; i < pg->cfg.max_groups; i++) {
        struct pg_group *g = &pg->groups[i];
        if (g->outbox.count && now >= g->retry_due_ns)
            pg_outbox_flush(pg, g);
        if (g->st == PG_GS_FREE || g->st == PG_GS_EXCLUDED)
            continue;
        pg_view_tick(pg, g, now);
        pg_cb_stable_tick(pg, g);
        pg_state_tick(pg, g, now);
    }
    leave(pg); /* pumps the client work (pg_cl_pump) too */
}

/* ---- dispatch ---- */

static void on_member_msg(struct pg *pg, struct pg_group *g, pg_node_id from,
                          const struct pg_wmsg *m)
{
    int r = pg_rank_of(g->view.members, g->view.n_members, from);
    if (r >= 0 && pg_rs_has(&g->vw.dead, (uint32_t)r) &&
        (m->type == PG_MT_FLUSH || m->type == PG_MT_ACK)) {
        /* a competing coordinator, or proof that r committed: pg_view.c decides */
        pg_view_on_msg(pg, g, from, r, m);
        return;
    }
    if (r < 0 || pg_rs_has(&g->vw.dead, (uint32_t)r)) {
        if (r >= 0 && (m->type == PG_MT_DATA || m->type == PG_MT_FWD))
            pg_rs_add(&g->vw.dropped, (uint32_t)r); /* this node may now lack what others hold */
        pg->stats.stale_dropped++;
        return;
    }
    pg_rs_add(&g->vw.heard, (uint32_t)r);
    if (g->cb.prev.count && pg_rs_eq(g->vw.heard, pg_rs_all(g->view.n_members)))
        pg_store_clear(pg, &g->cb.prev); /* every member installed this view */
    switch (m->type) {
    case PG_MT_DATA:
        if (m->rank != (uint32_t)r) {
            pg->stats.malformed_dropped++;
            return;
        }
        pg_cb_on_data(pg, g, (uint32_t)r, m);
        break;
    case PG_MT_FWD:
        pg_cb_on_fwd(pg, g, m);
        break;
    case PG_MT_STABLE:
        pg_cb_on_stable(pg, g, (uint32_t)r, m);
        break;
    default:
        pg_view_on_msg(pg, g, from, r, m);
        break;
    }
}

static void hold_future(struct pg *pg, struct pg_group *g, pg_node_id from, const uint8_t *buf,
                        size_t len)
{
    if (g->future.count >= pg->cfg.max_future ||
        !pg_queue_push(&g->future, buf, len, from, g->gid, 0)) {
        pg_view_exclude(pg, g, "future-view queue full");
        return;
    }
    pg->stats.future_held++;
}

static void pg_group_process(struct pg *pg, struct pg_group *g, pg_node_id from, const uint8_t *buf,
                             size_t len)
{
    struct pg_wmsg m;
    if (pg_decode(buf, len, &m) != PG_OK) {
        pg->stats.malformed_dropped++;
        pg_trace(pg, PG_TR_GARBLED, from, g->gid, "malformed pg message");
        return;
    }
    if (m.type == PG_MT_STATE) {
        pg_state_on_msg(pg, g, from, &m);
        return;
    }
    if (m.type == PG_MT_P2P) { /* g only carried it: any state, any view */
        pg_dom_on_p2p(pg, from, &m);
        return;
    }
    if (m.type == PG_MT_OUT) {
        pg_view_on_out(pg, g, &m);
        return;
    }
    if (g->st == PG_GS_JOINING) {
        g->vw.join_due_ns = pg_now(pg) + pg->cfg.join_timeout_ns; /* it hears from the group */
        if (m.type == PG_MT_ACK)
            pg_view_on_joining(pg, g, from, &m);
        else if (g->vw.dec.key != 0 && m.view_id == g->view.view_id + 1)
            hold_future(pg, g, from, buf, len);
        return;
    }
    if (g->st != PG_GS_MEMBER)
        return;
    uint32_t v = g->view.view_id;
    if (m.type == PG_MT_REQ) {
        pg_view_on_msg(pg, g, from, pg_rank_of(g->view.members, g->view.n_members, from), &m);
    } else if (m.view_id == v) {
        on_member_msg(pg, g, from, &m);
    } else if (m.view_id == v + 1) {
        hold_future(pg, g, from, buf, len);
        if (g->st == PG_GS_MEMBER)
            pg_view_on_future(pg, g, from);
    } else if (m.view_id + 1 == v && (m.type == PG_MT_FLUSH || m.type == PG_MT_NEED)) {
        pg_view_on_prev(pg, g, from, &m);
    } else if (m.view_id + 1 < v && (m.type == PG_MT_FLUSH || m.type == PG_MT_NEED)) {
        pg_view_on_stale(pg, g, from, &m);
    } else {
        pg->stats.stale_dropped++;
    }
}

/* ---- lifecycle ---- */

static bool group_alloc(struct pg *pg, struct pg_group *g)
{
    const struct pg_config *c = &pg->cfg;
    g->cb.stride = c->max_members;
    g->cb.last_vt = calloc((size_t)g->cb.stride * g->cb.stride, sizeof(uint32_t));
    g->cb.ack = calloc((size_t)g->cb.stride * g->cb.stride, sizeof(uint32_t));
    g->vw.reqs = calloc(c->max_requests, sizeof *g->vw.reqs);
    return g->cb.last_vt && g->cb.ack && g->vw.reqs && pg_ab_alloc(g) &&
           pg_queue_init(&g->held, c->max_held) && pg_queue_init(&g->future, c->max_future) &&
           pg_queue_init(&g->outbox, c->max_outbox);
}

void pg_dom_index_del(struct pg *pg, struct pg_group *g);

static void group_release(struct pg *pg, struct pg_group *g)
{
    if (g->st != PG_GS_FREE)
        pg_dom_index_del(pg, g);
    pg_cl_free(g);
    pg_ab_free(g);
    pg_state_free(g);
    pg_store_clear(pg, &g->cb.cur);
    pg_store_clear(pg, &g->cb.prev);
    free(g->cb.last_vt);
    free(g->cb.ack);
    free(g->vw.reqs);
    pg_queue_free(&g->held);
    pg_queue_free(&g->future);
    pg_queue_free(&g->outbox);
    memset(g, 0, sizeof *g);
}

struct pg *pg_new(const struct env *env, struct phys *ph, pg_node_id self,
                  const struct pg_config *cfg)
{
    assert(env);
    assert(ph);
    assert(cfg);
    assert(self != PG_NODE_NONE);
    assert(cfg->max_groups > 0);
    assert(cfg->max_members >= 1);
    assert(cfg->max_members <= PG_MAX_MEMBERS_CAP);
    assert(cfg->max_clients <= PG_MAX_CLIENTS_CAP);
    assert(cfg->max_payload <= PG_MAX_PAYLOAD);
    assert(cfg->max_msgs > 0);
    assert(cfg->max_unstable_own > 0);
    assert(cfg->max_held > 0);
    assert(cfg->max_future > 0);
    assert(cfg->max_outbox > 0);
    assert(cfg->max_requests > 0);
    assert(cfg->stable_delay_ns > 0);
    assert(cfg->retry_ns > 0);
    assert(cfg->report_wait_ns > 0);
    assert(cfg->join_timeout_ns > 0);
    assert(cfg->max_abcast_unordered > 0);
    assert(cfg->abcast_token_streak > 0);
    assert(cfg->max_state_bytes <= PG_MAX_STATE_CAP);
    assert(cfg->state_timeout_ns > 0);
    assert(cfg->max_client_unacked > 0);
    assert(cfg->max_client_pending > 0);
    assert(cfg->max_diffusion_history > 0);
    assert(cfg->client_retry_ns > 0);
    struct pg *pg = calloc(1, sizeof *pg);
    if (!pg)
        return NULL;
    *pg = (struct pg){.env = env, .ph = ph, .self = self, .cfg = *cfg};
    pg->deadline_ns = PG_TIMER_NEVER;
    pg->on_entry = on_phys_entry; /* the layers' hooks, bottom up */
    pg->on_monitor = on_phys_monitor;
    pg_view_register(pg);
    pg_cb_register(pg);
    pg_ab_register(pg);
    pg_dom_register(pg);
    pg_cl_register(pg);
    pg_state_register(pg);
    assert(pg_cb_hooks_complete(pg));
    pg->groups = calloc(cfg->max_groups, sizeof *pg->groups);
    if (!pg->groups || !pg_queue_init(&pg->inbox, cfg->max_held + cfg->max_future + 1024) ||
        !pg_dom_new(pg)) {
        pg_free(pg);
        return NULL;
    }
    return pg;
}

void pg_free(struct pg *pg)
{
    if (!pg)
        return;
    assert(pg->depth == 0);
    for (uint32_t i = 0; pg->groups && i < pg->cfg.max_groups; i++)
        if (pg->groups[i].cb.last_vt || pg->groups[i].st != PG_GS_FREE)
            group_release(pg, &pg->groups[i]);
    pg_dom_free(pg);
    pg_msg_cache_drain(pg);
    free(pg->groups);
    pg_queue_free(&pg->inbox);
    free(pg);
}

static int pg_group_take(struct pg *pg, pg_gid gid, struct pg_group **out)
{
    if (gid == 0 || (gid & PG_CL_PHYS_BIT))
        return PG_E_INVAL;
    if (group_find(pg, gid))
        return PG_E_EXISTS;
    struct pg_group *g = NULL;
    for (uint32_t i = 0; i < pg->cfg.max_groups && !g; i++)
        if (pg->groups[i].st == PG_GS_FREE)
            g = &pg->groups[i];
    if (!g || !pg_dom_reserve(pg, pg->domain, gid))
        return PG_E_FULL; /* group table, or the domain's table (pg_domain.c) */
    if (g->cb.last_vt)
        group_release(pg, g);
    if (!group_alloc(pg, g)) {
        group_release(pg, g);
        return PG_E_FULL;
    }
    g->gid = gid;
    g->st = PG_GS_JOINING; /* until pg_create, pg_join or pg_client set it */
    g->domain = pg->domain;
    (void)pg_dom_index_add(pg, g);
    *out = g;
    return PG_OK;
}

/* Gives back a slot taken by pg_group_take (unindexed, freed, FREE). */
static void pg_group_drop(struct pg *pg, struct pg_group *g)
{
    assert(g->st != PG_GS_FREE);
    group_release(pg, g);
}

/* Takes a free group slot and creates its phys group with `members`. */
static int group_open(struct pg *pg, pg_gid gid, const pg_node_id *members, size_t n,
                      struct pg_group **out)
{
    struct pg_group *g;
    int rc = pg_group_take(pg, gid, &g);
    if (rc != PG_OK)
        return rc;
    rc = pg_phys_open(pg, gid, members, n);
    if (rc != PG_OK) {
        pg_group_drop(pg, g);
        return rc;
    }
    *out = g;
    return PG_OK;
}

/* ---- Table 1 ---- */

static int id_cmp(const void *a, const void *b)
{
    pg_node_id x = *(const pg_node_id *)a, y = *(const pg_node_id *)b;
    return x < y ? -1 : x > y;
}

/* Whether the members and clients of a view are distinct and not NONE:
 * sorted, O(k log k) for the up to 1,280 ids of a view. */
static bool view_ids_valid(const pg_node_id *members, size_t n, const pg_node_id *clients,
                           size_t nc)
{
    pg_node_id all[PG_MAX_MEMBERS_CAP + PG_MAX_CLIENTS_CAP];
    assert(n <= PG_MAX_MEMBERS_CAP);
    assert(nc <= PG_MAX_CLIENTS_CAP);
    memcpy(all, members, n * sizeof *all);
    if (nc)
        memcpy(all + n, clients, nc * sizeof *all);
    qsort(all, n + nc, sizeof *all, id_cmp);
    for (size_t i = 0; i < n + nc; i++)
        if (all[i] == PG_NODE_NONE || (i > 0 && all[i] == all[i - 1]))
            return false;
    return true;
}

int pg_create(struct pg *pg, pg_gid gid, const pg_node_id *members, size_t n)
{
    return pg_create_with_clients(pg, gid, members, n, NULL, 0);
}

int pg_create_with_clients(struct pg *pg, pg_gid gid, const pg_node_id *members, size_t n,
                           const pg_node_id *clients, size_t n_clients)
{
    assert(pg);
    assert(pg->depth == 0);
    assert((members || n == 0));
    assert((clients || n_clients == 0));
    if (gid == 0 || (gid & PG_CL_PHYS_BIT) || n == 0 || n > pg->cfg.max_members ||
        n_clients > pg->cfg.max_clients || !view_ids_valid(members, n, clients, n_clients) ||
        pg_rank_of(members, (uint32_t)n, pg->self) < 0)
        return PG_E_INVAL;
    struct pg_group *g;
    int rc = group_open(pg, gid, members, n, &g);
    if (rc != PG_OK)
        return rc;
    struct pg_prop p = {.n_members = (uint32_t)n, .n_clients = (uint32_t)n_clients};
    memcpy(p.members, members, n * sizeof(pg_node_id));
    if (n_clients)
        memcpy(p.clients, clients, n_clients * sizeof(pg_node_id));
    enter(pg);
    pg_view_install_first(pg, g, &p, 1);
    leave(pg);
    return PG_OK;
}

int pg_join(struct pg *pg, pg_gid gid, pg_node_id contact)
{
    assert(pg);
    assert(pg->depth == 0);
    if (gid == 0 || (gid & PG_CL_PHYS_BIT) || contact == PG_NODE_NONE || contact == pg->self)
        return PG_E_INVAL;
    pg_node_id ids[2] = {pg->self, contact};
    struct pg_group *g;
    int rc = group_open(pg, gid, ids, 2, &g);
    if (rc != PG_OK)
        return rc;
    g->st = PG_GS_JOINING;
    g->contact = contact;
    g->vw.join_due_ns = pg_now(pg) + pg->cfg.join_timeout_ns;
    struct pg_wmsg m = {.type = PG_MT_REQ, .op = PG_REQ_ADD_MEMBER, .pid = pg->self};
    enter(pg);
    pg->stats.control_sent++;
    rc = pg_send(pg, g, &m);
    leave(pg);
    return rc;
}

/* The group of a call that needs membership: the error code otherwise. */
static int member_group(const struct pg *pg, pg_gid gid, struct pg_group **out)
{
    struct pg_group *g = group_find(pg, gid);
    if (!g)
        return PG_E_NOGROUP;
    if (g->st == PG_GS_EXCLUDED)
        return PG_E_CRASHED;
    if (g->st != PG_GS_MEMBER)
        return PG_E_NOTMEMBER;
    *out = g;
    return PG_OK;
}

static int request(struct pg *pg, pg_gid gid, pg_node_id pid, enum pg_member_type type, bool add)
{
    assert(pg);
    assert(pg->depth == 0);
    if (pid == PG_NODE_NONE || (type != PG_MEMBER && type != PG_CLIENT))
        return PG_E_INVAL;
    struct pg_group *g;
    int rc = member_group(pg, gid, &g);
    if (rc != PG_OK)
        return rc;
    const struct pg_view *v = &g->view;
    bool present = type == PG_MEMBER ? pg_rank_of(v->members, v->n_members, pid) >= 0
                                     : pg_rank_of(v->clients, v->n_clients, pid) >= 0;
    if (add && present)
        return PG_E_EXISTS;
    if (!add && !present)
        return PG_E_NOTMEMBER;
    if (g->vw.n_reqs == pg->cfg.max_requests)
        return PG_E_FULL;
    struct pg_wmsg m = {.type = PG_MT_REQ, .view_id = v->view_id, .pid = pid};
    m.op = type == PG_MEMBER ? (add ? PG_REQ_ADD_MEMBER : PG_REQ_DEL_MEMBER)
                             : (add ? PG_REQ_ADD_CLIENT : PG_REQ_DEL_CLIENT);
    enter(pg);
    pg->stats.control_sent++;
    rc = pg_send(pg, g, &m);
    leave(pg);
    return rc;
}

int pg_add(struct pg *pg, pg_gid gid, pg_node_id pid, enum pg_member_type type)
{
    return request(pg, gid, pid, type, true);
}

int pg_del(struct pg *pg, pg_gid gid, pg_node_id pid, enum pg_member_type type)
{
    return request(pg, gid, pid, type, false);
}

int pg_leave(struct pg *pg, pg_gid gid)
{
    return request(pg, gid, pg->self, PG_MEMBER, false);
}

int pg_monitor(struct pg *pg, pg_gid gid, pg_monitor_fn fn, void *ctx)
{
    assert(pg);
    struct pg_group *g = group_find(pg, gid);
    if (!g)
        return PG_E_NOGROUP;
    g->mon = fn;
    g->mon_ctx = ctx;
    return PG_OK;
}

int pg_entry(struct pg *pg, pg_gid gid, pg_entry_fn fn, void *ctx)
{
    assert(pg);
    struct pg_group *g = group_find(pg, gid);
    if (!g)
        return PG_E_NOGROUP;
    g->entry = fn;
    g->entry_ctx = ctx;
    return PG_OK;
}

int pg_state(struct pg *pg, pg_gid gid, pg_state_encode_fn encode, pg_state_decode_fn decode,
             void *ctx)
{
    assert(pg);
    struct pg_group *g = group_find(pg, gid);
    if (!g)
        return PG_E_NOGROUP;
    if (g->st == PG_GS_EXCLUDED)
        return PG_E_CRASHED;
    return pg_state_set(pg, g, encode, decode, ctx);
}

int pg_getview(const struct pg *pg, pg_gid gid, struct pg_view *view)
{
    assert(pg);
    assert(view);
    const struct pg_group *g = group_find(pg, gid);
    if (!g)
        return PG_E_NOGROUP;
    if (g->st == PG_GS_JOINING || (g->st == PG_GS_CLIENT && g->view.view_id == 0))
        return PG_E_NOTMEMBER;
    *view = g->view;
    view->gid = gid;
    return g->st == PG_GS_EXCLUDED ? PG_E_CRASHED : PG_OK;
}

int pg_send_view(const struct pg *pg, pg_gid gid, uint32_t *view_id)
{
    assert(pg);
    assert(view_id);
    const struct pg_group *c = group_find(pg, gid);
    if (c && c->st == PG_GS_CLIENT) { /* a client gives the view it cached */
        *view_id = c->view.view_id;
        return c->view.view_id ? PG_OK : PG_E_NOTMEMBER;
    }
    struct pg_group *g;
    int rc = member_group(pg, gid, &g);
    if (rc != PG_OK)
        return rc;
    *view_id = g->view.view_id + (pg_view_flushing(g) ? 1u : 0u);
    return PG_OK;
}

/* A client's cbcast (pg_client.c). */
static int client_cbcast(struct pg *pg, struct pg_group *g, const uint8_t *payload, size_t len,
                         uint64_t *id, uint32_t *view_id)
{
    enter(pg);
    uint32_t vid = 0;
    int rc = pg_cl_cbcast(pg, g, payload, len, &vid);
    if (rc == PG_OK) {
        if (id)
            *id = ++pg->next_cbid;
        if (view_id)
            *view_id = vid;
    }
    leave(pg);
    return rc;
}

/* cbcast, abcast and diffusion (`flags`: 0, PG_AB_ABCAST, PG_AB_CX with the
 * pg_client header already in payload): sends now, or holds the message for
 * the next view during a flush (the held-queue kind keeps the flags). */
static int multicast(struct pg *pg, pg_gid gid, const uint8_t *payload, size_t len, uint64_t *id,
                     uint32_t *view_id, uint8_t flags)
{
    assert(pg);
    assert((payload || len == 0));
    assert(flags == 0 || flags == PG_AB_ABCAST || flags == PG_AB_CX);
    struct pg_group *c = group_find(pg, gid);
    if (c && c->st == PG_GS_CLIENT && flags == 0)
        return client_cbcast(pg, c, payload, len, id, view_id);
    struct pg_group *g;
    int rc = member_group(pg, gid, &g);
    if (rc != PG_OK)
        return rc;
    if (len > pg->cfg.max_payload)
        return PG_E_TOOBIG;
    if (pg_dom_held_elsewhere(pg, g->domain, g))
        return PG_E_BUSY; /* pg_domain.c: it would overtake a message held for a flush */
    bool ab = flags == PG_AB_ABCAST;
    uint32_t vid = g->view.view_id;
    if (pg_view_flushing(g) && (g->vw.acc.left == pg->self || g->vw.dec.left == pg->self))
        return PG_E_NOTMEMBER; /* it leaves at this view change: no next view to hold it for */
    enter(pg);
    if (pg_view_flushing(g)) {
        rc = pg_queue_push(&g->held, payload, len, pg->self, gid, flags) ? PG_OK : PG_E_FULL;
        if (rc == PG_OK) {
            pg->stats.held_flush++;
            pg_sometimes(pg, gid, PG_ST_HELD, "held during flush");
        }
        vid++;
    } else if (flags == PG_AB_CX) {
        rc = pg_cl_send_cx(pg, g, payload, len);
    } else {
        rc = ab ? pg_ab_send(pg, g, payload, len) : pg_cb_send(pg, g, payload, len);
    }
    if (rc == PG_OK) {
        pg->stats.cbcasts += flags == 0;
        pg->stats.diffusions += flags == PG_AB_CX;
        pg->stats.abcasts += ab;
        if (id)
            *id = ++pg->next_cbid;
        if (view_id)
            *view_id = vid;
    }
    leave(pg);
    return rc;
}

int pg_cbcast(struct pg *pg, pg_gid gid, const uint8_t *payload, size_t len, uint64_t *cbid,
              uint32_t *view_id)
{
    return multicast(pg, gid, payload, len, cbid, view_id, 0);
}

int pg_abcast(struct pg *pg, pg_gid gid, const uint8_t *payload, size_t len, uint64_t *id,
              uint32_t *view_id)
{
    return multicast(pg, gid, payload, len, id, view_id, PG_AB_ABCAST);
}

int pg_diffuse(struct pg *pg, pg_gid gid, const uint8_t *payload, size_t len, uint64_t *id,
               uint32_t *view_id)
{
    assert(pg);
    assert((payload || len == 0));
    if (len + 1 > pg->cfg.max_payload)
        return PG_E_TOOBIG;
    const struct pg_group *c = group_find(pg, gid);
    if (c && c->st == PG_GS_CLIENT)
        return PG_E_NOTMEMBER; /* members only */
    uint8_t buf[PG_MAX_PAYLOAD];
    size_t n = pg_cl_diff_payload(payload, len, buf, sizeof buf);
    return multicast(pg, gid, buf, n, id, view_id, PG_AB_CX);
}

int pg_client(struct pg *pg, pg_gid gid, pg_node_id contact)
{
    assert(pg);
    assert(pg->depth == 0);
    if (contact == PG_NODE_NONE || contact == pg->self)
        return PG_E_INVAL;
    struct pg_group *g;
    int rc = pg_group_take(pg, gid, &g);
    if (rc != PG_OK)
        return rc;
    rc = pg_phys_open(pg, gid | PG_CL_PHYS_BIT, (pg_node_id[]){pg->self, contact}, 2);
    if (rc == PG_OK) {
        enter(pg);
        rc = pg_cl_start(pg, g, contact);
        leave(pg);
    }
    if (rc != PG_OK) {
        (void)phys_destroy(pg->ph, gid | PG_CL_PHYS_BIT);
        pg_group_drop(pg, g);
    }
    return rc;
}

bool pg_is_client(const struct pg *pg, pg_gid gid)
{
    const struct pg_group *g = group_find(pg, gid);
    return g && g->st == PG_GS_CLIENT;
}

int pg_token_holder(const struct pg *pg, pg_gid gid, pg_node_id *holder)
{
    assert(pg);
    assert(holder);
    struct pg_group *g;
    int rc = member_group(pg, gid, &g);
    if (rc == PG_OK)
        *holder = pg_ab_holder(g);
    return rc;
}

int pg_flush(struct pg *pg, pg_gid gid, pg_flush_fn done_fn, void *ctx)
{
    assert(pg);
    if (!done_fn)
        return PG_E_INVAL;
    struct pg_group *g;
    int rc = member_group(pg, gid, &g);
    if (rc != PG_OK)
        return rc;
    if (g->cb.fpending)
        return PG_E_BUSY;
    g->cb.fpending = true;
    g->cb.fdone = done_fn;
    g->cb.fctx = ctx;
    g->cb.f_view = g->view.view_id;
    g->cb.f_seq = g->cb.my_seq;
    g->cb.f_snap_ok = false;
    if (g->held.count) {
        g->cb.f_view++;
        g->cb.f_seq = g->held.count;
    } else if (g->cb.my_seq == 0 && g->cb.ever_sent) {
        /* own messages of an earlier view: a member delivers them at its
         * install of this view, which may be still to come (check_flush) */
        g->cb.f_view--;
    }
    enter(pg);
    pg_cb_check_flush(pg, g);
    leave(pg);
    return PG_OK;
}

uint32_t pg_set_dflt_domain(struct pg *pg, uint32_t did)
{
    assert(pg);
    uint32_t old = pg->domain;
    pg->domain = did;
    return old;
}

int pg_domain_of(const struct pg *pg, pg_gid gid, uint32_t *did)
{
    assert(pg);
    assert(did);
    const struct pg_group *g = group_find(pg, gid);
    if (!g)
        return PG_E_NOGROUP;
    *did = g->domain;
    return PG_OK;
}

const struct pg_stats *pg_stats(const struct pg *pg)
{
    assert(pg);
    return &pg->stats;
}

size_t pg_retained(const struct pg *pg)
{
    assert(pg);
    size_t n = 0;
    for (uint32_t i = 0; i < pg->cfg.max_groups; i++)
        n += pg->groups[i].cb.cur.count + pg->groups[i].cb.prev.count;
    return n;
}

bool pg_excluded(const struct pg *pg, pg_gid gid)
{
    const struct pg_group *g = group_find(pg, gid);
    return g && g->st == PG_GS_EXCLUDED;
}
