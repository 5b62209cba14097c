/* tests/support_pgnet.c: pg over fakenet, recorded upcalls, judged by checkers/. See the
 * header. */
#include "support_pgnet.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chk.h"
#include "le.h"

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
    uint64_t seed;
    struct pg_config cfg;
    struct pgnet_slot slots[FAKENET_MAX_NODES];
    struct pgnet_rec *recs;
    size_t n_recs;
    pg_node_id *client_pool; /* the clients of every recorded view (pgnet_rec.clients_at) */
    size_t n_pool, cap_pool;
    bool domain_known[PGNET_MAX_GID];
    uint32_t domain[PGNET_MAX_GID]; /* by gid: its causality domain where it was created */
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
    r->t_ns = fakenet_now(pn->fn);
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
    pn->seed = seed;
    for (unsigned i = 0; i < n; i++) {
        slot_start(pn, i);
        rec_add(pn, PGNET_START, i, 0);
    }
    return pn;
}

void pgnet_free(struct pgnet *pn)
{
    if (!pn)
        return;
    fakenet_free(pn->fn);
    free(pn->recs);
    free(pn->client_pool);
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
    uint8_t b[8] = {0}; /* a shorter payload: its bytes, zero-padded */
    if (len > 0)
        memcpy(b, p, len < 8 ? len : 8);
    return le_get64(b);
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

/* Keeps the clients of view v for record r (the pool grows; bounded by PGNET_MAX_RECS views). */
static void pool_clients(struct pgnet *pn, struct pgnet_rec *r, const struct pg_view *v)
{
    assert(v->n_clients <= PG_MAX_CLIENTS_CAP);
    if (pn->n_pool + v->n_clients > pn->cap_pool) {
        pn->cap_pool = 2 * (pn->n_pool + v->n_clients) + 64;
        pn->client_pool = realloc(pn->client_pool, pn->cap_pool * sizeof *pn->client_pool);
        assert(pn->client_pool);
    }
    r->clients_at = (uint32_t)pn->n_pool;
    r->n_clients = v->n_clients;
    if (v->n_clients > 0) /* the pool may still be NULL (memcpy's arguments must not be) */
        memcpy(pn->client_pool + pn->n_pool, v->clients, v->n_clients * sizeof *v->clients);
    pn->n_pool += v->n_clients;
}

static void rec_monitor(void *ctx, const struct pg_view *v, bool excluded)
{
    struct pgnet_slot *s = ctx;
    struct pgnet_rec *r = rec_add(s->pn, excluded ? PGNET_EXCLUDED : PGNET_VIEW, s->i, v->gid);
    r->view = v->view_id;
    r->n_members = v->n_members;
    memcpy(r->members, v->members, v->n_members * sizeof(pg_node_id));
    pool_clients(s->pn, r, v);
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
    uint32_t did;
    assert(gid < PGNET_MAX_GID);
    if (!pn->domain_known[gid] && pg_domain_of(s->pg, gid, &did) == PG_OK) {
        pn->domain_known[gid] = true; /* the trace's `domain` event of the group */
        pn->domain[gid] = did;
    }
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
    le_put64(buf, tag);
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
    rec_add(pn, PGNET_START, i, 0);
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

/* ---- judged by checkers/ ---- */

/* The names the trace gives an incarnation ("n3"), a group ("g1") and a
 * message ("n3/7": incarnation 3's 7th multicast, its tag). */
struct pj_names {
    char node[16], peer[16], group[16], msg[32], domain[16];
};

/* A pgnet send, by tag: its order, for the deliveries of that message. */
struct pj_send {
    uint64_t tag;
    const char *order;
};

static int pj_send_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct pj_send *)a)->tag, y = ((const struct pj_send *)b)->tag;
    return x < y ? -1 : x > y;
}

static const char *pj_order(const struct pgnet_rec *r)
{
    return r->diffusion ? "diffusion" : r->abcast ? "abcast" : "cbcast";
}

/* The order of the send of `tag`; "cbcast" for a message no pgnet call sent
 * (then rule 1 fails: a delivery without its send). */
static const char *pj_deliver_order(const struct pj_send *s, size_t n, uint64_t tag)
{
    struct pj_send key = {.tag = tag};
    const struct pj_send *hit = bsearch(&key, s, n, sizeof *s, pj_send_cmp);
    return hit ? hit->order : "cbcast";
}

/* The members or clients of a view record as names, in ids' order. */
static void pj_name_list(const pg_node_id *ids, uint32_t n, char (*buf)[12], const char **out)
{
    for (uint32_t k = 0; k < n; k++) {
        snprintf(buf[k], sizeof buf[k], "n%u", ids[k]);
        out[k] = buf[k];
    }
}

