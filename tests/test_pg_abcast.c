/* tests/test_pg_abcast.c: abcast (core/group/pg_abcast.c) on the fake network: total
 * order under loss, reordering and crashes, the token, its codec.
 *
 * Split from test_pg.c so that the unit tests mirror the modules. Each run is
 * judged by checkers/ (support_pgnet.c pgnet_judge) plus what it is about.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pg.h"
#include "phys.h"
#include "reply.h"
#include "rng.h"
#include "support_fakenet.h"
#include "support_pgnet.h"
#include "support_pgtest.h"

/* ---- abcast ---- */

static struct pgnet *group_cfg(unsigned n, uint64_t seed, const struct pg_config *cfg)
{
    struct pgnet *pn = pgnet_new(n, seed, cfg);
    unsigned idx[PG_MAX_MEMBERS_CAP];
    for (unsigned i = 0; i < n; i++)
        idx[i] = i;
    assert_int_equal(pgnet_create(pn, GID, idx, n), PG_OK);
    return pn;
}

static pg_node_id holder_at(struct pgnet *pn, unsigned i)
{
    pg_node_id h = PG_NODE_NONE;
    assert_int_equal(pg_token_holder(pgnet_pg(pn, i), GID, &h), PG_OK);
    return h;
}

/* Every live node delivered every abcast and cbcast that was sent. */
static void all_delivered(struct pgnet *pn, unsigned n, size_t sends)
{
    for (unsigned i = 0; i < n; i++)
        if (!fakenet_crashed(pgnet_fakenet(pn), i))
            assert_int_equal(pgnet_count(pn, PGNET_DELIVER, pgnet_id(pn, i), GID), sends);
}

static void test_abcast_total_order_loss_reorder(void **state)
{
    (void)state;
    struct pg_config cfg;
    pg_config_default(&cfg);
    cfg.abcast_token_follow = false; /* the holder (node 0) orders the others' abcasts */
    struct pgnet *pn = group_cfg(5, 31, &cfg);
    struct fakenet *fn = pgnet_fakenet(pn);
    fakenet_set_loss(fn, 0.05);
    fakenet_set_jitter(fn, 3 * MS);
    for (int k = 0; k < 30; k++) {
        for (unsigned i = 1; i < 5; i++)
            assert_int_equal(pgnet_abcast(pn, i, GID, 24, NULL), PG_OK);
        pgnet_run_for(pn, 500000);
    }
    pgnet_run_for(pn, 2000 * MS);
    all_delivered(pn, 5, 120);
    const struct pg_stats *s0 = pg_stats(pgnet_pg(pn, 0)), *s2 = pg_stats(pgnet_pg(pn, 2));
    assert_true(s0->order_records_sent > 0 && s2->order_records_sent == 0);
    assert_int_equal(s0->token_passes, 0);
    assert_int_equal(s2->abcast_delivered, 120);
    assert_true(s2->order_delay_total_ns > 0 && s2->order_delay_max_ns > 0);
    assert_true(s0->delayed_causal + s2->delayed_causal > 0); /* the reordering was reached */
    check_rules(pn, true);                                    /* rule 7 included */
    pgnet_free(pn);
}

/* The holder orders its own abcast in the message itself, but hands it to
 * its application, like every member, only once a majority of the view
 * delivered the record (pg_abcast.c: a holder that crashed right after
 * delivering could otherwise have an order the survivors do not repeat). */
