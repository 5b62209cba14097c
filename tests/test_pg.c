/* tests/test_pg.c: the process-group layer (core/pg.h) on the fake network.
 *
 * Each scenario records every application-level upcall and then checks the
 * checkers/TRACE.md rules over the records (support_pgnet.c), plus what the scenario
 * is about (who installed which view, who delivered what, counters).
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

#define GID 7u
#define MS  1000000LL

static void check_rules(struct pgnet *pn, bool quiet)
{
    char why[256];
    bool ok = pgnet_judge(pn, quiet, why, sizeof why);
    if (!ok)
        print_error("%s\n", why);
    assert_true(ok);
}

static struct pgnet *group_of(unsigned n, uint64_t seed)
{
    struct pgnet *pn = pgnet_new(n, seed, NULL);
    unsigned idx[PG_MAX_MEMBERS_CAP];
    assert_true(n <= PG_MAX_MEMBERS_CAP);
    for (unsigned i = 0; i < n; i++)
        idx[i] = i;
    assert_int_equal(pgnet_create(pn, GID, idx, n), PG_OK);
    return pn;
}

static void burst(struct pgnet *pn, unsigned i, unsigned k)
{
    for (unsigned j = 0; j < k; j++)
        assert_int_equal(pgnet_cbcast(pn, i, GID, 16, NULL), PG_OK);
}

static uint32_t view_of(struct pgnet *pn, unsigned i, struct pg_view *v)
{
    struct pg_view tmp;
    struct pg_view *p = v ? v : &tmp;
    int rc = pg_getview(pgnet_pg(pn, i), GID, p);
    return rc == PG_OK ? p->view_id : 0;
}

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

/* Sum of the link-level data datagrams sent by nodes [0, n). */
static uint64_t data_sent_total(struct pgnet *pn, unsigned n)
{
    uint64_t data = 0;
    for (unsigned i = 0; i < n; i++)
        data += phys_stats(fakenet_phys(pgnet_fakenet(pn), i))->data_sent;
    return data;
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

static void test_clients(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(3, 13);
    assert_int_equal(pg_add(pgnet_pg(pn, 1), GID, 4242, PG_CLIENT), PG_OK);
    pgnet_run_for(pn, 100 * MS);
    struct pg_view v;
    assert_int_equal(view_of(pn, 2, &v), 2);
    assert_int_equal(v.n_clients, 1);
    assert_int_equal(v.clients[0], 4242);
    assert_int_equal(v.n_members, 3);
    assert_int_equal(pg_add(pgnet_pg(pn, 0), GID, 4242, PG_CLIENT), PG_E_EXISTS);
    assert_int_equal(pg_del(pgnet_pg(pn, 0), GID, 4242, PG_CLIENT), PG_OK);
    pgnet_run_for(pn, 100 * MS);
    assert_int_equal(view_of(pn, 1, &v), 3);
    assert_int_equal(v.n_clients, 0);
    check_rules(pn, true);
    pgnet_free(pn);
}

/* ---- clients and diffusion (pg_client.c) ---- */

/* Members 0..nm-1, clients nm..nm+nc-1 (client k through member k % nm). */
static struct pgnet *client_group(unsigned nm, unsigned nc, uint64_t seed,
                                  const struct pg_config *cfg)
{
    struct pgnet *pn = pgnet_new(nm + nc, seed, cfg);
    unsigned idx[16];
    assert_true(nm <= 16);
    for (unsigned i = 0; i < nm; i++)
        idx[i] = i;
    assert_int_equal(pgnet_create(pn, GID, idx, nm), PG_OK);
    for (unsigned k = 0; k < nc; k++)
        assert_int_equal(pgnet_client(pn, nm + k, GID, k % nm), PG_OK);
    pgnet_run_for(pn, 300 * MS);
    for (unsigned k = 0; k < nc; k++) {
        struct pg_view v;
        assert_int_equal(pg_getview(pgnet_pg(pn, nm + k), GID, &v), PG_OK);
        assert_int_equal(v.n_members, nm);
        assert_int_equal(v.n_clients, 1);
        assert_int_equal(v.clients[0], pgnet_id(pn, nm + k));
    }
    return pn;
}

/* A client's registration goes from its contact to the coordinator alone:
 * NC clients cost NC requests, not NC x (NM - 1) (every member told). The
 * members' datagrams during registration are the requests, the view changes
 * that add the clients (FLUSH, FLUSH_OK, ACK: O(NM^2) each, a few of them)
 * and each contact's welcome (CVIEW) to its clients. */
static void test_client_registration_linear(void **state)
{
    (void)state;
    enum { NM = 12, NC = 48 };
    struct pgnet *pn = client_group(NM, NC, 41, NULL);
    uint64_t data = data_sent_total(pn, NM);
    uint64_t changes = pg_stats(pgnet_pg(pn, 0))->view_changes_started;
    /* per change: FLUSH and the decision from the coordinator, FLUSH_OK and
     * ACK from every member to every other; per client: its request and its
     * welcome; plus a round of stability advertisements */
    uint64_t per_change = 2 * (NM - 1) + 2 * NM * (NM - 1);
    assert_true(changes >= 1 && changes <= 8);
    assert_true(data >= 2 * NC - NC / NM);
    assert_true(data <=
                2 * NC + changes * per_change + 4 * NM); /* requests told to all: + NC x 11 */
    check_rules(pn, true);
    pgnet_free(pn);
}

/* Each member delivered each client message once, and each client each diffusion once. */
static void check_client_traffic(struct pgnet *pn, unsigned nm, unsigned nc, const bool *alive)
{
    size_t n;
    const struct pgnet_rec *r = pgnet_recs(pn, &n);
    for (size_t k = 0; k < n; k++) {
        if (r[k].kind != PGNET_SEND || (!r[k].client && !r[k].diffusion))
            continue;
        unsigned lo = r[k].client ? 0 : nm, hi = r[k].client ? nm : nm + nc;
        for (unsigned q = lo; q < hi; q++) {
            if (alive && !alive[q])
                continue;
            size_t got = 0;
            for (size_t j = 0; j < n; j++)
                got += r[j].kind == PGNET_DELIVER && r[j].node == pgnet_id(pn, q) &&
                       r[j].tag == r[k].tag;
            if (got != 1)
                print_error("node %u delivered %llx %zu times\n", q, (unsigned long long)r[k].tag,
                            got);
            assert_int_equal(got, 1);
        }
    }
}

static void test_client_basic(void **state)
{
    (void)state;
    struct pgnet *pn = client_group(3, 4, 31, NULL);
    struct pg_view v;
    uint32_t vid = view_of(pn, 0, &v); /* client requests are batched: fewer changes than clients */
    assert_true(vid >= 2 && vid <= 4);
    assert_int_equal(v.n_clients, 4);
    for (unsigned j = 0; j < 5; j++) {
        for (unsigned k = 3; k < 7; k++)
            assert_int_equal(pgnet_cbcast(pn, k, GID, 24, NULL), PG_OK);
        assert_int_equal(pgnet_diffuse(pn, j % 3, GID, 20, NULL), PG_OK);
        pgnet_run_for(pn, 5 * MS);
    }
    pgnet_run_for(pn, 500 * MS);
    check_client_traffic(pn, 3, 4, NULL);
    assert_int_equal(pgnet_count(pn, PGNET_DELIVER, PG_NODE_NONE, GID), 5 * 4 * 3 + 5 * 7);
    uint64_t fwd = 0, relayed = 0;
    for (unsigned i = 0; i < 3; i++) {
        fwd += pg_stats(pgnet_pg(pn, i))->client_forwarded;
        relayed += pg_stats(pgnet_pg(pn, i))->diffusion_relayed;
    }
    assert_int_equal(fwd, 20);
    assert_int_equal(relayed, 20);
    for (unsigned k = 3; k < 7; k++)
        assert_int_equal(pg_stats(pgnet_pg(pn, k))->client_diff_delivered, 5);
    check_rules(pn, true);
    pgnet_free(pn);
}

/* Clients listed in view 1 (pg_create_with_clients): their contacts serve
 * them at once, no view change adds them, and the traffic is as with
 * registered clients. Bad lists are refused. */
static void test_clients_in_view(void **state)
{
    (void)state;
    enum { NM = 3, NC = 4 };
    struct pgnet *pn = pgnet_new(NM + NC, 43, NULL);
    unsigned idx[NM] = {0, 1, 2}, cidx[NC] = {3, 4, 5, 6};
    assert_int_equal(pgnet_create_with_clients(pn, GID, idx, NM, cidx, NC), PG_OK);
    for (unsigned k = 0; k < NC; k++)
        assert_int_equal(pgnet_client(pn, NM + k, GID, k % NM), PG_OK);
    pgnet_run_for(pn, 100 * MS);
    struct pg_view v;
    for (unsigned i = 0; i < NM + NC; i++) {
        assert_int_equal(view_of(pn, i, &v), 1); /* no view change */
        assert_int_equal(v.n_members, NM);
        assert_int_equal(v.n_clients, i < NM ? NC : 1);
    }
    assert_int_equal(pg_stats(pgnet_pg(pn, 0))->view_changes_started, 0);
    for (unsigned j = 0; j < 5; j++) {
        for (unsigned k = NM; k < NM + NC; k++)
            assert_int_equal(pgnet_cbcast(pn, k, GID, 24, NULL), PG_OK);
        assert_int_equal(pgnet_diffuse(pn, j % NM, GID, 20, NULL), PG_OK);
        pgnet_run_for(pn, 5 * MS);
    }
    pgnet_run_for(pn, 500 * MS);
    check_client_traffic(pn, NM, NC, NULL);
    check_rules(pn, true);
    /* refused: a client twice, a client that is a member, NONE, too many */
    struct pg *p0 = pgnet_pg(pn, 0);
    pg_node_id m[2] = {pgnet_id(pn, 0), pgnet_id(pn, 1)};
    pg_node_id twice[2] = {900, 900}, member[1] = {pgnet_id(pn, 1)}, none[1] = {PG_NODE_NONE};
    assert_int_equal(pg_create_with_clients(p0, GID + 1, m, 2, twice, 2), PG_E_INVAL);
    assert_int_equal(pg_create_with_clients(p0, GID + 1, m, 2, member, 1), PG_E_INVAL);
    assert_int_equal(pg_create_with_clients(p0, GID + 1, m, 2, none, 1), PG_E_INVAL);
    static pg_node_id many[PG_MAX_CLIENTS_CAP + 1];
    for (unsigned k = 0; k <= PG_MAX_CLIENTS_CAP; k++)
        many[k] = 1000 + k;
    assert_int_equal(pg_create_with_clients(p0, GID + 1, m, 2, many, PG_MAX_CLIENTS_CAP + 1),
                     PG_E_INVAL);
    pgnet_free(pn);
}

/* A client's cached view goes stale (another client is added, which it is
 * not told): its next messages are rejected, it caches the contact's view and
 * sends them again; each is delivered once. */
static void test_client_stale_view_retry(void **state)
{
    (void)state;
    struct pgnet *pn = client_group(3, 1, 32, NULL);
    struct pg_view cv;
    assert_int_equal(pg_getview(pgnet_pg(pn, 3), GID, &cv), PG_OK);
    assert_int_equal(pg_add(pgnet_pg(pn, 2), GID, 4242, PG_CLIENT), PG_OK);
    pgnet_run_for(pn, 100 * MS);
    assert_int_equal(view_of(pn, 0, NULL), cv.view_id + 1);
    for (unsigned j = 0; j < 6; j++)
        assert_int_equal(pgnet_cbcast(pn, 3, GID, 16, NULL), PG_OK);
    pgnet_run_for(pn, 300 * MS);
    const struct pg_stats *cs = pg_stats(pgnet_pg(pn, 3));
    assert_true(pg_stats(pgnet_pg(pn, 0))->client_stale_rejected >= 1); /* node 3's contact */
    assert_true(cs->client_resent >= 6);
    struct pg_view now;
    assert_int_equal(pg_getview(pgnet_pg(pn, 3), GID, &now), PG_OK);
    assert_int_equal(now.view_id, cv.view_id + 1); /* refreshed */
    check_client_traffic(pn, 3, 1, NULL);
    check_rules(pn, true);
    pgnet_free(pn);
}

/* The contact of a client crashes while the client streams messages: the
 * client fails over to the most senior survivor and sends what is not known
 * delivered; survivors deliver each message exactly once. */
static void test_client_contact_crash(void **state)
{
    (void)state;
    for (uint64_t seed = 40; seed < 46; seed++) {
        struct pgnet *pn = client_group(4, 2, seed, NULL); /* clients 4, 5: contacts 0, 1 */
        for (unsigned j = 0; j < 40; j++) {
            assert_int_equal(pgnet_cbcast(pn, 5, GID, 16, NULL), PG_OK);
            assert_int_equal(pgnet_cbcast(pn, 4, GID, 16, NULL), PG_OK);
            if (j % 4 == 0)
                assert_int_equal(pgnet_diffuse(pn, 2, GID, 16, NULL), PG_OK);
            if (j == 20 + seed % 7)
                pgnet_crash(pn, 1);
            pgnet_run_for(pn, (int64_t)(seed % 3 + 1) * MS / 2);
        }
        pgnet_run_for(pn, 3000 * MS);
        bool alive[6] = {true, false, true, true, true, true};
        check_client_traffic(pn, 4, 2, alive);
        const struct pg_stats *cs = pg_stats(pgnet_pg(pn, 5));
        assert_int_equal(cs->client_failovers, 1);
        struct pg_view v;
        assert_int_equal(pg_getview(pgnet_pg(pn, 5), GID, &v), PG_OK);
        assert_int_equal(v.n_members, 3);
        check_rules(pn, true);
        pgnet_free(pn);
    }
}

static void flush_nop(void *ctx, pg_gid gid)
{
    (void)ctx, (void)gid;
}

static void test_client_errors(void **state)
{
    (void)state;
    struct pg_config cfg;
    pg_config_default(&cfg);
    cfg.max_client_unacked = 3;
    struct pgnet *pn = client_group(2, 1, 33, &cfg);
    struct pg *c = pgnet_pg(pn, 2), *m = pgnet_pg(pn, 0);
    pg_node_id m0 = pgnet_id(pn, 0);
    uint8_t buf[PG_MAX_PAYLOAD] = {0};
    uint64_t id;
    uint32_t vid;
    assert_int_equal(pg_client(c, GID, m0), PG_E_EXISTS);
    assert_int_equal(pg_client(c, 0, m0), PG_E_INVAL);
    assert_int_equal(pg_client(c, GID | PG_CL_PHYS_BIT, m0), PG_E_INVAL);
    assert_int_equal(pg_client(c, GID + 1, PG_NODE_NONE), PG_E_INVAL);
    assert_int_equal(pg_client(c, GID + 1, pgnet_id(pn, 2)), PG_E_INVAL); /* self */
    assert_int_equal(pg_client(m, GID, pgnet_id(pn, 1)), PG_E_EXISTS);    /* a member */
    assert_true(pg_is_client(c, GID) && !pg_is_client(m, GID));
    assert_int_equal(pg_diffuse(c, GID, buf, 8, &id, &vid), PG_E_NOTMEMBER);
    assert_int_equal(abcast(c, GID, buf, 8, &id, &vid), PG_E_NOTMEMBER);
    assert_int_equal(pg_flush(c, GID, flush_nop, NULL), PG_E_NOTMEMBER);
    assert_int_equal(pg_add(c, GID, 99, PG_MEMBER), PG_E_NOTMEMBER);
    assert_int_equal(cbcast(c, GID, buf, cfg.max_payload, &id, &vid), PG_E_TOOBIG);
    assert_int_equal(pg_diffuse(m, GID, buf, cfg.max_payload, &id, &vid), PG_E_TOOBIG);
    assert_int_equal(cbcast(c, GID + 1, buf, 8, &id, &vid), PG_E_NOGROUP);
    /* a fresh client has no view yet */
    assert_int_equal(pg_client(pgnet_pg(pn, 1), GID + 1, m0), PG_OK);
    assert_int_equal(cbcast(pgnet_pg(pn, 1), GID + 1, buf, 8, &id, &vid), PG_E_NOTMEMBER);
    assert_int_equal(pg_send_view(pgnet_pg(pn, 1), GID + 1, &vid), PG_E_NOTMEMBER);
    /* unacked messages are bounded: the contact is gone, nothing is acknowledged */
    pgnet_crash(pn, 0);
    pgnet_crash(pn, 1);
    for (unsigned j = 0; j < 3; j++)
        assert_int_equal(cbcast(c, GID, buf, 8, &id, &vid), PG_OK);
    assert_int_equal(cbcast(c, GID, buf, 8, &id, &vid), PG_E_FULL);
    pgnet_run_for(pn, 3000 * MS); /* no member left to fail over to */
    assert_true(pg_excluded(c, GID));
    assert_int_equal(cbcast(c, GID, buf, 8, &id, &vid), PG_E_CRASHED);
    pgnet_free(pn);
}

/* ---- reply collection (core/reply.h, a tool above pg.h) ---- */

struct rt {
    struct pgnet *pn;
    struct rep *rep; /* node 0's collector */
    bool mute[8];    /* servers that do not answer */
    int done, status;
    uint32_t n, left;
    char first[8];
};

struct rt_node {
    struct rt *t;
    unsigned i;
};

static void rt_entry(void *ctx, pg_gid gid, uint32_t view_id, pg_node_id from,
                     const uint8_t *payload, size_t len)
{
    struct rt_node *nd = ctx;
    struct rt *t = nd->t;
    (void)view_id;
    struct rep_request req;
    if (rep_parse_request(payload, len, &req) && !t->mute[nd->i]) { /* a server answers */
        uint8_t buf[REP_HDR_B + 2];
        rep_reply_header(&req, buf);
        buf[REP_HDR_B] = 'r';
        buf[REP_HDR_B + 1] = (uint8_t)('0' + nd->i);
        assert_int_equal(cbcast(pgnet_pg(t->pn, nd->i), gid, buf, sizeof buf, NULL, NULL), PG_OK);
    }
    if (nd->i == 0)
        (void)rep_on_deliver(t->rep, from, payload, len);
}

static void rt_monitor(void *ctx, const struct pg_view *v, bool excluded)
{
    struct rt_node *nd = ctx;
    if (nd->i == 0)
        rep_on_view(nd->t->rep, v, excluded);
}

static void rt_done(void *ctx, uint64_t id, int status, const struct rep_reply *r, uint32_t n,
                    uint32_t left)
{
    struct rt *t = ctx;
    (void)id;
    t->done++;
    t->status = status;
    t->n = n;
    t->left = left;
    memset(t->first, 0, sizeof t->first);
    if (n > 0 && r[0].len == 2)
        memcpy(t->first, r[0].payload, 2);
}

/* Node 0 multicasts a request and collects `want` replies. */
static uint64_t rt_request(struct rt *t, enum rep_want want, uint32_t k)
{
    struct pg_view v;
    assert_int_equal(pg_getview(pgnet_pg(t->pn, 0), GID, &v), PG_OK);
    uint8_t hdr[REP_HDR_B + 3];
    uint64_t id;
    assert_int_equal(rep_start(t->rep, &v, want, k, rt_done, t, hdr, &id), PG_OK);
    memcpy(hdr + REP_HDR_B, "req", 3);
    assert_int_equal(cbcast(pgnet_pg(t->pn, 0), GID, hdr, sizeof hdr, NULL, NULL), PG_OK);
    return id;
}

static void test_reply_collection(void **state)
{
    (void)state;
    struct rt t = {.pn = group_of(4, 61)};
    struct rep_config rc;
    rep_config_default(&rc);
    rc.max_pending = 2;
    t.rep = rep_new(&rc, pgnet_id(t.pn, 0));
    struct rt_node nodes[4];
    for (unsigned i = 0; i < 4; i++) {
        nodes[i] = (struct rt_node){.t = &t, .i = i};
        assert_int_equal(pg_entry(pgnet_pg(t.pn, i), GID, rt_entry, &nodes[i]), PG_OK);
        assert_int_equal(pg_monitor(pgnet_pg(t.pn, i), GID, rt_monitor, &nodes[i]), PG_OK);
    }
    /* one, k, all: node 0 answers its own request first (its cbcast is delivered at once) */
    rt_request(&t, REP_ONE, 0);
    pgnet_run_for(t.pn, 50 * MS);
    assert_int_equal(t.done, 1);
    assert_int_equal(t.status, PG_OK);
    assert_int_equal(t.n, 1);
    assert_memory_equal(t.first, "r0", 2);
    rt_request(&t, REP_K, 3);
    pgnet_run_for(t.pn, 50 * MS);
    assert_true(t.done == 2 && t.status == PG_OK && t.n == 3 && t.left == 0);
    rt_request(&t, REP_ALL, 0);
    pgnet_run_for(t.pn, 50 * MS);
    assert_true(t.done == 3 && t.status == PG_OK && t.n == 4);
    assert_int_equal(rep_pending(t.rep), 0);
    /* a silent server fails: all-reply completes without it once it leaves the view */
    t.mute[3] = true;
    rt_request(&t, REP_ALL, 0);
    pgnet_run_for(t.pn, 100 * MS);
    assert_int_equal(t.done, 3); /* waits for node 3 */
    assert_int_equal(rep_pending(t.rep), 1);
    pgnet_crash(t.pn, 3);
    pgnet_run_for(t.pn, 3000 * MS);
    assert_true(t.done == 4 && t.status == PG_OK && t.n == 3 && t.left == 1);
    /* k-reply that can no longer be satisfied: told, not left hanging */
    t.mute[2] = true;
    rt_request(&t, REP_K, 3);
    pgnet_run_for(t.pn, 100 * MS);
    assert_int_equal(t.done, 4);
    pgnet_crash(t.pn, 2);
    pgnet_run_for(t.pn, 3000 * MS);
    assert_true(t.done == 5 && t.status == PG_E_SUSPECTED && t.n == 2 && t.left == 1);
    /* errors and bounds */
    struct pg_view v;
    uint8_t hdr[REP_HDR_B];
    uint64_t id, id2;
    assert_int_equal(pg_getview(pgnet_pg(t.pn, 0), GID, &v), PG_OK);
    assert_int_equal(rep_start(t.rep, &v, REP_K, 0, rt_done, &t, hdr, &id), PG_E_INVAL);
    assert_int_equal(rep_start(t.rep, &v, REP_K, v.n_members + 1, rt_done, &t, hdr, &id),
                     PG_E_INVAL);
    assert_int_equal(rep_start(t.rep, &v, REP_ONE, 0, NULL, &t, hdr, &id), PG_E_INVAL);
    assert_int_equal(rep_start(t.rep, &v, (enum rep_want)9, 0, rt_done, &t, hdr, &id), PG_E_INVAL);
    assert_int_equal(rep_start(t.rep, &v, REP_ALL, 0, rt_done, &t, hdr, &id), PG_OK);
    assert_int_equal(rep_start(t.rep, &v, REP_ALL, 0, rt_done, &t, hdr, &id2), PG_OK);
    assert_int_equal(rep_start(t.rep, &v, REP_ALL, 0, rt_done, &t, hdr, &id2), PG_E_FULL);
    assert_int_equal(rep_cancel(t.rep, id), PG_OK);
    assert_int_equal(rep_cancel(t.rep, id), PG_E_INVAL);
    assert_false(rep_on_deliver(t.rep, pgnet_id(t.pn, 1), hdr, sizeof hdr)); /* a request */
    rep_on_view(t.rep, &v, true); /* the requester is excluded */
    assert_true(t.done == 6 && t.status == PG_E_CRASHED && rep_pending(t.rep) == 0);
    rep_free(t.rep);
    pgnet_free(t.pn);
}

/* The client messages, and a view change that carries 1024 clients (4 KB of ids). */
static void test_codec_client(void **state)
{
    (void)state;
    static struct pg_wmsg m, d;
    static uint8_t buf[PHYS_MAX_PAYLOAD];
    memset(&m, 0, sizeof m);
    m.type = PG_MT_ACK;
    m.view_id = 9;
    m.attempt = 2;
    m.n_old = 256;
    m.n_members = PG_MAX_MEMBERS_CAP;
    for (uint32_t i = 0; i < m.n_members; i++)
        m.members[i] = 1 + i;
    m.n_clients = PG_MAX_CLIENTS_CAP;
    for (uint32_t i = 0; i < m.n_clients; i++)
        m.clients[i] = 100000 + 7 * i;
    size_t n = pg_encode(&m, buf, sizeof buf);
    assert_true(n > 4 * (PG_MAX_MEMBERS_CAP + PG_MAX_CLIENTS_CAP) && n <= PG_MAX_PAYLOAD + 1);
    assert_int_equal(pg_decode(buf, n, &d), PG_OK);
    assert_int_equal(d.n_clients, PG_MAX_CLIENTS_CAP);
    assert_memory_equal(d.clients, m.clients, sizeof m.clients);
    m.clients[900] = m.clients[3]; /* a repeated client id (the sorted check) */
    n = pg_encode(&m, buf, sizeof buf);
    assert_int_equal(pg_decode(buf, n, &d), PG_E_MALFORMED);

    const enum pg_msg_type types[] = {PG_MT_CVIEW, PG_MT_CACK, PG_MT_CMSG, PG_MT_CHELLO,
                                      PG_MT_CDIFF};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        memset(&m, 0, sizeof m);
        m.type = types[t];
        m.view_id = 4;
        m.cflags = m.type == PG_MT_CVIEW ? PG_CV_STALE | PG_CV_CONTACT : m.type == PG_MT_CACK;
        m.n_members = m.type == PG_MT_CVIEW ? 3 : 0;
        m.members[0] = 5, m.members[1] = 6, m.members[2] = 7;
        m.cseq = 77;
        m.rank = m.type == PG_MT_CDIFF ? 2 : 0;
        m.pid = m.type == PG_MT_CHELLO || m.type == PG_MT_CDIFF ? 6 : 0;
        m.vmin = m.type == PG_MT_CHELLO ? 3 : 0;
        m.dview = m.type == PG_MT_CHELLO ? 4 : 0;
        bool pl = m.type == PG_MT_CMSG || m.type == PG_MT_CDIFF;
        m.payload = (const uint8_t *)"hello";
        m.len = pl ? 5 : 0;
        n = pg_encode(&m, buf, sizeof buf);
        assert_true(n > 0);
        assert_int_equal(pg_decode(buf, n, &d), PG_OK);
        assert_int_equal(d.type, m.type);
        assert_int_equal(d.view_id, 4);
        assert_int_equal(d.cflags, m.cflags);
        assert_int_equal(d.n_members, m.n_members);
        assert_int_equal(d.cseq, m.type == PG_MT_CVIEW || m.type == PG_MT_CHELLO ? 0 : 77);
        assert_int_equal(d.pid, m.pid);
        assert_int_equal(d.vmin, m.vmin);
        assert_int_equal(d.dview, m.dview);
        assert_int_equal(d.len, m.len);
        assert_int_equal(pg_decode(buf, n - 1, &d), pl ? PG_OK : PG_E_MALFORMED);
    }
    /* out of range: CVIEW flags, CMSG cseq 0, CDIFF sender 0, CVIEW without members */
    const uint8_t bad[][8] = {{0xB5, 9, 1, 16, 1, 5, 0, 0},
                              {0xB5, 11, 1, 0},
                              {0xB5, 13, 1, 0, 1, 0, 0, 0},
                              {0xB5, 9, 1, 1, 0}};
    const size_t bad_len[] = {8, 4, 8, 5};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(pg_decode(bad[i], bad_len[i], &d), PG_E_MALFORMED);
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
        cmocka_unit_test(test_clients),
        cmocka_unit_test(test_client_basic),
        cmocka_unit_test(test_client_registration_linear),
        cmocka_unit_test(test_clients_in_view),
        cmocka_unit_test(test_client_stale_view_retry),
        cmocka_unit_test(test_client_contact_crash),
        cmocka_unit_test(test_client_errors),
        cmocka_unit_test(test_reply_collection),
        cmocka_unit_test(test_codec_client),
        cmocka_unit_test(test_malformed_dropped),
        cmocka_unit_test(test_codec_roundtrip),
        cmocka_unit_test(test_codec_vt_varints),
        cmocka_unit_test(test_codec_abcast),
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
        cmocka_unit_test(test_abcast_total_order_loss_reorder),
        cmocka_unit_test(test_abcast_holder_own_after_majority),
        cmocka_unit_test(test_abcast_token_follows_single_sender),
        cmocka_unit_test(test_abcast_sequencer_crash),
        cmocka_unit_test(test_abcast_mixed_causal),
        cmocka_unit_test(test_abcast_full),
        cmocka_unit_test(test_asymmetric_cut_removes_reporter),
        cmocka_unit_test(test_even_split_no_primary),
        cmocka_unit_test(test_flush_while_held),
        cmocka_unit_test(test_abcast_token_pass_orders_waiting),
        cmocka_unit_test(test_abcast_view_change_keeps_published_order),
        cmocka_unit_test(test_takeover_races_coordinator_decision),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
