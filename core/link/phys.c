/* core/link/phys.c: the link layer (paper section 5, Table 2). See phys.h.
 *
 * Structure. One `struct phys` per node holds a dense table of channels (one
 * per peer, found through a small open-addressing hash on the peer id), the
 * physical groups, a ring of peers deemed faulty and a scratch buffer for
 * encoding. A channel has a send side (sequence numbers, a ring of `window`
 * unacked slots, each pointing to a refcounted message shared by every channel
 * the multicast went to) and a receive side (next expected seq, a ring of
 * `window` reorder slots, the SACK bitmap kept incrementally).
 *
 * Timers. One env timer slot (PG_TIMER_PHYS). Each channel's deadline is the
 * minimum of its retransmission, delayed-ack, heartbeat and suspicion
 * deadlines, each O(1) to compute; after every outermost input the node's
 * deadline is recomputed over the channels and env->timer_set is called only
 * when it changed. The retransmission deadline is kept as a lower bound of the
 * earliest per-message deadline and made exact by the scan on expiry.
 *
 * Re-entrancy. Upcalls may call the public functions (phys_mcast, phys_add,
 * ...). Channels are only ever closed by suspicion (inside phys_on_timer), so
 * a channel pointer held across a delivery upcall stays valid; state is
 * updated before each upcall so that nested sends piggyback the right acks.
 */
#include "phys.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define PHYS_MAX_WINDOW 65536u
#define PHYS_RING_MIN   16u /* a channel's rings start this small and double up to the window */

/* One multicast payload, shared by every channel that still has to deliver it. */
struct phys_msg {
    uint32_t refs; /* channels holding it unacked; freed at 0 */
    uint32_t len;
    phys_gid gid;
    uint32_t crc; /* wire_payload_crc(payload) */
    uint8_t payload[];
};

struct phys_txslot {
    struct phys_msg *msg; /* NULL once acked (cumulatively or selectively) */
    int64_t due_ns;       /* retransmission deadline */
    uint32_t retx;        /* retransmissions so far (backoff exponent) */
};

struct phys_rxslot {
    uint8_t *buf; /* malloc'd copy of an out-of-order payload; NULL: empty */
    phys_gid gid;
    uint32_t len;
};

struct phys_chan {
    pg_node_id peer;
    uint32_t n_groups; /* our groups that list `peer` */
    bool watched;      /* phys_watch */
    bool faulty;       /* suspicion under way: being removed */
    bool touched;      /* in ph->touched: its deadline is recomputed at phys_leave */
    /* send side: seqs [acked, next_seq) are in flight, next_seq - acked <= window */
    uint64_t next_seq;
    uint64_t acked;
    uint32_t unacked;       /* tx slots holding a message */
    struct phys_txslot *tx; /* txcap slots: seq s in slot s % txcap */
    uint32_t txcap, rxcap;  /* ring sizes: grown by doubling, up to the window, as needed */
    int64_t rto_due_ns;     /* <= every tx due_ns; PG_TIMER_NEVER when unacked == 0 */
    /* receive side: bit i of recv_sack <=> rx slot of recv_next + 1 + i is full */
    uint64_t recv_next;
    uint64_t recv_sack;
    uint32_t buffered;      /* rx slots in use */
    struct phys_rxslot *rx; /* rxcap slots: seq s in slot s % rxcap */
    int64_t ack_due_ns;     /* an ack is owed by then; PG_TIMER_NEVER if none */
    uint32_t rx_unacked;    /* data accepted since our last datagram to the peer */
    int64_t last_sent_ns, last_heard_ns;
};

struct phys_group {
    phys_gid gid;
    uint32_t n;
    pg_node_id *members; /* max_members slots, in the order added */
    phys_entry_fn entry;
    void *entry_ctx;
    phys_monitor_fn monitor;
    void *monitor_ctx;
};

/* "sometimes" situations, traced once per node. */
enum phys_sometimes {
    PHYS_ST_REORDERED = 1u << 0,
    PHYS_ST_RETRANSMIT = 1u << 1,
    PHYS_ST_BACKOFF_CAPPED = 1u << 2,
    PHYS_ST_SACK_RELEASE = 1u << 3,
    PHYS_ST_WINDOW_FULL = 1u << 4,
    PHYS_ST_NESTED_MCAST = 1u << 5,
    PHYS_ST_DUP_ACK = 1u << 6,
};

struct phys {
    const struct env *env;
    pg_node_id self;
    struct phys_config cfg;
    struct phys_stats stats;
    int depth;          /* nesting of public calls; the timer is re-armed at 0 */
    int64_t now_ns;     /* env->now_ns at the outermost call */
    int64_t timer_ns;   /* deadline last given to env->timer_set */
    uint32_t sometimes; /* enum phys_sometimes already traced */
    size_t retained;    /* sum of chans' unacked */
    /* channels: dense [0, n_chans); index: peer -> chan index + 1 (0: empty) */
    struct phys_chan *chans;
    uint32_t n_chans;
    /* deadlines: dl[i] = chan_deadline(chans[i]) for every channel not
     * touched in this input. A channel is touched when looked up or opened;
     * closing one or a timer pass touches all. phys_rearm recomputes only
     * the touched and takes the minimum of dl (max_peers entries each). */
    int64_t *dl;
    uint32_t *touched;
    uint32_t n_touched;
    bool touched_all;
    uint32_t rearms; /* every 64th rearm checks dl against a full recomputation */
    uint32_t *index;
    uint32_t index_mask;
    unsigned index_shift;
    /* groups: dense [0, n_groups) */
    struct phys_group *groups;
    uint32_t n_groups;
    phys_gid *gid_scratch; /* max_groups: groups of a suspected peer */
    /* peers deemed faulty: a ring, the oldest forgotten when full */
    pg_node_id *faulty;
    uint32_t faulty_cap, faulty_n, faulty_head;
    uint8_t scratch[WIRE_MAX_BYTES];
};

/* ---- small helpers ---- */

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static void phys_trace(struct phys *ph, enum env_trace_kind kind, pg_node_id peer, uint32_t group,
                       uint64_t value, const char *detail)
{
    if (!ph->env->trace)
        return;
    struct env_trace ev = {kind, peer, group, value, detail};
    ph->env->trace(ph->env->ctx, &ev);
}

