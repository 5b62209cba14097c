/* tests/test_phys.c: the link layer (core/include/link/phys.h) on the deterministic fake network.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "phys.h"
#include "support_fakenet.h"
#include "wire.h"

#define MS 1000000ll
#define S  1000000000ll
#define G1 11u
#define G2 22u

/* ---- workload and checks ---- */

static uint64_t tag_of(unsigned sender, uint64_t seq)
{
    return (uint64_t)(sender + 1) << 32 | seq;
}

static size_t len_of(uint64_t tag)
{
    return 8 + (size_t)((tag * 2654435761u) % 300);
}

struct workload {
    phys_gid gid;
    unsigned senders[FAKENET_MAX_NODES];
    size_t n_senders;
    uint64_t sent[FAKENET_MAX_NODES]; /* by sender index */
    uint64_t refused;                 /* PG_E_FULL: retried next tick */
};

/* Every `period`, each live sender multicasts its next message, from `start`
 * until `stop`. */
static void run_workload(struct fakenet *fn, struct workload *w, int64_t stop, int64_t period)
{
    for (int64_t t = fakenet_now(fn); t < stop; t += period) {
        fakenet_run_until(fn, t);
        for (size_t k = 0; k < w->n_senders; k++) {
            unsigned s = w->senders[k];
            if (fakenet_crashed(fn, s))
                continue;
            uint64_t tag = tag_of(s, w->sent[s] + 1);
            int rc = fakenet_mcast(fn, s, w->gid, tag, len_of(tag));
            if (rc == PG_OK)
                w->sent[s]++;
            else {
                assert_int_equal(rc, PG_E_FULL);
                w->refused++;
            }
        }
    }
    fakenet_run_until(fn, stop);
}

static size_t total_retained(struct fakenet *fn)
{
    size_t r = 0;
    for (unsigned i = 0; i < fakenet_size(fn); i++)
        if (!fakenet_crashed(fn, i))
            r += phys_retained(fakenet_phys(fn, i));
    return r;
}

/* Runs until nothing is retained anywhere (or `limit`), in 10 ms steps. */
static void run_until_quiet(struct fakenet *fn, int64_t limit)
{
    while (total_retained(fn) > 0 && fakenet_now(fn) < limit)
        fakenet_run_until(fn, fakenet_now(fn) + 10 * MS);
    assert_int_equal(total_retained(fn), 0);
}

/* Receiver r delivered exactly messages 1..sent[s] of every sender s, in
 * order, each once, with intact payloads. */
static void check_fifo_exactly_once(struct fakenet *fn, unsigned r, const struct workload *w)
{
    size_t n;
    const struct fakenet_delivery *d = fakenet_deliveries(fn, r, &n);
    uint64_t next[FAKENET_MAX_NODES];
    for (unsigned s = 0; s < FAKENET_MAX_NODES; s++)
        next[s] = 1;
    for (size_t i = 0; i < n; i++) {
        if (d[i].gid != w->gid)
            continue;
        unsigned s = (unsigned)(d[i].tag >> 32) - 1;
        assert_true(s < fakenet_size(fn));
        assert_int_equal(d[i].from, fakenet_id(fn, s));
        assert_true(d[i].tag == tag_of(s, next[s])); /* FIFO, no gap, no duplicate */
        uint8_t buf[PHYS_MAX_PAYLOAD];
        fakenet_payload(buf, len_of(d[i].tag), d[i].tag);
        assert_int_equal(d[i].len, len_of(d[i].tag));
        assert_true(d[i].hash == fakenet_hash(buf, d[i].len));
        next[s]++;
    }
    for (size_t k = 0; k < w->n_senders; k++) {
        unsigned s = w->senders[k];
        assert_true(next[s] - 1 == w->sent[s]);
    }
}

static void all_senders(struct workload *w, phys_gid gid, unsigned n)
{
    memset(w, 0, sizeof *w);
    w->gid = gid;
    w->n_senders = n;
    for (unsigned i = 0; i < n; i++)
        w->senders[i] = i;
}

static struct fakenet *group_of(unsigned n, uint64_t seed, const struct phys_config *cfg,
                                phys_gid gid)
{
    struct fakenet *fn = cfg ? fakenet_new_cfg(n, seed, cfg) : fakenet_new(n, seed);
    unsigned idx[FAKENET_MAX_NODES];
    for (unsigned i = 0; i < n; i++)
        idx[i] = i;
    assert_int_equal(fakenet_group(fn, gid, idx, n), PG_OK);
    return fn;
}

static uint64_t sum_stat(struct fakenet *fn, size_t offset)
{
    uint64_t s = 0;
    for (unsigned i = 0; i < fakenet_size(fn); i++) {
        const uint8_t *st = (const uint8_t *)phys_stats(fakenet_phys(fn, i));
        uint64_t v;
        memcpy(&v, st + offset, sizeof v);
        s += v;
    }
    return s;
}
#define SUM(fn, field) sum_stat(fn, offsetof(struct phys_stats, field))

/* ---- delivery ---- */

static void test_fifo_exactly_once_clean(void **state)
{
    (void)state;
    struct fakenet *fn = group_of(3, 1, NULL, G1);
    struct workload w;
    all_senders(&w, G1, 3);
    run_workload(fn, &w, 2 * S, 5 * MS);
    run_until_quiet(fn, 4 * S);
    for (unsigned r = 0; r < 3; r++)
        check_fifo_exactly_once(fn, r, &w);
    assert_true(w.sent[0] == 400 && w.refused == 0);
    assert_true(SUM(fn, retransmits) == 0);
    assert_true(SUM(fn, suspicions) == 0);
    assert_true(SUM(fn, delivered) == 3 * 3 * 400);
    /* every datagram is header + payload: header bytes are what is not payload */
    const struct phys_stats *st = phys_stats(fakenet_phys(fn, 0));
    assert_true(st->header_bytes_sent >= 48 * st->data_sent);
    assert_true(st->header_bytes_sent ==
                48 * st->data_sent + 32 * (st->acks_sent + st->heartbeats_sent));
    fakenet_free(fn);
}

