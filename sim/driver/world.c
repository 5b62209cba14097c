/* sim/driver/world.c: incarnations, env.h over SimGrid (the datagrams' faults drawn
 * by sim/common/netmodel.h where they enter SimGrid, the delay queue of
 * each incarnation), the actor loop, the trace sink. The timeline is
 * timeline.c's, the run's setup and summary run.c's. See world.h. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <simgrid/actor.h>
#include <simgrid/comm.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>

#include "outfile.h"
#include "dheap.h"
#include "rng.h"
#include "sg_rx.h"
#include "world_internal.h"

/* ---- time ---- */

double sim_now_s(void)
{
    return simgrid_get_clock();
}

int64_t sim_now_ns(void)
{
    return (int64_t)llround(simgrid_get_clock() * 1e9);
}

void sim_world_sync(struct sim_world *w)
{
    w->now_s = simgrid_get_clock();
    w->now_ns = (int64_t)llround(w->now_s * 1e9);
    if (w->progress)
        sim_progress_tick(w->progress, w->now_ns);
}

int64_t sim_world_now_ns(struct sim_world *w)
{
    if ((++w->now_checks & 1023u) == 0)
        assert(w->now_ns == sim_now_ns() && w->now_s == sim_now_s());
    return w->now_ns;
}

const char *sim_inc_name(const struct sim_world *w, pg_node_id id)
{
    assert(id >= 1 && id <= w->n_incs);
    return w->incs[id - 1]->name;
}

/* ---- trace sink ---- */

void sim_emit(struct sim_world *w, struct chk_event *e)
{
    (void)sim_world_now_ns(w); /* the sampled check of now_s too */
    e->t = w->now_s;
    e->line = ++w->line;
    if (w->trace && !w->trace_errno) {
        int n = chk_event_write(e, w->linebuf, w->linecap);
        while (n < 0) {
            w->linecap *= 2;
            w->linebuf = realloc(w->linebuf, w->linecap);
            assert(w->linebuf);
            n = chk_event_write(e, w->linebuf, w->linecap);
        }
        assert((size_t)n <=
               CHK_LINE_MAX + 1); /* what the reader accepts (checkers/TRACE.md limits) */
        if (fwrite(w->linebuf, 1, (size_t)n, w->trace) != (size_t)n)
            sim_out_failed(&w->trace_errno); /* reported and exit 2 at the end of the run */
    }
    if (w->metrics)
        sim_metrics_event(w->metrics, e);
    chk_feed(w->chk, e);
}

void sim_inc_emit(struct sim_inc *inc, struct chk_event *e)
{
    if (inc->alive)
        sim_emit(inc->w, e);
}

void sim_sometimes(struct sim_world *w, const char *node, const char *name)
{
    sim_sometimes_count(&w->sometimes, name);
    struct chk_event e = {.ev = CHK_EV_OTHER, .ev_name = "sometimes", .view = -1};
    e.node = node;
    e.detail = name;
    sim_emit(w, &e);
}

/* env->trace: the core's diagnostics become `ev` lines the checkers keep but do not judge. */
static void env_trace(void *ctx, const struct env_trace *t)
{
    struct sim_inc *inc = ctx;
    struct chk_event e = {.ev = CHK_EV_OTHER, .ev_name = sim_core_ev_name(t->kind), .view = -1};
    if (t->kind == PG_TR_SOMETIMES)
        sim_sometimes_count(&inc->w->sometimes, t->detail ? t->detail : "?");
    e.node = inc->name;
    if (t->peer != PG_NODE_NONE && t->peer <= inc->w->n_incs)
        e.peer = sim_inc_name(inc->w, t->peer);
    e.detail = t->detail;
    sim_inc_emit(inc, &e);
}

/* ---- env.h ---- */

static int64_t env_now_ns(void *ctx)
{
    struct sim_inc *inc = ctx;
    return sim_world_now_ns(inc->w);
}

static void env_timer_set(void *ctx, unsigned slot, int64_t deadline_ns)
{
    struct sim_inc *inc = ctx;
    assert(slot < PG_TIMER_SLOTS);
    inc->timer_ns[slot] = deadline_ns;
}

