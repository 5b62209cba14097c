/* sim/app_hier.c: the application's side of a hierarchical group. See app_hier.h. */
#include "app_hier.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "hier.h"

struct sim_hier_mc {
    uint32_t line; /* index into hier.mcast */
    int64_t next_ns, period_ns;
};

struct sim_hier {
    struct hier *h;
    bool client;
    int64_t client_start_ns; /* PG_TIMER_NEVER once started */
    int64_t req_next_ns, req_period_ns;
    uint64_t req_n;
    struct sim_hier_mc mc[SCN_MAX_HIER_MCAST];
    uint32_t n_mc;
    uint32_t next_op; /* next hier-move / hier-rebalance fault */
    bool root;
    /* sabotage */
    int sab; /* -1: none, else enum scn_sabotage */
    bool holding;
    struct chk_event held;
    char held_msg[SIM_INC_NAME_MAX + 24], held_from[SIM_INC_NAME_MAX], held_key[16];
};

static const struct scn_hier *hcfg(const struct sim_app *a)
{
    return &a->host->scn->hier;
}

static int64_t now(const struct sim_app *a)
{
    return a->host->now_ns(a->drv);
}

static const char *sub_name(const struct sim_app *a, uint32_t sub)
{
    return a->host->scn->groups[hcfg(a)->subs[sub]].name;
}

static void emit(struct sim_app *a, struct chk_event *e)
{
    e->node = a->name;
    a->host->emit(a->drv, e);
}

/* ---- upcalls of the tool: trace events, through the sabotage ---- */

static void up_bind(void *ctx, uint32_t sub, bool bound)
{
    struct sim_app *a = ctx;
    struct chk_event e = {
        .ev = bound ? CHK_EV_HIER_BIND : CHK_EV_HIER_UNBIND, .view = -1, .to = sub_name(a, sub)};
    emit(a, &e);
    struct sim_hier *sh = a->hier;
    if (bound && sh->sab == SCN_SAB_DOUBLE_BIND && hcfg(a)->n_sub > 1) {
        sh->sab = -1; /* sabotage: a second binding, the first never undone */
        struct chk_event d = {
            .ev = CHK_EV_HIER_BIND, .view = -1, .to = sub_name(a, (sub + 1) % hcfg(a)->n_sub)};
        emit(a, &d);
    }
}

static void up_reply(void *ctx, uint64_t id, uint32_t key, uint64_t value)
{
    struct sim_app *a = ctx;
    (void)value;
    if (a->hier->sab == SCN_SAB_DROP_REPLY) {
        a->hier->sab = -1; /* sabotage: the answer is ignored */
        return;
    }
    char msg[SIM_INC_NAME_MAX + 24], k[16];
    snprintf(msg, sizeof msg, "%s/r%llu", a->name, (unsigned long long)id);
    snprintf(k, sizeof k, "%u", key);
    struct chk_event e = {.ev = CHK_EV_HIER_REPLY, .view = -1, .msg = msg, .key = k};
    emit(a, &e);
}

/* Emits e, or holds it to swap it with the next one of its kind (sabotage). */
static void emit_swappable(struct sim_app *a, struct chk_event *e, int swap_kind)
{
    struct sim_hier *sh = a->hier;
    if (sh->holding && sh->held.ev == e->ev) {
        sh->holding = false;
        emit(a, e);
        sh->held.msg = sh->held_msg;
        sh->held.from = sh->held.from ? sh->held_from : NULL;
        sh->held.key = sh->held.key ? sh->held_key : NULL;
        emit(a, &sh->held);
        return;
    }
    if (sh->sab == swap_kind) {
        sh->sab = -1;
        sh->holding = true;
        sh->held = *e;
        snprintf(sh->held_msg, sizeof sh->held_msg, "%s", e->msg);
        snprintf(sh->held_from, sizeof sh->held_from, "%s", e->from ? e->from : "");
        snprintf(sh->held_key, sizeof sh->held_key, "%s", e->key ? e->key : "");
        return;
    }
    emit(a, e);
}

