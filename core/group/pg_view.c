/* core/group/pg_view.c: atomic view changes with flush, primary partition and
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

#include "pg_view.h"

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

bool pg_view_flushing(const struct pg_group *g)
{
    return g->vw.acc.key != 0 || g->vw.dec.key != 0;
}

/* Ranks of the current view that are members of proposal p. */
static struct pg_rset prop_mask(const struct pg_group *g, const struct pg_prop *p)
{
    assert(p->n_members <= PG_CAP);
    assert(g->view.n_members <= PG_CAP);
    struct pg_rset m = pg_rs_none();
    for (uint32_t i = 0; i < p->n_members; i++) {
        int r = pg_rank_of(g->view.members, g->view.n_members, p->members[i]);
        if (r >= 0)
            pg_rs_add(&m, (uint32_t)r);
    }
    return m;
}

/* The rank of p's leaving member in the current view, or -1 (none, or not here). */
static int left_rank(const struct pg_group *g, const struct pg_prop *p)
{
    assert(p->n_members <= PG_CAP);
    if (p->left == PG_NODE_NONE)
        return -1;
    assert(pg_rank_of(p->members, p->n_members, p->left) < 0);
    return pg_rank_of(g->view.members, g->view.n_members, p->left);
}

/* The ranks whose FLUSH_OKs the flush of p gathers: p's members, and the
 * member leaving at its request (it takes part, so that it delivers every
 * message of v before it leaves). Its FLUSH_OK is the only proof that this
 * node holds every message it sent in v: the members did not forward them
 * (it was not failed when they answered the FLUSH). So a node that deems it
 * failed before its FLUSH_OK came does not commit on FLUSH_OKs alone: it asks
 * a member that committed (try_commit), and a coordinator in that case
 * proposes again, removing it as failed (pg_view_check; req_applicable):
 * then every member forwards its messages before answering (explore seed
 * 14244: a bridge member that stopped hearing the leaver installed without
 * one of its messages, which the coordinator delivered). */
static struct pg_rset flush_mask(const struct pg_group *g, const struct pg_prop *p)
{
    struct pg_rset m = prop_mask(g, p);
    int l = left_rank(g, p);
    assert(l < (int)g->view.n_members);
    if (l >= 0)
        pg_rs_add(&m, (uint32_t)l);
    assert(pg_rs_count(m) <= g->view.n_members);
    return m;
}

/* Whether p's leaving member failed here before its FLUSH_OK of key came. */
static bool leaver_lost(const struct pg_group *g, const struct pg_prop *p, uint64_t key)
{
    int l = left_rank(g, p);
    assert(l < (int)g->view.n_members);
    if (l < 0 || !pg_rs_has(&g->vw.dead, (uint32_t)l))
        return false;
    return g->vw.fok_key != key || !pg_rs_has(&g->vw.fok, (uint32_t)l);
}

/* Whether this node takes part in the flush of p: a member of it, or the
 * member it removes at its own request. */
static bool in_flush(const struct pg *pg, const struct pg_prop *p)
{
    assert(p->n_members <= PG_CAP);
    assert(pg->self != PG_NODE_NONE);
    return pg_rank_of(p->members, p->n_members, pg->self) >= 0 || p->left == pg->self;
}

static void prop_from_msg(struct pg_prop *p, const struct pg_wmsg *m)
{
    assert(m->n_members <= PG_CAP);
    assert(m->n_clients <= PG_MAX_CLIENTS_CAP);
    p->key = pg_key(m->attempt, m->rank);
    p->left = m->pid;
    p->n_members = m->n_members;
    memcpy(p->members, m->members, m->n_members * sizeof(pg_node_id));
    p->n_clients = m->n_clients;
    memcpy(p->clients, m->clients, m->n_clients * sizeof(pg_node_id));
}

static void prop_to_msg(const struct pg_prop *p, struct pg_wmsg *m)
{
    assert(p->n_members <= PG_CAP);
    assert(p->n_clients <= PG_MAX_CLIENTS_CAP);
    m->attempt = key_attempt(p->key);
    m->rank = (uint8_t)key_coord(p->key);
    m->pid = p->left;
    m->n_members = p->n_members;
    memcpy(m->members, p->members, p->n_members * sizeof(pg_node_id));
    m->n_clients = p->n_clients;
    memcpy(m->clients, p->clients, p->n_clients * sizeof(pg_node_id));
}

static void send_ctl(struct pg *pg, struct pg_group *g, struct pg_wmsg *m)
{
    assert(m->type != PG_MT_DATA); /* control only */
    assert(g->st != PG_GS_FREE);
    pg->stats.control_sent++;
    pg_send(pg, g, m);
}

/* The `full` byte of an ACK. */
enum ack_full {
    ACK_PLAIN = 0,     /* the sender committed to the decision */
    ACK_FULL = 1,      /* ... and forwarded every message of v it holds before it */
    ACK_INSTALLED = 2, /* ... and installed it already: a majority of v committed */
};

/* ---- exclusion ---- */

void pg_view_exclude_quiet(struct pg *pg, struct pg_group *g, const char *why)
{
    if (g->st == PG_GS_EXCLUDED || g->st == PG_GS_FREE)
        return;
    bool had_view = g->st == PG_GS_MEMBER;
    g->st = PG_GS_EXCLUDED;
    pg->stats.exclusions++;
    pg_sometimes(pg, g->gid, PG_ST_EXCLUDED, why);
    g->vw.held_lost += g->held.count; /* accepted for a view it will not be in (pg_domain.c) */
    pg_queue_clear(&g->held);
    pg_queue_clear(&g->future);
    pg_queue_clear(&g->outbox);
    assert(g->held.count == 0);
    assert(g->outbox.count == 0);
    for (uint32_t i = 0; i < pg->vh.n_excluded; i++)
        pg->vh.excluded[i](pg, g); /* cbcast: no pg_flush; clients */
    if (!had_view)
        g->view.view_id = 0;
    g->view.gid = g->gid;
    if (g->mon)
        g->mon(g->mon_ctx, &g->view, true);
}

/* REQ FAILED naming `pid`: to every member of the current view (to ==
 * PG_NODE_NONE), or to the one member `to`. */
