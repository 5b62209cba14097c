/* core/pg_view.c: atomic view changes with flush, primary partition and
 * fail-stop conversion (paper sections 3.1 and 5). See the protocol summary
 * in pg.h.
 *
 * Keys order flush attempts of one view: key = attempt << 8 | (255 - coord
 * rank), so a later attempt wins and, for equal attempts, the lower rank.
 * A member sends FLUSH_OK for a key only if it is at least every key it
 * answered before (its promise), and never after it committed; a member
 * commits to a decision of a lower key than its promise only on a full ACK
 * from a member of the proposal it promised (that attempt can then never
 * complete, since that member will not answer it).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "pg_internal.h"

/* The set holding only rank r. */
static struct pg_rset bit(uint32_t r)
{
    assert(r < PG_CAP);
    struct pg_rset s = pg_rs_none();
    pg_rs_add(&s, r);
    return s;
}

uint64_t pg_key(uint32_t attempt, uint32_t coord_rank)
{
    assert(coord_rank < PG_CAP);
    return (uint64_t)attempt << 8 | (255u - coord_rank);
}

static uint32_t key_attempt(uint64_t key)
{
    return (uint32_t)(key >> 8);
}

static uint32_t key_coord(uint64_t key)
{
    return 255u - (uint32_t)(key & 0xFFu);
}

int pg_rank_of(const pg_node_id *members, uint32_t n, pg_node_id pid)
{
    for (uint32_t i = 0; i < n; i++)
        if (members[i] == pid)
            return (int)i;
    return -1;
}

bool pg_view_flushing(const struct pg_group *g)
{
    return g->acc.key != 0 || g->dec.key != 0;
}

/* Ranks of the current view that are members of proposal p. */
static struct pg_rset prop_mask(const struct pg_group *g, const struct pg_prop *p)
{
    struct pg_rset m = pg_rs_none();
    for (uint32_t i = 0; i < p->n_members; i++) {
        int r = pg_rank_of(g->view.members, g->view.n_members, p->members[i]);
        if (r >= 0)
            pg_rs_add(&m, (uint32_t)r);
    }
    return m;
}

static void prop_from_msg(struct pg_prop *p, const struct pg_wmsg *m)
{
    p->key = pg_key(m->attempt, m->rank);
    p->n_members = m->n_members;
    memcpy(p->members, m->members, m->n_members * sizeof(pg_node_id));
    p->n_clients = m->n_clients;
    memcpy(p->clients, m->clients, m->n_clients * sizeof(pg_node_id));
}

static void prop_to_msg(const struct pg_prop *p, struct pg_wmsg *m)
{
    m->attempt = key_attempt(p->key);
    m->rank = (uint8_t)key_coord(p->key);
    m->n_members = p->n_members;
    memcpy(m->members, p->members, p->n_members * sizeof(pg_node_id));
    m->n_clients = p->n_clients;
    memcpy(m->clients, p->clients, p->n_clients * sizeof(pg_node_id));
}

static void send_ctl(struct pg *pg, struct pg_group *g, struct pg_wmsg *m)
{
    pg->stats.control_sent++;
    pg_send(pg, g, m);
}

/* ---- exclusion ---- */

void pg_view_exclude(struct pg *pg, struct pg_group *g, const char *why)
{
    if (g->st == PG_GS_EXCLUDED || g->st == PG_GS_FREE)
        return;
    bool had_view = g->st == PG_GS_MEMBER;
    g->st = PG_GS_EXCLUDED;
    pg->stats.exclusions++;
    pg_sometimes(pg, g->gid, PG_ST_EXCLUDED, why);
    pg_queue_clear(&g->held);
    pg_queue_clear(&g->future);
    pg_queue_clear(&g->outbox);
    g->fpending = false;
    pg_cl_on_exclude(pg, g);
    if (!had_view)
        g->view.view_id = 0;
    g->view.gid = g->gid;
    if (g->mon)
        g->mon(g->mon_ctx, &g->view, true);
}

