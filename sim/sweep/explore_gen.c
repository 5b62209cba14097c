/* sim/sweep/explore_gen.c: one scenario per seed, drawn from an explore spec. See
 * xpl_generate in explore.h and scenarios/explore/README.md.
 *
 * Every draw comes from one splitmix64 stream seeded by the seed, in a fixed
 * order, so the same spec and seed give the same text.
 *
 * The generator cannot see a run's state, so it places faults at dangerous
 * moments relative to other faults it drew (with probability `bias` each):
 * - a second crash 0.95 to 1.15 x suspect_timeout after a first, of the
 *   coordinator of the victim's group: the flush that the first crash starts
 *   (once suspected, about suspect_timeout later) is under way;
 * - a join 0.1 to 0.9 x suspect_timeout after a crash, in the victim's group:
 *   the join request waits for the crashed member's FLUSH_OK, and the view
 *   change that follows both adds the joiner and removes the victim;
 * - a second join 0 to 5 ms after a first, in the same group: the second view
 *   change starts while the first joiner's state transfer is under way;
 * - a crash of the coordinator 0.05 to 3 ms after a join: during the join's
 *   flush (a takeover) or while it provides the joiner's state;
 * - crash targets: the coordinator (first member), the abcast token holder
 *   (the coordinator, or a group's sole abcast sender, whom the token
 *   follows), or any member;
 * - a partition, an isolation or a pg_flush call 1 to 1.3 x suspect_timeout
 *   after a crash: during its view change;
 * - partitions split the senders over both sides (traffic on both sides);
 * - a false suspicion isolates a sender (or cuts it from one member) for 1.2
 *   to 2.5 x suspect_timeout, under its own traffic.
 * At the end of the active part every partition is healed and every link
 * fault cleared; crashed processes stay down through the quiet period.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "explore.h"
#include "rng.h"

#define XG_MAX_EV   512
#define XG_MAX_KEEP 16 /* crashes and joins remembered as anchors */
#define XG_MS       1000000ll

struct xg_group {
    char name[SCN_NAME_MAX];
    uint32_t members[XPL_MAX_PROCS], n_members;
    uint32_t clients[XPL_MAX_PROCS], n_clients;
    uint32_t senders[XPL_MAX_PROCS], n_senders;
    bool pg; /* the process-group layer (else link-level fifo) */
    enum xpl_order order;
    int abcast_sole;   /* the only abcast sender (the token follows it), or -1 */
    uint32_t n_abcast; /* mixed: the last n_abcast senders also send abcast */
    double rate;
    uint32_t size;
    uint32_t domain; /* 0: default */
};

struct xg_ev {
    int64_t t;
    uint32_t order; /* insertion order: ties keep it */
    enum scn_fault_kind kind;
    uint32_t proc;
    char text[200]; /* the line after `at T ` */
};

struct xg {
    const struct xpl_spec *s;
    uint64_t rng;
    uint32_t n_procs;
    char names[XPL_MAX_PROCS][SCN_NAME_MAX];
    bool spare[XPL_MAX_PROCS];  /* in no group at the start */
    bool client[XPL_MAX_PROCS]; /* a client of some group */
    uint32_t n_groups;
    struct xg_group g[XPL_MAX_GROUPS];
    int64_t st, active, quiet, end; /* end: where faults stop and are cleared */
    uint32_t n_ev;
    struct xg_ev ev[XG_MAX_EV];
    uint32_t n_crash, crash_p[XG_MAX_KEEP];
    int64_t crash_t[XG_MAX_KEEP];
    uint32_t n_join, join_p[XG_MAX_KEEP], join_g[XG_MAX_KEEP];
    int64_t join_t[XG_MAX_KEEP];
    bool joins[XPL_MAX_PROCS][XPL_MAX_GROUPS]; /* (process, group) joins drawn */
    bool crashed[XPL_MAX_PROCS];
    bool cut_used, link_used[4];
    uint32_t n_cut; /* partition-like faults drawn, their spans kept (xg_cut_near) */
    int64_t cut_t0[XG_MAX_KEEP], cut_t1[XG_MAX_KEEP];
    uint32_t n_sets;
    char sets[XPL_MAX_SETS][3 * XPL_TOK_MAX];
};

/* ---- draws ---- */

static uint64_t xg_next(struct xg *x)
{
    return sim_rng_next(&x->rng);
}

static double xg_unit(struct xg *x)
{
    return sim_rng_unit(&x->rng);
}

static bool xg_chance(struct xg *x, double p)
{
    return xg_unit(x) < p;
}

/* Uniform integer in [lo, hi]. */
static uint32_t xg_int(struct xg *x, uint32_t lo, uint32_t hi)
{
    assert(lo <= hi);
    return lo + (uint32_t)(xg_next(x) % ((uint64_t)hi - lo + 1));
}

static double xg_between(struct xg *x, double lo, double hi)
{
    return lo + (hi - lo) * xg_unit(x);
}

/* A time in ns, rounded to a microsecond. */
static int64_t xg_time(struct xg *x, double lo_ns, double hi_ns)
{
    return (int64_t)llround(xg_between(x, lo_ns, hi_ns) / 1000.0) * 1000;
}

static uint32_t xg_range_int(struct xg *x, const struct xpl_range *r, uint32_t all)
{
    uint32_t hi = r->hi < 0 ? all : (uint32_t)r->hi;
    uint32_t lo = (uint32_t)r->lo;
    if (hi > all)
        hi = all;
    if (lo > hi)
        lo = hi;
    return xg_int(x, lo, hi);
}

