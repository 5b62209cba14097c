/* tests/support_fakenet.c: the deterministic fake network. See support_fakenet.h. */
#include "support_fakenet.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "dheap.h"
#include "le.h"
#include "netmodel.h"
#include "rng.h"

enum fakenet_ev_kind { FN_EV_DGRAM = 1, FN_EV_TIMER = 2 };

/* An event in flight (key.t_ns: when it is due; ties: insertion order). */
struct fakenet_ev {
    struct dheap_key key;
    enum fakenet_ev_kind kind;
    unsigned node;
    unsigned slot;   /* timer */
    uint64_t gen;    /* timer: valid only if equal to the slot's generation */
    pg_node_id from; /* datagram */
    uint32_t len;    /* datagram */
    uint8_t *buf;    /* datagram (owned) */
};

struct fakenet_host {
    struct fakenet *fn;
    unsigned index;
    pg_node_id id;
    struct env env;
    struct pg_node *node;
    bool crashed;
    uint64_t rng;     /* env->draw_u64 stream (rng.h: SIM_RNG_CORE of the seed and id) */
    uint64_t rng_net; /* the fault draws of what it sends (SIM_RNG_NET) */
    int64_t timer_ns[PG_TIMER_SLOTS];
    uint64_t timer_gen[PG_TIMER_SLOTS];
    size_t max_retained;
    struct fakenet_delivery *deliveries;
    size_t n_deliveries;
    struct fakenet_monitor monitors[64];
    size_t n_monitors;
};

struct fakenet {
    unsigned n;
    struct phys_config cfg;
    struct pg_config pg_cfg;
    int64_t now_ns;
    uint64_t seed;
    pg_node_id next_id;
    struct nm_faults faults; /* netmodel.h: the simulator's fault model */
    int64_t latency_ns[FAKENET_MAX_NODES][FAKENET_MAX_NODES];
    struct dheap heap; /* of struct fakenet_ev */
    struct fakenet_counts counts;
    bool overflow;
    fakenet_entry_hook hook;
    void *hook_ctx;
    struct fakenet_host hosts[FAKENET_MAX_NODES];
};

/* ---- event heap (dheap.h) on (t_ns, insertion order) ---- */

static bool heap_push(struct fakenet *fn, struct fakenet_ev ev)
{
    if (!dheap_push(&fn->heap, &ev)) { /* bounded: beyond it the network drops and counts */
        fn->counts.queue_full++;
        free(ev.buf);
        return false;
    }
    return true;
}

/* ---- env callbacks ---- */

static int64_t env_now(void *ctx)
{
    struct fakenet_host *h = ctx;
    return h->fn->now_ns;
}

static void env_timer_set(void *ctx, unsigned slot, int64_t deadline_ns)
{
    struct fakenet_host *h = ctx;
    assert(slot < PG_TIMER_SLOTS);
    h->timer_ns[slot] = deadline_ns;
    h->timer_gen[slot]++;
    if (deadline_ns == PG_TIMER_NEVER)
        return;
    int64_t t = deadline_ns < h->fn->now_ns ? h->fn->now_ns : deadline_ns;
    heap_push(h->fn, (struct fakenet_ev){.key = {.t_ns = t},
                                         .kind = FN_EV_TIMER,
                                         .node = h->index,
                                         .slot = slot,
                                         .gen = h->timer_gen[slot]});
}

static int fn_index_of(const struct fakenet *fn, pg_node_id id)
{
    for (unsigned i = 0; i < fn->n; i++)
        if (fn->hosts[i].id == id)
            return (int)i;
    return -1;
}

/* One copy of a datagram being sent (nm_route's put). */
struct fn_send {
    struct fakenet *fn;
    unsigned src, dst;
    pg_node_id from;
    const uint8_t *buf;
    size_t len;
};

/* Puts one copy in flight: the link's latency plus the copy's delay and jitter. */
static void fn_put(void *ctx, const struct nm_copy *c)
{
    const struct fn_send *fs = ctx;
    struct fakenet *fn = fs->fn;
    uint8_t *copy = malloc(fs->len ? fs->len : 1);
    assert(copy);
    memcpy(copy, fs->buf, fs->len);
    nm_garble(c, copy, fs->len);
    fn->counts.garbled += c->garbled;
    int64_t delay = fn->latency_ns[fs->src][fs->dst] + c->extra_delay_ns;
    heap_push(fn, (struct fakenet_ev){.key = {.t_ns = fn->now_ns + delay},
                                      .kind = FN_EV_DGRAM,
                                      .node = fs->dst,
                                      .from = fs->from,
                                      .len = (uint32_t)fs->len,
                                      .buf = copy});
}