static uint64_t env_random(void *ctx)
{
    struct sim_inc *inc = ctx;
    return sim_rng_next(&inc->rng_core);
}

/* ---- datagram buffers ---- */

struct sim_dgram_pool *sim_dgram_pool_new(void)
{
    struct sim_dgram_pool *p = calloc(1, sizeof *p);
    assert(p);
    return p;
}

void sim_dgram_pool_close(struct sim_dgram_pool *p)
{
    assert(p && !p->closed);
    p->closed = true;
    while (p->free_list) {
        struct sim_dgram *d = p->free_list;
        p->free_list = d->next;
        free(d);
    }
    p->n_free = 0;
    while (p->out_head) { /* never received: SimGrid drops comms, never payloads */
        struct sim_dgram *d = p->out_head;
        p->out_head = d->out_next;
        p->out--;
        free(d);
    }
    assert(p->out == 0);
    free(p);
}

/* A buffer for `len` bytes: the last one released if it fits, else a new one. */
static struct sim_dgram *sim_dgram_get(struct sim_dgram_pool *p, size_t len)
{
    assert(!p->closed);
    struct sim_dgram *d = NULL;
    if (len <= SIM_DGRAM_SMALL_B && p->free_list) {
        d = p->free_list;
        p->free_list = d->next;
        p->n_free--;
    } else {
        size_t cap = len <= SIM_DGRAM_SMALL_B ? SIM_DGRAM_SMALL_B : len;
        d = malloc(sizeof *d + cap);
        assert(d);
        d->cap = (uint32_t)cap;
        d->pool = p;
    }
    assert(d->pool == p && d->cap >= len);
    d->out_prev = NULL;
    d->out_next = p->out_head;
    if (p->out_head)
        p->out_head->out_prev = d;
    p->out_head = d;
    p->out++;
    return d;
}

/* Gives `d` back: it was fed to its node, or dropped on arrival. */
static void sim_dgram_release(struct sim_dgram *d)
{
    struct sim_dgram_pool *p = d->pool;
    assert(!p->closed && p->out > 0 && p->n_free <= SIM_DGRAM_POOL_MAX);
    if (d->out_prev)
        d->out_prev->out_next = d->out_next;
    else
        p->out_head = d->out_next;
    if (d->out_next)
        d->out_next->out_prev = d->out_prev;
    p->out--;
    if (d->cap == SIM_DGRAM_SMALL_B && p->n_free < SIM_DGRAM_POOL_MAX) {
        d->next = p->free_list;
        p->free_list = d;
        p->n_free++;
        return;
    }
    free(d);
}

/* A copy of the datagram being sent (nm_route's put): into SimGrid, with its fate. */
struct world_send {
    struct sim_inc *src, *dst;
    const uint8_t *buf;
    size_t len;
};

static void world_put(void *ctx, const struct nm_copy *copy)
{
    const struct world_send *ws = ctx;
    struct sim_world *w = ws->src->w;
    struct sim_dgram *d = sim_dgram_get(w->pool, ws->len);
    d->from = ws->src->id;
    d->len = (uint32_t)ws->len;
    memcpy(d->bytes, ws->buf, ws->len);
    d->extra_delay_ns = copy->extra_delay_ns;
    nm_garble(copy, d->bytes, ws->len);
    w->tot.garbled_injected += copy->garbled;
    w->tot.delayed += d->extra_delay_ns > 0;
    sg_tx_put(ws->src->tx, ws->dst->mbox, d, (long)ws->len + SIM_UDP_OVERHEAD_B);
}

/* env->send: faults are applied here (netmodel.h), before SimGrid sees the datagram. */
static void env_send(void *ctx, pg_node_id to, const uint8_t *buf, size_t len)
{
    struct sim_inc *src = ctx;
    struct sim_world *w = src->w;
    if (!src->alive) { /* defensive: a crash lands between steps (sim_inc_crash) */
        w->tot.drop_dead++;
        return;
    }
    w->tot.datagrams++;
    struct sim_inc *dst = to >= 1 && to <= w->n_incs ? w->incs[to - 1] : NULL;
    struct world_send ws = {.src = src, .dst = dst, .buf = buf, .len = len};
    switch (nm_route(&w->faults.net, &src->rng_net, src->proc, dst ? dst->proc : src->proc,
                     dst && dst->alive, len, world_put, &ws)) {
    case NM_DEAD:
        w->tot.drop_dead++;
        break;
    case NM_CUT:
        w->tot.drop_partition++;
        break;
    case NM_LOST:
        w->tot.drop_loss++;
        break;
    case NM_TWICE:
        w->tot.duplicated++;
        break;
    case NM_ONCE:
        break;
    }
}