/* ---- requests ---- */

static bool req_satisfied(const struct pg_group *g, const struct pg_req *q)
{
    const struct pg_view *v = &g->view;
    bool is_m = pg_rank_of(v->members, v->n_members, q->pid) >= 0;
    bool is_c = pg_rank_of(v->clients, v->n_clients, q->pid) >= 0;
    switch (q->op) {
    case PG_REQ_ADD_MEMBER:
        return is_m;
    case PG_REQ_DEL_MEMBER:
        return !is_m;
    case PG_REQ_ADD_CLIENT:
        return is_c;
    case PG_REQ_DEL_CLIENT:
        return !is_c;
    default:
        return true;
    }
}

static void req_purge(struct pg_group *g)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < g->n_reqs; i++)
        if (!req_satisfied(g, &g->reqs[i]))
            g->reqs[k++] = g->reqs[i];
    g->n_reqs = k;
}

void pg_view_add_req(struct pg *pg, struct pg_group *g, uint8_t op, pg_node_id pid)
{
    struct pg_req q = {.op = op, .pid = pid};
    if (req_satisfied(g, &q))
        return;
    for (uint32_t i = 0; i < g->n_reqs; i++)
        if (g->reqs[i].op == op && g->reqs[i].pid == pid)
            return;
    if (g->n_reqs == pg->cfg.max_requests)
        return; /* dropped: the requester may ask again */
    g->reqs[g->n_reqs++] = q;
}

/* ---- the coordinator ---- */

/* Whether request q can be applied to a view whose live members are `alive` of n. */
static bool req_applicable(const struct pg *pg, const struct pg_group *g, const struct pg_req *q,
                           uint32_t alive)
{
    uint32_t n = g->view.n_members;
    switch (q->op) {
    case PG_REQ_ADD_MEMBER:
        return alive < pg->cfg.max_members && !phys_is_faulty(pg->ph, q->pid);
    case PG_REQ_DEL_MEMBER: {
        int r = pg_rank_of(g->view.members, n, q->pid);
        return r >= 0 && !pg_rs_has(&g->dead, (uint32_t)r) && q->pid != pg->self &&
               (alive - 1) * 2 > n;
    }
    case PG_REQ_ADD_CLIENT:
        return g->view.n_clients < pg->cfg.max_clients;
    default:
        return true;
    }
}

static bool req_is_client(const struct pg_req *q)
{
    return q->op == PG_REQ_ADD_CLIENT || q->op == PG_REQ_DEL_CLIENT;
}

/* The client list of the next view: every pending client request applied
 * (clients are many; a change of the client list needs no majority). */
static void prop_clients(const struct pg *pg, const struct pg_group *g, struct pg_prop *p)
{
    p->n_clients = 0;
    for (uint32_t i = 0; i < g->view.n_clients; i++) {
        pg_node_id c = g->view.clients[i];
        bool del = false;
        for (uint32_t k = 0; k < g->n_reqs && !del; k++)
            del = g->reqs[k].op == PG_REQ_DEL_CLIENT && g->reqs[k].pid == c;
        if (!del)
            p->clients[p->n_clients++] = c;
    }
    for (uint32_t k = 0; k < g->n_reqs; k++) {
        const struct pg_req *q = &g->reqs[k];
        if (q->op == PG_REQ_ADD_CLIENT && p->n_clients < pg->cfg.max_clients &&
            pg_rank_of(p->clients, p->n_clients, q->pid) < 0)
            p->clients[p->n_clients++] = q->pid;
    }
}

/* The next view as this coordinator would propose it: the live members in
 * rank order, with at most one pending member request applied (section 5:
 * one such operation at a time), joiners last; client requests batched. */