static void phys_sometimes(struct phys *ph, enum phys_sometimes what, const char *detail)
{
    if (ph->sometimes & what)
        return;
    ph->sometimes |= what;
    phys_trace(ph, PG_TR_SOMETIMES, PG_NODE_NONE, 0, 0, detail);
}

void phys_config_default(struct phys_config *cfg)
{
    assert(cfg);
    *cfg = (struct phys_config){
        .heartbeat_period_ns = 100000000,
        .suspect_timeout_ns = 1000000000,
        .rto_initial_ns = 20000000,
        .rto_max_ns = 400000000,
        .ack_delay_ns = 10000000,
        .window = 256,
        .max_peers = 256,
        .max_groups = 64,
        .max_members = 256,
    };
}

/* ---- peer index (linear probing, backward-shift deletion) ---- */

static uint32_t index_home(const struct phys *ph, pg_node_id peer)
{
    return (uint32_t)(peer * 2654435761u) >> ph->index_shift & ph->index_mask;
}

static uint32_t index_slot(const struct phys *ph, pg_node_id peer)
{
    uint32_t i = index_home(ph, peer);
    while (ph->index[i] && ph->chans[ph->index[i] - 1].peer != peer)
        i = (i + 1) & ph->index_mask;
    return i;
}

/* Marks chans[i] for a deadline update at phys_leave (see struct phys). */
static inline void chan_touch(struct phys *ph, uint32_t i)
{
    assert(i < ph->n_chans);
    if (ph->chans[i].touched || ph->touched_all)
        return;
    assert(ph->n_touched < ph->cfg.max_peers);
    ph->chans[i].touched = true;
    ph->touched[ph->n_touched++] = i;
}

/* The channel to `peer`, or NULL; a found channel is touched (the caller may change it). */
static struct phys_chan *chan_find(struct phys *ph, pg_node_id peer)
{
    uint32_t e = ph->index[index_slot(ph, peer)];
    if (!e)
        return NULL;
    chan_touch(ph, e - 1);
    return &ph->chans[e - 1];
}

/* Whether a channel to `peer` exists (a lookup that changes nothing). */
static bool chan_exists(const struct phys *ph, pg_node_id peer)
{
    return ph->index[index_slot(ph, peer)] != 0;
}

static void index_remove(struct phys *ph, pg_node_id peer)
{
    uint32_t i = index_slot(ph, peer);
    assert(ph->index[i]);
    ph->index[i] = 0;
    for (uint32_t j = (i + 1) & ph->index_mask; ph->index[j]; j = (j + 1) & ph->index_mask) {
        uint32_t home = index_home(ph, ph->chans[ph->index[j] - 1].peer);
        /* move entry j back to the hole i unless its home lies cyclically in (i, j] */
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            ph->index[i] = ph->index[j];
            ph->index[j] = 0;
            i = j;
        }
    }
}

/* ---- faulty peers ---- */

bool phys_is_faulty(const struct phys *ph, pg_node_id peer)
{
    for (uint32_t i = 0; i < ph->faulty_n; i++)
        if (ph->faulty[i] == peer)
            return true;
    return false;
}

static void faulty_add(struct phys *ph, pg_node_id peer)
{
    assert(!phys_is_faulty(ph, peer));
    ph->faulty[ph->faulty_head] = peer;
    ph->faulty_head = (ph->faulty_head + 1) % ph->faulty_cap;
    if (ph->faulty_n < ph->faulty_cap)
        ph->faulty_n++;
}

/* ---- life cycle ---- */

static void cfg_assert_valid(const struct phys_config *cfg)
{
    assert(cfg->heartbeat_period_ns > 0);
    assert(cfg->suspect_timeout_ns > 0);
    assert(cfg->rto_initial_ns > 0);
    assert(cfg->rto_max_ns >= cfg->rto_initial_ns);
    assert(cfg->ack_delay_ns > 0);
    assert(cfg->window >= 1);
    assert(cfg->window <= PHYS_MAX_WINDOW);
    assert(cfg->max_peers >= 1);
    assert(cfg->max_peers <= (1u << 20));
    assert(cfg->max_groups >= 1);
    assert(cfg->max_members >= 1);
}

struct phys *phys_new(const struct env *env, pg_node_id self, const struct phys_config *cfg)
{
    assert(env);
    assert(env->now_ns);
    assert(env->timer_set);
    assert(env->send);
    assert(self != PG_NODE_NONE);
    assert(cfg);
    cfg_assert_valid(cfg);
    struct phys *ph = calloc(1, sizeof *ph);
    if (!ph)
        return NULL;
    ph->env = env;
    ph->self = self;
    ph->cfg = *cfg;
    ph->timer_ns = PG_TIMER_NEVER;
    uint32_t size = 2, bits = 1;
    while (size < 2 * cfg->max_peers)
        size <<= 1, bits++;
    ph->index_mask = size - 1;
    ph->index_shift = 32 - bits;
    ph->faulty_cap = 4 * cfg->max_peers;
    ph->chans = calloc(cfg->max_peers, sizeof *ph->chans);
    ph->dl = calloc(cfg->max_peers, sizeof *ph->dl);
    ph->touched = calloc(cfg->max_peers, sizeof *ph->touched);
    ph->index = calloc(size, sizeof *ph->index);
    ph->groups = calloc(cfg->max_groups, sizeof *ph->groups);
    ph->gid_scratch = calloc(cfg->max_groups, sizeof *ph->gid_scratch);
    ph->faulty = calloc(ph->faulty_cap, sizeof *ph->faulty);
    if (!ph->chans || !ph->dl || !ph->touched || !ph->index || !ph->groups || !ph->gid_scratch ||
        !ph->faulty) {
        phys_free(ph);
        return NULL;
    }
    return ph;
}

static void msg_unref(struct phys_msg *m)
{
    assert(m->refs > 0);
    if (--m->refs == 0)
        free(m);
}

/* Releases tx slot `s` of `c` (acked or channel closing). */
static void tx_release(struct phys *ph, struct phys_chan *c, struct phys_txslot *s)
{
    if (!s->msg)
        return;
    msg_unref(s->msg);
    s->msg = NULL;
    assert(c->unacked > 0);
    assert(ph->retained > 0);
    c->unacked--;
    ph->retained--;
}

/* Frees the state of chans[i] and removes it from the table (the last channel
 * moves into its place). */
