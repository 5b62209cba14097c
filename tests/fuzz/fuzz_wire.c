/* tests/fuzz/fuzz_wire.c: libFuzzer target for core/include/link/wire.h and phys_on_datagram.
 *
 * 1. The whole input is decoded; if it decodes, it is re-encoded and must give
 *    the same bytes (round trip), and the decoded fields must re-decode equal.
 * 2. The input is also read as a script driving one phys instance (self = 2,
 *    group 5 = {1, 2, 3}, window 8) through a trivial env: raw datagrams,
 *    well-formed datagrams built from fuzzed fields (so that the checksum does
 *    not hide the protocol logic), time steps that fire the timer, and local
 *    multicasts. The delivery upcall multicasts back now and then (re-entrancy).
 *    Nothing may crash or trip an assert.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "phys.h"
#include "rng.h"
#include "wire.h"

#define FZ_GID  5u
#define FZ_SELF 2u

struct fz_env {
    int64_t now_ns;
    int64_t timer_ns;
    uint64_t sent;
    uint64_t rng;
    struct phys *ph;
    int depth;
};

static int64_t fz_now(void *ctx)
{
    return ((struct fz_env *)ctx)->now_ns;
}

static void fz_timer_set(void *ctx, unsigned slot, int64_t deadline_ns)
{
    struct fz_env *e = ctx;
    assert(slot == PG_TIMER_PHYS);
    e->timer_ns = deadline_ns;
}

static void fz_send(void *ctx, pg_node_id to, const uint8_t *buf, size_t len)
{
    struct fz_env *e = ctx;
    struct wire_msg m;
    /* everything the link layer sends must decode, and be addressed properly */
    assert(wire_decode(buf, len, &m, NULL) == PG_OK);
    assert(m.from == FZ_SELF && m.to == to && to != FZ_SELF);
    e->sent++;
}

static uint64_t fz_random(void *ctx)
{
    struct fz_env *e = ctx;
    return sim_rng_next(&e->rng);
}

static void fz_entry(void *ctx, phys_gid gid, pg_node_id from, const uint8_t *p, size_t len)
{
    struct fz_env *e = ctx;
    assert(gid == FZ_GID && (p || len == 0));
    if (len > 0 && p[0] == 0xaa && e->depth < 4) { /* answer from inside the upcall */
        e->depth++;
        int rc = phys_mcast(e->ph, FZ_GID, p, len > 16 ? 16 : len);
        assert(rc == PG_OK || rc == PG_E_FULL || rc == PG_E_NOTMEMBER);
        e->depth--;
    }
    (void)from;
}

static void fz_monitor(void *ctx, phys_gid gid, pg_node_id failed)
{
    assert(gid == FZ_GID && failed != FZ_SELF);
    (void)ctx;
}

static void check_round_trip(const uint8_t *data, size_t size)
{
    struct wire_msg m, again;
    if (wire_decode(data, size, &m, NULL) != PG_OK)
        return;
    static uint8_t buf[WIRE_MAX_BYTES];
    size_t n = wire_encode(&m, buf, sizeof buf);
    assert(n == size && memcmp(buf, data, size) == 0);
    assert(wire_decode(buf, n, &again, NULL) == PG_OK);
    assert(again.type == m.type && again.seq == m.seq && again.ack_next == m.ack_next);
    assert(again.sack == m.sack && again.payload_len == m.payload_len);
}

/* Reads fields from the script and feeds a well-formed datagram. */
static size_t fz_structured(struct fz_env *e, const uint8_t *d, size_t n)
{
    if (n < 12)
        return n;
    static const enum wire_type types[] = {WIRE_DATA, WIRE_ACK, WIRE_HEARTBEAT, WIRE_DATA};
    uint8_t payload[64];
    size_t plen = d[10] % sizeof payload;
    for (size_t i = 0; i < plen; i++)
        payload[i] = (uint8_t)(d[11] + i);
    if (plen)
        payload[0] = (d[11] & 1) ? 0xaa : 0x00;
    pg_node_id from = 1 + d[0] % 4; /* 4: a stranger */
    struct wire_msg m = {.type = types[d[1] % 4],
                         .from = from,
                         .to = (d[2] % 16) ? FZ_SELF : 7,
                         .ack_next = 1 + d[3] % 12,
                         .sack = (uint64_t)d[4] << (d[5] % 57),
                         .seq = 1 + d[6] % 20,
                         .gid = (d[7] % 8) ? FZ_GID : 9};
    if (m.type == WIRE_DATA) {
        m.payload_len = (uint32_t)plen;
        m.payload = payload;
    } else {
        m.seq = 0;
        m.gid = 0;
    }
    static uint8_t buf[WIRE_MAX_BYTES];
    size_t len = wire_encode(&m, buf, sizeof buf);
    if (d[8] == 0xff) /* sometimes lie about the sender */
        from = 3;
    phys_on_datagram(e->ph, from, buf, len);
    return 12;
}

static void fz_advance(struct fz_env *e, int64_t dt_ns)
{
    e->now_ns += dt_ns;
    while (e->timer_ns <= e->now_ns) {
        e->timer_ns = PG_TIMER_NEVER;
        phys_on_timer(e->ph);
    }
}

static void run_script(struct fz_env *e, const uint8_t *d, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t op = d[i++];
        size_t left = n - i;
        switch (op & 3) {
        case 0: { /* raw bytes as a datagram */
            size_t len = left ? d[i++] : 0;
            len = len > n - i ? n - i : len;
            phys_on_datagram(e->ph, 1 + (op >> 2) % 3, d + i, len);
            i += len;
            break;
        }
        case 1:
            i += fz_structured(e, d + i, left);
            break;
        case 2:
            fz_advance(e, (int64_t)(op >> 2) * 7000000);
            break;
        default: {
            uint8_t p[24] = {0};
            p[0] = (op & 4) ? 0xaa : 0;
            int rc = phys_mcast(e->ph, FZ_GID, p, (op >> 3) % sizeof p);
            assert(rc == PG_OK || rc == PG_E_FULL || rc == PG_E_NOTMEMBER);
            break;
        }
        }
        (void)phys_retained(e->ph); /* asserts the bound */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_round_trip(data, size);
    struct fz_env e = {.timer_ns = PG_TIMER_NEVER, .rng = 1};
    struct env env = {.ctx = &e,
                      .now_ns = fz_now,
                      .timer_set = fz_timer_set,
                      .send = fz_send,
                      .draw_u64 = fz_random,
                      .trace = NULL};
    struct phys_config cfg;
    phys_config_default(&cfg);
    cfg.window = 8;
    cfg.max_peers = 4;
    cfg.max_groups = 2;
    cfg.max_members = 4;
    e.ph = phys_new(&env, FZ_SELF, &cfg);
    assert(e.ph);
    pg_node_id members[] = {1, 2, 3};
    assert(phys_create(e.ph, FZ_GID, members, 3) == PG_OK);
    phys_entry(e.ph, FZ_GID, fz_entry, &e);
    phys_monitor(e.ph, FZ_GID, fz_monitor, &e);
    phys_on_datagram(e.ph, 1, data, size); /* the whole input as one datagram */
    run_script(&e, data, size);
    fz_advance(&e, 3000000000ll); /* every peer silent: all deemed faulty */
    assert(phys_retained(e.ph) == 0);
    phys_free(e.ph);
    return 0;
}