static void env_send(void *ctx, pg_node_id to, const uint8_t *buf, size_t len)
{
    struct fakenet_host *h = ctx;
    struct fakenet *fn = h->fn;
    assert(!h->crashed && len <= PHYS_MAX_DATAGRAM);
    fn->counts.sent++;
    int dst = fn_index_of(fn, to);
    struct fn_send fs = {.fn = fn,
                         .src = h->index,
                         .dst = dst < 0 ? h->index : (unsigned)dst,
                         .from = h->id,
                         .buf = buf,
                         .len = len};
    switch (nm_route(&fn->faults, &h->rng_net, fs.src, fs.dst, dst >= 0 && !fn->hosts[dst].crashed,
                     len, fn_put, &fs)) {
    case NM_DEAD:
        fn->counts.to_crashed++;
        break;
    case NM_CUT:
        fn->counts.cut++;
        break;
    case NM_LOST:
        fn->counts.lost++;
        break;
    case NM_TWICE:
        fn->counts.duplicated++;
        break;
    case NM_ONCE:
        break;
    }
}

static uint64_t env_random(void *ctx)
{
    struct fakenet_host *h = ctx;
    return sim_rng_next(&h->rng);
}

static void env_trace(void *ctx, const struct env_trace *ev)
{
    struct fakenet_host *h = ctx;
    unsigned k = (unsigned)ev->kind;
    if (k < 8)
        h->fn->counts.traces[k]++;
}

/* ---- nodes ---- */

static void fn_host_start(struct fakenet *fn, unsigned i, pg_node_id id)
{
    struct fakenet_host *h = &fn->hosts[i];
    h->fn = fn;
    h->index = i;
    h->id = id;
    h->crashed = false;
    h->rng = sim_rng_stream(fn->seed, SIM_RNG_CORE, id);
    h->rng_net = sim_rng_stream(fn->seed, SIM_RNG_NET, id);
    h->env = (struct env){.ctx = h,
                          .now_ns = env_now,
                          .timer_set = env_timer_set,
                          .send = env_send,
                          .draw_u64 = env_random,
                          .trace = env_trace};
    for (unsigned s = 0; s < PG_TIMER_SLOTS; s++) {
        h->timer_ns[s] = PG_TIMER_NEVER;
        h->timer_gen[s]++;
    }
    h->n_deliveries = 0;
    h->n_monitors = 0;
    h->max_retained = 0;
    if (!h->deliveries)
        h->deliveries = calloc(FAKENET_MAX_RECORDS, sizeof *h->deliveries);
    assert(h->deliveries);
    h->node = pg_node_new_pg(&h->env, id, &fn->cfg, &fn->pg_cfg);
    assert(h->node);
}

struct fakenet *fakenet_new_cfg(unsigned n, uint64_t seed, const struct phys_config *cfg)
{
    return fakenet_new_pg(n, seed, cfg, NULL);
}

struct fakenet *fakenet_new_pg(unsigned n, uint64_t seed, const struct phys_config *cfg,
                               const struct pg_config *pg_cfg)
{
    assert(n >= 1 && n <= FAKENET_MAX_NODES && cfg);
    struct fakenet *fn = calloc(1, sizeof *fn);
    assert(fn);
    fn->n = n;
    fn->cfg = *cfg;
    if (pg_cfg)
        fn->pg_cfg = *pg_cfg;
    else
        pg_config_default(&fn->pg_cfg);
    fn->seed = seed;
    nm_faults_init(&fn->faults, n);
    bool ok = dheap_init(&fn->heap, sizeof(struct fakenet_ev), FAKENET_MAX_EVENTS);
    assert(ok);
    fakenet_set_latency_all(fn, 100000);
    for (unsigned i = 0; i < n; i++)
        fn_host_start(fn, i, i + 1);
    fn->next_id = n + 1;
    return fn;
}

struct fakenet *fakenet_new(unsigned n, uint64_t seed)
{
    struct phys_config cfg;
    phys_config_default(&cfg);
    return fakenet_new_cfg(n, seed, &cfg);
}

void fakenet_free(struct fakenet *fn)
{
    if (!fn)
        return;
    for (size_t i = 0; i < dheap_len(&fn->heap); i++)
        free(((struct fakenet_ev *)dheap_at(&fn->heap, i))->buf);
    for (unsigned i = 0; i < fn->n; i++) {
        pg_node_free(fn->hosts[i].node);
        free(fn->hosts[i].deliveries);
    }
    nm_faults_free(&fn->faults);
    dheap_free(&fn->heap);
    free(fn);
}

/* ---- running ---- */

static void fn_note_retained(struct fakenet_host *h)
{
    size_t r = phys_retained(pg_node_phys(h->node));
    if (r > h->max_retained)
        h->max_retained = r;
}