static void test_abcast_holder_own_after_majority(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(4, 32);
    assert_int_equal(holder_at(pn, 2), pgnet_id(pn, 0)); /* the coordinator holds it */
    uint64_t t0, t2;
    assert_int_equal(pgnet_abcast(pn, 0, GID, 16, &t0), PG_OK);
    assert_false(pgnet_delivered(pn, pgnet_id(pn, 0), GID, t0)); /* positioned, not yet safe */
    assert_int_equal(pgnet_abcast(pn, 2, GID, 16, &t2), PG_OK);
    assert_false(pgnet_delivered(pn, pgnet_id(pn, 2), GID, t2)); /* waits for its order */
    pgnet_run_for(pn, 10 * MS);
    for (unsigned i = 0; i < 4; i++) {
        assert_true(pgnet_delivered(pn, pgnet_id(pn, i), GID, t0));
        assert_true(pgnet_delivered(pn, pgnet_id(pn, i), GID, t2));
    }
    assert_true(pg_stats(pgnet_pg(pn, 0))->order_delay_max_ns > 0);
    assert_true(pg_stats(pgnet_pg(pn, 2))->order_delay_max_ns > 0);
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_abcast_token_follows_single_sender(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(4, 33);
    struct pg_config dflt;
    pg_config_default(&dflt);
    uint32_t streak = dflt.abcast_token_streak;
    assert_true(dflt.abcast_token_follow && streak > 1);
    for (uint32_t k = 0; k < streak + 4; k++) {
        if (k == streak - 1) /* one short of a streak: the token is still at node 0 */
            assert_int_equal(holder_at(pn, 3), pgnet_id(pn, 0));
        assert_int_equal(pgnet_abcast(pn, 3, GID, 16, NULL), PG_OK);
        pgnet_run_for(pn, 2 * MS);
    }
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(holder_at(pn, i), pgnet_id(pn, 3));
    assert_int_equal(pg_stats(pgnet_pg(pn, 0))->token_passes, 1);
    uint64_t tag;
    assert_int_equal(pgnet_abcast(pn, 3, GID, 16, &tag), PG_OK);
    assert_int_equal(pg_stats(pgnet_pg(pn, 3))->order_records_sent > 0, 1); /* it orders now */
    pgnet_run_for(pn, 1 * MS);
    assert_true(pgnet_delivered(pn, pgnet_id(pn, 3), GID, tag)); /* one round trip, no holder */
    /* two senders interleaved: no streak, the token stays with node 3 */
    for (int k = 0; k < 20; k++) {
        assert_int_equal(pgnet_abcast(pn, 1, GID, 16, NULL), PG_OK);
        assert_int_equal(pgnet_abcast(pn, 2, GID, 16, NULL), PG_OK);
        pgnet_run_for(pn, 2 * MS);
    }
    pgnet_run_for(pn, 50 * MS);
    assert_int_equal(pg_stats(pgnet_pg(pn, 3))->token_passes, 0);
    assert_int_equal(holder_at(pn, 0), pgnet_id(pn, 3));
    all_delivered(pn, 4, streak + 4 + 1 + 40);
    check_rules(pn, true);
    pgnet_free(pn);

    /* fixed: the token never moves */
    struct pg_config cfg;
    pg_config_default(&cfg);
    cfg.abcast_token_follow = false;
    pn = group_cfg(4, 33, &cfg);
    for (int k = 0; k < 20; k++) {
        assert_int_equal(pgnet_abcast(pn, 3, GID, 16, NULL), PG_OK);
        pgnet_run_for(pn, 2 * MS);
    }
    assert_int_equal(holder_at(pn, 3), pgnet_id(pn, 0));
    assert_int_equal(pg_stats(pgnet_pg(pn, 0))->token_passes, 0);
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_abcast_sequencer_crash(void **state)
{
    (void)state;
    struct pg_config cfg;
    pg_config_default(&cfg);
    cfg.abcast_token_follow = false;
    struct pgnet *pn = group_cfg(5, 34, &cfg);
    for (int k = 0; k < 5; k++) { /* ordered while the holder lives */
        for (unsigned i = 1; i < 5; i++)
            assert_int_equal(pgnet_abcast(pn, i, GID, 16, NULL), PG_OK);
        pgnet_run_for(pn, 1 * MS);
    }
    for (unsigned i = 1; i < 5; i++) /* these reach the others, never an ORDER */
        assert_int_equal(pgnet_abcast(pn, i, GID, 16, NULL), PG_OK);
    pgnet_crash(pn, 0);
    for (unsigned i = 1; i < 5; i++) /* and more until the view change */
        assert_int_equal(pgnet_abcast(pn, i, GID, 16, NULL), PG_OK);
    pgnet_run_for(pn, 3000 * MS);
    for (unsigned i = 1; i < 5; i++) {
        struct pg_view v;
        assert_int_equal(view_of(pn, i, &v), 2);
        assert_int_equal(v.n_members, 4);
        assert_int_equal(holder_at(pn, i), pgnet_id(pn, 1)); /* the new coordinator */
        assert_int_equal(pg_stats(pgnet_pg(pn, i))->abcast_flush_ordered, 8);
    }
    all_delivered(pn, 5, 28);
    /* view 2 works: abcasts ordered by the new holder */
    for (unsigned i = 1; i < 5; i++)
        assert_int_equal(pgnet_abcast(pn, i, GID, 16, NULL), PG_OK);
    pgnet_run_for(pn, 50 * MS);
    all_delivered(pn, 5, 32);
    check_rules(pn, true);
    pgnet_free(pn);
}

/* Node 2 answers each message of node 1 with a cbcast, from the upcall. */
static void abcast_reply_hook(void *ctx, struct pgnet *pn, unsigned node, pg_gid gid, uint64_t tag,
                              pg_node_id from)
{
    (void)ctx, (void)tag;
    if (node == 2 && from == pgnet_id(pn, 1))
        assert_int_equal(pgnet_cbcast(pn, 2, gid, 12, NULL), PG_OK);
}

static void test_abcast_mixed_causal(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(4, 35);
    struct fakenet *fn = pgnet_fakenet(pn);
    fakenet_set_latency(fn, 1, 3, 4 * MS); /* node 1's messages reach node 3 late */
    fakenet_set_jitter(fn, 300000);
    pgnet_set_hook(pn, abcast_reply_hook, NULL);
    for (int k = 0; k < 10; k++) {
        uint64_t a, c;
        assert_int_equal(pgnet_abcast(pn, 1, GID, 16, &a), PG_OK);
        assert_int_equal(pgnet_cbcast(pn, 1, GID, 16, &c), PG_OK);
        assert_false(pgnet_delivered(pn, pgnet_id(pn, 1), GID, c)); /* behind its abcast */
        assert_int_equal(pgnet_abcast(pn, 3, GID, 16, NULL), PG_OK);
        pgnet_run_for(pn, 1 * MS);
    }
    pgnet_run_for(pn, 100 * MS);
    all_delivered(pn, 4, 10 * 3 + 20); /* node 2 answers node 1's abcasts and cbcasts */
    check_rules(pn, true);             /* causal order across cbcast and abcast, and total order */
    pgnet_free(pn);
}

static void test_abcast_full(void **state)
{
    (void)state;
    struct pg_config cfg;
    pg_config_default(&cfg);
    cfg.max_abcast_unordered = 3;
    struct pgnet *pn = group_cfg(3, 36, &cfg);
    fakenet_cut(pgnet_fakenet(pn), 0, 2, true); /* node 2 hears no ORDER for now */
    for (int k = 0; k < 3; k++)
        assert_int_equal(pgnet_abcast(pn, 2, GID, 16, NULL), PG_OK);
    assert_int_equal(pgnet_abcast(pn, 2, GID, 16, NULL), PG_E_FULL);
    fakenet_cut(pgnet_fakenet(pn), 0, 2, false);
    pgnet_run_for(pn, 500 * MS); /* retransmission brings the records */
    assert_int_equal(pgnet_abcast(pn, 2, GID, 16, NULL), PG_OK);
    pgnet_run_for(pn, 50 * MS);
    all_delivered(pn, 3, 4);
    check_rules(pn, true);
    pgnet_free(pn);
}

/* The abcast extension of DATA/FWD: round trip, and malformed variants. */
static void test_codec_abcast(void **state)
{
    (void)state;
    struct pg_wmsg m = {.type = PG_MT_DATA, .view_id = 4, .rank = 1, .n_vt = 1};
    m.vt_rank[0] = 1;
    m.vt[0] = 9;
    m.payload = (const uint8_t *)"ab";
    m.len = 2;
    m.ab = PG_AB_ABCAST | PG_AB_ORDER | PG_AB_TOKEN | PG_AB_SAFE;
    m.safe_pos = 299;
    m.ord_start = 300;
    m.n_ord = 2;
    m.ord_rank[0] = 3;
    m.ord_seq[0] = 70000;
    m.ord_rank[1] = 1;
    m.ord_seq[1] = 9;
    m.token_to = 2;
    uint8_t buf[256], buf2[256];
    size_t n = pg_encode(&m, buf, sizeof buf);
    assert_true(n > 0);
    struct pg_wmsg d;
    assert_int_equal(pg_decode(buf, n, &d), PG_OK);
    assert_int_equal(d.ab, m.ab);
    assert_int_equal(d.ord_start, 300);
    assert_int_equal(d.n_ord, 2);
    assert_int_equal(d.ord_rank[0], 3);
    assert_int_equal(d.ord_seq[0], 70000);
    assert_int_equal(d.token_to, 2);
    assert_int_equal(d.safe_pos, 299);
    assert_int_equal(d.len, 2);
    assert_int_equal(pg_encode(&d, buf2, sizeof buf2), n);
    assert_memory_equal(buf, buf2, n);
    size_t plain = 0;
    struct pg_wmsg c = m; /* a plain cbcast: no extension byte at all */
    c.ab = 0;
    plain = pg_encode(&c, buf2, sizeof buf2);
    assert_true(plain > 0 && plain < n);
    assert_int_equal(buf2[1], PG_MT_DATA);
    /* a carrier has no payload */
    struct pg_wmsg k = m;
    k.ab = PG_AB_NOAPP | PG_AB_ORDER;
    k.len = 0;
    n = pg_encode(&k, buf, sizeof buf);
    assert_int_equal(pg_decode(buf, n, &d), PG_OK);
    buf[n] = 'x'; /* ... and a payload byte makes it malformed */
    assert_int_equal(pg_decode(buf, n + 1, &d), PG_E_MALFORMED);
    /* flag byte 0, ABCAST with NOAPP, extension on a STABLE: malformed */
    n = pg_encode(&m, buf, sizeof buf);
    size_t flags_at = 7; /* magic, type, view 4, rank, n, VT entry (rank 1, value 9) */
    assert_int_equal(buf[flags_at], m.ab);
    buf[flags_at] = 0;
    assert_int_equal(pg_decode(buf, n, &d), PG_E_MALFORMED);
    buf[flags_at] = PG_AB_ABCAST | PG_AB_NOAPP;
    assert_int_equal(pg_decode(buf, n, &d), PG_E_MALFORMED);
    buf[flags_at] = 64; /* an unknown flag */
    assert_int_equal(pg_decode(buf, n, &d), PG_E_MALFORMED);
    struct pg_wmsg z = m; /* SAFE 0 names no position */
    z.ab = PG_AB_ABCAST | PG_AB_SAFE;
    z.safe_pos = 1;
    n = pg_encode(&z, buf, sizeof buf);
    assert_int_equal(pg_decode(buf, n, &d), PG_OK);
    assert_int_equal(buf[n - 3], 1); /* safe_pos, then the payload "ab" */
    buf[n - 3] = 0;
    assert_int_equal(pg_decode(buf, n, &d), PG_E_MALFORMED);
    struct pg_wmsg st = {.type = PG_MT_STABLE, .view_id = 1, .n_vt = 1};
    n = pg_encode(&st, buf, sizeof buf);
    buf[1] |= 0x80;
    assert_int_equal(pg_decode(buf, n, &d), PG_E_MALFORMED);
}

/* The abcast token passes while other senders' abcasts wait for their
 * positions: node 3 builds a streak, so the holder (node 0) passes it the
 * token; x (node 1, concurrent with the streak's last abcast) and y (node
 * 2, sent after it delivered x) reach node 3 before the TOKEN record, and
 * node 0 only after the pass (slow links to node 0). Node 0 never orders
 * them: node 3 must order what waits when it takes the token, in its causal
 * delivery order (x before y: a total order that extends causality), and
 * every member delivers both without a view change (pg_abcast.c,
 * ab_take_token). */
static void test_abcast_token_pass_orders_waiting(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(4, 44);
    struct fakenet *fn = pgnet_fakenet(pn);
    struct pg_config dflt;
    pg_config_default(&dflt);
    uint32_t streak = dflt.abcast_token_streak;
    fakenet_set_latency(fn, 1, 0, 20 * MS);
    fakenet_set_latency(fn, 2, 0, 20 * MS);
    fakenet_set_latency(fn, 0, 3, 2 * MS); /* the TOKEN reaches node 3 after x and y */
    for (uint32_t k = 0; k + 1 < streak; k++) {
        assert_int_equal(pgnet_abcast(pn, 3, GID, 16, NULL), PG_OK);
        pgnet_run_for(pn, 2 * MS);
    }
    assert_int_equal(holder_at(pn, 3), pgnet_id(pn, 0));
    uint64_t x, y; /* x concurrent with the streak's last, so it cannot break it at node 0 */
    assert_int_equal(pgnet_abcast(pn, 1, GID, 16, &x), PG_OK);
    assert_int_equal(pgnet_abcast(pn, 3, GID, 16, NULL), PG_OK); /* the streak: a pass */
    pgnet_run_for(pn, 150000);
    assert_int_equal(pgnet_abcast(pn, 2, GID, 16, &y), PG_OK); /* causally after x */
    pgnet_run_for(pn, 5 * MS); /* x and y reach node 0 20 ms after they were sent */
    assert_false(pgnet_delivered(pn, pgnet_id(pn, 0), GID, x));
    assert_false(pgnet_delivered(pn, pgnet_id(pn, 0), GID, y));
    pgnet_run_for(pn, 100 * MS);
    assert_int_equal(pg_stats(pgnet_pg(pn, 0))->token_passes, 1);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(holder_at(pn, i), pgnet_id(pn, 3));
        assert_int_equal(view_of(pn, i, NULL), 1);
        assert_true(pgnet_delivered(pn, pgnet_id(pn, i), GID, x));
        assert_true(pgnet_delivered(pn, pgnet_id(pn, i), GID, y));
    }
    all_delivered(pn, 4, streak + 2);
    check_rules(pn, true);
    pgnet_free(pn);
}

/* Index of node's delivery of tag among the records, or -1. */
static long deliver_index(struct pgnet *pn, pg_node_id node, uint64_t tag)
{
    size_t n;
    const struct pgnet_rec *r = pgnet_recs(pn, &n);
    for (size_t i = 0; i < n; i++)
        if (r[i].kind == PGNET_DELIVER && r[i].node == node && r[i].tag == tag)
            return (long)i;
    return -1;
}

/* A view change while the token holder has published an order it has not
 * delivered yet. Node 3 holds the token (a streak); the coordinator is node
 * 0. a (node 2) and b (node 1) are concurrent; the holder orders a before b
 * and publishes it, but node 4's leave starts a flush that reaches the
 * others before the record (slow links from node 3), so nobody acknowledges
 * it and the holder cannot hand a or b over (safety needs a majority). c
 * (node 4) reaches the holder only during the flush: it gets a position
 * there that is never published. At the install every survivor keeps the
 * published order (a, b) and orders c after it identically; the holder's
 * private position for c is void (pg.h abcast(), "View change"; the
 * deterministic sort alone would give b, a, c). */
static void test_abcast_view_change_keeps_published_order(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(5, 45);
    struct fakenet *fn = pgnet_fakenet(pn);
    for (int k = 0; k < 10; k++) { /* the token follows node 3 */
        assert_int_equal(pgnet_abcast(pn, 3, GID, 16, NULL), PG_OK);
        pgnet_run_for(pn, 2 * MS);
    }
    pgnet_run_for(pn, 50 * MS);
    assert_int_equal(holder_at(pn, 1), pgnet_id(pn, 3));
    for (unsigned i = 0; i < 5; i++)
        if (i != 3)
            fakenet_set_latency(fn, 3, i, 1 * MS); /* its records come after the FLUSH */
    fakenet_set_latency(fn, 0, 3, 2 * MS);         /* the FLUSH reaches it after a and b */
    fakenet_set_latency(fn, 4, 3, 3 * MS);         /* c reaches it during the flush */
    uint64_t a, b, c;
    assert_int_equal(pgnet_abcast(pn, 2, GID, 16, &a), PG_OK);
    assert_int_equal(pgnet_abcast(pn, 1, GID, 16, &b), PG_OK);
    assert_int_equal(pgnet_abcast(pn, 4, GID, 16, &c), PG_OK);
    uint64_t records = pg_stats(pgnet_pg(pn, 3))->order_records_sent;
    assert_int_equal(pg_leave(pgnet_pg(pn, 4), GID), PG_OK);
    pgnet_run_for(pn, 3 * MS / 2);
    assert_true(pg_stats(pgnet_pg(pn, 3))->order_records_sent > records); /* a, b published */
    for (unsigned i = 0; i < 5; i++) /* nobody handed a over: no majority acknowledged it */
        assert_false(pgnet_delivered(pn, pgnet_id(pn, i), GID, a));
    pgnet_run_for(pn, 200 * MS);
    assert_true(pg_stats(pgnet_pg(pn, 3))->abcast_flush_ordered >= 1); /* c */
    for (unsigned i = 0; i < 5; i++) {
        pg_node_id id = pgnet_id(pn, i);
        long da = deliver_index(pn, id, a), db = deliver_index(pn, id, b),
             dc = deliver_index(pn, id, c);
        assert_true(da >= 0 && da < db && db < dc);
    }
    assert_true(pg_excluded(pgnet_pg(pn, 4), GID));
    assert_int_equal(view_of(pn, 3, NULL), 2);
    check_rules(pn, true);
    pgnet_free(pn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abcast_total_order_loss_reorder),
        cmocka_unit_test(test_abcast_holder_own_after_majority),
        cmocka_unit_test(test_abcast_token_follows_single_sender),
        cmocka_unit_test(test_abcast_sequencer_crash),
        cmocka_unit_test(test_abcast_mixed_causal),
        cmocka_unit_test(test_abcast_full),
        cmocka_unit_test(test_codec_abcast),
        cmocka_unit_test(test_abcast_token_pass_orders_waiting),
        cmocka_unit_test(test_abcast_view_change_keeps_published_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