static void send_failed(struct pg *pg, struct pg_group *g, pg_node_id pid, pg_node_id to)
{
    assert(pid != PG_NODE_NONE);
    assert(to != pg->self);
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_REQ;
    m.view_id = g->view.view_id;
    m.op = PG_REQ_FAILED;
    m.pid = pid;
    pg->stats.control_sent++;
    pg->stats.failed_reports++;
    if (to == PG_NODE_NONE)
        (void)pg_send(pg, g, &m);
    else
        (void)pg_send_to_q(pg, g, to, &m);
}

/* Tells every member of the view (not only those of the phys group: one
 * that an accepted proposal left out may still wait for this node) that it
 * is out: REQ FAILED naming itself, point to point. */
static void tell_out(struct pg *pg, struct pg_group *g)
{
    assert(g->st == PG_GS_EXCLUDED); /* after pg_view_exclude_quiet */
    assert(g->view.n_members <= PG_CAP);
    for (uint32_t r = 0; r < g->view.n_members; r++) {
        pg_node_id id = g->view.members[r];
        if (id != pg->self && !phys_is_faulty(pg->ph, id))
            send_failed(pg, g, pg->self, id);
    }
}

void pg_view_exclude(struct pg *pg, struct pg_group *g, const char *why)
{
    assert(why != NULL);
    bool member = g->st == PG_GS_MEMBER;
    pg_view_exclude_quiet(pg, g, why);
    if (member)
        tell_out(pg, g);
}

/* ---- requests ---- */

static bool req_satisfied(const struct pg_group *g, const struct pg_req *q)
{
    assert(g->view.n_members <= PG_CAP);
    assert(g->view.n_clients <= PG_MAX_CLIENTS_CAP);
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
    case PG_REQ_FAILED: /* kept while a view lists it: a member installing one marks it dead */
        return !is_m;
    default:
        return true;
    }
}

static void req_purge(struct pg_group *g)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < g->vw.n_reqs; i++)
        if (!req_satisfied(g, &g->vw.reqs[i]))
            g->vw.reqs[k++] = g->vw.reqs[i];
    g->vw.n_reqs = k;
}

void pg_view_add_req(struct pg *pg, struct pg_group *g, uint8_t op, pg_node_id pid)
{
    assert(g->vw.n_reqs <= pg->cfg.max_requests);
    struct pg_req q = {.op = op, .pid = pid};
    if (req_satisfied(g, &q))
        return;
    for (uint32_t i = 0; i < g->vw.n_reqs; i++)
        if (g->vw.reqs[i].op == op && g->vw.reqs[i].pid == pid)
            return;
    if (g->vw.n_reqs == pg->cfg.max_requests)
        return; /* dropped: the requester may ask again */
    g->vw.reqs[g->vw.n_reqs++] = q;
    assert(g->vw.n_reqs <= pg->cfg.max_requests);
}

/* ---- the coordinator ---- */

/* Whether request q can be applied to a view whose live members are `alive` of n. */
static bool req_applicable(const struct pg *pg, const struct pg_group *g, const struct pg_req *q,
                           uint32_t alive)
{
    assert(alive <= g->view.n_members);
    uint32_t n = g->view.n_members;
    switch (q->op) {
    case PG_REQ_ADD_MEMBER:
        return alive < pg->cfg.max_members && !phys_is_faulty(pg->ph, q->pid);
    case PG_REQ_DEL_MEMBER: {
        int r = pg_rank_of(g->view.members, n, q->pid);
        return r >= 0 && !pg_rs_has(&g->vw.dead, (uint32_t)r) && (alive - 1) * 2 > n;
    }
    case PG_REQ_ADD_CLIENT:
        return g->view.n_clients < pg->cfg.max_clients;
    default:
        return true;
    }
}

/* Whether q is not a member operation of prop_compute: client requests are
 * batched, and a FAILED request's pid is simply dead (install_first). */
static bool req_is_client(const struct pg_req *q)
{
    return q->op == PG_REQ_ADD_CLIENT || q->op == PG_REQ_DEL_CLIENT || q->op == PG_REQ_FAILED;
}

/* The client list of the next view: every pending client request applied
 * (clients are many; a change of the client list needs no majority). */