/* Acks ride on data: with traffic both ways more often than the ack delay,
 * no standalone ack leaves but the last ones, once the traffic stops. */
static void test_acks_ride_on_data(void **state)
{
    (void)state;
    struct fakenet *fn = group_of(3, 21, NULL, G1);
    struct workload w;
    all_senders(&w, G1, 3);
    run_workload(fn, &w, 2 * S, 5 * MS); /* every 5 ms < ack_delay 10 ms */
    assert_true(SUM(fn, acks_sent) == 0);
    run_until_quiet(fn, 4 * S);
    for (unsigned r = 0; r < 3; r++)
        check_fifo_exactly_once(fn, r, &w);
    assert_true(SUM(fn, acks_sent) <= 6); /* the last message of each channel */
    assert_true(SUM(fn, acks_sent) >= 1);
    assert_true(SUM(fn, retransmits) == 0);
    assert_true(SUM(fn, datagrams_sent) ==
                SUM(fn, data_sent) + SUM(fn, acks_sent) + SUM(fn, heartbeats_sent));
    fakenet_free(fn);
}

/* A one-way flow: each message is acked alone after the ack delay, before the
 * sender's first retransmission; a burst of a quarter window is acked at once. */
static void test_one_way_acks_before_rto(void **state)
{
    (void)state;
    struct phys_config cfg;
    phys_config_default(&cfg);
    cfg.window = 16; /* a quarter: 4 */
    struct fakenet *fn = group_of(2, 22, &cfg, G1);
    struct workload w;
    all_senders(&w, G1, 1); /* node 0 only */
    run_workload(fn, &w, 1 * S, 50 * MS);
    run_until_quiet(fn, 2 * S);
    const struct phys_stats *rx = phys_stats(fakenet_phys(fn, 1));
    assert_true(w.sent[0] == 20 && w.refused == 0);
    assert_true(rx->acks_sent == 20 && rx->data_sent == 0);
    assert_true(phys_stats(fakenet_phys(fn, 0))->retransmits == 0);
    uint64_t acks = rx->acks_sent;
    for (uint64_t k = 1; k <= 8; k++) /* a burst of two quarters of the window */
        assert_int_equal(fakenet_mcast(fn, 0, G1, tag_of(0, 20 + k), 16), PG_OK);
    fakenet_run_until(fn, fakenet_now(fn) + 1 * MS); /* well before the ack delay */
    assert_true(rx->acks_sent == acks + 2);
    assert_true(phys_retained(fakenet_phys(fn, 0)) == 0);
    fakenet_free(fn);
}

static void test_fifo_under_loss_dup_reorder(void **state)
{
    (void)state;
    struct fakenet *fn = group_of(5, 2, NULL, G1);
    fakenet_set_loss(fn, 0.30);
    fakenet_set_dup(fn, 0.10);
    fakenet_set_jitter(fn, 5 * MS); /* datagrams overtake each other */
    struct workload w;
    all_senders(&w, G1, 5);
    run_workload(fn, &w, 3 * S, 10 * MS);
    run_until_quiet(fn, 20 * S);
    for (unsigned r = 0; r < 5; r++)
        check_fifo_exactly_once(fn, r, &w);
    assert_true(w.sent[4] == 300);
    assert_true(SUM(fn, retransmits) > 0);
    assert_true(SUM(fn, duplicates_dropped) > 0);
    assert_true(fakenet_counts(fn)->traces[PG_TR_SOMETIMES] > 0); /* e.g. phys.reordered */
    assert_true(SUM(fn, suspicions) == 0);
    fakenet_free(fn);
}

static void test_partition_heals_before_timeout(void **state)
{
    (void)state;
    struct fakenet *fn = group_of(4, 3, NULL, G1);
    struct workload w;
    all_senders(&w, G1, 4);
    run_workload(fn, &w, 500 * MS, 10 * MS);
    fakenet_partition(fn, 0x3);               /* {0,1} | {2,3} */
    run_workload(fn, &w, 1200 * MS, 10 * MS); /* 700 ms < suspect_timeout 1 s */
    fakenet_heal(fn);
    run_workload(fn, &w, 2 * S, 10 * MS);
    run_until_quiet(fn, 10 * S);
    for (unsigned r = 0; r < 4; r++)
        check_fifo_exactly_once(fn, r, &w);
    assert_true(fakenet_counts(fn)->cut > 0);
    assert_true(SUM(fn, suspicions) == 0);
    assert_true(SUM(fn, retransmits) > 0);
    fakenet_free(fn);
}

/* ---- failure suspicion ---- */