static void chan_close(struct phys *ph, uint32_t i)
{
    assert(i < ph->n_chans);
    struct phys_chan *c = &ph->chans[i];
    for (uint64_t s = c->acked; s < c->next_seq; s++)
        tx_release(ph, c, &c->tx[s % c->txcap]);
    assert(c->unacked == 0);
    for (uint32_t k = 0; k < c->rxcap; k++)
        free(c->rx[k].buf);
    free(c->tx);
    free(c->rx);
    index_remove(ph, c->peer);
    uint32_t last = --ph->n_chans;
    if (i != last) {
        *c = ph->chans[last];
        ph->index[index_slot(ph, c->peer)] = i + 1;
    }
    memset(&ph->chans[last], 0, sizeof ph->chans[last]);
    ph->touched_all = true; /* a channel moved: every index may have changed */
}

void phys_free(struct phys *ph)
{
    if (!ph)
        return;
    assert(ph->depth == 0);
    while (ph->n_chans > 0)
        chan_close(ph, ph->n_chans - 1);
    assert(ph->retained == 0);
    for (uint32_t g = 0; g < ph->n_groups; g++)
        free(ph->groups[g].members);
    free(ph->chans);
    free(ph->dl);
    free(ph->touched);
    free(ph->index);
    free(ph->groups);
    free(ph->gid_scratch);
    free(ph->faulty);
    free(ph);
}

/* Opens a channel to `peer` (not self, not faulty, none yet). NULL if the
 * table is full or allocation fails. */
static struct phys_chan *chan_open(struct phys *ph, pg_node_id peer)
{
    assert(peer != PG_NODE_NONE);
    assert(peer != ph->self);
    assert(!chan_exists(ph, peer));
    if (ph->n_chans == ph->cfg.max_peers)
        return NULL;
    uint32_t cap = ph->cfg.window < PHYS_RING_MIN ? ph->cfg.window : PHYS_RING_MIN;
    struct phys_txslot *tx = calloc(cap, sizeof *tx);
    struct phys_rxslot *rx = calloc(cap, sizeof *rx);
    if (!tx || !rx) {
        free(tx);
        free(rx);
        return NULL;
    }
    uint32_t i = ph->n_chans++;
    struct phys_chan *c = &ph->chans[i];
    /* A random heartbeat phase per channel: channels opened together (a group
     * created at once) do not all beat in the same instant. */
    uint64_t phase_ns = ph->env->draw_u64(ph->env->ctx) % (uint64_t)ph->cfg.heartbeat_period_ns;
    *c = (struct phys_chan){.peer = peer,
                            .next_seq = 1,
                            .acked = 1,
                            .tx = tx,
                            .txcap = cap,
                            .rxcap = cap,
                            .rto_due_ns = PG_TIMER_NEVER,
                            .recv_next = 1,
                            .rx = rx,
                            .ack_due_ns = PG_TIMER_NEVER,
                            .last_sent_ns = ph->now_ns - (int64_t)phase_ns,
                            .last_heard_ns = ph->now_ns};
    ph->index[index_slot(ph, peer)] = i + 1;
    chan_touch(ph, i);
    return c;
}

/* ---- deadlines and the timer ---- */

/* A channel is monitored (heartbeats, suspicion) while the peer is in one of
 * our groups, watched, or owes us acks. */
static bool chan_monitored(const struct phys_chan *c)
{
    return c->n_groups > 0 || c->watched || c->unacked > 0;
}

static int64_t chan_suspect_due(const struct phys *ph, const struct phys_chan *c)
{
    return chan_monitored(c) ? c->last_heard_ns + ph->cfg.suspect_timeout_ns : PG_TIMER_NEVER;
}

/* Heartbeats go to monitored peers only. A peer that monitors us before we
 * know it as a member gets an ack in answer to each of its heartbeats. */
static int64_t chan_heartbeat_due(const struct phys *ph, const struct phys_chan *c)
{
    return chan_monitored(c) ? c->last_sent_ns + ph->cfg.heartbeat_period_ns : PG_TIMER_NEVER;
}

/* The minimum of the four deadlines above (hot: phys_rearm runs it on every
 * channel after every input, hence monitored is tested once). */
static inline int64_t chan_deadline(const struct phys *ph, const struct phys_chan *c)
{
    assert(c->unacked > 0 || c->rto_due_ns == PG_TIMER_NEVER);
    int64_t d = min64(c->rto_due_ns, c->ack_due_ns);
    if (!chan_monitored(c))
        return d;
    d = min64(d, c->last_sent_ns + ph->cfg.heartbeat_period_ns);
    return min64(d, c->last_heard_ns + ph->cfg.suspect_timeout_ns);
}

static int64_t phys_min_deadline(const struct phys *ph)
{
    int64_t next = PG_TIMER_NEVER;
    for (uint32_t i = 0; i < ph->n_chans; i++)
        next = min64(next, ph->dl[i]);
    return next;
}

/* Brings dl up to date (the touched channels, or all of them) and returns
 * the earliest deadline. timer_ns is the minimum of dl before the update, so
 * the channels are scanned again only when one that held the minimum moved
 * later (or all were touched). */
static int64_t phys_refresh_deadlines(struct phys *ph)
{
    bool scan = ph->touched_all;
    int64_t lowest = PG_TIMER_NEVER;
    for (uint32_t k = 0; !ph->touched_all && k < ph->n_touched; k++) {
        uint32_t i = ph->touched[k];
        assert(i < ph->n_chans);
        assert(ph->chans[i].touched);
        ph->chans[i].touched = false;
        int64_t old = ph->dl[i];
        ph->dl[i] = chan_deadline(ph, &ph->chans[i]);
        lowest = min64(lowest, ph->dl[i]);
        scan |= old == ph->timer_ns && ph->dl[i] > old;
    }
    for (uint32_t i = 0; ph->touched_all && i < ph->n_chans; i++) {
        ph->chans[i].touched = false;
        ph->dl[i] = chan_deadline(ph, &ph->chans[i]);
    }
    ph->n_touched = 0;
    ph->touched_all = false;
    int64_t next = scan ? phys_min_deadline(ph) : min64(ph->timer_ns, lowest);
    if ((++ph->rearms & 63u) == 0) { /* the cache against the truth, now and then */
        for (uint32_t i = 0; i < ph->n_chans; i++) {
            assert(ph->dl[i] == chan_deadline(ph, &ph->chans[i]));
            assert(!ph->chans[i].touched);
        }
        assert(next == phys_min_deadline(ph));
    }
    return next;
}