static void prop_compute(const struct pg *pg, const struct pg_group *g, struct pg_prop *p)
{
    uint32_t n = g->view.n_members, alive = n - pg_rs_count(g->dead);
    const struct pg_req *q = NULL;
    for (uint32_t i = 0; i < g->n_reqs && !q; i++)
        if (!req_is_client(&g->reqs[i]) && !req_satisfied(g, &g->reqs[i]) &&
            req_applicable(pg, g, &g->reqs[i], alive))
            q = &g->reqs[i];
    p->n_members = 0;
    for (uint32_t r = 0; r < n; r++) {
        pg_node_id id = g->view.members[r];
        if (!pg_rs_has(&g->dead, r) && !(q && q->op == PG_REQ_DEL_MEMBER && q->pid == id))
            p->members[p->n_members++] = id;
    }
    if (q && q->op == PG_REQ_ADD_MEMBER)
        p->members[p->n_members++] = q->pid;
    prop_clients(pg, g, p);
}

static bool view_same(const struct pg_group *g, const struct pg_prop *p)
{
    return g->view.n_members == p->n_members && g->view.n_clients == p->n_clients &&
           !memcmp(g->view.members, p->members, p->n_members * sizeof(pg_node_id)) &&
           !memcmp(g->view.clients, p->clients, p->n_clients * sizeof(pg_node_id));
}

static void coord_start(struct pg *pg, struct pg_group *g, const struct pg_prop *p)
{
    uint32_t a = ++g->max_attempt;
    if (g->acc.key != 0 && key_coord(g->acc.key) != g->my_rank) {
        pg->stats.takeovers++;
        pg_sometimes(pg, g->gid, PG_ST_TAKEOVER, "coordinator takeover");
    }
    g->coord_key = pg_key(a, g->my_rank);
    pg->stats.view_changes_started++;
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_FLUSH;
    m.view_id = g->view.view_id;
    struct pg_prop q = *p;
    q.key = g->coord_key;
    prop_to_msg(&q, &m);
    send_ctl(pg, g, &m);
}

uint32_t pg_view_coord(const struct pg_group *g)
{
    uint32_t coord = 0;
    while (pg_rs_has(&g->dead, coord))
        coord++;
    assert(coord <= g->my_rank); /* this node listens to itself */
    return coord;
}

/* Starts or restarts a view change if this node is the coordinator and one
 * is needed. Also applies the primary-partition rule. */
void pg_view_check(struct pg *pg, struct pg_group *g)
{
    if (g->st != PG_GS_MEMBER)
        return;
    pg_state_provide(pg, g); /* a joiner's state provider may have failed */
    uint32_t n = g->view.n_members;
    assert(!pg_rs_has(&g->dead, g->my_rank));
    if ((n - pg_rs_count(g->dead)) * 2 <= n) {
        pg_view_exclude(pg, g, "minority partition: excluded");
        return;
    }
    if (g->committed)
        return;
    if (pg_view_coord(g) != g->my_rank)
        return;
    struct pg_prop p;
    prop_compute(pg, g, &p);
    if (view_same(g, &p))
        return;
    if (g->coord_key != 0 && g->acc.key == g->coord_key &&
        pg_rs_empty(pg_rs_and(prop_mask(g, &g->acc), g->dead)))
        return; /* this attempt is under way and none of its members failed */
    if (g->coord_key != 0 && g->acc.key != g->coord_key)
        return; /* my FLUSH is still in my own inbox */
    coord_start(pg, g, &p);
}

/* ---- deciding, committing, installing ---- */

static void send_ack(struct pg *pg, struct pg_group *g, uint32_t view_id, const struct pg_prop *p,
                     uint32_t old_n, bool full)
{
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_ACK;
    m.view_id = view_id;
    m.full = full;
    m.n_old = (uint16_t)old_n;
    prop_to_msg(p, &m);
    send_ctl(pg, g, &m);
}

static void add_joiners(struct pg *pg, struct pg_group *g, const struct pg_prop *p)
{
    for (uint32_t i = 0; i < p->n_members; i++)
        if (p->members[i] != pg->self)
            (void)phys_add(pg->ph, g->gid, p->members[i]); /* EXISTS for old members */
}

