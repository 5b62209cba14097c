/* tests/fuzz/fuzz_pg.c: libFuzzer target for the process-group layer.
 *
 * Part 1: pg_decode of the whole input; a message that decodes is encoded
 * again and must decode to the same fields (encode/decode in pairs).
 * Part 2: the input, cut into chunks, is multicast by a raw phys peer (node 2)
 * into a group whose other member (node 1) runs pg over a lossless in-memory
 * network; pg must drop what is malformed and keep its invariants (asserts).
 * Every second chunk goes instead to node 1's client channels (phys gid |
 * PG_CL_PHYS_BIT: the messages of clients, pg_client.c). A one-byte chunk
 * 0xFF (0xFE, 0xFD) makes node 1 cbcast (abcast, pg_diffuse) and tick.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "phys.h"
#include "rng.h"

#define FZ_GID  5u
#define FZ_QMAX 4096u

struct fz_dgram {
    pg_node_id from, to;
    uint32_t len;
    uint8_t buf[PHYS_MAX_DATAGRAM];
};

struct fz_net {
    struct fz_dgram *q;
    uint32_t head, count;
    int64_t now;
    uint64_t rng;
};

struct fz_node {
    struct fz_net *net;
    pg_node_id self;
    struct env env;
};

static int64_t fz_now(void *ctx)
{
    return ((struct fz_node *)ctx)->net->now;
}

static void fz_timer(void *ctx, unsigned slot, int64_t deadline)
{
    (void)ctx;
    (void)slot;
    (void)deadline;
}

static void fz_send(void *ctx, pg_node_id to, const uint8_t *buf, size_t len)
{
    struct fz_node *n = ctx;
    struct fz_net *net = n->net;
    if (net->count == FZ_QMAX || len > PHYS_MAX_DATAGRAM || (to != 1 && to != 2))
        return;
    struct fz_dgram *d = &net->q[(net->head + net->count++) % FZ_QMAX];
    d->from = n->self;
    d->to = to;
    d->len = (uint32_t)len;
    memcpy(d->buf, buf, len);
}

static uint64_t fz_random(void *ctx)
{
    struct fz_net *net = ((struct fz_node *)ctx)->net;
    return sim_rng_next(&net->rng);
}

static void check_roundtrip(const uint8_t *data, size_t size)
{
    struct pg_wmsg a, b;
    if (pg_decode(data, size, &a) != PG_OK)
        return;
    static uint8_t buf[PHYS_MAX_PAYLOAD * 2];
    size_t n = pg_encode(&a, buf, sizeof buf);
    assert(n > 0);
    assert(pg_decode(buf, n, &b) == PG_OK);
    assert(a.type == b.type && a.view_id == b.view_id && a.rank == b.rank);
    assert(a.attempt == b.attempt && a.n_vt == b.n_vt && pg_rs_eq(a.mask, b.mask));
    assert(a.n_members == b.n_members && a.n_clients == b.n_clients && a.len == b.len);
    assert(!memcmp(a.vt, b.vt, a.n_vt * sizeof a.vt[0]));
    assert(!memcmp(a.members, b.members, a.n_members * sizeof a.members[0]));
    assert(a.len == 0 || !memcmp(a.payload, b.payload, a.len));
    assert(a.ab == b.ab && a.token_to == b.token_to && a.ord_start == b.ord_start);
    assert(a.safe_pos == b.safe_pos);
    assert(a.n_ord == b.n_ord && !memcmp(a.ord_rank, b.ord_rank, a.n_ord));
    assert(!memcmp(a.ord_seq, b.ord_seq, a.n_ord * sizeof a.ord_seq[0]));
    assert(a.st_status == b.st_status && a.st_total == b.st_total && a.st_off == b.st_off);
    assert(!memcmp(a.clients, b.clients, a.n_clients * sizeof a.clients[0]));
    assert(a.cflags == b.cflags && a.cseq == b.cseq && a.vmin == b.vmin && a.dview == b.dview);
    assert(a.pid == b.pid && a.op == b.op && a.full == b.full && a.n_old == b.n_old);
}

static void pump(struct fz_net *net, struct phys *ph1, struct phys *ph2)
{
    for (int guard = 0; net->count && guard < 100000; guard++) {
        struct fz_dgram *d = &net->q[net->head];
        net->head = (net->head + 1) % FZ_QMAX;
        net->count--;
        net->now += 1000;
        static struct fz_dgram copy;
        copy = *d;
        phys_on_datagram(copy.to == 1 ? ph1 : ph2, copy.from, copy.buf, copy.len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_roundtrip(data, size);

    struct fz_net net = {.now = 1, .rng = 1};
    net.q = malloc(FZ_QMAX * sizeof *net.q);
    struct fz_node n1 = {.net = &net, .self = 1}, n2 = {.net = &net, .self = 2};
    struct env e = {
        .now_ns = fz_now, .timer_set = fz_timer, .send = fz_send, .draw_u64 = fz_random};
    n1.env = e;
    n1.env.ctx = &n1;
    n2.env = e;
    n2.env.ctx = &n2;
    struct phys_config pc;
    phys_config_default(&pc);
    struct pg_config cfg;
    pg_config_default(&cfg);
    cfg.max_msgs = 64;
    struct phys *ph1 = phys_new(&n1.env, 1, &pc), *ph2 = phys_new(&n2.env, 2, &pc);
    struct pg *pg = pg_new(&n1.env, ph1, 1, &cfg);
    pg_node_id ids[2] = {1, 2};
    assert(pg && pg_create(pg, FZ_GID, ids, 2) == PG_OK);
    assert(phys_create(ph2, FZ_GID, ids, 2) == PG_OK);
    assert(phys_create(ph2, FZ_GID | PG_CL_PHYS_BIT, ids, 2) == PG_OK);
    /* chunks: one length byte, then that many bytes */
    size_t at = 0;
    for (int k = 0; k < 64 && at < size; k++) {
        size_t len = data[at++];
        if (len > size - at)
            len = size - at;
        if (len == 1 && data[at] >= 0xFD) { /* a local send, a tick */
            if (data[at] == 0xFF)
                (void)cbcast(pg, FZ_GID, (const uint8_t *)"x", 1, NULL, NULL);
            else if (data[at] == 0xFE) /* node 1 is the coordinator: it holds the abcast token */
                (void)abcast(pg, FZ_GID, (const uint8_t *)"y", 1, NULL, NULL);
            else
                (void)pg_diffuse(pg, FZ_GID, (const uint8_t *)"z", 1, NULL, NULL);
            net.now += 5000000;
            pg_on_timer(pg);
        } else if (k % 2) {
            (void)phys_send(ph2, FZ_GID | PG_CL_PHYS_BIT, 1, data + at, len);
        } else {
            (void)phys_mcast(ph2, FZ_GID, data + at, len);
        }
        at += len;
        pump(&net, ph1, ph2);
    }
    assert(pg_retained(pg) <= cfg.max_msgs * 2);
    pg_free(pg);
    phys_free(ph1);
    phys_free(ph2);
    free(net.q);
    return 0;
}