static void up_apply(void *ctx, uint32_t sub, pg_node_id client, uint64_t id, uint32_t key,
                     uint32_t epoch)
{
    struct sim_app *a = ctx;
    const char *cname = a->host->inc_name(a->drv, client);
    char msg[SIM_INC_NAME_MAX + 24], k[16];
    snprintf(msg, sizeof msg, "%s/r%llu", cname, (unsigned long long)id);
    snprintf(k, sizeof k, "%u", key);
    struct chk_event e = {.ev = CHK_EV_HIER_APPLY,
                          .view = epoch,
                          .msg = msg,
                          .key = k,
                          .from = cname,
                          .to = sub_name(a, sub)};
    emit_swappable(a, &e, SCN_SAB_SWAP_APPLY);
    if (a->hier->sab == SCN_SAB_APPLY_TWICE) {
        a->hier->sab = -1; /* sabotage: reported applied twice */
        emit(a, &e);
    }
}

static void up_map(void *ctx, uint32_t range, uint32_t sub, uint32_t epoch, enum hier_map_kind kind)
{
    struct sim_app *a = ctx;
    const struct scn_hier *h = hcfg(a);
    uint64_t lo = ((uint64_t)range * h->n_keys + h->n_ranges - 1) / h->n_ranges;
    uint64_t hi = ((uint64_t)(range + 1) * h->n_keys + h->n_ranges - 1) / h->n_ranges;
    char k[40];
    snprintf(k, sizeof k, "%llu-%llu", (unsigned long long)lo, (unsigned long long)hi);
    static const char *const kinds[] = {"assign", "move", "lost"};
    struct chk_event e = {.ev = CHK_EV_HIER_MAP,
                          .view = epoch,
                          .key = k,
                          .to = sub_name(a, sub),
                          .kind = kinds[kind]};
    emit(a, &e);
}

static void up_mdeliver(void *ctx, pg_node_id origin, uint64_t mseq, enum hier_mc_kind kind)
{
    struct sim_app *a = ctx;
    char msg[SIM_INC_NAME_MAX + 24];
    snprintf(msg, sizeof msg, "%s/g%llu", a->host->inc_name(a->drv, origin),
             (unsigned long long)mseq);
    uint32_t g = a->proc; /* the subgroup of this member */
    const struct scn_hier *h = hcfg(a);
    const char *sub = NULL;
    for (uint32_t k = 0; k < h->n_sub && !sub; k++) {
        const struct scn_group *gr = &a->host->scn->groups[h->subs[k]];
        for (uint32_t i = 0; i < gr->n_members; i++)
            if (gr->members[i] == g)
                sub = gr->name;
    }
    struct chk_event e = {.ev = CHK_EV_HIER_GDELIVER,
                          .view = -1,
                          .msg = msg,
                          .to = sub,
                          .kind = kind == HIER_MC_GLOBAL ? "global" : "local"};
    if (a->host->metrics == NULL && a->host->sent_ns)
        (void)0;
    emit_swappable(a, &e, kind == HIER_MC_GLOBAL ? SCN_SAB_SWAP_GLOBAL : -2);
}

/* ---- set-up ---- */

static void fill_dir(const struct scn *s, uint32_t g, uint32_t *n, pg_node_id *dir)
{
    const struct scn_group *gr = &s->groups[g];
    *n = gr->n_members;
    for (uint32_t i = 0; i < gr->n_members; i++)
        dir[i] = gr->members[i] + 1; /* first incarnations have id = proc + 1 */
}

static bool in_group(const struct scn *s, uint32_t g, uint32_t proc)
{
    for (uint32_t i = 0; i < s->groups[g].n_members; i++)
        if (s->groups[g].members[i] == proc)
            return true;
    return false;
}

static void config(const struct sim_app *a, struct hier_config *cfg)
{
    const struct scn *s = a->host->scn;
    const struct scn_hier *h = &s->hier;
    hier_config_default(cfg);
    cfg->root_gid = h->root + 1;
    fill_dir(s, h->root, &cfg->n_root, cfg->root_dir);
    cfg->n_sub = h->n_sub;
    for (uint32_t k = 0; k < h->n_sub; k++) {
        cfg->sub_gid[k] = h->subs[k] + 1;
        fill_dir(s, h->subs[k], &cfg->sub_n[k], cfg->sub_dir[k]);
    }
    cfg->n_keys = h->n_keys;
    cfg->n_ranges = h->n_ranges;
    cfg->policy = h->hash_policy ? HIER_HASH : HIER_LEAST_LOADED;
    cfg->max_clients = h->n_clients + 16;
    /* a subgroup is dead for the root after 3 suspect timeouts without a LOAD */
    cfg->dead_ns = 3 * s->suspect_timeout_ns;
    cfg->retry_ns = s->suspect_timeout_ns / 2 > 300000000 ? s->suspect_timeout_ns / 2 : 300000000;
}