/* ---- delay queue (receive side): dheap.h on (release, arrival order) ---- */

static void delayq_push(struct sim_inc *inc, struct sim_dgram *d, int64_t release_ns)
{
    struct sim_delayed item = {.key = {.t_ns = release_ns}, .d = d};
    if (!dheap_push(&inc->delayq, &item)) { /* bounded: beyond it the network loses it */
        inc->w->tot.drop_loss++;
        sim_dgram_release(d);
    }
}

static struct sim_dgram *delayq_pop(struct sim_inc *inc)
{
    struct sim_delayed item;
    dheap_pop(&inc->delayq, &item);
    return item.d;
}

/* Whether a held datagram is due at now. */
static bool delayq_due(const struct sim_inc *inc, int64_t now)
{
    const struct dheap_key *top = dheap_top(&inc->delayq);
    return top && top->t_ns <= now;
}

/* ---- the actor loop: translate SimGrid events into node inputs ---- */

static int64_t inc_next_deadline(const struct sim_inc *inc)
{
    int64_t next = sim_app_next_ns(&inc->app);
    for (unsigned s = 0; s < PG_TIMER_SLOTS; s++)
        if (inc->timer_ns[s] < next)
            next = inc->timer_ns[s];
    const struct dheap_key *held = dheap_top(&inc->delayq);
    if (held && held->t_ns < next)
        next = held->t_ns;
    return next;
}

/* Metrics: retention after an input (metrics.h: sampled after every input). */
static void inc_sample(struct sim_inc *inc)
{
    if (inc->w->metrics && inc->alive)
        sim_metrics_retained(inc->w->metrics, pg_retained(pg_node_pg(inc->node)),
                             phys_retained(pg_node_phys(inc->node)));
}

static void inc_feed(struct sim_inc *inc, struct sim_dgram *d)
{
    if (inc->alive) {
        pg_node_on_datagram(inc->node, d->from, d->bytes, d->len);
        inc_sample(inc);
    }
    sim_dgram_release(d);
}

/* Feeds every input that is due at `now`, in a fixed order: timers, delayed datagrams, workload. */
static void inc_run_due(struct sim_inc *inc, int64_t now)
{
    for (unsigned s = 0; s < PG_TIMER_SLOTS && inc->alive; s++) {
        if (inc->timer_ns[s] <= now) {
            inc->timer_ns[s] = PG_TIMER_NEVER;
            pg_node_on_timer(inc->node, s);
            size_t retained = phys_retained(pg_node_phys(inc->node));
            if (retained > inc->w->tot.retained_max)
                inc->w->tot.retained_max = retained;
            retained = inc->w->any_pg ? pg_retained(pg_node_pg(inc->node)) : 0;
            if (retained > inc->w->tot.pg_retained_max)
                inc->w->tot.pg_retained_max = retained;
        }
    }
    while (inc->alive && delayq_due(inc, now))
        inc_feed(inc, delayq_pop(inc));
    if (inc->alive)
        sim_app_run_due(&inc->app, now);
    inc_sample(inc);
}

static void inc_free(struct sim_inc *inc)
{
    sim_totals_add_node(&inc->w->tot, inc->node);
    while (dheap_len(&inc->delayq) > 0)
        sim_dgram_release(delayq_pop(inc));
    dheap_free(&inc->delayq);
    sg_rx_free(inc->rx);
    inc->rx = NULL;
    sg_tx_drain(inc->tx); /* its last datagrams still arrive */
    sg_tx_free(inc->tx);
    inc->tx = NULL;
    sim_app_stop(&inc->app);
    pg_node_free(inc->node);
    inc->node = NULL;
}

