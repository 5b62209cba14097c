/* sim/live/live_node.c: one scenario process on a real network. See live_node.h. */
#define _GNU_SOURCE
#include "live_node.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "chk.h"
#include "live_incs.h"
#include "live_net.h"
#include "nodecfg.h"
#include "rng.h"
#include "summary.h"

/* ---- shared memory ---- */

/* Each slot starts on a 64-byte boundary: struct live_slot holds 8-byte
 * counters (UBSan found them misaligned when slots began at offset 12). */
_Static_assert(_Alignof(struct live_slot) <= 64, "a slot is 64-byte aligned");
_Static_assert(offsetof(struct live_shm, slots) % 64 == 0, "slots start 64-byte aligned");

struct live_shm *live_shm_new(uint32_t n_slots, uint32_t n_groups)
{
    uint32_t member_b = (n_groups + 7) / 8;
    uint32_t slot_b = (uint32_t)((sizeof(struct live_slot) + member_b + 63) / 64 * 64);
    size_t size = sizeof(struct live_shm) + (size_t)slot_b * n_slots;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    struct live_shm *m = p;
    m->n_slots = n_slots;
    m->slot_b = slot_b;
    m->member_b = member_b;
    return m;
}

void live_shm_free(struct live_shm *m)
{
    if (m)
        munmap(m, sizeof *m + (size_t)m->slot_b * m->n_slots);
}

struct live_slot *live_shm_slot(struct live_shm *m, pg_node_id id)
{
    assert(id >= 1 && id <= m->n_slots);
    return (struct live_slot *)(m->slots + (size_t)m->slot_b * (id - 1));
}

/* ---- the process ---- */

struct ln;

/* The live incarnation of this process. */
struct ln_inc {
    struct ln *ln;
    pg_node_id id;
    bool alive;
    struct env env;
    struct pg_node *node;
    struct sim_app app;
    int64_t timer_ns[PG_TIMER_SLOTS];
    uint64_t rng_core, rng_net;
};

struct ln {
    const struct live_node_cfg *cfg;
    const struct scn *scn;
    struct live_incs incs;
    struct live_net *net;
    bool *group_pg;
    bool any_pg;
    struct sim_totals tot; /* counters; a node's statistics are added when it ends */
    struct sim_app_host host;
    struct phys_config phys_cfg;
    struct pg_config pg_cfg;
    struct ln_inc *cur; /* or NULL: no live incarnation */
    int64_t epoch_ns, now_ns, end_ns;
    uint64_t lamport;
    char *out; /* the trace lines of the current step */
    size_t out_len, out_cap;
    int trace_errno;
    int epfd, tfd;
    uint64_t link_retained_max, pg_retained_max;
    uint64_t member_sig;
    bool stop;
};

static volatile sig_atomic_t ln_signalled; /* pgroup node: SIGINT or SIGTERM */

static void ln_on_signal(int sig)
{
    (void)sig;
    ln_signalled = 1;
}

/* ---- clock ---- */

static int64_t ln_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Reads the clock into ln->now_ns: scenario ns, never decreasing. */
static int64_t ln_clock(struct ln *ln)
{
    int64_t wall = ln_mono_ns() - ln->epoch_ns;
    int64_t t = ln->cfg->scale == 1.0 ? wall : (int64_t)((double)wall / ln->cfg->scale);
    if (t > ln->now_ns)
        ln->now_ns = t;
    return ln->now_ns;
}

static int64_t ln_read_clock(void *ctx)
{
    return ln_clock(ctx);
}

/* The CLOCK_MONOTONIC instant of scenario time t_ns. */
static int64_t ln_wall_at(const struct ln *ln, int64_t t_ns)
{
    double w = (double)t_ns * ln->cfg->scale;
    return ln->epoch_ns + (w > 9e18 ? (int64_t)9e18 : (int64_t)w);
}

/* ---- trace ---- */

/* Formats one event of this process into the step's lines, at the step's time. */
static void ln_emit(struct ln *ln, struct chk_event *e)
{
    e->t = (double)ln->now_ns / 1e9;
    ln->lamport = ln->lamport + 1 > (uint64_t)ln->now_ns ? ln->lamport + 1 : (uint64_t)ln->now_ns;
    e->lamport = ln->lamport;
    for (;;) {
        int n = chk_event_write(e, ln->out + ln->out_len, ln->out_cap - ln->out_len);
        if (n >= 0) {
            assert((size_t)n <= CHK_LINE_MAX + 1); /* what the reader accepts */
            ln->out_len += (size_t)n;
            return;
        }
        ln->out_cap *= 2;
        ln->out = realloc(ln->out, ln->out_cap);
        assert(ln->out);
    }
}