void sim_hier_start(struct sim_app *a)
{
    const struct scn *s = a->host->scn;
    const struct scn_hier *h = &s->hier;
    if (!h->on || a->id != a->proc + 1 || !pg_node_pg(a->node))
        return;
    bool root = in_group(s, h->root, a->proc), member = false, client = false;
    uint32_t ci = 0;
    for (uint32_t k = 0; k < h->n_sub; k++)
        member |= in_group(s, h->subs[k], a->proc);
    for (uint32_t i = 0; i < h->n_clients; i++)
        if (h->clients[i] == a->proc) {
            client = true;
            ci = i;
        }
    if (!root && !member && !client)
        return;
    struct hier_config cfg;
    config(a, &cfg);
    struct hier_upcalls up = {up_bind, up_reply, up_apply, up_map, up_mdeliver};
    struct sim_hier *sh = calloc(1, sizeof *sh);
    assert(sh);
    sh->h = hier_new(&cfg, pg_node_pg(a->node), a->id, &up, a);
    assert(sh->h); /* the scenario's limits are within the tool's */
    sh->sab = -1;
    sh->root = root;
    sh->client = client;
    a->hier = sh;
    struct pg_view *v = malloc(sizeof *v);
    assert(v);
    for (uint32_t g = 0; g < s->n_groups; g++)
        if (hier_is_gid(sh->h, g + 1) && pg_getview(pg_node_pg(a->node), g + 1, v) == PG_OK)
            hier_on_view(sh->h, v, false);
    free(v);
    int64_t t = now(a);
    sh->client_start_ns =
        client ? t + h->stagger_ns * (int64_t)ci / (int64_t)h->n_clients : PG_TIMER_NEVER;
    sh->req_next_ns = PG_TIMER_NEVER;
    if (client && h->requests) {
        sh->req_period_ns = (int64_t)(1e9 / h->req_rate_per_s);
        sh->req_period_ns = sh->req_period_ns < 1 ? 1 : sh->req_period_ns;
        sh->req_next_ns = h->req_start_ns + sh->req_period_ns * (int64_t)ci / (int64_t)h->n_clients;
    }
    for (uint32_t i = 0; i < h->n_mcast; i++)
        for (uint32_t k = 0; k < h->mcast[i].n_senders; k++) {
            if (h->mcast[i].senders[k] != a->proc)
                continue;
            struct sim_hier_mc *m = &sh->mc[sh->n_mc++];
            m->line = i;
            m->period_ns = (int64_t)(1e9 / h->mcast[i].rate_per_s);
            m->period_ns = m->period_ns < 1 ? 1 : m->period_ns;
            m->next_ns =
                h->mcast[i].start_ns + m->period_ns * (int64_t)k / (int64_t)h->mcast[i].n_senders;
        }
}

void sim_hier_stop(struct sim_app *a)
{
    if (!a->hier)
        return;
    hier_free(a->hier->h);
    free(a->hier);
    a->hier = NULL;
}

static uint32_t next_op(const struct sim_app *a, uint32_t from)
{
    const struct scn *s = a->host->scn;
    if (!a->hier->root)
        return s->n_faults;
    for (uint32_t i = from; i < s->n_faults; i++)
        if (s->faults[i].kind == SCN_F_HIER_MOVE || s->faults[i].kind == SCN_F_HIER_REBALANCE)
            return i;
    return s->n_faults;
}

int64_t sim_hier_next_ns(const struct sim_app *a)
{
    const struct sim_hier *sh = a->hier;
    if (!sh)
        return PG_TIMER_NEVER;
    const struct scn *s = a->host->scn;
    int64_t t = hier_next_ns(sh->h, now(a));
    t = sh->client_start_ns < t ? sh->client_start_ns : t;
    if (sh->client_start_ns == PG_TIMER_NEVER) /* requests wait for the client's start */
        t = sh->req_next_ns < t ? sh->req_next_ns : t;
    for (uint32_t i = 0; i < sh->n_mc; i++)
        t = sh->mc[i].next_ns < t ? sh->mc[i].next_ns : t;
    uint32_t op = next_op(a, sh->next_op);
    if (op < s->n_faults && s->faults[op].at_ns < t)
        t = s->faults[op].at_ns;
    return t;
}