static void phys_rearm(struct phys *ph)
{
    int64_t next = phys_refresh_deadlines(ph);
    if (next != ph->timer_ns) {
        ph->timer_ns = next;
        ph->env->timer_set(ph->env->ctx, PG_TIMER_PHYS, next);
    }
}

static void phys_enter(struct phys *ph)
{
    if (ph->depth++ == 0) {
        int64_t now = ph->env->now_ns(ph->env->ctx);
        assert(now >= ph->now_ns);
        ph->now_ns = now;
    }
}

static void phys_leave(struct phys *ph)
{
    assert(ph->depth > 0);
    if (--ph->depth == 0)
        phys_rearm(ph);
}

/* ---- sending ---- */

/* Encodes `m` (type and DATA fields set by the caller) for `c`, piggybacking
 * the channel's acks, and sends it. */
static void chan_send(struct phys *ph, struct phys_chan *c, struct wire_msg *m, uint32_t pcrc)
{
    m->from = ph->self;
    m->to = c->peer;
    m->ack_next = c->recv_next;
    m->sack = c->recv_sack;
    size_t n = wire_encode_crc(m, pcrc, ph->scratch, sizeof ph->scratch);
    assert(n == wire_size(m));
    assert(n <= PHYS_MAX_DATAGRAM);
    ph->env->send(ph->env->ctx, c->peer, ph->scratch, n);
    ph->stats.datagrams_sent++;
    ph->stats.header_bytes_sent += n - m->payload_len;
    c->last_sent_ns = ph->now_ns;
    c->ack_due_ns = PG_TIMER_NEVER; /* the ack just went along */
    c->rx_unacked = 0;
}

static void chan_send_control(struct phys *ph, struct phys_chan *c, enum wire_type type)
{
    struct wire_msg m = {.type = type};
    chan_send(ph, c, &m, WIRE_CRC_INIT);
    if (type == WIRE_ACK)
        ph->stats.acks_sent++;
    else
        ph->stats.heartbeats_sent++;
}

static void chan_send_data(struct phys *ph, struct phys_chan *c, uint64_t seq)
{
    const struct phys_msg *pm = c->tx[seq % c->txcap].msg;
    assert(pm);
    assert(seq >= c->acked);
    assert(seq < c->next_seq);
    struct wire_msg m = {.type = WIRE_DATA,
                         .seq = seq,
                         .gid = pm->gid,
                         .payload_len = pm->len,
                         .payload = pm->payload};
    chan_send(ph, c, &m, pm->crc);
}

/* Retransmission timeout after `retx` retransmissions: exponential backoff, capped. */
static int64_t phys_rto(const struct phys *ph, uint32_t retx)
{
    int64_t rto = ph->cfg.rto_initial_ns;
    for (uint32_t i = 0; i < retx && rto < ph->cfg.rto_max_ns; i++)
        rto = rto > ph->cfg.rto_max_ns / 2 ? ph->cfg.rto_max_ns : rto * 2;
    return min64(rto, ph->cfg.rto_max_ns);
}

/* Retransmits every unacked message of `c` whose deadline passed; makes
 * rto_due_ns exact. Timer path only: O(messages in flight). */
static void chan_retransmit(struct phys *ph, struct phys_chan *c)
{
    int64_t next = PG_TIMER_NEVER;
    for (uint64_t s = c->acked; s < c->next_seq; s++) {
        struct phys_txslot *t = &c->tx[s % c->txcap];
        if (!t->msg)
            continue;
        if (t->due_ns <= ph->now_ns) {
            t->retx++;
            int64_t rto = phys_rto(ph, t->retx);
            if (rto == ph->cfg.rto_max_ns)
                phys_sometimes(ph, PHYS_ST_BACKOFF_CAPPED, "phys.backoff_capped");
            t->due_ns = ph->now_ns + rto;
            ph->stats.retransmits++;
            phys_sometimes(ph, PHYS_ST_RETRANSMIT, "phys.retransmit");
            chan_send_data(ph, c, s);
        }
        next = min64(next, t->due_ns);
    }
    c->rto_due_ns = next;
}

/* ---- acks received ---- */

/* Applies the peer's cumulative ack and SACK bitmap to c's send side. Returns
 * false if they acknowledge a seq never sent (the datagram is then dropped). */
static bool chan_take_ack(struct phys *ph, struct phys_chan *c, uint64_t ack_next, uint64_t sack)
{
    uint32_t w = ph->cfg.window;
    if (ack_next > c->next_seq)
        return false;
    for (; c->acked < ack_next; c->acked++)
        tx_release(ph, c, &c->tx[c->acked % c->txcap]);
    uint64_t span = c->next_seq - ack_next; /* seqs ack_next .. next_seq-1 */
    if (span <= 1)
        sack = 0;
    else if (span - 1 < 64)
        sack &= ((uint64_t)1 << (span - 1)) - 1; /* bits beyond next_seq - 1 are bogus */
    while (sack) {
        uint64_t s = ack_next + 1 + (uint64_t)__builtin_ctzll(sack);
        sack &= sack - 1;
        struct phys_txslot *t = &c->tx[s % c->txcap];
        if (s >= c->acked && t->msg) {
            tx_release(ph, c, t);
            phys_sometimes(ph, PHYS_ST_SACK_RELEASE, "phys.sack_release");
        }
    }
    assert(c->acked <= c->next_seq);
    assert(c->next_seq - c->acked <= w);
    assert(c->unacked <= c->next_seq - c->acked);
    if (c->unacked == 0)
        c->rto_due_ns = PG_TIMER_NEVER;
    return true;
}

/* ---- receiving data ---- */

static struct phys_group *group_find(const struct phys *ph, phys_gid gid)
{
    for (uint32_t i = 0; i < ph->n_groups; i++)
        if (ph->groups[i].gid == gid)
            return &ph->groups[i];
    return NULL;
}