static void test_crash_suspected_monitor_once_per_group(void **state)
{
    (void)state;
    struct fakenet *fn = group_of(4, 4, NULL, G1);
    unsigned idx[] = {1, 3, 0};
    assert_int_equal(fakenet_group(fn, G2, idx, 3), PG_OK);
    fakenet_set_loss(fn, 0.2);
    struct workload w;
    all_senders(&w, G1, 4);
    run_workload(fn, &w, 1 * S, 10 * MS);
    pg_node_id dead = fakenet_id(fn, 3);
    int64_t crash_at = fakenet_now(fn);
    fakenet_crash(fn, 3);
    run_workload(fn, &w, 4 * S, 10 * MS);
    run_until_quiet(fn, 10 * S);
    for (unsigned r = 0; r < 3; r++) {
        struct phys *ph = fakenet_phys(fn, r);
        size_t nm, nd;
        const struct fakenet_monitor *m = fakenet_monitors(fn, r, &nm);
        const struct fakenet_delivery *d = fakenet_deliveries(fn, r, &nd);
        size_t expect = r == 2 ? 1 : 2; /* node 2 is not in G2 */
        assert_int_equal(nm, expect);
        for (size_t k = 0; k < nm; k++) {
            assert_int_equal(m[k].failed, dead);
            assert_true(m[k].t_ns >= crash_at + S - 200 * MS && m[k].t_ns <= crash_at + 2 * S);
            for (size_t i = m[k].delivered_before; i < nd; i++)
                assert_true(d[i].from != dead); /* its last messages came first */
        }
        if (nm == 2)
            assert_true(m[0].gid != m[1].gid);
        assert_true(phys_stats(ph)->suspicions == 1);
        assert_true(phys_is_faulty(ph, dead));
        const pg_node_id *mem;
        assert_int_equal(phys_members(ph, G1, &mem), 3);
        for (int i = 0; i < 3; i++)
            assert_true(mem[i] != dead);
        assert_int_equal(phys_add(ph, G1, dead), PG_E_SUSPECTED);
        assert_int_equal(phys_watch(ph, dead), PG_E_SUSPECTED);
    }
    /* survivors kept delivering each other's messages after the crash, exactly once */
    struct workload live = w;
    live.n_senders = 3;
    for (unsigned r = 0; r < 3; r++)
        check_fifo_exactly_once(fn, r, &live);
    /* what node 3 sent was delivered as a FIFO prefix at every survivor */
    for (unsigned r = 0; r < 3; r++) {
        size_t nd;
        const struct fakenet_delivery *d = fakenet_deliveries(fn, r, &nd);
        uint64_t next = 1;
        for (size_t i = 0; i < nd; i++)
            if (d[i].from == dead)
                assert_true(d[i].tag == tag_of(3, next++));
        assert_true(next - 1 <= w.sent[3]);
    }
    fakenet_free(fn);
}

static void test_from_faulty_dropped(void **state)
{
    (void)state;
    struct fakenet *fn = group_of(3, 5, NULL, G1);
    fakenet_cut(fn, 2, 0, true); /* nodes 0 and 1 hear nothing from node 2 */
    fakenet_cut(fn, 2, 1, true);
    fakenet_run_until(fn, 1500 * MS);
    struct phys *ph0 = fakenet_phys(fn, 0);
    assert_true(phys_is_faulty(ph0, fakenet_id(fn, 2)));
    assert_false(phys_is_faulty(fakenet_phys(fn, 2), fakenet_id(fn, 0))); /* it heard them */
    uint64_t before = phys_stats(ph0)->from_faulty_dropped;
    fakenet_heal(fn); /* node 2 is alive and talks again: it stays faulty (fail-stop) */
    fakenet_run_until(fn, 1800 * MS);
    assert_true(phys_stats(ph0)->from_faulty_dropped > before);
    assert_true(phys_is_faulty(ph0, fakenet_id(fn, 2)));
    assert_true(phys_stats(ph0)->suspicions == 1);
    fakenet_free(fn);
}

/* A channel's rings start small and double up to the window: a burst of
 * hundreds in flight under loss and reordering (so the receive ring holds
 * out-of-order messages far ahead) still arrives exactly once, in order, and
 * the retained count drains to zero. */
static void test_ring_growth_under_burst(void **state)
{
    (void)state;
    struct fakenet *fn = group_of(3, 12, NULL, G1);
    fakenet_set_loss(fn, 0.2);
    fakenet_set_jitter(fn, 5 * MS);
    struct workload w;
    all_senders(&w, G1, 3);
    run_workload(fn, &w, 200 * MS, 200000); /* every 0.2 ms: about 1000 in flight per sender */
    assert_true(fakenet_max_retained(fn, 0) > 100);
    run_until_quiet(fn, 60 * S);
    assert_int_equal(total_retained(fn), 0);
    for (unsigned r = 0; r < 3; r++)
        check_fifo_exactly_once(fn, r, &w);
    fakenet_free(fn);
}

/* The timeout must cover enough heartbeats that losing all of them is
 * negligible: with 15 periods per timeout, 0.3^15 = 1.4e-8 per window, about
 * 2e-4 expected false suspicions over this run's ~14000 windows (10 periods
 * would give 0.08: a seed-dependent test). */
static void test_no_false_suspicion_under_30pct_loss(void **state)
{
    (void)state;
    struct phys_config cfg;
    phys_config_default(&cfg);
    cfg.suspect_timeout_ns = 15 * cfg.heartbeat_period_ns;
    struct fakenet *fn = group_of(4, 6, &cfg, G1);
    fakenet_set_loss(fn, 0.30);
    struct workload w;
    all_senders(&w, G1, 2); /* two senders; the others only heartbeat and ack */
    run_workload(fn, &w, 60 * S, 50 * MS);
    run_until_quiet(fn, 70 * S);
    fakenet_run_until(fn, 120 * S); /* a long idle stretch: heartbeats only */
    assert_true(SUM(fn, suspicions) == 0);
    assert_true(SUM(fn, heartbeats_sent) > 4 * 3 * 400);
    for (unsigned r = 0; r < 4; r++)
        check_fifo_exactly_once(fn, r, &w);
    fakenet_free(fn);
}