static void prop_clients(const struct pg *pg, const struct pg_group *g, struct pg_prop *p)
{
    p->n_clients = 0;
    for (uint32_t i = 0; i < g->view.n_clients; i++) {
        pg_node_id c = g->view.clients[i];
        bool del = false;
        for (uint32_t k = 0; k < g->vw.n_reqs && !del; k++)
            del = g->vw.reqs[k].op == PG_REQ_DEL_CLIENT && g->vw.reqs[k].pid == c;
        if (!del)
            p->clients[p->n_clients++] = c;
    }
    for (uint32_t k = 0; k < g->vw.n_reqs; k++) {
        const struct pg_req *q = &g->vw.reqs[k];
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
    assert(g->view.n_members <= PG_CAP);
    assert(pg_rs_count(g->vw.dead) <= g->view.n_members);
    uint32_t n = g->view.n_members, alive = n - pg_rs_count(g->vw.dead);
    const struct pg_req *q = NULL;
    for (uint32_t i = 0; i < g->vw.n_reqs && !q; i++)
        if (!req_is_client(&g->vw.reqs[i]) && !req_satisfied(g, &g->vw.reqs[i]) &&
            req_applicable(pg, g, &g->vw.reqs[i], alive))
            q = &g->vw.reqs[i];
    p->n_members = 0;
    for (uint32_t r = 0; r < n; r++) {
        pg_node_id id = g->view.members[r];
        if (!pg_rs_has(&g->vw.dead, r) && !(q && q->op == PG_REQ_DEL_MEMBER && q->pid == id))
            p->members[p->n_members++] = id;
    }
    if (q && q->op == PG_REQ_ADD_MEMBER)
        p->members[p->n_members++] = q->pid;
    p->left = q && q->op == PG_REQ_DEL_MEMBER ? q->pid : PG_NODE_NONE;
    prop_clients(pg, g, p);
}

static bool view_same(const struct pg_group *g, const struct pg_prop *p)
{
    return p->left == PG_NODE_NONE && g->view.n_members == p->n_members &&
           g->view.n_clients == p->n_clients &&
           !memcmp(g->view.members, p->members, p->n_members * sizeof(pg_node_id)) &&
           !memcmp(g->view.clients, p->clients, p->n_clients * sizeof(pg_node_id));
}

static void coord_start(struct pg *pg, struct pg_group *g, const struct pg_prop *p)
{
    assert(g->st == PG_GS_MEMBER);
    assert(pg_view_coord(g) == g->my_rank); /* only the coordinator starts one */
    uint32_t a = ++g->vw.max_attempt;
    if (g->vw.acc.key != 0 && key_coord(g->vw.acc.key) != g->my_rank) {
        pg->stats.takeovers++;
        pg_sometimes(pg, g->gid, PG_ST_TAKEOVER, "coordinator takeover");
    }
    g->vw.coord_key = pg_key(a, g->my_rank);
    pg->stats.view_changes_started++;
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_FLUSH;
    m.view_id = g->view.view_id;
    struct pg_prop q = *p;
    q.key = g->vw.coord_key;
    prop_to_msg(&q, &m);
    send_ctl(pg, g, &m);
}

uint32_t pg_view_coord(const struct pg_group *g)
{
    uint32_t coord = 0;
    while (pg_rs_has(&g->vw.dead, coord))
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
    if (pg->vh.check)
        pg->vh.check(pg, g); /* state: a joiner's provider may have failed */
    uint32_t n = g->view.n_members;
    assert(!pg_rs_has(&g->vw.dead, g->my_rank));
    if ((n - pg_rs_count(g->vw.dead)) * 2 <= n) {
        pg_view_exclude(pg, g, "minority partition: excluded");
        return;
    }
    if (g->vw.committed)
        return;
    if (pg_view_coord(g) != g->my_rank)
        return;
    struct pg_prop p;
    prop_compute(pg, g, &p);
    if (view_same(g, &p))
        return;
    if (g->vw.coord_key != 0 && g->vw.acc.key == g->vw.coord_key &&
        pg_rs_empty(pg_rs_and(prop_mask(g, &g->vw.acc), g->vw.dead)) &&
        !leaver_lost(g, &g->vw.acc, g->vw.coord_key))
        return; /* this attempt is under way and none of its members failed, nor its
                   leaver before its FLUSH_OK came (flush_mask) */
    if (g->vw.coord_key != 0 && g->vw.acc.key != g->vw.coord_key)
        return; /* my FLUSH is still in my own inbox */
    coord_start(pg, g, &p);
}

/* ---- deciding, committing, installing ---- */

/* The decision's ACK (full: enum ack_full) to every member, or to `to` alone. */
static void send_ack(struct pg *pg, struct pg_group *g, uint32_t view_id, const struct pg_prop *p,
                     uint32_t old_n, uint8_t full, pg_node_id to)
{
    assert(old_n <= PG_CAP);
    assert(full <= ACK_INSTALLED);
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_ACK;
    m.view_id = view_id;
    m.full = full;
    m.n_old = (uint16_t)old_n;
    prop_to_msg(p, &m);
    if (to == PG_NODE_NONE) {
        send_ctl(pg, g, &m);
        return;
    }
    pg->stats.control_sent++;
    (void)pg_send_to_q(pg, g, to, &m);
}

static void add_joiners(struct pg *pg, struct pg_group *g, const struct pg_prop *p)
{
    assert(p->n_members >= 1);
    assert(pg_rank_of(p->members, p->n_members, pg->self) >= 0); /* it stays */
    for (uint32_t i = 0; i < p->n_members; i++)
        if (p->members[i] != pg->self)
            (void)phys_add(pg->ph, g->gid, p->members[i]); /* EXISTS for old members */
}

/* NEED to every member (no committed member is known to ask): once per key. */
static void need_multicast(struct pg *pg, struct pg_group *g, uint64_t key)
{
    assert(key != 0);
    if (g->vw.need_sent_view == g->view.view_id && g->vw.need_key >= key)
        return;
    g->vw.need_sent_view = g->view.view_id;
    g->vw.need_key = key;
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_NEED;
    m.view_id = g->view.view_id;
    m.attempt = key_attempt(key);
    m.rank = (uint8_t)g->my_rank;
    send_ctl(pg, g, &m);
}

/* NEED to rank r of v alone, once per decision key: r answers with every
 * message of v it holds and a full ACK, to this node only. One member
 * answers, not all of them: each answer forwards every retained message of
 * v, so answers from everyone cost members x lagging members x retained
 * datagrams at one instant (issue: the forwarding storm after an abcast view
 * change under loss). */
static void need_ask(struct pg *pg, struct pg_group *g, uint32_t r)
{
    assert(r < g->view.n_members);
    assert(r != g->my_rank);
    if (g->vw.need_asked_key != g->vw.dec.key) {
        g->vw.need_asked_key = g->vw.dec.key;
        g->vw.need_asked = pg_rs_none();
    }
    if (pg_rs_has(&g->vw.need_asked, r))
        return;
    pg_rs_add(&g->vw.need_asked, r);
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_NEED;
    m.view_id = g->view.view_id;
    m.attempt = key_attempt(g->vw.dec.key);
    m.rank = (uint8_t)g->my_rank;
    pg->stats.control_sent++;
    (void)pg_send_to_q(pg, g, g->view.members[r], &m);
}

/* This node has the decision but not every message of v: it asks a member
 * that committed to it (it holds every message of v), the lowest live rank
 * not asked yet, else every member. */
static void need_missing(struct pg *pg, struct pg_group *g)
{
    assert(g->vw.dec.key != 0);
    assert(!g->vw.committed);
    struct pg_rset can =
        pg_rs_minus(pg_rs_and(g->vw.acks, pg_rs_all(g->view.n_members)), g->vw.dead);
    if (g->vw.need_asked_key == g->vw.dec.key)
        can = pg_rs_minus(can, g->vw.need_asked);
    for (uint32_t r = 0; r < g->view.n_members; r++) {
        if (r != g->my_rank && pg_rs_has(&can, r)) {
            need_ask(pg, g, r);
            return;
        }
    }
    need_multicast(pg, g, g->vw.dec.key);
}

/* Commits to dec once every message of v held by a proposed member is here. */
static void try_commit(struct pg *pg, struct pg_group *g)
{
    if (g->vw.committed || g->vw.dec.key == 0)
        return;
    assert(g->vw.dec.n_members <= PG_CAP);
    struct pg_rset need = flush_mask(g, &g->vw.dec), missing = pg_rs_minus(need, g->vw.fok);
    bool have_all = g->vw.dec_full || (g->vw.fok_key == g->vw.dec.key && pg_rs_empty(missing));
    if (!have_all) {
        if (!pg_rs_empty(pg_rs_and(missing, g->vw.dead)) || g->vw.fok_key != g->vw.dec.key)
            need_missing(pg, g);
        return;
    }
    if (!in_flush(pg, &g->vw.dec)) {
        pg_view_exclude(pg, g, "excluded by the new view");
        return;
    }
    g->vw.committed = true;
    g->vw.coord_key = 0;
    assert(g->vw.dec.key != 0);
    if (g->vw.dec.left != pg->self)
        add_joiners(pg, g, &g->vw.dec);
    send_ack(pg, g, g->view.view_id, &g->vw.dec, g->view.n_members, ACK_PLAIN, PG_NODE_NONE);
}

static void coord_try_decide(struct pg *pg, struct pg_group *g)
{
    if (g->vw.coord_key == 0 || g->vw.acc.key != g->vw.coord_key ||
        g->vw.fok_key != g->vw.coord_key || g->vw.committed || g->vw.dec.key >= g->vw.coord_key)
        return;
    struct pg_rset need = flush_mask(g, &g->vw.acc), unheard = pg_rs_and(g->vw.fok_dead, need);
    if (!pg_rs_empty(unheard)) { /* a proposed member stopped hearing another: shrink */
        g->vw.dead = pg_rs_or(g->vw.dead, pg_rs_minus(unheard, bit(g->my_rank)));
        g->vw.coord_key = 0;
        pg_view_check(pg, g);
        return;
    }
    if (!pg_rs_empty(pg_rs_minus(need, g->vw.fok)))
        return;
    if (pg_rs_count(prop_mask(g, &g->vw.acc)) * 2 <= g->view.n_members) {
        pg_view_exclude(pg, g, "minority partition: excluded");
        return;
    }
    g->vw.dec = g->vw.acc;
    assert(g->vw.dec.key == g->vw.coord_key);
    assert(g->vw.dec.key != 0);
    g->vw.dec_old_n = (uint16_t)g->view.n_members;
    g->vw.dec_full = false;
    g->vw.acks = pg_rs_none();
    try_commit(pg, g);
}

/* The members of v that dec removes: phys stops multicasting to them, and
 * one removed as failed (not at its request) that this node does not deem
 * faulty is told that it is out (fail-stop conversion, section 5): a live
 * one (a false suspicion, the far side of a bridge, an asymmetric cut) may
 * not know, and would wait in v for ever. */
static void drop_removed(struct pg *pg, struct pg_group *g, const struct pg_prop *p)
{
    assert(p->n_members >= 1);
    assert(g->view.n_members <= PG_CAP);
    const struct pg_view *v = &g->view;
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_OUT;
    m.view_id = v->view_id + 1;
    for (uint32_t r = 0; r < v->n_members; r++) {
        pg_node_id id = v->members[r];
        if (pg_rank_of(p->members, p->n_members, id) >= 0)
            continue;
        (void)phys_del(pg->ph, g->gid, id);
        if (id == p->left || phys_is_faulty(pg->ph, id))
            continue;
        pg->stats.out_notices++;
        pg_sometimes(pg, g->gid, PG_ST_OUT, "a removed member told it is out");
        (void)pg_send_to_q(pg, g, id, &m);
    }
}

/* Each joiner of p gets an ACK "installed" from every member that installs
 * p: a majority of v committed, so it may install too (it may not hear a
 * majority's own ACKs: one that deems it faulty, or a crash). */
static void tell_joiners(struct pg *pg, struct pg_group *g, const struct pg_prop *p)
{
    assert(g->st == PG_GS_MEMBER);
    assert(p->n_members <= PG_CAP);
    const struct pg_view *v = &g->view;
    for (uint32_t i = 0; i < p->n_members; i++) {
        pg_node_id id = p->members[i];
        if (pg_rank_of(v->members, v->n_members, id) < 0 && !phys_is_faulty(pg->ph, id))
            send_ack(pg, g, v->view_id, p, v->n_members, ACK_INSTALLED, id);
    }
}

/* Installs dec as view v+1 (section 3.1: after every message of v). A
 * member leaving at its request delivers every message of v, then leaves. */
static void install(struct pg *pg, struct pg_group *g)
{
    assert(g->vw.committed); /* try_install */
    assert(g->vw.dec.key != 0);
    pg->vh.finish(pg, g);
    if (g->st != PG_GS_MEMBER)
        return;
    struct pg_view *v = &g->view;
    const struct pg_prop *p = &g->vw.dec;
    if (p->left == pg->self) { /* a member still flushing v stops counting on it */
        g->vw.left_clean = true;
        pg_view_exclude_quiet(pg, g, "left the group");
        tell_out(pg, g);
        return;
    }
    assert(pg_rank_of(p->members, p->n_members, pg->self) >= 0);
    drop_removed(pg, g, p);
    add_joiners(pg, g, p);
    tell_joiners(pg, g, p);
    g->vw.last_dec = g->vw.dec;
    g->vw.last_dec_view = v->view_id;
    g->vw.last_dec_old_n = (uint16_t)v->n_members;
    if (p->n_members <= v->n_members &&
        pg_rank_of(v->members, v->n_members, p->members[p->n_members - 1]) < 0)
        pg_sometimes(pg, g->gid, PG_ST_JOIN_FAIL, "join and failure in one view change");
    if (pg->vh.snapshot)
        pg->vh.snapshot(pg, g, p); /* every message of v applied, none of v+1 */
    pg_view_install_first(pg, g, p, v->view_id + 1);
}

static void try_install(struct pg *pg, struct pg_group *g)
{
    if (!g->vw.committed)
        return;
    assert(g->vw.dec.key != 0); /* committed to it */
    assert(g->view.n_members <= PG_CAP);
    uint32_t n = g->view.n_members;
    if (!g->vw.dec_installed && pg_rs_count(pg_rs_and(g->vw.acks, pg_rs_all(n))) * 2 <= n)
        return; /* a majority of v must have committed (section 3.1) */
    if (pg->vh.hold_install && pg->vh.hold_install(pg, g))
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
    memset(&g->vw.acc, 0, sizeof g->vw.acc);
    memset(&g->vw.dec, 0, sizeof g->vw.dec);
    g->vw.promise = g->vw.fok_key = g->vw.coord_key = 0;
    g->vw.fok = g->vw.fok_dead = g->vw.acks = pg_rs_none();
    g->vw.max_attempt = 0;
    g->vw.dec_full = g->vw.committed = g->vw.dec_installed = false;
    g->vw.need_asked = pg_rs_none();
    g->vw.need_asked_key = 0;
    g->vw.n_reports = 0;
    g->vw.n_jackers = 0;
    g->vw.dead = g->vw.dropped = pg_rs_none();
}

/* A member this node deems faulty at the install (a joiner it suspected
 * before, a member it stopped hearing during the flush): the coordinator may
 * still hear it, so it is told, as for a suspicion (pg_view_on_suspect). */
static void report_dead(struct pg *pg, struct pg_group *g)
{
    uint32_t coord = pg_view_coord(g);
    if (coord == g->my_rank || pg_rs_empty(g->vw.dead))
        return;
    for (uint32_t r = 0; r < g->view.n_members; r++)
        if (pg_rs_has(&g->vw.dead, r))
            send_failed(pg, g, g->view.members[r], g->view.members[coord]);
}

/* Installs view `view_id` with lists `p` (a fresh group, a joiner, or the
 * next view of a member). Sends held messages, replays the next view's
 * messages that arrived early, then reports the view. */
void pg_view_install_first(struct pg *pg, struct pg_group *g, const struct pg_prop *pp,
                           uint32_t view_id)
{
    const struct pg_prop copy = *pp; /* pp may be g->vw.dec, reset below */
    const struct pg_prop *p = &copy;
    assert(p->n_members <= PG_CAP);
    assert(p->n_clients <= PG_MAX_CLIENTS_CAP);
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
    pg->vh.reset(pg, g, view_id, p->n_members);
    for (uint32_t r = 0; r < p->n_members; r++)
        if (p->members[r] != pg->self && phys_is_faulty(pg->ph, p->members[r]))
            pg_rs_add(&g->vw.dead, r);
    req_purge(g);
    for (uint32_t i = 0; i < g->vw.n_reqs; i++) { /* it said it is out (a failed joiner) */
        int r = pg_rank_of(p->members, p->n_members, g->vw.reqs[i].pid);
        if (g->vw.reqs[i].op == PG_REQ_FAILED && r >= 0 && g->vw.reqs[i].pid != pg->self)
            pg_rs_add(&g->vw.dead, (uint32_t)r);
    }
    report_dead(pg, g);
    pg->stats.views_installed++;
    struct pg_blob b;
    while (g->st == PG_GS_MEMBER && pg_queue_pop(&g->held, &b)) {
        (void)pg->vh.send_held(pg, g, &b);
        free(b.buf);
    }
    while (pg_queue_pop(&g->future, &b)) {
        bool ok = pg_queue_push(&pg->inbox, b.buf, b.len, b.from, g->gid, 0);
        free(b.buf);
        if (!ok)
            pg_view_exclude(pg, g, "input queue full");
    }
    if (g->st == PG_GS_MEMBER && pg->vh.installed)
        pg->vh.installed(pg, g);
    if (g->mon && g->st == PG_GS_MEMBER)
        g->mon(g->mon_ctx, &g->view, false);
    if (pg->vh.reported)
        pg->vh.reported(pg, g);
    pg_view_check(pg, g);
}

/* ---- handlers ---- */

/* Forwards every message of store s and sends the full ACK of dec after
 * them: to every member (to == PG_NODE_NONE) or to `to` alone. */
static void respond_full(struct pg *pg, struct pg_group *g, bool prev, const struct pg_prop *dec,
                         uint32_t view_id, uint32_t old_n, uint8_t full, pg_node_id to)
{
    assert(full == ACK_FULL || full == ACK_INSTALLED);
    pg->vh.forward(pg, g, prev, NULL, to);
    send_ack(pg, g, view_id, dec, old_n, full, to);
}

/* A FLUSH outranking the attempt this node accepted comes from r, which this
 * node left out of that attempt's proposal (two members that stopped hearing
 * each other both took over, and this node heard the other first). It
 * follows r if it can: r is not deemed faulty and no DATA or FWD of r was
 * dropped meanwhile (else it may lack messages that r's attempt counts on);
 * otherwise it tells r that it cannot (REQ FAILED naming r: r removes it,
 * on_failed) rather than leave r's attempt waiting for it for ever. */
static bool revive_coord(struct pg *pg, struct pg_group *g, uint32_t r)
{
    pg_node_id id = g->view.members[r];
    assert(pg_rs_has(&g->vw.dead, r));
    assert(r != g->my_rank);
    if (phys_is_faulty(pg->ph, id) || pg_rs_has(&g->vw.dropped, r)) {
        send_failed(pg, g, id, id);
        return false;
    }
    g->vw.dead = pg_rs_minus(g->vw.dead, bit(r));
    (void)phys_add(pg->ph, g->gid, id);
    pg_sometimes(pg, g->gid, PG_ST_REVIVED, "a member left out follows a competing coordinator");
    return true;
}

static void on_flush(struct pg *pg, struct pg_group *g, uint32_t r, const struct pg_wmsg *m)
{
    assert(r < g->view.n_members);
    assert(m->type == PG_MT_FLUSH);
    uint64_t key = pg_key(m->attempt, m->rank);
    if (m->rank != r) {
        pg->stats.malformed_dropped++;
        return;
    }
    if (m->attempt > g->vw.max_attempt)
        g->vw.max_attempt = m->attempt;
    if (g->vw.committed) { /* members that follow the later attempt learn the decision */
        if (key > g->vw.dec.key)
            respond_full(pg, g, false, &g->vw.dec, g->view.view_id, g->view.n_members, ACK_FULL,
                         PG_NODE_NONE);
        return;
    }
    if (key <= g->vw.acc.key || key < g->vw.promise)
        return; /* an older attempt */
    if (pg_rs_has(&g->vw.dead, r) && !revive_coord(pg, g, r))
        return;
    struct pg_prop p;
    prop_from_msg(&p, m);
    if (!in_flush(pg, &p)) {
        pg_view_exclude(pg, g, "excluded by the coordinator");
        return;
    }
    g->vw.acc = p;
    if (g->vw.coord_key != key)
        g->vw.coord_key = 0;
    struct pg_rset keep = prop_mask(g, &p);
    int l = left_rank(g, &p);
    if (l >= 0)
        pg_rs_add(&keep, (uint32_t)l); /* still heard: it takes part */
    struct pg_rset out = pg_rs_minus(pg_rs_all(g->view.n_members), keep);
    for (uint32_t k = 0; k < g->view.n_members; k++)
        if (pg_rs_has(&out, k) && !pg_rs_has(&g->vw.dead, k))
            (void)phys_del(pg->ph, g->gid, g->view.members[k]);
    g->vw.dead = pg_rs_or(g->vw.dead, out);
    if (key > g->vw.fok_key) { /* FLUSH_OKs of a later attempt may be here before its FLUSH */
        g->vw.fok_key = key;
        g->vw.fok = g->vw.fok_dead = pg_rs_none();
    }
    pg->vh.forward(pg, g, false, &g->vw.dead, PG_NODE_NONE);
    struct pg_wmsg ok;
    memset(&ok, 0, sizeof ok);
    ok.type = PG_MT_FLUSH_OK;
    ok.view_id = g->view.view_id;
    ok.attempt = m->attempt;
    ok.rank = m->rank;
    ok.mask = g->vw.dead;
    g->vw.promise = key;
    send_ctl(pg, g, &ok);
    pg_view_check(pg, g);
}

static void on_flush_ok(struct pg *pg, struct pg_group *g, uint32_t r, const struct pg_wmsg *m)
{
    assert(r < g->view.n_members);
    assert(m->type == PG_MT_FLUSH_OK);
    uint64_t key = pg_key(m->attempt, m->rank);
    if (key < g->vw.fok_key)
        return;
    if (key > g->vw.fok_key) {
        g->vw.fok_key = key;
        g->vw.fok = g->vw.fok_dead = pg_rs_none();
    }
    pg_rs_add(&g->vw.fok, r);
    g->vw.fok_dead = pg_rs_or(g->vw.fok_dead, pg_rs_and(m->mask, pg_rs_all(g->view.n_members)));
    if (m->attempt > g->vw.max_attempt)
        g->vw.max_attempt = m->attempt;
    if (g->vw.coord_key != 0 && key > g->vw.coord_key && !g->vw.committed) {
        /* r promised a higher attempt than mine (one whose FLUSH I never got:
         * its coordinator failed before its copy to me got through), so r
         * ignores my FLUSH: start again above it */
        g->vw.coord_key = 0;
        pg_view_check(pg, g);
        return;
    }
    coord_try_decide(pg, g);
    if (g->st == PG_GS_MEMBER)
        try_commit(pg, g);
}

static bool adoptable(const struct pg *pg, const struct pg_group *g, uint64_t key, bool full,
                      uint32_t r)
{
    if (g->vw.dec.key != 0 && key <= g->vw.dec.key &&
        !(full && !g->vw.dec_full && key == g->vw.dec.key))
        return false;
    if (key >= g->vw.promise)
        return true;
    struct pg_rset acc = prop_mask(g, &g->vw.acc);
    return full && pg_rs_has(&acc, r);
}

/* An ACK of key from rank r, which this node deems dead (it followed a
 * competing coordinator that left r out, or stopped hearing r): r's messages
 * of v are dropped here, so its decision is not adopted from it, but it
 * proves that r committed to that decision. Section 3.1 installs once a
 * majority of v committed: when this node holds that decision, r counts
 * (explore seed 20986: a member followed a later attempt that left out the
 * coordinator of the decision, then committed to the decision on a full ACK
 * of another member; it dropped the coordinator's ACK, and with one member
 * crashed and one cut off it never counted a majority, and stayed in v). */
static void on_dead_ack(struct pg *pg, struct pg_group *g, uint32_t r, const struct pg_wmsg *m,
                        uint64_t key)
{
    assert(pg_rs_has(&g->vw.dead, r));
    assert(r != g->my_rank);
    if (g->vw.dec.key == 0 || key != g->vw.dec.key)
        return;
    pg_rs_add(&g->vw.acks, r);
    if (!g->vw.committed)
        return; /* counted at the commit: its own ACK, looped back, tries the install */
    g->vw.dec_installed = g->vw.dec_installed || m->full == ACK_INSTALLED;
    try_install(pg, g);
}

static void on_ack(struct pg *pg, struct pg_group *g, uint32_t r, const struct pg_wmsg *m)
{
    assert(r < g->view.n_members);
    assert(m->type == PG_MT_ACK);
    uint64_t key = pg_key(m->attempt, m->rank);
    if (pg_rs_has(&g->vw.dead, r)) {
        on_dead_ack(pg, g, r, m, key);
        return;
    }
    if (g->vw.committed) {
        if (key == g->vw.dec.key) {
            pg_rs_add(&g->vw.acks, r);
            g->vw.dec_installed = g->vw.dec_installed || m->full == ACK_INSTALLED;
        }
        try_install(pg, g);
        return;
    }
    if (key == g->vw.dec.key && !(m->full != ACK_PLAIN && !g->vw.dec_full) &&
        !(m->full == ACK_INSTALLED && !g->vw.dec_installed)) {
        pg_rs_add(&g->vw.acks, r);
        try_commit(pg, g);
        return;
    }
    if (!adoptable(pg, g, key, m->full, r))
        return;
    struct pg_prop p;
    prop_from_msg(&p, m);
    if (!in_flush(pg, &p)) {
        pg_view_exclude(pg, g, "excluded by the new view");
        return;
    }
    if (key != g->vw.dec.key) {
        g->vw.acks = pg_rs_none();
        g->vw.dec_installed = false;
    }
    g->vw.dec = p;
    g->vw.dec_old_n = m->n_old;
    g->vw.dec_full = g->vw.dec_full || m->full != ACK_PLAIN;
    g->vw.dec_installed = g->vw.dec_installed || m->full == ACK_INSTALLED;
    pg_rs_add(&g->vw.acks, r);
    if (g->vw.coord_key != key)
        g->vw.coord_key = 0;
    try_commit(pg, g);
    if (g->st == PG_GS_MEMBER)
        try_install(pg, g);
}

/* A member of v without the decision or without every message of v asks. */
static void on_need(struct pg *pg, struct pg_group *g, pg_node_id from)
{
    assert(from != PG_NODE_NONE);
    if (g->vw.committed && from != pg->self)
        respond_full(pg, g, false, &g->vw.dec, g->view.view_id, g->view.n_members, ACK_FULL, from);
}

/* Member `pid` of the current view is dead here, as on a suspicion, but
 * without reporting it: somebody told us. */
static void mark_dead(struct pg *pg, struct pg_group *g, pg_node_id pid)
{
    int r = pg_rank_of(g->view.members, g->view.n_members, pid);
    if (r < 0 || pid == pg->self || pg_rs_has(&g->vw.dead, (uint32_t)r))
        return;
    pg_rs_add(&g->vw.dead, (uint32_t)r);
    try_commit(pg, g);
    pg_view_check(pg, g);
}

/* REQ FAILED(pid) from `from` (r: its rank, or -1). pid == from: it is out
 * (excluded, or a joiner that gave up): every member stops waiting for it.
 * Otherwise `from` stopped hearing pid; the coordinator judges (fail-stop
 * conversion means one of the two goes): if it stopped hearing pid too, pid
 * goes with its own suspicion; if pid is the coordinator, the reporter goes
 * (it cannot hear the coordinator); otherwise the report waits report_wait_ns
 * for the coordinator's own suspicion of pid (a crash is noticed at about
 * the same time everywhere), after which the reporter goes (an asymmetric
 * cut, or a member whose incoming links fail: removing pid instead would let
 * one bad member remove every other). */
static void on_failed(struct pg *pg, struct pg_group *g, pg_node_id from, int r, pg_node_id pid)
{
    if (pid == from) {
        pg_view_add_req(pg, g, PG_REQ_FAILED, pid);
        mark_dead(pg, g, pid);
        return;
    }
    int rp = pg_rank_of(g->view.members, g->view.n_members, pid);
    if (r < 0 || rp < 0 || pg_rs_has(&g->vw.dead, (uint32_t)r) || pg_view_coord(g) != g->my_rank)
        return;
    if (pid == pg->self) {
        pg_sometimes(pg, g->gid, PG_ST_REPORTER_OUT, "a member that cannot hear the coordinator");
        mark_dead(pg, g, from);
        return;
    }
    if (pg_rs_has(&g->vw.dead, (uint32_t)rp) || g->vw.n_reports == PG_REPORTS_MAX)
        return;
    g->vw.reports[g->vw.n_reports++] = (struct pg_report){
        .reporter = (uint8_t)r, .pid = (uint8_t)rp, .due_ns = pg_now(pg) + pg->cfg.report_wait_ns};
}

int64_t pg_view_due(const struct pg_group *g)
{
    if (g->st == PG_GS_JOINING)
        return g->vw.join_due_ns;
    int64_t d = PG_TIMER_NEVER;
    for (uint32_t i = 0; i < g->vw.n_reports; i++)
        d = g->vw.reports[i].due_ns < d ? g->vw.reports[i].due_ns : d;
    return d;
}

/* A joiner that heard nothing of its group for cfg.join_timeout_ns gives up
 * (the group may have lost its majority, or its contact the request): while
 * it joins, a record naming its future view holds its other groups'
 * deliveries (pg_domain.c). It says so, in case a view lists it already,
 * and leaves. */
static void join_give_up(struct pg *pg, struct pg_group *g)
{
    assert(g->st == PG_GS_JOINING);
    pg->stats.joins_given_up++;
    pg_sometimes(pg, g->gid, PG_ST_JOIN_TIMEOUT, "a joiner gave up");
    for (uint32_t i = 0; i < g->vw.dec.n_members; i++)
        if (g->vw.dec.members[i] != pg->self)
            (void)phys_add(pg->ph, g->gid, g->vw.dec.members[i]);
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_REQ;
    m.view_id = g->view.view_id + 1;
    m.op = PG_REQ_FAILED;
    m.pid = pg->self;
    pg->stats.control_sent++;
    (void)pg_send(pg, g, &m);
    pg_view_exclude_quiet(pg, g, "join given up");
}

void pg_view_tick(struct pg *pg, struct pg_group *g, int64_t now_ns)
{
    if (g->st == PG_GS_JOINING) {
        if (now_ns >= g->vw.join_due_ns)
            join_give_up(pg, g);
        return;
    }
    assert(g->vw.n_reports <= PG_REPORTS_MAX);
    assert(g->st == PG_GS_MEMBER || g->vw.n_reports == 0);
    if (g->vw.n_reports == 0)
        return;
    uint32_t k = 0;
    struct pg_rset out = pg_rs_none();
    for (uint32_t i = 0; i < g->vw.n_reports; i++) {
        const struct pg_report *q = &g->vw.reports[i];
        if (q->due_ns > now_ns) {
            g->vw.reports[k++] = *q;
            continue;
        }
        if (!pg_rs_has(&g->vw.dead, q->pid) && !pg_rs_has(&g->vw.dead, q->reporter))
            pg_rs_add(&out, q->reporter); /* the coordinator still hears pid */
    }
    g->vw.n_reports = k;
    if (pg_rs_empty(out) || pg_view_coord(g) != g->my_rank)
        return;
    pg_sometimes(pg, g->gid, PG_ST_REPORTER_OUT,
                 "a member that cannot hear one the coordinator hears");
    g->vw.dead = pg_rs_or(g->vw.dead, out);
    try_commit(pg, g);
    pg_view_check(pg, g);
}

void pg_view_on_out(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m)
{
    if (g->st != PG_GS_MEMBER || m->view_id <= g->view.view_id)
        return; /* views are totally ordered: a later one that does not list it is final */
    pg_view_exclude_quiet(pg, g, "a later view does not list it");
}

static void on_req(struct pg *pg, struct pg_group *g, pg_node_id from, int r,
                   const struct pg_wmsg *m)
{
    assert(m->type == PG_MT_REQ);
    if (m->op == PG_REQ_FAILED) {
        on_failed(pg, g, from, r, m->pid);
        return;
    }
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
    if (pg_rank_of(m->members, m->n_members, pg->self) < 0 || key < g->vw.dec.key)
        return;
    if (key > g->vw.dec.key || m->view_id != g->view.view_id) {
        prop_from_msg(&g->vw.dec, m);
        g->vw.dec_old_n = m->n_old;
        g->vw.n_jackers = 0;
        g->vw.dec_installed = false;
        g->view.view_id = m->view_id;
    }
    g->vw.dec_installed = g->vw.dec_installed || m->full == ACK_INSTALLED;
    if (pg_rank_of(g->vw.jackers, g->vw.n_jackers, from) < 0 && g->vw.n_jackers < PG_CAP)
        g->vw.jackers[g->vw.n_jackers++] = from;
    assert(m->view_id == g->view.view_id);
    pg_view_joiner_install(pg, g);
}

void pg_view_joiner_install(struct pg *pg, struct pg_group *g)
{
    assert(g->st == PG_GS_JOINING);
    assert(g->vw.dec.key != 0);
    bool ready = !pg->vh.joiner_ready ||
                 pg->vh.joiner_ready(pg, g); /* arms the state timeout at the first decision */
    if (!ready || (!g->vw.dec_installed && g->vw.n_jackers * 2 <= g->vw.dec_old_n))
        return;
    struct pg_prop p = g->vw.dec;
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
    assert(rank >= 0);
    assert((uint32_t)rank < g->view.n_members);
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
        on_need(pg, g, from);
        break;
    default:
        pg->stats.malformed_dropped++;
        break;
    }
}