static void fn_dispatch(struct fakenet *fn, struct fakenet_ev *ev)
{
    struct fakenet_host *h = &fn->hosts[ev->node];
    if (h->crashed)
        return;
    if (ev->kind == FN_EV_TIMER) {
        if (ev->gen != h->timer_gen[ev->slot])
            return; /* replaced or disarmed */
        h->timer_ns[ev->slot] = PG_TIMER_NEVER;
        pg_node_on_timer(h->node, ev->slot);
    } else {
        fn->counts.delivered++;
        pg_node_on_datagram(h->node, ev->from, ev->buf, ev->len);
    }
    fn_note_retained(h);
}

bool fakenet_step(struct fakenet *fn, int64_t limit_ns)
{
    const struct dheap_key *top = dheap_top(&fn->heap);
    if (!top || top->t_ns > limit_ns)
        return false;
    struct fakenet_ev ev;
    dheap_pop(&fn->heap, &ev);
    assert(ev.key.t_ns >= fn->now_ns);
    fn->now_ns = ev.key.t_ns;
    fn_dispatch(fn, &ev);
    free(ev.buf);
    return true;
}

void fakenet_run_until(struct fakenet *fn, int64_t t_ns)
{
    assert(t_ns >= fn->now_ns);
    while (fakenet_step(fn, t_ns))
        ;
    fn->now_ns = t_ns;
}

/* ---- knobs ---- */

void fakenet_set_latency(struct fakenet *fn, unsigned from, unsigned to, int64_t ns)
{
    assert(from < fn->n && to < fn->n && ns >= 0);
    fn->latency_ns[from][to] = ns;
}

void fakenet_set_latency_all(struct fakenet *fn, int64_t ns)
{
    for (unsigned i = 0; i < FAKENET_MAX_NODES; i++)
        for (unsigned j = 0; j < FAKENET_MAX_NODES; j++)
            fn->latency_ns[i][j] = ns;
}

void fakenet_set_loss(struct fakenet *fn, double p)
{
    assert(p >= 0 && p <= 1);
    fn->faults.loss = p;
}

void fakenet_set_dup(struct fakenet *fn, double p)
{
    assert(p >= 0 && p <= 1);
    fn->faults.dup = p;
}

void fakenet_set_jitter(struct fakenet *fn, int64_t max_extra_ns)
{
    assert(max_extra_ns >= 0);
    fn->faults.jitter_ns = max_extra_ns;
}

void fakenet_set_garble(struct fakenet *fn, double p)
{
    assert(p >= 0 && p <= 1);
    fn->faults.garble = p;
}

void fakenet_cut(struct fakenet *fn, unsigned from, unsigned to, bool drop)
{
    assert(from < fn->n && to < fn->n);
    nm_set_drop(&fn->faults, from, to, drop);
}

void fakenet_partition(struct fakenet *fn, uint64_t side_mask)
{
    for (unsigned i = 0; i < fn->n; i++)
        for (unsigned j = 0; j < fn->n; j++)
            nm_set_drop(&fn->faults, i, j, ((side_mask >> i) & 1) != ((side_mask >> j) & 1));
}

void fakenet_heal(struct fakenet *fn)
{
    nm_heal(&fn->faults);
}

void fakenet_crash(struct fakenet *fn, unsigned i)
{
    assert(i < fn->n);
    fn->hosts[i].crashed = true;
}

bool fakenet_crashed(const struct fakenet *fn, unsigned i)
{
    assert(i < fn->n);
    return fn->hosts[i].crashed;
}

pg_node_id fakenet_restart(struct fakenet *fn, unsigned i)
{
    assert(i < fn->n);
    pg_node_free(fn->hosts[i].node);
    fn->hosts[i].node = NULL;
    pg_node_id id = fn->next_id++;
    fn_host_start(fn, i, id);
    return id;
}

void fakenet_inject(struct fakenet *fn, unsigned to, pg_node_id from, const uint8_t *buf,
                    size_t len, int64_t delay_ns)
{
    assert(to < fn->n && delay_ns >= 0);
    uint8_t *copy = malloc(len ? len : 1);
    assert(copy);
    if (len)
        memcpy(copy, buf, len);
    heap_push(fn, (struct fakenet_ev){.key = {.t_ns = fn->now_ns + delay_ns},
                                      .kind = FN_EV_DGRAM,
                                      .node = to,
                                      .from = from,
                                      .len = (uint32_t)len,
                                      .buf = copy});
}

/* ---- groups and records ---- */