static void test_watched_peer_suspected_without_group(void **state)
{
    (void)state;
    struct fakenet *fn = fakenet_new(3, 7);
    struct phys *ph0 = fakenet_phys(fn, 0);
    assert_int_equal(phys_watch(ph0, fakenet_id(fn, 1)), PG_OK);
    assert_int_equal(phys_watch(ph0, fakenet_id(fn, 1)), PG_OK); /* idempotent */
    assert_int_equal(phys_watch(fakenet_phys(fn, 1), fakenet_id(fn, 0)), PG_OK);
    fakenet_run_until(fn, 5 * S);
    assert_true(phys_stats(ph0)->suspicions == 0); /* alive: heartbeats flow */
    assert_true(phys_stats(ph0)->heartbeats_sent >= 40);
    fakenet_crash(fn, 1);
    fakenet_run_until(fn, 7 * S);
    assert_true(phys_stats(ph0)->suspicions == 1);
    assert_true(phys_is_faulty(ph0, fakenet_id(fn, 1)));
    assert_true(fakenet_counts(fn)->traces[PG_TR_SUSPECT] == 1);
    size_t nm;
    fakenet_monitors(fn, 0, &nm);
    assert_int_equal(nm, 0); /* no group: no upcall */
    /* an unwatched peer that never answers is not suspected */
    assert_int_equal(phys_watch(ph0, fakenet_id(fn, 2)), PG_OK);
    assert_int_equal(phys_unwatch(ph0, fakenet_id(fn, 2)), PG_OK);
    assert_int_equal(phys_unwatch(ph0, fakenet_id(fn, 2)), PG_E_INVAL);
    fakenet_crash(fn, 2);
    fakenet_run_until(fn, 10 * S);
    assert_false(phys_is_faulty(ph0, fakenet_id(fn, 2)));
    fakenet_free(fn);
}

/* A member deleted from the only group it shared with us while messages to
 * it are unacked (cut 0 -> 2), that then crashes (issue 10): the channel
 * stays monitored because it owes acks (chan_monitored), so the silent peer
 * is suspected after suspect_timeout and its channel closed. The link stops
 * retransmitting and releases what it held; no monitor upcall, since the
 * peer is in none of our groups any more. */
static void test_deleted_member_unacked_then_crash(void **state)
{
    (void)state;
    struct fakenet *fn = group_of(3, 16, NULL, G1);
    struct phys *ph0 = fakenet_phys(fn, 0);
    pg_node_id id2 = fakenet_id(fn, 2);
    fakenet_cut(fn, 0, 2, true);
    for (uint64_t k = 1; k <= 5; k++)
        assert_int_equal(fakenet_mcast(fn, 0, G1, tag_of(0, k), 16), PG_OK);
    fakenet_run_until(fn, 100 * MS);
    assert_int_equal(phys_retained(ph0), 5); /* node 1 acked; node 2 never got them */
    assert_int_equal(phys_del(ph0, G1, id2), PG_OK);
    fakenet_run_until(fn, 300 * MS);
    assert_int_equal(phys_retained(ph0), 5); /* still retransmitted to the live peer */
    assert_false(phys_is_faulty(ph0, id2));  /* it heartbeats: not suspected */
    int64_t crash_at = fakenet_now(fn);
    fakenet_crash(fn, 2);
    fakenet_run_until(fn, crash_at + S + 200 * MS); /* suspect_timeout 1 s, heartbeat 100 ms */
    assert_true(phys_is_faulty(ph0, id2));
    assert_int_equal(phys_retained(ph0), 0);
    uint64_t retx = phys_stats(ph0)->retransmits;
    assert_true(retx > 0);
    fakenet_run_until(fn, crash_at + 5 * S);
    assert_true(phys_stats(ph0)->retransmits == retx); /* it stopped retransmitting */
    assert_true(phys_stats(ph0)->suspicions == 1);
    size_t nm;
    fakenet_monitors(fn, 0, &nm);
    assert_int_equal(nm, 0);
    fakenet_free(fn);
}

/* ---- admission, memory ---- */

static void test_window_full_all_or_nothing(void **state)
{
    (void)state;
    struct phys_config cfg;
    phys_config_default(&cfg);
    cfg.window = 4;
    struct fakenet *fn = group_of(3, 8, &cfg, G1);
    fakenet_cut(fn, 0, 2, true); /* node 2 hears nothing from node 0: its window fills */
    struct phys *ph0 = fakenet_phys(fn, 0);
    for (uint64_t k = 1; k <= 4; k++) {
        assert_int_equal(fakenet_mcast(fn, 0, G1, tag_of(0, k), 16), PG_OK);
        fakenet_run_until(fn, fakenet_now(fn) + 10 * MS);
    }
    struct phys_stats before = *phys_stats(ph0);
    size_t n1_before, n0_before;
    fakenet_deliveries(fn, 1, &n1_before);
    fakenet_deliveries(fn, 0, &n0_before);
    assert_int_equal(fakenet_mcast(fn, 0, G1, tag_of(0, 5), 16), PG_E_FULL);
    assert_true(phys_stats(ph0)->data_sent == before.data_sent); /* nothing sent to node 1 */
    assert_true(phys_stats(ph0)->delivered == before.delivered); /* nor to self */
    fakenet_run_until(fn, fakenet_now(fn) + 200 * MS);
    size_t n1, n0;
    fakenet_deliveries(fn, 1, &n1);
    fakenet_deliveries(fn, 0, &n0);
    assert_int_equal(n1, n1_before);
    assert_int_equal(n0, n0_before);
    assert_int_equal(phys_retained(ph0), 4); /* node 1 acked its 4, node 2's are held */
    assert_true(fakenet_counts(fn)->traces[PG_TR_SOMETIMES] > 0);
    fakenet_cut(fn, 0, 2, false);
    fakenet_run_until(fn, fakenet_now(fn) + 600 * MS); /* backoff <= 400 ms */
    assert_int_equal(phys_retained(ph0), 0);
    assert_int_equal(fakenet_mcast(fn, 0, G1, tag_of(0, 5), 16), PG_OK);
    fakenet_run_until(fn, fakenet_now(fn) + 100 * MS);
    size_t n2;
    const struct fakenet_delivery *d2 = fakenet_deliveries(fn, 2, &n2);
    assert_int_equal(n2, 5);
    for (size_t i = 0; i < n2; i++)
        assert_true(d2[i].tag == tag_of(0, i + 1));
    fakenet_free(fn);
}