/* One set bit of mask, uniformly. */
static uint32_t xg_bit(struct xg *x, uint32_t mask)
{
    assert(mask);
    uint32_t n = (uint32_t)__builtin_popcount(mask), k = xg_int(x, 0, n - 1);
    for (uint32_t b = 0;; b++)
        if ((mask & (1u << b)) && k-- == 0)
            return b;
}

static void xg_shuffle(struct xg *x, uint32_t *a, uint32_t n)
{
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = xg_int(x, 0, i - 1), t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static bool xg_member(const struct xg_group *g, uint32_t p);

/* ---- the model: processes, groups, traffic ---- */

static uint32_t xg_add_proc(struct xg *x, const char *prefix, uint32_t k)
{
    assert(x->n_procs < XPL_MAX_PROCS);
    snprintf(x->names[x->n_procs], SCN_NAME_MAX, "%s%u", prefix, k);
    return x->n_procs++;
}

/* The members of every group: overlapping (random subsets) or disjoint. */
static void xg_members(struct xg *x, uint32_t np)
{
    const struct xpl_spec *s = x->s;
    uint32_t all[XPL_MAX_PROCS];
    for (uint32_t i = 0; i < np; i++)
        all[i] = i;
    bool overlap = xg_chance(x, s->overlap) || x->n_groups == 1;
    xg_shuffle(x, all, np);
    for (uint32_t gi = 0, at = 0; gi < x->n_groups; gi++) {
        struct xg_group *g = &x->g[gi];
        uint32_t m = xg_range_int(x, &s->members, np);
        if (!overlap) { /* consecutive slices of one shuffle */
            uint32_t left = np - at, rest = x->n_groups - gi - 1;
            m = gi + 1 == x->n_groups ? left : (m > left - rest ? left - rest : m);
            if (m == 0)
                m = 1;
            memcpy(g->members, all + at, m * sizeof *all);
            at += m;
        } else {
            xg_shuffle(x, all, np);
            memcpy(g->members, all, m * sizeof *all);
        }
        g->n_members = m;
        qsort(g->members, m, sizeof *g->members, cmp_u32);
    }
}

static void xg_traffic(struct xg *x, struct xg_group *g)
{
    const struct xpl_spec *s = x->s;
    g->order = (enum xpl_order)xg_bit(x, s->orders);
    g->pg = g->order != XO_FIFO;
    uint32_t k = xg_range_int(x, &s->senders, g->n_members);
    uint32_t tmp[XPL_MAX_PROCS];
    memcpy(tmp, g->members, g->n_members * sizeof *tmp);
    xg_shuffle(x, tmp, g->n_members);
    memcpy(g->senders, tmp, k * sizeof *tmp);
    g->n_senders = k;
    g->abcast_sole = -1;
    if (g->order == XO_ABCAST && k == 1)
        g->abcast_sole = (int)g->senders[0];
    g->n_abcast = g->order == XO_MIXED && k >= 1 ? xg_int(x, 1, k) : 0; /* the last ones */
    if (g->n_abcast == 1)
        g->abcast_sole = (int)g->senders[k - 1];
    g->rate = floor(xg_between(x, s->rate.lo, s->rate.hi) * 10) / 10;
    if (g->rate < 0.1)
        g->rate = 0.1;
    g->size = (uint32_t)xg_between(x, s->size.lo, s->size.hi + 0.999);
}

static void xg_model(struct xg *x)
{
    const struct xpl_spec *s = x->s;
    uint32_t np = xg_range_int(x, &s->procs, (uint32_t)s->procs.hi);
    uint32_t ns = xg_range_int(x, &s->spares, (uint32_t)s->spares.hi);
    x->n_groups = xg_range_int(x, &s->groups, np);
    for (uint32_t i = 0; i < np; i++)
        xg_add_proc(x, "p", i + 1);
    for (uint32_t i = 0; i < ns; i++)
        x->spare[xg_add_proc(x, "j", i + 1)] = true;
    xg_members(x, np);
    for (uint32_t p = 0; p < np; p++) { /* in no group: a spare too (a joiner) */
        bool in = false;
        for (uint32_t gi = 0; gi < x->n_groups; gi++)
            in |= xg_member(&x->g[gi], p);
        x->spare[p] = !in;
    }
    uint32_t nc = 0;
    bool domains = x->n_groups > 1 && xg_chance(x, s->domains);
    for (uint32_t gi = 0; gi < x->n_groups; gi++) {
        struct xg_group *g = &x->g[gi];
        snprintf(g->name, sizeof g->name, "g%u", gi + 1);
        xg_traffic(x, g);
        g->domain = domains && g->pg ? gi + 1 : 0;
        uint32_t c = g->pg ? xg_range_int(x, &s->clients, (uint32_t)s->clients.hi) : 0;
        for (uint32_t k = 0; k < c && x->n_procs < XPL_MAX_PROCS; k++) {
            g->clients[g->n_clients] = xg_add_proc(x, "c", ++nc);
            x->client[g->clients[g->n_clients++]] = true;
        }
    }
}

/* The model of a base scenario: its groups, their senders and layer. */
static void xg_model_base(struct xg *x)
{
    const struct scn *b = x->s->base;
    x->n_procs = b->n_procs < XPL_MAX_PROCS ? b->n_procs : XPL_MAX_PROCS;
    for (uint32_t i = 0; i < x->n_procs; i++) {
        snprintf(x->names[i], SCN_NAME_MAX, "%s", b->procs[i].name);
        x->spare[i] = true;
    }
    x->n_groups = b->n_groups < XPL_MAX_GROUPS ? b->n_groups : XPL_MAX_GROUPS;
    for (uint32_t gi = 0; gi < x->n_groups; gi++) {
        struct xg_group *g = &x->g[gi];
        const struct scn_group *bg = &b->groups[gi];
        snprintf(g->name, sizeof g->name, "%s", bg->name);
        g->abcast_sole = -1;
        g->pg = bg->n_clients > 0 || bg->domain != 0;
        for (uint32_t k = 0; k < bg->n_members && bg->members[k] < x->n_procs; k++) {
            g->members[g->n_members++] = bg->members[k];
            x->spare[bg->members[k]] = false;
        }
        for (uint32_t k = 0; k < bg->n_clients && bg->clients[k] < x->n_procs; k++)
            x->client[bg->clients[k]] = true;
        for (uint32_t w = 0; w < b->n_workloads; w++) {
            const struct scn_workload *wl = &b->workloads[w];
            if (wl->group != gi)
                continue;
            g->pg |= wl->order != SCN_ORDER_FIFO;
            for (uint32_t k = 0; k < wl->n_senders && g->n_senders < XPL_MAX_PROCS; k++)
                g->senders[g->n_senders++] = wl->senders[k];
            if (wl->order == SCN_ORDER_ABCAST && wl->n_senders == 1)
                g->abcast_sole = (int)wl->senders[0];
        }
        for (uint32_t r = 0; r < b->n_relays; r++)
            g->pg |= b->relays[r].from == gi || (!b->relays[r].to_proc && b->relays[r].to == gi);
    }
}

/* ---- settings and times ---- */

static void xg_settings(struct xg *x)
{
    const struct xpl_spec *s = x->s;
    x->st = 1000 * XG_MS;
    for (uint32_t k = 0; k < s->n_sets; k++) {
        const struct xpl_set *st = &s->sets[k];
        char v[XPL_TOK_MAX];
        int64_t ns = 0;
        if (st->n) {
            snprintf(v, sizeof v, "%s", st->val[xg_int(x, 0, st->n - 1)]);
            char msg[128];
            if (scn_value_duration(v, &ns, msg, sizeof msg) != 0)
                ns = 0;
        } else { /* a duration range, drawn to the millisecond (or ns below 1ms) */
            ns = xg_time(x, st->range.lo, st->range.hi);
            if (st->range.lo >= XG_MS)
                ns = ns / XG_MS * XG_MS;
            scn_fmt_duration(v, sizeof v, ns);
        }
        snprintf(x->sets[x->n_sets++], sizeof x->sets[0], "set %s %s", st->key, v);
        if (!strcmp(st->key, "suspect_timeout") && ns > 0)
            x->st = ns;
    }
}

static void xg_times(struct xg *x)
{
    const struct xpl_spec *s = x->s;
    if (s->base) {
        x->st = s->base->suspect_timeout_ns;
        x->quiet = s->base->quiet_ns;
        x->active = s->base->run_ns - s->base->quiet_ns;
    } else {
        x->active = xg_time(x, s->active.lo, s->active.hi) / XG_MS * XG_MS;
    }
    if (x->quiet <= 0)
        x->quiet = xg_time(x, s->quiet.lo, s->quiet.hi) / XG_MS * XG_MS;
    int64_t floor_q = 4 * x->st + 200 * XG_MS; /* detection, flushes, transfers */
    if (x->quiet < floor_q && !s->base)
        x->quiet = floor_q;
    x->end = x->active - XG_MS;
}

/* ---- events ---- */

static struct xg_ev *xg_event(struct xg *x, int64_t t, enum scn_fault_kind kind, uint32_t proc)
{
    if (x->n_ev == XG_MAX_EV || t < 0 || t >= x->end)
        return NULL;
    struct xg_ev *e = &x->ev[x->n_ev];
    *e = (struct xg_ev){.t = t, .order = x->n_ev, .kind = kind, .proc = proc};
    x->n_ev++;
    return e;
}

/* Formats an event's text (through a local buffer: names live in the same struct). */
static void xg_say(struct xg_ev *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void xg_say(struct xg_ev *e, const char *fmt, ...)
{
    char buf[sizeof e->text];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    memcpy(e->text, buf, sizeof buf);
}

static const char *xg_pname(const struct xg *x, uint32_t p)
{
    return x->names[p];
}

static bool xg_member(const struct xg_group *g, uint32_t p)
{
    for (uint32_t k = 0; k < g->n_members; k++)
        if (g->members[k] == p)
            return true;
    return false;
}

/* A random process group (index), or -1. `with` >= 0: one that has it as a member. */
static int xg_pg(struct xg *x, int with)
{
    uint32_t c[XPL_MAX_GROUPS], n = 0;
    for (uint32_t g = 0; g < x->n_groups; g++)
        if (x->g[g].pg && (with < 0 || xg_member(&x->g[g], (uint32_t)with)))
            c[n++] = g;
    return n ? (int)c[xg_int(x, 0, n - 1)] : -1;
}

/* The first member of g not crashed (drawn so far) and not `but`. */
static int xg_coord(const struct xg *x, const struct xg_group *g, int but)
{
    for (uint32_t k = 0; k < g->n_members; k++)
        if (!x->crashed[g->members[k]] && (int)g->members[k] != but)
            return (int)g->members[k];
    return -1;
}

/* Whether crashing p keeps a majority of each of its groups alive (of the crashes drawn). */
static bool xg_may_crash(const struct xg *x, uint32_t p)
{
    if (x->crashed[p])
        return false;
    for (uint32_t gi = 0; gi < x->n_groups; gi++) {
        const struct xg_group *g = &x->g[gi];
        if (!xg_member(g, p))
            continue;
        uint32_t down = 1;
        for (uint32_t k = 0; k < g->n_members; k++)
            down += x->crashed[g->members[k]];
        if (down * 2 >= g->n_members)
            return false;
    }
    return true;
}

static void xg_crash_at(struct xg *x, int64_t t, uint32_t p)
{
    struct xg_ev *e = xg_event(x, t, SCN_F_CRASH, p);
    if (!e)
        return;
    xg_say(e, "crash %s", xg_pname(x, p));
    x->crashed[p] = true;
    if (x->n_crash < XG_MAX_KEEP) {
        x->crash_p[x->n_crash] = p;
        x->crash_t[x->n_crash++] = t;
    }
}

/* A crash target: the coordinator, the token holder, or any member (of the
 * groups). -1 if none may crash. */
static int xg_crash_target(struct xg *x)
{
    for (int tries = 0; tries < 8; tries++) {
        int gi = (int)xg_int(x, 0, x->n_groups - 1), p = -1;
        const struct xg_group *g = &x->g[gi];
        double u = xg_unit(x);
        if (u < 1.0 / 3)
            p = xg_coord(x, g, -1);
        else if (u < 2.0 / 3)
            p = g->abcast_sole >= 0 ? g->abcast_sole : xg_coord(x, g, -1);
        else
            p = (int)g->members[xg_int(x, 0, g->n_members - 1)];
        if (p >= 0 && xg_may_crash(x, (uint32_t)p))
            return p;
    }
    return -1;
}

static void xg_crash_uniform(struct xg *x)
{
    int p = xg_crash_target(x);
    if (p >= 0)
        xg_crash_at(x, xg_time(x, 0.1 * (double)x->active, 0.7 * (double)x->active), (uint32_t)p);
}

/* A crash at a dangerous moment: the coordinator during the flush of the
 * previous crash, or the state provider right after a join. */
static void xg_crash_biased(struct xg *x)
{
    bool after_join = x->n_join > 0 && (x->n_crash == 0 || xg_chance(x, 0.5));
    if (after_join) {
        uint32_t j = xg_int(x, 0, x->n_join - 1);
        int p = xg_coord(x, &x->g[x->join_g[j]], (int)x->join_p[j]);
        int64_t d = xg_chance(x, 0.5) ? xg_time(x, 5e4, 1e6) : xg_time(x, 1e6, 3e6);
        if (p >= 0 && xg_may_crash(x, (uint32_t)p)) /* in the join's flush, or its transfer */
            xg_crash_at(x, x->join_t[j] + d, (uint32_t)p);
        return;
    }
    if (x->n_crash == 0)
        return xg_crash_uniform(x);
    uint32_t prev = x->crash_p[x->n_crash - 1];
    int gi = xg_pg(x, (int)prev);
    int p = gi >= 0 ? xg_coord(x, &x->g[gi], (int)prev) : -1;
    if (p < 0 || !xg_may_crash(x, (uint32_t)p))
        return xg_crash_uniform(x);
    double st = (double)x->st;
    xg_crash_at(x, x->crash_t[x->n_crash - 1] + xg_time(x, 0.95 * st, 1.15 * st), (uint32_t)p);
}

/* ---- joins, restarts, leaves ---- */

static void xg_join_at(struct xg *x, int64_t t, uint32_t p, uint32_t gi)
{
    struct xg_ev *e = xg_event(x, t, SCN_F_JOIN, p);
    if (!e)
        return;
    xg_say(e, "join %s %s", xg_pname(x, p), x->g[gi].name);
    x->joins[p][gi] = true;
    if (x->n_join < XG_MAX_KEEP) {
        x->join_p[x->n_join] = p;
        x->join_g[x->n_join] = gi;
        x->join_t[x->n_join++] = t;
    }
}

/* A process that may join group gi: not a member or client, not crashed, not joining it. */
static int xg_joiner(struct xg *x, uint32_t gi)
{
    uint32_t c[XPL_MAX_PROCS], n = 0;
    const struct xg_group *g = &x->g[gi];
    for (uint32_t p = 0; p < x->n_procs; p++) {
        bool client = false;
        for (uint32_t k = 0; k < g->n_clients; k++)
            client |= g->clients[k] == p;
        if (!xg_member(g, p) && !client && !x->crashed[p] && !x->joins[p][gi] && !x->client[p])
            c[n++] = p;
    }
    if (n == 0)
        return -1;
    for (uint32_t k = 0; k < n; k++) /* spares first: they are there to join */
        if (x->spare[c[k]] && xg_chance(x, 0.7))
            return (int)c[k];
    return (int)c[xg_int(x, 0, n - 1)];
}

static void xg_join(struct xg *x)
{
    const struct xpl_spec *s = x->s;
    double st = (double)x->st;
    int gi = -1;
    int64_t t = -1;
    if (x->n_crash > 0 && xg_chance(x, s->bias)) { /* in the same view change as a crash */
        uint32_t c = xg_int(x, 0, x->n_crash - 1);
        gi = xg_pg(x, (int)x->crash_p[c]);
        t = x->crash_t[c] + xg_time(x, 0.1 * st, 0.9 * st);
    } else if (x->n_join > 0 && xg_chance(x, s->bias)) { /* during the previous transfer */
        uint32_t j = x->n_join - 1;
        gi = (int)x->join_g[j];
        t = x->join_t[j] + xg_time(x, 0, 5e6);
    }
    if (gi < 0) {
        gi = xg_pg(x, -1);
        t = xg_time(x, 0.1 * (double)x->active, 0.8 * (double)x->active);
    }
    int p = gi >= 0 ? xg_joiner(x, (uint32_t)gi) : -1;
    if (p >= 0)
        xg_join_at(x, t, (uint32_t)p, (uint32_t)gi);
}

/* Crashed processes come back (a new incarnation) and rejoin their process groups. */
static void xg_restarts(struct xg *x)
{
    double st = (double)x->st;
    uint32_t n = x->n_crash;
    for (uint32_t c = 0; c < n; c++) {
        if (!xg_chance(x, 0.7))
            continue;
        uint32_t p = x->crash_p[c];
        int64_t t = x->crash_t[c] + xg_time(x, 2 * st, 3.5 * st);
        struct xg_ev *e = xg_event(x, t, SCN_F_RESTART, p);
        if (!e)
            continue;
        xg_say(e, "restart %s", xg_pname(x, p));
        for (uint32_t gi = 0; gi < x->n_groups; gi++) {
            if (!x->g[gi].pg || !(xg_member(&x->g[gi], p) || x->joins[p][gi]))
                continue;
            struct xg_ev *j = xg_event(x, t + xg_time(x, 1e6, 0.3 * st), SCN_F_JOIN, p);
            if (j)
                xg_say(j, "join %s %s", xg_pname(x, p), x->g[gi].name);
        }
    }
}

static void xg_leave(struct xg *x)
{
    int gi = xg_pg(x, -1);
    if (gi < 0 || x->g[gi].n_members < 3)
        return;
    const struct xg_group *g = &x->g[gi];
    uint32_t p = g->members[xg_int(x, 0, g->n_members - 1)];
    if (x->crashed[p])
        return;
    double st = (double)x->st;
    int64_t t = x->n_crash > 0 && xg_chance(x, x->s->bias)
                    ? x->crash_t[xg_int(x, 0, x->n_crash - 1)] + xg_time(x, 0, st)
                    : xg_time(x, 0.1 * (double)x->active, 0.8 * (double)x->active);
    struct xg_ev *e = xg_event(x, t, SCN_F_LEAVE, p);
    if (e)
        xg_say(e, "leave %s %s", xg_pname(x, p), g->name);
}

/* ---- partitions and false suspicions ---- */

/* A link-level (fifo) group deems a peer cut off for longer than
 * suspect_timeout faulty for good, without a view change that would tell
 * (scenarios/link-false-suspicion.scn: liveness fails by design). Seeds with
 * such a group get short partitions only. */
static bool xg_has_fifo(const struct xg *x)
{
    for (uint32_t gi = 0; gi < x->n_groups; gi++)
        if (!x->g[gi].pg)
            return true;
    return false;
}

/* Whether [t0, t1] comes within suspect_timeout of a partition-like fault
 * drawn before. In a seed with a link-level group such faults keep that far
 * apart: two short ones back to back cut a pair off for longer than
 * suspect_timeout in all (explore seed 23704: a partition, a heal and an
 * isolation 1 ms later, 86 ms of 104). */
static bool xg_cut_near(const struct xg *x, int64_t t0, int64_t t1)
{
    for (uint32_t i = 0; i < x->n_cut; i++)
        if (t0 < x->cut_t1[i] + x->st && t1 + x->st > x->cut_t0[i])
            return true;
    return false;
}

/* Time of a partition-like fault: during a crash's view change, or anywhere. */
static int64_t xg_cut_time(struct xg *x)
{
    double st = (double)x->st;
    if (x->n_crash > 0 && xg_chance(x, x->s->bias))
        return x->crash_t[xg_int(x, 0, x->n_crash - 1)] + xg_time(x, st, 1.3 * st);
    return xg_time(x, 0.1 * (double)x->active, 0.7 * (double)x->active);
}

static void xg_heal_at(struct xg *x, int64_t t)
{
    struct xg_ev *e = xg_event(x, t, SCN_F_HEAL, 0);
    if (e)
        xg_say(e, "heal");
}

/* Appends the names of a[0..n-1] to buf. */
static size_t xg_list(const struct xg *x, char *buf, size_t cap, size_t at, const uint32_t *a,
                      uint32_t n)
{
    for (uint32_t i = 0; i < n && at < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%s", i ? " " : "", xg_pname(x, a[i]));
    return at;
}

/* Splits the processes into `blocks` blocks (a bridge left out when bridge),
 * the senders spread over the blocks first, so that each side has traffic. */
static void xg_partition_blocks(struct xg *x, char *buf, size_t cap, uint32_t blocks, bool bridge)
{
    uint32_t all[XPL_MAX_PROCS], n = 0, k = 0;
    for (uint32_t p = 0; p < x->n_procs; p++)
        if (!x->crashed[p])
            all[n++] = p;
    xg_shuffle(x, all, n);
    for (uint32_t gi = 0; gi < x->n_groups; gi++) /* senders to the front */
        for (uint32_t s = 0; s < x->g[gi].n_senders; s++)
            for (uint32_t i = k; i < n; i++)
                if (all[i] == x->g[gi].senders[s]) {
                    all[i] = all[k];
                    all[k++] = x->g[gi].senders[s];
                }
    if (bridge) /* the bridge: the last one (not a sender when there are others) */
        n--;
    uint32_t cnt[8] = {0}, who[8][XPL_MAX_PROCS];
    for (uint32_t i = 0; i < n; i++) { /* round-robin first, then random */
        uint32_t b = i < blocks ? i : xg_int(x, 0, blocks - 1);
        who[b][cnt[b]++] = all[i];
    }
    size_t at = (size_t)snprintf(buf, cap, "partition ");
    for (uint32_t b = 0; b < blocks; b++) {
        qsort(who[b], cnt[b], sizeof who[b][0], cmp_u32);
        at += (size_t)snprintf(buf + at, cap - at, "%s", b ? " | " : "");
        at = xg_list(x, buf, cap, at, who[b], cnt[b]);
    }
}

static void xg_partition(struct xg *x)
{
    const struct xpl_fault_spec *f = &x->s->fault[XF_PARTITION];
    uint32_t live = 0;
    for (uint32_t p = 0; p < x->n_procs; p++)
        live += !x->crashed[p];
    uint32_t shapes = f->shapes;
    if (live < 4)
        shapes &= ~((1u << XS_BRIDGE) | (1u << XS_THREE));
    if (live < 2 || !shapes)
        return;
    enum xpl_shape sh = (enum xpl_shape)xg_bit(x, shapes);
    int64_t t = xg_cut_time(x);
    double st = (double)x->st;
    int64_t len = xg_chance(x, 0.5) || xg_has_fifo(x) ? xg_time(x, 0.2 * st, 0.5 * st)
                                                      : xg_time(x, 1.2 * st, 3 * st);
    struct xg_ev *e = xg_event(x, t, SCN_F_PARTITION, 0);
    if (!e)
        return;
    const struct xg_group *g = &x->g[xg_int(x, 0, x->n_groups - 1)];
    uint32_t a = g->members[xg_int(x, 0, g->n_members - 1)];
    uint32_t b = g->members[xg_int(x, 0, g->n_members - 1)];
    switch (sh) {
    case XS_ISOLATED:
        e->kind = SCN_F_ISOLATE;
        e->proc = a;
        xg_say(e, "isolate %s", xg_pname(x, a));
        break;
    case XS_ASYMMETRIC:
        for (uint32_t k = 0; k < g->n_members && a == b; k++)
            b = g->members[k];
        if (a == b) { /* a group of one: isolate it instead */
            e->kind = SCN_F_ISOLATE;
            xg_say(e, "isolate %s", xg_pname(x, a));
            break;
        }
        e->kind = SCN_F_CUT;
        xg_say(e, "cut %s -> %s", xg_pname(x, a), xg_pname(x, b));
        break;
    default: {
        char text[sizeof e->text];
        xg_partition_blocks(x, text, sizeof text, sh == XS_THREE ? 3 : 2, sh == XS_BRIDGE);
        xg_say(e, "%s", text);
        break;
    }
    }
    if (xg_has_fifo(x) && (xg_cut_near(x, t, t + len) || x->n_cut == XG_MAX_KEEP)) {
        x->n_ev--; /* after every draw: the rest of the seed is drawn as before */
        return;
    }
    if (x->n_cut < XG_MAX_KEEP) {
        x->cut_t0[x->n_cut] = t;
        x->cut_t1[x->n_cut++] = t + len;
    }
    x->cut_used = true;
    xg_heal_at(x, t + len);
}

/* A false suspicion under load: a sender cut off longer than suspect_timeout.
 * Not with a link-level group: it has no membership to recover with. */
static void xg_suspicion(struct xg *x)
{
    if (xg_has_fifo(x))
        return;
    const struct xg_group *g = &x->g[xg_int(x, 0, x->n_groups - 1)];
    if (g->n_senders == 0 || g->n_members < 2)
        return;
    uint32_t p = xg_chance(x, 0.4) && xg_coord(x, g, -1) >= 0
                     ? (uint32_t)xg_coord(x, g, -1)
                     : g->senders[xg_int(x, 0, g->n_senders - 1)];
    if (x->crashed[p])
        return;
    int64_t t = xg_cut_time(x);
    double st = (double)x->st;
    struct xg_ev *e = xg_event(x, t, SCN_F_ISOLATE, p);
    if (!e)
        return;
    uint32_t q = g->members[xg_int(x, 0, g->n_members - 1)];
    if (q != p && xg_chance(x, 0.5)) {
        e->kind = SCN_F_CUT;
        xg_say(e, "cut %s <-> %s", xg_pname(x, p), xg_pname(x, q));
    } else {
        xg_say(e, "isolate %s", xg_pname(x, p));
    }
    x->cut_used = true;
    xg_heal_at(x, t + xg_time(x, 1.2 * st, 2.5 * st));
}

/* ---- link faults, flushes, sabotage ---- */

static void xg_link(struct xg *x, enum xpl_fault kind)
{
    static const char *const kw[] = {"loss", "duplicate", "delay", "garble"};
    const struct xpl_fault_spec *f = &x->s->fault[kind];
    uint32_t k = (uint32_t)(kind - XF_LOSS);
    int64_t t = xg_chance(x, 0.5) ? 0 : xg_time(x, 0, 0.5 * (double)x->active);
    for (int n = 0; n < 2; n++) {
        struct xg_ev *e = xg_event(x, t, SCN_F_LOSS, 0);
        if (!e)
            return;
        if (kind == XF_DELAY) {
            char d[48], j[48];
            scn_fmt_duration(d, sizeof d, xg_time(x, f->value.lo, f->value.hi));
            scn_fmt_duration(j, sizeof j,
                             f->jitter.line ? xg_time(x, f->jitter.lo, f->jitter.hi) : 0);
            xg_say(e, "delay %s jitter %s", d, j);
        } else {
            double pct =
                round(xg_between(x, f->value.lo, f->value.hi) * 1000) / 10; /* 0.1% steps */
            xg_say(e, "%s %g%%", kw[k], pct);
        }
        x->link_used[k] = true;
        if (!xg_chance(x, 0.3))
            return;
        t = xg_time(x, (double)t, (double)x->end);
    }
}

static void xg_flush(struct xg *x)
{
    double st = (double)x->st;
    int gi = -1, but = -1;
    int64_t t;
    if (x->n_crash > 0 && xg_chance(x, x->s->bias)) { /* during a view change */
        uint32_t c = xg_int(x, 0, x->n_crash - 1);
        gi = xg_pg(x, (int)x->crash_p[c]);
        but = (int)x->crash_p[c];
        t = x->crash_t[c] + xg_time(x, st, 1.5 * st);
    } else {
        t = xg_time(x, 0.1 * (double)x->active, 0.8 * (double)x->active);
    }
    if (gi < 0)
        gi = xg_pg(x, -1);
    if (gi < 0)
        return;
    const struct xg_group *g = &x->g[gi];
    uint32_t p = g->members[xg_int(x, 0, g->n_members - 1)];
    if ((int)p == but)
        p = g->members[(xg_int(x, 0, g->n_members - 1) + 1) % g->n_members];
    if ((int)p == but)
        return;
    struct xg_ev *e = xg_event(x, t, SCN_F_FLUSH, p);
    if (e)
        xg_say(e, "flush %s %s", xg_pname(x, p), g->name);
}

static void xg_sabotage(struct xg *x)
{
    const struct xg_group *g = &x->g[xg_int(x, 0, x->n_groups - 1)];
    uint32_t p = g->members[xg_int(x, 0, g->n_members - 1)];
    uint32_t kind = xg_bit(x, x->s->fault[XF_SABOTAGE].sabotage);
    int64_t t = xg_time(x, 0.2 * (double)x->active, 0.7 * (double)x->active);
    struct xg_ev *e = xg_event(x, t, SCN_F_SABOTAGE, p);
    if (e)
        xg_say(e, "sabotage %s %s", scn_sabotage_name(kind), xg_pname(x, p));
}

/* ---- the draw, in a fixed order ---- */

static uint32_t xg_count(struct xg *x, enum xpl_fault kind)
{
    const struct xpl_fault_spec *f = &x->s->fault[kind];
    if (!f->line || !xg_chance(x, f->chance))
        return 0; /* off in this seed (swarm testing) */
    return xg_int(x, (uint32_t)f->count.lo, (uint32_t)f->count.hi);
}

static void xg_faults(struct xg *x)
{
    uint32_t n[XF_N];
    for (int k = 0; k < XF_N; k++)
        n[k] = xg_count(x, (enum xpl_fault)k);
    for (int k = XF_LOSS; k <= XF_GARBLE; k++)
        if (n[k])
            xg_link(x, (enum xpl_fault)k);
    if (n[XF_CRASH])
        xg_crash_uniform(x);
    for (uint32_t i = 0; i < n[XF_JOIN]; i++)
        xg_join(x);
    for (uint32_t i = 1; i < n[XF_CRASH]; i++) {
        if (xg_chance(x, x->s->bias))
            xg_crash_biased(x);
        else
            xg_crash_uniform(x);
    }
    if (n[XF_RESTART])
        xg_restarts(x);
    for (uint32_t i = 0; i < n[XF_LEAVE]; i++)
        xg_leave(x);
    for (uint32_t i = 0; i < n[XF_PARTITION]; i++)
        xg_partition(x);
    for (uint32_t i = 0; i < n[XF_SUSPICION]; i++)
        xg_suspicion(x);
    for (uint32_t i = 0; i < n[XF_FLUSH]; i++)
        xg_flush(x);
    for (uint32_t i = 0; i < n[XF_SABOTAGE]; i++)
        xg_sabotage(x);
}

static int ev_cmp(const void *a, const void *b)
{
    const struct xg_ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorts the events and leaves out what the scenario format forbids: a crash
 * of a crashed process, a restart of a live one, a join of a crashed one. */
static void xg_order(struct xg *x)
{
    qsort(x->ev, x->n_ev, sizeof *x->ev, ev_cmp);
    bool down[XPL_MAX_PROCS] = {false};
    uint32_t k = 0;
    for (uint32_t i = 0; i < x->n_ev; i++) {
        struct xg_ev *e = &x->ev[i];
        bool keep = true;
        if (e->kind == SCN_F_CRASH)
            keep = !down[e->proc], down[e->proc] = true;
        else if (e->kind == SCN_F_RESTART)
            keep = down[e->proc], down[e->proc] = false;
        else if (e->kind == SCN_F_JOIN || e->kind == SCN_F_FLUSH || e->kind == SCN_F_LEAVE)
            keep = !down[e->proc];
        if (keep)
            x->ev[k++] = *e;
    }
    x->n_ev = k;
}

/* ---- the text ---- */

static void xg_names(const struct xg *x, FILE *f, const uint32_t *a, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        fprintf(f, "%s%s", i ? " " : "", xg_pname(x, a[i]));
}

static void xg_send_line(const struct xg *x, FILE *f, const struct xg_group *g, const uint32_t *who,
                         uint32_t n, const char *order)
{
    if (n == 0)
        return;
    fprintf(f, "send ");
    xg_names(x, f, who, n);
    fprintf(f, " group %s order %s rate %g/s size %uB\n", g->name, order, g->rate, g->size);
}

static void xg_write_sends(const struct xg *x, FILE *f, const struct xg_group *g)
{
    static const char *const main_order[XO_N] = {"fifo",      "cbcast", "abcast",
                                                 "diffusion", "cbcast", "cbcast"};
    uint32_t n = g->n_senders;
    if (g->order == XO_MIXED) { /* cbcast from every sender, abcast from the last n_abcast */
        xg_send_line(x, f, g, g->senders, n, "cbcast");
        xg_send_line(x, f, g, g->senders + n - g->n_abcast, g->n_abcast, "abcast");
    } else {
        xg_send_line(x, f, g, g->senders, n, main_order[g->order]);
    }
    if (g->order == XO_P2P && g->n_members >= 2 && n >= 1) {
        uint32_t to = g->members[0] == g->senders[0] ? g->members[1] : g->members[0];
        fprintf(f, "send %s to %s order p2p rate %g/s", xg_pname(x, g->senders[0]), xg_pname(x, to),
                g->rate / 2);
        if (g->domain)
            fprintf(f, " domain d%u", g->domain);
        fputc('\n', f);
    }
    xg_send_line(x, f, g, g->clients, g->n_clients, "cbcast");
    for (uint32_t p = 0; p < x->n_procs; p++) /* joiners send once they are members */
        if (x->joins[p][g - x->g] && x->spare[p])
            xg_send_line(x, f, g, &p, 1, g->order == XO_FIFO ? "fifo" : "cbcast");
}

static void xg_write_model(const struct xg *x, FILE *f)
{
    for (uint32_t k = 0; k < x->n_sets; k++)
        fprintf(f, "%s\n", x->sets[k]);
    uint32_t all[XPL_MAX_PROCS];
    for (uint32_t p = 0; p < x->n_procs; p++)
        all[p] = p;
    fprintf(f, "processes ");
    xg_names(x, f, all, x->n_procs);
    fputc('\n', f);
    for (uint32_t gi = 0; gi < x->n_groups; gi++) {
        const struct xg_group *g = &x->g[gi];
        fprintf(f, "group %s ", g->name);
        xg_names(x, f, g->members, g->n_members);
        if (g->n_clients) {
            fprintf(f, " clients ");
            xg_names(x, f, g->clients, g->n_clients);
        }
        fputc('\n', f);
    }
    for (uint32_t gi = 0; gi < x->n_groups; gi++)
        if (x->g[gi].domain)
            fprintf(f, "domain d%u %s\n", x->g[gi].domain, x->g[gi].name);
    for (uint32_t gi = 0; gi < x->n_groups; gi++)
        xg_write_sends(x, f, &x->g[gi]);
}

static void xg_write_events(const struct xg *x, FILE *f)
{
    char t[48];
    for (uint32_t i = 0; i < x->n_ev; i++) {
        scn_fmt_duration(t, sizeof t, x->ev[i].t);
        fprintf(f, "at %s %s\n", t, x->ev[i].text);
    }
    scn_fmt_duration(t, sizeof t, x->end);
    static const char *const clear[] = {"loss 0%", "duplicate 0%", "delay 0s", "garble 0%"};
    if (x->cut_used)
        fprintf(f, "at %s heal\n", t);
    for (int k = 0; k < 4; k++)
        if (x->link_used[k])
            fprintf(f, "at %s %s\n", t, clear[k]);
}

char *xpl_generate(const struct xpl_spec *s, uint64_t seed, size_t *len)
{
    struct xg *x = calloc(1, sizeof *x);
    assert(x);
    x->s = s;
    x->rng = seed ^ 0x6a09e667f3bcc909ull;
    if (s->base) {
        xg_model_base(x);
    } else {
        xg_settings(x);
        xg_model(x);
    }
    xg_times(x);
    xg_faults(x);
    xg_order(x);
    char *text = NULL, q[48], r[48];
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    assert(f);
    fprintf(f, "# Drawn by `pgroup explore %s`, seed %llu. Standalone: pgroup run THIS_FILE\n",
            s->file, (unsigned long long)seed);
    scn_fmt_duration(q, sizeof q, x->quiet);
    scn_fmt_duration(r, sizeof r, x->active + x->quiet);
    if (s->base) {
        bool *none = calloc(s->base->n_faults + 1, 1);
        assert(none);
        memset(none, 1, s->base->n_faults);
        struct scn_edit e = {
            .drop_fault = none, .run_ns = x->active + x->quiet, .quiet_ns = x->quiet};
        struct scn b = *s->base;
        b.seed = seed;
        char *bt = scn_write(&b, &e, NULL);
        fputs(bt, f);
        free(bt);
        free(none);
    } else {
        fprintf(f, "name %s-%llu\nseed %llu\n", s->name, (unsigned long long)seed,
                (unsigned long long)seed);
        xg_write_model(x, f);
        fprintf(f, "run %s\nquiet %s\n", r, q);
    }
    xg_write_events(x, f);
    fclose(f);
    free(x);
    if (len)
        *len = n;
    return text;
}
