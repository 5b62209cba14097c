/* core/group/pg_client.c: clients of a process group and diffusion multicast
 * (paper sections 2.3 and 4). See pg_client and pg_diffuse in pg.h.
 *
 * Design (and how it relates to the paper and to Isis):
 *  - Channels. Members and clients talk over a second phys group per pg
 *    group, gid | PG_CL_PHYS_BIT, point to point (phys_send). A client's
 *    holds itself and its contact only; a member's holds itself and the
 *    clients it serves. So a client is monitored by one member and monitors
 *    one member, whatever the group size: clients are "far more numerous
 *    than servers" (section 2.3) and cost each member O(clients / members).
 *  - Registration. pg_client sends REQ(ADD_CLIENT) to the contact, which
 *    passes it to the coordinator (point to point: a request multicast to
 *    every member would cost clients x members datagrams, all at once when
 *    the clients start together); the coordinator batches client requests
 *    into one view change (pg_view.c). A request lost with a failed
 *    coordinator is asked again by the client's retry. When the contact installs a view
 *    listing the client it sends it that view (CVIEW, flag CONTACT). Only
 *    members hold the client list: a client caches the members (section 4:
 *    "clients cache estimates of the membership, refreshing stale views as
 *    needed").
 *  - Client messages (as Isis did: the contacted member forwards). The
 *    client sends CMSG(cached view id, cseq) to its contact. The contact
 *    rejects a view id other than its own and answers with its view (flag
 *    STALE, once per view and client); the client caches it and sends every
 *    unacknowledged message again. Else the contact accepts cseq = last
 *    accepted + 1 and multicasts it as its own cbcast (PG_AB_CX, payload
 *    prefixed with kind, client id, cseq), held for the next view during a
 *    flush like its own sends. The client's message thereby enters the
 *    group's causal stream at the contact: it is delivered in the view it is
 *    multicast in by every member that installs that view and the next
 *    (virtual synchrony and failure atomicity of the contact's cbcast), after
 *    everything the contact had delivered. Members deliver it with `from` =
 *    the client. A client message is delivered in the contact's view, not
 *    necessarily the view the client cached (TRACE.md: sends by non-members
 *    are not judged by the sending-view rule).
 *  - Acknowledgements. The contact keeps a record per forwarded message; it
 *    becomes safe when the forward is stable (every member delivered it) or
 *    when the contact installed a later view (it survived the flush). The
 *    contact then sends CACK(cseq) and the client forgets the messages up to
 *    cseq. The client keeps at most cfg.max_client_unacked messages.
 *  - Contact failure. The client picks the most senior member of its cached
 *    view (lowest rank that its link layer does not deem faulty) and sends
 *    CHELLO(failed contact, view id of its oldest unacked message). That
 *    member answers once the failed contact is out of its view, so the
 *    failed contact's forwards have been flushed: each was delivered by all
 *    survivors or by none. It answers CACK(hello, dl) where dl is the highest
 *    cseq of the client it delivered (deliveries of one client are a cseq
 *    prefix: one contact at a time, FIFO). The client sends the rest again.
 *    Only a member present since the oldest unacked message's view (or the
 *    most senior member, rank 0) may answer: a later joiner could have
 *    missed a delivery and would let a duplicate in; it redirects instead.
 *    As a last line of defence every member drops, at delivery, a client
 *    message whose cseq is not above the client's last delivered one: every
 *    member that saw the same views drops the same copies, so virtual
 *    synchrony holds. Client messages are therefore delivered at most once
 *    per member, and at least once while the client lives.
 *  - Diffusion (section 2.3: "a single message is sent by a server to the
 *    full set of clients and servers"). pg_diffuse is a cbcast (PG_AB_CX,
 *    kind DIFF) to the members. Each member keeps a history of the
 *    diffusions it delivered, in delivery order, and relays each to the
 *    clients it serves once it is stable (or its view has passed): a client
 *    then never delivers a diffusion that some member lacks, so a client
 *    message it sends afterwards cannot overtake that diffusion at any member
 *    (TRACE.md rule 6). After a failover the new contact relays its history
 *    from the client's last diffusion view; the client drops what it already
 *    has ((view, sender rank, seq) per sender, FIFO).
 *  - Limits: the member table of clients (4 x max_clients slots), the pending
 *    client messages (max_client_pending), the forward records, the
 *    diffusion history (max_diffusion_history; a failed-over client may miss
 *    diffusions older than that: counted in diffusion_gaps), the client's
 *    unacked messages (max_client_unacked).
 *  Not done: a client that falsely suspects a live contact waits (buffering,
 *  then PG_E_FULL) until the members exclude that contact too.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "pg_client.h"

#define CX_DIFF 1u /* payload kind: a diffusion */
#define CX_CMSG 2u /* payload kind: a client message (u32 client, u32 cseq follow) */
#define CX_HDR  PG_CX_HDR_MAX

/* What a member knows of one client (open addressing by id). */
struct cl_ent {
    pg_node_id id; /* PG_NODE_NONE: empty */
    uint32_t dl;   /* highest cseq of the client delivered here */
    /* as its contact */
    uint32_t acc;        /* highest cseq accepted for forwarding */
    uint32_t safe;       /* highest cseq known stable or flushed */
    uint32_t acked;      /* highest cseq reported to the client */
    uint32_t stale_view; /* view of the last STALE answer */
    uint64_t next_h;     /* next diffusion (history number) to relay */
    bool in_view;        /* listed by the current view */
    bool mine;           /* this member serves the client */
    bool joining;        /* mine, asked to be added, not yet listed */
    bool hello;          /* a CHELLO waits for `failed` to leave the view */
    pg_node_id failed;
    uint32_t vmin, dview;
};

struct cl_fwd { /* a forwarded client message, until safe */
    pg_node_id client;
    uint32_t cseq, view, seq;
};

struct cl_hist { /* one delivered diffusion */
    uint32_t view, rank, seq, len;
    pg_node_id sender;
    uint8_t *payload;
};

struct cl_umsg { /* a client's own message until acknowledged */
    uint32_t cseq, first_view, len;
    uint8_t *payload;
};

enum cl_state { CS_WAIT = 0, CS_NORMAL, CS_HELLO };

#define CL_HELLO_TRIES 8u /* a HELLO unanswered for this many retry periods counts as declined */