static void run_workload(struct sim_app *a, int64_t t)
{
    struct sim_hier *sh = a->hier;
    const struct scn_hier *h = hcfg(a);
    if (sh->client_start_ns <= t) {
        sh->client_start_ns = PG_TIMER_NEVER;
        int rc = hier_client_start(sh->h);
        assert(rc == PG_OK);
        struct chk_event e = {.ev = CHK_EV_HIER_CLIENT, .view = -1};
        emit(a, &e);
    }
    while (sh->client_start_ns == PG_TIMER_NEVER && sh->req_next_ns <= t) {
        if (sh->req_next_ns >= h->req_stop_ns) {
            sh->req_next_ns = PG_TIMER_NEVER;
            break;
        }
        sh->req_next_ns += sh->req_period_ns;
        uint64_t x = (uint64_t)a->id * 0x9e3779b97f4a7c15ull ^ ++sh->req_n * 0xbf58476d1ce4e5b9ull ^
                     a->host->scn->seed;
        x ^= x >> 31;
        uint32_t key = (uint32_t)(x % h->n_keys);
        uint64_t id;
        if (hier_request(sh->h, key, &id) != PG_OK) {
            a->host->tot->send_refused++;
            continue;
        }
        char msg[SIM_INC_NAME_MAX + 24], k[16];
        snprintf(msg, sizeof msg, "%s/r%llu", a->name, (unsigned long long)id);
        snprintf(k, sizeof k, "%u", key);
        struct chk_event e = {.ev = CHK_EV_HIER_REQUEST, .view = -1, .msg = msg, .key = k};
        emit(a, &e);
    }
    for (uint32_t i = 0; i < sh->n_mc; i++) {
        struct sim_hier_mc *m = &sh->mc[i];
        const struct scn_hier_mcast *line = &h->mcast[m->line];
        while (m->next_ns <= t) {
            if (m->next_ns >= line->stop_ns) {
                m->next_ns = PG_TIMER_NEVER;
                break;
            }
            m->next_ns += m->period_ns;
            uint64_t mseq;
            if (hier_mcast(sh->h, line->global ? HIER_MC_GLOBAL : HIER_MC_LOCAL, &mseq) != PG_OK) {
                a->host->tot->send_refused++;
                continue;
            }
            char msg[SIM_INC_NAME_MAX + 24];
            snprintf(msg, sizeof msg, "%s/g%llu", a->name, (unsigned long long)mseq);
            struct chk_event e = {.ev = CHK_EV_HIER_GSEND,
                                  .view = -1,
                                  .msg = msg,
                                  .kind = line->global ? "global" : "local"};
            emit(a, &e);
        }
    }
}

void sim_hier_run_due(struct sim_app *a, int64_t t)
{
    struct sim_hier *sh = a->hier;
    if (!sh)
        return;
    const struct scn *s = a->host->scn;
    run_workload(a, t);
    for (uint32_t op = next_op(a, sh->next_op); op < s->n_faults && s->faults[op].at_ns <= t;
         op = next_op(a, op + 1)) {
        const struct scn_fault *f = &s->faults[op];
        uint32_t to = 0;
        for (uint32_t k = 0; k < s->hier.n_sub; k++)
            to = s->hier.subs[k] == f->to ? k : to;
        if (f->kind == SCN_F_HIER_MOVE)
            (void)hier_move(sh->h, f->from, to); /* the root coordinator's call acts */
        else
            (void)hier_rebalance(sh->h);
        sh->next_op = op + 1;
    }
    if (hier_next_ns(sh->h, t) <= t)
        hier_run(sh->h, t);
    /* the tool's pg_client calls: their upcalls are registered before the next input */
    struct pg *pg = pg_node_pg(a->node);
    for (uint32_t g = 0; g < s->n_groups; g++)
        if (hier_is_gid(sh->h, g + 1) && pg_is_client(pg, g + 1) && !a->groups[g].client) {
            a->groups[g].client = true;
            sim_app_register_pg(a, g);
        }
}

bool sim_hier_owns(const struct sim_app *a, uint32_t gid)
{
    return a->hier && hier_is_gid(a->hier->h, gid);
}

void sim_hier_entry(struct sim_app *a, uint32_t gid, uint32_t from, const uint8_t *p, size_t len)
{
    hier_on_entry(a->hier->h, gid, from, p, len);
}

void sim_hier_view(struct sim_app *a, const struct pg_view *v, bool excluded)
{
    hier_on_view(a->hier->h, v, excluded);
}

bool sim_hier_sabotage(struct sim_app *a, enum scn_sabotage what)
{
    if (what < SCN_SAB_DOUBLE_BIND)
        return false;
    if (a->hier)
        a->hier->sab = (int)what;
    return true;
}