static void ln_write_all(struct ln *ln, const char *p, size_t n)
{
    while (n > 0 && !ln->trace_errno) {
        ssize_t w = write(ln->cfg->trace_fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            ln->trace_errno = w < 0 ? errno : EIO;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Ends a step: its trace lines first, then its datagrams. */
static void ln_flush(struct ln *ln)
{
    ln_write_all(ln, ln->out, ln->out_len);
    ln->out_len = 0;
    live_net_flush(ln->net, ln->lamport);
}

static void ln_inc_emit(struct ln_inc *in, struct chk_event *e)
{
    if (in->alive)
        ln_emit(in->ln, e);
}

/* ---- env.h ---- */

static int64_t env_now_ns(void *ctx)
{
    struct ln_inc *in = ctx;
    return in->ln->now_ns;
}

static void env_timer_set(void *ctx, unsigned slot, int64_t deadline_ns)
{
    struct ln_inc *in = ctx;
    assert(slot < PG_TIMER_SLOTS);
    in->timer_ns[slot] = deadline_ns;
}

static void env_send(void *ctx, pg_node_id to, const uint8_t *buf, size_t len)
{
    struct ln_inc *in = ctx;
    struct ln *ln = in->ln;
    bool known = to >= 1 && to <= ln->incs.n;
    live_net_send(ln->net, &in->rng_net, in->id, to, ln->cfg->proc,
                  known ? ln->incs.inc[to - 1].proc : 0,
                  in->alive && known && live_incs_alive(&ln->incs, to), buf, len);
}

static uint64_t env_draw_u64(void *ctx)
{
    struct ln_inc *in = ctx;
    return sim_rng_next(&in->rng_core);
}

static void env_trace(void *ctx, const struct env_trace *t)
{
    struct ln_inc *in = ctx;
    struct chk_event e = {.ev = CHK_EV_OTHER, .ev_name = sim_core_ev_name(t->kind), .view = -1};
    e.node = in->ln->incs.inc[in->id - 1].name;
    if (t->peer != PG_NODE_NONE && t->peer <= in->ln->incs.n)
        e.peer = in->ln->incs.inc[t->peer - 1].name;
    e.detail = t->detail;
    ln_inc_emit(in, &e);
}

/* ---- the application's host (app.h) ---- */

static int64_t host_now_ns(void *drv)
{
    return env_now_ns(drv);
}

static void host_emit(void *drv, struct chk_event *e)
{
    ln_inc_emit(drv, e);
}

static const char *host_inc_name(void *drv, pg_node_id id)
{
    struct ln_inc *in = drv;
    assert(id >= 1 && id <= in->ln->incs.n);
    return in->ln->incs.inc[id - 1].name;
}

static pg_node_id host_current(void *drv, uint32_t proc)
{
    struct ln_inc *in = drv;
    return in->ln->incs.current[proc];
}

static bool ln_bit(const uint8_t *bits, uint32_t g)
{
    return __atomic_load_n(&bits[g / 8], __ATOMIC_RELAXED) >> (g % 8) & 1u;
}

/* Whether incarnation id is presumed a member of group g by the timeline
 * alone (pgroup node): an initial member, or it joined since it started,
 * and it did not leave since. */
static bool ln_timeline_member(const struct ln *ln, pg_node_id id, uint32_t g)
{
    const struct live_inc *li = &ln->incs.inc[id - 1];
    bool member = false;
    for (uint32_t i = 0; li->gen == 1 && i < ln->scn->groups[g].n_members; i++)
        member |= ln->scn->groups[g].members[i] == li->proc;
    uint32_t from = li->fault == UINT32_MAX ? 0 : li->fault;
    for (uint32_t k = from; k < ln->incs.applied; k++) {
        const struct scn_fault *f = &ln->scn->faults[k];
        if (f->proc == li->proc && f->group == g && f->kind == SCN_F_JOIN)
            member = true;
        if (f->proc == li->proc && f->group == g && f->kind == SCN_F_LEAVE)
            member = false;
    }
    return member;
}

/* A live member of g to ask for a join: under the supervisor, the first
 * (by id) whose published membership says so, as the simulator's choice;
 * on its own, the first the timeline makes a member. */
static pg_node_id host_contact(void *drv, uint32_t g)
{
    struct ln_inc *in = drv;
    struct ln *ln = in->ln;
    for (pg_node_id id = 1; id <= ln->incs.n; id++) {
        if (id == in->id || !live_incs_alive(&ln->incs, id))
            continue;
        if (!ln->cfg->shm && ln_timeline_member(ln, id, g))
            return id;
        if (ln->cfg->shm && ln_bit(live_shm_slot(ln->cfg->shm, id)->member, g))
            return id;
    }
    return PG_NODE_NONE;
}

/* ---- incarnations ---- */

static void ln_publish(struct ln *ln);

static void ln_inc_start(struct ln *ln, pg_node_id id)
{
    assert(!ln->cur && live_incs_alive(&ln->incs, id));
    struct ln_inc *in = calloc(1, sizeof *in);
    assert(in);
    *in = (struct ln_inc){.ln = ln, .id = id, .alive = true};
    for (unsigned s = 0; s < PG_TIMER_SLOTS; s++)
        in->timer_ns[s] = PG_TIMER_NEVER;
    in->rng_core = sim_rng_stream(ln->cfg->seed, SIM_RNG_CORE, id);
    in->rng_net = sim_rng_stream(ln->cfg->seed, SIM_RNG_NET, id);
    in->env = (struct env){.ctx = in,
                           .now_ns = env_now_ns,
                           .timer_set = env_timer_set,
                           .send = env_send,
                           .draw_u64 = env_draw_u64,
                           .trace = env_trace};
    in->node = pg_node_new_pg(&in->env, id, &ln->phys_cfg, &ln->pg_cfg);
    assert(in->node);
    ln->cur = in;
    ln->tot.incarnations++;
    struct chk_event e = {.ev = CHK_EV_START, .ev_name = "start", .view = -1};
    e.node = ln->incs.inc[id - 1].name;
    ln_inc_emit(in, &e);
    in->app = (struct sim_app){.host = &ln->host,
                               .drv = in,
                               .name = ln->incs.inc[id - 1].name,
                               .id = id,
                               .proc = ln->cfg->proc,
                               .node = in->node,
                               .alive = &in->alive};
    sim_app_start(&in->app);
    if (ln->cfg->shm) {
        struct live_slot *slot = live_shm_slot(ln->cfg->shm, id);
        slot->pid = (int32_t)getpid();
        __atomic_store_n(&slot->started, 1u, __ATOMIC_RELEASE);
    }
}

/* Ends the live incarnation: at the end of the run, or (`crashed`, pgroup
 * node) by the timeline, with its `crash` event. */
static void ln_inc_end(struct ln *ln, bool crashed)
{
    struct ln_inc *in = ln->cur;
    assert(in);
    if (crashed) {
        struct chk_event e = {.ev = CHK_EV_CRASH, .ev_name = "crash", .view = -1};
        e.node = ln->incs.inc[in->id - 1].name;
        ln_inc_emit(in, &e);
        ln->tot.crashes++;
    }
    ln_publish(ln);
    in->alive = false;
    sim_totals_add_node(&ln->tot, in->node);
    sim_app_stop(&in->app);
    free(in->app.send_ns);
    pg_node_free(in->node);
    free(in);
    ln->cur = NULL;
}

/* ---- published counters and membership (supervised) ---- */

static void ln_publish_members(struct ln *ln, struct live_slot *slot)
{
    const struct ln_inc *in = ln->cur;
    uint64_t sig = 1 + ln->tot.views + ln->tot.exclusions + ln->tot.joins_refused + in->app.next_op;
    if (sig == ln->member_sig)
        return;
    ln->member_sig = sig;
    struct pg *pg = pg_node_pg(in->node);
    for (uint32_t g = 0; g < ln->scn->n_groups; g += 8) {
        uint8_t byte = 0;
        for (uint32_t k = 0; k < 8 && g + k < ln->scn->n_groups; k++) {
            uint32_t view;
            bool m = ln->group_pg[g + k] && !pg_is_client(pg, g + k + 1) &&
                     pg_send_view(pg, g + k + 1, &view) == PG_OK;
            byte |= (uint8_t)(m << k);
        }
        __atomic_store_n(&slot->member[g / 8], byte, __ATOMIC_RELAXED);
    }
}

static void ln_publish(struct ln *ln)
{
    if (!ln->cfg->shm || !ln->cur)
        return;
    struct live_slot *slot = live_shm_slot(ln->cfg->shm, ln->cur->id);
    struct sim_totals t = ln->tot;
    sim_totals_add_node(&t, ln->cur->node);
    slot->tot = t;
    slot->net = *live_net_stats(ln->net);
    slot->link_retained_max = ln->link_retained_max;
    slot->pg_retained_max = ln->pg_retained_max;
    ln_publish_members(ln, slot);
}

/* ---- inputs ---- */

/* Retention after an input (metrics.h: after every input). */
static void ln_sample(struct ln *ln)
{
    if (!ln->cur)
        return;
    size_t link = phys_retained(pg_node_phys(ln->cur->node));
    size_t pg = pg_retained(pg_node_pg(ln->cur->node));
    ln->link_retained_max = link > ln->link_retained_max ? link : ln->link_retained_max;
    ln->pg_retained_max = pg > ln->pg_retained_max ? pg : ln->pg_retained_max;
}

static void ln_on_dgram(void *ctx, const struct live_dgram_in *d)
{
    struct ln *ln = ctx;
    if (d->lamport > ln->lamport)
        ln->lamport = d->lamport;
    if (!ln->cur || ln->now_ns >= ln->end_ns) /* none, or the run is over */
        return;
    pg_node_on_datagram(ln->cur->node, d->from, d->buf, d->len);
    ln_sample(ln);
}

/* Retention after a timer: the summary's maxima, as the simulator samples them. */
static void ln_timer_sample(struct ln *ln)
{
    size_t r = phys_retained(pg_node_phys(ln->cur->node));
    ln->tot.retained_max = r > ln->tot.retained_max ? r : ln->tot.retained_max;
    r = ln->any_pg ? pg_retained(pg_node_pg(ln->cur->node)) : 0;
    ln->tot.pg_retained_max = r > ln->tot.pg_retained_max ? r : ln->tot.pg_retained_max;
}

/* Feeds every input due now, in the simulator's order: timers, datagrams
 * held back by delay, the workload. */
static void ln_run_due(struct ln *ln)
{
    int64_t now = ln->now_ns;
    for (unsigned s = 0; s < PG_TIMER_SLOTS && ln->cur; s++) {
        if (ln->cur->timer_ns[s] > now)
            continue;
        ln->cur->timer_ns[s] = PG_TIMER_NEVER;
        pg_node_on_timer(ln->cur->node, s);
        ln_timer_sample(ln);
        ln_sample(ln);
    }
    live_net_release(ln->net, ln->cur ? ln->cur->id : PG_NODE_NONE, now, ln_on_dgram, ln);
    if (ln->cur) {
        sim_app_run_due(&ln->cur->app, now);
        ln_sample(ln);
    }
}

/* ---- the timeline ---- */

static void ln_sink(void *ctx, struct chk_event *e)
{
    ln_emit(ctx, e);
}

/* Applies the next line of the timeline to this process: its network
 * faults to the filter, crashes and restarts to the table of incarnations
 * (and, on its own timeline, to its own incarnation), a sabotage of its
 * incarnation. `replay`: a line applied before this process started. */
static void ln_apply_next(struct ln *ln, bool replay)
{
    uint32_t k = ln->incs.applied;
    const struct scn_fault *f = &ln->scn->faults[k];
    bool own = ln->cfg->own_timeline && f->proc == ln->cfg->proc;
    if (sim_fault_is_net(f->kind))
        (void)sim_faults_apply(live_net_faults(ln->net), ln->scn, f, NULL);
    if (f->kind == SCN_F_CRASH && own && ln->cur)
        ln_inc_end(ln, true);
    live_incs_apply_next(&ln->incs);
    if (f->kind == SCN_F_RESTART && own && !ln->cur)
        ln_inc_start(ln, live_incs_of_restart(&ln->incs, k));
    if (f->kind == SCN_F_SABOTAGE && !replay && f->proc == ln->cfg->proc && ln->cur)
        sim_app_sabotage(&ln->cur->app, f->sabotage);
    if (ln->cfg->harness && !replay) /* pgroup node: the harness's `fault` event */
        ln->tot.faults_applied += (uint32_t)sim_fault_emit(ln->scn, f, ln_sink, ln);
}

/* ---- control pipe (supervised) ---- */

/* One record (epoll said the pipe is readable; the next one wakes it again). */
static void ln_on_ctl(struct ln *ln)
{
    struct live_ctl c;
    ssize_t r;
    do
        r = read(ln->cfg->ctl_fd, &c, sizeof c);
    while (r < 0 && errno == EINTR);
    if (r != (ssize_t)sizeof c) { /* the supervisor is gone */
        ln->stop = true;
        return;
    }
    if (c.type == LIVE_CTL_STOP)
        ln->stop = true;
    while (c.type == LIVE_CTL_FAULT && ln->incs.applied <= c.arg &&
           ln->incs.applied < ln->scn->n_faults)
        ln_apply_next(ln, false);
}

/* ---- the loop ---- */

/* The next instant something is due: a timer, a held datagram, the
 * workload, a line of its own timeline, the end. */
static int64_t ln_next_deadline(const struct ln *ln)
{
    int64_t next = ln->end_ns;
    if (ln->cur) {
        for (unsigned s = 0; s < PG_TIMER_SLOTS; s++)
            next = ln->cur->timer_ns[s] < next ? ln->cur->timer_ns[s] : next;
        int64_t app = sim_app_next_ns(&ln->cur->app);
        next = app < next ? app : next;
    }
    int64_t rel = live_net_next_release(ln->net);
    next = rel < next ? rel : next;
    if (ln->cfg->own_timeline && ln->incs.applied < ln->scn->n_faults &&
        ln->scn->faults[ln->incs.applied].at_ns < next)
        next = ln->scn->faults[ln->incs.applied].at_ns;
    return next;
}

static void ln_arm(struct ln *ln, int64_t t_ns)
{
    int64_t w = ln_wall_at(ln, t_ns);
    if (w < 1)
        w = 1;
    struct itimerspec its = {.it_value = {.tv_sec = w / 1000000000, .tv_nsec = w % 1000000000}};
    int rc = timerfd_settime(ln->tfd, TFD_TIMER_ABSTIME, &its, NULL);
    assert(rc == 0);
}

/* Waits for the next input (datagram, control record, deadline) and reads
 * the datagrams that arrived. */
static void ln_wait(struct ln *ln)
{
    struct epoll_event evs[4];
    ln_arm(ln, ln_next_deadline(ln));
    int n = epoll_wait(ln->epfd, evs, 4, -1);
    if (n < 0 && errno == EINTR && ln_signalled)
        ln->stop = true;
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        if (fd == ln->tfd) {
            uint64_t ticks;
            (void)!read(ln->tfd, &ticks, sizeof ticks);
        } else if (fd == ln->cfg->ctl_fd) {
            ln_on_ctl(ln);
        } else {
            live_net_receive(ln->net, ln->cur ? ln->cur->id : PG_NODE_NONE, ln_read_clock,
                             ln_on_dgram, ln);
        }
    }
}

static void ln_loop(struct ln *ln)
{
    while (!ln->stop && !ln_signalled) {
        int64_t now = ln_clock(ln);
        if (now >= ln->end_ns)
            break;
        while (ln->cfg->own_timeline && ln->incs.applied < ln->scn->n_faults &&
               ln->scn->faults[ln->incs.applied].at_ns <= now)
            ln_apply_next(ln, false);
        ln_run_due(ln);
        ln_flush(ln);
        ln_publish(ln);
        ln_wait(ln);
    }
    ln_flush(ln);
}

/* ---- set-up ---- */

static int ln_epoll_add(struct ln *ln, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    return epoll_ctl(ln->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* The trace stream's header: the run's (chk.h), so that each stream is a
 * trace of its own. */
static void ln_write_header(struct ln *ln)
{
    const struct scn *s = ln->scn;
    struct chk_header h = {.scenario = s->name,
                           .seed = ln->cfg->seed,
                           .end_s = (double)s->run_ns / 1e9,
                           .quiet_from_s =
                               s->quiet_ns > 0 ? (double)(s->run_ns - s->quiet_ns) / 1e9 : -1,
                           .expect = s->expect == SCN_EXPECT_VIOLATION ? s->expect_rule : NULL};
    int n = chk_header_write(&h, ln->out, ln->out_cap);
    assert(n > 0);
    ln_write_all(ln, ln->out, (size_t)n);
}

static int ln_init(struct ln *ln, const struct live_node_cfg *cfg)
{
    const struct scn *s = cfg->scn;
    *ln = (struct ln){.cfg = cfg, .scn = s, .end_ns = s->run_ns, .epoch_ns = cfg->epoch_ns};
    live_incs_init(&ln->incs, s);
    ln->group_pg = calloc(s->n_groups + 1, sizeof *ln->group_pg);
    ln->out_cap = 1 << 16;
    ln->out = malloc(ln->out_cap);
    assert(ln->group_pg && ln->out);
    for (uint32_t g = 0; g < s->n_groups; g++)
        ln->any_pg |= ln->group_pg[g] = s->groups[g].pg;
    sim_phys_config(s, &ln->phys_cfg);
    sim_pg_config(s, &ln->pg_cfg);
    ln->host = (struct sim_app_host){.scn = s,
                                     .group_pg = ln->group_pg,
                                     .tot = &ln->tot,
                                     .now_ns = host_now_ns,
                                     .emit = host_emit,
                                     .inc_name = host_inc_name,
                                     .current = host_current,
                                     .contact = host_contact};
    ln->net = live_net_new(cfg->sock_fd, s, cfg->addrs, &ln->tot);
    ln->epfd = epoll_create1(EPOLL_CLOEXEC);
    ln->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (!ln->net || ln->epfd < 0 || ln->tfd < 0 || ln_epoll_add(ln, ln->tfd) ||
        ln_epoll_add(ln, cfg->sock_fd) || (cfg->ctl_fd >= 0 && ln_epoll_add(ln, cfg->ctl_fd))) {
        perror("pgroup: live process set-up");
        return 2;
    }
    ln_write_header(ln);
    return 0;
}

static void ln_fini(struct ln *ln)
{
    if (ln->cur)
        ln_inc_end(ln, false);
    if (ln->net)
        ln_flush(ln);
    if (ln->cfg->totals)
        *ln->cfg->totals = ln->tot;
    live_net_free(ln->net);
    live_incs_free(&ln->incs);
    free(ln->group_pg);
    free(ln->out);
    if (ln->epfd >= 0)
        close(ln->epfd);
    if (ln->tfd >= 0)
        close(ln->tfd);
}

/* Supervised: the epoch comes in LIVE_CTL_START. 0, or -1 if the pipe closed. */
static int ln_wait_start(struct ln *ln)
{
    struct live_ctl c = {0};
    while (c.type != LIVE_CTL_START) {
        ssize_t r = read(ln->cfg->ctl_fd, &c, sizeof c);
        if (r < 0 && errno == EINTR)
            continue;
        if (r != (ssize_t)sizeof c || c.type == LIVE_CTL_STOP)
            return -1;
    }
    ln->epoch_ns = c.value;
    return 0;
}

static void ln_sleep_until_epoch(const struct ln *ln)
{
    struct timespec ts = {.tv_sec = ln->epoch_ns / 1000000000,
                          .tv_nsec = ln->epoch_ns % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !ln_signalled)
        ;
}

static void ln_signals(const struct live_node_cfg *cfg)
{
    if (cfg->ctl_fd >= 0) { /* supervised: a Ctrl-C is the supervisor's to handle */
        signal(SIGINT, SIG_IGN);
        return;
    }
    struct sigaction sa = {.sa_handler = ln_on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int live_node_run(const struct live_node_cfg *cfg)
{
    assert(cfg->scale > 0 && cfg->proc < cfg->scn->n_procs);
    ln_signals(cfg);
    struct ln ln;
    int rc = ln_init(&ln, cfg);
    while (rc == 0 && ln.incs.applied < cfg->replay)
        ln_apply_next(&ln, true);
    if (rc == 0 && cfg->ready_fd >= 0) {
        (void)!write(cfg->ready_fd, "r", 1);
        close(cfg->ready_fd);
    }
    if (rc == 0 && ln.epoch_ns == 0 && ln_wait_start(&ln) != 0)
        ln.stop = true;
    if (rc == 0 && !ln.stop) {
        /* before the epoch the clock reads 0: a first incarnation starts at
         * time 0, as in the simulator (its first send may be due at 0) */
        ln_clock(&ln);
        if (cfg->harness)
            sim_domain_emit(cfg->scn, ln_sink, &ln);
        if (live_incs_alive(&ln.incs, cfg->first))
            ln_inc_start(&ln, cfg->first);
        ln_sleep_until_epoch(&ln);
        ln_loop(&ln);
    }
    ln_fini(&ln);
    if (rc == 0 && ln_signalled && cfg->ctl_fd < 0) {
        fprintf(stderr, "pgroup node: interrupted; its trace is written up to now\n");
        rc = 130;
    }
    if (rc == 0 && ln.trace_errno) {
        fprintf(stderr, "pgroup: cannot write the trace of %s: %s\n",
                cfg->scn->procs[cfg->proc].name, strerror(ln.trace_errno));
        rc = 2;
    }
    return rc;
}