struct pg_cl {
    /* member side (allocated by cl_member_alloc) */
    bool member;
    uint32_t joined_view;
    struct cl_ent *ents;
    uint32_t cap, n_ents;
    pg_node_id *mine;
    uint32_t n_mine;
    struct pg_queue pending; /* CX payloads accepted, not yet forwarded */
    struct cl_fwd *fwd;
    uint32_t fwd_cap, fwd_head, fwd_count;
    struct cl_hist *hist;
    uint32_t hist_cap;                 /* cfg.max_diffusion_history */
    uint64_t h_first, h_ready, h_next; /* kept [h_first, h_next); relayable below h_ready */
    uint32_t evicted_view;             /* view of the last diffusion dropped from history */
    bool relay_due, ack_due;
    int64_t blocked_due_ns; /* retry after a full channel window */
    /* client side (allocated by pg_cl_start) */
    bool client;
    enum cl_state st;
    pg_node_id contact, target, failed;
    uint32_t next_cseq, resent_view;
    struct cl_umsg *un;
    uint32_t un_cap, un_head, un_count;
    uint32_t dview, dlast[PG_CAP];
    uint32_t retry_oldest; /* oldest unacked cseq at the previous retry tick */
    int64_t due_ns;
    struct pg_rset declined; /* ranks of the cached view that redirected it since it was
                                last served: a failover tries each member once */
    uint32_t hello_tries;    /* retry periods the current HELLO went unanswered */
};

static pg_gid cl_pgid(const struct pg_group *g)
{
    assert(g->gid != 0);
    assert((g->gid & PG_CL_PHYS_BIT) == 0); /* a pg gid never has it */
    return g->gid | PG_CL_PHYS_BIT;
}