static void inc_step_end(struct sim_inc *inc);

static void inc_actor(int argc, char **argv)
{
    struct sim_inc *inc = sg_actor_self_get_data();
    assert(inc && argc >= 1);
    struct sim_world *w = inc->w;
    sim_world_sync(w);
    sg_mailbox_set_receiver(sg_mailbox_get_name(inc->mbox));
    inc->rx = sg_rx_new(inc->mbox);
    inc->tx = sg_tx_new();
    sim_app_start(&inc->app);
    while (inc->alive) {
        int64_t now = sim_world_now_ns(w);
        if (now >= w->end_ns)
            break;
        inc->in_step = true;
        inc_run_due(inc, now);
        inc_step_end(inc);
        if (!inc->alive)
            break;
        int64_t next = inc_next_deadline(inc);
        if (next > w->end_ns)
            next = w->end_ns;
        double wait_s = next > now ? (double)(next - now) / 1e9 : 0.0;
        sg_tx_reap(inc->tx); /* after the step: see sim/sg_rx.h */
        struct sim_dgram *d = sg_rx_wait(inc->rx, wait_s);
        sim_world_sync(w);
        if (!d)
            continue;
        if (!inc->alive) {
            sim_dgram_release(d);
            break;
        }
        if (d->extra_delay_ns > 0) {
            delayq_push(inc, d, sim_world_now_ns(w) + d->extra_delay_ns);
            continue;
        }
        inc->in_step = true;
        inc_feed(inc, d);
        inc_step_end(inc);
    }
    inc_free(inc);
}

/* ---- the application's host (app.h) ---- */

static int64_t host_now_ns(void *drv)
{
    struct sim_inc *inc = drv;
    return sim_world_now_ns(inc->w);
}

static void host_emit(void *drv, struct chk_event *e)
{
    sim_inc_emit(drv, e);
}

static const char *host_inc_name(void *drv, pg_node_id id)
{
    struct sim_inc *inc = drv;
    return sim_inc_name(inc->w, id);
}

static pg_node_id host_current(void *drv, uint32_t proc)
{
    struct sim_inc *inc = drv;
    return inc->w->current[proc];
}

/* The first live incarnation, by id, that is a member of group g (not a
 * client) and is not `inc`: the simulator sees every node. */
static pg_node_id host_contact(void *drv, uint32_t g)
{
    struct sim_inc *inc = drv;
    struct sim_world *w = inc->w;
    for (uint32_t i = 0; i < w->n_incs; i++) {
        const struct sim_inc *o = w->incs[i];
        uint32_t view;
        if (o->id != inc->id && o->alive && o->node && !pg_is_client(pg_node_pg(o->node), g + 1) &&
            pg_send_view(pg_node_pg(o->node), g + 1, &view) == PG_OK)
            return o->id;
    }
    return PG_NODE_NONE;
}

static int64_t host_sent_ns(void *drv, pg_node_id from, uint64_t seq)
{
    struct sim_inc *inc = drv;
    const struct sim_inc *src = inc->w->incs[from - 1];
    assert(seq >= 1 && seq <= src->app.n_send_ns);
    return src->app.send_ns[seq - 1];
}

void sim_world_app_host(struct sim_world *w)
{
    w->app_host = (struct sim_app_host){.scn = w->scn,
                                        .group_pg = w->group_pg,
                                        .tot = &w->tot,
                                        .metrics = w->metrics,
                                        .proc_sends = w->proc_sends,
                                        .now_ns = host_now_ns,
                                        .emit = host_emit,
                                        .inc_name = host_inc_name,
                                        .current = host_current,
                                        .contact = host_contact,
                                        .sent_ns = host_sent_ns};
}

/* ---- incarnations ---- */

/* Creates the next incarnation of process `proc` (named p3, then p3#2, ...).
 * Its actor starts now if `start` (else the caller starts every actor later). */