/* Feeds the event of record r to c (its strings live in nm and the lists). */
static void pj_feed(struct pgnet *pn, struct chk *c, const struct pgnet_rec *r,
                    const struct pj_send *sends, size_t n_sends, uint64_t line)
{
    static const enum chk_ev ev_of[] = {
        [PGNET_SEND] = CHK_EV_SEND,
        [PGNET_DELIVER] = CHK_EV_DELIVER,
        [PGNET_VIEW] = CHK_EV_VIEW,
        [PGNET_EXCLUDED] = CHK_EV_EXCLUDED,
        [PGNET_FLUSH_CALL] = CHK_EV_FLUSH_CALL,
        [PGNET_FLUSH_DONE] = CHK_EV_FLUSH_DONE,
        [PGNET_CRASH] = CHK_EV_CRASH,
        [PGNET_START] = CHK_EV_START,
    };
    static char mbuf[PG_MAX_MEMBERS_CAP][12], cbuf[PG_MAX_CLIENTS_CAP][12];
    static const char *members[PG_MAX_MEMBERS_CAP], *clients[PG_MAX_CLIENTS_CAP];
    struct pj_names nm;
    assert((size_t)r->kind < sizeof ev_of / sizeof ev_of[0]);
    struct chk_event e = {.ev = ev_of[r->kind], .ev_name = chk_ev_name(ev_of[r->kind]), .view = -1};
    e.t = (double)r->t_ns / 1e9;
    e.line = line;
    snprintf(nm.node, sizeof nm.node, "n%u", r->node);
    snprintf(nm.group, sizeof nm.group, "g%u", r->gid);
    snprintf(nm.msg, sizeof nm.msg, "n%u/%u", (unsigned)(r->tag >> 32), (unsigned)r->tag);
    snprintf(nm.peer, sizeof nm.peer, "n%u", r->from);
    e.node = nm.node;
    bool grouped = r->kind != PGNET_START && r->kind != PGNET_CRASH;
    e.group = grouped ? nm.group : NULL;
    if (r->kind == PGNET_SEND || r->kind == PGNET_DELIVER) {
        e.msg = nm.msg;
        e.view = r->view;
        e.order = r->kind == PGNET_SEND ? pj_order(r) : pj_deliver_order(sends, n_sends, r->tag);
        e.from = r->kind == PGNET_DELIVER ? nm.peer : NULL;
    } else if (r->kind == PGNET_VIEW) {
        assert(r->n_members <= PG_MAX_MEMBERS_CAP && r->n_clients <= PG_MAX_CLIENTS_CAP);
        pj_name_list(r->members, r->n_members, mbuf, members);
        pj_name_list(pn->client_pool + r->clients_at, r->n_clients, cbuf, clients);
        e.view = r->view;
        e.members = members;
        e.n_members = r->n_members;
        e.clients = clients;
        e.n_clients = r->n_clients;
    }
    chk_feed(c, &e);
}

/* The `domain` event of every group whose creation or join was recorded. */
static void pj_domains(struct pgnet *pn, struct chk *c, uint64_t *line)
{
    for (pg_gid g = 1; g < PGNET_MAX_GID; g++) {
        if (!pn->domain_known[g])
            continue;
        struct pj_names nm;
        snprintf(nm.group, sizeof nm.group, "g%u", g);
        snprintf(nm.domain, sizeof nm.domain, "d%u", pn->domain[g]);
        struct chk_event e = {.ev = CHK_EV_DOMAIN, .ev_name = "domain", .view = -1};
        e.group = nm.group;
        e.domain = nm.domain;
        e.line = ++*line;
        chk_feed(c, &e);
    }
}

/* The first failed rule and its first violation, into why[0..cap). */
static void pj_why(const struct chk *c, char *why, size_t cap)
{
    int r = chk_first_failed(c);
    assert(r >= 0);
    snprintf(why, cap, "%s: %s", chk_rule_name((enum chk_rule)r),
             chk_violation_message(c, (enum chk_rule)r));
}

bool pgnet_judge(struct pgnet *pn, bool quiet, char *why, size_t cap)
{
    struct pj_send *sends = malloc((pn->n_recs + 1) * sizeof *sends);
    assert(sends);
    size_t n_sends = 0;
    int64_t last_ns = 0;
    for (size_t k = 0; k < pn->n_recs; k++) {
        const struct pgnet_rec *r = &pn->recs[k];
        if (r->kind == PGNET_SEND)
            sends[n_sends++] = (struct pj_send){r->tag, pj_order(r)};
        last_ns = r->t_ns > last_ns ? r->t_ns : last_ns;
    }
    qsort(sends, n_sends, sizeof *sends, pj_send_cmp);
    int64_t end_ns = pgnet_now(pn) > last_ns ? pgnet_now(pn) : last_ns;
    struct chk_header h = {.scenario = "pgnet",
                           .seed = pn->seed,
                           .end_s = (double)end_ns / 1e9,
                           .quiet_from_s = quiet ? (double)last_ns / 1e9 : -1};
    struct chk *c = chk_new(&h);
    assert(c);
    uint64_t line = 1;
    pj_domains(pn, c, &line);
    for (size_t k = 0; k < pn->n_recs; k++)
        pj_feed(pn, c, &pn->recs[k], sends, n_sends, ++line);
    chk_finish(c);
    bool ok = chk_passed(c);
    if (!ok && why && cap)
        pj_why(c, why, cap);
    assert(ok == (chk_first_failed(c) < 0));
    chk_free(c);
    free(sends);
    return ok;
}