/* A FLUSH or NEED about the view before the current one, from `from`:
 * answer it alone with the decision that installed the current view (it
 * may install at once: ACK_INSTALLED), if this node has it and `from` is a
 * member now or the member that view let leave (a process left out of it as
 * failed was told so at the install). */
void pg_view_on_prev(struct pg *pg, struct pg_group *g, pg_node_id from, const struct pg_wmsg *m)
{
    if (g->vw.last_dec.key == 0 || g->vw.last_dec_view != m->view_id ||
        pg->vh.stored_view(g, true) != m->view_id)
        return;
    if (m->type == PG_MT_FLUSH && pg_key(m->attempt, m->rank) <= g->vw.last_dec.key)
        return;
    if (from == pg->self ||
        (pg_rank_of(g->view.members, g->view.n_members, from) < 0 && from != g->vw.last_dec.left))
        return; /* the member that left at its request finishes that view too */
    respond_full(pg, g, true, &g->vw.last_dec, m->view_id, g->vw.last_dec_old_n, ACK_INSTALLED,
                 from);
}

/* A FLUSH or NEED about a view two or more before the current one, from a
 * process that the current view does not list: the views since are final,
 * so it is out, and it is told so (an OUT notice, as in drop_removed). It
 * may not know: a leaver cut from one member waited for that member's
 * FLUSH_OK, while the others had moved on two views and dropped its NEED
 * (explore seed 14244: it stayed in the old view for ever). */