static void test_memory_bounded(void **state)
{
    (void)state;
    struct phys_config cfg;
    phys_config_default(&cfg);
    cfg.window = 16;
    struct fakenet *fn = group_of(4, 9, &cfg, G1);
    fakenet_set_loss(fn, 0.3);
    fakenet_set_jitter(fn, 3 * MS);
    struct workload w;
    all_senders(&w, G1, 4);
    run_workload(fn, &w, 3 * S, 1 * MS); /* faster than the links drain: windows fill */
    assert_true(w.refused > 0);
    for (unsigned i = 0; i < 4; i++) {
        assert_true(fakenet_max_retained(fn, i) <= 16 * 3);
        assert_true(fakenet_max_retained(fn, i) >= 16); /* the bound was reached */
    }
    run_until_quiet(fn, 20 * S);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(phys_retained(fakenet_phys(fn, i)), 0);
        check_fifo_exactly_once(fn, i, &w);
    }
    assert_true(SUM(fn, suspicions) == 0);
    fakenet_free(fn);
}

/* ---- hostile input ---- */

static void test_garbled_counted_and_dropped(void **state)
{
    (void)state;
    struct fakenet *fn = group_of(3, 10, NULL, G1);
    fakenet_set_garble(fn, 0.2);
    struct workload w;
    all_senders(&w, G1, 3);
    run_workload(fn, &w, 2 * S, 10 * MS);
    run_until_quiet(fn, 10 * S);
    fakenet_set_garble(fn, 0);
    fakenet_run_until(fn, fakenet_now(fn) + 100 * MS); /* garbled ones in flight land */
    for (unsigned r = 0; r < 3; r++)
        check_fifo_exactly_once(fn, r, &w);
    uint64_t garbled = SUM(fn, garbled_dropped);
    assert_true(fakenet_counts(fn)->garbled > 0);
    assert_true(garbled == fakenet_counts(fn)->garbled); /* every flipped datagram caught */
    assert_true(fakenet_counts(fn)->traces[PG_TR_GARBLED] == garbled);
    /* explicit garbage, and a well-formed datagram whose sender field lies */
    struct phys *ph1 = fakenet_phys(fn, 1);
    uint64_t g1 = phys_stats(ph1)->garbled_dropped;
    uint8_t junk[100];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 13);
    fakenet_inject(fn, 1, fakenet_id(fn, 0), junk, sizeof junk, 0);
    fakenet_inject(fn, 1, fakenet_id(fn, 0), NULL, 0, 0);
    uint8_t buf[WIRE_MAX_BYTES];
    struct wire_msg hb = {
        .type = WIRE_HEARTBEAT, .from = fakenet_id(fn, 2), .to = fakenet_id(fn, 1), .ack_next = 1};
    size_t n = wire_encode(&hb, buf, sizeof buf);
    fakenet_inject(fn, 1, fakenet_id(fn, 0), buf, n, 0); /* from 0, claims 2 */
    struct wire_msg bogus = {
        .type = WIRE_ACK, .from = fakenet_id(fn, 0), .to = fakenet_id(fn, 1), .ack_next = 1u << 30};
    n = wire_encode(&bogus, buf, sizeof buf);
    fakenet_inject(fn, 1, fakenet_id(fn, 0), buf, n, 0); /* acks what was never sent */
    fakenet_run_until(fn, fakenet_now(fn) + 1 * MS);
    assert_true(phys_stats(ph1)->garbled_dropped == g1 + 4);
    assert_true(SUM(fn, suspicions) == 0);
    fakenet_free(fn);
}

/* Node 0 creates G1 with {0, 1}; node 1 has no such group. */
static void test_data_for_unknown_group_acked_not_delivered(void **state)
{
    (void)state;
    struct fakenet *fn = fakenet_new(2, 11);
    pg_node_id ids[] = {fakenet_id(fn, 0), fakenet_id(fn, 1)};
    assert_int_equal(phys_create(fakenet_phys(fn, 0), G1, ids, 2), PG_OK);
    assert_int_equal(fakenet_record(fn, 0, G1), PG_OK);
    for (uint64_t k = 1; k <= 3; k++)
        assert_int_equal(fakenet_mcast(fn, 0, G1, tag_of(0, k), 32), PG_OK);
    fakenet_run_until(fn, 1 * S);
    const struct phys_stats *st1 = phys_stats(fakenet_phys(fn, 1));
    assert_true(st1->misaddressed_dropped == 3);
    assert_true(st1->delivered == 0);
    assert_int_equal(phys_retained(fakenet_phys(fn, 0)), 0); /* acked anyway */
    assert_true(phys_stats(fakenet_phys(fn, 0))->retransmits == 0);
    assert_true(fakenet_counts(fn)->traces[PG_TR_DROPPED] >= 3);
    /* node 1 heard node 0 and heartbeats back: node 0 does not suspect it */
    fakenet_run_until(fn, 5 * S);
    assert_true(phys_stats(fakenet_phys(fn, 0))->suspicions == 0);
    fakenet_free(fn);
}

