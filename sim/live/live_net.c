/* sim/live/live_net.c: the datagram layer of one live process. See live_net.h. */
#define _GNU_SOURCE
#include "live_net.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dheap.h"
#include "le.h"

#define LN_BATCH     64u         /* datagrams per sendmmsg / recvmmsg */
#define LN_ARENA_MAX (64u << 20) /* bytes one input may queue */

struct ln_out {
    uint32_t to_proc;
    uint32_t len; /* header included */
    size_t at;    /* offset in the arena */
};

/* A datagram held back by delay (key.t_ns: its release; ties: arrival order). */
struct ln_held {
    struct dheap_key key;
    pg_node_id from, to;
    uint64_t lamport;
    uint32_t len;
    uint8_t *buf;
};

struct live_net {
    int fd;
    const struct scn *scn;
    const struct sockaddr_in *addrs;
    struct sim_totals *tot;
    struct live_net_stats st;
    struct sim_faults faults;
    struct ln_out *outq;
    uint32_t n_out;
    uint8_t *arena;
    size_t arena_len, arena_cap;
    struct dheap held;             /* of struct ln_held */
    uint8_t (*rx)[LIVE_DGRAM_MAX]; /* LN_BATCH receive buffers */
};

struct live_net *live_net_new(int fd, const struct scn *s, const struct sockaddr_in *addrs,
                              struct sim_totals *tot)
{
    struct live_net *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    *n = (struct live_net){.fd = fd, .scn = s, .addrs = addrs, .tot = tot};
    sim_faults_init(&n->faults, s->n_procs);
    n->outq = malloc(LIVE_OUTQ_MAX * sizeof *n->outq);
    bool held_ok = dheap_init(&n->held, sizeof(struct ln_held), LIVE_DELAYQ_MAX);
    n->rx = malloc(LN_BATCH * sizeof *n->rx);
    n->arena_cap = 1 << 16;
    n->arena = malloc(n->arena_cap);
    if (!n->outq || !held_ok || !n->rx || !n->arena) {
        live_net_free(n);
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    return n;
}

void live_net_free(struct live_net *n)
{
    if (!n)
        return;
    for (size_t i = 0; n->held.items && i < dheap_len(&n->held); i++)
        free(((struct ln_held *)dheap_at(&n->held, i))->buf);
    sim_faults_free(&n->faults);
    free(n->outq);
    dheap_free(&n->held);
    free(n->rx);
    free(n->arena);
    free(n);
}

int live_net_fd(const struct live_net *n)
{
    return n->fd;
}

struct sim_faults *live_net_faults(struct live_net *n)
{
    return &n->faults;
}

const struct live_net_stats *live_net_stats(const struct live_net *n)
{
    return &n->st;
}

/* ---- sending ---- */

/* Queues one copy (header and bytes, then the copy's garbling). */
static void ln_queue(struct live_net *n, pg_node_id from, pg_node_id to, uint32_t to_proc,
                     const uint8_t *buf, size_t len, const struct nm_copy *c)
{
    size_t total = LIVE_HDR_B + len;
    if (n->n_out == LIVE_OUTQ_MAX || n->arena_len + total > LN_ARENA_MAX) {
        n->st.outq_full++;
        return;
    }
    if (n->arena_len + total > n->arena_cap) {
        size_t cap = n->arena_cap;
        while (cap < n->arena_len + total)
            cap *= 2;
        uint8_t *a = realloc(n->arena, cap);
        assert(a);
        n->arena = a;
        n->arena_cap = cap;
    }
    uint8_t *p = n->arena + n->arena_len;
    le_put32(p, LIVE_MAGIC);
    le_put32(p + 4, from);
    le_put32(p + 8, to);
    le_put32(p + 12, 0);
    le_put64(p + 16, (uint64_t)c->extra_delay_ns);
    le_put64(p + 24, 0); /* the Lamport clock: at live_net_flush */
    memcpy(p + LIVE_HDR_B, buf, len);
    nm_garble(c, p + LIVE_HDR_B, len);
    n->tot->garbled_injected += c->garbled;
    n->tot->delayed += c->extra_delay_ns > 0;
    n->outq[n->n_out++] =
        (struct ln_out){.to_proc = to_proc, .len = (uint32_t)total, .at = n->arena_len};
    n->arena_len += total;
}

/* One copy (nm_route's put). */
struct ln_send {
    struct live_net *n;
    pg_node_id from, to;
    uint32_t to_proc;
    const uint8_t *buf;
    size_t len;
};

static void ln_put(void *ctx, const struct nm_copy *c)
{
    const struct ln_send *ls = ctx;
    ln_queue(ls->n, ls->from, ls->to, ls->to_proc, ls->buf, ls->len, c);
}

/* The filter: netmodel.h, as in the simulator (world.c env_send). */
void live_net_send(struct live_net *n, uint64_t *rng, pg_node_id from, pg_node_id to,
                   uint32_t from_proc, uint32_t to_proc, bool to_alive, const uint8_t *buf,
                   size_t len)
{
    assert(len <= PHYS_MAX_DATAGRAM && to_proc < n->scn->n_procs);
    n->tot->datagrams++;
    struct ln_send ls = {
        .n = n, .from = from, .to = to, .to_proc = to_proc, .buf = buf, .len = len};
    switch (nm_route(&n->faults.net, rng, from_proc, to_proc, to_alive, len, ln_put, &ls)) {
    case NM_DEAD:
        n->tot->drop_dead++;
        break;
    case NM_CUT:
        n->tot->drop_partition++;
        break;
    case NM_LOST:
        n->tot->drop_loss++;
        break;
    case NM_TWICE:
        n->tot->duplicated++;
        break;
    case NM_ONCE:
        break;
    }
}

void live_net_flush(struct live_net *n, uint64_t lamport)
{
    struct mmsghdr msgs[LN_BATCH];
    struct iovec iov[LN_BATCH];
    for (uint32_t i = 0; i < n->n_out; i += LN_BATCH) {
        uint32_t k = n->n_out - i < LN_BATCH ? n->n_out - i : LN_BATCH;
        for (uint32_t j = 0; j < k; j++) {
            const struct ln_out *o = &n->outq[i + j];
            le_put64(n->arena + o->at + 24, lamport);
            iov[j] = (struct iovec){.iov_base = n->arena + o->at, .iov_len = o->len};
            msgs[j] = (struct mmsghdr){.msg_hdr = {.msg_name = (void *)&n->addrs[o->to_proc],
                                                   .msg_namelen = sizeof n->addrs[o->to_proc],
                                                   .msg_iov = &iov[j],
                                                   .msg_iovlen = 1}};
        }
        for (uint32_t sent = 0; sent < k;) {
            int r = sendmmsg(n->fd, msgs + sent, k - sent, 0);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) { /* the first of the rest was refused: count it, go on */
                n->st.send_errors++;
                sent++;
                continue;
            }
            sent += (uint32_t)r;
        }
    }
    n->n_out = 0;
    n->arena_len = 0;
}

