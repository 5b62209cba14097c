/* tests/test_pg.c: the process-group layer (core/pg.h) on the fake network.
 *
 * Each scenario records every application-level upcall and then checks the
 * TRACE.md rules over the records (support_pgnet.c), plus what the scenario
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
#include "support_pgnet.h"

#define GID 7u
#define MS  1000000LL

static void check_rules(struct pgnet *pn, bool quiet)
{
    char why[256];
    bool ok = pgnet_check(pn, GID, quiet, why, sizeof why);
    if (!ok)
        print_error("%s\n", why);
    assert_true(ok);
}

static struct pgnet *group_of(unsigned n, uint64_t seed)
{
    struct pgnet *pn = pgnet_new(n, seed, NULL);
    unsigned idx[32];
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