static void test_misaddressed_after_restart(void **state)
{
    (void)state;
    struct fakenet *fn = group_of(3, 12, NULL, G1);
    fakenet_set_latency_all(fn, 5 * MS);
    struct workload w;
    all_senders(&w, G1, 2);
    run_workload(fn, &w, 300 * MS, 1 * MS); /* datagrams to node 2 are in flight */
    pg_node_id old = fakenet_id(fn, 2);
    pg_node_id fresh = fakenet_restart(fn, 2);
    assert_true(fresh != old);
    fakenet_run_until(fn, fakenet_now(fn) + 10 * MS);
    const struct phys_stats *st = phys_stats(fakenet_phys(fn, 2));
    assert_true(st->misaddressed_dropped > 0);
    assert_true(st->delivered == 0);
    /* a forged datagram to a third id is dropped too */
    uint64_t before = st->misaddressed_dropped;
    uint8_t buf[WIRE_MAX_BYTES];
    struct wire_msg hb = {
        .type = WIRE_HEARTBEAT, .from = fakenet_id(fn, 0), .to = 999, .ack_next = 1};
    size_t n = wire_encode(&hb, buf, sizeof buf);
    fakenet_inject(fn, 2, fakenet_id(fn, 0), buf, n, 0);
    fakenet_run_until(fn, fakenet_now(fn) + 1 * MS);
    assert_true(phys_stats(fakenet_phys(fn, 2))->misaddressed_dropped == before + 1);
    /* the old incarnation is deemed faulty by the others */
    fakenet_run_until(fn, fakenet_now(fn) + 3 * S);
    assert_true(phys_is_faulty(fakenet_phys(fn, 0), old));
    assert_true(phys_is_faulty(fakenet_phys(fn, 1), old));
    assert_int_equal(total_retained(fn), 0);
    fakenet_free(fn);
}

/* Raw datagrams from a forged channel: reordering, duplicates, out of window. */
static void inject_data(struct fakenet *fn, unsigned to, unsigned from, uint64_t seq)
{
    uint8_t buf[WIRE_MAX_BYTES], pl[16];
    fakenet_payload(pl, sizeof pl, seq);
    struct wire_msg m = {.type = WIRE_DATA,
                         .from = fakenet_id(fn, from),
                         .to = fakenet_id(fn, to),
                         .ack_next = 1,
                         .seq = seq,
                         .gid = G1,
                         .payload_len = sizeof pl,
                         .payload = pl};
    size_t n = wire_encode(&m, buf, sizeof buf);
    fakenet_inject(fn, to, fakenet_id(fn, from), buf, n, 0);
    fakenet_run_until(fn, fakenet_now(fn) + 1);
}

static void test_reorder_duplicate_out_of_window(void **state)
{
    (void)state;
    struct phys_config cfg;
    phys_config_default(&cfg);
    cfg.window = 100; /* > 64: the SACK bitmap is refilled from the reorder ring */
    struct fakenet *fn = group_of(2, 13, &cfg, G1);
    fakenet_crash(fn, 0); /* node 0 is forged by hand below */
    struct phys *ph1 = fakenet_phys(fn, 1);
    inject_data(fn, 1, 0, 3);
    inject_data(fn, 1, 0, 2);
    size_t n;
    fakenet_deliveries(fn, 1, &n);
    assert_int_equal(n, 0);     /* seq 1 missing */
    inject_data(fn, 1, 0, 100); /* seq 100 = recv_next + 99: in window */
    inject_data(fn, 1, 0, 101); /* out of window */
    assert_true(phys_stats(ph1)->out_of_window_dropped == 1);
    uint64_t acks = phys_stats(ph1)->acks_sent;
    inject_data(fn, 1, 0, 3); /* duplicate in the reorder buffer: re-acked at once */
    assert_true(phys_stats(ph1)->duplicates_dropped == 1);
    assert_true(phys_stats(ph1)->acks_sent == acks + 1);
    inject_data(fn, 1, 0, 1);
    const struct fakenet_delivery *d = fakenet_deliveries(fn, 1, &n);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(d[i].tag == i + 1);
    inject_data(fn, 1, 0, 2); /* duplicate below recv_next */
    assert_true(phys_stats(ph1)->duplicates_dropped == 2);
    for (uint64_t s = 4; s < 100; s++)
        inject_data(fn, 1, 0, s);
    d = fakenet_deliveries(fn, 1, &n);
    assert_int_equal(n, 100); /* 4..99 then the buffered 100 */
    assert_true(d[99].tag == 100);
    inject_data(fn, 1, 0, 101); /* now in window */
    fakenet_deliveries(fn, 1, &n);
    assert_int_equal(n, 101);
    fakenet_free(fn);
}

/* ---- error codes ---- */

static void test_error_codes_create_destroy(void **state)
{
    (void)state;
    struct phys_config cfg;
    phys_config_default(&cfg);
    cfg.max_groups = 2;
    cfg.max_members = 3;
    cfg.max_peers = 3;
    struct fakenet *fn = fakenet_new_cfg(5, 14, &cfg);
    struct phys *ph = fakenet_phys(fn, 0);
    pg_node_id a[] = {1, 2, 3}, dup[] = {1, 2, 2}, zero[] = {1, 0}, four[] = {1, 2, 3, 4};
    assert_int_equal(phys_create(ph, 0, a, 3), PG_E_INVAL);
    assert_int_equal(phys_create(ph, G1, dup, 3), PG_E_INVAL);
    assert_int_equal(phys_create(ph, G1, zero, 2), PG_E_INVAL);
    assert_int_equal(phys_create(ph, G1, four, 4), PG_E_INVAL); /* > max_members */
    assert_int_equal(phys_create(ph, G1, a, 3), PG_OK);
    assert_int_equal(phys_create(ph, G1, a, 2), PG_E_EXISTS);
    pg_node_id far[] = {1, 4, 5}; /* 2 more channels, only 1 free */
    assert_int_equal(phys_create(ph, G2, far, 3), PG_E_FULL);
    assert_int_equal(phys_create(ph, G2, a, 1), PG_OK);
    assert_int_equal(phys_create(ph, 33, a, 1), PG_E_FULL); /* max_groups */
    const pg_node_id *m;
    assert_int_equal(phys_members(ph, G1, &m), 3);
    assert_true(m[0] == 1 && m[1] == 2 && m[2] == 3);
    assert_int_equal(phys_members(ph, 99, &m), PG_E_NOGROUP);
    assert_int_equal(phys_destroy(ph, 99), PG_E_NOGROUP);
    assert_int_equal(phys_destroy(ph, G2), PG_OK);
    assert_int_equal(phys_members(ph, G2, &m), PG_E_NOGROUP);
    assert_int_equal(phys_create(ph, 33, a, 1), PG_OK); /* the slot is free again */
    /* empty group; group without self */
    assert_int_equal(phys_destroy(ph, 33), PG_OK);
    assert_int_equal(phys_create(ph, 33, NULL, 0), PG_OK);
    assert_int_equal(phys_members(ph, 33, &m), 0);
    fakenet_free(fn);
}