/* ---- held back by delay: dheap.h on (release, arrival order) ---- */

static void ln_hold(struct live_net *n, struct ln_held *h)
{
    if (!dheap_push(&n->held, h)) { /* bounded: beyond it the network loses it */
        n->tot->drop_loss++;
        free(h->buf);
    }
}

int64_t live_net_next_release(const struct live_net *n)
{
    const struct dheap_key *top = dheap_top(&n->held);
    return top ? top->t_ns : PG_TIMER_NEVER;
}

void live_net_release(struct live_net *n, pg_node_id self, int64_t now_ns,
                      void (*fn)(void *ctx, const struct live_dgram_in *d), void *ctx)
{
    while (dheap_top(&n->held) && dheap_top(&n->held)->t_ns <= now_ns) {
        struct ln_held h;
        dheap_pop(&n->held, &h);
        if (h.to == self) {
            struct live_dgram_in d = {
                .from = h.from, .lamport = h.lamport, .buf = h.buf, .len = h.len};
            fn(ctx, &d);
        } else {
            n->st.stale++;
            n->tot->drop_dead++;
        }
        free(h.buf);
    }
}

/* ---- receiving ---- */

/* One datagram off the socket: checked, then handed over or held back. */
static void ln_arrived(struct live_net *n, const uint8_t *p, size_t len, pg_node_id self,
                       int64_t now_ns, void (*fn)(void *, const struct live_dgram_in *), void *ctx)
{
    if (len < LIVE_HDR_B || le_get32(p) != LIVE_MAGIC || le_get32(p + 4) == PG_NODE_NONE) {
        n->st.malformed++;
        return;
    }
    pg_node_id to = le_get32(p + 8);
    uint64_t delay = le_get64(p + 16);
    struct live_dgram_in d = {.from = le_get32(p + 4),
                              .lamport = le_get64(p + 24),
                              .buf = p + LIVE_HDR_B,
                              .len = len - LIVE_HDR_B};
    if (to != self || self == PG_NODE_NONE) {
        n->st.stale++;
        n->tot->drop_dead++;
        return;
    }
    if (delay == 0 || delay > (uint64_t)INT64_MAX / 2) {
        fn(ctx, &d);
        return;
    }
    struct ln_held h = {.key = {.t_ns = now_ns + (int64_t)delay},
                        .from = d.from,
                        .to = to,
                        .lamport = d.lamport,
                        .len = (uint32_t)d.len,
                        .buf = malloc(d.len + 1)};
    assert(h.buf);
    memcpy(h.buf, d.buf, d.len);
    ln_hold(n, &h);
}

uint32_t live_net_receive(struct live_net *n, pg_node_id self, int64_t (*now)(void *ctx),
                          void (*fn)(void *ctx, const struct live_dgram_in *d), void *ctx)
{
    struct mmsghdr msgs[LN_BATCH];
    struct iovec iov[LN_BATCH];
    uint32_t total = 0;
    while (total < LIVE_RECV_MAX) {
        for (uint32_t j = 0; j < LN_BATCH; j++) {
            iov[j] = (struct iovec){.iov_base = n->rx[j], .iov_len = LIVE_DGRAM_MAX};
            msgs[j] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[j], .msg_iovlen = 1}};
        }
        int r = recvmmsg(n->fd, msgs, LN_BATCH, MSG_DONTWAIT, NULL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return total;
        int64_t now_ns = now(ctx); /* after they arrived */
        for (int j = 0; j < r; j++)
            ln_arrived(n, n->rx[j], msgs[j].msg_len, self, now_ns, fn, ctx);
        total += (uint32_t)r;
        if ((uint32_t)r < LN_BATCH)
            return total;
    }
    return total;
}