struct sim_inc *sim_inc_create(struct sim_world *w, uint32_t proc)
{
    const struct scn *s = w->scn;
    if (w->n_incs == w->cap_incs) {
        w->cap_incs = w->cap_incs ? 2 * w->cap_incs : 64;
        w->incs = realloc(w->incs, w->cap_incs * sizeof *w->incs);
        assert(w->incs);
    }
    struct sim_inc *inc = calloc(1, sizeof *inc);
    assert(inc);
    inc->w = w;
    inc->proc = proc;
    inc->id = ++w->n_incs;
    w->incs[inc->id - 1] = inc;
    uint32_t gen = ++w->generation[proc];
    if (gen == 1)
        snprintf(inc->name, sizeof inc->name, "%s", s->procs[proc].name);
    else
        snprintf(inc->name, sizeof inc->name, "%s#%u", s->procs[proc].name, gen);
    inc->alive = true;
    w->current[proc] = inc->id;
    inc->host = w->hosts[proc % w->n_hosts];
    if (s->procs[proc].host[0])
        inc->host = sg_host_by_name(s->procs[proc].host);
    assert(inc->host);
    char mbox[32];
    snprintf(mbox, sizeof mbox, "n%u", inc->id);
    inc->mbox = sg_mailbox_by_name(mbox);
    for (unsigned i = 0; i < PG_TIMER_SLOTS; i++)
        inc->timer_ns[i] = PG_TIMER_NEVER;
    inc->rng_core = sim_rng_stream(w->seed, SIM_RNG_CORE, inc->id);
    inc->rng_net = sim_rng_stream(w->seed, SIM_RNG_NET, inc->id);
    bool ok = dheap_init(&inc->delayq, sizeof(struct sim_delayed), SIM_DELAYQ_MAX);
    assert(ok);
    inc->env = (struct env){.ctx = inc,
                            .now_ns = env_now_ns,
                            .timer_set = env_timer_set,
                            .send = env_send,
                            .draw_u64 = env_random,
                            .trace = env_trace};
    inc->app.host = &w->app_host;
    inc->app.drv = inc;
    inc->app.name = inc->name;
    inc->app.id = inc->id;
    inc->app.proc = proc;
    inc->app.alive = &inc->alive;
    w->tot.incarnations++;
    return inc;
}

/* Makes the node and starts the actor of `inc`, writing its `start` event. */
void sim_inc_start(struct sim_inc *inc, const struct phys_config *cfg)
{
    inc->node = pg_node_new_pg(&inc->env, inc->id, cfg, &inc->w->pg_cfg);
    assert(inc->node);
    inc->app.node = inc->node;
    struct chk_event e = {.ev = CHK_EV_START, .ev_name = "start", .view = -1};
    e.node = inc->name;
    sim_emit(inc->w, &e);
    sg_actor_t a = sg_actor_init(inc->name, inc->host);
    sg_actor_set_data(a, inc);
    const char *argv[] = {inc->name};
    sg_actor_start(a, inc_actor, 1, (char *const *)argv);
}

static void inc_crash_now(struct sim_inc *inc)
{
    assert(inc->alive);
    inc->alive = false;
    inc->crash_pending = false;
    inc->w->current[inc->proc] = PG_NODE_NONE;
    inc->w->tot.crashes++;
    struct chk_event e = {.ev = CHK_EV_CRASH, .ev_name = "crash", .view = -1};
    e.node = inc->name;
    sim_emit(inc->w, &e);
}

/* Crashes `inc`: from now on its traffic is dropped and it processes nothing;
 * its actor notices at its next wake-up and exits. A step of the node takes
 * no simulated time, but SimGrid may run the timeline inside it (a send is a
 * scheduling point): the crash then lands when the step ends, at the same
 * instant, so that a step is never cut in half (datagrams out, but no `send`
 * event). The process has no live incarnation from now on (a restart may
 * follow at once). */
void sim_inc_crash(struct sim_inc *inc)
{
    assert(inc->alive && !inc->crash_pending);
    if (!inc->in_step) {
        inc_crash_now(inc);
        return;
    }
    inc->crash_pending = true;
    inc->w->current[inc->proc] = PG_NODE_NONE;
}

/* Ends a step of inc's actor: applies a crash that landed inside it. */
static void inc_step_end(struct sim_inc *inc)
{
    assert(inc->in_step);
    inc->in_step = false;
    if (inc->crash_pending)
        inc_crash_now(inc);
}