static void test_error_codes_add_del_upcalls(void **state)
{
    (void)state;
    struct phys_config cfg;
    phys_config_default(&cfg);
    cfg.max_members = 3;
    cfg.max_peers = 3;
    struct fakenet *fn = fakenet_new_cfg(6, 15, &cfg);
    struct phys *ph = fakenet_phys(fn, 0);
    pg_node_id a[] = {1, 2};
    assert_int_equal(phys_create(ph, G1, a, 2), PG_OK);
    assert_int_equal(phys_add(ph, 99, 3), PG_E_NOGROUP);
    assert_int_equal(phys_add(ph, G1, 2), PG_E_EXISTS);
    assert_int_equal(phys_add(ph, G1, 0), PG_E_INVAL);
    assert_int_equal(phys_add(ph, G1, 3), PG_OK);
    assert_int_equal(phys_add(ph, G1, 4), PG_E_FULL); /* max_members */
    assert_int_equal(phys_del(ph, 99, 3), PG_E_NOGROUP);
    assert_int_equal(phys_del(ph, G1, 5), PG_E_NOTMEMBER);
    assert_int_equal(phys_del(ph, G1, 3), PG_OK);
    assert_int_equal(phys_del(ph, G1, 3), PG_E_NOTMEMBER);
    const pg_node_id *m;
    assert_int_equal(phys_members(ph, G1, &m), 2);
    assert_int_equal(phys_watch(ph, 4), PG_OK);       /* channels: 2, 3, 4 */
    assert_int_equal(phys_add(ph, G1, 5), PG_E_FULL); /* max_peers */
    assert_int_equal(phys_watch(ph, 6), PG_E_FULL);
    assert_int_equal(phys_watch(ph, 1), PG_E_INVAL); /* self */
    assert_int_equal(phys_watch(ph, 0), PG_E_INVAL);
    assert_int_equal(phys_monitor(ph, 99, NULL, NULL), PG_E_NOGROUP);
    assert_int_equal(phys_entry(ph, 99, NULL, NULL), PG_E_NOGROUP);
    assert_int_equal(phys_monitor(ph, G1, NULL, NULL), PG_OK);
    assert_int_equal(phys_entry(ph, G1, NULL, NULL), PG_OK);
    /* node 3 (id 4, watched) crashes: PG_E_SUSPECTED from then on */
    fakenet_crash(fn, 3);
    fakenet_run_until(fn, 3 * S);
    assert_true(phys_is_faulty(ph, 4));
    assert_int_equal(phys_add(ph, G1, 4), PG_E_SUSPECTED);
    assert_int_equal(phys_watch(ph, 4), PG_E_SUSPECTED);
    pg_node_id with_dead[] = {1, 4};
    assert_int_equal(phys_create(ph, G2, with_dead, 2), PG_E_SUSPECTED);
    fakenet_free(fn);
}

static void test_error_codes_mcast(void **state)
{
    (void)state;
    struct fakenet *fn = fakenet_new(3, 16);
    struct phys *ph = fakenet_phys(fn, 0);
    pg_node_id others[] = {2, 3}, all[] = {1, 2, 3};
    assert_int_equal(phys_create(ph, G1, others, 2), PG_OK);
    assert_int_equal(phys_create(ph, G2, all, 3), PG_OK);
    uint8_t big[PHYS_MAX_PAYLOAD + 1] = {0};
    assert_int_equal(phys_mcast(ph, 99, big, 1), PG_E_NOGROUP);
    assert_int_equal(phys_mcast(ph, G2, big, sizeof big), PG_E_TOOBIG);
    assert_int_equal(phys_mcast(ph, G1, big, 1), PG_E_NOTMEMBER);
    assert_int_equal(phys_mcast(ph, G2, big, PHYS_MAX_PAYLOAD), PG_OK); /* the maximum fits */
    assert_int_equal(phys_mcast(ph, G2, NULL, 0), PG_OK);               /* so does nothing */
    assert_true(phys_stats(ph)->data_sent == 4);
    assert_true(phys_stats(ph)->delivered == 2); /* self, no entry upcall registered */
    assert_int_equal(phys_del(ph, G2, 1), PG_OK);
    assert_int_equal(phys_mcast(ph, G2, big, 1), PG_E_NOTMEMBER);
    fakenet_free(fn);
}

/* ---- re-entrancy, self-delivery ---- */

struct echo {
    unsigned replies;
};

/* Node 1 answers every message from node 0 with a multicast, from inside the upcall. */
static void echo_hook(void *ctx, struct fakenet *fn, unsigned node, phys_gid gid, pg_node_id from,
                      const uint8_t *payload, size_t len)
{
    struct echo *e = ctx;
    if (node != 1 || from != fakenet_id(fn, 0))
        return;
    e->replies++;
    assert_int_equal(
        fakenet_mcast(fn, 1, gid, tag_of(1, e->replies), len_of(tag_of(1, e->replies))), PG_OK);
}