static void send_need(struct pg *pg, struct pg_group *g, uint64_t key)
{
    if (g->need_sent_view == g->view.view_id && g->need_key >= key)
        return;
    g->need_sent_view = g->view.view_id;
    g->need_key = key;
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_NEED;
    m.view_id = g->view.view_id;
    m.attempt = key_attempt(key);
    m.rank = (uint8_t)g->my_rank;
    send_ctl(pg, g, &m);
}

/* Commits to dec once every message of v held by a proposed member is here. */
static void try_commit(struct pg *pg, struct pg_group *g)
{
    if (g->committed || g->dec.key == 0)
        return;
    struct pg_rset need = prop_mask(g, &g->dec), missing = pg_rs_minus(need, g->fok);
    bool have_all = g->dec_full || (g->fok_key == g->dec.key && pg_rs_empty(missing));
    if (!have_all) {
        if (!pg_rs_empty(pg_rs_and(missing, g->dead)) || g->fok_key != g->dec.key)
            send_need(pg, g, g->dec.key);
        return;
    }
    if (pg_rank_of(g->dec.members, g->dec.n_members, pg->self) < 0) {
        pg_view_exclude(pg, g, "excluded by the new view");
        return;
    }
    g->committed = true;
    g->coord_key = 0;
    add_joiners(pg, g, &g->dec);
    send_ack(pg, g, g->view.view_id, &g->dec, g->view.n_members, false);
}

static void coord_try_decide(struct pg *pg, struct pg_group *g)
{
    if (g->coord_key == 0 || g->acc.key != g->coord_key || g->fok_key != g->coord_key ||
        g->committed || g->dec.key >= g->coord_key)
        return;
    struct pg_rset need = prop_mask(g, &g->acc), unheard = pg_rs_and(g->fok_dead, need);
    if (!pg_rs_empty(unheard)) { /* a proposed member stopped hearing another: shrink */
        g->dead = pg_rs_or(g->dead, pg_rs_minus(unheard, bit(g->my_rank)));
        g->coord_key = 0;
        pg_view_check(pg, g);
        return;
    }
    if (!pg_rs_empty(pg_rs_minus(need, g->fok)))
        return;
    if (pg_rs_count(need) * 2 <= g->view.n_members) {
        pg_view_exclude(pg, g, "minority partition: excluded");
        return;
    }
    g->dec = g->acc;
    g->dec_old_n = (uint16_t)g->view.n_members;
    g->dec_full = false;
    g->acks = pg_rs_none();
    try_commit(pg, g);
}

/* Installs dec as view v+1 (section 3.1: after every message of v). */
static void install(struct pg *pg, struct pg_group *g)
{
    pg_cb_finish_view(pg, g);
    if (g->st != PG_GS_MEMBER)
        return;
    struct pg_view *v = &g->view;
    const struct pg_prop *p = &g->dec;
    for (uint32_t r = 0; r < v->n_members; r++)
        if (pg_rank_of(p->members, p->n_members, v->members[r]) < 0)
            (void)phys_del(pg->ph, g->gid, v->members[r]);
    add_joiners(pg, g, p);
    g->last_dec = g->dec;
    g->last_dec_view = v->view_id;
    g->last_dec_old_n = (uint16_t)v->n_members;
    if (p->n_members <= v->n_members &&
        pg_rank_of(v->members, v->n_members, p->members[p->n_members - 1]) < 0)
        pg_sometimes(pg, g->gid, PG_ST_JOIN_FAIL, "join and failure in one view change");
    pg_state_snapshot(pg, g, p); /* every message of v applied, none of v+1 */
    pg_view_install_first(pg, g, p, v->view_id + 1);
}

static void try_install(struct pg *pg, struct pg_group *g)
{
    if (!g->committed)
        return;
    uint32_t n = g->view.n_members;
    if (pg_rs_count(pg_rs_and(g->acks, pg_rs_all(n))) * 2 <= n)
        return;
    if (pg_dom_hold_install(pg, g))
        return; /* pg_dom_kick retries (pg_domain.c) */
    install(pg, g);
}