/* Hands one message to its group's entry upcall (or drops it: unknown gid). */
static void phys_deliver(struct phys *ph, phys_gid gid, pg_node_id from, const uint8_t *p,
                         size_t len)
{
    const struct phys_group *g = group_find(ph, gid);
    if (!g) {
        ph->stats.misaddressed_dropped++;
        phys_trace(ph, PG_TR_DROPPED, from, gid, 0, "no such group");
        return;
    }
    ph->stats.delivered++;
    phys_entry_fn fn = g->entry;
    void *ctx = g->entry_ctx;
    if (fn)
        fn(ctx, gid, from, p, len);
}

/* Doubles c's receive ring (up to `window` slots) until it holds seq:
 * slots of recv_next .. recv_next + rxcap - 1 move to their new places. */
static bool rx_grow(struct phys_chan *c, uint64_t seq, uint32_t window)
{
    assert(seq > c->recv_next);
    assert(seq - c->recv_next < window);
    uint32_t ncap = c->rxcap;
    while (seq - c->recv_next >= ncap)
        ncap = 2 * ncap < window ? 2 * ncap : window;
    struct phys_rxslot *nrx = calloc(ncap, sizeof *nrx);
    if (!nrx)
        return false;
    for (uint64_t s = c->recv_next; s < c->recv_next + c->rxcap; s++)
        nrx[s % ncap] = c->rx[s % c->rxcap];
    free(c->rx);
    c->rx = nrx;
    c->rxcap = ncap;
    return true;
}

/* Doubles c's send ring (up to `window` slots) when it is full: slots of
 * acked .. next_seq - 1 move to their new places. */
static bool tx_grow(struct phys_chan *c, uint32_t window)
{
    assert(c->next_seq - c->acked == c->txcap);
    assert(c->txcap < window);
    uint32_t ncap = 2 * c->txcap < window ? 2 * c->txcap : window;
    struct phys_txslot *ntx = calloc(ncap, sizeof *ntx);
    if (!ntx)
        return false;
    for (uint64_t s = c->acked; s < c->next_seq; s++)
        ntx[s % ncap] = c->tx[s % c->txcap];
    free(c->tx);
    c->tx = ntx;
    c->txcap = ncap;
    return true;
}

/* Advances recv_next past one seq, keeping the SACK bitmap in step. */
static void chan_advance(struct phys *ph, struct phys_chan *c)
{
    c->recv_next++;
    c->recv_sack >>= 1;
    /* refill the top bit; with nothing buffered the ring is empty and is not touched */
    if (c->rxcap > 64 && c->buffered > 0 && c->rx[(c->recv_next + 64) % c->rxcap].buf)
        c->recv_sack |= (uint64_t)1 << 63;
}

/* A standalone ack is due between ack_delay and 1.25 x ack_delay from now,
 * on the next multiple of ack_delay / 4: the delayed acks of the channels of
 * this node fall due together and leave in one timer wake-up (timer
 * coalescing, as a kernel's delayed-ack timer does), unless data to the peer
 * carries them first (chan_send). The bound keeps an ack ahead of the
 * sender's first retransmission whenever ack_delay x 1.25 + round trip <
 * rto_initial (10 ms x 1.25 + 0.1 ms < 20 ms by default). */
static void chan_ack_owed(struct phys *ph, struct phys_chan *c)
{
    if (c->ack_due_ns != PG_TIMER_NEVER)
        return;
    int64_t d = ph->cfg.ack_delay_ns, g = d / 4 > 0 ? d / 4 : 1;
    c->ack_due_ns = ((ph->now_ns + d) / g + 1) * g;
    assert(c->ack_due_ns > ph->now_ns + d - 1);
    assert(c->ack_due_ns <= ph->now_ns + d + g);
}

/* Data was accepted on c (its receive state already updated): the ack rides
 * on the next datagram to the peer, leaves alone after the ack delay, or
 * leaves now once a quarter of the window is unacknowledged (so that a
 * one-way flow never stalls on a full window waiting for the delay). */
static void chan_ack_data(struct phys *ph, struct phys_chan *c)
{
    uint32_t quarter = ph->cfg.window / 4 > 0 ? ph->cfg.window / 4 : 1;
    if (++c->rx_unacked >= quarter) {
        chan_send_control(ph, c, WIRE_ACK);
        assert(c->rx_unacked == 0 && c->ack_due_ns == PG_TIMER_NEVER);
        return;
    }
    chan_ack_owed(ph, c);
}

/* Delivers the reorder buffer's in-order prefix (none, without touching the
 * ring, when nothing is buffered: the in-order case). */
static void chan_drain(struct phys *ph, struct phys_chan *c)
{
    while (c->buffered > 0) {
        struct phys_rxslot *r = &c->rx[c->recv_next % c->rxcap];
        if (!r->buf)
            return;
        struct phys_rxslot got = *r;
        *r = (struct phys_rxslot){0};
        assert(c->buffered > 0);
        c->buffered--;
        chan_advance(ph, c);
        phys_deliver(ph, got.gid, c->peer, got.buf, got.len);
        free(got.buf);
    }
}

static void chan_buffer(struct phys *ph, struct phys_chan *c, const struct wire_msg *m)
{
    uint64_t off = m->seq - c->recv_next; /* 1 .. window-1 */
    assert(off >= 1);
    assert(off < ph->cfg.window);
    assert(off < c->rxcap);
    struct phys_rxslot *r = &c->rx[m->seq % c->rxcap];
    assert(!r->buf);
    r->buf = malloc(m->payload_len ? m->payload_len : 1);
    if (!r->buf) { /* the sender retransmits */
        phys_trace(ph, PG_TR_DROPPED, c->peer, m->gid, m->seq, "out of memory");
        return;
    }
    if (m->payload_len)
        memcpy(r->buf, m->payload, m->payload_len);
    r->gid = m->gid;
    r->len = m->payload_len;
    c->buffered++;
    if (off <= 64)
        c->recv_sack |= (uint64_t)1 << (off - 1);
    phys_sometimes(ph, PHYS_ST_REORDERED, "phys.reordered");
}