static void test_mcast_from_inside_upcall(void **state)
{
    (void)state;
    struct fakenet *fn = group_of(3, 17, NULL, G1);
    fakenet_set_loss(fn, 0.2);
    struct echo e = {0};
    fakenet_set_entry_hook(fn, echo_hook, &e);
    struct workload w;
    all_senders(&w, G1, 1);
    run_workload(fn, &w, 1 * S, 10 * MS);
    run_until_quiet(fn, 10 * S);
    assert_int_equal(e.replies, w.sent[0]);
    struct workload both = w;
    both.n_senders = 2;
    both.senders[1] = 1;
    both.sent[1] = e.replies;
    for (unsigned r = 0; r < 3; r++)
        check_fifo_exactly_once(fn, r, &both);
    /* at node 1 each reply is self-delivered right after the message it answers */
    size_t n;
    const struct fakenet_delivery *d = fakenet_deliveries(fn, 1, &n);
    for (size_t i = 0; i + 1 < n; i += 2) {
        assert_int_equal(d[i].from, fakenet_id(fn, 0));
        assert_int_equal(d[i + 1].from, fakenet_id(fn, 1));
    }
    fakenet_free(fn);
}

static void test_self_delivery_before_return(void **state)
{
    (void)state;
    struct fakenet *fn = group_of(2, 18, NULL, G1);
    unsigned alone[] = {0};
    assert_int_equal(fakenet_group(fn, G2, alone, 1), PG_OK);
    size_t n;
    assert_int_equal(fakenet_mcast(fn, 0, G1, 77, 8), PG_OK);
    const struct fakenet_delivery *d = fakenet_deliveries(fn, 0, &n);
    assert_int_equal(n, 1);
    assert_true(d[0].tag == 77 && d[0].from == fakenet_id(fn, 0));
    uint64_t sent = phys_stats(fakenet_phys(fn, 0))->datagrams_sent;
    assert_int_equal(fakenet_mcast(fn, 0, G2, 78, 8), PG_OK); /* a group of one */
    d = fakenet_deliveries(fn, 0, &n);
    assert_int_equal(n, 2);
    assert_true(phys_stats(fakenet_phys(fn, 0))->datagrams_sent == sent); /* no datagram */
    assert_int_equal(phys_retained(fakenet_phys(fn, 0)), 1);              /* node 1 owes an ack */
    fakenet_free(fn);
}

/* ---- determinism ---- */

struct run_result {
    struct phys_stats stats[5];
    struct fakenet_delivery *d[5];
    size_t n[5];
};

static void harsh_run(uint64_t seed, struct run_result *out)
{
    struct fakenet *fn = group_of(5, seed, NULL, G1);
    fakenet_set_loss(fn, 0.25);
    fakenet_set_dup(fn, 0.1);
    fakenet_set_jitter(fn, 4 * MS);
    fakenet_set_garble(fn, 0.02);
    struct workload w;
    all_senders(&w, G1, 5);
    run_workload(fn, &w, 1 * S, 5 * MS);
    fakenet_crash(fn, 4);
    run_workload(fn, &w, 2 * S, 5 * MS);
    fakenet_run_until(fn, 5 * S);
    for (unsigned i = 0; i < 5; i++) {
        out->stats[i] = *phys_stats(fakenet_phys(fn, i));
        const struct fakenet_delivery *d = fakenet_deliveries(fn, i, &out->n[i]);
        out->d[i] = malloc(out->n[i] * sizeof *d + 1);
        memcpy(out->d[i], d, out->n[i] * sizeof *d);
    }
    fakenet_free(fn);
}

static void test_determinism(void **state)
{
    (void)state;
    struct run_result a, b, c;
    harsh_run(42, &a);
    harsh_run(42, &b);
    harsh_run(43, &c);
    bool differs = false;
    for (unsigned i = 0; i < 5; i++) {
        assert_memory_equal(&a.stats[i], &b.stats[i], sizeof a.stats[i]);
        assert_int_equal(a.n[i], b.n[i]);
        assert_memory_equal(a.d[i], b.d[i], a.n[i] * sizeof *a.d[i]);
        differs |= memcmp(&a.stats[i], &c.stats[i], sizeof a.stats[i]) != 0;
    }
    assert_true(differs); /* the seed matters */
    assert_true(a.stats[0].suspicions == 1 && a.stats[0].delivered > 1000);
    for (unsigned i = 0; i < 5; i++) {
        free(a.d[i]);
        free(b.d[i]);
        free(c.d[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_exactly_once_clean),
        cmocka_unit_test(test_fifo_under_loss_dup_reorder),
        cmocka_unit_test(test_partition_heals_before_timeout),
        cmocka_unit_test(test_crash_suspected_monitor_once_per_group),
        cmocka_unit_test(test_from_faulty_dropped),
        cmocka_unit_test(test_no_false_suspicion_under_30pct_loss),
        cmocka_unit_test(test_ring_growth_under_burst),
        cmocka_unit_test(test_watched_peer_suspected_without_group),
        cmocka_unit_test(test_deleted_member_unacked_then_crash),
        cmocka_unit_test(test_window_full_all_or_nothing),
        cmocka_unit_test(test_memory_bounded),
        cmocka_unit_test(test_garbled_counted_and_dropped),
        cmocka_unit_test(test_data_for_unknown_group_acked_not_delivered),
        cmocka_unit_test(test_misaddressed_after_restart),
        cmocka_unit_test(test_reorder_duplicate_out_of_window),
        cmocka_unit_test(test_error_codes_create_destroy),
        cmocka_unit_test(test_error_codes_add_del_upcalls),
        cmocka_unit_test(test_error_codes_mcast),
        cmocka_unit_test(test_mcast_from_inside_upcall),
        cmocka_unit_test(test_self_delivery_before_return),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_acks_ride_on_data),
        cmocka_unit_test(test_one_way_acks_before_rto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
