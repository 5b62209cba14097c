/* tests/test_pg.c: the process-group layer (core/include/group/pg.h) on the fake network.
 *
 * Views, flush, cbcast, stability, failures and membership. Each scenario
 * records every application-level upcall and has checkers/ judge the records
 * (support_pgnet.c pgnet_judge), plus what the scenario is about (who
 * installed which view, who delivered what, counters). Clients, abcast and
 * reply collection have their own files (test_pg_client.c, test_pg_abcast.c,
 * test_reply.c), causality domains and state transfer too (test_pg_domain.c,
 * test_pg_state.c); shared helpers are in support_pgtest.h.
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

/* ---- basic ---- */

static void test_view1_agreement(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(4, 1);
    for (unsigned i = 0; i < 4; i++) {
        struct pg_view v;
        assert_int_equal(view_of(pn, i, &v), 1);
        assert_int_equal(v.n_members, 4);
        for (unsigned j = 0; j < 4; j++)
            assert_int_equal(v.members[j], pgnet_id(pn, j));
    }
    pgnet_run_for(pn, 50 * MS);
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_own_delivery_at_once(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(3, 2);
    uint64_t tag;
    assert_int_equal(pgnet_cbcast(pn, 1, GID, 32, &tag), PG_OK);
    assert_true(pgnet_delivered(pn, pgnet_id(pn, 1), GID, tag));
    assert_false(pgnet_delivered(pn, pgnet_id(pn, 0), GID, tag));
    pgnet_run_for(pn, 10 * MS);
    for (unsigned i = 0; i < 3; i++)
        assert_true(pgnet_delivered(pn, pgnet_id(pn, i), GID, tag));
    check_rules(pn, true);
    pgnet_free(pn);
}

/* Node 1 replies (from inside the delivery upcall) to every message of node 0. */
static void reply_hook(void *ctx, struct pgnet *pn, unsigned node, pg_gid gid, uint64_t tag,
                       pg_node_id from)
{
    (void)ctx;
    if (node == 1 && from == pgnet_id(pn, 0))
        assert_int_equal(pgnet_cbcast(pn, 1, gid, 12, NULL), PG_OK);
}

static void test_causal_reply_under_reordering(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(4, 3);
    struct fakenet *fn = pgnet_fakenet(pn);
    /* 0 -> 3 is slow, 1 -> 3 fast: the replies overtake the requests at 3. */
    fakenet_set_latency(fn, 0, 3, 5 * MS);
    fakenet_set_latency(fn, 1, 3, 50000);
    fakenet_set_jitter(fn, 200000);
    pgnet_set_hook(pn, reply_hook, NULL);
    for (int k = 0; k < 20; k++) {
        burst(pn, 0, 1);
        pgnet_run_for(pn, 300000);
    }
    pgnet_run_for(pn, 100 * MS);
    const struct pg_stats *st = pg_stats(pgnet_pg(pn, 3));
    assert_true(st->delayed_causal > 0); /* the situation was reached */
    assert_int_equal(pgnet_count(pn, PGNET_DELIVER, pgnet_id(pn, 3), GID), 40);
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_flush_waits_for_all(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(3, 4);
    fakenet_set_latency(pgnet_fakenet(pn), 0, 2, 20 * MS);
    burst(pn, 0, 5);
    assert_int_equal(pgnet_flush(pn, 0, GID), PG_OK);
    assert_int_equal(pgnet_flush(pn, 0, GID), PG_E_BUSY);
    pgnet_run_for(pn, 10 * MS);
    assert_int_equal(pgnet_flush_done_count(pn, 0), 0); /* node 2 has not got them */
    pgnet_run_for(pn, 100 * MS);
    assert_int_equal(pgnet_flush_done_count(pn, 0), 1);
    /* nothing outstanding: done at once */
    assert_int_equal(pgnet_flush(pn, 1, GID), PG_OK);
    assert_int_equal(pgnet_flush_done_count(pn, 1), 1);
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_stability_bounds_retained(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(4, 5);
    size_t max_ret = 0;
    for (int round = 0; round < 400; round++) {
        for (unsigned i = 0; i < 4; i++)
            assert_int_equal(pgnet_cbcast(pn, i, GID, 64, NULL), PG_OK);
        pgnet_run_for(pn, 1 * MS);
        for (unsigned i = 0; i < 4; i++) {
            size_t r = pg_retained(pgnet_pg(pn, i));
            max_ret = r > max_ret ? r : max_ret;
        }
    }
    pgnet_run_for(pn, 50 * MS);
    assert_true(max_ret < 100); /* 1600 messages sent, few retained at any time */
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(pg_retained(pgnet_pg(pn, i)), 0);
    assert_true(pg_stats(pgnet_pg(pn, 0))->stable_msgs_sent > 0);
    check_rules(pn, true);
    pgnet_free(pn);
}

/* One sender among idle members: they tell the coordinator what they
 * delivered, and it announces the stable vector, so each message costs O(n)
 * stability datagrams, not O(n^2) (every member multicasting). Everything is
 * still released everywhere, and pg_flush at the sender completes. */
static void test_stability_idle_members(void **state)
{
    (void)state;
    enum { N = 12, MSGS = 20 };
    struct pgnet *pn = group_of(N, 31);
    pgnet_run_for(pn, 100 * MS); /* the install advertisements */
    uint64_t data0 = 0;
    for (unsigned i = 0; i < N; i++)
        data0 += phys_stats(fakenet_phys(pgnet_fakenet(pn), i))->data_sent;
    for (int k = 0; k < MSGS; k++) {
        burst(pn, 5, 1);
        pgnet_run_for(pn, 60 * MS); /* idle long enough for a stability round */
    }
    uint64_t data = 0;
    for (unsigned i = 0; i < N; i++) {
        assert_int_equal(pg_retained(pgnet_pg(pn, i)), 0);
        data += phys_stats(fakenet_phys(pgnet_fakenet(pn), i))->data_sent;
    }
    data -= data0;
    /* per message: N-1 copies, N-2 acks to the coordinator, N-1 announcements */
    assert_true(data <= (uint64_t)MSGS * 3 * (N - 1));
    assert_true(data >= (uint64_t)MSGS * (N - 1));
    assert_true(pg_stats(pgnet_pg(pn, 0))->stable_msgs_sent >= MSGS); /* announcements */
    assert_int_equal(pgnet_flush(pn, 5, GID), PG_OK);
    assert_int_equal(pgnet_flush_done_count(pn, 5), 1); /* all stable already */
    burst(pn, 5, 1);
    assert_int_equal(pgnet_flush(pn, 5, GID), PG_OK);
    assert_int_equal(pgnet_flush_done_count(pn, 5), 1);
    pgnet_run_for(pn, 100 * MS);
    assert_int_equal(pgnet_flush_done_count(pn, 5), 2);
    check_rules(pn, true);
    pgnet_free(pn);
}

/* The first advertisement of a view goes to the coordinator like the later
 * ones: one message in a fresh view of N members costs O(N) datagrams, not
 * the N(N-1) of every member multicasting that it installed (at 256 members,
 * 65,280 datagrams in one instant). */
static void test_install_advertisements_linear(void **state)
{
    (void)state;
    enum { N = 48 };
    struct pgnet *pn = group_of(N, 37);
    burst(pn, 5, 1);
    pgnet_run_for(pn, 200 * MS);
    for (unsigned i = 0; i < N; i++)
        assert_int_equal(pg_retained(pgnet_pg(pn, i)), 0);
    uint64_t data = data_sent_total(pn, N);
    /* N-1 copies, at most 2 advertisements per member to the coordinator,
     * N-1 per announcement of the coordinator (at most two) */
    assert_true(data >= N - 1);
    assert_true(data <= 5 * (N - 1));
    check_rules(pn, true);
    pgnet_free(pn);
}

/* ---- failures ---- */

static void test_crash_mid_burst(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(4, 6);
    fakenet_set_jitter(pgnet_fakenet(pn), 300000);
    burst(pn, 2, 30);
    pgnet_run_for(pn, 100000);
    pgnet_crash(pn, 2);
    for (int k = 0; k < 10; k++) {
        burst(pn, 0, 1);
        burst(pn, 3, 1);
        pgnet_run_for(pn, 2 * MS);
    }
    pgnet_run_for(pn, 2000 * MS);
    for (unsigned i = 0; i < 4; i++) {
        if (i == 2)
            continue;
        struct pg_view v;
        assert_int_equal(view_of(pn, i, &v), 2);
        assert_int_equal(v.n_members, 3);
    }
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_two_crashes_in_five(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(5, 7);
    fakenet_set_jitter(pgnet_fakenet(pn), 200000);
    for (unsigned i = 0; i < 5; i++)
        burst(pn, i, 5);
    pgnet_run_for(pn, 200000);
    pgnet_crash(pn, 1);
    pgnet_crash(pn, 3);
    burst(pn, 0, 3);
    pgnet_run_for(pn, 3000 * MS);
    for (unsigned i = 0; i < 5; i += 2) {
        struct pg_view v;
        assert_true(view_of(pn, i, &v) >= 2);
        assert_int_equal(v.n_members, 3);
    }
    burst(pn, 4, 3);
    pgnet_run_for(pn, 100 * MS);
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_coordinator_crash_during_change(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(5, 8);
    burst(pn, 0, 4);
    burst(pn, 4, 4);
    pgnet_run_for(pn, 1 * MS);
    pgnet_crash(pn, 4); /* triggers a view change run by node 0 */
    const struct pg_stats *s0 = pg_stats(pgnet_pg(pn, 0));
    int64_t limit = pgnet_now(pn) + 5000 * MS;
    while (s0->view_changes_started == 0 && pgnet_now(pn) < limit)
        pgnet_run_for(pn, 100000);
    assert_true(s0->view_changes_started > 0);
    pgnet_crash(pn, 0); /* the coordinator, mid-change */
    pgnet_run_for(pn, 5000 * MS);
    for (unsigned i = 1; i < 4; i++) {
        struct pg_view v;
        assert_true(view_of(pn, i, &v) >= 2);
        assert_int_equal(v.n_members, 3);
        assert_int_equal(v.members[0], pgnet_id(pn, 1));
    }
    uint64_t takeovers = 0;
    for (unsigned i = 1; i < 4; i++)
        takeovers += pg_stats(pgnet_pg(pn, i))->takeovers;
    assert_true(takeovers > 0);
    burst(pn, 2, 2);
    pgnet_run_for(pn, 100 * MS);
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_partition_minority_excluded(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(5, 9);
    burst(pn, 0, 3);
    pgnet_run_for(pn, 10 * MS);
    fakenet_partition(pgnet_fakenet(pn), (1u << 3) | (1u << 4));
    burst(pn, 3, 2);
    burst(pn, 1, 2);
    pgnet_run_for(pn, 5000 * MS);
    for (unsigned i = 3; i < 5; i++) {
        assert_true(pg_excluded(pgnet_pg(pn, i), GID));
        assert_int_equal(pgnet_cbcast(pn, i, GID, 8, NULL), PG_E_CRASHED);
        assert_int_equal(pgnet_count(pn, PGNET_EXCLUDED, pgnet_id(pn, i), GID), 1);
    }
    for (unsigned i = 0; i < 3; i++) {
        struct pg_view v;
        assert_int_equal(view_of(pn, i, &v), 2);
        assert_int_equal(v.n_members, 3);
    }
    burst(pn, 2, 3);
    pgnet_run_for(pn, 100 * MS);
    check_rules(pn, false);
    pgnet_free(pn);
}

/* ---- membership ---- */

static void test_join_under_traffic(void **state)
{
    (void)state;
    struct pgnet *pn = pgnet_new(4, 10, NULL);
    unsigned idx[3] = {0, 1, 2};
    assert_int_equal(pgnet_create(pn, GID, idx, 3), PG_OK);
    assert_int_equal(pg_join(pgnet_pg(pn, 3), GID, pgnet_id(pn, 2)), PG_OK);
    assert_int_equal(pgnet_record(pn, 3, GID), PG_OK);
    assert_int_equal(pgnet_cbcast(pn, 3, GID, 8, NULL), PG_E_NOTMEMBER);
    for (int k = 0; k < 20; k++) {
        burst(pn, k % 3, 1);
        pgnet_run_for(pn, 1 * MS);
    }
    pgnet_run_for(pn, 200 * MS);
    struct pg_view v;
    assert_int_equal(view_of(pn, 3, &v), 2);
    assert_int_equal(v.n_members, 4);
    assert_int_equal(v.members[3], pgnet_id(pn, 3));
    burst(pn, 3, 3);
    burst(pn, 0, 3);
    pgnet_run_for(pn, 100 * MS);
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_leave(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(4, 11);
    burst(pn, 1, 3);
    pgnet_run_for(pn, 10 * MS);
    assert_int_equal(pg_leave(pgnet_pg(pn, 1), GID), PG_OK);
    pgnet_run_for(pn, 200 * MS);
    assert_true(pg_excluded(pgnet_pg(pn, 1), GID));
    for (unsigned i = 0; i < 4; i++) {
        if (i == 1)
            continue;
        struct pg_view v;
        assert_int_equal(view_of(pn, i, &v), 2);
        assert_int_equal(v.n_members, 3);
    }
    check_rules(pn, true);
    pgnet_free(pn);
}

/* ---- errors, hostile input, codec ---- */

static void nop_flush(void *ctx, pg_gid gid)
{
    (void)ctx;
    (void)gid;
}

/* Errors of a joiner (not a member yet) and of an excluded node. */
static void api_errors_joiner_and_excluded(struct pgnet *pn)
{
    uint8_t small[8] = {0};
    struct pg_view v;
    uint32_t vid;
    pg_node_id id0 = pgnet_id(pn, 0);
    /* a joiner is not a member yet */
    struct pg *p3 = pgnet_pg(pn, 3);
    assert_int_equal(pg_join(p3, GID, pgnet_id(pn, 3)), PG_E_INVAL);
    assert_int_equal(pg_join(p3, GID, PG_NODE_NONE), PG_E_INVAL);
    assert_int_equal(pg_join(p3, GID, id0), PG_OK);
    assert_int_equal(pgnet_record(pn, 3, GID), PG_OK);
    assert_int_equal(pg_join(p3, GID, id0), PG_E_EXISTS);
    assert_int_equal(pg_getview(p3, GID, &v), PG_E_NOTMEMBER);
    assert_int_equal(cbcast(p3, GID, small, 8, NULL, NULL), PG_E_NOTMEMBER);
    assert_int_equal(pg_flush(p3, GID, nop_flush, NULL), PG_E_NOTMEMBER);
    assert_int_equal(pg_leave(p3, GID), PG_E_NOTMEMBER);
    pgnet_run_for(pn, 200 * MS);
    assert_int_equal(pg_getview(p3, GID, &v), PG_OK);
    assert_int_equal(v.n_members, 4);

    /* an excluded node gets PG_E_CRASHED */
    assert_int_equal(pg_leave(pgnet_pg(pn, 2), GID), PG_OK);
    pgnet_run_for(pn, 200 * MS);
    struct pg *p2 = pgnet_pg(pn, 2);
    assert_true(pg_excluded(p2, GID));
    assert_int_equal(cbcast(p2, GID, small, 8, NULL, NULL), PG_E_CRASHED);
    assert_int_equal(pg_getview(p2, GID, &v), PG_E_CRASHED);
    assert_int_equal(pg_flush(p2, GID, nop_flush, NULL), PG_E_CRASHED);
    assert_int_equal(pg_add(p2, GID, 77, PG_CLIENT), PG_E_CRASHED);
    assert_int_equal(pg_send_view(p2, GID, &vid), PG_E_CRASHED);
}

static void test_api_errors(void **state)
{
    (void)state;
    struct pg_config cfg;
    pg_config_default(&cfg);
    cfg.max_groups = 2;
    cfg.max_unstable_own = 3;
    struct pgnet *pn = pgnet_new(4, 12, &cfg);
    struct pg *p0 = pgnet_pg(pn, 0);
    pg_node_id ids[3] = {pgnet_id(pn, 0), pgnet_id(pn, 1), pgnet_id(pn, 2)};
    pg_node_id dup[2] = {ids[0], ids[0]};
    pg_node_id other[2] = {ids[1], ids[2]};
    assert_int_equal(pg_create(p0, 0, ids, 3), PG_E_INVAL);
    assert_int_equal(pg_create(p0, GID, ids, 0), PG_E_INVAL);
    assert_int_equal(pg_create(p0, GID, dup, 2), PG_E_INVAL);
    assert_int_equal(pg_create(p0, GID, other, 2), PG_E_INVAL); /* self absent */
    unsigned idx[3] = {0, 1, 2};
    assert_int_equal(pgnet_create(pn, GID, idx, 3), PG_OK);
    assert_int_equal(pg_create(p0, GID, ids, 3), PG_E_EXISTS);
    assert_int_equal(pg_create(p0, GID + 1, ids, 3), PG_OK);
    assert_int_equal(pg_create(p0, GID + 2, ids, 3), PG_E_FULL);

    uint8_t big[PG_MAX_PAYLOAD + 1] = {0};
    struct pg_view v;
    uint32_t vid;
    assert_int_equal(cbcast(p0, 99, big, 8, NULL, NULL), PG_E_NOGROUP);
    assert_int_equal(cbcast(p0, GID, big, sizeof big, NULL, NULL), PG_E_TOOBIG);
    assert_int_equal(pg_getview(p0, 99, &v), PG_E_NOGROUP);
    assert_int_equal(pg_send_view(p0, 99, &vid), PG_E_NOGROUP);
    assert_int_equal(pg_monitor(p0, 99, NULL, NULL), PG_E_NOGROUP);
    assert_int_equal(pg_entry(p0, 99, NULL, NULL), PG_E_NOGROUP);
    assert_int_equal(pg_flush(p0, 99, nop_flush, NULL), PG_E_NOGROUP);
    assert_int_equal(pg_flush(p0, GID, NULL, NULL), PG_E_INVAL);
    assert_int_equal(pg_add(p0, GID, ids[1], PG_MEMBER), PG_E_EXISTS);
    assert_int_equal(pg_add(p0, GID, PG_NODE_NONE, PG_MEMBER), PG_E_INVAL);
    assert_int_equal(pg_add(p0, GID, 77, (enum pg_member_type)9), PG_E_INVAL);
    assert_int_equal(pg_del(p0, GID, 77, PG_MEMBER), PG_E_NOTMEMBER);
    assert_int_equal(pg_del(p0, GID, 77, PG_CLIENT), PG_E_NOTMEMBER);
    assert_int_equal(pg_add(p0, 99, 77, PG_MEMBER), PG_E_NOGROUP);
    assert_int_equal(set_dflt_domain(p0, 5), 0);
    assert_int_equal(set_dflt_domain(p0, 6), 5);

    /* own unstable messages are bounded: the 4th before any ack is refused */
    for (int k = 0; k < 3; k++)
        assert_int_equal(pgnet_cbcast(pn, 0, GID, 8, NULL), PG_OK);
    assert_int_equal(pgnet_cbcast(pn, 0, GID, 8, NULL), PG_E_FULL);
    pgnet_run_for(pn, 50 * MS);
    assert_int_equal(pgnet_cbcast(pn, 0, GID, 8, NULL), PG_OK);

    api_errors_joiner_and_excluded(pn);
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_malformed_dropped(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(3, 14);
    struct phys *ph0 = fakenet_phys(pgnet_fakenet(pn), 0);
    uint8_t junk[40];
    for (size_t k = 0; k < sizeof junk; k++)
        junk[k] = (uint8_t)(k * 37 + 1);
    assert_int_equal(phys_mcast(ph0, GID, junk, sizeof junk), PG_OK);
    /* well-formed, but DATA claiming another sender's rank */
    struct pg_wmsg m = {.type = PG_MT_DATA, .view_id = 1, .rank = 2, .n_vt = 1};
    m.vt_rank[0] = 2;
    m.vt[0] = 1;
    m.payload = junk;
    m.len = 8;
    uint8_t buf[128];
    size_t n = pg_encode(&m, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(phys_mcast(ph0, GID, buf, n), PG_OK);
    pgnet_run_for(pn, 20 * MS);
    for (unsigned i = 1; i < 3; i++) {
        assert_int_equal(pg_stats(pgnet_pg(pn, i))->malformed_dropped, 2);
        assert_int_equal(pg_stats(pgnet_pg(pn, i))->delivered, 0);
    }
    burst(pn, 0, 2);
    pgnet_run_for(pn, 20 * MS);
    assert_int_equal(pg_stats(pgnet_pg(pn, 2))->delivered, 2);
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_codec_roundtrip(void **state)
{
    (void)state;
    struct pg_wmsg ms[4];
    memset(ms, 0, sizeof ms);
    ms[0] = (struct pg_wmsg){.type = PG_MT_DATA, .view_id = 300, .rank = 3, .n_vt = 2};
    ms[0].vt_rank[0] = 1;
    ms[0].vt_rank[1] = 3;
    ms[0].vt[0] = 70000;
    ms[0].vt[1] = 5;
    ms[0].payload = (const uint8_t *)"hello";
    ms[0].len = 5;
    ms[1] = (struct pg_wmsg){.type = PG_MT_ACK,
                             .view_id = 2,
                             .attempt = 9,
                             .rank = 1,
                             .full = 1,
                             .n_old = 4,
                             .n_members = 3,
                             .n_clients = 1};
    ms[1].members[0] = 5;
    ms[1].members[1] = 6;
    ms[1].members[2] = 0x01020304;
    ms[1].clients[0] = 99;
    ms[2] = (struct pg_wmsg){.type = PG_MT_FLUSH_OK,
                             .view_id = 1,
                             .attempt = 2,
                             .rank = 0,
                             .mask = {{(uint64_t)1 << 63 | 5, 0, (uint64_t)1 << 2}}};
    ms[3] = (struct pg_wmsg){.type = PG_MT_REQ, .op = PG_REQ_DEL_CLIENT, .pid = 12};
    for (int i = 0; i < 4; i++) {
        uint8_t buf[512], buf2[512];
        size_t n = pg_encode(&ms[i], buf, sizeof buf);
        assert_true(n > 0);
        assert_int_equal(pg_encode(&ms[i], buf, n - 1), 0); /* does not fit */
        struct pg_wmsg d;
        assert_int_equal(pg_decode(buf, n, &d), PG_OK);
        assert_int_equal(d.type, ms[i].type);
        assert_int_equal(d.view_id, ms[i].view_id);
        assert_true(pg_rs_eq(d.mask, ms[i].mask));
        assert_int_equal(d.n_old, ms[i].n_old);
        assert_int_equal(pg_encode(&d, buf2, sizeof buf2), n);
        assert_memory_equal(buf, buf2, n);
        for (size_t cut = 0; cut < n; cut++) { /* every strict prefix: no crash */
            int rc = pg_decode(buf, cut, &d);
            if (ms[i].type != PG_MT_DATA || cut < n - ms[i].len)
                assert_int_equal(rc, PG_E_MALFORMED);
        }
    }
}

/* VT entries around the varint boundaries (1, 2, 3 and 5 bytes), decoded
 * by the inline one- and two-byte path and by the general one, in every
 * order of lengths; the encoding is canonical both ways. */
static void test_codec_vt_varints(void **state)
{
    (void)state;
    static const uint32_t vals[] = {0,     1,       127,     128,       16383,
                                    16384, 2097151, 2097152, 268435455, UINT32_MAX};
    enum { NV = sizeof vals / sizeof vals[0] };
    for (unsigned shift = 0; shift < NV; shift++) {
        struct pg_wmsg m;
        memset(&m, 0, sizeof m);
        m.type = PG_MT_DATA;
        m.view_id = 7;
        m.rank = 2;
        m.n_vt = NV;
        for (unsigned i = 0; i < NV; i++) {
            m.vt_rank[i] = (uint8_t)(i * 25 + (i == NV - 1 ? 30 : 0)); /* up to rank 255 */
            m.vt[i] = vals[(i + shift) % NV];
        }
        uint8_t buf[256], buf2[256];
        size_t n = pg_encode(&m, buf, sizeof buf);
        assert_true(n > 0);
        struct pg_wmsg d;
        assert_int_equal(pg_decode(buf, n, &d), PG_OK);
        assert_int_equal(d.n_vt, NV);
        for (unsigned i = 0; i < NV; i++) {
            assert_int_equal(d.vt_rank[i], m.vt_rank[i]);
            assert_int_equal(d.vt[i], m.vt[i]);
        }
        assert_int_equal(pg_encode(&d, buf2, sizeof buf2), n);
        assert_memory_equal(buf, buf2, n);
        for (size_t cut = 0; cut < n; cut++) /* every strict prefix is refused */
            assert_int_equal(pg_decode(buf, cut, &d), PG_E_MALFORMED);
    }
}

static void test_rank_sets(void **state)
{
    (void)state;
    assert_int_equal(pg_rs_count(pg_rs_all(0)), 0);
    assert_int_equal(pg_rs_count(pg_rs_all(63)), 63);
    assert_int_equal(pg_rs_count(pg_rs_all(64)), 64);
    assert_int_equal(pg_rs_count(pg_rs_all(65)), 65);
    assert_int_equal(pg_rs_count(pg_rs_all(PG_MAX_MEMBERS_CAP)), PG_MAX_MEMBERS_CAP);
    struct pg_rset s = pg_rs_none();
    pg_rs_add(&s, 0);
    pg_rs_add(&s, 64);
    pg_rs_add(&s, PG_MAX_MEMBERS_CAP - 1);
    assert_true(pg_rs_has(&s, 64) && pg_rs_has(&s, PG_MAX_MEMBERS_CAP - 1));
    assert_false(pg_rs_has(&s, 63) || pg_rs_has(&s, 65) || pg_rs_has(&s, PG_MAX_MEMBERS_CAP));
    struct pg_rset all65 = pg_rs_all(65);
    assert_true(pg_rs_has(&all65, 64) && !pg_rs_has(&all65, 65));
    assert_int_equal(pg_rs_count(pg_rs_and(s, all65)), 2);
    assert_int_equal(pg_rs_count(pg_rs_minus(s, all65)), 1);
    assert_true(pg_rs_eq(pg_rs_or(pg_rs_minus(s, all65), pg_rs_and(s, all65)), s));
    assert_false(pg_rs_eq(s, all65));
    assert_true(pg_rs_empty(pg_rs_minus(all65, pg_rs_all(65))));
}

/* Ranks above 64 and a view larger than one mask word: two members crash at
 * once in a 130-member group, one of them ranked 100; both views agree. */
static void test_large_group_crash(void **state)
{
    (void)state;
    struct pg_config cfg;
    pg_config_default(&cfg);
    cfg.max_members = 130;
    struct pgnet *pn = pgnet_new(130, 21, &cfg);
    unsigned idx[130];
    for (unsigned i = 0; i < 130; i++)
        idx[i] = i;
    assert_int_equal(pgnet_create(pn, GID, idx, 130), PG_OK);
    burst(pn, 100, 3);
    burst(pn, 129, 3);
    pgnet_run_for(pn, 100000);
    pgnet_crash(pn, 100);
    pgnet_crash(pn, 0);
    pgnet_run_for(pn, 3000 * MS);
    burst(pn, 129, 2);
    pgnet_run_for(pn, 200 * MS);
    for (unsigned i = 1; i < 130; i++) {
        if (i == 100)
            continue;
        struct pg_view v;
        assert_int_equal(view_of(pn, i, &v), 2);
        assert_int_equal(v.n_members, 128);
        assert_int_equal(v.members[0], pgnet_id(pn, 1));
        assert_int_equal(v.members[127], pgnet_id(pn, 129));
    }
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_false_suspicion_excludes(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(4, 15);
    struct fakenet *fn = pgnet_fakenet(pn);
    burst(pn, 3, 2);
    pgnet_run_for(pn, 10 * MS);
    for (unsigned i = 0; i < 3; i++) { /* node 3 goes silent but does not crash */
        fakenet_cut(fn, 3, i, true);
        fakenet_cut(fn, i, 3, true);
    }
    pgnet_run_for(pn, 5000 * MS);
    fakenet_heal(fn);
    pgnet_run_for(pn, 2000 * MS);
    assert_true(pg_excluded(pgnet_pg(pn, 3), GID));
    struct pg_view v;
    assert_int_equal(view_of(pn, 0, &v), 2);
    assert_int_equal(v.n_members, 3);
    burst(pn, 1, 2);
    pgnet_run_for(pn, 50 * MS);
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_loss_with_crash(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(5, 16);
    struct fakenet *fn = pgnet_fakenet(pn);
    fakenet_set_loss(fn, 0.2);
    fakenet_set_jitter(fn, 300000);
    for (int k = 0; k < 60; k++) {
        unsigned i = (unsigned)k % 5;
        if (!fakenet_crashed(fn, i))
            (void)pgnet_cbcast(pn, i, GID, 24, NULL);
        if (k == 25)
            pgnet_crash(pn, 2);
        pgnet_run_for(pn, 2 * MS);
    }
    fakenet_set_loss(fn, 0);
    pgnet_run_for(pn, 5000 * MS);
    struct pg_view v;
    assert_int_equal(view_of(pn, 4, &v), 2);
    assert_int_equal(v.n_members, 4);
    check_rules(pn, true);
    pgnet_free(pn);
}

/* Runs one mixed scenario; returns a digest of every record. */
static uint64_t mixed_run(uint64_t seed)
{
    struct pgnet *pn = group_of(5, seed);
    fakenet_set_jitter(pgnet_fakenet(pn), 400000);
    for (int k = 0; k < 40; k++) {
        if (k != 20)
            burst(pn, (unsigned)k % 4, 1);
        else
            pgnet_crash(pn, 4);
        pgnet_run_for(pn, 700000);
    }
    pgnet_run_for(pn, 3000 * MS);
    size_t n;
    const struct pgnet_rec *r = pgnet_recs(pn, &n);
    uint64_t h = 1469598103934665603ull;
    for (size_t k = 0; k < n; k++)
        h = (h ^ fakenet_hash((const uint8_t *)&r[k], sizeof r[k])) * 1099511628211ull;
    h ^= pg_stats(pgnet_pg(pn, 0))->header_bytes;
    check_rules(pn, true);
    pgnet_free(pn);
    return h;
}

static void test_determinism(void **state)
{
    (void)state;
    assert_true(mixed_run(17) == mixed_run(17));
    assert_true(mixed_run(17) != mixed_run(18));
}

/* The checker must bite: corrupt recorded runs and expect a verdict. */
static void test_checker_bites(void **state)
{
    (void)state;
    char why[256];
    for (int mut = 0; mut < 3; mut++) {
        struct pgnet *pn = group_of(3, 19);
        burst(pn, 0, 3);
        burst(pn, 1, 3);
        pgnet_run_for(pn, 20 * MS);
        pgnet_crash(pn, 2);
        pgnet_run_for(pn, 3000 * MS);
        assert_true(pgnet_judge(pn, true, why, sizeof why));
        size_t n;
        struct pgnet_rec *r = (struct pgnet_rec *)pgnet_recs(pn, &n);
        size_t k = 0;
        if (mut == 0) { /* a delivery turned into a duplicate of the previous one */
            while (k + 1 < n && !(r[k].kind == PGNET_DELIVER && r[k + 1].kind == PGNET_DELIVER &&
                                  r[k].node == r[k + 1].node))
                k++;
            r[k + 1].tag = r[k].tag;
            r[k + 1].from = r[k].from;
        } else if (mut == 1) { /* one node's view 2 lists other members */
            while (k < n && !(r[k].kind == PGNET_VIEW && r[k].view == 2))
                k++;
            r[k].members[0] = 999;
        } else { /* one delivery of view 1 is lost at a survivor */
            while (k < n && !(r[k].kind == PGNET_DELIVER && r[k].node == pgnet_id(pn, 1) &&
                              r[k].from == pgnet_id(pn, 0)))
                k++;
            r[k].kind = PGNET_FLUSH_CALL;
        }
        assert_true(k < n);
        assert_false(pgnet_judge(pn, true, why, sizeof why));
        pgnet_free(pn);
    }
}

/* Crashes the coordinator at every offset of a view change (and, with
 * `cascade`, the next coordinator too); survivors must agree. */
static void coord_crash_at(unsigned n, uint64_t seed, int64_t off, bool cascade)
{
    struct pgnet *pn = group_of(n, seed);
    struct fakenet *fn = pgnet_fakenet(pn);
    fakenet_set_jitter(fn, 150000);
    for (unsigned i = 0; i < n; i++)
        burst(pn, i, 2);
    pgnet_run_for(pn, 100000);
    pgnet_crash(pn, n - 1);
    const struct pg_stats *s0 = pg_stats(pgnet_pg(pn, 0));
    while (s0->view_changes_started == 0)
        pgnet_run_for(pn, 20000);
    burst(pn, 1, 2);
    pgnet_run_for(pn, off);
    pgnet_crash(pn, 0);
    if (cascade) {
        pgnet_run_for(pn, off / 2);
        pgnet_crash(pn, 1);
    }
    if (!pg_excluded(pgnet_pg(pn, 2), GID))
        burst(pn, 2, 2);
    pgnet_run_for(pn, 20000 * MS);
    unsigned live = 0, excluded = 0;
    for (unsigned i = 0; i < n; i++) {
        if (fakenet_crashed(fn, i))
            continue;
        live++;
        excluded += pg_excluded(pgnet_pg(pn, i), GID);
    }
    assert_true(excluded == 0 || live * 2 <= n - 1);
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_coordinator_crash_sweep(void **state)
{
    (void)state;
    for (int64_t off = 0; off <= 1500000; off += 50000) {
        coord_crash_at(5, 20 + (uint64_t)off, off, false);
        coord_crash_at(7, 21 + (uint64_t)off, off, true);
    }
}

/* Seeded random traffic, crashes (a minority), loss and jitter. */
static void test_random_faults(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        uint64_t rng = sim_rng_stream(seed, SIM_RNG_CTL, 0), x = sim_rng_next(&rng);
        unsigned n = 3 + (unsigned)(x % 5), crashed = 0;
        struct pgnet *pn = group_of(n, seed);
        struct fakenet *fn = pgnet_fakenet(pn);
        fakenet_set_jitter(fn, (int64_t)(x % 500000));
        fakenet_set_loss(fn, (double)(x % 7) / 40.0);
        for (int step = 0; step < 200; step++) {
            x = sim_rng_next(&rng);
            unsigned i = (unsigned)(x >> 33) % n;
            if (!fakenet_crashed(fn, i) && !pg_excluded(pgnet_pg(pn, i), GID))
                (void)pgnet_cbcast(pn, i, GID, 16, NULL);
            if ((x >> 20) % 80 == 0 && crashed < (n - 1) / 2 && !fakenet_crashed(fn, i)) {
                pgnet_crash(pn, i);
                crashed++;
            }
            pgnet_run_for(pn, (int64_t)((x >> 40) % 1000) * 1000);
        }
        fakenet_set_loss(fn, 0);
        pgnet_run_for(pn, 20000 * MS);
        for (unsigned i = 0; i < n; i++)
            assert_false(!fakenet_crashed(fn, i) && pg_excluded(pgnet_pg(pn, i), GID));
        check_rules(pn, true);
        pgnet_free(pn);
    }
}

/* ---- behaviours no test reached (issue 10) ---- */

/* cbcasts from every live member not excluded, one each per `period`, until `until`. */
static void traffic(struct pgnet *pn, unsigned n, int64_t until, int64_t period)
{
    struct fakenet *fn = pgnet_fakenet(pn);
    while (pgnet_now(pn) < until) {
        for (unsigned i = 0; i < n; i++)
            if (!fakenet_crashed(fn, i) && !pg_excluded(pgnet_pg(pn, i), GID))
                (void)pgnet_cbcast(pn, i, GID, 16, NULL);
        pgnet_run_for(pn, period);
    }
}

/* Whether node i's view lists exactly the nodes idx[0..k), in that order. */
static bool view_is(struct pgnet *pn, unsigned i, const unsigned *idx, uint32_t k)
{
    struct pg_view v;
    if (view_of(pn, i, &v) == 0 || v.n_members != k)
        return false;
    for (uint32_t r = 0; r < k; r++)
        if (v.members[r] != pgnet_id(pn, idx[r]))
            return false;
    return true;
}

/* An asymmetric cut (node 1 -> node 2 only, the scenario's p2 -> p3) in a
 * group of 5 under traffic, longer than suspect_timeout: node 2 stops
 * hearing node 1, nobody else suspects anyone. Node 2 reports to the
 * coordinator, which still hears node 1; after report_wait (its own
 * suspicion would have come by then) it removes the reporter, not the member
 * reported (pg.h protocol item 7, fail-stop conversion: one of the two goes,
 * and a member that cannot hear must not remove the others). */
static void test_asymmetric_cut_removes_reporter(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(5, 41);
    struct fakenet *fn = pgnet_fakenet(pn);
    traffic(pn, 5, 100 * MS, 10 * MS);
    int64_t cut_at = pgnet_now(pn);
    fakenet_cut(fn, 1, 2, true);
    /* suspicion at about 1 s, the report judged 1 s (report_wait) later */
    traffic(pn, 5, cut_at + 1800 * MS, 10 * MS);
    assert_int_equal(view_of(pn, 0, NULL), 1); /* the coordinator still waits */
    assert_false(pg_excluded(pgnet_pg(pn, 2), GID));
    assert_true(pg_stats(pgnet_pg(pn, 2))->failed_reports > 0);
    traffic(pn, 5, cut_at + 3000 * MS, 10 * MS);
    fakenet_heal(fn);
    traffic(pn, 5, cut_at + 3500 * MS, 10 * MS);
    pgnet_run_for(pn, 2000 * MS);
    assert_true(pg_excluded(pgnet_pg(pn, 2), GID));
    static const unsigned rest[] = {0, 1, 3, 4};
    for (unsigned k = 0; k < 4; k++)
        assert_true(view_is(pn, rest[k], rest, 4)); /* node 1 stays */
    assert_int_equal(view_of(pn, 0, NULL), 2);
    check_rules(pn, true);
    pgnet_free(pn);
}

/* An even split (2 | 2) of a group of 4 for longer than suspect_timeout:
 * neither side holds a majority of view 1 (primary-partition rule: a view
 * change needs more than half of the current view), so no side installs a
 * view 2 and every member ends excluded, even after the heal (fail-stop
 * conversion: the other side is deemed faulty for good). */
static void test_even_split_no_primary(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(4, 42);
    struct fakenet *fn = pgnet_fakenet(pn);
    traffic(pn, 4, 100 * MS, 10 * MS);
    fakenet_partition(fn, (1u << 2) | (1u << 3));
    traffic(pn, 4, 3000 * MS, 10 * MS);
    fakenet_heal(fn);
    traffic(pn, 4, 3500 * MS, 10 * MS);
    pgnet_run_for(pn, 2000 * MS);
    for (unsigned i = 0; i < 4; i++) {
        assert_true(pg_excluded(pgnet_pg(pn, i), GID));
        assert_int_equal(pgnet_count(pn, PGNET_EXCLUDED, pgnet_id(pn, i), GID), 1);
        assert_int_equal(pgnet_count(pn, PGNET_VIEW, pgnet_id(pn, i), GID), 1); /* view 1 only */
        assert_int_equal(pgnet_cbcast(pn, i, GID, 16, NULL), PG_E_CRASHED);
    }
    check_rules(pn, false);
    pgnet_free(pn);
}

/* Runs node events one at a time until node i's next cbcast would be held
 * for a flush (its send view is past its view); false if not by `limit`. */
static bool step_until_flushing(struct pgnet *pn, unsigned i, int64_t limit)
{
    uint32_t sv = 0;
    while (fakenet_step(pgnet_fakenet(pn), limit))
        if (pg_send_view(pgnet_pg(pn, i), GID, &sv) == PG_OK && sv > view_of(pn, i, NULL))
            return true;
    return false;
}

/* pg_flush called while the caller's multicasts are held for a flush (they
 * get their place in view 2 only at its install): flush_done must wait
 * until every member of view 2 delivered them, not return on the strength
 * of the caller's view 1 messages, all stable long before (rule 8). */
static void test_flush_while_held(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(4, 43);
    burst(pn, 1, 3);
    pgnet_run_for(pn, 50 * MS); /* view 1 messages delivered and stable */
    pgnet_crash(pn, 3);
    assert_true(step_until_flushing(pn, 1, pgnet_now(pn) + 3000 * MS));
    uint64_t held[2];
    for (int k = 0; k < 2; k++)
        assert_int_equal(pgnet_cbcast(pn, 1, GID, 16, &held[k]), PG_OK);
    assert_int_equal(pg_stats(pgnet_pg(pn, 1))->held_flush, 2);
    assert_int_equal(pgnet_flush(pn, 1, GID), PG_OK);
    assert_int_equal(pgnet_flush_done_count(pn, 1), 0);
    pgnet_run_for(pn, 500 * MS);
    assert_int_equal(pgnet_flush_done_count(pn, 1), 1);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(view_of(pn, i, NULL), 2);
        for (int k = 0; k < 2; k++)
            assert_true(pgnet_delivered(pn, pgnet_id(pn, i), GID, held[k]));
    }
    check_rules(pn, true); /* rule 8: flush_done after every delivery of held[] */
    pgnet_free(pn);
}

/* Whether node i installed view 2 with exactly the members idx[0..k). */
static bool view2_was(struct pgnet *pn, unsigned i, const unsigned *idx, uint32_t k)
{
    size_t n;
    const struct pgnet_rec *r = pgnet_recs(pn, &n);
    for (size_t j = 0; j < n; j++) {
        if (r[j].kind != PGNET_VIEW || r[j].node != pgnet_id(pn, i) || r[j].view != 2)
            continue;
        bool same = r[j].n_members == k;
        for (uint32_t m = 0; same && m < k; m++)
            same = r[j].members[m] == pgnet_id(pn, idx[m]);
        return same;
    }
    return false;
}

/* A false suspicion of the coordinator during its own flush: node 4
 * crashes and node 0 runs the view change; node 1 accepts its FLUSH, then
 * stops hearing node 0 (cut 0 -> 1; node 0 is alive) before it learns the
 * decision, which node 0 takes late (node 3's FLUSH_OK is 300 ms away) and
 * which nodes 2 and 3 tell node 1 only 800 ms later. Node 1 suspects node 0
 * first and takes over with a higher attempt: its takeover races a decision
 * that a majority committed. With `slow_23`, nodes 2 and 3 hear each other's
 * ACKs late, so they are committed but not installed when the takeover's
 * FLUSH comes (they answer with a full ACK, pg_view.c on_flush); otherwise
 * they installed already (they answer as for the previous view, on_prev).
 * The decision must win (pg.h protocol item 4): node 1 installs it as view
 * 2 too. Then fail-stop conversion removes one of nodes 0 and 1, which can
 * no longer talk (node 1 deems node 0 faulty for good), and the other three
 * agree on view 3. */
static void takeover_race(uint64_t seed, bool slow_23)
{
    struct pgnet *pn = group_of(5, seed);
    struct fakenet *fn = pgnet_fakenet(pn);
    for (unsigned i = 0; i < 5; i++)
        burst(pn, i, 2);
    pgnet_run_for(pn, 10 * MS);
    fakenet_set_latency(fn, 3, 0, 300 * MS);
    pgnet_crash(pn, 4);
    assert_true(step_until_flushing(pn, 1, pgnet_now(pn) + 3000 * MS));
    fakenet_cut(fn, 0, 1, true);
    fakenet_set_latency(fn, 2, 1, 800 * MS);
    fakenet_set_latency(fn, 3, 1, 800 * MS);
    pgnet_run_for(pn, 1 * MS); /* every FLUSH_OK is out; the decision is not */
    assert_int_equal(view_of(pn, 0, NULL), 1);
    if (slow_23) {
        fakenet_set_latency(fn, 2, 3, 800 * MS);
        fakenet_set_latency(fn, 3, 2, 800 * MS);
    }
    pgnet_run_for(pn, 700 * MS);
    assert_int_equal(view_of(pn, 0, NULL), 2);
    for (unsigned i = 1; i < 4; i++) /* installed by all but node 1 (and, slow_23, 2 and 3) */
        assert_true(view_of(pn, i, NULL) == (i == 1 || slow_23 ? 1u : 2u));
    assert_int_equal(pg_stats(pgnet_pg(pn, 1))->takeovers, 0);
    pgnet_run_for(pn, 400 * MS);
    assert_int_equal(pg_stats(pgnet_pg(pn, 1))->takeovers, 1); /* the race */
    assert_int_equal(view_of(pn, 1, NULL), 1);
    pgnet_run_for(pn, 10000 * MS);
    static const unsigned d0[] = {0, 1, 2, 3};
    for (unsigned i = 0; i < 4; i++)
        assert_true(view2_was(pn, i, d0, 4)); /* node 0's decision, node 1's included */
    bool out0 = pg_excluded(pgnet_pg(pn, 0), GID), out1 = pg_excluded(pgnet_pg(pn, 1), GID);
    assert_true(out0 != out1);
    unsigned rest[3] = {out0 ? 1u : 0u, 2, 3};
    for (unsigned k = 0; k < 3; k++) {
        assert_true(view_is(pn, rest[k], rest, 3));
        assert_int_equal(view_of(pn, rest[k], NULL), 3);
    }
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_takeover_races_coordinator_decision(void **state)
{
    (void)state;
    takeover_race(46, false);
    takeover_race(47, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view1_agreement),
        cmocka_unit_test(test_own_delivery_at_once),
        cmocka_unit_test(test_causal_reply_under_reordering),
        cmocka_unit_test(test_flush_waits_for_all),
        cmocka_unit_test(test_stability_bounds_retained),
        cmocka_unit_test(test_crash_mid_burst),
        cmocka_unit_test(test_two_crashes_in_five),
        cmocka_unit_test(test_coordinator_crash_during_change),
        cmocka_unit_test(test_partition_minority_excluded),
        cmocka_unit_test(test_join_under_traffic),
        cmocka_unit_test(test_leave),
        cmocka_unit_test(test_api_errors),
        cmocka_unit_test(test_malformed_dropped),
        cmocka_unit_test(test_codec_roundtrip),
        cmocka_unit_test(test_codec_vt_varints),
        cmocka_unit_test(test_rank_sets),
        cmocka_unit_test(test_stability_idle_members),
        cmocka_unit_test(test_install_advertisements_linear),
        cmocka_unit_test(test_large_group_crash),
        cmocka_unit_test(test_false_suspicion_excludes),
        cmocka_unit_test(test_loss_with_crash),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_checker_bites),
        cmocka_unit_test(test_coordinator_crash_sweep),
        cmocka_unit_test(test_random_faults),
        cmocka_unit_test(test_asymmetric_cut_removes_reporter),
        cmocka_unit_test(test_even_split_no_primary),
        cmocka_unit_test(test_flush_while_held),
        cmocka_unit_test(test_takeover_races_coordinator_decision),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