void pg_view_retry_install(struct pg *pg, struct pg_group *g)
{
    if (g->st == PG_GS_MEMBER)
        try_install(pg, g);
}

static void reset_change(struct pg_group *g)
{
    memset(&g->acc, 0, sizeof g->acc);
    memset(&g->dec, 0, sizeof g->dec);
    g->promise = g->fok_key = g->coord_key = 0;
    g->fok = g->fok_dead = g->acks = pg_rs_none();
    g->max_attempt = 0;
    g->dec_full = g->committed = false;
    g->n_jackers = 0;
    g->dead = pg_rs_none();
}

/* Installs view `view_id` with lists `p` (a fresh group, a joiner, or the
 * next view of a member). Sends held messages, replays the next view's
 * messages that arrived early, then reports the view. */
void pg_view_install_first(struct pg *pg, struct pg_group *g, const struct pg_prop *pp,
                           uint32_t view_id)
{
    const struct pg_prop copy = *pp; /* pp may be g->dec, reset below */
    const struct pg_prop *p = &copy;
    assert(view_id == 1 || view_id == g->view.view_id + 1 || g->st == PG_GS_JOINING);
    int me = pg_rank_of(p->members, p->n_members, pg->self);
    assert(me >= 0);
    g->st = PG_GS_MEMBER;
    g->view.gid = g->gid;
    g->view.view_id = view_id;
    g->view.n_members = p->n_members;
    memcpy(g->view.members, p->members, p->n_members * sizeof(pg_node_id));
    g->view.n_clients = p->n_clients;
    memcpy(g->view.clients, p->clients, p->n_clients * sizeof(pg_node_id));
    g->my_rank = (uint32_t)me;
    reset_change(g);
    pg_cb_reset(pg, g, view_id, p->n_members);
    for (uint32_t r = 0; r < p->n_members; r++)
        if (p->members[r] != pg->self && phys_is_faulty(pg->ph, p->members[r]))
            pg_rs_add(&g->dead, r);
    req_purge(g);
    pg->stats.views_installed++;
    struct pg_blob b;
    while (g->st == PG_GS_MEMBER && pg_queue_pop(&g->held, &b)) {
        (void)pg_ab_send_held(pg, g, &b);
        free(b.buf);
    }
    while (pg_queue_pop(&g->future, &b)) {
        bool ok = pg_queue_push(&pg->inbox, b.buf, b.len, b.from, g->gid, 0);
        free(b.buf);
        if (!ok)
            pg_view_exclude(pg, g, "input queue full");
    }
    if (g->st == PG_GS_MEMBER)
        pg_cl_on_install(pg, g);
    if (g->mon && g->st == PG_GS_MEMBER)
        g->mon(g->mon_ctx, &g->view, false);
    pg_cb_check_flush(pg, g);
    pg_view_check(pg, g);
}

/* ---- handlers ---- */

static void respond_full(struct pg *pg, struct pg_group *g, const struct pg_store *s,
                         const struct pg_prop *dec, uint32_t view_id, uint32_t old_n)
{
    struct pg_rset all = pg_rs_all(s->n);
    pg_cb_forward(pg, g, s, &all);
    send_ack(pg, g, view_id, dec, old_n, true);
}