static uint32_t get_u32(const uint8_t *p)
{
    assert(p != NULL);
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    assert(p != NULL);
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

size_t pg_cl_diff_payload(const uint8_t *p, size_t len, uint8_t *out, size_t cap)
{
    assert(len + 1 <= cap);
    out[0] = CX_DIFF;
    if (len)
        memcpy(out + 1, p, len);
    return len + 1;
}

/* ---- allocation ---- */

static void cl_free_member(struct pg_cl *cl)
{
    assert(cl != NULL);
    assert(!cl->hist || cl->hist_cap > 0);
    for (uint64_t h = cl->h_first; cl->hist && h < cl->h_next; h++)
        free(cl->hist[h % cl->hist_cap].payload);
    free(cl->hist);
    free(cl->ents);
    free(cl->mine);
    free(cl->fwd);
    if (cl->pending.b)
        pg_queue_clear(&cl->pending);
    free(cl->pending.b);
}

void pg_cl_free(struct pg_group *g)
{
    struct pg_cl *cl = g->cl;
    if (!cl)
        return;
    cl_free_member(cl);
    for (uint32_t i = 0; cl->un && i < cl->un_count; i++)
        free(cl->un[(cl->un_head + i) % cl->un_cap].payload);
    free(cl->un);
    free(cl);
    g->cl = NULL;
}

static struct pg_cl *cl_get_state(struct pg_group *g)
{
    if (!g->cl)
        g->cl = calloc(1, sizeof *g->cl);
    return g->cl;
}

/* The member side: table, mine list, queues, history. False if out of memory. */
static bool cl_member_alloc(struct pg *pg, struct pg_group *g)
{
    assert(g->st != PG_GS_FREE);
    struct pg_cl *cl = cl_get_state(g);
    if (!cl)
        return false;
    if (cl->member)
        return true;
    const struct pg_config *c = &pg->cfg;
    uint32_t cap = 16; /* half full at most: the listed clients plus as many joining */
    while (cap < 4 * c->max_clients)
        cap *= 2;
    cl->cap = cap;
    cl->ents = calloc(cap, sizeof *cl->ents);
    cl->mine = calloc(c->max_clients ? c->max_clients : 1, sizeof *cl->mine);
    cl->fwd_cap = c->max_unstable_own + c->max_held + c->max_client_pending;
    cl->fwd = calloc(cl->fwd_cap, sizeof *cl->fwd);
    cl->hist = calloc(c->max_diffusion_history, sizeof *cl->hist);
    cl->hist_cap = c->max_diffusion_history;
    cl->pending.b = calloc(c->max_client_pending, sizeof *cl->pending.b);
    cl->pending.cap = cl->pending.size = c->max_client_pending;
    if (!cl->ents || !cl->mine || !cl->fwd || !cl->hist || !cl->pending.b) {
        cl_free_member(cl);
        memset(cl, 0, sizeof *cl);
        return false;
    }
    cl->member = true;
    assert(cl->cap >= 2 * pg->cfg.max_clients); /* half full at most */
    return true;
}

/* ---- the member table ---- */

static uint32_t cl_slot(const struct pg_cl *cl, pg_node_id id)
{
    assert(cl->cap > 0);
    assert((cl->cap & (cl->cap - 1)) == 0); /* a power of two */
    uint32_t h = id * 2654435761u;
    return h & (cl->cap - 1);
}

static struct cl_ent *cl_find(const struct pg_cl *cl, pg_node_id id)
{
    assert(cl->member);
    assert(id != PG_NODE_NONE); /* the mark of an empty slot */
    for (uint32_t i = cl_slot(cl, id), k = 0; k < cl->cap; k++, i = (i + 1) & (cl->cap - 1)) {
        if (cl->ents[i].id == id)
            return &cl->ents[i];
        if (cl->ents[i].id == PG_NODE_NONE)
            return NULL;
    }
    return NULL;
}

/* The entry of id, inserted if absent; NULL when the table is half full. */
static struct cl_ent *cl_ent(struct pg_cl *cl, pg_node_id id)
{
    assert(id != PG_NODE_NONE);
    assert(cl->member);
    struct cl_ent *e = cl_find(cl, id);
    if (e || cl->n_ents * 2 >= cl->cap)
        return e;
    uint32_t i = cl_slot(cl, id);
    while (cl->ents[i].id != PG_NODE_NONE)
        i = (i + 1) & (cl->cap - 1);
    cl->ents[i] = (struct cl_ent){.id = id};
    cl->n_ents++;
    return &cl->ents[i];
}

/* Rebuilds the table with the entries worth keeping (listed, or joining). */
static void cl_rehash(struct pg_cl *cl, struct cl_ent *old, uint32_t n_old)
{
    memset(cl->ents, 0, cl->cap * sizeof *cl->ents);
    cl->n_ents = 0;
    for (uint32_t k = 0; k < n_old; k++) {
        if (old[k].id == PG_NODE_NONE || !(old[k].in_view || old[k].joining))
            continue;
        struct cl_ent *e = cl_ent(cl, old[k].id);
        assert(e);
        *e = old[k];
    }
}

/* ---- sending on the client channels ---- */

/* Sends m to `to` on g's client channels, adding `to` to them if needed
 * (and removing it again unless keep). */
static int cl_send(struct pg *pg, struct pg_group *g, pg_node_id to, const struct pg_wmsg *m,
                   bool keep)
{
    uint8_t buf[PHYS_MAX_PAYLOAD];
    size_t n = pg_encode(m, buf, sizeof buf);
    assert(n > 0);
    assert(to != pg->self);
    int added = phys_add(pg->ph, cl_pgid(g), to);
    int rc = phys_send(pg->ph, cl_pgid(g), to, buf, n);
    if (added == PG_OK && !keep)
        (void)phys_del(pg->ph, cl_pgid(g), to);
    return rc;
}

static void cl_send_view(struct pg *pg, struct pg_group *g, pg_node_id to, uint8_t flags, bool keep)
{
    assert(to != PG_NODE_NONE);
    assert(g->view.n_members <= PG_CAP);
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_CVIEW;
    m.view_id = g->view.view_id;
    m.cflags = flags;
    m.n_members = g->view.n_members;
    memcpy(m.members, g->view.members, m.n_members * sizeof(pg_node_id));
    if (cl_send(pg, g, to, &m, keep) != PG_OK && g->cl)
        g->cl->blocked_due_ns = pg_now(pg) + pg->cfg.retry_ns;
}

static bool cl_send_ack(struct pg *pg, struct pg_group *g, pg_node_id to, uint32_t cseq, bool hello)
{
    assert(to != PG_NODE_NONE);
    assert(g->cl != NULL);
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_CACK;
    m.view_id = g->view.view_id;
    m.cseq = cseq;
    m.cflags = hello;
    return cl_send(pg, g, to, &m, true) == PG_OK;
}

/* ---- member: the clients it serves ---- */

static void cl_mine_add(struct pg *pg, struct pg_group *g, struct cl_ent *e)
{
    struct pg_cl *cl = g->cl;
    if (e->mine)
        return;
    assert(cl->n_mine < pg->cfg.max_clients);
    e->mine = true;
    e->next_h = cl->h_next;
    cl->mine[cl->n_mine++] = e->id;
    (void)phys_add(pg->ph, cl_pgid(g), e->id);
}

static void cl_mine_del(struct pg *pg, struct pg_group *g, struct cl_ent *e)
{
    assert(g->cl != NULL);
    assert(g->cl->n_mine <= pg->cfg.max_clients);
    struct pg_cl *cl = g->cl;
    if (!e->mine)
        return;
    e->mine = e->joining = e->hello = false;
    for (uint32_t i = 0; i < cl->n_mine; i++) {
        if (cl->mine[i] == e->id) {
            assert(cl->n_mine > 0);
            cl->mine[i] = cl->mine[--cl->n_mine];
            break;
        }
    }
    (void)phys_del(pg->ph, cl_pgid(g), e->id);
}

/* Opens the member's client channels (its phys group gid | bit) once. */
static bool cl_open_channels(struct pg *pg, struct pg_group *g)
{
    assert(g->gid != 0);
    const pg_node_id *m;
    if (phys_members(pg->ph, cl_pgid(g), &m) >= 0)
        return true;
    return pg_phys_open(pg, cl_pgid(g), &pg->self, 1) == PG_OK;
}

/* Starts serving e: its messages continue after what was delivered here. */
static void cl_welcome(struct pg *pg, struct pg_group *g, struct cl_ent *e)
{
    assert(e->id != PG_NODE_NONE);
    assert(g->cl->member);
    e->acc = e->safe = e->acked = e->dl;
    e->joining = false;
    e->next_h = g->cl->h_next; /* diffusions from now on (a hello rewinds it) */
    cl_send_view(pg, g, e->id, PG_CV_CONTACT, true);
}

/* Member side of the client channels is needed: the view lists clients, or
 * a client talks to us. False (and the group is excluded) if out of memory. */
static bool cl_member_ready(struct pg *pg, struct pg_group *g)
{
    if ((g->cl && g->cl->member) || (cl_member_alloc(pg, g) && cl_open_channels(pg, g))) {
        if (!g->cl->joined_view)
            g->cl->joined_view = g->view.view_id;
        return true;
    }
    pg_view_exclude(pg, g, "out of memory (clients)");
    return false;
}

/* Asks the coordinator to change the client list: point to point, not to
 * every member (1,000 clients registering at once would cost 1,000 x n
 * datagrams). If the coordinator fails first, the request is lost with it;
 * the client asks again (client_retry_ns) and the contact asks the next
 * coordinator (cl_on_creq). Requests are batched into one view change. */
static void cl_request(struct pg *pg, struct pg_group *g, uint8_t op, pg_node_id pid)
{
    assert(pid != PG_NODE_NONE);
    assert(op == PG_REQ_ADD_CLIENT || op == PG_REQ_DEL_CLIENT);
    pg_view_add_req(pg, g, op, pid);
    uint32_t coord = pg_view_coord(g);
    if (coord == g->my_rank) {
        pg_view_check(pg, g);
        return;
    }
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_REQ;
    m.view_id = g->view.view_id;
    m.op = op;
    m.pid = pid;
    pg->stats.control_sent++;
    (void)pg_send_to(pg, g, g->view.members[coord], &m);
}

/* REQ(ADD_CLIENT) from a would-be client `c` on the client channels. */
static void cl_on_creq(struct pg *pg, struct pg_group *g, pg_node_id c, const struct pg_wmsg *m)
{
    struct pg_cl *cl = g->cl;
    if (m->op != PG_REQ_ADD_CLIENT || m->pid != c) {
        pg->stats.malformed_dropped++;
        return;
    }
    struct cl_ent *e = cl_ent(cl, c);
    if (!e || (!e->mine && cl->n_mine >= pg->cfg.max_clients))
        return; /* full: the client asks again */
    bool was_mine = e->mine;
    cl_mine_add(pg, g, e);
    if (e->in_view && was_mine && !e->joining && !e->hello) { /* asked again: answer again */
        cl_send_view(pg, g, c, PG_CV_CONTACT, true);
        return;
    }
    if (e->in_view) {
        cl_welcome(pg, g, e);
        return;
    }
    e->joining = true;
    cl_request(pg, g, PG_REQ_ADD_CLIENT, c);
}

/* ---- member: forwarding client messages ---- */

static void cl_fwd_push(struct pg_cl *cl, pg_node_id c, uint32_t cseq, uint32_t view, uint32_t seq)
{
    assert(cl->fwd_count < cl->fwd_cap);
    cl->fwd[(cl->fwd_head + cl->fwd_count++) % cl->fwd_cap] =
        (struct cl_fwd){.client = c, .cseq = cseq, .view = view, .seq = seq};
}

/* Multicasts the next pending client message on its client's behalf, now
 * or held for the next view during a flush. False when it must wait. */
static bool cl_forward_one(struct pg *pg, struct pg_group *g)
{
    assert(g->cl != NULL);
    assert(g->cl->member);
    struct pg_cl *cl = g->cl;
    if (!cl->pending.count || cl->fwd_count == cl->fwd_cap)
        return false;
    const struct pg_blob *b = &cl->pending.b[cl->pending.head];
    uint32_t view = g->view.view_id, seq;
    if (pg_view_flushing(g)) {
        if (!pg_queue_push(&g->held, b->buf, b->len, pg->self, g->gid, PG_AB_CX))
            return false;
        view++;
        seq = g->held.count; /* held messages go out first in the next view, in order */
    } else {
        if (pg_cb_unstable_own(g) >= pg->cfg.max_unstable_own ||
            pg_cb_send_ex(pg, g, b->buf, b->len, true, PG_AB_CX) != PG_OK)
            return false;
        seq = g->cb.my_seq;
    }
    cl_fwd_push(cl, b->from, get_u32(b->buf + 5), view, seq);
    pg->stats.client_forwarded++;
    pg_sometimes(pg, g->gid, PG_ST_CL_FWD, "client message forwarded by its contact");
    struct pg_blob done = {0};
    (void)pg_queue_pop(&cl->pending, &done);
    free(done.buf);
    return g->st == PG_GS_MEMBER;
}

/* CMSG from client c. */
static void cl_on_cmsg(struct pg *pg, struct pg_group *g, pg_node_id c, const struct pg_wmsg *m)
{
    struct pg_cl *cl = g->cl;
    struct cl_ent *e = cl_find(cl, c);
    if (!e || !e->in_view) {
        cl_send_view(pg, g, c, PG_CV_GONE, e && e->mine);
        return;
    }
    if (!e->mine || e->hello) {
        cl_send_view(pg, g, c, PG_CV_REDIRECT, e->mine);
        return;
    }
    if (m->view_id != g->view.view_id) {
        pg->stats.client_stale_rejected++;
        if (e->stale_view != g->view.view_id) {
            e->stale_view = g->view.view_id;
            cl_send_view(pg, g, c, PG_CV_STALE, true);
        }
        return;
    }
    if (m->cseq != e->acc + 1 || m->len + CX_HDR > pg->cfg.max_payload)
        return; /* a copy, or after a gap: the client sends again in order */
    uint8_t buf[PG_MAX_PAYLOAD];
    buf[0] = CX_CMSG;
    put_u32(buf + 1, c);
    put_u32(buf + 5, m->cseq);
    if (m->len)
        memcpy(buf + CX_HDR, m->payload, m->len);
    if (!pg_queue_push(&cl->pending, buf, CX_HDR + m->len, c, g->gid, 0))
        return; /* full: the client sends again */
    e->acc = m->cseq;
    while (cl_forward_one(pg, g))
        ;
}

/* ---- member: a failed-over client ---- */

/* Answers e's CHELLO once its failed contact is out of the view. */
static void cl_hello_try(struct pg *pg, struct pg_group *g, struct cl_ent *e)
{
    struct pg_cl *cl = g->cl;
    if (!e->hello || (e->failed != PG_NODE_NONE &&
                      pg_rank_of(g->view.members, g->view.n_members, e->failed) >= 0))
        return;
    e->hello = false;
    bool senior = e->vmin == 0 || cl->joined_view <= e->vmin || g->my_rank == 0;
    if (!senior) { /* could have missed deliveries a duplicate would repeat */
        cl_send_view(pg, g, e->id, PG_CV_REDIRECT, false);
        cl_mine_del(pg, g, e);
        return;
    }
    cl_welcome(pg, g, e);
    (void)cl_send_ack(pg, g, e->id, e->dl, true);
    if (e->dview && cl->evicted_view >= e->dview)
        pg->stats.diffusion_gaps++;
    uint64_t h = cl->h_first;
    while (h < cl->h_next && cl->hist[h % cl->hist_cap].view < e->dview)
        h++;
    e->next_h = h;
    cl->relay_due = true;
}

static void cl_on_chello(struct pg *pg, struct pg_group *g, pg_node_id c, const struct pg_wmsg *m)
{
    struct pg_cl *cl = g->cl;
    struct cl_ent *e = cl_find(cl, c);
    if (!e || !e->in_view) {
        cl_send_view(pg, g, c, PG_CV_GONE, e && e->mine);
        return;
    }
    if (!e->mine && cl->n_mine >= pg->cfg.max_clients)
        return; /* the client asks again */
    cl_mine_add(pg, g, e);
    e->hello = true;
    e->failed = m->pid;
    e->vmin = m->vmin;
    e->dview = m->dview;
    cl_hello_try(pg, g, e);
}

/* An input from a client on the member's client channels. */
static void cl_member_msg(struct pg *pg, struct pg_group *g, pg_node_id from,
                          const struct pg_wmsg *m)
{
    if (g->st != PG_GS_MEMBER) { /* excluded, joining: ask someone else (always answered,
                                      else a client whose other members failed waits here) */
        if (g->view.view_id) {
            cl_send_view(pg, g, from, PG_CV_REDIRECT, false);
            return;
        }
        struct pg_wmsg v;
        memset(&v, 0, sizeof v);
        v.type = PG_MT_CVIEW;
        v.cflags = PG_CV_REDIRECT;
        v.n_members = 1;
        v.members[0] = pg->self;
        (void)cl_send(pg, g, from, &v, false);
        return;
    }
    if (!cl_member_ready(pg, g))
        return;
    switch (m->type) {
    case PG_MT_REQ:
        cl_on_creq(pg, g, from, m);
        break;
    case PG_MT_CMSG:
        cl_on_cmsg(pg, g, from, m);
        break;
    case PG_MT_CHELLO:
        cl_on_chello(pg, g, from, m);
        break;
    default:
        pg->stats.malformed_dropped++;
        break;
    }
}

/* ---- member: delivery ---- */

static void cl_hist_push(struct pg *pg, struct pg_group *g, uint32_t j, uint32_t seq,
                         const uint8_t *p, size_t len)
{
    struct pg_cl *cl = g->cl;
    uint32_t cap = cl->hist_cap;
    if (cl->h_next - cl->h_first == cap) { /* drop the oldest: clients behind it miss it */
        struct cl_hist *old = &cl->hist[cl->h_first % cap];
        cl->evicted_view = old->view;
        free(old->payload);
        cl->h_first++;
        if (cl->h_ready < cl->h_first)
            cl->h_ready = cl->h_first;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        pg_view_exclude(pg, g, "out of memory (diffusion history)");
        return;
    }
    if (len)
        memcpy(copy, p, len);
    cl->hist[cl->h_next % cap] = (struct cl_hist){.view = g->view.view_id,
                                                  .rank = j,
                                                  .seq = seq,
                                                  .len = (uint32_t)len,
                                                  .sender = g->view.members[j],
                                                  .payload = copy};
    cl->h_next++;
}

/* A client message delivered by the causal layer: at most once per client
 * sequence number, whoever forwarded it. */
static void cl_deliver_cmsg(struct pg *pg, struct pg_group *g, const uint8_t *p, size_t len)
{
    pg_node_id c = get_u32(p + 1);
    uint32_t cseq = get_u32(p + 5);
    if (c == PG_NODE_NONE || cseq == 0 || !cl_member_ready(pg, g)) {
        pg->stats.malformed_dropped++;
        return;
    }
    struct cl_ent *e = cl_ent(g->cl, c);
    if (e && cseq <= e->dl) {
        pg->stats.client_dup_dropped++;
        pg_sometimes(pg, g->gid, PG_ST_CL_DUP, "second copy of a client message not delivered");
        return;
    }
    if (e)
        e->dl = cseq;
    if (g->entry)
        g->entry(g->entry_ctx, g->gid, g->view.view_id, c, p + CX_HDR, len - CX_HDR);
}

void pg_cl_deliver(struct pg *pg, struct pg_group *g, uint32_t j, uint32_t seq, const uint8_t *p,
                   size_t len)
{
    assert(g->st == PG_GS_MEMBER);
    assert(j < g->view.n_members);
    if (len >= CX_HDR && p[0] == CX_CMSG) {
        cl_deliver_cmsg(pg, g, p, len);
        return;
    }
    if (len < 1 || p[0] != CX_DIFF) { /* the same bytes at every member: dropped everywhere */
        pg->stats.malformed_dropped++;
        return;
    }
    uint32_t view_id = g->view.view_id;
    if (g->entry)
        g->entry(g->entry_ctx, g->gid, view_id, g->view.members[j], p + 1, len - 1);
    if (g->st == PG_GS_MEMBER && g->view.view_id == view_id && g->cl && g->cl->member)
        cl_hist_push(pg, g, j, seq, p + 1, len - 1);
}

/* ---- member: views ---- */

/* A new view: welcome a joining client it lists, answer a waiting CHELLO. */
static void cl_view_client(struct pg *pg, struct pg_group *g, struct cl_ent *e)
{
    assert(e);
    assert(e->mine);
    if (e->joining && e->in_view)
        cl_welcome(pg, g, e);
    else if (e->hello)
        cl_hello_try(pg, g, e);
}

void pg_cl_on_install(struct pg *pg, struct pg_group *g)
{
    assert(g->st == PG_GS_MEMBER);
    (void)cl_open_channels(pg, g); /* a would-be client's request must reach us */
    if (!(g->cl && g->cl->member) && g->view.n_clients == 0)
        return; /* no client yet: nothing to keep */
    if (!cl_member_ready(pg, g))
        return;
    struct pg_cl *cl = g->cl;
    for (uint32_t i = 0; i < cl->cap; i++)
        cl->ents[i].in_view = false;
    for (uint32_t i = 0; i < g->view.n_clients; i++) {
        struct cl_ent *e = cl_find(cl, g->view.clients[i]);
        if (e)
            e->in_view = true;
    }
    for (uint32_t i = cl->n_mine; i-- > 0;) { /* goodbye to the mine no longer listed */
        struct cl_ent *e = cl_find(cl, cl->mine[i]);
        assert(e);
        assert(e->mine);
        if (!e->in_view && !e->joining) {
            cl_send_view(pg, g, e->id, PG_CV_GONE, true);
            cl_mine_del(pg, g, e);
        }
    }
    struct cl_ent *old = malloc(cl->cap * sizeof *old);
    if (!old) {
        pg_view_exclude(pg, g, "out of memory (clients)");
        return;
    }
    memcpy(old, cl->ents, cl->cap * sizeof *old);
    cl_rehash(cl, old, cl->cap); /* keeps the listed and the joining: at most 2 x max_clients */
    free(old);
    for (uint32_t i = 0; i < g->view.n_clients; i++) {
        struct cl_ent *e = cl_ent(cl, g->view.clients[i]);
        assert(e); /* half of 4 x max_clients slots */
        e->in_view = true;
    }
    for (uint32_t i = cl->n_mine; i-- > 0 && g->st == PG_GS_MEMBER;)
        cl_view_client(pg, g, cl_find(cl, cl->mine[i]));
    cl->relay_due = cl->ack_due = true;
}

void pg_cl_on_exclude(struct pg *pg, struct pg_group *g)
{
    struct pg_cl *cl = g->cl;
    if (!cl || !cl->member)
        return;
    for (uint32_t i = 0; i < cl->n_mine; i++) /* they fail over to another member */
        cl_send_view(pg, g, cl->mine[i], PG_CV_REDIRECT, true);
    pg_queue_clear(&cl->pending);
    cl->fwd_count = 0;
    assert(cl->pending.count == 0);
    assert(g->st == PG_GS_EXCLUDED); /* the view layer's exclusion hook */
}

/* ---- member: the pump (stability, relays, acks) ---- */

/* Forwards and diffusions of view `view` (seq `seq` of rank r) are safe once
 * stable here or once the view has passed. */
static bool cl_safe(const struct pg_group *g, uint32_t view, uint32_t r, uint32_t seq)
{
    assert(g->view.n_members <= PG_CAP);
    return view < g->view.view_id ||
           (view == g->view.view_id && r < g->view.n_members && seq <= g->cb.stable[r]);
}

static void cl_advance(struct pg *pg, struct pg_group *g)
{
    struct pg_cl *cl = g->cl;
    uint32_t cap = cl->hist_cap;
    while (cl->h_ready < cl->h_next) {
        const struct cl_hist *h = &cl->hist[cl->h_ready % cap];
        if (!cl_safe(g, h->view, h->rank, h->seq))
            break;
        cl->h_ready++;
        cl->relay_due = true;
    }
    while (cl->fwd_count) {
        const struct cl_fwd *f = &cl->fwd[cl->fwd_head];
        if (!cl_safe(g, f->view, g->my_rank, f->seq))
            break;
        struct cl_ent *e = cl_find(cl, f->client);
        if (e && f->cseq > e->safe)
            e->safe = f->cseq;
        cl->fwd_head = (cl->fwd_head + 1) % cl->fwd_cap;
        cl->fwd_count--;
        cl->ack_due = true;
    }
}

static bool cl_relay(struct pg *pg, struct pg_group *g, struct cl_ent *e)
{
    struct pg_cl *cl = g->cl;
    if (e->next_h < cl->h_first)
        e->next_h = cl->h_first; /* evicted: missed (pg_stats.diffusion_gaps at a hello) */
    for (; e->next_h < cl->h_ready; e->next_h++) {
        const struct cl_hist *h = &cl->hist[e->next_h % cl->hist_cap];
        struct pg_wmsg m;
        memset(&m, 0, sizeof m);
        m.type = PG_MT_CDIFF;
        m.view_id = h->view;
        m.rank = (uint8_t)h->rank;
        m.cseq = h->seq;
        m.pid = h->sender;
        m.payload = h->payload;
        m.len = h->len;
        if (cl_send(pg, g, e->id, &m, true) != PG_OK)
            return false;
        pg->stats.diffusion_relayed++;
        pg_sometimes(pg, g->gid, PG_ST_CL_RELAY, "diffusion relayed to a client");
    }
    return true;
}

static void cl_member_pump(struct pg *pg, struct pg_group *g)
{
    struct pg_cl *cl = g->cl;
    while (cl_forward_one(pg, g))
        ;
    if (g->st != PG_GS_MEMBER)
        return;
    cl_advance(pg, g);
    if (!cl->relay_due && !cl->ack_due)
        return;
    if (cl->blocked_due_ns > pg_now(pg))
        return;
    bool blocked = false;
    for (uint32_t i = 0; i < cl->n_mine; i++) {
        struct cl_ent *e = cl_find(cl, cl->mine[i]);
        assert(e);
        if (e->joining || e->hello)
            continue;
        blocked |= cl->relay_due && !cl_relay(pg, g, e);
        if (e->safe > e->acked) {
            if (cl_send_ack(pg, g, e->id, e->safe, false))
                e->acked = e->safe;
            else
                blocked = true;
        }
    }
    cl->relay_due = cl->ack_due = blocked;
    cl->blocked_due_ns = blocked ? pg_now(pg) + pg->cfg.retry_ns : 0;
}

/* ---- client ---- */

static struct cl_umsg *cl_un(struct pg_cl *cl, uint32_t i)
{
    assert(i < cl->un_count);
    return &cl->un[(cl->un_head + i) % cl->un_cap];
}

static void cl_client_exclude(struct pg *pg, struct pg_group *g)
{
    assert(g->cl != NULL);
    assert(g->cl->client);
    if (g->st != PG_GS_CLIENT)
        return;
    g->st = PG_GS_EXCLUDED;
    pg->stats.exclusions++;
    pg_sometimes(pg, g->gid, PG_ST_EXCLUDED, "client: no member serves it");
    g->view.gid = g->gid;
    if (g->mon)
        g->mon(g->mon_ctx, &g->view, true);
}

static void cl_send_req(struct pg *pg, struct pg_group *g)
{
    assert(g->cl->client);
    assert(g->cl->contact != PG_NODE_NONE);
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_REQ;
    m.op = PG_REQ_ADD_CLIENT;
    m.pid = pg->self;
    pg->stats.control_sent++;
    (void)cl_send(pg, g, g->cl->contact, &m, true);
}

int pg_cl_start(struct pg *pg, struct pg_group *g, pg_node_id contact)
{
    assert(contact != PG_NODE_NONE);
    assert(pg->cfg.max_client_unacked > 0);
    struct pg_cl *cl = cl_get_state(g);
    if (!cl)
        return PG_E_FULL;
    cl->un_cap = pg->cfg.max_client_unacked;
    cl->un = calloc(cl->un_cap, sizeof *cl->un);
    if (!cl->un)
        return PG_E_FULL;
    cl->client = true;
    cl->st = CS_WAIT;
    cl->contact = contact;
    cl->next_cseq = 1;
    cl->due_ns = pg_now(pg) + pg->cfg.client_retry_ns;
    g->st = PG_GS_CLIENT;
    g->view = (struct pg_view){.gid = g->gid};
    cl_send_req(pg, g);
    return PG_OK;
}

/* Sends unacked messages from index i on to the contact, with the cached view id. */
static void cl_send_from(struct pg *pg, struct pg_group *g, uint32_t i, bool again)
{
    assert(g->cl != NULL);
    assert(g->cl->client);
    struct pg_cl *cl = g->cl;
    for (; cl->st == CS_NORMAL && i < cl->un_count; i++) {
        const struct cl_umsg *u = cl_un(cl, i);
        struct pg_wmsg m;
        memset(&m, 0, sizeof m);
        m.type = PG_MT_CMSG;
        m.view_id = g->view.view_id;
        m.cseq = u->cseq;
        m.payload = u->payload;
        m.len = u->len;
        if (cl_send(pg, g, cl->contact, &m, true) != PG_OK)
            return; /* window full: the retry timer sends again */
        pg->stats.client_resent += again;
    }
}

int pg_cl_cbcast(struct pg *pg, struct pg_group *g, const uint8_t *p, size_t len, uint32_t *view_id)
{
    struct pg_cl *cl = g->cl;
    assert(g->st == PG_GS_CLIENT);
    assert(cl);
    assert(cl->client);
    if (g->view.view_id == 0)
        return PG_E_NOTMEMBER;
    if (len + CX_HDR > pg->cfg.max_payload)
        return PG_E_TOOBIG;
    if (cl->un_count == cl->un_cap)
        return PG_E_FULL;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return PG_E_FULL;
    if (len)
        memcpy(copy, p, len);
    cl->un[(cl->un_head + cl->un_count++) % cl->un_cap] =
        (struct cl_umsg){.cseq = cl->next_cseq++,
                         .first_view = g->view.view_id,
                         .len = (uint32_t)len,
                         .payload = copy};
    pg->stats.client_sent++;
    *view_id = g->view.view_id;
    if (cl->un_count == 1 && cl->st == CS_NORMAL) { /* the retry timer restarts */
        cl->due_ns = pg_now(pg) + pg->cfg.client_retry_ns;
        cl->retry_oldest = 0;
    }
    cl_send_from(pg, g, cl->un_count - 1, false);
    return PG_OK;
}

/* The most senior member of the cached view that can serve us, skipping `not`
 * and the members that redirected us (two excluded members would otherwise
 * send the client back and forth for ever). */
static pg_node_id cl_pick(const struct pg *pg, const struct pg_group *g, pg_node_id not_a,
                          pg_node_id not_b)
{
    for (uint32_t r = 0; r < g->view.n_members; r++) {
        pg_node_id id = g->view.members[r];
        if (id != not_a && id != not_b && !phys_is_faulty(pg->ph, id) &&
            !pg_rs_has(&g->cl->declined, r))
            return id;
    }
    return PG_NODE_NONE;
}

static void cl_send_hello(struct pg *pg, struct pg_group *g)
{
    assert(g->cl->st == CS_HELLO);
    assert(g->cl->target != PG_NODE_NONE);
    struct pg_cl *cl = g->cl;
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_CHELLO;
    m.view_id = g->view.view_id;
    m.pid = cl->failed;
    m.vmin = cl->un_count ? cl_un(cl, 0)->first_view : 0;
    m.dview = cl->dview;
    pg->stats.control_sent++;
    (void)cl_send(pg, g, cl->target, &m, true);
}

/* Moves to another member: `failed` failed (or NONE), `skip` cannot serve us. */
static void cl_failover(struct pg *pg, struct pg_group *g, pg_node_id failed, pg_node_id skip)
{
    assert(g->st == PG_GS_CLIENT);
    assert(g->cl->client);
    struct pg_cl *cl = g->cl;
    pg_node_id old = cl->st == CS_HELLO ? cl->target : cl->contact;
    if (cl->st == CS_NORMAL)
        cl->failed = failed; /* its forwards must be flushed before we send again */
    pg_node_id next = cl_pick(pg, g, cl->failed, skip);
    if (old != PG_NODE_NONE && old != next)
        (void)phys_del(pg->ph, cl_pgid(g), old);
    if (next == PG_NODE_NONE) {
        cl_client_exclude(pg, g);
        return;
    }
    pg->stats.client_failovers++;
    pg_sometimes(pg, g->gid, PG_ST_CL_FAIL, "client changed contact after a failure");
    cl->st = CS_HELLO;
    cl->hello_tries = 0;
    cl->target = next;
    cl->due_ns = pg_now(pg) + pg->cfg.client_retry_ns;
    cl_send_hello(pg, g);
}

/* Caches a newer view (the client's list names the client alone). */
static void cl_cache(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m)
{
    assert(g->st == PG_GS_CLIENT);
    assert(m->n_members <= PG_CAP);
    if (m->view_id <= g->view.view_id)
        return;
    g->cl->declined = pg_rs_none(); /* ranks of the new view */
    g->view.view_id = m->view_id;
    g->view.n_members = m->n_members;
    memcpy(g->view.members, m->members, m->n_members * sizeof(pg_node_id));
    g->view.n_clients = 1;
    g->view.clients[0] = pg->self;
    if (g->mon)
        g->mon(g->mon_ctx, &g->view, false);
}

static void cl_on_cview(struct pg *pg, struct pg_group *g, pg_node_id from, const struct pg_wmsg *m)
{
    struct pg_cl *cl = g->cl;
    bool from_contact = from == (cl->st == CS_HELLO ? cl->target : cl->contact);
    if (!from_contact)
        return;
    cl_cache(pg, g, m);
    if (m->cflags & PG_CV_GONE) {
        cl_client_exclude(pg, g);
    } else if (m->cflags & PG_CV_REDIRECT) {
        int r = pg_rank_of(g->view.members, g->view.n_members, from);
        if (r >= 0)
            pg_rs_add(&cl->declined, (uint32_t)r);
        cl_failover(pg, g, from, from);
    } else if ((m->cflags & PG_CV_CONTACT) && cl->st == CS_WAIT) {
        cl->st = CS_NORMAL;
        cl->declined = pg_rs_none();
        cl->dview = g->view.view_id; /* diffusions from the first view it is served in */
        cl_send_from(pg, g, 0, false);
    } else if (cl->st == CS_NORMAL &&
               pg_rank_of(g->view.members, g->view.n_members, cl->contact) < 0) {
        cl_failover(pg, g, cl->contact, PG_NODE_NONE); /* our contact left the view */
    } else if ((m->cflags & PG_CV_STALE) && cl->st == CS_NORMAL &&
               cl->resent_view != g->view.view_id) {
        cl->resent_view = g->view.view_id;
        pg_sometimes(pg, g->gid, PG_ST_CL_STALE, "stale-view retry of a client message");
        cl_send_from(pg, g, 0, true);
    }
}

static void cl_on_cack(struct pg *pg, struct pg_group *g, pg_node_id from, const struct pg_wmsg *m)
{
    struct pg_cl *cl = g->cl;
    bool hello = m->cflags && cl->st == CS_HELLO && from == cl->target;
    if (!hello && !(cl->st == CS_NORMAL && from == cl->contact))
        return;
    while (cl->un_count && cl_un(cl, 0)->cseq <= m->cseq) {
        free(cl_un(cl, 0)->payload);
        cl->un_head = (cl->un_head + 1) % cl->un_cap;
        cl->un_count--;
    }
    if (!hello)
        return;
    cl->st = CS_NORMAL;
    cl->declined = pg_rs_none();
    cl->contact = cl->target;
    cl->target = cl->failed = PG_NODE_NONE;
    cl_send_from(pg, g, 0, true);
}

static void cl_on_cdiff(struct pg *pg, struct pg_group *g, pg_node_id from, const struct pg_wmsg *m)
{
    struct pg_cl *cl = g->cl;
    if (from != cl->contact && from != cl->target)
        return;
    if (m->view_id < cl->dview) {
        pg->stats.stale_dropped++;
        return;
    }
    if (m->view_id > cl->dview) {
        cl->dview = m->view_id;
        memset(cl->dlast, 0, sizeof cl->dlast);
    }
    if (m->cseq <= cl->dlast[m->rank])
        return; /* had it from the previous contact */
    cl->dlast[m->rank] = m->cseq;
    pg->stats.client_diff_delivered++;
    if (g->entry)
        g->entry(g->entry_ctx, g->gid, m->view_id, m->pid, m->payload, m->len);
}

static void cl_client_msg(struct pg *pg, struct pg_group *g, pg_node_id from,
                          const struct pg_wmsg *m)
{
    switch (m->type) {
    case PG_MT_CVIEW:
        cl_on_cview(pg, g, from, m);
        break;
    case PG_MT_CACK:
        cl_on_cack(pg, g, from, m);
        break;
    case PG_MT_CDIFF:
        cl_on_cdiff(pg, g, from, m);
        break;
    default:
        pg->stats.malformed_dropped++;
        break;
    }
}

/* The retry timer of a client: ask again, send again. */
static void cl_client_pump(struct pg *pg, struct pg_group *g)
{
    struct pg_cl *cl = g->cl;
    int64_t now = pg_now(pg);
    if (now < cl->due_ns)
        return;
    cl->due_ns = now + pg->cfg.client_retry_ns;
    if (cl->st == CS_WAIT) {
        cl_send_req(pg, g);
    } else if (cl->st == CS_HELLO && ++cl->hello_tries >= CL_HELLO_TRIES) {
        int r = pg_rank_of(g->view.members, g->view.n_members, cl->target);
        if (r >= 0) /* it never answers: as if it declined */
            pg_rs_add(&cl->declined, (uint32_t)r);
        cl_failover(pg, g, cl->target, cl->target);
    } else if (cl->st == CS_HELLO) {
        cl_send_hello(pg, g);
    } else if (cl->un_count) {
        uint32_t oldest = cl_un(cl, 0)->cseq;
        if (oldest == cl->retry_oldest) /* no progress for a whole period */
            cl_send_from(pg, g, 0, true);
        cl->retry_oldest = oldest;
    }
}

/* ---- entry points ---- */

void pg_cl_on_msg(struct pg *pg, struct pg_group *g, pg_node_id from, const uint8_t *buf,
                  size_t len)
{
    struct pg_wmsg m;
    if (pg_decode(buf, len, &m) != PG_OK) {
        pg->stats.malformed_dropped++;
        return;
    }
    if (g->st == PG_GS_CLIENT)
        cl_client_msg(pg, g, from, &m);
    else if (g->st != PG_GS_EXCLUDED || (g->cl && g->cl->member))
        cl_member_msg(pg, g, from, &m);
}

void pg_cl_on_suspect(struct pg *pg, struct pg_group *g, pg_node_id failed)
{
    struct pg_cl *cl = g->cl;
    if (!cl)
        return;
    if (g->st == PG_GS_CLIENT) {
        if ((cl->st != CS_HELLO && failed == cl->contact) ||
            (cl->st == CS_HELLO && failed == cl->target))
            cl_failover(pg, g, failed, PG_NODE_NONE);
        return;
    }
    struct cl_ent *e = cl->member ? cl_find(cl, failed) : NULL;
    if (g->st != PG_GS_MEMBER || !e || !e->mine)
        return;
    cl_mine_del(pg, g, e);
    if (e->in_view) /* a failed client leaves the client list */
        cl_request(pg, g, PG_REQ_DEL_CLIENT, failed);
}

void pg_cl_pump(struct pg *pg, struct pg_group *g)
{
    if (!g->cl)
        return;
    if (g->st == PG_GS_CLIENT && g->cl->client)
        cl_client_pump(pg, g);
    else if (g->st == PG_GS_MEMBER && g->cl->member)
        cl_member_pump(pg, g);
}

int64_t pg_cl_deadline(const struct pg_group *g)
{
    const struct pg_cl *cl = g->cl;
    if (!cl)
        return PG_TIMER_NEVER;
    if (g->st == PG_GS_CLIENT && cl->client)
        return cl->st == CS_NORMAL && cl->un_count == 0 ? PG_TIMER_NEVER : cl->due_ns;
    if (g->st == PG_GS_MEMBER && cl->member && cl->blocked_due_ns)
        return cl->blocked_due_ns;
    return PG_TIMER_NEVER;
}

int pg_cl_send_cx(struct pg *pg, struct pg_group *g, const uint8_t *p, size_t len)
{
    assert(g->st == PG_GS_MEMBER);
    assert(len <= pg->cfg.max_payload);
    if (pg_cb_unstable_own(g) >= pg->cfg.max_unstable_own)
        return PG_E_FULL;
    return pg_cb_send_ex(pg, g, p, len, false, PG_AB_CX);
}

/* ---- the view layer's and abcast's hooks ---- */

void pg_cl_register(struct pg *pg)
{
    struct pg_view_hooks *h = &pg->vh;
    assert(h->n_excluded < PG_HOOKS_MAX);
    h->installed = pg_cl_on_install;
    h->excluded[h->n_excluded++] = pg_cl_on_exclude;
    pg->ab_cx = pg_cl_deliver;
}