uint64_t fakenet_hash(const uint8_t *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

void fakenet_payload(uint8_t *buf, size_t len, uint64_t tag)
{
    assert(len >= 8);
    le_put64(buf, tag);
    for (size_t i = 8; i < len; i++)
        buf[i] = (uint8_t)(tag * 31 + i);
}

static void fn_on_entry(void *ctx, phys_gid gid, pg_node_id from, const uint8_t *p, size_t len)
{
    struct fakenet_host *h = ctx;
    if (h->n_deliveries == FAKENET_MAX_RECORDS) {
        h->fn->overflow = true;
        return;
    }
    uint64_t tag = len >= 8 ? le_get64(p) : 0;
    h->deliveries[h->n_deliveries++] = (struct fakenet_delivery){.t_ns = h->fn->now_ns,
                                                                 .gid = gid,
                                                                 .from = from,
                                                                 .len = (uint32_t)len,
                                                                 .tag = tag,
                                                                 .hash = fakenet_hash(p, len)};
    if (h->fn->hook)
        h->fn->hook(h->fn->hook_ctx, h->fn, h->index, gid, from, p, len);
}

static void fn_on_monitor(void *ctx, phys_gid gid, pg_node_id failed)
{
    struct fakenet_host *h = ctx;
    if (h->n_monitors == sizeof h->monitors / sizeof h->monitors[0]) {
        h->fn->overflow = true;
        return;
    }
    h->monitors[h->n_monitors++] = (struct fakenet_monitor){
        .t_ns = h->fn->now_ns, .gid = gid, .failed = failed, .delivered_before = h->n_deliveries};
}

int fakenet_record(struct fakenet *fn, unsigned i, phys_gid gid)
{
    assert(i < fn->n);
    struct phys *ph = fakenet_phys(fn, i);
    int rc = phys_entry(ph, gid, fn_on_entry, &fn->hosts[i]);
    if (rc == PG_OK)
        rc = phys_monitor(ph, gid, fn_on_monitor, &fn->hosts[i]);
    return rc;
}

int fakenet_group(struct fakenet *fn, phys_gid gid, const unsigned *idx, size_t k)
{
    assert(k <= FAKENET_MAX_NODES);
    pg_node_id ids[FAKENET_MAX_NODES];
    for (size_t j = 0; j < k; j++)
        ids[j] = fakenet_id(fn, idx[j]);
    for (size_t j = 0; j < k; j++) {
        int rc = phys_create(fakenet_phys(fn, idx[j]), gid, ids, k);
        if (rc == PG_OK)
            rc = fakenet_record(fn, idx[j], gid);
        if (rc != PG_OK)
            return rc;
    }
    return PG_OK;
}

int fakenet_mcast(struct fakenet *fn, unsigned i, phys_gid gid, uint64_t tag, size_t len)
{
    assert(i < fn->n && len >= 8 && len <= PHYS_MAX_PAYLOAD);
    assert(!fn->hosts[i].crashed);
    uint8_t buf[PHYS_MAX_PAYLOAD];
    fakenet_payload(buf, len, tag);
    int rc = phys_mcast(fakenet_phys(fn, i), gid, buf, len);
    fn_note_retained(&fn->hosts[i]);
    return rc;
}

void fakenet_set_entry_hook(struct fakenet *fn, fakenet_entry_hook hook, void *ctx)
{
    fn->hook = hook;
    fn->hook_ctx = ctx;
}

/* ---- queries ---- */

unsigned fakenet_size(const struct fakenet *fn)
{
    return fn->n;
}

struct pg_node *fakenet_node(struct fakenet *fn, unsigned i)
{
    assert(i < fn->n);
    return fn->hosts[i].node;
}

struct phys *fakenet_phys(struct fakenet *fn, unsigned i)
{
    return pg_node_phys(fakenet_node(fn, i));
}

pg_node_id fakenet_id(const struct fakenet *fn, unsigned i)
{
    assert(i < fn->n);
    return fn->hosts[i].id;
}

const struct env *fakenet_env(struct fakenet *fn, unsigned i)
{
    assert(i < fn->n);
    return &fn->hosts[i].env;
}

int64_t fakenet_now(const struct fakenet *fn)
{
    return fn->now_ns;
}

const struct fakenet_counts *fakenet_counts(const struct fakenet *fn)
{
    return &fn->counts;
}

size_t fakenet_max_retained(const struct fakenet *fn, unsigned i)
{
    assert(i < fn->n);
    return fn->hosts[i].max_retained;
}

const struct fakenet_delivery *fakenet_deliveries(const struct fakenet *fn, unsigned i, size_t *n)
{
    assert(i < fn->n && n);
    *n = fn->hosts[i].n_deliveries;
    return fn->hosts[i].deliveries;
}

const struct fakenet_monitor *fakenet_monitors(const struct fakenet *fn, unsigned i, size_t *n)
{
    assert(i < fn->n && n);
    *n = fn->hosts[i].n_monitors;
    return fn->hosts[i].monitors;
}

bool fakenet_overflowed(const struct fakenet *fn)
{
    return fn->overflow;
}