static void on_flush(struct pg *pg, struct pg_group *g, uint32_t r, const struct pg_wmsg *m)
{
    uint64_t key = pg_key(m->attempt, m->rank);
    if (m->rank != r) {
        pg->stats.malformed_dropped++;
        return;
    }
    if (m->attempt > g->max_attempt)
        g->max_attempt = m->attempt;
    if (g->committed) {
        if (key > g->dec.key)
            respond_full(pg, g, &g->cur, &g->dec, g->view.view_id, g->view.n_members);
        return;
    }
    if (key <= g->acc.key || key < g->promise)
        return; /* an older attempt */
    struct pg_prop p;
    prop_from_msg(&p, m);
    if (pg_rank_of(p.members, p.n_members, pg->self) < 0) {
        pg_view_exclude(pg, g, "excluded by the coordinator");
        return;
    }
    g->acc = p;
    if (g->coord_key != key)
        g->coord_key = 0;
    struct pg_rset out = pg_rs_minus(pg_rs_all(g->view.n_members), prop_mask(g, &p));
    for (uint32_t k = 0; k < g->view.n_members; k++)
        if (pg_rs_has(&out, k) && !pg_rs_has(&g->dead, k))
            (void)phys_del(pg->ph, g->gid, g->view.members[k]);
    g->dead = pg_rs_or(g->dead, out);
    if (g->fok_key != key) {
        g->fok_key = key;
        g->fok = g->fok_dead = pg_rs_none();
    }
    pg_cb_forward(pg, g, &g->cur, &g->dead);
    struct pg_wmsg ok;
    memset(&ok, 0, sizeof ok);
    ok.type = PG_MT_FLUSH_OK;
    ok.view_id = g->view.view_id;
    ok.attempt = m->attempt;
    ok.rank = m->rank;
    ok.mask = g->dead;
    g->promise = key;
    send_ctl(pg, g, &ok);
    pg_view_check(pg, g);
}

static void on_flush_ok(struct pg *pg, struct pg_group *g, uint32_t r, const struct pg_wmsg *m)
{
    uint64_t key = pg_key(m->attempt, m->rank);
    if (key < g->fok_key)
        return;
    if (key > g->fok_key) {
        g->fok_key = key;
        g->fok = g->fok_dead = pg_rs_none();
    }
    pg_rs_add(&g->fok, r);
    g->fok_dead = pg_rs_or(g->fok_dead, pg_rs_and(m->mask, pg_rs_all(g->view.n_members)));
    coord_try_decide(pg, g);
    if (g->st == PG_GS_MEMBER)
        try_commit(pg, g);
}

static bool adoptable(const struct pg *pg, const struct pg_group *g, uint64_t key, bool full,
                      uint32_t r)
{
    if (g->dec.key != 0 && key <= g->dec.key && !(full && !g->dec_full && key == g->dec.key))
        return false;
    if (key >= g->promise)
        return true;
    struct pg_rset acc = prop_mask(g, &g->acc);
    return full && pg_rs_has(&acc, r);
}

static void on_ack(struct pg *pg, struct pg_group *g, uint32_t r, const struct pg_wmsg *m)
{
    uint64_t key = pg_key(m->attempt, m->rank);
    if (g->committed) {
        if (key == g->dec.key)
            pg_rs_add(&g->acks, r);
        try_install(pg, g);
        return;
    }
    if (key == g->dec.key && !(m->full && !g->dec_full)) {
        pg_rs_add(&g->acks, r);
        try_commit(pg, g);
        return;
    }
    if (!adoptable(pg, g, key, m->full, r))
        return;
    struct pg_prop p;
    prop_from_msg(&p, m);
    if (pg_rank_of(p.members, p.n_members, pg->self) < 0) {
        pg_view_exclude(pg, g, "excluded by the new view");
        return;
    }
    if (key != g->dec.key)
        g->acks = pg_rs_none();
    g->dec = p;
    g->dec_old_n = m->n_old;
    g->dec_full = g->dec_full || m->full;
    pg_rs_add(&g->acks, r);
    if (g->coord_key != key)
        g->coord_key = 0;
    try_commit(pg, g);
    if (g->st == PG_GS_MEMBER)
        try_install(pg, g);
}

static void on_need(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m)
{
    if (g->committed)
        respond_full(pg, g, &g->cur, &g->dec, g->view.view_id, g->view.n_members);
}

static void on_req(struct pg *pg, struct pg_group *g, pg_node_id from, int r,
                   const struct pg_wmsg *m)
{
    if (r < 0) { /* a joiner asks through us: tell every member */
        struct pg_wmsg q = *m;
        q.view_id = g->view.view_id;
        send_ctl(pg, g, &q);
        return;
    }
    pg_view_add_req(pg, g, m->op, m->pid);
    pg_view_check(pg, g);
}