void pg_view_on_stale(struct pg *pg, struct pg_group *g, pg_node_id from, const struct pg_wmsg *m)
{
    assert(g->st == PG_GS_MEMBER);
    assert(m->view_id + 1 < g->view.view_id);
    if (from == pg->self || pg_rank_of(g->view.members, g->view.n_members, from) >= 0)
        return;
    struct pg_wmsg out;
    memset(&out, 0, sizeof out);
    out.type = PG_MT_OUT;
    out.view_id = g->view.view_id;
    pg->stats.out_notices++;
    pg_sometimes(pg, g->gid, PG_ST_OUT, "a removed member told it is out");
    (void)pg_send_to_q(pg, g, from, &out);
}

/* A message of view v+1 arrived while this node is in v: `from` installed
 * v+1, so it holds the decision and every message of v. A node that did not
 * commit asks it for them. One that committed, counts no majority of v
 * (section 3.1) and did not count `from`'s ACK asks it too, even if it deems
 * it dead (it dropped that ACK: from a member it deemed dead, or before it
 * held the decision): the answer is ACK_INSTALLED, a majority committed
 * (explore seed 20986, and seed 47 of its minimal scenario: a member that
 * followed a competing coordinator committed late and stayed in v for ever). */
void pg_view_on_future(struct pg *pg, struct pg_group *g, pg_node_id from)
{
    int r = pg_rank_of(g->view.members, g->view.n_members, from);
    if (r < 0 || (uint32_t)r == g->my_rank)
        return;
    if (g->vw.committed) {
        assert(g->vw.dec.key != 0);
        if (!g->vw.dec_installed && !pg_rs_has(&g->vw.acks, (uint32_t)r) &&
            !phys_is_faulty(pg->ph, from))
            need_ask(pg, g, (uint32_t)r); /* its ACK, sent before (FIFO), was dropped */
        return;
    }
    if (!pg_rs_has(&g->vw.dead, (uint32_t)r))
        need_ask(pg, g, (uint32_t)r);
}

void pg_view_on_suspect(struct pg *pg, struct pg_group *g, pg_node_id failed)
{
    if (g->st != PG_GS_MEMBER)
        return;
    int r = pg_rank_of(g->view.members, g->view.n_members, failed);
    if (r < 0 || failed == pg->self || pg_rs_has(&g->vw.dead, (uint32_t)r))
        return;
    uint32_t coord = pg_view_coord(g);
    pg_rs_add(&g->vw.dead, (uint32_t)r);
    if (coord != g->my_rank) {
        /* the coordinator may still hear it (an asymmetric cut): tell it.
         * When the coordinator is the one suspected, the link layer sends it
         * nothing any more: a live one then stops hearing this node and
         * removes it in turn. */
        pg_sometimes(pg, g->gid, PG_ST_REPORT, "a suspicion reported to the coordinator");
        send_failed(pg, g, failed, g->view.members[coord]);
    }
    try_commit(pg, g);
    if (g->st == PG_GS_MEMBER)
        pg_view_check(pg, g);
}

/* ---- the base's hook ---- */

void pg_view_register(struct pg *pg)
{
    pg->overflow = pg_view_exclude; /* a full outbox or input queue */
}