static void chan_recv_data(struct phys *ph, struct phys_chan *c, const struct wire_msg *m)
{
    uint32_t w = ph->cfg.window;
    if (m->seq >= c->recv_next && m->seq - c->recv_next >= w) {
        ph->stats.out_of_window_dropped++;
        phys_trace(ph, PG_TR_DROPPED, c->peer, m->gid, m->seq, "out of window");
        return;
    }
    if (m->seq > c->recv_next && m->seq - c->recv_next >= c->rxcap && !rx_grow(c, m->seq, w)) {
        phys_trace(ph, PG_TR_DROPPED, c->peer, m->gid, m->seq, "out of memory");
        return; /* the sender retransmits */
    }
    if (m->seq < c->recv_next || (c->buffered > 0 && c->rx[m->seq % c->rxcap].buf)) {
        ph->stats.duplicates_dropped++;
        if (c->ack_due_ns != PG_TIMER_NEVER || c->last_sent_ns < ph->now_ns) {
            phys_sometimes(ph, PHYS_ST_DUP_ACK, "phys.dup_ack");
            chan_send_control(ph, c, WIRE_ACK); /* our ack may have been lost */
        }
        return;
    }
    if (m->seq != c->recv_next) {
        chan_buffer(ph, c, m);
        chan_ack_data(ph, c);
        return;
    }
    chan_advance(ph, c); /* state first: the upcall may send on this channel */
    chan_ack_data(ph, c);
    phys_deliver(ph, m->gid, c->peer, m->payload, m->payload_len);
    chan_drain(ph, c);
    assert(c->buffered <= w - 1);
}

/* ---- input: datagram ---- */

static void phys_garbled(struct phys *ph, pg_node_id from, const char *why)
{
    ph->stats.garbled_dropped++;
    phys_trace(ph, PG_TR_GARBLED, from, 0, 0, why);
}

static void phys_dropped(struct phys *ph, uint64_t *counter, pg_node_id from, const char *why)
{
    (*counter)++;
    phys_trace(ph, PG_TR_DROPPED, from, 0, 0, why);
}

/* The channel a valid datagram from `from` belongs to, opened on demand; NULL
 * (counted) if the peer is faulty or the table is full. */
static struct phys_chan *phys_recv_chan(struct phys *ph, pg_node_id from)
{
    struct phys_chan *c = chan_find(ph, from);
    if (c && !c->faulty)
        return c;
    if (c || phys_is_faulty(ph, from)) {
        phys_dropped(ph, &ph->stats.from_faulty_dropped, from, "from faulty peer");
        return NULL;
    }
    c = chan_open(ph, from);
    if (!c)
        phys_dropped(ph, &ph->stats.no_channel_dropped, from, "channel table full");
    return c;
}

static void phys_recv(struct phys *ph, pg_node_id from, const uint8_t *buf, size_t len)
{
    struct wire_msg m;
    const char *why = NULL;
    if (wire_decode(buf, len, &m, &why) != PG_OK) {
        phys_garbled(ph, from, why);
        return;
    }
    assert(why == NULL);
    assert(m.from != PG_NODE_NONE);
    if (m.from != from) {
        phys_garbled(ph, from, "sender mismatch");
        return;
    }
    if (m.to != ph->self || from == ph->self) {
        phys_dropped(ph, &ph->stats.misaddressed_dropped, from, "misaddressed");
        return;
    }
    struct phys_chan *c = phys_recv_chan(ph, from);
    if (!c)
        return;
    if (!chan_take_ack(ph, c, m.ack_next, m.sack)) {
        phys_garbled(ph, from, "ack beyond sent");
        return;
    }
    c->last_heard_ns = ph->now_ns;
    switch (m.type) {
    case WIRE_DATA:
        chan_recv_data(ph, c, &m);
        break;
    case WIRE_HEARTBEAT:
        if (!chan_monitored(c)) /* we send it no heartbeats: answer this one */
            chan_ack_owed(ph, c);
        break;
    case WIRE_ACK:
        break;
    default:
        phys_garbled(ph, from, "unhandled type");
        break;
    }
}

void phys_on_datagram(struct phys *ph, pg_node_id from, const uint8_t *buf, size_t len)
{
    assert(ph);
    assert(ph->depth == 0);
    assert((buf || len == 0));
    phys_enter(ph);
    ph->stats.datagrams_recv++;
    phys_recv(ph, from, buf, len);
    phys_leave(ph);
}

/* ---- input: timer ---- */

static bool group_has(const struct phys_group *g, pg_node_id pid)
{
    for (uint32_t i = 0; i < g->n; i++)
        if (g->members[i] == pid)
            return true;
    return false;
}

/* Removes `pid` from g (order kept). Precondition: a member. */
static void group_remove(struct phys *ph, struct phys_group *g, pg_node_id pid)
{
    uint32_t i = 0;
    while (i < g->n && g->members[i] != pid)
        i++;
    assert(i < g->n);
    memmove(&g->members[i], &g->members[i + 1], (g->n - i - 1) * sizeof *g->members);
    g->n--;
    if (pid != ph->self) {
        struct phys_chan *c = chan_find(ph, pid);
        assert(c);
        assert(c->n_groups > 0);
        c->n_groups--;
    }
}

/* Deems chans[i] faulty: monitor upcalls (every deliverable message from it
 * was already delivered: the reorder buffer holds only what follows a gap),
 * then removal from every group and closing of the channel. Section 5. */
static void chan_suspect(struct phys *ph, uint32_t i)
{
    struct phys_chan *c = &ph->chans[i];
    pg_node_id peer = c->peer;
    assert(!c->faulty);
    assert(!c->rx[c->recv_next % c->rxcap].buf);
    c->faulty = true;
    faulty_add(ph, peer);
    ph->stats.suspicions++;
    phys_trace(ph, PG_TR_SUSPECT, peer, 0, (uint64_t)(ph->now_ns - c->last_heard_ns), NULL);
    uint32_t k = 0;
    for (uint32_t g = 0; g < ph->n_groups; g++)
        if (group_has(&ph->groups[g], peer))
            ph->gid_scratch[k++] = ph->groups[g].gid;
    for (uint32_t j = 0; j < k; j++) { /* upcalls may change the groups */
        const struct phys_group *g = group_find(ph, ph->gid_scratch[j]);
        if (g && g->monitor && group_has(g, peer))
            g->monitor(g->monitor_ctx, g->gid, peer);
    }
    for (uint32_t g = 0; g < ph->n_groups; g++)
        if (group_has(&ph->groups[g], peer))
            group_remove(ph, &ph->groups[g], peer);
    c = chan_find(ph, peer); /* upcalls may have opened channels, not moved this one */
    assert(c == &ph->chans[i]);
    assert(c->n_groups == 0);
    chan_close(ph, i);
}