/* A joiner hears the decision that adds it; it installs once a majority of
 * the old view committed to it (and, with pg_state, its state is here). */
static void on_joiner_ack(struct pg *pg, struct pg_group *g, pg_node_id from,
                          const struct pg_wmsg *m)
{
    uint64_t key = pg_key(m->attempt, m->rank);
    if (pg_rank_of(m->members, m->n_members, pg->self) < 0 || key < g->dec.key)
        return;
    if (key > g->dec.key || m->view_id != g->view.view_id) {
        prop_from_msg(&g->dec, m);
        g->dec_old_n = m->n_old;
        g->n_jackers = 0;
        g->view.view_id = m->view_id;
    }
    if (pg_rank_of(g->jackers, g->n_jackers, from) < 0 && g->n_jackers < PG_CAP)
        g->jackers[g->n_jackers++] = from;
    assert(m->view_id == g->view.view_id);
    pg_view_joiner_install(pg, g);
}

void pg_view_joiner_install(struct pg *pg, struct pg_group *g)
{
    assert(g->st == PG_GS_JOINING && g->dec.key != 0);
    if (g->n_jackers * 2 <= g->dec_old_n || !pg_state_joiner_ready(pg, g))
        return;
    struct pg_prop p = g->dec;
    const pg_node_id *cur;
    int n = phys_members(pg->ph, g->gid, &cur);
    for (int i = n - 1; i >= 0; i--)
        if (pg_rank_of(p.members, p.n_members, cur[i]) < 0)
            (void)phys_del(pg->ph, g->gid, cur[i]);
    add_joiners(pg, g, &p);
    pg_view_install_first(pg, g, &p, g->view.view_id + 1);
}

void pg_view_on_joining(struct pg *pg, struct pg_group *g, pg_node_id from, const struct pg_wmsg *m)
{
    if (m->type == PG_MT_ACK)
        on_joiner_ack(pg, g, from, m);
}

void pg_view_on_msg(struct pg *pg, struct pg_group *g, pg_node_id from, int rank,
                    const struct pg_wmsg *m)
{
    if (m->type == PG_MT_REQ) {
        on_req(pg, g, from, rank, m);
        return;
    }
    assert(rank >= 0 && (uint32_t)rank < g->view.n_members);
    uint32_t r = (uint32_t)rank;
    switch (m->type) {
    case PG_MT_FLUSH:
        on_flush(pg, g, r, m);
        break;
    case PG_MT_FLUSH_OK:
        on_flush_ok(pg, g, r, m);
        break;
    case PG_MT_ACK:
        on_ack(pg, g, r, m);
        break;
    case PG_MT_NEED:
        on_need(pg, g, m);
        break;
    default:
        pg->stats.malformed_dropped++;
        break;
    }
}

/* A FLUSH or NEED about the view before the current one: answer with the
 * decision that installed the current view, if this node has it. */
void pg_view_on_prev(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m)
{
    if (g->last_dec.key == 0 || g->last_dec_view != m->view_id || g->prev.view_id != m->view_id)
        return;
    if (m->type == PG_MT_FLUSH && pg_key(m->attempt, m->rank) <= g->last_dec.key)
        return;
    respond_full(pg, g, &g->prev, &g->last_dec, m->view_id, g->last_dec_old_n);
}

/* A message of view v+1 arrived while this node is in v: others installed. */
void pg_view_on_future(struct pg *pg, struct pg_group *g)
{
    if (!g->committed)
        send_need(pg, g, g->dec.key);
}

void pg_view_on_suspect(struct pg *pg, struct pg_group *g, pg_node_id failed)
{
    if (g->st != PG_GS_MEMBER)
        return;
    int r = pg_rank_of(g->view.members, g->view.n_members, failed);
    if (r < 0 || failed == pg->self)
        return;
    pg_rs_add(&g->dead, (uint32_t)r);
    try_commit(pg, g);
    pg_view_check(pg, g);
}