/* Handles everything due at now on chans[i]. Returns false if it was closed. */
static bool chan_on_timer(struct phys *ph, uint32_t i)
{
    struct phys_chan *c = &ph->chans[i];
    int64_t now = ph->now_ns;
    if (chan_suspect_due(ph, c) <= now) {
        chan_suspect(ph, i);
        return false;
    }
    if (c->rto_due_ns <= now)
        chan_retransmit(ph, c);
    if (c->ack_due_ns <= now)
        chan_send_control(ph, c, WIRE_ACK);
    if (chan_heartbeat_due(ph, c) <= now)
        chan_send_control(ph, c, WIRE_HEARTBEAT);
    assert(chan_deadline(ph, c) > now);
    return true;
}

void phys_on_timer(struct phys *ph)
{
    assert(ph);
    assert(ph->depth == 0);
    phys_enter(ph);
    ph->timer_ns = PG_TIMER_NEVER; /* it fired: the env slot is disarmed */
    ph->touched_all = true;
    for (uint32_t i = 0; i < ph->n_chans;)
        if (chan_on_timer(ph, i))
            i++; /* else the last channel moved into i: visit it */
    phys_leave(ph);
}

/* ---- Table 2 calls ---- */

/* Checks that `pid` may become a member: a valid id, not deemed faulty. */
static int phys_check_member(const struct phys *ph, pg_node_id pid)
{
    if (pid == PG_NODE_NONE)
        return PG_E_INVAL;
    if (phys_is_faulty(ph, pid))
        return PG_E_SUSPECTED;
    return PG_OK;
}

static int phys_create_check(const struct phys *ph, phys_gid gid, const pg_node_id *members,
                             size_t n)
{
    if (gid == 0 || n > ph->cfg.max_members || (n > 0 && !members))
        return PG_E_INVAL;
    uint32_t need = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = phys_check_member(ph, members[i]);
        if (rc != PG_OK)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (members[j] == members[i])
                return PG_E_INVAL;
        need += members[i] != ph->self && !chan_exists(ph, members[i]);
    }
    if (group_find(ph, gid))
        return PG_E_EXISTS;
    if (ph->n_groups == ph->cfg.max_groups || need > ph->cfg.max_peers - ph->n_chans)
        return PG_E_FULL;
    return PG_OK;
}

/* Adds pid to g, opening its channel if needed. PG_E_FULL if that fails. */
static int group_append(struct phys *ph, struct phys_group *g, pg_node_id pid)
{
    assert(g->n < ph->cfg.max_members);
    assert(!group_has(g, pid));
    if (pid != ph->self) {
        struct phys_chan *c = chan_find(ph, pid);
        if (!c)
            c = chan_open(ph, pid);
        if (!c)
            return PG_E_FULL;
        c->n_groups++;
    }
    g->members[g->n++] = pid;
    return PG_OK;
}

int phys_create(struct phys *ph, phys_gid gid, const pg_node_id *members, size_t n)
{
    assert(ph);
    int rc = phys_create_check(ph, gid, members, n);
    if (rc != PG_OK)
        return rc;
    pg_node_id *slots = calloc(ph->cfg.max_members, sizeof *slots);
    if (!slots)
        return PG_E_FULL;
    phys_enter(ph);
    struct phys_group *g = &ph->groups[ph->n_groups++];
    *g = (struct phys_group){.gid = gid, .members = slots};
    for (size_t i = 0; i < n && rc == PG_OK; i++)
        rc = group_append(ph, g, members[i]);
    if (rc != PG_OK) /* allocation failed midway: undo */
        phys_destroy(ph, gid);
    phys_leave(ph);
    return rc;
}

int phys_destroy(struct phys *ph, phys_gid gid)
{
    assert(ph);
    struct phys_group *g = group_find(ph, gid);
    if (!g)
        return PG_E_NOGROUP;
    phys_enter(ph);
    while (g->n > 0)
        group_remove(ph, g, g->members[g->n - 1]);
    free(g->members);
    *g = ph->groups[--ph->n_groups];
    memset(&ph->groups[ph->n_groups], 0, sizeof ph->groups[0]);
    phys_leave(ph);
    return PG_OK;
}

int phys_add(struct phys *ph, phys_gid gid, pg_node_id pid)
{
    assert(ph);
    struct phys_group *g = group_find(ph, gid);
    if (!g)
        return PG_E_NOGROUP;
    int rc = phys_check_member(ph, pid);
    if (rc != PG_OK)
        return rc;
    if (group_has(g, pid))
        return PG_E_EXISTS;
    if (g->n == ph->cfg.max_members)
        return PG_E_FULL;
    phys_enter(ph);
    rc = group_append(ph, g, pid);
    phys_leave(ph);
    return rc;
}

int phys_del(struct phys *ph, phys_gid gid, pg_node_id pid)
{
    assert(ph);
    struct phys_group *g = group_find(ph, gid);
    if (!g)
        return PG_E_NOGROUP;
    if (!group_has(g, pid))
        return PG_E_NOTMEMBER;
    phys_enter(ph);
    group_remove(ph, g, pid); /* unacked messages to pid are still retransmitted */
    phys_leave(ph);
    return PG_OK;
}

int phys_monitor(struct phys *ph, phys_gid gid, phys_monitor_fn fn, void *ctx)
{
    assert(ph);
    struct phys_group *g = group_find(ph, gid);
    if (!g)
        return PG_E_NOGROUP;
    g->monitor = fn;
    g->monitor_ctx = ctx;
    return PG_OK;
}

int phys_entry(struct phys *ph, phys_gid gid, phys_entry_fn fn, void *ctx)
{
    assert(ph);
    struct phys_group *g = group_find(ph, gid);
    if (!g)
        return PG_E_NOGROUP;
    g->entry = fn;
    g->entry_ctx = ctx;
    return PG_OK;
}

int phys_watch(struct phys *ph, pg_node_id peer)
{
    assert(ph);
    if (peer == PG_NODE_NONE || peer == ph->self)
        return PG_E_INVAL;
    if (phys_is_faulty(ph, peer))
        return PG_E_SUSPECTED;
    phys_enter(ph);
    struct phys_chan *c = chan_find(ph, peer);
    if (!c)
        c = chan_open(ph, peer);
    if (c)
        c->watched = true;
    phys_leave(ph);
    return c ? PG_OK : PG_E_FULL;
}

int phys_unwatch(struct phys *ph, pg_node_id peer)
{
    assert(ph);
    struct phys_chan *c = chan_find(ph, peer);
    if (!c || !c->watched)
        return PG_E_INVAL;
    phys_enter(ph);
    c->watched = false;
    phys_leave(ph);
    return PG_OK;
}

/* ---- multicast ---- */

/* Admission: PG_E_FULL if any live member's window is full. Counts the peers. */
static int mcast_admit(struct phys *ph, const struct phys_group *g, uint32_t *peers)
{
    *peers = 0;
    for (uint32_t i = 0; i < g->n; i++) {
        if (g->members[i] == ph->self)
            continue;
        struct phys_chan *c = chan_find(ph, g->members[i]);
        assert(c);
        assert(c->n_groups > 0);
        if (c->faulty)
            continue;
        if (c->next_seq - c->acked >= ph->cfg.window)
            return PG_E_FULL;
        if (c->next_seq - c->acked == c->txcap && !tx_grow(c, ph->cfg.window))
            return PG_E_FULL; /* out of memory: as good as a full window */
        (*peers)++;
    }
    return PG_OK;
}

/* A message to send on `refs` channels, with its payload CRC; NULL if out of memory. */
static struct phys_msg *msg_new(phys_gid gid, const uint8_t *payload, size_t len, uint32_t refs)
{
    struct phys_msg *pm = malloc(sizeof *pm + len);
    if (!pm)
        return NULL;
    *pm = (struct phys_msg){.refs = refs, .len = (uint32_t)len, .gid = gid};
    if (len)
        memcpy(pm->payload, payload, len);
    pm->crc = wire_payload_crc(pm->payload, len);
    return pm;
}

/* Queues and sends `pm` on channel c (takes one reference). Precondition:
 * the window has room. */
static void chan_queue(struct phys *ph, struct phys_chan *c, struct phys_msg *pm)
{
    assert(c->next_seq - c->acked < c->txcap);
    assert(c->txcap <= ph->cfg.window);
    uint64_t seq = c->next_seq++;
    struct phys_txslot *t = &c->tx[seq % c->txcap];
    assert(!t->msg);
    *t = (struct phys_txslot){.msg = pm, .due_ns = ph->now_ns + ph->cfg.rto_initial_ns};
    c->unacked++;
    ph->retained++;
    c->rto_due_ns = min64(c->rto_due_ns, t->due_ns);
    ph->stats.data_sent++;
    chan_send_data(ph, c, seq);
}

/* Queues and sends message `pm` on every live member's channel. */
static void mcast_send(struct phys *ph, const struct phys_group *g, struct phys_msg *pm)
{
    for (uint32_t i = 0; i < g->n; i++) {
        struct phys_chan *c = g->members[i] == ph->self ? NULL : chan_find(ph, g->members[i]);
        if (!c || c->faulty)
            continue;
        chan_queue(ph, c, pm);
    }
}

int phys_mcast(struct phys *ph, phys_gid gid, const uint8_t *payload, size_t len)
{
    assert(ph);
    assert((payload || len == 0));
    const struct phys_group *g = group_find(ph, gid);
    if (!g)
        return PG_E_NOGROUP;
    if (len > PHYS_MAX_PAYLOAD)
        return PG_E_TOOBIG;
    if (!group_has(g, ph->self))
        return PG_E_NOTMEMBER;
    uint32_t peers;
    if (mcast_admit(ph, g, &peers) != PG_OK) {
        phys_sometimes(ph, PHYS_ST_WINDOW_FULL, "phys.window_full");
        return PG_E_FULL;
    }
    struct phys_msg *pm = NULL;
    if (peers > 0 && !(pm = msg_new(gid, payload, len, peers)))
        return PG_E_FULL;
    phys_enter(ph);
    if (ph->depth > 1)
        phys_sometimes(ph, PHYS_ST_NESTED_MCAST, "phys.nested_mcast");
    if (pm)
        mcast_send(ph, g, pm); /* takes the `peers` references */
    phys_deliver(ph, gid, ph->self, payload, len);
    phys_leave(ph);
    return PG_OK;
}

int phys_send(struct phys *ph, phys_gid gid, pg_node_id to, const uint8_t *payload, size_t len)
{
    assert(ph);
    assert((payload || len == 0));
    const struct phys_group *g = group_find(ph, gid);
    if (!g)
        return PG_E_NOGROUP;
    if (to == ph->self)
        return PG_E_INVAL;
    if (len > PHYS_MAX_PAYLOAD)
        return PG_E_TOOBIG;
    if (!group_has(g, ph->self))
        return PG_E_NOTMEMBER;
    if (to == PG_NODE_NONE)
        return PG_E_INVAL;
    if (phys_is_faulty(ph, to))
        return PG_E_SUSPECTED;
    struct phys_chan *c = chan_find(ph, to);
    assert(!c || !group_has(g, to) || c->n_groups > 0);
    if (!c && !(c = chan_open(ph, to))) /* `to` left the group: a channel of its own */
        return PG_E_FULL;
    if (c->faulty)
        return PG_E_SUSPECTED;
    if (c->next_seq - c->acked >= ph->cfg.window ||
        (c->next_seq - c->acked == c->txcap && !tx_grow(c, ph->cfg.window))) {
        phys_sometimes(ph, PHYS_ST_WINDOW_FULL, "phys.window_full");
        return PG_E_FULL;
    }
    struct phys_msg *pm = msg_new(gid, payload, len, 1);
    if (!pm)
        return PG_E_FULL;
    phys_enter(ph);
    chan_queue(ph, c, pm);
    phys_leave(ph);
    return PG_OK;
}

/* ---- queries ---- */

const struct phys_stats *phys_stats(const struct phys *ph)
{
    assert(ph);
    return &ph->stats;
}

size_t phys_retained(const struct phys *ph)
{
    assert(ph);
    assert(ph->retained <= (size_t)ph->cfg.window * ph->n_chans);
    return ph->retained;
}

int phys_members(const struct phys *ph, phys_gid gid, const pg_node_id **members)
{
    assert(ph);
    assert(members);
    const struct phys_group *g = group_find(ph, gid);
    if (!g)
        return PG_E_NOGROUP;
    *members = g->members;
    return (int)g->n;
}
